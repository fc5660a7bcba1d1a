"""Each source's preflight ``check(fetcher, settings)`` against the stand-ins: what it reports
when the site is as the source assumes, and when it is down, refuses us, challenges us, changed
shape or matches nothing. Every check makes a few requests (counted here) and stores nothing."""

from __future__ import annotations

import copy

import pytest

from scraper.config import HttpConfig
from scraper.http import Fetcher
from scraper.sources import nccaom, nppes_api, nppes_bulk, oig_leie, websites
from tests.sites.leie import LEIE_COLUMNS, LeieSite, generate_leie_rows, leie_csv
from tests.sites.nccaom import NccaomSite
from tests.sites.nccaom_data import generate_diplomates
from tests.sites.nppes import NppesApi
from tests.sites.nppes_bulk import HEADER, BulkSite, write_zip
from tests.sites.nppes_data import generate_providers
from tests.sites.server import Response, SiteServer, fetch

HTTP = HttpConfig(min_interval=0, backoff_base=0.01, max_retries=1, allowed_hosts=("127.0.0.1",))
UPDATED = "/exclusions/downloadables/UPDATED.csv"
ZIP = "NPPES_Data_Dissemination_November_2026_V2.zip"
DISALLOW_ALL = "User-agent: *\nDisallow: /\n"


@pytest.fixture(scope="module")
def providers() -> list[dict]:
    return generate_providers(n=1500, seed=11)


@pytest.fixture
def server():
    with SiteServer() as server:
        yield server
        assert server.errors == []


def _check(source, **settings):
    with Fetcher(HTTP) as fetcher:
        return source.check(fetcher, settings)


def _paths(server: SiteServer) -> list[str]:
    return [r.path.split("?")[0] for r in server.requests]


def _down_url() -> str:
    """The address of a server that has stopped: nothing listens there."""
    with SiteServer() as gone:
        url = gone.url
    return url


# -- NPPES API -------------------------------------------------------------------------------------

@pytest.fixture
def nppes(server, providers):
    api = server.add_site("/api/", NppesApi(providers))
    return server, api, f"{server.url}/api/"


def test_nppes_api_passes_with_one_small_query(nppes):
    server, _, base = nppes
    report = _check(nppes_api, base_url=base, states=["OR"])
    assert report.verdict == "ok", report.items
    assert report.get("fields") == (True, "result_count and results[] with what the parser reads")
    assert report.get("values") == (True, "taxonomy_description=Acupuncturist, state=OR: "
                                          "5 results in this answer")
    ok, record = report.get("record")
    assert ok and record.startswith("NPI ") and record.endswith(", OR")
    assert _paths(server) == ["/robots.txt", "/api/"]
    assert "limit=5" in server.requests[-1].path and "state=OR" in server.requests[-1].path


def test_nppes_api_first_state_defaults_to_wa(nppes):
    report = _check(nppes_api, base_url=nppes[2])
    assert report.get("values")[1].startswith("taxonomy_description=Acupuncturist, state=WA:")


def test_nppes_api_zero_results_is_a_mismatch(nppes):
    report = _check(nppes_api, base_url=nppes[2], states=["GU"])
    assert report.verdict == "mismatch"
    assert report.get("values") == (False, "taxonomy_description=Acupuncturist, state=GU: "
                                           "0 results in this answer")
    assert report.get("record") == (None, "")


def test_nppes_api_errors_body_is_a_mismatch_with_its_message(nppes):
    report = _check(nppes_api, base_url=nppes[2], taxonomy_description="A*")
    assert report.verdict == "mismatch"
    ok, detail = report.get("values")
    assert not ok and "Wildcards require at least two leading characters" in detail


def test_nppes_api_missing_keys_are_named(nppes, providers):
    server, api, base = nppes
    changed = copy.deepcopy(providers)
    for provider in changed:
        del provider["taxonomies"][0]["license"]
        provider["basic_info"] = provider.pop("basic")
    api.providers = changed
    api.reindex()
    report = _check(nppes_api, base_url=base, states=["OR"])
    assert report.verdict == "mismatch"
    assert report.get("fields") == (False, "missing: results[].basic, "
                                           "results[].taxonomies[].license")


