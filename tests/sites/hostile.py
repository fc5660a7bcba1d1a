"""Hostile practice websites: one stand-in per way a site can try to stall, break or steer a run.

Website addresses come from what providers report about themselves, so any provider can point
the scraper at a site built to hurt it (issue 14). Each case is a practice site on a server of
its own: its own port, hence its own host to robots.txt and to the client's pace, so that what
one case does to its host cannot show in another's. The site is at ``/s/<case>/``. With
``hostile = False`` it is an ordinary facial-acupuncture clinic (the ``facial`` kind of
``websites.py``: a home page, services, a facial-rejuvenation page that claims the treatment in
a sentence of its own), so that a first run stores its claims. With ``hostile = True`` (the
default) it answers as below. What each did to the scraper before issue 14 is said with it.

- ``retry-after-forever``: every page a 503 with ``Retry-After: 315360000`` (ten years). The
  request failed, but the host stayed blocked: the next request to it slept holding the host's
  lock, ``run-due`` hung with its run ``running`` and no other site's result written. The site
  is listed twice (its home and its services page), so the second reading shows the host is
  not held;
- ``retry-after-hour``: the same with an honest ``Retry-After: 3600``, which stalled the same
  way for an hour;
- ``retry-after-overflow``: a 429 whose Retry-After is 400 digits. It parsed to infinity, and
  ``time.sleep`` raised OverflowError, no fetch error: every site's result was lost;
- ``retry-after-9999``: a 503 asking for quiet until a date in the year 9999;
- ``drip-body``: the ordinary pages, their bodies sent a byte every 50 ms. No single read waits
  long enough for a read timeout, so only a deadline on the whole answer ends it (there was
  none: 20 bytes took 19 s under a 3 s read timeout, a 2 MB page would take days);
- ``drip-headers``: the status line and headers dripped the same way;
- ``drip-robots``: robots.txt dripped (2.3 KB that take two minutes). It also dropped the
  site's claims, as if the site had refused us;
- ``crawl-delay-forever``: a robots.txt asking for ten years between requests. Honoured up to
  the client's caps (600 s), it held a worker ten minutes for each page of the site: now a
  site asking more than ``max_wait`` (30 s) is left for another run, its claims kept;
- ``huge-robots``: a robots.txt of 5 MB (an 18.8 MB one cost 422 MB of memory, and one over the
  cap was fetched again for every page). Its ``Disallow: /`` comes after the first 500 KiB, where
  Google stops reading and so do we: the site is read as usual, robots.txt fetched once;
- ``deep-nesting``: every page 100,000 elements deep (700 KB, under the page caps of the
  defaults and of the demo). Text extraction cost the square of the depth: a 1.1 MB page
  100,000 deep did not finish in 90 s;
- ``challenge-200``: Cloudflare's "Just a moment..." interstitial answered as a 200, as a proxy
  in front of a site may pass it on. It was taken for the page: the site's earlier claims would
  have been dropped;
- ``turnstile-form``: the ordinary pages with a Turnstile widget guarding a booking form. That
  is a form, not a challenge: the pages are read as usual;
- ``redirect-metadata``: a 302 to another loopback service standing in for a cloud metadata
  endpoint (``HostileSites.metadata``), which must receive no request;
- ``redirect-6to4``: a 302 to the 6to4 address ``2002:7f00:1::``, which carries 127.0.0.1 (6to4
  addresses passed the guard);
- ``redirect-file``: a 302 to ``file:///etc/passwd``. It was retried six times (26 s) and then
  reported as a robots.txt failure; now it fails at once, one request;
- ``gzip-bomb``: a 200 whose 50 KB gzip body inflates to 50 MB, far past the page cap.

``CASES`` says, per case, what a correct run makes of it: the site's ``websites.status``,
whether the site keeps the claims of its last reading, the fault counted in
``scrape_runs.faults`` (None where the client meets no fault: the site's row says what
happened) and words its ``detail`` names the problem with. ``tests/test_hostile_sites.py`` and
``bench/bench_soak.py`` read this one table.

    with HostileSites() as hostile:
        hostile.urls("drip-body")  # ["http://127.0.0.1:<port>/s/drip-body/"]
        hostile.set_hostile(False)  # every case an ordinary clinic
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cache

from .server import (
    DEFAULT_ROBOTS_TXT,
    Request,
    Response,
    SiteServer,
    json_response,
    text_response,
)
from .websites import PracticeSite, PracticeWebsites

# A byte every 50 ms: far inside any read timeout, far past any total deadline for a page.
DRIP = 0.05
DEPTH = 100_000
ROBOTS_BYTES = 5_000_000
ROBOTS_READ = 500 * 1024  # what the scraper reads of a robots.txt (Google's limit)
BOMB_BYTES = 50_000_000
METADATA_PATH = "/latest/meta-data/iam/security-credentials/"

Answer = Callable[["HostileSite", Request], Response]


@dataclass(frozen=True)
class Case:
    """One hostile site: what it answers, and what a correct run makes of it."""

    name: str
    answer: Answer  # the hostile answer to a request (robots.txt only, with ``on_robots``)
    status: str  # the site's websites.status once it is hostile
    keeps_claims: bool  # the claims of its last reading stay (a status that says "not now")
    fault: str | None  # the kind counted in scrape_runs.faults; None: none is
    detail: str  # words of websites.detail naming the problem ("" for a site read as usual)
    on_robots: bool = False  # the hostile answer is its robots.txt; its pages are ordinary
    listed: tuple[str, ...] = ("",)  # its pages the listing names (two: the host is shared)


def _ordinary(site: HostileSite, request: Request) -> Response:
    return site.clinic.handle(request)


def _retry_after(value: str, status: int = 503) -> Answer:
    def answer(site: HostileSite, request: Request) -> Response:
        return Response(status, {"Content-Type": "text/html; charset=utf-8",
                                 "Retry-After": value},
                        b"<html><body><p>Down for maintenance.</p></body></html>")
    return answer


def _drip_body(site: HostileSite, request: Request) -> Response:
    return replace(_ordinary(site, request), drip=DRIP)


def _drip_head(site: HostileSite, request: Request) -> Response:
    return replace(_ordinary(site, request), drip=DRIP, drip_head=True)


def _drip_robots(site: HostileSite, request: Request) -> Response:
    comments = "".join(f"# section {i}: the clinic's pages are open to every robot\n"
                       for i in range(40))
    return Response(200, {"Content-Type": "text/plain"},
                    (DEFAULT_ROBOTS_TXT + comments).encode(), drip=DRIP)


@cache
def huge_robots_txt() -> bytes:
    """5 MB of rules; the one that would close the whole site starts past the first 500 KiB."""
    head = "User-agent: *\nDisallow: /private/\n"
    rules, size, i = [head], len(head), 0
    while size < ROBOTS_READ + 20_000:
        rules.append(line := f"Disallow: /archive/{i:07d}/\n")
        size, i = size + len(line), i + 1
    rules.append("Disallow: /\n")
    while size < ROBOTS_BYTES:
        rules.append(line := f"Disallow: /archive/{i:07d}/\n")
        size, i = size + len(line), i + 1
    return "".join(rules).encode()


def _huge_robots(site: HostileSite, request: Request) -> Response:
    return Response(200, {"Content-Type": "text/plain"}, huge_robots_txt())


def _crawl_delay(site: HostileSite, request: Request) -> Response:
    return Response(200, {"Content-Type": "text/plain"},
                    b"User-agent: *\nCrawl-delay: 315360000\nAllow: /\n")


@cache
def deep_page() -> bytes:
    claim = "<p>Our facial rejuvenation acupuncture treatment softens fine lines.</p>"
    return f"<html><body>{'<b>' * DEPTH}{claim}{'</b>' * DEPTH}</body></html>".encode()


def _deep(site: HostileSite, request: Request) -> Response:
    return Response(200, {"Content-Type": "text/html; charset=utf-8"}, deep_page())


# Cloudflare's managed challenge as it comes (2025), passed on with a 200: its own title and
# the challenge platform's script and options.
CHALLENGE_PAGE = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to
continue</span></div></noscript></div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "clinic.example",cType: 'managed',
cRay: '8f1e2d3c4b5a6978',cH: 'stand-in'};var cpo = document.createElement('script');
cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8f1e2d3c4b5a6978';
document.getElementsByTagName('head')[0].appendChild(cpo);}());</script></body></html>
"""


