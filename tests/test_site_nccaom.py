"""The NCCAOM "Find a Practitioner" stand-in, through real HTTP: its pages, its paging, its
challenge modes and its data.

The scraper's tests trust this stand-in to look like directory.ncbahm.org (directory.nccaom.org
before the 2026 rename), so its pages are pinned
here against the saved real pages (tests/fixtures/nccaom/) and read with the project's own parser.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter

import httpx
import pytest
from bs4 import BeautifulSoup

from scraper.http import detect_challenge
from scraper.parsing import ParseError
from scraper.sources.nccaom import parse_search
from tests.sites.nccaom import (
    NccaomSite,
    offline,
    render_card,
    render_search,
    search_path,
)
from tests.sites.nccaom_data import (
    CARDS_PER_PAGE,
    STATES,
    Diplomate,
    display_order_key,
    generate_diplomates,
)
from tests.sites.nppes_data import XSS_TEXT, generate_providers, primary_location
from tests.sites.serve import banner, start_all
from tests.sites.server import Request, SiteServer, fetch

from .conftest import FIXTURES

N = 2000  # NPPES providers: ~800 diplomates, CA on 21 pages, WA on 3
SAVED_SEARCH = FIXTURES / "nccaom" / "nccaom_fap_search_state_wa_page1.html"
SAVED_PROFILE = FIXTURES / "nccaom" / "nccaom_fap_practitioner_profile_willow_hammer.html"
PROFILE_ID = re.compile(r"[A-Za-z0-9_-]{11}=")


def saved(path) -> str:
    with open(path, encoding="utf-8", newline="") as file:
        return file.read()


@pytest.fixture(scope="module")
def providers() -> list[dict]:
    return generate_providers(N)


@pytest.fixture(scope="module")
def data(providers):
    return generate_diplomates(providers)


@pytest.fixture(scope="module")
def stand_in(data):
    site = NccaomSite(data)
    with SiteServer() as server:
        server.add_site("/FAP/", site)
        yield server, site


@pytest.fixture
def server(stand_in) -> SiteServer:
    server, site = stand_in
    server.reset_log()
    yield server
    site.challenge, site.broken_markup = None, False
    assert server.errors == []


@pytest.fixture
def site(stand_in) -> NccaomSite:
    return stand_in[1]


def get(server: SiteServer, path: str) -> tuple[int, object, str]:
    status, headers, body = fetch(server.url + path)
    return status, headers, body.decode("utf-8")


def search(server: SiteServer, state: str, page_no: int):
    path = search_path(state, page_no)
    status, headers, text = get(server, path)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    return parse_search(text, server.url + path), text


def card_fields(diplomate: Diplomate) -> tuple:
    """What parse_search should read off the diplomate's card."""
    d = diplomate
    return (d.profile_id, d.name, d.name_credentials, "Certified Diplomate", d.gender, d.phone,
            d.website, d.card_address, d.street, d.city, d.state, "USA", d.certificate_titles)


def parsed_fields(c) -> tuple:
    return (c.profile_id, c.name, c.name_credentials, c.status, c.gender, c.phone, c.website,
            c.address, c.street, c.city, c.state, c.country, c.certificates)


# -- the saved real page, rebuilt ------------------------------------------------------------


def saved_cards(text: str) -> list[dict]:
    """The values of the saved page's cards, read with regular expressions, not the parser."""
    cards = []
    for block in text.split('<div class="result-card__item">')[1:]:
        link = re.search(r'AgencyClientId=([^"]+)" title="View the profile of ([^"]*)"> ', block)
        site = re.search(r"<span>([^<]*)</span>\s*<a href=\"([^\"]*)\"", block)
        address = re.search(r'<em id="addressdata_(\d+)">([^<]*)</em>', block)
        cards.append({
            "index": int(address[1]), "profile_id": link[1], "name": html.unescape(link[2]),
            "gender": re.search(r"Certified Diplomate \| (\w+)</p>", block)[1],
            "phone": re.search(r"<em>([^<]*)</em>", block)[1],
            "website_text": site[1] if site else None, "website": site[2] if site else None,
            "address": html.unescape(address[2]),
            "certificates": re.findall(r'<p class="copy">(\w+) Certification</p>', block),
        })
    return cards


def test_the_saved_page_is_rebuilt_byte_for_byte():
    text = saved(SAVED_SEARCH)
    cards = saved_cards(text)
    assert [card["index"] for card in cards] == list(range(1, 21))
    rebuilt = render_search("WA", 1, 789, 40, "".join(render_card(**card) for card in cards))
    assert rebuilt == offline(text)
    # Only scripts loaded from other hosts were pointed at the stand-in.
    assert offline(text).count("/offline/") == 3 == text.count('src="https://')


