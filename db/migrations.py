"""The schema, created explicitly as sqlite-utils migrations (never inferred from an insert)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database, Migrations

migrations = Migrations("acupuncture-directory")

# Columns shared by every record table: where it came from and when we saw it.
PROVENANCE = {
    "source": str,
    "source_url": str,
    "first_seen_at": str,
    "last_seen_at": str,
    "last_seen_run_id": int,
    "gone_at": str,  # set when a complete run no longer finds the record; never deleted
}


@migrations()
def m001_runs_and_fetch_log(db: Database) -> None:
    db.table("scrape_runs").create({
        "id": int,
        "source": str,
        "status": str,  # running / ok / partial / failed / gated
        "started_at": str,
        "finished_at": str,
        "duration_s": float,
        "scope": str,  # JSON: the states or other parameters of the run
        "pid": int,
        "host": str,
        "resumed": int,  # how many times a killed run was picked up again
        "requests": int,
        "not_modified": int,
        "pages": int,
        "records": int,
        "inserted": int,
        "updated": int,
        "unchanged": int,
        "gone": int,
        "incomplete_parts": int,
        "notes": str,  # parts that could not be completed, one per line
        "error": str,
    }, pk="id", not_null={"source", "status", "started_at"})
    db.table("scrape_runs").create_index(["source", "started_at"])

    db.table("run_checkpoints").create({
        "run_id": int,
        "part": str,
        "state": str,  # pending / done / split / incomplete
        "next_skip": int,
        "note": str,
        "updated_at": str,
    }, pk=("run_id", "part"), foreign_keys=[("run_id", "scrape_runs", "id")])

    db.table("fetch_log").create({
        "url": str,
        "status": int,
        "etag": str,
        "last_modified": str,
        "content_hash": str,
        "records": int,
        "bytes": int,
        "fetched_at": str,
        "run_id": int,
    }, pk="url")

    db.table("changes").create({
        "id": int,
        "table_name": str,
        "record_id": str,
        "column_name": str,
        "old_value": str,
        "new_value": str,
        "run_id": int,
        "changed_at": str,
    }, pk="id", foreign_keys=[("run_id", "scrape_runs", "id")])
    db.table("changes").create_index(["table_name", "record_id"])
    db.table("changes").create_index(["changed_at"])


@migrations()
def m002_providers(db: Database) -> None:
    db.table("providers").create({
        "npi": str,
        "enumeration_type": str,
        "display_name": str,
        "first_name": str,
        "middle_name": str,
        "last_name": str,
        "name_prefix": str,
        "name_suffix": str,
        "credential": str,
        "organization_name": str,
        "gender": str,
        "sole_proprietor": str,
        "status": str,
        "enumerated_on": str,
        "updated_on": str,
        "created_at": str,
        "updated_at": str,
        "deactivated_on": str,
        "reactivated_on": str,
        "authorized_official": str,
        "authorized_official_title": str,
        "authorized_official_phone": str,
        "primary_taxonomy": str,
        "license_states": str,  # "CA, NV": states of the self-reported acupuncture licenses
        "city": str,  # of the primary practice location, for search and facets
        "state": str,
        "zip": str,
        "phone": str,
        "other_names": str,  # JSON
        "identifiers": str,  # JSON
        "record_hash": str,
        **PROVENANCE,
    }, pk="npi", not_null={"display_name", "source"})
    for columns in (["state", "city"], ["zip"], ["last_name"], ["source_url"],
                    ["last_seen_run_id"]):
        db.table("providers").create_index(columns)

    db.table("provider_addresses").create({
        "npi": str,
        "purpose": str,
        "seq": int,
        "address_1": str,
        "address_2": str,
        "city": str,
        "state": str,
        "postal_code": str,
        "zip5": str,
        "country_code": str,
        "phone": str,
        "fax": str,
        "updated_on": str,
    }, pk=("npi", "purpose", "seq"), foreign_keys=[("npi", "providers", "npi")])

    db.table("provider_taxonomies").create({
        "npi": str,
        "seq": int,
        "code": str,
        "description": str,
        "is_primary": int,
        "state": str,
        "license_number": str,
        "license_number_normalized": str,
        "taxonomy_group": str,
    }, pk=("npi", "seq"), foreign_keys=[("npi", "providers", "npi")])
    db.table("provider_taxonomies").create_index(["state", "license_number_normalized"])

    db.table("providers").enable_fts(
        ["display_name", "organization_name", "other_names", "city"],
        create_triggers=True, tokenize="porter",
    )


@migrations()
def m003_licenses_exclusions_rejects(db: Database) -> None:
    db.table("licenses").create({
        "license_id": str,  # jurisdiction:license-type:normalized number
        "jurisdiction": str,
        "license_type": str,
        "license_number": str,
        "license_number_normalized": str,
        "display_name": str,
        "first_name": str,
        "middle_name": str,
        "last_name": str,
        "full_name": str,
        "status": str,
        "status_normalized": str,
        "issued_on": str,
        "expires_on": str,
        "city": str,
        "state": str,
        "zip": str,
        "disciplined": int,
        "dataset_id": str,
        "record_hash": str,
        **PROVENANCE,
    }, pk="license_id", not_null={"jurisdiction", "license_type", "license_number",
                                  "status_normalized", "source"})
    for columns in (["jurisdiction", "license_number_normalized"], ["last_name"],
                    ["status_normalized"], ["expires_on"], ["source"]):
        db.table("licenses").create_index(columns)
    db.table("licenses").enable_fts(["display_name", "full_name", "city"], create_triggers=True,
                              tokenize="porter")

    db.table("disciplinary_actions").create({
        "action_id": str,
        "license_id": str,
        "jurisdiction": str,
        "case_number": str,
        "action": str,
        "effective_on": str,
        "record_hash": str,
        **PROVENANCE,
    }, pk="action_id", foreign_keys=[("license_id", "licenses", "license_id")])
    db.table("disciplinary_actions").create_index(["license_id"])

    db.table("exclusions").create({
        "exclusion_id": str,
        "npi": str,
        "display_name": str,
        "last_name": str,
        "first_name": str,
        "middle_name": str,
        "business_name": str,
        "general": str,
        "specialty": str,
        "upin": str,
        "born_on": str,
        "address": str,
        "city": str,
        "state": str,
        "zip": str,
        "exclusion_type": str,
        "excluded_on": str,
        "reinstated_on": str,
        "waiver_on": str,
        "waiver_state": str,
        "status": str,  # excluded / reinstated (a reinstatement date) / delisted (off the list)
        "record_hash": str,
        **PROVENANCE,
    }, pk="exclusion_id", not_null={"status", "source"})
    db.table("exclusions").create_index(["npi"])
    db.table("exclusions").create_index(["last_name", "state"])

    db.table("rejects").create({
        "reject_id": str,  # hash of source and raw row: the same bad row is kept once
        "source": str,
        "reason": str,
        "raw": str,  # JSON
        "source_url": str,
        "first_seen_at": str,
        "last_seen_at": str,
        "last_seen_run_id": int,
    }, pk="reject_id", not_null={"source", "reason", "raw"})
    db.table("rejects").create_index(["source"])

    # What a source remembers between runs (e.g. a dataset's rowsUpdatedAt).
    db.table("source_state").create({
        "source": str,
        "key": str,
        "value": str,
        "updated_at": str,
    }, pk=("source", "key"))


@migrations()
def m004_practitioners(db: Database) -> None:
    db.table("practitioners").create({
        "practitioner_id": str,  # "npi:<NPI>" when the person has one, else "lic:<license_id>"
        "display_name": str,
        "first_name": str,
        "last_name": str,
        "credentials": str,
        "practice_name": str,
        "address": str,
        "city": str,
        "state": str,
        "zip": str,
        "latitude": float,
        "longitude": float,
        "phone": str,
        "npi": str,
        "license_status": str,  # the best status among the board licenses linked
        "license_expires_on": str,
        "licensed_states": str,  # states whose boards list a license (confirmed)
        "reported_license_states": str,  # states the provider reported to NPPES (self-reported)
        "disciplined": int,
        "excluded": int,
        "certified": int,
        "specialties": str,
        "sources": str,
        "as_of": str,  # the latest last_seen_at among the linked records
        "record_hash": str,
        "first_seen_at": str,
        "last_seen_at": str,
        "last_seen_run_id": int,
        "gone_at": str,
        "source": str,
        "source_url": str,
    }, pk="practitioner_id", not_null={"display_name"})
    for columns in (["state", "city"], ["zip"], ["license_status"], ["license_expires_on"],
                    ["npi"], ["last_name"]):
        db.table("practitioners").create_index(columns)
    db.table("practitioners").enable_fts(["display_name", "practice_name", "city"],
                                   create_triggers=True, tokenize="porter")

    db.table("practitioner_links").create({
        "record_table": str,  # providers / licenses / exclusions
        "record_id": str,
        "practitioner_id": str,
        "rule": str,  # npi / license-number / name-city / self
        "confidence": float,
        "explanation": str,
        "linked_at": str,
    }, pk=("record_table", "record_id"))
    db.table("practitioner_links").create_index(["practitioner_id"])


@migrations()
def m005_practitioner_location_index(db: Database) -> None:
    # The published near_zip query prefilters on a latitude/longitude box: with this index it
    # reads the rows in the box instead of every practitioner.
    db.table("practitioners").create_index(["latitude", "longitude"], if_not_exists=True)


@migrations()
def m006_practitioner_sort_and_facet_indexes(db: Database) -> None:
    # At a million practitioners the table page sorted by name, and each facet's group-by,
    # read every row without these (bench/RESULTS.md: 1.6 s before, measured with bench_search).
    for columns in (["display_name"], ["credentials"], ["disciplined"], ["excluded"],
                    ["certified"], ["specialties"]):
        db.table("practitioners").create_index(columns, if_not_exists=True)
    # One covering index for the common filters (state, status) and every facet beside them:
    # a filtered page's count and facets then read the index only (115 ms -> 2-7 ms a query).
    db.table("practitioners").create_index(
        ["state", "license_status", "disciplined", "excluded", "certified", "credentials",
         "specialties", "display_name"], index_name="idx_practitioners_facets",
        if_not_exists=True)


@migrations()
def m007_certifications(db: Database) -> None:
    db.table("certifications").create({
        "profile_id": str,  # NCCAOM's AgencyClientId, stable
        "name": str,
        "name_credentials": str,
        "status": str,
        "gender": str,
        "phone": str,
        "website": str,
        "address": str,
        "street": str,
        "city": str,
        "state": str,
        "country": str,
        "certificates": str,  # "Dipl. Ac., Dipl. C.H."
        "conditions": str,  # from the profile: "Health Conditions Treated"
        "languages": str,
        "education": str,
        "about": str,
        "profile_url": str,
        "record_hash": str,
        **PROVENANCE,
    }, pk="profile_id", not_null={"name", "source"})
    db.table("certifications").create_index(["state", "city"])


@migrations()
def m008_specialty_tags(db: Database) -> None:
    db.table("specialty_tags").create({
        "tag_id": str,  # practitioner_id:tag
        "practitioner_id": str,
        "tag": str,  # from the vocabulary in scraper/data/specialties.toml
        "record_table": str,  # where the claim was read: certifications (profiles), websites
        "record_id": str,
        "evidence_url": str,
        "snippet": str,  # the sentence or item that claims it
        "tagged_at": str,
    }, pk="tag_id")
    db.table("specialty_tags").create_index(["tag"])
    db.table("specialty_tags").create_index(["practitioner_id"])


@migrations()
def m009_websites(db: Database) -> None:
    # The practice website NPPES lists for a provider (an endpoint of type WEB).
    db.table("providers").add_column("website", str)
    db.table("websites").create({
        "site_id": str,  # the listed address, normalized (scheme and host lower case, no #)
        "url": str,  # as listed
        "final_url": str,  # the entry page after redirects
        "status": str,  # ok, robots, unsafe, too-large, http-error, unreachable, gated, not-html
        "detail": str,  # why, when the status is not ok
        "pages_read": int,
        "page_urls": str,  # JSON list of the pages read
        "tags": str,  # "facial acupuncture, pain": the tags its pages claim
        "listed_by": str,  # JSON list of the records listing it ("certifications:123", "providers:1…")
        "checked_at": str,
        "record_hash": str,
        **PROVENANCE,
    }, pk="site_id", not_null={"url", "source"})
    db.table("websites").create_index(["status"])
    db.table("website_tags").create({
        "claim_id": str,  # site_id + " " + tag
        "site_id": str,
        "tag": str,
        "evidence_url": str,  # the page that says it
        "snippet": str,  # the sentence that says it
        "record_hash": str,
        **PROVENANCE,
    }, pk="claim_id", foreign_keys=[("site_id", "websites", "site_id")])
    db.table("website_tags").create_index(["site_id"])
    db.table("website_tags").create_index(["tag"])


@migrations()
def m010_run_boot_id(db: Database) -> None:
    # With the pid and host: after a reboot the pid of a killed run may belong to another
    # process; the boot id tells the two apart.
    db.table("scrape_runs").add_column("boot_id", str)


@migrations()
def m011_run_faults(db: Database) -> None:
    # What the run's requests met and survived (or not): retried answers and errors by kind,
    # as JSON ({"http 503": 2, "ReadTimeout": 1, "retries": 3}), and the retries.
    db.table("scrape_runs").add_column("retries", int)
    db.table("scrape_runs").add_column("faults", str)


@migrations()
def m012_license_verify_url(db: Database) -> None:
    # The board's own page for a license (or its lookup page), for a person to check it.
    db.table("licenses").add_column("verify_url", str)


@migrations()
def m013_first_seen_run_id(db: Database) -> None:
    # The run that first stored a record: the volume guard compares a run with the records
    # listed before it, never with those it inserted itself (a board renaming a license type
    # re-keys every license: all new, all the old ones unseen).
    for table in ("providers", "licenses", "disciplinary_actions", "exclusions", "certifications",
                  "websites", "website_tags", "practitioners"):
        db.table(table).add_column("first_seen_run_id", int)


@migrations()
def m014_nppes_placeholders(db: Database) -> None:
    # NPPES writes "--" for no suffix and "NA" for no license number; records stored before
    # they were read as absent keep them until their page changes (a 304 never re-parses).
    from .frozen import drop_placeholder, person_name

    for row in list(db.query("select npi, enumeration_type, first_name, middle_name, last_name, "
                             "name_prefix, name_suffix, display_name from providers "
                             "where name_prefix is not null or name_suffix is not null")):
        prefix, suffix = drop_placeholder(row["name_prefix"]), drop_placeholder(row["name_suffix"])
        if (prefix, suffix) == (row["name_prefix"], row["name_suffix"]):
            continue
        values = {"name_prefix": prefix, "name_suffix": suffix}
        if row["enumeration_type"] == "NPI-1":
            values["display_name"] = person_name(row["first_name"], row["middle_name"],
                                                 row["last_name"], suffix) or row["display_name"]
        db.table("providers").update(row["npi"], values)
    for row in list(db.query("select rowid, license_number from provider_taxonomies "
                             "where license_number is not null")):
        if drop_placeholder(row["license_number"]) is None:
            db.execute("update provider_taxonomies set license_number = null, "
                       "license_number_normalized = null where rowid = ?", [row["rowid"]])


@migrations()
def m015_license_address_school(db: Database) -> None:
    # The address of record, the school, the degree and the year graduated, where a board's
    # list has them (California's licensee lists do).
    for column in ("address", "school", "degree", "graduated"):
        db.table("licenses").add_column(column, str)


@migrations()
def m016_florida_license_prefix(db: Database) -> None:
    # Florida's numbers carry "AP" (acupuncture physician), now dropped when numbers are
    # compared: NPPES rows stored before, whose page may answer 304 for months, get it too.
    from .frozen import license_number_m016

    for row in list(db.query("select rowid, license_number from provider_taxonomies "
                             "where upper(license_number_normalized) like 'AP%'")):
        db.execute("update provider_taxonomies set license_number_normalized = ? "
                   "where rowid = ?", [license_number_m016(row["license_number"]), row["rowid"]])


@migrations()
def m017_practitioner_standing(db: Database) -> None:
    # Good standing, computed at each linking by scraper/standing.py: the level (good, expired,
    # restricted, excluded, inactive, unverified, self-reported), the sentence that says why,
    # and the day its source was last read.
    for column in ("standing", "standing_reason", "standing_as_of"):
        db.table("practitioners").add_column(column, str)
    db.table("practitioners").create_index(["standing"])


@migrations()
def m018_standing_facet_indexes(db: Database) -> None:
    # The standing facet and filter at a million practitioners (review of issue 13): the
    # covering index of m006 with standing beside state, and one led by standing, so a page
    # filtered by either reads its counts and facets from an index (1.3 s -> 30 ms, state and
    # standing; 5.7 s -> 2.5 s, standing alone).
    db.execute("drop index if exists idx_practitioners_facets")
    db.table("practitioners").create_index(
        ["state", "standing", "license_status", "disciplined", "excluded", "certified",
         "credentials", "specialties", "display_name"], index_name="idx_practitioners_facets")
    db.table("practitioners").create_index(
        ["standing", "state", "license_status", "disciplined", "excluded", "certified",
         "credentials", "specialties", "display_name"],
        index_name="idx_practitioners_standing_facets")


# What the database writes into ``license_lookups`` from a lookup's checkpoint (m019): the
# part "lookup:<state>:<number as asked>", state "done" with a JSON note (the board's answer,
# the number's normalized form, the license found) or "incomplete" with the failure.
_LOOKUP_FROM_CHECKPOINT = """
insert into license_lookups (source, license_number, jurisdiction, license_number_normalized,
    reported_keys, answer, answered_at, answered_run_id, license_id, outcome, asked_at, run_id,
    detail)
