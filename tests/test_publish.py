"""The published site, in-process through datasette.client: search, facets, metadata, escaping;
and, over small databases written row by row, certifications and specialty tags on the
practitioner page, the facial acupuncture filter and the facial_near_zip query; the status
history on the practitioner page, the status_changes query and its Atom feed, source_health.
"""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
import zipcodes
from bs4 import BeautifulSoup
from datasette.utils import tilde_encode

from db.migrations import open_db
from publish.app import datasette_argv, make_datasette
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from tests.sites.nppes import NppesApi
from tests.sites.nppes_data import XSS_TEXT, generate_providers
from tests.sites.server import SiteServer
from tests.test_publish_site import haversine_miles


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    """A database scraped from the stand-in: a few states, with the record whose name holds
    markup among them."""
    providers = generate_providers(n=3000, seed=11)
    marked = next(p for p in providers if XSS_TEXT in json.dumps(p))
    state = next(a["state"] for a in marked["addresses"] if a["address_purpose"] == "LOCATION")
    server = SiteServer().start()
    server.add_site("/api/", NppesApi(providers))
    db_path = tmp_path_factory.mktemp("pub") / "directory.db"
    http = HttpConfig(min_interval=0)
    config = Config(http=http, sources={"nppes-api": {"base_url": f"{server.url}/api/"}})
    try:
        with Fetcher(http) as fetcher:
            result = run_source(config, "nppes-api", db_path=db_path, fetcher=fetcher,
                                states=sorted({state, "WA", "NY"}))
    finally:
        server.stop()
    assert result.status == "ok"
    return db_path, str(marked["number"])


def _get(db_path, path: str):
    async def go():
        ds = make_datasette(db_path)
        await ds.invoke_startup()
        return await ds.client.get(path)

    return asyncio.run(go())


def test_full_text_search_finds_a_provider_by_name(scraped):
    db_path, _ = scraped
    from db.migrations import connect

    row = next(connect(db_path, readonly=True).query(
        "select npi, last_name from providers where enumeration_type = 'NPI-1' "
        "and last_name not like '%<%' limit 1"))
    response = _get(db_path, f"/directory/providers.json?_search={row['last_name']}&_shape=array")
    assert response.status_code == 200
    assert row["npi"] in [r["npi"] for r in response.json()]
    assert all(row["last_name"].lower() in json.dumps(r).lower() for r in response.json())


def test_facets_and_metadata_follow_the_served_file_name(scraped):
    db_path, _ = scraped
    data = _get(db_path, "/directory/providers.json?_size=1").json()
    assert set(data["facet_results"]) >= {"state", "credential", "gender", "enumeration_type"}
    assert data["human_description_en"] == "sorted by display_name"
    assert data["suggested_facets"] == []
    page = _get(db_path, "/directory/providers").text
    assert "Providers (NPPES)" in page
    assert "listed under the state of the primary practice location" in page


