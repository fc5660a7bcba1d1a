"""State boards and the exclusion list against their stand-ins over real HTTP: paging,
unchanged datasets skipped, updates recorded, throttling, SoQL errors, reinstatements."""

from __future__ import annotations

import copy

import pytest

from db.migrations import connect
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from scraper.normalize import license_number
from scraper.sources.socrata import DATASETS
from tests.sites.leie import LeieSite, generate_leie_rows, next_month
from tests.sites.nppes_data import generate_providers
from tests.sites.server import SiteServer
from tests.sites.socrata import SodaPortal
from tests.sites.socrata_data import generate_board_rows

HTTP = HttpConfig(min_interval=0, backoff_base=0.01, backoff_cap=0.05, max_retry_after=5,
                  allowed_hosts=("127.0.0.1",))


@pytest.fixture(scope="module")
def providers():
    return generate_providers(n=4000, seed=7)


@pytest.fixture(scope="module")
def boards(providers):
    return generate_board_rows(providers)


@pytest.fixture
def portal(boards):
    """The Washington portal alone, on its own server, with a fresh copy of its rows."""
    board = copy.deepcopy(boards["data.wa.gov"])
    site = SodaPortal([board.dataset()])
    server = SiteServer().start()
    server.add_site("/data.wa.gov", site)
    yield server, site, board
    server.stop()


def _run(server, db_path, source="wa-doh", **settings):
    config = Config(http=HTTP, sources={source: {"portal": f"{server.url}/data.wa.gov",
                                                 **settings}})
    with Fetcher(HTTP) as fetcher:
        return run_source(config, source, db_path=db_path, fetcher=fetcher)


def _expected(board):
    """Every acupuncture row with a license number is a license, odd values or not."""
    numbers = (license_number(board.rows[t.row].get(board.number_field))
               for t in board.acupuncture_truth())
    return {n for n in numbers if n}


def test_paging_across_many_pages_stores_every_license_once(portal, tmp_path):
    server, _, board = portal
    result = _run(server, tmp_path / "p.db", page_size=10)
    assert result.status == "ok"
    pages = [r for r in server.requests if "/resource/" in r.path and "offset" in r.path]
    assert len(pages) == result.counts["pages"] > 10
    assert all("%24order=%3Aid" in r.path or "$order=:id" in r.path for r in pages)
    db = connect(tmp_path / "p.db", readonly=True)
    stored = [r["license_number_normalized"] for r in db.query("select * from licenses")]
    assert len(stored) == len(set(stored))
    assert set(stored) == _expected(board)


def test_unchanged_dataset_is_skipped_without_downloading_rows(portal, tmp_path):
    server, _, _ = portal
    first = _run(server, tmp_path / "p.db")
    server.reset_log()
    second = _run(server, tmp_path / "p.db")
    assert (second.status, second.counts["pages"]) == ("ok", 0)
    assert second.counts["unchanged"] == first.counts["inserted"]
    assert [r.path for r in server.requests if not r.path.endswith("robots.txt")] == [
        "/data.wa.gov/api/views/qxh8-f4bd.json"]
    db = connect(tmp_path / "p.db", readonly=True)
    assert {r["last_seen_run_id"] for r in db.query("select last_seen_run_id from licenses")} == {
        second.run_id}


def test_updated_dataset_is_read_again_and_changes_recorded(portal, tmp_path):
    server, site, board = portal
    _run(server, tmp_path / "p.db")
    (dataset,) = site.datasets.values()
    truth = next(t for t in board.acupuncture_truth()
                 if t.kind == "license" and board.rows[t.row]["status"] == "ACTIVE")
    row = dataset.rows[truth.row]
    row["status"] = "SUSPENDED"
    removed = next(t for t in board.acupuncture_truth()
                   if t.kind == "license" and t.row != truth.row)
    gone_number = license_number(dataset.rows[removed.row][board.number_field])
    dataset.rows[removed.row] = {**dataset.rows[removed.row], "credentialtype": "Retired Type"}
    dataset.touch(rows_updated_at=dataset.rows_updated_at + 3600)
    result = _run(server, tmp_path / "p.db")
    assert (result.status, result.counts["updated"], result.counts["gone"]) == ("ok", 1, 1)
    db = connect(tmp_path / "p.db", readonly=True)
    changes = {(c["column_name"], c["old_value"], c["new_value"])
               for c in db["changes"].rows_where("column_name like 'status%'")}
    assert changes == {("status", "ACTIVE", "SUSPENDED"), ("status_normalized", "active",
                                                           "suspended")}
    (gone,) = db.query("select * from licenses where gone_at is not null")
    assert gone["license_number_normalized"] == gone_number


