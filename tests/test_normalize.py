"""The normalizers every source shares."""

from __future__ import annotations

import pytest

from scraper import normalize as n


@pytest.mark.parametrize("value,expected", [
    ("LAC.0012345", "12345"), ("ac-12345", "12345"), ("AC 012345", "12345"), ("12345", "12345"),
    (" L.Ac. 00777 ", "777"), ("POD001259", "POD001259"), ("AC0000", "0"), ("", None), (None, None),
    ("ACU 42", "42"), ("lac12345", "12345"),
])
def test_license_number(value, expected):
    assert n.license_number(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("O'BRIEN", "O'Brien"), ("SMITH-JONES", "Smith-Jones"), ("MCDONALD", "McDonald"),
    ("VAN DER BERG", "Van der Berg"), ("de la Cruz", "de la Cruz"), ("  ANNA   LEE ", "Anna Lee"),
    ("", None),
])
def test_title_name(value, expected):
    assert n.title_name(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("615-712-7366", "615-712-7366"), ("(615) 712 7366", "615-712-7366"),
    ("+1 615.712.7366", "615-712-7366"), ("Not Available", None), ("12345", "12345"),
])
def test_phone(value, expected):
    assert n.phone(value) == expected


@pytest.mark.parametrize("value,zip5,formatted", [
    ("372118027", "37211", "37211-8027"), ("37211", "37211", "37211"),
    ("37211-8027", "37211", "37211-8027"), ("K1A 0B1", None, "K1A 0B1"), (None, None, None),
])
def test_postal_codes(value, zip5, formatted):
    assert (n.zip5(value), n.format_postal_code(value)) == (zip5, formatted)


@pytest.mark.parametrize("value,expected", [
    ("2006-06-29", "2006-06-29"), ("06/29/2006", "2006-06-29"), ("20060629", "2006-06-29"),
    ("2006-06-29T00:00:00.000", "2006-06-29"), ("", None),
])
def test_iso_date(value, expected):
    assert n.iso_date(value) == expected


@pytest.mark.parametrize("value", ["soon", "2020-02-30", "13/45/2020"])
def test_iso_date_rejects_nonsense(value):
    with pytest.raises(ValueError, match=f"unrecognized date '{value}'"):
        n.iso_date(value)


def test_clean_collapses_all_white_space_and_drops_placeholders():
    assert n.clean("  Anna\u00a0 Lee\n") == "Anna Lee"
    assert [n.clean(v) for v in ("Not Available", " n/a ", "", None, 0)] == [None] * 4 + ["0"]


def test_epoch_seconds_and_milliseconds():
    assert n.epoch_to_iso(1521244800) == "2018-03-17T00:00:00Z"
    assert n.epoch_to_iso(1521244800000) == "2018-03-17T00:00:00Z"
    assert n.epoch_to_iso(None) is None


@pytest.mark.parametrize("value,expected", [
    ("DAOM, L.Ac., Dipl. Ac.", ["DAOM", "L.Ac.", "Dipl. Ac."]),
    ("LAC", ["L.Ac."]), ("L.AC", ["L.Ac."]), ("Dipl. Ac. (NCCAOM)", ["Dipl. Ac."]),
    ("MD; L.Ac.", ["MD", "L.Ac."]), ("", []),
])
def test_credentials(value, expected):
    assert n.credentials(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("2019-05-14T00:00:00.000", "2019-05-14"), ("2019-05-14T00:00:00", "2019-05-14"),
    ("2019-05-14T00:00", "2019-05-14"), ("2019-05-14T13:45:00.000", "2019-05-14"),
])
def test_floating_timestamps_are_dates(value, expected):
    assert n.iso_date(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("--", None), ("-", None), ("NA", None), ("na", None), ("N.A.", None), ("N/A", None),
    ("NONE", None), ("0", None), ("000", None), ("", None), ("  ", None), (None, None),
    ("JR.", "JR."), ("III", "III"), ("AC00123", "AC00123"), ("0123", "0123"), ("NAD", "NAD"),
    ("  DR. ", "DR."),
])
def test_drop_placeholder(value, expected):
    assert n.drop_placeholder(value) == expected


def test_person_name_never_carries_a_placeholder_suffix():
    assert n.person_name("JANE", None, "DOE", "--") == "Jane Doe"
    assert n.person_name("JANE", None, "DOE", "JR.") == "Jane Doe JR."


def test_pennsylvania_and_nevada_prefixes_are_dropped_and_stored_numbers_follow(tmp_path):
    """m021: PA's "AU" and NV's "OMD" compare like the bare digits; an NPPES number stored
    before the rule changed is renormalized, a word that only starts alike is left alone."""
    from db.migrations import migrations, open_db
    from scraper.normalize import license_number

    assert license_number("AU-0326828") == license_number("326828") == "326828"
    assert license_number("OMD 447") == "447" and license_number("AUSTIN") == "AUSTIN"
    db = open_db(tmp_path / "p.db")
    db.execute("pragma foreign_keys = off")
    db.execute("insert into provider_taxonomies (npi, code, state, license_number, "
               "license_number_normalized) values ('1', '171100000X', 'PA', 'AU0326828', "
               "'AU326828'), ('2', '171100000X', 'NV', 'omd-447', 'OMD447'), "
               "('3', '171100000X', 'PA', 'AUX', 'AUX')")
    db.execute("delete from _sqlite_migrations where name like 'm021_%'")
    migrations.apply(db)
    rows = dict(db.execute("select npi, license_number_normalized from provider_taxonomies"))
    assert rows == {"1": "326828", "2": "447", "3": "AUX"}
