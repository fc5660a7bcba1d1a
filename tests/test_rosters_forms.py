"""New Jersey's bulk roster and Maine's ALMS export (issue 17): an ASP.NET form posted back with
its own fields, in one session, against their stand-ins over real HTTP; the roster stored and
linked; a CAPTCHA, a changed form, a fee and a missing profession stop the run. Needs the
client's ``Fetcher.post`` and the stand-in server's POST (``Request.body``)."""

from __future__ import annotations

import pytest

from scraper.http import Fetcher
from scraper.models import license_id
from scraper.normalize import license_number
from scraper.sources import SOURCES, boardforms
from tests.sites.rosters import ALMS_PREFIX, AlmsSite, MyLicenseSite
from tests.sites.rosters_data import ME_OTHER_PROFESSION, generate_roster
from tests.sites.server import SiteServer
from tests.sites.truth import _predicted
from tests.test_rosters import HTTP, expected, link, live_licenses, run

NJ_FORM = "/Verification_Bulk/Search.aspx?facility=N"
ME_FORM = "/ALMSOnline/ALMSQuery/SearchIndividual.aspx"
ME_EXPORT = "/ALMSOnline/ALMSQuery/ExportToCSV.aspx"


@pytest.fixture(scope="module")
def providers():
    from tests.sites.nppes_data import generate_providers

    return generate_providers(n=3000, seed=11)


@pytest.fixture(scope="module")
def nj_data(providers):
    return generate_roster("NJ", providers)


@pytest.fixture(scope="module")
def me_data(providers):
    return generate_roster("ME", providers)


@pytest.fixture
def server():
    with SiteServer() as started:
        yield started
        assert started.errors == []


def nj(server, data, **kwargs):
    site = MyLicenseSite(data, **kwargs)
    server.add_site("/Verification_Bulk/", site)
    return site, {"form_url": server.url + NJ_FORM}


def me(server, data, **kwargs):
    site = AlmsSite(data, **kwargs)
    server.add_site("/ALMSOnline/", site)
    return site, {"form_url": server.url + ME_FORM, "export_url": server.url + ME_EXPORT}


def test_new_jersey_through_the_form_and_the_free_order(nj_data, providers, server, tmp_path):
    site, settings = nj(server, nj_data)
    result = run(tmp_path / "p.db", "nj-mylicense", settings)
    assert result.status == "partial", result.error  # one row split by a pipe: a reject
    stored = live_licenses(tmp_path / "p.db", "NJ")
    shifted = license_number(site.rows[0]["License No"])
    assert set(stored) == expected(nj_data) - {shifted}
    assert (site.counts["form"], site.counts["order"], site.counts["confirm"],
            site.counts["file"]) == (1, 1, 1, 1)
    notes = " ".join(result.notes)
    assert "'Acupuncture Examining Board') read from the form's list" in notes
    assert "skipped (License No)" in notes  # the applications, which have no number yet
    assert {r["verify_url"] for r in stored.values()} == {
        "https://newjersey.mylicense.com/verification/Search.aspx"}
    assert all(r["license_number"].startswith("25MZ") for r in stored.values())
    db = link(tmp_path / "p.db", providers, "NJ")
    known = [t for t in nj_data.truth if t.npi is not None and t.kind == "license"]
    hits = [_predicted(db, "licenses", license_id(
        "NJ", "Acupuncturist", license_number(nj_data.rows[t.row]["License No"])))
        for t in known]
    assert sum(h == str(t.npi) for h, t in zip(hits, known, strict=True)) >= 0.85 * len(known)
    assert all(h in (str(t.npi), None, "missing") for h, t in zip(hits, known, strict=True))


