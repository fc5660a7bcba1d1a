"""The Socrata (SODA) stand-in and its state license data, through real HTTP.

The scraper's tests trust this stand-in to behave like data.wa.gov and its sister portals, so its
rules (paging, strings only, nulls left out, SoQL, refusals, throttling) and the shape of the
generated license data are pinned here.
"""

from __future__ import annotations

import email.utils
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
                     **{"$where": board.acupuncture_where})
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


def test_board_answers_hold_strings_only(server, boards):
    for host in HOSTS:
        board = boards[host]
        for row in rows_of(server, host, board.dataset_id, **{"$limit": 2000}):
            assert all(isinstance(v, str) and v for v in row.values()), row
            assert set(row) <= set(board.columns)
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
    ({"$limit": "50001"}, "query.compiler.malformed"),
    ({"$limit": "-1"}, "query.compiler.malformed"),
    ({"$offset": "ten"}, "query.compiler.malformed"),
    ({"$group": "city"}, "query.compiler.malformed"),
    ({"$bogus": "1"}, "query.compiler.malformed"),
    ({"nosuch": "1"}, "query.soql.no-such-column"),
])
def test_refusals_are_400_with_a_json_body(server, tiny, params, code):
    status, headers, body = resource(server, "tiny.example", "tiny-0001", **params)
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)
    assert error["code"] == code and error["error"] is True and error["message"]


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
                                                                 "calendar_date"}


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
    patterns = {"data.wa.gov": r"AC\d{8}", "data.colorado.gov": r"AC\.\d{7}",
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
        assert {value for row in bad for value in row.values()} >= set(BAD_DATES), board.state


def test_names_differ_slightly_from_nppes(providers, boards):
    by_npi = {int(p["number"]): p["basic"] for p in providers}
    board = boards["data.texas.gov"]
    dropped = recased = 0
    for truth in board.acupuncture_truth():
        if truth.npi is None:
            continue
        row, basic = board.rows[truth.row], by_npi[truth.npi]
        assert row["last_name"].upper() == basic["last_name"].replace(
            "<script>alert(1)</script>", "").upper()
        dropped += bool(basic.get("middle_name")) and "middle_name" not in row
        recased += row["last_name"] != basic["last_name"]
    assert dropped > 50 and recased > 500


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
    shared = [n for n, types in numbers.items() if "Acupuncturist" in types and len(types) > 1]
    assert shared  # license numbers are not unique across types


def test_the_acupuncture_where_selects_the_acupuncture_rows(server, boards):
    for host, board in boards.items():
        counted = rows_of(server, host, board.dataset_id,
                          **{"$where": board.acupuncture_where, "$select": "count(*)"})
        assert counted == [{"count": str(len(board.acupuncture_truth()))}]


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
                       **{"$where": board.acupuncture_where, "$limit": 5000})
        assert len(rows) == len(board.acupuncture_truth())
        status, _, body = fetch(f"{server.url}/exclusions/downloadables/UPDATED.csv")
        assert status == 200 and body.startswith(b"LASTNAME,FIRSTNAME,")
    finally:
        server.stop()
