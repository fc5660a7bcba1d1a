"""The boards asked one license at a time (scraper/sources/lookup.py), scraped from their
stand-ins (tests/sites/lookups.py) over real HTTP through the job runner: each board's
licenses stored and linked to their NPPES practitioner, unknown numbers recorded as "the board
has no such license", the host's pace, a killed run resumed without asking anything twice, the
monthly cadence, a board that starts answering with a challenge (gated, nothing lost), New York
without a key (not run) and with one (never stored or logged), and ``practitioners check``."""

from __future__ import annotations

import logging
import threading

import pytest

from db import store
from db.migrations import connect, open_db
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import relink, run_source
from scraper.models import Provenance
from scraper.normalize import license_number
from scraper.sources import SOURCES, lookup
from scraper.sources.nppes_api import parse_provider
from tests.sites.lookups import PREFIXES, BorimSite, DhpSite, NysedSite, PalsSite
from tests.sites.lookups_data import ACTIVE_WORDS, generate_lookup_data
from tests.sites.nppes_data import generate_providers
from tests.sites.server import SiteServer

HTTP = HttpConfig(min_interval=0, backoff_base=0.01, backoff_cap=0.05, max_retry_after=5,
                  max_retries=1, allowed_hosts=("127.0.0.1",))
NY_KEY = "operator-own-key-5f1d2c"
SITES = {"MA": ("ma-borim", BorimSite), "PA": ("pa-pals", PalsSite), "VA": ("va-dhp", DhpSite),
         "NY": ("ny-nysed", NysedSite)}


@pytest.fixture(scope="module")
def providers():
    return generate_providers(n=1500, seed=17)


@pytest.fixture(scope="module")
def board_data(providers):
    return {state: generate_lookup_data(providers, state) for state in SITES}


@pytest.fixture
def db_path(tmp_path, providers):
    """A database holding the NPPES providers, as a run of nppes-api leaves it."""
    path = tmp_path / "lookups.db"
    db = open_db(path)
    parsed = [parse_provider(raw, "https://npiregistry.example/api",
                             Provenance("nppes-api", "u", "2026-12-01T00:00:00Z"))
              for raw in providers]
    with store.transaction(db):
        store.upsert_providers(db, parsed, None, "2026-12-01T00:00:00Z")
    db.close()
    return path


def serve(state, data, wrap=None, **kwargs):
    """The board's stand-in on a server of its own (``wrap``: what is mounted in its stead)."""
    source_id, kind = SITES[state]
    if state == "NY":
        kwargs.setdefault("api_key", NY_KEY)
    site = kind(data[state], **kwargs)
    server = SiteServer().start()
    server.add_site(PREFIXES[state], wrap(site) if wrap else site)
    return server, site


def settings(state, server, **more):
    url = {"MA": "/api-public/search", "PA": "/api/Search/SearchForPersonOrFacilty",
           "VA": "/Lookup/Index", "NY": "/rosa/V2/byProfessionAndLicenseNumber"}[state]
    extra = {"api_key": NY_KEY} if state == "NY" else {}
    return {"url": server.url + url, **extra, **more}


def run(db_path, source_id, values, http=HTTP, stop=None):
    config = Config(http=http, sources={source_id: values})
    with Fetcher(http) as fetcher:
        return run_source(config, source_id, db_path=db_path, fetcher=fetcher, stop=stop)


def rows(db_path, sql, params=()):
    db = connect(db_path, readonly=True)
    try:
        return [dict(r) for r in db.query(sql, list(params))]
    finally:
        db.close()


def reported(db_path, state, board):
    """The numbers NPPES individuals report for the state, written the board's way."""
    numbers = rows(db_path, "select distinct t.license_number from provider_taxonomies t join "
                   "providers p using (npi) where t.code = '171100000X' and t.state = ? and "
                   "p.enumeration_type = 'NPI-1' and t.license_number is not null", [state])
    return {n for r in numbers if (n := board.number(r["license_number"]))}


