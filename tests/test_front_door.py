"""The front door (issue 13): the home page's one form and its results at /-/find, through
Datasette in-process (make_datasette), over a small database written here with the project's
schema, so that every distance, standing and claim is known; and the search index
(scraper/search_index.py): place parsing, the specialty vocabulary as synonyms, ranking,
escaping, and the form working without JavaScript. The browser tests (tests/test_browser.py)
drive the same pages in Chromium over the scraped stand-ins.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup

from db.migrations import open_db
from publish.app import make_datasette
from scraper.geo import zip_point
from scraper.search_index import (
    TABLE,
    PlaceError,
    build_search_index,
    matched_tags,
    read_place,
    read_query,
)
from scraper.standing import LABELS
from tests.sites.nppes_data import XSS_TEXT

DB = "fd"
AT = "2026-12-01T00:00:00Z"
WA_VERIFY = "https://fortress.wa.gov/doh/providercredentialsearch/"
GOOD = "In good standing per the WA board, checked 2026-12-01"
# (id, name, practice, zip, city, state, standing, reason, {tag: claim}, website, verify_url)
PEOPLE = [
    ("npi:1000000001", "Mei Lin", None, "98101", "SEATTLE", "WA", "good", GOOD,
     {"facial acupuncture": "We offer cosmetic acupuncture for fine lines."},
     "https://meilin.example/", WA_VERIFY),
    ("npi:1000000002", "Rosa Park", None, "98004", "BELLEVUE", "WA", "good", GOOD,
     {"facial acupuncture": "Facial rejuvenation acupuncture, Mei Zen trained."}, None, WA_VERIFY),
    ("npi:1000000003", "Sam Okafor", None, "98109", "SEATTLE", "WA", "expired",
     "The WA board lists the license active, but it expired on 2026-06-08",
     {"facial acupuncture": "Cosmetic facial acupuncture by appointment."}, None, WA_VERIFY),
    ("npi:1000000004", "Tom Nguyen", None, "98402", "TACOMA", "WA", "good", GOOD,
     {"facial acupuncture": "We do facial acupuncture."}, None, WA_VERIFY),
    ("npi:1000000005", "Lee Brown", None, "98104", "SEATTLE", "WA", "good", GOOD,
     {"pain": "We treat facial pain and migraines."}, None, WA_VERIFY),
    ("npi:1000000006", f"Eve {XSS_TEXT}", None, "98101", "SEATTLE", "WA", "good", GOOD,
     {"facial acupuncture": f"Facial acupuncture {XSS_TEXT} daily."}, "javascript:alert(1)",
     "javascript:alert(2)"),
    ("npi:1000000007", "Fern Adams", None, "97205", "PORTLAND", "OR", "self-reported",
     "No board data for OR: the license shown is what the practitioner reported to NPPES, "
     "not checked", {"fertility": "IVF support and reproductive health."}, None, None),
    ("npi:1000000008", "Julia Sullivan", None, "98033", "KIRKLAND", "WA", "good", GOOD, {},
     None, WA_VERIFY),
    ("npi:1000000009", "Ana Diaz", "Sullivan Street Acupuncture", "98115", "SEATTLE", "WA",
     "good", GOOD, {"digestive health": "Acupuncture for acne and digestion."}, None,
     WA_VERIFY),
    ("npi:1000000010", "Gone Person", None, "98101", "SEATTLE", "WA", "good", GOOD,
     {"facial acupuncture": "We offer facial acupuncture."}, None, WA_VERIFY),
]
GONE = {"npi:1000000010"}


def _write(path: Path) -> Path:
    db = open_db(path)
    with db.conn:
        for (pid, name, practice, zip5, city, state, standing, reason, claims, website,
             verify) in PEOPLE:
            lat, lon = zip_point(zip5)
            npi = pid.split(":")[1]
            db.table("practitioners").insert({
                "practitioner_id": pid, "display_name": name, "practice_name": practice,
                "address": "100 MAIN ST, STE 3", "city": city, "state": state, "zip": zip5,
                "latitude": lat, "longitude": lon, "phone": "206-555-0100", "npi": npi,
                "certified": 1 if npi.endswith("1") else 0, "standing": standing,
                "standing_reason": reason, "standing_as_of": AT[:10] if verify else None,
                "specialties": None, "gone_at": AT if pid in GONE else None, "source": "link",
            })
            db.table("providers").insert({"npi": npi, "display_name": name, "website": website,
                                          "source": "nppes-api", "enumeration_type": "NPI-1"})
            db.table("practitioner_links").insert({
                "record_table": "providers", "record_id": npi, "practitioner_id": pid,
                "rule": "self", "confidence": 1.0})
            if verify:
                license_id = f"{state}:AC:{npi}"
                db.table("licenses").insert({
                    "license_id": license_id, "jurisdiction": state, "license_type": "AC",
                    "license_number": f"AC{npi[-4:]}", "display_name": name,
                    "status_normalized": "active", "verify_url": verify, "source": "wa-doh"})
                db.table("practitioner_links").insert({
                    "record_table": "licenses", "record_id": license_id, "practitioner_id": pid,
                    "rule": "license-number", "confidence": 0.99})
            if npi.endswith("1"):
                db.table("certifications").insert({
                    "profile_id": f"p{npi}", "name": name, "certificates": "Dipl. Ac., Dipl. C.H.",
                    "source": "nccaom"})
                db.table("practitioner_links").insert({
                    "record_table": "certifications", "record_id": f"p{npi}",
                    "practitioner_id": pid, "rule": "name-city", "confidence": 0.7})
            for tag, snippet in claims.items():
                db.table("specialty_tags").insert({
                    "tag_id": f"{pid}:{tag}", "practitioner_id": pid, "tag": tag,
                    "record_table": "websites", "record_id": "x", "snippet": snippet,
                    "evidence_url": "https://example.org/", "tagged_at": AT})
    db.execute("begin")
    build_search_index(db)
    db.execute("commit")
    db.close()
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return _write(tmp_path_factory.mktemp("front-door") / f"{DB}.db")


def get(site: Path, *paths: str):
    async def go():
        ds = make_datasette(site)
        await ds.invoke_startup()
        return [await ds.client.get(path) for path in paths]

    responses = asyncio.run(go())
    return responses[0] if len(paths) == 1 else responses


def find(site: Path, **params) -> BeautifulSoup:
    params.setdefault("where", "")
    response = get(site, "/-/find?" + urlencode(params))
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "html.parser")


def names(page: BeautifulSoup) -> list[str]:
    return [a.get_text() for a in page.select("li.result h2 a.practitioner")]


def distances(page: BeautifulSoup) -> list[float]:
    return [float(li["data-distance"]) for li in page.select("li.result")]


# --- what a person typed -------------------------------------------------------------------------

@pytest.mark.parametrize("what,words,label", [
    ("facial 98101", ["facial"], "98101 (Seattle, WA)"),
    ("facial near 98101-1234", ["facial"], "98101 (Seattle, WA)"),
    ("cosmetic acupuncture near Seattle, WA", ["cosmetic"], "Seattle, WA"),
    ("fertility seattle wa", ["fertility"], "Seattle, WA"),
    ("fertility Seattle, Washington", ["fertility"], "Seattle, WA"),
    ("mei zen west palm beach fl", ["mei", "zen"], "West Palm Beach, FL"),
    ("pain st. louis mo", ["pain"], "Saint Louis, MO"),
    ("acupuncture near me in Portland OR", [], "Portland, OR"),
    ("julia sullivan", ["julia", "sullivan"], None),
    ("acupuncture near me", [], None),  # "me" is not Maine: no city "near" there
    ("lee in seattle", ["lee", "seattle"], None),  # a city without its state stays a word
])
def test_the_place_is_taken_out_of_the_words(what, words, label):
    query = read_query(what)
    assert query.words == words
    assert (query.place.label if query.place else None) == label
    assert query.problem is None


def test_the_where_field_takes_a_zip_a_city_or_a_state():
    assert read_place("98101").label == "98101 (Seattle, WA)"
    assert read_place(" seattle ,  wa ").label == "Seattle, WA"
    assert read_place("New York NY").label == "New York, NY"
    assert read_place("Seattle").label == "Seattle, WA"  # one state has a Seattle
    washington = read_place("Washington")
    assert (washington.kind, washington.state, washington.has_point) == ("state", "WA", False)
    with pytest.raises(PlaceError, match="ZIP code 00000"):
        read_place("00000")
    with pytest.raises(PlaceError, match="city called Springfeld in Illinois"):
        read_place("Springfeld, IL")
    with pytest.raises(PlaceError, match="Portland in .* states") as ambiguous:
        read_place("Portland")
    assert ambiguous.value.suggestions[:2] == ["Portland, OR", "Portland, ME"]
    with pytest.raises(PlaceError, match="don't know the place Atlantis"):
        read_place("Atlantis")


def test_miles_words_and_the_last_word_as_a_prefix():
    query = read_query("facial within 25 miles of 98101")
    assert (query.words, query.miles, query.place.kind) == (["facial"], 25.0, "zip")
    assert read_query("lee par").prefix_last is True
    assert read_query("lee par ").prefix_last is False
    assert read_query("facial 98101").prefix_last is False  # "facial" was followed by more
    assert read_query("lee par").fts() == '"lee" AND "par"*'
    # a word of the specialty vocabulary is looked for in names and specialties, not claims
    assert read_query("facial ").fts() == '{name practice city specialties} : "facial"'
    assert read_query('a"b OR c').fts(any_word=True) == '"a""b" OR "c"*'  # never an operator
    assert read_query("").fts() is None
    where_wins = read_query("facial 98402", "98101")
    assert (where_wins.words, where_wins.place.label) == (["facial"], "98101 (Seattle, WA)")


def test_matched_tags_say_which_claims_the_words_found():
    tags = {"facial acupuncture": "We offer facial rejuvenation.", "pain": "Back pain and acne."}
    assert matched_tags(["cosmetic"], tags) == ["facial acupuncture"]
    assert matched_tags(["acne"], tags) == ["pain"]
    assert matched_tags(["fertil"], {"fertility": None}, prefix_last=True) == ["fertility"]
    assert matched_tags(["julia"], tags) == []


# --- the index ------------------------------------------------------------------------------------

def test_the_index_holds_live_practitioners_and_is_rebuilt_like_a_cache(site, tmp_path):
    path = _write(tmp_path / "again.db")
    db = open_db(path)
    live = len(PEOPLE) - len(GONE)
    assert db.execute(f"select count(*) from {TABLE}_docsize").fetchone()[0] == live
    db.execute("update practitioners set gone_at = ? where practitioner_id = 'npi:1000000001'",
               [AT])
    db.execute("begin")
    assert build_search_index(db) == live - 1
    db.execute("commit")
    assert db.execute(f"select rowid from {TABLE} where {TABLE} match 'lin'").fetchall() == []
    db.close()
    # Datasette hides it, as it hides every full-text table
    tables = get(site, f"/{DB}.json").json()["tables"]
    assert all(t["hidden"] for t in tables if t["name"].startswith(TABLE))


def test_link_all_rebuilds_the_index(memdb):
    from scraper.link import link_all

    link_all(memdb, None, AT)
    assert memdb.execute(f"select count(*) from {TABLE}").fetchone()[0] == 0
    assert TABLE in memdb.table_names()


# --- the search ---------------------------------------------------------------------------------

def test_facial_near_a_zip_in_good_standing_nearest_first(site):
    page = find(site, q="facial", where="98101", miles="10", good="1")
    assert names(page) == [f"Eve {XSS_TEXT}", "Mei Lin", "Rosa Park"]
    assert distances(page) == sorted(distances(page)) and distances(page)[0] == 0
    assert {li["data-standing"] for li in page.select("li.result")} == {"good"}
    summary = page.select_one("p.summary").get_text()
    assert summary == ("3 practitioners in good standing matching “facial” within 10 miles of "
                       "98101 (Seattle, WA), nearest first.")
    # the whole standing filter: the expired one shows when the box is not checked
    everyone = find(site, q="facial", where="98101", miles="10")
    assert names(everyone) == [f"Eve {XSS_TEXT}", "Mei Lin", "Sam Okafor", "Rosa Park"]
    expired = everyone.select_one('li[data-practitioner-id="npi:1000000003"]')
    assert LABELS["expired"] in expired.select_one(".standing-label").get_text()
    assert "expired on 2026-06-08" in expired.select_one(".standing").get_text()
    # farther, with a wider circle
    assert "Tom Nguyen" in names(find(site, q="facial", where="98101", miles="50", good="1"))


def test_the_place_typed_among_the_words_is_the_place(site):
    assert names(find(site, q="facial 98101", good="1")) == [
        f"Eve {XSS_TEXT}", "Mei Lin", "Rosa Park"]
    assert names(find(site, q="facial near Seattle, WA", good="1", miles="5")) == [
        f"Eve {XSS_TEXT}", "Mei Lin"]
    # words that are only a place: everyone near it, nearest first
    page = find(site, q="acupuncture near 98101", miles="5")
    assert names(page) == [f"Eve {XSS_TEXT}", "Mei Lin", "Lee Brown", "Sam Okafor"]  # 0-1.8 mi
    assert distances(page) == sorted(distances(page))


def test_synonyms_and_claims_find_what_people_type(site):
    facial = {f"Eve {XSS_TEXT}", "Mei Lin", "Rosa Park", "Tom Nguyen", "Sam Okafor"}
    assert set(names(find(site, q="cosmetic acupuncture"))) == facial
    assert set(names(find(site, q="facial"))) == facial  # not Lee Brown's "facial pain"
    assert set(names(find(site, q="mei zen"))) == facial
    assert names(find(site, q="ivf")) == ["Fern Adams"]
    assert names(find(site, q="acne")) == ["Ana Diaz"]  # a word of a claim sentence
    assert names(find(site, q="migraine")) == ["Lee Brown"]  # the pain tag's vocabulary
    # the claim that matched is quoted, linked to its sentence on the practitioner page
    card = find(site, q="cosmetic").select_one('li[data-practitioner-id="npi:1000000001"]')
    claim = card.select_one('blockquote.claim[data-tag="facial acupuncture"]')
    assert "We offer cosmetic acupuncture for fine lines." in claim.get_text()
    assert claim.a["href"] == f"/{DB}/practitioners/npi~3A1000000001#specialty-facial-acupuncture"


def test_ranking_puts_a_name_before_a_practice_and_the_place_first(site):
    assert names(find(site, q="sullivan")) == ["Julia Sullivan", "Ana Diaz"]
    assert names(find(site, q="julia sullivan"))[0] == "Julia Sullivan"
    assert names(find(site, q="lee bro")) == ["Lee Brown"]  # the last word as a prefix
    # no one matches every word: those matching some of them, said so
    page = find(site, q="julia xyzzy")
    assert names(page) == ["Julia Sullivan"]
    assert "matches every word" in page.select_one(".found").get_text()


def test_a_state_alone_is_everyone_in_it(site):
    assert names(find(site, where="Oregon")) == ["Fern Adams"]
    assert names(find(site, q="fertility", where="OR")) == ["Fern Adams"]


@pytest.mark.parametrize("params,message", [
    ({"q": "facial", "where": "00000"}, "We don't know the ZIP code 00000"),
    ({"q": "facial 00000"}, "We don't know the ZIP code 00000"),
    ({"q": "facial", "where": "Springfeld, IL"}, "We don't know a city called Springfeld"),
    ({"q": "", "where": ""}, "Type a name, a specialty"),
    ({"q": "acupuncture near me"}, "Type a name, a specialty"),
])
def test_a_place_or_a_search_that_cannot_be_read_is_said(site, params, message):
    page = find(site, **params)
    problem = page.select_one('.problem[role="alert"]')
    assert problem is not None and message in problem.get_text()
    assert not page.select("li.result")


def test_an_ambiguous_city_offers_the_places_it_could_be(site):
    page = find(site, q="facial", where="Portland", miles="25", good="1")
    links = page.select(".problem a.suggestion")
    assert [a.get_text() for a in links][:2] == ["Portland, OR", "Portland, ME"]
    query = parse_qs(urlsplit(links[0]["href"]).query)
    assert query == {"q": ["facial"], "where": ["Portland, OR"], "miles": ["25"], "good": ["1"]}


def test_nobody_found_offers_wider_searches(site):
    page = find(site, q="ivf", where="98101", miles="10", good="1")
    assert page.select_one("p.summary").get_text().startswith("0 practitioners")
    hints = [a.get_text() for a in page.select(".hints a")]
    assert hints == ["within 25 miles", "include everyone, whatever their standing",
                     "everyone near 98101 (Seattle, WA)"]


# --- the cards ------------------------------------------------------------------------------------

def test_a_card_says_who_where_how_to_call_and_how_we_know(site):
    card = find(site, q="mei lin", good="1").select_one("li.result")
    assert card.select_one("a.practitioner")["href"] == f"/{DB}/practitioners/npi~3A1000000001"
    assert card.select_one(".address").get_text() == "100 Main St, Ste 3, Seattle, WA 98101"
    assert card.select_one(".phone a")["href"] == "tel:+12065550100"
    website = card.select_one("a.website")
    assert website["href"] == "https://meilin.example/"
    assert website["rel"] == ["nofollow", "noopener", "noreferrer"]
    assert card.select_one(".standing-label").get_text() == LABELS["good"]
    assert card.select_one(".standing-reason").get_text() == "per the WA board, checked 2026-12-01"
    assert card.select_one(".certification").get_text() == "NCCAOM certified: Dipl. Ac., Dipl. C.H."
    verify = card.select_one("a.verify")
    assert verify["href"] == WA_VERIFY and verify.get_text() == "Verify with the WA board"
    assert verify["rel"] == ["nofollow", "noopener", "noreferrer"]
    specialty = card.select_one('li.specialty[data-tag="facial acupuncture"] a')
    assert specialty["href"].endswith("/practitioners/npi~3A1000000001#specialty-facial-acupuncture")


def test_self_reported_standing_shows_without_a_board_link(site):
    card = find(site, q="fern").select_one("li.result")
    assert card["data-standing"] == "self-reported"
    assert card.select_one(".standing-label").get_text() == LABELS["self-reported"]
    assert "No board data for OR" in card.select_one(".standing-reason").get_text()
    assert not card.select("a.verify")


def test_scraped_markup_is_text_and_only_http_links_are_links(site):
    response = get(site, "/-/find?" + urlencode({"q": f"eve {XSS_TEXT}", "where": ""}))
    assert XSS_TEXT not in response.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    page = BeautifulSoup(response.text, "html.parser")
    card = page.select_one('li[data-practitioner-id="npi:1000000006"]')
    assert XSS_TEXT in card.select_one("a.practitioner").get_text()  # shown as text
    assert not card.select("a.website") and not card.select("a.verify")
    assert not [a for a in page.select("a[href]") if a["href"].lower().startswith("javascript")]
    assert page.select_one("#find-q")["value"] == f"eve {XSS_TEXT}"  # the form, filled in
    assert not page.find_all("script", string=re.compile("alert"))


# --- the form, without JavaScript ---------------------------------------------------------------

def _submit(site: Path, page: BeautifulSoup, **typed) -> BeautifulSoup:
    """What a browser without JavaScript sends: every named field of the form, as filled."""
    form = page.select_one("form.find")
    assert form["method"] == "get"
    fields: list[tuple[str, str]] = []
    for element in form.select("input[name], select[name]"):
        name = element["name"]
        if element.name == "select":
            option = element.select_one("option[selected]") or element.select_one("option")
            fields.append((name, typed.get(name, option["value"])))
        elif element.get("type") == "checkbox":
            if typed.get(name, element.has_attr("checked")):
                fields.append((name, element["value"]))
        else:
            fields.append((name, typed.get(name, element.get("value", ""))))
    response = get(site, form["action"] + "?" + urlencode(fields))
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


def test_the_home_page_opens_on_one_form_that_works_without_javascript(site):
    home = BeautifulSoup(get(site, "/").text, "html.parser")
    forms = home.select("form")
    assert len(forms) == 1 and forms[0]["action"] == "/-/find"
    assert home.select_one("#find-miles option[selected]")["value"] == "10"
    assert home.select_one("#find-good").has_attr("checked")  # good standing only, by default
    assert not home.select("script[src]")
    page = _submit(site, home, q="facial", where="98101")
    assert names(page) == [f"Eve {XSS_TEXT}", "Mei Lin", "Rosa Park"]
    # the same form, filled in as submitted; unchecking the box is kept
    assert page.select_one("#find-q")["value"] == "facial"
    assert page.select_one("#find-where")["value"] == "98101"
    assert page.select_one("#find-good").has_attr("checked")
    unchecked = _submit(site, page, good=False)
    assert not unchecked.select_one("#find-good").has_attr("checked")
    assert "Sam Okafor" in names(unchecked)
    wider = _submit(site, unchecked, miles="50")
    assert wider.select_one("#find-miles option[selected]")["value"] == "50"
    assert "Tom Nguyen" in names(wider)


def test_the_rest_of_the_site_is_linked_below_the_form(site):
    home = BeautifulSoup(get(site, "/").text, "html.parser")
    links = {a["href"] for a in home.select(".browse a")}
    assert {f"/{DB}/practitioners", f"/{DB}/licenses", f"/{DB}/search", f"/{DB}/near_zip",
            f"/{DB}/facial_near_zip", f"/{DB}"} <= links
    assert not any(TABLE in href for href in links)  # the index is not a table to browse
    titles = [a.get_text() for a in home.select(".browse ul.tables a")]
    assert "Practitioners" in titles  # the metadata's titles


def test_bad_parameters_fall_back_to_defaults(site):
    page = find(site, q="facial", where="98101", miles="abc", good="1", page="-3")
    assert page.select_one("#find-miles option[selected]")["value"] == "10"
    assert names(page)
    capped = find(site, q="facial", where="98101", miles="100000", good="1")
    assert capped.select_one("#find-miles option[selected]")["value"] == "250"


def test_a_bare_find_page_shows_the_empty_form_checked(site):
    page = BeautifulSoup(get(site, "/-/find").text, "html.parser")
    assert page.select_one("#find-good").has_attr("checked")
    assert not page.select(".found")


def _plugin():
    """The front door's module as Datasette loaded it (from publish/plugins, by file name)."""
    from datasette.plugins import pm

    return next(p for p in pm.get_plugins() if getattr(p, "__name__", "") == "front_door.py")