def test_markup_in_a_scraped_name_is_shown_as_text(scraped):
    db_path, npi = scraped
    page = _get(db_path, f"/directory/providers/{npi}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_run_log_is_published(scraped):
    db_path, _ = scraped
    runs = _get(db_path, "/directory/scrape_runs.json?_shape=array").json()
    assert [r["status"] for r in runs] == ["ok"]


def test_serve_arguments(scraped, tmp_path):
    db_path, _ = scraped
    argv = datasette_argv(db_path, host="127.0.0.1", port=8123)
    assert argv[:2] == ["serve", str(db_path)]
    assert argv[argv.index("--port") + 1] == "8123"
    metadata = json.loads(open(argv[argv.index("--metadata") + 1]).read())
    assert "directory" in metadata["databases"]
    assert "suggest_facets" in argv


# --- certifications and specialty tags, over a small database written row by row -----------
# Issue: "Datasette: certifications and specialty tags on the practitioner page and as facets
# (a 'facial acupuncture' filter), each with its evidence link".

FACIAL = "facial acupuncture"
AT = "2026-11-20T10:00:00Z"
SEEN = "2026-11-19T08:30:00Z"
SCRIPT_SNIPPET = 'Gentle facial rejuvenation <script>alert("tag")</script> for every skin.'
JAVASCRIPT_URL = "javascript:alert(document.cookie)"
ADA_SITE = "https://ada-lark-acupuncture.example/"
ADA_PAGE = "https://ada-lark-acupuncture.example/services/facial"
ADA_SNIPPET = "We offer facial rejuvenation acupuncture (Mei Zen) on Saturdays."
ADA_PROFILE = "https://directory.nccaom.org/FAP/PractitionerDetail?AgencyClientId=ADA1"
# (practitioner_id, name, zip, license_status, excluded, gone_at,
#  tags as (tag, record_table, record_id, evidence_url, snippet))
PEOPLE = [
    ("npi:1000000001", "Ada Lark", "98101", "active", 0, None,
     [(FACIAL, "websites", ADA_SITE, ADA_PAGE, ADA_SNIPPET),
      ("pain", "certifications", "ADA1", ADA_PROFILE, "Back pain")]),
    ("npi:1000000002", "Bo Finch", "98109", "active", 0, None,
     [(FACIAL, "websites", "http://bo-finch.example/", JAVASCRIPT_URL, SCRIPT_SNIPPET)]),
    ("npi:1000000003", "Cy Wren", "98101", "expired", 0, None,
     [(FACIAL, "certifications", "CY1", "https://directory.nccaom.org/p/CY1", "Facial acupuncture")]),
    ("npi:1000000004", "Di Heron", "98101", "active", 1, None,
     [(FACIAL, "certifications", "DI1", "https://directory.nccaom.org/p/DI1", "Mei Zen")]),
    ("npi:1000000005", "Ed Crane", "99201", "active", 0, None,
     [(FACIAL, "certifications", "ED1", "https://directory.nccaom.org/p/ED1", "Cosmetic acupuncture")]),
    ("npi:1000000006", "Flo Stork", "98101", "active", 0, None,
     [("pain", "websites", "http://flo-stork.example/", "http://[flo-stork.example/pain",
       "Sciatica")]),
    ("lic:WA:AC:777", "Gus Teal", "98101", "active", 0, "2026-10-01T00:00:00Z",
     [(FACIAL, "certifications", "GUS1", "https://directory.nccaom.org/p/GUS1", "Facial renewal")]),
    ("npi:1000000008", "Hal Egret", "98402", "active", 0, None,
     [(FACIAL, "certifications", "HAL1", "https://directory.nccaom.org/p/HAL1", "Acupuncture facelift")]),
    ("npi:1000000009", "Ivy Kite", "98052", "active", 0, None, []),
    ("npi:1000000010", "Abe Plover", "98101", "active", 0, None,
     [(FACIAL, "certifications", "ABE1", "https://directory.nccaom.org/p/ABE1", "Facial cupping")]),
    # the board lists the license active, but its expiry date has passed (issue 13: 990 of the
    # demo's 2,598 "active" licenses): not in good standing
    ("npi:1000000011", "Jo Ibis", "98101", "active", 0, None,
     [(FACIAL, "certifications", "JO1", "https://directory.nccaom.org/p/JO1", "Facial toning")]),
]
# Good standing as linking computes it (scraper/standing.py): the one rule every query uses.
STANDING = {"npi:1000000003": ("expired", "The WA board lists the license as Expired"),
            "npi:1000000004": ("excluded", "On the OIG list of people excluded from federal "
                               "health programs since 2020-01-01: see the exclusion"),
            "npi:1000000011": ("expired", "The WA board lists the license active, but it "
                               "expired on 2026-06-08")}
GOOD = ("good", "In good standing per the WA board, checked 2026-11-19")
# Within 50 miles of 98101, in good standing, claiming facial acupuncture: nearest first, and by
# name at the same distance. Cy (expired), Di (excluded), Jo (active, but expired), Gus (gone),
# Flo (no facial claim) and Ed (Spokane, about 230 miles) are left out.
FACIAL_NEAR_SEATTLE = ["npi:1000000010", "npi:1000000001", "npi:1000000002", "npi:1000000008"]


def _point(zip_code: str) -> tuple[float, float]:
    place = zipcodes.matching(zip_code)[0]
    return float(place["lat"]), float(place["long"])


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    """practitioners, practitioner_links, certifications, specialty_tags (from NCCAOM profiles
    and from websites), websites and website_tags, written directly: every case in one place."""
    db_path = tmp_path_factory.mktemp("tags") / "tiny.db"
    db = open_db(db_path)
    provenance = {"first_seen_at": SEEN, "last_seen_at": SEEN, "last_seen_run_id": 1}
    for pid, name, zip_code, status, excluded, gone_at, tags in PEOPLE:
        lat, lon = _point(zip_code)
        first, last = name.split()
        db["practitioners"].insert({
            "practitioner_id": pid, "display_name": name, "first_name": first,
            "last_name": last, "city": zipcodes.matching(zip_code)[0]["city"], "state": "WA",
            "zip": zip_code, "latitude": lat, "longitude": lon, "license_status": status,
            "standing": STANDING.get(pid, GOOD)[0], "standing_reason": STANDING.get(pid, GOOD)[1],
            "standing_as_of": "2026-11-19", "excluded": excluded, "disciplined": 0,
            "certified": int(any(t[1] == "certifications" for t in tags)),
            "specialties": json.dumps(sorted({t[0] for t in tags})) if tags else None,
            "sources": "nppes-api", "as_of": SEEN, "gone_at": gone_at, "source": "link",
            "first_seen_at": SEEN, "last_seen_at": SEEN, "last_seen_run_id": 1})
        for tag, table, record_id, evidence_url, snippet in tags:
            db["specialty_tags"].insert({
                "tag_id": f"{pid}:{tag}", "practitioner_id": pid, "tag": tag,
                "record_table": table, "record_id": record_id, "evidence_url": evidence_url,
                "snippet": snippet, "tagged_at": AT})
            if table == "certifications" and not db["certifications"].count_where(
                    "profile_id = ?", [record_id]):
                db["certifications"].insert({
                    "profile_id": record_id, "name": name, "status": "Certified Diplomate",
                    "certificates": "Dipl. Ac., Dipl. C.H." if record_id == "ADA1"
                    else "Dipl. Ac.", "city": "Seattle", "state": "WA",
                    "profile_url": evidence_url, "source": "nccaom",
                    "source_url": "https://directory.nccaom.org/FAP/SearchResultWithoutMap",
                    **provenance})
                db["practitioner_links"].insert({
                    "record_table": "certifications", "record_id": record_id,
                    "practitioner_id": pid, "rule": "name-city", "confidence": 0.7,
                    "explanation": f"NCCAOM gives no NPI; same name and city as {pid}",
                    "linked_at": AT})
    db["websites"].insert_all([
        {"site_id": ADA_SITE, "url": "https://Ada-Lark-Acupuncture.example", "final_url": ADA_SITE,
         "status": "ok", "pages_read": 2, "page_urls": json.dumps([ADA_SITE, ADA_PAGE]),
         "tags": FACIAL, "listed_by": json.dumps(["providers:1000000001"]), "checked_at": AT,
         "source": "websites", "source_url": ADA_SITE, **provenance},
        {"site_id": "http://bo-finch.example/", "url": "bo-finch.example", "status": "ok",
         "final_url": "http://bo-finch.example/", "pages_read": 1, "tags": FACIAL,
         "listed_by": json.dumps(["providers:1000000002"]), "checked_at": AT,
         "source": "websites", "source_url": "http://bo-finch.example/", **provenance},
        {"site_id": "https://closed.example/", "url": "https://closed.example/",
         "status": "robots", "detail": "robots.txt disallows /", "pages_read": 0,
         "checked_at": AT, "source": "websites", "source_url": "https://closed.example/",
         **provenance},
    ])
    db["website_tags"].insert_all([
        {"claim_id": f"{ADA_SITE} {FACIAL}", "site_id": ADA_SITE, "tag": FACIAL,
         "evidence_url": ADA_PAGE, "snippet": ADA_SNIPPET, "source": "websites",
         "source_url": ADA_PAGE, **provenance},
        {"claim_id": f"http://bo-finch.example/ {FACIAL}", "site_id": "http://bo-finch.example/",
         "tag": FACIAL, "evidence_url": JAVASCRIPT_URL, "snippet": SCRIPT_SNIPPET,
         "source": "websites", "source_url": "http://bo-finch.example/", **provenance},
    ])
    db.conn.close()
    return db_path


def _page(db_path, pid: str) -> BeautifulSoup:
    response = _get(db_path, f"/{db_path.stem}/practitioners/{pid.replace(':', '~3A')}")
    assert response.status_code == 200
    return BeautifulSoup(response.text, "lxml")


def _rows(db_path, path: str) -> list[dict]:
    response = _get(db_path, path + ("&" if "?" in path else "?") + "_shape=array")
    assert response.status_code == 200, response.text[:500]
    return response.json()


def test_practitioner_page_lists_specialties_with_their_evidence(tagged):
    page = _page(tagged, "npi:1000000001")
    heading = page.select_one("h2#specialties")
    assert heading.get_text() == "Specialties (self-reported)"
    assert "No board records specialties" in heading.find_next("p").get_text()
    items = page.select("li.specialty")
    assert [(li["data-tag"], li["data-record-table"], li["data-record-id"]) for li in items] == [
        (FACIAL, "websites", ADA_SITE), ("pain", "certifications", "ADA1")]
    facial, pain = items
    assert facial.select_one("strong.tag").get_text() == FACIAL
    assert facial.select_one("q.snippet").get_text() == ADA_SNIPPET
    link = facial.select_one("a.evidence-url")
    assert link["href"] == ADA_PAGE
    assert link["rel"] == ["nofollow", "noopener", "noreferrer"]
    assert facial.select_one("a.record").get_text() == "the practice's website"
    assert facial.select_one("a.record")["href"] == "/tiny/websites/" + tilde_encode(ADA_SITE)
    assert facial.select_one(".host").get_text() == "ada-lark-acupuncture.example"
    assert facial.select_one("time.tagged-at").get_text() == "2026-11-20"
    assert facial.select_one("time.tagged-at")["datetime"] == AT
    assert pain.select_one("a.record").get_text() == "an NCCAOM profile"
    assert pain.select_one(".host").get_text() == "directory.nccaom.org"
    assert pain.select_one("a.evidence-url")["href"] == ADA_PROFILE
    assert not page.select(".no-specialties")


def test_practitioner_page_shows_the_nccaom_certification(tagged):
    page = _page(tagged, "npi:1000000001")
    assert page.select_one("h2#certification").get_text() == "NCCAOM (now NCBAHM) certification"
    [item] = page.select("li.certification")
    assert item["data-profile-id"] == "ADA1"
    assert item.select_one(".certificates").get_text() == "Dipl. Ac., Dipl. C.H."
    assert item.select_one(".status").get_text() == "Certified Diplomate"
    profile = item.select_one("a.profile-url")
    assert profile["href"] == ADA_PROFILE
    assert profile["rel"] == ["nofollow", "noopener", "noreferrer"]
    assert profile.get_text() == "the NCCAOM profile at directory.nccaom.org"
    assert item.select_one("time.as-of").get_text() == SEEN
    assert "name-city" in item.get_text() and "0.7" in item.get_text()
    assert not page.select(".no-certification")


def test_a_javascript_evidence_url_is_not_a_link_and_a_snippet_is_text(tagged):
    response = _get(tagged, "/tiny/practitioners/npi~3A1000000002")
    assert '<script>alert("tag")</script>' not in response.text
    assert "&lt;script&gt;alert(&#34;tag&#34;)&lt;/script&gt;" in response.text
    page = BeautifulSoup(response.text, "lxml")
    [item] = page.select("li.specialty")
    assert item.select_one("q.snippet").get_text() == SCRIPT_SNIPPET
    assert not item.select("a.evidence-url")
    assert item.select_one(".evidence-text").get_text() == JAVASCRIPT_URL
    assert item.select_one(".host").get_text() == "bo-finch.example"  # from the website's row
    assert not [a for a in page.select("a[href]") if a["href"].lower().startswith("javascript")]
    # no NCCAOM listing: said in a sentence, without an empty heading
    assert page.select(".no-certification") and not page.select("h2#certification")


def test_an_unreadable_evidence_url_gives_no_host_and_no_error(tagged):
    [item] = _page(tagged, "npi:1000000006").select("li.specialty")
    assert item.select_one("a.evidence-url")["href"] == "http://[flo-stork.example/pain"
    assert not item.select(".host")


def test_a_practitioner_with_neither_says_so_without_empty_headings(tagged):
    page = _page(tagged, "npi:1000000009")
    assert not page.select("h2#specialties") and not page.select("h2#certification")
    assert "No specialty found" in page.select_one("p.no-specialties").get_text()
    assert "No board records specialties" in page.select_one("p.no-specialties").get_text()
    assert "voluntary" in page.select_one("p.no-certification").get_text()


def test_the_facial_filter_is_one_click_from_the_table(tagged):
    page = BeautifulSoup(_get(tagged, "/tiny/practitioners").text, "lxml")
    links = {a.get_text(): a["href"] for a in page.select("ul.shortcuts a.shortcut")}
    assert links == {
        "Facial acupuncture": "/tiny/practitioners?_specialty=facial+acupuncture",
        "Facial acupuncture near a ZIP code": "/tiny/facial_near_zip"}
    good = _rows(tagged, "/tiny/practitioners.json?standing=good&_size=max")
    assert {r["practitioner_id"] for r in good} == {p[0] for p in PEOPLE if p[0] not in STANDING}
    path, query = links["Facial acupuncture"].split("?")
    found = _rows(tagged, f"{path}.json?{query}&_size=max")
    claimed = {p[0] for p in PEOPLE if any(t[0] == FACIAL for t in p[6])}
    assert {r["practitioner_id"] for r in found} == claimed
    assert all(FACIAL in json.loads(r["specialties"]) for r in found)
    facet = _get(tagged, "/tiny/practitioners.json?_size=0").json()["facet_results"]
    counts = {v["value"]: v["count"] for v in facet["specialties"]["results"]}
    assert counts == {FACIAL: len(claimed), "pain": 2}


def test_facial_near_zip_is_nearest_first_and_in_good_standing_only(tagged):
    found = _rows(tagged, "/tiny/facial_near_zip.json?zip=98101&miles=50")
    assert [r["practitioner_id"] for r in found] == FACIAL_NEAR_SEATTLE
    lat0, lon0 = _point("98101")
    people = {p[0]: p for p in PEOPLE}
    for r in found:
        person = people[r["practitioner_id"]]
        assert r["miles"] == pytest.approx(haversine_miles(lat0, lon0, *_point(person[2])),
                                           abs=0.051)
        [(_, table, _, evidence_url, snippet)] = [t for t in person[6] if t[0] == FACIAL]
        assert (r["evidence_snippet"], r["evidence_url"], r["standing"]) == (
            snippet, evidence_url, "good")
        assert r["standing_reason"] == GOOD[1] and r["message"] is None
        assert r["read_on"] == {"websites": "practice website",
                                "certifications": "NCCAOM profile"}[table]
        assert r["latitude"] is not None and r["longitude"] is not None  # for the map
    assert 20 < found[-1]["miles"] < 30  # Tacoma
    assert [r["practitioner_id"] for r in _rows(
        tagged, "/tiny/facial_near_zip.json?zip=98101&miles=1")] == FACIAL_NEAR_SEATTLE[:2]
    farther = _rows(tagged, "/tiny/facial_near_zip.json?zip=98101-0001&miles=300")
    assert [r["practitioner_id"] for r in farther] == FACIAL_NEAR_SEATTLE + ["npi:1000000005"]
    # an unknown ZIP code says so in one row; nothing asked, nothing said
    [unknown] = _rows(tagged, "/tiny/facial_near_zip.json?zip=00000&miles=300")
    assert unknown["message"] == (
        "Unknown ZIP code: 00000; give a 5-digit US ZIP code, such as 98101")
    assert unknown["practitioner_id"] is None
    assert _rows(tagged, "/tiny/facial_near_zip.json?zip=&miles=") == []


def test_evidence_urls_in_results_link_only_when_http(tagged):
    page = BeautifulSoup(_get(tagged, "/tiny/facial_near_zip?zip=98101&miles=50").text, "lxml")
    cells = page.select("td.col-evidence_url")
    assert len(cells) == len(FACIAL_NEAR_SEATTLE)
    links = [a for td in cells for a in td.select("a")]
    assert sorted(a["href"] for a in links) == sorted(
        [ADA_PAGE] + [f"https://directory.nccaom.org/p/{k}" for k in ("ABE1", "HAL1")])
    assert all(a["rel"] == ["nofollow", "noopener", "noreferrer"] for a in links)
    assert JAVASCRIPT_URL in [td.get_text(strip=True) for td in cells]
    assert "&lt;script&gt;" in str(page.select("td.col-evidence_snippet"))
    assert "<script>alert(" not in str(page.select("td.col-evidence_snippet"))


def test_specialty_tag_and_website_facets(tagged):
    tags = _get(tagged, "/tiny/specialty_tags.json?_size=0").json()["facet_results"]
    assert {v["value"]: v["count"] for v in tags["record_table"]["results"]} == {
        "certifications": 8, "websites": 3}
    assert {v["value"]: v["count"] for v in tags["tag"]["results"]} == {FACIAL: 9, "pain": 2}
    sites = _get(tagged, "/tiny/websites.json?_size=0").json()["facet_results"]
    assert {v["value"]: v["count"] for v in sites["status"]["results"]} == {"ok": 2, "robots": 1}
    claims = _get(tagged, "/tiny/website_tags.json?_size=0").json()["facet_results"]
    assert {v["value"]: v["count"] for v in claims["tag"]["results"]} == {FACIAL: 2}


# --- status history, status changes and their feed, source health ---------------------------
# Issue 6: "License status over time: a timeline on the practitioner page, a feed of status
# changes, and the health of each source".

HOSTILE = '<script>alert("status")</script>'
# (id, source, status, started_at, error): several sources, failures and gated runs in a row.
RUNS = [
    (1, "wa-doh", "ok", "2026-10-01T06:00:00Z", None),
    (2, "oig-leie", "ok", "2026-10-01T07:00:00Z", None),
    (3, "nccaom", "gated", "2026-10-02T05:00:00Z", "bot challenge at directory.nccaom.org"),
    (4, "co-dora", "failed", "2026-10-03T08:00:00Z", "HTTP 500 from data.colorado.gov"),
    (5, "wa-doh", "failed", "2026-10-05T06:00:00Z", "HTTP 503 from data.wa.gov"),
    (6, "nccaom", "gated", "2026-10-09T05:00:00Z", "bot challenge (Just a moment...)"),
    (7, "wa-doh", "ok", "2026-10-10T06:00:00Z", None),
    (8, "wa-doh", "failed", "2026-10-12T06:00:00Z", "HTTP 503 from data.wa.gov"),
    (9, "co-dora", "ok", "2026-10-20T08:00:00Z", None),
    (10, "oig-leie", "partial", "2026-11-01T07:00:00Z", None),
    (11, "co-dora", "ok", "2026-11-02T08:00:00Z", None),
    (12, "wa-doh", "ok", "2026-11-05T06:00:00Z", None),
    (13, "wa-doh", "failed", "2026-11-06T06:00:00Z", "timed out reading data.wa.gov"),
    (14, "wa-doh", "gated", "2026-11-07T06:00:00Z", "bot challenge at data.wa.gov"),
]
ADA, BO, CY, IVY = "npi:1000000001", "npi:1000000002", "npi:1000000003", "npi:1000000009"
ADA_LICENSE, BO_LICENSE, CY_LICENSE, CY_OLD_LICENSE = (
    "WA:AC:100", "WA:AC:200", "CO:AC:300", "CO:AC:301")
ADA_EXCLUSION, NEW_EXCLUSION = "LARK|ADA|||1000000001|1128b4", "VAN GULL|ZED||||1128a1"
SODA = {"wa-doh": "https://data.wa.gov/resource/qxh8-f4bd.json?$offset=0",
        "co-dora": "https://data.colorado.gov/resource/7s5z-vewr.json?$offset=0"}
LEIE = "https://oig.hhs.gov/exclusions/downloadables/UPDATED.csv"
# (table, record_id, column, old, new, run_id, changed_at), in the order the runs wrote them.
CHANGES = [
    ("licenses", ADA_LICENSE, "status", "ACTIVE", "PROBATION", 7, "2026-10-10T06:05:00Z"),
    ("licenses", ADA_LICENSE, "status_normalized", "active", "probation", 7,
     "2026-10-10T06:05:00Z"),
    ("licenses", BO_LICENSE, "status", "ACTIVE", HOSTILE, 7, "2026-10-10T06:05:00Z"),
    ("licenses", BO_LICENSE, "status_normalized", "active", "unknown", 7, "2026-10-10T06:05:00Z"),
    ("licenses", ADA_LICENSE, "city", "Seattle", "Tacoma", 7, "2026-10-10T06:05:00Z"),
    ("licenses", ADA_LICENSE, "disciplined", "0", "1", 7, "2026-10-10T06:05:00Z"),
    ("exclusions", ADA_EXCLUSION, "reinstated_on", None, "2026-10-28", 10,
     "2026-11-01T07:05:00Z"),
    ("exclusions", ADA_EXCLUSION, "status", "excluded", "reinstated", 10, "2026-11-01T07:05:00Z"),
    ("licenses", CY_LICENSE, "expires_on", "2026-12-31", "2027-12-31", 11, "2026-11-02T08:05:00Z"),
    ("licenses", ADA_LICENSE, "expires_on", "2027-01-31", "2028-01-31", 12, "2026-11-05T06:05:00Z"),
    ("licenses", BO_LICENSE, "gone_at", None, "2026-11-05T06:09:00Z", 12, "2026-11-05T06:09:00Z"),
]
# status_changes with a blank since: newest first (the same time: the later change first).
ALL_CHANGES = [
    (BO, "WA", "license", "gone_at", "no longer listed", 12),
    (ADA, "WA", "license", "expires_on", "expiry date 2027-01-31 → 2028-01-31", 12),
    (CY, "CO", "license", "expires_on", "expiry date 2026-12-31 → 2027-12-31", 11),
    (ADA, "WA", "exclusion", "status", "status excluded → reinstated", 10),
    (ADA, "WA", "exclusion", "reinstated_on", "reinstatement date none → 2026-10-28", 10),
    (None, "OR", "exclusion", "new exclusion",
     "new exclusion: excluded under section 1128a1 from 2026-10-15", 10),
    (ADA, "WA", "license", "disciplined", "discipline reported no → yes", 7),
    (BO, "WA", "license", "status_normalized", "status active → unknown", 7),
    (BO, "WA", "license", "status", f"status in the board's words ACTIVE → {HOSTILE}", 7),
    (ADA, "WA", "license", "status_normalized", "status active → probation", 7),
    (ADA, "WA", "license", "status", "status in the board's words ACTIVE → PROBATION", 7),
    (ADA, "WA", "discipline case", "new case",
     "new discipline case: Probation (case 2026-77), effective 2026-10-01", 7),
]


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Runs of four sources, licenses and exclusions with their changes and discipline cases,
    linked to practitioners, written directly: every case of the status history in one place."""
    db_path = tmp_path_factory.mktemp("history") / "hist.db"
    db = open_db(db_path)
    for run_id, source, status, started_at, error in RUNS:
        db["scrape_runs"].insert({
            "id": run_id, "source": source, "status": status, "started_at": started_at,
            "finished_at": started_at.replace(":00:00Z", ":10:00Z"), "error": error})
    people = [(ADA, "Ada Lark", "WA"), (BO, "Bo Finch", "WA"), (CY, "Cy Wren", "CO"),
              (IVY, "Ivy Kite", "WA")]
    for pid, name, state in people:
        db["practitioners"].insert({
            "practitioner_id": pid, "display_name": name, "state": state, "npi": pid[4:],
            "sources": "nppes-api", "source": "link", "first_seen_at": SEEN,
            "last_seen_at": SEEN})
    licenses = [  # (license_id, name, status, board's status, expires_on, source, first seen, gone_at)
        (ADA_LICENSE, "Ada Lark", "probation", "PROBATION", "2028-01-31", "wa-doh",
         "2026-10-01T06:05:00Z", None),
        (BO_LICENSE, "Bo Finch", "unknown", HOSTILE, "2027-03-31", "wa-doh",
         "2026-10-01T06:05:00Z", "2026-11-05T06:09:00Z"),
        (CY_LICENSE, "Cy Wren", "active", "Active", "2027-12-31", "co-dora",
         "2026-10-20T08:05:00Z", None),
        # gone, with no change row saying when (a database older than its change history)
        (CY_OLD_LICENSE, "Cy Wren", "expired", "Expired", "2020-12-31", "co-dora",
         "2026-10-20T08:05:00Z", "2026-11-02T08:06:00Z"),
    ]
    for license_id, name, status, words, expires_on, source, first_seen, gone_at in licenses:
        jurisdiction, license_type, number = license_id.split(":")
        db["licenses"].insert({
            "license_id": license_id, "jurisdiction": jurisdiction, "license_type": license_type,
            "license_number": f"AC{number}", "license_number_normalized": number,
            "display_name": name, "status": words, "status_normalized": status,
            "expires_on": expires_on, "source": source, "source_url": SODA[source],
            "first_seen_at": first_seen, "last_seen_at": "2026-11-05T06:05:00Z",
            "gone_at": gone_at})
    # Where a person checks the license: a board's lookup page, Colorado's own page for the
    # license, and a link no browser should follow.
    for license_id, verify_url in ((ADA_LICENSE, WA_LOOKUP), (CY_LICENSE, CY_OWN_PAGE),
                                   (CY_OLD_LICENSE, "javascript:alert(1)")):
        db["licenses"].update(license_id, {"verify_url": verify_url})
    db["disciplinary_actions"].insert_all([
        # listed by a later run than the one that first saw the license: a new case
        {"action_id": f"{ADA_LICENSE}:2026-77", "license_id": ADA_LICENSE,
         "jurisdiction": "WA", "case_number": "2026-77", "action": "Probation",
         "effective_on": "2026-10-01", "source": "wa-doh", "source_url": SODA["wa-doh"],
         "first_seen_at": "2026-10-10T06:05:00Z", "last_seen_at": "2026-11-05T06:05:00Z"},
        # listed in the run that first saw the license, on a later page: not new
        {"action_id": f"{CY_LICENSE}:2019-3", "license_id": CY_LICENSE, "jurisdiction": "CO",
         "case_number": "2019-3", "action": "Fine", "effective_on": "2019-05-02",
         "source": "co-dora", "source_url": SODA["co-dora"],
         "first_seen_at": "2026-10-20T08:07:00Z", "last_seen_at": "2026-11-02T08:05:00Z"},
    ])
    db["exclusions"].insert_all([
        {"exclusion_id": ADA_EXCLUSION, "npi": "1000000001", "display_name": "Ada Lark",
         "state": "WA", "exclusion_type": "1128b4", "excluded_on": "2025-06-18",
         "reinstated_on": "2026-10-28", "status": "reinstated", "source": "oig-leie",
         "source_url": LEIE, "first_seen_at": "2026-10-01T07:05:00Z",
         "last_seen_at": "2026-11-01T07:05:00Z"},
        {"exclusion_id": "old-heron-1128a1", "display_name": "Di Heron", "state": "WA",
         "exclusion_type": "1128a1", "excluded_on": "2011-02-20", "status": "excluded",
         "source": "oig-leie", "source_url": LEIE, "first_seen_at": "2026-10-01T07:09:00Z",
         "last_seen_at": "2026-11-01T07:05:00Z"},
        {"exclusion_id": NEW_EXCLUSION, "display_name": "Zed Gull", "state": "OR",
         "exclusion_type": "1128a1", "excluded_on": "2026-10-15", "status": "excluded",
         "source": "oig-leie", "source_url": LEIE, "first_seen_at": "2026-11-01T07:05:00Z",
         "last_seen_at": "2026-11-01T07:05:00Z"},
    ])
    db["practitioner_links"].insert_all([
        {"record_table": table, "record_id": record_id, "practitioner_id": pid, "rule": rule,
         "confidence": confidence, "explanation": "written by the test", "linked_at": SEEN}
        for table, record_id, pid, rule, confidence in [
            ("licenses", ADA_LICENSE, ADA, "license-number", 0.99),
            ("exclusions", ADA_EXCLUSION, ADA, "npi", 1.0),
            ("licenses", BO_LICENSE, BO, "license-number", 0.99),
            ("licenses", CY_LICENSE, CY, "license-number", 0.99),
            ("licenses", CY_OLD_LICENSE, CY, "name-city", 0.7)]])
    db["changes"].insert_all([
        {"table_name": table, "record_id": record_id, "column_name": column, "old_value": old,
         "new_value": new, "run_id": run_id, "changed_at": at}
        for table, record_id, column, old, new, run_id, at in CHANGES])
    db.conn.close()
    return db_path


WA_LOOKUP = "https://fortress.wa.gov/doh/providercredentialsearch/"
CY_OWN_PAGE = "https://apps2.colorado.gov/dora/licensing/Lookup/LicenseLookup.aspx?Id=AC.0000777"


def test_each_license_links_to_the_board_where_a_person_can_check_it(history):
    """Issue 11: each license row carries the board's own lookup, shown beside it."""
    def verify_links(pid):
        page = _page(history, pid)
        return [(item["data-record-id"], link["href"], link.get_text(), link["rel"])
                for item in page.select("li.source-record")
                for link in item.select("p.verify a.verify-url")]

    assert verify_links(ADA) == [(ADA_LICENSE, WA_LOOKUP, "fortress.wa.gov",
                                  ["nofollow", "noopener", "noreferrer"])]
    # Colorado's own page for the license; the javascript: link on the old one is not shown.
    assert verify_links(CY) == [(CY_LICENSE, CY_OWN_PAGE, "apps2.colorado.gov",
                                 ["nofollow", "noopener", "noreferrer"])]
    assert "javascript:" not in _get(history, f"/hist/practitioners/{CY.replace(':', '~3A')}").text


def _timeline(page: BeautifulSoup) -> list[tuple[str, str, list[tuple[str, str, str | None]]]]:
    """Each record's status history as (record table, record id, [(date, text, run link)])."""
    return [(section["data-record-table"], section["data-record-id"], [
        (li.time.get_text(), " ".join(li.get_text().split()),
         li.select_one("a.run")["href"] if li.select_one("a.run") else None)
        for li in section.select("li.event")]) for section in page.select("section.timeline")]


def test_practitioner_page_shows_each_records_status_history_in_order(history):
    page = _page(history, ADA)
    assert page.select_one("h2#status-history").get_text() == "Status history"
    assert _timeline(page) == [
        ("licenses", ADA_LICENSE, [
            ("2026-10-01", "2026-10-01: first seen, status active (the board's words: ACTIVE)",
             None),
            ("2026-10-10", "2026-10-10: discipline case listed: Probation (case 2026-77), "
             "effective 2026-10-01", None),
            ("2026-10-10", "2026-10-10: status in the board's words ACTIVE → PROBATION · seen "
             "by run 7", "/hist/scrape_runs/7"),
            ("2026-10-10", "2026-10-10: status active → probation · seen by run 7",
             "/hist/scrape_runs/7"),
            ("2026-10-10", "2026-10-10: discipline reported no → yes · seen by run 7",
             "/hist/scrape_runs/7"),
            ("2026-11-05", "2026-11-05: expiry date 2027-01-31 → 2028-01-31 · seen by run 12",
             "/hist/scrape_runs/12")]),
        ("exclusions", ADA_EXCLUSION, [
            ("2026-10-01", "2026-10-01: first seen on the exclusion list, status excluded", None),
            ("2026-11-01", "2026-11-01: reinstatement date none → 2026-10-28 · seen by run 10",
             "/hist/scrape_runs/10"),
            ("2026-11-01", "2026-11-01: exclusion status excluded → reinstated · seen by run 10",
             "/hist/scrape_runs/10")]),
    ]
    [first, *_] = page.select("section.timeline li.event")
    assert first.time["datetime"] == "2026-10-01T06:05:00Z"
    assert [li["data-field"] for li in page.select("li.event-change")] == [
        "status", "status_normalized", "disciplined", "expires_on", "reinstated_on", "status"]
    links = [a["href"] for a in page.select("section.timeline h3 a")]
    assert links == ["/hist/licenses/WA~3AAC~3A100",
                     f"/hist/exclusions/{tilde_encode(ADA_EXCLUSION)}"]
    assert not page.select(".no-timeline")
    # the run link leads to the run's row
    assert _get(history, "/hist/scrape_runs/7.json?_shape=objects").json()["rows"][0][
        "source"] == "wa-doh"


def test_status_history_of_a_gone_license_and_a_hostile_status(history):
    response = _get(history, f"/hist/practitioners/{tilde_encode(BO)}")
    assert HOSTILE not in response.text
    assert "&lt;script&gt;alert(&#34;status&#34;)&lt;/script&gt;" in response.text
    page = BeautifulSoup(response.text, "lxml")
    [(_, _, events)] = _timeline(page)
    assert events == [
        ("2026-10-01", "2026-10-01: first seen, status active (the board's words: ACTIVE)", None),
        ("2026-10-10", f"2026-10-10: status in the board's words ACTIVE → {HOSTILE} · seen by "
         "run 7", "/hist/scrape_runs/7"),
        ("2026-10-10", "2026-10-10: status active → unknown · seen by run 7",
         "/hist/scrape_runs/7"),
        ("2026-11-05", "2026-11-05: no longer listed by the board · seen by run 12",
         "/hist/scrape_runs/12")]
    assert page.select_one("li.event-change span.new").get_text() == HOSTILE


def test_status_history_takes_gone_at_from_the_record_when_no_change_says_it(history):
    timelines = dict(((t, r), events) for t, r, events in _timeline(_page(history, CY)))
    assert timelines[("licenses", CY_OLD_LICENSE)] == [
        ("2026-10-20", "2026-10-20: first seen, status expired (the board's words: Expired)",
         None),
        ("2026-11-02", "2026-11-02: no longer listed by the board", None)]
    assert timelines[("licenses", CY_LICENSE)] == [
        ("2026-10-20", "2026-10-20: first seen, status active (the board's words: Active)", None),
        ("2026-10-20", "2026-10-20: discipline case listed: Fine (case 2019-3), effective "
         "2019-05-02", None),
        ("2026-11-02", "2026-11-02: expiry date 2026-12-31 → 2027-12-31 · seen by run 11",
         "/hist/scrape_runs/11")]


def test_a_practitioner_with_no_license_or_exclusion_has_one_sentence(history):
    page = _page(history, IVY)
    assert not page.select("section.timeline")
    assert page.select_one("p.no-timeline").get_text() == (
        "No state board license or federal exclusion is linked to this practitioner, so there "
        "is no status to follow.")


def _changes(history, **params) -> list[dict]:
    query = "&".join(f"{k}={quote(v)}" for k, v in params.items())
    return _rows(history, f"/hist/status_changes.json?{query}")


def _brief(rows: list[dict]) -> list[tuple]:
    return [(r["practitioner_id"], r["state"], r["record"], r["field"], r["change"], r["run_id"])
            for r in rows]


def test_status_changes_lists_every_change_newest_first(history):
    found = _changes(history, since="", state="", practitioner_id="")
    assert _brief(found) == ALL_CHANGES
    assert found == _changes(history)  # the parameters left out are blank too
    assert found[1] == {
        "changed_at": "2026-11-05T06:05:00Z", "practitioner_id": ADA, "practitioner": "Ada Lark",
        "state": "WA", "license_number": "AC100", "record": "license", "field": "expires_on",
        "old_value": "2027-01-31", "new_value": "2028-01-31",
        "change": "expiry date 2027-01-31 → 2028-01-31", "run_id": 12, "change_id": 10,
        "source": "wa-doh", "source_url": SODA["wa-doh"],
        "atom_id": "tag:acupuncture-directory,2026:changes/10",
        "atom_title": "Ada Lark (WA license AC100): expiry date 2027-01-31 → 2028-01-31",
        "atom_updated": "2026-11-05T06:05:00Z",
        "atom_content": "Seen on 2026-11-05T06:05:00Z by run 12 of wa-doh: WA license AC100 of "
        f"Ada Lark, expiry date 2027-01-31 → 2028-01-31. Source: {SODA['wa-doh']}",
        "atom_link": "/hist/practitioners/npi~3A1000000001#status-history"}
    # a new exclusion of someone not among the practitioners: named by OIG, linked to its row
    new = next(r for r in found if r["field"] == "new exclusion")
    assert (new["practitioner"], new["change_id"], new["atom_link"], new["source_url"]) == (
        "Zed Gull", None, f"/hist/exclusions/{tilde_encode(NEW_EXCLUSION)}", LEIE)
    assert new["atom_id"] == ("tag:acupuncture-directory,2026:exclusions/"
                              "VAN+GULL~7CZED~7C~7C~7C~7C1128a1")
    # left out: an untracked column (city), a case listed with its license's first reading,
    # exclusions on the list when it was first read
    assert "city" not in {r["field"] for r in found}
    assert not [r for r in found if r["practitioner_id"] == CY and r["record"] != "license"]
    assert {r["practitioner"] for r in found if r["record"] == "exclusion"} == {
        "Ada Lark", "Zed Gull"}


@pytest.mark.parametrize("params, expected", [
    ({"since": "2026-11-01"}, [c for c in ALL_CHANGES if c[5] >= 10]),
    ({"since": "2026-11-05T06:06:00Z"}, ALL_CHANGES[:1]),
    ({"since": "2027-01-01"}, []),
    ({"state": "co"}, [c for c in ALL_CHANGES if c[1] == "CO"]),
    ({"state": " WA "}, [c for c in ALL_CHANGES if c[1] == "WA"]),
    ({"practitioner_id": ADA}, [c for c in ALL_CHANGES if c[0] == ADA]),
    ({"since": "2026-11-01", "practitioner_id": ADA},
     [c for c in ALL_CHANGES if c[0] == ADA and c[5] >= 10]),
    ({"since": "2026-10-01", "state": "OR", "practitioner_id": ""}, ALL_CHANGES[5:6]),
])
def test_status_changes_filters_by_since_state_and_practitioner(history, params, expected):
    assert _brief(_changes(history, **params)) == expected


def test_status_changes_page_links_practitioners_and_runs_and_escapes(history):
    page = BeautifulSoup(_get(history, "/hist/status_changes?since=2026-10-10").text, "lxml")
    runs = [a["href"] for a in page.select("td.col-run_id a")]
    assert runs == [f"/hist/scrape_runs/{c[5]}" for c in ALL_CHANGES]
    people = [a["href"] for a in page.select("td.col-practitioner_id a")]
    assert people == [f"/hist/practitioners/{tilde_encode(c[0])}" for c in ALL_CHANGES if c[0]]
    cells = page.select("td.col-new_value")
    assert HOSTILE in [td.get_text() for td in cells]
    assert not page.select("td script")
    feed = [a for a in page.select("a[href]") if ".atom" in a["href"]]
    assert feed and feed[0]["href"].startswith("/hist/status_changes.atom?since=2026-10-10")


ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(history, query: str) -> ET.Element:
    response = _get(history, f"/hist/status_changes.atom?{query}")
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("application/xml")
    return ET.fromstring(response.content)


def test_status_changes_is_an_atom_feed_with_one_entry_per_change(history):
    feed = _feed(history, "since=2026-11-01")
    rows = _changes(history, since="2026-11-01")
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}title") == "Status changes"
    assert feed.findtext(f"{ATOM}updated") == "2026-11-05T06:09:00+00:00"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [r["atom_id"] for r in rows]
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == len(rows) == 6
    assert not [e for e in entries if re.search(r"[\s|]", e.findtext(f"{ATOM}id"))]
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Bo Finch (WA license AC200): no longer listed",
        "Ada Lark (WA license AC100): expiry date 2027-01-31 → 2028-01-31",
        "Cy Wren (CO license AC300): expiry date 2026-12-31 → 2027-12-31",
        "Ada Lark (OIG exclusion): status excluded → reinstated",
        "Ada Lark (OIG exclusion): reinstatement date none → 2026-10-28",
        "Zed Gull (OIG exclusion): new exclusion: excluded under section 1128a1 from "
        "2026-10-15"]
    assert [e.find(f"{ATOM}link").get("href") for e in entries] == [
        f"/hist/practitioners/{tilde_encode(BO)}#status-history",
        f"/hist/practitioners/{tilde_encode(ADA)}#status-history",
        f"/hist/practitioners/{tilde_encode(CY)}#status-history",
        f"/hist/practitioners/{tilde_encode(ADA)}#status-history",
        f"/hist/practitioners/{tilde_encode(ADA)}#status-history",
        f"/hist/exclusions/{tilde_encode(NEW_EXCLUSION)}"]
    assert [e.findtext(f"{ATOM}updated") for e in entries] == [
        r["changed_at"].replace("Z", "+00:00") for r in rows]
    content = entries[0].find(f"{ATOM}content")
    assert content.get("type") == "text"
    assert content.text == ("Seen on 2026-11-05T06:09:00Z by run 12 of wa-doh: WA license "
                            f"AC200 of Bo Finch, no longer listed. Source: {SODA['wa-doh']}")


