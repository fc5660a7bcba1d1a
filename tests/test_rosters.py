"""The rosters of issue 17 (Maryland, Missouri, Ohio, Michigan) scraped from their stand-ins over
real HTTP through the job runner, linked to the NPPES providers they were made from, and
checked: a missing column, no acupuncture row, Missouri's downloads page without its link (as
a plain GET sees the real one) and a hostile ZIP, and the unconfirmed settings that
``practitioners check`` lists."""

from __future__ import annotations

import io
import zipfile

import pytest

from db import store
from db.migrations import connect
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from scraper.link import link_all
from scraper.models import Provenance, license_id
from scraper.normalize import license_number
from scraper.sources import SOURCES, boardfile
from scraper.sources.nppes_api import parse_provider
from scraper.tabular import MAX_ZIP_MEMBERS
from tests.sites.nppes_data import ACUPUNCTURIST_CODE, generate_providers
from tests.sites.rosters import (
    MD_PATH,
    MI_PATH,
    MO_PAGE,
    OH_PATH,
    FileSite,
    MoproSite,
    maryland_site,
    michigan_site,
    ohio_site,
    zip_of,
)
from tests.sites.rosters_data import (
    MO_COLUMNS,
    MO_TECHNICIAN,
    OH_COLUMNS,
    generate_roster,
    roster_csv,
    roster_tsv,
)
from tests.sites.server import SiteServer
from tests.sites.truth import _predicted

HTTP = HttpConfig(min_interval=0, backoff_base=0.01, backoff_cap=0.05, max_retry_after=5,
                  allowed_hosts=("127.0.0.1",))
SOURCE_OF = {"MD": "md-bacc", "MO": "mo-pr", "OH": "oh-elicense", "MI": "mi-lara"}
VERIFY = {"MD": "https://mdbnc.health.maryland.gov/ACUPTVerification/Default.aspx",
          "MO": "https://mopro.mo.gov/license/s/license-search",
          "OH": "https://elicense.ohio.gov/oh_verifylicense",
          "MI": "https://aca-prod.accela.com/MILARA/GeneralProperty/PropertyLookUp.aspx"
                "?isLicensee=Y"}


@pytest.fixture(scope="module")
def providers():
    return generate_providers(n=3000, seed=11)


@pytest.fixture(scope="module")
def rosters(providers):
    return {state: generate_roster(state, providers) for state in SOURCE_OF}


def file_site(state, data):
    return {"MD": maryland_site, "OH": ohio_site, "MI": michigan_site}[state](data)


@pytest.fixture
def server():
    with SiteServer() as started:
        yield started
        assert started.errors == []


def mount(server, state, data, **kwargs):
    """The state's stand-in on ``server``, and the settings that point its board at it."""
    if state == "MO":
        site = MoproSite(data, **kwargs)
        for prefix in MoproSite.prefixes:
            server.add_site(prefix, site)
        return site, {"page_url": server.url + MO_PAGE}
    site = file_site(state, data)
    prefix = {"MD": "/bacc/", "OH": "/wps/", "MI": "/LicenseReports/"}[state]
    server.add_site(prefix, site)
    path = {"MD": MD_PATH, "OH": OH_PATH, "MI": MI_PATH + "?profession=Acupuncture&format=csv"}
    return site, {"url": server.url + path[state]}


def run(db_path, source_id, settings):
    config = Config(http=HTTP, sources={source_id: settings})
    with Fetcher(HTTP) as fetcher:
        return run_source(config, source_id, db_path=db_path, fetcher=fetcher)


def live_licenses(db_path, state):
    db = connect(db_path, readonly=True)
    return {r["license_number_normalized"]: dict(r) for r in db.query(
        "select * from licenses where jurisdiction = ? and gone_at is null", [state])}


def expected(data):
    """Every acupuncture row with a number is a license, odd values or not."""
    rows = (data.rows[t.row] for t in data.acupuncture_truth())
    return {n for row in rows if (n := license_number(row.get(data.number_column)))}


