"""The board-file source kind, file by file: formats, encodings, the header check, the
acupuncture rows, rejects with line numbers, settings, and a board defined by settings alone.
The runs against the California and Florida stand-ins are in tests/test_boardfile_sites.py."""

from __future__ import annotations

import random
from pathlib import Path

import httpx
import pytest

from scraper.config import HttpConfig
from scraper.http import Fetcher
from scraper.models import License, Reject
from scraper.sources import SOURCES, boardfile, register_configured
from scraper.sources.base import SourceError
from scraper.tabular import MAX_LINE_BYTES, Lines, UnreadableFile, csv_rows, sniff_format

CA = boardfile.BOARD_FILES["ca-dca"]
FL = boardfile.BOARD_FILES["fl-mqa"]
# The DCA licensee list's columns, as ../shared/SOURCES-EVIDENCE.md gives them.
CA_HEADER = ["Agency Name", "License Type", "Speciality Code", "License Number",
             "Indiv/Org (I/O)", "Org/Last Name", "First Name", "Middle Name", "Suffix",
             "Address Line 1", "Address Line 2", "City", "County", "State", "Zip", "Country",
             "Original Issue Date", "Expiration Date", "School", "Year Graduated", "Degree",
             "License Status"]


def ca_row(**values: str) -> list[str]:
    row = {"Agency Name": "Acupuncture Board", "License Type": "Acupuncturist",
           "License Number": "AC12345", "Indiv/Org (I/O)": "I", "Org/Last Name": "NUÑEZ",
           "First Name": "ANA", "Middle Name": "MARIA", "Address Line 1": "100 MAIN ST",
           "Address Line 2": "STE 2", "City": "OAKLAND", "County": "ALAMEDA", "State": "CA",
           "Zip": "946121234", "Country": "US", "Original Issue Date": "05/14/2009",
           "Expiration Date": "03/31/2027", "School": "Five Branches University",
           "Year Graduated": "2008", "Degree": "MSTCM", "License Status": "Current"}
    row.update(values)
    return [row.get(column, "") for column in CA_HEADER]


def write_tsv(path: Path, rows: list[list[str]], encoding: str = "cp1252") -> Path:
    path.write_bytes("".join("\t".join(r) + "\r\n" for r in [CA_HEADER, *rows]).encode(encoding))
    return path


def read(cfg: boardfile.BoardFile, path: Path) -> tuple[boardfile.Scan, list]:
    scan = boardfile.scan_file(cfg, path, path.name)
    return scan, list(boardfile.parse_file(cfg, path, scan, "https://example.org/f", "2026"))


# -- formats ----------------------------------------------------------------------------------


def test_an_xls_that_is_tab_separated_text_is_read_as_such(tmp_path):
    path = write_tsv(tmp_path / "Acupuncture_Data00.xls", [ca_row()])
    assert sniff_format(path) == "tsv"
    scan, records = read(CA, path)
    assert (scan.fmt, scan.encoding, scan.rows, scan.kept) == ("tsv", "cp1252", 1, 1)
    [lic] = records
    assert isinstance(lic, License)
    assert (lic.last_name, lic.first_name, lic.middle_name) == ("NUÑEZ", "ANA", "MARIA")
    assert (lic.license_number, lic.license_number_normalized) == ("AC12345", "12345")
    assert lic.license_id == "CA:acupuncturist:12345"
    assert (lic.address, lic.city, lic.state, lic.zip) == ("100 MAIN ST, STE 2", "OAKLAND",
                                                           "CA", "94612")
    assert (lic.school, lic.graduated, lic.degree) == ("Five Branches University", "2008",
                                                       "MSTCM")
    assert (lic.issued_on, lic.expires_on) == ("2009-05-14", "2027-03-31")
    assert (lic.status, lic.status_normalized) == ("Current", "active")
    assert lic.verify_url == "https://search.dca.ca.gov/"


def test_utf8_with_a_byte_order_mark_is_read_as_utf8(tmp_path):
    path = tmp_path / "list.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "\t".join(CA_HEADER).encode() + b"\r\n"
                     + "\t".join(ca_row(**{"Org/Last Name": "MÜLLER"})).encode() + b"\r\n")
    scan, [lic] = read(CA, path)
    assert lic.last_name == "MÜLLER" and scan.encoding == "utf-8"


