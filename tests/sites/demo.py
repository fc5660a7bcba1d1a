"""``make demo``: start the local stand-ins, scrape them through real HTTP, change a few of
their records, scrape again, tell what changed, and serve the result.

Run as ``python -m tests.sites.demo [--db demo.db] [--port 8001]``. Needs no internet: the
scraper talks to the stand-ins on 127.0.0.1 with the same client, politeness rules
included (robots.txt, User-Agent, pacing set low), that it uses on the real sites.

The story between the two scrapes (`change_the_sources`): a Washington license lapses, a
discipline case is added to a Colorado license, OIG excludes an acupuncturist, and a newly
licensed Washington acupuncturist enrolls in NPPES. So the published directory has a status
history, rows in `changes`, and entries in the `status_changes` query and its Atom feed.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import email.utils
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from .leie import LeieTruth, _Maker
from .nppes_bulk import MONTHLY_NAME
from .nppes_data import ACUPUNCTURIST_CODE, ACUPUNCTURIST_DESC, XSS_TEXT, npi_check_digit
from .rosters import MoproSite
from .serve import DEMO_NYSED_KEY, start_all
from .socrata_data import Truth, floating

DEMO_PACE = 0.005  # seconds between requests to the stand-in (the real default is 1 s)


def write_config(directory: Path, base_url: str, websites_url: str | None = None,
                 more_private_hosts: tuple[str, ...] = ()) -> Path:
    """A configuration that points every source at the stand-ins, and nowhere else.
    ``more_private_hosts``: other stand-in sites on loopback the websites source may read
    ("127.0.0.1:<port>", the hostile ones)."""
    from urllib.parse import urlsplit

    from scraper.sources import register, socrata

    lines = [
        "# Written by tests/sites/demo.py: the scraper pointed at the local stand-ins.",
        "[http]",
        f"min_interval = {DEMO_PACE}",
        'contact = "demo@localhost"',
        "backoff_base = 0.05",
        'allowed_hosts = ["127.0.0.1"]',
        "[sources.nppes-api]",
        f'base_url = "{base_url}/api/"',
        "[sources.oig-leie]",
        f'url = "{base_url}/exclusions/downloadables/UPDATED.csv"',
        "[sources.nccaom]",
        f'base_url = "{base_url}/FAP/SearchResultWithoutMap"',
        '# three states with every profile page: the whole NCCAOM stand-in would take minutes',
        'states = ["WA", "OR", "CO"]',
        "[sources.websites]",
        "max_page_bytes = 1_000_000",
        "[sources.nppes-bulk]",
        f'url = "{base_url}/nppes/{MONTHLY_NAME}"',
        f'cache_dir = "{directory / "nppes-files"}"',
        # California: DCA's read token, then Box's API; the downloads' host comes in redirects
        "[sources.ca-dca]",
        f'token_url = "{base_url}/dca/boxToken/getToken"',
        f'api_url = "{base_url}/box/2.0"',
        "[sources.fl-mqa]",
        f'form_url = "{base_url}/MQASearchServices/HealthCareProviders"',
        f'export_url = "{base_url}/MQASearchServices/Healthcareproviders/ExportToCsvLVP"',
        "[sources.md-bacc]",
        f'url = "{base_url}/bacc/Documents/acupactive.csv"',
        "[sources.oh-elicense]",
        f'url = "{base_url}/wps/wcm/connect/gov/data/licensure-individual.csv"',
        "[sources.mi-lara]",
        f'url = "{base_url}/LicenseReports/Report.aspx?profession=Acupuncture&format=csv"',
        # Missouri's page builds its links with script: the file's address, as a browser shows
        "[sources.mo-pr]",
        f'page_url = "{base_url}/license/s/license-downloads"',
        f'file_url = "{base_url}{MoproSite.download_path()}"',
        "[sources.nj-mylicense]",
        f'form_url = "{base_url}/Verification_Bulk/Search.aspx?facility=N"',
        # the boards answering one license a request, New York with the operator's own key
        "[sources.ma-borim]",
        f'url = "{base_url}/api-public/search"',
        "[sources.pa-pals]",
        f'url = "{base_url}/api/Search/SearchForPersonOrFacilty"',
        "[sources.va-dhp]",
        f'url = "{base_url}/Lookup/Index"',
        "[sources.ny-nysed]",
        f'url = "{base_url}/rosa/V2/byProfessionAndLicenseNumber"',
        f'api_key = "{DEMO_NYSED_KEY}"',
        "[sources.me-alms]",
        f'form_url = "{base_url}/ALMSOnline/ALMSQuery/SearchIndividual.aspx"',
        f'export_url = "{base_url}/ALMSOnline/ALMSQuery/ExportToCSV.aspx"',
    ]
    if websites_url:
        # The practice websites' stand-in is on loopback, which the guard for URLs taken from
        # scraped data refuses: let that one port through, and no other (a site there that
        # redirects to the registries' port must still be refused).
        hosts = [f"127.0.0.1:{urlsplit(websites_url).port}", *more_private_hosts]
        lines.insert(lines.index("[sources.nppes-api]"),
                     f"allow_private_hosts = {json.dumps(hosts)}")
    for source_id, board in register.REGISTERS.items():
        # each register is mounted under its real host name: /nvbom.certemy.com/api/...
        address = urlsplit(board.url)
        lines += [f"[sources.{source_id}]",
                  f'url = "{base_url}/{address.hostname}{address.path}"']
    for source_id, dataset in socrata.DATASETS.items():
        # each portal is mounted under its real host name: /data.wa.gov/resource/...
        lines += [f"[sources.{source_id}]",
                  f'portal = "{base_url}/{urlsplit(dataset.portal).hostname}"']
    path = directory / "demo.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def coverage_report(db_path: str | Path) -> subprocess.CompletedProcess:
    """`practitioners coverage` on the demo's database, as an operator runs it: per state and in
    total, the share of NPPES acupuncturists whose status comes from their board."""
    return subprocess.run([sys.executable, "-m", "scraper", "coverage", "--db", str(db_path)],
                          check=False, text=True, stdin=subprocess.DEVNULL)


def scrape(db_path: str | Path, config_path: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run the real command line against the stand-ins, as an operator would."""
    command = [sys.executable, "-m", "scraper", "--config", str(config_path), "scrape",
               "--db", str(db_path), *extra]
    return subprocess.run(command, check=False)


