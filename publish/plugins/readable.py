"""Tables a person can read: the columns they need first, flags in words, lists as text.

**Default columns.** Datasette 0.65 shows every column of a table and has no setting for the
columns shown by default. A table's ``default_columns`` in metadata.yml (practitioners,
licenses) names them; on its HTML page, when the visitor gave no ``?_col=``, ``extra_template_vars``
gives ``templates/table.html`` the function ``readable_table``, which keeps of Datasette's
``display_columns`` and ``display_rows`` the primary key, the default columns (in their order),
and any column the visitor filters or sorts on, minus those they hid (``?_nocol=``). Nothing
else changes: the SQL still selects every column, every column can be filtered, faceted and
asked for (``?_col=`` shows exactly the columns given, as Datasette does), and the JSON and CSV
are those of Datasette. The map (datasette-cluster-map) draws only when latitude and longitude
are among the table's headers: they stay in the page, last, and templates/table.html hides them
(``readable_columns.invisible``). The page says which columns it shows, with a link to every
column and, once the visitor chose, back to the usual ones (``readable_columns``). Datasette
renders the cells of those columns only (``slim_display``, below): the page is the same, at a
fraction of the cost.

**Cells** (``render_cell``, HTML only; the JSON keeps the stored values), on the tables named in
``READABLE_TABLES`` and in query results:

- the 0/1 flags ``certified``, ``disciplined``, ``excluded`` read "yes" / "no";
- ``specialties``, a JSON list, reads as text: "facial acupuncture, fertility";
- ``standing`` (good, expired...) reads as its label ("In good standing"), its reason in the
  cell's title when the row has ``standing_reason``;
- ``verify_url`` and ``website`` link only when http(s), named by their host, passing no ranking
  and no referrer (scraped addresses: never javascript: or data:);
- a canned query's ``message`` (an unknown ZIP code, nobody within the radius) stands out.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from datasette import hookimpl
from markupsafe import Markup

from scraper.standing import LABELS

FLAGS = {"certified", "disciplined", "excluded"}
LISTS = {"specialties"}
LINKS = {"verify_url", "website"}
# The tables whose cells read as words (None: the results of a query, canned or a visitor's).
READABLE_TABLES = {"practitioners", "licenses", None}
EXTERNAL_REL = "nofollow noopener noreferrer"
# Kept in the page, out of sight, when a table has them: the map looks for them in its headers.
MAP_COLUMNS = ("latitude", "longitude")


def flag(value: Any) -> str | None:
    """0/1 as no/yes; anything else (NULL, text) is left to Datasette."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return {1: "yes", 0: "no"}.get(value)


def as_text_list(value: Any) -> str | None:
    """A JSON list of words as "a, b"; None when the value is not one."""
    if not isinstance(value, str):
        return None
    try:
        items = json.loads(value)
    except ValueError:
        return None
    if not isinstance(items, list) or not all(isinstance(i, str | int | float) for i in items):
        return None
    return ", ".join(str(i) for i in items)


def external_link(value: Any) -> Markup | None:
    """An http(s) address as a link named by its host (several, space-separated, as coverage
    gives a state's boards: a link each); None when any of them is not http(s)."""
    if not isinstance(value, str) or not value.split():
        return None
    links = []
    for href in value.split():
        if not href.lower().startswith(("http://", "https://")):
            return None
        try:
            host = urlsplit(href).hostname
        except ValueError:  # "http://[x" and other addresses no parser reads
            host = None
        links.append(Markup('<a href="{}" rel="{}">{}</a>').format(
            href, EXTERNAL_REL, host or href))
    return Markup(" ").join(links)


def _cell(row, column: str) -> Any:
    try:
        return row[column]
    except (IndexError, KeyError):
        return None


def standing_cell(level: Any, reason: Any) -> Markup | None:
    if not isinstance(level, str) or level not in LABELS:
        return None
    if isinstance(reason, str) and reason:
        return Markup('<span class="standing standing-{}" title="{}">{}</span>').format(
            level, reason, LABELS[level])
    return Markup('<span class="standing standing-{}">{}</span>').format(level, LABELS[level])


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if table not in READABLE_TABLES:
        return None
    if column in FLAGS:
        return flag(value)
    if column in LISTS:
        return as_text_list(value)
    if column == "standing":
        return standing_cell(value, _cell(row, "standing_reason"))
    if column in LINKS:
        return external_link(value)
    if column == "message" and table is None and isinstance(value, str) and value:
        return Markup('<strong class="query-message">{}</strong>').format(value)
    return None


