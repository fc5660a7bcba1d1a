"""The practitioners table page's facets, read from counts kept as the rows are written.

At a million practitioners, Datasette's facets group every row of the page once per facet:
eight group-bys took 2 s on the page a person opens first (issue 16). Migration m020 keeps
``practitioner_facet_counts`` (by license status too since m024, by the flags certified,
disciplined and excluded since m028): for each cell of state, standing, license status and
flags, how many practitioners have each value of each facet column (and each specialty of
their list), written by triggers in the transaction that writes the practitioner, so it is
never behind the table.

metadata.yml names the practitioners' facets ``counted: <column>`` (and ``counted_array:`` for
the list of specialties). On a page whose only filters are ``state=``, ``standing=``,
``license_status=``, ``certified=``, ``disciplined=`` and ``excluded=`` (none, some or all, one
value each), their counts come from that table, and so does the page's count of rows (where
Datasette would count the rows: ``counted_execute``); on any other page (another filter, a
search, ``_where=``...), or for a column the table does not count, they are grouped live, as
Datasette does, within ``facet_time_limit_ms``. Either way the facet looks and links as
Datasette's own (values, counts, order, the same toggle links, "array" beside the
specialties), and a facet the visitor asks for (``?_facet=``) is Datasette's own, grouped live.
A specialty's page (``?_specialty=``, below) reads the counts by specialty the same way.

One difference, on the side of the truth: on the pages after the first (``?_next=``),
Datasette 0.65 groups only the rows after the page's cursor; counted facets count every row
the filters keep, as the first page does and as the page's count of rows says.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import weakref
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.database import QueryInterrupted, Results
from datasette.facets import ArrayFacet, ColumnFacet, Facet
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from db.migrations import (
    FACET_COUNT_DIMENSIONS,
    FLAG_DIMENSIONS,
    PRACTITIONER_ARRAY_FACETS,
    PRACTITIONER_FACETS,
)

SUMMARY = "practitioner_facet_counts"
SPECIALTY_SUMMARY = "practitioner_specialty_facet_counts"
TABLE = "practitioners"
# ``?_specialty=facial+acupuncture``: the practitioners who list that specialty, read from
# practitioner_specialties (migration m025) where ``specialties__arraycontains`` reads every
# list; the same rows. Its pages, alone or with filters of the cells (a state, a standing,
# certified...), read their facets and count from the counts by specialty and cell ("facial
# acupuncture in good standing in Washington").
SPECIALTY_ARG = "_specialty"
# The cells of both tables of counts (the specialty's too, since m029): state, standing,
# license status and the flags.
DIMENSIONS = FACET_COUNT_DIMENSIONS
# The columns the triggers count (any other facet is grouped live).
COUNTED = frozenset((*PRACTITIONER_FACETS, *PRACTITIONER_ARRAY_FACETS))
# Arguments that change how a page looks, never which rows it counts.
NEUTRAL_ARGS = frozenset({
    "_sort", "_sort_desc", "_next", "_size", "_facet", "_facet_array", "_facet_date",
    "_facet_size", "_col", "_nocol", "_labels", "_nolabels", "_nofacet", "_nocount",
    "_nosuggest", "_trace", "_timelimit", "_shape", "_json", "_extra", "_context", "_hide_sql",
    "_ttl", "_facet_counted", "_facet_counted_array",
})


def summary_cell(pairs: list[tuple[str, str]]) -> dict[str, str] | None:
    """The ``{column: value}`` of state, standing, license status and the flags (certified,
    disciplined, excluded: "0" or "1") a page is filtered by, when those (one value each, not
    empty) are its only filters; or, for a page of one
    specialty (``_specialty``), of the specialty and those. None when it asks for
    anything else."""
    cell: dict[str, str] = {}
    for key, value in pairs:
        if key in NEUTRAL_ARGS:
            continue
        if key not in (*DIMENSIONS, SPECIALTY_ARG) or key in cell or (
                value == "" and key != SPECIALTY_ARG):  # a specialty may be "", as listed
            return None
        if key in FLAG_DIMENSIONS and value not in ("0", "1"):
            return None  # "1.0" or "true" finds rows Datasette's way, not by the counts' text
        cell[key] = value
    return cell


async def summary_counts(ds, database: str,
                         cell: dict[str, str]) -> dict[str, list[dict[str, Any]]] | None:
    """``{facet: [{"value", "count"}]}`` of every counted facet for the practitioners in
    ``cell``, most first, as Datasette's group-by orders them (one query for all of them), and
    under ``""`` how many they are; None when the database has no counts (made before
    migration m020)."""
    table, params = SUMMARY, dict(cell)
    if SPECIALTY_ARG in params:
        table, params["specialty"] = SPECIALTY_SUMMARY, params.pop(SPECIALTY_ARG)
    where = _equal(params)
    try:
        result = await ds.get_database(database).execute(
            f"select facet, value, sum(n) as count from {table} where {where} "
            "group by facet, value having sum(n) > 0 order by facet, count desc, value",
            params, truncate=False, custom_time_limit=ds.setting("facet_time_limit_ms"))
    except sqlite3.OperationalError as error:
        if "no such table" in str(error) or "no such column" in str(error):
            return None  # a database from before the counts (m020, m024, m025)
        raise
    # "" is the practitioners themselves: its one count is the page's count of rows
    counts: dict[str, list[dict[str, Any]]] = {facet: [] for facet in (*COUNTED, "")}
    for row in result.rows:
        if row["facet"] in counts:
            counts[row["facet"]].append({"value": row["value"], "count": row["count"]})
    return counts


# A page's counts, asked once for all its counted facets (column and array facets are two
# instances, run side by side): by request, forgotten with it.
_ASKED: weakref.WeakKeyDictionary[Any, asyncio.Future] = weakref.WeakKeyDictionary()


def page_counts(ds, database: str, request, cell: dict[str, str]):
    """summary_counts for the page of ``request``, asked once for it (its count of rows and
    each of its counted facets await the same answer)."""
    asked = _ASKED.get(request)
    if asked is None:
        asked = _ASKED[request] = asyncio.ensure_future(summary_counts(ds, database, cell))
    return asked


def _equal(columns) -> str:
    """SQL keeping the rows whose ``columns`` equal the parameters of their names."""
    return " and ".join(f"{c} = :{c}" for c in columns) or "1"


class _Counted(Facet):
    """What the column and array facets share: where their rows come from."""

    shown_type = "column"

    async def _rows(self, column: str, limit: int) -> list[dict[str, Any]]:
        cell = None
        if self.table == TABLE:
            cell = summary_cell(self.get_querystring_pairs())
        if cell is not None and column in COUNTED:
            counts = await page_counts(self.ds, self.database, self.request, cell)
            if counts is not None:
                return counts[column][:limit]
        result = await self.ds.execute(
            self.database, self.live_sql(column, limit), self.params, truncate=False,
            custom_time_limit=self.ds.setting("facet_time_limit_ms"))
        return [{"value": row["value"], "count": row["count"]} for row in result.rows]

    def live_sql(self, column: str, limit: int) -> str:
        raise NotImplementedError

    def toggle(self, column: str, value: Any) -> tuple[str, str]:
        raise NotImplementedError

    def facet_toggle_arg(self) -> str:
        raise NotImplementedError

    async def facet_results(self):
        results = []
        timed_out = []
        pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            try:
                rows = await self._rows(column, size + 1)
            except QueryInterrupted:
                timed_out.append(column)
                continue
            values = []
            for row in rows[:size]:
                key, shown = self.toggle(column, row["value"])
                # the value's filter as this facet writes it, or as Datasette's does
                chosen = [(k, shown) for k in dict.fromkeys((key, self.datasettes_key(column)))
                          if (k, shown) in pairs]
                selected = bool(chosen)
                path = path_with_removed_args(self.request, dict(chosen)) if selected \
                    else path_with_added_args(self.request, {key: shown})
                values.append({
                    "value": self.shown_value(row["value"]),
                    "label": self.shown_value(row["value"]),
                    "count": row["count"],
                    "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                    "selected": selected,
                })
            results.append({
                "name": column,
                "type": self.shown_type,
                "hideable": source_and_config["source"] != "metadata",
                "toggle_url": self.ds.urls.path(
                    path_with_removed_args(self.request, {self.facet_toggle_arg(): column})),
                "results": values,
                "truncated": len(rows) > size,
            })
        return results, timed_out

    def shown_value(self, value: Any) -> Any:
        return value

    def datasettes_key(self, column: str) -> str:
        """The argument Datasette's own facet filters a value by."""
        return self.toggle(column, "")[0]


