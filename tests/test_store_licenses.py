"""Licenses, discipline, exclusions and rejects in the database."""

from __future__ import annotations

from dataclasses import replace

from db import store
from scraper.models import Exclusion, Provenance
from scraper.sources.socrata import DATASETS, parse_row

P = Provenance("co-dora", "https://data.colorado.gov/resource/7s5z-vewr.json?$offset=0",
               "2026-11-01T00:00:00Z")
BASE = {"lastname": "CHEN", "firstname": "LI", "licensetype": "Acupuncturist",
        "licensenumber": "AC.0001234", "licensefirstissuedate": "2010-05-01T00:00:00.000",
        "licenseexpirationdate": "2027-05-31T00:00:00.000", "licensestatusdescription": "Probation"}


def _records(*rows):
    out = []
    for row in rows:
        out += parse_row(DATASETS["co-dora"], row, P)
    return out


CASES = _records(
    {**BASE, "casenumber": "2019-001234", "programaction": "Probation",
     "disciplineeffectivedate": "2019-06-01T00:00:00.000"},
    {**BASE, "casenumber": "2021-000777", "programaction": "Fine",
     "disciplineeffectivedate": "2021-02-03T00:00:00.000"},
    {"lastname": "NOBODY", "licensetype": "Acupuncturist", "licensestatusdescription": "Active"},
)


def test_one_license_per_discipline_case_rows(memdb):
    with store.transaction(memdb):
        counts = store.upsert_license_records(memdb, CASES, 1, "2026-11-01T00:00:00Z")
    assert counts == {"inserted": 1, "actions_inserted": 2, "rejected": 1}
    (row,) = memdb["licenses"].rows
    assert {k: row[k] for k in ("license_id", "jurisdiction", "license_number",
                                "license_number_normalized", "display_name", "status",
                                "status_normalized", "issued_on", "expires_on", "disciplined",
                                "source", "gone_at")} == {
        "license_id": "CO:acupuncturist:1234", "jurisdiction": "CO",
        "license_number": "AC.0001234", "license_number_normalized": "1234",
        "display_name": "Li Chen", "status": "Probation", "status_normalized": "probation",
        "issued_on": "2010-05-01", "expires_on": "2027-05-31", "disciplined": 1,
        "source": "co-dora", "gone_at": None}
    assert [(a["case_number"], a["action"], a["effective_on"]) for a in
            memdb.query("select * from disciplinary_actions order by case_number")] == [
        ("2019-001234", "Probation", "2019-06-01"), ("2021-000777", "Fine", "2021-02-03")]
    (reject,) = memdb["rejects"].rows
    assert (reject["source"], reject["reason"], reject["source_url"]) == (
        "co-dora", "no license number", P.source_url)
    assert '"lastname": "NOBODY"' in reject["raw"]


def test_same_rows_again_change_nothing_and_rejects_are_kept_once(memdb):
    for run in (1, 2):
        with store.transaction(memdb):
            counts = store.upsert_license_records(memdb, CASES, run, f"2026-11-0{run}T00:00:00Z")
    assert counts == {"unchanged": 1, "actions_unchanged": 2, "rejected": 1}
    assert (memdb["rejects"].count, memdb["changes"].count) == (1, 0)
    assert next(memdb["rejects"].rows)["last_seen_run_id"] == 2


def test_status_change_is_recorded(memdb):
    with store.transaction(memdb):
        store.upsert_license_records(memdb, CASES[:1], 1, "2026-11-01T00:00:00Z")
    revoked = replace(CASES[0], status="Revoked", status_normalized="revoked")
    with store.transaction(memdb):
        store.upsert_license_records(memdb, [revoked], 2, "2026-11-02T00:00:00Z")
    assert {(c["column_name"], c["old_value"], c["new_value"]) for c in memdb["changes"].rows} == {
        ("status", "Probation", "Revoked"), ("status_normalized", "probation", "revoked")}


def _exclusion(**changes):
    base = Exclusion(npi="1234567893", last_name="LEE", first_name="ANNA", middle_name=None,
                     business_name=None, general="INDIVIDUAL (NO SPECIALTY)", specialty=None,
                     upin=None, born_on="1970-01-02", address=None, city="SEATTLE", state="WA",
                     zip="98101", exclusion_type="1128a1", excluded_on="2020-01-15",
                     reinstated_on=None, waiver_on=None, waiver_state=None,
                     provenance=Provenance("oig-leie", "https://oig.example/UPDATED.csv", "t"))
    return replace(base, **changes)


def test_exclusion_no_longer_listed_is_reinstated(memdb):
    with store.transaction(memdb):
        store.upsert_exclusions(memdb, [_exclusion()], 1, "2026-10-01T00:00:00Z")
    assert memdb["exclusions"].get(_exclusion().exclusion_id)["status"] == "excluded"
    with store.transaction(memdb):
        gone = store.mark_gone(memdb, "exclusions", "exclusion_id", "source", "oig-leie", 2,
                               "2026-11-01T00:00:00Z", source="oig-leie",
                               also={"status": "reinstated"})
    assert gone == 1
    row = memdb["exclusions"].get(_exclusion().exclusion_id)
    assert (row["status"], row["gone_at"]) == ("reinstated", "2026-11-01T00:00:00Z")
    assert {(c["column_name"], c["new_value"]) for c in memdb["changes"].rows} == {
        ("gone_at", "2026-11-01T00:00:00Z"), ("status", "reinstated")}


def test_exclusion_with_a_reinstatement_date(memdb):
    with store.transaction(memdb):
        store.upsert_exclusions(memdb, [_exclusion(reinstated_on="2026-10-20")], 1, "t")
    row = memdb["exclusions"].get(_exclusion().exclusion_id)
    assert (row["status"], row["reinstated_on"], row["display_name"]) == (
        "reinstated", "2026-10-20", "Anna Lee")