def test_throttled_portal_is_waited_out(portal, tmp_path):
    server, site, board = portal
    site.throttle_every = 3
    result = _run(server, tmp_path / "p.db", page_size=100)
    assert result.status == "ok"
    assert site.throttled > 0
    db = connect(tmp_path / "p.db", readonly=True)
    assert {r["license_number_normalized"] for r in db.query("select * from licenses")} == \
        _expected(board)


def test_a_bad_where_setting_fails_with_the_portals_message(portal, tmp_path):
    server, _, _ = portal
    result = _run(server, tmp_path / "p.db", where="credential_kind = 'x'")
    assert result.status == "failed"
    assert "HTTP 400" in result.error and "No such column: credential_kind" in result.error


def test_bad_rows_are_counted_and_kept_with_reasons(portal, tmp_path):
    server, _, board = portal
    result = _run(server, tmp_path / "p.db")
    db = connect(tmp_path / "p.db", readonly=True)
    reasons = sorted(r["reason"] for r in db["rejects"].rows)
    bad = [t for t in board.acupuncture_truth()
           if t.kind == "bad-row" and "N/A" not in board.rows[t.row].values()]
    assert result.counts["rejected"] == len(reasons) == len(bad) > 0
    assert set(reasons) <= {
        "no license number", "unknown status 'PENDING AUDIT' (stored as unknown)",
        "expirationdate: unrecognized date '13/45/2020' (stored without it)",
        "firstissuedate: unrecognized date '13/45/2020' (stored without it)"}
    unknown = db.execute("select count(*) from licenses where status_normalized = 'unknown' "
                         "and status = 'PENDING AUDIT'").fetchone()[0]
    assert unknown == sum(1 for r in reasons if r.startswith("unknown status"))


# -- the exclusion list -------------------------------------------------------------------------

@pytest.fixture
def leie(providers, tmp_path):
    data = generate_leie_rows(providers, n_unrelated=300)
    site = LeieSite.from_data(data)
    server = SiteServer().start()
    server.add_site("/exclusions/", site)
    db_path = tmp_path / "p.db"
    # the providers the list is matched against
    from db import store
    from db.migrations import open_db
    from scraper.sources.nppes_api import parse_provider

    db = open_db(db_path)
    with store.transaction(db):
        store.upsert_providers(db, [parse_provider(p, "u") for p in providers], 1, "t")
    db.close()
    yield server, site, data, db_path
    server.stop()


def _leie(server, db_path, **settings):
    config = Config(http=HTTP, sources={"oig-leie": {
        "url": f"{server.url}/exclusions/downloadables/UPDATED.csv", **settings}})
    with Fetcher(HTTP) as fetcher:
        return run_source(config, "oig-leie", db_path=db_path, fetcher=fetcher)


def test_leie_keeps_our_excluded_providers_and_reinstates(providers, leie):
    server, site, data, db_path = leie
    first = _leie(server, db_path)
    assert first.status == "ok"
    db = connect(db_path, readonly=True)
    ours = {str(t.npi) for t in data.truth if t.kind == "npi"}
    assert ours <= {r["npi"] for r in db.query("select npi from exclusions")}
    assert db["exclusions"].count < len(data.rows) / 5  # the rest of the list is not kept

    later = next_month(data, providers)
    site.publish(later)
    rein_url = f"{server.url}/exclusions/downloadables/{later.month}REIN.csv"
    second = _leie(server, db_path, reinstatement_urls=[rein_url])
    assert second.status == "ok"
    reinstated_rows = {(r["LASTNAME"], r["FIRSTNAME"]) for r in later.reinstated}
    rows = list(db.query("select * from exclusions where status = 'reinstated'"))
    assert rows and {(r["last_name"], r["first_name"]) for r in rows} <= reinstated_rows
    assert all(r["reinstated_on"] for r in rows)  # the supplement gave the dates
    third = _leie(server, db_path, reinstatement_urls=[rein_url])
    assert (third.counts["not_modified"], third.counts["updated"]) == (2, 0)


