"""`make demo`, as a test: every stand-in scraped through the real command line, a few of
their records changed (the demo's story: a lapsed license, a discipline case, an exclusion, a
new practitioner), then scraped again."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from db.migrations import connect
from scraper.normalize import license_number, site_id, website_url
from scraper.sources import SOURCES, boardfile, lookup, nppes_api, register, socrata
from tests.sites import demo
from tests.sites.serve import start_all

ACU = {"taxonomy_description": "Acupuncturist", "address_purpose": "PRIMARY"}
SOURCE_BY_HOST = {urlsplit(d.portal).hostname: d.source_id for d in socrata.DATASETS.values()}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    server, sites = start_all(port=0)
    tmp = tmp_path_factory.mktemp("demo")
    db_path = tmp / "demo.db"
    web = sites["websites_server"]
    config = demo.write_config(tmp, server.url, web.url)
    try:
        first = demo.scrape(db_path, config)
        first_requests = list(server.requests)
        web_requests = list(web.requests)
        after = demo.last_run(db_path)
        story = demo.change_the_sources(sites)  # as `make demo` does between its two scrapes
        server.reset_log()
        second = demo.scrape(db_path, config)
        second_requests = list(server.requests)
    finally:
        server.stop()
    return {"sites": sites, "db": connect(db_path, readonly=True), "first": first,
            "second": second, "first_requests": first_requests,
            "second_requests": second_requests, "web_requests": web_requests,
            "story": story, "after": after, "path": db_path}


def _runs(db, number):
    """The runs of the nth scrape (1 or 2), by source."""
    rows = list(db.query("select * from scrape_runs order by id"))
    per_scrape = len(rows) // 2
    return {r["source"]: r for r in rows[(number - 1) * per_scrape: number * per_scrape]}


def test_both_scrapes_succeed_for_every_source(demo_run):
    assert (demo_run["first"].returncode, demo_run["second"].returncode) == (0, 0)
    for number in (1, 2):
        runs = _runs(demo_run["db"], number)
        assert set(runs) == {"nppes-api", "nppes-bulk", "oig-leie", "nccaom", "websites",
                             *socrata.DATASETS, *boardfile.BOARD_FILES, *register.REGISTERS,
                             *lookup.BOARDS}
        assert {r["status"] for r in runs.values()} == {"ok"}


def test_every_acupuncturist_of_the_stand_in(demo_run):
    api, db = demo_run["sites"]["nppes"], demo_run["db"]
    stored = [r["npi"] for r in db.query("select npi from providers")]
    assert len(stored) == len(set(stored))  # nothing twice
    listed = set()
    for state in nppes_api.STATES:
        listed |= {str(n) for n in api.npis(state=state, **ACU)}
    assert set(stored) == listed
    assert len(listed) >= 19_950
    ca = {r["npi"] for r in db.query("select npi from providers where state = 'CA'")}
    assert ca == {str(n) for n in api.npis(state="CA", **ACU)}
    run = _runs(db, 1)["nppes-api"]
    # each record stored once: the first page of a query that had to be split was held back
    # (the story's new practitioner came with the second scrape)
    first = len(stored) - 1
    assert (run["incomplete_parts"], run["records"], run["inserted"], run["unchanged"]) == (
        0, first, first, 0)


def test_the_capped_state_and_zip_prefix_were_split(demo_run):
    db = demo_run["db"]
    run_id = _runs(db, 1)["nppes-api"]["id"]
    states = {r["part"]: r["state"] for r in db.query(
        "select part, state from run_checkpoints where run_id = ?", [run_id])}
    assert (states["CA"], states["CA/94*"], states["CA/941*"], states["CA/9411*"]) == (
        "split", "split", "split", "done")  # 941 is over 1,200 on its own
    assert not [p for p, s in states.items() if s in ("incomplete", "pending")]
    for request in demo_run["first_requests"]:
        if request.path.startswith("/api/?"):  # NPPES's (Pennsylvania's is /api/Search/)
            query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
            assert int(query["limit"]) == 200 and int(query["skip"]) <= 1000
            assert query["address_purpose"] == "PRIMARY"
        assert request.headers["User-Agent"].startswith("acupuncture-directory/")


def test_every_board_license_and_every_bad_row(demo_run):
    """Every acupuncture row with a number is a license, odd values or not; each bad row is in
    rejects ("N/A" in a date is read as no date, which is not a problem)."""
    db = demo_run["db"]
    for host, board in demo_run["sites"]["board_data"].items():
        source = SOURCE_BY_HOST[host]
        rows = [board.rows[t.row] for t in board.acupuncture_truth()]
        expected = {license_number(r.get(board.number_field)) for r in rows} - {None}
        bad = [t for t in board.acupuncture_truth()
               if t.kind == "bad-row" and "N/A" not in board.rows[t.row].values()]
        stored = [r["license_number_normalized"] for r in db.query(
            "select license_number_normalized from licenses where source = ?", [source])]
        assert len(stored) == len(set(stored)) and set(stored) == expected, source
        rejects = db["rejects"].count_where("source = ?", [source])
        assert rejects == len(bad) > 0, source


def test_nppes_and_board_license_numbers_meet_after_normalizing(demo_run):
    """The same license, formatted differently by the provider and by the board."""
    db = demo_run["db"]
    pairs = 0
    for host, board in demo_run["sites"]["board_data"].items():
        for truth in board.acupuncture_truth():
            if truth.kind != "license" or truth.npi is None:
                continue
            row = board.rows[truth.row]
            reported = [r["license_number_normalized"] for r in db.query(
                "select license_number_normalized from provider_taxonomies where npi = ? "
                "and state = ? and code = '171100000X'", [str(truth.npi), board.state])]
            if not reported or reported == [None]:
                continue  # the provider left the number out of NPPES
            assert license_number(row[board.number_field]) in reported, (host, truth)
            pairs += 1
    assert pairs > 500


def test_colorado_discipline_cases(demo_run):
    db = demo_run["db"]
    board = demo_run["sites"]["board_data"]["data.colorado.gov"]
    # every acupuncture row with a number is stored, a bad date or status word or not
    cases = {board.rows[t.row]["casenumber"] for t in board.acupuncture_truth()
             if board.rows[t.row].get("casenumber") and board.rows[t.row].get("licensenumber")}
    assert len(cases) > 5
    stored = {r["case_number"] for r in db.query(
        "select case_number from disciplinary_actions where source = 'co-dora'")}
    assert stored == cases
    assert db.execute("select count(*) from licenses where source = 'co-dora' and disciplined = 1"
                      ).fetchone()[0] > 0


def test_exclusions_of_our_providers(demo_run):
    db, data = demo_run["db"], demo_run["sites"]["leie_data"]
    excluded_npis = {str(t.npi) for t in data.truth if t.kind == "npi"}
    stored = {r["npi"] for r in db.query("select npi from exclusions where npi is not null")}
    assert excluded_npis and excluded_npis <= stored
    assert {r["status"] for r in db.query("select status from exclusions")} == {"excluded"}


def _story_ids(demo_run) -> dict[str, str]:
    """The ids of the records the story changed."""
    db, story = demo_run["db"], demo_run["story"]

    def license_id(source, number):
        return db.execute("select license_id from licenses where source = ? and license_number "
                          "= ?", [source, number]).fetchone()[0]

    return {"lapsed": license_id("wa-doh", story.lapsed_license),
            "case": license_id("co-dora", story.case_license),
            "new": license_id("wa-doh", story.new_license)}


def test_second_scrape_changes_only_the_story_and_downloads_only_what_changed(demo_run):
    db, story, ids = demo_run["db"], demo_run["story"], _story_ids(demo_run)
    changes = {(r["table_name"], r["record_id"], r["column_name"], r["old_value"],
                r["new_value"]) for r in db.query("select * from changes")}
    # the lapse (its expiry date had passed already, or is set to yesterday), the case
    assert {c for c in changes if c[0] == "licenses" and c[2] != "expires_on"} == {
        ("licenses", ids["lapsed"], "status", "ACTIVE", "EXPIRED"),
        ("licenses", ids["lapsed"], "status_normalized", "active", "expired"),
        ("licenses", ids["case"], "disciplined", "0", "1")}
    assert {c[0] for c in changes} == {"licenses", "practitioners"}
    runs = _runs(db, 2)
    nppes = runs["nppes-api"]
    assert (nppes["inserted"], nppes["updated"], nppes["gone"]) == (1, 0, 0)
    # every page answered 304 but the two that decided each split (their records are stored
    # under the narrower queries, so they keep no validators and are fetched whole) and the
    # last page of Washington's, where the new practitioner (the highest NPI) is listed
    splits = db.execute("select count(*) from run_checkpoints where run_id = ? and state = "
                        "'split'", [nppes["id"]]).fetchone()[0]
    assert nppes["not_modified"] == nppes["pages"] - 2 * splits - 1 > 0
    api_requests = [r for r in demo_run["second_requests"] if r.path.startswith("/api/?")]
    conditional = [r for r in api_requests if "If-None-Match" in r.headers]
    assert len(api_requests) - len(conditional) == 2 * splits
    # the boards that changed are read again, the others not
    changed = {"wa-doh": (1, 1), "co-dora": (0, 1)}  # (new, changed) licenses
    for source in socrata.DATASETS:
        run = runs[source]
        if source in changed:
            assert run["pages"] > 0 and (run["inserted"], run["updated"]) == changed[source]
        else:
            assert (run["pages"], run["inserted"], run["updated"]) == (0, 0, 0)
            assert "unchanged" in run["notes"]
    read = {urlsplit(r.path).path.split("/")[1] for r in demo_run["second_requests"]
            if "/resource/" in r.path}
    assert read == {"data.wa.gov", "data.colorado.gov"}
    # a new row in OIG's list: downloaded, one exclusion added
    assert (runs["oig-leie"]["not_modified"], runs["oig-leie"]["inserted"]) == (0, 1)
    new_case = list(db.query("select * from disciplinary_actions where case_number = ?",
                             [story.case_number]))
    assert len(new_case) == 1 and new_case[0]["license_id"] == ids["case"]
    assert new_case[0]["first_seen_run_id"] > demo_run["after"]


def test_the_story_in_the_practitioners(demo_run):
    db, story, ids = demo_run["db"], demo_run["story"], _story_ids(demo_run)
    people = {r["practitioner_id"]: r for r in db.query(
        "select * from practitioners where npi in (?, ?, ?, ?)",
        [story.lapsed_npi, story.case_npi, story.excluded_npi, story.new_npi])}
    lapsed, case = people[f"npi:{story.lapsed_npi}"], people[f"npi:{story.case_npi}"]
    excluded, new = people[f"npi:{story.excluded_npi}"], people[f"npi:{story.new_npi}"]
    assert (lapsed["license_status"], case["disciplined"], excluded["excluded"]) == (
        "expired", 1, 1)
    # the new practitioner: in NPPES since the second scrape, linked to the new WA license
    provider = db["providers"].get(story.new_npi)
    assert provider["first_seen_run_id"] > demo_run["after"]
    assert (new["license_status"], new["licensed_states"]) == ("active", "WA")
    link = db.execute("select rule from practitioner_links where record_table = 'licenses' "
                      "and record_id = ?", [ids["new"]]).fetchone()
    assert link == ("license-number",)
    # the changes of practitioners are those of the story, and no other
    changed = {(r["record_id"], r["column_name"], r["new_value"]) for r in db.query(
        "select * from changes where table_name = 'practitioners'")}
    assert {(f"npi:{story.lapsed_npi}", "license_status", "expired"),
            (f"npi:{story.case_npi}", "disciplined", "1"),
            (f"npi:{story.excluded_npi}", "excluded", "1")} <= changed
    assert {r[0] for r in changed} <= {f"npi:{n}" for n in (
        story.lapsed_npi, story.case_npi, story.excluded_npi)}


ATOM = "{http://www.w3.org/2005/Atom}"


def _since(demo_run) -> str:
    return demo_run["db"].execute("select min(started_at) from scrape_runs where id > ?",
                                  [demo_run["after"]]).fetchone()[0]


def test_status_changes_and_its_atom_feed_tell_the_story(demo_run):
    story, path = demo_run["story"], demo_run["path"]
    rows = demo.status_changes(path, since=_since(demo_run))
    seen = {(r["practitioner_id"], r["record"], r["field"], r["change"]) for r in rows}
    assert {(f"npi:{story.lapsed_npi}", "license", "status_normalized", "status active → expired"),
            (f"npi:{story.case_npi}", "license", "disciplined", "discipline reported no → yes"),
            (f"npi:{story.excluded_npi}", "exclusion", "new exclusion",
             next(r["change"] for r in rows if r["field"] == "new exclusion"))} <= seen
    case = [r for r in rows if r["field"] == "new case"]
    assert len(case) == 1 and story.case_number in case[0]["change"]
    assert case[0]["practitioner_id"] == f"npi:{story.case_npi}"
    # the first scrape is a first reading: nothing changed then, so a blank since gives the same
    assert demo.status_changes(path) == rows
    assert demo.status_changes(path, state="WA") == [r for r in rows if r["state"] == "WA"]
    # the feed, at the address the query's page links to
    page = demo.published(path, "/demo/status_changes")
    assert page.status_code == 200 and 'href="/demo/status_changes.atom' in page.text
    feed = demo.published(path, "/demo/status_changes.atom")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/xml")
    entries = ET.fromstring(feed.content).findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [r["atom_id"] for r in rows]
    assert len(entries) >= 5
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert any(f"license {story.lapsed_license}): status active → expired" in t for t in titles)


def test_the_demo_tells_the_story(demo_run):
    """What `make demo` prints after its second scrape."""
    story = demo_run["story"]
    told = "\n".join(story.told)
    for fact in (story.lapsed_license, "ACTIVE -> EXPIRED", story.case_number,
                 story.excluded_npi, story.new_npi, story.new_license):
        assert fact in told
    saw = "\n".join(demo.what_changed(demo_run["path"], demo_run["after"]))
    assert "status active → expired" in saw and story.case_number in saw
    assert "new exclusion" in saw and f"npi:{story.new_npi}" in saw
    assert "http://127.0.0.1:8001/demo/status_changes.atom" in saw


README = Path(__file__).resolve().parent.parent / "README.md"
DEMO_URL = re.compile(r"http://127\.0\.0\.1:8001(/[^\s`)<>'\"]*)?")


def test_every_demo_url_in_the_readme_answers(demo_run):
    """The README's addresses of the demo (`make demo` serves demo.db on port 8001) exist."""
    paths = sorted({(m.group(1) or "/").rstrip(".,;:") for m in
                    DEMO_URL.finditer(README.read_text(encoding="utf-8"))})
    assert "/demo/status_changes.atom" in paths, paths
    assert len(paths) >= 4
    for path in paths:
        response = demo.published(demo_run["path"], path)
        assert response.status_code == 200, (path, response.status_code)
    feed = demo.published(demo_run["path"], "/demo/status_changes.atom")
    assert ET.fromstring(feed.content).findall(f"{ATOM}entry")


