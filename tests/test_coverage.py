"""Where each state's license status comes from, and how much of it a board confirms (issue 12
part 6, "Coverage in plain sight"): the rows over a small database written through the store,
the table rebuilt by linking, `practitioners coverage`, the published `coverage` query, and the
README's table generated from the registry."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from db import runs, store
from db.migrations import connect, open_db
from publish.app import make_datasette
from scraper import coverage
from scraper.cli import cli
from scraper.config import Config
from scraper.jobs import relink
from scraper.models import Address, License, Provenance, Provider, Taxonomy
from scraper.normalize import license_number
from scraper.sources import SOURCES
from scraper.sources.socrata import DATASETS, SocrataSource

README = Path(__file__).parent.parent / "README.md"
T1, T2, T3 = "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z"
WA_LOOKUP = "https://fortress.wa.gov/doh/providercredentialsearch/"


class FileBoard:
    """A board source as the file-reading boards are: its lookup page on itself, no dataset."""

    SINK = "licenses"

    def __init__(self, source_id: str, title: str, state: str, verify_url: str | None):
        self.SOURCE_ID, self.TITLE, self.JURISDICTION = source_id, title, state
        self.BASE_URL = f"https://{state.lower()}.example/list.csv"
        self.verify_url = verify_url


# The shipped WA board and a file board for New Jersey; nothing for New York.
REGISTRY = {"wa-doh": SocrataSource(DATASETS["wa-doh"]),
            "nj-board": FileBoard("nj-board", "New Jersey acupuncture board", "NJ",
                                  "https://nj.example/lookup")}


def _provider(npi: str, last: str, practice: str | None, licenses: list[tuple[str, str]],
              *, kind: str = "NPI-1", code: str = coverage.ACUPUNCTURIST,
              primary: int | None = 0) -> Provider:
    """A provider practising in ``practice`` who reported ``licenses`` (state, number) with
    the taxonomy ``code``; the ``primary`` one of them (an index) is marked primary."""
    taxonomies = [Taxonomy(i + 1, code, "Acupuncturist", i == primary, state or None,
                           number or None, license_number(number) if number else None)
                  for i, (state, number) in enumerate(licenses)]
    address = Address("location", 1, "1 Main St", None, "Town", practice, "00000", "00000", "US",
                      None, None)
    return Provider(npi, kind, f"Ada {last}", "Ada", None, last, None, None, "L.Ac.", None, None,
                    None, "A", "2010-01-01", "2026-01-01", None, None, None, None, None, None,
                    None, [], [], [address], taxonomies, Provenance("nppes-api", "u", T1))


def _license(state: str, number: str, last: str, source: str, status: str = "ACTIVE",
             verify_url: str | None = None) -> License:
    return License(state, "Acupuncturist", number, license_number(number), "Ada", None, last,
                   None, status, status.lower(), "2010-01-01", "2027-01-01", None, state, None,
                   None, "x", Provenance(source, f"https://{source}.example/rows", T1),
                   verify_url=verify_url)


PROVIDERS = [
    _provider("1000000001", "Linked", "WA", [("WA", "AC100")]),  # WA: board status
    _provider("1000000002", "Unlinked", "WA", [("WA", "AC999")]),  # WA: no board license
    _provider("1000000003", "Lapsed", "WA", [("WA", "AC300")]),  # WA: license gone later
    # Expired is a status the board gives: it counts.
    _provider("1000000004", "Expired", "OR", [("WA", "AC400")]),  # WA by its license state
    _provider("1000000005", "York", "NY", [("NY", "123")]),  # NY: no board
    _provider("1000000006", "Nostate", "NY", [("", "")]),  # NY: by its practice state
    # Two license states: the primary one (NJ) places it, though it practises in WA.
    _provider("1000000007", "Twostates", "WA", [("WA", "AC700"), ("NJ", "25MA700")],
              primary=1),
    # Two license states, none primary: the one it practises in (NJ).
    _provider("1000000008", "Jersey", "NJ", [("WA", "AC800"), ("NJ", "25MA800")],
              primary=None),
    _provider("1000000009", "Gone", "WA", [("WA", "AC900")]),  # gone from NPPES: not counted
    _provider("1000000010", "Clinic", "WA", [("WA", "")], kind="NPI-2"),  # an organization
    _provider("1000000011", "Massage", "WA", [("WA", "MA1")], code="225700000X"),  # not ours
    _provider("1000000012", "Abroad", None, [("", "")]),  # in no state: in no row
]
LICENSES = [
    _license("WA", "AC100", "Linked", "wa-doh", verify_url=WA_LOOKUP),
    _license("WA", "AC300", "Lapsed", "wa-doh", verify_url=WA_LOOKUP),
    _license("WA", "AC400", "Expired", "wa-doh", status="EXPIRED", verify_url=WA_LOOKUP),
    _license("WA", "AC700", "Twostates", "wa-doh", verify_url=WA_LOOKUP),
    _license("WA", "AC900", "Gone", "wa-doh", verify_url=WA_LOOKUP),
    _license("WA", "AC555", "Nobody", "wa-doh", verify_url=WA_LOOKUP),  # links to no provider
    _license("NJ", "25MA800", "Jersey", "nj-board"),
]


def _build(path: Path) -> Path:
    """Two runs of the WA board (the second, complete, no longer lists AC300), a failed third,
    a run of the NJ board, and linking between: as scrapes leave a database."""
    db = open_db(path)
    wa1, _ = runs.start_run(db, "wa-doh", {}, T1)
    with runs.transaction(db):
        store.upsert_providers(db, PROVIDERS, wa1, T1)
        store.upsert_license_records(db, LICENSES[:-1], wa1, T1)
        db.execute("update providers set gone_at = ? where npi = '1000000009'", [T1])
    runs.finish_run(db, wa1, "ok", "2026-11-01T00:10:00Z")
    nj, _ = runs.start_run(db, "nj-board", {}, T1)
    with runs.transaction(db):
        store.upsert_license_records(db, LICENSES[-1:], nj, T1)
    runs.finish_run(db, nj, "partial", "2026-11-01T00:20:00Z")
    db.close()
    relink(Config(db=str(path)))
    db = open_db(path)
    wa2, _ = runs.start_run(db, "wa-doh", {}, T2)
    with runs.transaction(db):
        store.upsert_license_records(db, [lic for lic in LICENSES[:-1] if lic.license_number
                                          != "AC300"], wa2, T2)
        store.mark_gone(db, "licenses", "license_id", "jurisdiction", "WA", wa2, T2,
                        source="wa-doh")
    runs.finish_run(db, wa2, "ok", "2026-11-02T00:10:00Z")
    wa3, _ = runs.start_run(db, "wa-doh", {}, T3)
    runs.finish_run(db, wa3, "failed", "2026-11-03T00:10:00Z", error="boom")
    db.close()
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """Linked once, after the first runs: AC300's link is still there when it is gone."""
    return _build(tmp_path_factory.mktemp("coverage") / "practitioners.db")


