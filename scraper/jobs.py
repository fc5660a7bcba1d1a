"""Runs a source as a recorded job: a ``scrape_runs`` row, checkpoints, resumption.

Each page's rows, its fetch-log entry and its checkpoint commit in one transaction, so a run
killed at any moment is picked up by the next call where it stopped, with nothing lost and
nothing written twice. Sources on different hosts run concurrently, one thread each, each
with its own database connection (SQLite in WAL mode lets readers carry on meanwhile).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from db import runs, store
from db.migrations import connect, open_db
from db.sinks import SINKS, Sink

from .config import DEFAULT_VOLUME_GUARD, Config
from .http import BotChallenge, Fetcher, FetchError
from .models import Reject
from .normalize import utc_iso
from .parsing import ParseError
from .sources import get_source
from .sources.base import (
    Known,
    PageStep,
    PartState,
    RunNote,
    ScopeDone,
    SourceError,
    SourceUnchanged,
    VolumeCollapse,
)

log = logging.getLogger(__name__)

@dataclass
class Progress:
    """What the CLI's progress display is told after every committed step."""

    source: str
    part: str = ""
    pages: int = 0
    records: int = 0
    scopes_done: int = 0
    scopes_total: int = 0
    bytes_done: int = 0  # for a source reading one big file
    bytes_total: int = 0


@dataclass
class RunResult:
    source: str
    run_id: int
    status: str
    resumed: bool
    counts: Counter[str] = field(default_factory=Counter)
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    def summary(self) -> str:
        c = self.counts
        outcome = [f"{c['inserted']} new", f"{c['updated']} changed", f"{c['unchanged']} unchanged",
                   f"{c['gone']} gone"] + ([f"{c['rejected']} rejected"] if c["rejected"] else [])
        text = (f"{self.source}: {self.status} (run {self.run_id}"
                f"{', resumed' if self.resumed else ''}) - {c['records']} records "
                f"({', '.join(outcome)}), {c['pages']} pages, {c['not_modified']} not modified, "
                f"{self.duration_s:.1f}s")
        if c["incomplete_parts"]:
            text += f"; {c['incomplete_parts']} part(s) incomplete"
        if self.error:
            text += f"; error: {self.error}"
        return text


class RunContext:
    """The SourceContext a source sees: settings, checkpoints and the fetch log."""

    def __init__(self, db, run_id: int, source_id: str, settings: dict[str, Any],
                 states: list[str] | None):
        self.db = db
        self.source_id = source_id
        self.run_id = run_id
        self.settings = settings
        self.states = states
        self.incomplete_parts = 0
        self.on_bytes: Callable[[int, int | None], None] | None = None
        self.earlier_notes: list[str] = []  # incomplete parts found by an interrupted attempt
        self._checkpoints = runs.load_checkpoints(db, run_id)

    def checkpoint(self, part: str) -> PartState | None:
        return self._checkpoints.get(part)

    def known(self, url: str) -> Known | None:
        return runs.known(self.db, url)

    def timestamp(self, moment: datetime) -> str:
        return utc_iso(moment)

    def state(self, key: str) -> str | None:
        return runs.get_state(self.db, self.source_id, key)

    def provider_npis(self) -> set[str]:
        return {r["npi"] for r in self.db.query("select npi from providers")}

    def listed_websites(self) -> list[tuple[str, str]]:
        return store.listed_websites(self.db)

    def reported_license_numbers(self, state: str) -> list[str]:
        """The acupuncture license numbers NPPES individuals report for ``state``, as given
        (a board that answers one license at a time is asked about each)."""
        return [r["license_number"] for r in self.db.query(
            "select distinct t.license_number from provider_taxonomies t join providers p "
            "on p.npi = t.npi where t.code = '171100000X' and t.state = ? "
            "and t.license_number is not null and p.enumeration_type = 'NPI-1' "
            "and p.gone_at is null order by t.license_number", [state])]

    def lookup_answers(self) -> dict[str, tuple[str | None, str | None]]:
        """What this source's board last said of each number it was asked (m019): number ->
        (answer, answered_at), both None where every asking failed."""
        return {r["license_number"]: (r["answer"], r["answered_at"]) for r in self.db.query(
            "select license_number, answer, answered_at from license_lookups where source = ?",
            [self.source_id])}

    def report_bytes(self, n: int, total: int | None = None) -> None:
        """A source reading a big file says how far it is (``n`` more bytes read)."""
        if self.on_bytes is not None:
            self.on_bytes(n, total)

    def note_resumed(self, state: PartState) -> None:
        if state.state == "incomplete":
            self.incomplete_parts += 1
            self.earlier_notes.append(state.note or f"{state.part}: incomplete")


