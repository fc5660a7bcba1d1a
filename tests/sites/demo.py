"""``make demo``: start the local stand-ins, scrape them through real HTTP, serve the result.

Run as ``python -m tests.sites.demo [--db demo.db] [--port 8001]``. Needs no internet: the
scraper talks to the stand-ins on 127.0.0.1 with the same client, politeness rules
included (robots.txt, User-Agent, pacing set low), that it uses on the real sites.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .nppes_bulk import MONTHLY_NAME
from .serve import start_all

DEMO_PACE = 0.005  # seconds between requests to the stand-in (the real default is 1 s)


def write_config(directory: Path, base_url: str, websites_url: str | None = None,
                 more_private_hosts: tuple[str, ...] = ()) -> Path:
    """A configuration that points every source at the stand-ins, and nowhere else.
    ``more_private_hosts``: other stand-in sites on loopback the websites source may read
    ("127.0.0.1:<port>", the hostile ones)."""
    from urllib.parse import urlsplit

    from scraper.sources import socrata

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
    ]
    if websites_url:
        # The practice websites' stand-in is on loopback, which the guard for URLs taken from
        # scraped data refuses: let that one port through, and no other (a site there that
        # redirects to the registries' port must still be refused).
        hosts = [f"127.0.0.1:{urlsplit(websites_url).port}", *more_private_hosts]
        lines.insert(lines.index("[sources.nppes-api]"),
                     f"allow_private_hosts = {json.dumps(hosts)}")
    for source_id, dataset in socrata.DATASETS.items():
        # each portal is mounted under its real host name: /data.wa.gov/resource/...
        lines += [f"[sources.{source_id}]",
                  f'portal = "{base_url}/{urlsplit(dataset.portal).hostname}"']
    path = directory / "demo.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scrape(db_path: str | Path, config_path: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run the real command line against the stand-ins, as an operator would."""
    command = [sys.executable, "-m", "scraper", "--config", str(config_path), "scrape",
               "--db", str(db_path), *extra]
    return subprocess.run(command, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="demo.db")
    parser.add_argument("--port", type=int, default=8001, help="Datasette's port")
    parser.add_argument("--n", type=int, default=20_000, help="acupuncturists in the stand-in")
    parser.add_argument("--no-serve", action="store_true", help="scrape only")
    args = parser.parse_args(argv)
    server, sites = start_all(port=0, n=args.n)
    websites_url = sites["websites_server"].url
    print(f"Stand-ins running at {server.url} (NPPES API at {server.url}/api/), practice "
          f"websites at {websites_url}/s/", flush=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = write_config(Path(tmp), server.url, websites_url)
            result = scrape(args.db, config)
    finally:
        server.stop()
    if result.returncode != 0:
        print("The demo scrape did not finish cleanly; see the messages above.", file=sys.stderr)
        return result.returncode
    if args.no_serve:
        return 0
    print(f"\nDatasette: http://127.0.0.1:{args.port}/  (Ctrl-C to stop)\n", flush=True)
    os.execv(sys.executable, [sys.executable, "-m", "scraper", "serve", "--db", args.db,
                              "--port", str(args.port)])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
