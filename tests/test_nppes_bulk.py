"""The NPPES dissemination files: streaming out of the zip, the byte test, by-name columns,
the same rows as the API, weekly files and deactivations, bad input, downloads."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from datetime import date

import pytest
from click.testing import CliRunner

from db.migrations import connect, open_db
from db.store import provider_rows
from scraper.cli import cli
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from scraper.models import Reject
from scraper.sources.nppes_api import parse_provider
from scraper.sources.nppes_bulk import (
    BulkFileError,
    provider_from_row,
    read_deactivations,
    read_zip,
    taxonomy_descriptions,
)
from tests.sites.nppes import NppesApi
from tests.sites.nppes_bulk import (
    HEADER,
    BulkSite,
    bulk_row,
    current_header,
    older_header,
    write_zip,
)
from tests.sites.nppes_data import generate_providers
from tests.sites.server import SiteServer

HTTP = HttpConfig(min_interval=0, backoff_base=0.01, max_retries=1, allowed_hosts=("127.0.0.1",))
API_ONLY = ("created_at", "updated_at", "record_hash")


@pytest.fixture(scope="module")
def providers():
    return generate_providers(n=1500, seed=11)


def _acupuncturists(providers):
    return {str(p["number"]) for p in providers
            if any(t["code"] == "171100000X" for t in p["taxonomies"])}


def _rows(provider):
    row, addresses, taxonomies = provider_rows(provider)
    row = {k: v for k, v in row.items() if k not in API_ONLY}
    addresses = [{k: v for k, v in a.items() if not (a["purpose"] == "practice"
                                                    and k == "updated_on")} for a in addresses]
    return row, addresses, taxonomies


def test_the_file_gives_the_api_rows_for_every_provider(providers, tmp_path):
    path = write_zip(tmp_path / "m.zip", providers, others=3000)
    got, stats = read_zip(path)
    api = {p.npi: p for p in (parse_provider(raw, "u") for raw in providers)}
    assert {p.npi for p in got} == _acupuncturists(providers)
    with zipfile.ZipFile(path) as archive:  # the whole member was read
        assert stats.bytes_read == archive.getinfo(stats.members[0]).file_size
    assert stats.kept == len(got)
    assert stats.candidates < len(got) + 100  # the byte test let few others through
    for provider in got:
        assert _rows(provider) == _rows(api[provider.npi]), provider.npi
    assert stats.locations == sum(len(p.get("practiceLocations", [])) for p in providers
                                  if str(p["number"]) in _acupuncturists(providers))


@pytest.mark.parametrize("placeholder", ["--", "NA", "N/A", "0"])
def test_placeholders_in_a_row_are_absent_as_from_the_api(providers, placeholder):
    """The file maps the API's columns: the same "none" values are dropped the same way."""
    person = next(p for p in providers if p["enumeration_type"] == "NPI-1"
                  and "name_suffix" not in p["basic"] and len(p["taxonomies"]) == 1)
    row = dict(zip(HEADER, bulk_row(person), strict=True))
    row.update({"Provider Name Prefix Text": placeholder,
                "Provider Name Suffix Text": placeholder,
                "Provider License Number_1": placeholder})
    provider = provider_from_row(lambda column: row.get(column) or None, "f.csv", 0,
                                 taxonomy_descriptions(), None)
    assert (provider.name_prefix, provider.name_suffix) == (None, None)
    assert not provider.display_name.endswith(placeholder)
    (taxonomy,) = provider.taxonomies
    assert (taxonomy.license_number, taxonomy.license_number_normalized) == (None, None)


@pytest.mark.parametrize("header", [current_header(), older_header()],
                         ids=["current", "older"])
def test_columns_are_read_by_name_in_other_layouts(providers, tmp_path, header):
    reference, _ = read_zip(write_zip(tmp_path / "a.zip", providers))
    other, _ = read_zip(write_zip(tmp_path / "b.zip", providers, header=header))
    assert len(other) == len(reference)
    for a, b in zip(reference, other, strict=True):
        if header == older_header():  # without the 2015 columns: no sole proprietor, no groups
            a = replace(a, sole_proprietor=None, taxonomies=[
                replace(t, taxonomy_group=None) for t in a.taxonomies])
        assert _rows(a) == _rows(b)


