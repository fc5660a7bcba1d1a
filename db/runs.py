"""Run bookkeeping: the transaction, ``scrape_runs``, checkpoints, the fetch log, and what a
source remembers between runs (``source_state``). What the records are is ``db/store.py``'s.
"""

from __future__ import annotations

import json
import os
import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from scraper.models import Known, Page, PartState, Validators

# -- transactions -----------------------------------------------------------------------------


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """One write transaction. IMMEDIATE takes the write lock up front, so two writers wait for
    each other (busy_timeout) instead of failing on a read-to-write upgrade."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")


# -- runs -------------------------------------------------------------------------------------

RUN_COUNTERS = ("requests", "not_modified", "pages", "records", "inserted", "updated",
                "unchanged", "gone", "incomplete_parts", "retries")


def boot_id() -> str | None:
    """This boot of the machine (Linux); None where the system does not say."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def run_alive(run: dict[str, Any]) -> bool:
    """Is the process of a 'running' run still going? Not if it ran on another host or
    before a reboot (its pid may since have gone to another process), or if it has exited."""
    recorded = run.get("boot_id")
    if recorded and recorded != boot_id():
        return False
    return _pid_alive(run.get("pid"), run.get("host"))


def _pid_alive(pid: int | None, host: str | None) -> bool:
    if not pid or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_run(db: Database, source: str, scope: dict[str, Any], now: str) -> tuple[int, bool]:
    """A new run of ``source``, or the interrupted one with the same scope, picked up again.

    Returns (run id, resumed). A run of the same source still alive in another process is an
    error: one run of a source at a time.
    """
    scope_json = json.dumps(scope, sort_keys=True)
    with transaction(db):
        for run in db.query(
            "select id, scope, pid, host, boot_id from scrape_runs where source = ? "
            "and status = 'running' order by id desc", [source]):
            if run_alive(dict(run)) and run["pid"] != os.getpid():
                raise RuntimeError(f"run {run['id']} of {source} is still going (pid {run['pid']})")
            if run["scope"] == scope_json:
                db.execute("update scrape_runs set pid = ?, host = ?, boot_id = ?, "
                           "resumed = resumed + 1 where id = ?",
                           [os.getpid(), socket.gethostname(), boot_id(), run["id"]])
                return run["id"], True
            db.execute("update scrape_runs set status = 'failed', finished_at = ?, error = ? "
                       "where id = ?", [now, "interrupted; superseded by a run of another scope",
                                        run["id"]])
        row = {"source": source, "status": "running", "started_at": now, "scope": scope_json,
               "pid": os.getpid(), "host": socket.gethostname(), "boot_id": boot_id(),
               "resumed": 0,
               **{c: 0 for c in RUN_COUNTERS}}
        run_id = db.table("scrape_runs").insert(row).last_pk
    assert run_id is not None  # an insert into a table with an integer key gives one
    return int(run_id), False


def add_run_counts(db: Database, run_id: int, counts: Counter[str]) -> None:
    sets = ", ".join(f"{c} = coalesce({c}, 0) + ?" for c in RUN_COUNTERS)
    db.execute(f"update scrape_runs set {sets} where id = ?",
               [counts.get(c, 0) for c in RUN_COUNTERS] + [run_id])


def run_records(db: Database, run_id: int) -> int:
    """The records a run has stored so far, over every attempt of it (a resumed run's too)."""
    row = db.execute("select records from scrape_runs where id = ?", [run_id]).fetchone()
    return int(row[0] or 0) if row else 0


def add_run_faults(db: Database, run_id: int, faults: dict[str, int]) -> None:
    """Add the faults met (by kind) to the run's record; a resumed run adds to what the
    attempts before it met."""
    if not faults:
        return
    row = list(db.query("select faults from scrape_runs where id = ?", [run_id]))
    total = Counter(json.loads(row[0]["faults"]) if row and row[0]["faults"] else {})
    total.update(faults)
    db.execute("update scrape_runs set faults = ? where id = ?",
               [json.dumps(dict(sorted(total.items()))), run_id])


