"""The whole pipeline against the NPPES stand-in over real HTTP: paging, cap splitting,
conditional re-scrapes, changes, vanishing, errors, robots.txt, a killed run resumed."""

from __future__ import annotations

import copy
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pytest

from db.migrations import connect
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from tests.sites import demo
from tests.sites.nppes import NppesApi
from tests.sites.nppes_data import generate_providers
from tests.sites.server import SiteServer

ACU = {"taxonomy_description": "Acupuncturist", "address_purpose": "PRIMARY"}


@pytest.fixture(scope="session")
def all_providers() -> list[dict]:
    return generate_providers()


def _state_subset(providers: list[dict], states: set[str]) -> list[dict]:
    api = NppesApi(providers)
    keep = set()
    for state in states:
        keep |= api.npis(state=state, **ACU)
    return copy.deepcopy([p for p in providers if int(p["number"]) in keep])


class StandIn:
    def __init__(self, providers: list[dict]):
        self.api = NppesApi(providers)
        self.server = SiteServer().start()
        self.server.add_site("/api/", self.api)

    def config(self, http: HttpConfig, **settings) -> Config:
        return Config(db=":unused:", http=http, sources={
            "nppes-api": {"base_url": f"{self.server.url}/api/", **settings}})

    def expected(self, states) -> set[str]:
        found: set[str] = set()
        for state in states:
            found |= {str(n) for n in self.api.npis(state=state, **ACU)}
        return found

    def api_requests(self):
        return [r for r in self.server.requests if r.path.startswith("/api")]


@pytest.fixture
def stand_in(all_providers):
    sites = []

    def make(providers=None, states=None):
        providers = providers if providers is not None else _state_subset(all_providers, states)
        site = StandIn(providers)
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.server.stop()


def _scrape(site: StandIn, db_path, http: HttpConfig, states, **settings):
    with Fetcher(http) as fetcher:
        return run_source(site.config(http, **settings), "nppes-api", db_path=db_path,
                          fetcher=fetcher, states=list(states))


def _npis(db_path) -> list[str]:
    db = connect(db_path, readonly=True)
    return [r["npi"] for r in db.query("select npi from providers where gone_at is null")]


# -- smaller scenarios ---------------------------------------------------------------------------

def test_changed_and_vanished_providers(stand_in, tmp_path, fast_http):
    site = stand_in(states={"WA", "OR"})
    db_path = tmp_path / "p.db"
    assert _scrape(site, db_path, fast_http, ["WA", "OR"]).status == "ok"
    wa = sorted(site.expected(["WA"]))
    changed = site.api.get(wa[0])
    changed["basic"]["credential"] = "L.Ac., Dipl. Ac."
    removed = site.api.remove(wa[1])
    result = _scrape(site, db_path, fast_http, ["WA", "OR"])
    assert result.status == "ok"
    assert (result.counts["updated"], result.counts["gone"], result.counts["inserted"]) == (1, 1, 0)
    db = connect(db_path, readonly=True)
    assert db["providers"].get(str(removed["number"]))["gone_at"] is not None
    change = [(c["record_id"], c["column_name"], c["new_value"], c["run_id"])
              for c in db["changes"].rows_where("column_name = 'credential'")]
    assert change == [(wa[0], "credential", "L.Ac., Dipl. Ac.", result.run_id)]
    assert set(_npis(db_path)) == site.expected(["WA", "OR"])


def test_the_api_placeholders_are_stored_as_absent(stand_in, tmp_path, fast_http):
    """The stand-in answers "--" for no name prefix or suffix and "NA" for no license, as the
    real API does: stored as NULL, and never part of a display name."""
    site = stand_in(states={"OR"})
    served = [site.api.get(npi) for npi in site.expected(["OR"])]
    assert sum(p["basic"].get("name_suffix") == "--" for p in served) > 100
    na = {(str(p["number"]), t["state"]) for p in served for t in p["taxonomies"]
          if t["license"] == "NA"}
    assert na
    assert _scrape(site, tmp_path / "p.db", fast_http, ["OR"]).status == "ok"
    db = connect(tmp_path / "p.db", readonly=True)
    assert db.execute("select count(*) from providers where name_suffix in ('--', 'NA') or "
                      "name_prefix in ('--', 'NA') or display_name like '%--%'").fetchone() == (0,)
    assert db.execute("select count(*) from providers where name_suffix is null and "
                      "enumeration_type = 'NPI-1'").fetchone()[0] > 100
    stored = {(r["npi"], r["state"]): r for r in db.query(
        "select * from provider_taxonomies where license_number is null")}
    assert all(stored[key]["license_number_normalized"] is None for key in na)
    assert db.execute("select count(*) from provider_taxonomies where license_number in "
                      "('NA', '--')").fetchone() == (0,)


