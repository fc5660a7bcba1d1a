"""The NPPES API stand-in itself, through real HTTP: its rules, its data and the server around it.

The scraper's tests trust this stand-in to behave like npiregistry.cms.hhs.gov, so its rules
are pinned here against the real answers in shared/samples/ and the API's documentation.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
import time
import urllib.error
import urllib.request
from collections import Counter
from urllib.parse import urlencode

import pytest

from tests.sites.nppes import NppesApi
from tests.sites.nppes_data import (
    ACUPUNCTURIST_CODE,
    GEOGRAPHY,
    SPREAD_SHARE,
    XSS_TEXT,
    generate_providers,
    grow_providers,
    is_valid_npi,
    npi_check_digit,
    primary_location,
    state_zip_weights,
)
from tests.sites.serve import start_all
from tests.sites.server import DEFAULT_LAST_MODIFIED, SiteServer

# shared/samples/nppes_api_error_no_valid_criteria_ropensci-npi.json
NO_CRITERIA_BODY = {
    "Errors": [
        {"field": "generic", "number": "04", "description": "No valid search criteria provided"}
    ]
}
# shared/samples/nppes_api_v2.1_empty_result_ropensci-npi.json
EMPTY_BODY = {"result_count": 0, "results": []}
ACU = "Acupuncturist"


@pytest.fixture(scope="module")
def providers() -> list[dict]:
    return generate_providers()


@pytest.fixture(scope="module")
def stand_in(providers):
    api = NppesApi(providers)
    with SiteServer() as server:
        server.add_site("/api/", api)
        yield server, api


@pytest.fixture
def server(stand_in) -> SiteServer:
    server, _ = stand_in
    server.reset_log()
    yield server
    server.clear_faults()
    server.set_global_delay(0)
    assert server.errors == []


@pytest.fixture
def api(stand_in) -> NppesApi:
    return stand_in[1]


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 10):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.headers, response.read()


def query(server: SiteServer, **params) -> dict:
    """GET /api/ with these parameters (version 2.1 unless given; None leaves one out)."""
    params.setdefault("version", "2.1")
    params = {name: value for name, value in params.items() if value is not None}
    status, headers, body = fetch(f"{server.url}/api/?{urlencode(params)}")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    return json.loads(body)


def mailing(provider: dict) -> dict:
    return next(a for a in provider["addresses"] if a["address_purpose"] == "MAILING")


def error_fields(body: dict) -> list[str]:
    return [error["field"] for error in body["Errors"]]


# -- refusals: HTTP 200 with an Errors array ------------------------------------------------------


def test_no_criteria_answers_the_recorded_error_body(server):
    assert query(server) == NO_CRITERIA_BODY
    assert query(server, limit=200, skip=0) == NO_CRITERIA_BODY


@pytest.mark.parametrize(
    "params, fields",
    [
        ({"taxonomy_description": ACU, "limit": 0}, ["limit"]),
        ({"taxonomy_description": ACU, "limit": 201}, ["limit"]),
        ({"taxonomy_description": ACU, "limit": "ten"}, ["limit"]),
        ({"taxonomy_description": ACU, "skip": 1001}, ["skip"]),
        ({"taxonomy_description": ACU, "skip": -1}, ["skip"]),
        ({"last_name": "S*"}, ["last_name"]),
        ({"first_name": "*"}, ["first_name"]),
        ({"taxonomy_description": "A*"}, ["taxonomy_description"]),
        ({"taxonomy_description": ACU, "postal_code": "9*"}, ["postal_code"]),
        ({"state": "CA"}, ["state"]),
        ({"enumeration_type": "NPI-1"}, ["enumeration_type"]),
        ({"state": "OH", "enumeration_type": "NPI-2"}, ["state", "enumeration_type"]),
        ({"address_purpose": "PRIMARY"}, ["address_purpose"]),
        ({"country_code": "US"}, ["country_code"]),
        ({"state": "CA", "country_code": "US"}, ["state", "country_code"]),
        ({"taxonomy_description": ACU, "enumeration_type": "NPI-3"}, ["enumeration_type"]),
        ({"taxonomy_description": ACU, "address_purpose": "HOME", "state": "CA"},
         ["address_purpose"]),
        ({"number": "12345"}, ["number"]),
        ({"taxonomy_description": ACU, "version": "2.0"}, ["version"]),
        ({"taxonomy_description": ACU, "version": None}, ["version"]),
    ],
)
def test_refused_queries(server, params, fields):
    body = query(server, **params)
    assert set(body) == {"Errors"}
    assert error_fields(body) == fields
    for error in body["Errors"]:
        assert set(error) == {"field", "number", "description"} and error["description"]


def test_refusal_texts_seen_on_the_real_api(server):
    body = query(server, state="OH", enumeration_type="NPI-2")
    assert [e["description"] for e in body["Errors"]] == [
        "Field state requires additional search criteria",
        "Enumeration_type requires additional search criteria",
    ]
    (wildcard,) = query(server, last_name="a*")["Errors"]
    assert wildcard["description"] == "Wildcards require at least two leading characters"


def test_state_is_accepted_with_another_criterion(server):
    assert query(server, state="CA", taxonomy_description=ACU)["result_count"] == 10
    assert query(server, state="CA", city="DAVIS")["result_count"] == 10
    assert query(server, country_code="FR") == EMPTY_BODY  # a foreign country may stand alone


def test_an_empty_match_has_the_recorded_empty_shape(server):
    assert query(server, last_name="NOBODY-BY-THAT-NAME") == EMPTY_BODY


# -- paging ---------------------------------------------------------------------------------------


def test_result_count_counts_this_answer_only(server, api):
    assert api.count(state="CA", taxonomy_description=ACU) > 1200
    assert query(server, state="CA", taxonomy_description=ACU)["result_count"] == 10  # default
    page = query(server, state="CA", taxonomy_description=ACU, limit=200)
    assert page["result_count"] == len(page["results"]) == 200


def test_one_query_reaches_at_most_1200_records(server, api):
    last = query(server, state="CA", taxonomy_description=ACU, limit=200, skip=1000)
    assert last["result_count"] == 200
    assert "Errors" in query(server, state="CA", taxonomy_description=ACU, limit=200, skip=1001)
    first_1200 = sorted(api.npis(state="CA", taxonomy_description=ACU))[:1200]
    assert [r["number"] for r in last["results"]] == first_1200[1000:]


def test_paging_covers_every_match_once_in_npi_order(server, api):
    expected = api.npis(state="WA", taxonomy_description=ACU)
    assert 400 < len(expected) <= 1200
    seen: list[int] = []
    for skip in range(0, 1001, 200):
        page = query(server, state="WA", taxonomy_description=ACU, limit=200, skip=skip)
        seen += [result["number"] for result in page["results"]]
        if page["result_count"] < 200:
            break
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
    assert seen == sorted(seen)


def test_results_are_the_stored_records(server, api, providers):
    provider = providers[123]
    body = query(server, number=str(provider["number"]))
    assert body == {"result_count": 1, "results": [provider]}


# -- criteria -------------------------------------------------------------------------------------


def _nine_digit_provider(providers, prefix="941") -> dict:
    return next(
        p for p in providers
        if len(primary_location(p)["postal_code"]) == 9
        and primary_location(p)["postal_code"].startswith(prefix)
    )


def test_postal_code_exact_zip_plus_4_and_wildcards(server, api, providers):
    provider = _nine_digit_provider(providers)
    code = primary_location(provider)["postal_code"]
    npi = provider["number"]

    def found(postal_code: str) -> bool:
        npis = api.npis(postal_code=postal_code, address_purpose="PRIMARY")
        return npi in npis

    assert found(code[:5])  # 5 digits match the ZIP+4 codes under them
    assert found(code)  # 9 digits match exactly
    assert found(code[:2] + "*") and found(code[:3] + "*") and found(code[:4] + "*")
    assert not found(code[:4])  # without '*' a partial code matches nothing
    assert not found(code[:5] + "0000" if code[5:] != "0000" else code[:5] + "0001")
    assert api.count(postal_code="941") == 0

    # The same through HTTP, with the 5-digit answer including 5- and 9-digit codes.
    page = query(server, postal_code=code[:5], address_purpose="PRIMARY", limit=200)
    codes = {primary_location(r)["postal_code"] for r in page["results"]}
    assert all(c[:5] == code[:5] for c in codes)
    assert npi in [r["number"] for r in page["results"]]


def test_prefix_941_needs_4_digit_wildcards(api):
    assert api.count(postal_code="941*", address_purpose="PRIMARY") > 1200
    parts = [api.count(postal_code=f"941{d}*", address_purpose="PRIMARY") for d in range(10)]
    assert max(parts) <= 1200
    assert sum(parts) == api.count(postal_code="941*", address_purpose="PRIMARY")


def test_address_purpose_picks_which_address_is_searched(server, api, providers):
    moved = next(
        p for p in providers
        if mailing(p)["state"] != primary_location(p)["state"] and not p["practiceLocations"]
    )
    npi = str(moved["number"])
    home, away = primary_location(moved), mailing(moved)

    def hits(**criteria) -> int:
        return query(server, number=npi, **criteria)["result_count"]

    assert hits(state=away["state"]) == 1  # no purpose: any address
    assert hits(state=away["state"], address_purpose="MAILING") == 1
    assert hits(state=away["state"], address_purpose="PRIMARY") == 0
    assert hits(state=away["state"], address_purpose="LOCATION") == 0
    assert hits(state=home["state"], address_purpose="PRIMARY") == 1
    # All address criteria must hold for one and the same address.
    assert hits(city=home["city"], state=away["state"]) == 0

    elsewhere = next(
        p for p in providers
        if any(loc["state"] not in (primary_location(p)["state"], mailing(p)["state"])
               for loc in p["practiceLocations"])
    )
    npi = str(elsewhere["number"])
    state = next(loc["state"] for loc in elsewhere["practiceLocations"]
                 if loc["state"] not in (primary_location(elsewhere)["state"],
                                         mailing(elsewhere)["state"]))
    assert hits(state=state, address_purpose="SECONDARY") == 1
    assert hits(state=state, address_purpose="LOCATION") == 1
    assert hits(state=state, address_purpose="PRIMARY") == 0
    assert hits(state=state, address_purpose="MAILING") == 0
    assert hits(state=state) == 1


def test_taxonomy_description_is_exact_or_a_trailing_wildcard(server, api, providers):
    assert api.count(taxonomy_description="Acupuncturist") == len(providers)
    assert api.count(taxonomy_description="ACUPUNCTURIST") == len(providers)
    assert api.count(taxonomy_description="Acupunct*") == len(providers)
    assert api.count(taxonomy_description="Acupuncture") == 0
    assert query(server, taxonomy_description="Acupuncture", state="CA") == EMPTY_BODY
    chiropractors = api.select(taxonomy_description="Chiropractor")
    assert 0 < len(chiropractors) < len(providers) // 10
    assert all(any(t["code"] == ACUPUNCTURIST_CODE for t in p["taxonomies"])
               for p in chiropractors)


def test_names_match_whole_or_by_trailing_wildcard(server, api, providers):
    obriens = {p["number"] for p in providers if p["basic"].get("last_name") == "O'BRIEN"}
    officials = {p["number"] for p in providers
                 if p["basic"].get("authorized_official_last_name") == "O'BRIEN"}
    assert obriens and officials
    # Without name_purpose, individuals and organizations' authorized officials both match.
    assert api.npis(last_name="o'brien") == obriens | officials
    assert api.npis(last_name="o'brien", name_purpose="Provider") == obriens
    assert api.npis(last_name="o'brien", name_purpose="AO") == officials
    assert api.npis(last_name="O'BR*") >= obriens
    assert api.count(last_name="O'BRIE") == 0
    org = next(p for p in providers if p["enumeration_type"] == "NPI-2")
    body = query(server, organization_name=org["basic"]["organization_name"].lower())
    assert org["number"] in [r["number"] for r in body["results"]]
    assert query(server, first_name="JENNIFER", enumeration_type="NPI-2", name_purpose="AO",
                 limit=200)["results"]
    assert all(r["enumeration_type"] == "NPI-2" for r in query(
        server, first_name="JENNIFER", enumeration_type="NPI-2", limit=200)["results"])


def test_a_changed_or_removed_provider_shows_at_the_next_request(server, api, providers):
    provider = providers[42]
    npi = str(provider["number"])
    removed = api.remove(npi)
    try:
        assert query(server, number=npi) == EMPTY_BODY
    finally:
        api.providers.append(removed)
    assert query(server, number=npi)["result_count"] == 1


# -- the generated data ---------------------------------------------------------------------------


def test_npi_check_digit_matches_real_npis():
    # The two real NPIs of the recorded samples.
    assert npi_check_digit("143718739") == 0 and is_valid_npi(1437187390)
    assert npi_check_digit("156894681") == 2 and is_valid_npi("1568946812")
    assert not is_valid_npi("1437187391")
    assert not is_valid_npi("3437187390") and not is_valid_npi("143718739")


def test_data_volume_and_spread(providers):
    assert len(providers) >= 20_000
    states = Counter(primary_location(p)["state"] for p in providers)
    assert len(states) >= 31 and "DC" in states
    assert states["CA"] > 1200 and 6_500 <= states["CA"] <= 7_500
    assert 2_000 <= states["NY"] <= 3_000
    assert sum(1 for count in states.values() if count < 1200) >= 30


def test_zip_codes_fit_the_states_and_the_1200_cap(providers):
    curated = {(state, entry[0]) for state, entries in GEOGRAPHY.items() for entry in entries}
    real = {(state, z["zip_code"]) for state, (zips, _) in state_zip_weights().items()
            for z in zips}
    codes = [(primary_location(p)["state"], primary_location(p)["postal_code"])
             for p in providers]
    # every primary location is a real street-delivery ZIP of its state; most in the
    # curated cities, the spread share anywhere in the state
    assert all((state, code[:5]) in real for state, code in codes)
    in_cities = sum((state, code[:3]) in curated for state, code in codes) / len(codes)
    assert 1 - SPREAD_SHARE - 0.01 < in_cities < 0.97  # the crowded areas are the cities'
    assert all(len(code) in (5, 9) and code.isdigit() for _, code in codes)
    assert sum(len(code) == 9 for _, code in codes) > len(codes) * 0.7
    by_prefix = Counter(code[:3] for _, code in codes)
    by_zip = Counter(code[:5] for _, code in codes)
    assert by_prefix["941"] > 1200
    assert max(by_zip.values()) <= 400
    ca_prefixes = {code[:3] for state, code in codes if state == "CA"}
    assert len(ca_prefixes) > 2 * len([e for e in GEOGRAPHY["CA"]])  # not the cities only
    # Every address of a record (mailing, practice locations) has a ZIP of its state too.
    for p in providers[:2000]:
        for address in p["addresses"] + p["practiceLocations"]:
            assert (address["state"], address["postal_code"][:5]) in real or (
                address["state"], address["postal_code"][:3]) in curated


def test_spread_weighs_zips_by_how_crowded_their_area_is():
    """No population in the ZIP data: a ZIP's weight is how many ZIPs lie around it."""
    zips, weights = state_zip_weights()["NY"]
    weight = {z["zip_code"]: w for z, w in zip(zips, weights, strict=True)}
    assert weight["10016"] > 20 * weight["13624"]  # Manhattan against Clayton, on the St. Lawrence


