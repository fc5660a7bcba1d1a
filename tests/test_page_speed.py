"""Issue 16, the pages at 1,000,000 rows: what makes the practitioners table page fast must not
change what it shows.

- ``readable.slim_display`` hands Datasette's cell rendering only the columns the page shows
  (and the map's, out of sight): the page is the same, cell for cell, as with Datasette's own
  function, while the render_cell hooks see a fifth of the cells; a row still answers by name
  for every column (the standing's reason, the link's key); ``?_col=`` pages and tables
  without default columns are left whole; a Datasette whose function differs is left alone.
- ``long_lived`` freezes the server's long-lived objects at startup and after the first
  request, so a full garbage collection does not walk them.

Speed itself is measured in bench/bench_search.py, not here.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import sqlite3

import pytest
from bs4 import BeautifulSoup
from datasette.views import table as table_view

from publish import PUBLISH_DIR
from publish.app import make_datasette
from tests.test_readable import DB, DEFAULT_PRACTITIONER_COLUMNS, site  # noqa: F401


def _plugin(name: str):
    spec = importlib.util.spec_from_file_location(f"_test_{name}",
                                                  PUBLISH_DIR / "plugins" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


readable = _plugin("readable")


def _pages(path: str, *paths: str) -> list[str]:
    async def go():
        ds = make_datasette(path)
        await ds.invoke_startup()
        out = []
        for p in paths:
            response = await ds.client.get(p)
            assert response.status_code == 200, response.text[:300]
            out.append(response.text)
        return out

    return asyncio.run(go())


def _table(html: str) -> str:
    return str(BeautifulSoup(html, "lxml").select_one("table.rows-and-columns"))


@pytest.mark.parametrize("query", ["", "?_sort=practitioner_id", "?license_status=active",
                                   "?_nocol=phone&standing=good", "?_col=zip&_col=standing"])
def test_the_table_is_the_same_as_with_datasettes_own_cells(site, query,  # noqa: F811
                                                            monkeypatch):
    url = f"/{DB}/practitioners{query}"
    _pages(site, url)  # the plugin's startup puts the narrowed function in place
    current = table_view.display_columns_and_rows
    assert getattr(current, "slim", False), "the narrowed function is in the table view's place"
    # what reaches Datasette's function through it: only the shown columns (and the map's)
    narrowed = []
    datasettes = current.original

    async def spy(*args, **kwargs):
        narrowed.append([d[0] for d in args[3]])
        return await datasettes(*args, **kwargs)

    monkeypatch.setattr(current, "original", spy)
    (slim,) = _pages(site, url)
    shown = len(DEFAULT_PRACTITIONER_COLUMNS) + 2  # the key and eight, latitude and longitude
    assert len(narrowed) == 1 and (len(narrowed[0]) <= shown + 2 or "_col" in query)
    assert narrowed[0][:2] == ["practitioner_id", "display_name"] or "_col" in query
    calls = []

    async def datasettes_own(*args, **kwargs):
        calls.append([d[0] for d in args[3]])
        return await datasettes(*args, **kwargs)

    datasettes_own.slim = True  # so the plugin's startup leaves it in place
    monkeypatch.setattr(table_view, "display_columns_and_rows", datasettes_own)
    (whole,) = _pages(site, url)
    assert table_view.display_columns_and_rows is datasettes_own
    assert len(calls) == 1 and (len(calls[0]) > 20 or "_col" in query)  # every column, once
    assert _table(slim) == _table(whole)
    assert "In good standing" in _table(slim) or "_col" in query


class _Db:
    def __init__(self, columns, pks):
        self.columns, self.pks = columns, pks

    async def table_columns(self, table):
        return self.columns

    async def primary_keys(self, table):
        return self.pks


class _Datasette:
    def __init__(self, metadata, db):
        self.metadata, self.db = metadata, db

    def table_metadata(self, database, table):
        return self.metadata

    def get_database(self, database):
        return self.db


def _rows(columns: list[str], n: int = 3):
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    conn.execute(f"create table t ({', '.join(columns)})")
    for i in range(n):
        conn.execute(f"insert into t values ({', '.join('?' * len(columns))})",
                     [f"{c}{i}" for c in columns])
    cursor = conn.execute("select * from t")
    return cursor.description, cursor.fetchall()


def _narrowed(columns, pks, default, args, link_column=True):
    seen = {}

    async def original(datasette, database_name, table_name, description, rows,
                       link_column=False, truncate_cells=0, sortable_columns=None):
        seen.update(description=[d[0] for d in description], rows=rows,
                    link_column=link_column, truncate_cells=truncate_cells)
        return "columns", "rows"

    description, rows = _rows(columns)
    ds = _Datasette({"default_columns": default} if default else {}, _Db(columns, pks))
    token = readable._REQUEST_ARGS.set(args)
    try:
        result = asyncio.run(readable.slim_display(original)(
            ds, "db", "t", description, rows, link_column=link_column, truncate_cells=7,
            sortable_columns=set()))
    finally:
        readable._REQUEST_ARGS.reset(token)
    assert result == ("columns", "rows")
    return seen


COLUMNS = ["id", "name", "city", "standing", "standing_reason", "zip", "latitude", "longitude"]


def test_only_the_shown_columns_reach_the_cells_each_row_answering_by_name():
    seen = _narrowed(COLUMNS, ["id"], ["name", "standing"], [("zip", "98101")])
    # the key, the default columns, the one filtered on, and the map's two out of sight
    assert seen["description"] == ["id", "name", "standing", "zip", "latitude", "longitude"]
    row = seen["rows"][1]
    assert list(row) == ["id1", "name1", "standing1", "zip1", "latitude1", "longitude1"]
    assert len(row) == 6 and row[2] == "standing1"
    assert row["standing_reason"] == "standing_reason1"  # render_cell reads it by name
    assert row.keys() == seen["description"]
    assert (seen["link_column"], seen["truncate_cells"]) == (True, 7)


@pytest.mark.parametrize("default, args", [
    (None, []),  # a table without default columns: every column
    (["name"], [("_col", "city")]),  # the visitor chose: Datasette selected exactly those
])
def test_pages_that_show_every_selected_column_are_left_whole(default, args):
    seen = _narrowed(COLUMNS, ["id"], default, args)
    assert seen["description"] == COLUMNS
    assert isinstance(seen["rows"][0], sqlite3.Row)


def test_hidden_map_columns_stay_out():
    seen = _narrowed(COLUMNS, ["id"], ["name"], [("_nocol", "latitude")])
    assert seen["description"] == ["id", "name"]


def test_a_datasette_whose_function_differs_is_left_alone(monkeypatch):
    async def display_columns_and_rows(datasette, database_name, table_name, description,
                                       rows, link_column=False, truncate_cells=0,
                                       sortable_columns=None, something_new=None):
        return [], []

    monkeypatch.setattr(table_view, "display_columns_and_rows", display_columns_and_rows)
    assert readable.install_slim_display() is False
    assert table_view.display_columns_and_rows is display_columns_and_rows


def test_the_server_freezes_its_long_lived_objects(site):  # noqa: F811
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        _pages(site, f"/{DB}/practitioners")
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
