"""NCCAOM "Find a Practitioner": the voluntary directory of certified diplomates.

Pages (ASP.NET, HTML):
- results by state: ``/FAP/SearchResultWithoutMap?StateCode=XX&SearchType=2&PageNo=N``,
  20 ``.result-card__item`` cards a page; the last page number is the hidden input
  ``#hdnlastpage``; "789 Practitioners found" above the cards;
- a profile: ``/FAP/PractitionerDetail?AgencyClientId=<id>``; the id is stable.
Quirks, as seen in the saved pages (2025 captures, ../shared/samples):
- a missing phone or website reads "Not Available";
- the website's visible text is shortened ("www.lotusacupuncturefertility. ..."); the full
  address is the link's ``href``;
- credentials sometimes sit in the name ("Youl Park L.Ac.");
- certificates are badges "AC Certification", "CH Certification", "OM Certification",
  "ABT Certification": Dipl. Ac., Dipl. C.H., Dipl. O.M., Dipl. ABT;
- the site has put a Cloudflare challenge in front at times: the HTTP layer raises
  BotChallenge and the run stops as "gated"; nothing tries to get around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

from bs4 import BeautifulSoup

from ..models import Provenance
from ..normalize import clean, phone
from ..parsing import ParseError, many, one

SOURCE_ID = "nccaom"
TITLE = "NCCAOM Find a Practitioner (certified diplomates)"
BASE_URL = "https://directory.nccaom.org/FAP/SearchResultWithoutMap"
CARDS_PER_PAGE = 20
CERTIFICATES = {"AC": "Dipl. Ac.", "CH": "Dipl. C.H.", "OM": "Dipl. O.M.", "ABT": "Dipl. ABT"}
# Credentials people put after their name in the directory.
_SUFFIX = re.compile(
    r"[\s,]+((?:L\.?\s?Ac\.?|LAc|Dipl\.?\s?(?:Ac|O\.?M|C\.?H)\.?|DAOM|DACM|MSOM|MSTOM|OMD|"
    r"Ph\.?D\.?|M\.?D\.?|D\.?C\.?|N\.?D\.?|R\.?N\.?)(?:\s*\(NCCAOM\))?[\s,]*)+$", re.I)


@dataclass
class Certification:
    """One diplomate as the directory lists them."""

    profile_id: str
    name: str
    name_credentials: str | None  # what followed the name ("L.Ac.")
    status: str | None  # "Certified Diplomate"
    gender: str | None
    phone: str | None
    website: str | None
    address: str | None  # as shown
    street: str | None
    city: str | None
    state: str | None
    country: str | None
    certificates: list[str] = field(default_factory=list)  # ["Dipl. Ac.", "Dipl. C.H."]
    profile_url: str | None = None
    provenance: Provenance | None = field(default=None, compare=False)


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


def parse_card(card, url: str, provenance: Provenance | None = None) -> Certification:
    link = one(card, "p.name a", url=url)
    name, suffix = split_name(link.get_text(" "))
    status_line = clean(one(card, "p.gendar", url=url).get_text(" "))
    status, _, gender = (status_line or "").partition("|")
    values: dict[str, tuple[str | None, str | None]] = {}
    for item in card.select(".iconic-callout__item"):
        icon = item.select_one("i[class]")
        kind = icon["class"][0] if icon else "?"
        anchor = item.select_one("a[href]")
        values[kind] = (clean(item.get_text(" ")), anchor["href"] if anchor else None)
    address = values.get("icon-location-pin", (None, None))[0]
    street, city, state, country = split_address(address)
    website_href = values.get("icon-globe", (None, None))[1]
    certificates = []
    for badge in card.select(".cert-box__item .copy"):
        code = (clean(badge.get_text(" ")) or "").split(" ")[0].upper()
        certificates.append(CERTIFICATES.get(code, code))
    return Certification(
        profile_id=_profile_id(link["href"], url), name=name, name_credentials=suffix,
        status=clean(status), gender=clean(gender),
        phone=phone(values.get("icon-call-end", (None, None))[0]),
        website=clean(website_href), address=address, street=street, city=city, state=state,
        country=country, certificates=sorted(set(certificates)),
        profile_url=urljoin(url, link["href"]), provenance=provenance)


def parse_search(text: str, url: str, fetched_at: str = "") -> SearchPage:
    """One results page. ParseError when it no longer looks like one."""
    soup = BeautifulSoup(text, "lxml")
    last = one(soup, "input#hdnlastpage", url=url).get("value", "")
    if not str(last).strip().isdigit():
        raise ParseError(f"hdnlastpage is {last!r}, not a page number", url=url)
    found = soup.find(string=re.compile(r"\d[\d,]*\s+Practitioners? found", re.I))
    total = int(re.sub(r"\D", "", found.split("Practitioner")[0])) if found else None
    provenance = Provenance(SOURCE_ID, url, fetched_at)
    if total == 0:
        return SearchPage(url, int(last), 0, [])
    cards = many(soup, ".result-card__item", url=url)
    if len(cards) > CARDS_PER_PAGE:
        raise ParseError(f"{len(cards)} cards on one page, at most {CARDS_PER_PAGE} expected",
                         url=url, selector=".result-card__item", count=len(cards))
    return SearchPage(url, int(last), total, [parse_card(c, url, provenance) for c in cards])
