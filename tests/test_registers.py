"""Nevada (Certemy public registry) and Arizona (Thentia public register) scraped from their
stand-ins over real HTTP on 127.0.0.1, through the job runner: paging, the acupuncturist type
selected, discipline, linking to NPPES providers, 304s, the self-checks (missing keys, no
acupuncture rows, a 403 to our User-Agent, a challenge page, the volume guard, a total that
changes mid-run, bounded paging), resumption mid-paging and ``practitioners check``."""

from __future__ import annotations

import json
import re

import pytest

from db.migrations import connect
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher, user_agent
from scraper.jobs import relink, run_source
from scraper.normalize import license_number
from scraper.sources import SOURCES, register
from scraper.sources.register import REGISTERS, RegisterSource, at_path
from tests.sites.nppes import NppesApi
from tests.sites.nppes_data import generate_providers
from tests.sites.registers import CertemySite, ThentiaSite
from tests.sites.registers_data import (
    AZ_ACUPUNCTURIST,
    AZ_AURICULAR,
    NV_UUID,
    generate_az_data,
    generate_nv_data,
)
from tests.sites.server import SiteServer, fetch

HTTP = HttpConfig(min_interval=0, backoff_base=0.01, backoff_cap=0.05, max_retry_after=5,
                  allowed_hosts=("127.0.0.1",))
NV_HOST, AZ_HOST = "/nvbom.certemy.com", "/azabe.portalus.thentiacloud.net"


@pytest.fixture(scope="module")
def providers():
    return generate_providers(n=3000, seed=11)


@pytest.fixture(scope="module")
def nv_data(providers):
    return generate_nv_data(providers)


@pytest.fixture(scope="module")
def az_data(providers):
    return generate_az_data(providers)


@pytest.fixture
def nv(nv_data):
    site = CertemySite(nv_data)
    with SiteServer() as server:
        server.add_site(NV_HOST, site)
        yield server, site
        assert server.errors == []


@pytest.fixture
def az(az_data):
    site = ThentiaSite(az_data)
    with SiteServer() as server:
        server.add_site(AZ_HOST, site)
        yield server, site
        assert server.errors == []


def nv_settings(server, **more):
    return {"url": f"{server.url}{NV_HOST}/api/organization/public_registry/{NV_UUID}", **more}


def az_settings(server, **more):
    return {"url": f"{server.url}{AZ_HOST}/rest/public/profile/search/", **more}


def run(db_path, source_id, settings, **kwargs):
    config = Config(http=HTTP, sources={source_id: settings})
    with Fetcher(HTTP) as fetcher:
        return run_source(config, source_id, db_path=db_path, fetcher=fetcher, **kwargs)


def live(db_path, jurisdiction):
    db = connect(db_path, readonly=True)
    return {r["license_number_normalized"]: dict(r) for r in db.query(
        "select * from licenses where jurisdiction = ? and gone_at is null", [jurisdiction])}


def expected(data, kinds=("license", "bad-row")):
    """Every acupuncture record with a number is a license, odd values or not."""
    return {n for t in data.truth if t.kind in kinds
            if (n := license_number(data.number_of(data.records[t.row])))}


def page_requests(server, marker):
    return [r for r in server.requests if marker in r.path]


# -- the stand-ins speak the shapes the evidence shows ------------------------------------------


def test_the_certemy_stand_in_pages_result_and_count(nv, nv_data):
    server, _ = nv
    base = f"{server.url}{NV_HOST}/api/organization/public_registry/{NV_UUID}?search="
    pages = []
    for page in (1, 2, 3):
        status, headers, body = fetch(f"{base}&page={page}&page_size=20")
        assert status == 200 and headers["Last-Modified"] and headers["ETag"]
        answer = json.loads(body)
        assert set(answer) == {"result", "count"} and answer["count"] == len(nv_data.records)
        pages.append(answer["result"])
    assert [len(p) for p in pages] == [20, len(nv_data.records) - 20, 0]
    assert pages[0] + pages[1] == nv_data.records
    assert all(r["license_number"] is None or r["license_number"].isdigit()
               for r in nv_data.records)  # "License #" is digits ("2031")
    status, _, body = fetch(f"{base}{nv_data.records[0]['last_name']}&page=1&page_size=20")
    assert 0 < json.loads(body)["count"] < len(nv_data.records)
    assert fetch(base.replace(NV_UUID, "0" * 8) + "&page=1")[0] == 404