def test_nppes_api_not_json_is_a_mismatch(server):
    server.add_site("/api/", lambda request: Response(200, {"Content-Type": "text/html"},
                                                      b"<html>Service Unavailable</html>"))
    report = _check(nppes_api, base_url=f"{server.url}/api/")
    assert report.verdict == "mismatch"
    assert report.get("fields")[1].startswith("the answer is not JSON")


def test_nppes_api_robots_disallow(nppes):
    server, _, base = nppes
    server.robots_txt = DISALLOW_ALL
    report = _check(nppes_api, base_url=base)
    assert report.verdict == "disallowed"
    ok, detail = report.get("robots")
    assert ok is False and detail.startswith("robots.txt disallows this URL for us")
    assert _paths(server) == ["/robots.txt"]  # the query itself was never sent


def test_nppes_api_unreachable(server):
    report = _check(nppes_api, base_url=f"{_down_url()}/api/")
    assert report.verdict == "unreachable"
    assert report.get("fields") == report.get("values") == report.get("record") == (None, "")


def test_nppes_api_moved_is_a_mismatch_not_unreachable(server):
    """Review finding: a 404 means the host answered and the page is not there (moved or
    retired): the operator should look at the URL, not at the network."""
    report = _check(nppes_api, base_url=f"{server.url}/nowhere/")
    assert (report.verdict, report.get("reachable")[0]) == ("mismatch", True)
    ok, detail = report.get("fields")
    assert not ok and detail.startswith("not read: HTTP 404")


# -- NCCAOM (now NCBAHM) ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def diplomates(providers):
    return generate_diplomates(providers)


@pytest.fixture
def directory(server, diplomates):
    site = server.add_site("/FAP/", NccaomSite(diplomates))
    return server, site, f"{server.url}/FAP/SearchResultWithoutMap"


def test_nccaom_passes_on_page_one(directory, diplomates):
    server, _, base = directory
    report = _check(nccaom, base_url=base, states=["WA"])
    assert report.verdict == "ok", report.items
    count = diplomates.count("WA")
    assert report.get("values") == (
        True, f"WA: {count} practitioners found, {diplomates.last_page('WA')} pages")
    assert report.get("fields") == (True, "input#hdnlastpage and 20 .result-card__item cards")
    first = diplomates.by_state["WA"][0]
    assert report.get("record")[1].startswith(f"{first.profile_id}: ")
    assert _paths(server) == ["/robots.txt", "/FAP/SearchResultWithoutMap"]  # no profile


@pytest.mark.parametrize("mode", ["cloudflare", "turnstile"])
def test_nccaom_challenge_is_gated_and_never_retried(directory, mode):
    server, site, base = directory
    site.challenge = mode
    report = _check(nccaom, base_url=base)
    assert report.verdict == "gated"
    ok, detail = report.get("challenge")
    assert ok is False and "bot challenge" in detail
    assert report.get("fields") == (None, "")
    assert site.challenged_requests == 1
    assert _paths(server) == ["/robots.txt", "/FAP/SearchResultWithoutMap"]


def test_nccaom_changed_markup_names_the_selector(directory):
    _, site, base = directory
    site.broken_markup = True
    report = _check(nccaom, base_url=base)
    assert report.verdict == "mismatch"
    ok, detail = report.get("fields")
    assert not ok and "selector '.result-card__item' matched 0" in detail


def test_nccaom_nobody_found_is_a_mismatch(directory):
    report = _check(nccaom, base_url=directory[2], states=["GU"])
    assert report.verdict == "mismatch"
    assert report.get("values") == (False, "GU: 0 practitioners found, 0 pages")
    assert report.get("fields") == (True, "input#hdnlastpage (no cards to read)")


def test_nccaom_robots_disallow(directory):
    server, site, base = directory
    server.robots_txt = DISALLOW_ALL
    report = _check(nccaom, base_url=base)
    assert report.verdict == "disallowed" and report.get("robots")[0] is False
    assert site.challenged_requests == 0 and _paths(server) == ["/robots.txt"]


def test_nccaom_default_is_the_new_host():
    assert nccaom.BASE_URL.startswith("https://directory.ncbahm.org/FAP/")


# -- OIG LEIE ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def leie_data(providers):
    return generate_leie_rows(providers, n_unrelated=1500)


@pytest.fixture
def leie(server, leie_data):
    site = server.add_site("/exclusions/", LeieSite.from_data(leie_data))
    return server, site, server.url + UPDATED