def test_too_many_matches_to_rank_are_listed_unranked_and_said_so(site, monkeypatch):
    get(site, "/")  # loads the plugins
    monkeypatch.setattr(_plugin(), "RANKED_MAX", 2)
    page = find(site, q="facial")
    assert len(names(page)) == 5
    assert page.select_one("p.summary").get_text().endswith("as the index lists them.")
    assert "Add a place to see the nearest first" in page.select_one(".found").get_text()


def test_an_unfinished_last_word_near_a_place(site):
    # a prefix is expanded once into its matches, then crossed with the places near
    assert names(find(site, q="lee bro", where="98101", miles="5")) == ["Lee Brown"]
    assert names(find(site, q="sullivan juli", where="Kirkland, WA", miles="5")) == [
        "Julia Sullivan"]


def test_pages_of_results_follow_each_other(site, monkeypatch):
    get(site, "/")
    monkeypatch.setattr(_plugin(), "PAGE_SIZE", 2)
    everyone = ["Eve <script>alert(1)</script>", "Mei Lin", "Lee Brown", "Sam Okafor", "Ana Diaz",
                "Rosa Park"]  # within 6 miles of 98101, nearest first
    seen, page = [], find(site, q="acupuncture near 98101", miles="6")
    assert page.select_one("p.summary").get_text().startswith("Practitioners 1–2 ")
    while True:
        seen += names(page)
        more = page.select_one('a[rel="next"]')
        if more is None:
            break
        page = BeautifulSoup(get(site, more["href"]).text, "html.parser")
        assert page.select_one('a[rel="prev"]') is not None
    assert seen == everyone
    # the words that found someone on the first page are those of every page
    first = find(site, q="seattle xyzzy")
    assert len(names(first)) == 2 and "matches every word" in first.get_text()
    second = BeautifulSoup(get(site, first.select_one('a[rel="next"]')["href"]).text,
                           "html.parser")
    assert len(names(second)) == 2 and "matches every word" in second.get_text()
    assert not set(names(first)) & set(names(second))


