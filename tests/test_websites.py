"""Practice websites: reading a site, tagging what it claims, and storing it honestly."""

from __future__ import annotations

import json

import pytest

from db.migrations import connect, open_db
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from scraper.link import link_all
from scraper.normalize import site_id, website_url
from scraper.sources.nppes_api import parse_provider
from scraper.sources.websites import (
    listed_sites,
    page_text,
    parse_page,
    read_site,
    service_links,
)
from tests.sites.server import Response, SiteServer
from tests.sites.websites import HUGE_BYTES, PracticeSite, PracticeWebsites

SITES = {
    "lotus": PracticeSite("lotus", "facial", "Lotus Acupuncture"),
    "oak": PracticeSite("oak", "plain", "Oak Acupuncture", denies_facial=True),
    "bloom": PracticeSite("bloom", "fertility", "Bloom Acupuncture"),
    "vieille": PracticeSite("vieille", "legacy", "Vieille Acupuncture"),
    "giant": PracticeSite("giant", "huge", "Giant Acupuncture"),
    "closed": PracticeSite("closed", "robots", "Closed Acupuncture"),
    "moved": PracticeSite("moved", "redirect", "Moved Acupuncture"),
}


@pytest.fixture
def web():
    inside = SiteServer().start()  # an "internal" service the redirect points at
    inside.add_site("/", lambda request: Response(200, {"Content-Type": "text/html"},
                                                  b"<p>internal admin</p>"))
    server = SiteServer().start()
    sites = PracticeWebsites(dict(SITES), internal_url=f"{inside.url}/admin/")
    server.add_site("/s/", sites)
    server.robots_txt = sites.robots_txt()
    server.add_site("/files/", lambda request: Response(
        200, {"Content-Type": "application/pdf"}, b"%PDF-1.4"))
    yield server, sites, inside
    server.stop()
    inside.stop()


def _http(server) -> HttpConfig:
    return HttpConfig(min_interval=0, backoff_base=0.01, max_retries=1,
                      allowed_hosts=("127.0.0.1",),
                      allow_private_hosts=(f"127.0.0.1:{server.port}",))


def _read(server, slug, path="", **kwargs):
    with Fetcher(_http(server)) as fetcher:
        return read_site(fetcher, f"{server.url}/s/{slug}/{path}", ["test"], **kwargs)


# -- the page's own words ----------------------------------------------------------------------

def test_page_text_keeps_blocks_and_drops_scripts_menus_and_footers():
    html = """<html><head><title>t</title><script>var x = "facial acupuncture";</script></head>
    <body><nav><a href="/facial">Facial Acupuncture</a></nav>
    <p>We offer <strong>cosmetic
       acupuncture</strong> on Tuesdays</p><ul><li>Cupping</li><li>Herbs</li></ul>
    <footer>Facial acupuncture gift cards</footer></body></html>"""
    assert page_text(parse_page(html, "u")).splitlines() == [
        "We offer cosmetic acupuncture on Tuesdays", "Cupping", "Herbs"]


def test_service_links_are_same_site_pages_best_first():
    html = """<a href="/contact">Contact</a><a href="/our-services">Services</a>
    <a href="https://www.clinic.example/facial-rejuvenation">Facial Rejuvenation</a>
    <a href="/brochure.pdf">Our treatments (PDF)</a><a href="mailto:a@b.example">Treatments</a>
    <a href="https://other.example/services">Services elsewhere</a>
    <a href="javascript:void(0)">Treatments</a><a href="/our-services#top">Services again</a>"""
    links = service_links(parse_page(html, "u"), "https://clinic.example/")
    assert links == ["https://www.clinic.example/facial-rejuvenation",
                     "https://clinic.example/our-services"]


