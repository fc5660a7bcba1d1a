"""California (DCA licensee lists on Box) and Florida (MQA export) scraped from their stand-ins
over real HTTP, through the job runner: the Box steps, the tab-separated .xls, a second and a
third data file, a token that expires mid-run, rejects, a broken download, the volume guard,
the profession code read from Florida's search form, and ``practitioners check``."""

from __future__ import annotations

import pytest

from db.migrations import connect
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from scraper.normalize import license_number
from scraper.sources import SOURCES, boardfile
from tests.sites.boardfiles import DcaBoxSite, MqaSite
from tests.sites.boardfiles_data import dca_tsv, generate_dca_data, generate_mqa_data
from tests.sites.nppes_data import generate_providers
from tests.sites.server import SiteServer

HTTP = HttpConfig(min_interval=0, backoff_base=0.01, backoff_cap=0.05, max_retry_after=5,
                  allowed_hosts=("127.0.0.1",))


@pytest.fixture(scope="module")
def providers():
    return generate_providers(n=3000, seed=11)


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


def mqa_site(data, **kwargs):
    site = MqaSite(data, **kwargs)
    server = SiteServer().start()
    server.add_site("/MQASearchServices/", site)
    return server, site


@pytest.fixture
def mqa(mqa_data):
    server, site = mqa_site(mqa_data)
    yield server, site
    server.stop()


def ca_settings(server, **more):
    return {"token_url": f"{server.url}/dca/boxToken/getToken",
            "api_url": f"{server.url}/box/2.0", **more}


def fl_settings(server, **more):
    return {"form_url": f"{server.url}/MQASearchServices/HealthCareProviders",
            "export_url": f"{server.url}/MQASearchServices/Healthcareproviders/ExportToCsvLVP",
            **more}


def run(db_path, source_id, settings):
    config = Config(http=HTTP, sources={source_id: settings})
    with Fetcher(HTTP) as fetcher:
        return run_source(config, source_id, db_path=db_path, fetcher=fetcher)


def live_licenses(db_path, jurisdiction):
    db = connect(db_path, readonly=True)
    return {r["license_number_normalized"]: dict(r) for r in db.query(
        "select * from licenses where jurisdiction = ? and gone_at is null", [jurisdiction])}


def expected(data):
    """Every acupuncture row of a person with a number is a license, odd values or not."""
    rows = (data.rows[t.row] for t in data.acupuncture_truth() if t.kind != "organization")
    return {n for row in rows if (n := license_number(row.get(data.number_column)))}


# -- California -------------------------------------------------------------------------------------


def test_california_through_box_stores_every_license_of_both_data_files(dca, dca_data, tmp_path):
    server, site = dca
    result = run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    assert result.status == "ok", result.error
    stored = live_licenses(tmp_path / "p.db", "CA")
    assert set(stored) == expected(dca_data)
    # the token once, the root folder and the board's folder, the two _Data files only
    assert (site.counts["token"], site.counts["listing"], site.counts["content"]) == (1, 2, 2)
    notes = " ".join(result.notes)
    assert "'Acupuncture Board'" in notes and "Acupuncture_Data00.xls" in notes
    assert "Acupuncture_Data01.xls" in notes and "Layout" not in notes
    assert "skipped (Indiv/Org (I/O))" in notes
    # school, degree, address of record, ZIP+4 cut to five digits, verify page
    with_school = [r for r in stored.values() if r["school"]]
    assert len(with_school) > len(stored) // 2
    assert all(len(r["zip"]) == 5 for r in stored.values() if r["zip"])
    assert {r["verify_url"] for r in stored.values()} == {"https://search.dca.ca.gov/"}
    assert all(r["source"] == "ca-dca" for r in stored.values())
    # the bad rows are rejects that say which line
    db = connect(tmp_path / "p.db", readonly=True)
    reasons = [r["reason"] for r in db.query("select reason from rejects where source = 'ca-dca'")]
    assert reasons and all(r.startswith("line ") for r in reasons)
    assert any("unknown status" in r for r in reasons)