# --- default columns ---------------------------------------------------------------------------

def _filtered_column(key: str, columns: Iterable[str]) -> str | None:
    """The column a filter argument is on (``state``, ``license_status__in``...), or None."""
    known = set(columns)
    if key in known:
        return key
    base, _, _ = key.rpartition("__")
    return base if base in known else None


def shown_columns(default: list[str], columns: list[str], pks: list[str],
                  args: list[tuple[str, str]]) -> list[str] | None:
    """The columns the page shows, in order: the primary key, the default columns, then those
    filtered or sorted on, without those hidden by ``_nocol``. None when the visitor chose the
    columns with ``_col`` (Datasette then shows exactly those)."""
    keys = [k for k, _ in args]
    if "_col" in keys:
        return None
    hidden = {v for k, v in args if k == "_nocol"}
    asked = [c for c in default if c in columns]
    for key, value in args:
        column = value if key in ("_sort", "_sort_desc") else (
            None if key.startswith("_") else _filtered_column(key, columns))
        if column and column not in asked:
            asked.append(column)
    return [c for c in pks if c in columns] + [
        c for c in asked if c not in pks and c not in hidden]


def readable_table(shown: list[str]) -> Callable[[list, list], tuple[list, list]]:
    """For table.html: Datasette's display_columns and display_rows with only ``shown``, in its
    order (the link column, when the table has no single primary key, kept first)."""
    order = {name: i for i, name in enumerate(shown)}

    def keep(cells: list, name: Callable[[Any], str]) -> list:
        kept = [c for c in cells if name(c) in order or name(c) == "Link"]
        return sorted(kept, key=lambda c: -1 if name(c) == "Link" else order[name(c)])

    def apply(display_columns: list, display_rows: list) -> tuple[list, list]:
        columns = keep(list(display_columns), lambda c: c["name"])
        rows = []
        for row in display_rows:
            cells = keep(list(row), lambda c: c["column"])
            rows.append(type(row)(cells) if hasattr(row, "cells") else cells)
        return columns, rows

    return apply


def _url(path: str, pairs: list[tuple[str, str]]) -> str:
    return path + ("?" + urlencode(pairs) if pairs else "")


def invisible_columns(shown: list[str] | None, columns: list[str],
                      args: list[tuple[str, str]]) -> list[str]:
    """The map's columns the page keeps out of sight (when it narrows the columns and the
    visitor did not hide them)."""
    nocol = {v for k, v in args if k == "_nocol"}
    if shown is None or not set(MAP_COLUMNS) <= set(columns) - nocol:
        return []
    return [c for c in MAP_COLUMNS if c not in shown]


@hookimpl
def extra_template_vars(view_name, table, database, request, datasette):
    if view_name != "table" or table is None or request is None:
        return {}
    default = (datasette.table_metadata(database, table) or {}).get("default_columns")
    if not default:
        return {}

    async def inner() -> dict:
        db = datasette.get_database(database)
        columns = await db.table_columns(table)
        pks = await db.primary_keys(table)
        args = parse_qsl(request.query_string, keep_blank_values=True)
        shown = shown_columns(list(default), columns, pks, args)
        nocol = {v for k, v in args if k == "_nocol"}
        invisible = invisible_columns(shown, columns, args)
        rest = [(k, v) for k, v in args if k not in ("_col", "_nocol", "_next")]
        info = {
            "default": [c for c in default if c in columns],
            "chosen": shown is None or bool(nocol),
            "every_url": _url(request.path, rest + [("_col", c) for c in columns
                                                   if c not in pks]),
            "usual_url": _url(request.path, rest),
            "hidden": [] if shown is None else [c for c in columns if c not in shown],
            "invisible": invisible,
        }
        context: dict[str, Any] = {"readable_columns": info}
        if shown is not None:
            context["readable_table"] = readable_table(shown + invisible)
        return context

    return inner