def test_leie_row_gone_without_a_supplement_is_delisted(providers, leie):
    server, site, data, db_path = leie
    _leie(server, db_path)
    site.publish(next_month(data, providers))
    result = _leie(server, db_path)
    assert result.counts["gone"] >= 1
    db = connect(db_path, readonly=True)
    rows = list(db.query("select * from exclusions where gone_at is not null"))
    # absence alone is not proof of reinstatement (OIG also drops rows it corrects)
    assert rows and {r["status"] for r in rows} == {"delisted"}
    assert all(r["reinstated_on"] is None for r in rows)


def test_app_token_from_the_environment_is_sent_and_not_throttled(portal, tmp_path, monkeypatch):
    server, site, _ = portal
    site.throttle_every = 2
    monkeypatch.setenv("PRACTITIONERS_SOCRATA_APP_TOKEN", "test-token-123")
    result = _run(server, tmp_path / "p.db", page_size=100)
    assert result.status == "ok"
    assert (site.throttled, site.untokened) == (0, 0)
    sent = {r.headers.get("X-App-Token") for r in server.requests if "/data.wa.gov/" in r.path}
    assert sent == {"test-token-123"}


def test_an_unexpected_error_is_a_failed_run_not_an_ok_one(portal, tmp_path, monkeypatch):
    server, _, _ = portal

    def broken(*args, **kwargs):
        raise TypeError("a bug in the writer")

    from dataclasses import replace

    from scraper import jobs

    monkeypatch.setitem(jobs.SINKS, "licenses", replace(jobs.SINKS["licenses"], upsert=broken))
    result = _run(server, tmp_path / "p.db")
    assert (result.status, result.error) == ("failed", "TypeError: a bug in the writer")
    db = connect(tmp_path / "p.db", readonly=True)
    assert [r["status"] for r in db["scrape_runs"].rows] == ["failed"]


def test_leie_behind_a_redirect_stays_listed_on_a_304(providers, leie):
    """Review finding (2026-11): records must carry the URL asked for, or a 304 after a
    redirect finds none of them and every exclusion looks delisted."""
    server, _, _, db_path = leie
    from tests.sites.server import Response

    target = "/exclusions/downloadables/UPDATED.csv"
    server.add_site("/moved/", lambda request: Response(302, {"Location": target}, b""))
    url = f"{server.url}/moved/UPDATED.csv"
    first = _leie(server, db_path, url=url)
    second = _leie(server, db_path, url=url)
    assert (first.status, second.status) == ("ok", "ok")
    assert (second.counts["not_modified"], second.counts["gone"]) == (1, 0)
    assert second.counts["unchanged"] == first.counts["inserted"] > 0


def test_new_providers_make_an_unchanged_list_be_read_again(providers, leie):
    """Review finding (2026-11): which rows matter depends on our providers."""
    server, _, data, db_path = leie
    excluded = sorted({str(t.npi) for t in data.truth if t.kind == "npi"})
    from db.migrations import open_db

    db = open_db(db_path)
    hidden = [dict(r) for r in db.query(
        f"select * from providers where npi in ({','.join('?' * len(excluded))})", excluded)]
    with store_tx(db):
        for table in ("provider_addresses", "provider_taxonomies", "providers"):
            db.execute(f"delete from {table} where npi in ({','.join('?' * len(excluded))})",
                       excluded)
    db.close()
    _leie(server, db_path)
    seen = {r["npi"] for r in connect(db_path, readonly=True).query(
        "select npi from exclusions where npi is not null")}
    assert not set(excluded) <= seen  # their exclusions did not matter yet
    db = open_db(db_path)
    with store_tx(db):
        db["providers"].insert_all(hidden)
    db.close()
    again = _leie(server, db_path)
    assert again.counts["not_modified"] == 0  # the same file, read again
    seen = {r["npi"] for r in connect(db_path, readonly=True).query(
        "select npi from exclusions where npi is not null")}
    assert set(excluded) <= seen


