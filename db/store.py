"""Writes: upserts on natural keys, change history, run records, checkpoints and the fetch log.

The database never forgets: a record that a complete run no longer finds gets ``gone_at``,
and a changed field is written to ``changes`` with the run that saw it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from scraper.models import (
    TRANSIENT_WEBSITE_STATUSES,
    DisciplinaryAction,
    Known,
    License,
    Page,
    PartState,
    Provider,
    Reject,
    Validators,
)

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
    from datetime import datetime

    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (datetime.strptime(end, fmt) - datetime.strptime(start, fmt)).total_seconds()


def load_checkpoints(db: Database, run_id: int) -> dict[str, PartState]:
    return {
        r["part"]: PartState(r["part"], r["state"], r["next_skip"] or 0, r["note"])
        for r in db.query("select * from run_checkpoints where run_id = ?", [run_id])
    }


def save_checkpoint(db: Database, run_id: int, state: PartState, now: str) -> None:
    db.table("run_checkpoints").upsert({
        "run_id": run_id, "part": state.part, "state": state.state,
        "next_skip": state.next_skip, "note": state.note, "updated_at": now,
    }, pk=("run_id", "part"))


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


# -- providers --------------------------------------------------------------------------------

PROVIDER_TRACKED = (
    "enumeration_type", "display_name", "first_name", "middle_name", "last_name", "name_prefix",
    "name_suffix", "credential", "organization_name", "gender", "sole_proprietor", "status",
    "enumerated_on", "updated_on", "created_at", "updated_at", "deactivated_on", "reactivated_on",
    "authorized_official", "authorized_official_title", "authorized_official_phone",
    "primary_taxonomy", "license_states", "city", "state", "zip", "phone", "other_names",
    "identifiers", "website",
)
ACUPUNCTURE_TAXONOMY = "171100000X"


def provider_rows(provider: Provider) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """The providers row and its address and taxonomy rows, without provenance columns."""
    location = provider.location()
    primary = next((t for t in provider.taxonomies if t.is_primary), None)
    license_states = sorted({t.state for t in provider.taxonomies
                             if t.code == ACUPUNCTURE_TAXONOMY and t.state})
    row: dict[str, Any] = {
        name: getattr(provider, name) for name in PROVIDER_TRACKED if hasattr(provider, name)
    }
    row.update({
        "npi": provider.npi,
        "primary_taxonomy": primary.description if primary else None,
        "license_states": ", ".join(license_states) or None,
        "city": location.city if location else None,
        "state": location.state if location else None,
        "zip": location.zip5 if location else None,
        "phone": location.phone if location else None,
        "other_names": json.dumps(provider.other_names) if provider.other_names else None,
        "identifiers": json.dumps(provider.identifiers) if provider.identifiers else None,
    })
    # vars(), not asdict(): these dataclasses are flat, and asdict's deep copies cost more
    # than the rest of the row building together.
    # in a fixed order: the API lists the mailing address first for some, the files never do
    addresses = [{"npi": provider.npi, **vars(a)}
                 for a in sorted(provider.addresses, key=lambda a: (a.purpose, a.seq))]
    taxonomies = [{"npi": provider.npi, **vars(t), "is_primary": int(t.is_primary)}
                  for t in provider.taxonomies]
    row["record_hash"] = record_hash(row, addresses, taxonomies)
    return row, addresses, taxonomies


def _children(db: Database, table: str, npi: str) -> list[dict[str, Any]]:
    order = "purpose, seq" if table == "provider_addresses" else "seq"
    return list(db.query(f"select * from [{table}] where npi = ? order by {order}", [npi]))


def insert_many(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    """One executemany for rows that share their keys: sqlite-utils' insert() looks the table
    up again on every call, which made it most of a scrape's time."""
    if not rows:
        return
    columns = list(rows[0])
    sql = (f"insert into [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
           f"values ({', '.join('?' * len(columns))})")
    db.conn.executemany(sql, [[row[c] for c in columns] for row in rows])


def _set(db: Database, table: str, key: str, key_value: Any, values: dict[str, Any]) -> None:
    assignments = ", ".join(f"[{c}] = ?" for c in values)
    db.execute(f"update [{table}] set {assignments} where [{key}] = ?",
               [*values.values(), key_value])


CHILD_TABLES = ("provider_addresses", "provider_taxonomies")


@dataclass
class Upserted:
    counts: Counter[str]
    inserted: list[str]
    updated: list[str]