class CountedFacet(_Counted, ColumnFacet):
    """``counted: <column>``: Datasette's column facet, counted ahead on the practitioners."""

    type = "counted"

    async def suggest(self):
        return []

    def live_sql(self, column: str, limit: int) -> str:
        col = escape_sqlite(column)
        return (f"select {col} as value, count(*) as count from ({self.sql}) "
                f"where {col} is not null group by {col} order by count desc, value "
                f"limit {limit}")

    def toggle(self, column: str, value: Any) -> tuple[str, str]:
        return (f"{column}__exact" if column.startswith("_") else column), str(value)

    def facet_toggle_arg(self) -> str:
        return "_facet_counted"


class CountedArrayFacet(_Counted, ArrayFacet):
    """``counted_array: <column>``: Datasette's array facet (each item of a JSON list, once a
    row), counted ahead on the practitioners."""

    type = "counted_array"
    shown_type = "array"

    async def suggest(self):
        return []

    def live_sql(self, column: str, limit: int) -> str:
        # Datasette's own (its issue 448): each item once per row, then counted; but a value
        # that is not JSON counts for nothing (Datasette's fails the whole page on it, 400
        # "malformed JSON") and a null in a list is no specialty, as the triggers count them.
        col = escape_sqlite(column)
        return (f"with inner as ({self.sql}), deduped_array_items as (select distinct j.value, "
                f"inner.* from inner, json_each(case when json_valid([inner].{col}) "
                f"then [inner].{col} end) j where j.value is not null) "
                "select value as value, count(*) as count from deduped_array_items "
                f"group by value order by count(*) desc, value limit {limit}")

    def toggle(self, column: str, value: Any) -> tuple[str, str]:
        if self.table == TABLE and column == "specialties":
            return SPECIALTY_ARG, str(value)
        return f"{column}__arraycontains", str(value)

    def datasettes_key(self, column: str) -> str:
        return f"{column}__arraycontains"

    def facet_toggle_arg(self) -> str:
        return "_facet_counted_array"

    def shown_value(self, value: Any) -> Any:
        return str(value)


