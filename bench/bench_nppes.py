"""Benchmark: scrape the NPPES stand-in through real HTTP on loopback.

Runs, in one go so their ratios can be compared on a noisy machine:
  1. a full scrape with pacing off, into a new database: records/s, requests/s, peak memory,
     and requests against the lower bound (per state, ceil(providers / 200): one request per
     200 results, the most one answer holds) and against the prefix floor (the fewest
     requests any plan of the queries the API takes could make, knowing every count);
  2. the same scrape again (unchanged stand-in): every page a 304; its time against the first,
     and where that time goes (the runner's commits, the 304 pages' touch of their records);
  3. the stand-in grows by a tenth (new providers spread as the others), and the scrape runs
     again: requests against the new lower bound (it starts from the parts it remembered);
  4. a scrape with the default pacing (1 s a request per host) over a few states, into a new
     database: wall time against its politeness floor (requests x interval).

The stand-in runs in its own process (this module with ``--serve``: the NPPES API stand-in
alone, which grows when told); each scrape runs in a child process, so the peak resident
memory reported is the scraper's alone. Nothing leaves 127.0.0.1.

    python -m bench.bench_nppes [--n 20000] [--grow 0.1] [--paced-states WA,OR,NV]
        [--zip-kinds STANDARD,UNIQUE] [--write]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time

from bench.common import ROOT, free_port, machine, report

ACU = {"taxonomy_description": "Acupuncturist", "address_purpose": "PRIMARY"}


def serve(port: int, n: int) -> None:
    """The NPPES stand-in on ``port``; reads commands on stdin, one a line, and answers each
    with one line of JSON: ``counts`` (acupuncturists by state, as the API's state query
    matches them) and ``grow SHARE`` (that share more providers, then the counts)."""
    from scraper.sources.nppes_api import STATES
    from tests.sites.nppes import NppesApi
    from tests.sites.nppes_data import generate_providers, grow_providers
    from tests.sites.server import SiteServer

    api = NppesApi(generate_providers(n), keep_answers=True)
    server = SiteServer(port=port)
    server.add_site("/api/", api)
    server.start()
    print(f"NPPES stand-in: {server.url}/api/", flush=True)
    grown = 0
    try:
        for line in sys.stdin:
            command, *rest = line.split()
            if command == "grow":
                grown += 1
                api.providers.extend(grow_providers(api.providers, float(rest[0]), seed=grown))
                api.reindex()
            counts = {state: api.count(state=state, **ACU) for state in STATES}
            floors = {state: prefix_floor(api, state) for state in STATES}
            print(json.dumps({"providers": len(api.providers), "states": counts,
                              "floors": floors}), flush=True)
    finally:
        server.stop()


def prefix_floor(api, state: str) -> int:
    """The fewest requests that list ``state`` whole with the queries the scraper can ask
    (the state, its ZIP prefixes as the ZIP data and the providers' own ZIPs give them, NPI
    type), choosing the parts knowing every count beforehand, and reading each part as any
    scraper must to know it has all of it: to a short page (count // 200 + 1, so an empty
    part costs its one request, as does the page after an exact multiple of 200). A part at
    or over the 1,200 cap costs the cheapest of its splits. A plan that knew which parts are
    empty and skipped them would ask less, but no scraper can know that without asking."""
    from scraper import geo
    from scraper.sources.nppes_api import MAX_SKIP, PAGE_LIMIT, ZIP_KINDS, Query

    held = []
    for provider in api.select(state=state, **ACU):
        location = next((a for a in provider.get("addresses", [])
                         if a.get("address_purpose") == "LOCATION"), None)
        if location is not None:
            held.append((str(location.get("postal_code", ""))[:5], provider["enumeration_type"]))
    zips = set(geo.state_zips(state, ZIP_KINDS)) | {z for z, _ in held}
    known: dict[Query, int] = {}

    def best(query: Query) -> int:
        if query in known:
            return known[query]
        count = sum(query.holds(z, kind) for z, kind in held)
        if count < PAGE_LIMIT + MAX_SKIP:
            cost = count // PAGE_LIMIT + 1
        else:
            options = []
            if children := query.children(zips):
                options.append(sum(best(c) for c in children))
            if query.enumeration_type is None:
                options.append(sum(best(c) for c in query.by_type()))
            cost = min(options) if options else 10**6
        known[query] = cost
        return cost

    return best(Query(state))


def child(db: str, base_url: str, interval: float, states: list[str] | None,
          zip_kinds: list[str] | None = None) -> None:
    """One scrape in this process; prints its figures as JSON."""
    from db import store
    from scraper import jobs
    from scraper.config import Config, HttpConfig
    from scraper.http import Fetcher
    from scraper.sources import get_source, nppes_api

    timers = {"commit_s": 0.0, "touch_s": 0.0, "parse_s": 0.0, "parsed_pages": 0}

    def timed(name, function, count=None):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timers[name] += time.perf_counter() - started
                if count:
                    timers[count] += 1
        return wrapper

    jobs._commit = timed("commit_s", jobs._commit)
    store.touch_page = timed("touch_s", store.touch_page)
    nppes_api.parse_search = timed("parse_s", nppes_api.parse_search, "parsed_pages")

    http = HttpConfig(min_interval=interval, contact="bench@localhost")
    settings = {"base_url": base_url, **({"zip_kinds": zip_kinds} if zip_kinds else {})}
    config = Config(http=http, sources={"nppes-api": settings})
    get_source("nppes-api")  # the sources' modules imported before the clock starts
    started = time.perf_counter()
    with Fetcher(http) as fetcher:
        result = jobs.run_source(config, "nppes-api", db_path=db, fetcher=fetcher,
                                 states=states)
        requests = fetcher.stats["requests"]
    wall = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"status": result.status, "wall_s": wall, "requests": requests,
                      "records": result.counts["records"], "inserted": result.counts["inserted"],
                      "gone": result.counts["gone"],
                      "not_modified": result.counts["not_modified"],
                      "pages": result.counts["pages"], "peak_rss_mb": peak_kb / 1024,
                      **timers}))


def _run_child(db: str, base_url: str, interval: float, states: list[str] | None,
               zip_kinds: str | None = None) -> dict:
    command = [sys.executable, "-m", "bench.bench_nppes", "--child", "--db", db,
               "--base-url", base_url, "--interval", str(interval)]
    if states:
        command += ["--states", ",".join(states)]
    if zip_kinds:
        command += ["--zip-kinds", zip_kinds]
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def touch_cost(db_path: str, scratch: str) -> dict[str, float]:
    """What marking every stored provider seen page by page costs (as a 304 run does: one
    statement and one commit a page), on two copies of a scraped database: as it is, and with
    the full-text index's update trigger limited to the columns it indexes (it fires on every
    column today, so marking a row seen rewrites its index entry)."""
    import shutil
    import sqlite3

    out = {}
    for name in ("as is", "trigger on its columns"):
        copy = os.path.join(scratch, f"touch-{len(out)}.db")
        shutil.copy(db_path, copy)
        conn = sqlite3.connect(copy, isolation_level=None)
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = full")
        if name != "as is":
            (sql,) = conn.execute("select sql from sqlite_master where type = 'trigger' "
                                  "and name = 'providers_au'").fetchone()
            columns = ", ".join(f'"{r[1]}"' for r in conn.execute(
                "pragma table_info(providers_fts)"))
            conn.execute("drop trigger providers_au")
            conn.execute(sql.replace('AFTER UPDATE ON "providers"',
                                     f'AFTER UPDATE OF {columns} ON "providers"'))
        urls = [r[0] for r in conn.execute("select distinct source_url from providers")]
        started = time.perf_counter()
        for url in urls:
            conn.execute("begin immediate")
            conn.execute("update providers set last_seen_at = ?, last_seen_run_id = ? "
                         "where source_url = ?", ["2026-12-02T00:00:00Z", 99, url])
            conn.execute("commit")
        out[name] = time.perf_counter() - started
        out["pages"] = len(urls)
        conn.close()
    return out


def lower_bound(counts: dict[str, int], states: list[str] | None = None) -> int:
    """Requests no scrape can go below: per state, one per 200 of its providers (at least one:
    a state with none still has to be asked)."""
    return sum(max(1, math.ceil(n / 200)) for state, n in counts.items()
               if states is None or state in states)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--grow", type=float, default=0.1,
                        help="share of providers the stand-in gains before the third run")
    parser.add_argument("--paced-states", default="WA,OR,NV")
    parser.add_argument("--zip-kinds", help="the source's zip_kinds setting, comma-separated "
                        "(default: the source's own)")
    parser.add_argument("--write", action="store_true", help="append the figures to RESULTS.md")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--interval", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--states", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.db, args.base_url, args.interval,
              args.states.split(",") if args.states else None,
              args.zip_kinds.split(",") if args.zip_kinds else None)
        return 0
    if args.serve:
        serve(args.port, args.n)
        return 0

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_nppes", "--serve", "--port", str(port),
         "--n", str(args.n)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdin is not None and server.stdout is not None

    def ask(command: str) -> dict:
        server.stdin.write(command + "\n")
        server.stdin.flush()
        return json.loads(server.stdout.readline())

    paced_states = args.paced_states.split(",")
    try:
        server.stdout.readline()  # "NPPES stand-in: http://127.0.0.1:PORT/api/" once it serves
        base_url = f"http://127.0.0.1:{port}/api/"
        before = ask("counts")
        with tempfile.TemporaryDirectory() as tmp:
            db = os.path.join(tmp, "bench.db")
            fast = _run_child(db, base_url, 0.0, None, args.zip_kinds)
            again = _run_child(db, base_url, 0.0, None, args.zip_kinds)
            touch = touch_cost(db, tmp)
            after = ask(f"grow {args.grow}")
            grown = _run_child(db, base_url, 0.0, None, args.zip_kinds)
            paced = _run_child(os.path.join(tmp, "paced.db"), base_url, 1.0, paced_states)
    finally:
        server.stdin.close()
        server.terminate()
        server.wait(timeout=10)

    bound = {"first": lower_bound(before["states"]), "again": lower_bound(before["states"]),
             "grown": lower_bound(after["states"]),
             "paced": lower_bound(after["states"], paced_states)}
    floors = {"first": sum(before["floors"].values()), "again": sum(before["floors"].values()),
              "grown": sum(after["floors"].values()),
              "paced": sum(n for s, n in after["floors"].items() if s in paced_states)}
    # n requests to one host need n - 1 intervals between them (robots.txt is one of them)
    floor = (paced["requests"] - 1) * 1.0
    host = machine()
    lines = [
        f"### NPPES API scrape of the stand-in ({args.n:,} acupuncturists, then "
        f"{after['providers']:,}), {time.strftime('%Y-%m-%d')}",
        "",
        f"Command: `python -m bench.bench_nppes --n {args.n} --grow {args.grow} "
        f"--paced-states {args.paced_states}"
        + (f" --zip-kinds {args.zip_kinds}" if args.zip_kinds else "") + "`  ",
        f"Machine: {host}. Stand-in in its own process on 127.0.0.1; each scrape in a child "
        "process. Lower bound: per state, ceil(providers / 200) requests (robots.txt aside). "
        "Prefix floor: the fewest requests any plan of the queries the API takes (a state, its "
        "ZIP prefixes, NPI type) needs, its parts chosen knowing every count and each read to "
        "a short page, as a scraper must to know it has all (`prefix_floor`).",
        "",
        "| run | status | requests | lower bound | requests / bound | prefix floor "
        "| requests / floor | records | wall s | records/s | commits s | parsed pages "
        "| peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    runs = (("first", "full scrape, pacing off", fast),
            ("again", "same again, unchanged (304s)", again),
            ("grown", f"after the stand-in grew {args.grow:.0%}", grown),
            ("paced", f"{args.paced_states}, default pacing 1 s", paced))
    for key, name, r in runs:
        # robots.txt is one request of each run, outside the bound
        ratio = (r["requests"] - 1) / bound[key]
        lines.append(
            f"| {name} | {r['status']} | {r['requests']} | {bound[key]} | {ratio:.2f} "
            f"| {floors[key]} | {(r['requests'] - 1) / floors[key]:.2f} "
            f"| {r['records']:,} | {r['wall_s']:.1f} | {r['records'] / r['wall_s']:,.0f} "
            f"| {r['commit_s']:.2f} | {r['parsed_pages']} | {r['peak_rss_mb']:.0f} |")
    lines += [
        "",
        f"Unchanged re-scrape: {again['not_modified']} of {again['pages']} pages answered 304, "
        f"none parsed ({again['parsed_pages']} parsed); {again['wall_s']:.2f} s = "
        f"{again['wall_s'] / fast['wall_s']:.3f} x the first scrape's {fast['wall_s']:.1f} s. "
        f"Of it, {again['commit_s']:.2f} s committing {again['pages']} steps (the 304 pages' "
        f"one statement each marking their records seen: {again['touch_s']:.2f} s), the rest "
        f"the requests and the walk. Paced run: {paced['requests']} requests, so "
        f"(requests - 1) x 1.0 s = politeness floor {floor:.0f} s; wall "
        f"{paced['wall_s']:.1f} s = {paced['wall_s'] / floor:.2f} x the floor. "
        f"Grown run: {grown['inserted']} new providers stored, {grown['gone']} marked gone.",
        "",
        f"Marking the {fast['records']:,} stored providers seen page by page ({touch['pages']} "
        f"statements and commits, on copies of the database after the first run): "
        f"{touch['as is']:.2f} s as the schema is, {touch['trigger on its columns']:.2f} s "
        "with the providers' full-text update trigger limited to the columns it indexes.",
        "",
    ]
    report(lines, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
