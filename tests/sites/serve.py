"""Serve the stand-ins of the public sites on localhost until stopped.

    python -m tests.sites.serve [--port 8765] [--n 20000]

prints one line per stand-in site, such as `NPPES stand-in: http://127.0.0.1:8765/api/`, and
serves until SIGTERM or SIGINT (Ctrl-C). The demo and the tests call `start_all()` instead.

Every stand-in is built from one set of generated data (`Generated`): the NPPES providers, the
state license datasets and the CA and FL license files made from them, the LEIE list naming a
few of them, the NCCAOM diplomates listed from them. To add a stand-in, add an entry to
`STAND_INS`: its name, a label for the banner and a builder that takes the
`Generated` data and returns the site(s) to mount, by prefix.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .boardfiles import BOX_API, ROOT_FOLDER_ID, TOKEN_PATH, DcaBoxSite, MqaSite
from .boardfiles_data import BoardFileData, generate_dca_data, generate_mqa_data
from .leie import LeieData, LeieSite, generate_leie_rows
from .lookups import PREFIXES, BorimSite, DhpSite, NysedSite, PalsSite
from .lookups_data import LookupData, generate_lookup_data
from .nccaom import NccaomSite, search_path
from .nccaom_data import NccaomData, generate_diplomates
from .nppes import NppesApi
from .nppes_bulk import MONTHLY_NAME, BulkSite, monthly_files
from .nppes_data import generate_providers
from .registers import CertemySite, ThentiaSite
from .registers_data import RegisterData, generate_az_data, generate_nv_data
from .rosters import (
    AlmsSite,
    MoproSite,
    MyLicenseSite,
    maryland_site,
    michigan_site,
    ohio_site,
)
from .rosters_data import generate_roster
from .server import SiteServer
from .socrata import SodaPortal
from .socrata_data import BoardData, generate_board_rows
from .websites import SPECIAL, PracticeWebsites

METADATA_URL = "http://169.254.169.254/latest/meta-data/"
DEMO_NYSED_KEY = "demo-key"  # the NYSED stand-in's key: an operator's own, in real use


def add_website_endpoints(providers: list[dict], base: str, share: float = 0.02,
                          more: Sequence[str] = ()) -> None:
    """Give about ``share`` of the individuals an NPPES endpoint of type WEB on the practice-
    websites stand-in (and a Direct messaging address to some, which is not a website). The
    first few listed get the special sites (legacy encoding, huge page, robots, redirect) and
    one lists the cloud metadata address, which must never be fetched. ``more``: addresses of
    sites elsewhere (the hostile stand-ins), each listed by one more individual, outside that
    share (so the others list what they list without them)."""
    special = [*SPECIAL, None]
    more = list(more)
    for provider in providers:
        npi = int(provider["number"])
        if provider["enumeration_type"] != "NPI-1":
            continue
        last = provider["basic"]["last_name"].lower()
        if (npi * 7919) % 1000 >= share * 1000:
            if more:
                provider["endpoints"] = _endpoints(last, more.pop(0))
            continue
        slug = special.pop(0) if special else f"{''.join(c for c in last if c.isalpha())}" \
            f"{npi % 97}acupuncture"
        url = METADATA_URL if slug is None else f"{base}/s/{slug}/"
        provider["endpoints"] = _endpoints(last, url)


def _endpoints(last: str, url: str) -> list[dict]:
    return [{"endpointType": "DIRECT", "endpointTypeDescription": "Direct Messaging Address",
             "endpoint": f"{last}@direct.example", "affiliation": "N"},
            {"endpointType": "WEB", "endpointTypeDescription": "Website URL",
             "endpoint": url, "affiliation": "N"}]


class Generated:
    """The data the stand-ins serve, made once, on first use, from `n` NPPES providers."""

    def __init__(self, n: int):
        self.n = n

    @cached_property
    def board_data(self) -> dict[str, BoardData]:
        return generate_board_rows(self.providers)

    @cached_property
    def dca(self) -> BoardFileData:
        return generate_dca_data(self.providers)

    @cached_property
    def mqa(self) -> BoardFileData:
        return generate_mqa_data(self.providers)

    @cached_property
    def rosters(self) -> dict[str, BoardFileData]:
        """The rosters of issue 17, by state."""
        return {state: generate_roster(state, self.providers)
                for state in ("MD", "MO", "OH", "MI", "NJ", "ME")}

    @cached_property
    def registers(self) -> dict[str, RegisterData]:
        """The paged registers of issue 17 (Nevada's Certemy, Arizona's Thentia), by state."""
        return {"NV": generate_nv_data(self.providers), "AZ": generate_az_data(self.providers)}

    @cached_property
    def lookups(self) -> dict[str, LookupData]:
        """The boards that answer one license at a time (MA, PA, VA, NY), by state."""
        return {state: generate_lookup_data(self.providers, state) for state in PREFIXES}

    @cached_property
    def leie(self) -> LeieData:
        return generate_leie_rows(self.providers, n_unrelated=max(200, self.n // 4))

    website_base: str | None = None  # where the practice-websites stand-in listens, if it does
    more_websites: Sequence[str] = ()  # sites elsewhere some individuals list (hostile ones)

    @cached_property
    def providers(self) -> list[dict]:
        providers = generate_providers(self.n)
        if self.website_base:
            add_website_endpoints(providers, self.website_base, more=self.more_websites)
        return providers

    @cached_property
    def nccaom(self) -> NccaomData:
        return generate_diplomates(self.providers, website_base=self.website_base)

    def website_slugs(self) -> dict[str, bool]:
        """The practice websites the NCCAOM and NPPES stand-ins list, each with True if a
        listing links straight to its facial-rejuvenation page (so it must have one)."""
        urls = [d.website for d in self.nccaom.diplomates if d.website]
        urls += [e["endpoint"] for p in self.providers for e in p.get("endpoints", [])
                 if e["endpointType"] == "WEB"]
        slugs: dict[str, bool] = {}
        for url in urls:
            path = urlsplit(url).path
            if path.startswith("/s/"):
                slug = path.split("/")[2]
                slugs[slug] = slugs.get(slug, False) or path.endswith("/facial-rejuvenation")
        return slugs


class StandIn(NamedTuple):
    label: str
    build: Callable[[Generated], dict[str, Any]]  # prefix -> site


STAND_INS: dict[str, StandIn] = {
    "nppes": StandIn("NPPES", lambda data: {"/api/": NppesApi(data.providers)}),
    # One portal per state board, under a prefix named after its host (`/data.wa.gov`).
    "socrata": StandIn("Socrata", lambda data: {
        f"/{host}": SodaPortal([board.dataset()]) for host, board in data.board_data.items()}),
    "leie": StandIn("OIG LEIE", lambda data: {"/exclusions/": LeieSite.from_data(data.leie)}),
    "nccaom": StandIn("NCCAOM", lambda data: {"/FAP/": NccaomSite(data.nccaom)}),
    # the monthly NPPES file of the same providers, made on its first request
    "nppes_bulk": StandIn("NPPES files", lambda data: {
        "/nppes/": BulkSite(lambda: monthly_files(data.providers))}),
    # one site answering the DCA token, the Box API and Box's download host
    "dca": StandIn("CA DCA licensee lists", lambda data: dict.fromkeys(
        DcaBoxSite.prefixes, DcaBoxSite(data.dca))),
    "mqa": StandIn("FL MQA", lambda data: {"/MQASearchServices/": MqaSite(data.mqa)}),
    "md": StandIn("MD roster", lambda data: {"/bacc/": maryland_site(data.rosters["MD"])}),
    "oh": StandIn("OH licensure file", lambda data: {"/wps/": ohio_site(data.rosters["OH"])}),
    "mi": StandIn("MI LARA report", lambda data: {
        "/LicenseReports/": michigan_site(data.rosters["MI"])}),
    # the downloads page as a plain GET sees it (no link): the configuration names the file
    "mo": StandIn("MO downloads", lambda data: dict.fromkeys(
        MoproSite.prefixes, MoproSite(data.rosters["MO"]))),
    "nj": StandIn("NJ bulk roster", lambda data: {
        "/Verification_Bulk/": MyLicenseSite(data.rosters["NJ"], pipe_in_address=0)}),
    "me": StandIn("ME ALMS", lambda data: {"/ALMSOnline/": AlmsSite(data.rosters["ME"])}),
    # one license a request; New York's answers only the key the demo configures
    "lookups": StandIn("Lookup boards (MA, PA, VA, NY)", lambda data: {
        PREFIXES["MA"]: BorimSite(data.lookups["MA"]),
        PREFIXES["PA"]: PalsSite(data.lookups["PA"]),
        PREFIXES["VA"]: DhpSite(data.lookups["VA"]),
        PREFIXES["NY"]: NysedSite(data.lookups["NY"], api_key=DEMO_NYSED_KEY)}),
    # each register under its real host's name, as the Socrata portals are
    "nv": StandIn("NV Certemy register", lambda data: {
        "/nvbom.certemy.com": CertemySite(data.registers["NV"])}),
    "az": StandIn("AZ Thentia register", lambda data: {
        "/azabe.portalus.thentiacloud.net": ThentiaSite(data.registers["AZ"])}),
}


def start_all(port: int = 0, n: int = 20_000, more_websites: Sequence[str] = ()
              ) -> tuple[SiteServer, dict[str, Any]]:
    """Build every stand-in, mount it and start serving on 127.0.0.1:`port` (0: any free port).
    `more_websites`: addresses of sites served elsewhere (the hostile stand-ins of
    `hostile.py`) that as many more NPPES individuals list as their website.

    Returns the started server and the mounted sites by name: `sites["nppes"]` is the NppesApi
    (whose `providers` a caller may change), `sites["socrata"]` the SodaPortals by host
    ("data.wa.gov"), `sites["leie"]` the LeieSite, `sites["nccaom"]` the NccaomSite (with its
    `challenge` and `broken_markup` switches), `sites["dca"]` the DcaBoxSite, `sites["mqa"]` the
    MqaSite; `sites["board_data"]`, `sites["dca_data"]`, `sites["mqa_data"]`,
    `sites["leie_data"]` and `sites["nccaom_data"]` hold the generated data with their ground
    truth. Stop the server with `server.stop()`.
    """
    server = SiteServer(port=port)
    # The practice websites listen on a port of their own: a site there that redirects to the
    # registries' port is the "redirect to an internal address" case of the SSRF guard.
    web = SiteServer().start()
    server.companions.append(web)
    data = Generated(n)
    data.website_base = web.url
    data.more_websites = tuple(more_websites)
    sites: dict[str, Any] = {"mounted": {}}  # the prefixes of each stand-in, by name
    for name, stand_in in STAND_INS.items():
        built = stand_in.build(data)
        sites["mounted"][name] = list(built)
        for prefix, site in built.items():
            server.add_site(prefix, site)
        if len({id(site) for site in built.values()}) == 1:  # one site, maybe at several prefixes
            sites[name] = next(iter(built.values()))
        else:
            sites[name] = {prefix.strip("/"): site for prefix, site in built.items()}
    sites["board_data"] = data.board_data
    sites["dca_data"] = data.dca
    sites["mqa_data"] = data.mqa
    sites["rosters_data"] = data.rosters
    sites["registers_data"] = data.registers
    sites["lookups_data"] = data.lookups
    sites["leie_data"] = data.leie
    sites["nccaom_data"] = data.nccaom
    server.start()
    websites = PracticeWebsites.for_slugs(data.website_slugs(), f"{server.url}/admin/")
    web.add_site("/s/", websites)
    web.robots_txt = websites.robots_txt()
    sites["websites"] = websites
    sites["websites_server"] = web
    return server, sites


def banner(server: SiteServer, sites: dict[str, Any]) -> list[str]:
    """One line per stand-in site, with the URL a scraper starts from."""
    lines = [f"{STAND_INS['nppes'].label} stand-in: {server.url}/api/"]
    for host, portal in sites["socrata"].items():
        for dataset_id in portal.datasets:
            lines.append(f"{STAND_INS['socrata'].label} stand-in ({host}): "
                         f"{server.url}/{host}/resource/{dataset_id}.json")
    lines.append(f"{STAND_INS['leie'].label} stand-in: "
                 f"{server.url}/exclusions/downloadables/UPDATED.csv")
    lines.append(f"{STAND_INS['nccaom'].label} stand-in: {server.url}{search_path('WA', 1)}")
    lines.append(f"{STAND_INS['nppes_bulk'].label} stand-in: {server.url}/nppes/{MONTHLY_NAME}")
    lines.append(f"{STAND_INS['dca'].label} stand-in: {server.url}{TOKEN_PATH} (token), "
                 f"{server.url}{BOX_API}/folders/{ROOT_FOLDER_ID}/items (Box API)")
    lines.append(f"{STAND_INS['mqa'].label} stand-in: {server.url}/MQASearchServices/"
                 f"HealthCareProviders (form), {server.url}/MQASearchServices/"
                 f"Healthcareproviders/ExportToCsvLVP (export)")
    for name in ("md", "oh", "mi", "mo", "nj", "me", "nv", "az", "lookups"):
        lines.append(f"{STAND_INS[name].label} stand-in: "
                     + ", ".join(f"{server.url}{prefix}" for prefix in sites["mounted"][name]))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the local stand-ins of the public sites.")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any)")
    parser.add_argument("--n", type=int, default=20_000, help="number of generated records")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server, sites = start_all(port=args.port, n=args.n)
    try:
        for line in banner(server, sites):
            print(line, flush=True)
        stop.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
