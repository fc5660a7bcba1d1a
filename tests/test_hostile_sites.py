"""Hostile practice websites cannot stall, break or steer a websites run (issue 14).

Each case of ``tests/sites/hostile.py`` is listed beside a few ordinary practice sites. A first
run reads them all while the hostile site is still an ordinary clinic; a second run meets its
attack. That run must end within a bound, give the site the status the case table says, count
its fault in the run's record, keep the site's earlier claims when the status says "not now",
and leave every ordinary site as the first run stored it.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from db.migrations import connect
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import RunResult, run_source
from tests.sites.hostile import CASES, HostileSites
from tests.sites.server import Response, SiteServer, fetch
from tests.sites.websites import PracticeSite, PracticeWebsites
from tests.test_hostile_parse import _within
from tests.test_websites import _listing_db

ORDINARY = {
    "lotus": PracticeSite("lotus", "facial", "Lotus Acupuncture"),
    "oak": PracticeSite("oak", "plain", "Oak Acupuncture", denies_facial=True),
    "bloom": PracticeSite("bloom", "fertility", "Bloom Acupuncture"),
}
# Short, so the dripping cases end soon; an ordinary page of the stand-ins takes milliseconds.
TOTAL_TIMEOUT = 2.0
# One run: the slowest case waits out TOTAL_TIMEOUT once. Before issue 14 some never ended.
BOUND = 4 * TOTAL_TIMEOUT


@pytest.fixture(scope="module")
def hostile():
    with HostileSites() as sites:
        yield sites


@pytest.fixture(scope="module")
def ordinary():
    with SiteServer() as server:
        server.add_site("/s/", PracticeWebsites(dict(ORDINARY)))
        yield server


def _listing(hostile: HostileSites, ordinary: SiteServer, names: list[str]) -> dict[str, str]:
    """Profile id -> listed address: the ordinary sites, and each named case's pages."""
    listing = {slug: f"{ordinary.url}/s/{slug}/" for slug in ORDINARY}
    for name in names:
        for i, url in enumerate(hostile.urls(name)):
            listing[f"{name}-{i}"] = url
    return listing


def _run(hostile: HostileSites, ordinary: SiteServer, db_path: Path, bound: float,
         **settings: Any) -> RunResult:
    http = HttpConfig(min_interval=0, backoff_base=0.01, max_retries=1,
                      total_timeout=TOTAL_TIMEOUT, allowed_hosts=("127.0.0.1",),
                      allow_private_hosts=(*hostile.private_hosts(),
                                           f"127.0.0.1:{ordinary.port}"))
    config = Config(http=http, sources={"websites": settings})
    with Fetcher(http) as fetcher:
        return _within(bound, run_source, config, "websites", db_path=db_path, fetcher=fetcher)


def _sites(db_path: Path) -> dict[str, dict[str, Any]]:
    """Each site's row by listed address, with its live claims (tag -> evidence page)."""
    db = connect(db_path, readonly=True)
    try:
        rows = {r["url"]: dict(r) for r in db.query("select * from websites")}
        for row in rows.values():
            row["claims"] = {c["tag"]: c["evidence_url"] for c in db.query(
                "select tag, evidence_url from website_tags where site_id = ? "
                "and gone_at is null", [row["site_id"]])}
        return rows
    finally:
        db.close()


def _faults(db_path: Path, run: RunResult) -> dict[str, int]:
    db = connect(db_path, readonly=True)
    try:
        (text,) = db.execute("select faults from scrape_runs where id = ?",
                             [run.run_id]).fetchone()
        return json.loads(text) if text else {}
    finally:
        db.close()


