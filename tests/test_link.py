"""Linking rules on small, literal records."""

from __future__ import annotations

import json

import pytest

from db import store
from scraper.link import last_names_agree, link_all, name_key
from scraper.models import License, Provenance
from scraper.sources.nppes_api import parse_provider

from .conftest import fixture_text


@pytest.mark.parametrize("a,b,agree", [
    ("O'Brien", "OBRIEN", True), ("Smith-Jones", "JONES", True), ("Müller", "MULLER", True),
    ("Lee", "Li", False), ("", "Lee", False), ("Van Der Berg", "VANDERBERG", True),
])
def test_last_names_agree(a, b, agree):
    assert last_names_agree(a, b) is agree


def test_name_key():
    assert name_key("  José  María-López ") == "JOSEMARIALOPEZ"


def _provider(npi: str, last: str, first: str, state: str, number: str | None, city="SEATTLE",
              zip5="98101"):
    raw = json.loads(fixture_text("nppes", "nppes_api_v2.1_npi1_1437187390_multistate_"
                                  "ropensci-npi.json"))["results"][0]
    raw["number"] = int(npi)
    raw["basic"].update(first_name=first, last_name=last, middle_name="", credential="L.Ac.")
    for address in raw["addresses"]:
        address.update(state=state, city=city, postal_code=zip5)
    raw["taxonomies"] = [{"code": "171100000X", "desc": "Acupuncturist", "primary": True,
                          "state": state, "license": number or ""}]
    raw["practiceLocations"] = []
    return parse_provider(raw, "https://npi.example/api", Provenance("nppes-api", "u", "t"))


def _license(state: str, number: str, last: str, first: str, status="ACTIVE", city=None,
             zip5=None):
    from scraper.normalize import license_number, license_status

    return License(state, "Acupuncturist", number, license_number(number), first, None, last,
                   None, status, license_status(status), "2010-01-01", "2027-01-01", city,
                   state, zip5, None, "x", Provenance(f"{state.lower()}-board", "u", "t"))


def _db(memdb, providers, licenses):
    with store.transaction(memdb):
        store.upsert_providers(memdb, providers, 1, "2026-11-01T00:00:00Z")
        store.upsert_license_records(memdb, licenses, 1, "2026-11-01T00:00:00Z")
    return memdb


def _links(memdb):
    with store.transaction(memdb):
        counts = link_all(memdb, None, "2026-11-01T00:00:00Z")
    links = {(r["record_table"], r["record_id"]): (r["practitioner_id"], r["rule"], r["confidence"])
             for r in memdb["practitioner_links"].rows}
    return counts, links


def test_license_number_links_despite_formatting(memdb):
    _db(memdb, [_provider("1234567893", "O'BRIEN", "ANNA", "WA", "ac-0012345")],
        [_license("WA", "AC.12345", "OBRIEN", "Anna")])
    counts, links = _links(memdb)
    assert links[("licenses", "WA:acupuncturist:12345")] == ("npi:1234567893", "license-number",
                                                             0.99)
    row = memdb["practitioners"].get("npi:1234567893")
    assert (row["license_status"], row["licensed_states"], row["reported_license_states"],
            row["credentials"], row["sources"]) == ("active", "WA", "WA", "L.Ac.",
                                                    "nppes-api, wa-board")
    assert (round(row["latitude"], 2), round(row["longitude"], 2)) == (47.61, -122.33)
    explanation = next(memdb.query("select explanation from practitioner_links where rule = "
                                   "'license-number'"))["explanation"]
    assert explanation == ("NPPES lists WA license 12345 for NPI 1234567893, and the WA board "
                           "lists AC.12345 for OBRIEN")


def test_number_alone_is_not_enough(memdb):
    _db(memdb, [_provider("1234567893", "LEE", "ANNA", "WA", "12345")],
        [_license("WA", "12345", "PARK", "Anna")])
    _, links = _links(memdb)
    assert links[("licenses", "WA:acupuncturist:12345")] == ("lic:WA:acupuncturist:12345", "self",
                                                             1.0)


def test_same_number_in_another_state_is_not_a_match(memdb):
    _db(memdb, [_provider("1234567893", "LEE", "ANNA", "OR", "12345")],
        [_license("WA", "12345", "LEE", "Anna")])
    _, links = _links(memdb)
    assert links[("licenses", "WA:acupuncturist:12345")][1] == "self"


