"""The practitioners table page's facets, read from counts kept as the rows are written.

At a million practitioners, Datasette's facets group every row of the page once per facet:
eight group-bys took 2 s on the page a person opens first (issue 16). Migration m020 keeps
``practitioner_facet_counts`` (by license status too since m024): for each state, standing and
license status, how many practitioners have each value of each facet column (and each specialty
of their list), written by triggers in the transaction that writes the practitioner, so it is
never behind the table.

metadata.yml names the practitioners' facets ``counted: <column>`` (and ``counted_array:`` for
the list of specialties). On a page whose only filters are ``state=``, ``standing=`` and
``license_status=`` (none, some or all, one value each), their counts come from that table;
on any other page (another filter, a search, ``_where=``...), or for a column the table does
not count, they are grouped live, as Datasette does, within ``facet_time_limit_ms``. Either
way the facet looks and links as Datasette's own (values, counts, order, the same toggle links,
"array" beside the specialties), and a facet the visitor asks for (``?_facet=``) is Datasette's
own, grouped live.

One difference, on the side of the truth: on the pages after the first (``?_next=``),
Datasette 0.65 groups only the rows after the page's cursor; counted facets count every row
the filters keep, as the first page does and as the page's count of rows says.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from typing import Any

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import ArrayFacet, ColumnFacet, Facet
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

from db.migrations import FACET_COUNT_DIMENSIONS, PRACTITIONER_ARRAY_FACETS, PRACTITIONER_FACETS

SUMMARY = "practitioner_facet_counts"
SPECIALTY_SUMMARY = "practitioner_specialty_facet_counts"
TABLE = "practitioners"
# ``?_specialty=facial+acupuncture``: the practitioners who list that specialty, read from
# practitioner_specialties (migration m025) where ``specialties__arraycontains`` reads every
# list; the same rows. Its pages, alone or with a state and a standing, read their facets from
# the counts by specialty, state and standing ("facial acupuncture in good standing").
SPECIALTY_ARG = "_specialty"
SPECIALTY_DIMENSIONS = ("state", "standing")
DIMENSIONS = FACET_COUNT_DIMENSIONS  # state, standing, license status
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
    """The ``{column: value}`` of state, standing and license status a page is filtered by,
    when those (one value each, not empty) are its only filters; or, for a page of one
    specialty (``_specialty``), of the specialty, state and standing. None when it asks for
    anything else."""
    cell: dict[str, str] = {}
    for key, value in pairs:
        if key in NEUTRAL_ARGS:
            continue
        if key not in (*DIMENSIONS, SPECIALTY_ARG) or key in cell or (
                value == "" and key != SPECIALTY_ARG):  # a specialty may be "", as listed
            return None
        cell[key] = value
    if SPECIALTY_ARG in cell and not set(cell) <= {SPECIALTY_ARG, *SPECIALTY_DIMENSIONS}:
        return None
    return cell


async def summary_counts(ds, database: str,
                         cell: dict[str, str]) -> dict[str, list[dict[str, Any]]] | None:
    """``{facet: [{"value", "count"}]}`` of every counted facet for the practitioners in
    ``cell``, most first, as Datasette's group-by orders them (one query for all of them);
    None when the database has no counts (made before migration m020)."""
    table, params = SUMMARY, dict(cell)
    if SPECIALTY_ARG in params:
        table, params["specialty"] = SPECIALTY_SUMMARY, params.pop(SPECIALTY_ARG)
    where = " and ".join(f"{c} = :{c}" for c in params) or "1"
    try:
        result = await ds.get_database(database).execute(
            f"select facet, value, sum(n) as count from {table} where {where} "
            "group by facet, value having sum(n) > 0 order by facet, count desc, value",
            params, truncate=False, custom_time_limit=ds.setting("facet_time_limit_ms"))
    except sqlite3.OperationalError as error:
        if "no such table" in str(error) or "no such column" in str(error):
            return None  # a database from before the counts (m020, m024, m025)
        raise
    counts: dict[str, list[dict[str, Any]]] = {facet: [] for facet in COUNTED}
    for row in result.rows:
        if row["facet"] in counts:
            counts[row["facet"]].append({"value": row["value"], "count": row["count"]})
    return counts


# A page's counts, asked once for all its counted facets (column and array facets are two
# instances, run side by side): by request, forgotten with it.
_ASKED: weakref.WeakKeyDictionary[Any, asyncio.Future] = weakref.WeakKeyDictionary()


class _Counted(Facet):
    """What the column and array facets share: where their rows come from."""

    shown_type = "column"

    async def _rows(self, column: str, limit: int) -> list[dict[str, Any]]:
        cell = None
        if self.table == TABLE:
            cell = summary_cell(self.get_querystring_pairs())
        if cell is not None and column in COUNTED:
            asked = _ASKED.get(self.request)
            if asked is None:
                asked = _ASKED[self.request] = asyncio.ensure_future(
                    summary_counts(self.ds, self.database, cell))
            counts = await asked
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


@hookimpl
def filters_from_request(request, database, table, datasette):
    """``?_specialty=`` on the practitioners (several: all of them), through
    practitioner_specialties."""
    if table != TABLE:
        return None
    wanted = request.args.getlist(SPECIALTY_ARG)  # "" too: a list may hold it, as Datasette's
    if not wanted:
        return None

    async def inner() -> FilterArguments:
        # A database not migrated since m025 (served as it was left) reads the lists instead.
        listed = await datasette.get_database(database).table_exists("practitioner_specialties")
        clauses, params, said = [], {}, []
        for i, value in enumerate(dict.fromkeys(wanted)):
            clauses.append(
                "practitioner_id in (select practitioner_id from practitioner_specialties "
                f"where specialty = :specialty_{i})" if listed else
                f":specialty_{i} in (select j.value from json_each(case when json_valid("
                f"{TABLE}.specialties) then {TABLE}.specialties end) as j "
                "where j.type in ('text', 'object', 'array'))")
            params[f"specialty_{i}"] = value
            said.append(f'specialties contains "{value}"')  # as Datasette says it
        return FilterArguments(clauses, params, said)

    return inner
