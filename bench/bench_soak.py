"""Soak: scheduled runs against the stand-ins with random faults, then a check of everything.

Every stand-in is served in this process (NPPES API, the state boards, the LEIE, NCCAOM, the
practice websites, the NPPES file); ``practitioners run-due`` runs as a child process, as cron
would start it, with every source due at each call (``every = 1`` second). Before each call,
faults are queued on the stand-ins at random: 503s, 429s with ``Retry-After: 1``, answers
slower than the client's read timeout, bodies cut short; and some calls are killed with
SIGKILL at a random moment. After ``--runs`` calls, one clean call; then:

- the database must equal that of an uninterrupted, fault-free scrape (same live records in
  every table, nothing stored twice), pass ``PRAGMA integrity_check`` and the foreign keys;
- every fault the stand-ins served must be in the run log: ``scrape_runs.faults`` by kind,
  and the killed calls as resumed runs. A fault met after a run's last commit, by a run then
  killed, dies with the process: those are counted apart.

    python -m bench.bench_soak [--runs 50] [--n 2000] [--seed 1] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import ROOT, machine, report

KEYS = {"providers": "npi", "licenses": "license_id", "disciplinary_actions": "action_id",
        "exclusions": "exclusion_id", "certifications": "profile_id", "websites": "site_id",
        "website_tags": "claim_id", "practitioners": "practitioner_id"}
FAULT_KINDS = ("503", "429", "timeout", "truncate")
RECORDED_AS = {"503": "http 503", "429": "http 429", "timeout": "ReadTimeout",
               "truncate": "RemoteProtocolError"}
READ_TIMEOUT = 2.0


def soak_config(tmp: Path, base_url: str, web_url: str) -> Path:
    from tests.sites import demo

    path = demo.write_config(tmp, base_url, web_url)
    text = path.read_text(encoding="utf-8")
    text = text.replace("[http]\n", f"[http]\nread_timeout = {READ_TIMEOUT}\nmax_retries = 6\n"
                        "max_retry_after = 5\n", 1)
    text = re.sub(r"^(\[sources\.[\w-]+\])$", r"\1\nevery = 1\nretry = 1", text, flags=re.M)
    path.write_text(text, encoding="utf-8")
    return path


KILLS: list[float] = []  # time.monotonic() of each SIGKILL


def run_due(config: Path, db: Path, kill_after: float | None) -> tuple[int | None, str]:
    process = subprocess.Popen([sys.executable, "-m", "scraper", "--config", str(config),
                                "run-due", "--db", str(db)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if kill_after is not None:
        try:
            output, _ = process.communicate(timeout=kill_after)
            return process.returncode, output  # it finished before the kill
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            KILLS.append(time.monotonic())
            output, _ = process.communicate()
            return None, output
    output, _ = process.communicate(timeout=900)
    return process.returncode, output


def contents(db: Path) -> tuple[dict[str, set], dict[str, int]]:
    conn = sqlite3.connect(db)
    try:
        live, duplicates = {}, {}
        for table, key in KEYS.items():
            live[table] = {r[0] for r in conn.execute(
                f"select [{key}] from [{table}] where gone_at is null")}
            total, distinct = conn.execute(
                f"select count(*), count(distinct [{key}]) from [{table}]").fetchone()
            duplicates[table] = total - distinct
        return live, duplicates
    finally:
        conn.close()


def recorded_faults(db: Path) -> tuple[Counter, int, int]:
    conn = sqlite3.connect(db)
    try:
        faults: Counter = Counter()
        for (text,) in conn.execute("select faults from scrape_runs where faults is not null"):
            faults.update(json.loads(text))
        resumed = conn.execute("select coalesce(sum(resumed), 0) from scrape_runs").fetchone()[0]
        runs = conn.execute("select count(*) from scrape_runs").fetchone()[0]
        return faults, resumed, runs
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--n", type=int, default=2000, help="NPPES stand-in providers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    from tests.sites.serve import start_all

    rng = random.Random(args.seed)
    server, sites = start_all(port=0, n=args.n)
    web = sites["websites_server"]
    prefixes = ["/api/", "/exclusions/", "/FAP/", "/nppes/", *(
        f"/{host}/" for host in sites["socrata"])]
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            config = soak_config(tmp, server.url, web.url)
            reference, soaked = tmp / "reference.db", tmp / "soaked.db"
            code, output = run_due(config, reference, None)
            if code != 0:
                print(output)
                raise SystemExit("the fault-free reference run failed")
            kills = finished_before_kill = failed_calls = 0
            for number in range(1, args.runs + 1):
                for _ in range(rng.randint(1, 3)):
                    kind = rng.choice(FAULT_KINDS)
                    target, prefix = (web, "/s/") if rng.random() < 0.15 else (
                        server, rng.choice(prefixes))
                    count = rng.randint(1, 3)
                    if kind == "503":
                        target.inject(prefix, status=503, count=count)
                    elif kind == "429":
                        target.inject(prefix, status=429, headers={"Retry-After": "1"},
                                      count=count)
                    elif kind == "timeout":
                        target.inject(prefix, status=None, delay=READ_TIMEOUT + 1, count=count)
                    else:
                        target.inject(prefix, status=None, truncate=True, count=count)
                kill = rng.uniform(0.3, 4.0) if rng.random() < 0.3 else None
                code, output = run_due(config, soaked, kill)
                if kill is not None and code is None:
                    kills += 1
                elif kill is not None:
                    finished_before_kill += 1
                if code not in (0, None):
                    failed_calls += 1
                print(f"call {number}: {'killed' if code is None else f'exit {code}'}",
                      flush=True)
            for target in (server, web):  # faults left unserved are not faults met
                target.clear_faults()
            served: Counter = Counter()
            unmet = 0  # slow answers whose caller was killed before its read timeout came
            for target in (server, web):
                for fault in target.faults_served:
                    kind = fault.kind
                    if kind == "delay" and any(0 <= kill - fault.at < READ_TIMEOUT + 0.1
                                               for kill in KILLS):
                        unmet += 1
                        continue
                    served[{"status": f"http {fault.status}", "delay": "ReadTimeout",
                            "truncate": "RemoteProtocolError"}.get(kind, kind)] += 1
            code, output = run_due(config, soaked, None)
            if code != 0:
                print(output)
            expected, _ = contents(reference)
            got, duplicates = contents(soaked)
            lost = {t: len(expected[t] - got[t]) for t in KEYS}
            extra = {t: len(got[t] - expected[t]) for t in KEYS}
            conn = sqlite3.connect(soaked)
            integrity = conn.execute("pragma integrity_check").fetchone()[0]
            foreign = len(conn.execute("pragma foreign_key_check").fetchall())
            statuses = Counter(r[0] for r in conn.execute("select status from scrape_runs"))
            conn.close()
            recorded, resumed, runs = recorded_faults(soaked)
    finally:
        server.stop()
    minutes = (time.monotonic() - started) / 60
    kinds = sorted(set(served) | {k for k in recorded if k != "retries"})
    lines = [
        f"## Soak: {args.runs} scheduled calls with random faults ({time.strftime('%Y-%m-%d')})",
        "",
        f"Command: `python -m bench.bench_soak --runs {args.runs} --n {args.n} "
        f"--seed {args.seed}` · machine: {machine()} · {minutes:.1f} minutes",
        "",
        f"{args.runs} calls of `practitioners run-due` (every source due at each call) against "
        f"the stand-ins ({args.n:,} NPPES providers and everything made from them), then one "
        f"clean call; {kills} calls killed with SIGKILL mid-way ({finished_before_kill} more "
        f"finished before their kill time), {failed_calls} calls exited 1 (a source failed "
        f"after its retries). {runs} runs in the log: "
        f"{', '.join(f'{n} {s}' for s, n in statuses.most_common())}; {resumed} resumptions "
        "of killed runs.",
        "",
        "| fault | served by the stand-ins | recorded in scrape_runs.faults | not recorded |",
        "|---|---:|---:|---:|",
        *(f"| {k} | {served.get(k, 0)} | {recorded.get(k, 0)} | "
          f"{max(0, served.get(k, 0) - recorded.get(k, 0))} |" for k in kinds),
        f"| SIGKILL mid-run | {kills} calls | {resumed} runs resumed (a call runs several "
        "sources at once) | |",
        "",
        "Each fault is written to the run log when the client meets it. Left out of the "
        f"served column: {unmet} slow answers (ReadTimeout) whose call was killed before its "
        f"{READ_TIMEOUT:.0f} s read timeout came, so no client ever met them.",
        "",
        f"Retries recorded: {recorded.get('retries', 0)}. Rows lost: "
        f"{sum(lost.values())}; rows that should not be there: {sum(extra.values())}; rows "
        f"stored twice: {sum(duplicates.values())} (tables: {', '.join(KEYS)}). "
        f"`integrity_check`: {integrity}; foreign key violations: {foreign}.",
        "",
    ]
    if any(lost.values()) or any(extra.values()):
        lines += [f"Differences by table: lost {lost}, extra {extra}", ""]
    report(lines, args.write)
    ok = integrity == "ok" and not foreign and not any(lost.values()) \
        and not any(duplicates.values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