@pytest.mark.parametrize("state", ["MA", "PA", "VA", "NY"])
def test_each_board_stores_its_licenses_and_records_the_numbers_it_does_not_know(
        state, board_data, db_path):
    source_id = SITES[state][0]
    board = lookup.BOARDS[source_id]
    server, site = serve(state, board_data)
    base = server.url
    try:
        result = run(db_path, source_id, settings(state, server))
    finally:
        server.stop()
    assert server.errors == []
    assert result.status == "ok", result.error
    data = board_data[state]
    numbers = reported(db_path, state, board)
    assert sorted(site.numbers_asked()) == sorted(numbers)  # each once
    known = {n for n in numbers if data.find(n)}
    unknown = numbers - known
    assert known and unknown  # the stand-in has both
    licenses = {r["license_number"]: r for r in rows(
        db_path, "select * from licenses where source = ?", [source_id])}
    assert set(licenses) == known
    for number, row in licenses.items():
        lic = data.find(number)
        assert lic is not None
        assert row["jurisdiction"] == state
        assert row["last_name"] == lic.last
        assert row["expires_on"] == lic.expires.isoformat()
        assert row["issued_on"] == lic.issued.isoformat()
        assert (row["status_normalized"] == "active") == (lic.status in ACTIVE_WORDS)
        if state == "PA":  # the one board here that gives a discipline flag
            assert row["disciplined"] == int(lic.disciplined)
        if state == "VA":  # the license's own page on the board's site
            assert row["verify_url"] == f"{base}/Lookup/Detail/{lic.detail_id}"
        else:
            assert row["verify_url"] == board.verify_url
    answers = {r["license_number"]: r for r in rows(
        db_path, "select * from license_lookups where source = ?", [source_id])}
    assert set(answers) == numbers
    for number in unknown:
        assert answers[number]["answer"] == answers[number]["outcome"] == "not_found"
        assert answers[number]["license_number_normalized"] == license_number(number)
        assert answers[number]["jurisdiction"] == state
    for number in known:
        assert answers[number]["answer"] == "found"
        assert answers[number]["license_id"] == licenses[number]["license_id"]
    note = next(n for n in result.notes if n.startswith("asked "))
    assert note == (f"asked {len(numbers):,}: {len(known):,} found, {len(unknown):,} not found "
                    "(the board has no such license), 0 failed")


def test_found_licenses_link_to_their_nppes_practitioner(board_data, db_path):
    server, _ = serve("MA", board_data)
    try:
        assert run(db_path, "ma-borim", settings("MA", server)).status == "ok"
    finally:
        server.stop()
    relink(Config(db=str(db_path)), db_path)
    linked = rows(db_path, "select l.license_number, l.status_normalized, p.npi, p.standing "
                  "from practitioner_links pl join licenses l on l.license_id = pl.record_id "
                  "join practitioners p on p.practitioner_id = pl.practitioner_id "
                  "where pl.record_table = 'licenses' and l.source = 'ma-borim'")
    licensees = board_data["MA"].licensees
    stored = rows(db_path, "select count(*) as n from licenses where source = 'ma-borim'")[0]["n"]
    assert len(linked) >= 0.9 * stored  # a number reported to NPPES with the same last name
    for row in linked:
        assert row["npi"] == licensees[row["license_number"]].npi
    # an active license (expiring in 2028) makes its practitioner in good standing in MA
    good = [r for r in linked if r["status_normalized"] == "active"]
    assert good and any(r["standing"] == "good" for r in good)


def test_lookups_keep_the_hosts_pace(board_data, db_path):
    http = HttpConfig(min_interval=0.3, max_retries=0, allowed_hosts=("127.0.0.1",))
    server, site = serve("PA", board_data)
    try:
        result = run(db_path, "pa-pals", settings("PA", server, max_asked=6), http=http)
    finally:
        server.stop()
    assert result.status == "ok", result.error
    times = [at for _, at in site.asked]
    assert len(times) == 6
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.28, gaps
    agents = {r.headers.get("User-Agent") for r in server.requests}
    assert len(agents) == 1 and "acupuncture" in agents.pop().lower()
    assert server.requests[0].path == "/robots.txt"


class StopAfter:
    """Sets the run's stop event once the board has answered ``n`` lookups (Ctrl-C mid-run)."""

    def __init__(self, site, n):
        self.site, self.n, self.event = site, n, threading.Event()
        self._handle = site.handle

    def handle(self, request):
        response = self._handle(request)
        if len(self.site.asked) >= self.n:
            self.event.set()
        return response


