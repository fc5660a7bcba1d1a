"""The mapping and storing of the NPPES rows, made cheaper for issue 16 (the import at least as
fast as stdlib inflation alone): each shortcut must give what the plain way gives. The speed
itself is bench/bench_nppes_bulk.py's."""

from __future__ import annotations

import pytest

from db.store import PROVIDER_TRACKED, provider_rows
from scraper import npidata
from scraper.normalize import iso_date, person_name
from scraper.sources.nppes_bulk import read_zip
from tests.sites.nppes_bulk import HEADER, write_zip
from tests.sites.nppes_data import generate_providers
from tests.test_store import _providers

NAMES = [None, "", "JANE", "jane", "Jane", "O'BRIEN-SMITH", "MCDONALD", "VAN DER BERG",
         "DE LA CRUZ", "  MARY   ANN ", "NA", "--", "X" * 81, "ŁUKASZ", "MACK"]


@pytest.mark.parametrize("first", NAMES[:8])
@pytest.mark.parametrize("last", NAMES[5:])
def test_a_person_name_from_remembered_parts_is_the_plain_one(first, last):
    for middle in (None, "Q", "MARIE CLAIRE"):
        for suffix in (None, "JR.", "--", "NA", "III"):
            expected = person_name(first, middle, last, suffix)
            assert npidata._person_name(first, middle, last, suffix) == expected
            assert npidata._person_name(first, middle, last, suffix) == expected  # remembered


def test_a_remembered_function_raises_each_time_and_forgets_past_its_bound(monkeypatch):
    for _ in range(2):  # a bad date is not remembered as anything
        with pytest.raises(ValueError, match="unrecognized date"):
            npidata._iso_date("13/45/2020")
    long = "05/23/2005" + " " * 100  # too long to be remembered: worked out each time
    assert npidata._iso_date(long) == iso_date(long) == "2005-05-23"
    monkeypatch.setattr(npidata, "_REMEMBERED_MAX", 3)
    calls: list[str | None] = []

    def upper(value: str | None) -> str | None:
        calls.append(value)
        return value.upper() if value else value

    remembered = npidata._remembering(upper)
    assert [remembered(v) for v in ("a", "b", "a", "c", "d", "a", None, None)] == \
        ["A", "B", "A", "C", "D", "A", None, None]
    assert calls == ["a", "b", "c", "d", "a", None]  # "d" filled it: all forgotten


# The hashes as store.provider_rows gave them before it read a provider's columns at once
# (2026-12-02): a change would make every stored provider look changed to the next import.
@pytest.mark.parametrize("npi,record_hash", [
    ("1437187390", "af66b3a3ba21a481b7572451b9e2638ca44cedc042e782c692103efe5d31c5ac"),
    ("1568946812", "957f0590ab34b927a4846d48c4653383d9fb84b121bbf01c461bcfca5e633de2"),
])
def test_the_providers_row_and_its_hash_are_as_before(npi, record_hash):
    provider = next(p for p in _providers() if p.npi == npi)
    row, _, _ = provider_rows(provider)
    assert row["record_hash"] == record_hash
    assert set(row) == set(PROVIDER_TRACKED) | {"npi", "record_hash"}
    assert row["display_name"] == provider.display_name and row["npi"] == npi


def test_the_code_in_any_slot_with_spaces_around_it_is_a_match(tmp_path):
    """The byte test's candidates are matched on the slots that hold a value; a slot's value
    is read as cleaned (spaces around it are no part of the code)."""
    people = generate_providers(n=40, seed=3)
    ours = [p for p in people if any(t["code"] == "171100000X" for t in p["taxonomies"])]
    path = write_zip(tmp_path / "m.zip", ours[:3])
    slot_15 = HEADER.index("Healthcare Provider Taxonomy Code_15")
    slot_1 = HEADER.index("Healthcare Provider Taxonomy Code_1")

    def move(data: bytes) -> bytes:  # the code moved to the last slot, with spaces around it
        lines = data.split(b"\r\n")
        fields = lines[1].split(b'","')
        assert fields[slot_1] == b"171100000X"
        fields[slot_1], fields[slot_15] = b"207Q00000X", b"  171100000X "
        lines[1] = b'","'.join(fields)
        return b"\r\n".join(lines)

    from tests.test_nppes_bulk import _rewrite

    got, stats = read_zip(_rewrite(path, move))
    assert stats.kept == 3 and len(got) == 3
    [moved] = [p for p in got if any(t.code == "207Q00000X" for t in p.taxonomies)]
    assert [t.code for t in moved.taxonomies][-1] == "171100000X"


def test_skipping_the_empty_slots_gives_the_same_provider():
    """``filled`` spares asking the columns of empty taxonomy and identifier slots; a slot
    that is not empty but reads as none (spaces) is asked, and skipped, as before."""
    from functools import partial

    from tests.sites.nppes_bulk import bulk_row

    columns = npidata.Columns(HEADER, "f")
    descriptions = npidata.taxonomy_descriptions()
    people = generate_providers(n=200, seed=5)
    asked_identifiers = 0
    for n, person in enumerate(people):
        row = bulk_row(person)
        if n % 3 == 0:  # identifiers in scattered slots, a taxonomy slot of spaces
            for slot, value in ((2, "A123"), (17, "B456"), (50, "C789")):
                row[HEADER.index(f"Other Provider Identifier_{slot}")] = value
                row[HEADER.index(f"Other Provider Identifier Type Code_{slot}")] = "05"
            row[HEADER.index("Healthcare Provider Taxonomy Code_9")] = "   "
        plain = npidata.provider_from_row(columns.getter(row), "f", 0, descriptions, None)
        skipping = npidata.provider_from_row(columns.getter(row), "f", 0, descriptions, None,
                                             partial(columns.filled, row))
        assert skipping == plain
        asked_identifiers += len(plain.identifiers)
    assert asked_identifiers >= 3 * len(range(0, 200, 3))  # theirs, and those added
    assert columns.filled(["1"] + [""] * (len(HEADER) - 1), ("NPI", "No Such Column")) == [0]
