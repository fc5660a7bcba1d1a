"""State board rows and LEIE rows mapped to records: each dataset on realistic rows."""

from __future__ import annotations

import io

import pytest

from scraper.models import DisciplinaryAction, Exclusion, License, Provenance, Reject
from scraper.normalize import STATUS_VOCABULARY, license_status
from scraper.parsing import ParseError
from scraper.sources import oig_leie
from scraper.sources.socrata import DATASETS, parse_page, parse_row, split_name

P = Provenance("test", "https://portal.example/resource/x.json", "2026-11-01T00:00:00Z")


def _one(source_id, row):
    return parse_row(DATASETS[source_id], row, P)


# Rows in each dataset's real field names and value forms (../shared/SOURCES-EVIDENCE.md).

def test_washington_row():
    (record,) = _one("wa-doh", {
        "credentialnumber": "AC60123456", "lastname": "O'BRIEN", "firstname": "ANNA",
        "middlename": "K", "credentialtype": "Acupuncture And Eastern Medicine Practitioner License",
        "status": "ACTIVE", "firstissuedate": "2012-03-01T00:00:00.000",
        "lastissuedate": "2025-03-01T00:00:00.000", "expirationdate": "2027-02-28T00:00:00.000",
        "actiontaken": "No", "birthyear": "1980"})
    assert record == License(
        jurisdiction="WA", license_type="Acupuncture And Eastern Medicine Practitioner License",
        license_number="AC60123456", license_number_normalized="60123456", first_name="ANNA",
        middle_name="K", last_name="O'BRIEN", full_name=None, status="ACTIVE",
        status_normalized="active", issued_on="2012-03-01", expires_on="2027-02-28", city=None,
        state=None, zip=None, disciplined=False, dataset_id="qxh8-f4bd",
        verify_url="https://fortress.wa.gov/doh/providercredentialsearch/")
    assert record.license_id == "WA:acupuncture-and-eastern-medicine-practitioner-license:60123456"
    assert record.provenance == P


CO_LINK = ("https://apps2.colorado.gov/dora/licensing/Lookup/LicenseLookup.aspx"
           "?Id=AC.0001234")


def test_colorado_discipline_rows_give_one_license_and_one_action_each():
    base = {"lastname": "CHEN", "firstname": "LI", "middlename": "W", "licensetype": "AC",
            "licensenumber": "AC.0001234", "licensefirstissuedate": "2010-05-01T00:00:00.000",
            "licenseexpirationdate": "2027-05-31T00:00:00.000",
            "licensestatusdescription": "Probation", "city": "Boulder", "state": "CO",
            "mailzipcode": "80302-1234", "linktoverifylicense": {"url": CO_LINK}}
    first = _one("co-dora", {**base, "casenumber": "2019-001234", "programaction": "Probation",
                             "disciplineeffectivedate": "2019-06-01T00:00:00.000"})
    second = _one("co-dora", {**base, "casenumber": "2021-000777", "programaction": "Fine",
                              "disciplineeffectivedate": "2021-02-03T00:00:00.000"})
    assert first[0] == second[0]
    # The short code is shown by its title, and the license links to the board's own page.
    assert (first[0].status_normalized, first[0].disciplined, first[0].license_id,
            first[0].license_type, first[0].verify_url, first[0].zip, first[0].middle_name) == (
        "probation", True, "CO:acupuncturist:1234", "Acupuncturist", CO_LINK, "80302", "W")
    assert first[1] == DisciplinaryAction("CO:acupuncturist:1234", "CO", "2019-001234",
                                          "Probation", "2019-06-01")
    assert second[1].action_id == "CO:acupuncturist:1234:2021-000777"
    (clean_record,) = _one("co-dora", base | {"licensestatusdescription": "Active"})
    assert clean_record.disciplined is False


@pytest.mark.parametrize("value", [{"url": "javascript:alert(1)"}, {"url": "board.example"},
                                   {"description": "no url"}, None])
def test_a_verify_link_that_is_not_http_is_not_kept(value):
    (record,) = _one("co-dora", {"licensenumber": "AC.1", "lastname": "X", "licensetype": "AC",
                                 "licensestatusdescription": "Active",
                                 "linktoverifylicense": value})
    assert record.verify_url is None


