"""The front door: one form on the home page, and its results as cards at ``/-/find``.

The home page (``templates/index.html``) opens on one form: what (a name, or words such as
"facial", "cosmetic", "fertility"), where (a ZIP, or a city and state), how far (10 miles unless
chosen), and "in good standing only" (checked). It submits with a plain GET, no JavaScript, to

    /-/find?q=<what>&where=<where>&miles=<miles>&good=1[&page=<n>]

(``good=1`` only when the box is checked; a bare ``/-/find`` shows the empty form, checked).
That page (``templates/find.html``) shows the form filled in and the practitioners found, nearest
first when a place is given, else the best matches first (``practitioner_search`` and
``practitioner_search_places``, built at each linking by scraper/search_index.py, which also reads
the words: a ZIP or "City, ST" typed among them is the place). Each card: name and
credentials, distance, address, phone, website (http(s) only, passing no ranking or referrer),
the standing (scraper/standing.py's label, the reason with its date, as linking computed it),
NCCAOM certification, the specialties, each linking to the sentence that claims it on the
practitioner page (``#specialty-<tag>``), and "verify with the board" (the linked licenses'
``verify_url``). Every card links to the practitioner page.

A place that cannot be found (an unknown ZIP, a city not in that state, a city in several states)
is said, with the places it could be. Below the form, the home page lists every table and
canned query of the site. Every value is escaped by Jinja's autoescaping; nothing scraped goes
into an href unless it is http(s).
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
from typing import Any
from urllib.parse import urlencode, urlsplit

from datasette import hookimpl
from datasette.utils import sqlite_timelimit, tilde_encode
from datasette.utils.asgi import Response

from scraper.search_index import (
    MAX_MILES,
    PLACES,
    TABLE,
    Place,
    PlaceError,
    matched_tags,
    read_place,
    read_query,
)
from scraper.specialties import specialty_anchor
from scraper.standing import LABELS

FIND_PATH = "/-/find"
PRACTITIONERS = "practitioners"
MILES_CHOICES = (1, 5, 10, 25, 50, 100)
DEFAULT_MILES = 10.0
PAGE_SIZE = 25
RANKED_MAX = 5000  # more matches than this are not ranked (bm25 would take over 20 ms)
SEEK_COST = 125  # a seek in the full-text index costs as much as listing this many matches
MAX_PAGE = 40  # 1,000 results, as Datasette's max_returned_rows
# The SQL's distance is between ZIP centres: a degree of latitude is a little over 68 miles, so
# the box around the circle is a little large, and the (latitude, longitude) index skips the rest.
MILES_PER_DEGREE = 68.0
CARD_COLUMNS = ("practitioner_id", "display_name", "credentials", "practice_name", "address",
                "city", "state", "zip", "phone", "certified", "standing", "standing_reason",
                "standing_as_of")
DIRECTIONS = {"N", "S", "E", "W", "NE", "NW", "SE", "SW", "PO"}


def http_url(value: Any) -> str | None:
    """A scraped URL fit for an href: http(s) only, never javascript: or data:."""
    if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
        return value.strip()
    return None


def host_of(url: str | None) -> str | None:
    try:
        return urlsplit(url).hostname if url else None
    except ValueError:
        return None


def readable(text: str | None) -> str | None:
    """An address or city in capitals as a person writes it: "2661 LINCOLN AVE, STE 3" ->
    "2661 Lincoln Ave, Ste 3" ("3RD" -> "3rd"; NE, PO stay). Mixed case is left alone."""
    if not text or text != text.upper():
        return text
    words = []
    for word in text.split(" "):
        bare = word.strip(",.#")
        if bare in DIRECTIONS or not bare.isalpha() and not any(c.isdigit() for c in bare):
            words.append(word)
        elif any(c.isdigit() for c in bare):
            words.append(word.lower())
        else:
            words.append(word.capitalize())
    return " ".join(words)


def tel_href(phone: str | None) -> str | None:
    digits = "".join(c for c in phone or "" if c.isdigit())
    return f"tel:+1{digits[-10:]}" if len(digits) >= 10 else None


class Form:
    """The form's values as submitted (a plain class: Datasette loads plugins outside
    sys.modules, where a dataclass cannot be made)."""

    def __init__(self, q: str = "", where: str = "", miles: float = DEFAULT_MILES,
                 good: bool = True, page: int = 1, submitted: bool = False):
        self.q, self.where, self.miles, self.good = q, where, miles, good
        self.page, self.submitted = page, submitted

    @classmethod
    def read(cls, args) -> Form:
        submitted = "q" in args or "where" in args
        try:
            miles = float(args.get("miles") or DEFAULT_MILES)
        except ValueError:
            miles = DEFAULT_MILES
        if not math.isfinite(miles) or miles <= 0:
            miles = DEFAULT_MILES
        try:
            page = min(max(int(args.get("page") or 1), 1), MAX_PAGE)
        except ValueError:
            page = 1
        return cls(q=(args.get("q") or "")[:200], where=(args.get("where") or "")[:100],
                   miles=min(miles, MAX_MILES), good=args.get("good") == "1" if submitted else True,
                   page=page, submitted=submitted)

    def params(self, **changes: Any) -> dict[str, str]:
        values = {"q": self.q, "where": self.where, "miles": self.miles, "good": self.good,
                  "page": 1, **changes}
        out = {"q": values["q"], "where": values["where"], "miles": _miles_text(values["miles"])}
        if values["good"]:
            out["good"] = "1"
        if values["page"] > 1:
            out["page"] = str(values["page"])
        return out

    def miles_choices(self) -> list[tuple[str, bool]]:
        choices = sorted({*MILES_CHOICES, self.miles})
        return [(_miles_text(m), m == self.miles) for m in choices]


def _miles_text(miles: float) -> str:
    return f"{miles:g}"


async def directory_database(datasette) -> str | None:
    """The first database that holds the practitioners."""
    for name, db in datasette.databases.items():
        if name != "_internal" and await db.table_exists(PRACTITIONERS):
            return name
    return None


# --- the search ---------------------------------------------------------------------------------

class Found:
    def __init__(self, rows: list[dict[str, Any]], more: bool, any_word: bool = False,
                 ranked: bool = True):
        self.rows, self.more = rows, more
        self.any_word = any_word  # no one matched every word: these match some of them
        self.ranked = ranked  # too many matches to rank: listed as the index has them
        self.records: dict[str, Any] = {}  # what the cards show beside the rows (card_records)


# Every statement of a search runs in one call on Datasette's connection (execute_fn, one hop
# to its SQL thread; each db.execute is one), within the site's time limit.

def search(conn, query, *, place: Place | None, miles: float, good: bool, page: int,
           page_size: int = PAGE_SIZE) -> Found:
    """The practitioners for the query's words and place: nearest first with a point, else best
    match first, else by city and name. ``page_size + 1`` are read to tell whether there are
    more. The words are tried whole, then with the last as a prefix, then any of them
    (``Query.attempts``), until one finds someone: the same one on every page."""
    attempts = query.attempts()
    for i, (fts, any_word) in enumerate(attempts):
        found = _search(conn, fts, place=place, miles=miles, good=good, page=page,
                        page_size=page_size)
        found.any_word = any_word and bool(found.rows)
        if found.rows or i == len(attempts) - 1:
            break
        if page > 1 and _search(conn, fts, place=place, miles=miles, good=good, page=1,
                                page_size=1).rows:
            break  # this one finds someone, only not as far as this page
    found.records = card_records(conn, found.rows)
    return found


def _has_math(conn) -> bool:
    """Whether SQLite has its own math functions (SQLITE_ENABLE_MATH_FUNCTIONS)."""
    if "math" not in _MATH:
        try:
            conn.execute("select asin(0.5), sin(1), sqrt(4), pow(2, 2), cos(radians(1))")
            _MATH["math"] = True
        except sqlite3.OperationalError:  # no such function
            _MATH["math"] = False
    return _MATH["math"]


_MATH: dict[str, bool] = {}


def _distance_sql(conn) -> str:
    """The haversine distance in miles from (:lat, :lon) to (g.latitude, g.longitude), in
    SQLite's own math functions where it has them (a tenth of the time of a Python function
    called for each of thousands of rows), else with distance_miles (sql_functions.py)."""
    if not _has_math(conn):
        return "distance_miles(:lat, :lon, g.latitude, g.longitude)"
    return ("2 * 3958.8 * asin(min(1, sqrt(pow(sin(radians(g.latitude - :lat) / 2), 2) "
            "+ cos(radians(:lat)) * cos(radians(g.latitude)) "
            "* pow(sin(radians(g.longitude - :lon) / 2), 2))))")


def _search(conn, fts: str | None, *, place: Place | None, miles: float, good: bool,
            page: int, page_size: int) -> Found:
    params: dict[str, Any] = {"limit": page_size + 1, "offset": (page - 1) * page_size}
    ranked = True
    if place is not None and place.has_point:
        # Only practitioner_search_places until the page: the box around the circle, the
        # circle, the standing, then the words for those left (a seek in the index each).
        assert place.lat is not None and place.lon is not None
        dlat = miles / MILES_PER_DEGREE
        dlon = miles / (MILES_PER_DEGREE * max(math.cos(math.radians(place.lat)), 0.05))
        params.update(lat=place.lat, lon=place.lon, miles=miles, lat0=place.lat - dlat,
                      lat1=place.lat + dlat, lon0=place.lon - dlon, lon1=place.lon + dlon)
        box = ("g.latitude between :lat0 and :lat1 and g.longitude between :lon0 and :lon1"
               + (" and g.standing = 'good'" if good else ""))
        words = ""
        if fts:
            params["fts"] = fts
            if _seek_each(conn, fts, box, params):
                words = (f"where exists (select 1 from {TABLE} s where s.rowid = near.id "
                         f"and {TABLE} match :fts)")
            else:
                words = f"where id in (select rowid from {TABLE} where {TABLE} match :fts)"
        sql = f"""
            with near as materialized (
                select id, name, distance from (
                    select g.id, g.name, {_distance_sql(conn)} as distance
                    from {PLACES} g where {box}
                ) where distance <= :miles
            )
            select id, distance from near {words}
            order by distance, name, id limit :limit offset :offset"""
    else:
        where = ["p.gone_at is null"]
        if good:
            where.append("p.standing = 'good'")
        if place is not None and place.state:
            where.append("p.state = :state")
            params["state"] = place.state
        if fts:
            params["fts"] = fts
            matches = conn.execute(
                f"select count(*) from (select rowid from {TABLE} where {TABLE} match :fts "
                "limit :most)", {"fts": fts, "most": RANKED_MAX + 1}).fetchone()[0]
            # bm25 reads every match's sizes: at thousands it is most of the time, and among so
            # many the ranking is mostly ties. Past RANKED_MAX, as the index lists them.
            ranked = matches <= RANKED_MAX
            sql = f"""
                select p.rowid as id, null as distance
                from {TABLE} s join practitioners p on p.rowid = s.rowid
                where {TABLE} match :fts and {" and ".join(where)}
                {"order by s.rank, p.display_name, p.rowid" if ranked else ""}
                limit :limit offset :offset"""
        else:
            sql = f"""
                select p.rowid as id, null as distance from practitioners p
                where {" and ".join(where)}
                order by p.city, p.display_name, p.rowid limit :limit offset :offset"""
    found = [(r[0], r[1]) for r in conn.execute(sql, params).fetchall()]
    page_ids = [i for i, _ in found[:page_size]]
    rows = {r["id"]: r for r in _in(
        conn, f"select rowid as id, {', '.join(CARD_COLUMNS)} from practitioners "
              "where rowid in ({ids})", page_ids)}
    out = [{**rows[i], "distance": d} for i, d in found[:page_size] if i in rows]
    return Found(out, len(found) > page_size, ranked=ranked)


def _seek_each(conn, fts: str, box: str, params: dict[str, Any]) -> bool:
    """Whether to look each practitioner near the place up in the index (a seek, about 50 us
    each, and much more for a prefix), rather than list every match of the words once (about
    0.4 us a match) and keep those near: "facial" near Manhattan is 2,400 seeks or 30,000
    matches at 1,000,000 practitioners (130 ms against 28 ms), near a Montana ZIP 17 seeks."""
    if "*" in fts:
        return False
    near = conn.execute(f"select count(*) from {PLACES} g where {box}", params).fetchone()[0]
    cap = near * SEEK_COST + 1
    matches = conn.execute(f"select count(*) from (select 1 from {TABLE} where {TABLE} match "
                           ":fts limit :cap)", {"fts": fts, "cap": cap}).fetchone()[0]
    return matches >= cap


def _in(conn, sql: str, ids: list) -> list[dict[str, Any]]:
    if not ids:
        return []
    cursor = conn.execute(sql.format(ids=", ".join("?" for _ in ids)), ids)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def card_records(conn, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The records linked to the practitioners found that the cards show: links, licenses
    (verify_url), providers and NCCAOM listings (website, certificates), specialty claims."""
    pids = [r["practitioner_id"] for r in rows]
    links = _in(conn, "select practitioner_id, record_table, record_id "
                      "from practitioner_links where practitioner_id in ({ids})", pids)
    by_table: dict[str, list[str]] = {}
    for link in links:
        by_table.setdefault(link["record_table"], []).append(link["record_id"])
    return {
        "links": links,
        "licenses": {r["license_id"]: r for r in _in(
            conn, "select license_id, jurisdiction, license_number, verify_url, gone_at "
                  "from licenses where license_id in ({ids})", by_table.get("licenses", []))},
        "providers": {r["npi"]: r for r in _in(
            conn, "select npi, website from providers where npi in ({ids})",
            by_table.get("providers", []))},
        "certifications": {r["profile_id"]: r for r in _in(
            conn, "select profile_id, certificates, website from certifications "
                  "where profile_id in ({ids})", by_table.get("certifications", []))},
        "tags": _in(conn, "select practitioner_id, tag, snippet from specialty_tags "
                          "where practitioner_id in ({ids}) order by tag", pids),
    }