def test_name_and_city_is_a_weaker_link(memdb):
    _db(memdb, [_provider("1234567893", "LEE", "ANNA", "WA", None, city="SPOKANE")],
        [_license("WA", "555", "LEE", "ANNA", city="Spokane")])
    _, links = _links(memdb)
    assert links[("licenses", "WA:acupuncturist:555")] == ("npi:1234567893", "name-city", 0.7)


def test_name_and_city_with_two_candidates_links_nobody(memdb):
    _db(memdb, [_provider("1234567893", "LEE", "ANNA", "WA", None, city="SPOKANE"),
                _provider("1245319599", "LEE", "ANNA", "WA", None, city="SPOKANE")],
        [_license("WA", "555", "LEE", "ANNA", city="Spokane")])
    _, links = _links(memdb)
    assert links[("licenses", "WA:acupuncturist:555")][1] == "self"


def test_best_status_wins_and_discipline_is_carried(memdb):
    _db(memdb, [_provider("1234567893", "LEE", "ANNA", "WA", "111")],
        [_license("WA", "111", "LEE", "ANNA", status="EXPIRED")])
    memdb.execute("insert into provider_taxonomies (npi, seq, code, description, is_primary, "
                  "state, license_number, license_number_normalized) values "
                  "('1234567893', 5, '171100000X', 'Acupuncturist', 0, 'OR', '222', '222')")
    with store.transaction(memdb):
        store.upsert_license_records(memdb, [_license("OR", "222", "LEE", "ANNA",
                                                      status="ACTIVE ON PROBATION")], 1, "t")
    _links(memdb)
    row = memdb["practitioners"].get("npi:1234567893")
    assert (row["license_status"], row["licensed_states"]) == ("probation", "OR, WA")


def test_ids_are_stable_and_a_rebuild_changes_nothing(memdb):
    _db(memdb, [_provider("1234567893", "LEE", "ANNA", "WA", "111")],
        [_license("WA", "111", "LEE", "ANNA"), _license("WA", "999", "KIM", "BO")])
    first, _ = _links(memdb)
    assert first["inserted"] == 2
    again, links = _links(memdb)
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert links[("licenses", "WA:acupuncturist:999")][0] == "lic:WA:acupuncturist:999"


def test_records_seen_again_move_the_dates_but_change_nobody(memdb):
    """A later run sees the same records: the practitioner is as of the new day and its
    standing checked then, but nothing of it changed (no update, no change rows)."""
    provider = _provider("1234567893", "LEE", "ANNA", "WA", "111")
    _db(memdb, [provider], [_license("WA", "111", "LEE", "ANNA")])
    _links(memdb)
    before = memdb["practitioners"].get("npi:1234567893")
    assert before["standing"] == "good" and "2026-11-01" in before["standing_reason"]
    with store.transaction(memdb):
        store.upsert_providers(memdb, [provider], 2, "2026-11-08T00:00:00Z")
        store.upsert_license_records(memdb, [_license("WA", "111", "LEE", "ANNA")], 2,
                                     "2026-11-08T00:00:00Z")
        counts = link_all(memdb, None, "2026-11-08T00:00:00Z")
    assert (counts["updated"], counts["unchanged"], counts["dates_moved"]) == (0, 1, 1)
    after = memdb["practitioners"].get("npi:1234567893")
    assert after["as_of"] == "2026-11-08T00:00:00Z" != before["as_of"]
    assert after["standing_as_of"] == "2026-11-08"
    assert after["standing_reason"] == before["standing_reason"].replace("2026-11-01",
                                                                         "2026-11-08")
    assert after["record_hash"] == before["record_hash"]
    assert memdb.execute("select count(*) from changes where table_name = 'practitioners' "
                         "and column_name != 'gone_at'").fetchone()[0] == 0
    with store.transaction(memdb):
        again = link_all(memdb, None, "2026-11-08T00:00:00Z")
    assert (again["updated"], again["dates_moved"]) == (0, 0)  # nothing moved: nothing written


def test_license_only_practitioner_merges_when_the_provider_appears(memdb):
    _db(memdb, [], [_license("WA", "999", "KIM", "BO")])
    _links(memdb)
    assert memdb["practitioners"].get("lic:WA:acupuncturist:999")["gone_at"] is None
    with store.transaction(memdb):
        store.upsert_providers(memdb, [_provider("1234567893", "KIM", "BO", "WA", "AC999")], 2,
                               "t2")
    counts, links = _links(memdb)
    assert links[("licenses", "WA:acupuncturist:999")][0] == "npi:1234567893"
    assert counts["gone"] == 1
    assert memdb["practitioners"].get("lic:WA:acupuncturist:999")["gone_at"] is not None


