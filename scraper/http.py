"""The one HTTP client of the project: every source fetches through ``Fetcher``.

It holds the whole fetching policy so that no source has to:

- an identifying User-Agent (project, version, contact address from configuration);
- robots.txt fetched once per host and obeyed (RFC 9309 via protego), Crawl-delay honoured;
- per-host pacing: one request in flight per host, at least ``min_interval`` seconds apart;
  different hosts proceed independently, so sources on different hosts run concurrently;
- retries with exponential backoff and jitter on connection errors, timeouts, truncated
  bodies and 408/429/500/502/503/504, ``Retry-After`` (seconds or HTTP date) honoured up to
  a cap; any other 4xx fails at once;
- bot challenges (Cloudflare "Just a moment", Turnstile, ``cf-mitigated``) detected and
  raised as ``BotChallenge``: never retried, never worked around;
- explicit timeouts, a cap on the body size, declared and sniffed encodings;
- URLs taken from scraped data (``get(url, untrusted=True)``) are fetched only over http(s)
  from public addresses: a host that is, or resolves to, a loopback, private, link-local,
  cloud-metadata or otherwise reserved address is refused before any request, at every
  redirect, and again when the socket connects (so a name that resolves differently the second
  time cannot slip through). ``http.allow_private_hosts`` lets the tests and the demo through;
- conditional requests: the caller passes the ETag / Last-Modified it stored with the
  rows of the last fetch, and a 304 comes back as ``Page(not_modified=True)``. The
  validators are stored by the caller in the same transaction as the page's rows, so a
  crash can never leave a validator for rows that were not written.

Transport and clock are injectable, so tests run without sockets and without sleeping.
"""

from __future__ import annotations

import codecs
import email.utils
import hashlib
import ipaddress
import logging
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, Protocol
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from protego import Protego

from . import PROJECT_NAME, __version__
from .config import HttpConfig

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# httpx errors worth another try: the network or the peer failed, not our request.
RETRY_ERRORS = (httpx.TransportError,)
ROBOTS_TOKEN = PROJECT_NAME


class FetchError(Exception):
    """A URL could not be fetched; ``reason`` is a short machine-friendly tag."""

    reason = "error"

    def __init__(self, url: str, message: str, *, status: int | None = None):
        self.url = url
        self.status = status
        super().__init__(f"{message} ({url})")


class HTTPStatusError(FetchError):
    reason = "http-status"


class RetriesExhausted(FetchError):
    reason = "retries-exhausted"


class RobotsDisallowed(FetchError):
    reason = "robots"


class RobotsUnreachable(RobotsDisallowed):
    """robots.txt could not be fetched (5xx, no connection), so the host is off limits."""


class ResponseTooLarge(FetchError):
    reason = "too-large"


class HostNotAllowed(FetchError):
    """The configuration limits the hosts this client may contact, and this is not one."""

    reason = "host-not-allowed"


class UnsafeURL(FetchError):
    """A URL from scraped data points somewhere we never fetch from: not http(s), or a host
    that is or resolves to a loopback, private, link-local, metadata or reserved address."""

    reason = "unsafe"


class Unresolvable(FetchError):
    """The host name of a URL from scraped data does not resolve."""

    reason = "unresolvable"


class BotChallenge(FetchError):
    """The site answered with a bot challenge. Stop the source; never try to get around it."""

    reason = "challenge"


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


