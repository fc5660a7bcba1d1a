"""The one HTTP client of the project: every source fetches through ``Fetcher``.

It holds the whole fetching policy so that no source has to:

- an identifying User-Agent (project, version, contact address from configuration);
- robots.txt fetched once per host and obeyed (RFC 9309 via protego), Crawl-delay honoured up
  to ``max_retry_after``. Only its first 500 KiB are read (Google's limit; a rule cut in half at
  the end is dropped, the rest ignored, no error). It is tried once per host for the fetcher's
  life: a robots.txt that fails (5xx, no connection, past the deadline, a redirect to file://)
  makes the host off limits, and a challenge on it gates the source, without fetching it again;
- per-host pacing: one request in flight per host, at least ``min_interval`` seconds apart;
  different hosts proceed independently, so sources on different hosts run concurrently;
- retries with exponential backoff and jitter on connection errors, timeouts, truncated
  bodies and 408/429/500/502/503/504, ``Retry-After`` (seconds or HTTP date) honoured up to
  ``max_retry_after``; any other 4xx fails at once. A Retry-After over that fails the request
  at once and does not hold the host: the next request to it goes at the ordinary pace. No
  wait before a request is ever longer than the largest of ``max_retry_after``,
  ``backoff_cap`` and ``min_interval``, and parsing never overflows (400 digits, a date in the
  year 9999: ``parse_retry_after`` returns at most ten years);
- a total deadline per request, connect, status line, headers and body together:
  ``total_timeout`` (default 120 s) for pages and robots.txt, ``download_timeout`` (default
  4 h) for ``download()``, whose ~1 GB files need far longer than a page and resume when cut.
  It is enforced on every socket operation (a status line dripped a byte a second ends there),
  raised as ``DeadlineExceeded``, counted as ``errors.DeadlineExceeded`` (a fault to the
  ``on_fault`` listener, as a timeout is) and not retried. ``read_timeout`` still bounds each
  silence. Name resolution is the system resolver's and is bounded by it, not by the deadline;
- bot challenges (Cloudflare "Just a moment" and "Attention Required" interstitials,
  Turnstile, ``cf-mitigated``) detected whatever the status, a 200 included, and raised as
  ``BotChallenge``: never retried, never worked around;
- explicit timeouts, a cap on the body size, declared and sniffed encodings;
- only http(s): a URL or redirect to file://, ftp://, javascript: or one that is not a valid
  URL fails at once with ``NotHTTP`` (``UnsafeURL`` for a URL from scraped data), never sent,
  never retried, never taken for a robots.txt failure;
- URLs taken from scraped data (``get(url, untrusted=True)``) are fetched only over http(s)
  from public addresses: a host that is, or resolves to, a loopback, private, link-local,
  cloud-metadata or otherwise reserved address is refused before any request, at every
  redirect, and again when the socket connects (so a name that resolves differently the second
  time cannot slip through). IPv6 addresses that carry an IPv4 one (IPv4-mapped, 6to4, Teredo,
  NAT64, IPv4-compatible) are judged by it too. ``http.allow_private_hosts`` lets the tests
  and the demo through;
- conditional requests: the caller passes the ETag / Last-Modified it stored with the
  rows of the last fetch, and a 304 comes back as ``Page(not_modified=True)``. The
  validators are stored by the caller in the same transaction as the page's rows, so a
  crash can never leave a validator for rows that were not written.

Transport and clock are injectable, so tests run without sockets and without sleeping (with an
injected transport the deadline is checked between body chunks only: it opens no sockets).
"""

from __future__ import annotations

import codecs
import copy
import email.utils
import hashlib
import json
import logging
import random
import re
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO, Protocol, TypedDict
from urllib.parse import urlencode, urljoin, urlsplit

import httpcore
import httpx
from protego import Protego

from . import PROJECT_NAME, __version__
from .config import HttpConfig
from .errors import (
    BotChallenge,
    DeadlineExceeded,
    FetchError,
    HostNotAllowed,
    HTTPStatusError,
    Interrupted,
    NotHTTP,
    ResponseTooLarge,
    RetriesExhausted,
    RobotsDisallowed,
    RobotsUnreachable,
    Unresolvable,
    UnsafeURL,
    WaitTooLong,
)
from .guard import PublicOnly, Resolver, address_problem, resolve
from .models import Page, Validators

log = logging.getLogger(__name__)