def record_hash(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def upsert_rows(db: Database, table: str, pk: str, rows: Iterable[tuple[dict, dict]], *,
                tracked: Iterable[str], run_id: int | None, seen_at: str) -> Upserted:
    """Upsert ``(data, provenance)`` pairs on ``pk``; call inside a transaction.

    ``data`` holds the record's columns and its ``record_hash``; ``provenance`` its source and
    source_url. A row whose hash is unchanged is only marked seen; a changed row is updated and
    each tracked column that changed is written to ``changes`` with the run.
    """
    tracked = tuple(tracked)
    batch = {data[pk]: (data, provenance) for data, provenance in rows}  # last one wins
    result = Upserted(Counter(), [], [])
    if not batch:
        return result
    keys = list(batch)
    existing: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        marks = ",".join("?" * len(chunk))
        existing.update((r[pk], r) for r in db.query(
            f"select * from [{table}] where [{pk}] in ({marks})", chunk))
    inserts: list[dict[str, Any]] = []
    touched: list[list[Any]] = []
    changes: list[dict[str, Any]] = []
    for key, (data, provenance) in batch.items():
        seen = {"source": provenance.get("source"), "source_url": provenance.get("source_url"),
                "last_seen_at": seen_at, "last_seen_run_id": run_id, "gone_at": None}
        old = existing.get(key)
        if old is None:
            inserts.append({**data, **seen, "first_seen_at": seen_at, "first_seen_run_id": run_id})
            result.inserted.append(key)
            continue
        if old["record_hash"] == data["record_hash"] and old["gone_at"] is None:
            touched.append([seen["source"], seen["source_url"], seen_at, run_id, key])
            result.counts["unchanged"] += 1
            continue
        for column in tracked:
            if old.get(column) != data.get(column):
                changes.append(change_row(table, key, column, old.get(column), data.get(column),
                                       run_id, seen_at))
        if old["gone_at"] is not None:
            changes.append(change_row(table, key, "gone_at", old["gone_at"], None, run_id, seen_at))
        _set(db, table, pk, key, {**data, **seen})
        result.updated.append(key)
    insert_many(db, table, inserts)
    if touched:
        db.conn.executemany(
            f"update [{table}] set source = ?, source_url = ?, last_seen_at = ?, "
            f"last_seen_run_id = ?, gone_at = null where [{pk}] = ?", touched)
    insert_many(db, "changes", changes)
    result.counts.update(inserted=len(result.inserted), updated=len(result.updated))
    result.counts = +result.counts  # drop the zero counts
    return result


def change_row(table: str, key: str, column: str, before: Any, after: Any, run_id: int | None,
               at: str) -> dict[str, Any]:
    return {"table_name": table, "record_id": key, "column_name": column,
            "old_value": None if before is None else str(before),
            "new_value": None if after is None else str(after),
            "run_id": run_id, "changed_at": at}


def _provenance(record: Any) -> dict[str, Any]:
    provenance = record.provenance
    return {"source": provenance.source if provenance else "unknown",
            "source_url": provenance.source_url if provenance else None}


def upsert_providers(db: Database, providers: Iterable[Provider], run_id: int,
                     seen_at: str) -> Counter[str]:
    """Insert new providers, update changed ones (recording each change), touch the rest.

    Call inside a transaction. Returns counts of inserted / updated / unchanged.
    """
    built = {p.npi: (p, *provider_rows(p)) for p in providers}
    result = upsert_rows(db, "providers", "npi",
                         ((row, _provenance(p)) for p, row, _, _ in built.values()),
                         tracked=PROVIDER_TRACKED, run_id=run_id, seen_at=seen_at)
    children: dict[str, list[dict[str, Any]]] = {t: [] for t in CHILD_TABLES}
    changes: list[dict[str, Any]] = []
    for npi in result.inserted:
        _, _, addresses, taxonomies = built[npi]
        children["provider_addresses"] += addresses
        children["provider_taxonomies"] += taxonomies
    for npi in result.updated:
        _, _, addresses, taxonomies = built[npi]
        for table, rows in zip(CHILD_TABLES, (addresses, taxonomies), strict=True):
            before = _children(db, table, npi)
            if _canonical(before) != _canonical(rows):
                changes.append(change_row("providers", npi, table, json.dumps(before, default=str),
                                       json.dumps(rows, default=str), run_id, seen_at))
                db.execute(f"delete from [{table}] where npi = ?", [npi])
                children[table] += rows
    for table, rows in children.items():
        insert_many(db, table, rows)
    insert_many(db, "changes", changes)
    return result.counts


LICENSE_TRACKED = ("license_number", "display_name", "first_name", "middle_name", "last_name",
                   "full_name", "status", "status_normalized", "issued_on", "expires_on", "city",
                   "state", "zip", "disciplined")
ACTION_TRACKED = ("case_number", "action", "effective_on")
EXCLUSION_TRACKED = ("npi", "display_name", "general", "specialty", "address", "city", "state",
                     "zip", "exclusion_type", "excluded_on", "reinstated_on", "waiver_on",
                     "waiver_state", "status")


def _data(record: Any, key: str, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    data = {k: v for k, v in vars(record).items() if k != "provenance" and k not in drop}
    for k, v in data.items():
        if isinstance(v, bool):
            data[k] = int(v)
    data[key] = getattr(record, key)
    data["record_hash"] = record_hash(data)
    return data


def record_writer(table: str, key: str, tracked: tuple[str, ...]
                  ) -> Callable[[Database, Iterable[Any], int, str], Counter[str]]:
    """The writer of a plain kind of record: each record (a dataclass whose fields are the
    table's columns, with a ``provenance``) upserted on ``key``, changes to ``tracked``
    columns recorded; Rejects kept as such. What a new kind needs unless it has children."""

    def upsert(db: Database, records: Iterable[Any], run_id: int, seen_at: str) -> Counter[str]:
        rows, rejects = [], []
        for record in records:
            if isinstance(record, Reject):
                rejects.append(record)
                continue
            data = _data(record, key)
            for column, value in data.items():
                if isinstance(value, list):
                    data[column] = ", ".join(map(str, value)) or None
            data["record_hash"] = record_hash(data)
            rows.append((data, _provenance(record)))
        counts = upsert_rows(db, table, key, rows, tracked=tracked, run_id=run_id,
                             seen_at=seen_at).counts
        counts["rejected"] += upsert_rejects(db, rejects, run_id, seen_at)
        return counts

    upsert.__name__ = f"upsert_{table}"
    return upsert


def upsert_license_records(db: Database, records: Iterable[Any], run_id: int,
                           seen_at: str) -> Counter[str]:
    """Licenses, their disciplinary actions and the rows rejected beside them."""
    licenses, actions, rejects = [], [], []
    for record in records:
        if isinstance(record, License):
            data = _data(record, "license_id")
            data["display_name"] = record.display_name
            data["record_hash"] = record_hash(data)
            licenses.append((data, _provenance(record)))
        elif isinstance(record, DisciplinaryAction):
            actions.append((_data(record, "action_id"), _provenance(record)))
        elif isinstance(record, Reject):
            rejects.append(record)
        else:
            raise TypeError(f"not a license record: {record!r}")
    counts = upsert_rows(db, "licenses", "license_id", licenses, tracked=LICENSE_TRACKED,
                         run_id=run_id, seen_at=seen_at).counts
    for key, value in upsert_rows(db, "disciplinary_actions", "action_id", actions,
                                  tracked=ACTION_TRACKED, run_id=run_id,
                                  seen_at=seen_at).counts.items():
        counts[f"actions_{key}"] += value
    counts["rejected"] += upsert_rejects(db, rejects, run_id, seen_at)
    return counts


def upsert_exclusions(db: Database, records: Iterable[Any], run_id: int,
                      seen_at: str) -> Counter[str]:
    rows, rejects = [], []
    for record in records:
        if isinstance(record, Reject):
            rejects.append(record)
            continue
        data = _data(record, "exclusion_id")
        data["display_name"] = record.display_name
        data["status"] = "reinstated" if record.reinstated_on else "excluded"
        data["record_hash"] = record_hash(data)
        rows.append((data, _provenance(record)))
    counts = upsert_rows(db, "exclusions", "exclusion_id", rows, tracked=EXCLUSION_TRACKED,
                         run_id=run_id, seen_at=seen_at).counts
    counts["rejected"] += upsert_rejects(db, rejects, run_id, seen_at)
    return counts


CERTIFICATION_TRACKED = ("name", "status", "phone", "website", "address", "city", "state",
                         "certificates", "conditions")


def upsert_certifications(db: Database, records: Iterable[Any], run_id: int,
                          seen_at: str) -> Counter[str]:
    rows = []
    for record in records:
        data = _data(record, "profile_id")
        for key, value in data.items():
            if isinstance(value, list):
                data[key] = ", ".join(value) or None
        data["record_hash"] = record_hash(data)
        rows.append((data, _provenance(record)))
    return upsert_rows(db, "certifications", "profile_id", rows, tracked=CERTIFICATION_TRACKED,
                       run_id=run_id, seen_at=seen_at).counts


def upsert_rejects(db: Database, rejects: list[Reject], run_id: int, seen_at: str) -> int:
    """Keep each bad row once (by source and content), with the reason and when it was seen."""
    if not rejects:
        return 0
    db.conn.executemany(
        "insert into rejects (reject_id, source, reason, raw, source_url, first_seen_at, "
        "last_seen_at, last_seen_run_id) values (?, ?, ?, ?, ?, ?, ?, ?) "
        "on conflict (reject_id) do update set reason = excluded.reason, "
        "source_url = excluded.source_url, last_seen_at = excluded.last_seen_at, "
        "last_seen_run_id = excluded.last_seen_run_id",
        [[record_hash(r.source, r.raw), r.source, r.reason,
          json.dumps(r.raw, sort_keys=True, ensure_ascii=False),
          r.provenance.source_url if r.provenance else None, seen_at, seen_at, run_id]
         for r in rejects])
    return len(rejects)


def get_state(db: Database, source: str, key: str) -> str | None:
    rows = list(db.query("select value from source_state where source = ? and key = ?",
                         [source, key]))
    return rows[0]["value"] if rows else None


def set_state(db: Database, source: str, key: str, value: str, at: str) -> None:
    db.execute("insert into source_state (source, key, value, updated_at) values (?, ?, ?, ?) "
               "on conflict (source, key) do update set value = excluded.value, "
               "updated_at = excluded.updated_at", [source, key, value, at])


def _canonical(rows: list[dict[str, Any]]) -> str:
    return json.dumps(sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str)),
                      sort_keys=True, default=str)