def test_growth_adds_new_providers_spread_the_same_way(providers):
    added = grow_providers(providers, 0.1, seed=1)
    assert len(added) == len(providers) // 10
    assert not {p["number"] for p in added} & {p["number"] for p in providers}
    assert all(is_valid_npi(p["number"]) for p in added)
    assert grow_providers(providers, 0.1, seed=1) == added
    share = Counter(primary_location(p)["state"] for p in added)
    before = Counter(primary_location(p)["state"] for p in providers)
    assert abs(share["CA"] / len(added) - before["CA"] / len(providers)) < 0.02


def test_npis_are_valid_unique_and_sorted(providers):
    numbers = [p["number"] for p in providers]
    assert all(isinstance(n, int) and is_valid_npi(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    assert numbers == sorted(numbers)


def test_generation_is_deterministic(providers):
    assert generate_providers() == providers
    assert generate_providers(n=500, seed=1) != generate_providers(n=500, seed=2)
    assert len(generate_providers(n=500)) == 500


def test_variety_a_scraper_must_handle(providers):
    n = len(providers)
    orgs = [p for p in providers if p["enumeration_type"] == "NPI-2"]
    people = [p for p in providers if p["enumeration_type"] == "NPI-1"]
    assert 0.03 * n < len(orgs) < 0.07 * n

    def acupuncture(p):
        return [t for t in p["taxonomies"] if t["code"] == ACUPUNCTURIST_CODE]

    assert all(acupuncture(p) and all(t["desc"] == ACU for t in acupuncture(p))
               for p in providers)
    assert all(sum(t["primary"] for t in p["taxonomies"]) == 1 for p in providers)
    secondary = [p for p in providers if not any(t["primary"] for t in acupuncture(p))]
    assert 0.07 * n < len(secondary) < 0.13 * n
    multistate = [p for p in people if len({t["state"] for t in acupuncture(p)}) >= 2]
    assert 0.06 * len(people) < len(multistate) < 0.10 * len(people)
    assert any(len({t["state"] for t in acupuncture(p)}) == 3 for p in multistate)
    assert all(t["license"] == "" for p in orgs for t in p["taxonomies"])
    assert any(t.get("taxonomy_group") == "193400000X SINGLE SPECIALTY  GROUP"
               for p in orgs for t in p["taxonomies"])
    assert all("authorized_official_last_name" in p["basic"] for p in orgs)

    reactivated = [p for p in providers if "reactivation_date" in p["basic"]]
    assert 0.01 * n < len(reactivated) < 0.03 * n
    assert all(p["basic"]["status"] == "A"
               and p["basic"]["deactivation_date"] < p["basic"]["reactivation_date"]
               <= p["basic"]["last_updated"] for p in reactivated)
    moved = [p for p in providers if mailing(p)["state"] != primary_location(p)["state"]]
    assert 0.07 * n < len(moved) < 0.13 * n
    with_locations = [p for p in providers if p["practiceLocations"]]
    assert 0.07 * n < len(with_locations) < 0.13 * n
    assert all("update_date" in loc for p in with_locations for loc in p["practiceLocations"])
    assert 0.03 * len(people) < sum(bool(p["other_names"]) for p in people) < 0.07 * len(people)

    last_names = {p["basic"].get("last_name", "") for p in people}
    assert any("'" in name for name in last_names) and any("-" in name for name in last_names)
    assert sum(XSS_TEXT in name for name in last_names) == 1
    # Self-reported license numbers, written many ways.
    licenses = {t["license"] for p in people for t in acupuncture(p)}
    for looks_like in (str.isdigit, lambda s: s.startswith("AC"), lambda s: s.startswith("ac-"),
                       lambda s: s.startswith("LAC."), lambda s: " " in s, lambda s: s == ""):
        assert any(looks_like(license) for license in licenses)
    credentials = Counter(p["basic"].get("credential") for p in people)
    assert {"L.Ac.", "LAC", "L.AC", "DAOM, L.Ac.", "Dipl. Ac.", ""} <= set(credentials)
    assert {p["basic"]["gender"] for p in people} == {"F", "M"}


def test_the_api_placeholders_for_none_are_served(providers):
    """"--" for no name prefix or suffix, "NA" for no license: the pipeline must store neither."""
    people = [p for p in providers if p["enumeration_type"] == "NPI-1"]
    suffixes = Counter(p["basic"].get("name_suffix") for p in people)
    assert suffixes["--"] > 0.8 * len(people) and {"JR.", "SR.", "II", "III"} <= set(suffixes)
    prefixes = Counter(p["basic"].get("name_prefix") for p in people)
    assert prefixes["--"] > 0.7 * len(people) and prefixes["DR."] > 0
    licensed = [t for p in people for t in p["taxonomies"]]
    na = [t for t in licensed if t["license"] == "NA"]
    assert 0.01 * len(licensed) < len(na) < 0.03 * len(licensed)
    assert not {t["state"] for t in na} & {"WA", "CO", "CT", "TX", "IL"}  # the boards' states


def test_records_have_the_shape_of_the_real_answers(providers):
    top = {"enumeration_type", "number", "last_updated_epoch", "created_epoch", "basic",
           "other_names", "addresses", "taxonomies", "identifiers", "practiceLocations"}
    address_keys = {"country_code", "country_name", "address_purpose", "address_type",
                    "address_1", "address_2", "city", "state", "postal_code", "telephone_number"}
    for p in providers[::97]:
        assert set(p) == top
        basic = p["basic"]
        assert basic["name"] == (basic["organization_name"] if p["enumeration_type"] == "NPI-2"
                                 else f"{basic['last_name']} {basic['first_name']}")
        assert {a["address_purpose"] for a in p["addresses"]} == {"LOCATION", "MAILING"}
        for address in p["addresses"]:
            assert address_keys <= set(address) <= address_keys | {"fax_number"}
            assert address["city"] == address["city"].upper()
            phone = address["telephone_number"]
            assert len(phone) == 12 and phone[3] == phone[7] == "-"
        for taxonomy in p["taxonomies"]:
            assert {"code", "desc", "primary", "state", "license"} <= set(taxonomy)
        # Epochs agree with the ISO dates, in UTC as in the samples.
        created = dt.datetime.fromtimestamp(p["created_epoch"], dt.UTC)
        updated = dt.datetime.fromtimestamp(p["last_updated_epoch"], dt.UTC)
        assert created.date().isoformat() == basic["enumeration_date"]
        assert created.time() == dt.time(0)
        assert updated.date().isoformat() == basic["last_updated"]
        assert basic["enumeration_date"] <= basic["last_updated"]


# -- the server around it -------------------------------------------------------------------------


def test_a_200_carries_validators_and_a_matching_etag_gets_304(server, providers):
    url = f"{server.url}/api/?version=2.1&number={providers[0]['number']}"
    status, headers, body = fetch(url)
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and etag.startswith('"') and last_modified == DEFAULT_LAST_MODIFIED

    with pytest.raises(urllib.error.HTTPError) as not_modified:
        fetch(url, {"If-None-Match": etag})
    assert not_modified.value.code == 304
    assert not_modified.value.headers["ETag"] == etag
    assert not_modified.value.read() == b""

    with pytest.raises(urllib.error.HTTPError) as by_date:
        fetch(url, {"If-Modified-Since": last_modified})
    assert by_date.value.code == 304
    assert fetch(url, {"If-Modified-Since": "Sat, 01 Mar 2025 08:00:00 GMT"})[0] == 200
    # If-None-Match wins over If-Modified-Since, as HTTP says.
    assert fetch(url, {"If-None-Match": '"other"', "If-Modified-Since": last_modified})[0] == 200


def test_an_injected_503_carries_retry_after_then_the_site_recovers(server):
    server.inject("/api/", status=503, headers={"Retry-After": "7"}, body=b"busy")
    url = f"{server.url}/api/?version=2.1&last_name=SMITH"
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(url)
    assert refused.value.code == 503
    assert refused.value.headers["Retry-After"] == "7"
    assert refused.value.read() == b"busy"
    assert fetch(url)[0] == 200
    assert [(f.kind, f.status) for f in server.faults_served] == [("status", 503)]


def test_faults_apply_to_their_prefix_and_count(server):
    server.inject("/api/?version=2.1&skip=200", status=429, count=2)
    assert fetch(f"{server.url}/api/?version=2.1&skip=0&last_name=LEE")[0] == 200
    assert fetch(f"{server.url}/robots.txt")[0] == 200
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError) as limited:
            fetch(f"{server.url}/api/?version=2.1&skip=200&last_name=LEE")
        assert limited.value.code == 429
    assert fetch(f"{server.url}/api/?version=2.1&skip=200&last_name=LEE")[0] == 200
    assert len(server.faults_served) == 2


def test_a_truncated_answer_announces_more_than_it_sends(server):
    server.inject("/api/", truncate=True)
    request = urllib.request.Request(f"{server.url}/api/?version=2.1&last_name=CHEN&limit=50")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead):
            response.read()
    assert server.faults_served[0].kind == "truncate"