def test_connecticut_name_is_first_middle_last_and_the_title_is_credential():
    (record,) = _one("ct-dph", {
        "credentialid": "1234567", "name": "MARY ELLEN SMITH-JONES", "type": "INDIVIDUAL",
        "fullcredentialcode": "ACUP.000123", "credentialnumber": "000123",
        "credentialtype": "221", "credential": "Acupuncturist", "status": "INACTIVE",
        "statusreason": "LAPSED DUE TO NON-RENEWAL", "issuedate": "2015-01-01T00:00:00.000",
        "expirationdate": "2024-01-31T00:00:00.000", "city": "HARTFORD", "state": "CT",
        "zip": "06103"})
    assert (record.first_name, record.middle_name, record.last_name, record.full_name) == (
        "MARY", "ELLEN", "SMITH-JONES", "MARY ELLEN SMITH-JONES")
    assert (record.license_type, record.license_number_normalized, record.status_normalized,
            record.city, record.zip) == ("Acupuncturist", "123", "inactive", "HARTFORD", "06103")


def test_texas_first_name_carries_the_middle_and_discipline_is_not_none():
    row = {"license_number": "AC01234", "last_name": "GARCIA", "first_name": "LUIS M",
           "license_type": "Acupuncturist License", "license_status": "Cancelled",
           "registration_status": "Inactive", "disciplinary_status": "NONE",
           "license_issue_date": "2001-01-01T00:00:00.000",
           "license_expiration_date": "2020-01-31T00:00:00.000", "degree": "MAOM",
           "practice_city": "AUSTIN", "practice_state": "TX", "practice_zip": "78701-1234",
           "currently_licensed": "N"}
    (tx,) = _one("tx-tmb", row)
    assert (tx.first_name, tx.middle_name, tx.last_name, tx.license_number_normalized,
            tx.status_normalized, tx.issued_on, tx.expires_on, tx.city, tx.zip,
            tx.disciplined) == ("LUIS", "M", "GARCIA", "1234", "expired", "2001-01-01",
                                "2020-01-31", "AUSTIN", "78701", False)
    (ordered,) = _one("tx-tmb", row | {"disciplinary_status": "Board Order - Probation"})
    assert ordered.disciplined is True
    # Only a single letter after the first name is a middle initial.
    (two_names,) = _one("tx-tmb", row | {"first_name": "MARY ANN"})
    assert (two_names.first_name, two_names.middle_name) == ("MARY ANN", None)


@pytest.mark.parametrize("settings,message", [
    ({"fields": "licensenumber"}, "fields = 'licensenumber' must be a table of texts"),
    ({"type_titles": ["AC"]}, "type_titles = ['AC'] must be a table of texts"),
    ({"statuses": "x"}, "statuses = 'x' must be a table of texts"),
    ({"type_field": 3}, "type_field = 3 must be a text"),
    ({"page_size": 0}, "page_size must be 1 to 50000"),
    ({"volume_guard": "half"}, "volume_guard = 'half' must be a number"),
    ({"wher": "x"}, "unknown setting(s) for co-dora: wher"),
])
def test_a_bad_board_setting_is_a_one_line_error(settings, message):
    """Review finding: a mistyped setting crashed `practitioners check` with a traceback."""
    from scraper.sources import SOURCES

    with pytest.raises(ValueError) as raised:
        SOURCES["co-dora"].configured(settings)
    assert message in str(raised.value)


def test_colorado_codes_keep_licenses_of_two_types_apart():
    """Review finding: numbers are unique only within a type; AC and ACU shared one key."""
    base = {"licensenumber": "123", "lastname": "X", "licensestatusdescription": "Active"}
    (ac,) = _one("co-dora", base | {"licensetype": "AC"})
    (acu,) = _one("co-dora", base | {"licensetype": "ACU"})
    assert ac.license_id != acu.license_id


def test_illinois_title_is_description_and_dates_are_text():
    (il,) = _one("il-idfpr", {"license_type": "ACUPUNCTURE",
                              "description": "LICENSED ACUPUNCTURIST",
                              "license_number": "198.001234", "license_status": "NOT RENEWED",
                              "business": "N", "first_name": "AMY", "middle": "J",
                              "last_name": "PARK", "original_issue_date": "06/01/2005",
                              "effective_date": "01/01/2021", "expiration_date": "12/31/2022",
                              "city": "CHICAGO", "state": "IL", "zip": "60601",
                              "ever_disciplined": "Y"})
    assert (il.license_type, il.license_number_normalized, il.status_normalized, il.issued_on,
            il.expires_on, il.disciplined, il.middle_name) == (
        "LICENSED ACUPUNCTURIST", "198001234", "expired", "2005-06-01", "2022-12-31", True, "J")


