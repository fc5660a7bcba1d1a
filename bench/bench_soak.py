"""Soak: scheduled runs against the stand-ins with random faults, then a check of everything.

Every stand-in is served in this process (NPPES API, the state boards, the LEIE, NCCAOM, the
practice websites, the NPPES file, and each hostile website of ``tests/sites/hostile.py`` on
a port of its own, listed as their website by as many more NPPES individuals);
``practitioners run-due`` runs as a child process, as cron would start it, with every source
due at each call (``every = 1`` second). Before each call, faults are queued on the stand-ins
at random: 503s, 429s with ``Retry-After: 1``, answers slower than the client's read timeout,
bodies cut short; and some calls are killed with SIGKILL at a random moment. The hostile sites
are hostile at every call, the fault-free reference run's included. After ``--runs`` calls,
one clean call; then:

- the database must equal that of an uninterrupted, fault-free scrape (same live records in
  every table, nothing stored twice), pass ``PRAGMA integrity_check`` and the foreign keys;
- every fault the stand-ins served must be in the run log: ``scrape_runs.faults`` by kind,
  and the killed calls as resumed runs. A fault met after a run's last commit, by a run then
  killed, dies with the process: those are counted apart;
- each hostile site must have the status its case says, in the reference and after the soak,
  and the metadata service the redirects point at must have had no request;
- no call may hang: a call not killed on purpose that runs past ``CALL_BOUND`` is killed and
  counted as hung.

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
# The whole of one answer: past the read timeout (a slow answer is still a ReadTimeout, as the
# faults above expect) and far past any page of the stand-ins; a dripping site ends here.
TOTAL_TIMEOUT = 4.0
CALL_BOUND = 180.0  # seconds: a call of run-due that has not ended by then has hung


def soak_config(tmp: Path, base_url: str, web_url: str, hostile_hosts: tuple[str, ...] = ()
                ) -> Path:
    from tests.sites import demo

    path = demo.write_config(tmp, base_url, web_url, more_private_hosts=hostile_hosts)
    text = path.read_text(encoding="utf-8")
    text = text.replace("[http]\n", f"[http]\nread_timeout = {READ_TIMEOUT}\nmax_retries = 6\n"
                        f"max_retry_after = 5\ntotal_timeout = {TOTAL_TIMEOUT}\n", 1)
    text = re.sub(r"^(\[sources\.[\w-]+\])$", r"\1\nevery = 1\nretry = 1", text, flags=re.M)
    path.write_text(text, encoding="utf-8")
    return path


KILLS: list[float] = []  # time.monotonic() of each SIGKILL
CALLS: list[float] = []  # how long each call that ran to its end took, in seconds
HUNG: list[float] = []  # time.monotonic() of each call killed for running past CALL_BOUND


def run_due(config: Path, db: Path, kill_after: float | None) -> tuple[int | None, str]:
    """Exit code and output of one call; None for a call killed (on purpose, or hung)."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "scraper", "--config", str(config),
                                "run-due", "--db", str(db)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = process.communicate(timeout=min(kill_after or CALL_BOUND, CALL_BOUND))
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        (KILLS if kill_after is not None and kill_after < CALL_BOUND else HUNG).append(
            time.monotonic())
        output, _ = process.communicate()
        return None, output
    CALLS.append(time.monotonic() - started)  # it ended (before its kill time, if it had one)
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