def test_a_dropped_connection_gets_no_answer(server):
    server.inject("/api/", drop=True)
    with pytest.raises((OSError, http.client.HTTPException)):
        fetch(f"{server.url}/api/?version=2.1&last_name=CHEN")
    assert server.faults_served[0].kind == "drop"
    assert fetch(f"{server.url}/api/?version=2.1&last_name=CHEN")[0] == 200


def test_slow_answers(server):
    server.inject("/api/", status=None, delay=0.3)
    started = time.monotonic()
    assert fetch(f"{server.url}/api/?version=2.1&last_name=KIM")[0] == 200
    assert time.monotonic() - started >= 0.3
    server.inject("/api/", status=None, delay=1.0)
    with pytest.raises((socket.timeout, urllib.error.URLError)):
        fetch(f"{server.url}/api/?version=2.1&last_name=KIM", timeout=0.2)
    server.set_global_delay(0.2)
    started = time.monotonic()
    fetch(f"{server.url}/robots.txt")
    assert time.monotonic() - started >= 0.2


def test_the_request_log_records_user_agent_and_count(server):
    agent = "acupuncture-directory/0.1 (+mailto:tests@example.invalid)"
    for _ in range(3):
        fetch(f"{server.url}/api/?version=2.1&last_name=PARK", {"User-Agent": agent})
    assert len(server.requests) == 3
    method, path, headers = server.requests[-1]
    assert (method, path) == ("GET", "/api/?version=2.1&last_name=PARK")
    assert headers["User-Agent"] == agent
    server.reset_log()
    assert server.requests == []


def test_robots_txt_and_unknown_paths(server):
    status, headers, body = fetch(f"{server.url}/robots.txt")
    assert (status, body) == (200, b"User-agent: *\nAllow: /\n")
    assert headers["Content-Type"].startswith("text/plain")
    assert fetch(f"{server.url}/api?version=2.1&last_name=PARK")[0] == 200
    for path in ("/nothing-here", "/api/v2/", "/apiary"):
        with pytest.raises(urllib.error.HTTPError) as missing:
            fetch(server.url + path)
        assert missing.value.code == 404


def test_start_all_serves_the_nppes_stand_in():
    server, sites = start_all(n=300)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert len(sites["nppes"].providers) == 300
        body = json.loads(fetch(f"{server.url}/api/?version=2.1&taxonomy_description={ACU}")[2])
        assert body["result_count"] == 10
    finally:
        server.stop()


def test_the_server_binds_loopback_only():
    with pytest.raises(ValueError):
        SiteServer(host="0.0.0.0")
