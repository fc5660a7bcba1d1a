"""Issue 13, the published side: good standing everywhere, a readable practitioners table, and
canned queries that guide. In-process through datasette.client, over a small database written
row by row (every case in one place):

- the practitioner page says the standing first (label, reason, date, the board's page to
  check it), and each specialty has an anchor another page can link to;
- the practitioners and licenses tables show the columns a person needs, the rest a click
  away and in the JSON as before; flags read yes/no, lists as text, standing as its label;
- the canned queries show standing with its reason and how to reach the practitioner, filter
  on ``standing = 'good'`` where they mean good standing, fill blank parameters with defaults
  and say so when a ZIP code is unknown or no one is near.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import yaml
import zipcodes
from bs4 import BeautifulSoup

from db.migrations import open_db
from publish import METADATA_PATH, PUBLISH_DIR
from publish.app import METADATA_DB_NAME, make_datasette
from scraper.search_index import build_search_index
from tests.test_publish_site import haversine_miles, load_sql_functions

DB = "readable"
SEEN = "2026-11-30T04:00:00Z"
ADA, BO, CY, DI, ED, FLO = (f"npi:100000000{i}" for i in range(1, 7))
WA_LOOKUP = "https://fortress.wa.gov/doh/providercredentialsearch/"
ADA_WEBSITE = "https://ada-lark.example/"
BO_WEBSITE = "http://bo-finch.example/"
ADA_GOOD = ("In good standing per the WA board, checked 2026-11-30 (a discipline case is on "
            "record: see it below)")
BO_EXPIRED = "The WA board lists the license active, but it expired on 2026-06-08"
FACIAL = "facial acupuncture"
TODAY = datetime.now(UTC).date()
SOON, LATER = (TODAY + timedelta(days=10)).isoformat(), (TODAY + timedelta(days=45)).isoformat()
# (id, name, zip, license_status, standing, standing_reason, disciplined, excluded, certified,
#  specialties)
PEOPLE = [
    (ADA, "Ada Lark", "98101", "active", "good", ADA_GOOD, 1, 0, 1,
     [FACIAL, "fertility", "women's health"]),
    # the board lists the license active, but it has expired: never good standing
    (BO, "Bo Finch", "98004", "active", "expired", BO_EXPIRED, 0, 0, 1, [FACIAL]),
    (CY, "Cy Wren", "98052", "active", "good", "In good standing per the WA board, checked "
     "2026-11-30", 0, 0, 0, [FACIAL]),  # Redmond: 10.5 miles from 98101
    (DI, "Di Heron", "98033", None, "unverified", "No license of the WA board matched this "
     "practitioner: check with the board before you book", 0, 0, 0, []),
    (ED, "Ed Crane", "97201", None, None, None, 0, 0, 0, []),  # linked before standing existed
    (FLO, "Flo Stork", "98109", "active", "excluded", "On the OIG list of people excluded from "
     "federal health programs since 2025-06-18: see the exclusion", 0, 1, 0, []),
]
DEFAULT_PRACTITIONER_COLUMNS = ["practitioner_id", "display_name", "credentials", "city",
                                "state", "standing", "certified", "specialties", "phone"]
DEFAULT_LICENSE_COLUMNS = ["license_id", "display_name", "jurisdiction", "license_type",
                           "license_number", "status_normalized", "expires_on", "disciplined",
                           "city", "verify_url"]


def _place(zip_code: str) -> dict:
    return zipcodes.matching(zip_code)[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("readable") / f"{DB}.db"
    db = open_db(db_path)
    provenance = {"first_seen_at": SEEN, "last_seen_at": SEEN, "last_seen_run_id": 1}
    for (pid, name, zip_code, status, level, reason, disciplined, excluded, certified,
         specialties) in PEOPLE:
        place = _place(zip_code)
        first, last = name.split()
        db["practitioners"].insert({
            "practitioner_id": pid, "display_name": name, "first_name": first, "last_name": last,
            "credentials": "L.Ac.", "address": f"{len(name)} Main St", "city": place["city"],
            "state": place["state"], "zip": zip_code, "latitude": float(place["lat"]),
            "longitude": float(place["long"]), "phone": f"206-555-01{pid[-2:]}", "npi": pid[4:],
            "license_status": status, "disciplined": disciplined, "excluded": excluded,
            "certified": certified,
            "specialties": None if not specialties else
            '["' + '", "'.join(specialties) + '"]',
            "standing": level, "standing_reason": reason,
            "standing_as_of": "2026-11-30" if level else None,
            "sources": "nppes-api", "as_of": SEEN, "record_hash": f"hash-{pid}",
            "source": "link", **provenance})
        db["providers"].insert({
            "npi": pid[4:], "display_name": name, "website": ADA_WEBSITE if pid == ADA else None,
            "source": "nppes-api", "source_url": "https://npiregistry.cms.hhs.gov/api/",
            **provenance}, alter=True)
    licenses = [  # (license_id, practitioner, expires_on, verify_url, disciplined, gone_at)
        ("WA:AC:100", ADA, SOON, WA_LOOKUP, 1, None),
        ("WA:AC:102", ADA, LATER, WA_LOOKUP, 0, None),  # the same lookup page: one link
        ("WA:AC:101", ADA, "2020-01-31", "https://old-board.example/", 0, "2026-10-01T00:00:00Z"),
        ("WA:AC:200", BO, "2026-06-08", "javascript:alert(1)", 0, None),
        ("WA:AC:300", CY, "2028-01-31", WA_LOOKUP, 0, None),
    ]
    for license_id, pid, expires_on, verify_url, disciplined, gone_at in licenses:
        jurisdiction, license_type, number = license_id.split(":")
        name = next(p[1] for p in PEOPLE if p[0] == pid)
        db["licenses"].insert({
            "license_id": license_id, "jurisdiction": jurisdiction, "license_type": license_type,
            "license_number": f"AC{number}", "license_number_normalized": number,
            "display_name": name, "status": "ACTIVE", "status_normalized": "active",
            "expires_on": expires_on, "city": "Seattle", "disciplined": disciplined,
            "verify_url": verify_url, "source": "wa-doh",
            "source_url": "https://data.wa.gov/resource/qxh8-f4bd.json", "gone_at": gone_at,
            **provenance})
        db["practitioner_links"].insert({
            "record_table": "licenses", "record_id": license_id, "practitioner_id": pid,
            "rule": "license-number", "confidence": 0.99, "explanation": "written by the test",
            "linked_at": SEEN})
    db["exclusions"].insert({
        "exclusion_id": "STORK|FLO|||1000000006|1128b4", "npi": "1000000006",
        "display_name": "Flo Stork", "state": "WA", "exclusion_type": "1128b4",
        "excluded_on": "2025-06-18", "status": "excluded", "source": "oig-leie",
        "source_url": "https://oig.hhs.gov/exclusions/downloadables/UPDATED.csv", **provenance})
    db["practitioner_links"].insert({
        "record_table": "exclusions", "record_id": "STORK|FLO|||1000000006|1128b4",
        "practitioner_id": FLO, "rule": "npi", "confidence": 1.0,
        "explanation": "written by the test", "linked_at": SEEN})
    for profile_id, pid, website in (("ADA1", ADA, None), ("BO1", BO, BO_WEBSITE)):
        db["certifications"].insert({
            "profile_id": profile_id, "name": pid, "status": "Certified Diplomate",
            "website": website, "profile_url": f"https://directory.ncbahm.org/p/{profile_id}",
            "source": "nccaom", "source_url": "https://directory.ncbahm.org/", **provenance})
        db["practitioner_links"].insert({
            "record_table": "certifications", "record_id": profile_id, "practitioner_id": pid,
            "rule": "name-city", "confidence": 0.7, "explanation": "written by the test",
            "linked_at": SEEN})
    tags = [(ADA, FACIAL, "websites", ADA_WEBSITE, "We offer facial rejuvenation acupuncture."),
            (ADA, "fertility", "certifications", "ADA1", "Fertility support"),
            (ADA, "women's health", "certifications", "ADA1", "Women's health"),
            (BO, FACIAL, "certifications", "BO1", "Facial acupuncture"),
            (CY, FACIAL, "websites", "https://cy-wren.example/", "Cosmetic acupuncture.")]
    for pid, tag, table, record_id, snippet in tags:
        db["specialty_tags"].insert({
            "tag_id": f"{pid}:{tag}", "practitioner_id": pid, "tag": tag, "record_table": table,
            "record_id": record_id, "evidence_url": "https://evidence.example/" + pid[4:],
            "snippet": snippet, "tagged_at": SEEN})
    db["coverage"].insert({"state": "WA", "state_name": "Washington", "status_source": "board",
                           "verify_url": f"{WA_LOOKUP} javascript:alert(2)"}, pk="state")
    build_search_index(db)  # as linking does after writing practitioners
    db.conn.close()
    return db_path


def get(site, *paths: str):
    async def go():
        ds = make_datasette(site)
        await ds.invoke_startup()
        return [await ds.client.get(path) for path in paths]

    responses = asyncio.run(go())
    return responses[0] if len(paths) == 1 else responses


def page(site, path: str) -> BeautifulSoup:
    response = get(site, path)
    assert response.status_code == 200, response.text[:500]
    return BeautifulSoup(response.text, "lxml")


def rows(site, path: str) -> list[dict]:
    response = get(site, path + ("&" if "?" in path else "?") + "_shape=array")
    assert response.status_code == 200, response.text[:500]
    return response.json()


def practitioner(site, pid: str) -> BeautifulSoup:
    return page(site, f"/{DB}/practitioners/{pid.replace(':', '~3A')}")


def headers(soup: BeautifulSoup) -> list[str]:
    """The columns a visitor sees (those in the page for the map only are hidden by CSS)."""
    note = soup.select_one("p.readable-columns")
    invisible = set(note["data-invisible-columns"].split()) if note else set()
    return [th["data-column"] for th in soup.select("table.rows-and-columns thead th")
            if th["data-column"] not in invisible]


def cells(soup: BeautifulSoup, column: str) -> list[str]:
    return [td.get_text(strip=True) for td in soup.select(f"td.col-{column}")]


# --- the practitioner page: standing first, anchors on specialties --------------------------

def test_the_practitioner_page_says_the_standing_first_with_where_to_check_it(site):
    soup = practitioner(site, ADA)
    standing = soup.select_one("section#standing")
    assert standing["data-standing"] == "good" and "standing-good" in standing["class"]
    assert standing.select_one(".standing-label").get_text() == "In good standing"
    assert standing.select_one(".standing-reason").get_text() == ADA_GOOD
    assert standing.select_one(".standing-as-of time")["datetime"] == "2026-11-30"
    # before everything else the page says about them
    order = [el for el in soup.select("section#standing, dl.practitioner-fields, h2")]
    assert order[0] is standing
    # the board's own page, once for two live licenses that share it; not the gone license's
    links = [(a["href"], a.get_text(), a["rel"]) for a in standing.select("a.standing-verify-url")]
    assert links == [(WA_LOOKUP, "fortress.wa.gov", ["nofollow", "noopener", "noreferrer"])]
    assert "WA license AC100" in standing.select_one("ul.standing-verify").get_text()
    # what was liked stays: the evidence, the rule and confidence, the discipline
    assert soup.select("q.snippet") and soup.select("code.rule") and soup.select(".confidence")
    assert soup.select("section.timeline") and soup.select("li.source-record")


def test_a_license_active_but_expired_is_not_good_standing_and_no_unsafe_link(site):
    response = get(site, f"/{DB}/practitioners/{BO.replace(':', '~3A')}")
    soup = BeautifulSoup(response.text, "lxml")
    standing = soup.select_one("section#standing")
    assert standing.select_one(".standing-label").get_text() == "License expired"
    assert standing.select_one(".standing-reason").get_text() == BO_EXPIRED
    # the license's own link is unsafe: the state board's lookup instead
    assert [a["href"] for a in standing.select("a")] == [WA_LOOKUP]
    assert not [a for a in soup.select("a[href]") if a["href"].lower().startswith("javascript")]


def test_no_license_linked_points_to_the_state_boards_lookup(site):
    standing = practitioner(site, DI).select_one("section#standing")
    assert standing.select_one(".standing-label").get_text() == "No board license found"
    assert [(a["href"], a.get_text()) for a in standing.select("a.standing-verify-url")] == [
        (WA_LOOKUP, "fortress.wa.gov")]
    assert "Check a WA license yourself on the board's own site" in standing.get_text()


def test_a_standing_not_computed_yet_says_so(site):
    standing = practitioner(site, ED).select_one("section#standing")
    assert standing["data-standing"] == ""
    assert standing.select_one(".standing-label").get_text() == "Standing not known yet"
    assert "check with the state board" in standing.select_one(".standing-reason").get_text()
    assert not standing.select(".standing-as-of")


def test_each_specialty_has_an_anchor_for_links_from_other_pages(site):
    soup = practitioner(site, ADA)
    items = soup.select("li.specialty")
    assert [li.get("id") for li in items] == [
        "specialty-facial-acupuncture", "specialty-fertility", "specialty-women's-health"]
    facial = soup.find(id="specialty-facial-acupuncture")
    assert facial.select_one("q.snippet").get_text() == "We offer facial rejuvenation acupuncture."
    ids = [el["id"] for el in soup.select("[id]")]
    assert len(ids) == len(set(ids))
    spec = importlib.util.spec_from_file_location(
        "practitioner_page_anchor", PUBLISH_DIR / "plugins" / "practitioner_page.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.specialty_anchor("facial acupuncture") == "specialty-facial-acupuncture"
    assert module.specialty_anchor(" sports  medicine ") == "specialty-sports-medicine"


# --- the practitioners table: the columns a person needs -------------------------------------

def test_the_table_shows_the_columns_a_person_needs_by_default(site):
    soup = page(site, f"/{DB}/practitioners")
    assert headers(soup) == DEFAULT_PRACTITIONER_COLUMNS
    in_page = DEFAULT_PRACTITIONER_COLUMNS + ["latitude", "longitude"]
    assert [th["data-column"] for th in soup.select("table.rows-and-columns th")] == in_page
    for tr in soup.select("table.rows-and-columns tbody tr"):
        assert [td["class"][0] for td in tr.select("td")] == [f"col-{c}" for c in in_page]
    note = soup.select_one("p.readable-columns")
    assert "Showing the columns most people need" in note.get_text()
    assert {"record_hash", "source", "source_url", "last_seen_run_id", "first_seen_run_id",
            "as_of", "latitude", "longitude"} <= set(note["data-hidden-columns"].split())
    # the map draws from the table's latitude and longitude headers: in the page, not in sight
    assert note["data-invisible-columns"] == "latitude longitude"
    style = " ".join(s.get_text() for s in soup.select("style"))
    assert re.search(r"th\.col-latitude, table\.rows-and-columns td\.col-latitude "
                     r"\{ display: none; \}", style)
    assert "datasette-cluster-map.js" in str(soup)


def test_the_json_keeps_every_column(site):
    conn = sqlite3.connect(site)
    every = [r[1] for r in conn.execute("pragma table_info(practitioners)")]
    conn.close()
    data = get(site, f"/{DB}/practitioners.json?_size=2").json()
    assert data["columns"] == every
    assert rows(site, f"/{DB}/practitioners.json?_size=1")[0]["record_hash"].startswith("hash-")


@pytest.mark.parametrize("query, expected", [
    # exactly the columns asked for, as Datasette does
    ("_col=record_hash&_col=zip", ["practitioner_id", "record_hash", "zip"]),
    # hiding one of the usual columns hides only that one
    ("_nocol=phone", DEFAULT_PRACTITIONER_COLUMNS[:-1]),
    # a column filtered or sorted on is shown beside the usual ones
    ("license_status=active", DEFAULT_PRACTITIONER_COLUMNS + ["license_status"]),
    ("license_status__in=active%2Cexpired&_sort=zip",
     DEFAULT_PRACTITIONER_COLUMNS + ["license_status", "zip"]),
    ("standing=good", DEFAULT_PRACTITIONER_COLUMNS),
])
def test_visitors_choose_their_columns(site, query, expected):
    assert headers(page(site, f"/{DB}/practitioners?{query}")) == expected


def test_every_column_is_one_click_away_and_back(site):
    soup = page(site, f"/{DB}/practitioners?state=WA")
    every = soup.select_one("p.readable-columns a.every-column")["href"]
    assert every.startswith(f"/{DB}/practitioners?state=WA&_col=")
    conn = sqlite3.connect(site)
    columns = [r[1] for r in conn.execute("pragma table_info(practitioners)")]
    conn.close()
    chosen = page(site, every)
    assert headers(chosen) == columns
    back = chosen.select_one("p.readable-columns a.usual-columns")["href"]
    assert back == f"/{DB}/practitioners?state=WA"
    assert headers(page(site, back)) == DEFAULT_PRACTITIONER_COLUMNS


def test_flags_lists_and_standing_read_as_words(site):
    soup = page(site, f"/{DB}/practitioners?_sort=practitioner_id")
    by_id = {tr.select_one("td.col-practitioner_id").get_text(strip=True): tr
             for tr in soup.select("table.rows-and-columns tbody tr")}
    ada, di = by_id[ADA], by_id[DI]
    assert ada.select_one("td.col-certified").get_text() == "yes"
    assert di.select_one("td.col-certified").get_text() == "no"
    assert ada.select_one("td.col-specialties").get_text() == (
        "facial acupuncture, fertility, women's health")
    label = ada.select_one("td.col-standing span.standing")
    assert (label.get_text(), label["title"]) == ("In good standing", ADA_GOOD)
    assert by_id[BO].select_one("td.col-standing").get_text() == "License expired"
    assert by_id[ED].select_one("td.col-standing").get_text(strip=True) == ""
    # the flags and lists hidden by default read the same once shown
    shown = page(site, f"/{DB}/practitioners?_col=disciplined&_col=excluded&_sort=practitioner_id")
    assert cells(shown, "disciplined")[0] == "yes" and cells(shown, "excluded")[-1] == "yes"


def test_the_practitioners_facets_include_standing(site):
    data = get(site, f"/{DB}/practitioners.json?_size=0").json()
    facet = {v["value"]: v["count"] for v in data["facet_results"]["standing"]["results"]}
    assert facet == {"good": 2, "expired": 1, "unverified": 1, "excluded": 1}
    facets = yaml.safe_load(METADATA_PATH.read_text())["databases"][METADATA_DB_NAME][
        "tables"]["practitioners"]["facets"]
    assert {"counted": "standing"} in facets  # counted ahead: publish/plugins/facet_counts.py


def test_the_licenses_table_shows_status_expiry_and_where_to_check(site):
    soup = page(site, f"/{DB}/licenses?_sort=license_id")
    assert headers(soup) == DEFAULT_LICENSE_COLUMNS
    verify = soup.select("td.col-verify_url")
    links = [(a["href"], a.get_text(), a["rel"]) for td in verify for a in td.select("a")]
    assert (WA_LOOKUP, "fortress.wa.gov", ["nofollow", "noopener", "noreferrer"]) in links
    assert "javascript:alert(1)" in [td.get_text(strip=True) for td in verify]
    assert not [h for h, _, _ in links if h.startswith("javascript")]
    assert cells(soup, "disciplined")[:2] == ["yes", "no"]
    assert get(site, f"/{DB}/licenses.json?_size=1").json()["columns"][0] == "license_id"
    assert "record_hash" in get(site, f"/{DB}/licenses.json?_size=1").json()["columns"]


def test_cell_helpers():
    spec = importlib.util.spec_from_file_location(
        "readable_under_test", PUBLISH_DIR / "plugins" / "readable.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.flag(1), module.flag(0), module.flag(None), module.flag(True)) == (
        "yes", "no", None, None)
    assert module.as_text_list('["facial acupuncture", "pain"]') == "facial acupuncture, pain"
    assert module.as_text_list("not json") is None and module.as_text_list('{"a": 1}') is None
    assert module.external_link("javascript:alert(1)") is None
    assert str(module.external_link("https://a.example/x?y=<b>")) == (
        '<a href="https://a.example/x?y=&lt;b&gt;" rel="nofollow noopener noreferrer">'
        'a.example</a>')
    assert str(module.external_link("https://a.example/ http://b.example/")).count("<a ") == 2
    assert module.external_link("https://a.example/ javascript:x") is None
    assert module.shown_columns(["b"], ["a", "b", "c"], ["a"], [("_col", "c")]) is None
    assert module.shown_columns(["b"], ["a", "b", "c"], ["a"], [("c__gt", "1")]) == [
        "a", "b", "c"]


# --- canned queries that guide ----------------------------------------------------------------

def within(miles: float) -> set[str]:
    origin = _place("98101")
    return {p[0] for p in PEOPLE
            if haversine_miles(float(origin["lat"]), float(origin["long"]),
                               float(_place(p[2])["lat"]), float(_place(p[2])["long"])) <= miles}


@pytest.mark.parametrize("miles", ["", "0", "-3", "ten"])
def test_near_zip_searches_ten_miles_when_the_distance_is_blank_or_not_a_distance(site, miles):
    found = rows(site, f"/{DB}/near_zip.json?zip=98101&miles={miles}")
    assert {r["practitioner_id"] for r in found} == within(10) == {ADA, BO, DI, FLO}
    assert CY not in {r["practitioner_id"] for r in found}  # 10.5 miles
    assert [r["miles"] for r in found] == sorted(r["miles"] for r in found)
    assert all(r["message"] is None for r in found)


@pytest.mark.parametrize("page_asked", ["2", "999999999999999999999", "9223372036854775807"])
def test_near_zip_says_a_page_is_past_the_last_however_far(site, page_asked):
    [past] = rows(site, f"/{DB}/near_zip.json?zip=98101&page={page_asked}")
    assert past["message"].startswith("No more within 10 miles of 98101: page ")
    assert past["practitioner_id"] is None
    [nobody] = rows(site, f"/{DB}/near_zip.json?zip=59001&miles=1&page=2")
    assert nobody["message"] == "No one within 1 miles of 59001: try a larger distance"


def test_near_zip_never_shows_someone_else_where_a_place_was_left_behind(site, tmp_path):
    """Places are rebuilt at each linking; a write since (here a delete, then an insert that
    takes the freed rowid, far away) must not show the newcomer at the old place."""
    import shutil

    copy = tmp_path / f"{DB}.db"
    shutil.copy(site, copy)
    conn = sqlite3.connect(copy)
    last = conn.execute("select max(rowid) from practitioners").fetchone()[0]
    gone = conn.execute("select practitioner_id, zip from practitioners where rowid = ?",
                        [last]).fetchone()
    conn.execute("delete from practitioners where rowid = ?", [last])
    place = _place("10001")
    conn.execute("insert into practitioners (rowid, practitioner_id, display_name, zip, "
                 "latitude, longitude, source, first_seen_at, last_seen_at) values "
                 "(?, 'npi:1999999999', 'New Yorker', '10001', ?, ?, 'link', 'x', 'x')",
                 [last, float(place["lat"]), float(place["long"])])
    conn.commit()
    conn.close()
    found = rows(copy, f"/{DB}/near_zip.json?zip={gone[1]}&miles=250")
    assert "npi:1999999999" not in {r["practitioner_id"] for r in found}
    assert gone[0] not in {r["practitioner_id"] for r in found}


def test_near_zip_shows_standing_contact_and_discipline_in_words(site):
    found = {r["practitioner_id"]: r for r in rows(site, f"/{DB}/near_zip.json?zip=98101")}
    ada, bo, flo = found[ADA], found[BO], found[FLO]
    assert (ada["standing"], ada["standing_reason"]) == ("good", ADA_GOOD)
    assert (ada["phone"], ada["address"], ada["website"]) == (
        "206-555-0101", "8 Main St", ADA_WEBSITE)
    assert bo["website"] == BO_WEBSITE  # from the NCCAOM listing when NPPES gives none
    assert (ada["discipline"], bo["discipline"]) == ("discipline on record", "none on record")
    assert flo["standing"] == "excluded" and "disciplined" not in ada
    soup = page(site, f"/{DB}/near_zip?zip=98101&miles=")
    assert "discipline on record" in cells(soup, "discipline")
    assert "In good standing" in cells(soup, "standing")
    websites = [a for td in soup.select("td.col-website") for a in td.select("a")]
    assert sorted(a["href"] for a in websites) == sorted([ADA_WEBSITE, BO_WEBSITE])
    assert all(a["rel"] == ["nofollow", "noopener", "noreferrer"] for a in websites)


@pytest.mark.parametrize("query", ["near_zip", "facial_near_zip"])
def test_an_unknown_zip_or_no_one_near_says_so(site, query):
    [unknown] = rows(site, f"/{DB}/{query}.json?zip=Seattle&miles=")
    assert unknown["message"] == ("Unknown ZIP code: Seattle; give a 5-digit US ZIP code, "
                                  "such as 98101")
    assert unknown["practitioner_id"] is None and unknown["miles"] is None
    [nobody] = rows(site, f"/{DB}/{query}.json?zip=59001&miles=")
    assert nobody["message"].startswith("No one ") and nobody["message"].endswith(
        "within 10 miles of 59001: try a larger distance")
    assert rows(site, f"/{DB}/{query}.json?zip=&miles=") == []  # nothing asked yet
    soup = page(site, f"/{DB}/{query}?zip={quote('<b>Seattle</b>')}")
    assert soup.select_one("td.col-message strong.query-message").get_text().startswith(
        "Unknown ZIP code: <b>Seattle</b>;")
    assert "<b>Seattle</b>" not in str(soup.select_one("td.col-message"))


def test_facial_near_zip_keeps_only_good_standing(site):
    found = rows(site, f"/{DB}/facial_near_zip.json?zip=98101&miles=")
    assert [r["practitioner_id"] for r in found] == [ADA]  # Bo's active license has expired
    [ada] = found
    assert (ada["standing"], ada["standing_reason"], ada["website"], ada["phone"]) == (
        "good", ADA_GOOD, ADA_WEBSITE, "206-555-0101")
    assert ada["discipline"] == "discipline on record"
    farther = rows(site, f"/{DB}/facial_near_zip.json?zip=98101&miles=20")
    assert [r["practitioner_id"] for r in farther] == [ADA, CY]


def test_search_shows_standing_contact_and_specialties_as_text(site):
    [ada] = rows(site, f"/{DB}/search.json?q=lark")
    assert (ada["standing"], ada["standing_reason"], ada["phone"], ada["website"]) == (
        "good", ADA_GOOD, "206-555-0101", ADA_WEBSITE)
    assert ada["specialties"] == "facial acupuncture, fertility, women's health"
    assert ada["discipline"] == "discipline on record" and ada["certified"] == 1
    soup = page(site, f"/{DB}/search?q=lark")
    assert cells(soup, "certified") == ["yes"]
    assert cells(soup, "standing") == ["In good standing"]
    [bo] = rows(site, f"/{DB}/search.json?q=finch")  # search finds everyone, with their standing
    assert (bo["standing"], bo["standing_reason"]) == ("expired", BO_EXPIRED)


def test_expiring_defaults_to_thirty_days_and_shows_standing(site):
    found = rows(site, f"/{DB}/expiring.json?days=")
    assert [(r["license_number"], r["practitioner_id"]) for r in found] == [("AC100", ADA)]
    [soon] = found
    assert (soon["standing"], soon["standing_reason"], soon["verify_url"], soon["phone"]) == (
        "good", ADA_GOOD, WA_LOOKUP, "206-555-0101")
    assert soon["days_left"] == 10
    assert [r["license_number"] for r in rows(site, f"/{DB}/expiring.json?days=60")] == [
        "AC100", "AC102"]


def test_disciplined_or_excluded_shows_the_standing_now(site):
    found = rows(site, f"/{DB}/disciplined_or_excluded.json")
    assert [(r["practitioner_id"], r["what"], r["standing"]) for r in found] == [
        (ADA, "board discipline", "good"), (FLO, "federal exclusion", "excluded")]
    assert found[0]["standing_reason"] == ADA_GOOD


def test_no_canned_query_decides_good_standing_from_the_license_status_alone():
    queries = yaml.safe_load(METADATA_PATH.read_text())["databases"][METADATA_DB_NAME]["queries"]
    for name, query in queries.items():
        assert "license_status = 'active'" not in query["sql"], name
    assert "p.standing = 'good'" in queries["facial_near_zip"]["sql"]


def _plan(site, query: str, params: dict) -> str:
    sql = yaml.safe_load(METADATA_PATH.read_text())["databases"][METADATA_DB_NAME][
        "queries"][query]["sql"]
    conn = sqlite3.connect(f"file:{site}?mode=ro", uri=True)
    load_sql_functions().prepare_connection(conn, DB, make_datasette(site))
    plan = " | ".join(str(r[-1]) for r in conn.execute(f"explain query plan {sql}", params))
    conn.close()
    return plan


@pytest.mark.parametrize("query, params", [
    ("search", {"q": "lark"}),
    ("near_zip", {"zip": "98101", "miles": "", "page": ""}),
    ("facial_near_zip", {"zip": "98101", "miles": ""}),
    ("expiring", {"days": ""}),
])
def test_the_canned_queries_read_no_big_table_whole(site, query, params):
    """At a million practitioners a full read of one of these tables takes seconds: each
    table is reached through an index (the contact columns by their keys)."""
    plan = _plan(site, query, params)
    tables = "p|g|l|pr|pl|c|t|practitioners|licenses|providers|certifications"
    assert not re.search(rf"SCAN ({tables})\b(?! USING)", plan), plan