def cards(datasette, database: str, found: Found, query) -> list[dict]:
    """What each card shows, from the practitioners found and their linked records."""
    rows, records = found.rows, found.records
    links, licenses = records.get("links", []), records.get("licenses", {})
    providers, certifications = records.get("providers", {}), records.get("certifications", {})
    tags: dict[str, dict[str, str | None]] = {}
    for tag in records.get("tags", []):
        tags.setdefault(tag["practitioner_id"], {})[tag["tag"]] = tag["snippet"]
    linked: dict[str, list[dict]] = {}
    for link in links:
        linked.setdefault(link["practitioner_id"], []).append(link)

    out = []
    for row in rows:
        pid = row["practitioner_id"]
        url = datasette.urls.row(database, PRACTITIONERS, tilde_encode(pid))
        mine = linked.get(pid, [])
        websites = [providers.get(link["record_id"], {}).get("website") for link in mine
                    if link["record_table"] == "providers"]
        websites += [certifications.get(link["record_id"], {}).get("website") for link in mine
                     if link["record_table"] == "certifications"]
        website = next((href for w in websites if (href := http_url(w))), None)
        certificates = sorted({c for link in mine if link["record_table"] == "certifications"
                               for c in (certifications.get(link["record_id"], {})
                                         .get("certificates") or "").split(", ") if c})
        verify, seen = [], set()
        for link in mine:
            lic = licenses.get(link["record_id"]) if link["record_table"] == "licenses" else None
            href = http_url((lic or {}).get("verify_url"))
            if lic is None or href is None or href in seen:
                continue
            seen.add(href)
            verify.append({"href": href, "host": host_of(href), "state": lic["jurisdiction"],
                           "number": lic["license_number"], "gone": bool(lic["gone_at"])})
        verify.sort(key=lambda v: (v["gone"], v["state"] or ""))
        claims = tags.get(pid, {})
        matched = set(matched_tags(query.words, claims, prefix_last=query.prefix_last))
        city = ", ".join(p for p in (readable(row["city"]), row["state"]) if p)
        label = LABELS.get(row["standing"] or "", "Standing not yet computed")
        reason = row["standing_reason"] or ""
        out.append({
            **row,
            "url": url,
            "name": row["display_name"],
            "street": readable(row["address"]),
            "place": " ".join(p for p in (city, row["zip"]) if p),
            "tel": tel_href(row["phone"]),
            "website": website,
            "website_host": host_of(website),
            "standing_label": label,
            # "In good standing per the WA board...": the label is not said twice
            "standing_text": reason[len(label):].lstrip(" ,:") if label and
            reason.lower().startswith(label.lower()) else reason,
            "certificates": certificates,
            "specialties": [{"tag": tag, "href": f"{url}#{specialty_anchor(tag)}",
                             "snippet": snippet, "matched": tag in matched}
                            for tag, snippet in claims.items()],
            "verify": verify,
        })
    return out