@dataclass(frozen=True)
class Validators:
    """What a conditional request needs from the last successful fetch of a URL."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Page:
    url: str
    status: int
    content: bytes
    headers: httpx.Headers
    fetched_at: datetime
    encoding: str = "utf-8"
    not_modified: bool = False
    elapsed: float = 0.0
    path: str | None = None  # where a download() wrote the body (content is then empty)
    digest: str | None = None  # sha256 of a downloaded body

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, errors="replace")

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_hash(self) -> str | None:
        if self.not_modified:
            return None
        return self.digest or hashlib.sha256(self.content).hexdigest()

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified)


@dataclass
class _Host:
    """Per-host state: one request in flight, the next moment one may start, robots rules."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0
    robots: Protego | None = None
    robots_loaded: bool = False
    disallow_all: str | None = None  # why robots.txt could not be had, if it could not


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
        match = re.search(r"charset\s*=\s*([^;\s]+)", content_type, re.I)
        declared = _known_codec(match.group(1)) if match else None
        if declared:
            return declared
    match = _CHARSET_RE.search(content[:4096])
    declared = _known_codec(match.group(1).decode("ascii", "replace")) if match else None
    if declared:
        # Pages that declare latin-1 are, in practice, windows-1252 (as browsers treat them).
        return "cp1252" if declared in ("latin-1", "iso8859-1") else declared
    try:
        content.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def detect_challenge(status: int, headers: httpx.Headers, content: bytes) -> str | None:
    """Name the bot challenge this answer is, or None. Seen on directory.nccaom.org in 2025."""
    if headers.get("cf-mitigated", "").lower() == "challenge":
        return "Cloudflare challenge (cf-mitigated header)"
    head = content[:20000].lower()
    if b"challenges.cloudflare.com/turnstile" in head or b"cf-turnstile" in head:
        return "Cloudflare Turnstile widget"
    if status in (403, 429, 503) and (
        b"just a moment..." in head or b"/cdn-cgi/challenge-platform/" in head
        or b"cf-chl-" in head or b"attention required! | cloudflare" in head
    ):
        return "Cloudflare 'Just a moment' challenge page"
    return None


# -- the guard for URLs taken from scraped data ---------------------------------------------

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# Cloud instance-metadata services (AWS, GCP, Azure, OpenStack; AWS over IPv6; ECS tasks;
# Alibaba). All but Alibaba's are link-local or private anyway: named for a clearer message.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200"))


def address_problem(address: Address) -> str | None:
    """Why a client must not connect to this address on behalf of scraped data, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for test, words in (("is_loopback", "a loopback address"),
                        ("is_link_local", "a link-local address"),
                        ("is_unspecified", "an unspecified address"),
                        ("is_multicast", "a multicast address"),
                        ("is_reserved", "a reserved address"),
                        ("is_private", "a private address")):
        if getattr(address, test):
            return words
    if not address.is_global:
        return "not a public address"
    return None


_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}$", re.I)


def ip_literal(host: str) -> Address | None:
    """The address a host names by itself: dotted, IPv6, and the old numeric forms the socket
    layer still accepts ("2130706433", "0x7f000001", "127.1", "0177.0.0.1" are 127.0.0.1)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (as the socket layer would try them)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


Resolver = Callable[[str, int], list[str]]


class PublicOnly:
    """Decides whether a host may be contacted for a URL taken from scraped data."""

    def __init__(self, allowed: tuple[str, ...] = (), resolver: Resolver | None = None):
        self.allowed = {a.lower() for a in allowed}
        self.resolver = resolver or resolve

    def is_allowed(self, host: str, port: int) -> bool:
        host = host.lower().strip("[]")
        return host in self.allowed or f"{host}:{port}" in self.allowed

    def addresses(self, url: str, host: str, port: int) -> list[str]:
        """The addresses ``host`` may be reached at; UnsafeURL if any of them is not public."""
        host = host.strip("[]")
        literal = ip_literal(host)
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = self.resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise Unresolvable(url, f"host {host!r} does not resolve: {exc}") from None
            if not found:
                raise Unresolvable(url, f"host {host!r} does not resolve")
        for text in found:
            problem = address_problem(ipaddress.ip_address(text.split("%")[0]))
            if problem:
                where = host if literal is not None else f"{host} ({text})"
                raise UnsafeURL(url, f"refusing a URL from scraped data: {where} is {problem}")
        return found

    def check(self, url: str) -> None:
        try:
            parts = httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as exc:
            raise UnsafeURL(url, f"refusing a URL from scraped data: not a valid URL: {exc}") \
                from None
        if parts.scheme not in ("http", "https"):
            raise UnsafeURL(url, f"refusing a URL from scraped data: scheme {parts.scheme!r} "
                            "is not http or https")
        if not parts.host:
            raise UnsafeURL(url, "refusing a URL from scraped data: it names no host")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if not self.is_allowed(parts.host, port):
            self.addresses(url, parts.host, port)