select r.source, substr(new.part, 11), substr(new.part, 8, 2),
    case when new.state = 'done' and json_valid(new.note)
         then json_extract(new.note, '$.key') end,
    case when new.state = 'done' and json_valid(new.note)
         then json_extract(new.note, '$.reported') end,
    case when new.state = 'done' and json_valid(new.note)
         then json_extract(new.note, '$.answer') end,
    case when new.state = 'done' then new.updated_at end,
    case when new.state = 'done' then new.run_id end,
    case when new.state = 'done' and json_valid(new.note)
         then json_extract(new.note, '$.license_id') end,
    case when new.state = 'done' and json_valid(new.note)
         then json_extract(new.note, '$.answer') else 'failed' end,
    new.updated_at, new.run_id,
    case when new.state = 'done' then null else new.note end
from scrape_runs r where r.id = new.run_id
on conflict (source, license_number) do update set
    license_number_normalized = coalesce(excluded.license_number_normalized,
                                         license_number_normalized),
    reported_keys = coalesce(excluded.reported_keys, reported_keys),
    answer = coalesce(excluded.answer, answer),
    answered_at = coalesce(excluded.answered_at, answered_at),
    answered_run_id = coalesce(excluded.answered_run_id, answered_run_id),
    license_id = case when excluded.answer is null then license_id else excluded.license_id end,
    outcome = excluded.outcome, asked_at = excluded.asked_at, run_id = excluded.run_id,
    detail = excluded.detail;