# Re-exported: the sources and the tests take the errors and the guard from the client.
__all__ = ["BotChallenge", "Clock", "DeadlineExceeded", "FetchError", "Fetcher", "HTTPStatusError",
           "HostNotAllowed", "Interrupted", "NotHTTP", "Page", "PublicOnly", "ResponseTooLarge",
           "RetriesExhausted", "RobotsDisallowed", "RobotsUnreachable", "SystemClock",
           "Unresolvable", "UnsafeURL", "Validators", "WaitTooLong", "address_problem", "build_url",
           "detect_challenge", "fault_kind", "parse_retry_after", "public_only_transport",
           "redirect_target", "resolve", "sniff_encoding", "user_agent"]

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# httpx errors worth another try: the network or the peer failed, not our request.
RETRY_ERRORS = (httpx.TransportError,)
ROBOTS_TOKEN = PROJECT_NAME
# Google reads the first 500 KiB of a robots.txt and ignores the rest; so do we.
ROBOTS_MAX_BYTES = 500 * 1024


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def utcnow(self) -> datetime: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def utcnow(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class _Host:
    """Per-host state: one request in flight, the next moment one may start, robots rules."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0
    robots: Protego | None = None
    robots_loaded: bool = False  # set once robots.txt was tried, whatever came of it
    disallow_all: str | None = None  # why robots.txt could not be had, if it could not
    challenge: str | None = None  # robots.txt answered with a bot challenge


_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def sniff_encoding(content: bytes, content_type: str | None) -> str:
    """The encoding to decode a body with: BOM, then declared charset, then <meta>, then UTF-8
    if the bytes are valid UTF-8, else windows-1252 (what browsers assume for latin-1)."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if content.startswith(bom):
            return name
    if content_type:
        header = re.search(r"charset\s*=\s*([^;\s]+)", content_type, re.I)
        declared = _known_codec(header.group(1)) if header else None
        if declared:
            return declared
    meta = _CHARSET_RE.search(content[:4096])
    declared = _known_codec(meta.group(1).decode("ascii", "replace")) if meta else None
    if declared:
        # Pages that declare latin-1 are, in practice, windows-1252 (as browsers treat them).
        return "cp1252" if declared in ("latin-1", "iso8859-1") else declared
    try:
        content.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


# The longest Retry-After told apart from "forever": a bound that keeps every sum finite.
RETRY_AFTER_CEILING = 10 * 365 * 86400.0
_DELTA_SECONDS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() takes "²" and "٣"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad.
    Never more than ``RETRY_AFTER_CEILING``: 400 digits or a date in the year 9999 are finite."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        # float() of 400 digits is inf; the length test keeps int() off hostile lengths
        return float(value) if len(value) < 12 else RETRY_AFTER_CEILING
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(RETRY_AFTER_CEILING, max(0.0, (when - now).total_seconds()))


# The interstitial's own title and the machinery only it carries: a normal page may mention
# Cloudflare, say "just a moment", or load the background bot-score script
# (/cdn-cgi/challenge-platform/scripts/jsd/), but not under one of these titles.
_CHALLENGE_TITLE = re.compile(
    rb"<title>\s*(just a moment(?:\.\.\.|\xe2\x80\xa6)|attention required! \| cloudflare)\s*"
    rb"</title>")
_CHALLENGE_MACHINERY = (b"/cdn-cgi/challenge-platform/", b"_cf_chl_opt", b"cf-chl-",
                        b"__cf_chl_", b"challenge-form", b"cf-error-details")


def detect_challenge(status: int, headers: httpx.Headers, content: bytes, *,
                     widget_gates: bool = True) -> str | None:
    """Name the bot challenge this answer is, or None, whatever its status: Cloudflare answers
    its interstitial with 403 or 503 as a rule, but a site (or a proxy in front of it) may pass
    it on as a 200. Seen on directory.nccaom.org in 2025.

    A Turnstile widget in a 2xx page is a challenge where the page is a registry's listing
    (``widget_gates``), but not on a practice's own website, where it guards a contact or
    booking form and the rest of the page is read as usual (review of 2026-12)."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return "Cloudflare challenge (cf-mitigated header)"
    head = content[:20000].lower()
    if (widget_gates or not 200 <= status < 300) and (
            b"challenges.cloudflare.com/turnstile" in head or b"cf-turnstile" in head):
        return "Cloudflare Turnstile widget"
    title = _CHALLENGE_TITLE.search(head)
    if title and any(marker in head for marker in _CHALLENGE_MACHINERY):
        name = "Attention Required" if title.group(1).startswith(b"attention") \
            else "Just a moment"
        return f"Cloudflare '{name}' challenge page (HTTP {status})"
    if status in (403, 429, 503) and (
        b"just a moment..." in head or b"/cdn-cgi/challenge-platform/" in head
        or b"cf-chl-" in head or b"attention required! | cloudflare" in head
    ):
        return "Cloudflare 'Just a moment' challenge page"
    return None


# -- the total deadline of a request ---------------------------------------------------------

class _DeadlinePassed(Exception):
    """Raised inside the transport when the request's total deadline has passed (httpx passes
    exceptions of its own kind through untouched, closing the connection)."""


class _Stopped(Exception):
    """Raised inside the transport when the fetcher was interrupted mid-request."""


# A socket read waits at most this long at a time, so that an interruption is seen within it.
STOP_POLL = 0.25


class _Deadline:
    """The moment the request in flight on the calling thread must be done by. httpx gives no
    way to hand one request's state to the socket reads of its connection, so ``Fetcher._read``
    sets it here, per thread, for the length of one request (a sync httpx request runs wholly
    in the calling thread). ``stop`` is the fetcher's interruption: set, every socket
    operation of every thread ends at once."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self._local = threading.local()
        self.stop = stop or threading.Event()

    @contextmanager
    def running(self, seconds: float) -> Iterator[float | None]:
        """Within this block, the sockets give up ``seconds`` from now (0: never)."""
        at = time.monotonic() + seconds if seconds > 0 else None
        self._local.at = at
        try:
            yield at
        finally:
            self._local.at = None

    def timeout(self, timeout: float | None) -> float | None:
        """The timeout for one socket operation: ``timeout`` or what is left, if less."""
        if self.stop.is_set():
            raise _Stopped
        at = getattr(self._local, "at", None)
        if at is None:
            return timeout
        left = at - time.monotonic()
        if left <= 0:
            raise _DeadlinePassed
        return left if timeout is None else min(timeout, left)

    def check(self) -> None:
        self.timeout(None)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read, write and TLS handshake ends by the deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline):
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        # In slices of STOP_POLL: a socket that times out has lost nothing, so the read is
        # taken up again until the read timeout (or the deadline) is spent, unless stopped.
        ends = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if ends is None else ends - time.monotonic()
            if left is not None and left <= 0:  # (a timeout of 0 makes a socket non-blocking)
                self._deadline.check()
                raise httpcore.ReadTimeout("timed out")
            limit = self._deadline.timeout(left)
            try:
                return self._stream.read(max_bytes, STOP_POLL if limit is None
                                         else min(limit, STOP_POLL))
            except httpcore.ReadTimeout:
                self._deadline.check()  # the deadline, not the read timeout, ran out: say so

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._stream.write(buffer, self._deadline.timeout(timeout))
        except httpcore.WriteTimeout:
            self._deadline.check()
            raise

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        try:
            stream = self._stream.start_tls(ssl_context, server_hostname,
                                            self._deadline.timeout(timeout))
        except httpcore.ConnectTimeout:
            self._deadline.check()
            raise
        return _DeadlineStream(stream, self._deadline)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    """Opens connections that keep to the deadline of the request using them."""

    def __init__(self, deadline: _Deadline):
        self.deadline = deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            stream = super().connect_tcp(host, port, self.deadline.timeout(timeout),
                                         local_address, socket_options)
        except httpcore.ConnectTimeout:
            self.deadline.check()
            raise
        return _DeadlineStream(stream, self.deadline)