def test_a_binary_excel_97_file_is_refused_by_name(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(UnreadableFile, match="binary Excel 97"):
        sniff_format(path)
    with pytest.raises(SourceError, match="binary Excel 97"):
        boardfile.scan_file(CA, path, "old.xls")


def test_an_xlsx_workbook_is_streamed_with_dates_and_numbers_as_text(tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(CA_HEADER)
    row: list[object] = list(ca_row())
    row[CA_HEADER.index("Original Issue Date")] = dt.datetime(2009, 5, 14)
    row[CA_HEADER.index("Year Graduated")] = 2008.0
    sheet.append(row)
    path = tmp_path / "list.xlsx"
    book.save(path)
    assert sniff_format(path) == "xlsx"
    scan, [lic] = read(CA, path)
    assert scan.fmt == "xlsx"
    assert (lic.issued_on, lic.graduated, lic.last_name) == ("2009-05-14", "2008", "NUÑEZ")


def test_a_csv_quote_left_open_costs_its_line_only():
    lines = ['License,Name\r\n', '"AP1,"SMITH, JOHN"\r\n', '"AP2","DOE, JANE"\r\n']
    rows = list(csv_rows(lines))
    assert [r.fields for r in rows][0] == ["License", "Name"]
    assert rows[-1].fields == ["AP2", "DOE, JANE"]


# -- the checks before anything is stored -------------------------------------------------------


def test_a_missing_column_fails_naming_it_and_the_close_one(tmp_path):
    path = tmp_path / "f.xls"
    header = [c if c != "License Status" else "Lic Status" for c in CA_HEADER]
    path.write_text("\t".join(header) + "\r\n" + "\t".join(ca_row()) + "\r\n", "cp1252")
    with pytest.raises(SourceError) as caught:
        boardfile.scan_file(CA, path, "f.xls")
    message = str(caught.value)
    assert "'License Status'" in message and "'Lic Status'" in message
    assert "columns" in message  # says which setting to change


def test_an_error_page_instead_of_the_file_fails_loudly(tmp_path):
    path = tmp_path / "f.xls"
    path.write_text("<html><body><h1>Service Unavailable</h1></body></html>\r\n")
    with pytest.raises(SourceError, match="no column 'License Number'"):
        boardfile.scan_file(CA, path, "f.xls")


def test_column_names_match_whatever_their_case_and_spacing(tmp_path):
    path = tmp_path / "f.xls"
    header = [f" {c.upper()}  " for c in CA_HEADER]
    path.write_text("\t".join(header) + "\r\n" + "\t".join(ca_row()) + "\r\n", "cp1252")
    scan, [lic] = read(CA, path)
    assert lic.license_number == "AC12345"


def test_organizations_and_other_types_are_left_out_and_counted(tmp_path):
    path = write_tsv(tmp_path / "f.xls", [
        ca_row(),
        ca_row(**{"Indiv/Org (I/O)": "O", "Org/Last Name": "LOTUS ACUPUNCTURE INC",
                  "First Name": "", "Middle Name": "", "License Type": "Acupuncture Corporation",
                  "License Number": "ACC100"}),
        ca_row(**{"License Type": "Registered Nurse", "License Number": "RN1"}),
    ])
    scan, records = read(CA, path)
    assert (scan.rows, scan.kept, scan.skipped) == (3, 1, 1)
    assert scan.matched == {"Acupuncturist": 1}
    assert [r.license_number for r in records] == ["AC12345"]
    assert "1 skipped (Indiv/Org (I/O))" in boardfile.describe(CA, [("f.xls", scan)])


def test_no_acupuncture_row_names_the_values_that_look_close(tmp_path):
    path = write_tsv(tmp_path / "f.xls", [
        ca_row(**{"License Type": "Licensed Acupuncturist", "License Number": f"AC{i}"})
        for i in range(3)] + [ca_row(**{"License Type": "Registered Nurse"})])
    cfg = boardfile.configure(CA, {"type_pattern": "^acupuncturist$"})
    scan, records = read(cfg, path)
    assert (scan.kept, records) == (0, [])
    message = boardfile.no_match_message(cfg, [scan])
    assert "'Licensed Acupuncturist' (3 rows)" in message and "type_pattern" in message


def test_rows_that_cannot_be_read_are_rejects_with_their_line_numbers(tmp_path):
    good = ca_row()
    cut = ca_row(**{"License Number": "AC777"})[:9]  # a line cut short
    bad_status = ca_row(**{"License Number": "AC888", "License Status": "PENDING AUDIT"})
    bad_date = ca_row(**{"License Number": "AC999", "Expiration Date": "13/45/2020"})
    nurse_cut = ca_row(**{"Agency Name": "Board of Registered Nursing",
                          "License Type": "Registered Nurse"})[:5]
    path = write_tsv(tmp_path / "f.xls", [good, cut, bad_status, bad_date, nurse_cut])
    scan, records = read(CA, path)
    assert scan.unreadable == 1  # the nurse's cut line is no acupuncture row
    licenses = [r for r in records if isinstance(r, License)]
    rejects = [r for r in records if isinstance(r, Reject)]
    assert [r.license_number for r in licenses] == ["AC12345", "AC888", "AC999"]
    reasons = sorted(r.reason for r in rejects)
    assert reasons[0].startswith("line 3: has 9 fields, the header 22")
    assert reasons[1].startswith("line 4: unknown status 'PENDING AUDIT'")
    assert reasons[2].startswith("line 5: Expiration Date: unrecognized date")
    by_number = {r.license_number: r for r in licenses}
    assert by_number["AC888"].status_normalized == "unknown"
    assert by_number["AC999"].expires_on is None


def test_a_damaged_file_fails_whole(tmp_path):
    rows = [ca_row(**{"License Number": f"AC{i}"})[:10] for i in range(boardfile.REJECT_LIMIT + 1)]
    path = write_tsv(tmp_path / "f.xls", [ca_row(), *rows])
    with pytest.raises(SourceError, match="damaged file"):
        boardfile.scan_file(CA, path, "f.xls")


def test_florida_names_and_statuses(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text('"License","Name","Profession","City","License Status"\r\n'
                    '"AP1234","SMITH, JOHN ALLEN","Acupuncturist","MIAMI","Clear/Active"\r\n'
                    '"AP0042","DE LA CRUZ, MARIA","Acupuncturist","TAMPA","Null and Void"\r\n'
                    '"AP77","LEE, KIM","Acupuncturist","ORLANDO","Delinquent/Active"\r\n',
                    "utf-8")
    scan, records = read(FL, path)
    assert scan.fmt == "csv" and scan.kept == 3
    john, maria, kim = records
    assert (john.first_name, john.middle_name, john.last_name) == ("JOHN", "ALLEN", "SMITH")
    assert (john.license_number_normalized, john.status_normalized) == ("1234", "active")
    assert (maria.last_name, maria.license_number_normalized, maria.status_normalized) == (
        "DE LA CRUZ", "42", "expired")
    assert kim.status_normalized == "expired"
    assert john.license_id == "FL:acupuncturist:1234"


# -- settings --------------------------------------------------------------------------------------


def test_settings_are_checked_by_name_and_type():
    with pytest.raises(ValueError, match="unknown setting.*colums"):
        boardfile.configure(CA, {"colums": {}})
    with pytest.raises(ValueError, match="format = 'xls' must be one of"):
        boardfile.configure(CA, {"format": "xls"})
    with pytest.raises(ValueError, match="columns: unknown field"):
        boardfile.configure(CA, {"columns": {"licence_number": "X"}})
    with pytest.raises(ValueError, match="statuses"):
        boardfile.configure(CA, {"statuses": {"CURRENT": "fine"}})
    with pytest.raises(ValueError, match="must be a text"):
        boardfile.configure(FL, {"profession": 3501})
    with pytest.raises(ValueError, match="type_pattern"):
        boardfile.configure(CA, {"type_pattern": "acu("})
    cfg = boardfile.configure(FL, {"profession": "3501", "statuses": {"clear/retired": "inactive"}})
    assert cfg.options["profession"] == "3501"
    assert cfg.statuses["CLEAR/RETIRED"] == "inactive" and "CLEAR/ACTIVE" in cfg.statuses


MARYLAND = {"kind": "board-file", "title": "Maryland Board of Acupuncture", "state": "md",
            "url": "https://health.maryland.gov/bacc/Documents/acupactive.csv",
            "columns": {"license_number": "RegNum", "last_name": "LName",
                        "first_name": "FName", "status": "StatusCode",
                        "issued_on": "OrigLicDate", "expires_on": "ExpDate"},
            "statuses": {"A": "active"}}


def test_a_board_defined_by_settings_alone(tmp_path, monkeypatch):
    monkeypatch.setattr("scraper.sources.SOURCES", dict(SOURCES))
    from scraper import sources

    assert register_configured({"md-acup": MARYLAND, "wa-doh": {"where": "x"}}) == ["md-acup"]
    source = sources.SOURCES["md-acup"]
    assert (source.JURISDICTION, source.SINK, source.TITLE) == (
        "MD", "licenses", "Maryland Board of Acupuncture")
    path = tmp_path / "acupactive.csv"
    path.write_text("RegNum,LName,FName,StatusCode,OrigLicDate,ExpDate\r\n"
                    "U01234,PARK,JIN,A,01/02/2010,05/31/2027\r\n")
    [lic] = list(source.parse(path, "", {}))
    assert (lic.license_id, lic.last_name, lic.status_normalized, lic.expires_on) == (
        "MD:acupuncturist:U01234", "PARK", "active", "2027-05-31")


@pytest.mark.parametrize("change, message", [
    ({"state": "Maryland"}, "two letters"),
    ({"url": None}, "needs url"),
    ({"columns": None}, "needs columns"),
    ({"columns": {"last_name": "LName"}}, "license_number"),
    ({"kind": "socrata"}, "only kind"),
])
def test_a_board_defined_by_settings_with_a_mistake_is_refused(change, message, monkeypatch):
    monkeypatch.setattr("scraper.sources.SOURCES", dict(SOURCES))
    settings = {k: v for k, v in {**MARYLAND, **change}.items() if v is not None}
    with pytest.raises(ValueError, match=message):
        register_configured({"md-acup": settings})


def test_a_built_in_source_cannot_be_redefined(monkeypatch):
    monkeypatch.setattr("scraper.sources.SOURCES", dict(SOURCES))
    with pytest.raises(ValueError, match="built-in"):
        register_configured({"oig-leie": MARYLAND})


# -- the HTTP client: a token stays with its host ----------------------------------------------------


def test_authorization_is_not_sent_on_to_another_host():
    seen: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        seen.append((request.url.host, request.headers.get("authorization")))
        if request.url.host == "api.box.example":
            if request.url.path == "/same":
                return httpx.Response(302, headers={"Location": "/files/1/content"})
            return httpx.Response(302, headers={"Location": "https://dl.boxcloud.example/d/1"})
        return httpx.Response(200, content=b"data")

    config = HttpConfig(contact="ops@example.org", min_interval=0)
    with Fetcher(config, transport=httpx.MockTransport(handler), rng=random.Random(1),
                 resolver=lambda host, port: ["93.184.215.14"]) as f:
        page = f.get("https://api.box.example/same", headers={"Authorization": "Bearer T"})
    assert page.content == b"data"
    assert seen == [("api.box.example", "Bearer T"), ("api.box.example", "Bearer T"),
                    ("dl.boxcloud.example", None)]


def test_the_readme_example_of_a_board_by_settings_works(tmp_path, monkeypatch):
    import re as regex
    import tomllib

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = next(b for b in regex.findall(r"```toml\n(.*?)```", readme, regex.S)
                 if 'kind = "board-file"' in b)
    settings = tomllib.loads(block)["sources"]
    monkeypatch.setattr("scraper.sources.SOURCES", dict(SOURCES))
    from scraper import sources

    [source_id] = register_configured(settings)
    path = tmp_path / "acupactive.csv"
    path.write_text("RegNum,LName,FName,StatusCode,OrigLicDate,ExpDate\r\n"
                    "U01234,PARK,JIN,A,01/02/2010,05/31/2027\r\n")
    [lic] = list(sources.SOURCES[source_id].parse(path, "", settings[source_id]))
    assert (lic.jurisdiction, lic.status_normalized) == ("MD", "active")
    assert lic.verify_url.startswith("https://mdbnc.health.maryland.gov/")


def test_a_redirect_from_box_to_a_private_address_is_refused():
    """Box's content redirect cannot send us to a metadata service: the hop to another host
    is checked as an address taken from data (review of issue 12)."""
    from scraper.errors import UnsafeURL

    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(302, headers={
            "Location": "http://169.254.169.254/latest/meta-data/iam/"})

    config = HttpConfig(contact="ops@example.org", min_interval=0)
    with Fetcher(config, transport=httpx.MockTransport(handler), rng=random.Random(1),
                 resolver=lambda host, port: ["93.184.215.14"]) as f:
        with pytest.raises(UnsafeURL):
            f.download("https://api.box.example/2.0/files/1/content", tmp_file(),
                       public_redirects=True)
    assert not any("169.254" in url for url in asked)


def tmp_file():
    import tempfile

    return tempfile.TemporaryFile()


# -- what the review of issue 12 found ---------------------------------------------------------


def workbook(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_a_workbook_saved_under_any_name_is_read(tmp_path):
    path = workbook(tmp_path / "0.data", [CA_HEADER, ca_row()])
    scan, [lic] = read(CA, path)
    assert (scan.fmt, lic.license_number) == ("xlsx", "AC12345")


def test_a_workbook_row_whose_last_cells_are_empty_is_read(tmp_path):
    short = ca_row(**{"License Status": ""})
    path = workbook(tmp_path / "list.xlsx", [CA_HEADER, short, ca_row(**{"Degree": "",
                                                                    "License Number": "AC2"})])
    scan, records = read(CA, path)
    assert scan.unreadable == 0
    assert [r.license_number for r in records if isinstance(r, License)] == ["AC12345", "AC2"]


def test_a_workbook_declaring_a_million_rows_is_not_padded_out(tmp_path):
    import time
    import zipfile

    source = workbook(tmp_path / "small.xlsx", [CA_HEADER, ca_row()])
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b'<dimension ref="A1:V2"/>',
                                    b'<dimension ref="A1:XFD1048576"/>')
                assert b"XFD1048576" in data
            zout.writestr(item, data)
    started = time.monotonic()
    scan, records = read(CA, bomb)
    assert len(records) == 1 and time.monotonic() - started < 10


def test_a_workbook_that_unpacks_to_far_more_than_it_weighs_is_refused(tmp_path):
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        zout.writestr("xl/sharedStrings.xml", b"<sst>" + b"A" * 50_000_000 + b"</sst>")
    with pytest.raises(SourceError, match="unpacks to 50,000,011 bytes"):
        boardfile.scan_file(CA, bomb, "bomb.xlsx")


def test_a_broken_workbook_is_a_clear_error(tmp_path):
    path = workbook(tmp_path / "list.xlsx", [CA_HEADER, ca_row()])
    import zipfile

    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data[: len(data) // 2]  # the sheet's XML cut in the middle
            zout.writestr(item, data)
    with pytest.raises(SourceError, match="not a readable XLSX workbook"):
        boardfile.scan_file(CA, broken, "broken.xlsx")


def test_one_stray_byte_costs_its_line_not_the_files_accents(tmp_path):
    path = tmp_path / "f.xls"
    lines = [("\t".join(CA_HEADER)).encode(),
             "\t".join(ca_row(**{"Org/Last Name": "NÚÑEZ"})).encode("utf-8"),
             "\t".join(ca_row(**{"Org/Last Name": "O\u2019BRIEN",
                                 "License Number": "AC2"})).encode("cp1252")]
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    scan, records = read(CA, path)
    assert [r.last_name for r in records] == ["NÚÑEZ", "O\u2019BRIEN"]
    assert scan.encoding == "utf-8, 1 line(s) cp1252"


def test_a_license_listed_twice_is_kept_once_and_the_repeat_is_a_reject(tmp_path):
    path = write_tsv(tmp_path / "f.xls", [ca_row(), ca_row(**{"License Status": "Revoked"})])
    _, records = read(CA, path)
    [lic] = [r for r in records if isinstance(r, License)]
    [reject] = [r for r in records if isinstance(r, Reject)]
    assert lic.status == "Current"
    assert reject.reason == ("line 3: license AC12345 listed again (first at line 2 of f; "
                             "that one kept)")


def test_a_stray_quote_does_not_swallow_the_next_row_unseen():
    lines = ['License,Name,Profession\r\n', 'AP4,"NAME4 FIRST,Acupuncturist\r\n',
             'AP5,NA"ME5 FIRST,Acupuncturist\r\n', 'AP6,"DOE, JANE",Acupuncturist\r\n']
    rows = [r.fields for r in csv_rows(lines)]
    assert ["AP5", 'NA"ME5 FIRST', "Acupuncturist"] in rows
    assert ["AP6", "DOE, JANE", "Acupuncturist"] in rows


def test_an_endless_line_is_cut_and_rejected(tmp_path):
    path = tmp_path / "f.xls"
    long_row = "\t".join(ca_row(**{"Address Line 2": "X" * (3 * MAX_LINE_BYTES)}))
    path.write_text("\t".join(CA_HEADER) + "\r\n" + long_row + "\r\n"
                    + "\t".join(ca_row(**{"License Number": "AC2"})) + "\r\n", "cp1252")
    text = Lines(path)
    assert max(len(line) for line in text) <= MAX_LINE_BYTES + 1 and text.cut == 1
    scan, records = read(CA, path)
    assert scan.unreadable == 1  # the cut row is still seen to be an acupuncture row
    assert [r.license_number for r in records if isinstance(r, License)] == ["AC2"]
    assert [r.reason.split(":")[0] for r in records if isinstance(r, Reject)] == ["line 2"]


def test_a_shipped_board_cannot_be_redefined_or_given_an_address(monkeypatch):
    monkeypatch.setattr("scraper.sources.SOURCES", dict(SOURCES))
    with pytest.raises(ValueError, match="built-in"):
        register_configured({"ca-dca": MARYLAND})
    with pytest.raises(ValueError, match="shipped board"):
        boardfile.configure(CA, {"state": "NV"})
    with pytest.raises(ValueError, match="finds its files itself"):
        boardfile.configure(CA, {"url": "https://example.org/x.csv"})
    with pytest.raises(ValueError, match="a Box folder id is a number|must be"):
        boardfile.configure(CA, {"max_file_bytes": 0})


def test_nppes_numbers_stored_before_lose_floridas_prefix(tmp_path):
    """m016: a Florida number NPPES gave before "AP" was dropped compares like the board's."""
    from db.migrations import migrations, open_db
    from scraper.normalize import license_number

    db = open_db(tmp_path / "p.db")
    db.execute("pragma foreign_keys = off")
    db.execute("insert into provider_taxonomies (npi, code, state, license_number, "
               "license_number_normalized) values ('1', '171100000X', 'FL', 'AP0001234', "
               "'AP0001234'), ('2', '171100000X', 'FL', 'APPLE', 'APPLE')")
    db.execute("delete from _sqlite_migrations where name = 'm016_florida_license_prefix'")
    migrations.apply(db)
    rows = dict(db.execute("select npi, license_number_normalized from provider_taxonomies"))
    assert rows == {"1": "1234", "2": "APPLE"} and license_number("AP0001234") == "1234"


def box_transport(answers: dict[str, httpx.Response]):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return answers[request.url.path]
    return httpx.MockTransport(handler)


def test_a_hostile_token_or_box_id_fails_the_source_cleanly():
    from scraper.parsing import ParseError

    config = HttpConfig(contact="ops@example.org", min_interval=0)
    cfg = boardfile.configure(CA, {"token_url": "https://dca.example/token",
                                   "api_url": "https://box.example/2.0"})
    bad_token = {"/token": httpx.Response(200, json="caf\u00e9\r\nX-Evil: 1")}
    with Fetcher(config, transport=box_transport(bad_token)) as fetcher:
        with pytest.raises(ParseError, match="expected a JSON string of token characters"):
            boardfile.discover_box(fetcher, cfg)
    entries = [{"type": "folder", "id": "../../folders/0/items?x=", "name": "Acupuncture Board"}]
    bad_id = {"/token": httpx.Response(200, json="T0KEN"),
              "/2.0/folders/66089580694/items": httpx.Response(200, json={
                  "total_count": 1, "entries": entries, "offset": 0, "limit": 1000})}
    with Fetcher(config, transport=box_transport(bad_id)) as fetcher:
        with pytest.raises(ParseError, match="not a number"):
            boardfile.discover_box(fetcher, cfg)