def _challenge(site: HostileSite, request: Request) -> Response:
    return Response(200, {"Content-Type": "text/html; charset=UTF-8", "Server": "cloudflare",
                          "CF-RAY": "8f1e2d3c4b5a6978-SEA"}, CHALLENGE_PAGE)


BOOKING_FORM = b"""    <form action="/book" method="post"><p>Book a visit</p>
      <input name="email" type="email">
      <div class="cf-turnstile" data-sitekey="0x4AAAAAAAstandin"></div>
      <button type="submit">Book</button></form>
    <script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer></script>
  </main>"""


def _turnstile_form(site: HostileSite, request: Request) -> Response:
    answer = _ordinary(site, request)
    if answer.status == 200 and answer.headers.get("Content-Type", "").startswith("text/html"):
        answer.body = answer.body.replace(b"  </main>", BOOKING_FORM, 1)
    return answer


def _redirect(where: Callable[[HostileSite], str]) -> Answer:
    def answer(site: HostileSite, request: Request) -> Response:
        return Response(302, {"Location": where(site), "Content-Type": "text/html"},
                        b"<p>Moved.</p>")
    return answer


@cache
def gzip_bomb() -> bytes:
    return gzip.compress(b"\0" * BOMB_BYTES, 9)


def _gzip_bomb(site: HostileSite, request: Request) -> Response:
    return Response(200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, gzip_bomb())