def deadline_transport(backend: _DeadlineBackend) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    # httpx does not take a network backend; its connection pool does, and reads this
    # attribute each time it opens a connection (httpcore 1.x).
    transport._pool._network_backend = backend
    return transport


class _PublicOnlyBackend(_DeadlineBackend):
    """Connects only to vetted addresses: the name is resolved and checked here, at connect
    time, and the socket goes to an address that passed (TLS still names the host)."""

    def __init__(self, guard: PublicOnly, deadline: _Deadline):
        super().__init__(deadline)
        self.guard = guard

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if self.guard.is_allowed(host, port):
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        # A fresh lookup on purpose: what was checked before the request may have changed.
        addresses = PublicOnly(resolver=resolve).addresses(f"//{host}:{port}", host, port)
        error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address,
                                           socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        raise error or httpcore.ConnectError(f"cannot connect to {host}:{port}")


def public_only_transport(guard: PublicOnly, deadline: _Deadline | None = None
                          ) -> httpx.HTTPTransport:
    """An httpx transport whose connections go to public addresses only."""
    return deadline_transport(_PublicOnlyBackend(guard, deadline or _Deadline()))


def fault_kind(key: str) -> str | None:
    """The fault a count stands for: an answer that is retried (429, 5xx, 408: "http 503"),
    an error of the network or the peer ("ReadTimeout", "RemoteProtocolError" for a body cut
    short); None for other counts."""
    if key.startswith("status.") and int(key[7:]) in RETRY_STATUSES:
        return f"http {key[7:]}"
    if key.startswith("errors."):
        return key[7:]
    return None


def build_url(base: str, params: dict[str, str | int]) -> str:
    """The URL exactly as the client sends it, so fetch-log keys match from run to run."""
    return str(httpx.URL(base, params={k: str(v) for k, v in params.items()}))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


# The request headers a redirect to another origin keeps (every other one, credentials and
# keys above all, was given to the first host only).
CROSS_ORIGIN_HEADERS = frozenset({"accept", "accept-language", "content-type", "range",
                                  "if-range", "if-none-match", "if-modified-since"})


