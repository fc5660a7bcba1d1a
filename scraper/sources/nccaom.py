"""NCCAOM (now NCBAHM) "Find a Practitioner": the voluntary directory of certified diplomates.

NCCAOM renamed itself NCBAHM in 2026; the directory answers at https://directory.ncbahm.org/
with the same pages, and one report (2026-05) says directory.nccaom.org no longer resolves. The
source keeps its id ``nccaom``: the databases already hold its records under it.

Pages (ASP.NET, HTML):
- results by state: ``/FAP/SearchResultWithoutMap?StateCode=XX&SearchType=2&PageNo=N``,
  20 ``.result-card__item`` cards a page; the last page number is the hidden input
  ``#hdnlastpage``; "789 Practitioners found" above the cards;
- a profile: ``/FAP/PractitionerDetail?AgencyClientId=<id>``; the id is stable.
Quirks, as seen in the saved pages (2025 captures of directory.nccaom.org, ../shared/samples):
- a missing phone or website reads "Not Available";
- the website's visible text is shortened ("www.lotusacupuncturefertility. ..."); the full
  address is the link's ``href``;
- credentials sometimes sit in the name ("Youl Park L.Ac.");
- certificates are badges "AC Certification", "CH Certification", "OM Certification",
  "ABT Certification": Dipl. Ac., Dipl. C.H., Dipl. O.M., Dipl. ABT;
- profile links are relative, on the directory's own host; a card whose link leaves it is kept
  without its profile and the run's notes say so (the link is never followed);
- the site has put a Cloudflare challenge in front at times: the HTTP layer raises
  BotChallenge and the run stops as "gated"; nothing tries to get around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from bs4 import BeautifulSoup
from lxml import etree

from ..check import CheckReport, probe
from ..http import Fetcher, build_url
from ..models import Certification, Profile, Provenance
from ..normalize import clean, phone
from ..parsing import ParseError, many, one
from .base import Conditional, PageStep, RunNote, ScopeDone, SourceContext, checkpoint
from .nppes_api import STATES

SOURCE_ID = "nccaom"
TITLE = "NCCAOM (now NCBAHM) Find a Practitioner (certified diplomates)"
BASE_URL = "https://directory.ncbahm.org/FAP/SearchResultWithoutMap"
SINK = "certifications"
CARDS_PER_PAGE = 20
CERTIFICATES = {"AC": "Dipl. Ac.", "CH": "Dipl. C.H.", "OM": "Dipl. O.M.", "ABT": "Dipl. ABT"}
# Credentials people put after their name in the directory.
_SUFFIX = re.compile(
    r"[\s,]+((?:L\.?\s?Ac\.?|LAc|Dipl\.?\s?(?:Ac|O\.?M|C\.?H)\.?|DAOM|DACM|MSOM|MSTOM|OMD|"
    r"Ph\.?D\.?|M\.?D\.?|D\.?C\.?|N\.?D\.?|R\.?N\.?)(?:\s*\(NCCAOM\))?[\s,]*)+$", re.I)


@dataclass
class SearchPage:
    url: str
    last_page: int
    total: int | None
    certifications: list[Certification]


def split_name(text: str) -> tuple[str, str | None]:
    """"Youl Park L.Ac." -> ("Youl Park", "L.Ac.")."""
    text = " ".join(text.split())
    match = _SUFFIX.search(text)
    if not match or match.start() == 0:
        return text, None
    return text[:match.start()].strip(" ,"), match.group(0).strip(" ,")


def split_address(text: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """"513 N Morrison Rd , Vancouver, WA, USA" -> (street, city, state, country)."""
    if not text:
        return None, None, None, None
    parts = [p.strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    country = parts.pop() if len(parts) >= 4 or (parts and parts[-1].isalpha()
                                                  and parts[-1].upper() in ("USA", "US")) else None
    state = parts.pop() if len(parts) >= 3 else None
    if state:
        state = state.split()[0]  # "NY 11563-3117" -> "NY"
    city = parts.pop() if len(parts) >= 2 else None
    street = ", ".join(parts) or None
    return street, city, state, country


def _profile_id(href: str, url: str) -> str:
    values = parse_qs(urlsplit(href).query).get("AgencyClientId")
    if not values or not values[0]:
        raise ParseError(f"profile link without AgencyClientId: {href!r}", url=url)
    return values[0]


# The results page is read with lxml's own tree and XPath. BeautifulSoup, on the same lxml
# parser, took ~60 ms a page, most of it building Python objects for the page's 1,100 elements;
# lxml builds its tree in C in ~1.5 ms (bench/bench_nccaom.py). The CSS selectors remain the names
# of what is looked for, and what ParseError reports; each runs as the XPath below, with class
# words compared as soupsieve compared them on BeautifulSoup's tree (split on any white space).
_FOUND = re.compile(r"\d[\d,]*\s+Practitioners? found", re.I)


def _xpath(expression: str):
    return etree.XPath(expression, smart_strings=False)


def _has_class(element, word: str) -> bool:
    return word in (element.get("class") or "").split()


def _matcher(expression: str, word: str | None = None, *, under: str | None = None,
             under_tag: str | None = None):
    """The matches of ``expression`` (an XPath that narrows them with ``contains(@class, ...)``)
    whose class holds ``word`` and, with ``under``, that have an ancestor (of tag ``under_tag``,
    when given) whose class holds ``under``."""
    find = _xpath(expression)

    def select(element) -> list:
        return [e for e in find(element) if (word is None or _has_class(e, word)) and (
            under is None or any(_has_class(a, under) for a in e.iterancestors(under_tag)))]
    return select


_SELECTORS = {
    "input#hdnlastpage": _xpath("//input[@id = 'hdnlastpage']"),
    # page-wide ("//"): on a broken page libxml2 may start a second <html> beside the first
    ".result-card__item": _matcher("//*[contains(@class, 'result-card__item')]",
                                   "result-card__item"),
    "p.name a": _matcher("descendant::a[ancestor::p[contains(@class, 'name')]]",
                         under="name", under_tag="p"),
    "p.gendar": _matcher("descendant::p[contains(@class, 'gendar')]", "gendar"),
    ".iconic-callout__item": _matcher("descendant::*[contains(@class, 'iconic-callout__item')]",
                                      "iconic-callout__item"),
    "i[class]": _xpath("descendant::i[@class]"),
    "a[href]": _xpath("descendant::a[@href]"),
    ".cert-box__item .copy": _matcher(
        "descendant::*[contains(@class, 'copy')][ancestor::*[contains(@class, 'cert-box__item')]]",
        "copy", under="cert-box__item"),
}
# get_text(" ") of BeautifulSoup: the strings, not comments nor what these elements hold.
_strings = _xpath("descendant::text()[not(ancestor::script or ancestor::style or "
                  "ancestor::template or ancestor::rt or ancestor::rp)]")
# Every string of the page, comments too (BeautifulSoup's find(string=...) searched them), in
# page order: where "NNN Practitioners found" is looked for.
_all_strings = _xpath("//text() | //comment() | //processing-instruction()")


class _Select:
    """An lxml element as the strict helpers ``one`` and ``many`` take it: ``select(css)``
    runs that selector's matcher from ``_SELECTORS``."""

    __slots__ = ("element",)

    def __init__(self, element):
        self.element = element

    def select(self, css: str) -> list:
        return _SELECTORS[css](self.element)