def test_the_words_are_tried_whole_then_unfinished_then_any():
    assert read_query("lee par").attempts() == [
        ('"lee" AND "par"', False), ('"lee" AND "par"*', False), ('"lee" OR "par"*', True)]
    assert read_query("facial").attempts() == [
        ('{name practice city specialties} : "facial"', False)]
    assert read_query("").attempts() == [(None, False)]


def test_a_database_linked_before_the_index_existed_says_so(tmp_path):
    path = _write(tmp_path / "old.db")
    db = open_db(path)
    db.execute(f"drop table {TABLE}")
    db.execute(f"drop table {TABLE}_places")
    db.close()
    page = find(path, q="facial", where="98101")
    assert "search index is not built yet" in page.select_one(".problem").get_text()


@pytest.mark.parametrize("seek_cost", [0, 10**9])  # every match a seek / every match listed
def test_both_ways_of_crossing_words_and_places_agree(site, monkeypatch, seek_cost):
    get(site, "/")
    monkeypatch.setattr(_plugin(), "SEEK_COST", seek_cost)
    assert names(find(site, q="facial", where="98101", miles="10", good="1")) == [
        f"Eve {XSS_TEXT}", "Mei Lin", "Rosa Park"]
    assert names(find(site, q="migraine", where="Seattle, WA", miles="10")) == ["Lee Brown"]


def test_a_page_past_the_last_says_so():
    from publish.plugins.front_door import _summary

    class Query:
        words = ["facial"]

    class Form:
        good, miles = True, 10

    assert _summary(0, False, Form(), Query(), None, 3) == (
        "No more results: this page is past the last one.")
