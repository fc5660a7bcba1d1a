"""The volume guard, for every source (issue 11): a run that finds nothing, or far fewer records
than its scope holds, marks nothing gone, is recorded `suspect`, and shows in source_health."""

from __future__ import annotations

import pytest

from db.migrations import connect
from scraper.config import Config, ConfigError, HttpConfig, load_config
from scraper.http import Fetcher
from scraper.jobs import run_source
from scraper.models import License, Provenance
from scraper.sources import SOURCES
from scraper.sources.base import PageStep, ScopeDone, Source

SOURCE_ID = "fake-board"


class FakeBoard(Source):
    """A source giving the licenses numbered 1..``count`` of one dataset, one page."""

    SOURCE_ID = SOURCE_ID
    TITLE = "A fake board"
    BASE_URL = "https://board.example/"
    SINK = "licenses"

    def __init__(self):
        self.count = 0
        self.license_type = "Acupuncturist"
        self.state: dict[str, str] | None = None

    def scrape(self, fetcher, ctx):
        provenance = Provenance(SOURCE_ID, self.BASE_URL, "2026-12-01T00:00:00Z")
        records = [License("ZZ", self.license_type, str(n), str(n), "A", None, f"L{n}", None,
                           "ACTIVE", "active", None, None, None, None, None, None, "x",
                           provenance) for n in range(1, self.count + 1)]
        if records:
            yield PageStep("rows", self.BASE_URL, None, records, len(records))
        yield ScopeDone(SOURCE_ID, complete=True, state=self.state)

    def check(self, fetcher, settings):  # pragma: no cover - not used here
        raise NotImplementedError


@pytest.fixture
def board(monkeypatch):
    fake = FakeBoard()
    monkeypatch.setitem(SOURCES, SOURCE_ID, fake)
    return fake


def _run(db_path, **settings):
    config = Config(http=HttpConfig(allowed_hosts=("127.0.0.1",)),
                    sources={SOURCE_ID: settings})
    with Fetcher(config.http) as fetcher:
        return run_source(config, SOURCE_ID, db_path=db_path, fetcher=fetcher)


def _live(db_path) -> int:
    db = connect(db_path, readonly=True)
    return db.execute("select count(*) from licenses where gone_at is null").fetchone()[0]


def test_a_collapse_marks_nothing_gone_and_is_suspect(board, tmp_path):
    path = tmp_path / "g.db"
    board.count = 10
    assert _run(path).status == "ok"
    board.count = 4  # under half of the 10 listed
    result = _run(path)
    assert (result.status, result.counts["gone"]) == ("suspect", 0)
    assert "saw 4 of the 10 records listed before it" in " ".join(result.notes)
    assert "nothing marked gone" in result.error
    assert _live(path) == 10
    db = connect(path, readonly=True)
    (run,) = db.query("select status, notes from scrape_runs where id = ?", [result.run_id])
    assert run["status"] == "suspect" and "saw 4 of the 10" in run["notes"]


def test_a_drop_within_the_guard_marks_the_rest_gone(board, tmp_path):
    path = tmp_path / "g.db"
    board.count = 10
    _run(path)
    board.count = 6
    result = _run(path)
    assert (result.status, result.counts["gone"]) == ("ok", 4)
    assert _live(path) == 6


def test_a_run_that_finds_nothing_is_suspect_even_the_first(board, tmp_path):
    result = _run(tmp_path / "g.db")
    assert result.status == "suspect"
    assert result.error == "found no records; nothing marked gone"


def test_the_guard_can_be_set_and_turned_off(board, tmp_path):
    path = tmp_path / "g.db"
    board.count = 10
    _run(path)
    board.count = 8
    assert _run(path, volume_guard=0.9).status == "suspect"
    board.count = 1  # a real drop, confirmed by the operator
    result = _run(path, volume_guard=0)
    assert (result.status, result.counts["gone"]) == ("ok", 9)


@pytest.mark.parametrize("value", [1.5, -0.1, "half", True])
def test_a_bad_guard_setting_is_a_configuration_error(tmp_path, value):
    path = tmp_path / "p.toml"
    shown = f'"{value}"' if isinstance(value, str) else str(value).lower()
    path.write_text(f"[sources.wa-doh]\nvolume_guard = {shown}\n")
    with pytest.raises(ConfigError, match="volume_guard"):
        load_config(path, env={})


def test_source_health_shows_a_suspect_run(board, tmp_path):
    import asyncio

    from publish.app import make_datasette

    path = tmp_path / "g.db"
    board.count = 10
    _run(path)
    board.count = 0
    assert _run(path).status == "suspect"

    async def health():
        response = await make_datasette(path).client.get("/g/source_health.json?_shape=array")
        assert response.status_code == 200, response.text[:300]
        return response.json()

    (row,) = asyncio.run(health())
    assert (row["source"], row["last_status"], row["suspect"], row["failures_in_a_row"]) == (
        SOURCE_ID, "suspect", 1, 1)
    assert "nothing marked gone" in row["latest_error"]


def test_a_resumed_run_counts_what_its_killed_attempt_stored(board, tmp_path):
    """The crash-safety test found a resumed run called empty: its pages were stored by the
    attempt that was killed, and the attempt that finished it read none."""
    from db import store
    from db.migrations import open_db

    path = tmp_path / "g.db"
    db = open_db(path)
    run_id, _ = store.start_run(db, SOURCE_ID, {"states": None}, "2026-12-01T00:00:00Z")
    db.execute("update scrape_runs set records = 7, host = 'a-host-gone' where id = ?", [run_id])
    db.close()
    result = _run(path)  # picks the run up, finds nothing more to read
    assert (result.run_id, result.resumed, result.status) == (run_id, True, "ok")


def test_new_keys_do_not_hide_that_no_old_record_was_seen(board, tmp_path):
    """Review finding: a board renaming its license type re-keys every license; the new rows
    must not count as the old ones seen again (they would all be marked gone, run ok)."""
    path = tmp_path / "g.db"
    board.count = 10
    _run(path)
    board.license_type = "Acupuncture Practitioner"  # same people, new keys
    result = _run(path)
    assert (result.status, result.counts["inserted"], result.counts["gone"]) == ("suspect", 10, 0)
    assert "saw 0 of the 10 records listed before it" in " ".join(result.notes)
    assert _live(path) == 20


def test_a_collapsed_scope_keeps_the_state_of_its_last_good_run(board, tmp_path):
    """Review finding: the collapsed run's state made the next run 'unchanged' and ok."""
    from db import store

    path = tmp_path / "g.db"
    board.count, board.state = 10, {"rows_read": "10"}
    _run(path)
    board.count, board.state = 2, {"rows_read": "2"}
    assert _run(path).status == "suspect"
    db = connect(path, readonly=True)
    assert store.get_state(db, SOURCE_ID, "rows_read") == "10"


def test_a_run_with_no_complete_scope_and_nothing_read_is_not_suspect(tmp_path):
    """Review finding: a source with nothing to do (no website listed yet, no new weekly
    file) found nothing because there was nothing to look at: not suspect."""
    config = Config(http=HttpConfig(allowed_hosts=("127.0.0.1",)))
    with Fetcher(config.http) as fetcher:
        result = run_source(config, "websites", db_path=tmp_path / "w.db", fetcher=fetcher)
    assert (result.status, result.notes) == ("ok", ["no record lists a website: nothing to read"])
