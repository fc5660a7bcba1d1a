# ruff: noqa: F811 (pytest fixtures imported from the module that defines them)
"""lookup settings' edges and a run with nothing to ask."""
from __future__ import annotations

from db.migrations import open_db
from tests.test_lookup import (  # noqa: F401  (fixtures)
    board_data,
    db_path,
    providers,
    rows,
    run,
    serve,
    settings,
)


def test_max_failures_zero_does_not_stop_a_healthy_run(board_data, db_path):
    server, site = serve("MA", board_data)
    try:
        result = run(db_path, "ma-borim", settings("MA", server, max_failures=0))
    finally:
        server.stop()
    assert result.status == "ok", result.error


def test_a_huge_cadence_is_refused_as_a_setting_not_a_crash(board_data, db_path):
    server, site = serve("MA", board_data)
    try:
        result = run(db_path, "ma-borim", settings("MA", server, cadence_days=10**7))
    finally:
        server.stop()
    assert "OverflowError" not in (result.error or "")


def test_a_first_run_with_no_nppes_numbers_is_not_a_success(board_data, tmp_path):
    path = tmp_path / "empty.db"
    open_db(path).close()
    server, site = serve("MA", board_data)
    try:
        result = run(path, "ma-borim", settings("MA", server))
    finally:
        server.stop()
    assert result.status != "ok"