@pytest.mark.parametrize("state", ["MA", "VA"])
def test_a_killed_run_resumes_without_asking_again_what_it_stored(state, board_data, db_path):
    source_id = SITES[state][0]
    stoppers = []
    server, site = serve(state, board_data,
                         wrap=lambda site: stoppers.append(StopAfter(site, 4)) or stoppers[0])
    stopper = stoppers[0]
    try:
        with pytest.raises(KeyboardInterrupt):
            run(db_path, source_id, settings(state, server), stop=stopper.event)
        stored = {r["license_number"] for r in rows(
            db_path, "select license_number from license_lookups where source = ?", [source_id])}
        licenses_before = rows(db_path, "select license_id from licenses where source = ?",
                               [source_id])
        first = site.numbers_asked()
        assert 3 <= len(stored) <= 4 and stored <= set(first)
        assert rows(db_path, "select status from scrape_runs")[-1]["status"] == "running"
        stopper.n = 10 ** 6
        result = run(db_path, source_id, settings(state, server))
    finally:
        server.stop()
    assert result.status == "ok" and result.resumed, result.error
    second = site.numbers_asked()[len(first):]
    assert not stored & set(second)  # nothing stored is asked again
    numbers = reported(db_path, state, lookup.BOARDS[source_id])
    assert set(first) | set(second) == numbers
    assert len(second) == len(numbers) - len(stored)  # only the one in flight, if any, twice
    answers = rows(db_path, "select * from license_lookups where source = ?", [source_id])
    assert {r["license_number"] for r in answers} == numbers
    after = {r["license_id"] for r in rows(db_path, "select license_id from licenses where "
                                           "source = ? and gone_at is null", [source_id])}
    assert {r["license_id"] for r in licenses_before} <= after
    assert any(n.startswith(f"asked {len(second)}: ") for n in result.notes), result.notes


def test_a_second_run_within_the_cadence_asks_nothing_and_a_stale_answer_is_asked_again(
        board_data, db_path):
    server, site = serve("NY", board_data)
    try:
        first = run(db_path, "ny-nysed", settings("NY", server))
        asked = len(site.asked)
        second = run(db_path, "ny-nysed", settings("NY", server))
        assert len(site.asked) == asked  # nothing due
        assert second.status == "ok" and any("0 due" in n for n in second.notes), second.notes
        db = connect(db_path)
        stale = [r["license_number"] for r in db.query(
            "select license_number from license_lookups order by license_number limit 3")]
        db.execute("update license_lookups set answered_at = '2026-10-01T00:00:00Z' where "
                   f"license_number in ({', '.join('?' * len(stale))})", stale)
        db.close()
        third = run(db_path, "ny-nysed", settings("NY", server))
        # a shorter cadence makes every answer due again
        fourth = run(db_path, "ny-nysed", settings("NY", server, cadence_days=0))
    finally:
        server.stop()
    assert first.status == third.status == fourth.status == "ok"
    asked_third = site.numbers_asked()[asked:asked + 3]
    assert sorted(asked_third) == sorted(stale)
    assert len(site.asked) == asked + 3 + asked


def test_a_board_that_starts_answering_with_a_challenge_gates_the_run_and_loses_nothing(
        board_data, db_path):
    server, site = serve("MA", board_data, challenge_after=5)
    try:
        gated = run(db_path, "ma-borim", settings("MA", server))
        answered = rows(db_path, "select * from license_lookups where source = 'ma-borim'")
        licenses = rows(db_path, "select * from licenses where source = 'ma-borim'")
        site.challenge_after = None  # the board lets us in again
        later = run(db_path, "ma-borim", settings("MA", server))
    finally:
        server.stop()
    assert gated.status == "gated" and "challenge" in gated.error
    assert {r["license_number"] for r in answered} == set(site.numbers_asked()[:5])
    assert all(r["outcome"] in ("found", "not_found") for r in answered)
    found = [r for r in answered if r["answer"] == "found"]
    assert len(licenses) == len(found) and all(r["gone_at"] is None for r in licenses)
    assert gated.counts["gone"] == 0
    assert any("stopped by a bot challenge" in n for n in gated.notes)
    assert later.status == "ok", later.error
    numbers = reported(db_path, "MA", lookup.BOARDS["ma-borim"])
    assert sorted(site.numbers_asked()) == sorted(numbers)  # nothing asked twice
    assert len(rows(db_path, "select * from license_lookups")) == len(numbers)


def test_a_board_answering_no_such_license_to_everything_stores_nothing_as_suspect(
        board_data, db_path):
    server, site = serve("PA", board_data)
    try:
        assert run(db_path, "pa-pals", settings("PA", server)).status == "ok"
        before = rows(db_path, "select * from license_lookups order by license_number")
        site.data = type(site.data)("PA")  # the search now finds nobody (a changed API?)
        result = run(db_path, "pa-pals", settings("PA", server, cadence_days=0, guard_after=5))
    finally:
        server.stop()
    assert result.status == "suspect" and "no such license" in result.error
    assert rows(db_path, "select * from license_lookups order by license_number") == before


