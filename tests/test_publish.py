"""The published site, in-process through datasette.client: search, facets, metadata, escaping;
and, over a small database written row by row, certifications and specialty tags on the
practitioner page, the facial acupuncture filter and the facial_near_zip query.
"""

from __future__ import annotations

import asyncio
import json

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
]
# Within 50 miles of 98101, in good standing, claiming facial acupuncture: nearest first, and by
# name at the same distance. Cy (expired), Di (excluded), Gus (gone), Flo (no facial claim) and
# Ed (Spokane, about 230 miles) are left out.
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
            "excluded": excluded, "disciplined": 0,
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
    response = _get(db_path, f"/tiny/practitioners/{pid.replace(':', '~3A')}")
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
    assert page.select_one("h2#certification").get_text() == "NCCAOM certification"
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
        "Facial acupuncture": "/tiny/practitioners?specialties__arraycontains=facial+acupuncture",
        "Facial acupuncture near a ZIP code": "/tiny/facial_near_zip"}
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
        assert (r["evidence_snippet"], r["evidence_url"], r["license_status"]) == (
            snippet, evidence_url, "active")
        assert r["read_on"] == {"websites": "practice website",
                                "certifications": "NCCAOM profile"}[table]
        assert r["latitude"] is not None and r["longitude"] is not None  # for the map
    assert 20 < found[-1]["miles"] < 30  # Tacoma
    assert [r["practitioner_id"] for r in _rows(
        tagged, "/tiny/facial_near_zip.json?zip=98101&miles=1")] == FACIAL_NEAR_SEATTLE[:2]
    farther = _rows(tagged, "/tiny/facial_near_zip.json?zip=98101-0001&miles=300")
    assert [r["practitioner_id"] for r in farther] == FACIAL_NEAR_SEATTLE + ["npi:1000000005"]
    assert _rows(tagged, "/tiny/facial_near_zip.json?zip=00000&miles=300") == []
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
        "certifications": 7, "websites": 3}
    assert {v["value"]: v["count"] for v in tags["tag"]["results"]} == {FACIAL: 8, "pain": 2}
    sites = _get(tagged, "/tiny/websites.json?_size=0").json()["facet_results"]
    assert {v["value"]: v["count"] for v in sites["status"]["results"]} == {"ok": 2, "robots": 1}
    claims = _get(tagged, "/tiny/website_tags.json?_size=0").json()["facet_results"]
    assert {v["value"]: v["count"] for v in claims["tag"]["results"]} == {FACIAL: 2}
