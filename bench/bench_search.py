"""Benchmark: search a directory of 1,000,000 practitioners through Datasette's JSON API.

Builds a database with the project's schema and N generated practitioners (real ZIP codes
and their coordinates from the zipcodes package), serves it with `practitioners serve`'s
Datasette arguments on 127.0.0.1, and times, one request at a time:
  - ranked full-text search by name (the `search` canned query),
  - "near a ZIP within 10 miles" (the `near_zip` canned query),
  - the practitioners table page and a faceted table page (HTML), which must load under 1 s.
Reported: p50 and p95 in ms. Goal: p95 < 100 ms for search and near-ZIP.

    python -m bench.bench_search [--rows 1000000] [--queries 200] [--write]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import ROOT, free_port, machine, report

FIRST = ("ANNA", "BO", "CHEN", "DAVID", "ELENA", "FENG", "GRACE", "HANA", "IVAN", "JUN", "KIM",
         "LI", "MARIA", "NOAH", "OLIVIA", "PETER", "QING", "RAFAEL", "SARA", "TOMAS", "WEI", "YUKI")
LAST = ("ADAMS", "BROWN", "CHANG", "DIAZ", "EVANS", "FONG", "GARCIA", "HUANG", "ITO", "JOHNSON",
        "KIM", "LEE", "LIN", "MARTIN", "NGUYEN", "OKAFOR", "PARK", "QUINN", "ROSSI", "SMITH",
        "TANAKA", "WANG", "WONG", "XU", "YANG", "ZHANG")
STATUSES = ("active",) * 14 + ("expired", "expired", "inactive", "probation", "suspended",
                                "revoked", None, None, None)


def build(path: Path, rows: int, seed: int = 1) -> list[str]:
    """The database; returns the ZIPs used (to ask near_zip about)."""
    import zipcodes

    from db.migrations import open_db

    rng = random.Random(seed)
    zips = [(z["zip_code"], z["city"].upper(), z["state"], float(z["lat"]), float(z["long"]))
            for z in zipcodes.list_all() if z.get("lat") and z["zip_code_type"] == "STANDARD"]
    db = open_db(path)
    columns = ("practitioner_id", "display_name", "first_name", "last_name", "credentials",
               "city", "state", "zip", "latitude", "longitude", "npi", "license_status",
               "license_expires_on", "licensed_states", "disciplined", "excluded", "sources",
               "as_of", "record_hash", "first_seen_at", "last_seen_at", "source")
    sql = (f"insert into practitioners ({', '.join(columns)}) "
           f"values ({', '.join('?' * len(columns))})")
    batch = []
    db.execute("begin")
    for i in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST) + ("" if i % 7 else f"-{rng.choice(LAST)}")
        zip5, city, state, lat, lon = rng.choice(zips)
        status = rng.choice(STATUSES)
        npi = str(1000000000 + i)
        batch.append((f"npi:{npi}", f"{first.title()} {last.title()}", first, last, "L.Ac.",
                      city, state, zip5, lat, lon, npi, status,
                      f"20{rng.randint(24, 29)}-{rng.randint(1, 12):02d}-01" if status else None,
                      state if status else None, int(rng.random() < 0.02),
                      int(rng.random() < 0.002), "nppes-api", "2026-11-01T00:00:00Z", str(i),
                      "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", "link"))
        if len(batch) == 10_000:
            db.conn.executemany(sql, batch)
            batch.clear()
    db.conn.executemany(sql, batch)
    db.execute("commit")
    db.execute("analyze")
    db.close()
    return [z[0] for z in zips]


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
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    from publish.app import datasette_argv

    rng = random.Random(2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "practitioners.db"
        started = time.perf_counter()
        zips = build(path, args.rows)
        build_s = time.perf_counter() - started
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "datasette",
                                   *datasette_argv(path, host="127.0.0.1", port=port)],
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}/practitioners"
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
                _times(client, [f"{base}/search.json?q={names[0]}"])  # warm the page cache
                results = {
                    "ranked search by name (`search`)":
                        _times(client, [f"{base}/search.json?q={n}&_shape=array"
                                        for n in names]),
                    "near a ZIP within 10 miles (`near_zip`)":
                        _times(client, [f"{base}/near_zip.json?zip={z}&miles=10&_shape=array"
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
        f"127.0.0.1, one request at a time; database built in {build_s:.0f} s.",
        "",
        "| request | n | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    for name, values in results.items():
        lines.append(f"| {name} | {len(values)} | {statistics.median(values):.1f} | "
                     f"{_p(values, 95):.1f} | {max(values):.1f} |")
    lines += ["", "Goals (issue 4): p95 < 100 ms for search and near-ZIP; the table and facet "
              "pages under 1 s.", ""]
    report(lines, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