def test_scraping_one_state_never_marks_another_gone(stand_in, tmp_path, fast_http):
    site = stand_in(states={"WA", "OR"})
    db_path = tmp_path / "p.db"
    _scrape(site, db_path, fast_http, ["WA", "OR"])
    result = _scrape(site, db_path, fast_http, ["WA"])
    assert result.counts["gone"] == 0
    assert set(_npis(db_path)) == site.expected(["WA", "OR"])


def test_errors_body_makes_the_run_partial_with_the_reason(stand_in, tmp_path, fast_http):
    site = stand_in(states={"WA"})
    result = _scrape(site, tmp_path / "p.db", fast_http, ["WA"], taxonomy_description="A*")
    assert result.status == "partial"
    assert any("Wildcards require at least two leading characters" in n for n in result.notes)


def test_zip_with_more_than_1200_is_split_by_type_then_reported(stand_in, tmp_path, fast_http,
                                                               all_providers):
    """One ZIP holding 1,300 individuals: no query can list them all, and the run says so."""
    crowd = copy.deepcopy([p for p in all_providers if p["enumeration_type"] == "NPI-1"][:1300])
    for provider in crowd:
        for address in provider["addresses"]:
            if address["address_purpose"] == "LOCATION":
                address.update(state="VT", postal_code="054010001", city="BURLINGTON")
    site = stand_in(providers=crowd)
    result = _scrape(site, tmp_path / "p.db", fast_http, ["VT"])
    assert result.status == "partial"
    assert result.notes == ["VT/05401/NPI-1: more than 1200 results and no narrower query; "
                            "the rest cannot be reached through the API"]
    db = connect(tmp_path / "p.db", readonly=True)
    assert db["providers"].count == 1200  # all the API would give, each once
    assert db["scrape_runs"].get(result.run_id)["incomplete_parts"] == 1
    # an incomplete state never marks anyone gone
    assert db["providers"].count_where("gone_at is not null") == 0


def test_robots_disallow_stops_the_source_before_any_api_request(stand_in, tmp_path, fast_http):
    site = stand_in(states={"WA"})
    site.server.robots_txt = "User-agent: *\nDisallow: /api/\n"
    result = _scrape(site, tmp_path / "p.db", fast_http, ["WA"])
    assert result.status == "failed"
    assert "robots.txt disallows" in result.error
    assert site.api_requests() == []


def test_retry_after_and_truncated_answers_are_survived(stand_in, tmp_path, fast_http):
    site = stand_in(states={"WA"})
    site.server.inject("/api", status=429, headers={"Retry-After": "1"}, count=1)
    site.server.inject("/api", status=None, truncate=True, count=1)
    site.server.inject("/api", status=503, count=1)
    started = time.monotonic()
    result = _scrape(site, tmp_path / "p.db", fast_http, ["WA"])
    assert result.status == "ok"
    assert time.monotonic() - started >= 1.0  # the Retry-After second was waited out
    assert [f.kind for f in site.server.faults_served] == ["status", "truncate", "status"]
    assert set(_npis(tmp_path / "p.db")) == site.expected(["WA"])


def test_run_killed_mid_way_resumes_without_loss_or_duplicates(stand_in, tmp_path):
    """SIGKILL the command line in the middle of a state, then run it again."""
    site = stand_in(states={"CA"})
    site.server.set_global_delay(0.02)
    db_path = tmp_path / "p.db"
    config = demo.write_config(tmp_path, site.server.url)
    command = [sys.executable, "-m", "scraper", "--config", str(config), "scrape", "nppes-api",
               "--state", "CA", "--db", str(db_path)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.1)
            try:
                with sqlite3.connect(db_path, timeout=1) as conn:
                    stored = conn.execute("select count(*) from providers").fetchone()[0]
            except sqlite3.Error:
                continue
            if stored >= 1500:
                break
        else:
            pytest.fail("the scrape never got going")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    conn = sqlite3.connect(db_path)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert conn.execute("select status from scrape_runs").fetchall() == [("running",)]
    root = conn.execute("select state from run_checkpoints where part = 'CA'").fetchone()
    conn.close()
    assert root == ("split",)
    site.server.set_global_delay(0)
    site.server.reset_log()
    with Fetcher(HttpConfig(min_interval=0)) as fetcher:
        result = run_source(site.config(HttpConfig(min_interval=0)), "nppes-api",
                            db_path=db_path, fetcher=fetcher, states=["CA"])
    assert (result.status, result.resumed) == ("ok", True)
    stored = _npis(db_path)
    assert len(stored) == len(set(stored))
    assert set(stored) == site.expected(["CA"])
    # the resumed run did not walk again what was committed: the state-wide query is not asked
    assert site.api_requests()
    assert not [r for r in site.api_requests() if "postal_code" not in r.path]
    db = connect(db_path, readonly=True)
    assert [r["status"] for r in db.query("select status from scrape_runs")] == ["ok"]