def test_failed_lookups_are_recorded_make_the_run_partial_and_too_many_stop_it(
        board_data, db_path):
    server, site = serve("MA", board_data)
    try:
        server.inject("/api-public/search", status=500, count=1)  # a POST's 500: not retried
        partial = run(db_path, "ma-borim", settings("MA", server, max_asked=4))
        server.inject("/api-public/search", status=500, count=100)
        failed = run(db_path, "ma-borim", settings("MA", server, max_failures=3))
    finally:
        server.clear_faults()
        server.stop()
    assert partial.status == "partial"
    outcomes = rows(db_path, "select outcome, count(*) as n from license_lookups group by outcome")
    # the first number (failed in the first run, so asked last in the second) and the three
    # the second run asked first
    assert {r["outcome"]: r["n"] for r in outcomes}.get("failed") == 4
    assert partial.notes[-1].endswith(", 1 failed")
    assert failed.status == "failed" and "3 lookups in a row failed" in failed.error


def test_new_york_without_a_key_is_not_run_and_asks_nothing(board_data, db_path):
    server, site = serve("NY", board_data)
    try:
        result = run(db_path, "ny-nysed", {"url": settings("NY", server)["url"],
                                           "api_key_env": "NO_SUCH_VARIABLE_17"})
    finally:
        server.stop()
    assert result.status == "failed" and "not run" in result.error
    assert server.requests == []
    assert not SOURCES["ny-nysed"].is_default({"api_key_env": "NO_SUCH_VARIABLE_17"})
    assert SOURCES["ny-nysed"].is_default({"api_key": NY_KEY})
    with Fetcher(HTTP) as fetcher:
        report = SOURCES["ny-nysed"].check(fetcher, {"api_key_env": "NO_SUCH_VARIABLE_17"})
    assert report.verdict == "skipped" and "no API key" in report.skipped


def test_new_yorks_key_comes_from_the_environment_and_is_never_stored_or_logged(
        board_data, db_path, monkeypatch, caplog):
    monkeypatch.setenv("OPERATOR_NYSED_KEY", NY_KEY)
    caplog.set_level(logging.DEBUG)
    server, site = serve("NY", board_data)
    try:
        server.inject("/rosa/", status=503, count=1)  # a retry is logged with its URL
        result = run(db_path, "ny-nysed", {"url": settings("NY", server)["url"],
                                           "api_key_env": "OPERATOR_NYSED_KEY"})
    finally:
        server.stop()
    assert result.status == "ok", result.error
    assert set(site.keys_seen) == {NY_KEY}
    assert NY_KEY not in caplog.text
    for path in db_path.parent.iterdir():
        assert NY_KEY.encode() not in path.read_bytes(), path


def test_check_probes_a_known_license_and_names_the_unconfirmed_settings(board_data):
    server, site = serve("VA", board_data)
    known = next(iter(board_data["VA"].licensees.values()))
    try:
        with Fetcher(HTTP) as fetcher:
            good = SOURCES["va-dhp"].check(fetcher, {**settings("VA", server),
                                                    "probe_number": known.number})
            shape = SOURCES["va-dhp"].check(fetcher, settings("VA", server))
            changed = SOURCES["va-dhp"].check(fetcher, {**settings("VA", server),
                                                       "number_field": "LicNo",
                                                       "probe_number": known.number})
    finally:
        server.stop()
    assert good.verdict == "ok" and good.get("record")[0] is True
    assert known.last.lower() in good.get("record")[1].lower()
    assert any("number_field" in n for n in good.notes)
    assert shape.verdict == "ok" and "no such license" in shape.get("record")[1]
    # a wrong field name: the board ignores it and finds nothing; only a known-good probe tells
    assert changed.verdict == "mismatch" and changed.get("record")[0] is False


def test_the_practitioner_page_finds_no_such_license_from_the_number_nppes_holds(
        board_data, db_path):
    """What the page reads: the not-found answer for the state and the number as NPPES has it
    (normalized), whichever way the provider wrote it ("326828" is asked as "AU326828")."""
    server, _ = serve("PA", board_data)
    try:
        assert run(db_path, "pa-pals", settings("PA", server)).status == "ok"
    finally:
        server.stop()
    unknown = set(board_data["PA"].unknown)
    reporters = rows(db_path, "select t.npi, t.license_number, t.license_number_normalized "
                     "from provider_taxonomies t join providers p using (npi) where t.code = "
                     "'171100000X' and t.state = 'PA' and p.enumeration_type = 'NPI-1'")
    board = lookup.BOARDS["pa-pals"]
    expected = {r["npi"] for r in reporters if board.number(r["license_number"] or "") in unknown}
    assert expected
    page_query = ("select l.license_number from license_lookups l, json_each(l.reported_keys) k "
                  "where l.jurisdiction = ? and k.value = ? and l.answer = 'not_found'")
    said = {r["npi"] for r in reporters
            if rows(db_path, page_query, ["PA", r["license_number_normalized"]])}
    assert said == expected