def link(db_path, providers, state):
    """The state's NPPES acupuncturists stored as providers, then every record linked."""
    ours = [parse_provider(p, "https://npiregistry.cms.hhs.gov/api/",
                           Provenance("nppes-api", "u", "2026-12-01T00:00:00Z"))
            for p in providers if any(t["code"] == ACUPUNCTURIST_CODE and t.get("state") == state
                                      for t in p["taxonomies"])]
    db = connect(db_path)
    with store.transaction(db):
        store.upsert_providers(db, ours, 1, "2026-12-01T00:00:00Z")
        link_all(db, None, "2026-12-01T00:00:00Z")
    return db


# -- each board against its stand-in, linked ----------------------------------------------------


@pytest.mark.parametrize("state", ["MD", "OH", "MI"])
def test_a_roster_file_is_stored_and_linked_with_its_verify_link(state, rosters, providers,
                                                                 server, tmp_path):
    data = rosters[state]
    site, settings = mount(server, state, data)
    result = run(tmp_path / "p.db", SOURCE_OF[state], settings)
    assert result.status == "ok", result.error
    stored = live_licenses(tmp_path / "p.db", state)
    assert set(stored) == expected(data)
    assert {r["verify_url"] for r in stored.values()} == {VERIFY[state]}
    assert {r["source"] for r in stored.values()} == {SOURCE_OF[state]}
    assert site.counts["file"] == 1
    # the bad rows are rejects naming their line
    db = connect(tmp_path / "p.db", readonly=True)
    reasons = [r["reason"] for r in db.query("select reason from rejects where source = ?",
                                             [SOURCE_OF[state]])]
    assert any("unknown status" in r for r in reasons)
    assert all(r.startswith("line ") for r in reasons)

    db = link(tmp_path / "p.db", providers, state)
    known = [t for t in data.truth if t.npi is not None and t.kind == "license"]
    assert known
    right = 0
    for truth in known:
        number = license_number(data.rows[truth.row][data.number_column])
        predicted = _predicted(db, "licenses", license_id(state, "Acupuncturist", number))
        right += predicted == str(truth.npi)
        assert predicted in (str(truth.npi), None, "missing"), truth  # never a wrong person
    assert right >= 0.85 * len(known)
    linked = list(db.query(
        "select l.verify_url from practitioner_links k join licenses l on "
        "k.record_table = 'licenses' and k.record_id = l.license_id where l.jurisdiction = ?",
        [state]))
    assert linked and {r["verify_url"] for r in linked} == {VERIFY[state]}


def test_ohio_keeps_the_medical_boards_acupuncturists_only(rosters, server, tmp_path):
    """The file holds every Ohio license; the chiropractic board's acupuncture certificate
    names acupuncture too, but it is a chiropractor's."""
    data = rosters["OH"]
    _, settings = mount(server, "OH", data)
    result = run(tmp_path / "p.db", "oh-elicense", settings)
    assert result.status == "ok", result.error
    stored = live_licenses(tmp_path / "p.db", "OH")
    certificates = {license_number(r["LICENSE_NUMBER"]) for r in
                    data.others["State Chiropractic Board: Chiropractic Acupuncture Certificate"]}
    assert certificates and not certificates & set(stored)
    assert {r["license_type"] for r in stored.values()} == {"Acupuncturist"}
    notes = " ".join(result.notes)
    assert "TYPE: Acupuncturist" in notes and "Chiropractic" not in notes
    # the name is "LAST, FIRST MIDDLE"
    row = next(data.rows[t.row] for t in data.truth if t.kind == "license")
    last = row["LICENSEE_NAME"].split(",")[0]
    assert stored[license_number(row["LICENSE_NUMBER"])]["last_name"] == last


