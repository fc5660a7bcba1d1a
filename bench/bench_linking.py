"""Benchmark: linking precision and recall on the stand-ins, where the truth is known.

Scrapes every stand-in through the real client (pacing off), links, and compares each board
license's (the Socrata boards', California's and Florida's files) and each exclusion's
practitioner with the NPPES provider the stand-in made it for.

    python -m bench.bench_linking [--n 20000] [--write]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.common import machine, report
from db.migrations import connect
from scraper.config import Config, HttpConfig
from scraper.http import Fetcher
from scraper.jobs import relink, run_sources
from scraper.sources import SOURCES
from tests.sites import demo
from tests.sites.serve import start_all
from tests.sites.truth import linking_quality


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    server, sites = start_all(port=0, n=args.n)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            from scraper.config import load_config

            config: Config = load_config(demo.write_config(Path(tmp), server.url))
            config = Config(db=str(Path(tmp) / "l.db"), sources=config.sources,
                            http=HttpConfig(min_interval=0, allowed_hosts=("127.0.0.1",)))
            with Fetcher(config.http) as fetcher:
                run_sources(config, list(SOURCES), fetcher=fetcher)
            started = time.perf_counter()
            counts = relink(config)
            link_s = time.perf_counter() - started
            quality = linking_quality(connect(config.db, readonly=True), sites["board_data"],
                                      sites["leie_data"], sites["dca_data"], sites["mqa_data"])
    finally:
        server.stop()
    lines = [
        f"### Linking precision and recall on the stand-ins ({args.n:,} NPPES providers), "
        f"{time.strftime('%Y-%m-%d')}",
        "",
        f"Command: `python -m bench.bench_linking --n {args.n}`  ",
        f"Machine: {machine()}. Goal (issue 4): precision >= 0.99, recall >= 0.95.",
        "",
        "| records | pairs | true links | wrong links | missed | precision | recall |",
        "|---|---|---|---|---|---|---|",
    ]
    labels = {"all": "all records", "reformatted": "licenses numbered differently in NPPES",
              "license": "board licenses (Socrata)",
              "license-CA": "CA licenses (DCA files)", "license-FL": "FL licenses (MQA export)",
              "exclusion-npi": "exclusions with an NPI",
              "exclusion-name-only": "exclusions without an NPI"}
    for key, label in labels.items():
        if key in quality:
            q = quality[key]
            lines.append(f"| {label} | {q['pairs']:,} | {q['tp']:,} | {q['fp']} | {q['fn']} | "
                         f"{q['precision']:.4f} | {q['recall']:.4f} |")
    lines += ["", f"Rebuilding {counts['links']:,} links took {link_s:.1f} s.", ""]
    report(lines, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
