"""Benchmark: import a 100,000-row board file (California's licensee-list layout).

A tab-separated file in cp1252 with the DCA columns (../shared/SOURCES-EVIDENCE.md), rows
made up, served by the standard library's HTTP server in its own process on 127.0.0.1. Each
run is a child process, pacing off:
- import: the board-file source as an operator defines it by settings (download, the
  checks before storing, parse, normalize, store), through the job runner;
- import of a tenth of the rows: whether memory grows with the file (streamed) or not;
- read only: download the same file and split its rows, no parse, no store: the ceiling.
Reported: rows/s and each child's peak memory.

    python -m bench.bench_boardfile [--rows 100000] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, free_port, machine, report

HEADER = ["Agency Name", "License Type", "Speciality Code", "License Number", "Indiv/Org (I/O)",
          "Org/Last Name", "First Name", "Middle Name", "Suffix", "Address Line 1",
          "Address Line 2", "City", "County", "State", "Zip", "Country", "Original Issue Date",
          "Expiration Date", "School", "Year Graduated", "Degree", "License Status"]
COLUMNS = {"license_number": "License Number", "last_name": "Org/Last Name",
           "first_name": "First Name", "middle_name": "Middle Name",
           "license_type": "License Type", "status": "License Status",
           "issued_on": "Original Issue Date", "expires_on": "Expiration Date",
           "address_1": "Address Line 1", "address_2": "Address Line 2", "city": "City",
           "state": "State", "zip": "Zip", "school": "School", "graduated": "Year Graduated",
           "degree": "Degree"}
LAST = ("NGUYEN", "KIM", "NUÑEZ", "GARCIA", "SMITH", "LEE", "CHEN", "PATEL", "O'BRIEN", "WANG")
FIRST = ("ANA", "JOHN", "MEI", "DAVID", "SOFIA", "LI", "JOSÉ", "KAREN", "MIN", "RAJ")


def write_file(path: Path, rows: int) -> None:
    rng = random.Random(rows)
    with open(path, "w", encoding="cp1252", newline="") as out:
        out.write("\t".join(HEADER) + "\r\n")
        for i in range(rows):
            org = rng.random() < 0.03
            values = ["Acupuncture Board", "Acupuncture Corporation" if org else "Acupuncturist",
                      "", f"AC{i + 1:05d}", "O" if org else "I", rng.choice(LAST),
                      "" if org else rng.choice(FIRST), "" if org else rng.choice(FIRST), "",
                      f"{rng.randint(1, 9999)} MAIN ST", "", "OAKLAND", "ALAMEDA", "CA",
                      f"946{rng.randint(0, 99):02d}{rng.randint(0, 9999):04d}", "US",
                      f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1980, 2024)}",
                      f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(2020, 2028)}",
                      "Five Branches University", str(rng.randint(1975, 2023)), "MSTCM",
                      rng.choice(("Current", "Current", "Current", "Delinquent", "Cancelled"))]
            out.write("\t".join(values) + "\r\n")


def child(mode: str, url: str, db: str) -> None:
    from scraper.config import Config, HttpConfig
    from scraper.http import Fetcher

    http = HttpConfig(min_interval=0, contact="bench@localhost", allowed_hosts=("127.0.0.1",))
    started = time.perf_counter()
    with Fetcher(http) as fetcher:
        if mode == "import":
            from scraper.jobs import run_source
            from scraper.sources import register_configured

            settings = {"kind": "board-file", "title": "bench board", "state": "CA", "url": url,
                        "columns": COLUMNS, "type_column": "License Type",
                        "type_pattern": "acupunct", "skip_column": "Indiv/Org (I/O)",
                        "skip_values": ["O"]}
            config = Config(http=http, sources={"bench-board": settings})
            register_configured(config.sources)
            result = run_source(config, "bench-board", db_path=db, fetcher=fetcher)
            rows, status = result.counts["records"], result.status
        else:  # download and split the rows only: the ceiling
            from scraper.tabular import read_table

            with tempfile.NamedTemporaryFile() as handle:
                fetcher.download(url, handle)
                handle.flush()
                rows = sum(1 for _ in read_table(Path(handle.name), "auto", "auto")) - 1
            status = "ok"
    wall = time.perf_counter() - started
    print(json.dumps({"mode": mode, "status": status, "rows": rows, "wall_s": wall,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _child(mode: str, url: str, db: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_boardfile", "--child", mode,
                          "--url", url, "--db", db], check=True, capture_output=True, text=True,
                         cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.db)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write_file(Path(tmp) / "full.xls", args.rows)
        write_file(Path(tmp) / "small.xls", args.rows // 10)
        size_mb = (Path(tmp) / "full.xls").stat().st_size / 1e6
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                                   "127.0.0.1", "--directory", tmp],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            base = f"http://127.0.0.1:{port}"
            results = {
                "read": _child("read", f"{base}/full.xls", ""),
                "full": _child("import", f"{base}/full.xls", os.path.join(tmp, "full.db")),
                "small": _child("import", f"{base}/small.xls", os.path.join(tmp, "small.db")),
            }
        finally:
            server.terminate()
            server.wait(timeout=10)
    full, small, read = results["full"], results["small"], results["read"]
    lines = [
        f"### Board file: {args.rows:,} rows in California's layout, {time.strftime('%Y-%m-%d')}",
        "",
        f"Command: `python -m bench.bench_boardfile --rows {args.rows}`  ",
        f"Machine: {machine()}. A {size_mb:.1f} MB tab-separated cp1252 file served by "
        "`python -m http.server` on 127.0.0.1; each run in a child process; pacing off.",
        "",
        "| run | status | rows | wall s | rows/s | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in ((f"import {args.rows:,} rows (download, check, parse, store)", full),
                    (f"import {args.rows // 10:,} rows, same layout", small),
                    ("download and split the rows only, no parse or store", read)):
        lines.append(f"| {name} | {r['status']} | {r['rows']:,} | {r['wall_s']:.1f} | "
                     f"{r['rows'] / r['wall_s']:,.0f} | {r['peak_rss_mb']:.0f} |")
    lines += [
        "",
        f"The import runs at {full['rows'] / full['wall_s'] / (read['rows'] / read['wall_s']):.0%}"
        f" of the read-only rate. Peak memory {full['peak_rss_mb']:.0f} MB for {args.rows:,} "
        f"rows against {small['peak_rss_mb']:.0f} MB for a tenth of them.",
        "",
    ]
    report(lines, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
