"""How the NPPES source splits a state past the API's 1,200 cap (issue 16): where the ZIPs
are, deeper only where a part is full, straight to the remembered parts on the next run,
split again where a part grew past the cap, and nobody lost against the stand-in's truth.
And an unchanged page (a 304) costs its request and one statement, nothing per record."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from db import sinks
from db.migrations import connect
from scraper import geo
from scraper.config import Config
from scraper.http import Fetcher
from scraper.jobs import run_source
from scraper.sources import nppes_api
from scraper.sources.nppes_api import Query, remembered_plan
from tests.sites.nppes import NppesApi
from tests.sites.nppes_data import generate_providers, grow_providers, primary_location
from tests.sites.server import SiteServer

ACU = {"taxonomy_description": "Acupuncturist", "address_purpose": "PRIMARY"}


@pytest.fixture(scope="module")
def new_york() -> list[dict]:
    """The 20,000-provider stand-in's New York: about 2,500, over the cap twice."""
    providers = generate_providers()
    return [p for p in providers if primary_location(p)["state"] == "NY"]


@pytest.fixture
def site(new_york):
    api = NppesApi(copy.deepcopy(new_york))
    with SiteServer() as server:
        server.add_site("/api/", api)
        yield server, api


def _scrape(server, db_path, http, states=("NY",)):
    config = Config(db=":unused:", http=http, sources={
        "nppes-api": {"base_url": f"{server.url}/api/"}})
    server.reset_log()
    with Fetcher(http) as fetcher:
        return run_source(config, "nppes-api", db_path=db_path, fetcher=fetcher,
                          states=list(states))


def _asked(server) -> list[dict[str, str]]:
    return [{k: v[0] for k, v in parse_qs(urlsplit(r.path).query).items()}
            for r in server.requests if r.path.startswith("/api")]


def _live(db_path) -> set[str]:
    db = connect(db_path, readonly=True)
    return {r["npi"] for r in db.query("select npi from providers where gone_at is null")}


def _parts(db_path, run_id) -> dict[str, str]:
    db = connect(db_path, readonly=True)
    return {r["part"]: r["state"] for r in db.query(
        "select part, state from run_checkpoints where run_id = ? and part not like 'scope:%'",
        [run_id])}


def _truth(api) -> set[str]:
    return {str(n) for n in api.npis(state="NY", **ACU)}


def test_a_full_state_is_split_where_its_zips_are(site, tmp_path, fast_http):
    server, api = site
    result = _scrape(server, tmp_path / "p.db", fast_http)
    assert result.status == "ok"
    assert _live(tmp_path / "p.db") == _truth(api)
    parts = _parts(tmp_path / "p.db", result.run_id)
    assert parts["NY"] == "split"
    # NY's two-digit ZIP prefixes are those of its ZIPs (00501 Holtsville, 06390 Fishers
    # Island, 10-14), not all 100; and no part is asked that holds no ZIP of New York.
    stems = {z[:2] for z in geo.state_zips("NY", nppes_api.ZIP_KINDS)}
    assert {p.split("/")[1][:2] for p in parts if p != "NY"} == stems
    asked = {q.get("postal_code") for q in _asked(server)} - {None}
    assert all(any(z.startswith(code.rstrip("*")) for z in geo.state_zips("NY"))
               for code in asked)
    # deeper only where a part is full: every split part is over the cap, every listed one
    # under it; each listed part costs a request per 200 (and one for its short last page),
    # the state the six pages that showed it full (their records stored once, by the parts)
    listed = 0
    for part, state in parts.items():
        query = Query.from_key(part)
        count = api.count(state="NY", **ACU, **({"postal_code": query.postal_code}
                                                if query.postal_code else {}))
        assert (count >= 1200) == (state == "split"), (part, count)
        listed += count // 200 + 1 if state == "done" else 0
    assert 6 + listed <= len(_asked(server)) <= 6 + listed + 1  # a probe may be wasted
    assert result.counts["records"] == len(_truth(api))