# --- pages --------------------------------------------------------------------------------------

async def browse_links(datasette, actor) -> list[dict]:
    """Every database with its visible tables and views and its canned queries."""
    out = []
    for name, db in datasette.databases.items():
        if name == "_internal":
            continue
        visible, _ = await datasette.check_visibility(
            actor, permissions=[("view-database", name), "view-instance"])
        if not visible:
            continue
        hidden = set(await db.hidden_table_names())
        tables = []
        for table in [*await db.table_names(), *await db.view_names()]:
            if table in hidden:
                continue
            visible, _ = await datasette.check_visibility(
                actor, permissions=[("view-table", (name, table)), ("view-database", name),
                                    "view-instance"])
            if visible:
                meta = datasette.table_metadata(name, table)
                tables.append({"name": table, "title": meta.get("title") or table,
                               "url": datasette.urls.table(name, table)})
        queries = []
        for query in (await datasette.get_canned_queries(name, actor)).values():
            visible, _ = await datasette.check_visibility(
                actor, permissions=[("view-query", (name, query["name"])),
                                    ("view-database", name), "view-instance"])
            if visible:
                queries.append({"name": query["name"], "title": query.get("title") or query["name"],
                                "url": datasette.urls.query(name, query["name"])})
        out.append({"name": name, "url": datasette.urls.database(name), "tables": tables,
                    "queries": queries})
    return out