def test_published_licenses_have_their_facets(demo_run):
    import asyncio

    from publish.app import make_datasette

    db_file = demo_run["db"].execute("pragma database_list").fetchone()[2]

    async def get(path):
        ds = make_datasette(db_file)
        await ds.invoke_startup()
        return (await ds.client.get(path)).json()

    data = asyncio.run(get("/demo/licenses.json?_size=1"))
    facets = data["facet_results"]
    assert {"jurisdiction", "status_normalized", "license_type", "disciplined"} <= set(facets)
    # every board the demo reads: the open-data ones, the files, the registers, the lookups
    boards = {s.JURISDICTION for s in SOURCES.values() if s.SINK == "licenses"}
    assert {v["value"] for v in facets["jurisdiction"]["results"]} == boards
    assert {"WA", "CO", "CA", "FL", "MD", "NV", "MA", "NY"} <= boards
    actions = asyncio.run(get("/demo/disciplinary_actions.json?_size=1"))
    assert actions["filtered_table_rows_count"] > 0


def test_linking_precision_and_recall(demo_run):
    """Issue 4's goal: precision >= 0.99 and recall >= 0.95, formatting differences included."""
    from tests.sites.truth import linking_quality

    sites = demo_run["sites"]
    quality = linking_quality(demo_run["db"], sites["board_data"], sites["leie_data"],
                              dca_data=sites["dca_data"], mqa_data=sites["mqa_data"])
    overall, reformatted = quality["all"], quality["reformatted"]
    for board in ("license-CA", "license-FL"):  # California and Florida, issue 12
        assert quality[board]["pairs"] > 500, quality[board]
        assert quality[board]["precision"] >= 0.99 and quality[board]["recall"] >= 0.95, quality
    assert overall["pairs"] > 3000 and reformatted["pairs"] > 1000
    assert overall["precision"] >= 0.99 and overall["recall"] >= 0.95, quality
    assert reformatted["precision"] >= 0.99 and reformatted["recall"] >= 0.95, quality
    assert quality["exclusion-npi"]["recall"] == 1.0