def redirect_target(url: str, location: str) -> str:
    """Where a redirect from ``url`` leads; NotHTTP when its Location cannot be read."""
    try:
        return urljoin(url, location)
    except ValueError as exc:  # "http://[::1": Invalid IPv6 URL
        raise NotHTTP(location, f"refusing a redirect that is not a valid http(s) URL: {exc}") \
            from None


def user_agent(contact: str) -> str:
    return f"{PROJECT_NAME}/{__version__} (+{contact}; public-records research bot)"


OnHeaders = Callable[[httpx.Headers], None]


class _ClientSettings(TypedDict):
    """What every client of a Fetcher is made with."""

    timeout: httpx.Timeout
    headers: dict[str, str]
    follow_redirects: bool


class _Client(httpx.Client):
    """An httpx client that leaves redirects to the Fetcher. httpx parses the Location of
    every redirect, even when not following it, to offer ``next_request``; a Location such as
    ``javascript:alert(1)`` then raises httpx.InvalidURL, which is no fetch error. The Fetcher
    follows redirects itself, checking each target (``Fetcher.check_target``)."""

    def _build_redirect_request(self, request: httpx.Request,
                                response: httpx.Response) -> httpx.Request:
        return request


class Fetcher:
    """Polite GETs. Thread-safe: one instance is shared by all sources of a call, each run
    fetching through a handle of its own (``for_run``) that counts what its requests meet."""

    def __init__(self, config: HttpConfig | None = None, *,
                 transport: httpx.BaseTransport | None = None,
                 clock: Clock | None = None, rng: random.Random | None = None,
                 resolver: Resolver | None = None):
        self.config = config or HttpConfig()
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.user_agent = user_agent(self.config.contact)
        self.public_only = PublicOnly(self.config.allow_private_hosts, resolver)
        settings: _ClientSettings = {
            "timeout": httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout),
            "headers": {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            "follow_redirects": False,
        }
        self._stop = threading.Event()
        self._deadline = _Deadline(self._stop)
        # Behind a proxy named in the environment (HTTPS_PROXY...), requests go through it, as
        # they did before the deadline: httpx then makes the transports itself, and the total
        # deadline is checked between the chunks of an answer only.
        proxied = transport is None and any(
            key in ("http", "https", "all") for key in urllib.request.getproxies())
        self._client = _Client(**settings) if proxied else _Client(
            transport=transport or deadline_transport(_DeadlineBackend(self._deadline)),
            **settings)
        # URLs from scraped data go through a client that connects to public addresses only
        # (an injected transport, in tests, serves both: it opens no sockets of its own).
        self._untrusted_client = self._client if transport is not None else _Client(
            transport=public_only_transport(self.public_only, self._deadline), trust_env=False,
            **settings)
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self.stats: Counter[str] = Counter()  # every request of every run of this fetcher
        self._stats_lock = threading.Lock()
        # This handle's own: see for_run()
        self._run_counts: Counter[str] = Counter()
        self._run_lock = threading.Lock()
        self._listener: Callable[[str, int], None] | None = None

    def close(self) -> None:
        self._client.close()
        if self._untrusted_client is not self._client:
            self._untrusted_client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def interrupt(self) -> None:
        """Stop every request of this fetcher, in every thread: a wait before a request or a
        retry ends at once, a read within ``STOP_POLL`` seconds, each raising Interrupted;
        so does every later request. For Ctrl-C and SIGTERM: the run ends soon, resumable."""
        self._stop.set()

    @property
    def interrupted(self) -> bool:
        return self._stop.is_set()

    def _pause(self, url: str, seconds: float) -> None:
        """Wait ``seconds`` (already capped by the caller), ending early if interrupted."""
        if seconds > 0:
            if isinstance(self.clock, SystemClock):
                self._stop.wait(seconds)
            else:  # an injected clock, in tests: it decides what a sleep is
                self.clock.sleep(seconds)
        if self._stop.is_set():
            raise Interrupted(f"interrupted before fetching {url}")

    def for_run(self, on_fault: Callable[[str, int], None] | None = None) -> Fetcher:
        """A handle for one run: the same clients, hosts, pacing and robots.txt as this
        fetcher (one request in flight per host, whatever the run), with its own ``counts``
        and ``on_fault`` listener. A source and its worker threads fetch through the handle
        of their run; nothing is kept per thread. Not to be closed: the fetcher is."""
        handle = copy.copy(self)
        handle._run_counts = Counter()
        handle._run_lock = threading.Lock()
        handle._listener = on_fault
        return handle

    def _count(self, key: str, n: int = 1) -> None:
        with self._stats_lock:
            self.stats[key] += n
        with self._run_lock:
            self._run_counts[key] += n
        listener = self._listener
        if listener is not None and (kind := "retries" if key == "retries"
                                     else fault_kind(key)) is not None:
            listener(kind, n)

    def on_fault(self, listener: Callable[[str, int], None] | None) -> None:
        """From now on, call ``listener(kind, n)`` for each fault this handle's requests meet
        (kinds as ``fault_kind`` names them) and each retry ("retries"), as it happens, in
        the thread that met it; None stops it."""
        self._listener = listener

    @property
    def counts(self) -> Counter[str]:
        """What this handle's requests met so far: requests, statuses, errors, retries."""
        with self._run_lock:
            return Counter(self._run_counts)

    def _host(self, url: str) -> _Host:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}".lower()
        with self._hosts_lock:
            return self._hosts.setdefault(key, _Host())

    # -- robots.txt -------------------------------------------------------------------------

    def _load_robots(self, url: str, host: _Host, untrusted: bool) -> None:
        robots_url = urljoin(url, "/robots.txt")
        keep = min(ROBOTS_MAX_BYTES, self.config.max_bytes)
        try:
            response = self._send(robots_url, host, {}, purpose="robots", untrusted=untrusted,
                                  keep=keep)
            # RFC 9309 2.3.1.2: follow at least five redirects (a site moving to "www.").
            for _ in range(5):
                if response.status_code not in REDIRECT_STATUSES or \
                        "location" not in response.headers:
                    break
                robots_url = redirect_target(robots_url, response.headers["location"])
                self.check_target(robots_url, untrusted)
                response = self._send(robots_url, self._host(robots_url), {}, purpose="robots",
                                      untrusted=untrusted, keep=keep)
            else:
                raise HTTPStatusError(robots_url, "robots.txt redirects more than five times")
        except BotChallenge as exc:
            host.challenge = str(exc)
            return
        except FetchError as exc:
            # RFC 9309 2.3.1.4: robots.txt unreachable (5xx, network) means assume full disallow.
            # So too one that drips past the deadline or redirects to file://.
            log.warning("robots.txt unreachable at %s, treating the host as disallowed: %s",
                        robots_url, exc)
            host.disallow_all = str(exc)
            return
        if 200 <= response.status_code < 300:
            content = response.content
            if response.extensions.get("truncated"):
                content = content[:content.rfind(b"\n") + 1]  # a rule cut in half is dropped
                log.info("robots.txt at %s is over %d bytes: the rest is ignored", robots_url,
                         keep)
            text = content.decode(sniff_encoding(content, None), "replace")
            host.robots = Protego.parse(text)
        # 4xx (e.g. 404): RFC 9309 2.3.1.3 says the crawler may access everything.

    def check_host(self, url: str) -> None:
        allowed = self.config.allowed_hosts
        if allowed and (urlsplit(url).hostname or "").lower() not in allowed:
            raise HostNotAllowed(url, f"host not in http.allowed_hosts ({', '.join(allowed)})")

    def check_target(self, url: str, untrusted: bool = False) -> None:
        """May this URL be fetched at all: http(s), the configured hosts and, for a URL taken
        from scraped data, a public address only."""
        if untrusted:
            self.public_only.check(url)  # refuses other schemes too, as UnsafeURL
        else:
            scheme = urlsplit(url).scheme.lower()
            if scheme not in ("http", "https"):
                raise NotHTTP(url, f"refusing a URL whose scheme {scheme!r} is not http or "
                              "https")
            try:
                if not httpx.URL(url).host or not urlsplit(url).hostname:
                    raise ValueError("no host")
            except (httpx.InvalidURL, ValueError) as exc:
                raise NotHTTP(url, f"refusing a URL that is not a valid http(s) URL: {exc}") \
                    from None
        self.check_host(url)

    def check_robots(self, url: str, untrusted: bool = False) -> None:
        if not self.config.obey_robots:
            return
        host = self._host(url)
        if not host.robots_loaded:
            with host.lock:
                if not host.robots_loaded:
                    interrupted = False
                    try:
                        self._load_robots(url, host, untrusted)
                    except Interrupted:
                        interrupted = True
                        raise
                    finally:  # tried once for the fetcher's life, whatever came of it
                        host.robots_loaded = not interrupted
        if host.challenge:
            raise BotChallenge(url, f"robots.txt answered with a {host.challenge}")
        if host.disallow_all:
            raise RobotsUnreachable(url, "robots.txt could not be fetched, so the host is off "
                                   f"limits: {host.disallow_all}")
        if host.robots is not None and not host.robots.can_fetch(url, ROBOTS_TOKEN):
            raise RobotsDisallowed(url, "robots.txt disallows this URL for us")

    def _interval(self, host: _Host) -> float:
        delay = host.robots.crawl_delay(ROBOTS_TOKEN) if host.robots is not None else None
        # A Crawl-delay is honoured up to max_retry_after: "1e999" must not become a sleep.
        return max(self.config.min_interval, min(float(delay or 0), self._longest_wait()))

    def _longest_wait(self) -> float:
        """No wait before a request is longer than this, whatever a site asks."""
        return max(self.config.max_retry_after, self.config.backoff_cap,
                   self.config.min_interval)

    # -- sending ------------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.config.backoff_cap, self.config.backoff_base * (2 ** attempt))
        # "Equal jitter": at least half the exponential step, so waits still grow.
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def _send(self, url: str, host: _Host, headers: dict[str, str], *,
              purpose: str = "page", sink: BinaryIO | None = None,
              untrusted: bool = False, max_bytes: int | None = None,
              keep: int | None = None, on_headers: OnHeaders | None = None,
              max_wait: float | None = None, method: str = "GET",
              content: bytes | None = None) -> httpx.Response:
        """One request with retries; the caller holds ``host.lock`` (one request in flight).
        ``method`` and ``content``: a POST of a search (a read, so retried like a GET)."""
        attempt = 0
        while True:
            wait = min(host.next_at - self.clock.monotonic(), self._longest_wait())
            if max_wait is not None and wait > max_wait:
                self._count("errors.WaitTooLong")
                raise WaitTooLong(url, f"the host may be asked again only in {wait:.0f}s (its "
                                  f"Crawl-delay or Retry-After), over the {max_wait:g}s allowed")
            self._pause(url, wait)
            retry_wait: float | None = None
            status: int | None = None
            problem: str
            try:
                response = self._read(url, headers, sink, untrusted, max_bytes, keep, on_headers,
                                      method=method, content=content)
            except DeadlineExceeded:
                self._count("errors.DeadlineExceeded")
                host.next_at = self.clock.monotonic() + self._interval(host)
                raise
            except (ResponseTooLarge, UnsafeURL, Unresolvable):
                host.next_at = self.clock.monotonic() + self._interval(host)
                raise
            except RETRY_ERRORS as exc:
                problem = f"{type(exc).__name__}: {exc}"
                self._count("errors." + type(exc).__name__)
            else:
                challenge = detect_challenge(response.status_code, response.headers,
                                             response.content, widget_gates=not untrusted)
                if challenge:
                    host.next_at = self.clock.monotonic() + self._interval(host)
                    self._count("errors.BotChallenge")  # a fault of the run, as a 503 is
                    raise BotChallenge(url, f"bot challenge: {challenge}; the source is gated",
                                       status=response.status_code)
                # A POST's 500 is most often the post itself refused (ASP.NET's answer to a
                # stale view state): asking again the same way would only repeat it.
                if response.status_code not in RETRY_STATUSES or (
                        method == "POST" and response.status_code == 500):
                    host.next_at = self.clock.monotonic() + self._interval(host)
                    return response
                status = response.status_code
                problem = f"HTTP {status}"
                retry_wait = parse_retry_after(response.headers.get("retry-after"),
                                               self.clock.utcnow())
                if retry_wait is not None and retry_wait > self.config.max_retry_after:
                    # Not waited out, and the host is not held for it either: the next request
                    # to it goes at the ordinary pace (and meets the same answer, if it is one).
                    host.next_at = self.clock.monotonic() + self._interval(host)
                    raise RetriesExhausted(
                        url, f"{problem} with Retry-After {retry_wait:.0f}s, over the "
                        f"{self.config.max_retry_after:.0f}s cap; not retrying",
                        status=response.status_code)
            if attempt >= self.config.max_retries:
                # Giving up does not end the quiet the site asked for.
                host.next_at = self.clock.monotonic() + max(self._interval(host),
                                                            retry_wait or 0.0)
                raise RetriesExhausted(url, f"gave up after {attempt + 1} attempts: {problem}",
                                       status=status)
            pause = max(self._backoff(attempt), retry_wait or 0.0, self._interval(host))
            log.info("%s %s: %s; retry %d in %.1fs", purpose, url, problem, attempt + 1, pause)
            self._count("retries")
            host.next_at = self.clock.monotonic() + pause
            attempt += 1

    def _read(self, url: str, headers: dict[str, str], sink: BinaryIO | None = None,
              untrusted: bool = False, max_bytes: int | None = None,
              keep: int | None = None, on_headers: OnHeaders | None = None, *,
              method: str = "GET", content: bytes | None = None) -> httpx.Response:
        """Send one request and read the body within the total deadline (``download_timeout``
        with a ``sink``, else ``total_timeout``), raising DeadlineExceeded past it."""
        seconds = self.config.download_timeout if sink is not None else self.config.total_timeout
        with self._deadline.running(seconds) as at:
            try:
                return self._read_within(url, headers, sink, untrusted, max_bytes, keep, at,
                                         on_headers, method=method, content=content)
            except httpx.TimeoutException:
                if self._stop.is_set():
                    raise Interrupted(f"interrupted while fetching {url}") from None
                if at is None or time.monotonic() < at:
                    raise
            except _DeadlinePassed:
                pass
            except _Stopped:
                raise Interrupted(f"interrupted while fetching {url}") from None
        raise DeadlineExceeded(url, f"no complete answer within the {seconds:g}s total "
                               "deadline (http.total_timeout" +
                               (", download_timeout" if sink is not None else "") + ")")

    def _read_within(self, url: str, headers: dict[str, str], sink: BinaryIO | None,
                     untrusted: bool, max_bytes: int | None, keep: int | None,
                     deadline: float | None, on_headers: OnHeaders | None = None, *,
                     method: str = "GET", content: bytes | None = None) -> httpx.Response:
        """Send one request and read the body, refusing bodies over the size cap. With a
        ``sink``, a 2xx body is streamed into it (rewound first: a retry starts afresh) and
        the returned response carries the body's sha256 in ``extensions["digest"]``. With
        ``keep``, the body is read up to that many bytes and the rest ignored (then
        ``extensions["truncated"]`` is True). ``deadline``: the monotonic time the sockets give
        up at; checked here too between chunks, for transports that open no sockets."""
        client = self._untrusted_client if untrusted else self._client
        truncated = False
        with client.stream(method, url, headers=headers, content=content) as response:
            # counted here, so that an answer refused for its size still counts as a request
            self._count("requests")
            self._count(f"status.{response.status_code}")
            # a 2xx body goes to the sink (if any); any other body is read into memory
            out = sink if sink is not None and 200 <= response.status_code < 300 else None
            # only a body written to a file may be as large as a download; others sit in memory
            limit = self.config.max_download_bytes if out is not None else self.config.max_bytes
            if max_bytes is not None:
                limit = min(limit, max_bytes)
            declared = response.headers.get("content-length")
            if keep is None and declared and declared.isdigit() and len(declared) < 20 and \
                    int(declared) > limit:
                raise ResponseTooLarge(url, f"body of {declared} bytes is over the "
                                       f"{limit}-byte cap", status=response.status_code)
            if out is not None and on_headers is not None:
                on_headers(response.headers)
            if out is not None and response.status_code == 206:
                out.seek(0, 2)  # the rest of a file begun before: append
            elif out is not None:
                out.seek(0)
                out.truncate()
            digest = hashlib.sha256()
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                if self._stop.is_set():
                    raise _Stopped
                if deadline is not None and time.monotonic() >= deadline:
                    raise _DeadlinePassed
                if keep is not None and size + len(chunk) >= keep:
                    chunks.append(chunk[:keep - size])
                    size, truncated = keep, True
                    break  # the rest is never read: the connection is closed, not reused
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLarge(url, f"body is over the {limit}-byte cap",
                                           status=response.status_code)
                if out is not None:
                    out.write(chunk)
                    digest.update(chunk)
                else:
                    chunks.append(chunk)
            self._count("bytes", size)
        extensions: dict[str, Any] = {"digest": digest.hexdigest()} if out is not None else {}
        if truncated:
            extensions["truncated"] = True
        # The body was decoded (gunzipped) while streaming: the copy must not claim an encoding
        # or a length it no longer has, or httpx would decode it a second time.
        kept_headers = [(k, v) for k, v in response.headers.multi_items()
                        if k.lower() not in ("content-encoding", "content-length")]
        return httpx.Response(response.status_code, headers=kept_headers,
                              content=b"".join(chunks), request=response.request,
                              extensions=extensions)

    def get(self, url: str, params: dict[str, str | int] | None = None, *,
            validators: Validators | None = None,
            headers: dict[str, str] | None = None, untrusted: bool = False,
            max_bytes: int | None = None, max_wait: float | None = None) -> Page:
        """GET ``url`` politely. Raises a FetchError subclass when it cannot be had.

        With ``validators`` from the last fetch, a 304 answer returns a Page with
        ``not_modified=True`` and no content. ``untrusted``: the URL was taken from scraped
        data, so it (and every redirect) must be http(s) to a public address. ``max_bytes``:
        a tighter size cap than the configured one, for this request. ``max_wait``: if the
        host's pace (its Crawl-delay, a Retry-After) would hold a request longer, WaitTooLong
        instead of the wait.
        """
        if params:
            url = build_url(url, params)
        return self._get(url, validators, headers, None, untrusted, max_bytes,
                         max_wait=max_wait)

    def post(self, url: str, *, form: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
             json_body: Any = None, headers: dict[str, str] | None = None,
             max_bytes: int | None = None, max_wait: float | None = None,
             public_redirects: bool = True) -> Page:
        """POST a search (a board's one-license lookup, a form's postback) with the same
        politeness as get(): robots.txt, the host's pace, retries, challenges, the size cap and
        the total deadline. The body is ``form`` (URL-encoded, pairs in their order) or
        ``json_body``. A 301, 302 or 303 answer is followed with a GET, as browsers do; a 307
        or 308 repeats the POST. A 2xx without content (204) is a Page with empty content."""
        if (form is None) == (json_body is None):
            raise ValueError("post() takes a form or a json_body, one of them")
        headers = dict(headers or {})
        if form is not None:
            pairs = list(form.items()) if isinstance(form, Mapping) else list(form)
            content = urlencode(pairs).encode("ascii")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        else:
            content = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        # A redirect to another host may only lead to a public address (a board's lookup
        # sent to a cloud metadata service must not be followed, nor its answer kept).
        return self._get(url, None, headers, None, False, max_bytes, max_wait=max_wait,
                         method="POST", content=content, public_redirects=public_redirects)

    def download(self, url: str, sink: BinaryIO, *, validators: Validators | None = None,
                 headers: dict[str, str] | None = None, resume: str | None = None,
                 on_headers: Callable[[httpx.Headers], None] | None = None,
                 max_bytes: int | None = None, public_redirects: bool = False) -> Page:
        """GET a large file into ``sink`` (an open binary file), never holding it in memory.
        The Page has no content; ``digest`` is the body's sha256. Same politeness as get().
        ``max_bytes``: a smaller cap than ``max_download_bytes`` (a file known to be small).
        ``public_redirects``: a redirect to another host must lead to a public address.

        ``resume``: the ETag of the file ``sink`` already holds the start of (opened for
        appending). The rest is asked for with ``Range`` and ``If-Range``: a 206 appends it,
        a 200 (the file changed, or the server ignores ranges) starts the file over.
        ``on_headers`` is called with the headers of a 2xx answer before its body is read (to
        remember its ETag, should the transfer be cut short)."""
        headers = dict(headers or {})
        sink.seek(0, 2)
        have = sink.tell()
        if resume and have:
            headers.update({"Range": f"bytes={have}-", "If-Range": resume})
        page = self._get(url, validators, headers, sink, False, max_bytes, on_headers,
                         public_redirects=public_redirects)
        page.path = getattr(sink, "name", None)
        if page.status == 206:  # the digest must cover the whole file, not the part sent now
            sink.flush()
            sink.seek(0)
            digest = hashlib.sha256()
            for block in iter(lambda: sink.read(1 << 20), b""):
                digest.update(block)
            page.digest = digest.hexdigest()
        return page

    def _get(self, url: str, validators: Validators | None, headers: dict[str, str] | None,
             sink: BinaryIO | None, untrusted: bool, max_bytes: int | None,
             on_headers: OnHeaders | None = None, *, max_wait: float | None = None,
             public_redirects: bool = False, method: str = "GET",
             content: bytes | None = None) -> Page:
        headers = dict(headers or {})
        if validators and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        for _ in range(self.config.max_redirects + 1):
            self.check_target(url, untrusted)
            self.check_robots(url, untrusted)
            host = self._host(url)
            with host.lock:
                started = self.clock.monotonic()
                response = self._send(url, host, headers, sink=sink, untrusted=untrusted,
                                      max_bytes=max_bytes, on_headers=on_headers,
                                      max_wait=max_wait, method=method, content=content)
            if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                target = redirect_target(url, response.headers["location"])
                if method == "POST" and response.status_code in (301, 302, 303):
                    method, content = "GET", None  # post, then redirect, then get
                    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
                if _origin(target) != _origin(url):
                    # Credentials are for the host they were given to (Box's API sends its
                    # files from another host, whose signed address needs none).
                    # So are a caller's own headers (an API key such as NYSED's x-oapi-key,
                    # an Origin): only those that say what is asked go on.
                    headers = {k: v for k, v in headers.items()
                               if k.lower() in CROSS_ORIGIN_HEADERS}
                    # A service that sends us to addresses of its choosing (Box) vouches for
                    # itself, not for them: they must be public, as scraped URLs must.
                    untrusted = untrusted or public_redirects
                url = target
                continue
            break
        else:
            raise HTTPStatusError(url, f"more than {self.config.max_redirects} redirects")
        elapsed = self.clock.monotonic() - started
        fetched_at = self.clock.utcnow()
        if response.status_code == 304:
            self._count("not_modified")
            return Page(url, 304, b"", response.headers, fetched_at, not_modified=True,
                        elapsed=elapsed)
        if not 200 <= response.status_code < 300:
            # A 4xx body usually says what was wrong with the request (a SoQL error, say).
            said = " ".join(response.content[:300].decode("utf-8", "replace").split())
            raise HTTPStatusError(url, f"HTTP {response.status_code}" + (f": {said}" if said else ""),
                                  status=response.status_code)
        encoding = sniff_encoding(response.content, response.headers.get("content-type"))
        return Page(url, response.status_code, response.content, response.headers, fetched_at,
                    encoding=encoding, elapsed=elapsed,
                    digest=response.extensions.get("digest"))