def _summary(n: int, more: bool, form: Form, query, place: Place | None, page: int,
             ranked: bool = True) -> str:
    first = (page - 1) * PAGE_SIZE
    if n == 0 and page > 1:
        return "No more results: this page is past the last one."
    if more or page > 1:
        count = f"Practitioners {first + 1}–{first + n}"
    else:
        count = f"{n} practitioner{'' if n == 1 else 's'}"
    parts = [count]
    if form.good:
        parts.append("in good standing")
    if query.words:
        parts.append("matching “{}”".format(" ".join(query.words)))
    if place is not None and place.has_point:
        parts.append(f"within {_miles_text(form.miles)} miles of {place.label}")
        order = "nearest first"
    elif place is not None:
        parts.append(f"in {place.label}")
        order = "best matches first" if query.words else "by city and name"
    else:
        order = "best matches first"
    if not ranked:
        order = "as the index lists them"
    return " ".join(parts) + f", {order}."


async def find_page(datasette, request):
    form = Form.read(request.args)
    database = await directory_database(datasette)
    if database is None:
        return Response.html("No database of practitioners is served here.", status=404)
    await datasette.ensure_permissions(request.actor, [
        ("view-table", (database, PRACTITIONERS)), ("view-database", database), "view-instance"])
    context = await front_door_context(datasette, request, database, form)
    return Response.html(await datasette.render_template(
        "find.html", context, request=request, view_name="find"))