class FaultRecorder:
    """Writes each fault a run's requests meet (and each retry) into its record as it happens,
    from the run's thread or any of its source's workers: a process killed a moment later has
    not lost it. Workers write through a connection of their own (the run's belongs to the
    run's thread), each fault in a transaction of its own, so that two writers add to the JSON
    and neither loses the other's. A write that fails (the database busy too long) is not the
    run's failure: the fault waits for the next commit (``unwritten``)."""

    def __init__(self, db, path: str | Path, run_id: int):
        self.db, self.path, self.run_id = db, path, run_id
        self.owner = threading.get_ident()
        self._lock = threading.Lock()
        self._own: Database | None = None
        self._unwritten: Counter[str] = Counter()

    def __call__(self, kind: str, n: int) -> None:
        with self._lock:
            try:
                if threading.get_ident() == self.owner:
                    target = self.db
                else:
                    if self._own is None:
                        self._own = connect(self.path)
                        self._own.execute(f"PRAGMA busy_timeout = {WORKER_BUSY_MS}")
                    target = self._own
                if target.conn.in_transaction:  # never so while fetching; joined if it were
                    runs.add_run_faults(target, self.run_id, {kind: n})
                    return
                with runs.transaction(target):
                    runs.add_run_faults(target, self.run_id, {kind: n})
            except sqlite3.Error as exc:
                log.warning("run %d: %s not written yet (%s); it goes with the next commit",
                            self.run_id, kind, exc)
                self._unwritten[kind] += n

    def unwritten(self) -> dict[str, int]:
        """The faults whose own write failed, for the caller's commit to carry (once)."""
        with self._lock:
            out, self._unwritten = dict(self._unwritten), Counter()
        return out

    def close(self) -> None:
        with self._lock:
            if self._own is not None:
                self._own.close()
                self._own = None


WORKER_BUSY_MS = 2000  # a worker's fault write waits this long for the lock, then waits for a commit