def touch_page(db: Database, table: str, url: str, run_id: int, seen_at: str) -> int:
    """An unchanged page (304): the records last seen on it are still there."""
    cursor = db.execute(
        f"update [{table}] set last_seen_at = ?, last_seen_run_id = ? where source_url = ?",
        [seen_at, run_id, url])
    return cursor.rowcount


def touch_source(db: Database, table: str, source: str, run_id: int, seen_at: str) -> int:
    """The source is unchanged since its last complete run: its listed records are seen again."""
    cursor = db.execute(
        f"update [{table}] set last_seen_at = ?, last_seen_run_id = ? "
        f"where source = ? and gone_at is null", [seen_at, run_id, source])
    return cursor.rowcount


def mark_gone(db: Database, table: str, pk: str, scope_column: str, scope: str, run_id: int,
              at: str, *, source: str, also: dict[str, str] | None = None) -> int:
    """Records of ``scope`` that this complete run did not see are marked gone, not deleted;
    ``also`` sets other columns with them (an exclusion no longer listed is reinstated)."""
    rows = list(db.query(
        f"select * from [{table}] where [{scope_column}] = ? and source = ? "
        f"and gone_at is null and (last_seen_run_id is null or last_seen_run_id != ?)",
        [scope, source, run_id]))
    if not rows:
        return 0
    values = {"gone_at": at, **(also or {})}
    changes = []
    for row in rows:
        _set(db, table, pk, row[pk], values)
        changes += [change_row(table, row[pk], column, row.get(column), value, run_id, at)
                    for column, value in values.items() if row.get(column) != value]
    insert_many(db, "changes", changes)
    return len(rows)