def _text(element) -> str:
    return " ".join(_strings(element))


def _first(css: str, element):
    found = _SELECTORS[css](element)
    return found[0] if found else None


def parse_card(card, url: str, provenance: Provenance | None = None) -> Certification:
    """One ``.result-card__item`` (an lxml element)."""
    scope = _Select(card)
    link = one(scope, "p.name a", url=url)
    name, suffix = split_name(_text(link))
    status_line = clean(_text(one(scope, "p.gendar", url=url)))
    status, _, gender = (status_line or "").partition("|")
    values: dict[str, tuple[str | None, str | None]] = {}
    for item in scope.select(".iconic-callout__item"):
        icon = _first("i[class]", item)
        kind = icon.get("class").split()[0] if icon is not None else "?"
        anchor = _first("a[href]", item)
        values[kind] = (clean(_text(item)), anchor.get("href") if anchor is not None else None)
    address = values.get("icon-location-pin", (None, None))[0]
    street, city, state, country = split_address(address)
    website_href = values.get("icon-globe", (None, None))[1]
    certificates = []
    for badge in scope.select(".cert-box__item .copy"):
        code = (clean(_text(badge)) or "").split(" ")[0].upper()
        certificates.append(CERTIFICATES.get(code, code))
    href = link.attrib["href"]
    return Certification(
        profile_id=_profile_id(href, url), name=name, name_credentials=suffix,
        status=clean(status), gender=clean(gender),
        phone=phone(values.get("icon-call-end", (None, None))[0]),
        website=clean(website_href), address=address, street=street, city=city, state=state,
        country=country, certificates=sorted(set(certificates)),
        profile_url=urljoin(url, href), provenance=provenance)