def run_source(config: Config, source_id: str, *, db_path: str | Path | None = None,
               fetcher: Fetcher, states: list[str] | None = None,
               on_progress: Callable[[Progress], None] | None = None,
               stop: threading.Event | None = None) -> RunResult:
    """Run one source to the end (or to its first fatal error) and record it."""
    source = get_source(source_id)
    settings = config.source(source_id)
    guard = volume_guard(settings)
    db = open_db(db_path or config.db)
    now = utc_iso()
    scope_states = [s.upper() for s in (states or settings.get("states") or [])] or None
    run_id, resumed = runs.start_run(db, source_id, {"states": scope_states}, now)
    ctx = RunContext(db, run_id, source_id, settings, scope_states)
    progress = Progress(source_id, scopes_total=len(scope_states or source.STATES))

    def on_bytes(n: int, total: int | None) -> None:
        progress.bytes_done += n
        if total:
            progress.bytes_total = total
        if on_progress:
            on_progress(progress)

    ctx.on_bytes = on_bytes
    recorder = FaultRecorder(db, db_path or config.db, run_id)
    # The run's own handle on the shared fetcher: what its requests (the source's and its
    # worker threads') meet is counted there, and each fault goes to the recorder.
    run = fetcher.for_run(on_fault=recorder)
    counts: Counter[str] = Counter()
    notes: list[str] = []
    status, error = "ok", None
    http_seen: Counter[str] = Counter()

    def http_since() -> Counter[str]:
        """What the run's requests met since the last look."""
        nonlocal http_seen
        now_counts = run.counts
        delta = now_counts - http_seen
        http_seen = now_counts
        return delta

    if resumed:
        log.info("%s: picking up interrupted run %d", source_id, run_id)
    try:
        for step in source.scrape(run, ctx):
            # Stopped (Ctrl-C, SIGTERM): a page not yet committed is dropped (the resumed run
            # fetches it again), but what only closes work already committed (a checkpoint, a
            # scope walked whole, a note) is kept: without it a resumed run would take the file
            # it had imported for unchanged and never mark anyone gone. The fetcher is stopped
            # too, so the source cannot start a request meanwhile.
            if stop is not None and stop.is_set() and isinstance(step, PageStep):
                raise KeyboardInterrupt
            step_counts = _commit(db, run_id, source_id, step, notes, http_since(),
                                  recorder.unwritten(), guard)
            ctx.incomplete_parts += step_counts["incomplete_parts"]
            counts.update(step_counts)
            if isinstance(step, PageStep):
                progress.part, progress.pages = step.part, progress.pages + 1
                progress.records += step_counts["records"]
            if isinstance(step, ScopeDone):
                progress.scopes_done += 1
            if on_progress:
                on_progress(progress)
        if ctx.incomplete_parts:
            status = "partial"
        if counts["collapsed_scopes"]:
            status, error = "suspect", (
                f"{counts['collapsed_scopes']} scope(s) saw under {guard:.0%} of the records "
                "they listed before; nothing marked gone in them (see the notes)")
        elif (guard and status == "ok" and counts["complete_scopes"]  # partial says more
              and not counts["sources_unchanged"]  # "as last time" is not "nothing found"
              and runs.run_records(db, run_id) == 0):  # with what killed attempts stored
            status, error = "suspect", "found no records; nothing marked gone"
    except BotChallenge as exc:
        status, error = "gated", str(exc)
    except VolumeCollapse as exc:
        status, error = "suspect", str(exc)
    except (FetchError, SourceError, ParseError, ValueError) as exc:
        status, error = "failed", str(exc)
    except KeyboardInterrupt:
        status, error = "failed", "interrupted"
        raise
    except Exception as exc:  # a bug or a broken database: recorded as failed, never as ok
        log.exception("%s: run %d failed unexpectedly", source_id, run_id)
        status, error = "failed", f"{type(exc).__name__}: {exc}"
    finally:
        try:
            http = http_since()  # what the last requests met, after the last commit
            counts.update(requests=http["requests"], retries=http["retries"])
            with runs.transaction(db):
                runs.add_run_counts(db, run_id, Counter({"requests": http["requests"],
                                                          "retries": http["retries"]}))
                runs.add_run_faults(db, run_id, recorder.unwritten())
            if error != "interrupted":  # an interrupted run stays 'running', to be resumed
                notes[:0] = ctx.earlier_notes
                row = runs.finish_run(db, run_id, status, utc_iso(), error=error, notes=notes)
        finally:
            recorder.close()
            db.close()
    result = RunResult(source_id, run_id, status, resumed, counts, error, notes,
                       row["duration_s"] or 0.0)
    return result


def volume_guard(settings: dict[str, Any]) -> float:
    """``[sources.<id>] volume_guard`` (checked when the configuration is read): the share of
    a scope's live records a complete run must see again before the rest may be marked gone;
    0 turns the guard off."""
    return float(settings.get("volume_guard", DEFAULT_VOLUME_GUARD))


def _collapsed(db, sink: Sink, source_id: str, scope: str, run_id: int, guard: float,
               ) -> str | None:
    """Why a complete scope must not mark anything gone: of the records it listed before this
    run, it saw far fewer again (a broken query or a changed page is likelier than a profession
    gone), or None. Records this run stored first do not count: a board renaming a license
    type re-keys every license, and the new keys must not hide that no old one was seen."""
    table, _key, column, _values = next(g for g in sink.gone if g[0] == sink.table)
    row = next(iter(db.query(
        f"select count(*) as listed, coalesce(sum(last_seen_run_id = ?), 0) as seen "
        f"from [{table}] where [{column}] = ? and source = ? and gone_at is null "
        f"and (first_seen_run_id is null or first_seen_run_id != ?)",
        [run_id, scope, source_id, run_id])))
    listed, seen = row["listed"], row["seen"]
    if guard and listed and seen < guard * listed:
        return (f"{scope}: this run saw {seen:,} of the {listed:,} records listed before it "
                f"(under {guard:.0%}); nothing marked gone")
    return None


