"""The published directory, in-process through datasette.client, over the stand-ins scraped
through the real command line: the canned queries (ranked search, near a ZIP, facial acupuncture
near a ZIP, expiring licenses, discipline and exclusions, status changes and the health of
each source), the practitioner page with every linked record, its NCCAOM certification and its
specialties, facets, a description for every table and column, escaping, read-only serving.

Issues: "One practitioner, every source: the Datasette search experience"; "Datasette:
certifications and specialty tags on the practitioner page and as facets (a 'facial
acupuncture' filter), each with its evidence link".
"""

from __future__ import annotations

import asyncio
import importlib.util
import math
import re
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
import zipcodes
from bs4 import BeautifulSoup
from sqlite_utils import Database

from publish import METADATA_PATH, PUBLISH_DIR
from publish.app import METADATA_DB_NAME, make_datasette
from tests.sites import demo
from tests.sites.nppes_data import XSS_TEXT
from tests.sites.serve import start_all

SITE_N = 3000  # stand-in acupuncturists: every source and every linking rule, in a few seconds
DB = "site"  # the served file is site.db, so Datasette names the database "site"
PRACTITIONER_FACETS = {"state", "license_status", "credentials", "certified", "disciplined",
                       "excluded", "specialties"}
_BUILT: dict[str, Path] = {}
# Where a specialty claim was read, as facial_near_zip and the practitioner page say it.
READ_ON = {"certifications": "NCCAOM profile", "websites": "practice website"}
READ_IN = {"certifications": "an NCCAOM profile", "websites": "the practice's website"}