def parse_search(text: str, url: str, fetched_at: str = "") -> SearchPage:
    """One results page. ParseError when it no longer looks like one."""
    # As bytes with the encoding given: lxml refuses text that declares its own encoding, and
    # the text is already decoded (a <meta charset> must not decode it again).
    root = etree.fromstring(text.encode("utf-8", "replace"), etree.HTMLParser(encoding="utf-8"))
    page = _Select(root if root is not None else etree.Element("html"))  # None: nothing to read
    last = one(page, "input#hdnlastpage", url=url).get("value", "")
    if not str(last).strip().isdigit():
        raise ParseError(f"hdnlastpage is {last!r}, not a page number", url=url)
    found = next((s for s in map(_string, _all_strings(page.element)) if _FOUND.search(s)), None)
    total = int(re.sub(r"\D", "", found.split("Practitioner")[0])) if found else None
    provenance = Provenance(SOURCE_ID, url, fetched_at)
    if total == 0:
        return SearchPage(url, int(last), 0, [])
    cards = many(page, ".result-card__item", url=url)
    if len(cards) > CARDS_PER_PAGE:
        raise ParseError(f"{len(cards)} cards on one page, at most {CARDS_PER_PAGE} expected",
                         url=url, selector=".result-card__item", count=len(cards))
    return SearchPage(url, int(last), total, [parse_card(c, url, provenance) for c in cards])


def _string(node) -> str:
    """A text node's string, or a comment's or processing instruction's text."""
    return node if isinstance(node, str) else node.text or ""


# Profiles are still read with BeautifulSoup: one page a practitioner, not measured yet.
def _list_items(soup, css: str) -> list[str]:
    box = soup.select_one(css)
    if box is None:
        return []
    return [text for li in box.select("li") if (text := clean(li.get_text(" ")))]


def parse_profile(text: str, url: str, fetched_at: str = "") -> Profile:
    """A practitioner's profile page: the card's facts and what only the profile says (about,
    education, languages, conditions treated)."""
    soup = BeautifulSoup(text, "lxml")
    content = one(soup, ".detail-info__content", url=url)
    name, suffix = split_name(one(content, "h2", url=url).get_text(" "))
    line = clean(one(content, "h6", url=url).get_text(" ")) or ""
    credential, _, gender = line.partition("|")
    values: dict[str, tuple[str | None, str | None]] = {}
    for item in content.select(".addressinfo__item"):
        icon = item.select_one("i[class]")
        anchor = item.select_one("a[href]")
        values[icon["class"][0] if icon else "?"] = (clean(item.get_text(" ")),
                                                     anchor["href"] if anchor else None)
    address = values.get("icon-location-pin", (None, None))[0]
    street, city, state, country = split_address(address)
    about = soup.select_one(".detail-about")
    about_text = clean(about.get_text(" ")) if about else None
    if about_text and about_text.lower().startswith("about me"):
        about_text = clean(about_text[len("about me"):])
    return Profile(
        profile_id=_profile_id(url, url), name=name, name_credentials=suffix,
        credential_line=clean(credential.replace("®", "")), gender=clean(gender),
        phone=phone(values.get("icon-call-end", (None, None))[0]),
        website=clean(values.get("icon-globe", (None, None))[1]), address=address,
        street=street, city=city, state=state, country=country, about=about_text,
        badges=[t for p in soup.select(".detail-education__badges .certificate-item__text")
                if (t := clean(p.get_text(" ")))],
        education=_list_items(soup, ".detail-education__education"),
        languages=_list_items(soup, ".detail-education__tags"),
        conditions=_list_items(soup, ".detail-education__health"),
        provenance=Provenance(SOURCE_ID, url, fetched_at))


