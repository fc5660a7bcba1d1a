"""Scheduled runs: when a source is due, the lock, and `practitioners run-due` end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from db.migrations import connect
from scraper.cli import cli
from scraper.config import Config, ConfigError
from scraper.schedule import RunLock, cadence, parse_every, plan
from scraper.sources import SOURCES
from tests.sites.leie import LeieSite, generate_leie_rows
from tests.sites.nppes_data import generate_providers
from tests.sites.server import SiteServer

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
HOUR = timedelta(hours=1)


def _run(i: int, status: str, hours_ago: float, pid: int | None = None) -> dict:
    at = (NOW - timedelta(hours=hours_ago)).isoformat()
    return {"id": i, "status": status, "started_at": at,
            "finished_at": None if status == "running" else at, "pid": pid, "host": "h"}


def never_alive(run):
    return False


def test_durations():
    assert parse_every("30m", "x") == timedelta(minutes=30)
    assert parse_every("7d", "x") == WEEK and parse_every("2w", "x") == 2 * WEEK
    assert parse_every(90, "x") == timedelta(seconds=90)
    for bad in ("weekly", "0d", "-1h", "", True):
        with pytest.raises(ConfigError, match="give a duration"):
            parse_every(bad, "[sources.x] every")


def test_default_cadences_and_settings():
    config = Config(sources={"nppes-api": {"every": "2d", "retry": "10m"}})
    assert cadence(config, "nppes-api", SOURCES["nppes-api"]) == (2 * timedelta(days=1),
                                                                  timedelta(minutes=10))
    assert cadence(Config(), "nppes-api", SOURCES["nppes-api"])[0] == WEEK
    assert cadence(Config(), "wa-doh", SOURCES["wa-doh"])[0] == timedelta(days=1)
    assert cadence(Config(), "oig-leie", SOURCES["oig-leie"])[0] == timedelta(days=30)
    assert cadence(Config(), "websites", SOURCES["websites"])[0] == timedelta(days=30)


def test_never_run_is_due():
    due = plan([], "nppes-api", WEEK, HOUR, never_alive)
    assert due.is_due(NOW) and due.reason == "never run"


def test_due_when_the_cadence_has_passed():
    recent = plan([_run(2, "ok", 24)], "nppes-api", WEEK, HOUR, never_alive)
    assert not recent.is_due(NOW) and recent.next_at == NOW + 6 * timedelta(days=1)
    old = plan([_run(2, "partial", 24 * 8)], "nppes-api", WEEK, HOUR, never_alive)
    assert old.is_due(NOW)


def test_failures_back_off_but_never_past_the_cadence():
    runs = [_run(5, "failed", 0.5)]
    assert plan(runs, "s", WEEK, HOUR, never_alive).next_at == NOW + timedelta(minutes=30)
    runs = [_run(5, "failed", 0.5), _run(4, "gated", 2), _run(3, "failed", 3), _run(2, "ok", 9)]
    three = plan(runs, "s", WEEK, HOUR, never_alive)
    assert three.failures == 3 and three.next_at == NOW - timedelta(minutes=30) + 4 * HOUR
    many = [_run(i, "failed", 0) for i in range(20, 5, -1)]
    assert plan(many, "s", WEEK, HOUR, never_alive).next_at == NOW + WEEK


def test_a_run_going_is_not_started_twice_and_a_killed_one_is_resumed():
    going = plan([_run(7, "running", 0.1, pid=123)], "s", WEEK, HOUR, lambda run: True)
    assert going.running and not going.is_due(NOW)
    killed = plan([_run(7, "running", 0.1, pid=123)], "s", WEEK, HOUR, never_alive)
    assert killed.is_due(NOW) and "interrupted" in killed.reason


def test_the_lock_is_exclusive_and_a_killed_holder_does_not_keep_it(tmp_path):
    db = tmp_path / "p.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from scraper.schedule import RunLock\n"
         f"lock = RunLock({str(db)!r}).__enter__(); print(lock.acquired, flush=True); "
         "time.sleep(60)"], stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        assert holder.stdout.readline().strip() == "True"
        with RunLock(db) as lock:
            assert not lock.acquired
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
        with RunLock(db) as lock:
            assert lock.acquired
    finally:
        holder.kill()
        holder.wait()


# -- run-due, end to end -----------------------------------------------------------------------

@pytest.fixture
def leie_site():
    providers = generate_providers(n=300, seed=3)
    server = SiteServer().start()
    server.add_site("/exclusions/", LeieSite.from_data(generate_leie_rows(providers,
                                                                          n_unrelated=50)))
    yield server
    server.stop()


def _config(tmp_path, url: str) -> str:
    path = tmp_path / "c.toml"
    path.write_text("[http]\nmin_interval = 0\nmax_retries = 1\nbackoff_base = 0.01\n"
                    'allowed_hosts = ["127.0.0.1"]\n'
                    f'[sources.oig-leie]\nurl = "{url}"\nevery = "1d"\n')
    return str(path)


def test_run_due_runs_what_is_due_and_then_nothing(leie_site, tmp_path):
    config = _config(tmp_path, f"{leie_site.url}/exclusions/downloadables/UPDATED.csv")
    db = str(tmp_path / "p.db")
    first = CliRunner().invoke(cli, ["--config", config, "run-due", "oig-leie", "--db", db])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("oig-leie: ok (run 1)")
    requests = len(leie_site.requests)
    second = CliRunner().invoke(cli, ["--config", config, "run-due", "oig-leie", "--db", db])
    assert second.exit_code == 0 and second.output.startswith("nothing due; next: oig-leie at ")
    assert len(leie_site.requests) == requests  # nothing was fetched
    shown = CliRunner().invoke(cli, ["--config", config, "schedule", "--db", db])
    line = next(x for x in shown.output.splitlines() if x.startswith("oig-leie"))
    assert " ok " in line and "every 1 day" in line


def test_a_call_that_died_before_linking_is_linked_by_the_next(leie_site, tmp_path, monkeypatch):
    """Issue 6 regression: a run-due killed after its runs ended but before it linked left the
    practitioners empty for good, since the next calls found nothing due."""
    config = _config(tmp_path, f"{leie_site.url}/exclusions/downloadables/UPDATED.csv")
    db = str(tmp_path / "p.db")

    def killed(*args):
        raise SystemExit(137)

    with monkeypatch.context() as patch:
        patch.setattr("scraper.cli._relink", killed)
        died = CliRunner().invoke(cli, ["--config", config, "run-due", "oig-leie", "--db", db])
    assert died.exit_code == 137 and died.output.startswith("oig-leie: ok (run 1)")
    assert connect(db, readonly=True)["practitioners"].count == 0
    again = CliRunner().invoke(cli, ["--config", config, "run-due", "oig-leie", "--db", db])
    assert again.exit_code == 0 and again.output.startswith("nothing due")
    assert "practitioners" in again.output
    linked = connect(db, readonly=True)["practitioners"].count
    assert linked == connect(db, readonly=True)["exclusions"].count > 0
    third = CliRunner().invoke(cli, ["--config", config, "run-due", "oig-leie", "--db", db])
    assert third.output.strip().count("\n") == 0  # linked once: nothing pending any more


def test_run_due_exits_1_when_a_source_failed_and_backs_off(tmp_path):
    config = _config(tmp_path, "http://127.0.0.1:9/UPDATED.csv")  # nothing listens on port 9
    db = str(tmp_path / "p.db")
    failed = CliRunner().invoke(cli, ["--config", config, "run-due", "oig-leie", "--db", db])
    assert failed.exit_code == 1 and "oig-leie: failed" in failed.output
    assert "Traceback" not in failed.output
    again = CliRunner().invoke(cli, ["--config", config, "run-due", "oig-leie", "--db", db])
    assert again.exit_code == 0 and again.output.startswith("nothing due")
    assert connect(db, readonly=True)["scrape_runs"].count == 1


def test_run_due_while_another_holds_the_lock(tmp_path):
    config = _config(tmp_path, "http://127.0.0.1:9/UPDATED.csv")
    db = str(tmp_path / "p.db")
    with RunLock(db) as lock:
        assert lock.acquired
        result = CliRunner().invoke(cli, ["--config", config, "run-due", "--db", db])
    assert result.exit_code == 0 and result.output.startswith("another run-due holds")


def test_a_bad_cadence_is_a_one_line_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[sources.oig-leie]\nevery = "monthly"\n')
    result = CliRunner().invoke(cli, ["--config", str(path), "schedule",
                                      "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 1 and "every = 'monthly'" in result.output
    assert "Traceback" not in result.output
