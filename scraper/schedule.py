"""When each source is due, and the lock that keeps scheduled runs from overlapping.

A source's cadence is ``[sources.<id>] every = "7d"`` (defaults below: the NPPES API weekly, the
state boards daily, the exclusion list, the NCCAOM directory and practice websites monthly). It is
due when it has never finished a run, when its last run was interrupted (killed: the next run
picks it up), or when ``every`` has passed since its last run finished. A source whose last runs
failed (or were gated by a bot challenge) is tried again after ``retry`` (1 h), doubling with each
failure in a row, never later than its cadence: a broken source is not hammered at every call.

``run-due`` is meant for cron every few minutes. ``RunLock`` makes calls exclusive with an
advisory lock on a file beside the database (``flock``): the kernel drops it when the holder
exits, however it exits, so a killed run never leaves it stuck.
"""

from __future__ import annotations

import fcntl
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from .config import Config, ConfigError
from .sources.base import Source

DEFAULT_RETRY = timedelta(hours=1)
FAILED = ("failed", "gated", "suspect")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_every(value: Any, where: str) -> timedelta:
    """ "30m", "12h", "7d", "2w" (or a number of seconds) as a timedelta."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=value)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", str(value))
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"{where} = {value!r}: give a duration such as \"30m\", \"12h\", "
                          "\"7d\" or \"2w\"")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def cadence(config: Config, source_id: str, source: Source) -> tuple[timedelta, timedelta]:
    """(every, retry) of a source, from its settings or its default (``Source.EVERY``)."""
    settings = config.source(source_id)
    every = parse_every(settings["every"], f"[sources.{source_id}] every") \
        if "every" in settings else source.EVERY
    retry = parse_every(settings["retry"], f"[sources.{source_id}] retry") \
        if "retry" in settings else DEFAULT_RETRY
    return every, retry


@dataclass
class Due:
    source: str
    every: timedelta
    next_at: datetime | None  # None: now
    reason: str  # why it is (or is not) due, for people
    last_status: str | None = None
    last_finished: str | None = None
    failures: int = 0  # failed or gated runs in a row
    running: bool = False

    def is_due(self, now: datetime) -> bool:
        return not self.running and (self.next_at is None or self.next_at <= now)


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def plan(runs: list[dict[str, Any]], source_id: str, every: timedelta, retry: timedelta,
         alive: Any) -> Due:
    """When ``source_id`` is next due, from its runs (newest first) in ``scrape_runs``.
    ``alive(run)`` says whether a 'running' run's process is still going."""
    if not runs:
        return Due(source_id, every, None, "never run")
    last = runs[0]
    if last["status"] == "running":
        if alive(last):
            return Due(source_id, every, None, f"run {last['id']} is going (pid {last['pid']})",
                       "running", running=True)
        return Due(source_id, every, None, f"run {last['id']} was interrupted; it resumes",
                   "running")
    finished = _when(last["finished_at"]) or _when(last["started_at"])
    assert finished is not None, "scrape_runs.started_at is set when a run starts"
    failures = 0
    for run in runs:
        if run["status"] not in FAILED:
            break
        failures += 1
    if failures:
        wait = min(every, retry * 2 ** (failures - 1))
        return Due(source_id, every, finished + wait,
                   f"{failures} failed run(s) in a row; retry {failures + 1} after {wait}",
                   last["status"], last["finished_at"], failures)
    return Due(source_id, every, finished + every, f"every {every}", last["status"],
               last["finished_at"])


def schedule(db, config: Config, sources: dict[str, Any], alive: Any) -> list[Due]:
    """The plan of every source (``db`` has the schema)."""
    out = []
    for source_id, source in sources.items():
        every, retry = cadence(config, source_id, source)
        runs = list(db.query("select * from scrape_runs where source = ? order by id desc "
                             "limit 50", [source_id]))
        out.append(plan(runs, source_id, every, retry, alive))
    return out


class RunLock:
    """An exclusive, non-blocking lock on ``<db>.lock``. ``acquired`` says whether we hold it."""

    def __init__(self, db_path: str | os.PathLike):
        self.path = Path(f"{db_path}.lock")
        self.acquired = False
        self._file: IO[str] | None = None

    def __enter__(self) -> RunLock:
        file = self.path.open("a+")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return self
        self._file = file
        self.acquired = True
        file.seek(0)
        file.truncate()
        file.write(f"{os.getpid()}\n")
        file.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
