"""Each source's parser run on a saved page or file, without the network.

``practitioners parse SOURCE FILE`` is how a maintainer checks a changed page: save what the
site answers now, run the parser on it, read the records (or the ParseError that names what
moved). Each function here takes the file's path, the URL it came from and the source's
settings, and yields what the source would store from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import npidata
from ..parsing import ParseError
from ..specialties import tag_text
from . import nccaom, nppes_api, oig_leie, websites


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def nppes_api_file(path: Path, url: str, settings: dict[str, Any]) -> Iterator[Any]:
    """An answer of the NPI Registry API (JSON)."""
    yield from nppes_api.parse_search(_text(path), url, "").providers


def nccaom_file(path: Path, url: str, settings: dict[str, Any]) -> Iterator[Any]:
    """A page of search results, or a practitioner's profile page."""
    text = _text(path)
    try:
        page = nccaom.parse_search(text, url, "")
    except ParseError:
        if "AgencyClientId=" not in url:
            raise ParseError("not a page of search results; a profile page is read with its "
                             "address: --url '...PractitionerDetail?AgencyClientId=...'",
                             url=url) from None
        yield nccaom.parse_profile(text, url, "")
        return
    yield from page.certifications


def leie_file(path: Path, url: str, settings: dict[str, Any]) -> Iterator[Any]:
    """The exclusion list's CSV: the rows a run keeps (acupuncture specialties; NPIs among
    our providers cannot be known here)."""
    with open(path, encoding="cp1252", errors="replace", newline="") as handle:  # as a run reads it
        yield from oig_leie.parse_csv(handle, url, "", set())


def website_file(path: Path, url: str, settings: dict[str, Any]) -> Iterator[Any]:
    """A practice's page: the specialty claims it makes, and the links a run would follow."""
    if not url:
        raise ParseError("a practice's page is read with its address (its links are read "
                         "against it): --url 'https://...'", url=str(path))
    page = websites.parse_page(_text(path), url)
    for tag, sentence in tag_text(websites.page_text(page)):
        yield {"tag": tag, "sentence": sentence}
    for link in websites.service_links(page, url):
        yield {"would_follow": link}


def nppes_file(path: Path, url: str, settings: dict[str, Any]) -> Iterator[Any]:
    """A dissemination zip (monthly or weekly)."""
    codes = tuple(settings.get("taxonomy_codes") or npidata.DEFAULT_CODES)
    yield from npidata.iter_zip(path, codes, source_url=url or None)