def test_the_practitioner_page_says_the_board_has_no_such_license(board_data, db_path):
    """The page of a practitioner whose reported number the board does not know says so, with
    the day it answered and the board's lookup page; one whose number it knows does not."""
    import asyncio
    import html

    from publish.app import make_datasette

    server, _ = serve("PA", board_data)
    try:
        assert run(db_path, "pa-pals", settings("PA", server)).status == "ok"
    finally:
        server.stop()
    relink(Config(db=str(db_path)), db_path)
    board = lookup.BOARDS["pa-pals"]
    unknown = set(board_data["PA"].unknown)
    reporters = rows(db_path, "select t.npi, t.license_number from provider_taxonomies t join "
                     "providers p using (npi) where t.code = '171100000X' and t.state = 'PA' "
                     "and p.enumeration_type = 'NPI-1' and t.license_number is not null")
    missing = next(r for r in reporters if board.number(r["license_number"]) in unknown)
    known = next(r for r in reporters if board.number(r["license_number"]) not in unknown
                 and board.number(r["license_number"]))

    async def pages():
        ds = make_datasette(db_path)
        await ds.invoke_startup()
        return [(await ds.client.get(f"/lookups/practitioners/npi~3A{r['npi']}")).text
                for r in (missing, known)]

    said, quiet = (html.unescape(page) for page in asyncio.run(pages()))
    assert "The PA board has no such license" in said
    assert f"asked about license {missing['license_number']}" in said
    assert 'class="unknown-to-board"' in said and "www.pals.pa.gov" in said
    assert "no such license" not in quiet


def test_virginias_form_token_is_read_again_when_the_board_refuses_it(board_data, db_path):
    class Forget:
        """The board forgets its sessions after the second lookup (a token expired)."""

        def __init__(self, site):
            self.site, self.forgot = site, False

        def handle(self, request):
            if len(self.site.asked) == 2 and not self.forgot:
                self.site.sessions.clear()
                self.forgot = True
            return self.site.handle(request)

    server, site = serve("VA", board_data, wrap=Forget)
    try:
        result = run(db_path, "va-dhp", settings("VA", server))
    finally:
        server.stop()
    assert result.status == "ok", result.error
    # the form read once at the start and once after the refusal
    assert [r.method for r in server.requests if r.path == "/Lookup/Index"].count("GET") == 2
    assert sorted(site.numbers_asked()) == sorted(reported(db_path, "VA", lookup.BOARDS["va-dhp"]))


@pytest.mark.parametrize(("source_id", "reported", "asked"), [
    ("pa-pals", "LAC.00326828", "AU326828"), ("pa-pals", "au-326828", "AU326828"),
    ("pa-pals", "326828", "AU326828"), ("pa-pals", "AU 0292130", "AU292130"),
    ("va-dhp", "123331189", "0123331189"), ("va-dhp", "0123331189", "0123331189"),
    ("ny-nysed", "0002960", "002960"), ("ny-nysed", "2960", "002960"),
    ("ma-borim", "ac 9648", "09648"), ("ma-borim", "", None), ("ma-borim", "--", None),
])
def test_numbers_are_asked_the_boards_way(source_id, reported, asked):
    assert lookup.BOARDS[source_id].number(reported) == asked


@pytest.mark.parametrize("values", [
    {"no_such_setting": 1}, {"pad": "ten"}, {"pad": -1}, {"statuses": {"GOOD": "fine"}},
    {"name_format": "last first"}, {"type_pattern": "(acupunct"}, {"cadence_days": True},
])
def test_a_bad_setting_is_refused_with_its_name(values):
    with pytest.raises(ValueError, match=next(iter(values)) if "statuses" not in values
                       else "statuses"):
        lookup.configure(lookup.BOARDS["ma-borim"], values)


def test_settings_change_what_they_name_and_keep_the_rest():
    board = lookup.configure(lookup.BOARDS["pa-pals"], {
        "fields": {"expires_on": "LicenseExpirationDate"}, "statuses": {"lapsed*": "expired"},
        "cadence_days": 7, "probe_number": "AU000001", "every": "1d"})
    assert board.options["fields"]["expires_on"] == "LicenseExpirationDate"
    assert board.options["fields"]["status"] == "Status"
    assert board.statuses == {"LAPSED*": "expired"} and board.cadence_days == 7