def test_practitioners_are_built_with_provenance(demo_run):
    db = demo_run["db"]
    rules = {r["rule"] for r in db.query("select distinct rule from practitioner_links")}
    assert {"self", "license-number", "npi"} <= rules
    row = next(db.query("select p.* from practitioners p join practitioner_links l using "
                        "(practitioner_id) where l.rule = 'license-number' limit 1"))
    assert row["practitioner_id"] == f"npi:{row['npi']}"
    assert row["license_status"] and row["licensed_states"] and row["latitude"]
    assert "nppes-api" in row["sources"]
    # the second scrape kept every id: only the story's practitioners changed, and no one was
    # merged or marked gone
    story = demo_run["story"]
    changed = {r["record_id"] for r in db.query(
        "select record_id from changes where table_name = 'practitioners'")}
    assert changed == {f"npi:{n}" for n in (story.lapsed_npi, story.case_npi,
                                            story.excluded_npi)}
    assert db["practitioners"].count_where("gone_at is not null") == 0


def test_nccaom_diplomates_certified_and_tagged(demo_run):
    db, data = demo_run["db"], demo_run["sites"]["nccaom_data"]
    listed = {d.profile_id for state in ("WA", "OR", "CO") for d in data.by_state.get(state, [])}
    stored = {r["profile_id"] for r in db.query("select profile_id from certifications")}
    assert stored == listed and len(listed) > 500
    # linked where the truth says so, and never to the wrong provider
    linked = dict(db.execute(
        "select l.record_id, p.npi from practitioner_links l join practitioners p "
        "using (practitioner_id) where l.record_table = 'certifications'").fetchall())
    with_npi = [pid for pid in listed if data.truth[pid] is not None]
    right = sum(1 for pid in with_npi if linked.get(pid) == str(data.truth[pid]))
    wrong = sum(1 for pid in listed if linked.get(pid) and linked[pid] != str(data.truth[pid]))
    assert wrong == 0 and right >= 0.95 * len(with_npi)
    certified = db.execute("select count(*) from practitioners where certified = 1").fetchone()[0]
    assert certified == len(listed)  # linked to a provider or standing alone, each counted once
    facial = list(db.query("select * from specialty_tags where tag = 'facial acupuncture'"))
    assert facial and all(t["evidence_url"].startswith("http") and t["snippet"] for t in facial)