async def front_door_context(datasette, request, database: str, form: Form) -> dict[str, Any]:
    context: dict[str, Any] = {"form": form, "action": datasette.urls.path(FIND_PATH),
                               "searched": False, "database": database,
                               "metadata": datasette.metadata()}
    if not form.submitted:
        return context
    query = read_query(form.q, form.where)
    if query.miles is not None:
        form.miles = min(max(query.miles, 0.5), MAX_MILES)
    context.update(searched=True, query=query, problem=None, results=[], summary=None,
                   hints=[], any_word=False, next_url=None, previous_url=None)
    if query.problem is not None:
        context["problem"] = _problem(datasette, form, query.problem)
        return context
    if not query.words and query.place is None:
        context["problem"] = {"message": "Type a name, a specialty (facial, fertility, pain...) "
                                         "or a place (a ZIP code, or a city and its state).",
                              "suggestions": []}
        return context
    db = datasette.get_database(database)
    limit_ms = datasette.setting("sql_time_limit_ms")

    def work(conn) -> Found | None:
        if conn.execute("select 1 from sqlite_master where name = ?", [PLACES]).fetchone() is None:
            return None
        with sqlite_timelimit(conn, limit_ms):
            return search(conn, query, place=query.place, miles=form.miles, good=form.good,
                          page=form.page, page_size=PAGE_SIZE)

    try:
        found = await db.execute_fn(work)
    except sqlite3.OperationalError as error:
        if "interrupted" not in str(error):
            raise
        context["problem"] = {"message": "That search took too long. Add a place, or more "
                                         "words.", "suggestions": []}
        return context
    if found is None:
        context["problem"] = {"message": "The search index is not built yet: it is built when "
                                         "practitioners are linked (practitioners link).",
                              "suggestions": []}
        return context
    context["results"] = cards(datasette, database, found, query)
    context["any_word"] = found.any_word
    context["unranked"] = not found.ranked
    context["summary"] = _summary(len(found.rows), found.more, form, query, query.place,
                                  form.page, found.ranked)
    context["distance_note"] = query.place is not None and query.place.has_point
    base = datasette.urls.path(FIND_PATH) + "?"
    if found.more:
        context["next_url"] = base + urlencode(form.params(page=form.page + 1))
    if form.page > 1:
        context["previous_url"] = base + urlencode(form.params(page=form.page - 1))
    if not found.rows:
        context["hints"] = _hints(base, form, query)
    return context