def _rows(path: Path, sources=REGISTRY) -> dict[str, dict]:
    db = connect(path, readonly=True)
    try:
        return {r["state"]: r for r in coverage.coverage_rows(db, sources, at=T3)}
    finally:
        db.close()


def test_a_board_state_counts_its_acupuncturists_linked_to_live_licenses(built):
    assert _rows(built)["WA"] == {
        "state": "WA", "state_name": "Washington", "status_source": "board",
        "board_sources": "wa-doh", "board_titles": "Washington DOH health care provider credentials",
        "verify_url": WA_LOOKUP,
        "licenses": 5,  # AC300 is gone
        "last_read_at": "2026-11-02T00:10:00Z",  # the last ok run, not the failed one after it
        # Linked, Unlinked, Lapsed, Expired (its WA license, practising in OR)
        "acupuncturists": 4,
        "with_board_status": 2,  # Linked and Expired; Lapsed's license is gone, its link stale
        "share": 50.0, "why_none": None, "computed_at": T3}


def test_a_state_without_a_board_is_nppes_self_report_only(built):
    assert _rows(built)["NY"] == {
        "state": "NY", "state_name": "New York", "status_source": "NPPES self-report only",
        "board_sources": None, "board_titles": None, "verify_url": None, "licenses": 0,
        "last_read_at": None,
        "acupuncturists": 2,  # York by its license's state, Nostate by its practice's
        "with_board_status": 0, "share": 0.0, "why_none": coverage.NO_SOURCE_YET,
        "computed_at": T3}