# The status words of the five boards, and what they mean in the directory's vocabulary.
STATUS_TABLE = [
    ("WA", "ACTIVE", "active"), ("WA", "EXPIRED", "expired"), ("WA", "INACTIVE", "inactive"),
    ("WA", "SUSPENDED", "suspended"), ("WA", "REVOKED", "revoked"),
    ("WA", "DECEASED", "deceased"), ("WA", "RETIRED", "inactive"),
    ("WA", "ACTIVE ON PROBATION", "probation"),
    ("CO", "Active", "active"), ("CO", "Expired", "expired"), ("CO", "Inactive", "inactive"),
    ("CO", "Revoked", "revoked"), ("CO", "Suspended", "suspended"),
    ("CO", "Surrendered", "surrendered"), ("CO", "Probation", "probation"),
    ("CO", "Deceased", "deceased"),
    ("CT", "ACTIVE", "active"), ("CT", "INACTIVE", "inactive"), ("CT", "LAPSED", "expired"),
    ("CT", "SUSPENDED", "suspended"), ("CT", "REVOKED", "revoked"),
    ("CT", "VOLUNTARY SURRENDER", "surrendered"),
    ("TX", "Active", "active"), ("TX", "Expired", "expired"), ("TX", "Cancelled", "expired"),
    ("TX", "Suspended", "suspended"), ("TX", "Revoked", "revoked"),
    ("TX", "Probation", "probation"),
    ("IL", "ACTIVE", "active"), ("IL", "NOT RENEWED", "expired"), ("IL", "INACTIVE", "inactive"),
    ("IL", "SUSPENDED", "suspended"), ("IL", "REVOKED", "revoked"),
    ("IL", "PROBATION", "probation"), ("IL", "DECEASED", "deceased"),
    ("--", "", "unknown"), ("--", "  active  ", "active"),
]


@pytest.mark.parametrize("state,raw,expected", STATUS_TABLE)
def test_status_vocabulary(state, raw, expected):
    assert license_status(raw) == expected
    assert expected in STATUS_VOCABULARY


def test_unknown_status_is_none_and_a_board_can_add_words():
    assert license_status("PENDING AUDIT") is None
    assert license_status("Pending Audit", {"PENDING AUDIT": "inactive"}) == "inactive"


def test_a_row_without_a_number_is_only_a_reject():
    row = {"lastname": "X", "credentialtype": "x", "status": "ACTIVE"}
    (reject,) = _one("wa-doh", row)
    assert reject == Reject("wa-doh", "no license number", row)
    assert (reject.provenance, reject.stored) == (P, False)


@pytest.mark.parametrize("row,reason,kept", [
    ({"credentialnumber": "AC1", "lastname": "X", "status": "PENDING AUDIT"},
     "unknown status 'PENDING AUDIT' (stored as unknown)",
     {"status": "PENDING AUDIT", "status_normalized": "unknown"}),
    ({"credentialnumber": "AC1", "lastname": "X", "status": "ACTIVE",
      "expirationdate": "13/45/2020"},
     "expirationdate: unrecognized date '13/45/2020' (stored without it)",
     {"expires_on": None, "status_normalized": "active"}),
    ({"credentialnumber": "AC1", "status": "ACTIVE"}, "no name (stored without one)",
     {"last_name": None, "license_number_normalized": "1"}),
])
def test_an_odd_value_costs_the_value_not_the_license(row, reason, kept):
    """Review finding (2026-11): a license left out for one odd value would be marked gone."""
    record, reject = _one("wa-doh", row)
    assert {k: getattr(record, k) for k in kept} == kept
    assert (reject.reason, reject.raw, reject.stored) == (reason, row, True)


def test_a_page_keeps_going_past_bad_rows():
    text = ('[{"credentialnumber": "AC1", "lastname": "A", "status": "ACTIVE"},'
            ' {"lastname": "B", "status": "ACTIVE"},'
            ' {"credentialnumber": "AC3", "lastname": "C", "status": "EXPIRED"}]')
    count, records = parse_page(DATASETS["wa-doh"], text, "u", "t")
    assert count == 3
    assert [type(r).__name__ for r in records] == ["License", "Reject", "License"]
    assert records[1].reason == "no license number"


@pytest.mark.parametrize("text,message", [
    ('{"error": true, "message": "No such column: foo"}', "SODA error: No such column: foo"),
    ("[1, 2]", "expected a JSON array of row objects"),
    ('[{"a": "b"}', "not JSON"),
])
def test_bad_pages_fail_loudly(text, message):
    with pytest.raises(ParseError, match=message):
        parse_page(DATASETS["wa-doh"], text, "u", "t")


def test_split_name():
    assert split_name("LEE, ANNA") == ("ANNA", None, "LEE")
    assert split_name("VAN DER BERG, JAN P Q") == ("JAN", "P Q", "VAN DER BERG")
    assert split_name(None) == (None, None, None)


