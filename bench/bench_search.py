"""Benchmark: search a directory of 1,000,000 practitioners through Datasette's JSON API.

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
  - the practitioners table page and a faceted table page (HTML), which must load under 1 s.
Reported: p50 and p95 in ms. Goal: p95 < 100 ms for search, near-ZIP and the front door.

    python -m bench.bench_search [--rows 1000000] [--queries 200] [--write]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", "--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    from publish.app import datasette_argv

    rng = random.Random(2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "practitioners.db"
        started = time.perf_counter()
        zips, index_s = build(path, args.rows)
        build_s = time.perf_counter() - started
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "datasette",
                                   *datasette_argv(path, host="127.0.0.1", port=port)],
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}/practitioners"
        find = f"http://127.0.0.1:{port}/-/find?"
        try:
            with httpx.Client(timeout=30) as client:
                for _ in range(100):
                    try:
                        client.get(f"http://127.0.0.1:{port}/-/versions.json")
                        break
                    except httpx.TransportError:
                        time.sleep(0.2)
                names = [f"{rng.choice(FIRST).lower()} {rng.choice(LAST).lower()}"
                         for _ in range(args.queries)]
                near = [rng.choice(zips) for _ in range(args.queries)]
                words = [rng.choice(WORDS) for _ in range(args.queries)]
                _times(client, [f"{base}/search.json?q={names[0]}"])  # warm the page cache
                # and the front door's ZIP and city data (read once per process, about 3 s)
                _times(client, [find + urlencode({"q": "facial", "where": near[0]})])
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
                    "practitioners table page (HTML)":
                        _times(client, [f"{base}/practitioners"] * 20),
                    "table page faceted by state and license status (HTML)":
                        _times(client, [f"{base}/practitioners?state={s}&license_status=active"
                                        for s in ("CA", "NY", "TX", "WA", "FL") * 4]),
                }
        finally:
            server.terminate()
            server.wait(timeout=10)
    lines = [
        f"### Search over {args.rows:,} generated practitioners through Datasette, "
        f"{time.strftime('%Y-%m-%d')}",
        "",
        f"Command: `python -m bench.bench_search --rows {args.rows} --queries {args.queries}`  ",
        f"Machine: {machine()}. Datasette with the project's settings and metadata on "
        f"127.0.0.1, one request at a time; database built in {build_s:.0f} s, of which the "
        f"front door's search index (`practitioner_search`) {index_s:.1f} s.",
        "",
        "| request | n | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    for name, values in results.items():
        lines.append(f"| {name} | {len(values)} | {statistics.median(values):.1f} | "
                     f"{_p(values, 95):.1f} | {max(values):.1f} |")
    lines += ["", "Goals (issues 4 and 13): p95 < 100 ms for search, near-ZIP and the front door's "
              "searches (its whole HTML page of cards); the table and facet pages under 1 s.", ""]
    report(lines, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