def test_websites_are_keyed_so_two_listings_of_one_site_meet():
    assert website_url("www.Lotus.example") == "http://www.lotus.example"
    assert website_url("Not Available") is None and website_url("mailto:x@y.example") is None
    assert website_url("javascript:alert(1)") is None
    assert site_id("https://www.lotus.example/") == site_id("http://lotus.example") \
        == "lotus.example"
    assert site_id("http://lotus.example:8080/Facial/") == "lotus.example:8080/Facial"
    sites = listed_sites([("http://lotus.example/", "certifications:a"),
                          ("https://www.lotus.example", "providers:1"),
                          ("Not Available", "certifications:b")])
    assert sites == [("http://lotus.example/", ["certifications:a", "providers:1"])]


def test_nppes_web_endpoints_give_the_website():
    raw = {"number": 1234567893, "enumeration_type": "NPI-1", "basic": {"first_name": "ANNA",
           "last_name": "LEE"}, "addresses": [], "taxonomies": [], "endpoints": [
        {"endpointType": "DIRECT", "endpoint": "anna@direct.example"},
        {"endpointType": "WEB", "endpointTypeDescription": "Website URL",
         "endpoint": "www.annaleeacupuncture.example"}]}
    assert parse_provider(raw, "u").website == "http://www.annaleeacupuncture.example"
    raw["endpoints"] = [{"endpointType": "DIRECT", "endpoint": "anna@direct.example"}]
    assert parse_provider(raw, "u").website is None


# -- reading a site ----------------------------------------------------------------------------

def test_a_facial_site_is_read_to_its_facial_page(web):
    server, sites, _ = web
    site = _read(server, "lotus")
    assert site.status == "ok" and site.detail is None
    assert {t.tag for t in site.tags} == sites.truth["lotus"]
    facial = next(t for t in site.tags if t.tag == "facial acupuncture")
    assert facial.evidence_url == f"{server.url}/s/lotus/facial-rejuvenation"
    assert facial.snippet.startswith("Our facial rejuvenation acupuncture treatment")
    assert site.pages[0] == f"{server.url}/s/lotus/" and len(site.pages) <= 5
    paths = [r.path for r in server.requests]
    assert "/s/lotus/brochure.pdf" not in paths  # files are not pages
    assert len(paths) == len(set(paths))  # nothing read twice


def test_a_denial_is_not_a_claim(web):
    server, sites, _ = web
    site = _read(server, "oak")
    assert {t.tag for t in site.tags} == sites.truth["oak"] == {"pain", "mental health"}


def test_the_page_budget(web):
    server, _, _ = web
    assert len(_read(server, "lotus", max_pages=2).pages) == 2


def test_a_legacy_encoding_is_decoded(web):
    server, _, _ = web
    site = _read(server, "vieille")
    facial = next(t for t in site.tags if t.tag == "facial acupuncture")
    assert facial.snippet == ("Notre \u00ab Mei Zen\u00ae \u00bb cosmetic acupuncture \u2013 a "
                              "gentle \u201cnatural facelift\u201d \u2013 est propos\u00e9e le "
                              "mardi.")


