"""The Socrata (SODA) stand-in and its state license data, through real HTTP.

The scraper's tests trust this stand-in to behave like data.wa.gov and its sister portals, so its
rules (paging, strings only, nulls left out, url objects, SoQL, $group, refusals, throttling) and
the shape of the generated license data are pinned here. The datasets' fields and value forms
are checked against the evidence (../shared/SOURCES-EVIDENCE.md), written out in this file, so
that the stand-in stays a witness of the real sites rather than a mirror of the scraper.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import io
import json
import re
import time
from collections import Counter, defaultdict
from urllib.parse import urlencode

import pytest

from tests.sites.nppes_data import ACUPUNCTURIST_CODE, generate_providers
from tests.sites.serve import start_all
from tests.sites.server import SiteServer, fetch
from tests.sites.socrata import SodaDataset, SodaPortal
from tests.sites.socrata_data import (
    BAD_DATES,
    big_wa_dataset,
    generate_big_rows,
    generate_board_rows,
    normalize_license_number,
)

HOSTS = ["data.wa.gov", "data.colorado.gov", "data.ct.gov", "data.texas.gov", "data.illinois.gov"]
# The real datasets' fields, as ../shared/SOURCES-EVIDENCE.md ("Socrata (SODA) state boards",
# 2026-12-01) lists them, written out here rather than read from the stand-in.
EVIDENCE_FIELDS = {
    "data.wa.gov": [
        "credentialnumber", "lastname", "firstname", "middlename", "credentialtype", "status",
        "firstissuedate", "lastissuedate", "expirationdate", "actiontaken", "birthyear"],
    # licenselastreneweddate: missing from the evidence table's row, but named by the public
    # code that reads 7s5z-vewr (and by the brief of this stand-in).
    "data.colorado.gov": [
        "lastname", "firstname", "middlename", "suffix", "entityname", "city", "state",
        "mailzipcode", "licensetype", "subcategory", "licensenumber", "licensefirstissuedate",
        "licenselastreneweddate", "licenseexpirationdate", "licensestatusdescription",
        "specialty", "linktoverifylicense", "programaction", "casenumber",
        "disciplineeffectivedate"],
    "data.ct.gov": [
        "credentialid", "name", "type", "businessname", "dba", "fullcredentialcode",
        "credentialnumber", "credentialtype", "credential", "status", "statusreason",
        "issuedate", "effectivedate", "expirationdate", "city", "state", "zip"],
    "data.texas.gov": [
        "license_number", "first_name", "last_name", "license_type", "license_issue_date",
        "license_expiration_date", "registration_status", "license_status",
        "disciplinary_status", "degree", "practice_city", "practice_state", "practice_zip",
        "currently_licensed"],
    "data.illinois.gov": [
        "license_type", "description", "license_number", "license_status", "business",
        "first_name", "middle", "last_name", "suffix", "business_name", "businessdba",
        "original_issue_date", "effective_date", "expiration_date", "city", "state", "zip",
        "ever_disciplined", "specialty_qualifier"],
}
CO_VERIFY = "https://apps2.colorado.gov/dora/licensing/Lookup/LicenseLookup.aspx?"
STATUS_FIELD = {"data.wa.gov": "status", "data.colorado.gov": "licensestatusdescription",
                "data.ct.gov": "status", "data.texas.gov": "license_status",
                "data.illinois.gov": "license_status"}
ACTIVE = {"ACTIVE", "Active"}

TINY_ROWS = [
    {"name": "Ann O'Hara", "city": "Seattle", "score": 10, "born": "1980-01-02T00:00:00.000"},
    {"name": "bob", "city": "SEATTLE", "score": "7.5", "born": "1975-06-30T00:00:00.000",
     "note": ""},
    {"name": "Chen Wei", "city": None, "score": 12, "born": "N/A"},
    {"name": "Dana_X", "city": "Spokane", "born": "1990-12-31T00:00:00.000", "note": "50% off"},
    {"name": "Eve", "city": "Tacoma", "score": -3, "born": "2001-03-04T00:00:00.000"},
]
TINY_TYPES = {"name": "text", "city": "text", "score": "number", "born": "calendar_date",
              "note": "text"}


@pytest.fixture(scope="module")
def providers() -> list[dict]:
    return generate_providers()


@pytest.fixture(scope="module")
def boards(providers):
    return generate_board_rows(providers)


@pytest.fixture(scope="module")
def stand_in(boards):
    portals = {host: SodaPortal([board.dataset()]) for host, board in boards.items()}
    with SiteServer() as server:
        for host, portal in portals.items():
            server.add_site(f"/{host}", portal)
        server.add_site("/tiny.example", SodaPortal())
        server.add_site("/big.example", SodaPortal([big_wa_dataset()]))
        yield server, portals


@pytest.fixture
def server(stand_in) -> SiteServer:
    server, portals = stand_in
    server.reset_log()
    yield server
    server.clear_faults()
    for portal in portals.values():
        portal.throttle_every, portal.app_tokens = 0, None
    assert server.errors == []


@pytest.fixture
def tiny(stand_in) -> SodaDataset:
    """A five-row dataset, fresh for each test, at /tiny.example/resource/tiny-0001.json."""
    server, _ = stand_in
    dataset = SodaDataset("tiny-0001", [dict(row) for row in TINY_ROWS],
                          rows_updated_at=1_772_000_000, name="Tiny", columns=list(TINY_TYPES),
                          column_types=TINY_TYPES)
    server.sites["/tiny.example"].add(dataset)
    return dataset


def resource(server: SiteServer, host: str, dataset_id: str, headers=None, **params):
    return fetch(f"{server.url}/{host}/resource/{dataset_id}.json?{urlencode(params)}", headers)


def rows_of(server, host, dataset_id, **params) -> list[dict]:
    status, headers, body = resource(server, host, dataset_id, **params)
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/json")
    return json.loads(body)


def tiny_names(server, **params) -> list[str]:
    return [row["name"] for row in rows_of(server, "tiny.example", "tiny-0001", **params)]


def marker_where(board) -> str:
    """A $where selecting the stand-in's acupuncture rows: for testing the stand-in only (the
    scraper finds its own way to them)."""
    values = ", ".join("'" + v.replace("'", "''") + "'" for v in board.acupuncture_types)
    return f"{board.type_field} in ({values})"


def refusal(server, host, dataset_id, **params) -> str:
    status, headers, body = resource(server, host, dataset_id, **params)
    assert status == 400, body
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)
    assert error["error"] is True and error["message"]
    return error["code"]


def page_all(server, host, dataset_id, limit, **params) -> list[dict]:
    found, offset = [], 0
    while True:
        page = rows_of(server, host, dataset_id, **params, **{
            "$limit": limit, "$offset": offset, "$order": ":id"})
        found += page
        if len(page) < limit:
            return found
        offset += limit


# -- paging and the shape of answers -------------------------------------------------------------


def test_paging_by_id_covers_every_acupuncture_row_once(server, boards):
    board = boards["data.wa.gov"]
    expected = [row for row in board.rows if row["credentialtype"] in board.acupuncture_types]
    found = page_all(server, "data.wa.gov", board.dataset_id, 250,
                     **{"$where": marker_where(board)})
    assert found == expected  # whole rows, in :id order, none twice
    assert len(found) > 1000


def test_paging_without_a_filter_covers_the_whole_dataset(server, boards):
    board = boards["data.ct.gov"]
    assert page_all(server, "data.ct.gov", board.dataset_id, 100) == board.rows


def test_default_limit_is_1000_and_offset_past_the_end_is_empty(server, boards):
    board = boards["data.texas.gov"]
    assert len(rows_of(server, "data.texas.gov", board.dataset_id)) == 1000
    assert rows_of(server, "data.texas.gov", board.dataset_id,
                   **{"$offset": len(board.rows)}) == []


def test_values_are_strings_and_null_fields_are_left_out(server, tiny):
    rows = rows_of(server, "tiny.example", "tiny-0001")
    assert rows == [
        {"name": "Ann O'Hara", "city": "Seattle", "score": "10",
         "born": "1980-01-02T00:00:00.000"},
        {"name": "bob", "city": "SEATTLE", "score": "7.5", "born": "1975-06-30T00:00:00.000"},
        {"name": "Chen Wei", "score": "12", "born": "N/A"},
        {"name": "Dana_X", "city": "Spokane", "born": "1990-12-31T00:00:00.000",
         "note": "50% off"},
        {"name": "Eve", "city": "Tacoma", "score": "-3", "born": "2001-03-04T00:00:00.000"},
    ]


def test_board_answers_hold_strings_only_and_url_objects(server, boards):
    for host in HOSTS:
        board = boards[host]
        urls = {c for c, t in board.column_types.items() if t == "url"}
        for row in rows_of(server, host, board.dataset_id, **{"$limit": 2000}):
            assert set(row) <= set(board.columns)
            for name, value in row.items():
                if name in urls:
                    assert set(value) == {"url"} and value["url"].startswith("https://"), row
                else:
                    assert isinstance(value, str) and value, row
    wa = rows_of(server, "data.wa.gov", "qxh8-f4bd", **{"$limit": 2000})
    assert any("middlename" not in row for row in wa)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00\.000", row["firstissuedate"])
               for row in wa)


def test_answer_headers_name_the_fields(server, tiny):
    status, headers, body = resource(server, "tiny.example", "tiny-0001",
                                     **{"$select": "name, score", "$limit": 1})
    assert json.loads(headers["X-SODA2-Fields"]) == ["name", "score"]
    assert json.loads(headers["X-SODA2-Types"]) == ["text", "number"]
    assert headers["Last-Modified"] == email.utils.formatdate(1_772_000_000, usegmt=True)
    assert body.startswith(b'[{"name":"Ann O\'Hara","score":"10"}')


# -- SoQL ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("where, names", [
    ("name = 'bob'", ["bob"]),
    ("name = 'BOB'", []),  # string comparison is case-sensitive
    ("upper(name) = 'BOB'", ["bob"]),
    ("lower(city) = 'seattle'", ["Ann O'Hara", "bob"]),
    ("name = 'Ann O''Hara'", ["Ann O'Hara"]),
    ("`name` = 'Eve'", ["Eve"]),
    ("score > 9", ["Ann O'Hara", "Chen Wei"]),
    ("score > '9'", ["Ann O'Hara", "Chen Wei"]),  # a text literal read as a number
    ("score >= 7.5 AND score < 12", ["Ann O'Hara", "bob"]),
    ("score <> 10", ["bob", "Chen Wei", "Eve"]),  # null never matches
    ("score != 10", ["bob", "Chen Wei", "Eve"]),
    ("score <= -3", ["Eve"]),
    ("city IN ('Seattle', 'Tacoma')", ["Ann O'Hara", "Eve"]),
    ("city not in ('Seattle', 'Tacoma')", ["bob", "Dana_X"]),
    ("name LIKE '%e%'", ["Chen Wei", "Eve"]),
    ("name like 'b_b'", ["bob"]),
    ("name NOT LIKE '%a%'", ["bob", "Chen Wei", "Eve"]),
    ("note like '50%'", ["Dana_X"]),
    ("city IS NULL", ["Chen Wei"]),
    ("note IS NOT NULL", ["Dana_X"]),  # "" is a null too
    ("starts_with(name, 'Ch')", ["Chen Wei"]),
    ("born < '1985-01-01'", ["Ann O'Hara", "bob"]),
    ("born between '1980-01-01' and '1995-01-01'", ["Ann O'Hara", "Dana_X"]),
    ("NOT (city = 'Seattle') AND score > 0", ["bob"]),
    ("city = 'Seattle' OR city = 'Spokane'", ["Ann O'Hara", "Dana_X"]),
    ("(city = 'Seattle' OR score < 0) and name != 'Eve'", ["Ann O'Hara"]),
    ("city = 'Tacoma' oR name = 'bob'", ["bob", "Eve"]),
    ("name = 'nobody' OR city IS NULL", ["Chen Wei"]),
])
def test_where(server, tiny, where, names):
    assert tiny_names(server, **{"$where": where}) == names


@pytest.mark.parametrize("params, code", [
    ({"$where": "nosuch = 'x'"}, "query.soql.no-such-column"),
    ({"$where": "name = "}, "query.compiler.malformed"),
    ({"$where": "name = 'unterminated"}, "query.compiler.malformed"),
    ({"$where": "name = 'a' AND"}, "query.compiler.malformed"),
    ({"$where": "(name = 'a'"}, "query.compiler.malformed"),
    ({"$where": "name == 'a'"}, "query.compiler.malformed"),
    ({"$where": 'name = "a"'}, "query.compiler.malformed"),
    ({"$where": "name IN ('a', city)"}, "query.compiler.malformed"),
    ({"$where": "name"}, "query.soql.type-mismatch"),
    ({"$where": "name = 5"}, "query.soql.type-mismatch"),
    ({"$where": "born > 'soon'"}, "query.soql.type-mismatch"),
    ({"$where": "soundex(name) = 'x'"}, "query.soql.no-such-function"),
    ({"$order": "nosuch DESC"}, "query.soql.no-such-column"),
    ({"$select": "name, nosuch"}, "query.soql.no-such-column"),
    ({"$select": "name, count(*)"}, "query.soql.column-not-in-group-bys"),
    ({"$select": "name, count(*)", "$group": "city"}, "query.soql.column-not-in-group-bys"),
    ({"$group": "city"}, "query.soql.column-not-in-group-bys"),  # $select * is not grouped
    ({"$select": "city, count(*)", "$group": "city", "$order": "name"},
     "query.soql.column-not-in-group-bys"),
    ({"$select": "nosuch, count(*)", "$group": "nosuch"}, "query.soql.no-such-column"),
    ({"$select": "city, count(*)", "$group": "city,"}, "query.compiler.malformed"),
    ({"$select": "city, sum(score)", "$group": "city"}, "query.soql.no-such-function"),
    ({"$select": "city, count(*)", "$group": "city", "$having": "count(*) > 1"},
     "query.compiler.malformed"),
    ({"$limit": "50001"}, "query.compiler.malformed"),
    ({"$limit": "-1"}, "query.compiler.malformed"),
    ({"$offset": "ten"}, "query.compiler.malformed"),
    ({"$bogus": "1"}, "query.compiler.malformed"),
    ({"nosuch": "1"}, "query.soql.no-such-column"),
])
def test_refusals_are_400_with_a_json_body(server, tiny, params, code):
    assert refusal(server, "tiny.example", "tiny-0001", **params) == code


def test_no_such_column_message_names_the_column(server, boards):
    status, _, body = resource(server, "data.wa.gov", "qxh8-f4bd", **{"$where": "foo = 'x'"})
    assert status == 400
    assert json.loads(body)["message"].startswith("No such column: foo;")


@pytest.mark.parametrize("order, names", [
    ("score", ["Eve", "bob", "Ann O'Hara", "Chen Wei", "Dana_X"]),  # nulls last
    ("score DESC", ["Dana_X", "Chen Wei", "Ann O'Hara", "bob", "Eve"]),  # nulls first
    ("city, name DESC", ["bob", "Ann O'Hara", "Dana_X", "Eve", "Chen Wei"]),
    ("upper(city) asc, score desc", ["Ann O'Hara", "bob", "Dana_X", "Eve", "Chen Wei"]),
    (":id", ["Ann O'Hara", "bob", "Chen Wei", "Dana_X", "Eve"]),
    (":id DESC", ["Eve", "Dana_X", "Chen Wei", "bob", "Ann O'Hara"]),
])
def test_order(server, tiny, order, names):
    assert tiny_names(server, **{"$order": order}) == names


def test_select_simple_filters_count_and_hidden_id(server, tiny):
    rows = rows_of(server, "tiny.example", "tiny-0001", **{"$select": "name, score"})
    assert rows[3] == {"name": "Dana_X"}
    assert tiny_names(server, city="Tacoma") == ["Eve"]
    counted = rows_of(server, "tiny.example", "tiny-0001",
                      **{"$select": "count(*)", "$where": "score > 0"})
    assert counted == [{"count": "3"}]
    ids = rows_of(server, "tiny.example", "tiny-0001", **{"$select": ":id, name"})
    assert all(re.fullmatch(r"row-[a-z0-9]{4}~[a-z0-9]{4}\.[a-z0-9]{4}", r[":id"]) for r in ids)
    assert len({r[":id"] for r in ids}) == 5
    assert rows_of(server, "tiny.example", "tiny-0001", **{"$select": ":id, name"}) == ids
    assert ":id" not in rows_of(server, "tiny.example", "tiny-0001")[0]


# -- $group ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("params, rows", [
    # one object per group, in the order of each group's first row; a null group leaves its
    # field out; counts are strings
    ({"$select": "upper(city), count(*)", "$group": "upper(city)"},
     [{"upper_city": "SEATTLE", "count": "2"}, {"count": "1"},
      {"upper_city": "SPOKANE", "count": "1"}, {"upper_city": "TACOMA", "count": "1"}]),
    ({"$select": "upper(city) AS c, count(*) AS n", "$group": "upper(city)",
      "$order": "n DESC, c"},
     [{"c": "SEATTLE", "n": "2"}, {"c": "SPOKANE", "n": "1"}, {"c": "TACOMA", "n": "1"},
      {"n": "1"}]),
    ({"$select": "upper(city), count(*)", "$group": "upper(city)",
      "$order": "count(*) DESC, upper(city) DESC", "$limit": 2},
     [{"upper_city": "SEATTLE", "count": "2"}, {"count": "1"}]),  # nulls first descending
    ({"$select": "city, count(*)", "$group": "city", "$order": "city", "$offset": 3},
     [{"city": "Tacoma", "count": "1"}, {"count": "1"}]),
    # $where before grouping
    ({"$select": "upper(city), count(*)", "$group": "upper(city)", "$where": "score > 0"},
     [{"upper_city": "SEATTLE", "count": "2"}, {"count": "1"}]),
    # count(field) counts values, not rows; counts alone; a grouped field not selected
    ({"$select": "count(*), count(city), count(note) AS notes"},
     [{"count": "5", "count_city": "4", "notes": "1"}]),
    ({"$select": "count(*)", "$group": "upper(city)", "$order": "count(*)"},
     [{"count": "1"}, {"count": "1"}, {"count": "1"}, {"count": "2"}]),
    ({"$select": "city", "$group": "city", "$where": "city like 'S%'"},
     [{"city": "Seattle"}, {"city": "SEATTLE"}, {"city": "Spokane"}]),
    ({"$select": "count(*)", "$where": "name = 'nobody'"}, [{"count": "0"}]),
    ({"$select": "city, count(*)", "$group": "city", "$where": "name = 'nobody'"}, []),
])
def test_group(server, tiny, params, rows):
    assert rows_of(server, "tiny.example", "tiny-0001", **params) == rows


def test_group_answer_headers_and_csv(server, tiny):
    params = {"$select": "upper(city) AS c, count(*)", "$group": "upper(city)"}
    _, headers, _ = resource(server, "tiny.example", "tiny-0001", **params)
    assert json.loads(headers["X-SODA2-Fields"]) == ["c", "count"]
    assert json.loads(headers["X-SODA2-Types"]) == ["text", "number"]
    status, _, body = fetch(f"{server.url}/tiny.example/resource/tiny-0001.csv?"
                            + urlencode(params))
    assert status == 200
    assert body.decode().splitlines() == ['"c","count"', '"SEATTLE","2"', '"","1"',
                                          '"SPOKANE","1"', '"TACOMA","1"']


def test_distinct_values_of_a_board_field_with_their_counts(server, boards):
    # As SOURCES-EVIDENCE gives it: $select=<field>,count(*)&$group=<field>&$limit=50000
    board = boards["data.colorado.gov"]
    counted = rows_of(server, "data.colorado.gov", board.dataset_id, **{
        "$select": "licensetype,count(*)", "$group": "licensetype", "$limit": 50000})
    assert sorted((r["licensetype"], r["count"]) for r in counted) == sorted(
        (code, str(n)) for code, n in Counter(row["licensetype"] for row in board.rows).items())
    active = rows_of(server, "data.colorado.gov", board.dataset_id, **{
        "$select": "licensetype,count(*) AS n", "$group": "licensetype",
        "$where": "licensestatusdescription = 'Active'", "$order": "count(*) DESC"})
    expected = Counter(row["licensetype"] for row in board.rows
                       if row["licensestatusdescription"] == "Active")
    assert [int(r["n"]) for r in active] == sorted(expected.values(), reverse=True)
    assert {r["licensetype"]: int(r["n"]) for r in active} == expected


# -- URL-type columns --------------------------------------------------------------------------------


@pytest.mark.parametrize("where", [
    "upper(linktoverifylicense) like '%LOOKUP%'",  # real SoQL cannot upper() a url
    "linktoverifylicense like 'https%'",
    f"linktoverifylicense = '{CO_VERIFY}'",
    "starts_with(linktoverifylicense, 'https')",
])
def test_a_url_column_is_not_text(server, boards, where):
    assert refusal(server, "data.colorado.gov", "7s5z-vewr",
                   **{"$where": where}) == "query.soql.type-mismatch"


def test_a_url_column_answers_objects_and_exports_its_url(server, boards):
    board = boards["data.colorado.gov"]
    rows = rows_of(server, "data.colorado.gov", board.dataset_id, **{
        "$select": "licensenumber, linktoverifylicense", "$where": "linktoverifylicense IS NOT NULL",
        "$order": "linktoverifylicense", "$limit": 3})
    links = [row["linktoverifylicense"] for row in rows]
    assert all(set(link) == {"url"} for link in links)
    assert [link["url"] for link in links] == sorted(link["url"] for link in links)
    missing = rows_of(server, "data.colorado.gov", board.dataset_id, **{
        "$select": "count(*)", "$where": "linktoverifylicense IS NULL"})
    assert missing == [{"count": str(sum("linktoverifylicense" not in r for r in board.rows))}]

    status, headers, body = fetch(f"{server.url}/data.colorado.gov/resource/7s5z-vewr.csv?"
                                  + urlencode({"$select": "linktoverifylicense", "$limit": 1,
                                               "$where": "linktoverifylicense IS NOT NULL"}))
    assert status == 200 and json.loads(headers["X-SODA2-Types"]) == ["url"]
    assert body.decode().splitlines()[1].startswith(f'"{CO_VERIFY}')
    _, _, export = fetch(f"{server.url}/data.colorado.gov/api/views/7s5z-vewr/rows.csv")
    exported = list(csv.DictReader(io.StringIO(export.decode())))
    assert len(exported) == len(board.rows)
    assert [r["Link to Verify License"] for r in exported] == [
        row.get("linktoverifylicense", {}).get("url", "") for row in board.rows]


def test_unknown_dataset_is_a_json_404(server):
    for path in ("/data.wa.gov/resource/abcd-1234.json", "/data.wa.gov/api/views/abcd-1234.json"):
        status, headers, body = fetch(server.url + path)
        assert status == 404
        error = json.loads(body)
        assert error["code"] == "not_found" and error["error"] is True and error["message"]


# -- metadata, exports, updates --------------------------------------------------------------------


def test_metadata(server, boards):
    for host in HOSTS:
        board = boards[host]
        status, headers, body = fetch(f"{server.url}/{host}/api/views/{board.dataset_id}.json")
        assert status == 200
        meta = json.loads(body)
        assert meta["id"] == board.dataset_id and meta["name"] == board.name
        assert meta["rowsUpdatedAt"] == board.rows_updated_at
        assert isinstance(meta["rowsUpdatedAt"], int)
        assert [c["fieldName"] for c in meta["columns"]] == board.columns
        assert {c["dataTypeName"] for c in meta["columns"]} <= {"text", "number",
                                                                 "calendar_date", "url"}


@pytest.mark.parametrize("host", HOSTS)
def test_each_board_serves_the_real_datasets_fields(server, boards, host):
    board = boards[host]
    _, _, body = fetch(f"{server.url}/{host}/api/views/{board.dataset_id}.json")
    columns = json.loads(body)["columns"]
    assert [c["fieldName"] for c in columns] == EVIDENCE_FIELDS[host]
    fields = set(EVIDENCE_FIELDS[host])
    assert set().union(*board.rows) <= fields
    # every field holds something somewhere, the optional ones included
    assert set().union(*board.rows) == fields, fields - set().union(*board.rows)


def test_an_update_changes_rows_updated_at_and_the_etag(server, tiny):
    url = f"{server.url}/tiny.example/resource/tiny-0001.json"
    _, headers, first = fetch(url)
    etag = headers["ETag"]
    assert fetch(url, {"If-None-Match": etag})[0] == 304
    assert fetch(url + "?name=Eve")[2] == b'[{"name":"Eve","city":"Tacoma","score":"-3",' \
        b'"born":"2001-03-04T00:00:00.000"}]'

    tiny.rows[4]["city"] = "Olympia"
    tiny.touch(rows_updated_at=1_773_000_000)
    meta = json.loads(fetch(f"{server.url}/tiny.example/api/views/tiny-0001.json")[2])
    assert meta["rowsUpdatedAt"] == 1_773_000_000
    status, headers, second = fetch(url, {"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag and second != first
    assert tiny_names(server, city="Olympia") == ["Eve"]  # the cached match was dropped


def test_rows_csv_export(server, boards):
    board = boards["data.ct.gov"]
    status, headers, body = fetch(f"{server.url}/data.ct.gov/api/views/ngch-56tr/rows.csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    lines = body.decode().splitlines()
    assert lines[0] == ",".join(board.column_names[c] for c in board.columns)
    assert len(lines) == len(board.rows) + 1


def test_faults_are_injected_as_for_every_stand_in(server):
    server.inject("/data.wa.gov/resource/", status=503, headers={"Retry-After": "2"})
    status, headers, _ = resource(server, "data.wa.gov", "qxh8-f4bd", **{"$limit": 1})
    assert (status, headers["Retry-After"]) == (503, "2")
    assert resource(server, "data.wa.gov", "qxh8-f4bd", **{"$limit": 1})[0] == 200


# -- throttling ------------------------------------------------------------------------------------


def test_requests_without_a_token_are_throttled(server, stand_in):
    portal = stand_in[1]["data.colorado.gov"]
    portal.throttle_every, before = 3, portal.throttled
    answers = [resource(server, "data.colorado.gov", "7s5z-vewr", **{"$limit": 1})
               for _ in range(6)]
    assert [status for status, _, _ in answers] == [200, 200, 429, 200, 200, 429]
    _, headers, body = answers[2]
    assert headers["Retry-After"] == "1"
    assert json.loads(body)["error"] is True
    assert portal.throttled - before == 2


def test_requests_with_a_token_are_never_throttled(server, stand_in):
    portal = stand_in[1]["data.colorado.gov"]
    portal.throttle_every, before = 1, portal.throttled
    for _ in range(4):
        assert resource(server, "data.colorado.gov", "7s5z-vewr",
                        **{"$limit": 1, "$$app_token": "tok"})[0] == 200
        assert resource(server, "data.colorado.gov", "7s5z-vewr", {"X-App-Token": "tok"},
                        **{"$limit": 1})[0] == 200
    assert portal.throttled == before
    portal.app_tokens = {"tok"}
    assert resource(server, "data.colorado.gov", "7s5z-vewr", {"X-App-Token": "bad"})[0] == 403


# -- the big lazy dataset ----------------------------------------------------------------------------


def test_a_lazy_dataset_of_500k_rows_pages_quickly(server):
    count, row_fn = generate_big_rows()
    assert count == 500_000
    started = time.perf_counter()
    page = rows_of(server, "big.example", "qxh8-f4bd",
                   **{"$order": ":id", "$offset": 499_000, "$limit": 1000})
    assert time.perf_counter() - started < 0.5
    assert page == [row_fn(i) for i in range(499_000, 500_000)]
    assert rows_of(server, "big.example", "qxh8-f4bd",
                   **{"$order": ":id", "$offset": 500_000}) == []
    started = time.perf_counter()
    active = rows_of(server, "big.example", "qxh8-f4bd",
                     **{"$where": "status = 'ACTIVE'", "$order": ":id", "$limit": 500})
    assert time.perf_counter() - started < 0.5  # scans only as far as the page
    assert len(active) == 500 and {row["status"] for row in active} == {"ACTIVE"}


def test_lazy_rows_are_deterministic_and_numbers_unique():
    _, row_fn = generate_big_rows(1000, seed=7)
    _, again = generate_big_rows(1000, seed=7)
    rows = [row_fn(i) for i in range(1000)]
    assert rows == [again(i) for i in range(1000)]
    assert len({row["credentialnumber"] for row in rows}) == 1000
    _, other_seed = generate_big_rows(1000, seed=8)
    assert rows != [other_seed(i) for i in range(1000)]
    with pytest.raises(IndexError):
        row_fn(1000)


# -- the generated license data ----------------------------------------------------------------------


def test_every_nppes_acupuncturist_in_the_five_states_has_a_board_row(providers, boards):
    by_state = {board.state: board for board in boards.values()}
    checked = 0
    for provider in providers:
        if provider["enumeration_type"] != "NPI-1":
            continue
        npi = int(provider["number"])
        for taxonomy in provider["taxonomies"]:
            board = by_state.get(taxonomy["state"])
            if taxonomy["code"] != ACUPUNCTURIST_CODE or board is None:
                continue
            wanted = normalize_license_number(taxonomy["license"])
            rows = [board.rows[t.row] for t in board.acupuncture_truth() if t.npi == npi]
            assert rows, (npi, board.state)
            if wanted:  # NPPES sometimes leaves the number out
                assert {normalize_license_number(r.get(board.number_field)) for r in rows} \
                    == {wanted}, (npi, taxonomy["license"], rows)
                checked += 1
    assert checked > 3000


def test_board_numbers_are_written_in_the_boards_format(boards):
    patterns = {"data.wa.gov": r"AC\d{8}", "data.colorado.gov": r"[1-9]\d*",
                "data.ct.gov": r"\d{6,7}", "data.texas.gov": r"AC\d{5}",
                "data.illinois.gov": r"016\.\d{6}"}
    for host, board in boards.items():
        for truth in board.acupuncture_truth():
            number = board.rows[truth.row].get(board.number_field)
            assert number is None or re.fullmatch(patterns[host], number), (host, number)


def test_truth_covers_every_row_and_matches_the_type(boards):
    for board in boards.values():
        assert [t.row for t in board.truth] == list(range(len(board.rows)))
        for truth in board.truth:
            acupuncture = board.rows[truth.row][board.type_field] in board.acupuncture_types
            assert acupuncture == (truth.kind != "other-profession"), truth


def test_counts_no_npi_share_and_other_professions(boards):
    for board in boards.values():
        kinds = Counter(t.kind for t in board.truth)
        acupuncture = board.acupuncture_truth()
        licenses = {board.rows[t.row].get(board.number_field) for t in acupuncture}
        without_npi = {board.rows[t.row].get(board.number_field) for t in acupuncture
                       if t.npi is None}
        assert 0.10 < len(without_npi) / len(licenses) < 0.20, board.state
        assert kinds["other-profession"] >= len(acupuncture), board.state
        assert kinds["bad-row"] >= 6, board.state
        assert any(t.kind == "other-profession" and t.npi for t in board.truth) \
            or board.state == "CT", board.state  # providers' other licenses


def test_statuses_are_spread_in_each_boards_words(boards):
    for host, board in boards.items():
        statuses = Counter(board.rows[t.row][STATUS_FIELD[host]] for t in board.acupuncture_truth())
        active = sum(n for word, n in statuses.items() if word in ACTIVE)
        assert 0.6 < active / sum(statuses.values()) < 0.8, (host, statuses)
        assert len(statuses) >= 6, (host, statuses)
        assert statuses["PENDING AUDIT"] + statuses["Pending Audit"] == 2


def test_bad_rows_in_every_dataset(boards):
    for board in boards.values():
        bad = [board.rows[t.row] for t in board.truth if t.kind == "bad-row"]
        assert any(board.number_field not in row for row in bad), board.state
        values = {value for row in bad for value in row.values() if isinstance(value, str)}
        assert values >= set(BAD_DATES), board.state


def test_names_differ_slightly_from_nppes(providers, boards):
    by_npi = {int(p["number"]): p["basic"] for p in providers}
    board = boards["data.illinois.gov"]
    dropped = cut = recased = 0
    for truth in board.acupuncture_truth():
        if truth.npi is None:
            continue
        row, basic = board.rows[truth.row], by_npi[truth.npi]
        assert row["last_name"].upper() == basic["last_name"].replace(
            "<script>alert(1)</script>", "").upper()
        middle = basic.get("middle_name", "")
        dropped += bool(middle) and "middle" not in row
        cut += len(middle) > 1 and len(row.get("middle", "")) == 1
        recased += row["last_name"] != row["last_name"].upper()
    assert dropped > 20 and cut > 5 and recased > 5


def test_texas_first_name_may_hold_the_middle_initial(providers, boards):
    by_npi = {int(p["number"]): p["basic"] for p in providers}
    board = boards["data.texas.gov"]
    with_initial = 0
    for truth in board.acupuncture_truth():
        if truth.npi is None:
            continue
        row, basic = board.rows[truth.row], by_npi[truth.npi]
        first, _, initial = row["first_name"].upper().partition(" ")
        assert first == basic["first_name"].upper(), row
        if initial:  # "ADA M"
            assert initial == basic["middle_name"][0].upper(), (row, basic)
            with_initial += 1
    assert with_initial > 100


def test_texas_has_the_real_fields_and_no_guessed_ones(server, boards):
    board = boards["data.texas.gov"]
    for guessed in ("middle_name", "issue_date", "expiration_date", "city", "state", "zip"):
        assert refusal(server, "data.texas.gov", board.dataset_id,
                       **{"$where": f"{guessed} IS NULL"}) == "query.soql.no-such-column"
        assert all(guessed not in row for row in board.rows)
    acupuncture = [board.rows[t.row] for t in board.acupuncture_truth()]
    assert {row["license_type"] for row in acupuncture} == {"Acupuncturist License"}
    assert all(row["practice_state"] and re.fullmatch(r"\d{5}", row["practice_zip"])
               for row in acupuncture)
    discipline = Counter(row["disciplinary_status"] for row in board.rows)
    assert discipline.most_common(1)[0][0] == "NONE"
    assert any(status.startswith("Board Order - ") for status in discipline)
    assert {row["currently_licensed"] for row in board.rows} == {"Y", "N"}
    assert {row["license_type"] for row in board.rows} >= {"Physician License"}


def test_washington_credential_types_are_title_case_with_a_capital_and(boards):
    board = boards["data.wa.gov"]
    types = {row["credentialtype"] for row in board.rows}
    assert types >= {"Registered Nurse License", "Physician And Surgeon License",
                     "Massage Therapist License"}
    for value in types:
        assert all(word[0].isupper() for word in value.split()), value
        assert value.endswith(" License") and " and " not in value, value
    acupuncture = {board.rows[t.row]["credentialtype"] for t in board.acupuncture_truth()}
    assert acupuncture == {"Acupuncture And Eastern Medicine Practitioner License",
                           "East Asian Medicine Practitioner License"}
    assert {row["actiontaken"] for row in board.rows} == {"Yes", "No"}


def test_colorado_license_types_are_short_codes_with_a_link_per_license(server, boards):
    board = boards["data.colorado.gov"]
    codes = Counter(row["licensetype"] for row in board.rows)
    assert all(re.fullmatch(r"[A-Z]{2,4}", code) for code in codes), codes
    assert {"RN", "MT", "ME", "JW", "COS", "APN", "ARC", "EC", "PDO"} <= set(codes)
    assert {board.rows[t.row]["licensetype"] for t in board.acupuncture_truth()} == {"AC"}
    assert rows_of(server, "data.colorado.gov", board.dataset_id, **{
        "$select": "count(*)", "$where": "licensetype = 'Acupuncturist'"}) == [{"count": "0"}]
    links = defaultdict(set)
    for row in board.rows:
        if "licensenumber" in row:
            link = row["linktoverifylicense"]
            assert link["url"].startswith(CO_VERIFY), link
            links[(row["licensetype"], row["licensenumber"])].add(link["url"])
    assert all(len(urls) == 1 for urls in links.values())  # one per license, on each case row
    assert len({url for urls in links.values() for (url,) in [tuple(urls)]}) == len(links)
    businesses = [row for row in board.rows if "entityname" in row]
    assert businesses and all("lastname" not in row for row in businesses)
    assert all("entityname" not in board.rows[t.row] for t in board.acupuncture_truth())
    zips = [row["mailzipcode"] for row in board.rows]
    assert all(re.fullmatch(r"\d{5}(-\d{4})?", z) for z in zips)
    assert any("-" in z for z in zips)


def test_connecticut_names_types_and_codes(providers, boards):
    by_npi = {int(p["number"]): p["basic"] for p in providers}
    board = boards["data.ct.gov"]
    for truth in board.acupuncture_truth():
        row = board.rows[truth.row]
        assert row["type"] == "INDIVIDUAL" and row["credential"] == "Acupuncturist"
        assert "businessname" not in row
        if truth.npi is not None:
            basic = by_npi[truth.npi]
            last = basic["last_name"].replace("<script>alert(1)</script>", "")
            pattern = (rf"{re.escape(basic['first_name'])}(?: [A-Z])? {re.escape(last)}"
                       r"(?: (?:JR|SR|II|III))?")
            assert re.fullmatch(pattern, row["name"].upper()), (row["name"], basic)
        if "credentialnumber" in row:
            assert row["fullcredentialcode"] == f"ACUP.{row['credentialnumber']}"
    assert any(re.fullmatch(r"\S+ [A-Z] \S+", board.rows[t.row]["name"])
               for t in board.acupuncture_truth())
    types = Counter(row["type"] for row in board.rows)
    assert set(types) == {"INDIVIDUAL", "BUSINESS", "LLC"}
    for row in board.rows:
        if row["type"] != "INDIVIDUAL":
            assert row["businessname"] == row["name"] and row["credential"] != "Acupuncturist"
    codes = defaultdict(set)
    for row in board.rows:
        assert re.fullmatch(r"\d{1,3}", row["credentialtype"]), row
        codes[row["credential"]].add(row["credentialtype"])
    assert all(len(c) == 1 for c in codes.values())  # one numeric code per credential
    assert len({c for (c,) in map(tuple, codes.values())}) == len(codes)
    assert {"Registered Nurse", "Massage Therapist"} <= set(codes)
    ids = [row["credentialid"] for row in board.rows]
    assert all(i.isdigit() for i in ids) and len(set(ids)) == len(ids)
    reasons = Counter(row.get("statusreason") for row in board.rows)
    assert {"CURRENT", "LAPSED DUE TO NON-RENEWAL"} <= set(reasons)


def test_illinois_groups_titles_and_text_dates(server, boards):
    board = boards["data.illinois.gov"]
    _, _, body = fetch(f"{server.url}/data.illinois.gov/api/views/pzzh-kp68.json")
    types = {c["fieldName"]: c["dataTypeName"] for c in json.loads(body)["columns"]}
    date_fields = ("original_issue_date", "effective_date", "expiration_date")
    assert {types[f] for f in date_fields} == {"text"}
    bad = {t.row for t in board.truth if t.kind == "bad-row"}
    for k, row in enumerate(board.rows):
        for name in date_fields:
            value = row[name]
            if value in BAD_DATES:
                assert k in bad
                continue
            assert re.fullmatch(r"\d\d/\d\d/\d{4}", value), value
            dt.datetime.strptime(value, "%m/%d/%Y")
    acupuncture = [board.rows[t.row] for t in board.acupuncture_truth()]
    assert {(r["license_type"], r["description"]) for r in acupuncture} == {
        ("ACUPUNCTURE", "LICENSED ACUPUNCTURIST")}
    assert {r["business"] for r in acupuncture} == {"N"}
    groups = {row["license_type"] for row in board.rows}
    assert groups >= {"ACUPUNCTURE", "NURSING", "MASSAGE THERAPY"}
    assert {row["description"] for row in board.rows} >= {"REGISTERED PROFESSIONAL NURSE",
                                                          "LICENSED MASSAGE THERAPIST"}
    businesses = [row for row in board.rows if row["business"] == "Y"]
    assert businesses and all("business_name" in r and "last_name" not in r for r in businesses)
    # Text dates compare as text: "12/31/2030" < "2000-01-01", so a date range must be
    # written some other way.
    early = rows_of(server, "data.illinois.gov", board.dataset_id, **{
        "$select": "count(*)", "$where": "expiration_date < '2000-01-01'"})
    as_text = sum(row["expiration_date"] < "2000-01-01" for row in board.rows)
    assert early == [{"count": str(as_text)}] and as_text > len(board.rows) - 5


def test_washington_keeps_the_former_credential_name(boards):
    board = boards["data.wa.gov"]
    types = Counter(board.rows[t.row]["credentialtype"] for t in board.acupuncture_truth())
    assert set(types) == set(board.acupuncture_types)


def test_colorado_has_one_row_per_discipline_case(boards):
    board = boards["data.colorado.gov"]
    case_fields = {"casenumber", "programaction", "disciplineeffectivedate"}
    by_license = defaultdict(list)
    for row in board.rows:
        by_license[(row["licensetype"], row.get("licensenumber"))].append(row)
    disciplined = 0
    for (_, number), rows in by_license.items():
        if number is None:
            continue
        cases = [row for row in rows if case_fields & set(row)]
        if not cases:
            assert len(rows) == 1, rows
            continue
        disciplined += 1
        assert len(rows) == len(cases) <= 3
        assert all(case_fields <= set(row) for row in rows)
        assert len({json.dumps({k: v for k, v in r.items() if k not in case_fields},
                               sort_keys=True) for r in rows}) == 1
        assert all(re.fullmatch(r"\d{4}-\d{6}", row["casenumber"]) for row in rows)
        assert len({row["casenumber"] for row in rows}) == len(rows)
    assert disciplined > 40
    assert any(len(rows) > 1 for rows in by_license.values())
    numbers = defaultdict(set)
    for license_type, number in by_license:
        numbers[number].add(license_type)
    shared = [n for n, types in numbers.items() if "AC" in types and len(types) > 1]
    assert shared  # license numbers are not unique across types


def test_the_marker_selects_the_acupuncture_rows(server, boards):
    for host, board in boards.items():
        counted = rows_of(server, host, board.dataset_id,
                          **{"$where": marker_where(board), "$select": "count(*)"})
        assert counted == [{"count": str(len(board.acupuncture_truth()))}]


def test_colorados_acupuncture_code_is_a_knob():
    few = generate_providers(1500, seed=11)
    default = generate_board_rows(few, seed=5)["data.colorado.gov"]
    other = generate_board_rows(
        few, seed=5, acupuncture_types={"data.colorado.gov": ("ACN",)})["data.colorado.gov"]
    assert default.acupuncture_types == ("AC",) and other.acupuncture_types == ("ACN",)
    codes = Counter(row["licensetype"] for row in other.rows)
    assert codes["ACN"] == len(other.acupuncture_truth()) > 0 and "AC" not in codes
    # a scraper that trusts "AC" reads nothing there; the distinct values show the real code
    dataset = other.dataset()
    assert dataset.query(where="licensetype = 'AC'", select="count(*)")[1] == [{"count": "0"}]
    _, groups = dataset.query(select="licensetype, count(*)", group="licensetype",
                              order="count(*) DESC", limit=1)
    assert groups == [{"licensetype": "ACN", "count": str(codes["ACN"])}]
    # the rest of the board is the same
    assert [t.kind for t in other.truth] == [t.kind for t in default.truth]
    with pytest.raises(ValueError):
        generate_board_rows(few, acupuncture_types={"data.colorado.gov": ("RN",)})
    with pytest.raises(ValueError):
        generate_board_rows(few, acupuncture_types={"data.nowhere.gov": ("AC",)})


def test_generation_is_deterministic():
    few = generate_providers(1500, seed=11)
    first, second = generate_board_rows(few, seed=5), generate_board_rows(few, seed=5)
    assert {h: b.rows for h, b in first.items()} == {h: b.rows for h, b in second.items()}
    assert {h: b.truth for h, b in first.items()} == {h: b.truth for h, b in second.items()}
    assert generate_board_rows(few, seed=6)["data.wa.gov"].rows != first["data.wa.gov"].rows


def test_start_all_mounts_the_portals_and_the_leie():
    server, sites = start_all(n=300)
    try:
        assert set(sites) >= {"nppes", "socrata", "board_data", "leie", "leie_data"}
        assert set(sites["socrata"]) == set(HOSTS) == set(sites["board_data"])
        board = sites["board_data"]["data.illinois.gov"]
        rows = rows_of(server, "data.illinois.gov", board.dataset_id,
                       **{"$where": marker_where(board), "$limit": 5000})
        assert len(rows) == len(board.acupuncture_truth())
        status, _, body = fetch(f"{server.url}/exclusions/downloadables/UPDATED.csv")
        assert status == 200 and body.startswith(b"LASTNAME,FIRSTNAME,")
    finally:
        server.stop()