def test_the_primary_license_state_then_the_practice_state_places_a_provider(built):
    nj = _rows(built)["NJ"]
    assert (nj["status_source"], nj["board_sources"], nj["verify_url"], nj["licenses"],
            nj["last_read_at"], nj["acupuncturists"], nj["with_board_status"], nj["share"]) == (
        "board", "nj-board", "https://nj.example/lookup", 1, "2026-11-01T00:20:00Z",
        2, 1, 50.0)  # Twostates (its primary license is NJ's) unlinked; Jersey linked


def test_every_state_once_territories_only_when_known_and_a_total(built):
    rows = _rows(built)
    assert list(rows) == sorted(coverage.STATES)
    assert len(rows) == 51
    assert rows["MT"]["acupuncturists"] == 0 and rows["MT"]["share"] is None
    total = coverage.total_row(list(rows.values()))
    assert total == {
        "state": "total", "state_name": "All states", "status_source": "a board in 2 of 51 states",
        "board_sources": None, "board_titles": None, "verify_url": None, "licenses": 6,
        "last_read_at": None, "acupuncturists": 8, "with_board_status": 3, "share": 37.5,
        "why_none": None, "computed_at": T3}


def test_a_board_we_must_not_automate_says_why_and_where_to_check_by_hand(built):
    """Oregon's search needs a token its page's script computes: never scraped, but listed with
    the reason and the page where a person checks; the status there stays self-reported."""
    rows = _rows(built)
    for state in ("OR", "HI", "GA", "UT", "NC"):
        row = rows[state]
        manual = coverage.NOT_AUTOMATED[state]
        assert (row["status_source"], row["board_sources"], row["verify_url"]) == (
            "NPPES self-report only", None, manual.check_url)
        assert row["why_none"] == f"not automated: {manual.board}: {manual.reason}"
    assert "token computed by the page's script" in rows["OR"]["why_none"]
    assert "by email or mail" in rows["NC"]["why_none"]
    assert rows["MT"]["why_none"] == coverage.NO_SOURCE_YET and rows["MT"]["verify_url"] is None
    table = coverage.markdown_table(REGISTRY)
    oregon = next(line for line in table.splitlines() if line.startswith("| Oregon (OR)"))
    assert "not automated: Oregon Medical Board" in oregon
    assert "[omb.oregon.gov](https://omb.oregon.gov/search) (by hand)" in oregon


def test_a_board_known_only_by_its_licenses_still_counts(built):
    """A board the registry no longer (or not yet) has: its live licenses say the state has one."""
    nj = _rows(built, {"wa-doh": REGISTRY["wa-doh"]})["NJ"]
    assert (nj["status_source"], nj["board_sources"], nj["board_titles"], nj["verify_url"],
            nj["with_board_status"]) == ("board", "nj-board", "nj-board", None, 1)


def test_a_lookup_page_from_the_settings_or_shared_by_licenses(built):
    wa = REGISTRY["wa-doh"]
    assert coverage.boards({"wa-doh": wa}, lambda s: {"verify_url": "https://x.example/"})[
        "WA"][0].verify_url == "https://x.example/"
    registry = {"wa-doh": SocrataSource(replace(DATASETS["wa-doh"], verify_url=None))}
    assert _rows(built, registry)["WA"]["verify_url"] == WA_LOOKUP  # the licenses' common page


def test_an_opt_in_board_counts_only_when_configured(built):
    """New York's lookup runs only with the operator's own NYSED key: without one the state is
    self-reported, and says which source a key would turn on; with one, it is a board state."""
    registry = {"ny-nysed": SOURCES["ny-nysed"], **REGISTRY}
    db = connect(built, readonly=True)
    try:
        off = {r["state"]: r for r in coverage.coverage_rows(db, registry, lambda s: {}, at=T3)}
        on = {r["state"]: r for r in coverage.coverage_rows(
            db, registry, lambda s: {"api_key": "operator-key"} if s == "ny-nysed" else {},
            at=T3)}
    finally:
        db.close()
    assert (off["NY"]["status_source"], off["NY"]["board_sources"]) == (
        "NPPES self-report only", None)
    assert off["NY"]["why_none"].startswith("not configured: ny-nysed runs only when")
    assert (on["NY"]["status_source"], on["NY"]["board_sources"], on["NY"]["why_none"]) == (
        "board", "ny-nysed", None)
    table = coverage.markdown_table(registry)
    assert "`ny-nysed`" in table and "(when the operator configures it)" in table


