# ruff: noqa: F811 (pytest fixtures imported from the module that defines them)
"""The NPPES partition against a hostile saved plan, a short page before the last, and a state at
the cap exactly: nobody lost, nothing marked gone wrongly."""
from __future__ import annotations

import json

import pytest

from db.migrations import connect
from tests.sites.nppes_data import primary_location
from tests.test_nppes_partition import ACU, _live, _scrape, _truth, new_york, site  # noqa: F401 (fixtures)


def _last_ny(api):
    ny = [p for p in api.providers if primary_location(p)["state"] == "NY"]
    return max(ny, key=lambda p: int(p["number"]))


def test_a_hostile_plan_of_the_current_zip_data_is_not_followed(site, tmp_path, fast_http):
    server, api = site
    assert _scrape(server, tmp_path / "p.db", fast_http).status == "ok"
    assert _live(tmp_path / "p.db") == _truth(api)
    db = connect(tmp_path / "p.db")
    key = ("nppes-api", "parts:NY")
    plan = json.loads(db["source_state"].get(key)["value"])
    dropped = min((k for k, v in plan["parts"].items() if v), key=plan["parts"].get)
    del plan["parts"][dropped]
    db["source_state"].update(key, {"value": json.dumps(plan)})
    db.conn.commit()
    again = _scrape(server, tmp_path / "p.db", fast_http)
    missing = _truth(api) - _live(tmp_path / "p.db")
    assert not missing, (again.status, again.counts, len(missing))


def _short_page(api, postal, skip, keep=150):
    """The API answers one page short though results follow it: the records it leaves out
    are unreachable (``dropped``), nobody else may be lost."""
    real = type(api).search
    dropped: set[str] = set()

    def search(params):
        answer = real(api, params)
        if params.get("postal_code") == postal and str(params.get("skip")) == str(skip) \
                and "results" in answer:
            dropped.update(str(r["number"]) for r in answer["results"][keep:])
            answer = {"result_count": keep, "results": answer["results"][:keep]}
        return answer

    api.search = search
    api.reindex()
    return dropped


def test_a_short_page_that_is_not_the_last_loses_nobody(site, tmp_path, fast_http):
    """A page short of the limit before the skip-1000 probe's page is not taken as the last
    (without a remembered count and a probe it would be: see the README's known limits)."""
    server, api = site
    _scrape(server, tmp_path / "p.db", fast_http)
    assert _live(tmp_path / "p.db") == _truth(api)
    plan = json.loads(connect(tmp_path / "p.db", readonly=True)["source_state"].get(
        ("nppes-api", "parts:NY"))["value"])["parts"]
    assert plan["NY/11*"] >= 1000
    dropped = _short_page(api, "11*", 200)
    again = _scrape(server, tmp_path / "p.db", fast_http)
    missing = _truth(api) - _live(tmp_path / "p.db")
    assert dropped and missing <= dropped, (again.status, again.counts, len(missing))


@pytest.mark.parametrize("total", [1200, 1199, 1000, 1201])
def test_a_state_at_the_cap_exactly(site, tmp_path, fast_http, total):
    server, api = site
    ny = sorted((p for p in api.providers if primary_location(p)["state"] == "NY"),
                key=lambda p: int(p["number"]))
    for p in ny[total:]:
        api.providers.remove(p)
    api.reindex()
    assert len(_truth(api)) == total
    result = _scrape(server, tmp_path / "p.db", fast_http)
    assert result.status == "ok"
    assert _live(tmp_path / "p.db") == _truth(api)
    again = _scrape(server, tmp_path / "p.db", fast_http)
    assert (again.status, again.counts["gone"]) == ("ok", 0)
    assert _live(tmp_path / "p.db") == _truth(api)