# -- practice websites ------------------------------------------------------------------------

def listed_websites(db: Database) -> list[tuple[str, str]]:
    """(website as listed, the record listing it) for every live record that lists one."""
    return [(r["website"], r["record"]) for r in db.query(
        "select website, 'providers:' || npi as record from providers "
        "where website is not null and gone_at is null "
        "union all select website, 'certifications:' || profile_id from certifications "
        "where website is not null and gone_at is null")]


WEBSITE_TRACKED = ("status", "final_url", "tags", "listed_by")


def upsert_websites(db: Database, records: Iterable[Any], run_id: int,
                    seen_at: str) -> Counter[str]:
    """Store what each site said. A site read now (or refusing us now) has its claims replaced
    by what was read; one that could not be looked at keeps its claims of the last reading."""
    counts: Counter[str] = Counter()
    for site in records:
        keep = site.status in TRANSIENT_WEBSITE_STATUSES
        data = {"site_id": site.site_id, "url": site.url, "final_url": site.final_url,
                "status": site.status, "detail": site.detail, "pages_read": len(site.pages),
                "page_urls": json.dumps(site.pages),
                "tags": ", ".join(t.tag for t in site.tags) or None,
                "listed_by": json.dumps(site.listed_by)}
        if keep:
            existing = list(db.query("select tags from websites where site_id = ?",
                                     [site.site_id]))
            if existing:
                data["tags"] = existing[0]["tags"]
        data["record_hash"] = record_hash(data)
        counts.update(upsert_rows(db, "websites", "site_id", [(data, _provenance(site))],
                                  tracked=WEBSITE_TRACKED, run_id=run_id,
                                  seen_at=seen_at).counts)
        db.execute("update websites set checked_at = ? where site_id = ?",
                   [site.checked_at or seen_at, site.site_id])
        if keep:
            continue
        claims = []
        for tag in site.tags:
            claim = {"claim_id": f"{site.site_id} {tag.tag}", "site_id": site.site_id,
                     "tag": tag.tag, "evidence_url": tag.evidence_url, "snippet": tag.snippet}
            claim["record_hash"] = record_hash(claim)
            claims.append((claim, {"source": "websites", "source_url": tag.evidence_url}))
        upsert_rows(db, "website_tags", "claim_id", claims, tracked=("evidence_url", "snippet"),
                    run_id=run_id, seen_at=seen_at)
        current = [c["claim_id"] for c, _ in claims]
        stale = [r["claim_id"] for r in db.query(
            "select claim_id from website_tags where site_id = ? and gone_at is null",
            [site.site_id]) if r["claim_id"] not in current]
        for claim_id in stale:
            _set(db, "website_tags", "claim_id", claim_id, {"gone_at": seen_at})
        insert_many(db, "changes", [change_row("website_tags", c, "gone_at", None, seen_at,
                                               run_id, seen_at) for c in stale])
    return counts


