"""Upserts on the NPI: nothing changes that did not change, changes are recorded, nothing deleted."""

from __future__ import annotations

import copy
import os
import socket
from dataclasses import replace

from db import store
from scraper.models import Provenance
from scraper.sources.nppes_api import parse_search

from .conftest import fixture_text

URL = "https://npiregistry.cms.hhs.gov/api/?x=1"


def _providers():
    text = fixture_text("nppes", "nppes_api_v2.1_npi1_1437187390_multistate_ropensci-npi.json")
    org = fixture_text("nppes", "nppes_api_v2.1_npi2_org_1568946812_ropensci-npi.json")
    return (parse_search(text, URL, "2026-11-01T00:00:00Z").providers
            + parse_search(org, URL + "2", "2026-11-01T00:00:00Z").providers)


def _run(memdb, scope="TN"):
    run_id, _ = store.start_run(memdb, "nppes-api", {"states": [scope]}, "2026-11-01T00:00:00Z")
    return run_id


def _rows(memdb):
    return {t: list(memdb.query(f"select * from [{t}] order by 1, 2"))
            for t in ("providers", "provider_addresses", "provider_taxonomies")}


DATA_COLUMNS = store.PROVIDER_TRACKED + ("npi", "record_hash", "source", "first_seen_at")


def test_insert_then_identical_upsert_changes_nothing(memdb):
    providers = _providers()
    with store.transaction(memdb):
        assert store.upsert_providers(memdb, providers, 1, "2026-11-01T00:00:00Z") == {
            "inserted": 2}
    first = _rows(memdb)
    with store.transaction(memdb):
        counts = store.upsert_providers(memdb, copy.deepcopy(providers), 2, "2026-11-08T00:00:00Z")
    assert counts == {"unchanged": 2}
    second = _rows(memdb)
    assert second["provider_addresses"] == first["provider_addresses"]
    assert second["provider_taxonomies"] == first["provider_taxonomies"]
    for before, after in zip(first["providers"], second["providers"], strict=True):
        assert {k: before[k] for k in DATA_COLUMNS} == {k: after[k] for k in DATA_COLUMNS}
        assert (after["last_seen_at"], after["last_seen_run_id"]) == ("2026-11-08T00:00:00Z", 2)
    assert memdb["changes"].count == 0


def test_provider_row_fields(memdb):
    with store.transaction(memdb):
        store.upsert_providers(memdb, _providers(), 1, "2026-11-01T00:00:00Z")
    jex = memdb["providers"].get("1437187390")
    assert {k: jex[k] for k in ("display_name", "city", "state", "zip", "phone",
                                "primary_taxonomy", "license_states", "source", "source_url",
                                "first_seen_at", "gone_at")} == {
        "display_name": "Justin Cooper Jex", "city": "NASHVILLE", "state": "TN", "zip": "37211",
        "phone": "615-712-7366", "primary_taxonomy": "Podiatrist",
        "license_states": None,  # podiatrist: no acupuncture license states
        "source": "nppes-api", "source_url": URL, "first_seen_at": "2026-11-01T00:00:00Z",
        "gone_at": None}
    assert memdb["provider_taxonomies"].count_where("npi = ?", ["1437187390"]) == 3
    assert memdb["provider_addresses"].count_where("npi = ?", ["1437187390"]) == 4
    # full-text search finds the person by name and the organization by city
    hits = [r["npi"] for r in memdb.query(
        "select npi from providers where rowid in (select rowid from providers_fts "
        "where providers_fts match ?)", ["jex"])]
    assert hits == ["1437187390"]