# -- the story between the two scrapes ------------------------------------------------------------

NEW_FIRST, NEW_LAST = "ROSALIND", "ALDERWOOD"  # the newly licensed acupuncturist (a made-up name)


@dataclass
class Story:
    """What `change_the_sources` changed at the stand-ins, for the second scrape to find."""

    lapsed_npi: str  # whose Washington license lapsed
    lapsed_license: str  # its number, as the board writes it
    case_npi: str  # whose Colorado license got a discipline case
    case_license: str
    case_number: str
    excluded_npi: str  # whom OIG excluded
    new_npi: str  # the new acupuncturist, in NPPES and licensed in Washington
    new_license: str
    told: list[str] = field(default_factory=list)  # the plot, for people


def _reports(provider: dict, state: str, number: str) -> bool:
    """Whether `provider` reported to NPPES exactly one acupuncture license, this one."""
    from scraper.normalize import license_number

    licenses = [t for t in provider["taxonomies"] if t["code"] == ACUPUNCTURIST_CODE]
    return len(licenses) == 1 and licenses[0]["state"] == state and \
        license_number(licenses[0]["license"]) == license_number(number)


def _person(provider: dict) -> str:
    basic = provider["basic"]
    return f"{basic['first_name']} {basic['last_name']}".title()


def _plain_licensees(board: Any, api: Any, status: str) -> list[tuple[Truth, dict, dict]]:
    """(truth, row, provider) of the board's acupuncture licenses with status `status` held by
    one NPPES provider who reported that license and no other, one row each."""
    rows_of: dict[int, int] = {}
    for truth in board.truth:
        if truth.npi is not None:
            rows_of[truth.npi] = rows_of.get(truth.npi, 0) + 1
    found = []
    for truth in board.acupuncture_truth():
        row = board.rows[truth.row]
        if truth.kind != "license" or truth.npi is None or rows_of[truth.npi] != 1:
            continue
        provider = api.get(truth.npi)
        if (row.get(board.type_field) != board.acupuncture_types[0] or provider is None
                or XSS_TEXT in provider["basic"]["last_name"]
                or not _reports(provider, board.state, row[board.number_field])):
            continue
        found.append((truth, row, provider))
    return [f for f in found if f[1].get("status", f[1].get("licensestatusdescription")) == status]