def test_an_unchanged_month_costs_the_listings_only(dca, tmp_path):
    server, site = dca
    first = run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    site.reset_counts()
    second = run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    assert second.status == "ok"
    assert site.counts["content"] == 0 and site.counts["listing"] == 2
    assert second.counts["unchanged"] == first.counts["inserted"]


def test_a_new_month_with_a_third_data_file(dca, dca_data, tmp_path):
    server, site = dca
    run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    site.replace_rows(dca_data.rows, parts=3)
    site.reset_counts()
    second = run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    assert second.status == "ok", second.error
    assert site.counts["content"] == 3
    assert "Acupuncture_Data02.xls" in " ".join(second.notes)
    assert set(live_licenses(tmp_path / "p.db", "CA")) == expected(dca_data)


def test_a_token_that_expires_mid_run_is_asked_for_again_once(dca, dca_data, tmp_path,
                                                              monkeypatch):
    server, site = dca
    original = boardfile.BoxSession.items
    calls = []

    def items(self, fetcher, api, folder_id):
        answer = original(self, fetcher, api, folder_id)
        calls.append(folder_id)
        if len(calls) == 1:
            site.expire_tokens()  # after the root folder's listing
        return answer

    monkeypatch.setattr(boardfile.BoxSession, "items", items)
    result = run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    assert result.status == "ok", result.error
    assert site.counts["token"] == 2 and site.counts["unauthorized"] == 1
    assert set(live_licenses(tmp_path / "p.db", "CA")) == expected(dca_data)


def test_a_broken_download_stores_nothing_and_names_the_problem(dca, tmp_path):
    server, site = dca
    first = run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    before = live_licenses(tmp_path / "p.db", "CA")
    site.set_files({"Acupuncture_Data01.xls": b"<html><body>Service unavailable</body></html>"})
    second = run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    assert second.status == "failed"
    assert "Acupuncture_Data01.xls has no column 'License Number'" in second.error
    assert second.counts["inserted"] == second.counts.get("gone", 0) == 0
    assert live_licenses(tmp_path / "p.db", "CA").keys() == before.keys()
    assert first.status == "ok"


def test_a_file_cut_short_costs_its_last_row_and_marks_nothing_gone(dca, dca_data, tmp_path):
    server, site = dca
    run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    files = site.data_files()
    cut = files["Acupuncture_Data01.xls"]
    site.set_files({"Acupuncture_Data01.xls": cut[:cut.rstrip(b"\r\n").rfind(b"\t")]})
    second = run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    assert second.status == "partial"
    assert second.counts.get("gone", 0) == 0
    db = connect(tmp_path / "p.db", readonly=True)
    last = cut.rstrip(b"\r\n").count(b"\n") + 1
    assert any(r["reason"].startswith(f"line {last}: has ") for r in db.query(
        "select reason from rejects where source = 'ca-dca'"))
    assert set(live_licenses(tmp_path / "p.db", "CA")) == expected(dca_data)


