"""Atom feeds (``.atom``): datasette-atom's, and a valid empty feed where it would fail.

datasette-atom 0.9 turns a query returning atom_id, atom_title, atom_updated (and atom_content,
atom_link...) into an Atom feed, but answers a query with no rows with a 500 error: it takes the
feed's updated time from the newest row (2026-11: ``max()`` of an empty sequence). A quiet week
is normal for ``status_changes?since=...``, and a feed reader must not see it as a broken feed.
So this plugin registers the ``atom`` renderer after datasette-atom's (``trylast``: the last
renderer registered for an extension is the one used) and answers an empty result itself, with a
feed that has no entries, titled as datasette-atom titles it and updated when the last scrape
run finished (nothing can have changed since). A result with rows goes to datasette-atom
unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime

import datasette_atom
from datasette import __version__, hookimpl
from datasette.utils.asgi import Response
from feedgen.feed import FeedGenerator


def _title(datasette, database: str, query_name: str | None, sql: str | None) -> str:
    if query_name:
        query = (datasette.metadata(database=database) or {}).get("queries", {}).get(query_name)
        if isinstance(query, dict) and query.get("title"):
            return query["title"]
    return sql or "Datasette"


async def _last_run_finished(datasette, database: str) -> str | None:
    db = datasette.get_database(database)
    if not await db.table_exists("scrape_runs"):
        return None
    return (await db.execute("select max(finished_at) from scrape_runs")).first()[0]


async def _empty_feed(datasette, request, database, query_name, sql) -> Response:
    feed = FeedGenerator()
    feed.generator(generator="Datasette", version=__version__,
                   uri="https://github.com/simonw/datasette")
    feed.id(request.url)
    feed.link(href=request.url, rel="self")
    feed.title(_title(datasette, database, query_name, sql))
    feed.updated(await _last_run_finished(datasette, database) or datetime.now(UTC))
    return Response(feed.atom_str(pretty=True), content_type="application/xml; charset=utf-8",
                    status=200)


def render_atom(datasette, request, sql, columns, rows, database, table, query_name,
                view_name, data):
    if rows or not datasette_atom.REQUIRED_COLUMNS.issubset(columns):
        return datasette_atom.render_atom(datasette, request, sql, columns, rows, database,
                                          table, query_name, view_name, data)
    return _empty_feed(datasette, request, database, query_name, sql)


@hookimpl(trylast=True)
def register_output_renderer(datasette):
    return {"extension": "atom", "render": render_atom,
            "can_render": datasette_atom.can_render_atom}