def _new_npi(providers: list[dict]) -> int:
    """A valid NPI above every one the stand-in holds (so it comes last in every answer)."""
    first9 = max(int(p["number"]) for p in providers) // 10 + 1
    return int(f"{first9}{npi_check_digit(str(first9))}")


def change_the_sources(sites: dict[str, Any], today: dt.date | None = None) -> Story:
    """Change a few records of the stand-ins of `start_all`, through their own data, as the
    real sites would between two scrapes; return what changed. The ground truth (`board_data`,
    `leie_data`) follows, so tests measuring against it still hold.

    - Washington: the active license that expires first lapses (status ACTIVE -> EXPIRED; its
      expiry date is set to yesterday if it had not passed yet);
    - Colorado: a discipline case (a letter of admonition) is listed against an active license;
    - OIG: an Oregon acupuncturist is excluded (a new row of UPDATED.csv);
    - NPPES and Washington: a new acupuncturist enrolls, licensed by the board days ago.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    api, boards = sites["nppes"], sites["board_data"]
    wa, co = boards["data.wa.gov"], boards["data.colorado.gov"]
    story_npis: set[int] = set()
    told = []

    # Washington: a license lapses.
    truth, row, provider = min(_plain_licensees(wa, api, "ACTIVE"),
                               key=lambda found: found[1]["expirationdate"])
    expired = dt.date.fromisoformat(row["expirationdate"][:10])
    if expired >= today:
        expired = today - dt.timedelta(days=1)
    row.update(status="EXPIRED", expirationdate=floating(expired))
    lapsed = {"lapsed_npi": str(truth.npi), "lapsed_license": row["credentialnumber"]}
    story_npis.add(truth.npi)
    told.append(f"Washington: license {row['credentialnumber']} of {_person(provider)} (NPI "
                f"{truth.npi}) lapsed: ACTIVE -> EXPIRED, expired {expired} and not renewed")

    # Colorado: a discipline case against a license that had none.
    cases = {r.get("casenumber") for r in co.rows}
    truth, row, provider = next(found for found in _plain_licensees(co, api, "Active")
                                if not found[1].get("casenumber"))
    number = f"{today.year}-{truth.npi % 1_000_000:06d}"
    while number in cases:
        number = f"{today.year}-{(int(number[-6:]) + 1) % 1_000_000:06d}"
    effective = today - dt.timedelta(days=7)
    row.update(programaction="Letter of Admonition", casenumber=number,
               disciplineeffectivedate=floating(effective))
    case = {"case_npi": str(truth.npi), "case_license": row["licensenumber"],
            "case_number": number}
    story_npis.add(truth.npi)
    told.append(f"Colorado: discipline case {number} (Letter of Admonition, effective "
                f"{effective}) listed against license {row['licensenumber']} of "
                f"{_person(provider)} (NPI {truth.npi})")

    # OIG: an acupuncturist excluded.
    leie, leie_data = sites["leie"], sites["leie_data"]
    excluded_before = {t.npi for t in leie_data.truth}
    person = next(p for p in api.providers if p["enumeration_type"] == "NPI-1"
                  and int(p["number"]) not in excluded_before | story_npis
                  and XSS_TEXT not in p["basic"]["last_name"]
                  and all(a["state"] == "OR" for a in p["addresses"]))
    day = today - dt.timedelta(days=20)
    exclusion = _Maker(random.Random(f"demo-{today}"), api.providers).acupuncturist(
        person, day, day, with_npi=True)
    leie_data.rows.append(exclusion)  # the site serves this very list
    leie_data.truth.append(LeieTruth(len(leie_data.rows) - 1, int(person["number"]), "npi"))
    leie.last_modified = email.utils.format_datetime(dt.datetime.now(dt.UTC), usegmt=True)
    leie.touch()
    story_npis.add(int(person["number"]))
    told.append(f"OIG: {_person(person)} (NPI {person['number']}, Oregon) excluded under "
                f"section {exclusion['EXCLTYPE']} from {day}")

    # NPPES and Washington: a new acupuncturist.
    template = next(p for p in api.providers if p["enumeration_type"] == "NPI-1"
                    and int(p["number"]) not in story_npis
                    and XSS_TEXT not in p["basic"]["last_name"]
                    and all(a["state"] == "WA" for a in p["addresses"]))
    npi = _new_npi(api.providers)
    license_no = f"AC6{npi % 10_000_000:07d}"
    issued = today - dt.timedelta(days=10)
    epoch = int(dt.datetime.combine(today, dt.time(), dt.UTC).timestamp())
    new = copy.deepcopy(template)  # at the address of an acupuncturist already there
    new.update(number=npi, created_epoch=epoch, last_updated_epoch=epoch, other_names=[],
               identifiers=[], practiceLocations=[],
               taxonomies=[{"code": ACUPUNCTURIST_CODE, "desc": ACUPUNCTURIST_DESC,
                            "primary": True, "state": "WA", "license": license_no}])
    new.pop("endpoints", None)
    new["basic"] = {"first_name": NEW_FIRST, "last_name": NEW_LAST, "credential": "L.AC.",
                    "sole_proprietor": "NO", "gender": "F",
                    "enumeration_date": today.isoformat(), "last_updated": today.isoformat(),
                    "status": "A", "name": f"{NEW_LAST} {NEW_FIRST}"}
    api.providers.append(new)
    api.reindex()
    wa.truth.append(Truth(len(wa.rows), npi, "license"))
    wa.rows.append({"credentialnumber": license_no, "lastname": NEW_LAST, "firstname": NEW_FIRST,
                    "credentialtype": wa.acupuncture_types[0], "status": "ACTIVE",
                    "firstissuedate": floating(issued), "lastissuedate": floating(issued),
                    "expirationdate": floating(issued + dt.timedelta(days=730)),
                    "actiontaken": "No", "birthyear": "1996"})
    told.append(f"NPPES and Washington: a new acupuncturist, {NEW_FIRST.title()} "
                f"{NEW_LAST.title()}, licensed {license_no} on {issued}, enrolled with NPI {npi}")

    # Both boards published their changes: the datasets' rowsUpdatedAt moves on.
    for board in (wa, co):
        dataset = sites["socrata"][board.host].datasets[board.dataset_id]
        board.rows_updated_at = max(dataset.rows_updated_at + 1, int(time.time()))
        dataset.touch(board.rows_updated_at)
    return Story(**lapsed, **case, excluded_npi=str(person["number"]), new_npi=str(npi),
                 new_license=license_no, told=told)


# -- what the second scrape saw ---------------------------------------------------------------------


def published(db_path: str | Path, path: str) -> Any:
    """GET `path` (e.g. "/demo/status_changes.json?...") from the database as served."""
    from publish.app import make_datasette

    async def get() -> Any:
        ds = make_datasette(db_path)
        await ds.invoke_startup()
        return await ds.client.get(path)

    return asyncio.run(get())


def status_changes(db_path: str | Path, **params: str) -> list[dict]:
    """The rows of the published `status_changes` query."""
    query = urlencode({**params, "_shape": "array"})
    response = published(db_path, f"/{Path(db_path).stem}/status_changes.json?{query}")
    response.raise_for_status()
    return response.json()


def last_run(db_path: str | Path) -> int:
    """The id of the latest run in the database (the runs after it are a later scrape's)."""
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        return conn.execute("select coalesce(max(id), 0) from scrape_runs").fetchone()[0]


def what_changed(db_path: str | Path, after_run: int, port: int = 8001) -> list[str]:
    """What the runs after `after_run` found changed, as the published directory shows it."""
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        since = conn.execute("select min(started_at) from scrape_runs where id > ?",
                             [after_run]).fetchone()[0]
        # (the linking after a scrape writes its changes of practitioners without a run)
        counted = conn.execute("select table_name, count(*) from changes where changed_at >= ? "
                               "group by table_name order by table_name", [since]).fetchall()
        newcomers = conn.execute(
            "select p.practitioner_id, p.display_name, p.license_status, p.licensed_states "
            "from practitioners p join providers v on v.npi = p.npi "
            "where v.first_seen_run_id > ? order by p.practitioner_id", [after_run]).fetchall()
    lines = ["Rows of `changes` written by the second scrape: " + (", ".join(
        f"{n} in {table}" for table, n in counted) or "none")]
    rows = status_changes(db_path, since=since or "")
    lines.append(f"The status_changes query since {since}: {len(rows)} entries")
    lines += [f"  {r['changed_at']}  {r['atom_title']}" for r in rows]
    lines.append(f"New practitioners: {len(newcomers)}")
    lines += [f"  {r['display_name']} ({r['practitioner_id']}): license {r['license_status']} "
              f"in {r['licensed_states']}" for r in newcomers]
    base = f"http://127.0.0.1:{port}/{Path(db_path).stem}"
    lines += ["See them at", f"  {base}/status_changes", f"  {base}/status_changes.atom  "
              "(the Atom feed)", f"  {base}/changes"]
    return lines


def _fresh_start(path: Path) -> str | None:
    """Remove the database of an earlier demo, so the story starts again from the first
    scrape; None when done, else why not (a database that read other sites is not ours)."""
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            foreign = conn.execute("select count(*) from fetch_log where url not like "
                                   "'http://127.0.0.1:%'").fetchone()[0]
    except sqlite3.Error as exc:
        return f"{path} exists and is not a demo database ({exc}); give another --db"
    if foreign:
        return (f"{path} exists and holds pages of other sites than the stand-ins: it is not a "
                "demo database, so it is left alone; give another --db")
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--db", default="demo.db",
                        help="the demo's database, made afresh (an earlier demo's is replaced)")
    parser.add_argument("--port", type=int, default=8001, help="Datasette's port")
    parser.add_argument("--n", type=int, default=20_000, help="acupuncturists in the stand-in")
    parser.add_argument("--no-serve", action="store_true", help="scrape only")
    args = parser.parse_args(argv)
    refused = _fresh_start(Path(args.db))
    if refused:
        print(refused, file=sys.stderr)
        return 2
    server, sites = start_all(port=0, n=args.n)
    websites_url = sites["websites_server"].url
    print(f"Stand-ins running at {server.url} (NPPES API at {server.url}/api/), practice "
          f"websites at {websites_url}/s/", flush=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = write_config(Path(tmp), server.url, websites_url)
            print("\nFirst scrape of every stand-in:", flush=True)
            result = scrape(args.db, config)
            if result.returncode == 0:
                after = last_run(args.db)
                story = change_the_sources(sites)
                print("\nThe story: between the two scrapes, the stand-in sites changed:",
                      *(f"  - {line}" for line in story.told), "\nSecond scrape:", sep="\n",
                      flush=True)
                result = scrape(args.db, config)
    finally:
        server.stop()
    if result.returncode != 0:
        print("The demo scrape did not finish cleanly; see the messages above.", file=sys.stderr)
        return result.returncode
    print("\nWhat the second scrape saw:", *what_changed(args.db, after, args.port), sep="\n")
    print("\nWhere each state's license status comes from (practitioners coverage):",
          flush=True)
    coverage_report(args.db)
    if args.no_serve:
        return 0
    print(f"\nDatasette: http://127.0.0.1:{args.port}/{Path(args.db).stem}  (Ctrl-C to stop)\n",
          flush=True)
    os.execv(sys.executable, [sys.executable, "-m", "scraper", "serve", "--db", args.db,
                              "--port", str(args.port)])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
