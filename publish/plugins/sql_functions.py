"""SQL functions for the canned queries: distances in miles, ZIP code coordinates, safe search.

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
"""

from __future__ import annotations

import math
import re
import sqlite3
from functools import cache

from datasette import hookimpl
from datasette.utils import tilde_encode

EARTH_RADIUS_MILES = 3958.8
ZIP_RE = re.compile(r"^\s*(\d{3,5})(?:-\d{4})?\s*$")


def _number(value) -> float | None:
    if value is None or isinstance(value, bytes):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def distance_miles(lat1, lon1, lat2, lon2) -> float | None:
    points = [_number(v) for v in (lat1, lon1, lat2, lon2)]
    if any(p is None for p in points):
        return None
    phi1, lam1, phi2, lam2 = (math.radians(p) for p in points)
    h = (math.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * math.cos(phi2) * math.sin((lam2 - lam1) / 2) ** 2)
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


@cache
def zip_points() -> dict[str, tuple[float, float]]:
    """ZIP -> (latitude, longitude), built once, on first use (about half a second)."""
    import zipcodes

    return {z["zip_code"]: (float(z["lat"]), float(z["long"])) for z in zipcodes.list_all()
            if z.get("lat") and z.get("long")}


def zip_point(value) -> tuple[float, float] | None:
    """Accepts 98101, '98101-1234' and ZIPs that lost their leading zero (2139 for 02139)."""
    if value is None or isinstance(value, bytes | float):
        return None
    match = ZIP_RE.match(str(value))
    return zip_points().get(match.group(1).zfill(5)) if match else None


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
        conn.create_function("cos", 1, lambda x: None if _number(x) is None
                             else math.cos(_number(x)), deterministic=True)
        conn.create_function("radians", 1, lambda x: None if _number(x) is None
                             else math.radians(_number(x)), deterministic=True)