def test_split_query_that_shrinks_under_a_304_loses_nobody(stand_in, tmp_path, fast_http,
                                                          all_providers):
    """Review finding (2026-11): a split state shrinks below the cap while its first page stays
    the same; the 304 on that page must not leave its records unseen and so marked gone."""
    crowd = copy.deepcopy([p for p in all_providers if p["enumeration_type"] == "NPI-1"][:1250])
    for i, provider in enumerate(crowd):
        for address in provider["addresses"]:
            if address["address_purpose"] == "LOCATION":
                address.update(state="VT", postal_code=f"05{i % 7}01", city="BURLINGTON")
    site = stand_in(providers=crowd)
    db_path = tmp_path / "p.db"
    assert _scrape(site, db_path, fast_http, ["VT"]).status == "ok"
    ordered = sorted(site.api.providers, key=lambda p: int(p["number"]))
    for provider in ordered[1100:]:  # the first page (lowest NPIs) does not change
        site.api.remove(provider["number"])
    result = _scrape(site, db_path, fast_http, ["VT"])
    assert result.status == "ok"
    assert result.counts["gone"] == 150
    assert set(_npis(db_path)) == {str(p["number"]) for p in ordered[:1100]}


def test_faults_met_are_recorded_in_the_run_log(stand_in, tmp_path, fast_http):
    """Every fault a run survived is in its record: by kind, with the retries."""
    site = stand_in(states={"WA"})
    site.server.inject("/api", status=429, headers={"Retry-After": "0"}, count=1)
    site.server.inject("/api", status=None, truncate=True, count=1)
    site.server.inject("/api", status=503, count=2)
    result = _scrape(site, tmp_path / "p.db", replace(fast_http, max_retries=5), ["WA"])
    assert result.status == "ok", result.error
    db = connect(tmp_path / "p.db", readonly=True)
    run = db["scrape_runs"].get(result.run_id)
    assert json.loads(run["faults"]) == {"http 429": 1, "http 503": 2,
                                         "RemoteProtocolError": 1, "retries": 4}
    assert run["retries"] == 4


def test_a_fault_is_in_the_run_log_as_soon_as_it_is_met(stand_in, tmp_path, fast_http):
    """Issue 6 (soak): a fault used to reach the run log with the next committed page, so a run
    killed before that lost it. Now it is written when met, with the retry it causes: here,
    while the retry still hangs and nothing is committed yet."""
    site = stand_in(states={"WA"})
    site.server.inject("/api", status=503, count=1)
    site.server.inject("/api", status=None, delay=2.0, count=1)  # the retry's answer is slow
    db_path = tmp_path / "p.db"
    results = []
    run = threading.Thread(target=lambda: results.append(_scrape(site, db_path, fast_http,
                                                                 ["WA"])))
    run.start()
    seen = None
    deadline = time.monotonic() + 1.5  # before the slow answer comes
    while seen is None and time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            rows = list(connect(db_path, readonly=True).query(
                "select faults, pages from scrape_runs"))
        except sqlite3.OperationalError:  # not created yet
            continue
        seen = rows[0] if rows and "retries" in (rows[0]["faults"] or "") else None
    run.join()
    assert seen is not None and json.loads(seen["faults"]) == {"http 503": 1, "retries": 1}
    assert not seen["pages"]  # nothing was committed with it
    assert results[0].status == "ok"
    final = connect(db_path, readonly=True)["scrape_runs"].get(results[0].run_id)
    assert json.loads(final["faults"]) == {"http 503": 1, "retries": 1}


def test_a_fault_that_cannot_be_written_waits_for_the_next_commit(tmp_path, monkeypatch):
    """A worker's fault write that finds the database locked too long does not fail the run:
    the fault is handed to the next commit, once."""
    from db import store
    from db.migrations import open_db
    from scraper import jobs

    monkeypatch.setattr(jobs, "WORKER_BUSY_MS", 50)
    path = tmp_path / "p.db"
    db = open_db(path)
    run_id, _ = store.start_run(db, "nppes-api", {}, "2026-12-01T00:00:00Z")
    recorder = jobs.FaultRecorder(db, path, run_id)
    other = connect(path)
    other.execute("BEGIN IMMEDIATE")  # someone else holds the write lock
    worker = threading.Thread(target=recorder, args=("http 503", 1))
    worker.start()
    worker.join()
    other.execute("ROLLBACK")
    assert db["scrape_runs"].get(run_id)["faults"] is None
    assert recorder.unwritten() == {"http 503": 1} and recorder.unwritten() == {}
    recorder("ReadTimeout", 1)  # the run's own thread, the lock free again: written at once
    assert json.loads(db["scrape_runs"].get(run_id)["faults"]) == {"ReadTimeout": 1}
    recorder.close()