def test_a_quoted_line_break_stays_inside_its_field(providers, tmp_path):
    one = next(p for p in providers if p["enumeration_type"] == "NPI-1"
               and p["taxonomies"][0]["code"] == "171100000X")
    odd = {**one, "addresses": [dict(a) for a in one["addresses"]]}
    odd["addresses"][0]["address_2"] = 'SUITE 5\r\nREAR "B" ENTRANCE'
    got, _ = read_zip(write_zip(tmp_path / "m.zip", [odd], others=20))
    assert len(got) == 1
    purpose = {"LOCATION": "location", "MAILING": "mailing"}[
        odd["addresses"][0]["address_purpose"]]
    location = next(a for a in got[0].addresses if a.purpose == purpose)
    # read whole (white space is tidied, as for the API): the next fields are in place
    assert location.address_2 == 'SUITE 5 REAR "B" ENTRANCE'
    assert location.city == odd["addresses"][0]["city"]


def test_the_code_outside_a_taxonomy_slot_is_not_a_match(tmp_path):
    path = write_zip(tmp_path / "m.zip", [], others=500)  # every 50th mentions the code
    got, stats = read_zip(path)
    assert got == [] and stats.candidates == 10


def _rewrite(path, member_bytes, member="npidata_pfile", out_name="bad.zip"):
    """A copy of the zip named ``out_name``, its ``member`` (not the header-only file) changed."""
    out = path.with_name(out_name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, member_bytes(data) if name.startswith(member)
                         and "fileheader" not in name.lower() else data)
    return out