def test_leie_reads_only_the_start_of_the_file(leie, leie_data):
    server, site, url = leie
    assert len(site.updated_csv()) > 3 * oig_leie.CHECK_BYTES  # the check must not take it all
    report = _check(oig_leie, url=url)
    assert report.verdict == "ok", report.items
    assert oig_leie.COLUMNS == LEIE_COLUMNS
    assert report.get("fields") == (True, "all 18 columns")
    ok, detail = report.get("values")
    assert ok and detail.endswith(f"of {len(site.updated_csv()):,} bytes, 0 with a value that "
                                  "could not be read")
    first = leie_data.rows[0]
    assert report.get("record")[1].startswith(first["BUSNAME"] or first["FIRSTNAME"])
    assert _paths(server) == ["/robots.txt", UPDATED]
    asked = server.requests[-1].headers
    assert asked["Range"] == f"bytes=0-{oig_leie.CHECK_BYTES - 1}"


def _csv_site(body: bytes):
    return lambda request: Response(200, {"Content-Type": "text/csv"}, body)


def test_leie_a_renamed_column_is_named(server, leie_data):
    body = leie_csv(leie_data.rows[:50]).replace(b"EXCLDATE", b"EXCLUSION_DATE", 1)
    server.add_site("/exclusions/", _csv_site(body))
    report = _check(oig_leie, url=server.url + UPDATED)
    assert report.verdict == "mismatch"
    ok, detail = report.get("fields")
    assert not ok and detail.startswith("missing: EXCLDATE; the header: LASTNAME,")
    assert report.get("values") == report.get("record") == (None, "")


def test_leie_no_rows_is_a_mismatch(server):
    server.add_site("/exclusions/", _csv_site(leie_csv([])))
    report = _check(oig_leie, url=server.url + UPDATED)
    assert report.verdict == "mismatch"
    assert report.get("fields") == (True, "all 18 columns")
    assert report.get("values")[0] is False and report.get("values")[1].startswith("0 rows")


def test_leie_dates_in_another_format_are_a_mismatch(server, leie_data):
    rows = [dict(r, EXCLDATE=f"{r['EXCLDATE'][4:6]}-{r['EXCLDATE'][6:]}-{r['EXCLDATE'][:4]}x")
            for r in leie_data.rows[:40]]
    server.add_site("/exclusions/", _csv_site(leie_csv(rows)))
    report = _check(oig_leie, url=server.url + UPDATED)
    assert report.verdict == "mismatch"
    assert report.get("values") == (False, f"40 rows in the first {len(leie_csv(rows)):,} bytes "
                                           f"of {len(leie_csv(rows)):,} bytes, 40 with a value "
                                           "that could not be read")


def test_leie_a_server_that_ignores_range_is_not_downloaded(server, leie_data):
    body = leie_csv(leie_data.rows)
    # An injected answer is sent as it is: the whole file, the Range not looked at.
    server.inject(UPDATED, status=200, headers={"Content-Type": "text/csv"}, body=body)
    report = _check(oig_leie, url=server.url + UPDATED)
    # It answered: not unreachable, but nothing could be checked, which is a mismatch.
    assert (report.verdict, report.get("reachable")[0]) == ("mismatch", True)
    assert f"body of {len(body)} bytes is over the {oig_leie.CHECK_BYTES}-byte cap" in \
        report.get("fields")[1]


@pytest.mark.parametrize("where,verdict", [("a 404", "mismatch"),
                                           ("a server that is down", "unreachable")])
def test_leie_unreachable(server, where, verdict):
    url = f"{server.url}/nothing.csv" if where == "a 404" else _down_url() + UPDATED
    report = _check(oig_leie, url=url)
    assert report.verdict == verdict


# -- NPPES files --------------------------------------------------------------------------------

def test_nppes_bulk_not_configured_is_skipped_without_a_request(server):
    report = _check(nppes_bulk)
    assert report.verdict == "skipped"
    assert report.skipped.startswith("not configured (opt-in)")
    assert report.items == {} and server.requests == []