CASES: dict[str, Case] = {case.name: case for case in (
    Case("retry-after-forever", _retry_after("315360000"), "unreachable", True, "http 503",
         "Retry-After", listed=("", "services")),
    Case("retry-after-hour", _retry_after("3600"), "unreachable", True, "http 503",
         "Retry-After", listed=("", "services")),
    Case("retry-after-overflow", _retry_after("9" * 400, 429), "unreachable", True, "http 429",
         "Retry-After", listed=("", "services")),
    Case("retry-after-9999", _retry_after("Fri, 31 Dec 9999 23:59:59 GMT"), "unreachable",
         True, "http 503", "Retry-After", listed=("", "services")),
    Case("drip-body", _drip_body, "unreachable", True, "DeadlineExceeded", "total deadline"),
    Case("drip-headers", _drip_head, "unreachable", True, "DeadlineExceeded",
         "total deadline"),
    # robots.txt that cannot be had closes the host for the run (RFC 9309: unreachable means
    # disallowed), but says nothing of what the site claims: those stay until it is read again
    Case("drip-robots", _drip_robots, "unreachable", True, "DeadlineExceeded", "robots.txt",
         on_robots=True),
    # a Crawl-delay of ten years: honoured up to the caps, it held a worker 10 minutes a page
    Case("crawl-delay-forever", _crawl_delay, "unreachable", True, "WaitTooLong", "Crawl-delay",
         on_robots=True),
    Case("huge-robots", _huge_robots, "ok", True, None, "", on_robots=True),
    Case("deep-nesting", _deep, "unreadable", True, None, "nested deeper than"),
    Case("challenge-200", _challenge, "gated", True, "BotChallenge", "Just a moment"),
    Case("turnstile-form", _turnstile_form, "ok", True, None, ""),
    Case("redirect-metadata", _redirect(lambda site: site.metadata_url + METADATA_PATH),
         "unsafe", False, None, "loopback"),
    Case("redirect-6to4", _redirect(lambda site: "http://[2002:7f00:1::]" + METADATA_PATH),
         "unsafe", False, None, "6to4"),
    Case("redirect-file", _redirect(lambda site: "file:///etc/passwd"), "unsafe", False, None,
         "scheme 'file'"),
    Case("gzip-bomb", _gzip_bomb, "too-large", False, None, "cap"),
)}


class HostileSite:
    """One case's site, mounted at ``/`` of its own server, robots.txt included."""

    def __init__(self, case: Case, metadata_url: str = ""):
        self.case = case
        self.hostile = True
        self.metadata_url = metadata_url
        name = case.name.replace("-", " ").title() + " Acupuncture"
        self.clinic = PracticeWebsites({case.name: PracticeSite(case.name, "facial", name)})
        self.attacks: list[float] = []  # time.monotonic() of each hostile answer served

    @property
    def truth(self) -> set[str]:
        """The tags its pages claim while it is an ordinary clinic."""
        return self.clinic.truth[self.case.name]

    def handle(self, request: Request) -> Response:
        robots = request.path == "/robots.txt"
        if self.hostile and robots == self.case.on_robots:
            self.attacks.append(time.monotonic())
            return self.case.answer(self, request)
        if robots:
            return text_response(DEFAULT_ROBOTS_TXT)
        return self.clinic.handle(request)


class HostileSites:
    """Every case (or those named) on a server of its own, and the metadata stand-in the
    redirects point at, all on 127.0.0.1."""

    def __init__(self, names: Iterable[str] | None = None):
        self.names = list(names or CASES)
        self.metadata = SiteServer()
        self.servers: dict[str, SiteServer] = {}
        self.sites: dict[str, HostileSite] = {}

    def start(self) -> HostileSites:
        self.metadata.add_site("/", lambda request: json_response(
            {"Code": "Success", "AccessKeyId": "ASIASTANDIN", "SecretAccessKey": "stand-in"}))
        self.metadata.start()
        for name in self.names:
            server = SiteServer()
            server.robots_txt = None  # the site answers its own robots.txt
            self.sites[name] = server.add_site("/", HostileSite(CASES[name], self.metadata.url))
            self.servers[name] = server.start()
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.metadata.stop()

    def __enter__(self) -> HostileSites:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def set_hostile(self, on: bool, names: Iterable[str] | None = None) -> None:
        for name in names or self.names:
            self.sites[name].hostile = on

    def urls(self, name: str) -> list[str]:
        """The addresses of a case's site the listing names."""
        return [f"{self.servers[name].url}/s/{name}/{page}" for page in CASES[name].listed]

    def private_hosts(self) -> tuple[str, ...]:
        """What ``http.allow_private_hosts`` must name for the cases to be read (the metadata
        stand-in is left out: nothing may reach it)."""
        return tuple(f"127.0.0.1:{server.port}" for server in self.servers.values())
