"""Benchmark: scrape the NPPES stand-in through real HTTP on loopback.

Runs, in one go so their ratios can be compared on a noisy machine:
  1. a full scrape with pacing off: records/s, requests/s and peak memory of the scraper;
  2. the same scrape again (unchanged stand-in): every page a 304;
  3. a scrape with the default pacing (1 s a request per host) over a few states: wall time
     against its politeness floor (requests x interval).

The stand-in runs in its own process; each scrape runs in a child process, so the peak
resident memory reported is the scraper's alone. Nothing leaves 127.0.0.1.

    python -m bench.bench_nppes [--n 20000] [--paced-states WA,OR,NV] [--write]
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


def child(db: str, base_url: str, interval: float, states: list[str] | None) -> None:
    """One scrape in this process; prints its figures as JSON."""
    from scraper.config import Config, HttpConfig
    from scraper.http import Fetcher
    from scraper.jobs import run_source

    http = HttpConfig(min_interval=interval, contact="bench@localhost")
    config = Config(http=http, sources={"nppes-api": {"base_url": base_url}})
    started = time.perf_counter()
    with Fetcher(http) as fetcher:
        result = run_source(config, "nppes-api", db_path=db, fetcher=fetcher, states=states)
        requests = fetcher.stats["requests"]
    wall = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"status": result.status, "wall_s": wall, "requests": requests,
                      "records": result.counts["records"], "inserted": result.counts["inserted"],
                      "not_modified": result.counts["not_modified"],
                      "pages": result.counts["pages"], "peak_rss_mb": peak_kb / 1024}))


def _run_child(db: str, base_url: str, interval: float, states: list[str] | None) -> dict:
    command = [sys.executable, "-m", "bench.bench_nppes", "--child", "--db", db,
               "--base-url", base_url, "--interval", str(interval)]
    if states:
        command += ["--states", ",".join(states)]
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--paced-states", default="WA,OR,NV")
    parser.add_argument("--write", action="store_true", help="append the figures to RESULTS.md")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--interval", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--states", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db, args.base_url, args.interval,
              args.states.split(",") if args.states else None)
        return 0

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tests.sites.serve", "--port", str(port),
                               "--n", str(args.n)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        server.stdout.readline()  # "NPPES stand-in: http://127.0.0.1:PORT/api/" once it serves
        base_url = f"http://127.0.0.1:{port}/api/"
        with tempfile.TemporaryDirectory() as tmp:
            db = os.path.join(tmp, "bench.db")
            fast = _run_child(db, base_url, 0.0, None)
            again = _run_child(db, base_url, 0.0, None)
            paced_states = args.paced_states.split(",")
            paced = _run_child(os.path.join(tmp, "paced.db"), base_url, 1.0, paced_states)
    finally:
        server.terminate()
        server.wait(timeout=10)

    # n requests to one host need n - 1 intervals between them (robots.txt is one of them)
    floor = (paced["requests"] - 1) * 1.0
    host = machine()
    lines = [
        f"### NPPES API scrape of the stand-in ({args.n:,} acupuncturists), "
        f"{time.strftime('%Y-%m-%d')}",
        "",
        f"Command: `python -m bench.bench_nppes --n {args.n} --paced-states {args.paced_states}`"
        f"  ",
        f"Machine: {host}. Stand-in in its own process on 127.0.0.1; each scrape in a child "
        "process.",
        "",
        "| run | status | requests | records | wall s | records/s | requests/s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in (("full scrape, pacing off", fast), ("same again, unchanged (304s)", again),
                    (f"{args.paced_states}, default pacing 1 s", paced)):
        lines.append(
            f"| {name} | {r['status']} | {r['requests']} | {r['records']:,} | {r['wall_s']:.1f} "
            f"| {r['records'] / r['wall_s']:,.0f} | {r['requests'] / r['wall_s']:.1f} "
            f"| {r['peak_rss_mb']:.0f} |")
    lines += [
        "",
        f"Paced run: {paced['requests']} requests, so (requests - 1) x 1.0 s = politeness floor "
        f"{floor:.0f} s; "
        f"wall {paced['wall_s']:.1f} s = {paced['wall_s'] / floor:.2f} x the floor "
        f"(overhead {paced['wall_s'] - floor:.1f} s). Unchanged re-scrape: "
        f"{again['not_modified']} of {again['pages']} pages answered 304, "
        f"{fast['wall_s'] / again['wall_s']:.1f}x faster than the first scrape.",
        "",
    ]
    report(lines, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