def _problem(datasette, form: Form, error: PlaceError) -> dict[str, Any]:
    base = datasette.urls.path(FIND_PATH) + "?"
    return {"message": error.message,
            "suggestions": [{"label": s, "url": base + urlencode(form.params(where=s))}
                            for s in error.suggestions]}


def _hints(base: str, form: Form, query) -> list[dict[str, str]]:
    """Ways to widen a search that found no one."""
    hints = []
    if query.place is not None and query.place.has_point:
        wider = next((m for m in MILES_CHOICES if m > form.miles), None)
        if wider is not None:
            hints.append({"label": f"within {wider} miles",
                          "url": base + urlencode(form.params(miles=wider))})
    if form.good:
        hints.append({"label": "include everyone, whatever their standing",
                      "url": base + urlencode(form.params(good=False))})
    if query.words and query.place is not None:
        hints.append({"label": f"everyone near {query.place.label}",
                      "url": base + urlencode(form.params(q="", where=query.place_text or ""))})
    return hints


def _warm() -> None:
    """Reads the ZIP codes and cities (zipcodes' data, about 3 s) before the first search."""
    try:
        read_place("98101")
    except PlaceError:
        pass


@hookimpl
def startup(datasette):
    async def inner():
        # not awaited: the server answers meanwhile, and the first search near a place does
        # not wait for the data to be read
        asyncio.get_running_loop().run_in_executor(None, _warm)

    return inner


@hookimpl
def register_routes():
    return [(r"^/-/find$", find_page)]


@hookimpl
def extra_template_vars(view_name, request, datasette):
    if view_name != "index":
        return {}

    async def inner():
        links = await browse_links(datasette, request.actor if request else None)
        database = await directory_database(datasette)
        context: dict[str, Any] = {"browse": links, "database": database}
        if database is not None:
            context.update(form=Form(), action=datasette.urls.path(FIND_PATH), searched=False)
        return context

    return inner