def test_changed_fields_are_recorded_with_the_run(memdb):
    providers = _providers()
    with store.transaction(memdb):
        store.upsert_providers(memdb, providers, 1, "2026-11-01T00:00:00Z")
    moved = copy.deepcopy(providers[0])
    moved.credential = "DPM"
    moved.addresses[0] = replace(moved.addresses[0], city="MEMPHIS")
    with store.transaction(memdb):
        counts = store.upsert_providers(memdb, [moved, providers[1]], 7, "2026-11-08T00:00:00Z")
    assert counts == {"updated": 1, "unchanged": 1}
    changes = {(c["column_name"], c["old_value"], c["new_value"], c["run_id"])
               for c in memdb["changes"].rows if c["column_name"] != "provider_addresses"}
    assert changes == {("credential", "D.P.M.", "DPM", 7), ("city", "NASHVILLE", "MEMPHIS", 7)}
    assert memdb["changes"].count_where("column_name = 'provider_addresses'") == 1
    assert memdb["provider_addresses"].get(("1437187390", "location", 0))["city"] == "MEMPHIS"


def test_vanished_provider_is_marked_not_deleted_and_can_return(memdb):
    providers = _providers()
    run1 = _run(memdb)
    with store.transaction(memdb):
        store.upsert_providers(memdb, providers, run1, "2026-11-01T00:00:00Z")
    run2 = run1 + 1
    with store.transaction(memdb):
        store.upsert_providers(memdb, providers[1:], run2, "2026-11-08T00:00:00Z")
        gone = store.mark_gone(memdb, "providers", "npi", "state", "TN", run2,
                               "2026-11-08T00:00:00Z", source="nppes-api")
    assert gone == 1
    row = memdb["providers"].get("1437187390")
    assert row["gone_at"] == "2026-11-08T00:00:00Z"
    assert memdb["provider_addresses"].count_where("npi = ?", ["1437187390"]) == 4
    # GA (the organization's state) was not part of the run's scope: untouched.
    assert memdb["providers"].get("1568946812")["gone_at"] is None
    with store.transaction(memdb):
        assert store.upsert_providers(memdb, providers[:1], run2 + 1, "2026-11-15T00:00:00Z") == {
            "updated": 1}
    assert memdb["providers"].get("1437187390")["gone_at"] is None
    assert [(c["column_name"], c["new_value"]) for c in memdb["changes"].rows] == [
        ("gone_at", "2026-11-08T00:00:00Z"), ("gone_at", None)]


def test_touch_page_marks_records_of_an_unchanged_page_seen(memdb):
    with store.transaction(memdb):
        store.upsert_providers(memdb, _providers(), 1, "2026-11-01T00:00:00Z")
        assert store.touch_page(memdb, "providers", URL, 2, "2026-11-08T00:00:00Z") == 1
    assert memdb["providers"].get("1437187390")["last_seen_run_id"] == 2
    assert memdb["providers"].get("1568946812")["last_seen_run_id"] == 1


def test_a_failed_transaction_writes_nothing(memdb):
    providers = _providers()
    broken = replace(providers[1], provenance=Provenance("nppes-api", URL, "x"),
                     display_name=None)  # violates NOT NULL
    try:
        with store.transaction(memdb):
            store.upsert_providers(memdb, [providers[0], broken], 1, "2026-11-01T00:00:00Z")
    except Exception as exc:  # sqlite3.IntegrityError
        assert "NOT NULL" in str(exc)
    else:
        raise AssertionError("the NOT NULL violation was not raised")
    assert memdb["providers"].count == 0
    assert memdb["provider_addresses"].count == 0


def test_one_running_run_per_source_resumed_when_its_process_is_gone(memdb):
    run_id, resumed = store.start_run(memdb, "nppes-api", {"states": ["WA"]}, "t0")
    assert resumed is False
    # Same process asking again (as after a crash of a previous process with our pid): resumed.
    memdb.execute("update scrape_runs set pid = 999999999 where id = ?", [run_id])
    again, resumed = store.start_run(memdb, "nppes-api", {"states": ["WA"]}, "t1")
    assert (again, resumed) == (run_id, True)
    assert memdb["scrape_runs"].get(run_id)["resumed"] == 1
    memdb.execute("update scrape_runs set pid = 999999999 where id = ?", [run_id])
    other, resumed = store.start_run(memdb, "nppes-api", {"states": ["OR"]}, "t2")
    assert other != run_id and resumed is False
    assert memdb["scrape_runs"].get(run_id)["status"] == "failed"