def test_missouri_from_the_page_a_browser_renders(rosters, providers, server, tmp_path):
    data = rosters["MO"]
    site, settings = mount(server, "MO", data, rendered=True)
    result = run(tmp_path / "p.db", "mo-pr", settings)
    assert result.status == "ok", result.error
    stored = live_licenses(tmp_path / "p.db", "MO")
    assert set(stored) == expected(data)
    technicians = {license_number(r["lic_number"]) for r in data.others[MO_TECHNICIAN]}
    assert not technicians & set(stored)
    assert (site.counts["page"], site.counts["download"]) == (1, 1)
    notes = " ".join(result.notes)
    assert "'Acupuncture (ZIP)'" in notes and site.download_path() in notes
    # names in cp1252 read as such, discipline flags read
    assert any(r["disciplined"] for r in stored.values()) or not any(
        data.rows[t.row]["discipline"] == "Y" for t in data.truth if t.kind == "license")
    db = link(tmp_path / "p.db", providers, "MO")
    known = [t for t in data.truth if t.npi is not None and t.kind == "license"]
    hits = [_predicted(db, "licenses", license_id(
        "MO", "Acupuncturist", license_number(data.rows[t.row]["lic_number"])))
        for t in known]
    assert sum(h == str(t.npi) for h, t in zip(hits, known, strict=True)) >= 0.85 * len(known)
    assert {r["verify_url"] for r in stored.values()} == {VERIFY["MO"]}


def test_missouri_page_as_a_plain_get_sees_it_fails_until_file_url_is_set(rosters, server,
                                                                          tmp_path):
    """The real page builds its links with script (2026-09): the run fails naming the way
    out, and with ``file_url`` (what a browser shows) it reads the file without the page."""
    data = rosters["MO"]
    site, settings = mount(server, "MO", data)
    failed = run(tmp_path / "p.db", "mo-pr", settings)
    assert failed.status == "failed"
    assert "no link" in failed.error and "file_url" in failed.error
    assert live_licenses(tmp_path / "p.db", "MO") == {}
    ok = run(tmp_path / "p.db", "mo-pr",
             {**settings, "file_url": server.url + site.download_path()})
    assert ok.status == "ok", ok.error
    assert set(live_licenses(tmp_path / "p.db", "MO")) == expected(data)
    assert site.counts["page"] == 1  # the failed run's only


# -- the checks fire ----------------------------------------------------------------------------


@pytest.mark.parametrize("state, column", [("MD", "ExpDate"), ("OH", "BOARD"),
                                           ("MI", "License Number")])
def test_a_renamed_column_fails_naming_it(state, column, rosters, server, tmp_path):
    site, settings = mount(server, state, rosters[state])
    site.rename_column(column, column.lower() + "_x")
    result = run(tmp_path / "p.db", SOURCE_OF[state], settings)
    assert result.status == "failed"
    assert f"no column {column!r}" in result.error
    assert live_licenses(tmp_path / "p.db", state) == {}


def test_missouri_renamed_column_in_the_zip_fails(rosters, server, tmp_path):
    site, settings = mount(server, "MO", rosters["MO"], rendered=True)
    site.rename_column("lic_number", "license_no")
    result = run(tmp_path / "p.db", "mo-pr", settings)
    assert result.status == "failed" and "no column 'lic_number'" in result.error


def test_a_file_without_acupuncture_rows_stores_nothing(rosters, server, tmp_path):
    data = rosters["OH"]
    site, settings = mount(server, "OH", data)
    site.replace_rows([r for rows in data.others.values() for r in rows])
    result = run(tmp_path / "p.db", "oh-elicense", settings)
    assert result.status == "failed"
    assert "no row's TYPE matches" in result.error and "BOARD 'medical'" in result.error
    assert "Chiropractic Acupuncture Certificate" in result.error  # a close value, named


def test_an_error_page_in_place_of_the_roster_fails(rosters, server, tmp_path):
    site, settings = mount(server, "MD", rosters["MD"])
    site.set_body(b"<html><head><title>Page not found</title></head><body>Sorry</body></html>")
    result = run(tmp_path / "p.db", "md-bacc", settings)
    assert result.status == "failed" and "no column" in result.error


def test_a_roster_far_shorter_than_last_time_stores_nothing(rosters, server, tmp_path):
    data = rosters["MI"]
    site, settings = mount(server, "MI", data)
    assert run(tmp_path / "p.db", "mi-lara", settings).status == "ok"
    site.replace_rows(data.rows[:3])
    result = run(tmp_path / "p.db", "mi-lara", settings)
    assert result.status == "suspect" and "under" in result.error
    assert set(live_licenses(tmp_path / "p.db", "MI")) == expected(data)


def zip_members(count: int, body: bytes = b"x") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(count):
            archive.writestr(f"part{i}.csv", body)
    return out.getvalue()