# --- only the shown cells are rendered ---------------------------------------------------------
#
# Datasette's table view hands every selected column of every row to
# ``display_columns_and_rows``, which asks every render_cell hook about each cell (1,750 hook
# calls for a page of 50 practitioners, 35 columns) before templates/table.html keeps the eight
# shown. On a 1,000,000-row directory that was most of the table page's time (issue 16,
# bench/RESULTS.md). The table view looks that function up in its module when a page is drawn;
# ``slim_display`` stands in for it there and passes on only the columns the page will show
# (the primary key, ``shown_columns`` and the map's ``invisible_columns``), each row still
# answering by name for every column (render_cell reads ``standing_reason``, the link reads the
# key). Only HTML table pages of a table with ``default_columns`` and no ``?_col=`` are
# narrowed; the JSON, CSV and row pages never call it. If Datasette's function is not the one
# this was written against (its parameters differ), nothing is replaced and pages are drawn as
# before, only slower.

_REQUEST_ARGS: ContextVar[list[tuple[str, str]] | None] = ContextVar(
    "readable_request_args", default=None)
_DISPLAY_PARAMETERS = ("datasette", "database_name", "table_name", "description", "rows",
                       "link_column", "truncate_cells", "sortable_columns")


class SlimRow:
    """A row of the columns at ``keep`` (positions) that still answers by name for all."""

    __slots__ = ("_row", "_keep")

    def __init__(self, row, keep: list[int]):
        self._row = row
        self._keep = keep

    def __iter__(self):
        row = self._row
        return (row[i] for i in self._keep)

    def __len__(self) -> int:
        return len(self._keep)

    def __getitem__(self, key):
        if isinstance(key, str):
            return self._row[key]
        return self._row[self._keep[key]]

    def keys(self) -> list[str]:
        names = list(self._row.keys())  # Datasette's CustomRow gives a view, not a list
        return [names[i] for i in self._keep]


async def _page_columns(datasette, database: str, table: str) -> list[str] | None:
    """The columns this request's table page shows (key, shown, invisible), or None when it
    shows every selected one."""
    args = _REQUEST_ARGS.get()
    if args is None:
        return None
    default = (datasette.table_metadata(database, table) or {}).get("default_columns")
    if not default:
        return None
    db = datasette.get_database(database)
    columns = await db.table_columns(table)
    shown = shown_columns(list(default), columns, await db.primary_keys(table), args)
    if shown is None:
        return None
    return shown + invisible_columns(shown, columns, args)


def slim_display(original):
    async def display_columns_and_rows(datasette, database_name, table_name, description, rows,
                                       link_column=False, truncate_cells=0,
                                       sortable_columns=None):
        keep = None
        if description and rows:
            wanted = await _page_columns(datasette, database_name, table_name)
            if wanted is not None:
                wanted_set = set(wanted)
                keep = [i for i, d in enumerate(description) if d[0] in wanted_set]
        if keep is not None and len(keep) < len(description):
            description = [description[i] for i in keep]
            rows = [SlimRow(row, keep) for row in rows]
        # looked up at each call, so that a test can watch what reaches it
        return await display_columns_and_rows.original(  # type: ignore[attr-defined]
            datasette, database_name, table_name, description, rows, link_column=link_column,
            truncate_cells=truncate_cells, sortable_columns=sortable_columns)

    display_columns_and_rows.slim = True  # type: ignore[attr-defined]
    display_columns_and_rows.original = original  # type: ignore[attr-defined]
    return display_columns_and_rows


def install_slim_display() -> bool:
    """Put ``slim_display`` in the table view's place; False (nothing replaced) when
    Datasette's function is not the one expected."""
    from datasette.views import table as table_view

    current = getattr(table_view, "display_columns_and_rows", None)
    if current is None:
        return False
    if getattr(current, "slim", False):
        return True
    try:
        parameters = tuple(inspect.signature(current).parameters)
    except (TypeError, ValueError):
        return False
    if parameters != _DISPLAY_PARAMETERS or not inspect.iscoroutinefunction(current):
        return False
    table_view.display_columns_and_rows = slim_display(current)
    return True


@hookimpl
def startup(datasette):
    install_slim_display()


@hookimpl
def asgi_wrapper(datasette):
    """Keeps each HTML request's query arguments where ``slim_display`` can read them."""
    def wrap(app):
        async def with_args(scope, receive, send):
            args = None
            if scope.get("type") == "http":
                query = scope.get("query_string") or b""
                args = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            token = _REQUEST_ARGS.set(args)
            try:
                await app(scope, receive, send)
            finally:
                _REQUEST_ARGS.reset(token)
        return with_args
    return wrap