def test_a_page_over_the_size_cap_is_refused_whole(web):
    server, _, _ = web
    site = _read(server, "giant", max_page_bytes=HUGE_BYTES // 3)
    assert site.status == "too-large" and "cap" in site.detail
    assert site.tags == [] and site.pages == []
    assert [r.path for r in server.requests].count("/s/giant/") == 1  # not retried


def test_robots_disallow_means_no_page_is_requested(web):
    server, _, _ = web
    site = _read(server, "closed")
    assert site.status == "robots" and site.tags == []
    assert not [r for r in server.requests if r.path.startswith("/s/closed/")]


def test_a_redirect_to_an_internal_address_is_refused(web):
    server, _, inside = web
    site = _read(server, "moved")
    assert site.status == "unsafe" and "loopback" in site.detail
    assert inside.requests == []


def test_a_stale_deep_link_falls_back_to_the_home_page():
    def clinic(request):
        if request.path != "/":
            return Response(404, {"Content-Type": "text/html"}, b"<p>Not found</p>")
        return Response(200, {"Content-Type": "text/html"},
                        b"<main><p>We now offer cosmetic acupuncture.</p></main>")

    with SiteServer() as server:
        server.add_site("/", clinic)
        with Fetcher(_http(server)) as fetcher:
            site = read_site(fetcher, f"{server.url}/old-page", ["test"])
        assert site.status == "ok" and site.pages == [f"{server.url}/"]
    assert "404" in site.detail and [t.tag for t in site.tags] == ["facial acupuncture"]


def test_a_listed_file_is_not_a_website(web):
    server, _, _ = web
    with Fetcher(_http(server)) as fetcher:
        site = read_site(fetcher, f"{server.url}/files/menu.pdf", ["test"])
    assert site.status == "not-html" and "application/pdf" in site.detail


def test_an_address_that_is_not_allowed_is_never_requested(web):
    server, _, _ = web
    http = HttpConfig(min_interval=0, allowed_hosts=("127.0.0.1",))  # no allow-list entry
    with Fetcher(http) as fetcher:
        site = read_site(fetcher, f"{server.url}/s/lotus/", ["test"])
    assert site.status == "unsafe" and server.requests == []


# -- the source, end to end ------------------------------------------------------------------

def _listing_db(path, urls: dict[str, str]) -> None:
    """A database whose NCCAOM records list these websites (profile id -> url)."""
    db = open_db(path)
    for profile_id, url in urls.items():
        db["certifications"].insert({"profile_id": profile_id, "name": f"Pat {profile_id}",
                                     "website": url, "source": "nccaom", "state": "WA",
                                     "city": "Seattle", "profile_url": "https://x.example/p"})
    db.close()


def _run(server, db_path, **settings):
    config = Config(http=_http(server), sources={"websites": settings})
    with Fetcher(config.http) as fetcher:
        return run_source(config, "websites", db_path=db_path, fetcher=fetcher)


def test_the_source_stores_every_site_and_its_claims(web, tmp_path):
    server, sites, _ = web
    db_path = tmp_path / "w.db"
    _listing_db(db_path, {slug: f"{server.url}/s/{slug}/" for slug in SITES}
                | {"meta": "http://169.254.169.254/latest/meta-data/", "none": "Not Available"})
    result = _run(server, db_path, max_page_bytes=HUGE_BYTES // 3)
    assert result.status == "ok" and result.counts["records"] == len(SITES) + 1
    assert result.counts["requests"] == len(server.requests)  # workers' requests counted
    db = connect(db_path, readonly=True)
    rows = {r["url"]: r for r in db.query("select * from websites")}
    status = {url.split("/")[-2] if "/s/" in url else url: r["status"] for url, r in rows.items()}
    assert status == {"lotus": "ok", "oak": "ok", "bloom": "ok", "vieille": "ok",
                      "giant": "too-large", "closed": "robots", "moved": "unsafe",
                      "http://169.254.169.254/latest/meta-data/": "unsafe"}
    claims = {(r["site_id"].split("/")[-1], r["tag"]) for r in db.query(
        "select * from website_tags")}
    assert claims == {(slug, tag) for slug in SITES for tag in sites.truth[slug]}
    lotus = rows[f"{server.url}/s/lotus/"]
    assert json.loads(lotus["listed_by"]) == ["certifications:lotus"]
    assert lotus["pages_read"] == len(json.loads(lotus["page_urls"])) >= 2
    assert lotus["checked_at"] and lotus["source"] == "websites"


def test_a_site_down_keeps_its_claims_and_a_site_that_drops_one_loses_it(web, tmp_path):
    server, sites, _ = web
    db_path = tmp_path / "w.db"
    _listing_db(db_path, {"lotus": f"{server.url}/s/lotus/"})
    assert _run(server, db_path).status == "ok"
    server.inject("/s/lotus/", status=503, count=50)
    down = _run(server, db_path)
    server.clear_faults()
    db = connect(db_path)
    row = db["websites"].get(site_id(f"{server.url}/s/lotus/"))
    assert down.status == "ok" and row["status"] == "unreachable"
    assert "facial acupuncture" in row["tags"]
    assert db["website_tags"].count_where("gone_at is null") == len(sites.truth["lotus"])
    # the practice stops offering facial work: that claim is gone, the others stay
    sites.sites["lotus"] = PracticeSite("lotus", "plain", "Lotus Acupuncture")
    _run(server, db_path)
    gone = [r["tag"] for r in db.query("select tag from website_tags where gone_at is not null")]
    assert gone == ["facial acupuncture"]
    assert db["changes"].count_where("table_name = 'website_tags' and column_name = 'gone_at'") \
        == 1
    db.close()


def test_a_site_nobody_lists_any_more_is_marked_gone(web, tmp_path):
    server, _, _ = web
    db_path = tmp_path / "w.db"
    _listing_db(db_path, {"lotus": f"{server.url}/s/lotus/", "oak": f"{server.url}/s/oak/"})
    _run(server, db_path)
    db = connect(db_path)
    db.execute("update certifications set website = null where profile_id = 'oak'")
    db.close()
    result = _run(server, db_path)
    assert result.counts["gone"] == 1
    db = connect(db_path, readonly=True)
    assert [r["url"] for r in db.query("select url from websites where gone_at is not null")] \
        == [f"{server.url}/s/oak/"]


def test_an_interrupted_run_resumes_without_reading_sites_again(web, tmp_path):
    server, _, _ = web
    db_path = tmp_path / "w.db"
    _listing_db(db_path, {slug: f"{server.url}/s/{slug}/" for slug in ("lotus", "oak", "bloom")})
    config = Config(http=_http(server), sources={"websites": {"workers": 1}})
    calls = []

    def stop_after_first(progress):
        calls.append(progress.part)
        if len(calls) == 1:
            raise KeyboardInterrupt

    with Fetcher(config.http) as fetcher, pytest.raises(KeyboardInterrupt):
        run_source(config, "websites", db_path=db_path, fetcher=fetcher,
                   on_progress=stop_after_first)
    first = calls[0]
    server.reset_log()
    result = _run(server, db_path, workers=1)
    assert result.resumed and result.status == "ok"
    assert not [r for r in server.requests if f"/s/{first.split('/')[-1]}/" in r.path]
    db = connect(db_path, readonly=True)
    assert db["websites"].count == 3


def test_practitioners_get_the_claims_of_the_sites_they_list(web, tmp_path):
    server, _, _ = web
    db_path = tmp_path / "w.db"
    _listing_db(db_path, {"lotus": f"{server.url}/s/lotus/", "oak": f"{server.url}/s/oak/"})
    _run(server, db_path)
    db = open_db(db_path)
    link_all(db, None, "2026-11-22T00:00:00Z")
    tags = {(r["practitioner_id"], r["tag"]): r for r in db.query(
        "select * from specialty_tags where record_table = 'websites'")}
    facial = tags[("ncc:lotus", "facial acupuncture")]
    assert facial["evidence_url"] == f"{server.url}/s/lotus/facial-rejuvenation"
    assert facial["record_id"] == site_id(f"{server.url}/s/lotus/")
    assert ("ncc:oak", "facial acupuncture") not in tags
    specialties = db.execute("select specialties from practitioners where practitioner_id = ?",
                             ["ncc:lotus"]).fetchone()[0]
    assert "facial acupuncture" in json.loads(specialties)
    db.close()


@pytest.mark.parametrize("error,status", [
    ("DeadlineExceeded", "unreachable"),  # dripped past the deadline: this time, not for good
    ("NotHTTP", "unsafe"),  # a redirect to file:// or ftp://
])
def test_new_fetch_errors_give_a_site_status(error, status):
    """Issue 14: the client's new errors say what happened to the site, not a bare 'error'."""
    from scraper import http
    from scraper.sources.websites import _status

    assert _status(getattr(http, error)("http://x.example/", "why")) == status
