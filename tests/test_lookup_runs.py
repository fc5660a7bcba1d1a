# ruff: noqa: F811 (pytest fixtures imported from the module that defines them)
"""lookup runs through the job runner against the stand-ins."""
from __future__ import annotations

import json

from tests.sites.lookups import BorimSite
from tests.sites.server import json_response
from tests.test_lookup import (  # noqa: F401  (fixtures)
    board_data,
    db_path,
    providers,
    rows,
    run,
    serve,
    settings,
)


class RenamedBorim(BorimSite):
    """BORIM renames profileStatus and fullName (status, name): a changed API."""
    renamed = False

    def handle(self, request):
        response = super().handle(request)
        if not self.renamed or response.status != 200:
            return response
        data = json.loads(response.body)
        for row in data["results"]["data"]:
            row["status"] = row.pop("profileStatus")
            row["name"] = row.pop("fullName")
        return json_response(data)


def test_renamed_fields_do_not_overwrite_good_licenses_with_empty_ones(board_data, db_path):
    server, site = serve("MA", board_data)
    site.__class__ = RenamedBorim
    try:
        assert run(db_path, "ma-borim", settings("MA", server)).status == "ok"
        good = {r["license_number"]: r for r in rows(
            db_path, "select * from licenses where source = 'ma-borim'")}
        site.renamed = True
        second = run(db_path, "ma-borim", settings("MA", server, cadence_days=0))
    finally:
        server.stop()
    after = {r["license_number"]: r for r in rows(
        db_path, "select * from licenses where source = 'ma-borim'")}
    wiped = [n for n in good if after[n]["last_name"] is None and good[n]["last_name"]]
    assert second.status != "ok" or not wiped, (
        f"{len(wiped)} of {len(good)} licenses lost name/status, run {second.status}")


def test_a_license_found_then_not_found_is_not_left_live_unremarked(board_data, db_path):
    server, site = serve("MA", board_data)
    try:
        first = run(db_path, "ma-borim", settings("MA", server))
        lic = rows(db_path, "select * from licenses where source = 'ma-borim' "
                   "and status_normalized = 'active' limit 1")[0]
        del site.data.licensees[lic["license_number"].upper()]
        second = run(db_path, "ma-borim", settings("MA", server, cadence_days=0,
                                                   guard_after=0))
    finally:
        server.stop()
    assert first.status == second.status == "ok"
    answer = rows(db_path, "select * from license_lookups where source = 'ma-borim' and "
                  "license_number = ?", [lic["license_number"]])[0]
    after = rows(db_path, "select * from licenses where license_id = ?", [lic["license_id"]])[0]
    assert answer["answer"] == "not_found"
    # the board says it has no such license: the license must not still show in good standing
    assert after["gone_at"] is not None or after["status_normalized"] != "active"


class PoisonBorim(BorimSite):
    """Five numbers the board always answers with an error (a record it cannot render)."""
    poison: set = set()

    def handle(self, request):
        body = json.loads(request.body or b"null") if request.method == "POST" else None
        if isinstance(body, dict) and body.get("licenseNumber") in self.poison:
            return json_response({"message": "Internal error"}, 400)
        return super().handle(request)


def test_five_numbers_that_always_fail_do_not_starve_the_board_forever(board_data, db_path):
    from scraper.sources import lookup
    from tests.test_lookup import reported
    server, site = serve("MA", board_data)
    site.__class__ = PoisonBorim
    try:
        numbers = sorted(reported(db_path, "MA", lookup.BOARDS["ma-borim"]))
        site.poison = set(numbers[:5])
        for _ in range(3):
            run(db_path, "ma-borim", settings("MA", server))
    finally:
        server.stop()
    answered = rows(db_path, "select count(*) n from license_lookups where answer is not null")
    assert answered[0]["n"] == len(numbers) - 5


class BusyBorim(BorimSite):
    """After 3 lookups the board says: come back in an hour (429, Retry-After: 3600)."""
    served = 0
    after_429 = 0

    def handle(self, request):
        if request.method == "POST":
            self.served += 1
            if self.served > 3:
                self.after_429 += 1
                answer = json_response({"message": "slow down"}, 429)
                answer.headers["Retry-After"] = "3600"
                return answer
        return super().handle(request)


def test_a_429_asking_for_an_hour_stops_the_asking(board_data, db_path):
    server, site = serve("MA", board_data)
    site.__class__ = BusyBorim
    try:
        result = run(db_path, "ma-borim", settings("MA", server))
    finally:
        server.stop()
    # the run stops loudly, the board's three answers before it kept
    assert result.status == "failed" and "Retry-After" in (result.error or "")
    kept = rows(db_path, "select count(*) n from license_lookups where answer is not null")
    assert kept[0]["n"] == 3
    assert site.after_429 == 1, f"{site.after_429} more lookups sent after Retry-After: 3600"


def test_a_fetcher_that_dies_mid_run_loses_and_repeats_nothing(board_data, db_path):
    from scraper.config import Config
    from scraper.http import Fetcher
    from scraper.jobs import run_source
    from tests.test_lookup import HTTP

    class Dying(Fetcher):
        posts = 0

        def post(self, *args, **kwargs):
            Dying.posts += 1
            if Dying.posts > 7:
                raise RuntimeError("killed")
            return super().post(*args, **kwargs)

    server, site = serve("MA", board_data)
    try:
        config = Config(http=HTTP, sources={"ma-borim": settings("MA", server)})
        with Dying(HTTP) as fetcher:
            try:
                run_source(config, "ma-borim", db_path=db_path, fetcher=fetcher)
            except RuntimeError:
                pass  # the run dies with the fetcher: what it committed stays
        asked_first = list(site.numbers_asked())
        second = run(db_path, "ma-borim", settings("MA", server))
    finally:
        server.stop()
    assert len(asked_first) == 7
    assert sorted(site.numbers_asked()) == sorted(set(site.numbers_asked()))  # none twice
    answered = rows(db_path, "select count(*) n from license_lookups where answer is not null")
    assert second.status == "ok" and answered[0]["n"] == len(set(site.numbers_asked()))
