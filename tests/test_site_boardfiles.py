"""The stand-ins of the two board files, California's DCA licensee lists on Box and Florida's MQA
export, and their generated data, through real HTTP.

The scraper's tests trust these stand-ins to behave like dca.ca.gov + api.box.com and like
mqa-internet.doh.state.fl.us, so the wire format (token, bearer auth, paging, the redirect to the
download host, tab-separated cp1252 text in an .xls, the export's JSON model and its filter
quirk) and the shape of the data are pinned here. The columns are written out as the evidence
(../shared/SOURCES-EVIDENCE.md, "California" and "Florida") lists them, not read from the
stand-in.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import urllib.error
import urllib.request
from collections import Counter
from urllib.parse import quote

import pytest
from sqlite_utils import Database

from scraper.models import license_id
from scraper.normalize import license_number
from tests.sites.boardfiles import ROOT_FOLDER_ID, DcaBoxSite, MqaSite
from tests.sites.boardfiles_data import (
    ACUPUNCTURE_BOARD,
    DCA_BOARDS,
    MQA_ACTIVE,
    MQA_PROFESSIONS,
    core_number,
    dca_tsv,
    generate_dca_data,
    generate_mqa_data,
    mqa_csv,
)
from tests.sites.leie import LeieData
from tests.sites.nppes_data import ACUPUNCTURIST_CODE, generate_providers
from tests.sites.serve import banner, start_all
from tests.sites.server import SiteServer, fetch
from tests.sites.truth import linking_quality

# The columns as the evidence lists them (2026-12-01).
DCA_HEADER = ("Agency Name\tLicense Type\tSpeciality Code\tLicense Number\tIndiv/Org (I/O)\t"
              "Org/Last Name\tFirst Name\tMiddle Name\tSuffix\tAddress Line 1\tAddress Line 2\t"
              "City\tCounty\tState\tZip\tCountry\tOriginal Issue Date\tExpiration Date\tSchool\t"
              "Year Graduated\tDegree\tLicense Status")
MQA_HEADER = '"License","Name","Profession","City","License Status"'
FORM = "/MQASearchServices/HealthCareProviders"
EXPORT = "/MQASearchServices/Healthcareproviders/ExportToCsvLVP"


@pytest.fixture(scope="module")
def providers() -> list[dict]:
    return generate_providers(3000)


@pytest.fixture(scope="module")
def dca_data(providers):
    return generate_dca_data(providers)


@pytest.fixture(scope="module")
def mqa_data(providers):
    return generate_mqa_data(providers)


@pytest.fixture
def dca(dca_data):
    site = DcaBoxSite(dca_data)
    with SiteServer() as server:
        for prefix in DcaBoxSite.prefixes:
            server.add_site(prefix, site)
        yield server, site
        assert server.errors == []


@pytest.fixture
def mqa(mqa_data):
    site = MqaSite(mqa_data)
    with SiteServer() as server:
        server.add_site("/MQASearchServices/", site)
        yield server, site
        assert server.errors == []


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of a GET that does not follow redirects."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def token(server: SiteServer) -> str:
    status, headers, body = get(server.url + "/dca/boxToken/getToken")
    assert status == 200 and headers["Content-Type"] == "application/json"
    value = json.loads(body)
    assert isinstance(value, str) and value
    return value


def box(server: SiteServer, path: str, bearer: str | None) -> tuple[int, dict, bytes]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return get(f"{server.url}/box/2.0{path}", headers)


def listing(server: SiteServer, folder_id: str, bearer: str, **params: object) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    status, _, body = box(server, f"/folders/{folder_id}/items?{query}", bearer)
    assert status == 200, body
    return json.loads(body)


def all_entries(server: SiteServer, folder_id: str, bearer: str) -> list[dict]:
    return listing(server, folder_id, bearer, limit=1000)["entries"]


def download(server: SiteServer, file_id: str, bearer: str) -> bytes:
    status, headers, _ = box(server, f"/files/{file_id}/content", bearer)
    assert status == 302
    location = headers["Location"]
    assert re.fullmatch(rf"{re.escape(server.url)}/boxcloud/d/[0-9a-f]+/{file_id}", location)
    status, headers, body = get(location)  # no token: the download URL is the authority
    assert status == 200 and headers["Content-Type"] == "application/octet-stream"
    return body


def acupuncture_folder(server: SiteServer, bearer: str) -> dict:
    return next(e for e in all_entries(server, ROOT_FOLDER_ID, bearer)
                if e["name"] == ACUPUNCTURE_BOARD)


def parse_tsv(body: bytes) -> list[dict[str, str]]:
    text = body.decode("cp1252")
    lines = text.split("\r\n")
    assert lines[-1] == "" and "\n" not in text.replace("\r\n", "")
    columns = lines[0].split("\t")
    return [dict(zip(columns, line.split("\t"), strict=True)) for line in lines[1:-1]]


def parse_csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def export(server: SiteServer, **model: object) -> tuple[int, dict, bytes]:
    return get(f"{server.url}{EXPORT}?jsonModel={quote(json.dumps({'Id': 0, **model}))}")


# -- the data -------------------------------------------------------------------------------------


def _acupuncturists(providers: list[dict], state: str) -> dict[int, str]:
    """NPI -> the self-reported license of every individual with an acupuncture taxonomy in
    `state`."""
    return {int(p["number"]): t.get("license", "") for p in providers
            if p["enumeration_type"] == "NPI-1" for t in p["taxonomies"]
            if t["code"] == ACUPUNCTURIST_CODE and t.get("state") == state}


@pytest.mark.parametrize("which", ["dca", "mqa"])
def test_the_licensees_are_the_states_nppes_acupuncturists_and_some_more(which, providers,
                                                                         dca_data, mqa_data):
    data = dca_data if which == "dca" else mqa_data
    nppes = _acupuncturists(providers, data.state)
    people = [t for t in data.truth if t.kind in ("license", "bad-row")]
    known = [t for t in people if t.npi is not None]
    assert sorted(t.npi for t in known) == sorted(nppes)  # every one, once
    extra = [t for t in data.truth if t.kind == "license" and t.npi is None]
    assert 0.12 < len(extra) / len(nppes) < 0.18
    numbers = Counter((data.license_type(r), core_number(r[data.number_column]))
                      for r in data.rows if r[data.number_column])
    assert max(numbers.values()) == 1  # a number is one license
    claimed = Counter(core_number(n) for n in nppes.values() if core_number(n))
    kept = fresh = 0
    for t in known:
        row = data.rows[t.row]
        if not row[data.number_column]:
            continue
        own = core_number(nppes[t.npi])
        if own is not None and core_number(row[data.number_column]) == own:
            kept += 1
        else:  # "NA", nothing, or a number another provider holds: one NPPES does not hold
            fresh += 1
            assert core_number(row[data.number_column]) not in claimed or claimed[own] > 1
            assert own is None or claimed[own] > 1 or nppes[t.npi] in ("", "NA")
    assert kept > 0.9 * len(known) and fresh > 0
    statuses = Counter(r[data.status_column] for r in data.rows)
    active = statuses["Current"] if which == "dca" else statuses["Clear/Active"]
    assert 0.62 < active / len(data.rows) < 0.76


def test_nppes_na_is_not_a_license_number(providers, dca_data, mqa_data):
    for data in (dca_data, mqa_data):
        na = {npi for npi, number in _acupuncturists(providers, data.state).items()
              if number == "NA"}
        assert na, data.state  # the stand-in providers carry "NA" outside the Socrata states
        for t in data.truth:
            if t.npi in na:
                number = data.rows[t.row][data.number_column]
                assert number == "" or core_number(number) != "NA"


def _us_date(text: str) -> bool:
    try:
        dt.datetime.strptime(text, "%m/%d/%Y")
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d\d/\d\d/\d{4}", text))


def test_dca_rows(dca_data):
    rows, truth = dca_data.rows, dca_data.truth
    assert all(tuple(r) == tuple(DCA_HEADER.split("\t")) for r in rows)
    assert {r["Agency Name"] for r in rows} == {ACUPUNCTURE_BOARD}
    people = [r for r, t in zip(rows, truth, strict=True) if t.kind != "organization"]
    orgs = [r for r, t in zip(rows, truth, strict=True) if t.kind == "organization"]
    assert {r["Indiv/Org (I/O)"] for r in people} == {"I"}
    assert {r["License Type"] for r in people} == {"Acupuncturist"}
    assert {(r["Indiv/Org (I/O)"], r["License Type"], r["First Name"]) for r in orgs} == {
        ("O", "Acupuncture Corporation", "")}
    assert 0.02 < len(orgs) / len(rows) < 0.04
    numbered = [r for r in people if r["License Number"]]
    assert all(re.fullmatch(r"AC\d{5}", r["License Number"]) for r in numbered)
    assert all(re.fullmatch(r"\d{5}(\d{4})?", r["Zip"]) for r in rows)
    assert {r["Country"] for r in rows} == {"US", ""}
    assert {r["Degree"] for r in people} <= {"MSTCM", "MAOM", "DAOM", "DACM", "MSOM"}
    assert all(re.fullmatch(r"(19|20)\d\d", r["Year Graduated"]) for r in people)
    assert Counter(r["State"] == "CA" for r in rows)[False] > 5  # practices elsewhere
    assert {r["County"] for r in rows if r["State"] != "CA"} == {""}
    assert "LOS ANGELES" in {r["County"] for r in rows}
    dates = [r["Original Issue Date"] for r in rows] + [r["Expiration Date"] for r in rows]
    assert sorted(d for d in dates if not _us_date(d)) == ["13/45/2020", "N/A"]
    assert Counter(t.kind for t in truth)["bad-row"] == 6
    assert sum(1 for r in people if not r["License Number"]) == 2
    assert sum(1 for r in rows if r["License Status"] == "PENDING AUDIT") == 2
    assert set(Counter(r["License Status"] for r in rows)) == {
        "Current", "Current Inactive", "Delinquent", "Cancelled", "Revoked", "Surrendered",
        "Deceased", "Probation", "PENDING AUDIT"}


def test_names_differ_a_little_from_nppes_and_some_are_not_ascii(providers, dca_data):
    by_npi = {int(p["number"]): p["basic"] for p in providers}
    middles = Counter()
    for row, t in zip(dca_data.rows, dca_data.truth, strict=True):
        if t.npi is None:
            continue
        basic = by_npi[t.npi]
        assert row["Org/Last Name"].upper() == basic["last_name"].replace(
            "<script>alert(1)</script>", "")
        assert row["First Name"].upper() in (basic["first_name"], "JOSÉ", "SOFÍA")
        middle = basic.get("middle_name", "")
        if middle:
            middles[row["Middle Name"].upper() == middle] += 1
    assert middles[True] > middles[False] > 0
    names = " ".join(r["First Name"] + " " + r["Org/Last Name"] for r in dca_data.rows)
    assert re.search(r"[ÑÉÍÓÚÁ]", names)
    with pytest.raises(UnicodeDecodeError):
        dca_tsv(dca_data.rows).decode("utf-8")
    # made-up licensees never share a first and last name with the state's NPPES individuals
    in_state = _acupuncturists(providers, "CA")
    nppes_names = {(b["first_name"], b["last_name"]) for npi, b in by_npi.items()
                   if npi in in_state}
    made_up = {(r["First Name"].upper(), r["Org/Last Name"].upper())
               for r, t in zip(dca_data.rows, dca_data.truth, strict=True)
               if t.npi is None and t.kind != "organization"}
    assert not made_up & nppes_names


def test_mqa_rows(mqa_data):
    rows = mqa_data.rows
    assert all(tuple(r) == ("License", "Name", "Profession", "City", "License Status")
               for r in rows)
    assert {r["Profession"] for r in rows} == {"Acupuncturist"}
    numbered = [r["License"] for r in rows if r["License"]]
    assert all(re.fullmatch(r"AP\d{4,5}", n) for n in numbered)
    assert {len(n) for n in numbered} == {6, 7}
    # "LAST[ SUFFIX], FIRST[ MIDDLE]", in capitals but for the few the board spells otherwise
    name = re.compile(r"[A-ZÀ-Þ'\- ]+( (JR|SR|II|III))?, [A-ZÀ-Þ'\-]+( [A-ZÀ-Þ'\-]+)?", re.I)
    assert all(name.fullmatch(r["Name"]) for r in rows)
    assert sum(r["Name"] != r["Name"].upper() for r in rows) < 0.08 * len(rows)
    assert all(r["City"] == r["City"].upper() for r in rows)
    assert sum(1 for r in rows if not r["License"]) == 2
    assert sum(1 for r in rows if r["License Status"] == "PENDING AUDIT") == 2
    assert {t.kind for t in mqa_data.truth} == {"license", "bad-row"}
    assert set(Counter(r["License Status"] for r in rows)) == {
        "Clear/Active", "Clear/Inactive", "Delinquent/Active", "Null and Void", "Retired",
        "Revoked", "Suspended", "Voluntary Relinquishment", "Deceased", "PENDING AUDIT"}


def test_generation_is_deterministic(providers):
    few = providers[:1500]
    first, second = generate_dca_data(few, seed=5), generate_dca_data(few, seed=5)
    assert (first.rows, first.truth, first.others) == (second.rows, second.truth, second.others)
    assert dca_tsv(first.rows) == dca_tsv(second.rows)
    assert generate_dca_data(few, seed=6).rows != first.rows
    assert mqa_csv(generate_mqa_data(few, seed=5).rows) == mqa_csv(
        generate_mqa_data(few, seed=5).rows)
    relabelled = generate_mqa_data(few, seed=5, profession="Acupuncture Physician")
    assert {r["Profession"] for r in relabelled.rows} == {"Acupuncture Physician"}
    with pytest.raises(ValueError):
        generate_mqa_data(few, profession="Medical Doctor")


# -- California: token, Box, download -------------------------------------------------------------


def test_token_is_a_json_string_new_every_call(dca):
    server, site = dca
    first, second = token(server), token(server)
    assert first != second
    assert site.counts["token"] == 2


def test_box_wants_a_valid_bearer_token(dca):
    server, site = dca
    for bearer in (None, "not-a-token"):
        status, headers, body = box(server, f"/folders/{ROOT_FOLDER_ID}/items", bearer)
        assert status == 401
        assert headers["WWW-Authenticate"] == (
            'Bearer realm="Service", error="invalid_token", '
            'error_description="The access token provided is invalid."')
        error = json.loads(body)
        assert {k: error[k] for k in ("type", "status", "code", "message")} == {
            "type": "error", "status": 401, "code": "unauthorized", "message": "Unauthorized"}
        assert error["help_url"] and error["request_id"]
    good = token(server)
    assert box(server, f"/folders/{ROOT_FOLDER_ID}/items", good)[0] == 200
    site.expire_tokens()  # mid-run: the same token now fails, a new one works
    assert box(server, f"/folders/{ROOT_FOLDER_ID}/items", good)[0] == 401
    assert box(server, f"/folders/{ROOT_FOLDER_ID}/items", token(server))[0] == 200
    site.token_ttl = 0  # tokens that die at once
    assert box(server, f"/folders/{ROOT_FOLDER_ID}/items", token(server))[0] == 401
    assert site.counts["unauthorized"] == 4


def test_root_folder_lists_the_boards_folders_first(dca):
    server, _ = dca
    answer = listing(server, ROOT_FOLDER_ID, token(server))
    assert answer["limit"] == 100 and answer["offset"] == 0  # Box's default limit
    assert answer["order"] == [{"by": "type", "direction": "ASC"},
                               {"by": "name", "direction": "ASC"}]
    entries = answer["entries"]
    assert answer["total_count"] == len(entries) == len(DCA_BOARDS) + 2
    kinds = [e["type"] for e in entries]
    assert kinds == sorted(kinds, key=lambda k: k != "folder")  # folders, then files
    folders = [e for e in entries if e["type"] == "folder"]
    assert [e["name"] for e in folders] == sorted((e["name"] for e in folders), key=str.casefold)
    assert {e["name"] for e in folders} == {name for name, *_ in DCA_BOARDS}
    assert "Read Me.pdf" in {e["name"] for e in entries if e["type"] == "file"}
    for entry in folders:
        assert set(entry) == {"type", "id", "sequence_id", "etag", "name"}
        assert entry["id"].isdigit()


def test_paging_and_the_1000_cap(dca):
    server, _ = dca
    bearer = token(server)
    everything = all_entries(server, ROOT_FOLDER_ID, bearer)
    pages = [listing(server, ROOT_FOLDER_ID, bearer, limit=10, offset=k)
             for k in range(0, 50, 10)]
    assert [e for page in pages for e in page["entries"]] == everything
    assert {page["total_count"] for page in pages} == {len(everything)}
    assert pages[-1]["entries"] == []
    assert listing(server, ROOT_FOLDER_ID, bearer, limit=5000)["limit"] == 1000
    assert listing(server, ROOT_FOLDER_ID, bearer, limit=3, fields="name,sha1")["entries"] == \
        everything[:3]  # fields= is accepted and ignored
    status, _, body = box(server, f"/folders/{ROOT_FOLDER_ID}/items?limit=abc", bearer)
    assert status == 400 and json.loads(body)["code"] == "bad_request"


def test_unknown_folder_and_file_are_box_404s(dca):
    server, _ = dca
    bearer = token(server)
    for path in ("/folders/123/items", "/files/123/content", "/files/123"):
        status, headers, body = box(server, path, bearer)
        error = json.loads(body)
        assert (status, headers["Content-Type"], error["type"], error["status"],
                error["code"]) == (404, "application/json", "error", 404, "not_found")


def test_the_acupuncture_folder_two_data_files_and_a_layout(dca, dca_data):
    server, site = dca
    bearer = token(server)
    entries = all_entries(server, acupuncture_folder(server, bearer)["id"], bearer)
    assert [e["name"] for e in entries] == [
        "Acupuncture_Data00.xls", "Acupuncture_Data01.xls", "Acupuncture_Layout.pdf"]
    rows = []
    for entry in entries:
        assert set(entry) == {"type", "id", "file_version", "sequence_id", "etag", "sha1", "name"}
        assert entry["type"] == "file" and entry["id"].isdigit()
        body = download(server, entry["id"], bearer)
        assert entry["sha1"] == entry["file_version"]["sha1"] == hashlib.sha1(body).hexdigest()
        if entry["name"].endswith(".xls"):
            assert body.split(b"\r\n")[0].decode("cp1252") == DCA_HEADER
            assert b'"' not in body.split(b"\r\n")[0]
            part = parse_tsv(body)
            assert part  # each file holds some of the rows
            rows += part
        else:
            assert body.startswith(b"%PDF")
    assert rows == dca_data.rows
    assert (site.counts["listing"], site.counts["content"], site.counts["download"]) == (2, 3, 3)


def test_other_boards_hold_their_own_small_files(dca, dca_data):
    server, _ = dca
    bearer = token(server)
    folder = next(e for e in all_entries(server, ROOT_FOLDER_ID, bearer)
                  if e["name"] == "Medical Board of California")
    (entry,) = all_entries(server, folder["id"], bearer)
    assert entry["name"] == "Medical_Data00.xls"
    rows = parse_tsv(download(server, entry["id"], bearer))
    assert rows == dca_data.others["Medical Board of California"]
    assert {r["Agency Name"] for r in rows} == {"Medical Board of California"}
    assert {r["License Type"] for r in rows} == {"Physician and Surgeon"}


def test_a_monthly_refresh_changes_sha1_and_etag(dca, dca_data):
    server, site = dca
    bearer = token(server)
    folder_id = acupuncture_folder(server, bearer)["id"]
    before = {e["name"]: e for e in all_entries(server, folder_id, bearer)}
    rows = list(dca_data.rows)
    rows[-1] = {**rows[-1], "License Status": "Deceased"}  # in the second file only
    site.replace_rows(rows)
    after = {e["name"]: e for e in all_entries(server, folder_id, bearer)}
    assert after["Acupuncture_Data00.xls"] == before["Acupuncture_Data00.xls"]
    new, old = after["Acupuncture_Data01.xls"], before["Acupuncture_Data01.xls"]
    assert new["id"] == old["id"]
    assert new["sha1"] != old["sha1"] and new["file_version"]["id"] != old["file_version"]["id"]
    assert int(new["etag"]) == int(old["etag"]) + 1 == int(new["sequence_id"])
    assert parse_tsv(download(server, new["id"], bearer))[-1]["License Status"] == "Deceased"

    site.replace_rows(rows, parts=3)  # a third file appears
    names = [e["name"] for e in all_entries(server, folder_id, bearer)]
    assert names == ["Acupuncture_Data00.xls", "Acupuncture_Data01.xls",
                     "Acupuncture_Data02.xls", "Acupuncture_Layout.pdf"]
    site.replace_rows(rows, parts=1)
    assert [e["name"] for e in all_entries(server, folder_id, bearer)] == [
        "Acupuncture_Data00.xls", "Acupuncture_Layout.pdf"]


def test_a_download_url_serves_the_version_it_was_made_for(dca, dca_data):
    server, site = dca
    bearer = token(server)
    file_id = site.file("Acupuncture_Data00.xls").id
    status, headers, _ = box(server, f"/files/{file_id}/content", bearer)
    first = site.file("Acupuncture_Data00.xls").content
    site.set_files({"Acupuncture_Data00.xls": b"garbage"})
    assert get(headers["Location"])[2] == first
    assert download(server, file_id, bearer) == b"garbage"


def test_broken_added_removed_files_and_a_renamed_column(dca):
    server, site = dca
    bearer = token(server)
    folder_id = acupuncture_folder(server, bearer)["id"]
    truncated = site.file("Acupuncture_Data01.xls").content[:1000]
    site.set_files({"Acupuncture_Data01.xls": truncated, "Acupuncture_Data02.xls": b"\x00\xff",
                    "Acupuncture_Layout.pdf": None})
    entries = {e["name"]: e["id"] for e in all_entries(server, folder_id, bearer)}
    assert list(entries) == ["Acupuncture_Data00.xls", "Acupuncture_Data01.xls",
                             "Acupuncture_Data02.xls"]
    assert download(server, entries["Acupuncture_Data01.xls"], bearer) == truncated
    assert download(server, entries["Acupuncture_Data02.xls"], bearer) == b"\x00\xff"

    site.rename_column("License Number", "License No")
    header = site.data_files()["Acupuncture_Data00.xls"].split(b"\r\n")[0].decode("cp1252")
    assert header == DCA_HEADER.replace("License Number", "License No")
    assert parse_tsv(download(server, entries["Acupuncture_Data00.xls"], bearer))[0][
        "License No"].startswith("AC")

    site.remove_folder()
    assert ACUPUNCTURE_BOARD not in {e["name"] for e in all_entries(server, ROOT_FOLDER_ID,
                                                                     bearer)}
    assert box(server, f"/folders/{folder_id}/items", bearer)[0] == 404


# -- Florida: the form and the export -------------------------------------------------------------


def _select(page: str, select_id: str) -> list[tuple[str, str]]:
    match = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert match, select_id
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', match.group(1))


def test_the_form_lists_the_professions(mqa):
    server, site = mqa
    status, headers, body = get(server.url + FORM)
    page = body.decode("utf-8")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert 'name="SearchDto.Profession"' in page
    options = _select(page, "SearchDto_Profession")
    assert options[0] == ("", "-- Select Profession --")
    assert ("3501", "Acupuncturist") in options
    assert {("1501", "Medical Doctor"), ("701", "Dentist"), ("501", "Chiropractic Physician"),
            ("2601", "Registered Nurse")} <= set(options)
    assert all(re.fullmatch(r"\d{3,4}", code) for code, _ in options[1:])
    assert _select(page, "SearchDto_LicenseStatus") and _select(page, "SearchDto_County")
    assert site.counts["form"] == 1


def test_the_export_csv(mqa, mqa_data):
    server, site = mqa
    status, headers, body = export(server, Profession="3501")
    assert status == 200 and headers["Content-Type"] == "text/csv"
    assert headers["Content-Disposition"] == "attachment; filename=Healthcareproviders.csv"
    lines = body.split(b"\r\n")
    assert lines[0].decode() == MQA_HEADER and lines[-1] == b""
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert all(line.startswith(b'"') and line.endswith(b'"') and line.count(b'","') == 4
               for line in lines[:-1])  # every value quoted, five a line
    assert parse_csv(body) == mqa_data.rows
    assert site.counts["export"] == 1


def test_the_active_filter_lets_other_statuses_through(mqa, mqa_data):
    server, _ = mqa
    body = export(server, Profession="3501", LicenseStatus="A")[2]
    rows = parse_csv(body)
    leaked = [r for r in rows if r["License Status"] not in MQA_ACTIVE]
    assert leaked and 0.03 < len(leaked) / len(rows) < 0.07
    assert len(rows) - len(leaked) == sum(r["License Status"] in MQA_ACTIVE
                                          for r in mqa_data.rows)
    assert export(server, Profession="3501", LicenseStatus="A")[2] == body  # the same rows
    inactive = parse_csv(export(server, Profession="3501", LicenseStatus="I")[2])
    assert inactive and not [r for r in inactive if r["License Status"] in MQA_ACTIVE]


def test_other_and_unknown_professions(mqa, mqa_data):
    server, _ = mqa
    dentists = parse_csv(export(server, Profession="701")[2])
    assert dentists == mqa_data.others["701"]
    assert {r["Profession"] for r in dentists} == {"Dentist"}
    for code in ("9999", "", 3501.5):
        status, _, body = export(server, Profession=code)
        assert (status, body) == (200, (MQA_HEADER + "\r\n").encode())
    assert parse_csv(export(server, Profession=3501)[2]) == mqa_data.rows  # a number will do


def test_a_malformed_json_model_is_a_500_page(mqa):
    server, site = mqa
    for query in ("?jsonModel=%7B%22Id%22%3A0%2C", "?jsonModel=%5B1%5D", ""):
        status, headers, body = get(f"{server.url}{EXPORT}{query}")
        assert status == 500 and headers["Content-Type"].startswith("text/html")
        assert b"Server Error" in body
    assert site.counts["error"] == 3


def test_the_acupuncture_code_can_be_another(mqa_data):
    site = MqaSite(mqa_data, acupuncture_code="1701")
    with SiteServer() as server:
        server.add_site("/MQASearchServices/", site)
        page = get(server.url + FORM)[2].decode()
        options = _select(page, "SearchDto_Profession")
        assert ("1701", "Acupuncturist") in options and "3501" not in dict(options)
        assert parse_csv(export(server, Profession="1701")[2]) == mqa_data.rows
        assert parse_csv(export(server, Profession="3501")[2]) == []
    with pytest.raises(ValueError):
        MqaSite(mqa_data, acupuncture_code=MQA_PROFESSIONS[0][0])


def test_paths_ignore_case_and_rows_can_change(mqa, mqa_data):
    server, site = mqa
    assert get(server.url + "/MQASearchServices/healthcareproviders")[0] == 200
    assert get(server.url + "/MQASearchServices/Nothing")[0] == 404
    site.replace_rows(mqa_data.rows[:3])
    assert parse_csv(export(server, Profession="3501")[2]) == mqa_data.rows[:3]
    site.set_export(b'"License","Na')
    assert export(server, Profession="3501")[2] == b'"License","Na'
    assert parse_csv(export(server, Profession="701")[2]) == mqa_data.others["701"]


# -- the whole set and the truth ------------------------------------------------------------------


def test_start_all_mounts_both(providers):
    server, sites = start_all(n=300)
    try:
        assert isinstance(sites["dca"], DcaBoxSite) and isinstance(sites["mqa"], MqaSite)
        assert sites["dca"].data is sites["dca_data"] and sites["mqa"].data is sites["mqa_data"]
        bearer = token(server)
        assert acupuncture_folder(server, bearer)["type"] == "folder"
        status, _, body = fetch(f"{server.url}{FORM}")
        assert status == 200 and b"SearchDto_Profession" in body
        lines = banner(server, sites)
        assert any(line.startswith("CA DCA licensee lists stand-in: ") for line in lines)
        assert any(line.startswith("FL MQA stand-in: ") for line in lines)
    finally:
        server.stop()


def test_linking_quality_counts_the_ca_and_fl_licenses(dca_data, mqa_data):
    db = Database(memory=True)
    db["practitioners"].insert_all([{"practitioner_id": "npi:1", "npi": "1"},
                                    {"practitioner_id": "p:x", "npi": None}])
    links = []
    expected = Counter()
    for data in (dca_data, mqa_data):
        for k, t in enumerate(data.truth[:40]):
            row = data.rows[t.row]
            number = license_number(row[data.number_column])
            if number is None:
                continue
            # every tenth row linked to a stranger, the rest to somebody without an NPI
            practitioner = "npi:1" if k % 10 == 0 else "p:x"
            links.append({"practitioner_id": practitioner, "record_table": "licenses",
                          "record_id": license_id(data.state, data.license_type(row), number)})
            expected[data.state, "fp" if practitioner == "npi:1" else "fn" if t.npi else ""] += 1
    db["practitioner_links"].insert_all(links)
    quality = linking_quality(db, {}, LeieData("2602", [], []), dca_data, mqa_data)
    for state in ("CA", "FL"):
        q = quality[f"license-{state}"]
        assert q["fp"] == expected[state, "fp"] > 0 and q["tp"] == 0
        assert q["pairs"] == sum(n for (s, _), n in expected.items() if s == state)
    assert "license-CA" not in linking_quality(db, {}, LeieData("2602", [], []))