def test_a_truncated_zip_names_the_file(providers, tmp_path):
    path = write_zip(tmp_path / "m.zip", providers, others=2000)
    cut = tmp_path / "cut.zip"
    data = path.read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(BulkFileError, match="cut.zip"):
        read_zip(cut)
    # a member whose deflate stream stops half way (the central directory intact)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(next(n for n in archive.namelist()
                                    if n.startswith("npidata") and "header" not in n))
    broken = bytearray(data)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    broken[start + info.compress_size // 2: start + info.compress_size] = \
        b"\0" * (info.compress_size - info.compress_size // 2)
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(broken))
    with pytest.raises(BulkFileError, match=r"damaged.zip.*(damaged or truncated|line)"):
        read_zip(damaged)


def test_a_header_without_a_needed_column_names_it(providers, tmp_path):
    header = [h for h in HEADER if h != "Healthcare Provider Taxonomy Code_1"]
    path = write_zip(tmp_path / "m.zip", providers[:10], header=header)
    with pytest.raises(BulkFileError, match=r"m.zip:npidata_pfile.*line 1.*'Healthcare "
                                            r"Provider Taxonomy Code_1'"):
        read_zip(path)


def test_a_broken_quote_names_the_file_and_line(providers, tmp_path):
    path = write_zip(tmp_path / "m.zip", providers[:40], others=10)

    def break_line(data: bytes) -> bytes:
        lines = data.split(b"\r\n")
        lines[5] = lines[5].replace(b'","', b'",', 1)  # one quote lost
        return b"\r\n".join(lines)

    read, stats = read_zip(_rewrite(path, break_line))
    whole, _ = read_zip(path)
    rejects = [r for r in read if isinstance(r, Reject)]
    assert len(rejects) == 1 and len(stats.unreadable) == 1
    assert re.fullmatch(r"bad.zip:npidata_pfile\S*, line 6: .+ \(not read\)", rejects[0].reason)
    assert rejects[0].raw["line"] == 6 and rejects[0].raw["record"].startswith('"')
    # that row only: every other provider is read as from the whole file
    kept = [p for p in read if not isinstance(p, Reject)]
    assert len(kept) == len(whole) - 1
    assert {p.npi for p in whole} - {p.npi for p in kept} == {
        rejects[0].raw["record"].split(",")[0].strip('"')}


def test_a_bad_value_far_into_the_file_names_its_line(providers, monkeypatch, tmp_path):
    """The scanner knows records by byte offset; the error still names the line (read again)."""
    from scraper import zipscan

    monkeypatch.setattr(zipscan, "CHUNK", 4096)  # many blocks before the bad row
    path = write_zip(tmp_path / "m.zip", providers[:300], others=200)
    date_column = HEADER.index("Last Update Date")

    def bad_date(data: bytes) -> bytes:
        lines = data.split(b"\r\n")
        number = max(i for i, line in enumerate(lines) if b"171100000X" in line)
        fields = lines[number].split(b'","')
        fields[date_column] = b"13/45/2020"
        lines[number] = b'","'.join(fields)
        bad_date.line = number + 1
        return b"\r\n".join(lines)

    bad = _rewrite(path, bad_date)
    assert bad_date.line > 300
    read, _ = read_zip(bad)
    [reject] = [r for r in read if isinstance(r, Reject)]
    assert re.match(rf"bad.zip:npidata_pfile\S*, line {bad_date.line}: Last Update Date",
                    reject.reason)


def test_too_many_unreadable_rows_is_a_damaged_file(providers, monkeypatch, tmp_path):
    from scraper import npidata

    monkeypatch.setattr(npidata, "REJECT_LIMIT", 3)
    path = write_zip(tmp_path / "m.zip", providers[:200], others=50)

    def break_ours(data: bytes) -> bytes:
        lines = data.split(b"\r\n")
        for number in [i for i, line in enumerate(lines) if b"171100000X" in line][:4]:
            lines[number] = lines[number] + b',"extra field"'
        return b"\r\n".join(lines)

    with pytest.raises(BulkFileError, match=r"bad.zip:npidata_pfile.*line \d+: over 3 rows "
                                            r"cannot be read .*the file is damaged"):
        read_zip(_rewrite(path, break_ours))


def test_a_layout_that_does_not_quote_the_npi_is_cut_by_counting_quotes(providers, tmp_path):
    path = write_zip(tmp_path / "m.zip", providers[:200], others=100)

    def minimal_quotes(data: bytes) -> bytes:  # quotes only where a field needs them
        rows = list(csv.reader(io.StringIO(data.decode())))
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(rows)
        return out.getvalue().encode()

    said: list[int] = []
    plain, stats = read_zip(_rewrite(path, minimal_quotes), on_bytes=said.append)
    quoted, _ = read_zip(path)
    assert [_rows(p) for p in plain] == [_rows(p) for p in quoted] and quoted
    assert sum(said) == stats.bytes_read  # read twice, progress said once (review finding)


def test_a_broken_quote_in_a_row_we_do_not_keep_costs_nothing(providers, tmp_path):
    """Records are cut where a quoted NPI starts a line: a dentist's broken row cannot move
    the cuts of ours, and is never read (ours are read whole, strictly)."""
    path = write_zip(tmp_path / "m.zip", providers[:200], others=100)

    def break_an_other_row(data: bytes) -> bytes:
        lines = data.split(b"\r\n")
        number = next(i for i, line in enumerate(lines) if i > 50 and b"171100000X" not in line
                      and line)
        lines[number] = lines[number].replace(b'","', b'",', 1)
        return b"\r\n".join(lines)

    broken, _ = read_zip(_rewrite(path, break_an_other_row))
    whole, _ = read_zip(path)
    assert [_rows(p) for p in broken] == [_rows(p) for p in whole] and whole


def _run(config: Config, db_path, fetcher_config=HTTP):
    with Fetcher(fetcher_config) as fetcher:
        return run_source(config, "nppes-bulk", db_path=db_path, fetcher=fetcher)


def test_after_the_api_the_file_fills_in_the_rest(providers, tmp_path):
    """The file leaves the providers the API stored to the API, and adds the others."""
    api = NppesApi(providers)
    with SiteServer() as server:
        server.add_site("/api/", api)
        config = Config(http=HTTP, sources={"nppes-api": {"base_url": f"{server.url}/api/"}})
        with Fetcher(HTTP) as fetcher:
            first = run_source(config, "nppes-api", db_path=tmp_path / "p.db", fetcher=fetcher,
                               states=["WA"])
    assert first.status == "ok"
    path = write_zip(tmp_path / "m.zip", providers, others=100)
    result = _run(Config(http=HTTP, sources={"nppes-bulk": {"file": str(path)}}),
                  tmp_path / "p.db")
    assert result.status == "ok", result.error
    assert (result.counts["updated"], result.counts["unchanged"]) == (0, 0)
    assert result.counts["kept_api"] == first.counts["inserted"]
    assert result.counts["inserted"] == len(_acupuncturists(providers)) - result.counts[
        "kept_api"]
    db = connect(tmp_path / "p.db", readonly=True)
    assert db["changes"].count == 0
    assert db["providers"].count_where("source = 'nppes-api'") == first.counts["inserted"]
    # and the file's rows are those the API would give, so when the API later finds one of
    # them, it rewrites nothing but the API's own timestamps


def test_a_provider_the_file_holds_keeps_the_api_timestamps(providers, tmp_path):
    """A provider first stored by the API and later taken over by the file (the API stopped
    listing it, so it is gone there) keeps the API's timestamps: no change but gone_at."""
    acu = [p for p in providers if str(p["number"]) in _acupuncturists(providers)][:20]
    db_path = tmp_path / "p.db"
    db = open_db(db_path)
    from db.store import upsert_providers
    from scraper.models import Provenance
    api_rows = [parse_provider(raw, "u", Provenance("nppes-api", "u", "")) for raw in acu]
    upsert_providers(db, api_rows, None, "2026-11-01T00:00:00Z")
    db.execute("update providers set gone_at = '2026-11-02T00:00:00Z'")
    db.close()
    path = write_zip(tmp_path / "m.zip", acu)
    result = _run(Config(http=HTTP, sources={"nppes-bulk": {"file": str(path)}}), db_path)
    assert result.counts["updated"] == len(acu)
    db = connect(db_path, readonly=True)
    columns = {r["column_name"] for r in db.query("select column_name from changes")}
    assert columns == {"gone_at"}
    assert db["providers"].count_where("created_at is not null and source = 'nppes-bulk'") \
        == len(acu)


def test_weekly_files_in_order_once_and_deactivations(providers, tmp_path):
    acu = [p for p in providers if str(p["number"]) in _acupuncturists(providers)]
    monthly = write_zip(tmp_path / "NPPES_Data_Dissemination_November_2026_V2.zip", acu[:100])
    moved = {**acu[0], "basic": {**acu[0]["basic"], "last_name": "RIVERA",
                                 "last_updated": "2026-11-12"}}
    again = {**acu[0], "basic": {**acu[0]["basic"], "last_name": "RIVERA-LEE",
                                 "last_updated": "2026-11-19"}}
    week1 = write_zip(tmp_path / "NPPES_Data_Dissemination_111026_111626_Weekly_V2.zip",
                      [moved, acu[150]], period=(date(2026, 11, 10), date(2026, 11, 16)))
    week2 = write_zip(tmp_path / "NPPES_Data_Dissemination_111726_112326_Weekly_V2.zip",
                      [again], period=(date(2026, 11, 17), date(2026, 11, 23)))
    report = tmp_path / "NPPES_Deactivated_NPI_Report_20261110.csv"
    report.write_text("NPPES Deactivated NPI Report\nNPI,NPPES Deactivation Date\n"
                      f"{acu[1]['number']},11/03/2026\n9999999999,11/04/2026\n")
    settings = {"file": str(monthly), "weekly_files": [str(week2), str(week1)],  # out of order
                "deactivation_file": str(report)}
    result = _run(Config(http=HTTP, sources={"nppes-bulk": settings}), tmp_path / "p.db")
    assert result.status == "ok", result.error
    db = connect(tmp_path / "p.db")
    first = db["providers"].get(str(acu[0]["number"]))
    assert first["last_name"] == "Rivera-Lee"  # week 2 applied after week 1
    assert db["providers"].get(str(acu[150]["number"]))
    gone = db["providers"].get(str(acu[1]["number"]))
    assert (gone["deactivated_on"], gone["status"]) == ("2026-11-03", "D")
    changes = [r["new_value"] for r in db.query(
        "select new_value from changes where column_name = 'last_name' order by id")]
    assert changes == ["Rivera", "Rivera-Lee"]
    db.close()
    # a second run applies no weekly file again
    again_result = _run(Config(http=HTTP, sources={"nppes-bulk": {
        "weekly_files": [str(week1), str(week2)]}}), tmp_path / "p.db")
    assert again_result.counts["records"] == 0


def test_the_deactivation_report_as_xlsx(tmp_path):
    sheet = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData>'
             '<row><c t="s"><v>0</v></c></row>'
             '<row><c t="s"><v>1</v></c><c t="s"><v>2</v></c></row>'
             '<row><c t="inlineStr"><is><t>1234567893</t></is></c><c t="s"><v>3</v></c></row>'
             '<row><c><v>1234567894</v></c><c><v>46329</v></c></row>'
             '</sheetData></worksheet>')
    strings = ('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
               'spreadsheetml/2006/main"><si><t>NPPES Deactivated NPI Report</t></si>'
               '<si><t>NPI</t></si><si><t>NPPES Deactivation Date</t></si>'
               '<si><t>11/03/2026</t></si></sst>')
    path = tmp_path / "report.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("xl/workbook.xml", "<workbook/>")
        book.writestr("xl/sharedStrings.xml", strings)
        book.writestr("xl/worksheets/sheet1.xml", sheet)
    assert read_deactivations(path) == [("1234567893", "2026-11-03"),
                                        ("1234567894", "2026-11-03")]
    empty = tmp_path / "empty.csv"
    empty.write_text("nothing,here\n")
    with pytest.raises(BulkFileError, match="empty.csv: no NPI"):
        read_deactivations(empty)