@pytest.mark.parametrize("archive, message", [
    (b"<html>Service unavailable</html>", "not a readable ZIP"),
    (zip_of({"README.pdf": b"%PDF-1.4"}), "no member of the ZIP match"),
    (zip_of({"ACUPUNCTURE.txt": b"a", "ACUPUNCTURE_OLD.txt": b"b"}), "2 members"),
    (zip_members(MAX_ZIP_MEMBERS + 1), "members (over"),
    # a zip bomb: 60 MB of one repeated byte, packed to a few dozen KB
    (zip_of({"ACUPUNCTURE.txt": b"\t" * 60_000_000}), "refused"),
])
def test_a_hostile_zip_is_refused_naming_why(archive, message, rosters, server, tmp_path):
    site, settings = mount(server, "MO", rosters["MO"], rendered=True)
    site.set_archive(archive)
    result = run(tmp_path / "p.db", "mo-pr", settings)
    assert result.status == "failed"
    assert message in result.error


def test_a_zip_member_over_the_byte_limit_is_refused_and_one_within_copied_whole(tmp_path):
    from scraper.tabular import UnreadableFile, unzip_member

    path = tmp_path / "a.zip"
    body = roster_tsv([], MO_COLUMNS) + b"x\t" * 400_000
    path.write_bytes(zip_of({"ACUPUNCTURE.txt": body}))
    with pytest.raises(UnreadableFile, match="refused"):
        unzip_member(path, r"\.txt$", tmp_path / "out", max_bytes=100_000)
    assert unzip_member(path, r"\.txt$", tmp_path / "out", max_bytes=10_000_000) == \
        "ACUPUNCTURE.txt"
    assert (tmp_path / "out").read_bytes() == body


def test_a_zip_declaring_a_huge_directory_is_refused_before_it_is_read(tmp_path):
    """An archive whose end record declares a directory of millions of members is refused from
    that record alone: the directory is never read into memory."""
    import struct

    from scraper.tabular import UnreadableFile, unzip_member

    path = tmp_path / "a.zip"
    path.write_bytes(b"\0" * 100 + b"PK\x05\x06" + struct.pack(
        "<4H2LH", 0, 0, 0xFFFE, 0xFFFE, 900_000_000, 100, 0))
    with pytest.raises(UnreadableFile, match="directory takes 900,000,000 bytes"):
        unzip_member(path, r"\.txt$", tmp_path / "out", max_bytes=10_000_000)


# -- practitioners check -----------------------------------------------------------------------


@pytest.mark.parametrize("state, unconfirmed", [
    ("MD", ["statuses"]),
    ("OH", ["url", "name_format", "type_pattern", "statuses", "disciplined_values"]),
    ("MI", ["url", "columns", "type_pattern", "statuses"]),
    ("MO", ["link_pattern", "member", "type_pattern", "statuses", "disciplined_values",
            "verify_url"]),
])
def test_check_reads_the_roster_and_lists_the_unconfirmed_settings(state, unconfirmed, rosters,
                                                                    server):
    _, settings = mount(server, state, rosters[state], **({"rendered": True} if state == "MO"
                                                          else {}))
    with Fetcher(HTTP) as fetcher:
        report = SOURCES[SOURCE_OF[state]].check(fetcher, settings)
    assert report.verdict == "ok", report.items
    assert report.get("record")[0] is True
    listed = [n.split(":")[0].removeprefix("unconfirmed ") for n in report.notes
              if n.startswith("unconfirmed ")]
    assert listed == unconfirmed
    # a setting the operator gave is said to be theirs
    said = {n.split(":")[0].removeprefix("unconfirmed "): n for n in report.notes}
    first = unconfirmed[0]
    assert ("as you set it" in said[first]) == (first in settings)
    # set here, for all but Missouri (read from the page, file_url not set)
    assert any(n.startswith("not in every run") for n in report.notes) == (state == "MO")


def test_check_says_a_board_is_left_out_of_every_run_until_its_address_is_set(rosters, server):
    _, settings = mount(server, "MO", rosters["MO"], rendered=True)
    with Fetcher(HTTP) as fetcher:
        report = SOURCES["mo-pr"].check(fetcher, settings)
    assert "not in every run until file_url is set" in " ".join(report.notes)