def test_the_order_is_the_saved_pages_order():
    names = re.findall(r'title="View the profile of ([^"]*)"', saved(SAVED_SEARCH))
    assert names == sorted(names, key=display_order_key, reverse=True)
    assert names != sorted(names, reverse=True)  # a plain comparison would not do


# -- results pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES)
def test_paging_lists_every_diplomate_of_a_state_once_in_order(server, data, state):
    listed = data.by_state[state]
    last_page = math.ceil(len(listed) / CARDS_PER_PAGE)
    seen = []
    for page_no in range(1, last_page + 1):
        page, _ = search(server, state, page_no)
        assert (page.total, page.last_page) == (len(listed), last_page)
        assert len(page.certifications) == (
            CARDS_PER_PAGE if page_no < last_page else len(listed) - CARDS_PER_PAGE * (last_page - 1))
        seen += page.certifications
    assert [parsed_fields(c) for c in seen] == [card_fields(d) for d in listed]
    assert len({c.profile_id for c in seen}) == len(listed)
    assert all(c.profile_url == server.url + d.profile_path for c, d in zip(seen, listed, strict=True))


def test_a_page_shows_the_state_and_its_place(server, data):
    last = data.last_page("CA")
    for page_no, prev_disabled, next_disabled in ((1, True, False), (2, False, False),
                                                  (last, False, True)):
        _, text = search(server, "CA", page_no)
        soup = BeautifulSoup(text, "lxml")
        assert soup.select_one("#hdnStateCode")["value"] == "CA"
        assert "StateCode=CA&" in soup.select_one(".sort-up a")["href"]
        assert "$('#StateCode').val('CA');" in text
        assert ("pagination__disable" in soup.select_one("#pagination__prevId")["class"]) \
            is prev_disabled
        assert ("pagination__disable" in soup.select_one("#pagination__nextId")["class"]) \
            is next_disabled
        ids = [a["id"] for a in soup.select(".result-card__item em[id]")]
        assert ids == [f"addressdata_{i}" for i in range(1, len(ids) + 1)]


def test_past_the_last_page_no_cards_and_the_same_counts(server, data):
    last = data.last_page("WA")
    status, _, text = get(server, search_path("WA", last + 1))
    soup = BeautifulSoup(text, "lxml")
    assert status == 200 and soup.select(".result-card__item") == []
    assert soup.select_one("#hdnlastpage")["value"] == str(last)
    assert f"{data.count('WA')} Practitioners found" in text
    with pytest.raises(ParseError):  # the parser demands cards when the count is not 0
        parse_search(text, server.url + search_path("WA", last + 1))


@pytest.mark.parametrize("path", [
    search_path("NJ", 1), search_path("ZZ", 1), search_path("NJ", 3),
    "/FAP/SearchResultWithoutMap?SearchType=2&PageNo=1",
    "/FAP/SearchResultWithoutMap?StateCode=%3Cscript%3E&SearchType=2",
    "/FAP/SearchResultWithoutMap?StateCode=WA&SearchType=3&PageNo=1",
])
def test_nobody_listed_answers_zero_found_and_last_page_0(server, path):
    status, _, text = get(server, path)
    page = parse_search(text, server.url + path)
    assert (status, page.total, page.last_page, page.certifications) == (200, 0, 0, [])
    assert "0 Practitioners found" in text and "<script>'" not in text


def test_page_number_and_parameter_spellings(server, data):
    first = [d.profile_id for d in data.page("OR", 1)]
    for path in ("/FAP/SearchResultWithoutMap?StateCode=OR&SearchType=2",
                 "/FAP/SearchResultWithoutMap?StateCode=OR&SearchType=2&PageNo=0",
                 "/FAP/SearchResultWithoutMap?StateCode=OR&SearchType=2&PageNo=x",
                 "/FAP/searchresultwithoutmap?statecode=or&searchtype=2&pageno=1"):
        status, _, text = get(server, path)
        assert status == 200
        assert [c.profile_id for c in parse_search(text, server.url + path).certifications] == first


def test_names_are_escaped(server, data):
    marked = next(d for d in data.by_state["WA"] if XSS_TEXT in d.name)
    page_no = data.by_state["WA"].index(marked) // CARDS_PER_PAGE + 1
    page, text = search(server, "WA", page_no)
    assert XSS_TEXT not in text and html.escape(XSS_TEXT) in text
    assert marked.name in [c.name for c in page.certifications]