@pytest.mark.parametrize("name,parts", [
    ("ANNA LEE", ("ANNA", None, "LEE")),
    ("JAN P Q BERG", ("JAN", "P Q", "BERG")),
    ("JOHN A SMITH JR", ("JOHN", "A", "SMITH")),
    ("JOHN SMITH, JR.", ("JOHN", None, "SMITH")),
    ("MADONNA", (None, None, "MADONNA")),
    # review findings: letters after the name, the other order, a last name of several words
    ("JANE DOE L.AC.", ("JANE", None, "DOE")),
    ("JOHN SMITH MD", ("JOHN", None, "SMITH")),
    ("SMITH, JOHN", ("JOHN", None, "SMITH")),
    ("JOSE DE LA CRUZ", ("JOSE", None, "DE LA CRUZ")),
    ("ANNA M VAN DYKE", ("ANNA", "M", "VAN DYKE")),
])
def test_split_name_first_middle_last(name, parts):
    assert split_name(name, "first middle last") == parts


# -- LEIE ---------------------------------------------------------------------------------------

HEADER = ('"LASTNAME","FIRSTNAME","MIDNAME","BUSNAME","GENERAL","SPECIALTY","UPIN","NPI","DOB",'
          '"ADDRESS","CITY","STATE","ZIP","EXCLTYPE","EXCLDATE","REINDATE","WAIVERDATE",'
          '"WVRSTATE"\r\n')


def _csv(*rows: str) -> io.StringIO:
    return io.StringIO(HEADER + "".join(r + "\r\n" for r in rows), newline="")


def test_leie_keeps_our_npis_and_acupuncturists_only():
    text = _csv(
        '"LEE","ANNA","K","","INDIVIDUAL (NO SPECIALTY)","","","1234567893","19700102",'
        '"1 MAIN ST","SEATTLE","WA","98101","1128a1","20200115","00000000","00000000",""',
        '"DOE","JOHN","","","OTHER BUSINESS","ACUPUNCTURIST","","0000000000","00000000",'
        '"2 ELM ST","DENVER","CO","80202","1128b4","20190301","00000000","00000000",""',
        '"ROE","RICHARD","","","NURSING PROFESSION","NURSE/NURSES AIDE","","1999999999",'
        '"19600101","3 OAK","AUSTIN","TX","78701","1128b7","20180101","00000000","00000000",""',
    )
    records = list(oig_leie.parse_csv(text, "u", "t", npis={"1234567893"}))
    assert [type(r) for r in records] == [Exclusion, Exclusion]
    lee, doe = records
    assert (lee.npi, lee.last_name, lee.born_on, lee.excluded_on, lee.reinstated_on,
            lee.exclusion_type, lee.zip) == ("1234567893", "LEE", "1970-01-02", "2020-01-15", None,
                                             "1128a1", "98101")
    assert (doe.npi, doe.specialty, doe.born_on) == (None, "ACUPUNCTURIST", None)
    assert lee.exclusion_id != doe.exclusion_id


def test_leie_odd_values_are_left_out_and_unreadable_lines_rejected():
    text = _csv(
        '"LEE","ANNA","","","","ACUPUNCTURIST","","12345","19700102","","","WA","","1128a1",'
        '"20200115","00000000","00000000",""',
        '"KIM","BO","","","","ACUPUNCTURIST","","0000000000","19701340","","","WA","","1128a1",'
        '"20200115","00000000","00000000",""',
        '"PARK","JO","","","","ACUPUNCTURIST","","0000000000"',
        '"CHO","MI","","","","ACUPUNCTURIST","","0000000000","00000000","","","WA","","1128a1",'
        '"20210115","20230101","00000000",""',
    )
    records = list(oig_leie.parse_csv(text, "u", "t", npis=set()))
    assert [(type(r).__name__, getattr(r, "reason", None), getattr(r, "stored", None))
            for r in records] == [
        ("Exclusion", None, None), ("Reject", "malformed NPI '12345' (stored without it)", True),
        ("Exclusion", None, None),
        ("Reject", "DOB: unrecognized date '19701340' (stored without it)", True),
        ("Reject", "line 4: 8 fields, expected 18", False),
        ("Exclusion", None, None)]
    assert (records[0].npi, records[2].born_on, records[5].reinstated_on) == (
        None, None, "2023-01-01")


def test_leie_header_without_needed_columns():
    with pytest.raises(ParseError, match="header lacks NPI, EXCLTYPE"):
        list(oig_leie.parse_csv(io.StringIO("LASTNAME,FIRSTNAME,EXCLDATE\r\n"), "u", "t", set()))
