"""What every connection Datasette opens gets: SQL functions for the canned queries (distances in
miles, ZIP code coordinates, safe search), and limits on the memory one query may take.

- ``distance_miles(lat1, lon1, lat2, lon2)``: great-circle (haversine) distance in miles; NULL
  when any argument is NULL or not a number.
- ``zip_lat(zip)`` / ``zip_lon(zip)``: the coordinates of a US ZIP code from the ``zipcodes``
  package's own data (shipped with it: nothing is downloaded); NULL for an unknown ZIP.
- ``search_terms(text)``: what a person typed turned into an FTS5 query that cannot be a syntax
  error: each word quoted (operators and punctuation are just text), the last one matched as a
  prefix, since it may be unfinished. NULL for blank text (FTS5 reads ``MATCH NULL`` as a
  syntax error, so the search query skips the match when this is NULL).
- ``row_url(table, key)``: the path of a row's page on this site (``/<database>/<table>/<key>``,
  the key tilde-encoded, under Datasette's base_url); NULL when either is NULL. The Atom feed of
  ``status_changes`` links each entry to the practitioner's page with it: feed readers resolve
  the path against the feed's own address.
- ``tilde_encode(text)``: Datasette's tilde encoding (``WA:AC:1`` -> ``WA~3AAC~3A1``), for keys
  that go into a URL or an Atom entry id (OIG's exclusion ids hold names, spaces and ``|``).
- ``cos`` and ``radians``, only where SQLite was built without its math functions, so the
  bounding box in ``near_zip`` works on every build.

Limits (issue 14). Anyone may run their own read-only SQL on the published site (``?sql=``). The
time limit does not bound memory: ``select randomblob(50000000)`` a few times took the process
from 211 MB to 1.3 GB. Each connection gets the limits in the config ``plugins: sql_limits``
(written by publish/app.py from ``SQL_LIMITS``):

- ``max_value_bytes``: SQLite's length limit (``SQLITE_LIMIT_LENGTH``). No string or blob,
  computed or read, may be longer: the query fails with "string or blob too big".
- ``max_sql_bytes``: the longest statement (``SQLITE_LIMIT_SQL_LENGTH``).
- ``max_result_bytes``: the values of the rows one query hands to Python, counted as they are
  fetched (``max_returned_rows`` caps how many). Past it the query fails with "result too large".
- ``hard_heap_limit_bytes``: all the memory SQLite may hold in the process
  (``PRAGMA hard_heap_limit``, SQLite >= 3.31): what the length limit leaves open, such as one
  row of 2,000 columns each just under it. A query that needs more fails with SQLite's "out of
  memory", which ``handle_exception`` answers with an error page (400) instead of a crash (500).
  The limit is the process's, not a connection's: publish/app.py sets it in the served process
  only, never in a test process whose other databases it would bind.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import weakref
from collections.abc import Callable
from pathlib import Path

from datasette import hookimpl
from datasette.utils import tilde_encode

from scraper.geo import zip_point

EARTH_RADIUS_MILES = 3958.8
DATASETTE_DATABASE_PY = Path("datasette") / "database.py"


def _number(value) -> float | None:
    if value is None or isinstance(value, bytes):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _of_number(function: Callable[[float], float]) -> Callable[[object], float | None]:
    """``function`` as an SQL function: NULL for a value that is not a finite number."""
    def of(value: object) -> float | None:
        number = _number(value)
        return None if number is None else function(number)
    return of


def distance_miles(lat1, lon1, lat2, lon2) -> float | None:
    points = [n for v in (lat1, lon1, lat2, lon2) if (n := _number(v)) is not None]
    if len(points) < 4:
        return None
    phi1, lam1, phi2, lam2 = (math.radians(p) for p in points)
    h = (math.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * math.cos(phi2) * math.sin((lam2 - lam1) / 2) ** 2)
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def zip_lat(value) -> float | None:
    point = zip_point(value)
    return point[0] if point else None


def zip_lon(value) -> float | None:
    point = zip_point(value)
    return point[1] if point else None


def search_terms(text) -> str | None:
    if not isinstance(text, str):
        return None
    words = [w for w in text.split() if re.search(r"\w", w)]
    if not words:
        return None
    quoted = ['"{}"'.format(w.replace('"', '""')) for w in words]
    return " ".join(quoted) + "*"  # the last word may be unfinished: "lee par" finds Lee-Park


def _has_function(conn, sql: str) -> bool:
    try:
        conn.execute(sql).fetchone()
    except sqlite3.OperationalError:  # no such function
        return False
    return True


def row_url(datasette, database: str, table, key) -> str | None:
    if table is None or key is None:
        return None
    return str(datasette.urls.row(database, str(table), tilde_encode(str(key))))


# --- limits ----------------------------------------------------------------------------------

class ResultTooLarge(sqlite3.OperationalError):
    """An OperationalError, so that every Datasette view shows it as an error page."""


def rendered_size(value: object) -> int:
    """About how many bytes a value takes in Datasette's JSON, its largest rendering: a text
    as escaped JSON (an emoji is 12 bytes there, "\\ud83d\\ude00"; a control character 6), a
    blob in base64, any other value 8. Counting characters instead let one query of 10 M
    emoji-heavy characters answer 117 MB (review of issue 14)."""
    if isinstance(value, str):
        if value.isascii() and value.isprintable():  # only a quote and a backslash are escaped
            return len(value) + 2 + value.count('"') + value.count("\\")
        return len(json.dumps(value))
    if isinstance(value, bytes):
        return len(value) * 4 // 3 + 32
    return 8


def result_capped_rows(max_result_bytes: int):
    """A row factory making Datasette's ``sqlite3.Row``s that fails once the rows a cursor has
    fetched would take more than ``max_result_bytes`` in JSON (``rendered_size``)."""
    fetched: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def row_factory(cursor, values):
        size = fetched.get(cursor, 0) + sum(rendered_size(v) for v in values)
        if size > max_result_bytes:
            raise ResultTooLarge(
                f"result too large: its rows hold over {max_result_bytes:,} bytes, the most one "
                "query may return here; ask for fewer rows or shorter values")
        fetched[cursor] = size
        return sqlite3.Row(cursor, values)

    return row_factory


def _sqlite_out_of_memory(exception: BaseException) -> bool:
    """A MemoryError raised where Datasette runs a query: SQLite's SQLITE_NOMEM, which Python's
    sqlite3 turns into MemoryError (not a DatabaseError, so Datasette would answer 500)."""
    if not isinstance(exception, MemoryError):
        return False
    tb = exception.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and Path(tb.tb_frame.f_code.co_filename).match(
        f"*/{DATASETTE_DATABASE_PY}")


@hookimpl
def handle_exception(datasette, request, exception):
    if not _sqlite_out_of_memory(exception):
        return None
    from datasette.handle_exception import handle_exception as datasette_error_page
    from datasette.views.base import DatasetteError

    limit = (datasette.plugin_config("sql_limits") or {}).get("hard_heap_limit_bytes")
    message = ("This query needs more memory than the site lets queries use"
               + (f" ({int(limit):,} bytes in all)" if limit else "")
               + ": ask for fewer rows, fewer columns or shorter values.")
    return datasette_error_page(datasette, request, DatasetteError(
        message, title="Query needs too much memory", status=400))


@hookimpl
def prepare_connection(conn, database, datasette):
    conn.create_function("distance_miles", 4, distance_miles, deterministic=True)
    conn.create_function("zip_lat", 1, zip_lat, deterministic=True)
    conn.create_function("zip_lon", 1, zip_lon, deterministic=True)
    conn.create_function("search_terms", 1, search_terms, deterministic=True)
    conn.create_function("row_url", 2, lambda table, key: row_url(datasette, database, table, key),
                         deterministic=True)
    conn.create_function("tilde_encode", 1, lambda text: None if text is None
                         else tilde_encode(str(text)), deterministic=True)
    if not _has_function(conn, "select cos(radians(0))"):
        conn.create_function("cos", 1, _of_number(math.cos), deterministic=True)
        conn.create_function("radians", 1, _of_number(math.radians), deterministic=True)
    config = datasette.plugin_config("sql_limits") or {}
    if "max_value_bytes" in config:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, int(config["max_value_bytes"]))
    if "max_sql_bytes" in config:
        conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, int(config["max_sql_bytes"]))
    if "max_result_bytes" in config:
        conn.row_factory = result_capped_rows(int(config["max_result_bytes"]))
    if "hard_heap_limit_bytes" in config:
        conn.execute(f"pragma hard_heap_limit = {int(config['hard_heap_limit_bytes'])}")
