"""Benchmark: load 500,000 rows of one state board dataset from the SODA stand-in.

The stand-in (its own process) serves the Washington dataset with 500,000 generated
acupuncture rows, made on demand. The scraper (a child process) loads them with pacing off,
page by page, each page committed with its checkpoint. Reported: rows/s and the scraper's peak
memory; beside it, in the same run, the rows/s of fetching and JSON-decoding the same pages
without parsing or storing them (the transport's ceiling), and the peak memory of a scrape of
a tenth of the rows, which shows whether memory grows with the dataset (streamed) or not.

    python -m bench.bench_socrata [--rows 500000] [--page-size 5000] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from bench.common import ROOT, free_port, machine, report

SERVER_CODE = """
import sys, signal, threading
from tests.sites.server import SiteServer
from tests.sites.socrata import SodaDataset, SodaPortal
from tests.sites.socrata_data import generate_big_rows
rows = int(sys.argv[1]); port = int(sys.argv[2])
columns = ["credentialnumber", "lastname", "firstname", "middlename", "credentialtype", "status",
           "firstissuedate", "lastissuedate", "expirationdate", "actiontaken", "birthyear"]
dataset = SodaDataset("qxh8-f4bd", generate_big_rows(rows), rows_updated_at=1767225600,
                      name="bench", columns=columns)
server = SiteServer(port=port)
server.add_site("/data.wa.gov", SodaPortal([dataset]))
server.start()
print("ready", flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
stop.wait()
server.stop()
"""


def child(mode: str, portal: str, db: str, page_size: int) -> None:
    from scraper.config import Config, HttpConfig
    from scraper.http import Fetcher

    http = HttpConfig(min_interval=0, contact="bench@localhost", allowed_hosts=("127.0.0.1",))
    started = time.perf_counter()
    with Fetcher(http) as fetcher:
        if mode == "scrape":
            from scraper.jobs import run_source

            config = Config(http=http, sources={"wa-doh": {"portal": portal,
                                                           "page_size": page_size}})
            result = run_source(config, "wa-doh", db_path=db, fetcher=fetcher)
            rows, status = result.counts["records"], result.status
        else:  # fetch and decode only: the ceiling the transport sets
            from scraper.http import build_url
            from scraper.sources.socrata import DATASETS

            dataset = DATASETS["wa-doh"]
            base = f"{portal}/resource/{dataset.dataset_id}.json"
            rows, offset, status = 0, 0, "ok"
            while True:
                url = build_url(base, {"$where": dataset.where, "$order": ":id",
                                  "$limit": page_size, "$offset": offset})
                count = len(json.loads(fetcher.get(url).text))
                rows += count
                offset += count
                if count < page_size:
                    break
    wall = time.perf_counter() - started
    print(json.dumps({"mode": mode, "status": status, "rows": rows, "wall_s": wall,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _child(mode: str, portal: str, db: str, page_size: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_socrata", "--child", mode,
                          "--portal", portal, "--db", db, "--page-size", str(page_size)],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _serve(rows: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER_CODE, str(rows), str(port)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    server.stdout.readline()
    return server, f"http://127.0.0.1:{port}/data.wa.gov"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--page-size", type=int, default=5000)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--portal", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.portal, args.db, args.page_size)
        return 0
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, rows in (("small", args.rows // 10), ("full", args.rows)):
            server, portal = _serve(rows)
            try:
                if label == "full":
                    results["fetch"] = _child("fetch", portal, "", args.page_size)
                results[label] = _child("scrape", portal, os.path.join(tmp, f"{label}.db"),
                                        args.page_size)
            finally:
                server.terminate()
                server.wait(timeout=10)
    full, small, fetch = results["full"], results["small"], results["fetch"]
    host = machine()
    lines = [
        f"### State board dataset: {args.rows:,} rows from the SODA stand-in, "
        f"{time.strftime('%Y-%m-%d')}",
        "",
        f"Command: `python -m bench.bench_socrata --rows {args.rows} --page-size "
        f"{args.page_size}`  ",
        f"Machine: {host}. Stand-in in its own process on 127.0.0.1; each run in a child "
        "process; pacing off.",
        "",
        "| run | status | rows | wall s | rows/s | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in ((f"scrape {args.rows:,} rows (parse, normalize, store)", full),
                    (f"scrape {args.rows // 10:,} rows, same pages", small),
                    ("fetch and JSON-decode only, no parse or store", fetch)):
        lines.append(f"| {name} | {r['status']} | {r['rows']:,} | {r['wall_s']:.1f} | "
                     f"{r['rows'] / r['wall_s']:,.0f} | {r['peak_rss_mb']:.0f} |")
    lines += [
        "",
        f"The full scrape runs at {full['rows'] / full['wall_s'] / (fetch['rows'] / fetch['wall_s']):.0%}"
        f" of the fetch-only rate. Peak memory {full['peak_rss_mb']:.0f} MB for {args.rows:,} rows "
        f"against {small['peak_rss_mb']:.0f} MB for a tenth of them: rows are streamed a page at "
        "a time, not held.",
        "",
    ]
    report(lines, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
