"""A new kind of record from a new source, in four places (issue 15, the README's "Adding a
source"): the source module (its record and scrape), a migration (its table), a sink (its
writer, ``store.record_writer``) and the registry. Here the four are made in the test and
registered for its length; the job runner, the volume guard and `gone` need nothing more."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from db.migrations import PROVENANCE, connect, open_db
from db.sinks import SINKS, Sink
from db.store import record_writer
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from scraper.models import Provenance, Reject
from scraper.sources import SOURCES
from scraper.sources.base import PageStep, ScopeDone, Source

SOURCE_ID = "xx-registry"


# 1. the source module: its record and its scrape
@dataclass
class Registration:
    registration_id: str
    name: str
    status: str
    specialties: list[str]
    provenance: Provenance | None = None


class Registry(Source):
    SOURCE_ID = SOURCE_ID
    TITLE = "A registry of an imaginary state"
    BASE_URL = "https://registry.example/"
    SINK = "registrations"
    JURISDICTION = "XX"

    rows: list[tuple[str, str, str]] = []

    def scrape(self, fetcher, ctx):
        provenance = Provenance(SOURCE_ID, self.BASE_URL, "2026-12-01T00:00:00Z")
        records = [Registration(key, name, status, ["facial", "pain"], provenance)
                   for key, name, status in self.rows]
        records.append(Reject(SOURCE_ID, "no name", {"id": "R9"}, provenance))
        yield PageStep("all", self.BASE_URL, None, records, len(records))
        yield ScopeDone(SOURCE_ID, complete=True)


@pytest.fixture
def registry(monkeypatch, tmp_path):
    path = tmp_path / "r.db"
    db = open_db(path)
    # 2. a migration: the table, with the provenance columns every record table has
    db.table("registrations").create({"registration_id": str, "name": str, "status": str,
                                      "specialties": str, "record_hash": str, **PROVENANCE,
                                      "first_seen_run_id": int}, pk="registration_id")
    db.close()
    # 3. a sink: where the records go and which of them a complete run marks gone
    monkeypatch.setitem(SINKS, "registrations", Sink(
        record_writer("registrations", "registration_id", tracked=("name", "status")),
        "registrations", (("registrations", "registration_id", "source", {}),)))
    # 4. the registry of sources
    source = Registry()
    monkeypatch.setitem(SOURCES, SOURCE_ID, source)
    return source, path


def _run(path):
    config = Config(http=HttpConfig(allowed_hosts=("127.0.0.1",)))
    with Fetcher(config.http) as fetcher:
        return run_source(config, SOURCE_ID, db_path=path, fetcher=fetcher)


def test_a_new_kind_is_stored_changed_and_marked_gone(registry):
    source, path = registry
    source.rows = [("R1", "Ann Lee", "active"), ("R2", "Bo Chen", "active"),
                   ("R3", "Cy Diaz", "active")]
    first = _run(path)
    assert (first.status, first.counts["inserted"], first.counts["rejected"]) == ("ok", 3, 1)
    source.rows = [("R1", "Ann Lee", "lapsed"), ("R2", "Bo Chen", "active")]
    second = _run(path)
    assert second.status == "ok" and second.counts["gone"] == 1
    db = connect(path, readonly=True)
    rows = {r["registration_id"]: r for r in db.query("select * from registrations")}
    assert rows["R1"]["status"] == "lapsed" and rows["R1"]["specialties"] == "facial, pain"
    assert rows["R3"]["gone_at"] and rows["R1"]["source"] == SOURCE_ID
    assert [(c["record_id"], c["column_name"], c["old_value"]) for c in db.query(
        "select * from changes where table_name = 'registrations' order by record_id")] == [
        ("R1", "status", "active"), ("R3", "gone_at", None)]
    assert [r["reason"] for r in db.query("select reason from rejects")] == ["no name"]


def test_a_stop_keeps_what_closes_committed_work_and_drops_the_next_page(registry):
    """Review finding (issue 14): a SIGTERM during the NPPES file's import came between the
    file's rows and its checkpoint and scopes; the resumed run took the file for unchanged and
    never marked anyone gone. What follows a committed page without fetching is kept now."""
    import threading

    source, path = registry
    source.rows = [("R1", "Ann Lee", "active"), ("R2", "Bo Chen", "active"),
                   ("R3", "Cy Diaz", "active")]
    assert _run(path).status == "ok"
    stop = threading.Event()
    provenance = Provenance(SOURCE_ID, source.BASE_URL, "2026-12-02T00:00:00Z")

    def stopped_while_reading():
        for key, name in (("R1", "Ann Lee"), ("R2", "Bo Chen")):
            stop.set()  # Ctrl-C while the page's records are read and stored
            yield Registration(key, name, "active", [], provenance)

    def scrape(fetcher, ctx):
        yield PageStep("all", source.BASE_URL, None, stopped_while_reading(), 0)
        yield ScopeDone(SOURCE_ID, complete=True)
        yield PageStep("more", source.BASE_URL + "2", None, [
            Registration("R4", "Di Eng", "active", [], provenance)], 1)

    source.scrape = scrape
    config = Config(http=HttpConfig(allowed_hosts=("127.0.0.1",)))
    with Fetcher(config.http) as fetcher, pytest.raises(KeyboardInterrupt):
        run_source(config, SOURCE_ID, db_path=path, fetcher=fetcher, stop=stop)
    db = connect(path, readonly=True)
    rows = {r["registration_id"]: r for r in db.query("select * from registrations")}
    assert rows["R3"]["gone_at"]  # the scope walked whole before the stop was closed
    assert "R4" not in rows  # the page after the stop was not stored
    assert [r["status"] for r in db.query("select status from scrape_runs order by id")] == [
        "ok", "running"]  # to be resumed


def test_a_source_without_a_check_is_reported_skipped(registry):
    from click.testing import CliRunner

    from scraper.cli import cli

    result = CliRunner().invoke(cli, ["check", SOURCE_ID])
    assert result.exit_code == 0, result.output
    assert "has no check of its live site" in result.output and "skipped" in result.output


def test_a_sink_of_a_wave_of_its_own_runs(registry, monkeypatch):
    """Review of issue 15: the waves were counted when db/sinks.py was imported."""
    from scraper.jobs import run_sources

    source, path = registry
    monkeypatch.setitem(SINKS, "registrations", Sink(
        record_writer("registrations", "registration_id", tracked=("name",)),
        "registrations", (("registrations", "registration_id", "source", {}),), wave=7))
    source.rows = [("R1", "Ann Lee", "active")]
    config = Config(http=HttpConfig(allowed_hosts=("127.0.0.1",)))
    with Fetcher(config.http) as fetcher:
        [result] = run_sources(config, [SOURCE_ID], fetcher=fetcher, db_path=path)
    assert result.status == "ok" and result.counts["inserted"] == 1


def test_a_304_to_a_request_that_was_not_conditional_is_no_answer():
    """Review of issue 15: it was taken for 'unchanged, 0 records', and an NCCAOM walk then
    never learnt its last page."""
    from datetime import UTC, datetime

    import httpx

    from scraper.models import Known, Page, Validators
    from scraper.sources.base import Conditional

    page = Page("https://x.example/p", 304, b"", httpx.Headers(), datetime.now(UTC),
                not_modified=True)
    assert Conditional("https://x.example/p", None).unchanged("p", page) is None
    step = Conditional("https://x.example/p", None).unchanged("p", page, unasked=True)
    assert step is not None and step.count == 0 and step.records is None
    known = Known(Validators('"e"', None), 12)
    assert Conditional("https://x.example/p", known).unchanged("p", page).count == 12