class _PublicOnlyBackend(httpcore.SyncBackend):
    """Connects only to vetted addresses: the name is resolved and checked here, at connect
    time, and the socket goes to an address that passed (TLS still names the host)."""

    def __init__(self, guard: PublicOnly):
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


def public_only_transport(guard: PublicOnly) -> httpx.HTTPTransport:
    """An httpx transport whose connections go to public addresses only."""
    transport = httpx.HTTPTransport()
    # httpx does not take a network backend; its connection pool does, and reads this
    # attribute each time it opens a connection (httpcore 1.x).
    transport._pool._network_backend = _PublicOnlyBackend(guard)
    return transport


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


def user_agent(contact: str) -> str:
    return f"{PROJECT_NAME}/{__version__} (+{contact}; public-records research bot)"


class Fetcher:
    """Polite GETs. Thread-safe: one instance is shared by all sources of a run."""

    def __init__(self, config: HttpConfig | None = None, *,
                 transport: httpx.BaseTransport | None = None,
                 clock: Clock | None = None, rng: random.Random | None = None,
                 resolver: Resolver | None = None):
        self.config = config or HttpConfig()
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.user_agent = user_agent(self.config.contact)
        self.public_only = PublicOnly(self.config.allow_private_hosts, resolver)
        settings = dict(
            timeout=httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout),
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,
        )
        self._client = httpx.Client(transport=transport, **settings)
        # URLs from scraped data go through a client that connects to public addresses only
        # (an injected transport, in tests, serves both: it opens no sockets of its own).
        self._untrusted_client = self._client if transport is not None else httpx.Client(
            transport=public_only_transport(self.public_only), trust_env=False, **settings)
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self._local = threading.local()

    def close(self) -> None:
        self._client.close()
        if self._untrusted_client is not self._client:
            self._untrusted_client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _count(self, key: str, n: int = 1) -> None:
        with self._stats_lock:
            self.stats[key] += n
        counts = getattr(self._local, "counts", None)
        if counts is None:
            counts = self._local.counts = Counter()
        counts[key] += n
        listener = getattr(self._local, "fault_listener", None)
        if listener is not None and (kind := "retries" if key == "retries"
                                     else fault_kind(key)) is not None:
            listener(kind, n)

    def on_fault(self, listener: Callable[[str, int], None] | None) -> None:
        """From now on, call ``listener(kind, n)`` in the calling thread for each fault its
        requests meet (kinds as ``fault_kind`` names them) and each retry ("retries"), as it
        happens; None stops it."""
        self._local.fault_listener = listener

    def fault_listener(self) -> Callable[[str, int], None] | None:
        """The calling thread's listener, for a worker thread to take on (``on_fault``)."""
        return getattr(self._local, "fault_listener", None)

    def thread_counts(self) -> Counter[str]:
        """What the calling thread's requests met so far (each source runs in a thread of its
        own): requests, statuses, errors, retries."""
        return Counter(getattr(self._local, "counts", None) or {})

    def thread_requests(self) -> int:
        """Requests sent by the calling thread."""
        return self.thread_counts()["requests"]

    def _host(self, url: str) -> _Host:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}".lower()
        with self._hosts_lock:
            return self._hosts.setdefault(key, _Host())

    # -- robots.txt -------------------------------------------------------------------------

    def _load_robots(self, url: str, host: _Host, untrusted: bool) -> None:
        robots_url = urljoin(url, "/robots.txt")
        try:
            response = self._send(robots_url, host, {}, purpose="robots", untrusted=untrusted)
            # RFC 9309 2.3.1.2: follow at least five redirects (a site moving to "www.").
            for _ in range(5):
                if response.status_code not in REDIRECT_STATUSES or \
                        "location" not in response.headers:
                    break
                robots_url = urljoin(robots_url, response.headers["location"])
                self.check_target(robots_url, untrusted)
                response = self._send(robots_url, self._host(robots_url), {}, purpose="robots",
                                      untrusted=untrusted)
            else:
                raise HTTPStatusError(robots_url, "robots.txt redirects more than five times")
        except (RetriesExhausted, HTTPStatusError, HostNotAllowed, UnsafeURL,
                Unresolvable) as exc:
            # RFC 9309 2.3.1.4: robots.txt unreachable (5xx, network) means assume full disallow.
            log.warning("robots.txt unreachable at %s, treating the host as disallowed: %s",
                        robots_url, exc)
            host.disallow_all = str(exc)
            return
        if 200 <= response.status_code < 300:
            text = response.content.decode(sniff_encoding(response.content, None), "replace")
            host.robots = Protego.parse(text)
        # 4xx (e.g. 404): RFC 9309 2.3.1.3 says the crawler may access everything.

    def check_host(self, url: str) -> None:
        allowed = self.config.allowed_hosts
        if allowed and (urlsplit(url).hostname or "").lower() not in allowed:
            raise HostNotAllowed(url, f"host not in http.allowed_hosts ({', '.join(allowed)})")

    def check_target(self, url: str, untrusted: bool = False) -> None:
        """May this URL be fetched at all: the configured hosts and, for a URL taken from
        scraped data, http(s) to a public address only."""
        self.check_host(url)
        if untrusted:
            self.public_only.check(url)

    def check_robots(self, url: str, untrusted: bool = False) -> None:
        if not self.config.obey_robots:
            return
        host = self._host(url)
        if not host.robots_loaded:
            with host.lock:
                if not host.robots_loaded:
                    self._load_robots(url, host, untrusted)
                    host.robots_loaded = True
        if host.disallow_all:
            raise RobotsUnreachable(url, "robots.txt could not be fetched, so the host is off "
                                   f"limits: {host.disallow_all}")
        if host.robots is not None and not host.robots.can_fetch(url, ROBOTS_TOKEN):
            raise RobotsDisallowed(url, "robots.txt disallows this URL for us")

    def _interval(self, host: _Host) -> float:
        delay = host.robots.crawl_delay(ROBOTS_TOKEN) if host.robots is not None else None
        return max(self.config.min_interval, float(delay or 0))

    # -- sending ------------------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.config.backoff_cap, self.config.backoff_base * (2 ** attempt))
        # "Equal jitter": at least half the exponential step, so waits still grow.
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def _send(self, url: str, host: _Host, headers: dict[str, str], *,
              purpose: str = "page", sink: BinaryIO | None = None,
              untrusted: bool = False, max_bytes: int | None = None) -> httpx.Response:
        """One request with retries; the caller holds ``host.lock`` (one request in flight)."""
        attempt = 0
        while True:
            wait = host.next_at - self.clock.monotonic()
            if wait > 0:
                self.clock.sleep(wait)
            retry_wait: float | None = None
            status: int | None = None
            problem: str
            try:
                response = self._read(url, headers, sink, untrusted, max_bytes)
            except (ResponseTooLarge, UnsafeURL, Unresolvable):
                host.next_at = self.clock.monotonic() + self._interval(host)
                raise
            except RETRY_ERRORS as exc:
                problem = f"{type(exc).__name__}: {exc}"
                self._count("errors." + type(exc).__name__)
            else:
                challenge = detect_challenge(response.status_code, response.headers,
                                             response.content)
                if challenge:
                    host.next_at = self.clock.monotonic() + self._interval(host)
                    raise BotChallenge(url, f"bot challenge: {challenge}; the source is gated",
                                       status=response.status_code)
                if response.status_code not in RETRY_STATUSES:
                    host.next_at = self.clock.monotonic() + self._interval(host)
                    return response
                status = response.status_code
                problem = f"HTTP {status}"
                retry_wait = parse_retry_after(response.headers.get("retry-after"),
                                               self.clock.utcnow())
                if retry_wait is not None and retry_wait > self.config.max_retry_after:
                    host.next_at = self.clock.monotonic() + retry_wait
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
              untrusted: bool = False, max_bytes: int | None = None) -> httpx.Response:
        """Send one request and read the body, refusing bodies over the size cap. With a
        ``sink``, a 2xx body is streamed into it (rewound first: a retry starts afresh) and
        the returned response carries the body's sha256 in ``extensions["digest"]``."""
        client = self._untrusted_client if untrusted else self._client
        with client.stream("GET", url, headers=headers) as response:
            # counted here, so that an answer refused for its size still counts as a request
            self._count("requests")
            self._count(f"status.{response.status_code}")
            to_file = sink is not None and 200 <= response.status_code < 300
            # only a body written to a file may be as large as a download; others sit in memory
            limit = self.config.max_download_bytes if to_file else self.config.max_bytes
            if max_bytes is not None:
                limit = min(limit, max_bytes)
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise ResponseTooLarge(url, f"body of {declared} bytes is over the "
                                       f"{limit}-byte cap", status=response.status_code)
            if to_file and getattr(self._local, "on_headers", None):
                self._local.on_headers(response.headers)
            if to_file and response.status_code == 206:
                sink.seek(0, 2)  # the rest of a file begun before: append
            elif to_file:
                sink.seek(0)
                sink.truncate()
            digest = hashlib.sha256()
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise ResponseTooLarge(url, f"body is over the {limit}-byte cap",
                                           status=response.status_code)
                if to_file:
                    sink.write(chunk)
                    digest.update(chunk)
                else:
                    chunks.append(chunk)
            self._count("bytes", size)
        extensions = {"digest": digest.hexdigest()} if to_file else {}
        # The body was decoded (gunzipped) while streaming: the copy must not claim an encoding
        # or a length it no longer has, or httpx would decode it a second time.
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length")]
        return httpx.Response(response.status_code, headers=headers,
                              content=b"".join(chunks), request=response.request,
                              extensions=extensions)

    def get(self, url: str, params: dict[str, str | int] | None = None, *,
            validators: Validators | None = None,
            headers: dict[str, str] | None = None, untrusted: bool = False,
            max_bytes: int | None = None) -> Page:
        """GET ``url`` politely. Raises a FetchError subclass when it cannot be had.

        With ``validators`` from the last fetch, a 304 answer returns a Page with
        ``not_modified=True`` and no content. ``untrusted``: the URL was taken from scraped
        data, so it (and every redirect) must be http(s) to a public address. ``max_bytes``:
        a tighter size cap than the configured one, for this request.
        """
        if params:
            url = build_url(url, params)
        return self._get(url, validators, headers, None, untrusted, max_bytes)

    def download(self, url: str, sink: BinaryIO, *, validators: Validators | None = None,
                 headers: dict[str, str] | None = None, resume: str | None = None,
                 on_headers: Callable[[httpx.Headers], None] | None = None) -> Page:
        """GET a large file into ``sink`` (an open binary file), never holding it in memory.
        The Page has no content; ``digest`` is the body's sha256. Same politeness as get().

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
        self._local.on_headers = on_headers
        try:
            page = self._get(url, validators, headers, sink, False, None)
        finally:
            self._local.on_headers = None
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
             sink: BinaryIO | None, untrusted: bool, max_bytes: int | None) -> Page:
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
                                      max_bytes=max_bytes)
            if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
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