def finish_run(db: Database, run_id: int, status: str, now: str, *, error: str | None = None,
               notes: list[str] | None = None) -> dict[str, Any]:
    with transaction(db):
        run = db.table("scrape_runs").get(run_id)
        started = run["started_at"]
        duration = _seconds_between(started, now)
        db.table("scrape_runs").update(run_id, {
            "status": status, "finished_at": now, "duration_s": duration, "error": error,
            "notes": "\n".join(notes) if notes else None,
        })
        if status in ("ok", "partial", "suspect"):  # suspect: stored, marked nothing gone
            # Linking follows in another transaction; a process killed before it ends leaves
            # this mark, and the next run-due links even when no source is due (issue 6).
            set_state(db, LINK_STATE[0], LINK_STATE[1], str(run_id), now)
    return db.table("scrape_runs").get(run_id)


# (source, key) in source_state: set while runs have finished that linking has not yet seen.
LINK_STATE = ("link", "pending_since_run")


def link_pending(db: Database) -> bool:
    return get_state(db, *LINK_STATE) is not None


def clear_link_pending(db: Database) -> None:
    db.execute("delete from source_state where source = ? and key = ?", list(LINK_STATE))


def _seconds_between(start: str, end: str) -> float:

    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (datetime.strptime(end, fmt) - datetime.strptime(start, fmt)).total_seconds()


def load_checkpoints(db: Database, run_id: int) -> dict[str, PartState]:
    return {
        r["part"]: PartState(r["part"], r["state"], r["next_skip"] or 0, r["note"])
        for r in db.query("select * from run_checkpoints where run_id = ?", [run_id])
    }


def save_checkpoint(db: Database, run_id: int, state: PartState, now: str) -> None:
    # One statement (sqlite-utils' upsert reads the table's shape first: a page of a re-scrape
    # that is all 304s costs little else).
    db.execute("insert into run_checkpoints (run_id, part, state, next_skip, note, updated_at) "
               "values (?, ?, ?, ?, ?, ?) on conflict (run_id, part) do update set "
               "state = excluded.state, next_skip = excluded.next_skip, note = excluded.note, "
               "updated_at = excluded.updated_at",
               [run_id, state.part, state.state, state.next_skip, state.note, now])


# -- fetch log --------------------------------------------------------------------------------

def known(db: Database, url: str) -> Known | None:
    rows = list(db.query("select etag, last_modified, records from fetch_log where url = ?",
                         [url]))
    if not rows or not (rows[0]["etag"] or rows[0]["last_modified"]):
        return None
    row = rows[0]
    return Known(Validators(row["etag"], row["last_modified"]), row["records"])


def log_fetch(db: Database, page: Page, url: str, records: int, run_id: int, now: str, *,
              stored: bool = True) -> None:
    """Remember a fetch. Called inside the transaction that stores the page's rows.

    A page whose records were not stored under its URL (``stored=False``: they went in under
    narrower queries) keeps no validators: a 304 on it would vouch for records that a later
    run could not find by its URL. It is fetched whole each time instead.
    """
    if page.not_modified and stored:
        db.execute("update fetch_log set status = 304, fetched_at = ?, run_id = ? where url = ?",
                   [now, run_id, url])
        return
    db.execute(
        "insert into fetch_log (url, status, etag, last_modified, content_hash, records, bytes, "
        "fetched_at, run_id) values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (url) do update set "
        "status = excluded.status, etag = excluded.etag, last_modified = excluded.last_modified, "
        "content_hash = coalesce(excluded.content_hash, fetch_log.content_hash), "
        "records = excluded.records, bytes = coalesce(excluded.bytes, fetch_log.bytes), "
        "fetched_at = excluded.fetched_at, run_id = excluded.run_id",
        [url, page.status, page.etag if stored else None,
         page.last_modified if stored else None, page.content_hash, records,
         None if page.not_modified else len(page.content), now, run_id])


# -- what a source remembers between runs -------------------------------------------------

def get_state(db: Database, source: str, key: str) -> str | None:
    rows = list(db.query("select value from source_state where source = ? and key = ?",
                         [source, key]))
    return rows[0]["value"] if rows else None


def set_state(db: Database, source: str, key: str, value: str, at: str) -> None:
    db.execute("insert into source_state (source, key, value, updated_at) values (?, ?, ?, ?) "
               "on conflict (source, key) do update set value = excluded.value, "
               "updated_at = excluded.updated_at", [source, key, value, at])
