"""Crash safety: scheduled scrapes killed with SIGKILL at random moments, again and again,
leave a sound database and the next calls finish the work; Datasette keeps serving while a
scrape writes."""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from publish.app import datasette_argv
from tests.sites import demo
from tests.sites.serve import start_all

N = 3000  # NPPES stand-in providers: every source has data, a whole scrape takes seconds
# What a complete scrape leaves, table by key: the killed database must hold the same.
KEYS = {"providers": "npi", "licenses": "license_id", "disciplinary_actions": "action_id",
        "exclusions": "exclusion_id", "certifications": "profile_id", "websites": "site_id",
        "website_tags": "claim_id", "practitioners": "practitioner_id",
        "specialty_tags": "tag_id"}


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory):
    server, sites = start_all(port=0, n=N)
    tmp = tmp_path_factory.mktemp("crash")
    config = demo.write_config(tmp, server.url, sites["websites_server"].url)
    yield server, sites, config, tmp
    server.stop()


def _run_due(config: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "scraper", "--config", str(config), "run-due", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _run_to_the_end(config: Path, db: Path, limit: int = 6) -> list[str]:
    outputs = []
    for _ in range(limit):
        process = _run_due(config, db)
        output, _ = process.communicate(timeout=300)
        outputs.append(output)
        if output.startswith("nothing due"):
            return outputs
    pytest.fail(f"run-due never settled: {outputs[-1]}")


def _contents(db: Path) -> dict[str, set]:
    conn = sqlite3.connect(db)
    try:
        out = {}
        for table, key in KEYS.items():
            columns = {r[1] for r in conn.execute(f"pragma table_info([{table}])")}
            live = " where gone_at is null" if "gone_at" in columns else ""
            out[table] = {r[0] for r in conn.execute(f"select [{key}] from [{table}]{live}")}
        for table, key in KEYS.items():  # nothing stored twice, live or gone
            total, distinct = conn.execute(
                f"select count(*), count(distinct [{key}]) from [{table}]").fetchone()
            assert total == distinct, table
        out["changes"] = {r for r in conn.execute(
            "select table_name, record_id, column_name, old_value, new_value from changes")}
        return out
    finally:
        conn.close()


def test_killed_again_and_again_then_finished_equals_an_uninterrupted_scrape(stand_ins):
    _server, _sites, config, tmp = stand_ins
    reference = tmp / "reference.db"
    clean = _run_to_the_end(config, reference)
    assert all("failed" not in o for o in clean[:-1]), clean
    killed = tmp / "killed.db"
    rng = random.Random(20261122)
    kills = 0
    for _ in range(6):
        process = _run_due(config, killed)
        time.sleep(rng.uniform(0.3, 3.0))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
        conn = sqlite3.connect(killed)
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        conn.close()
    assert kills >= 4  # most calls really were killed mid-way
    _run_to_the_end(config, killed)
    conn = sqlite3.connect(killed)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert conn.execute("pragma foreign_key_check").fetchall() == []
    statuses = {r[0] for r in conn.execute("select status from scrape_runs")}
    resumed = conn.execute("select sum(resumed) from scrape_runs").fetchone()[0]
    conn.close()
    assert statuses <= {"ok", "failed"} and "running" not in statuses
    assert resumed >= 1
    expected, got = _contents(reference), _contents(killed)
    for table in KEYS:
        assert got[table] == expected[table], table
        assert got[table], table  # the stand-ins gave every table something
    # no flapping left behind: the killed runs recorded no change an uninterrupted one did not
    assert got["changes"] - expected["changes"] == set()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_datasette_serves_while_a_scrape_writes(stand_ins):
    _server, _sites, config, tmp = stand_ins
    db = tmp / "live.db"
    # a first complete scrape, so there is something to read
    _run_to_the_end(config, db)
    conn = sqlite3.connect(db)
    conn.execute("update scrape_runs set finished_at = '2000-01-01T00:00:00Z'")  # all due again
    conn.commit()
    conn.close()
    port = _free_port()
    datasette = subprocess.Popen([sys.executable, "-m", "datasette",
                                  *datasette_argv(db, host="127.0.0.1", port=port)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/{db.stem}"
    paths = ["/practitioners.json?_size=50", "/providers.json?_sort=display_name&_size=20",
             "/practitioners.json?_facet=state&_facet=license_status",
             "/scrape_runs.json", "/websites.json?_facet=status",
             "/practitioners.json?_search=acupuncture"]
    results: list[tuple[int, str]] = []
    stop = threading.Event()

    def reader(offset: int) -> None:
        i = offset
        while not stop.is_set():
            url = base + paths[i % len(paths)]
            i += 1
            try:
                with urllib.request.urlopen(url, timeout=30) as answer:
                    results.append((answer.status, ""))
            except urllib.error.HTTPError as exc:
                results.append((exc.code, exc.read()[:300].decode("utf-8", "replace")))

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or datasette.poll() is not None:
                    pytest.fail("Datasette did not start")
                time.sleep(0.2)
        threads = [threading.Thread(target=reader, args=(k,)) for k in range(3)]
        for thread in threads:
            thread.start()
        scrape = _run_due(config, db)
        output, _ = scrape.communicate(timeout=300)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        stop.set()
        datasette.terminate()
        datasette.wait(timeout=10)
    assert scrape.returncode == 0, output
    assert "websites: ok" in output and "nppes-api: ok" in output  # it really wrote
    errors = [r for r in results if r[0] != 200]
    assert len(results) > 50 and errors == [], errors[:3]