def website_statuses(db: Path, keys: list[str]) -> list[str]:
    """The status of each of these sites, "absent" for one not stored."""
    conn = sqlite3.connect(db)
    try:
        return [(conn.execute("select status from websites where site_id = ?", [key])
                 .fetchone() or ("absent",))[0] for key in keys]
    finally:
        conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--n", type=int, default=2000, help="NPPES stand-in providers")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    from scraper.normalize import site_id
    from tests.sites.hostile import CASES, HostileSites
    from tests.sites.serve import start_all

    rng = random.Random(args.seed)
    hostile = HostileSites().start()
    server, sites = start_all(port=0, n=args.n, more_websites=[
        url for name in hostile.names for url in hostile.urls(name)])
    web = sites["websites_server"]
    prefixes = ["/api/", "/exclusions/", "/FAP/", "/nppes/", *(
        f"/{host}/" for host in sites["socrata"])]
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            config = soak_config(tmp, server.url, web.url, hostile.private_hosts())
            reference, soaked = tmp / "reference.db", tmp / "soaked.db"
            code, output = run_due(config, reference, None)
            if code != 0:
                print(output)
                raise SystemExit("the fault-free reference run failed")
            for site in hostile.sites.values():  # what the reference met is not the soak's
                site.attacks.clear()
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
            # The hostile sites' faults: each answer that is one (a 503 or 429 over the cap, a
            # drip), unless the call was killed before the client could meet it (a drip ends
            # at the total deadline).
            by_hostile: Counter = Counter()
            for name, site in hostile.sites.items():
                kind = CASES[name].fault
                for at in site.attacks if kind else ():
                    if kind == "DeadlineExceeded" and any(
                            0 <= kill - at < TOTAL_TIMEOUT + 0.1 for kill in KILLS):
                        unmet += 1
                        continue
                    by_hostile[kind] += 1
            served.update(by_hostile)
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
            cases = []  # (case, expected status, in the reference, after the soak, answers)
            for name, site in hostile.sites.items():
                keys = [site_id(url) for url in hostile.urls(name)]
                cases.append((name, CASES[name].status, website_statuses(reference, keys),
                              website_statuses(soaked, keys), len(site.attacks)))
            metadata_requests = len(hostile.metadata.requests)
    finally:
        server.stop()
        hostile.stop()
    minutes = (time.monotonic() - started) / 60
    kinds = sorted(set(served) | {k for k in recorded if k != "retries"})
    hostile_ok = all(ref == soak == [status] * len(ref) for _, status, ref, soak, _ in cases)
    longest = max(CALLS)
    lines = [
        f"## Soak: {args.runs} scheduled calls with random faults and hostile sites "
        f"({time.strftime('%Y-%m-%d')})",
        "",
        f"Command: `python -m bench.bench_soak --runs {args.runs} --n {args.n} "
        f"--seed {args.seed}` · machine: {machine()} · {minutes:.1f} minutes",
        "",
        f"{args.runs} calls of `practitioners run-due` (every source due at each call) against "
        f"the stand-ins ({args.n:,} NPPES providers and everything made from them, and the "
        f"{len(cases)} hostile websites of `tests/sites/hostile.py`, each on a port of its own "
        f"and listed by NPPES individuals, hostile at every call), then one clean call; "
        f"{kills} calls killed with SIGKILL mid-way ({finished_before_kill} more finished "
        f"before their kill time), {failed_calls} calls exited 1 (a source failed after its "
        f"retries). {runs} runs in the log: "
        f"{', '.join(f'{n} {s}' for s, n in statuses.most_common())}; {resumed} resumptions "
        "of killed runs.",
        "",
        f"No call may hang: one not killed on purpose is killed at {CALL_BOUND:.0f} s. Calls "
        f"hung: {len(HUNG)}. The {len(CALLS)} calls that ran to their end (the reference run "
        f"and the clean call included) took {min(CALLS):.1f} to {longest:.1f} s, "
        f"{sum(CALLS) / len(CALLS):.1f} s on average (`http.total_timeout` = "
        f"{TOTAL_TIMEOUT:g} s: a dripping site costs its worker that long).",
        "",
        "| fault | served by the stand-ins | of them by the hostile sites | recorded in "
        "scrape_runs.faults | not recorded |",
        "|---|---:|---:|---:|---:|",
        *(f"| {k} | {served.get(k, 0)} | {by_hostile.get(k, 0)} | {recorded.get(k, 0)} | "
          f"{max(0, served.get(k, 0) - recorded.get(k, 0))} |" for k in kinds),
        f"| SIGKILL mid-run | {kills} calls | | {resumed} runs resumed (a call runs several "
        "sources at once) | |",
        "",
        "Each fault is written to the run log when the client meets it. Left out of the "
        f"served column: {unmet} slow or dripped answers (ReadTimeout, DeadlineExceeded) whose "
        f"call was killed before its {READ_TIMEOUT:.0f} s read timeout or "
        f"{TOTAL_TIMEOUT:g} s total deadline came, so no client ever met them.",
        "",
        "The hostile sites (`tests/sites/hostile.py`), each site's `websites.status` in the "
        "reference run and in the soaked database (two statuses: the case is listed at two "
        "addresses of its host), and the hostile answers it served over the soak's calls:",
        "",
        "| case | expected status | reference | after the soak | fault it counts | hostile "
        "answers served |",
        "|---|---|---|---|---|---:|",
        *(f"| {name} | {status} | {', '.join(ref)} | {', '.join(soak)} | "
          f"{CASES[name].fault or '(none: the status says)'} | {attacks} |"
          for name, status, ref, soak, attacks in cases),
        "",
        f"Every hostile site as its case expects, in both: {'yes' if hostile_ok else 'NO'}. "
        f"Requests that reached the metadata service the redirects point at: "
        f"{metadata_requests}.",
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
        and not any(duplicates.values()) and not HUNG and hostile_ok and not metadata_requests
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