def test_practice_websites_read_politely_and_safely(demo_run):
    db, websites = demo_run["db"], demo_run["sites"]["websites"]
    web_port = demo_run["sites"]["websites_server"].port
    rows = {r["site_id"]: r for r in db.query("select * from websites")}
    # every website a scraped record lists was looked at once, whoever listed it
    listed = {r["website"] for r in db.query(
        "select website from providers where website is not null union "
        "select website from certifications where website is not null")}
    assert len(rows) == len({site_id(website_url(u)) for u in listed}) > 100
    by_slug = {key.split("/")[2]: row for key, row in rows.items() if "/s/" in key}
    assert by_slug["closeddooracupuncture"]["status"] == "robots"
    assert by_slug["giantpageacupuncture"]["status"] == "too-large"
    assert by_slug["movedawayacupuncture"]["status"] == "unsafe"
    assert "loopback" in by_slug["movedawayacupuncture"]["detail"]
    metadata = [r for r in rows.values() if r["url"].startswith("http://169.254.169.254")]
    assert len(metadata) == 1 and metadata[0]["status"] == "unsafe"
    # nothing under a robots-disallowed site, and no page of the huge site read twice
    paths = [r.path for r in demo_run["web_requests"]]
    assert not [p for p in paths if p.startswith("/s/closeddooracupuncture/")]
    assert paths.count("/s/giantpageacupuncture/") == 1
    # the redirect to the registries' port was never followed
    assert not [r for r in demo_run["first_requests"] if r.path.startswith("/admin")]
    # the tags each readable site claims, exactly: no more (the denials), no fewer
    for slug, row in by_slug.items():
        if row["status"] == "ok":
            assert set(filter(None, (row["tags"] or "").split(", "))) == websites.truth[slug], slug
    legacy = db.execute("select snippet from website_tags where site_id like ? and tag = ?",
                        [f"%:{web_port}/s/vieilleecoleacupuncture", "facial acupuncture"]
                        ).fetchone()[0]
    assert "\u00ab Mei Zen\u00ae \u00bb" in legacy and "propos\u00e9e" in legacy
    # practitioners carry the websites' claims, each with its evidence page
    via_site = list(db.query("select * from specialty_tags where record_table = 'websites'"))
    assert any(t["tag"] == "facial acupuncture" for t in via_site)
    assert all(t["evidence_url"].startswith(f"http://127.0.0.1:{web_port}/s/")
               for t in via_site)