# -- walking ------------------------------------------------------------------------------------

def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(
        scheme)


def _off_directory(card: Certification, page_url: str) -> str | None:
    """Why a card's profile is not read, or None. Profile links are the directory's own
    (``/FAP/PractitionerDetail``, relative, in every saved page): one to another host, port or
    scheme (a loopback "metadata" service, say) is not followed by the ordinary client."""
    assert card.profile_url is not None, "parse_search gives every card its profile link"
    if _origin(card.profile_url) == _origin(page_url):
        return None
    origin = "{}://{}:{}".format(*_origin(page_url))
    return (f"{card.profile_id}: profile link {card.profile_url} is not the directory's "
            f"({origin}): not read, the card kept without it")


def _with_profile(fetcher: Fetcher, ctx: SourceContext, card: Certification) -> Certification:
    url = card.profile_url
    assert url is not None, "parse_search gives every card its profile link"
    page = fetcher.get(url)
    profile = parse_profile(page.text, url, ctx.timestamp(page.fetched_at))
    return replace(card, conditions=profile.conditions, languages=profile.languages,
                   education=profile.education, about=profile.about,
                   website=card.website or profile.website)


def scrape(fetcher: Fetcher, ctx: SourceContext) -> Iterator[Any]:
    """Every results page of each state (and, unless ``profiles = false``, each profile)."""
    base = ctx.settings.get("base_url", BASE_URL)
    read_profiles = ctx.settings.get("profiles", True)
    for state in ctx.states or ctx.settings.get("states") or STATES:
        saved, done = checkpoint(ctx, state)
        if done:
            yield ScopeDone(state, complete=True)
            continue
        page_no = saved.next_skip if saved is not None and saved.next_skip else 1
        last = int(saved.note) if saved is not None and saved.note else None
        while last is None or page_no <= max(last, 1):
            url = build_url(base, {"StateCode": state, "SearchType": 2, "PageNo": page_no})
            # Page 1 is always read whole: it says how many pages there are.
            conditional = Conditional.of(ctx, url, remembered=page_no > 1)
            page = fetcher.get(url, validators=conditional.validators)
            step = conditional.unchanged(state, page)
            if step is None:
                parsed = parse_search(page.text, url, ctx.timestamp(page.fetched_at))
                last = parsed.last_page
                cards = parsed.certifications
                # A link off the directory is neither followed nor published as the profile.
                away = {c.profile_id: why for c in cards if (why := _off_directory(c, url))}
                for why in away.values():
                    yield RunNote(why)
                cards = [replace(card, profile_url=None) if card.profile_id in away
                         else _with_profile(fetcher, ctx, card) if read_profiles else card
                         for card in cards]
                step = PageStep(state, url, page, cards, len(cards))
            page_no += 1
            done = last is not None and page_no > max(last, 1)
            yield step.finish("done" if done else "pending", next_skip=page_no, note=str(last))
        yield ScopeDone(state, complete=True)


def check(fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
    """Page 1 of the first configured state's results: a challenge met (gated, never retried),
    the page's pager and cards, the count, the first card parsed. One request (and
    robots.txt), no profile; nothing stored."""
    report = CheckReport(SOURCE_ID)
    state = str((settings.get("states") or ["WA"])[0]).upper()
    url = build_url(settings.get("base_url", BASE_URL),
                    {"StateCode": state, "SearchType": 2, "PageNo": 1})
    page = probe(fetcher, report, url)
    if page is None:
        return report
    try:
        parsed = parse_search(page.text, url)
    except ParseError as exc:
        report.set("fields", False, str(exc))
        return report
    cards = parsed.certifications
    report.set("fields", True, f"input#hdnlastpage and {len(cards)} .result-card__item cards"
               if cards else "input#hdnlastpage (no cards to read)")
    report.set("values", bool(parsed.total), f"{state}: {parsed.total} practitioners found, "
               f"{parsed.last_page} pages" if parsed.total is not None else
               f"{state}: no 'NNN Practitioners found' on the page ({len(cards)} cards)")
    if cards:
        c = cards[0]
        report.set("record", True, f"{c.profile_id}: {c.name}, {c.city or '?'}, "
                   f"{c.state or '?'}, {', '.join(c.certificates) or 'no certificate'}")
    return report