def test_check_of_missouri_says_when_the_page_shows_no_link(rosters, server):
    _, settings = mount(server, "MO", rosters["MO"])
    with Fetcher(HTTP) as fetcher:
        report = SOURCES["mo-pr"].check(fetcher, settings)
    assert report.verdict == "mismatch"
    assert "file_url" in report.get("values")[1]


def test_the_shipped_rosters_are_what_the_evidence_says():
    md = boardfile.BOARD_FILES["md-bacc"]
    assert md.url == "https://health.maryland.gov/bacc/Documents/acupactive.csv"
    assert sorted(md.columns.values()) == sorted(
        ["RegNum", "LName", "FName", "StatusCode", "OrigLicDate", "ExpDate"])
    oh = boardfile.BOARD_FILES["oh-elicense"]
    assert set(oh.mapped_columns()) <= set(OH_COLUMNS)
    mo = boardfile.BOARD_FILES["mo-pr"]
    assert set(mo.mapped_columns()) <= set(MO_COLUMNS)
    for cfg in (md, oh, mo, boardfile.BOARD_FILES["mi-lara"]):
        assert cfg.verify_url and cfg.verify_url.startswith("https://")
        boardfile.configure(cfg, {})  # a valid configuration


def test_a_settings_defined_board_may_read_a_zip_and_filter_rows(tmp_path):
    source = boardfile.from_settings("xx-test", {
        "title": "A board", "state": "OH", "url": "https://example.org/all.zip",
        "columns": {"license_number": "LICENSE_NUMBER", "full_name": "LICENSEE_NAME"},
        "name_format": "last, first middle", "type_column": "TYPE", "type_pattern": "acupunct",
        "filters": {"BOARD": "medical"}, "member": r"\.csv$"})
    rows = [{"LICENSEE_NAME": "PARK, JIN", "BOARD": "State Medical Board",
             "LICENSE_NUMBER": "AC.000123", "TYPE": "Acupuncturist", "STATUS": "Active",
             "EXPIRATION_DATE": "01/31/2027", "BOARD_ACTION": "N"},
            {"LICENSEE_NAME": "LEE, ANN", "BOARD": "State Chiropractic Board",
             "LICENSE_NUMBER": "CA.000124", "TYPE": "Chiropractic Acupuncture Certificate",
             "STATUS": "Active", "EXPIRATION_DATE": "01/31/2027", "BOARD_ACTION": "N"}]
    path = tmp_path / "all.zip"
    path.write_bytes(zip_of({"all.csv": roster_csv(rows, OH_COLUMNS)}))
    [lic] = list(source.parse(path, "", {}))
    assert (lic.license_number, lic.last_name, lic.first_name) == ("AC.000123", "PARK", "JIN")
    with pytest.raises(ValueError, match="filters.BOARD"):
        boardfile.configure(source.config, {"filters": {"BOARD": "med("}})


def test_file_site_is_a_plain_file_at_one_address(rosters):
    site = FileSite(rosters["MD"], MD_PATH, ["RegNum"])
    with SiteServer() as started:
        started.add_site("/bacc/", site)
        import urllib.request

        with urllib.request.urlopen(started.url + MD_PATH, timeout=10) as answer:
            assert answer.read().startswith(b"RegNum\r\n")


def test_a_link_to_a_private_address_elsewhere_is_refused(rosters, server, tmp_path):
    """The page's link is data: on another host it must be a public address."""
    site, settings = mount(server, "MO", rosters["MO"], rendered=True)
    site.page = lambda: ('<html><body><a href="http://169.254.169.254/latest/meta-data/'
                         'acupuncture.zip">Acupuncture (ZIP)</a></body></html>')
    result = run(tmp_path / "p.db", "mo-pr", settings)
    assert result.status == "failed"
    assert "169.254.169.254" in result.error and site.counts["download"] == 0


def test_a_board_whose_address_is_a_stated_choice_runs_only_once_it_is_set():
    assert SOURCES["md-bacc"].is_default({})
    for source_id, setting in (("oh-elicense", "url"), ("mi-lara", "url"),
                               ("mo-pr", "file_url")):
        assert not SOURCES[source_id].is_default({})
        assert SOURCES[source_id].is_default({setting: "https://example.org/roster.csv"})