def test_a_run_alive_in_another_process_is_refused(memdb):
    run_id, _ = store.start_run(memdb, "nppes-api", {"states": ["WA"]}, "t0")
    memdb.execute("update scrape_runs set pid = 1 where id = ?", [run_id])  # pid 1 is alive
    try:
        store.start_run(memdb, "nppes-api", {"states": ["WA"]}, "t1")
    except RuntimeError as exc:
        assert "still going (pid 1)" in str(exc)
    else:
        raise AssertionError("a second concurrent run was allowed")


def test_a_running_run_from_before_a_reboot_is_not_alive(memdb):
    """After a reboot, a killed run's pid may belong to another process: the boot id says the
    run is dead, and the next start resumes it instead of waiting for it."""
    from db.store import boot_id, run_alive

    mine = {"pid": os.getpid(), "host": socket.gethostname(), "boot_id": boot_id()}
    assert run_alive(mine)
    assert not run_alive({**mine, "boot_id": "another-boot"})
    assert not run_alive({**mine, "host": "elsewhere"})
    memdb["scrape_runs"].insert({"source": "nppes-api", "status": "running", "scope": "{}",
                                 "started_at": "2026-11-01T00:00:00Z", "pid": 1,
                                 "host": socket.gethostname(), "boot_id": "another-boot",
                                 "resumed": 0})
    run_id, resumed = store.start_run(memdb, "nppes-api", {}, "2026-11-22T00:00:00Z")
    assert resumed and memdb["scrape_runs"].get(run_id)["boot_id"] == boot_id()


def test_placeholders_stored_before_they_were_read_as_absent_are_cleared(tmp_path):
    """Issue 11 review: NPPES's "--" and "NA" stored by an older version leave the database
    when it is migrated, not only when their page changes."""
    from db.migrations import open_db

    path = tmp_path / "old.db"
    db = open_db(path)
    db["providers"].insert({"npi": "1000000001", "enumeration_type": "NPI-1",
                            "first_name": "Jane", "last_name": "Doe", "name_suffix": "--",
                            "name_prefix": "--", "display_name": "Jane Doe --",
                            "source": "nppes-api"})
    db["provider_taxonomies"].insert({"npi": "1000000001", "seq": 0, "code": "171100000X",
                                      "state": "WA", "license_number": "NA",
                                      "license_number_normalized": "NA"})
    db.execute("delete from _sqlite_migrations where name = 'm014_nppes_placeholders'")
    db.close()
    db = open_db(path)  # applies m014 again, as on a database made before it
    provider = db["providers"].get("1000000001")
    assert (provider["name_prefix"], provider["name_suffix"], provider["display_name"]) == (
        None, None, "Jane Doe")
    (taxonomy,) = db["provider_taxonomies"].rows
    assert (taxonomy["license_number"], taxonomy["license_number_normalized"]) == (None, None)


def test_search_entries_are_rewritten_only_when_a_searched_column_changes(tmp_path):
    """m022: marking a provider seen again leaves its full-text entry alone; a new name
    replaces it (the re-scrape of an unchanged registry used to rewrite every entry)."""
    from db.migrations import open_db

    db = open_db(tmp_path / "p.db")
    db.execute("pragma foreign_keys = off")
    db.execute("insert into providers (npi, display_name, city, source) "
               "values ('1', 'Anna Lee', 'Seattle', 'nppes-api')")
    changes = db.conn.total_changes
    db.execute("update providers set last_seen_at = 'later' where npi = '1'")
    assert db.conn.total_changes - changes == 1  # the row, and no search entry
    db.execute("update providers set display_name = 'Anna Kim' where npi = '1'")
    hits = [r[0] for r in db.execute(
        "select rowid from providers_fts where providers_fts match 'Kim'")]
    gone = [r[0] for r in db.execute(
        "select rowid from providers_fts where providers_fts match 'Lee'")]
    assert (len(hits), gone) == (1, [])
    for table in ("providers", "licenses", "practitioners"):
        sql = db.execute("select sql from sqlite_master where name = ?", [f"{table}_au"]
                         ).fetchone()[0]
        assert "AFTER UPDATE OF" in sql, table