def test_the_next_run_goes_straight_to_the_remembered_parts(site, tmp_path, fast_http):
    server, api = site
    first = _scrape(server, tmp_path / "p.db", fast_http)
    db = connect(tmp_path / "p.db", readonly=True)
    plan = json.loads(db["source_state"].get(("nppes-api", "parts:NY"))["value"])
    listed = {p for p, s in _parts(tmp_path / "p.db", first.run_id).items() if s == "done"}
    assert set(plan["parts"]) == listed
    for part, count in plan["parts"].items():
        query = Query.from_key(part)
        assert count == api.count(state="NY", **ACU, postal_code=query.postal_code)
    again = _scrape(server, tmp_path / "p.db", fast_http)
    assert (again.status, again.counts["gone"]) == ("ok", 0)
    asked = _asked(server)
    # no state-wide query, no part that was split: only the parts listed whole, each page once
    assert {f"NY/{q['postal_code']}" for q in asked} == listed
    assert len(asked) == sum(count // 200 + 1 for count in plan["parts"].values())
    assert _live(tmp_path / "p.db") == _truth(api)


def test_a_part_that_grew_past_the_cap_is_split_again(site, tmp_path, fast_http, new_york):
    server, api = site
    _scrape(server, tmp_path / "p.db", fast_http)
    # Manhattan (100*) gains 400 providers: NY/10*, under the cap last time, is not now
    newcomers = grow_providers(api.providers, 0.2, seed=7)[:400]
    for provider in newcomers:
        location = primary_location(provider)
        location.update(state="NY", city="NEW YORK", postal_code="100160001")
    before = api.count(state="NY", postal_code="10*", **ACU)
    assert before < 1200 <= before + len(newcomers)
    api.providers.extend(newcomers)
    api.reindex()
    result = _scrape(server, tmp_path / "p.db", fast_http)
    assert (result.status, result.counts["gone"], result.counts["inserted"]) == ("ok", 0, 400)
    parts = _parts(tmp_path / "p.db", result.run_id)
    assert parts["NY/10*"] == "split" and "NY" not in parts
    assert _live(tmp_path / "p.db") == _truth(api)
    # a full answer at skip 1000 is what tells: nothing past skip 1000 is ever asked
    assert max(int(q["skip"]) for q in _asked(server)) == 1000
    plan = json.loads(connect(tmp_path / "p.db", readonly=True)["source_state"].get(
        ("nppes-api", "parts:NY"))["value"])["parts"]
    assert "NY/10*" not in plan and sum(plan.values()) == len(_truth(api))


def test_a_part_only_just_full_is_split_by_npi_type(site, tmp_path, fast_http):
    server, api = site
    _scrape(server, tmp_path / "p.db", fast_http)
    count = api.count(state="NY", postal_code="10*", **ACU)
    organizations = api.count(state="NY", postal_code="10*", enumeration_type="NPI-2", **ACU)
    # grow NY/10* to just past the cap, with individuals still under it
    newcomers = [p for p in grow_providers(api.providers, 0.2, seed=8)
                 if p["enumeration_type"] == "NPI-1"][:1210 - count]
    for provider in newcomers:
        primary_location(provider).update(state="NY", city="NEW YORK", postal_code="10016")
    api.providers.extend(newcomers)
    api.reindex()
    assert count + len(newcomers) - organizations < 1200 <= count + len(newcomers)
    result = _scrape(server, tmp_path / "p.db", fast_http)
    assert result.status == "ok"
    parts = _parts(tmp_path / "p.db", result.run_id)
    assert (parts["NY/10*"], parts["NY/10*/NPI-1"], parts["NY/10*/NPI-2"]) == (
        "split", "done", "done")
    assert _live(tmp_path / "p.db") == _truth(api)


def test_an_unchanged_page_does_no_per_record_work(site, tmp_path, fast_http, monkeypatch):
    """A 304 is not parsed, and its records are not read or written one by one: one
    statement marks those last stored under its URL as seen in this run."""
    server, api = site
    first = _scrape(server, tmp_path / "p.db", fast_http)

    def must_not_run(*args, **kwargs):
        raise AssertionError("per-record work on an unchanged page")

    monkeypatch.setattr(nppes_api, "parse_search", must_not_run)
    monkeypatch.setattr(nppes_api, "parse_provider", must_not_run)
    sink = sinks.SINKS["providers"]
    monkeypatch.setitem(sinks.SINKS, "providers", replace(sink, upsert=must_not_run))
    again = _scrape(server, tmp_path / "p.db", fast_http)
    assert again.status == "ok", again.error
    assert again.counts["not_modified"] == again.counts["pages"] == len(_asked(server))
    assert (again.counts["records"], again.counts["unchanged"]) == (len(_truth(api)),) * 2
    assert again.counts["gone"] == 0
    db = connect(tmp_path / "p.db", readonly=True)
    assert {r["last_seen_run_id"] for r in db.query("select last_seen_run_id from providers")
            } == {again.run_id}
    assert db["providers"].count_where("gone_at is not null") == 0
    assert first.run_id != again.run_id


@pytest.mark.parametrize("value", [
    None, "", "not json", "[]", '{"parts": {}}', '{"parts": {"NY/10*": -1}}',
    '{"parts": {"NY/10*": true}}', '{"parts": {"CA/94*": 3}}', '{"parts": {"NY/1*": 3}}',
    '{"parts": {"NY/10*": 3, "NY/x": 1}}',
    # the ZIP data changed since, and the parts leave some of New York out
    '{"zips": "zipcodes 0", "parts": {"NY/10*": 3}}',
])
def test_a_plan_that_does_not_read_right_is_not_followed(value):
    class Ctx:
        def state(self, key):
            assert key == "parts:NY"
            return value

    assert remembered_plan(Ctx(), "NY") is None


def test_a_plan_is_read_back_as_written():
    # it must cover every ZIP the state has (else it is not followed): each 2-digit prefix of
    # NY's, 10* split by NPI type
    prefixes = sorted({z[:2] for z in geo.state_zips("NY", nppes_api.ZIP_KINDS)} - {"10"})
    leaves = {"NY/10*/NPI-1": 1100, "NY/10*/NPI-2": 60, "NY/11*": None,
              **{f"NY/{p}*": 0 for p in prefixes if p != "11"}}
    text = nppes_api.plan_text(leaves, nppes_api.ZIP_KINDS)

    class Ctx:
        def state(self, key):
            return text

    plan = remembered_plan(Ctx(), "NY")
    assert {q.key: n for q, n in plan.items()} == leaves


def test_the_plan_coverage_check_agrees_with_each_querys_own_rule():
    """_covers (a set look-up) says what asking every query's holds() says, ZIP by ZIP."""
    from scraper.sources.nppes_api import _covers

    zips = ("94110", "94117", "10001", "00501")
    plans = [
        [Query("CA")],
        [Query("CA", "9*")],
        [Query("CA", "941*", "NPI-1"), Query("CA", "941*", "NPI-2"), Query("CA", "1*"),
         Query("CA", "00501")],
        [Query("CA", "941*", "NPI-1"), Query("CA", "1*"), Query("CA", "00501")],
        [Query("CA", "94110"), Query("CA", "94117*"), Query("CA", "100*"), Query("CA", "0*")],
        [Query("CA", "9411*"), Query("CA", "10001")],
    ]
    for plan in plans:
        slow = all(any(q.holds(z, kind) for q in plan) for z in zips for kind in nppes_api.TYPES)
        assert _covers(plan, zips) == slow, plan
    assert _covers([Query("CA", "941*")], ["94110"]) and not _covers([Query("CA", "941*")],
                                                                      ["94210"])


def _ny_plan_leaves() -> dict[str, int | None]:
    prefixes = sorted({z[:2] for z in geo.state_zips("NY", nppes_api.ZIP_KINDS)} - {"10"})
    return {"NY/10*/NPI-1": 1100, "NY/10*/NPI-2": 60, **{f"NY/{p}*": 5 for p in prefixes}}


class _PlanCtx:
    def __init__(self, text):
        self.text = text

    def state(self, key):
        return self.text


def test_a_plan_this_code_sealed_is_followed_without_reading_the_zip_data(monkeypatch):
    leaves = _ny_plan_leaves()
    text = nppes_api.plan_text(leaves, nppes_api.ZIP_KINDS)

    def no_read(*args):
        raise AssertionError("the ZIP data was read")

    monkeypatch.setattr(nppes_api.geo, "state_zips", no_read)
    plan = remembered_plan(_PlanCtx(text), "NY")
    assert {q.key: n for q, n in plan.items()} == leaves


@pytest.mark.parametrize("edit", ["drop a part", "other zip data", "no seal"])
def test_a_plan_altered_since_it_was_sealed_is_checked_zip_by_zip(edit):
    leaves = _ny_plan_leaves()
    raw = json.loads(nppes_api.plan_text(leaves, nppes_api.ZIP_KINDS))
    if edit == "drop a part":  # 11* (Long Island) left out, the seal as it was
        del raw["parts"]["NY/11*"]
    elif edit == "other zip data":  # sealed from other ZIP data; these parts still cover it
        raw["zips"] = "zipcodes 0: STANDARD"
        raw["seal"] = nppes_api._seal(raw["parts"], raw["zips"])
    else:
        del raw["seal"]
    plan = remembered_plan(_PlanCtx(json.dumps(raw)), "NY")
    if edit == "drop a part":
        assert plan is None  # New York's 11* ZIPs are held by no part: split afresh
    else:
        assert {q.key: n for q, n in plan.items()} == leaves  # checked, and it covers


def test_a_walk_that_followed_an_earlier_attempts_split_is_not_sealed(monkeypatch):
    """A resumed run follows the split note its first attempt wrote, whose parts came from the
    ZIP data of that attempt: the plan it leaves is checked ZIP by ZIP next time, and one that
    misses a prefix the state has now is not followed (issue 16 review)."""
    from scraper.models import PartState
    from scraper.sources.nppes_api import _Walk, _walk, plan_text

    prefixes = sorted({z[:2] for z in geo.state_zips("NY", nppes_api.ZIP_KINDS)})
    children = [Query("NY", f"{p}*") for p in prefixes[:-1]]  # the last prefix not in the note
    checkpoints = {"NY": PartState("NY", "split", note=" ".join(c.key for c in children)),
                   **{c.key: PartState(c.key, "done", next_skip=5) for c in children}}

    class Ctx:
        incomplete_parts = 0

        def checkpoint(self, part):
            return checkpoints.get(part)

        def note_resumed(self, state):
            pass

    walk = _Walk(None, Ctx(), "http://x/", "Acupuncturist", nppes_api.ZIP_KINDS, {})
    list(_walk(walk, Query("NY"), None, remembered=True))
    assert walk.resumed_split and len(walk.leaves) == len(children)
    text = plan_text(walk.leaves, nppes_api.ZIP_KINDS, sealed=not walk.resumed_split)
    assert "seal" not in json.loads(text)
    assert remembered_plan(_PlanCtx(text), "NY") is None  # checked, and it misses a prefix
    # the same parts sealed would have been followed: what the seal must not vouch for
    assert remembered_plan(_PlanCtx(plan_text(walk.leaves, nppes_api.ZIP_KINDS)), "NY")
    # nor is any plan sealed when the ZIP data's version is unknown
    monkeypatch.setattr(geo, "ZIP_DATA_VERSION", geo.UNKNOWN_ZIP_DATA)
    assert "seal" not in json.loads(plan_text(_ny_plan_leaves(), nppes_api.ZIP_KINDS))
