# ruff: noqa: F811 (pytest fixtures imported from the module that defines them)
"""hostile answers to one lookup cost that number, never the run."""
from __future__ import annotations

import json

import httpx
import pytest

from scraper.sources import lookup
from tests.test_lookup_unit import KEY, fetcher_for

ROW = {"licenseNumber": "12345", "licenseMetaName": "Acupuncturist", "fullName": "A B",
       "profileStatus": "Active", "originalDate": "2020-01-01", "expirationDate": "2027-01-01"}
PA_ROW = {"FirstName": "A", "LastName": "B", "LicenseNumber": "AU012345", "Status": "Active",
          "DisciplinaryAction": "No"}
DEEP = "[" * 200000 + "]" * 200000

CASES = {
    "ma-deep": ("ma-borim", DEEP),
    "ma-weird-types": ("ma-borim", json.dumps({"results": {"data": [
        {**ROW, "fullName": {"x": [1]}, "profileStatus": ["Active"], "originalDate": 1e308,
         "expirationDate": True}]}})),
    "ma-huge-name": ("ma-borim", json.dumps({"results": {"data": [
        {**ROW, "fullName": "A " * 200000}]}})),
    "ma-nan": ("ma-borim", '{"results": {"data": [{"licenseNumber": NaN, "fullName": Infinity}]}}'),
    "ma-results-list": ("ma-borim", json.dumps({"results": [ROW]})),
    "ma-string": ("ma-borim", json.dumps("<html>")),
    "pa-deep": ("pa-pals", DEEP),
    "pa-weird-types": ("pa-pals", json.dumps([{**PA_ROW, "FirstName": {"a": 1},
                                               "LastName": [1, 2], "Status": None,
                                               "DisciplinaryAction": {"x": 1}}])),
    "pa-number-list": ("pa-pals", json.dumps([{**PA_ROW, "LicenseNumber": ["AU012345"]}])),
    "ny-deep": ("ny-nysed", DEEP),
    "ny-weird": ("ny-nysed", json.dumps({"licenseNumber": {"value": 12345},
                                          "name": {"value": {"a": 1}},
                                          "status": {"value": [1]},
                                          "dateOfLicensure": {"value": "99/99/9999"}})),
    "ny-bad-utf8": ("ny-nysed", b"\xff\xfe{\x00"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_answer_costs_only_its_number(case):
    source_id, body = CASES[case]
    content = body if isinstance(body, bytes) else body.encode()

    def handler(request):
        return httpx.Response(200, content=content,
                              headers={"Content-Type": "application/json"})
    fetcher, _ = fetcher_for(handler)
    settings = {"api_key": KEY} if source_id == "ny-nysed" else {}
    board = lookup.configure(lookup.BOARDS[source_id], settings)
    number = board.number("12345")

    class Ctx:
        def timestamp(self, moment):
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    with fetcher:
        step = lookup.LookupSource(board)._ask(board, fetcher, Ctx(), number,
                                               f"lookup:XX:{number}", {"12345"})
    assert step.state is not None and step.state.part == f"lookup:XX:{number}"