def test_linking_writes_the_table_and_rebuilds_it(tmp_path):
    path = _build(tmp_path / "practitioners.db")
    db = connect(path, readonly=True)
    before = {r["state"]: r for r in db.query("select * from coverage")}
    db.close()
    assert len(before) == 51  # the shipped registry: WA's board, no NJ board registered
    assert (before["WA"]["with_board_status"], before["WA"]["licenses"]) == (3, 6)  # as linked
    relink(Config(db=str(path)))
    db = connect(path, readonly=True)
    after = {r["state"]: r for r in db.query("select * from coverage")}
    assert (after["WA"]["with_board_status"], after["WA"]["licenses"]) == (2, 5)
    assert after["NJ"]["board_sources"] == "nj-board, nj-mylicense"  # by its licenses, and shipped
    assert after["NY"]["status_source"] == "NPPES self-report only"
    assert db["coverage"].pks == ["state"]
    # and the query planner's statistics are those of the tables as linked (issue 16)
    stats = {r["tbl"] for r in db.query("select tbl from sqlite_stat1")}
    assert {"practitioners", "licenses"} <= stats
    db.close()


def test_statistics_that_cannot_be_written_do_not_undo_the_linking(tmp_path, monkeypatch):
    from sqlite_utils import Database

    path = _build(tmp_path / "busy.db")  # linked once, with its statistics
    db = open_db(path)
    db.execute("delete from sqlite_stat1")
    db.execute("delete from practitioners")
    db.conn.commit()
    db.close()
    real = Database.execute

    def busy(self, sql, *args, **kwargs):
        if sql.startswith("ANALYZE"):
            raise sqlite3.OperationalError("database is locked")
        return real(self, sql, *args, **kwargs)

    monkeypatch.setattr(Database, "execute", busy)
    counts = relink(Config(db=str(path)))  # linked and committed; only the statistics wait
    assert counts is not None
    db = connect(path, readonly=True)
    assert db["coverage"].count == 51 and db["practitioners"].count > 0  # linked again
    assert db["sqlite_stat1"].count == 0
    db.close()


# --- the command -----------------------------------------------------------------------------