def test_a_monthly_file_that_no_longer_lists_someone_marks_them_gone(providers, tmp_path):
    acu = [p for p in providers if str(p["number"]) in _acupuncturists(providers)][:50]
    db_path = tmp_path / "p.db"
    first = write_zip(tmp_path / "a.zip", acu)
    assert _run(Config(http=HTTP, sources={"nppes-bulk": {"file": str(first)}}),
                db_path).status == "ok"
    second = write_zip(tmp_path / "b.zip", acu[1:])
    result = _run(Config(http=HTTP, sources={"nppes-bulk": {"file": str(second)}}), db_path)
    assert result.counts["gone"] == 1
    db = connect(db_path, readonly=True)
    assert db["providers"].get(str(acu[0]["number"]))["gone_at"]


def test_a_bad_row_costs_that_row_and_marks_nobody_gone(providers, tmp_path):
    acu = [p for p in providers if str(p["number"]) in _acupuncturists(providers)]
    db_path = tmp_path / "p.db"
    first = write_zip(tmp_path / "a.zip", acu, others=100)
    assert _run(Config(http=HTTP, sources={"nppes-bulk": {"file": str(first)}}),
                db_path).status == "ok"
    # the next month: one provider no longer listed, and one row of ours unreadable
    path = write_zip(tmp_path / "m.zip", acu[1:], others=100)

    def break_late(data: bytes) -> bytes:
        lines = data.split(b"\r\n")
        number = max(i for i, line in enumerate(lines) if b"171100000X" in line)
        lines[number] = lines[number] + b',"extra field"'
        break_late.npi = lines[number][1:11].decode()
        break_late.line = number + 1
        return b"\r\n".join(lines)

    result = _run(Config(http=HTTP, sources={"nppes-bulk": {"file": str(_rewrite(
        path, break_late))}}), db_path)
    assert result.status == "partial" and result.counts["rejected"] == 1
    assert result.counts["gone"] == 0  # not acu[0], whose absence may be the unreadable row
    assert any("1 row(s) could not be read" in note for note in result.notes)
    db = connect(db_path, readonly=True)
    assert db["providers"].count == len(acu)
    assert not list(db.query("select npi from providers where gone_at is not null"))
    [reject] = list(db.query("select * from rejects"))
    assert reject["source"] == "nppes-bulk" and f"line {break_late.line}:" in reject["reason"]
    assert "fields where the header has" in reject["reason"]
    assert break_late.npi in reject["raw"]


