"""The NCCAOM directory against its stand-in: paging, profiles, the challenge stop, a page
that changed shape."""

from __future__ import annotations

import pytest

from db.migrations import connect
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from tests.sites.nccaom import NccaomSite
from tests.sites.nccaom_data import generate_diplomates
from tests.sites.nppes_data import generate_providers
from tests.sites.server import SiteServer

HTTP = HttpConfig(min_interval=0, backoff_base=0.01, max_retries=3,
                  allowed_hosts=("127.0.0.1",))


@pytest.fixture(scope="module")
def data():
    return generate_diplomates(generate_providers(n=3000, seed=5))


@pytest.fixture
def site(data):
    nccaom = NccaomSite(data)
    server = SiteServer().start()
    server.add_site("/FAP/", nccaom)
    yield server, nccaom
    server.stop()


def _run(server, db_path, states=("WA",), **settings):
    config = Config(http=HTTP, sources={"nccaom": {
        "base_url": f"{server.url}/FAP/SearchResultWithoutMap", "states": list(states),
        **settings}})
    with Fetcher(HTTP) as fetcher:
        return run_source(config, "nccaom", db_path=db_path, fetcher=fetcher)


def _fap_requests(server):
    return [r for r in server.requests if r.path.startswith("/FAP/")]


def test_every_page_and_profile_of_a_state(site, data, tmp_path):
    server, _ = site
    result = _run(server, tmp_path / "p.db", states=("WA", "CO"))
    assert result.status == "ok"
    db = connect(tmp_path / "p.db", readonly=True)
    for state in ("WA", "CO"):
        stored = {r["profile_id"] for r in db.query(
            "select profile_id from certifications where source_url like ?",
            [f"%StateCode={state}%"])}
        assert stored == {d.profile_id for d in data.by_state[state]}
    profiles = [r for r in _fap_requests(server) if "PractitionerDetail" in r.path]
    assert len(profiles) == result.counts["records"]
    row = next(db.query("select * from certifications where conditions is not null"))
    assert row["profile_url"].startswith(server.url) and row["certificates"]


def test_second_run_reads_later_pages_conditionally(site, tmp_path):
    server, _ = site
    first = _run(server, tmp_path / "p.db", profiles=False)
    second = _run(server, tmp_path / "p.db", profiles=False)
    assert first.counts["pages"] == second.counts["pages"] > 1
    assert second.counts["not_modified"] == second.counts["pages"] - 1  # page 1 is read whole
    assert (second.counts["inserted"], second.counts["updated"], second.counts["gone"]) == (0, 0, 0)


@pytest.mark.parametrize("mode", ["cloudflare", "turnstile"])
def test_a_bot_challenge_stops_the_source_at_once(site, tmp_path, mode):
    server, nccaom = site
    nccaom.challenge = mode
    result = _run(server, tmp_path / "p.db", states=("WA", "CO", "OR"))
    assert result.status == "gated"
    assert "bot challenge" in result.error and "gated" in result.error
    assert len(_fap_requests(server)) == 1  # no retry, no other state, no other client
    db = connect(tmp_path / "p.db", readonly=True)
    assert [r["status"] for r in db["scrape_runs"].rows] == ["gated"]
    assert db["certifications"].count == 0


def test_a_page_that_changed_shape_fails_loudly_and_writes_nothing(site, tmp_path):
    server, nccaom = site
    nccaom.broken_markup = True
    result = _run(server, tmp_path / "p.db")
    assert result.status == "failed"
    assert "selector '.result-card__item' matched 0" in result.error
    assert server.url in result.error
    assert connect(tmp_path / "p.db", readonly=True)["certifications"].count == 0