"""


@migrations()
def m019_license_lookups(db: Database) -> None:
    # Boards that answer one license at a time (scraper/sources/lookup.py): what each last said
    # of each number asked. ``answer`` is its last definite word, found or not_found ("the
    # board has no such license"), with when; ``outcome`` the last asking, which may have
    # failed. The runner commits a number's checkpoint in the transaction that stores the
    # license found, and these triggers write the row from that checkpoint in it too: a run
    # killed at any moment leaves no license without its answer, nor an answer without it.
    db.table("license_lookups").create({
        "source": str,
        "license_number": str,  # as the board was asked (its own form)
        "jurisdiction": str,
        "license_number_normalized": str,  # normalize.license_number of the number asked
        # The NPPES numbers asked about with it, normalized as provider_taxonomies has them
        # (a JSON list: "AU326828" is asked for NPPES's "326828" and "au-326828" alike).
        "reported_keys": str,
        "answer": str,  # found / not_found
        "answered_at": str,
        "answered_run_id": int,
        "license_id": str,  # the license found
        "outcome": str,  # found / not_found / failed
        "asked_at": str,
        "run_id": int,
        "detail": str,  # why the last asking failed
    }, pk=("source", "license_number"))
    db.table("license_lookups").create_index(["jurisdiction", "license_number_normalized"])
    for event in ("insert", "update"):
        db.execute(f"create trigger license_lookups_from_checkpoint_{event} after {event} on "
                   f"run_checkpoints when new.part like 'lookup:%' begin "
                   f"{_LOOKUP_FROM_CHECKPOINT} end")


# The practitioners table page's facets (metadata.yml), counted once for each state and
# standing: publish/plugins/facet_counts.py reads them when a page is filtered by nothing else
# (issue 16: at a million practitioners, eight group-bys took 2 s a page). One row per facet
# value: ('', '') counts the rows themselves; a specialty counts once per practitioner, as
# Datasette's array facet does. Kept by triggers in the transaction that writes the
# practitioner, so the counts are never those of an older linking. These lists are m020's:
# the plugin trusts the counts of every column in them, so a facet counted later needs a
# migration of its own that recreates the triggers and counts it (until then, it is grouped live).
PRACTITIONER_FACETS = ("state", "standing", "license_status", "credentials", "certified",
                       "disciplined", "excluded")
PRACTITIONER_ARRAY_FACETS = ("specialties",)


def _facet_values(row: str) -> str:
    """SQL listing ``(facet, value)`` for one practitioner (``new`` or ``old`` in a trigger).
    A list that is not JSON (or a null in it) counts for nothing, and never fails the write."""
    parts = ["select '' as facet, '' as value"]
    parts += [f"select '{c}', {row}.{c} where {row}.{c} is not null"
              for c in PRACTITIONER_FACETS]
    parts += [f"select distinct '{c}', j.value from json_each(case when json_valid({row}.{c}) "
              f"then {row}.{c} end) as j where j.value is not null"
              for c in PRACTITIONER_ARRAY_FACETS]
    return " union all ".join(parts)


def _facet_counts_step(dims: tuple[str, ...], *steps: tuple[str, int]) -> str:
    """One trigger's change of the counts: each ``(row, step)`` adds ``step`` (1 or -1) to every
    value of ``row`` in its cell (its values of ``dims``); then a count that fell to 0 goes
    (the cells are the primary key's prefix: each statement reads only the rows of the
    practitioner's cell)."""
    cell = ", ".join(f"ifnull({{row}}.{d}, '') as {d}" for d in dims)
    rows = " union all ".join(
        f"select {cell.format(row=row)}, facet, value, {step} as n from ({_facet_values(row)})"
        for row, step in steps)
    key = ", ".join(dims)
    sql = (f"insert into practitioner_facet_counts ({key}, facet, value, n) "
           f"select * from ({rows}) where true "
           f"on conflict ({key}, facet, value) do update set n = n + excluded.n;")
    for row, step in steps:
        if step < 0:
            same = " and ".join(f"{d} = ifnull({row}.{d}, '')" for d in dims)
            sql += f" delete from practitioner_facet_counts where {same} and n = 0;"
    return sql


def _drop_counts(db: Database, table: str, triggers: str) -> None:
    """Drop a table of counts and the three triggers (``<triggers>_insert``...) that keep it,
    for a migration to make them again by other cells."""
    for event in ("insert", "delete", "update"):
        db.execute(f"drop trigger if exists {triggers}_{event}")
    db.execute(f"drop table if exists {table}")


def _count_existing(db: Database, table: str, cell: list[tuple[str, str]], rows: str) -> None:
    """Fill a table of counts with the practitioners already there, as its triggers count
    them: ``cell`` the (column, expression) pairs of its cell, ``rows`` the practitioners
    (``p``, joined to what the cell needs)."""
    exprs = ", ".join(expr for _, expr in cell)
    by = ", ".join(str(i) for i in range(1, len(cell) + 1))
    value_at = len(cell) + 2
    counts = [f"select {exprs}, '', '', count(*) from {rows} group by {by}"]
    counts += [f"select {exprs}, '{c}', p.{c}, count(*) from {rows} where p.{c} is not null "
               f"group by {by}, {value_at}" for c in PRACTITIONER_FACETS]
    counts += [f"select {exprs}, '{c}', j.value, count(distinct p.rowid) from {rows}, "
               f"json_each(case when json_valid(p.{c}) then p.{c} end) as j "
               f"where j.value is not null group by {by}, {value_at}"
               for c in PRACTITIONER_ARRAY_FACETS]
    db.execute(f"insert into {table} ({', '.join(column for column, _ in cell)}, facet, value, "
               "n) " + " union all ".join(counts))


def _create_facet_counts(db: Database, dims: tuple[str, ...]) -> None:
    """(Re)make ``practitioner_facet_counts`` by cell (the values of ``dims``), its triggers,
    and the practitioners already there counted as the triggers count them."""
    _drop_counts(db, "practitioner_facet_counts", "practitioner_facet_counts")
    described = {"state": "the practitioner's state ('' when none)",
                 "standing": "their standing ('' when none)",
                 "license_status": "their license status ('' when none)",
                 **{flag: f"1 when {flag}, 0 when not, '' when not known"
                    for flag in FLAG_DIMENSIONS}}
    defined = [("facet text not null", "a practitioners column, or '' for the rows themselves"),
               *((f"{d} text not null", described[d]) for d in dims),
               ("value not null", "the column's value, as stored (1, 'CA'); a specialty in "
                "the list"),
               ("n integer not null", "how many practitioners")]
    body = "".join(f"\n    {sql},  -- {comment}" for sql, comment in defined)
    db.execute(f"create table practitioner_facet_counts ({body}\n    primary key "
               f"({', '.join(dims)}, facet, value)\n) without rowid")
    columns = [*PRACTITIONER_FACETS, *PRACTITIONER_ARRAY_FACETS]
    changed = " or ".join(f"old.{c} is not new.{c}" for c in columns)
    db.execute("create trigger practitioner_facet_counts_insert after insert on practitioners "
               f"begin {_facet_counts_step(dims, ('new', 1))} end")
    db.execute("create trigger practitioner_facet_counts_delete after delete on practitioners "
               f"begin {_facet_counts_step(dims, ('old', -1))} end")
    db.execute(f"create trigger practitioner_facet_counts_update after update of "
               f"{', '.join(columns)} on practitioners when {changed} "
               f"begin {_facet_counts_step(dims, ('old', -1), ('new', 1))} end")
    _count_existing(db, "practitioner_facet_counts",
                    [(d, f"ifnull(p.{d}, '')") for d in dims], "practitioners p")


@migrations()
def m020_practitioner_facet_counts(db: Database) -> None:
    _create_facet_counts(db, ("state", "standing"))
    # A page filtered by standing or by state lists its rows by name: without these, SQLite
    # sorted the 300,000 in good standing to show the first 50 (360 ms at a million).
    for column in ("standing", "state"):
        db.table("practitioners").create_index([column, "display_name"], if_not_exists=True)


@migrations()
def m021_pennsylvania_nevada_license_prefixes(db: Database) -> None:
    # Pennsylvania's "AU" and Nevada's "OMD" before the digits, now dropped when numbers are
    # compared (as m016 did for Florida's "AP"): NPPES numbers stored before get it too. No
    # board stored such numbers before (PA and NV came with this change), so licenses' keys
    # stay as they are.
    from .frozen import license_number_m021

    for row in list(db.query("select rowid, license_number from provider_taxonomies "
                             "where upper(license_number_normalized) like 'AU%' "
                             "or upper(license_number_normalized) like 'OMD%'")):
        db.execute("update provider_taxonomies set license_number_normalized = ? "
                   "where rowid = ?", [license_number_m021(row["license_number"]), row["rowid"]])


@migrations()
def m022_fts_update_triggers_on_their_columns(db: Database) -> None:
    # The full-text tables' update triggers (made by sqlite-utils' enable_fts) fired on an
    # update of any column, so marking a provider seen again (last_seen_at) rewrote its
    # search entry: most of what an unchanged re-scrape cost (issue 16: 0.55 s -> 0.19 s for
    # 20,000 providers). They now fire only when an indexed column changes.
    for table in ("providers", "licenses", "practitioners"):
        trigger = f"{table}_au"
        found = db.execute("select sql from sqlite_master where type = 'trigger' and name = ?",
                           [trigger]).fetchone()
        if not found or not db[f"{table}_fts"].exists():
            continue
        columns = [c.name for c in db[f"{table}_fts"].columns if c.name != "rowid"]
        sql = found[0].replace(f'AFTER UPDATE ON "{table}"', 'AFTER UPDATE OF '
                               + ", ".join(f'"{c}"' for c in columns) + f' ON "{table}"', 1)
        if sql == found[0]:
            raise RuntimeError(f"m022: the trigger {trigger} is not as sqlite-utils made it")
        db.execute(f'drop trigger "{trigger}"')
        db.execute(sql)


@migrations()
def m023_license_not_found_is_gone(db: Database) -> None:
    # A board asked one license at a time (m019) that found a license and now says it has no
    # such license: that license is no longer listed (gone, with a change row), in the
    # transaction that records the answer. A run whose first answers are all "no such license"
    # records none of them (the lookup's guard), so a board gone wrong cannot wipe licenses.
    db.execute("""
        create trigger license_lookups_not_found_is_gone after update of answer
        on license_lookups
        when old.answer = 'found' and new.answer = 'not_found' and old.license_id is not null
        begin
          insert into changes (table_name, record_id, column_name, old_value, new_value,
                               run_id, changed_at)
            select 'licenses', license_id, 'gone_at', null, new.answered_at,
                   new.answered_run_id, new.answered_at
            from licenses where license_id = old.license_id and gone_at is null;
          update licenses set gone_at = new.answered_at
            where license_id = old.license_id and gone_at is null;
        end""")


# The cells of the facet counts since m028 (publish/plugins/facet_counts.py DIMENSIONS): a page
# filtered by any of these alone (one value each) reads its facets and its count of rows from
# the counts.
FACET_COUNT_DIMENSIONS = ("state", "standing", "license_status", "certified", "disciplined",
                          "excluded")
FLAG_DIMENSIONS = ("certified", "disciplined", "excluded")  # 1, 0 or none


@migrations()
def m024_facet_counts_by_license_status(db: Database) -> None:
    # A state's page filtered to active licenses (the facet clicked after the state) grouped
    # its eight facets live: 190 ms at a million practitioners (issue 16). The counts are kept
    # by license status too, so any page filtered by state, standing and license status alone
    # sums them.
    _create_facet_counts(db, ("state", "standing", "license_status"))
    # Such a page lists its rows by name: without this, SQLite sorted the 600,000 active
    # licenses to show the first 50 (310 ms at a million; 0.3 ms with it).
    db.table("practitioners").create_index(["license_status", "display_name"],
                                           if_not_exists=True)
    if db["sqlite_stat1"].exists():  # analyzed before (scraper/jobs.py relink): the new index too
        db.execute("ANALYZE practitioners")


# The practitioners' specialties, one row each, for the table page's specialty filter
# (``?_specialty=``, publish/plugins/facet_counts.py): Datasette's ``specialties__arraycontains``
# reads the JSON list of every practitioner, eight times a page with its facets (8.4 s at a
# million, issue 16). Kept by triggers, as the facet counts are; a list that is not JSON holds
# no specialty, and items are those the array filter finds: text, and objects and lists as
# their JSON text (a number never equals the text asked for).
def _specialties_of(row: str) -> str:
    return (f"select distinct j.value as specialty from json_each(case when "
            f"json_valid({row}.specialties) then {row}.specialties end) as j "
            "where j.type in ('text', 'object', 'array')")


def _specialty_counts_step(dims: tuple[str, ...], *steps: tuple[str, int]) -> str:
    """A trigger's change of the counts by specialty and cell (the values of ``dims``): as
    ``_facet_counts_step``, once for each specialty of the practitioner."""
    cell = ", ".join(f"ifnull({{row}}.{d}, '') as {d}" for d in dims)
    # (a practitioner without an id lists nothing: practitioner_specialties cannot hold it)
    rows = " union all ".join(
        f"select s.specialty, {cell.format(row=row)}, f.facet, f.value, {step} as n "
        f"from ({_specialties_of(row)}) as s, ({_facet_values(row)}) as f "
        f"where {row}.practitioner_id is not null"
        for row, step in steps)
    key = ", ".join(("specialty", *dims))
    sql = (f"insert into practitioner_specialty_facet_counts ({key}, facet, value, n) "
           f"select * from ({rows}) where true on conflict ({key}, facet, value) "
           "do update set n = n + excluded.n;")
    for row, step in steps:
        if step < 0:
            same = " and ".join(f"{d} = ifnull({row}.{d}, '')" for d in dims)
            sql += (" delete from practitioner_specialty_facet_counts where specialty in "
                    f"(select specialty from ({_specialties_of(row)})) and {same} and n = 0;")
    return sql


def _create_specialty_counts(db: Database, dims: tuple[str, ...]) -> None:
    """(Re)make ``practitioner_specialty_facet_counts`` by specialty and cell (the values of
    ``dims``), the triggers that keep it and practitioner_specialties, and the practitioners
    already there counted as the triggers count them (practitioner_specialties already
    filled)."""
    _drop_counts(db, "practitioner_specialty_facet_counts", "practitioner_specialties")
    columns = "".join(f"\n    {d} text not null," for d in dims)
    db.execute(f"""
        create table practitioner_specialty_facet_counts (
            specialty text not null,  -- the practitioners who list this specialty{columns}
            facet text not null,  -- a practitioners column, or '' for the rows themselves
            value not null,  -- the column's value, as stored; a specialty in the list
            n integer not null,  -- how many practitioners
            primary key (specialty, {', '.join(dims)}, facet, value)
        ) without rowid""")
    add = ("insert or ignore into practitioner_specialties (specialty, practitioner_id) "
           "select specialty, {row}.practitioner_id from ({specialties});")
    remove = ("delete from practitioner_specialties where practitioner_id = "
              "old.practitioner_id and specialty in (select specialty from ({specialties}));")
    new_add = add.format(row="new", specialties=_specialties_of("new"))
    old_remove = remove.format(specialties=_specialties_of("old"))
    columns_written = [*PRACTITIONER_FACETS, *PRACTITIONER_ARRAY_FACETS, "practitioner_id"]
    changed = " or ".join(f"old.{c} is not new.{c}" for c in columns_written)
    db.execute("create trigger practitioner_specialties_insert after insert on practitioners "
               f"begin {new_add} {_specialty_counts_step(dims, ('new', 1))} end")
    db.execute("create trigger practitioner_specialties_delete after delete on practitioners "
               f"begin {old_remove} {_specialty_counts_step(dims, ('old', -1))} end")
    db.execute(f"create trigger practitioner_specialties_update after update of "
               f"{', '.join(columns_written)} on practitioners when {changed} begin "
               f"{old_remove} {new_add} "
               f"{_specialty_counts_step(dims, ('old', -1), ('new', 1))} end")
    # The practitioners already there.
    _count_existing(db, "practitioner_specialty_facet_counts",
                    [("specialty", "s.specialty"), *((d, f"ifnull(p.{d}, '')") for d in dims)],
                    "practitioner_specialties s join practitioners p using (practitioner_id)")


@migrations()
def m025_practitioner_specialties(db: Database) -> None:
    db.execute("""
        create table practitioner_specialties (
            specialty text not null,  -- one of the practitioner's specialties, as listed
            practitioner_id text not null,
            primary key (specialty, practitioner_id)
        ) without rowid""")
    db.execute("insert or ignore into practitioner_specialties (specialty, practitioner_id) "
               "select j.value, p.practitioner_id from practitioners p, json_each(case when "
               "json_valid(p.specialties) then p.specialties end) as j "
               "where j.type in ('text', 'object', 'array')")
    _create_specialty_counts(db, ("state", "standing"))


SEARCH_PLACES = "practitioner_search_places"


def create_search_places(db: Database) -> None:
    """(Re)make ``practitioner_search_places`` from the practitioners: where each live one is,
    clustered by latitude and longitude, with the standing and name that searches near a place
    filter and sort on. The front door and the near_zip query choose their page there and read
    only that page's rows from practitioners. Rebuilt with the search index at each linking
    (scraper/search_index.py); made here too so that a database migrated but not linked since
    has it."""
    db.execute(f"drop table if exists {SEARCH_PLACES}")
    db.execute(f"""
        create table {SEARCH_PLACES} (
            latitude real not null, longitude real not null,
            id integer not null, -- practitioners.rowid
            standing text, name text,
            primary key (latitude, longitude, id)
        ) without rowid""")
    db.execute(f"""
        insert into {SEARCH_PLACES} (latitude, longitude, id, standing, name)
        select latitude, longitude, rowid, standing, display_name from practitioners
        where gone_at is null and latitude is not null and longitude is not null""")


@migrations()
def m026_search_places(db: Database) -> None:
    # The near_zip query reads this table, which only a linking made before.
    if not db[SEARCH_PLACES].exists():
        create_search_places(db)


@migrations()
def m027_by_name_within_filters(db: Database) -> None:
    # The practitioners of a state in good standing, or the certified (disciplined, excluded)
    # ones, by name without sorting them: the table's pages filtered so (a flag's page took
    # 90 ms to find 51 excluded practitioners among a state's, by name), and a specialty's
    # page walking them (publish/plugins/facet_counts.py). Ties by practitioner_id, as the
    # pages sort them (m030). A state's excluded ones too: one in 500 is, so the state's index
    # by name is walked a long way to find a page of them.
    for columns in (("state", "standing"), *((flag,) for flag in FLAG_DIMENSIONS),
                    ("state", "excluded")):
        db.execute(f"create index if not exists idx_practitioners_{'_'.join(columns)}"
                   f"_display_name on practitioners ({', '.join(columns)}, display_name, "
                   "practitioner_id)")
    if db["sqlite_stat1"].exists():  # analyzed before (scraper/jobs.py relink): these too
        db.execute("ANALYZE practitioners")


@migrations()
def m028_facet_counts_by_flags(db: Database) -> None:
    # One click on "certified", "disciplined" or "excluded" beside the table's rows grouped
    # its eight facets live over hundreds of thousands of rows: 3.5 to 4.5 s at a million
    # (issue 16). The counts are kept by those flags too (about 3 times the cells).
    _create_facet_counts(db, FACET_COUNT_DIMENSIONS)
    # The page as opened sums every cell (about 22,000 rows at a million practitioners): in
    # this order, without sorting them first (28 ms, 5 ms with it).
    db.execute("create index idx_practitioner_facet_counts_facet_value "
               "on practitioner_facet_counts (facet, value, n)")


@migrations()
def m029_specialty_counts_by_every_cell(db: Database) -> None:
    # A specialty's page with one more click (its certified, its active licenses...) grouped
    # its facets live: 1.6 s at a million practitioners (issue 16). The counts by specialty are
    # kept by the same cells as the others since m028.
    _create_specialty_counts(db, FACET_COUNT_DIMENSIONS)
    db.execute("create index idx_practitioner_specialty_facet_counts_facet_value on "
               "practitioner_specialty_facet_counts (specialty, facet, value, n)")


@migrations()
def m030_by_name_then_id(db: Database) -> None:
    # The table's pages sort by name, then by practitioner_id among those of one name (as
    # Datasette sorts the pages after the first; publish/plugins/facet_counts.py sorts the first
    # so too). With the id in the indexes by name, neither that nor a specialty's page walking
    # them reads a practitioner's row to know its id (at a million: 11 ms to 1.6 ms a page).
    for columns in (("display_name",), ("state", "display_name"), ("standing", "display_name"),
                    ("license_status", "display_name")):
        name = f"idx_practitioners_{'_'.join(columns)}"
        db.execute(f"drop index if exists {name}")
        db.execute(f"create index {name} on practitioners ({', '.join(columns)}, "
                   "practitioner_id)")
    if db["sqlite_stat1"].exists():
        db.execute("ANALYZE practitioners")


def connect(path: str | Path, *, readonly: bool = False) -> Database:
    """Open the database: WAL, a busy timeout instead of 'database is locked', foreign keys."""
    # isolation_level=None: no implicit transactions; writes use db.runs.transaction().
    if readonly:
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, isolation_level=None,
                               check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    db = Database(conn)
    if not readonly:
        # Switching to WAL needs the database to itself; once set it stays set in the file.
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    return db


def migrate(db: Database) -> None:
    migrations.apply(db)


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) and bring the schema up to date."""
    db = connect(path)
    migrate(db)
    return db