def test_a_damaged_file_imports_nothing(providers, tmp_path):
    db_path = tmp_path / "p.db"
    path = write_zip(tmp_path / "m.zip", providers, others=500)
    data = path.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) * 2 // 3])  # rows before the cut pass, then it fails
    result = _run(Config(http=HTTP, sources={"nppes-bulk": {"file": str(cut)}}), db_path)
    assert result.status == "failed" and "cut.zip" in result.error
    db = open_db(db_path)
    assert db["providers"].count == 0
    db.close()


def test_download_is_conditional_and_resumes_a_cut_transfer(providers, tmp_path):
    data = write_zip(tmp_path / "m.zip", providers, others=3000).read_bytes()
    name = "NPPES_Data_Dissemination_November_2026_V2.zip"
    with SiteServer() as server:
        server.add_site("/nppes/", BulkSite({name: data}))
        url = f"{server.url}/nppes/{name}"
        settings = {"url": url, "cache_dir": str(tmp_path / "cache")}
        config = Config(http=HTTP, sources={"nppes-bulk": settings})
        server.inject(f"/nppes/{name}", status=None, truncate=True, count=2)  # every attempt
        cut = _run(config, tmp_path / "p.db")
        assert cut.status == "failed"
        partial = tmp_path / "cache" / (name + ".part")
        had = partial.stat().st_size
        assert 0 < had < len(data)
        server.reset_log()
        resumed = _run(config, tmp_path / "p.db")
        assert resumed.status == "ok", resumed.error
        ranged = [r for r in server.requests if r.path.startswith("/nppes/")]
        size = partial.stat().st_size if partial.exists() else None
        assert size is None  # renamed into place once whole
        assert ranged[0].headers.get("Range") == f"bytes={had}-"
        assert ranged[0].headers.get("If-Range")
        assert (tmp_path / "cache" / name).read_bytes() == data
        assert resumed.counts["inserted"] == len(_acupuncturists(providers))
        unchanged = _run(config, tmp_path / "p.db")
        assert unchanged.status == "ok" and unchanged.counts["inserted"] == 0
        last = [r for r in server.requests if r.path.startswith("/nppes/")][-1]
        assert last.headers.get("If-None-Match")  # asked conditionally, answered 304


