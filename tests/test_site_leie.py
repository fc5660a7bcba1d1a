"""The OIG LEIE stand-in through real HTTP: the file's layout, conditional requests, the monthly
supplements, and the generated exclusions that name NPPES acupuncturists."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest

from tests.sites.leie import (
    LEIE_COLUMNS,
    NO_DATE,
    NO_NPI,
    LeieSite,
    following_month,
    generate_leie_rows,
    leie_csv,
    next_month,
)
from tests.sites.nppes_data import generate_providers, is_valid_npi, primary_location
from tests.sites.server import SiteServer, fetch

HEADER = ("LASTNAME,FIRSTNAME,MIDNAME,BUSNAME,GENERAL,SPECIALTY,UPIN,NPI,DOB,ADDRESS,CITY,STATE,"
          "ZIP,EXCLTYPE,EXCLDATE,REINDATE,WAIVERDATE,WVRSTATE")
UPDATED = "/exclusions/downloadables/UPDATED.csv"


@pytest.fixture(scope="module")
def providers() -> list[dict]:
    return generate_providers(3000)


@pytest.fixture(scope="module")
def data(providers):
    return generate_leie_rows(providers, n_unrelated=600)


@pytest.fixture
def stand_in(data):
    site = LeieSite.from_data(data)
    with SiteServer() as server:
        server.add_site("/exclusions/", site)
        yield server, site
        assert server.errors == []


def parse(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def test_header_quoting_and_line_ends(stand_in, data):
    server, _ = stand_in
    status, headers, body = fetch(server.url + UPDATED)
    assert status == 200 and headers["Content-Type"] == "text/csv"
    lines = body.split(b"\r\n")
    assert lines[0].decode() == HEADER  # the header is not quoted
    assert lines[-1] == b"" and b"\n" not in body.replace(b"\r\n", b"")  # CRLF only
    for line in lines[1:-1]:
        fields = next(csv.reader([line.decode()]))
        assert len(fields) == 18
        # every field quoted, even empty ones: 18 fields give 36 quotes at least
        assert line.startswith(b'"') and line.endswith(b'"') and line.count(b'"') >= 36
    assert parse(body) == data.rows


def test_field_conventions(data):
    rows = data.rows
    assert all(tuple(row) == LEIE_COLUMNS for row in rows)
    assert all(row["REINDATE"] == NO_DATE for row in rows)  # the reinstated are gone
    for row in rows:
        assert row["NPI"] == NO_NPI or is_valid_npi(row["NPI"]), row
        for name in ("EXCLDATE", "REINDATE", "WAIVERDATE"):
            assert re.fullmatch(r"\d{8}", row[name]), row
        assert row["DOB"] == "" or re.fullmatch(r"(19|20)\d{6}", row["DOB"]), row
        assert re.fullmatch(r"1128[ab]\d+|1128Aa|1156", row["EXCLTYPE"]), row
        assert bool(row["BUSNAME"]) != bool(row["LASTNAME"]), row
    npis = Counter(row["NPI"] == NO_NPI for row in rows)
    assert npis[True] > 3 * npis[False]  # most rows have no NPI
    businesses = [row for row in rows if row["BUSNAME"]]
    assert businesses and all(row["DOB"] == "" and row["FIRSTNAME"] == "" for row in businesses)
    assert rows[: len(businesses)] == businesses  # sorted by last name: businesses first
    assert [r["LASTNAME"] for r in rows] == sorted(r["LASTNAME"] for r in rows)
    assert {"NURSE/NURSES AIDE", "PHARMACY", "HOME HEALTH AGENCY"} <= {r["SPECIALTY"] for r in rows}


def test_truth_names_nppes_acupuncturists(providers, data):
    by_npi = {int(p["number"]): p for p in providers}
    kinds = Counter(t.kind for t in data.truth)
    assert kinds == {"npi": 40, "name-only": 10}
    for truth in data.truth:
        row, provider = data.rows[truth.row], by_npi[truth.npi]
        assert row["LASTNAME"] == provider["basic"]["last_name"].replace(
            "<script>alert(1)</script>", "")
        assert row["FIRSTNAME"] == provider["basic"]["first_name"]
        assert row["STATE"] == primary_location(provider)["state"]
        assert row["NPI"] == (str(truth.npi) if truth.kind == "npi" else NO_NPI)
        assert row["SPECIALTY"] in ("ACUPUNCTURIST", "CHIROPRACTIC") \
            or row["GENERAL"] == "INDIVIDUAL (NO SPECIALTY)"
    npi_rows = {row["NPI"] for row in data.rows} - {NO_NPI}
    assert {str(t.npi) for t in data.truth if t.kind == "npi"} <= npi_rows
    unrelated = npi_rows - {str(t.npi) for t in data.truth}
    assert unrelated and not unrelated & {str(n) for n in by_npi}  # strangers' NPIs only


def test_conditional_requests_and_a_new_month(stand_in, data, providers):
    server, site = stand_in
    status, headers, body = fetch(server.url + UPDATED)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert modified == data.last_modified == "Tue, 10 Mar 2026 14:00:00 GMT"
    assert fetch(server.url + UPDATED, {"If-None-Match": etag})[0] == 304
    assert fetch(server.url + UPDATED, {"If-Modified-Since": modified})[0] == 304

    following = next_month(data, providers)
    site.publish(following)
    status, headers, fresh = fetch(server.url + UPDATED, {"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    assert headers["Last-Modified"] == "Fri, 10 Apr 2026 14:00:00 GMT"
    assert parse(fresh) == following.rows


def test_reinstatement_and_exclusion_supplements(stand_in, data):
    server, _ = stand_in
    base = server.url + "/exclusions/downloadables/"
    status, headers, flat = fetch(base + "2602REIN.csv")
    assert status == 200 and headers["Content-Type"] == "text/csv"
    assert fetch(base + "2026/2602rein.csv")[2] == flat  # the path the real site uses
    assert flat.split(b"\r\n")[0].decode() == HEADER
    rein = parse(flat)
    assert rein == data.reinstated and len(rein) == 5
    assert all(row["REINDATE"].startswith("202602") for row in rein)
    updated = {tuple(row.values()) for row in data.rows}
    assert not any(tuple(dict(row, REINDATE=NO_DATE).values()) in updated for row in rein)

    excl = parse(fetch(base + "2026/2602excl.csv")[2])
    assert excl == data.added and excl
    assert all(row["EXCLDATE"].startswith("202602") for row in excl)
    for missing in ("2601REIN.csv", "2025/2602rein.csv", "2603EXCL.csv", "nothing.csv"):
        assert fetch(base + missing)[0] == 404


def test_next_month_reinstates_and_adds(data, providers):
    following = next_month(data, providers)
    assert following.month == "2603" == following_month(data.month)
    old_npis = {t.npi for t in data.truth}
    new_npis = {t.npi for t in following.truth}
    reinstated = old_npis - new_npis
    assert len(reinstated) == 3
    assert {int(row["NPI"]) for row in following.reinstated if row["NPI"] != NO_NPI} >= reinstated
    assert all(row["REINDATE"].startswith("202603") for row in following.reinstated)
    assert len(following.reinstated) == 5  # three acupuncturists and two others
    added_npis = new_npis - old_npis
    assert len(added_npis) == 2
    assert len(following.added) == 10
    assert all(row["EXCLDATE"].startswith("202603") for row in following.added)
    assert len(following.rows) == len(data.rows) - 5 + 10
    for truth in following.truth:  # the truth follows the re-sorted rows
        row = following.rows[truth.row]
        assert row["NPI"] in (str(truth.npi), NO_NPI)
    assert next_month(data, providers).rows == following.rows  # deterministic


def test_generation_is_deterministic_and_scales(providers):
    first = generate_leie_rows(providers, n_unrelated=300, seed=3)
    assert first.rows == generate_leie_rows(providers, n_unrelated=300, seed=3).rows
    assert first.rows != generate_leie_rows(providers, n_unrelated=300, seed=4).rows
    # The real file: ~80,000 rows in ~15 MB. Row size here extrapolates to the same.
    sized = generate_leie_rows(providers, n_unrelated=3000)
    per_row = len(leie_csv(sized.rows)) / len(sized.rows)
    assert 12e6 < per_row * 80_000 < 18e6
