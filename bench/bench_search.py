"""Benchmark: search and pages of a directory of 1,000,000 practitioners through Datasette.

Builds a database with the project's schema and N generated practitioners (real ZIP codes
and their coordinates from the zipcodes package; a board license for most, with its standing
decided by scraper/standing.py; self-reported specialties with their sentences for about one in
eight), builds the front door's search index (scraper/search_index.py, timed), serves it with
`practitioners serve`'s Datasette arguments on 127.0.0.1, and times, one request at a time:
  - ranked full-text search by name (the `search` canned query),
  - "near a ZIP within 10 miles" (the `near_zip` canned query),
  - the front door's page of results (HTML, /-/find, cards and all): "facial" near a ZIP within
    10 miles in good standing only; a name; words only ("cosmetic acupuncture", "fertility"...);
    a ZIP only,
  - the practitioner page (/practitioners/<id>, HTML with its template),
  - the practitioners table page as a person opens it (HTML, its eight facets), and filtered
    by a state and standing, by standing alone, by a state alone, by a state and license
    status, by a specialty (the Facial acupuncture shortcut), by a specialty with a state and
    good standing, and by a state and certification (its facets grouped live); each also from a
    second server over the same file whose facets are Datasette's own, grouped live (the
    metadata before issue 16: publish/plugins/facet_counts.py), the specialty pages there by
    Datasette's array filter (five requests: seconds each).
Reported: p50 and p95 in ms. Goal (issue 16): p95 < 100 ms for every one of them.

``--db PATH`` builds the database there once and reuses it on later runs (a 1,000,000-row
build takes about six minutes); the migrations bring a reused file up to date.

    python -m bench.bench_search [--rows 1000000] [--queries 200] [--pages 40] [--db PATH]
        [--write]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote_plus, urlencode

import httpx

from bench.common import ROOT, free_port, machine, report

FIRST = ("ANNA", "BO", "CHEN", "DAVID", "ELENA", "FENG", "GRACE", "HANA", "IVAN", "JUN", "KIM",
         "LI", "MARIA", "NOAH", "OLIVIA", "PETER", "QING", "RAFAEL", "SARA", "TOMAS", "WEI", "YUKI")
LAST = ("ADAMS", "BROWN", "CHANG", "DIAZ", "EVANS", "FONG", "GARCIA", "HUANG", "ITO", "JOHNSON",
        "KIM", "LEE", "LIN", "MARTIN", "NGUYEN", "OKAFOR", "PARK", "QUINN", "ROSSI", "SMITH",
        "TANAKA", "WANG", "WONG", "XU", "YANG", "ZHANG")
STATUSES = ("active",) * 14 + ("expired", "expired", "inactive", "probation", "suspended",
                                "revoked", None, None, None)
# Self-reported specialties: (tag, share of practitioners, a sentence that claims it).
SPECIALTIES = (
    ("facial acupuncture", 0.03, "I offer facial rejuvenation (cosmetic) acupuncture."),
    ("fertility", 0.02, "Fertility support alongside IVF."),
    ("pain", 0.04, "Treating back pain, sciatica and headaches."),
    ("mental health", 0.03, "Acupuncture for anxiety, stress and insomnia."),
    ("women's health", 0.01, "Menopause and menstrual health."),
)
BOARD_STATES = frozenset({"CA", "CO", "CT", "FL", "IL", "TX", "WA"})
# What people type in the front door's "what" box, words only.
WORDS = ("facial", "cosmetic acupuncture", "fertility", "ivf", "mei zen", "anxiety", "pain",
         "sciatica")


def build(path: Path, rows: int, seed: int = 1) -> tuple[list[str], float]:
    """The database; returns the ZIPs used (to ask near_zip about) and the seconds the front
    door's search index took to build."""
    import zipcodes

    from db.migrations import open_db
    from scraper.search_index import build_search_index
    from scraper.standing import standing

    rng = random.Random(seed)
    today = time.strftime("%Y-%m-%d")
    zips = [(z["zip_code"], z["city"].upper(), z["state"], float(z["lat"]), float(z["long"]))
            for z in zipcodes.list_all() if z.get("lat") and z["zip_code_type"] == "STANDARD"]
    db = open_db(path)
    columns = ("practitioner_id", "display_name", "first_name", "last_name", "credentials",
               "practice_name", "address", "phone", "city", "state", "zip", "latitude",
               "longitude", "npi", "license_status", "license_expires_on", "licensed_states",
               "disciplined", "excluded", "certified", "specialties", "standing",
               "standing_reason", "standing_as_of", "sources", "as_of", "record_hash",
               "first_seen_at", "last_seen_at", "source")
    sql = (f"insert into practitioners ({', '.join(columns)}) "
           f"values ({', '.join('?' * len(columns))})")
    license_columns = ("license_id", "jurisdiction", "license_type", "license_number",
                       "display_name", "status", "status_normalized", "expires_on", "verify_url",
                       "source", "last_seen_at")
    license_sql = (f"insert into licenses ({', '.join(license_columns)}) "
                   f"values ({', '.join('?' * len(license_columns))})")
    link_sql = ("insert into practitioner_links (record_table, record_id, practitioner_id, rule, "
                "confidence) values ('licenses', ?, ?, 'license-number', 0.99)")
    tag_sql = ("insert into specialty_tags (tag_id, practitioner_id, tag, record_table, "
               "record_id, evidence_url, snippet, tagged_at) values (?, ?, ?, 'websites', ?, ?, "
               "?, ?)")
    batch: list[tuple] = []
    licenses: list[tuple] = []
    links: list[tuple] = []
    tags: list[tuple] = []
    seen = "2026-11-01T00:00:00Z"

    def flush() -> None:
        db.conn.executemany(sql, batch)
        db.conn.executemany(license_sql, licenses)
        db.conn.executemany(link_sql, links)
        db.conn.executemany(tag_sql, tags)
        for pending in (batch, licenses, links, tags):
            pending.clear()

    db.execute("begin")
    for i in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST) + ("" if i % 7 else f"-{rng.choice(LAST)}")
        zip5, city, state, lat, lon = rng.choice(zips)
        status = rng.choice(STATUSES)
        npi = str(1000000000 + i)
        pid = f"npi:{npi}"
        name = f"{first.title()} {last.title()}"
        expires = f"20{rng.randint(24, 29)}-{rng.randint(1, 12):02d}-01" if status else None
        excluded = int(rng.random() < 0.002)
        lics = []
        if status:
            lic = {"license_id": f"{state}:AC:{npi}", "jurisdiction": state,
                   "status_normalized": status, "status": status.upper(), "expires_on": expires,
                   "last_seen_at": seen}
            lics.append(lic)
            licenses.append((lic["license_id"], state, "Acupuncturist", f"AC{npi[-6:]}", name,
                             lic["status"], status, expires, "https://example.org/verify", "bench",
                             seen))
            links.append((lic["license_id"], pid))
        exclusions = [{"status": "excluded", "excluded_on": "2020-01-01", "last_seen_at": seen}] \
            if excluded else []
        level = standing(lics, exclusions, state, BOARD_STATES, today)
        claimed = [(tag, snippet) for tag, share, snippet in SPECIALTIES if rng.random() < share]
        for tag, snippet in claimed:
            tags.append((f"{pid}:{tag}", pid, tag, f"site{i}", f"https://site{i}.example/",
                         snippet, seen))
        batch.append((pid, name, first, last, "L.Ac.",
                      f"{last.title()} Acupuncture" if i % 10 == 0 else None,
                      f"{rng.randint(100, 9999)} MAIN ST", f"206-555-{i % 10000:04d}",
                      city, state, zip5, lat, lon, npi, status, expires,
                      state if status else None, int(rng.random() < 0.02), excluded,
                      int(rng.random() < 0.3),
                      json.dumps([t for t, _ in claimed]) if claimed else None,
                      level.level, level.reason, level.as_of, "nppes-api", seen, str(i),
                      seen, seen, "link"))
        if len(batch) == 10_000:
            flush()
    flush()
    db.execute("commit")
    started = time.perf_counter()
    db.execute("begin")
    build_search_index(db)
    db.execute("commit")
    index_s = time.perf_counter() - started
    db.execute("analyze")
    db.close()
    return [z[0] for z in zips], index_s


