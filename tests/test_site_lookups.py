"""The stand-ins of the four boards asked one license at a time (tests/sites/lookups.py) and
their data, through real HTTP with the standard library: the scraper's tests trust them to
speak as api.medboard.mass.gov, www.pals.pa.gov, dhp.virginiainteractive.org and api.nysed.gov
do, so what the evidence (../shared/SOURCES-EVIDENCE.md, "More states") says of each is written
out here, not read from the stand-in."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from http.cookies import SimpleCookie

import httpx
import pytest

from scraper.http import detect_challenge
from tests.sites.lookups import PREFIXES, BorimSite, DhpSite, NysedSite, PalsSite
from tests.sites.lookups_data import BOARD_STATES, board_number, generate_lookup_data
from tests.sites.nppes_data import ACUPUNCTURIST_CODE, generate_providers
from tests.sites.server import SiteServer

KEY = "stand-in-key"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def send(url, body=None, headers=None, method=None):
    """(status, headers, body) of a request, whatever the status, redirects not followed."""
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def post_json(url, body):
    return send(url, json.dumps(body).encode(), {"Content-Type": "application/json"})


@pytest.fixture(scope="module")
def providers():
    return generate_providers(n=1500, seed=17)


@pytest.fixture(scope="module")
def data(providers):
    return {state: generate_lookup_data(providers, state) for state in BOARD_STATES}


@pytest.fixture
def server():
    with SiteServer() as started:
        yield started
        assert started.errors == []


def known_and_unknown(data, state):
    return next(iter(data[state].licensees.values())), data[state].unknown[0]


@pytest.mark.parametrize("state", BOARD_STATES)
def test_every_number_nppes_reports_is_a_license_or_unknown_to_the_board(providers, data, state):
    reported = {board_number(state, t.get("license")) for p in providers
                if p["enumeration_type"] == "NPI-1" for t in p["taxonomies"]
                if t["code"] == ACUPUNCTURIST_CODE and t.get("state") == state}
    reported.discard(None)
    board = data[state]
    assert reported == set(board.licensees) | set(board.unknown)
    assert board.unknown and not set(board.unknown) & set(board.licensees)
    shapes = {"MA": r"[0-9]{5}", "PA": r"AU[0-9]{6}", "VA": r"[0-9]{10}", "NY": r"[0-9]{6}"}
    assert all(re.fullmatch(shapes[state], n) for n in reported)
    owners = [lic.npi for lic in board.licensees.values()]
    assert len(set(owners)) == len(owners)


def test_borim_answers_results_data_for_one_license_number(server, data):
    server.add_site(PREFIXES["MA"], BorimSite(data["MA"]))
    known, unknown = known_and_unknown(data, "MA")
    url = server.url + "/api-public/search"
    body = {"searchType": "BY_LICENSE_NUMBER", "licenseNumber": known.number,
            "licenseMetaId": None, "showOnlyAuthorizedForHerbalTherapy": False}
    status, _, answer = post_json(url, body)
    assert status == 200
    row, = json.loads(answer)["results"]["data"]
    assert {"fullName", "licenseNumber", "licenseMetaName", "profileStatus", "originalDate",
            "expirationDate"} <= set(row)
    assert row["licenseNumber"] == known.number
    status, _, answer = post_json(url, {**body, "licenseNumber": unknown})
    assert (status, json.loads(answer)["results"]["data"]) == (200, [])
    assert post_json(url, {**body, "searchType": "BY_NAME"})[0] == 400


def test_pals_answers_rows_at_its_misspelt_path_only(server, data):
    server.add_site(PREFIXES["PA"], PalsSite(data["PA"]))
    known, unknown = known_and_unknown(data, "PA")
    body = {"OptPersonFacility": "Person", "LicenseNumber": known.number, "State": "",
            "Country": "ALL", "County": None, "IsFacility": 0, "PersonId": None, "PageNo": 1}
    status, _, answer = post_json(server.url + "/api/Search/SearchForPersonOrFacilty", body)
    assert status == 200
    row, = json.loads(answer)
    assert {"FirstName", "MiddleName", "LastName", "LicenseNumber", "Status",
            "DisciplinaryAction"} <= set(row)
    assert (row["LicenseNumber"], row["LastName"]) == (known.number, known.last)
    assert post_json(server.url + "/api/Search/SearchForPersonOrFacility", body)[0] == 404
    status, _, answer = post_json(server.url + "/api/Search/SearchForPersonOrFacilty",
                                  {**body, "LicenseNumber": unknown})
    assert (status, json.loads(answer)) == (200, [])


def test_dhp_wants_the_forms_token_and_cookie_and_leads_to_the_license_page(server, data):
    server.add_site(PREFIXES["VA"], DhpSite(data["VA"]))
    known, unknown = known_and_unknown(data, "VA")
    status, headers, page = send(server.url + "/Lookup/Index")
    assert status == 200
    token = re.search(rb'name="__RequestVerificationToken" type="hidden" value="([^"]+)"',
                      page).group(1).decode()
    cookie = SimpleCookie(headers["Set-Cookie"])
    jar = "; ".join(f"{k}={v.value}" for k, v in cookie.items())
    form = {"__RequestVerificationToken": token, "LicenseNumber": known.number}
    encoded = urllib.parse.urlencode(form).encode()
    plain = {"Content-Type": "application/x-www-form-urlencoded"}
    assert send(server.url + "/Lookup/Index", encoded, plain)[0] == 400  # no cookie
    status, headers, _ = send(server.url + "/Lookup/Index", encoded, {**plain, "Cookie": jar})
    assert status == 302 and re.fullmatch(r"/Lookup/Detail/[0-9]+", headers["Location"])
    status, _, detail = send(server.url + headers["Location"])
    assert status == 200 and known.number.encode() in detail and len(known.number) == 10
    form["LicenseNumber"] = unknown
    status, _, page = send(server.url + "/Lookup/Index", urllib.parse.urlencode(form).encode(),
                           {**plain, "Cookie": jar})
    assert status == 200 and b"No records found" in page


def test_nysed_needs_the_key_and_answers_204_for_no_such_license(server, data):
    server.add_site(PREFIXES["NY"], NysedSite(data["NY"], api_key=KEY))
    known, unknown = known_and_unknown(data, "NY")
    url = server.url + "/rosa/V2/byProfessionAndLicenseNumber?professionCode=025&licenseNumber="
    assert send(url + known.number)[0] == 401
    status, _, answer = send(url + known.number, headers={"x-oapi-key": KEY})
    assert status == 200
    fields = json.loads(answer)
    assert {"name", "licenseNumber", "status", "dateOfLicensure",
            "registeredThroughDate"} <= set(fields)
    assert all(set(v) == {"value", "label"} for v in fields.values())
    assert fields["licenseNumber"]["value"] == known.number
    status, _, answer = send(url + unknown, headers={"x-oapi-key": KEY})
    assert (status, answer) == (204, b"")


def test_a_board_can_start_answering_with_a_challenge(server, data):
    site = BorimSite(data["MA"], challenge_after=1)
    server.add_site(PREFIXES["MA"], site)
    known, _ = known_and_unknown(data, "MA")
    body = {"searchType": "BY_LICENSE_NUMBER", "licenseNumber": known.number,
            "licenseMetaId": None, "showOnlyAuthorizedForHerbalTherapy": False}
    assert post_json(server.url + "/api-public/search", body)[0] == 200
    status, headers, page = post_json(server.url + "/api-public/search", body)
    assert status == 403
    assert detect_challenge(status, httpx.Headers(dict(headers)), page)
    assert site.numbers_asked() == [known.number]
