"""The whole pipeline against the NPPES stand-in over real HTTP: paging, cap splitting,
conditional re-scrapes, changes, vanishing, errors, robots.txt, a killed run resumed."""

from __future__ import annotations

import copy
import os
import signal
import sqlite3
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from db.migrations import connect
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from scraper.sources import nppes_api
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


# -- the demo: every acupuncturist of the stand-in, through the real command line -------------

@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, all_providers):
    """Scrape the full stand-in twice with the command line, as `make demo` does."""
    api = NppesApi(all_providers)
    server = SiteServer().start()
    server.add_site("/api/", api)
    tmp = tmp_path_factory.mktemp("demo")
    db_path = tmp / "demo.db"
    config = demo.write_config(tmp, server.url)
    try:
        first = demo.scrape(db_path, config)
        first_requests = list(server.requests)
        server.reset_log()
        second = demo.scrape(db_path, config)
        second_requests = list(server.requests)
    finally:
        server.stop()
    return {"api": api, "db": db_path, "first": first, "second": second,
            "first_requests": first_requests, "second_requests": second_requests}


def test_demo_scrape_holds_every_acupuncturist_of_the_stand_in(demo_run):
    assert demo_run["first"].returncode == 0
    api = demo_run["api"]
    db = connect(demo_run["db"], readonly=True)
    expected = {str(n) for n in api.npis(taxonomy_description="Acupuncturist")}
    stored = [r["npi"] for r in db.query("select npi from providers")]
    assert len(stored) == len(set(stored))  # nothing twice
    # every stand-in acupuncturist whose primary location is in a US state or DC
    listed = set()
    for state in nppes_api.STATES:
        listed |= {str(n) for n in api.npis(state=state, **ACU)}
    assert set(stored) == listed
    assert len(listed) >= 20_000 - 50 and listed <= expected
    # each provider is filed under the state of its primary location, as the stand-in says
    ca = {r["npi"] for r in db.query("select npi from providers where state = 'CA'")}
    assert ca == {str(n) for n in api.npis(state="CA", **ACU)}
    assert len(ca) > 1200


def test_demo_scrape_split_the_capped_state_and_zip_prefix(demo_run):
    db = connect(demo_run["db"], readonly=True)
    states = {r["part"]: r["state"] for r in db.query("select part, state from run_checkpoints")}
    assert states["CA"] == "split"
    assert states["CA/94*"] == "split"
    assert states["CA/941*"] == "split"  # one three-digit prefix over 1,200 on its own
    assert states["CA/9411*"] == "done"
    assert not [p for p, s in states.items() if s in ("incomplete", "pending")]
    # The API's rules were never broken: limit <= 200, skip <= 1000, PRIMARY addresses.
    for request in demo_run["first_requests"]:
        if not request.path.startswith("/api"):
            continue
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
        assert int(query["limit"]) == 200 and int(query["skip"]) <= 1000
        assert query["address_purpose"] == "PRIMARY"
        assert request.headers["User-Agent"].startswith("acupuncture-directory/")
    run = db["scrape_runs"].get(1)
    total = db["providers"].count
    # each record stored once: the first page of a query that had to be split was held back
    assert (run["status"], run["incomplete_parts"], run["records"], run["inserted"],
            run["unchanged"]) == ("ok", 0, total, total, 0)


def test_second_scrape_of_unchanged_stand_in_changes_nothing_and_uses_304(demo_run):
    assert demo_run["second"].returncode == 0
    db = connect(demo_run["db"], readonly=True)
    first, second = db["scrape_runs"].get(1), db["scrape_runs"].get(2)
    assert second["status"] == "ok"
    assert (second["inserted"], second["updated"], second["gone"]) == (0, 0, 0)
    assert second["not_modified"] == second["pages"] == first["pages"]
    assert db["changes"].count == 0
    api_requests = [r for r in demo_run["second_requests"] if r.path.startswith("/api")]
    assert api_requests and all("If-None-Match" in r.headers for r in api_requests)
    seen = {r["last_seen_run_id"] for r in db.query("select last_seen_run_id from providers")}
    assert seen == {2}


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