def scraped_site_db(tmp_path_factory) -> Path:
    """Once per test session (tests/test_browser.py uses it too): every stand-in scraped and
    linked by the real `practitioners scrape`, as `make demo` does, on a smaller data set,
    practice websites included."""
    if "db" not in _BUILT:
        server, sites = start_all(port=0, n=SITE_N)
        tmp = tmp_path_factory.mktemp("site")
        db_path = tmp / f"{DB}.db"
        config = demo.write_config(tmp, server.url, sites["websites_server"].url)
        try:
            result = demo.scrape(db_path, config)
        finally:
            server.stop()
        assert result.returncode == 0
        _BUILT["db"] = db_path
    return _BUILT["db"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return scraped_site_db(tmp_path_factory)


@pytest.fixture(scope="module")
def db(site):
    conn = sqlite3.connect(f"file:{site}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def get(site: Path, *paths: str):
    """GET each path from a Datasette serving `site` as `practitioners serve` does."""

    async def go():
        ds = make_datasette(site)
        await ds.invoke_startup()
        return [await ds.client.get(path) for path in paths]

    responses = asyncio.run(go())
    return responses[0] if len(paths) == 1 else responses


def rows(site: Path, path: str) -> list[dict]:
    response = get(site, path + ("&" if "?" in path else "?") + "_shape=array")
    assert response.status_code == 200, response.text[:500]
    return response.json()


def haversine_miles(lat1, lon1, lat2, lon2) -> float:
    """An independent great-circle distance (R = 3958.8 miles)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 3958.8 * math.atan2(math.sqrt(a), math.sqrt(1 - a))


def load_sql_functions():
    path = PUBLISH_DIR / "plugins" / "sql_functions.py"
    spec = importlib.util.spec_from_file_location("sql_functions_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- ranked search --------------------------------------------------------------------------

def test_search_finds_a_known_name_first(site, db):
    name, pid = db.execute(
        "select display_name, practitioner_id from practitioners where gone_at is null "
        "and display_name not like '%<%' and display_name like '% % %' "
        "group by display_name having count(*) = 1 order by display_name limit 1").fetchone()
    found = rows(site, f"/{DB}/search.json?q={quote(name)}")
    assert found[0]["practitioner_id"] == pid
    assert {"display_name", "state", "standing", "standing_reason", "phone", "address",
            "website", "discipline"} <= set(found[0])


def test_search_matches_the_last_word_as_a_prefix_and_survives_any_input(site, db):
    # The porter stemmer stems the typed prefix too ("johns" -> "john", which "John" begins):
    # take a name whose first five letters it leaves alone (no -s, -e, -y at the cut).
    last = db.execute("select last_name from practitioners where last_name glob '[A-Z]*' "
                      "and last_name not like '%<%' and length(last_name) > 5 "
                      "and lower(substr(last_name, 5, 1)) not in ('s', 'e', 'y') "
                      "group by last_name order by count(*) desc limit 1").fetchone()[0]
    whole = rows(site, f"/{DB}/search.json?q={quote(last)}")
    begun = rows(site, f"/{DB}/search.json?q={quote(last[:5].lower())}")
    assert whole and len(begun) >= len(whole)
    assert all(re.search(rf"\b{last[:5]}", r["display_name"] + " " + (r["city"] or ""), re.I)
               for r in begun)
    for text in ("", "   ", '"', "*", "-", "(("):
        assert rows(site, f"/{DB}/search.json?q={quote(text)}") == []
    operators = quote("AND (o'hara NEAR")  # FTS5 syntax, typed by someone: still just words
    assert isinstance(rows(site, f"/{DB}/search.json?q={operators}"), list)


def test_search_ranks_the_name_above_the_city(site, db):
    """bm25 weights the name ten times the city: a person named like a city comes first."""
    city = db.execute("select p.city from practitioners p where p.city is not null and exists "
                      "(select 1 from practitioners q where lower(q.last_name) = lower(p.city)) "
                      "limit 1").fetchone()
    if city is None:
        pytest.skip("no last name equals a city in this data")
    found = rows(site, f"/{DB}/search.json?q={quote(city[0])}")
    word = city[0].lower()
    # matched through the name: the city is another; through the city only: no name word
    # even starts like the query (porter stems "davis" to "davi", which "david" begins with)
    named = [i for i, r in enumerate(found) if (r["city"] or "").lower() != word]
    placed = [i for i, r in enumerate(found) if (r["city"] or "").lower() == word
              and not re.search(rf"\b{word[:3]}", r["display_name"], re.I)]
    assert named and placed and max(named) < min(placed)


# --- near a ZIP -----------------------------------------------------------------------------

@pytest.mark.parametrize("miles", [0.5, 12, 40])
def test_near_zip_matches_a_haversine_over_the_table(site, db, miles):
    zip_code = db.execute("select zip from practitioners where latitude is not null "
                          "group by zip order by count(*) desc limit 1").fetchone()[0]
    origin = zipcodes.matching(zip_code)[0]
    lat0, lon0 = float(origin["lat"]), float(origin["long"])
    expected = {}
    for r in db.execute("select practitioner_id, latitude, longitude from practitioners "
                        "where latitude is not null and gone_at is null"):
        d = haversine_miles(lat0, lon0, r["latitude"], r["longitude"])
        if d <= miles:
            expected[r["practitioner_id"]] = d
    found: list[dict] = []
    for page in range(1, 50):
        asked = rows(site, f"/{DB}/near_zip.json?zip={zip_code}&miles={miles}&page={page}")
        if asked[0]["message"]:  # past the last page
            assert asked == [{**asked[0], "message": f"No more within {miles:g} miles of "
                                                     f"{zip_code}: page {page} is past the last"}]
            break
        assert len(found) % 100 == 0 and len(asked) <= 100  # only the last page is short
        found += asked
    else:
        pytest.fail("no end to the pages")
    assert expected and len(found) == len(expected)
    assert {r["practitioner_id"] for r in found} == set(expected)  # each once, none left out
    assert [r["miles"] for r in found] == sorted(r["miles"] for r in found)  # nearest first
    for r in found:
        assert r["miles"] == pytest.approx(expected[r["practitioner_id"]], abs=0.051)
        assert r["latitude"] is not None and r["longitude"] is not None  # for the map


def test_near_zip_takes_zip_plus_four_and_ignores_unknown_zips(site, db):
    zip_code = db.execute("select zip from practitioners where latitude is not null "
                          "limit 1").fetchone()[0]
    plain = rows(site, f"/{DB}/near_zip.json?zip={zip_code}&miles=5")
    assert plain and rows(site, f"/{DB}/near_zip.json?zip={zip_code}-1234&miles=5") == plain
    [unknown] = rows(site, f"/{DB}/near_zip.json?zip=00000&miles=50")
    assert unknown["message"].startswith("Unknown ZIP code: 00000;")
    assert rows(site, f"/{DB}/near_zip.json?zip=&miles=") == []


def test_a_database_migrated_but_not_linked_since_gets_its_places(site, tmp_path):
    """near_zip reads practitioner_search_places, which only linking made before m026."""
    from db.migrations import m026_search_places

    copy = tmp_path / "copy.db"
    source = sqlite3.connect(f"file:{site}?mode=ro", uri=True)
    source.backup(target := sqlite3.connect(copy))
    source.close()
    places = "select * from practitioner_search_places order by latitude, longitude, id"
    linked = target.execute(places).fetchall()
    assert len(linked) > 100
    target.execute("drop table practitioner_search_places")
    target.commit()
    target.close()
    m026_search_places(Database(copy))
    assert sqlite3.connect(copy).execute(places).fetchall() == linked
    stale = Database(copy)
    stale.execute("update practitioner_search_places set name = 'kept'")
    m026_search_places(stale)  # a table linking made is left as it is
    assert {r[0] for r in stale.execute("select name from practitioner_search_places")} == {"kept"}


def query_plan(site: Path, query: str) -> str:
    sql = yaml.safe_load(METADATA_PATH.read_text())["databases"][METADATA_DB_NAME][
        "queries"][query]["sql"]
    conn = sqlite3.connect(f"file:{site}?mode=ro", uri=True)
    load_sql_functions().prepare_connection(conn, DB, make_datasette(site))
    return " ".join(str(r[-1]) for r in conn.execute(f"explain query plan {sql}",
                                                     {"zip": "98101", "miles": 10, "page": ""}))


def test_near_zip_prefilters_through_the_places_and_reads_only_its_page(site):
    plan = query_plan(site, "near_zip")
    assert re.search(r"SEARCH g USING PRIMARY KEY \(latitude>\? AND latitude<\?\)", plan), plan
    assert "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    assert not re.search(r"SCAN (p|g)\b", plan), plan


def test_facial_near_zip_reads_no_table_whole(site):
    """SQLite may start from the location box or from the tag's index (the fewer rows): either
    way it never reads every practitioner or every tag."""
    plan = query_plan(site, "facial_near_zip")
    assert re.search(r"SEARCH p USING (COVERING )?INDEX", plan), plan
    assert re.search(r"SEARCH t USING (COVERING )?INDEX", plan), plan
    assert not re.search(r"SCAN (p|t)\b", plan), plan


# --- facial acupuncture near a ZIP ---------------------------------------------------------

def test_facial_near_zip_matches_sql_and_a_haversine(site, db):
    """Everyone in good standing claiming facial acupuncture within the distance, and no one
    else, nearest first, each with the words and the page of the claim."""
    claims = {r["practitioner_id"]: r for r in db.execute(
        "select p.practitioner_id, p.latitude, p.longitude, p.zip, t.snippet, t.evidence_url, "
        "t.record_table "
        "from practitioners p join specialty_tags t using (practitioner_id) "
        "where t.tag = 'facial acupuncture' and p.standing = 'good' "
        "and p.gone_at is null and p.latitude is not null")}
    assert claims, "the stand-ins should give some facial acupuncture claims"
    miles = 300

    def near(origin) -> int:  # a practitioner's coordinates are those of their ZIP's centre
        return sum(haversine_miles(origin["latitude"], origin["longitude"], r["latitude"],
                                   r["longitude"]) <= miles for r in claims.values())

    zip_code = max(claims.values(), key=lambda r: (near(r), r["zip"]))["zip"]
    origin = zipcodes.matching(zip_code)[0]
    lat0, lon0 = float(origin["lat"]), float(origin["long"])
    expected = {pid: haversine_miles(lat0, lon0, r["latitude"], r["longitude"])
                for pid, r in claims.items()}
    expected = {pid: d for pid, d in expected.items() if d <= miles}
    found = rows(site, f"/{DB}/facial_near_zip.json?zip={zip_code}&miles={miles}&_size=max")
    assert {r["practitioner_id"] for r in found} == set(expected)
    assert [r["miles"] for r in found] == sorted(r["miles"] for r in found)
    for r in found:
        claim = claims[r["practitioner_id"]]
        assert r["miles"] == pytest.approx(expected[r["practitioner_id"]], abs=0.051)
        assert (r["evidence_snippet"], r["evidence_url"]) == (claim["snippet"],
                                                              claim["evidence_url"])
        assert r["standing"] == "good" and r["standing_reason"].startswith("In good standing")
        assert r["read_on"] == READ_ON[claim["record_table"]]
    assert {r["read_on"] for r in found} == set(READ_ON.values())  # profiles and websites


# --- expiring licenses ----------------------------------------------------------------------

def test_expiring_lists_the_licenses_sql_finds_soonest_first(site, db):
    today = datetime.now(UTC).date()
    soon = [r[0] for r in db.execute(
        "select expires_on from licenses where gone_at is null and expires_on >= ? "
        "order by expires_on limit 25", [today.isoformat()])]
    # enough days to hold some licenses whatever day the test runs (the data has fixed dates)
    days = (date.fromisoformat(soon[-1]) - today).days if soon else 60
    found = rows(site, f"/{DB}/expiring.json?days={days}")
    expected = db.execute(
        "select jurisdiction, license_number, expires_on from licenses where gone_at is null "
        "and expires_on between ? and ?",
        [today.isoformat(), (today + timedelta(days=days)).isoformat()]).fetchall()
    assert len(found) == len(expected) >= len(soon)
    assert sorted((r["state"], r["license_number"], r["expires_on"]) for r in found) == sorted(
        tuple(r) for r in expected)
    assert [r["expires_on"] for r in found] == sorted(r["expires_on"] for r in found)
    for r in found:
        assert r["days_left"] == (date.fromisoformat(r["expires_on"]) - today).days
        assert r["practitioner_id"] and r["source"] and r["source_url"] and r["as_of"]


# --- discipline and exclusions --------------------------------------------------------------

def test_disciplined_or_excluded_says_what_and_where_from(site, db):
    found = rows(site, f"/{DB}/disciplined_or_excluded.json?_size=max")
    flagged = {r[0] for r in db.execute("select practitioner_id from practitioners where "
                                        "(disciplined = 1 or excluded = 1) and gone_at is null")}
    assert flagged and {r["practitioner_id"] for r in found} == flagged
    assert all(r["source"] and r["source_url"] and r["as_of"] and r["detail"] for r in found)
    exclusions = [r for r in found if r["what"] == "federal exclusion"]
    assert exclusions and {r["source"] for r in exclusions} == {"oig-leie"}
    excluded = {r[0] for r in db.execute("select practitioner_id from practitioners "
                                         "where excluded = 1")}
    assert {r["practitioner_id"] for r in exclusions} == excluded
    cases = {r[0] for r in db.execute(
        "select a.case_number from disciplinary_actions a join practitioner_links l on "
        "l.record_table = 'licenses' and l.record_id = a.license_id join practitioners p "
        "using (practitioner_id) where p.disciplined = 1")}
    assert cases and cases <= {r["case_number"] for r in found}


def test_canned_query_results_link_to_the_practitioner_page(site):
    page = BeautifulSoup(get(site, f"/{DB}/disciplined_or_excluded").text, "lxml")
    link = page.select_one("td.col-practitioner_id a")
    assert link["href"].startswith(f"/{DB}/practitioners/") and link.text.startswith("npi:")


# --- the practitioner page ------------------------------------------------------------------

def test_practitioner_page_lists_every_linked_record_with_source_and_as_of(site, db):
    pid = db.execute("select practitioner_id from practitioner_links where rule = "
                     "'license-number' order by record_id limit 1").fetchone()[0]
    links = db.execute("select * from practitioner_links where practitioner_id = ?",
                       [pid]).fetchall()
    response = get(site, f"/{DB}/practitioners/{pid.replace(':', '~3A')}")
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "lxml")
    name = db.execute("select display_name from practitioners where practitioner_id = ?",
                      [pid]).fetchone()[0]
    assert page.h1.get_text(strip=True) == name
    items = page.select("li.source-record")
    assert sorted((li["data-record-table"], li["data-record-id"]) for li in items) == sorted(
        (link["record_table"], link["record_id"]) for link in links)
    for link in links:
        li = next(li for li in items if li["data-record-id"] == link["record_id"])
        record_key = {"providers": "npi", "licenses": "license_id", "exclusions": "exclusion_id",
                      "certifications": "profile_id"}
        record = db.execute(f"select * from {link['record_table']} where "
                            f"{record_key[link['record_table']]} = ?",
                            [link["record_id"]]).fetchone()
        assert li.select_one("code.rule").text == link["rule"]
        assert li.select_one(".confidence").text == str(link["confidence"])
        assert li.select_one(".explanation").text == link["explanation"]
        assert li.select_one("code.source").text == record["source"]
        assert li.select_one("a.source-url")["href"] == record["source_url"]
        assert li.select_one("time.as-of").text == record["last_seen_at"]
    license_item = next(li for li in items if li["data-record-table"] == "licenses")
    text = license_item.get_text(" ", strip=True)
    lic = db.execute("select * from licenses where license_id = ?",
                     [license_item["data-record-id"]]).fetchone()
    assert lic["license_number"] in text and lic["status_normalized"] in text
    assert license_item.select_one("h3 a")["href"] == (
        f"/{DB}/licenses/" + lic["license_id"].replace(":", "~3A"))


def test_practitioner_page_shows_discipline_cases(site, db):
    row = db.execute("select l.practitioner_id, a.case_number from disciplinary_actions a "
                     "join practitioner_links l on l.record_table = 'licenses' and "
                     "l.record_id = a.license_id where a.case_number is not null "
                     "order by a.rowid limit 1").fetchone()
    page = get(site, f"/{DB}/practitioners/{row[0].replace(':', '~3A')}").text
    assert f"(case {row[1]})" in page


@pytest.mark.parametrize("record_table", ["certifications", "websites"])
def test_practitioner_page_shows_certification_and_every_specialty_tag(site, db, record_table):
    pid = db.execute("select practitioner_id from specialty_tags where tag = "
                     "'facial acupuncture' and record_table = ? order by practitioner_id "
                     "limit 1", [record_table]).fetchone()[0]
    tags = db.execute("select * from specialty_tags where practitioner_id = ? order by tag",
                      [pid]).fetchall()
    page = BeautifulSoup(get(site, f"/{DB}/practitioners/{pid.replace(':', '~3A')}").text,
                         "lxml")
    items = page.select("li.specialty")
    assert [li["data-tag"] for li in items] == [t["tag"] for t in tags]
    for li, tag in zip(items, tags, strict=True):
        assert li.select_one("q.snippet").get_text() == tag["snippet"]
        assert li.select_one("a.evidence-url")["href"] == tag["evidence_url"]
        assert li.select_one("a.record").get_text() == READ_IN[tag["record_table"]]
        assert li.select_one(".host").get_text() == "127.0.0.1"  # the stand-ins' host
        assert li.select_one("time.tagged-at")["datetime"] == tag["tagged_at"]
    certifications = db.execute(
        "select c.* from certifications c join practitioner_links l on l.record_table = "
        "'certifications' and l.record_id = c.profile_id where l.practitioner_id = ?",
        [pid]).fetchall()
    assert [li["data-profile-id"] for li in page.select("li.certification")] == [
        c["profile_id"] for c in certifications]
    for li, cert in zip(page.select("li.certification"), certifications, strict=True):
        assert li.select_one(".certificates").get_text() == cert["certificates"]
        assert li.select_one("a.profile-url")["href"] == cert["profile_url"]
        assert li.select_one("time.as-of").get_text() == cert["last_seen_at"]


def test_other_row_pages_are_datasettes_own(site, db):
    npi = db.execute("select npi from providers limit 1").fetchone()[0]
    page = BeautifulSoup(get(site, f"/{DB}/providers/{npi}").text, "lxml")
    assert page.select_one("table.rows-and-columns") and not page.select("li.source-record")


def test_source_health_agrees_with_the_run_log(site, db):
    runs = [dict(r) for r in db.execute("select * from scrape_runs order by id")]
    found = rows(site, f"/{DB}/source_health.json")
    assert sorted(r["source"] for r in found) == sorted({r["source"] for r in runs})
    for row in found:
        mine = [r for r in runs if r["source"] == row["source"]]
        successes = [r for r in mine if r["status"] in ("ok", "partial")]
        after = successes[-1]["id"] if successes else 0
        assert (row["last_run_id"], row["last_status"], row["failures_in_a_row"]) == (
            mine[-1]["id"], mine[-1]["status"],
            sum(r["status"] in ("failed", "gated") for r in mine if r["id"] > after))
        assert row["last_success_at"] == (successes[-1]["finished_at"] if successes else None)


def test_status_changes_and_its_feed_over_a_first_scrape(site, db):
    """A first scrape changed nothing: no rows, and an empty feed rather than an error."""
    assert db.execute("select count(*) from changes where table_name in "
                      "('licenses', 'exclusions', 'disciplinary_actions')").fetchone()[0] == 0
    assert rows(site, f"/{DB}/status_changes.json?since=") == []
    response = get(site, f"/{DB}/status_changes.atom?since=2000-01-01")
    assert response.status_code == 200
    assert "<entry>" not in response.text and "<title>Status changes</title>" in response.text


# --- facets, sort, descriptions -------------------------------------------------------------

def test_practitioners_facets_sort_and_search(site):
    data = get(site, f"/{DB}/practitioners.json?_size=3").json()
    assert PRACTITIONER_FACETS <= set(data["facet_results"])
    assert not data.get("facets_timed_out")
    assert data["human_description_en"] == "sorted by display_name"
    assert data["suggested_facets"] == []
    names = [r[1] for r in data["rows"]]
    assert names == sorted(names)
    states = {v["value"] for v in data["facet_results"]["state"]["results"]}
    assert {"WA", "CO", "CT", "TX", "IL"} <= states
    statuses = {v["value"] for v in data["facet_results"]["license_status"]["results"]}
    assert "active" in statuses
    page = get(site, f"/{DB}/practitioners").text
    assert "Practitioners" in page and "datasette-cluster-map.js" in page  # the map


def test_every_table_and_column_is_described(site):
    """A new table or column fails here until publish/metadata.yml describes it."""
    database = get(site, f"/{DB}.json").json()
    tables = yaml.safe_load(METADATA_PATH.read_text())["databases"][METADATA_DB_NAME]["tables"]
    missing = []
    for table in database["tables"]:
        meta = tables.get(table["name"], {})
        if table["hidden"] or meta.get("hidden"):
            continue
        missing += [f"{table['name']}: {key}" for key in ("title", "description")
                    if not meta.get(key)]
        described = meta.get("columns", {})
        missing += [f"{table['name']}.{c}" for c in table["columns"] if not described.get(c)]
    assert not missing, "not described in publish/metadata.yml: " + ", ".join(missing)
    assert {"practitioners", "practitioner_links", "licenses", "specialty_tags", "websites",
            "website_tags"} <= {t["name"] for t in database["tables"] if not t["hidden"]}


def test_every_canned_query_has_a_title_and_description(site):
    queries = get(site, f"/{DB}.json").json()["queries"]
    assert {q["name"] for q in queries} >= {"search", "near_zip", "facial_near_zip", "expiring",
                                            "disciplined_or_excluded", "status_changes",
                                            "source_health"}
    assert all(q["title"] and q["description"] and not q.get("write") for q in queries)


# --- safety ---------------------------------------------------------------------------------

def test_markup_in_a_scraped_name_is_text_everywhere(site, db):
    pid = db.execute("select practitioner_id from practitioners where display_name like ?",
                     [f"%{XSS_TEXT}%"]).fetchone()[0]
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for path in (f"/{DB}/practitioners/{pid.replace(':', '~3A')}",
                 f"/{DB}/practitioners?_search=hara",
                 f"/{DB}/search?q=hara",
                 f"/{DB}/practitioner_links?practitioner_id={quote(pid)}"):
        page = get(site, path).text
        assert XSS_TEXT not in page, path
    page = get(site, f"/{DB}/practitioners/{pid.replace(':', '~3A')}").text
    assert escaped in page
    assert XSS_TEXT in BeautifulSoup(page, "lxml").h1.get_text()


def test_only_http_source_urls_become_links():
    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(
        "practitioner_page_under_test", PUBLISH_DIR / "plugins" / "practitioner_page.py"))
    module.__spec__.loader.exec_module(module)
    assert module.safe_url("https://data.wa.gov/resource/x.json") is not None
    assert module.safe_url("javascript:alert(1)") is None
    assert module.safe_url("data:text/html,<script>") is None
    assert module.safe_url(None) is None


def test_served_read_only(site):
    response = get(site, f"/{DB}.json?sql=delete+from+practitioners")
    assert response.status_code == 400
    plugins = {p["name"] for p in get(site, "/-/plugins.json").json()}
    ours = {p.name for p in (PUBLISH_DIR / "plugins").glob("*.py")}
    assert ours >= {"atom_feeds.py", "practitioner_page.py", "readable.py", "sql_functions.py"}
    assert plugins == {"datasette-atom", "datasette-cluster-map", "datasette-leaflet"} | ours


# --- the SQL functions ----------------------------------------------------------------------

def test_sql_functions(site):
    [result] = rows(site, f"/{DB}.json?sql=select "
                    "distance_miles(47.6062, -122.3321, 45.5152, -122.6784) as sea_pdx, "
                    "distance_miles(40, -100, 40, -100) as zero, "
                    "distance_miles(null, 1, 2, 3) as a_null, "
                    "distance_miles('x', 1, 2, 3) as not_a_number, "
                    "zip_lat('98101') as lat, zip_lon('98101-0001') as lon, "
                    "zip_lat('2139') as lost_zero, zip_lat('99999') as unknown, "
                    "zip_lat(null) as none, "
                    "search_terms('  ') as blank, search_terms('o''hara \"lee') as terms, "
                    "row_url('practitioners', 'npi:1234567890') as page, "
                    "row_url('licenses', null) as no_key, "
                    "tilde_encode('SMITH|JO ANN|1128b4') as encoded")
    assert result["sea_pdx"] == pytest.approx(
        haversine_miles(47.6062, -122.3321, 45.5152, -122.6784), rel=1e-9)
    assert 140 < result["sea_pdx"] < 150
    assert (result["zero"], result["a_null"], result["not_a_number"]) == (0, None, None)
    seattle = zipcodes.matching("98101")[0]
    assert (result["lat"], result["lon"]) == (float(seattle["lat"]), float(seattle["long"]))
    assert result["lost_zero"] == float(zipcodes.matching("02139")[0]["lat"])
    assert (result["unknown"], result["none"], result["blank"]) == (None, None, None)
    assert result["terms"] == '"o\'hara" """lee"*'
    assert (result["page"], result["no_key"]) == (f"/{DB}/practitioners/npi~3A1234567890", None)
    assert result["encoded"] == "SMITH~7CJO+ANN~7C1128b4"