def store_tx(db):
    from db import store

    return store.transaction(db)


def test_a_changed_where_setting_reads_the_rows_again(portal, tmp_path):
    server, _, _ = portal
    _run(server, tmp_path / "p.db")
    narrower = "credentialtype = 'East Asian Medicine Practitioner License'"
    # Far fewer rows than before: refused, until the operator says the drop is meant.
    refused = _run(server, tmp_path / "p.db", where=narrower)
    assert (refused.status, refused.counts["records"]) == ("suspect", 0)
    result = _run(server, tmp_path / "p.db", where=narrower, volume_guard=0)
    assert result.counts["pages"] > 0 and result.counts["gone"] > 0
    db = connect(tmp_path / "p.db", readonly=True)
    listed = {r["license_type"] for r in db.query("select license_type from licenses "
                                                  "where gone_at is null")}
    assert listed == {"East Asian Medicine Practitioner License"}


def test_a_dataset_that_changes_while_read_marks_nothing_gone(portal, tmp_path):
    _, site, _ = portal
    (dataset,) = site.datasets.values()
    calls = {"n": 0}

    def changing(request):
        if "/resource/" in request.path:
            calls["n"] += 1
            if calls["n"] == 3:
                dataset.touch(rows_updated_at=dataset.rows_updated_at + 60)
        return site.handle(request)

    server = SiteServer().start()
    server.add_site("/data.wa.gov", changing)
    try:
        calls["n"] = 99  # a first, complete run, undisturbed
        assert _run(server, tmp_path / "p.db", page_size=100).status == "ok"
        calls["n"] = 0
        dataset.touch(rows_updated_at=dataset.rows_updated_at + 60)
        result = _run(server, tmp_path / "p.db", page_size=100)
    finally:
        server.stop()
    assert (result.status, result.counts["gone"]) == ("partial", 0)
    assert "changed while it was read" in " ".join(result.notes)


# -- every board with its shipped configuration, and a run that checks itself (issue 11) -------

BOARD_SOURCES = {"data.wa.gov": "wa-doh", "data.colorado.gov": "co-dora",
                 "data.ct.gov": "ct-dph", "data.texas.gov": "tx-tmb",
                 "data.illinois.gov": "il-idfpr"}


def _board_run(boards, host, db_path, **settings):
    """One board's portal on its own server, scraped with the shipped configuration."""
    board = copy.deepcopy(boards[host])
    site = SodaPortal([board.dataset()])
    server = SiteServer().start()
    server.add_site(f"/{host}", site)
    source = BOARD_SOURCES[host]
    config = Config(http=HTTP, sources={source: {"portal": f"{server.url}/{host}", **settings}})
    try:
        with Fetcher(HTTP) as fetcher:
            return run_source(config, source, db_path=db_path, fetcher=fetcher), board, site
    finally:
        server.stop()


@pytest.mark.parametrize("host", list(BOARD_SOURCES))
def test_every_board_stores_its_licenses_with_the_shipped_configuration(boards, host, tmp_path):
    result, board, _ = _board_run(boards, host, tmp_path / "b.db")
    assert result.status == "ok", result.error
    db = connect(tmp_path / "b.db", readonly=True)
    stored = {r["license_number_normalized"] for r in db.query("select * from licenses")}
    assert stored == _expected(board)
    # What the selection matched is in the run's notes, with its row count.
    acupuncture_rows = len(board.acupuncture_truth())
    dataset = DATASETS[BOARD_SOURCES[host]]
    counted = dataset.title_field or board.type_field  # Illinois counts by title
    (note,) = [n for n in result.notes if n.startswith(f"{counted}: ")]
    assert note.endswith(" rows)") and sum(
        int(part.split(" (")[1].split(" rows")[0].replace(",", ""))
        for part in note.split(": ", 1)[1].split(", ")) == acupuncture_rows
    # Every license has a name and a place to check it; none has an empty name from a
    # field the dataset does not have.
    rows = list(db.query("select * from licenses"))
    assert all(r["verify_url"] and r["verify_url"].startswith("https://") for r in rows)
    assert all(r["last_name"] for r in rows if r["license_number_normalized"])