# -- NPPES files ------------------------------------------------------------------------------

API_ONLY_COLUMNS = ("created_at", "updated_at")


def upsert_bulk_providers(db: Database, records: Iterable[Any], run_id: int,
                          seen_at: str) -> Counter[str]:
    """Providers read from the NPPES files, and the deactivation report's NPIs.

    A provider the API source holds (live) is left to it: the API is read more often, and each
    row keeps one source. The file fills in the others. What only the API gives (its
    created/updated timestamps, the update date of a practice location) is taken from the
    stored row, so a provider the file took over from the API is not rewritten for nothing.

    ``records`` may be any iterable (``nppes_bulk.iter_zip`` reads a file as it goes): it is
    stored 500 at a time. Rows the file source could not read come as Rejects, kept as such."""
    counts: Counter[str] = Counter()
    deactivations: list[Any] = []
    records = iter(records)
    while batch := list(islice(records, 500)):
        chunk: list[Any] = []
        rejects: list[Reject] = []
        for record in batch:
            if isinstance(record, Reject):
                rejects.append(record)
                continue
            (deactivations if hasattr(record, "deactivated_on")
             and not hasattr(record, "addresses") else chunk).append(record)
        counts["rejected"] += upsert_rejects(db, rejects, run_id, seen_at)
        if not chunk:
            continue
        marks = ",".join("?" * len(chunk))
        stored = {r["npi"]: r for r in db.query(
            f"select npi, created_at, updated_at, source, gone_at from providers "
            f"where npi in ({marks})", [p.npi for p in chunk])}
        owned = {npi for npi, r in stored.items()
                 if r["source"] == "nppes-api" and r["gone_at"] is None}
        dates = {}
        for r in db.query(f"select npi, address_1, postal_code, updated_on from "
                          f"provider_addresses where purpose = 'practice' and npi in ({marks})",
                          [p.npi for p in chunk]):
            dates[(r["npi"], r["address_1"], r["postal_code"])] = r["updated_on"]
        for provider in chunk:
            old = stored.get(provider.npi)
            if old:
                for column in API_ONLY_COLUMNS:
                    if getattr(provider, column) is None:
                        setattr(provider, column, old[column])
            for address in provider.addresses:
                if address.purpose == "practice" and address.updated_on is None:
                    address.updated_on = dates.get((provider.npi, address.address_1,
                                                    address.postal_code))
        counts.update(upsert_providers(db, [p for p in chunk if p.npi not in owned], run_id,
                                       seen_at))
        if owned:
            counts["kept_api"] += sum(1 for p in chunk if p.npi in owned)
    for record in deactivations:
        row = list(db.query("select deactivated_on, status from providers where npi = ?",
                            [record.npi]))
        if not row or row[0]["deactivated_on"] == record.deactivated_on:
            continue
        values = {"deactivated_on": record.deactivated_on, "status": "D"}
        _set(db, "providers", "npi", record.npi, values)
        insert_many(db, "changes", [change_row("providers", record.npi, k, row[0][k], v, run_id,
                                               seen_at) for k, v in values.items()
                                    if row[0][k] != v])
        counts["deactivated"] += 1
    return counts
