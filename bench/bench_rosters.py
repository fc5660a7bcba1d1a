"""Benchmark: what reading a roster out of a ZIP costs (Missouri's downloads, issue 17).

A tab-separated cp1252 file in Missouri's layout (the mo-pr columns), rows made up, read by the
board-file checks (``scan_file``: format, header, acupuncture rows) and parsed to licenses, once
as a plain file and once from inside a ZIP (``table_path`` copies the member out first, within
its bounds). Each run in a child process; reported: wall time, rows/s and peak memory.

    python -m bench.bench_rosters [--rows 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench.common import ROOT, machine

COLUMNS = ("lic_number", "prc_first_name", "prc_middle_name", "prc_last_name", "prc_suffix",
           "lic_profession", "lst_description", "lic_orig_issue_date", "lic_exp_date",
           "ba_address", "ba_city", "ba_state", "ba_zip", "discipline")
LAST = ("Nguyen", "Kim", "Nuñez", "Garcia", "Smith", "Lee", "Chen", "Patel", "O'Brien", "Wang")
FIRST = ("Ana", "John", "Mei", "David", "Sofía", "Li", "José", "Karen", "Min", "Raj")


def write_file(path: Path, rows: int) -> None:
    rng = random.Random(rows)
    with open(path, "w", encoding="cp1252", newline="") as out:
        out.write("\t".join(COLUMNS) + "\r\n")
        for i in range(rows):
            kind = "Auricular Detox Technician" if rng.random() < 0.1 else "Acupuncturist"
            values = [f"{2000 + i % 25}{i:06d}", rng.choice(FIRST), rng.choice(FIRST)[:1],
                      rng.choice(LAST), "", kind,
                      rng.choice(("Active", "Active", "Active", "Expired", "Inactive")),
                      f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1980, 2024)}",
                      f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(2020, 2028)}",
                      f"{rng.randint(1, 9999)} MAIN ST", "Kansas City", "MO",
                      f"641{rng.randint(0, 99):02d}", rng.choice("NNNNNNNNNY")]
            out.write("\t".join(values) + "\r\n")


def child(path: str) -> None:
    from scraper.models import License
    from scraper.sources.boardfile import BOARD_FILES, parse_file, scan_file, table_path

    cfg = BOARD_FILES["mo-pr"]
    if not path.endswith(".zip"):
        cfg = type(cfg)(**{**cfg.__dict__, "member": None})
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        table = table_path(cfg, Path(path), "bench", Path(tmp) / "table")
        scan = scan_file(cfg, table, "bench")
        licenses = sum(isinstance(r, License) for r in parse_file(cfg, table, scan, path, ""))
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": scan.rows, "licenses": licenses, "wall": wall, "peak": peak}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "ACUPUNCTURE.txt"
        write_file(plain, args.rows)
        packed = Path(tmp) / "Acupuncture.zip"
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(plain, plain.name)
        size, zipped = plain.stat().st_size / 1e6, packed.stat().st_size / 1e6
        lines = [f"### Roster in a ZIP: {args.rows:,} rows in Missouri's layout, "
                 f"{time.strftime('%Y-%m-%d')}", "",
                 f"Command: `python -m bench.bench_rosters --rows {args.rows}`  ",
                 f"Machine: {machine()}. A {size:.1f} MB tab-separated cp1252 file, "
                 f"{zipped:.1f} MB zipped; each run in a child process.", "",
                 "| run | rows | licenses | wall s | rows/s | peak RSS MB |",
                 "|---|---|---|---|---|---|"]
        for label, path in (("plain file: check and parse", plain),
                            ("ZIP: copy the member out, check and parse", packed)):
            out = subprocess.run([sys.executable, "-m", "bench.bench_rosters", "--child",
                                  str(path)], cwd=ROOT, capture_output=True, text=True,
                                 check=True)
            got = json.loads(out.stdout.strip().splitlines()[-1])
            lines.append(f"| {label} | {got['rows']:,} | {got['licenses']:,} | "
                         f"{got['wall']:.1f} | {got['rows'] / got['wall']:,.0f} | "
                         f"{got['peak']:.0f} |")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