def _commit(db, run_id: int, source_id: str, step: Any, notes: list[str],
            http: Counter[str] | None = None,
            unwritten: dict[str, int] | None = None,
            guard: float = DEFAULT_VOLUME_GUARD) -> Counter[str]:
    """Commit one step: its rows, its fetch-log entry and its checkpoint, all or nothing,
    with its requests and retries counted (``http``) and the faults whose own write failed
    (``unwritten``; the others are in the record already, see ``FaultRecorder``)."""
    sink = SINKS[get_source(source_id).SINK]
    counts: Counter[str] = Counter()
    now = utc_iso()
    with runs.transaction(db):
        if isinstance(step, PageStep):
            counts["pages"] += 1
            stored = 0
            if step.records is None:
                counts["not_modified"] += 1
                if step.store:
                    touched = store.touch_page(db, sink.table, step.url, run_id, now)
                    counts["records"] += touched
                    counts["unchanged"] += touched
                    if touched < step.count:
                        # The page is unchanged but some of its records were last stored
                        # under another page: they may not be seen this run, so this part
                        # must not let anything be marked gone.
                        counts["incomplete_parts"] += 1
                        notes.append(f"{step.url}: answered 304 but only {touched} of the "
                                     f"{step.count} records it held were found under it")
            elif step.store and not isinstance(step.records, list):
                # records read while they are stored (a big file), all in this transaction
                given = _Tally(step.records)
                try:
                    counts.update(sink.upsert(db, given, run_id, now))
                finally:
                    given.close()
                counts["records"] += given.n
                stored = given.stored
            elif step.store:
                counts["records"] += step.count  # rows the source gave, bad ones included
                counts.update(sink.upsert(db, step.records, run_id, now))
            if step.page is not None:
                # What a 304 to this page will later find under it: the records, not the rows
                # rejected beside them.
                count = step.count if isinstance(step.records, list | None) else stored
                runs.log_fetch(db, step.page, step.url, count, run_id, now, stored=step.store)
        state = step if isinstance(step, PartState) else getattr(step, "state", None)
        if isinstance(state, PartState):
            runs.save_checkpoint(db, run_id, state, now)
            if state.state == "incomplete":
                counts["incomplete_parts"] += 1
                notes.append(state.note or f"{state.part}: incomplete")
        if isinstance(step, SourceUnchanged):
            counts["sources_unchanged"] += 1
            for table, _key, _column, _values in sink.gone:
                touched = store.touch_source(db, table, source_id, run_id, now)
                if table == sink.table:
                    counts["records"] += touched
                    counts["unchanged"] += touched
            if step.note:
                notes.append(step.note)
        if isinstance(step, RunNote):
            notes.append(step.text)
        if isinstance(step, ScopeDone):
            collapse = step.complete and _collapsed(db, sink, source_id, step.scope, run_id,
                                                    guard)
            counts["complete_scopes"] += step.complete
            if collapse:
                notes.append(collapse)
                counts["collapsed_scopes"] += 1
            elif step.complete:
                for table, key, column, values in sink.gone:
                    counts["gone"] += store.mark_gone(db, table, key, column, step.scope, run_id,
                                                      now, source=source_id, also=values)
            # A collapsed scope keeps the state of its last good run, so the next run checks
            # again rather than taking the collapse as "unchanged since".
            for key, value in ({} if collapse else step.state or {}).items():
                runs.set_state(db, source_id, key, value, now)
            runs.save_checkpoint(db, run_id, PartState(f"scope:{step.scope}", "done"), now)
        if http:
            counts.update(requests=http["requests"], retries=http["retries"])
        runs.add_run_faults(db, run_id, unwritten or {})
        runs.add_run_counts(db, run_id, counts)
    return counts