def test_the_thentia_stand_in_pages_data_results_and_filters_the_disciplined(az, az_data):
    server, _ = az
    base = (f"{server.url}{AZ_HOST}/rest/public/profile/search/?keyword=all&lang=en-us"
            "&licenseType=all&licenseStatus=all")
    ours = {"User-Agent": user_agent(HTTP.contact)}
    answer = json.loads(fetch(f"{base}&skip=20&take=20&disciplined=false", ours)[2])
    assert set(answer) == {"resultCount", "result"} and set(answer["result"]) == {"dataResults"}
    assert answer["resultCount"] == len(az_data.records)
    assert answer["result"]["dataResults"] == az_data.records[20:40]
    row = answer["result"]["dataResults"][0]
    assert set(row) == {"id", "columnValues"} and all(set(c) == {"data"}
                                                       for c in row["columnValues"])
    stamps = [r["columnValues"][6]["data"] for r in az_data.records]
    assert sum(bool(re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00\.000Z", s)) for s in stamps) \
        >= len(stamps) - 2  # two spoiled on purpose
    listed = json.loads(fetch(f"{base}&skip=0&take=100&disciplined=true", ours)[2])
    assert listed["resultCount"] == len(az_data.disciplined) > 0
    assert {r["id"] for r in listed["result"]["dataResults"]} == \
        {az_data.records[i]["id"] for i in az_data.disciplined}


# -- Nevada -----------------------------------------------------------------------------------


def test_nevada_pages_through_the_registry_and_stores_every_licensee(nv, nv_data, tmp_path):
    server, _ = nv
    result = run(tmp_path / "p.db", "nv-certemy", nv_settings(server))
    assert result.status == "ok", result.error
    stored = live(tmp_path / "p.db", "NV")
    assert set(stored) == expected(nv_data) and len(stored) > 20
    pages = page_requests(server, "public_registry")
    assert [p.path.split("page=")[1].split("&")[0] for p in pages] == \
        [str(k) for k in range(1, len(pages) + 1)]
    assert all("page_size=20" in p.path and "search=" in p.path for p in pages)
    assert len(pages) == -(-len(nv_data.records) // 20)
    some = next(iter(stored.values()))
    assert some["license_type"] == "Oriental Medicine" and some["status_normalized"] == "unknown"
    assert {r["verify_url"] for r in stored.values()} == {REGISTERS["nv-certemy"].verify_url}
    assert all(r["issued_on"] and len(r["issued_on"]) == 10 for r in stored.values()
               if r["issued_on"])
    # the register's Disciplinary Actions become discipline cases, the flag follows them
    db = connect(tmp_path / "p.db", readonly=True)
    cases = {r["license_id"]: r["action"] for r in db.query("select * from disciplinary_actions")}
    acted = {license_number(r["license_number"]): r["disciplinary_actions"]
             for r in nv_data.records if r["disciplinary_actions"] and r["license_number"]}
    assert acted and {stored[n]["license_id"]: a for n, a in acted.items()} == cases
    assert all(bool(r["disciplined"]) == (n in acted) for n, r in stored.items())


def test_an_unchanged_registry_costs_a_304_a_page_but_those_with_discipline(nv, nv_data,
                                                                           tmp_path):
    """A 304 vouches for a page's licenses, not for its discipline cases (another table):
    the pages that held cases are read whole, so no case is marked gone."""
    server, _ = nv
    first = run(tmp_path / "p.db", "nv-certemy", nv_settings(server))
    second = run(tmp_path / "p.db", "nv-certemy", nv_settings(server))
    assert second.status == "ok", second.error
    with_cases = {i // 20 for i, r in enumerate(nv_data.records) if r["disciplinary_actions"]}
    assert second.counts["pages"] == first.counts["pages"]
    assert second.counts["not_modified"] == first.counts["pages"] - len(with_cases) > 0
    assert second.counts["unchanged"] == first.counts["inserted"]
    assert second.counts.get("gone", 0) == 0
    db = connect(tmp_path / "p.db", readonly=True)
    assert db.execute("select count(*) from disciplinary_actions where gone_at is null"
                      ).fetchone()[0] == len(with_cases and [r for r in nv_data.records if
                                                            r["disciplinary_actions"]])


def test_a_renamed_key_fails_loudly_naming_it_and_the_keys_there_are(nv, tmp_path):
    server, site = nv
    site.drop_key("license_number")
    result = run(tmp_path / "p.db", "nv-certemy", nv_settings(server))
    assert result.status == "failed"
    assert "no 'license_number'" in result.error and "business_city" in result.error
    assert not live(tmp_path / "p.db", "NV")


def test_far_fewer_records_than_last_time_store_nothing(nv, nv_data, tmp_path):
    server, site = nv
    run(tmp_path / "p.db", "nv-certemy", nv_settings(server))
    site.records = site.records[: len(site.records) // 4]
    second = run(tmp_path / "p.db", "nv-certemy", nv_settings(server))
    assert second.status == "suspect" and "under 50% of the" in second.error
    assert second.counts.get("inserted", 0) == second.counts.get("gone", 0) == 0
    assert set(live(tmp_path / "p.db", "NV")) == expected(nv_data)


def test_a_total_that_shrinks_mid_run_marks_nothing_gone(nv, nv_data, tmp_path):
    server, site = nv
    run(tmp_path / "p.db", "nv-certemy", nv_settings(server))
    site.after_requests(1, lambda s: s.records.__delitem__(slice(0, 3)))
    second = run(tmp_path / "p.db", "nv-certemy", nv_settings(server), )
    assert second.status == "partial"
    assert "count went from" in " ".join(second.notes)
    assert second.counts.get("gone", 0) == 0
    assert set(live(tmp_path / "p.db", "NV")) == expected(nv_data)


def test_an_interrupted_run_resumes_at_the_next_page(nv, nv_data, tmp_path):
    server, _ = nv
    pages = []

    def stop_after_two(progress):
        pages.append(progress.pages)
        if progress.pages == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "p.db", "nv-certemy", nv_settings(server, page_size=10),
            on_progress=stop_after_two)
    server.reset_log()
    result = run(tmp_path / "p.db", "nv-certemy", nv_settings(server, page_size=10))
    assert result.resumed and result.status == "ok", result.error
    asked = [p.path for p in page_requests(server, "public_registry")]
    assert asked and not any("page=1&" in p or "page=2&" in p for p in asked)
    assert asked[0].split("page=")[1].startswith("3&")
    assert set(live(tmp_path / "p.db", "NV")) == expected(nv_data)


def test_a_server_that_serves_fewer_a_page_than_asked_fails_loudly(nv, tmp_path):
    server, site = nv
    site.max_page_size = 10
    result = run(tmp_path / "p.db", "nv-certemy", nv_settings(server))
    assert result.status == "failed"
    assert "asked for 20 records a page, got 10" in result.error


def test_a_count_that_lies_is_bounded_and_never_pages_on_forever(nv, tmp_path):
    server, site = nv
    site.claimed_count = 10**12
    result = run(tmp_path / "p.db", "nv-certemy", nv_settings(server))
    assert result.status == "failed" and "over max_pages" in result.error
    assert len(page_requests(server, "public_registry")) == 1 and not live(tmp_path / "p.db", "NV")
    site.claimed_count = len(site.records) + 30  # pages that end before the count does
    result = run(tmp_path / "p.db", "nv-certemy", nv_settings(server))
    assert result.status == "failed"
    assert f"counts {len(site.records) + 30} records but its pages end after " \
        f"{len(site.records)}" in result.error and result.counts.get("gone", 0) == 0


def test_a_record_that_is_no_object_costs_that_record(nv, nv_data, tmp_path):
    server, site = nv
    site.records.insert(3, "<b>not a record</b>")
    site.records.pop()  # the same count, so the pages stay full
    result = run(tmp_path / "p.db", "nv-certemy", nv_settings(server))
    assert result.status == "ok", result.error
    db = connect(tmp_path / "p.db", readonly=True)
    assert any("record 4 is a str, not an object" in r["reason"]
               for r in db.query("select reason from rejects where source = 'nv-certemy'"))
    assert len(live(tmp_path / "p.db", "NV")) >= len(expected(nv_data)) - 1


def test_paging_is_bounded_by_max_pages(nv, tmp_path):
    server, _ = nv
    result = run(tmp_path / "p.db", "nv-certemy", nv_settings(server, max_pages=1))
    assert result.status == "failed" and "over max_pages (1)" in result.error
    assert len(page_requests(server, "public_registry")) == 1


# -- Arizona ----------------------------------------------------------------------------------


def test_arizona_keeps_the_acupuncturists_and_reads_the_discipline_filter(az, az_data, tmp_path):
    server, _ = az
    result = run(tmp_path / "p.db", "az-thentia", az_settings(server))
    assert result.status == "ok", result.error
    stored = live(tmp_path / "p.db", "AZ")
    assert set(stored) == expected(az_data)
    assert {r["license_type"] for r in stored.values()} == {AZ_ACUPUNCTURIST}
    auricular = sum(az_data.type_of(r) == AZ_AURICULAR for r in az_data.records)
    assert f"left out: {AZ_AURICULAR} ({auricular})" in " ".join(result.notes)
    # our identifying User-Agent on every request; paging by skip and take
    agents = {r.headers.get("User-Agent") for r in server.requests if "/rest/" in r.path}
    assert agents == {user_agent(HTTP.contact)}
    main = [r.path for r in page_requests(server, "disciplined=false")]
    assert all("take=20" in p and "keyword=all" in p for p in main)
    assert [p.split("skip=")[1].split("&")[0] for p in main] == \
        [str(20 * k) for k in range(len(main))]
    # the disciplined are those the register's filter lists; dates and statuses read
    listed = {license_number(az_data.number_of(az_data.records[i])) for i in az_data.disciplined}
    assert {n for n, r in stored.items() if r["disciplined"]} == listed & set(stored)
    assert all(r["disciplined"] == 0 for n, r in stored.items() if n not in listed)
    assert {"active", "expired", "suspended"} <= {r["status_normalized"] for r in stored.values()}
    assert all(len(r["expires_on"]) == 10 for r in stored.values() if r["expires_on"])
    db = connect(tmp_path / "p.db", readonly=True)
    assert any("unknown status 'PENDING AUDIT'" in r["reason"]
               for r in db.query("select reason from rejects where source = 'az-thentia'"))


def test_a_generic_client_is_refused_and_ours_is_not(az):
    server, _ = az
    url = f"{server.url}{AZ_HOST}/rest/public/profile/search/?keyword=all&skip=0&take=2"
    for generic in ("python-requests/2.32.3", "curl/8.5.0", ""):
        assert fetch(url, {"User-Agent": generic})[0] == 403
    status, _, body = fetch(url, {"User-Agent": user_agent(HTTP.contact)})
    assert status == 200 and json.loads(body)["resultCount"] > 2


def test_a_403_to_our_user_agent_fails_loudly_and_is_not_retried_in_disguise(az, tmp_path):
    server, site = az
    site.refuse_everyone = True
    result = run(tmp_path / "p.db", "az-thentia", az_settings(server))
    assert result.status == "failed"
    assert "403 Forbidden to our identifying User-Agent" in result.error
    assert "we do not send another name" in result.error
    asked = [r for r in server.requests if "/rest/" in r.path]
    assert len(asked) == 1 and asked[0].headers["User-Agent"] == user_agent(HTTP.contact)


def test_a_challenge_page_gates_the_run(az, tmp_path):
    server, site = az
    site.challenge = True
    result = run(tmp_path / "p.db", "az-thentia", az_settings(server))
    assert result.status == "gated" and not live(tmp_path / "p.db", "AZ")


def test_a_type_pattern_that_matches_nothing_fails_naming_the_types(az, tmp_path):
    server, _ = az
    result = run(tmp_path / "p.db", "az-thentia", az_settings(server, type_pattern="^Herbalist$"))
    assert result.status == "failed"
    assert "no record's columnValues.4.data matches" in result.error
    assert f"'{AZ_ACUPUNCTURIST}'" in result.error and f"'{AZ_AURICULAR}'" in result.error
    assert not live(tmp_path / "p.db", "AZ")


def test_a_column_gone_fails_naming_its_path(az, tmp_path):
    server, site = az
    site.drop_column()
    result = run(tmp_path / "p.db", "az-thentia", az_settings(server))
    assert result.status == "failed" and "'columnValues.6.data'" in result.error


# -- linked to NPPES --------------------------------------------------------------------------


def test_both_registers_link_to_the_nppes_providers_with_their_verify_links(
        providers, nv_data, az_data, tmp_path):
    db_path = tmp_path / "p.db"
    nv_site, az_site = CertemySite(nv_data), ThentiaSite(az_data)
    with SiteServer() as server:
        server.add_site("/api/", NppesApi(providers))
        server.add_site(NV_HOST, nv_site)
        server.add_site(AZ_HOST, az_site)
        config = Config(db=str(db_path), http=HTTP, sources={
            "nppes-api": {"base_url": f"{server.url}/api/"},
            "nv-certemy": nv_settings(server), "az-thentia": az_settings(server)})
        with Fetcher(HTTP) as fetcher:
            for source_id, states in (("nppes-api", ["NV", "AZ"]), ("nv-certemy", None),
                                      ("az-thentia", None)):
                result = run_source(config, source_id, db_path=db_path, fetcher=fetcher,
                                    states=states)
                assert result.status == "ok", (source_id, result.error)
        relink(config, db_path)
    db = connect(db_path, readonly=True)
    known = {r["npi"] for r in db.query("select npi from providers")}
    links = {r["record_id"]: r for r in db.query(
        "select l.record_id, l.rule, p.npi from practitioner_links l join practitioners p "
        "using (practitioner_id) where l.record_table = 'licenses'")}
    for state, data, rule in (("NV", nv_data, "name-city"), ("AZ", az_data, "license-number")):
        stored = live(db_path, state)
        truth = {license_number(data.number_of(data.records[t.row])): str(t.npi)
                 for t in data.truth if t.npi is not None}
        wanted = {n: npi for n, npi in truth.items() if npi in known and n in stored}
        linked = {n: links[stored[n]["license_id"]] for n in wanted
                  if stored[n]["license_id"] in links}
        assert len(linked) >= 0.8 * len(wanted) > 5, state
        assert all(link["npi"] == wanted[n] for n, link in linked.items()), state
        assert rule in {link["rule"] for link in linked.values()}, state
        # a licensee NPPES does not know is linked to no provider (no link to a stranger)
        strangers = {n for n in stored if n not in truth and stored[n]["license_id"] in links
                     and links[stored[n]["license_id"]]["npi"] is not None}
        assert not strangers, state
    coverage = {r["state"]: r for r in db.query("select * from coverage")}
    assert coverage["NV"]["verify_url"] == REGISTERS["nv-certemy"].verify_url
    assert coverage["AZ"]["verify_url"] == REGISTERS["az-thentia"].verify_url


# -- practitioners check and the configuration ------------------------------------------------


def test_check_confirms_the_keys_and_names_what_the_evidence_left_open(nv, az):
    (nv_server, nv_site), (az_server, az_site) = nv, az
    with Fetcher(HTTP) as fetcher:
        nv_report = SOURCES["nv-certemy"].check(fetcher, nv_settings(nv_server))
        az_report = SOURCES["az-thentia"].check(fetcher, az_settings(az_server))
        assert nv_report.verdict == "ok", nv_report.items
        assert az_report.verdict == "ok", az_report.items
        assert "unconfirmed" in " ".join(nv_report.notes)
        assert "original_issue_date" in nv_report.get("fields")[1]
        assert f"left out: {AZ_AURICULAR}" in az_report.get("values")[1]
        assert f"the discipline query lists {len(az_site.data.disciplined)} record(s)" in \
            az_report.notes
        assert any(n.startswith("validators: ETag, Last-Modified") for n in nv_report.notes)
        assert nv_report.get("record")[0] is True
        nv_site.drop_key("expiration_date")
        az_site.refuse_everyone = True
        broken = SOURCES["nv-certemy"].check(fetcher, nv_settings(nv_server))
        refused = SOURCES["az-thentia"].check(fetcher, az_settings(az_server))
    assert broken.verdict == "mismatch" and "'expiration_date'" in broken.get("fields")[1]
    assert refused.verdict == "mismatch"
    assert "403 Forbidden to our identifying User-Agent" in refused.get("fields")[1]


@pytest.mark.parametrize("settings, message", [
    ({"page_size": 0}, "page_size = 0"),
    ({"fields": {"licence": "x"}}, "unknown field(s) licence"),
    ({"type_pattern": "("}, "type_pattern"),
    ({"statuses": {"GOOD": "fine"}}, "statuses"),
    ({"colour": "x"}, "unknown setting(s)"),
])
def test_bad_settings_are_refused_by_name(settings, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SOURCES["az-thentia"].configured(settings)  # type: ignore[attr-defined]


def test_the_registers_are_registered_weekly_with_their_state():
    for source_id, state in (("nv-certemy", "NV"), ("az-thentia", "AZ")):
        source = SOURCES[source_id]
        assert isinstance(source, RegisterSource) and source.JURISDICTION == state
        assert source.EVERY.days == 7 and source.SINK == "licenses"


def test_a_saved_answer_is_parsed_as_the_run_reads_it(nv_data, tmp_path):
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"result": nv_data.records[:5], "count": 99}), encoding="utf-8")
    records = list(SOURCES["nv-certemy"].parse(path, "https://example.test/p1", {}))
    numbers = {r.license_number_normalized for r in records if hasattr(r, "license_id")
               and hasattr(r, "license_number_normalized")}
    assert numbers == {license_number(r["license_number"]) for r in nv_data.records[:5]
                       if r["license_number"]}


def test_a_register_defined_by_settings_alone_reads_like_a_shipped_one(nv, nv_data, tmp_path):
    server, _ = nv
    values = {"kind": "paged-json", "title": "Nevada again", "state": "nv", "paging": "page",
              "url": nv_settings(server)["url"], "params": {"search": ""},
              "records_path": "result", "total_path": "count",
              "fields": {"license_number": "license_number", "last_name": "last_name",
                         "first_name": "first_name", "city": "business_city"},
              "license_type": "Oriental Medicine", "verify_url": "https://example.test/v"}
    source = register.from_settings("nv-mine", values)
    assert source.JURISDICTION == "NV" and source.verify_url == "https://example.test/v"
    SOURCES["nv-mine"] = source
    try:
        result = run(tmp_path / "p.db", "nv-mine", values)  # as the operator's file gives it
    finally:
        del SOURCES["nv-mine"]
    assert result.status == "ok", result.error
    assert set(live(tmp_path / "p.db", "NV")) == expected(nv_data)
    with pytest.raises(ValueError, match=r"unknown setting\(s\) for az-thentia: kind"):
        SOURCES["az-thentia"].configured({"kind": "paged-json"})  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="paging must be one of"):
        register.from_settings("x", {**values, "paging": "cursor"})
    with pytest.raises(ValueError, match="needs records_path"):
        register.from_settings("x", {k: v for k, v in values.items() if k != "records_path"})


def test_paths_reach_into_objects_and_lists():
    record = {"columnValues": [{"data": "AC1"}, {"data": None}], "a": {"b": 2}}
    assert at_path(record, "columnValues.0.data") == "AC1"
    assert at_path(record, "columnValues.1.data") is None
    assert at_path(record, "a.b") == 2
    missing = at_path(record, "columnValues.5.data")
    assert missing is at_path(record, "nope") and missing is not None