def test_colorado_licenses_keep_the_boards_own_link_and_title(boards, tmp_path):
    result, board, _ = _board_run(boards, "data.colorado.gov", tmp_path / "b.db")
    db = connect(tmp_path / "b.db", readonly=True)
    links = {r["license_number"]: r["verify_url"] for r in db.query("select * from licenses")}
    given = {row["licensenumber"]: row["linktoverifylicense"]["url"] for row in board.rows
             if row.get("licensetype") == "AC" and "licensenumber" in row}
    assert links == given
    assert {r["license_type"] for r in db.query("select license_type from licenses")} == {
        "Acupuncturist"}


def test_connecticut_and_texas_names_are_read_in_their_order(boards, tmp_path):
    _board_run(boards, "data.ct.gov", tmp_path / "ct.db")
    db = connect(tmp_path / "ct.db", readonly=True)
    for row in db.query("select full_name, first_name, last_name from licenses"):
        words = row["full_name"].split()
        assert row["first_name"] == words[0] and row["last_name"] in words[1:]
    _board_run(boards, "data.texas.gov", tmp_path / "tx.db")
    db = connect(tmp_path / "tx.db", readonly=True)
    rows = list(db.query("select first_name, middle_name, city, disciplined from licenses"))
    assert all(" " not in (r["first_name"] or "") for r in rows)
    assert any(r["middle_name"] for r in rows) and all(r["city"] for r in rows)
    assert {r["disciplined"] for r in rows} == {0, 1}


def _nothing_stored(db_path) -> bool:
    db = connect(db_path, readonly=True)
    return db.execute("select count(*) from licenses").fetchone()[0] == 0


def test_a_selection_that_matches_nothing_fails_and_names_close_values(providers, tmp_path):
    """The shipped Colorado selection against a Colorado whose acupuncture code is another."""
    boards = generate_board_rows(providers, acupuncture_types={"data.colorado.gov": ("LAC",)})
    result, _, _ = _board_run(boards, "data.colorado.gov", tmp_path / "b.db")
    assert result.status == "failed"
    assert "matches no row, so nothing was stored" in result.error
    assert "'LAC' (" in result.error  # the code the dataset has, offered as close
    assert "licensetype: nothing matched" in result.notes
    assert _nothing_stored(tmp_path / "b.db")


def test_a_missing_field_fails_naming_it_and_the_fields_there(boards, tmp_path):
    board = copy.deepcopy(boards["data.ct.gov"])
    board.columns.remove("expirationdate")
    del board.column_types["expirationdate"]
    result, _, site = _board_run({"data.ct.gov": board}, "data.ct.gov", tmp_path / "b.db")
    assert result.status == "failed"
    assert result.error.startswith("ngch-56tr has no field expirationdate (configured for "
                                   "ct-dph); its fields are: ")
    assert "credential" in result.error
    assert _nothing_stored(tmp_path / "b.db")


def test_a_collapse_in_volume_is_suspect_stores_nothing_and_marks_nothing_gone(portal, tmp_path):
    server, site, board = portal
    first = _run(server, tmp_path / "p.db")
    assert first.status == "ok"
    (dataset,) = site.datasets.values()
    kept = 0
    for truth in board.acupuncture_truth():  # a broken export: most licenses vanish
        kept += 1
        if kept % 4:
            dataset.rows[truth.row] = {**dataset.rows[truth.row],
                                       "credentialtype": "Registered Nurse License"}
    dataset.touch(rows_updated_at=dataset.rows_updated_at + 3600)
    result = _run(server, tmp_path / "p.db")
    assert (result.status, result.counts["records"], result.counts["gone"]) == ("suspect", 0, 0)
    assert "nothing stored or marked gone" in result.error
    db = connect(tmp_path / "p.db", readonly=True)
    assert db.execute("select count(*) from licenses where gone_at is not null").fetchone()[0] == 0
    assert {r["last_seen_run_id"] for r in db.query("select last_seen_run_id from licenses")} == {
        first.run_id}