def test_far_fewer_rows_than_last_month_store_nothing(dca, dca_data, tmp_path):
    server, site = dca
    run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    site.replace_rows(dca_data.rows[: len(dca_data.rows) // 4])
    second = run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    assert second.status == "suspect"
    assert "under 50% of the" in second.error and second.counts.get("inserted", 0) == 0
    assert set(live_licenses(tmp_path / "p.db", "CA")) == expected(dca_data)


def test_a_renamed_column_or_a_missing_folder_fails_loudly(dca, tmp_path):
    server, site = dca
    site.rename_column("License Status", "Status")
    result = run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    assert result.status == "failed"
    assert "no column 'License Status'" in result.error and "'Status'" in result.error
    site.remove_folder()
    result = run(tmp_path / "p.db", "ca-dca", ca_settings(server))
    assert result.status == "failed"
    assert "no folder" in result.error and "Board of Registered Nursing" in result.error


def test_the_tsv_in_xls_is_what_the_stand_in_serves(dca_data):
    body = dca_tsv(dca_data.rows[:3])
    assert b"\t" in body.split(b"\r\n")[0] and not body.startswith(b"PK")


# -- Florida --------------------------------------------------------------------------------------


def test_florida_reads_the_profession_code_from_the_form(mqa_data, tmp_path):
    server, site = mqa_site(mqa_data, acupuncture_code="3507")
    try:
        result = run(tmp_path / "p.db", "fl-mqa", fl_settings(server))
        assert result.status == "ok", result.error
        assert "profession 3507 ('Acupuncturist') read from the search form" in \
            " ".join(result.notes)
        stored = live_licenses(tmp_path / "p.db", "FL")
        assert set(stored) == expected(mqa_data)
        statuses = {r["status_normalized"] for r in stored.values()}
        assert {"active", "expired", "inactive"} <= statuses  # every status asked for
        some = next(r for r in stored.values() if r["middle_name"])
        assert some["last_name"] and some["first_name"] and some["full_name"].count(",") == 1
    finally:
        server.stop()


def test_an_unchanged_export_answers_304_and_the_run_is_ok(mqa, tmp_path):
    server, _ = mqa
    first = run(tmp_path / "p.db", "fl-mqa", fl_settings(server))
    second = run(tmp_path / "p.db", "fl-mqa", fl_settings(server))
    assert (first.status, second.status) == ("ok", "ok"), second.notes
    assert second.counts["not_modified"] == 1
    assert second.counts["unchanged"] == first.counts["inserted"]


def test_a_wrong_profession_setting_matches_nothing_and_fails(mqa, tmp_path):
    server, _ = mqa
    result = run(tmp_path / "p.db", "fl-mqa", fl_settings(server, profession="9999"))
    assert result.status == "failed"
    assert "no row's Profession matches" in result.error


def test_the_active_filter_quirk_still_gives_each_row_its_own_status(mqa, mqa_data, tmp_path):
    server, _ = mqa
    result = run(tmp_path / "p.db", "fl-mqa", fl_settings(server, license_status="A"))
    assert result.status == "ok"
    stored = live_licenses(tmp_path / "p.db", "FL")
    assert {r["status_normalized"] for r in stored.values()} - {"active", "unknown"}


# -- practitioners check ----------------------------------------------------------------------


def test_check_says_which_profession_code_the_form_lists(mqa_data):
    server, _ = mqa_site(mqa_data, acupuncture_code="3507")
    try:
        with Fetcher(HTTP) as fetcher:
            found = SOURCES["fl-mqa"].check(fetcher, fl_settings(server))
            assert found.verdict == "ok", found.items
            assert any("3507" in note for note in found.notes)
            wrong = SOURCES["fl-mqa"].check(fetcher, fl_settings(server, profession="3501"))
        assert wrong.verdict == "mismatch"
        assert "3507" in wrong.get("values")[1] or "3507" in wrong.get("fields")[1]
    finally:
        server.stop()


def test_check_of_california_reads_the_files_and_one_license(dca):
    server, site = dca
    with Fetcher(HTTP) as fetcher:
        report = SOURCES["ca-dca"].check(fetcher, ca_settings(server))
        assert report.verdict == "ok", report.items
        assert "22 mapped" not in report.get("fields")[1]  # counts the mapped ones
        assert report.get("record")[0] is True
        site.rename_column("Expiration Date", "Expires")
        broken = SOURCES["ca-dca"].check(fetcher, ca_settings(server))
    assert broken.verdict == "mismatch"
    assert "'Expiration Date'" in broken.get("fields")[1]


def test_each_file_read_must_hold_acupuncture_rows(mqa, mqa_data, tmp_path):
    """Two professions, one of them now empty: fails, though the other's export is unchanged
    (a 304 used to skip the checks; review of issue 12)."""
    server, _ = mqa
    first = run(tmp_path / "p.db", "fl-mqa", fl_settings(server, profession="3501"))
    assert first.status == "ok"
    second = run(tmp_path / "p.db", "fl-mqa", fl_settings(server, profession="3501,9999"))
    assert second.status == "failed"
    assert "profession-9999.csv: no row's Profession matches" in second.error
    assert second.counts.get("gone", 0) == 0
    assert set(live_licenses(tmp_path / "p.db", "FL")) == expected(mqa_data)