def test_the_feed_filters_like_the_query_and_escapes_a_hostile_value(history):
    response = _get(history, f"/hist/status_changes.atom?practitioner_id={quote(BO)}")
    assert HOSTILE.encode() not in response.content
    entries = ET.fromstring(response.content).findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Bo Finch (WA license AC200): no longer listed",
        "Bo Finch (WA license AC200): status active → unknown",
        f"Bo Finch (WA license AC200): status in the board's words ACTIVE → {HOSTILE}"]


def test_a_feed_with_nothing_new_is_an_empty_feed_not_an_error(history):
    # datasette-atom 0.9 alone answers 500 (max() of no rows); publish/plugins/atom_feeds.py
    feed = _feed(history, "since=2027-01-01")
    assert feed.findall(f"{ATOM}entry") == []
    assert feed.findtext(f"{ATOM}title") == "Status changes"
    assert feed.findtext(f"{ATOM}updated") == "2026-11-07T06:10:00+00:00"  # the last run
    assert _get(history, "/hist.atom?sql=select+1+as+x+where+0").status_code == 400


def test_source_health_per_source(history):
    found = _rows(history, "/hist/source_health.json")
    assert [(r["source"], r["last_run_id"], r["last_status"], r["last_success_run_id"],
             r["last_success_at"], r["failures_in_a_row"], r["gated"], r["latest_error_run_id"],
             r["latest_error"]) for r in found] == [
        ("nccaom", 6, "gated", None, None, 2, 1, 6, "bot challenge (Just a moment...)"),
        ("wa-doh", 14, "gated", 12, "2026-11-05T06:10:00Z", 2, 1, 14,
         "bot challenge at data.wa.gov"),
        ("co-dora", 11, "ok", 11, "2026-11-02T08:10:00Z", 0, 0, 4,
         "HTTP 500 from data.colorado.gov"),
        ("oig-leie", 10, "partial", 10, "2026-11-01T07:10:00Z", 0, 0, None, None)]
    wa = found[1]
    assert (wa["last_started_at"], wa["last_finished_at"], wa["latest_error_at"]) == (
        "2026-11-07T06:00:00Z", "2026-11-07T06:10:00Z", "2026-11-07T06:10:00Z")
    # the run log links to it, and to the failed and gated runs
    page = BeautifulSoup(_get(history, "/hist/scrape_runs").text, "lxml")
    links = {a.get_text(): a["href"] for a in page.select("ul.shortcuts a.shortcut")}
    assert links["Health of each source"] == "/hist/source_health"
    failed = _rows(history, links["Failed, gated or suspect runs"].replace("?", ".json?"))
    assert sorted(r["id"] for r in failed) == [r[0] for r in RUNS
                                               if r[2] in ("failed", "gated", "suspect")]