@hookimpl
def register_facet_classes():
    return [CountedFacet, CountedArrayFacet]


# The page being answered, per HTTP request (asgi_wrapper): filters_from_request notes there the
# request of a practitioners table page, so that the page's count of rows can be read from the
# counts (counted_execute) where Datasette would count the rows themselves.
_PAGE: ContextVar[dict[str, Any] | None] = ContextVar("facet_counts_page", default=None)
COUNT_SQL = f"select count(*) from {escape_sqlite(TABLE)} "  # Datasette's, for this table
# A specialty's page is read one of two ways, whichever the counts say reads fewer rows: its
# practitioners' rows, then sorted (the fewer they are, the better), or the page's index in
# order (by state, by standing or by name) until a page of them is found (the more of the
# index's rows are theirs, the sooner).
PAGE_ROWS = 26  # Datasette reads a page (metadata.yml: 25) and one more


@hookimpl
def filters_from_request(request, database, table, datasette):
    """``?_specialty=`` on the practitioners (several: all of them), through
    practitioner_specialties; and, for every practitioners page, notes the page (_PAGE)."""
    if table != TABLE:
        return None
    cell = summary_cell(parse_qsl(request.query_string, keep_blank_values=True))
    holder = _PAGE.get()
    if holder is not None:
        holder.update(request=request, database=database, cell=cell)
    wanted = request.args.getlist(SPECIALTY_ARG)  # "" too: a list may hold it, as Datasette's
    if not wanted:
        return None

    async def inner() -> FilterArguments:
        db = datasette.get_database(database)
        # A database not migrated since m025 (served as it was left) reads the lists instead.
        listed = await db.table_exists("practitioner_specialties")
        sorted_by_name = not ({"_sort", "_sort_desc"} & set(request.args))  # metadata.yml
        walk = (listed and sorted_by_name and cell is not None
                and await _walk_the_index(db, cell))
        clauses, params, said = [], {}, []
        for i, value in enumerate(dict.fromkeys(wanted)):
            if walk:
                clause = ("exists (select 1 from practitioner_specialties s where s.specialty = "
                          f":specialty_{i} and s.practitioner_id = {TABLE}.practitioner_id)")
            elif listed:
                clause = ("practitioner_id in (select practitioner_id from "
                          f"practitioner_specialties where specialty = :specialty_{i})")
            else:
                clause = (f":specialty_{i} in (select j.value from json_each(case when "
                          f"json_valid({TABLE}.specialties) then {TABLE}.specialties end) as j "
                          "where j.type in ('text', 'object', 'array'))")
            clauses.append(clause)
            params[f"specialty_{i}"] = value
            said.append(f'specialties contains "{value}"')  # as Datasette says it
        return FilterArguments(clauses, params, said)

    return inner