def test_maine_searches_the_regulator_then_exports_in_the_session(me_data, providers, server,
                                                                  tmp_path):
    site, settings = me(server, me_data)
    result = run(tmp_path / "p.db", "me-alms", settings)
    assert result.status == "ok", result.error
    stored = live_licenses(tmp_path / "p.db", "ME")
    assert set(stored) == expected(me_data)
    naturopaths = {license_number(r["License Number"]) for r in me_data.others[
        ME_OTHER_PROFESSION]}
    assert not naturopaths & set(stored)
    assert (site.counts["form"], site.counts["search"], site.counts["export"]) == (1, 1, 1)
    assert "4050 ('Board of Complementary Health Care Providers')" in " ".join(result.notes)
    db = link(tmp_path / "p.db", providers, "ME")
    known = [t for t in me_data.truth if t.npi is not None and t.kind == "license"]
    hits = [_predicted(db, "licenses", license_id(
        "ME", "Acupuncturist", license_number(me_data.rows[t.row]["License Number"])))
        for t in known]
    assert sum(h == str(t.npi) for h, t in zip(hits, known, strict=True)) >= 0.85 * len(known)


@pytest.mark.parametrize("state", ["NJ", "ME"])
def test_a_captcha_on_the_form_stops_the_run(state, nj_data, me_data, server, tmp_path):
    site, settings = (nj(server, nj_data, captcha=True) if state == "NJ"
                      else me(server, me_data, captcha=True))
    result = run(tmp_path / "p.db", {"NJ": "nj-mylicense", "ME": "me-alms"}[state], settings)
    assert result.status == "failed"
    assert "CAPTCHA" in result.error and "nothing is worked around" in result.error
    assert site.counts["order" if state == "NJ" else "search"] == 0  # nothing posted


def test_a_renamed_field_says_the_form_changed(me_data, server, tmp_path):
    site, settings = me(server, me_data)
    site.rename_field("scRegulator", "scBoard")
    result = run(tmp_path / "p.db", "me-alms", settings)
    assert result.status == "failed"
    assert f"{ALMS_PREFIX}scRegulator" in result.error and "scBoard" in result.error


def test_a_fee_on_the_order_page_stops_before_ordering(nj_data, server, tmp_path):
    site, settings = nj(server, nj_data, fee="25.00")
    result = run(tmp_path / "p.db", "nj-mylicense", settings)
    assert result.status == "failed" and "$25.00" in result.error
    assert site.counts["confirm"] == 0


def test_acupuncture_missing_from_the_list_fails_naming_what_is_listed(nj_data, server,
                                                                       tmp_path):
    _, settings = nj(server, nj_data, acupuncture_listed=False)
    result = run(tmp_path / "p.db", "nj-mylicense", settings)
    assert result.status == "failed"
    assert "no entry" in result.error and "Psychological Examiners" in result.error
    assert "choice" in result.error


def test_an_export_without_the_search_is_no_roster(me_data, server, tmp_path):
    """ExportToCSV.aspx outside a searched session redirects to the form: not a file."""
    _, settings = me(server, me_data)
    with Fetcher(HTTP) as fetcher:
        page = fetcher.get(settings["export_url"])
    assert b"<form" in page.content


def test_check_lists_the_unconfirmed_form_settings(nj_data, server):
    _, settings = nj(server, nj_data)
    with Fetcher(HTTP) as fetcher:
        report = SOURCES["nj-mylicense"].check(fetcher, settings)
    assert report.verdict == "ok", report.items
    listed = [n.split(":")[0] for n in report.notes if n.startswith("unconfirmed ")]
    assert "unconfirmed choice_field" in listed and "unconfirmed columns" in listed


def test_a_browser_would_not_send_an_empty_list_box_nor_unchecked_boxes():
    [form] = boardforms.parse_forms(
        '<form action="s.aspx"><input type="hidden" name="__VIEWSTATE" value="v"/>'
        '<select name="a"><option value="1">One</option><option value="2" selected>Two'
        '</option></select><select name="b" multiple><option value="x">X</option></select>'
        '<input type="checkbox" name="c"/><input type="checkbox" name="d" value="y" checked/>'
        '<input type="text" name="e" value="z"/><input type="submit" name="go" value="Go"/>'
        '<input type="submit" name="no" value="No"/></form>', "https://example.org/p/f.aspx")
    assert form.action == "https://example.org/p/s.aspx"
    assert form.data({"a": "1"}, "go") == [("__VIEWSTATE", "v"), ("d", "y"), ("e", "z"),
                                           ("a", "1"), ("go", "Go")]
    assert boardforms.challenge('<div class="g-recaptcha"></div>') == "g-recaptcha"
    assert boardforms.challenge("<p>recaptcha is a word here</p>") is None