def test_the_command_line_imports_a_file_on_disk(providers, tmp_path):
    path = write_zip(tmp_path / "m.zip", providers, others=100)
    db = str(tmp_path / "p.db")
    result = CliRunner().invoke(cli, ["scrape", "nppes-bulk", "--file", str(path), "--db", db])
    assert result.exit_code == 0, result.output
    assert "nppes-bulk: ok" in result.output
    assert connect(db, readonly=True)["providers"].count == len(_acupuncturists(providers))
    wrong = CliRunner().invoke(cli, ["scrape", "nppes-api", "--file", str(path), "--db", db])
    assert wrong.exit_code == 2 and "--file goes with the nppes-bulk source" in wrong.output


def test_the_files_are_not_part_of_every_source_unless_configured():
    from scraper.sources import is_default

    assert not is_default("nppes-bulk", {})
    assert is_default("nppes-bulk", {"url": "https://download.cms.gov/nppes/x.zip"})
    assert is_default("nppes-api", {})


def test_header_fixture_is_the_real_one():
    assert len(HEADER) == 329 and HEADER[0] == "NPI"
    assert HEADER.count("Healthcare Provider Taxonomy Code_15") == 1
    assert next(csv.reader(io.StringIO(",".join(f'"{h}"' for h in HEADER)))) == HEADER


@pytest.mark.parametrize("chunk", [5, 64, 997, 1 << 22])
def test_the_scanner_cuts_records_as_csv_does(monkeypatch, chunk):
    """Records with quoted line breaks and quotes, the code anywhere (also in a record's
    second line), blocks ending anywhere: the scanner gives exactly the records csv reads."""
    import random as _random

    from scraper import zipscan

    monkeypatch.setattr(zipscan, "CHUNK", chunk)
    rng = _random.Random(chunk)
    pieces = ["plain", "171100000X", 'say "hi"', "two\nlines", "x\r\n171100000X", "", "a,b"]
    rows = [["NPI", "A", "B"]] + [[str(1000000000 + i), rng.choice(pieces), rng.choice(pieces)]
                                  for i in range(400)]
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode()
    got = list(zipscan.scan(io.BytesIO(data), (b"171100000X",)))
    parsed = [next(csv.reader(io.StringIO(r.decode().rstrip("\r")))) for _, r in got]
    assert parsed[0] == rows[0]
    assert parsed[1:] == [r for r in rows[1:] if any("171100000X" in v for v in r)]
    # each record's byte offset is where it starts, and gives the line an editor would show
    assert all(data[at:].startswith(record) for at, record in got)
    lines = [1]  # the line each record starts on, counted the way an editor would
    for row in rows[:-1]:
        lines.append(lines[-1] + sum(v.count("\n") for v in row) + 1)
    starts = dict(zip((r[0] for r in rows), lines, strict=True))
    assert [data.count(b"\n", 0, at) + 1 for at, _ in got] == [starts[r[0]] for r in parsed]