class _Tally:
    """An iterator of records that counts them as they are taken; ``close`` closes the
    source (a generator reading a file stops its reading)."""

    def __init__(self, records: Iterable[Any]):
        self._source = records
        self._records = iter(records)
        self.n = 0
        self.stored = 0  # records that are not rejects

    def __iter__(self) -> _Tally:
        return self

    def __next__(self) -> Any:
        record = next(self._records)
        self.n += 1
        self.stored += not isinstance(record, Reject)
        return record

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


def relink(config: Config, db_path: str | Path | None = None) -> Counter[str]:
    """Rebuild the practitioners from everything scraped so far (one transaction)."""
    from .coverage import write_coverage
    from .link import link_all

    db = open_db(db_path or config.db)
    try:
        with runs.transaction(db):
            counts = link_all(db, None, utc_iso())  # no scrape run: changes get a null run id
            write_coverage(db, settings=config.source)  # where each state's status comes from
            runs.clear_link_pending(db)
        analyze_published(db)
        return counts
    finally:
        db.close()


# The tables whose pages and filters the query planner must judge by their real sizes.
ANALYZED = ("practitioners", "practitioner_specialties", "licenses")


def analyze_published(db) -> None:
    """The query planner's statistics of the published tables, kept up with them after each
    linking: without them SQLite chose an index by guesswork, and at a million practitioners
    one page of a state's active licenses took 1.9 s instead of 35 ms (issue 16,
    bench_search). Each table whole (a sampled ANALYZE, ``analysis_limit``, misjudged the same
    page): 2.6 s for the practitioners at a million, a fraction of linking them. The linking
    is committed before: statistics that cannot be written now (the database busy) are
    logged and left to the next linking."""
    for table in ANALYZED:
        try:
            db.execute(f"ANALYZE [{table}]")
        except sqlite3.OperationalError as exc:
            log.warning("statistics of %s not updated (%s); the next linking tries again",
                        table, exc)


def link_pending(config: Config, db_path: str | Path | None = None) -> bool:
    """Whether runs have finished since the practitioners were last linked (a process killed
    between a run's end and its linking leaves this so), or they were last linked before
    today (good standing is computed for a day)."""
    path = db_path or config.db
    if not Path(path).exists():
        return False
    db = open_db(path)
    try:
        return runs.link_pending(db) or _linked_before_today(db)
    finally:
        db.close()


def _linked_before_today(db) -> bool:
    """Standing depends on the day (a license expires at midnight): practitioners last linked
    before today are linked again, though no run stored anything since."""
    if not db["practitioners"].exists():
        return False
    last = next(iter(db.query("select max(last_seen_at) as at from practitioners")))["at"]
    return bool(last) and last[:10] < utc_iso()[:10]


def run_sources(config: Config, source_ids: Iterable[str], *, fetcher: Fetcher,
                db_path: str | Path | None = None, states: list[str] | None = None,
                on_progress: Callable[[Progress], None] | None = None) -> list[RunResult]:
    """Run several sources at once, one thread each (the fetcher paces each host on its own).

    They run in the waves of their sinks (``db/sinks.py``): providers first, practice
    websites last.
    """
    ids = list(source_ids)
    open_db(db_path or config.db).close()  # create and migrate once, before any thread writes
    numbers = sorted({SINKS[get_source(s).SINK].wave for s in ids})
    waves = [[s for s in ids if SINKS[get_source(s).SINK].wave == n] for n in numbers]
    results: dict[str, RunResult] = {}
    stop = threading.Event()
    for wave in waves:
        with ThreadPoolExecutor(max_workers=len(wave)) as pool:
            futures = {sid: pool.submit(run_source, config, sid, db_path=db_path,
                                        fetcher=fetcher, states=states,
                                        on_progress=on_progress, stop=stop) for sid in wave}
            try:
                for sid, future in futures.items():
                    try:
                        results[sid] = future.result()
                    except (RuntimeError, OSError, sqlite3.Error) as exc:
                        # e.g. another run of this source still going: the others carry on
                        results[sid] = RunResult(sid, 0, "failed", False, error=str(exc))
            except KeyboardInterrupt:
                # Ctrl-C or SIGTERM: every source stops at its next step, and every wait or
                # read of the fetcher ends now, so the workers are joined in moments.
                stop.set()
                fetcher.interrupt()
                raise
    return [results[sid] for sid in ids]
