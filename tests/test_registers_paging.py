# ruff: noqa: F811 (pytest fixtures imported from the module that defines them)
"""registers that page wrongly."""
from __future__ import annotations

from tests.sites.registers import CertemySite
from tests.test_registers import (  # noqa: F401  (fixtures)
    expected,
    live,
    nv,
    nv_data,
    nv_settings,
    providers,
    run,
)


def test_a_register_that_ignores_the_page_parameter_marks_nothing_gone(nv, nv_data, tmp_path):
    """A server that serves page 1 whatever page is asked (a changed paging parameter) must not
    make every license past the first page gone."""
    server, site = nv
    first = run(tmp_path / "p.db", "nv-certemy", nv_settings(server, page_size=10))
    assert first.status == "ok", first.error
    before = set(live(tmp_path / "p.db", "NV"))
    original = CertemySite.handle

    def page_one(request):
        request.query["page"] = "1"
        return original(site, request)

    site.handle = page_one
    second = run(tmp_path / "p.db", "nv-certemy", nv_settings(server, page_size=10))
    assert second.counts.get("gone", 0) == 0, second.counts
    assert set(live(tmp_path / "p.db", "NV")) == before