def test_the_command_prints_every_state_and_the_total_against_the_goal(built):
    result = CliRunner().invoke(cli, ["coverage", "--db", str(built)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["state", "license", "status", "from", "board", "licenses",
                                "last", "read", "acupuncturists", "board", "status", "share"]
    wa = next(line for line in lines if line.startswith("WA "))
    assert wa.split() == ["WA", "board", "wa-doh", "5", "2026-11-02T00:10:00Z", "4", "2",
                          "50.0%"]
    ny = next(line for line in lines if line.startswith("NY "))
    assert ny.split() == ["NY", "NPPES", "self-report", "only", "-", "0", "-", "2", "0", "0.0%"]
    total = next(line for line in lines if line.startswith("total"))
    assert total.split()[-3:] == ["8", "3", "37.5%"]
    assert ("37.5% of NPPES acupuncturists have their license status from their state's board; "
            "goal 90% (52.5 points short)") in result.output
    assert f"  WA: Washington DOH health care provider credentials - check a license at {WA_LOOKUP}" \
        in result.output
    manual = result.output.split("check these by hand):\n")[1].splitlines()
    assert [line.split(":")[0].strip() for line in manual] == ["GA", "HI", "NC", "OR", "UT"]
    assert manual[3] == (f"  OR: {coverage.why_none('OR')} - "
                         f"{coverage.NOT_AUTOMATED['OR'].check_url}")


def test_the_command_as_json(built):
    result = CliRunner().invoke(cli, ["coverage", "--db", str(built), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["goal_percent"] == 90.0
    assert [r["state"] for r in data["states"]] == sorted(coverage.STATES)
    ny = next(r for r in data["states"] if r["state"] == "NY")
    assert (ny["status_source"], ny["acupuncturists"], ny["with_board_status"]) == (
        "NPPES self-report only", 2, 0)
    assert {k: data["total"][k] for k in ("acupuncturists", "with_board_status", "share")} == {
        "acupuncturists": 8, "with_board_status": 3, "share": 37.5}


def test_the_command_never_creates_a_database(tmp_path):
    missing = tmp_path / "nowhere" / "none.db"
    result = CliRunner().invoke(cli, ["coverage", "--db", str(missing)])
    assert result.exit_code == 1
    assert f"no database at {missing}" in result.output and "Traceback" not in result.output
    assert not missing.exists() and not missing.parent.exists()


def test_the_command_on_a_file_that_is_not_ours(tmp_path):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    result = CliRunner().invoke(cli, ["coverage", "--db", str(empty)])
    assert result.exit_code == 1
    assert "no providers, provider_taxonomies" in result.output
    assert "Traceback" not in result.output
    assert empty.read_bytes() == b""  # read only: nothing written
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    result = CliRunner().invoke(cli, ["coverage", "--db", str(junk)])
    assert result.exit_code == 1 and f"{junk}:" in result.output


# --- published --------------------------------------------------------------------------------

def test_the_published_query_lists_states_without_a_board_first_then_the_total(built):
    async def go():
        ds = make_datasette(built)
        await ds.invoke_startup()
        return [await ds.client.get(p) for p in ("/practitioners/coverage.json?_shape=array",
                                                 "/practitioners/coverage", "/practitioners.json")]

    data, page, database = asyncio.run(go())
    assert data.status_code == 200, data.text[:300]
    rows = data.json()
    assert list(rows[0]) == ["state", "state_name", "status_source", "why_none", "board_titles",
                             "verify_url", "licenses", "last_read_at", "acupuncturists",
                             "with_board_status", "share", "board_sources", "computed_at"]
    sources = [r["status_source"] for r in rows]
    assert sources[0] == "NPPES self-report only"
    assert rows[0]["state"] == "NY"  # the most acupuncturists without a board
    assert sources.index("board") == sources.count("NPPES self-report only")
    # As linked (before the second WA run marked AC300 gone), with the shipped registry; NJ's
    # board by its licenses.
    boards = {s.JURISDICTION for s in SOURCES.values()
              if s.SINK == "licenses" and s.is_default({})} | {"NJ"}
    assert rows[-1] == {
        "state": "total", "state_name": "All states",
        "status_source": f"a board in {len(boards)} of 51 states", "board_titles": None,
        "verify_url": None, "licenses": 7, "last_read_at": None, "acupuncturists": 8,
        "with_board_status": 4, "share": 50.0, "board_sources": None,
        "computed_at": rows[0]["computed_at"], "why_none": None}
    wa = next(r for r in rows if r["state"] == "WA")
    assert (wa["verify_url"], wa["licenses"], wa["with_board_status"], wa["share"]) == (
        WA_LOOKUP, 6, 3, 75.0)
    assert page.status_code == 200 and "Where license status comes from" in page.text
    assert f'href="{WA_LOOKUP}"' in page.text
    (query,) = [q for q in database.json()["queries"] if q["name"] == "coverage"]
    assert query["title"] and "self-report only" in query["description"]


# --- the README -----------------------------------------------------------------------------

def test_the_readme_table_is_the_registrys(tmp_path):
    """Regenerate with `python -m scraper.coverage --readme README.md`."""
    assert coverage.readme_table(README.read_text(encoding="utf-8")) == \
        coverage.markdown_table(SOURCES)


def test_the_markdown_table_names_each_board_or_says_self_report_only(tmp_path):
    table = coverage.markdown_table(REGISTRY)
    lines = table.splitlines()
    assert len(lines) == 2 + 51
    assert (f"| New York (NY) | NPPES self-report only (unverified) | {coverage.NO_SOURCE_YET} "
            "| |") in lines
    assert ("| Washington (WA) | the state board | `wa-doh` Washington DOH health care provider "
            f"credentials | [fortress.wa.gov]({WA_LOOKUP}) |") in lines
    assert ("| New Jersey (NJ) | the state board | `nj-board` New Jersey acupuncture board | "
            "[nj.example](https://nj.example/lookup) |") in lines
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n{coverage.README_BEGIN}\nold\n{coverage.README_END}\nafter\n")
    assert coverage.update_readme(readme, REGISTRY) is True
    assert readme.read_text() == (f"# x\n\nbefore\n{coverage.README_BEGIN}\n{table}"
                                  f"{coverage.README_END}\nafter\n")
    assert coverage.update_readme(readme, REGISTRY) is False