def _times(client: httpx.Client, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        response.raise_for_status()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


STANDINGS = ("good", "expired", "restricted", "unverified", "self-reported")
STATES = ("CA", "NY", "TX", "WA", "FL")
FLAGS = ("certified", "disciplined", "excluded")


def _write_cost(tmp: str, rows: int = 50_000, rounds: int = 2) -> dict[str, tuple[float, float]]:
    """What migration m020's triggers add to writing practitioners: ``rows`` inserted, then a
    fifth of them rewritten with a new standing (as linking rewrites a changed practitioner),
    into a fresh database with the triggers and one without, in turn; the best of ``rounds``.
    Returns {what: (seconds with, seconds without)}."""
    from db.migrations import open_db

    rng = random.Random(3)
    data = [(f"npi:{i}", f"Person {i}", rng.choice(STATES), rng.choice(STANDINGS),
             rng.choice(("active", "expired", None)), "L.Ac.", rng.randint(0, 1), 0, 0,
             rng.choice((None, None, None, '["facial acupuncture"]', '["pain", "fertility"]')))
            for i in range(rows)]
    columns = ("practitioner_id, display_name, state, standing, license_status, credentials, "
               "certified, disciplined, excluded, specialties")
    rewrite = [(*row[2:], row[0]) for row in data[::5]]
    best: dict[str, list[float]] = {}
    for attempt in range(rounds * 2):
        triggers = attempt % 2 == 0
        db = open_db(Path(tmp) / f"writes-{attempt}.db")
        if not triggers:
            for event in ("insert", "update", "delete"):
                db.execute(f"drop trigger practitioner_facet_counts_{event}")
        for what, sql, values in (
                (f"insert {rows:,} practitioners",
                 f"insert into practitioners ({columns}) values ({', '.join('?' * 10)})", data),
                (f"rewrite {len(rewrite):,} of them, standing changed",
                 "update practitioners set state = ?, standing = 'expired', license_status = ?, "
                 "credentials = ?, certified = ?, disciplined = ?, excluded = ?, specialties = ? "
                 "where practitioner_id = ?", [(r[0], *r[2:]) for r in rewrite])):
            started = time.perf_counter()
            db.execute("begin")
            db.conn.executemany(sql, values)
            db.execute("commit")
            seconds = time.perf_counter() - started
            pair = best.setdefault(what, [float("inf"), float("inf")])
            pair[0 if triggers else 1] = min(pair[0 if triggers else 1], seconds)
        db.close()
    return {what: (pair[0], pair[1]) for what, pair in best.items()}


def _live_facets(metadata: dict) -> dict:
    """The metadata as before issue 16: every facet grouped live by Datasette's own facets
    (``counted: x`` back to ``x``, ``counted_array: x`` to ``array: x``)."""
    for database in metadata.get("databases", {}).values():
        for table in database.get("tables", {}).values():
            table["facets"] = [
                facet["counted"] if isinstance(facet, dict) and "counted" in facet
                else {"array": facet["counted_array"]}
                if isinstance(facet, dict) and "counted_array" in facet else facet
                for facet in table.get("facets", [])]
    return metadata


def _serve(path: Path, *, live_facets: bool = False) -> tuple[subprocess.Popen, int]:
    from publish.app import datasette_argv

    port = free_port()
    argv = datasette_argv(path, host="127.0.0.1", port=port)
    if live_facets:
        meta = Path(argv[argv.index("--metadata") + 1])
        meta.write_text(json.dumps(_live_facets(json.loads(meta.read_text()))))
    server = subprocess.Popen([sys.executable, "-m", "datasette", *argv], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with httpx.Client(timeout=30) as client:
        for _ in range(150):
            try:
                client.get(f"http://127.0.0.1:{port}/-/versions.json")
                break
            except httpx.TransportError:
                time.sleep(0.2)
    return server, port


def _database(given: Path | None, rows: int, tmp: str) -> tuple[Path, list[str], str]:
    """The database to serve: built in ``tmp``, or at ``given`` (built there when missing,
    else reused and brought up to date by the migrations); its ZIPs and a note of the build."""
    from db.migrations import open_db

    path = given or Path(tmp) / "practitioners.db"
    if given is not None and given.exists():
        open_db(path).close()
        zips = [r[0] for r in sqlite3.connect(path).execute(
            "select distinct zip from practitioners")]
        return path, zips, f"database built earlier by this benchmark ({path}), reused"
    started = time.perf_counter()
    zips, index_s = build(path, rows)
    return path, zips, (f"database built in {time.perf_counter() - started:.0f} s, of which "
                        f"the front door's search index (`practitioner_search`) {index_s:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", "--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--pages", type=int, default=40,
                        help="requests of each table and practitioner page")
    parser.add_argument("--db", type=Path,
                        help="build the database here once and reuse it on later runs")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    from datasette.utils import tilde_encode

    rng = random.Random(2)
    with tempfile.TemporaryDirectory() as tmp:
        writes = _write_cost(tmp)
        path, zips, built = _database(args.db, args.rows, tmp)
        total = sqlite3.connect(path).execute("select max(rowid) from practitioners").fetchone()[0]
        server, port = _serve(path)
        before, before_port = _serve(path, live_facets=True)
        base = f"http://127.0.0.1:{port}/{path.stem}"  # the database is named after its file
        find = f"http://127.0.0.1:{port}/-/find?"
        try:
            with httpx.Client(timeout=60) as client:
                names = [f"{rng.choice(FIRST).lower()} {rng.choice(LAST).lower()}"
                         for _ in range(args.queries)]
                near = [rng.choice(zips) for _ in range(args.queries)]
                words = [rng.choice(WORDS) for _ in range(args.queries)]
                n = args.pages
                people = [f"{base}/practitioners/"
                          + tilde_encode(f"npi:{1000000000 + rng.randrange(total)}")
                          for _ in range(n)]
                # Table pages: (what, the path after /practitioners/practitioners), each also
                # asked of the server whose facets are all grouped live (as before issue 16).
                table_pages = {
                    "practitioners table page, as a person opens it (its 8 facets)":
                        [""] * n,
                    "table page filtered by a state and good standing (?state=CA&standing=good)":
                        [f"?state={STATES[i % 5]}&standing=good" for i in range(n)],
                    "table page filtered by standing alone (?standing=good...)":
                        [f"?standing={STANDINGS[i % 5]}" for i in range(n)],
                    "table page filtered by a state alone (?state=CA...)":
                        [f"?state={STATES[i % 5]}" for i in range(n)],
                    "table page filtered by a state and license status "
                    "(?state=CA&license_status=active...)":
                        [f"?state={STATES[i % 5]}&license_status=active" for i in range(n)],
                    "the Facial acupuncture shortcut (?_specialty=facial+acupuncture; before: "
                    "specialties__arraycontains=)":
                        ([f"?_specialty={quote_plus(SPECIALTIES[i % 5][0])}" for i in range(n)],
                         [f"?specialties__arraycontains={quote_plus(SPECIALTIES[i % 5][0])}"
                          for i in range(5)]),  # seconds each before: five of them
                    "a specialty in good standing in a state "
                    "(?_specialty=...&standing=good&state=CA)":
                        ([f"?_specialty={quote_plus(SPECIALTIES[i % 5][0])}&standing=good"
                          f"&state={STATES[i % 5]}" for i in range(n)],
                         [f"?specialties__arraycontains={quote_plus(SPECIALTIES[i % 5][0])}"
                          f"&standing=good&state={STATES[i % 5]}" for i in range(5)]),
                    "table page filtered by a state and certification (?state=CA&certified=1...)":
                        [f"?state={STATES[i % 5]}&certified=1" for i in range(n)],
                    "table page filtered by one flag alone (?certified=1, ?disciplined=1...)":
                        [f"?{FLAGS[i % 3]}=1" for i in range(n)],
                    "a specialty and a flag (?_specialty=...&certified=1)":
                        ([f"?_specialty={quote_plus(SPECIALTIES[i % 5][0])}&certified=1"
                          for i in range(n)],
                         [f"?specialties__arraycontains={quote_plus(SPECIALTIES[i % 5][0])}"
                          "&certified=1" for i in range(5)]),
                }
                _times(client, [f"{base}/search.json?q={names[0]}"])  # warm the page cache
                # and the front door's ZIP and city data (read once per process, about 3 s)
                _times(client, [find + urlencode({"q": "facial", "where": near[0]})])
                _times(client, people[:2])
                results = {
                    "ranked search by name (`search`)":
                        _times(client, [f"{base}/search.json?q={n}&_shape=array"
                                        for n in names]),
                    "near a ZIP within 10 miles (`near_zip`)":
                        _times(client, [f"{base}/near_zip.json?zip={z}&miles=10&_shape=array"
                                        for z in near]),
                    "front door: \"facial\" near a ZIP within 10 miles, good standing only":
                        _times(client, [find + urlencode({"q": "facial", "where": z,
                                                          "miles": 10, "good": 1})
                                        for z in near]),
                    "front door: a name (\"first last\"), good standing only":
                        _times(client, [find + urlencode({"q": n, "where": "", "miles": 10,
                                                          "good": 1}) for n in names]),
                    "front door: words only (\"cosmetic acupuncture\", \"fertility\"...), "
                    "good standing only":
                        _times(client, [find + urlencode({"q": w, "where": "", "miles": 10,
                                                          "good": 1}) for w in words]),
                    "front door: a ZIP only, everyone within 10 miles":
                        _times(client, [find + urlencode({"q": "", "where": z, "miles": 10})
                                        for z in near]),
                    "practitioner page (/practitioners/<id>, HTML)":
                        _times(client, people),
                }
                compared: dict[str, list[float]] = {}
                for name, asked in table_pages.items():
                    # (ours, the before server's) where the page's address changed
                    ours, then = asked if isinstance(asked, tuple) else (asked, asked)
                    for port_, into, queries in ((port, results, ours),
                                                 (before_port, compared, then)):
                        urls = [f"http://127.0.0.1:{port_}/{path.stem}/practitioners{q}"
                                for q in queries]
                        _times(client, urls[:5])  # warm the page cache of each kind of page
                        into[name] = _times(client, urls)
        finally:
            for process in (server, before):
                process.terminate()
                process.wait(timeout=10)
    lines = [
        f"### Search and pages over {args.rows:,} generated practitioners through Datasette, "
        f"{time.strftime('%Y-%m-%d')}",
        "",
        f"Command: `python -m bench.bench_search --rows {args.rows} --queries {args.queries} "
        f"--pages {args.pages}" + (f" --db {args.db}" if args.db else "") + "`  ",
        f"Machine: {machine()}. Datasette with the project's settings and metadata on "
        f"127.0.0.1, one request at a time; {built}. \"Before\": the same pages from a second "
        "server on the same file whose facets are all Datasette's own, grouped live "
        "(the metadata before issue 16), asked in turn with the first.",
        "",
        "| request | n | p50 ms | p95 ms | max ms | before: p50 ms | before: p95 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, values in results.items():
        was = compared.get(name)
        then = (f"{statistics.median(was):.1f} | {_p(was, 95):.1f}" if was else "- | -")
        lines.append(f"| {name} | {len(values)} | {statistics.median(values):.1f} | "
                     f"{_p(values, 95):.1f} | {max(values):.1f} | {then} |")
    lines += ["", "Goal (issue 16): p95 < 100 ms for every page: search, near-ZIP, the front "
              "door, the table pages and the practitioner page.", "",
              "What the facet counts' triggers (migration m020) add to writing practitioners, "
              "each into a fresh database, with them and without, in turn (best of two):", "",
              "| write | with the triggers s | without s |", "|---|---|---|"]
    lines += [f"| {what} | {with_:.2f} | {without:.2f} |"
              for what, (with_, without) in writes.items()]
    lines.append("")
    report(lines, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
