"""Benchmark: page through a paged JSON register (the Thentia stand-in) of N records.

The stand-in (its own process) serves a Thentia register of N made-up records (four in five of
them acupuncturists, one in twenty disciplined). Each run is a child process with pacing off:
a first scrape at the register's own page size (20), the same again when nothing changed (every
page asked with its validators: 304s), the same on a copy of the database given an index on
licenses(source_url) (a proposed schema change), and a first scrape into a fresh database at
page_size 100. Reported: requests, pages answered 304, wall time, records/s and peak memory.

    python -m bench.bench_registers [--records 10000] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

from bench.common import ROOT, free_port, machine, report

SERVER_CODE = """
import random, signal, sys, threading
from tests.sites.registers import ThentiaSite
from tests.sites.registers_data import RegisterData, thentia_stamp
from tests.sites.server import SiteServer
from tests.sites.socrata_data import Truth
import datetime as dt
n = int(sys.argv[1]); port = int(sys.argv[2])
rng = random.Random(2026)
records, truth, disciplined = [], [], set()
for i in range(n):
    kind = "Acupuncturist" if i % 5 else "Auricular Acupuncturist"
    expires = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
    values = (f"AC{10000 + i}", f"FIRST{i}", f"LAST{i:06d}", "PHOENIX", kind,
              rng.choice(("ACTIVE", "ACTIVE", "EXPIRED", "INACTIVE")), thentia_stamp(expires))
    records.append({"id": f"{i:024x}", "columnValues": [{"data": v} for v in values]})
    truth.append(Truth(i, None, "license"))
    if i % 20 == 0:
        disciplined.add(i)
data = RegisterData("AZ", records, truth, number_of=None, type_of=None, disciplined=disciplined)
server = SiteServer(port=port)
server.add_site("/azabe.portalus.thentiacloud.net", ThentiaSite(data))
server.start()
print("ready", flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
stop.wait()
server.stop()
"""


def child(url: str, db: str, page_size: int) -> None:
    from scraper.config import Config, HttpConfig
    from scraper.http import Fetcher
    from scraper.jobs import run_source

    http = HttpConfig(min_interval=0, contact="bench@localhost", allowed_hosts=("127.0.0.1",))
    config = Config(http=http, sources={"az-thentia": {"url": url, "page_size": page_size}})
    started = time.perf_counter()
    with Fetcher(http) as fetcher:
        result = run_source(config, "az-thentia", db_path=db, fetcher=fetcher)
    wall = time.perf_counter() - started
    c = result.counts
    print(json.dumps({"status": result.status, "records": c["records"],
                      "requests": c["requests"], "pages": c["pages"],
                      "not_modified": c["not_modified"], "wall_s": wall,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _child(url: str, db: str, page_size: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_registers", "--child", url,
                          "--db", db, "--page-size", str(page_size)],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--page-size", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.db, args.page_size)
        return 0
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER_CODE, str(args.records), str(port)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    server.stdout.readline()
    url = f"http://127.0.0.1:{port}/azabe.portalus.thentiacloud.net/rest/public/profile/search/"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            first = _child(url, os.path.join(tmp, "a.db"), 20)
            shutil.copyfile(os.path.join(tmp, "a.db"), os.path.join(tmp, "i.db"))
            again = _child(url, os.path.join(tmp, "a.db"), 20)
            # The proposal of the report: a 304 touches its page's licenses by source_url,
            # which the licenses table has no index on (providers has one).
            with sqlite3.connect(os.path.join(tmp, "i.db")) as db:
                db.execute("create index bench_licenses_source_url on licenses(source_url)")
            indexed = _child(url, os.path.join(tmp, "i.db"), 20)
            wide = _child(url, os.path.join(tmp, "b.db"), 100)
    finally:
        server.terminate()
        server.wait(timeout=10)
    lines = [
        f"### Paged JSON register: {args.records:,} records from the Thentia stand-in, "
        f"{time.strftime('%Y-%m-%d')}",
        "",
        f"Command: `python -m bench.bench_registers --records {args.records}`  ",
        f"Machine: {machine()}. Stand-in in its own process on 127.0.0.1; each run in a child "
        "process; pacing off.",
        "",
        "| run | status | requests | pages 304 | records stored | wall s | records/s | "
        "peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in (("first scrape, page_size 20 (the register's own)", first),
                    ("same again, unchanged (304s)", again),
                    ("same again, with an index on licenses(source_url) (proposed)", indexed),
                    ("first scrape, page_size 100", wide)):
        lines.append(f"| {name} | {r['status']} | {r['requests']:,} | {r['not_modified']:,} | "
                     f"{r['records']:,} | {r['wall_s']:.1f} | "
                     f"{r['records'] / r['wall_s']:,.0f} | {r['peak_rss_mb']:.0f} |")
    lines += [
        "",
        f"Unchanged re-scrape: {again['not_modified']:,} of {again['pages']:,} pages answered "
        f"304, {first['wall_s'] / again['wall_s']:.1f}x faster than the first scrape, "
        f"{first['wall_s'] / indexed['wall_s']:.1f}x with licenses(source_url) indexed (a 304 "
        "touches its page's licenses by source_url: without the index each touch scans the "
        "table); page_size "
        f"100 makes {wide['requests']:,} requests against {first['requests']:,} and runs "
        f"{first['wall_s'] / wide['wall_s']:.1f}x faster (with the default 1 s pace, the "
        "request count is the floor of the wall time).",
        "",
    ]
    report(lines, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
