"""`practitioners check` against the stand-ins (issue 11): the table for every source, and each way
a state board's dataset can stop looking as its configuration assumes."""

from __future__ import annotations

import copy

import pytest
from click.testing import CliRunner

from scraper.check import ITEMS
from scraper.cli import cli
from scraper.config import HttpConfig
from scraper.http import Fetcher
from scraper.sources import SOURCES
from tests.sites.demo import write_config
from tests.sites.serve import start_all
from tests.sites.server import SiteServer
from tests.sites.socrata import SodaPortal

HTTP = HttpConfig(min_interval=0, backoff_base=0.01, backoff_cap=0.05, max_retries=1,
                  allowed_hosts=("127.0.0.1",))


@pytest.fixture(scope="module")
def stand_ins():
    server, sites = start_all(n=1500)
    yield server, sites
    server.stop()


def _check(config_path, *sources):
    return CliRunner().invoke(cli, ["--config", str(config_path), "check", *sources])


def _table(output: str) -> dict[str, list[str]]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("source "))
    assert lines[start].split() == ["source", *ITEMS, "verdict"]
    rows = {}
    for line in lines[start + 1:]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = cells[1:]
    return rows


def test_check_prints_every_source_and_passes_on_the_stand_ins(stand_ins, tmp_path):
    server, sites = stand_ins
    config = write_config(tmp_path, server.url, sites["websites_server"].url)
    result = _check(config)
    rows = _table(result.output)
    assert list(rows) == list(SOURCES)
    verdicts = {source: cells[-1] for source, cells in rows.items()}
    assert verdicts == {**{s: "ok" for s in SOURCES}, "websites": "skipped"}, result.output
    assert result.exit_code == 0, result.output
    for board in ("wa-doh", "co-dora", "ct-dph", "tx-tmb", "il-idfpr"):
        assert rows[board][:6] == ["yes", "yes", "none", "yes", "yes", "yes"], rows[board]
    # What the selection matched, with row counts, and one record, in the details.
    assert "values: licensetype: AC (" in result.output
    assert "values: description: LICENSED ACUPUNCTURIST (" in result.output


def test_a_challenge_is_gated_and_fails_the_check(stand_ins, tmp_path):
    server, sites = stand_ins
    config = write_config(tmp_path, server.url)
    sites["nccaom"].challenge = "turnstile"
    try:
        result = _check(config, "nccaom")
    finally:
        sites["nccaom"].challenge = None
    assert _table(result.output)["nccaom"][-1] == "gated"
    assert _table(result.output)["nccaom"][2] == "MET"
    assert result.exit_code == 1


# -- a state board's dataset, changed the ways a real one can change --------------------------


@pytest.fixture
def colorado(stand_ins):
    """Colorado's dataset alone, a fresh copy, on its own server."""
    _, sites = stand_ins
    board = copy.deepcopy(sites["board_data"]["data.colorado.gov"])
    dataset = board.dataset()
    server = SiteServer().start()
    server.add_site("/data.colorado.gov", SodaPortal([dataset]))
    yield server, dataset
    server.stop()


def _board_check(server, source="co-dora", **settings):
    return _check_at(server.url, source, **settings)


def _check_at(base_url, source="co-dora", **settings):
    with Fetcher(HTTP) as fetcher:
        return SOURCES[source].check(fetcher, {"portal": f"{base_url}/data.colorado.gov",
                                               **settings})


def test_a_board_check_reads_fields_values_and_one_record(colorado):
    server, dataset = colorado
    report = _board_check(server)
    assert report.verdict == "ok"
    assert report.get("fields") == (True, "all 15 mapped fields present")
    ok, values = report.get("values")
    acupuncture = sum(1 for row in dataset.rows if row.get("licensetype") == "AC")
    assert ok and values == f"licensetype: AC ({acupuncture:,} rows)"
    ok, record = report.get("record")
    assert ok and record.startswith("Acupuncturist ")


def test_a_missing_field_is_named_with_the_fields_that_exist(colorado):
    server, dataset = colorado
    dataset.columns.remove("licenseexpirationdate")
    del dataset.column_types["licenseexpirationdate"]
    report = _board_check(server)
    ok, detail = report.get("fields")
    assert not ok and detail.startswith("missing: licenseexpirationdate; the dataset has: ")
    assert "licensetype" in detail
    assert report.verdict == "mismatch"


def test_a_selection_that_matches_nothing_names_close_values(colorado):
    server, _ = colorado
    report = _board_check(server, where="licensetype = 'ACUPUNCTURIST'")
    ok, detail = report.get("values")
    assert not ok and "matches no row" in detail
    assert "'AC' (" in detail  # the code that is there, offered as close
    assert report.verdict == "mismatch"


def test_robots_disallow_and_an_unreachable_portal(colorado):
    server, _ = colorado
    server.robots_txt = "User-agent: *\nDisallow: /\n"
    report = _board_check(server)
    assert (report.get("robots")[0], report.verdict) == (False, "disallowed")
    url = server.url
    server.stop()
    report = _check_at(url)
    assert (report.get("reachable")[0], report.verdict) == (False, "unreachable")


def test_a_scrape_that_checks_itself_fails_loudly_from_the_command_line(stand_ins, tmp_path):
    """What an operator sees: a selection matching nothing exits 1 with the close values, and
    a collapse exits 1 as suspect; neither marks anything gone."""
    server, sites = stand_ins
    config = write_config(tmp_path, server.url)
    db = tmp_path / "p.db"
    first = CliRunner().invoke(cli, ["--config", str(config), "scrape", "ct-dph", "--db", str(db)])
    assert first.exit_code == 0, first.output
    assert "credential: Acupuncturist (" in first.output  # what matched, in the notes

    broken = config.read_text().replace(
        "[sources.ct-dph]", "[sources.ct-dph]\nwhere = \"credential = 'ACUPUNCTURIST'\"")
    config.write_text(broken)
    result = CliRunner().invoke(cli, ["--config", str(config), "scrape", "ct-dph", "--db",
                                      str(db)])
    assert result.exit_code == 1
    assert "ct-dph: failed" in result.output and "'Acupuncturist' (" in result.output

    # A selection that now reads about a third of the licenses: suspect, nothing marked gone.
    config.write_text(broken.replace(
        "where = \"credential = 'ACUPUNCTURIST'\"",
        "where = \"upper(credential) like '%ACUPUNCT%' and (credentialnumber like '%1' or "
        "credentialnumber like '%2' or credentialnumber like '%3')\""))
    result = CliRunner().invoke(cli, ["--config", str(config), "scrape", "ct-dph", "--db",
                                      str(db)])
    assert result.exit_code == 1
    assert "ct-dph: suspect" in result.output and "nothing stored or marked gone" in result.output
    from db.migrations import connect

    assert connect(db, readonly=True).execute(
        "select count(*) from licenses where gone_at is not null").fetchone()[0] == 0