def test_the_website_text_is_cut_as_the_real_page_does(server, data):
    long = next(d for d in data.by_state["CA"] if d.website and len(d.website) > 40)
    short = next(d for d in data.by_state["CA"] if d.website and len(d.website) < 35)
    for d in (long, short):
        page_no = data.by_state["CA"].index(d) // CARDS_PER_PAGE + 1
        _, text = search(server, "CA", page_no)
        card = BeautifulSoup(text, "lxml").find("a", href=d.profile_path).find_parent(
            class_="result-card__item")
        shown = card.select_one(".icon-globe").find_next("span").get_text()
        bare = re.sub(r"^https?://", "", d.website)
        assert shown == (bare[:30] + " ..." if len(bare) > 30 else bare)


def test_conditional_requests_get_304(server):
    path = search_path("TX", 1)
    _, headers, _ = get(server, path)
    status, _, body = fetch(server.url + path, {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")


# -- profile pages ---------------------------------------------------------------------------


def test_profile_pages(server, data):
    picks = [
        next(d for d in data.diplomates if d.website and len(d.certificates) > 1),
        next(d for d in data.diplomates if d.phone is None and d.website is None),
        next(d for d in data.diplomates if d.cosmetic),
        next(d for d in data.diplomates if d.name_credentials),
        next(d for d in data.diplomates if XSS_TEXT in d.name),
    ]
    head, tail = (offline(part) for part in saved(SAVED_PROFILE).split("<main>\n"))
    tail = tail.split("</main>\n", 1)[1]
    for d in picks:
        status, headers, text = get(server, d.profile_path)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert text.startswith(head) and text.endswith(tail)
        soup = BeautifulSoup(text, "lxml")
        assert soup.select_one(".content__text h2").get_text() == d.display_name
        assert " ".join(soup.select_one(".content__text h6").get_text().split()) == (
            ", ".join(f"{t} (NCCAOM)®" for t in (
                {"AC": "Dipl. Ac.", "CH": "Dipl. C.H.", "OM": "Dipl. O.M.", "ABT": "Dipl. ABT"}[c]
                for c in d.certificates)) + f" | {d.gender}")
        shown = [em.get_text() for em in soup.select(".addressinfo__item em")]
        assert shown[:2] == [d.profile_address, d.phone or "Not Available"]
        link = soup.select_one(".addressinfo__item a[href]")
        assert (link["href"] if link else None) == d.website
        assert [li.get_text(strip=True) for li in soup.select(".detail-education__health li")] \
            == list(d.conditions)
        assert [li.get_text(strip=True) for li in soup.select(".detail-education__tags li")] \
            == list(d.languages)
        assert len(soup.select(".certificate-item")) == len(d.certificates)
        assert XSS_TEXT not in text
        assert d.state in shown[0] and d.postal_code in shown[0]


@pytest.mark.parametrize("path", [
    "/FAP/PractitionerDetail?AgencyClientId=AAAAAAAAAAA=",
    "/FAP/PractitionerDetail",
    "/FAP/",
    "/FAP/SearchPractitioners",
])
def test_unknown_profiles_and_pages_are_404(server, path):
    status, headers, text = get(server, path)
    assert (status, headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert "not" in text.lower()


def test_methods_other_than_get_are_refused(site):
    answer = site.handle(Request("POST", "/FAP/SearchResultWithoutMap", {}, {}))
    assert (answer.status, answer.headers["Allow"]) == (405, "GET, HEAD")


# -- bot challenges and a changed page -------------------------------------------------------


def test_cloudflare_challenge(server, site, data):
    site.challenge = "cloudflare"
    before = site.challenged_requests
    for path in (search_path("WA", 1), data.diplomates[0].profile_path, "/FAP/anything"):
        status, headers, body = fetch(server.url + path)
        assert status == 403
        assert headers["cf-mitigated"] == "challenge"
        assert "cloudflare" in headers.get_all("Server")
        assert b"<title>Just a moment...</title>" in body
        assert b"/cdn-cgi/challenge-platform/" in body
        assert detect_challenge(status, httpx.Headers(headers.items()), body)
    assert site.challenged_requests == before + 3
    assert fetch(server.url + "/robots.txt")[0] == 200  # served by the server, not the site
    site.challenge = None
    assert get(server, search_path("WA", 1))[0] == 200
    assert site.challenged_requests == before + 3


def test_turnstile_challenge(server, site):
    site.challenge = "turnstile"
    before = site.challenged_requests
    status, headers, body = fetch(server.url + search_path("WA", 1))
    assert status == 200 and "cloudflare" in headers.get_all("Server")
    assert b'class="cf-turnstile"' in body
    assert b"https://challenges.cloudflare.com/turnstile/v0/api.js" in body
    assert detect_challenge(status, httpx.Headers(headers.items()), body) == \
        "Cloudflare Turnstile widget"
    with pytest.raises(ParseError):
        parse_search(body.decode(), server.url + search_path("WA", 1))
    assert site.challenged_requests == before + 1


def test_normal_pages_are_not_taken_for_a_challenge(server, data):
    for path in (search_path("WA", 1), search_path("NJ", 1), data.diplomates[0].profile_path):
        status, headers, body = fetch(server.url + path)
        assert detect_challenge(status, httpx.Headers(headers.items()), body) is None


def test_unknown_challenge_kind_is_refused(site):
    with pytest.raises(ValueError):
        site.challenge = "captcha"


def test_broken_markup_fails_the_parser_loudly(server, site):
    site.broken_markup = True
    status, _, text = get(server, search_path("WA", 1))
    assert status == 200 and "result-card__entry" in text
    with pytest.raises(ParseError, match="result-card__item"):
        parse_search(text, server.url + search_path("WA", 1))
    site.broken_markup = False
    assert len(search(server, "WA", 1)[0].certifications) == CARDS_PER_PAGE


# -- the data --------------------------------------------------------------------------------


def test_the_data_is_deterministic(providers, data):
    again = generate_diplomates(list(reversed(providers)))
    assert again.diplomates == data.diplomates and again.truth == data.truth
    other = generate_diplomates(providers, seed=7)
    assert not set(other.truth) & set(data.truth)
    assert render_search("WA", 1, 1, 1, "") == render_search("WA", 1, 1, 1, "")


def test_overlap_with_nppes(providers, data):
    by_npi = {p["number"]: p for p in providers}
    individuals = [p for p in providers if p["enumeration_type"] == "NPI-1"
                   and primary_location(p)["state"] in STATES]
    known = [d for d in data.diplomates if d.npi is not None]
    assert set(data.truth) == {d.profile_id for d in data.diplomates}
    assert all(data.truth[d.profile_id] == d.npi for d in data.diplomates)
    for d in known:
        provider = by_npi[d.npi]
        location = primary_location(provider)
        assert provider["enumeration_type"] == "NPI-1"
        assert (location["state"], location["city"]) == (d.state, d.city.upper())
        assert d.postal_code.replace("-", "") == location["postal_code"]
        assert d.phone in (None, location["telephone_number"])
        assert d.name.split()[-1].casefold() == provider["basic"]["last_name"].split()[-1].casefold()
        assert d.gender[0] == provider["basic"]["gender"]
    assert len({d.npi for d in known}) == len(known)
    names = {(p["basic"]["first_name"].casefold(), p["basic"]["last_name"].casefold(), a["state"])
             for p in providers if p["enumeration_type"] == "NPI-1"
             for a in p["addresses"] + p["practiceLocations"]}
    strangers = [d for d in data.diplomates if d.npi is None]
    assert not [d for d in strangers
                if (d.name.split()[0].casefold(), d.name.split()[-1].casefold(), d.state) in names]
    assert 0.45 < len(known) / len(individuals) < 0.65
    assert 0.05 < (len(data.diplomates) - len(known)) / len(known) < 0.15


def test_the_mix_of_listings(data):
    everyone = data.diplomates
    share = lambda test: sum(map(test, everyone)) / len(everyone)  # noqa: E731
    assert all(PROFILE_ID.fullmatch(d.profile_id) for d in everyone)
    assert 0.30 < share(lambda d: d.website is not None) < 0.50
    assert all(d.website.split("/")[2].endswith("acupuncture.example")
               for d in everyone if d.website)
    assert 0.10 < share(lambda d: d.phone is None) < 0.20
    assert 0.02 < share(lambda d: d.name_credentials is not None) < 0.09
    assert 0.10 < share(lambda d: d.cosmetic) < 0.20
    assert {d.gender for d in everyone} == {"Female", "Male"}
    certificates = Counter(frozenset(d.certificates) for d in everyone)
    assert all(certificates) and set().union(*certificates) == {"AC", "CH", "OM", "ABT"}
    assert share(lambda d: "ABT" in d.certificates) < 0.10
    assert set(data.by_state) == set(STATES)


def test_start_all_mounts_the_directory():
    server, sites = start_all(n=300)
    try:
        data = sites["nccaom_data"]
        assert isinstance(sites["nccaom"], NccaomSite) and sites["nccaom"].data is data
        state = max(STATES, key=data.count)
        status, _, text = get(server, search_path(state, 1))
        page = parse_search(text, server.url + search_path(state, 1))
        assert (status, page.total) == (200, data.count(state))
        assert any(line.startswith("NCCAOM stand-in: ") and line.endswith(search_path("WA", 1))
                   for line in banner(server, sites))
    finally:
        server.stop()
