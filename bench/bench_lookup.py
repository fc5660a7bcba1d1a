"""Benchmark: the boards asked one license at a time (issue 17, scraper/sources/lookup.py).

The generated NPPES providers are stored as a run of nppes-api leaves them; then each lookup
board's run asks its stand-in (tests/sites/lookups.py) over real HTTP on 127.0.0.1 about every
number NPPES individuals report for its state, once with no pace and once at the demo's pace,
each pace on a fresh database, in the same invocation. Reported per board: numbers asked, wall
time, time per lookup, requests, the run's status; and the process's peak memory.

    python -m bench.bench_lookup [--n 20000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from bench.common import machine
from db import store
from db.migrations import open_db
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import run_source
from scraper.models import Provenance
from scraper.sources.nppes_api import parse_provider
from tests.sites.lookups import PREFIXES, BorimSite, DhpSite, NysedSite, PalsSite
from tests.sites.lookups_data import generate_lookup_data
from tests.sites.nppes_data import generate_providers
from tests.sites.server import SiteServer

KEY = "bench-key"  # the NYSED stand-in's key
BOARDS = {"MA": ("ma-borim", BorimSite, "/api-public/search"),
          "PA": ("pa-pals", PalsSite, "/api/Search/SearchForPersonOrFacilty"),
          "VA": ("va-dhp", DhpSite, "/Lookup/Index"),
          "NY": ("ny-nysed", NysedSite, "/rosa/V2/byProfessionAndLicenseNumber")}


def _database(path: Path, providers: list[dict]) -> None:
    db = open_db(path)
    stamp = "2026-12-01T00:00:00Z"
    with store.transaction(db):
        store.upsert_providers(db, [parse_provider(p, "https://npiregistry.example/api",
                                                   Provenance("nppes-api", "u", stamp))
                                    for p in providers], None, stamp)
    db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="generated NPPES providers")
    args = parser.parse_args(argv)
    providers = generate_providers(args.n)
    data = {state: generate_lookup_data(providers, state) for state in BOARDS}
    print(f"Command: `python -m bench.bench_lookup --n {args.n}`  \nMachine: {machine()}\n")
    print("| board | pace (s) | numbers asked | run (s) | per lookup (ms) | requests | status |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for pace in (0.0, 0.005):
        http = HttpConfig(min_interval=pace, allowed_hosts=("127.0.0.1",))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "lookups.db"
            _database(path, providers)
            for state, (source_id, kind, url) in BOARDS.items():
                key = {"api_key": KEY} if state == "NY" else {}
                site = kind(data[state], **key)
                with SiteServer() as server:
                    server.add_site(PREFIXES[state], site)
                    config = Config(http=http, sources={source_id: {"url": server.url + url,
                                                                    **key}})
                    start = time.perf_counter()
                    with Fetcher(http) as fetcher:
                        result = run_source(config, source_id, db_path=path, fetcher=fetcher)
                    took = time.perf_counter() - start
                asked = len(site.asked)
                print(f"| {source_id} | {pace:g} | {asked:,} | {took:.1f} | "
                      f"{1000 * took / max(asked, 1):.1f} | {result.counts['requests']:,} | "
                      f"{result.status} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nPeak memory of the process (providers generated and stored, both paces): "
          f"{peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