@pytest.mark.parametrize("setting", ["file", "weekly_files"])
def test_nppes_bulk_file_on_disk(providers, tmp_path, setting):
    path = write_zip(tmp_path / ZIP, providers, others=200)
    report = _check(nppes_bulk, **{setting: str(path) if setting == "file" else [str(path)]})
    assert report.verdict == "ok", report.items
    assert report.get("fields") == (True, "329 columns, NPI, Entity Type Code, Healthcare "
                                          "Provider Taxonomy Code_1 among them")
    assert report.get("values")[1].startswith("npidata_pfile_20050523-20261108.csv: ")
    assert report.get("record")[0] is True and report.get("robots") == (None, "")


def test_nppes_bulk_file_without_a_needed_column(providers, tmp_path):
    header = [h for h in HEADER if h != "Entity Type Code"]
    path = write_zip(tmp_path / ZIP, providers[:50], header=header)
    report = _check(nppes_bulk, file=str(path))
    assert report.verdict == "mismatch"
    ok, detail = report.get("fields")
    assert not ok and "the header has no column 'Entity Type Code'" in detail


@pytest.mark.parametrize("content", [None, b"not a zip"])
def test_nppes_bulk_file_missing_or_not_a_zip(tmp_path, content):
    path = tmp_path / ZIP
    if content is not None:
        path.write_bytes(content)
    report = _check(nppes_bulk, file=str(path))
    assert report.verdict == "unreachable"
    assert report.get("reachable")[1].startswith(f"{path}: not a readable zip")


def test_nppes_bulk_url_reads_the_directory_and_the_member_start(server, providers, tmp_path):
    data = write_zip(tmp_path / ZIP, providers, others=3000).read_bytes()
    assert len(data) > 3 * nppes_bulk.CHECK_BYTES  # the two pieces read are apart
    server.add_site("/nppes/", BulkSite({ZIP: data}))
    report = _check(nppes_bulk, url=f"{server.url}/nppes/{ZIP}")
    assert report.verdict == "ok", report.items
    assert report.get("fields")[0] is True and report.get("record")[0] is True
    assert _paths(server) == ["/robots.txt", f"/nppes/{ZIP}", f"/nppes/{ZIP}"]
    ranges = [r.headers["Range"] for r in server.requests[1:]]
    # the directory at the end, then the start of the member (the first one in these zips)
    assert ranges == [f"bytes=-{nppes_bulk.CHECK_BYTES}",
                      f"bytes=0-{nppes_bulk.CHECK_BYTES - 1}"]


def test_nppes_bulk_url_that_is_not_a_zip(server):
    server.add_site("/nppes/", BulkSite({ZIP: b"<html>moved</html>"}))
    report = _check(nppes_bulk, url=f"{server.url}/nppes/{ZIP}")
    assert report.verdict == "mismatch"
    assert report.get("fields")[1].startswith(f"{ZIP}: not a zip")


def test_nppes_bulk_url_unreachable_and_robots(server):
    server.add_site("/nppes/", BulkSite({}))
    assert _check(nppes_bulk, url=f"{server.url}/nppes/{ZIP}").verdict == "mismatch"  # a 404
    server.robots_txt = DISALLOW_ALL
    report = _check(nppes_bulk, url=f"{server.url}/nppes/{ZIP}")
    assert report.verdict == "disallowed" and report.get("robots")[0] is False


# -- practice websites ------------------------------------------------------------------------------

def test_websites_has_nothing_fixed_to_check(server):
    report = _check(websites)
    assert report.verdict == "skipped" and report.items == {}
    assert "nothing fixed to check" in report.skipped
    assert server.requests == []


# -- the stand-in server's byte ranges, on which the file checks rely -----------------------------------

@pytest.mark.parametrize("wanted,status,sent,content_range", [
    ("bytes=2-5", 206, b"2345", "bytes 2-5/10"),
    ("bytes=7-", 206, b"789", "bytes 7-9/10"),
    ("bytes=-3", 206, b"789", "bytes 7-9/10"),
    ("bytes=-30", 206, b"0123456789", "bytes 0-9/10"),
    ("bytes=8-30", 206, b"89", "bytes 8-9/10"),
    ("bytes=12-", 200, b"0123456789", None),
    ("bytes=5-2", 200, b"0123456789", None),
    ("items=0-1", 200, b"0123456789", None),
])
def test_the_stand_in_serves_one_byte_range(server, wanted, status, sent, content_range):
    server.add_site("/f/", _csv_site(b"0123456789"))
    got, headers, body = fetch(f"{server.url}/f/x", {"Range": wanted})
    assert (got, body, headers.get("Content-Range")) == (status, sent, content_range)