def test_relink_after_a_change_records_it_with_no_run(tmp_path):
    """`practitioners link` has no scrape run: its changes must not break the run-id key."""
    from dataclasses import replace

    from db.migrations import open_db

    db = open_db(tmp_path / "p.db")  # a real file: foreign keys enforced
    provider = _provider("1234567893", "LEE", "ANNA", "WA", "111")
    _db(db, [provider], [_license("WA", "111", "LEE", "ANNA")])
    _links(db)
    with store.transaction(db):
        store.upsert_providers(db, [replace(provider, credential="DAOM")], None, "t2")
    counts, _ = _links(db)
    assert counts["updated"] == 1
    change = next(db.query("select * from changes where table_name = 'practitioners'"))
    assert (change["column_name"], change["new_value"], change["run_id"]) == (
        "credentials", "DAOM", None)


def test_practice_name_from_the_one_organization_at_the_same_address(memdb):
    org = json.loads(fixture_text("nppes", "nppes_api_v2.1_npi2_org_1568946812_ropensci-npi.json"))
    raw = org["results"][0]
    raw["basic"]["organization_name"] = "CEDAR ACUPUNCTURE PLLC"
    for address in raw["addresses"]:
        address.update(address_1="12 Pine St.", state="WA", city="SEATTLE", postal_code="98101")
    organization = parse_provider(raw, "u", Provenance("nppes-api", "u", "t"))
    person = _provider("1234567893", "LEE", "ANNA", "WA", "111")
    person.addresses[0].address_1 = "12 PINE ST"
    loner = _provider("1245319599", "KIM", "BO", "WA", "222")
    _db(memdb, [organization, person, loner], [])
    _links(memdb)
    assert memdb["practitioners"].get("npi:1234567893")["practice_name"] == "CEDAR ACUPUNCTURE PLLC"
    assert memdb["practitioners"].get("npi:1245319599")["practice_name"] is None
    assert memdb["practitioners"].count == 2  # the organization is a practice, not a person


def test_nccaom_diplomate_links_by_name_and_phone_or_stands_alone(memdb):
    from scraper.models import Certification

    _db(memdb, [_provider("1234567893", "LEE", "ANNA", "WA", "111")], [])
    listed = [
        Certification("abcDEF123==", "Anna Lee", "L.Ac.", "Certified Diplomate", "Female",
                      "615-712-7366", None, None, None, "Elsewhere", "WA", "USA", ["Dipl. Ac."],
                      provenance=Provenance("nccaom", "u", "t")),
        Certification("zzzYYY987==", "Bo Kim", None, "Certified Diplomate", "Male", None, None,
                      None, None, "Spokane", "WA", "USA", ["Dipl. O.M."],
                      provenance=Provenance("nccaom", "u", "t")),
    ]
    with store.transaction(memdb):
        store.upsert_certifications(memdb, listed, 1, "t")
    _, links = _links(memdb)
    assert links[("certifications", "abcDEF123==")] == ("npi:1234567893", "name-city", 0.7)
    assert links[("certifications", "zzzYYY987==")] == ("ncc:zzzYYY987==", "self", 1.0)
    assert memdb["practitioners"].get("npi:1234567893")["certified"] == 1
    assert memdb["practitioners"].get("ncc:zzzYYY987==")["display_name"] == "Bo Kim"


def test_specialties_from_a_profile_with_their_evidence(memdb):
    from scraper.models import Certification

    _db(memdb, [_provider("1234567893", "LEE", "ANNA", "WA", "111")], [])
    cert = Certification("abcDEF123==", "Anna Lee", None, "Certified Diplomate", "Female",
                         "615-712-7366", None, None, None, "Seattle", "WA", "USA", ["Dipl. Ac."],
                         profile_url="https://directory.nccaom.org/FAP/PractitionerDetail?"
                                     "AgencyClientId=abcDEF123==",
                         provenance=Provenance("nccaom", "u", "t"),
                         conditions=["Pain", "facial rejuvenation", "GI issues"])
    with store.transaction(memdb):
        store.upsert_certifications(memdb, [cert], 1, "t")
    counts, _ = _links(memdb)
    assert counts["tags"] == 3
    row = memdb["practitioners"].get("npi:1234567893")
    assert json.loads(row["specialties"]) == ["digestive health", "facial acupuncture", "pain"]
    tag = memdb["specialty_tags"].get("npi:1234567893:facial acupuncture")
    assert (tag["snippet"], tag["record_table"], tag["evidence_url"]) == (
        "facial rejuvenation", "certifications", cert.profile_url)