# The indexes that give a page's rows by name (the table's sort) within its filters, those
# of most filters first, as SQLite picks them from the statistics (db/migrations.py: m024,
# m027 and before).
BY_NAME = (("state", "standing"), ("state", "excluded"), ("state",), ("standing",),
           ("license_status",),
           *((flag,) for flag in FLAG_DIMENSIONS), ())


async def _walk_the_index(db, cell: dict[str, str]) -> bool:
    """Whether a page of one specialty (and a cell), in the table's order, is found sooner
    walking an index by name within its filters, asking of each row whether it lists the
    specialty, than reading all who list it and sorting them. Only on a page whose count of
    rows comes from the counts: counting by the walk would read the whole index."""
    walk = next(dims for dims in BY_NAME if set(dims) <= set(cell))
    params = {c: v for c, v in cell.items() if c != SPECIALTY_ARG}
    where = _equal(params)
    params["specialty"] = cell[SPECIALTY_ARG]
    try:
        row = (await db.execute(
            f"select (select sum(n) from {SUMMARY} where facet = '' and {_equal(walk)}) "
            f"as walked, (select sum(n) from {SPECIALTY_SUMMARY} where facet = '' and "
            f"specialty = :specialty and {where}) as theirs, (select sum(n) from "
            f"{SPECIALTY_SUMMARY} where facet = '' and specialty = :specialty) as listing",
            params)).first()
    except sqlite3.OperationalError:
        return False
    walked, theirs, listing = (row[0] or 0, row[1] or 0, row[2] or 0)
    # rows walked until a page of theirs is found (all of the walk when there are fewer),
    # against the rows of all who list it, each read and sorted
    return min(walked, PAGE_ROWS * walked / max(theirs, 1)) < listing


async def _known_count(datasette, name: str, sql: str, params) -> int | None:
    """The count of rows of the practitioners page being answered, from the counts, when
    ``sql`` is Datasette's count of that page and its filters are a cell of the counts."""
    holder = _PAGE.get()
    if not holder or holder.get("database") != name or not isinstance(params, dict):
        return None
    request, cell = holder["request"], holder["cell"]
    if cell is None:
        return None
    where = sql[len(COUNT_SQL):].strip()
    # Datasette's count of exactly this page: its filters' values bound, and nothing else
    if (where and not where.startswith("where ")) or bool(where) != bool(cell) or sorted(
            map(str, params.values())) != sorted(cell.values()):
        return None
    counts = await page_counts(datasette, name, request, cell)
    if counts is None:
        return None
    return sum(row["count"] for row in counts[""])


# Datasette 0.65's first page of a table sorted by a column: ties are in whatever order SQLite
# reads them, where the next pages (?_next=) sort them by the primary key: a person could be
# on no page, or on two.
FIRST_PAGE = re.compile(
    rf"(select .* from {TABLE} .*order by (?:\w+|\[[^\]]*\])(?: desc)?)( limit \d+)", re.S)


def _ties_by_key(name: str, sql: str) -> str:
    """The first page of the practitioners table being answered, its ties sorted as the
    next pages sort them (by practitioner_id)."""
    holder = _PAGE.get()
    if not holder or holder.get("database") != name:
        return sql
    first = FIRST_PAGE.fullmatch(sql)
    return f"{first[1]}, practitioner_id{first[2]}" if first else sql


def counted_execute(datasette, name: str, execute):
    """``execute`` of database ``name``, answering Datasette's count of a practitioners page
    whose filters are a cell of the counts from the counts (_known_count), and sorting the
    first page's ties as the next pages do (_ties_by_key)."""
    async def counted(sql, params=None, *args, **kwargs):
        if not args and not kwargs and sql.startswith(COUNT_SQL):
            total = await _known_count(datasette, name, sql, params)
            if total is not None:
                return Results([(total,)], False, [("count(*)",)])
        elif kwargs.get("truncate") and sql.startswith("select "):
            sql = _ties_by_key(name, sql)
        return await execute(sql, params, *args, **kwargs)
    counted.counted_rows = True  # type: ignore[attr-defined]
    return counted


@hookimpl
def startup(datasette):
    for name, db in datasette.databases.items():
        if not getattr(db.execute, "counted_rows", False):
            db.execute = counted_execute(datasette, name, db.execute)


@hookimpl
def asgi_wrapper(datasette):
    """A fresh _PAGE for each HTTP request."""
    def wrap(app):
        async def with_page(scope, receive, send):
            token = _PAGE.set({} if scope.get("type") == "http" else None)
            try:
                await app(scope, receive, send)
            finally:
                _PAGE.reset(token)
        return with_page
    return wrap
