"""`practitioners parse SOURCE FILE`: a source's parser on a saved page, without the network
(issue 15). Saved real pages where we have them (tests/fixtures, with their provenance)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scraper.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
PROFILE = "https://directory.ncbahm.org/FAP/PractitionerDetail?AgencyClientId=abc%3D"


def _parse(*args: str) -> tuple[int, list[dict], str]:
    result = CliRunner().invoke(cli, ["parse", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines, result.output


def test_a_saved_search_page_of_the_directory():
    code, records, output = _parse("nccaom", str(FIXTURES / "nccaom" /
                                                 "nccaom_fap_search_state_wa_page1.html"))
    assert code == 0, output
    assert records[0]["record"] == "Certification" and records[0]["name"] == "Zhenbo Li"
    assert {r["state"] for r in records} == {"WA"}
    assert f"{len(records)} record(s) read by nccaom" in output


def test_a_profile_page_needs_its_address():
    page = str(FIXTURES / "nccaom" / "nccaom_fap_practitioner_profile_willow_hammer.html")
    code, _, output = _parse("nccaom", page)
    assert code == 1 and "--url" in output
    code, [profile], output = _parse("nccaom", page, "--url", PROFILE)
    assert code == 0 and profile["name"].startswith("Willow"), output


def test_a_saved_registry_answer_and_the_limit():
    path = FIXTURES / "nppes" / "nppes_api_v2.1_npi2_org_1568946812_ropensci-npi.json"
    code, [provider], _ = _parse("nppes-api", str(path))
    assert code == 0 and provider["npi"] == "1568946812" and provider["record"] == "Provider"
    code, records, _ = _parse("nccaom", str(FIXTURES / "nccaom" /
                                            "nccaom_fap_search_state_wa_page1.html"), "-n", "2")
    assert code == 0 and len(records) == 2


def test_a_board_page_is_read_with_the_boards_mapping(tmp_path):
    rows = [{"credentialnumber": "AC60123456", "lastname": "O'BRIEN", "firstname": "ANNA",
             "credentialtype": "Acupuncture And Eastern Medicine Practitioner License",
             "status": "ACTIVE", "expirationdate": "2027-02-28T00:00:00.000"}]
    path = tmp_path / "wa.json"
    path.write_text(json.dumps(rows))
    code, [license], output = _parse("wa-doh", str(path))
    assert code == 0, output
    assert (license["license_number"], license["status_normalized"], license["expires_on"]) == (
        "AC60123456", "active", "2027-02-28")


def test_the_exclusion_list_and_a_practice_page(tmp_path):
    from scraper.sources import oig_leie

    leie = tmp_path / "UPDATED.csv"
    row = {c: "" for c in oig_leie.COLUMNS} | {"LASTNAME": "DOE", "FIRSTNAME": "JANE",
                                              "SPECIALTY": "ACUPUNCTURIST", "EXCLTYPE": "1128a1",
                                              "EXCLDATE": "20200101"}
    leie.write_text(",".join(oig_leie.COLUMNS) + "\r\n" + ",".join(row.values()) + "\r\n")
    code, [exclusion], output = _parse("oig-leie", str(leie))
    assert code == 0 and exclusion["last_name"] == "DOE", output
    page = tmp_path / "clinic.html"
    page.write_text("<main><p>We offer facial rejuvenation acupuncture for fine lines.</p>"
                    '<a href="/services">Services</a></main>')
    code, lines, output = _parse("websites", str(page), "--url", "https://clinic.example/")
    assert code == 0, output
    assert lines[0]["tag"] == "facial acupuncture"
    assert {"would_follow": "https://clinic.example/services"} in lines


@pytest.mark.parametrize("source, name, message", [
    ("nppes-api", "page.html", "not JSON"),
    ("wa-doh", "page.html", "not JSON"),
    ("co-dora", "answer.json", "expected a JSON array"),
    ("nccaom", "answer.json", "not a page of search results"),
])
def test_a_page_the_parser_no_longer_understands_says_why(tmp_path, source, name, message):
    path = tmp_path / name
    path.write_text("<html><body>We moved.</body></html>" if name.endswith("html")
                    else '{"results": []}')
    code, records, output = _parse(source, str(path))
    assert code == 1 and records == [] and message in output, output


def test_unknown_source_or_missing_file():
    result = CliRunner().invoke(cli, ["parse", "nope", __file__])
    assert result.exit_code == 2 and "unknown source 'nope'" in result.output
    result = CliRunner().invoke(cli, ["parse", "nccaom", "/no/such/file.html"])
    assert result.exit_code == 2 and "does not exist" in result.output
