"""A small local web server that hosts the stand-ins of the public sites.

Each stand-in (NPPES API, Socrata, NCCAOM pages...) is a *site*: a callable, or an object with a
`handle(request) -> Response` method, mounted under a path prefix. The server adds what every real
site does around the content, so that the scraper's HTTP layer meets it here as it would online:

- `/robots.txt` (the `robots_txt` attribute). With `None`, robots.txt is an ordinary path:
  whatever site is mounted at `/robots.txt` (or `/`) answers it (a robots.txt dripped, huge or
  failing), and 404 where none is;
- conditional requests: every 200 answer carries an `ETag` (quoted SHA-1 of the body) and a
  `Last-Modified`; `If-None-Match` / `If-Modified-Since` get a bodiless 304; one byte range,
  `Range: bytes=A-B`, `bytes=A-` (the rest) or `bytes=-N` (the last N), with `If-Range` naming
  the current ETag or without it, gets a 206 with those bytes and their `Content-Range`, as static
  file servers answer (a range that cannot be served gets the whole body);
- a request log (`requests`) so tests can check the User-Agent, the pace and the count of requests;
- faults on demand (`inject`): an error status with headers such as `Retry-After`, a slow answer,
  a body cut short, a connection dropped without an answer;
- answers dripped by the site itself (`Response.drip`): the body, or the status line and headers
  too (`drip_head`), one byte at a time, slower than any read timeout notices. The writer stops
  quietly when the client hangs up or the server stops, and never keeps the connection.

It uses only the standard library and binds the loopback interface only.

    with SiteServer() as server:
        server.add_site("/api/", NppesApi(providers))
        urllib.request.urlopen(server.url + "/api/?version=2.1&state=CA&city=DAVIS")
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

DEFAULT_ROBOTS_TXT = "User-agent: *\nAllow: /\n"
# A fixed date, so that answers never depend on the clock.
DEFAULT_LAST_MODIFIED = "Sun, 01 Mar 2026 08:00:00 GMT"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def canonical_header_name(name: str) -> str:
    """'user-agent' -> 'User-Agent', so logged headers can be looked up with one spelling."""
    return "-".join(part.capitalize() for part in name.split("-"))


@dataclass
class Request:
    """One request as a site sees it."""

    method: str
    path: str  # without the query string
    query: dict[str, str]  # one value per name: the first one sent
    headers: dict[str, str]  # names in canonical form ("User-Agent", "If-None-Match")
    target: str = ""  # the path with its query string, as sent
    body: bytes = b""  # a POST's body

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(canonical_header_name(name), default)


@dataclass
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # Seconds between single bytes of the body (0: sent at once); with `drip_head`, of the
    # status line and headers too.
    drip: float = 0.0
    drip_head: bool = False


def json_response(data: Any, status: int = 200, *, indent: int | None = None) -> Response:
    body = json.dumps(data, indent=indent).encode("utf-8")
    return Response(status, {"Content-Type": "application/json"}, body)


def text_response(
    text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8"
) -> Response:
    return Response(status, {"Content-Type": content_type}, text.encode("utf-8"))


Site = Callable[[Request], Response] | Any  # a callable, or an object with .handle(request)


class LoggedRequest(NamedTuple):
    method: str
    path: str  # with the query string
    headers: dict[str, str]


class ServedFault(NamedTuple):
    path: str  # with the query string
    kind: str  # "status", "delay", "truncate" or "drop"
    status: int | None  # the status sent in place of the normal answer, for kind "status"
    at: float = 0.0  # time.monotonic() when it was served


@dataclass
class Fault:
    """A fault queued by `SiteServer.inject`; `remaining` counts down to 0 as it is served."""

    prefix: str
    status: int | None
    headers: dict[str, str]
    body: bytes
    remaining: int
    delay: float
    truncate: bool
    drop: bool

    @property
    def kind(self) -> str:
        if self.drop:
            return "drop"
        if self.truncate:
            return "truncate"
        return "delay" if self.status is None else "status"


class SiteServer:
    """Serves mounted sites over real HTTP on localhost, in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        if host not in LOOPBACK_HOSTS:
            raise ValueError(f"the stand-ins bind the loopback interface only, not {host!r}")
        self.host = host
        self.port = port
        self.robots_txt: str | None = DEFAULT_ROBOTS_TXT
        self.last_modified: str = DEFAULT_LAST_MODIFIED
        self.requests: list[LoggedRequest] = []
        self.faults_served: list[ServedFault] = []
        self.errors: list[str] = []  # exceptions raised by a site (answered with a 500)
        self._routes: list[tuple[str, Site]] = []
        self.companions: list[SiteServer] = []  # stopped with this one
        self._faults: list[Fault] = []
        self._global_delay = 0.0
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # set by stop(): dripping answers end
        self._httpd: _QuietHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up --------------------------------------------------------------------------------

    def add_site(self, prefix: str, site: Site) -> Site:
        """Route requests whose path is `prefix` (with or without its final '/') or lies under it.

        The longest matching prefix wins. `site` is a callable `site(request) -> Response` or an
        object with a `handle(request)` method; an object may carry its own `last_modified`.
        """
        if not prefix.startswith("/"):
            raise ValueError(f"a prefix starts with '/': {prefix!r}")
        self._routes.append((prefix, site))
        self._routes.sort(key=lambda route: len(route[0]), reverse=True)
        return site

    @property
    def sites(self) -> dict[str, Site]:
        return dict(self._routes)

    def start(self) -> SiteServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        handler = type("StandInHandler", (_Handler,), {"site_server": self})
        self._httpd = _QuietHTTPServer((self.host, self.port), handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"stand-in-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        for companion in self.companions:
            companion.stop()
        self._stopping.set()
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- test controls -------------------------------------------------------------------------

    def inject(
        self,
        path_prefix: str,
        *,
        status: int | None = 503,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        count: int = 1,
        delay: float = 0.0,
        truncate: bool = False,
        drop: bool = False,
    ) -> Fault:
        """Queue a fault for the next `count` requests whose path (query included) starts with
        `path_prefix`.

        - `status` (default 503) answers that status with `headers` and `body` in place of the
          normal answer; `status=None` keeps the normal answer (use it with `delay`).
        - `delay` sleeps that many seconds before answering (a slow site).
        - `truncate` sends the normal answer's headers, with the full Content-Length, then only
          half of the body, and closes the connection.
        - `drop` closes the connection without sending anything.

        Faults are served first-queued first; each one served is recorded in `faults_served`.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        fault = Fault(
            prefix=path_prefix,
            status=status,
            headers=dict(headers or {}),
            body=body,
            remaining=count,
            delay=delay,
            truncate=truncate,
            drop=drop,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def set_global_delay(self, seconds: float) -> None:
        """Slow mode: sleep this long before every answer (0 turns it off)."""
        self._global_delay = max(0.0, seconds)

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.faults_served.clear()

    # -- serving -------------------------------------------------------------------------------

    def _take_fault(self, target: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if target.startswith(fault.prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    status = fault.status if fault.kind == "status" else None
                    self.faults_served.append(ServedFault(target, fault.kind, status,
                                                          time.monotonic()))
                    return fault
        return None

    def _route(self, path: str) -> Site | None:
        for prefix, site in self._routes:
            base = prefix.rstrip("/")
            if path == base or path.startswith(base + "/") or path == prefix:
                return site
        return None

    def _dispatch(self, request: Request) -> tuple[Response, str]:
        """The normal answer, and the Last-Modified date that goes with it."""
        if request.path == "/robots.txt" and self.robots_txt is not None:
            return text_response(self.robots_txt), self.last_modified
        site = self._route(request.path)
        if site is None:
            return text_response("Not Found\n", 404), self.last_modified
        last_modified = getattr(site, "last_modified", None) or self.last_modified
        handle = site.handle if hasattr(site, "handle") else site
        try:
            return handle(request), last_modified
        except Exception as exc:  # a bug in a stand-in: answer 500 and keep it for the test
            self.errors.append(f"{request.target}: {exc!r}")
            return text_response(f"stand-in error: {exc!r}\n", 500), last_modified

    def _serve(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        query = {
            name: values[0]
            for name, values in parse_qs(split.query, keep_blank_values=True).items()
        }
        headers = {canonical_header_name(name): value for name, value in handler.headers.items()}
        request = Request(handler.command, split.path or "/", query, headers, handler.path)
        with self._lock:
            self.requests.append(LoggedRequest(handler.command, handler.path, headers))

        length = int(headers.get("Content-Length") or 0)
        if length:
            request.body = handler.rfile.read(length)

        if self._global_delay:
            time.sleep(self._global_delay)
        fault = self._take_fault(request.target)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            handler.close_connection = True
            return
        if fault is not None and fault.status is not None and not fault.truncate:
            response = Response(fault.status, dict(fault.headers), fault.body)
        else:
            response, last_modified = self._dispatch(request)
            response = _conditional(request, response, last_modified)
            if fault is not None:
                response.headers.update(fault.headers)
        _write(handler, response, truncate=fault is not None and fault.truncate)


def _conditional(request: Request, response: Response, last_modified: str) -> Response:
    """Add ETag and Last-Modified to a 200 and answer 304 when the client's copy is current."""
    if response.status != 200:
        return response
    etag = response.headers.setdefault("ETag", f'"{hashlib.sha1(response.body).hexdigest()}"')
    modified = response.headers.setdefault("Last-Modified", last_modified)
    validators = {"ETag": etag, "Last-Modified": modified}
    if_none_match = request.header("If-None-Match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        if "*" in tags or etag in tags:
            return Response(304, validators)
        return response
    if_modified_since = request.header("If-Modified-Since")
    if if_modified_since:
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since)
            if since >= email.utils.parsedate_to_datetime(modified):
                return Response(304, validators)
        except (TypeError, ValueError):
            pass  # an unreadable date is ignored, as HTTP says
    return _range(request, response, etag)


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _range(request: Request, response: Response, etag: str) -> Response:
    """One byte range (``bytes=A-B``, ``bytes=A-`` or ``bytes=-N``), honoured when ``If-Range``
    is absent or names the current ETag; otherwise the whole body, as HTTP says."""
    wanted = _RANGE.fullmatch((request.header("Range") or "").replace(" ", ""))
    if_range = request.header("If-Range")
    if wanted is None or not any(wanted.groups()) or (if_range is not None and if_range != etag):
        return response
    size = len(response.body)
    first, last = wanted.groups()
    if first:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    else:  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    if start >= size or start > end:
        return response
    headers = {**response.headers, "Content-Range": f"bytes {start}-{end}/{size}"}
    return replace(response, status=206, headers=headers, body=response.body[start:end + 1])


def _write(handler: _Handler, response: Response, *, truncate: bool = False) -> None:
    if response.drip and not truncate:
        _write_dripped(handler, response)
        return
    if truncate and (response.status == 304 or not response.body or handler.command == "HEAD"):
        # nothing to cut short: cut the answer itself, half way through its status line
        handler.wfile.write(f"HTTP/1.1 {response.status} "[:10].encode("ascii"))
        handler.wfile.flush()
        handler.close_connection = True
        return
    handler.send_response(response.status)
    for name, value in response.headers.items():
        if name.lower() != "content-length":
            handler.send_header(name, value)
    if response.status != 304:
        handler.send_header("Content-Length", str(len(response.body)))
    if truncate:
        handler.send_header("Connection", "close")
    handler.end_headers()
    if handler.command == "HEAD" or response.status == 304:
        return
    if truncate:
        handler.wfile.write(response.body[: len(response.body) // 2])
        handler.wfile.flush()
        handler.close_connection = True
        return
    handler.wfile.write(response.body)


def _write_dripped(handler: _Handler, response: Response) -> None:
    """The answer a byte at a time, `response.drip` seconds apart: the body only, or the status
    line and headers too (`drip_head`). Stops quietly when the client hangs up (it gave up: what
    a dripping site is for) or when the server stops."""
    lines = [f"HTTP/1.1 {response.status} {handler.responses.get(response.status, ('',))[0]}",
             f"Server: {handler.version_string()}", f"Date: {handler.date_time_string()}"]
    lines += [f"{name}: {value}" for name, value in response.headers.items()
              if name.lower() not in ("content-length", "connection")]
    if response.status != 304:
        lines.append(f"Content-Length: {len(response.body)}")
    lines.append("Connection: close")  # a connection dripped on is never reused
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    body = b"" if handler.command == "HEAD" or response.status == 304 else response.body
    data, start = head + body, 0 if response.drip_head else len(head)
    handler.close_connection = True
    stopping = handler.site_server._stopping
    try:
        if start:
            handler.wfile.write(data[:start])
        for i in range(start, len(data)):
            if stopping.wait(response.drip):
                return
            handler.wfile.write(data[i:i + 1])
    except OSError:
        return  # the client hung up


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real sites do
    server_version = "StandIn/1.0"
    timeout = 30  # an idle keep-alive connection is closed after this
    # Headers and body leave in separate writes; without TCP_NODELAY, Nagle's algorithm holds
    # the body until the client's delayed ACK (~40 ms) on every keep-alive request.
    disable_nagle_algorithm = True
    site_server: SiteServer

    def do_GET(self) -> None:  # noqa: N802 (the name http.server looks for)
        self.site_server._serve(self)

    def do_HEAD(self) -> None:  # noqa: N802
        self.site_server._serve(self)

    def do_POST(self) -> None:  # noqa: N802
        self.site_server._serve(self)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: tests read `SiteServer.requests` instead


class _QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up early (a timeout in a test, a dropped fault) is not an error.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    """(status, headers, body) of a GET with the standard library, whatever the status: what
    the stand-ins' own tests use to talk to them over real HTTP."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