def test_a_bad_row_of_a_companion_member_costs_that_row(providers, tmp_path):
    """Review of issue 14: one practice-location row with a field too many failed the file."""
    acu = [p for p in providers if str(p["number"]) in _acupuncturists(providers)]
    with_locations = [p for p in acu if p.get("practiceLocations")]
    assert len(with_locations) >= 2
    path = write_zip(tmp_path / "m.zip", acu)

    def break_one(data: bytes) -> bytes:
        lines = data.split(b"\r\n")
        lines[1] = lines[1] + b',"extra field"'
        break_one.npi = lines[1].split(b",")[0].strip(b'"').decode()
        return b"\r\n".join(lines)

    read, stats = read_zip(_rewrite(path, break_one, "pl_pfile"))
    [reject] = [r for r in read if isinstance(r, Reject)]
    assert re.match(r"bad.zip:pl_pfile\S*, line 2: .*fields where the header has", reject.reason)
    providers_read = {p.npi: p for p in read if not isinstance(p, Reject)}
    assert len(providers_read) == len(acu)  # every provider, the one its row spoke of too
    whole, _ = read_zip(path)
    lost = [p for p in whole if p.npi == break_one.npi][0]
    kept = providers_read[break_one.npi]
    assert len([a for a in kept.addresses if a.purpose == "practice"]) == len(
        [a for a in lost.addresses if a.purpose == "practice"]) - 1


def test_a_bad_row_of_a_weekly_file_is_reported(providers, tmp_path):
    """Review of issue 14: it became a reject, but the run said ok without a word."""
    acu = [p for p in providers if str(p["number"]) in _acupuncturists(providers)]
    week = write_zip(tmp_path / "NPPES_Data_Dissemination_111026_111626_Weekly_V2.zip",
                     acu[:5], period=(date(2026, 11, 10), date(2026, 11, 16)))

    def break_one(data: bytes) -> bytes:
        lines = data.split(b"\r\n")
        lines[2] = lines[2] + b',"extra field"'
        return b"\r\n".join(lines)

    bad = _rewrite(week, break_one, out_name="bad-" + week.name)  # keeps its period
    result = _run(Config(http=HTTP, sources={"nppes-bulk": {"weekly_files": [str(bad)]}}),
                  tmp_path / "p.db")
    assert result.status == "partial" and result.counts["rejected"] == 1
    assert any("1 row(s) could not be read" in note for note in result.notes)


def test_the_run_notes_name_the_inflater_and_zlib_reads_the_same(providers, tmp_path,
                                                                  monkeypatch):
    """Issue 16: the member is inflated by ISA-L where it is installed, by zlib otherwise; the
    run says which, and both read the same providers."""
    from scraper import zipscan

    path = write_zip(tmp_path / "m.zip", providers[:300], others=200)
    result = _run(Config(http=HTTP, sources={"nppes-bulk": {"file": str(path)}}),
                  tmp_path / "p.db")
    assert result.status == "ok", result.error
    assert any(f"inflated by {zipscan.INFLATER.name}" in note for note in result.notes)
    with_isal, stats = read_zip(path)
    assert stats.inflater == zipscan.INFLATER.name and stats.inflater.startswith("isal ")
    monkeypatch.setattr(zipscan, "INFLATER", zipscan.ZLIB)
    with_zlib, stats = read_zip(path)
    assert stats.inflater.startswith("zlib ")
    assert with_zlib == with_isal and len(with_isal) == len(_acupuncturists(providers[:300]))