def test_the_coverage_report_on_the_demo(demo_run):
    """`practitioners coverage`, as `make demo` runs it at its end: each board state's
    acupuncturists mostly have their status from the board (the rosters, registers and lookups
    of issue 17 included), states without one say why, and the total is measured against 90%."""
    import json as json_

    from click.testing import CliRunner

    from scraper.cli import cli

    result = CliRunner().invoke(cli, ["coverage", "--db", str(demo_run["path"]), "--json"])
    assert result.exit_code == 0, result.output
    report = json_.loads(result.output)
    states = {r["state"]: r for r in report["states"]}
    for state in ("WA", "CA", "FL", "MD", "MO", "OH", "NJ", "ME", "NV", "AZ", "MA", "PA", "VA",
                  "NY"):
        row = states[state]
        assert row["status_source"] == "board", state
        assert row["acupuncturists"] > 0 and row["share"] > 50, (state, row["share"])
    assert states["OR"]["why_none"].startswith("not automated: Oregon Medical Board")
    total = report["total"]
    assert total["with_board_status"] > total["acupuncturists"] / 2
    assert report["goal_percent"] == 90.0
    text = CliRunner().invoke(cli, ["coverage", "--db", str(demo_run["path"])]).output
    assert "of NPPES acupuncturists have their license status from their state's board; goal 90%" \
        in text