def _first_and_hostile_runs(hostile, ordinary, tmp_path, names, bound, **settings):
    """The sites after a first run with every case an ordinary clinic, the second run's result
    and the sites after it, the named cases hostile."""
    db_path = tmp_path / "w.db"
    _listing_db(db_path, _listing(hostile, ordinary, names))
    hostile.set_hostile(False)
    first = _run(hostile, ordinary, db_path, bound, **settings)
    before = _sites(db_path)
    assert first.status == "ok" and _faults(db_path, first) == {}
    assert {row["status"] for row in before.values()} == {"ok"}
    for name in names:
        for url in hostile.urls(name):
            assert before[url]["claims"], f"{url}: the first run stored no claim"
    for server in (*hostile.servers.values(), hostile.metadata, ordinary):
        server.reset_log()
    hostile.set_hostile(True, names)
    try:
        second = _run(hostile, ordinary, db_path, bound, **settings)
    finally:
        hostile.set_hostile(False)
    return before, second, _sites(db_path), _faults(db_path, second)


def _check_case(name: str, hostile: HostileSites, before: dict, after: dict) -> None:
    """The case's pages as the table says, and the site asked for nothing twice."""
    case = CASES[name]
    for url in hostile.urls(name):
        row = after[url]
        assert row["status"] == case.status, f"{name}: {row['status']} ({row['detail']})"
        if case.detail:
            assert case.detail in row["detail"], f"{name}: {row['detail']}"
        else:
            assert row["detail"] is None, f"{name}: {row['detail']}"
        if case.keeps_claims:
            assert row["claims"] == before[url]["claims"], name
        else:
            assert row["claims"] == {} and row["tags"] is None, name
    # nothing retried, robots.txt fetched once (a file:// redirect was retried six times, and a
    # robots.txt over the cap fetched again for every page)
    paths = Counter(request.path for request in hostile.servers[name].requests)
    assert paths["/robots.txt"] == 1 and max(paths.values()) == 1, f"{name}: {paths}"


def _check_ordinary(ordinary: SiteServer, before: dict, after: dict) -> None:
    for slug in ORDINARY:
        url = f"{ordinary.url}/s/{slug}/"
        assert after[url]["status"] == "ok" and after[url]["detail"] is None
        assert after[url]["tags"] == before[url]["tags"] and after[url]["claims"] == \
            before[url]["claims"] and set(after[url]["claims"]) == ORDINARY[slug].truth


@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_site_costs_its_own_row_only(name, hostile, ordinary, tmp_path):
    case = CASES[name]
    started = time.monotonic()
    before, run, after, faults = _first_and_hostile_runs(hostile, ordinary, tmp_path, [name],
                                                         BOUND)
    assert run.status == "ok" and run.error is None
    _check_case(name, hostile, before, after)
    assert faults == ({case.fault: len(case.listed)} if case.fault else {})
    _check_ordinary(ordinary, before, after)
    assert hostile.metadata.requests == []
    assert time.monotonic() - started < BOUND + 2  # both runs


def test_every_hostile_site_at_once_with_four_workers(hostile, ordinary, tmp_path):
    """All the cases in one listing, read four sites at a time: the run ends in about the time
    of the slowest case, and each site comes out as it does alone."""
    names = list(CASES)
    started = time.monotonic()
    before, run, after, faults = _first_and_hostile_runs(hostile, ordinary, tmp_path, names,
                                                         2 * BOUND, workers=4)
    took = time.monotonic() - started
    assert run.status == "ok" and run.counts["records"] == len(after)
    for name in names:
        _check_case(name, hostile, before, after)
    expected: Counter[str] = Counter()
    for case in CASES.values():
        if case.fault:
            expected[case.fault] += len(case.listed)
    assert faults == dict(expected)
    _check_ordinary(ordinary, before, after)
    assert hostile.metadata.requests == []
    assert took < 2 * BOUND


# -- the stand-in's drip ---------------------------------------------------------------------------

@pytest.mark.parametrize("drip_head", [False, True])
def test_a_dripped_answer_arrives_whole_for_a_client_that_waits(drip_head):
    body = b"<p>We treat back pain.</p>"
    with SiteServer() as server:
        server.add_site("/", lambda request: Response(
            200, {"Content-Type": "text/html"}, body, drip=0.002, drip_head=drip_head))
        status, headers, got = fetch(f"{server.url}/")
    assert (status, got, headers["Connection"]) == (200, body, "close")
    assert headers["ETag"] and headers["Content-Length"] == str(len(body))
