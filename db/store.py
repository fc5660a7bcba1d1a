"""Record storage: upserts on natural keys, change history, rejects, what is gone.

The database never forgets: a record that a complete run no longer finds gets ``gone_at``,
and a changed field is written to ``changes`` with the run that saw it. Runs, checkpoints and
the fetch log are ``db/runs.py``'s (importable from here too, as before).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from itertools import islice
from operator import attrgetter
from typing import Any

from sqlite_utils import Database

from scraper.models import (
    TRANSIENT_WEBSITE_STATUSES,
    DisciplinaryAction,
    License,
    Provider,
    Reject,
)

from .runs import (  # re-exported: callers took them from here before db/runs.py
    RUN_COUNTERS as RUN_COUNTERS,
    add_run_counts as add_run_counts,
    add_run_faults as add_run_faults,
    boot_id as boot_id,
    clear_link_pending as clear_link_pending,
    finish_run as finish_run,
    get_state as get_state,
    known as known,
    link_pending as link_pending,
    load_checkpoints as load_checkpoints,
    log_fetch as log_fetch,
    run_alive as run_alive,
    run_records as run_records,
    save_checkpoint as save_checkpoint,
    set_state as set_state,
    start_run as start_run,
    transaction as transaction,
)

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
# The tracked columns a Provider holds as they are (the others are worked out from it), read
# at once: asking each name of each provider for it was a tenth of the storing, profiled
# (issue 16).
_PROVIDER_FIELDS = tuple(name for name in PROVIDER_TRACKED
                         if name in {f.name for f in fields(Provider)})
_provider_values = attrgetter(*_PROVIDER_FIELDS)


def provider_rows(provider: Provider) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """The providers row and its address and taxonomy rows, without provenance columns."""
    location = provider.location()
    primary = next((t for t in provider.taxonomies if t.is_primary), None)
    license_states = sorted({t.state for t in provider.taxonomies
                             if t.code == ACUPUNCTURE_TAXONOMY and t.state})
    row: dict[str, Any] = dict(zip(_PROVIDER_FIELDS, _provider_values(provider), strict=True))
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
                   "state", "zip", "disciplined", "address")
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


LICENSE_CHUNK = 5000  # records written at a time: a board file of any size in flat memory


def upsert_license_records(db: Database, records: Iterable[Any], run_id: int,
                           seen_at: str) -> Counter[str]:
    """Licenses, their disciplinary actions and the rows rejected beside them, written
    ``LICENSE_CHUNK`` records at a time (a file's records are read while they are stored)."""
    counts: Counter[str] = Counter()
    licenses: list[tuple[dict, dict]] = []
    actions: list[tuple[dict, dict]] = []
    rejects: list[Reject] = []

    def flush() -> None:
        counts.update(upsert_rows(db, "licenses", "license_id", licenses,
                                  tracked=LICENSE_TRACKED, run_id=run_id,
                                  seen_at=seen_at).counts)
        for key, value in upsert_rows(db, "disciplinary_actions", "action_id", actions,
                                      tracked=ACTION_TRACKED, run_id=run_id,
                                      seen_at=seen_at).counts.items():
            counts[f"actions_{key}"] += value
        counts["rejected"] += upsert_rejects(db, rejects, run_id, seen_at)
        licenses.clear()
        actions.clear()
        rejects.clear()

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
        if len(licenses) + len(actions) + len(rejects) >= LICENSE_CHUNK:
            flush()
    flush()
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


def _canonical(rows: list[dict[str, Any]]) -> str:
    return json.dumps(sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str)),
                      sort_keys=True, default=str)


def touch_page(db: Database, table: str, url: str, run_id: int, seen_at: str) -> int:
    """An unchanged page (304): the records last seen on it are still there. A record
    already gone is not one of them (it left the page at a reading since): counted, it would
    hide from the runner a record of the page that was stored under another page."""
    cursor = db.execute(
        f"update [{table}] set last_seen_at = ?, last_seen_run_id = ? where source_url = ? "
        "and gone_at is null", [seen_at, run_id, url])
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
