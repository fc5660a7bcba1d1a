"""Hostile sites cannot stall, break or steer the HTTP client (issue 14).

Each case meets the client over real sockets on 127.0.0.1: a site that drips its answer a byte at
a time, one that asks for ten years of quiet, one whose robots.txt is huge or unreadable, one that
redirects to file://. Every test is bounded in time: it asserts how long the client took.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from scraper.config import HttpConfig, load_config
from scraper.http import (
    BotChallenge,
    DeadlineExceeded,
    Fetcher,
    Interrupted,
    NotHTTP,
    RetriesExhausted,
    RobotsUnreachable,
    SystemClock,
)
from tests.sites.server import Response, SiteServer, text_response

# -- a site that drips ---------------------------------------------------------------------------


class DripServer:
    """Answers every request with ``answer``, sent ``step`` bytes at a time, ``pause`` seconds
    apart: a status line, headers or body that arrives slower than any read timeout notices.
    Stops writing when the client hangs up, and after ``limit`` seconds whatever happens."""

    def __init__(self, answer: bytes, *, pause: float = 0.1, step: int = 1,
                 limit: float = 8.0):
        self.answer, self.pause, self.step, self.limit = answer, pause, step, limit
        self.requests: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        started = time.monotonic()
        with conn:
            conn.settimeout(1.0)
            try:
                self.requests.append(conn.recv(65536))
                for i in range(0, len(self.answer), self.step):
                    if self._stop.is_set() or time.monotonic() - started > self.limit:
                        return
                    conn.sendall(self.answer[i:i + self.step])
                    time.sleep(self.pause)
            except OSError:
                return  # the client gave up: what these tests want

    def __enter__(self) -> DripServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=2)


def http_answer(body: bytes, status: str = "200 OK", content_type: str = "text/html") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


def config(**overrides) -> HttpConfig:
    settings = dict(contact="tests@example.invalid", min_interval=0.0, backoff_base=0.01,
                    backoff_cap=0.05, max_retries=2, max_retry_after=5.0, connect_timeout=2.0,
                    read_timeout=3.0, total_timeout=1.0, obey_robots=False)
    return HttpConfig(**{**settings, **overrides})


class Faults:
    """What the on_fault listener hears."""

    def __init__(self) -> None:
        self.kinds: list[str] = []

    def __call__(self, kind: str, n: int) -> None:
        self.kinds.extend([kind] * n)


@pytest.fixture
def timed() -> Iterator[list[float]]:
    """A stopwatch: the test reads how long the client took (index 0 once the test ends)."""
    started = time.monotonic()
    took: list[float] = []
    yield took
    took.append(time.monotonic() - started)


# -- a total deadline per request ----------------------------------------------------------------

@pytest.mark.parametrize("where, answer", [
    # 1 byte every 0.1 s: no single read waits near the 3 s read timeout
    ("body", http_answer(b"x" * 200)),
    ("headers", b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"),
    ("status line", b"HTTP/1.1 200 " + b"O" * 200 + b"\r\n\r\n"),
])
def test_an_answer_dripped_a_byte_at_a_time_ends_at_the_deadline(where, answer):
    faults = Faults()
    with DripServer(answer) as site, Fetcher(config()) as fetcher:
        fetcher.on_fault(faults)
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match="1s total deadline") as caught:
            fetcher.get(f"{site.url}/page")
        took = time.monotonic() - started
    assert 0.9 <= took < 2.5, f"{where}: took {took:.1f}s"
    assert caught.value.reason == "deadline"
    # recorded as a fault, as a timeout is; not retried (a retry would drip again)
    assert faults.kinds == ["DeadlineExceeded"]
    assert fetcher.stats["errors.DeadlineExceeded"] == 1
    assert len(site.requests) == 1


def test_a_slow_but_steady_page_within_the_deadline_is_read():
    with DripServer(http_answer(b"y" * 400), pause=0.05, step=100) as site, \
            Fetcher(config(total_timeout=5.0)) as fetcher:
        assert fetcher.get(f"{site.url}/page").content == b"y" * 400


def test_robots_txt_dripped_makes_the_host_off_limits_once():
    robots = http_answer(b"User-agent: *\nAllow: /\n" * 20, content_type="text/plain")
    with DripServer(robots) as site, Fetcher(config(obey_robots=True)) as fetcher:
        started = time.monotonic()
        with pytest.raises(RobotsUnreachable, match="deadline"):
            fetcher.get(f"{site.url}/page")
        with pytest.raises(RobotsUnreachable):  # cached: robots.txt is not fetched again
            fetcher.get(f"{site.url}/other")
        took = time.monotonic() - started
    assert took < 2.5
    assert [r.split(b" ")[1] for r in site.requests] == [b"/robots.txt"]


def test_a_download_has_its_own_deadline(tmp_path):
    """The page deadline (1 s) does not cut a download that streams steadily for ~1.5 s;
    download_timeout does."""
    body = b"z" * 3000
    with DripServer(http_answer(body, content_type="text/csv"), pause=0.05, step=100) as site, \
            Fetcher(config(total_timeout=1.0, download_timeout=10.0)) as fetcher, \
            open(tmp_path / "f.csv", "w+b") as sink:
        page = fetcher.download(f"{site.url}/f.csv", sink)
    assert (tmp_path / "f.csv").read_bytes() == body and page.status == 200
    with DripServer(http_answer(body, content_type="text/csv"), pause=0.05, step=100) as site, \
            Fetcher(config(total_timeout=10.0, download_timeout=0.5)) as fetcher, \
            open(tmp_path / "g.csv", "w+b") as sink, \
            pytest.raises(DeadlineExceeded, match="0.5s total deadline"):
        fetcher.download(f"{site.url}/g.csv", sink)


def test_the_deadlines_are_settings(tmp_path):
    assert (HttpConfig().total_timeout, HttpConfig().download_timeout) == (120.0, 14400.0)
    path = tmp_path / "p.toml"
    path.write_text("[http]\ntotal_timeout = 30\ndownload_timeout = 0\n")
    http = load_config(path, env={}).http
    assert (http.total_timeout, http.download_timeout) == (30.0, 0.0)


# -- Retry-After: never a stall, never an overflow ------------------------------------------------

@pytest.fixture
def site() -> Iterator[SiteServer]:
    server = SiteServer().start()
    server.add_site("/", lambda request: text_response("fine"))
    yield server
    server.stop()


@pytest.mark.parametrize("retry_after", [
    "9" * 400,  # parsed to infinity before: time.sleep(inf) raised OverflowError
    "315360000",  # ten years
    "Fri, 31 Dec 9999 23:59:59 GMT",  # a far-future date
    "1e999",  # not a Retry-After at all: ignored, the ordinary backoff applies
])
def test_a_huge_retry_after_fails_that_request_and_leaves_the_host_free(site, retry_after):
    site.inject("/x", status=503, headers={"Retry-After": retry_after}, count=10)
    started = time.monotonic()
    with Fetcher(config(total_timeout=5.0), clock=SystemClock()) as fetcher:
        with pytest.raises(RetriesExhausted):
            fetcher.get(f"{site.url}/x")
        # the next request to the same host is not held back by the quiet asked for
        assert fetcher.get(f"{site.url}/y").text == "fine"
    assert time.monotonic() - started < 2.0


def test_no_wait_is_longer_than_the_caps(site, clock):
    """An honest Retry-After over the cap (an hour) fails the request; no later request to the
    host sleeps for it. The fake clock records every wait the client chose."""
    site.inject("/x", status=429, headers={"Retry-After": "3600"})
    site.inject("/z", status=503, headers={"Retry-After": "4"}, count=10)
    with Fetcher(config(max_retry_after=5.0, backoff_cap=0.05), clock=clock) as fetcher:
        with pytest.raises(RetriesExhausted, match="over the 5s cap"):
            fetcher.get(f"{site.url}/x")
        assert fetcher.get(f"{site.url}/y").text == "fine"
        with pytest.raises(RetriesExhausted, match="gave up after 3 attempts"):
            fetcher.get(f"{site.url}/z")
        assert fetcher.get(f"{site.url}/y").text == "fine"
    assert clock.sleeps and max(clock.sleeps) <= 5.0


# -- robots.txt ----------------------------------------------------------------------------------

def test_robots_txt_is_read_up_to_500_kib_and_the_rest_ignored(site):
    filler = "# " + "x" * 98 + "\n"
    site.robots_txt = ("User-agent: *\nDisallow: /early\n" + filler * 6000  # ~600 KB
                       + "Disallow: /late\n")
    with Fetcher(config(obey_robots=True, max_bytes=10_000_000)) as fetcher:
        assert fetcher.get(f"{site.url}/late").text == "fine"
        with pytest.raises(Exception, match="disallows"):
            fetcher.get(f"{site.url}/early")


def test_robots_txt_over_the_page_cap_is_truncated_not_refused(site):
    site.robots_txt = "User-agent: *\nDisallow: /early\n" + "# filler\n" * 1000
    with Fetcher(config(obey_robots=True, max_bytes=2000)) as fetcher:
        assert fetcher.get(f"{site.url}/y").text == "fine"
        assert fetcher.get(f"{site.url}/z").text == "fine"
    assert [r.path for r in site.requests] == ["/robots.txt", "/y", "/z"]


def test_a_robots_txt_failure_is_cached_for_the_fetchers_life(site):
    site.inject("/robots.txt", status=403, headers={"cf-mitigated": "challenge"}, count=10)
    with Fetcher(config(obey_robots=True)) as fetcher:
        for path in ("/a", "/b", "/c"):
            with pytest.raises(BotChallenge):
                fetcher.get(f"{site.url}{path}")
    assert [r.path for r in site.requests] == ["/robots.txt"]


# -- redirects to other schemes ------------------------------------------------------------------

@pytest.mark.parametrize("location", [
    "file:///etc/passwd", "ftp://files.example/x", "javascript:alert(1)", "gopher://x/",
    "data:text/html,<script>alert(1)</script>"])
def test_a_redirect_to_another_scheme_fails_at_once(site, location):
    site.add_site("/moved", lambda request: Response(302, {"Location": location}, b""))
    started = time.monotonic()
    with Fetcher(config(obey_robots=True)) as fetcher:
        with pytest.raises(NotHTTP, match="not http or https") as caught:
            fetcher.get(f"{site.url}/moved")
    assert time.monotonic() - started < 1.0
    assert caught.value.reason == "not-http" and not isinstance(caught.value, RobotsUnreachable)
    assert [r.path for r in site.requests] == ["/robots.txt", "/moved"]  # no retries


@pytest.mark.parametrize("location", ["http://[::1", "http://:80/nohost"])
def test_a_redirect_to_a_broken_url_fails_at_once(site, location):
    # httpx raised InvalidURL (no FetchError) or RemoteProtocolError (retried) for these
    site.add_site("/moved", lambda request: Response(302, {"Location": location}, b""))
    with Fetcher(config()) as fetcher, pytest.raises(NotHTTP, match="not a valid"):
        fetcher.get(f"{site.url}/moved")
    assert [r.path for r in site.requests] == ["/moved"]


# -- every wait can be interrupted ----------------------------------------------------------------

def _interrupt_after(fetcher: Fetcher, seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, fetcher.interrupt)
    timer.start()
    return timer


def test_a_wait_before_a_retry_ends_when_interrupted(site):
    """An honest Retry-After within the cap is waited out, unless the run is stopped."""
    site.inject("/x", status=503, headers={"Retry-After": "60"}, count=10)
    with Fetcher(config(max_retry_after=120.0), clock=SystemClock()) as fetcher:
        _interrupt_after(fetcher, 0.3)
        started = time.monotonic()
        with pytest.raises(Interrupted, match="before fetching"):
            fetcher.get(f"{site.url}/x")
        assert time.monotonic() - started < 1.5
        assert fetcher.interrupted
        with pytest.raises(Interrupted):  # and every later request, at once, unsent
            fetcher.get(f"{site.url}/y")
    assert [r.path for r in site.requests] == ["/x"]


def test_a_pace_wait_ends_when_interrupted(site):
    with Fetcher(config(min_interval=60.0), clock=SystemClock()) as fetcher:
        assert fetcher.get(f"{site.url}/a").text == "fine"
        _interrupt_after(fetcher, 0.3)
        started = time.monotonic()
        with pytest.raises(Interrupted):
            fetcher.get(f"{site.url}/b")  # its turn would come in a minute
        assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("step, pause", [
    (17, 30.0),  # the status line, then nothing: a read that would wait its whole timeout
    (1, 0.05),  # drips: every read gets a byte, the deadline is far off
])
def test_a_read_in_flight_ends_when_interrupted(step, pause):
    slow = config(read_timeout=60.0, total_timeout=120.0)
    with DripServer(http_answer(b"x" * 2000), step=step, pause=pause, limit=60) as server, \
            Fetcher(slow) as fetcher:
        _interrupt_after(fetcher, 0.5)
        started = time.monotonic()
        with pytest.raises(Interrupted, match="while fetching"):
            fetcher.get(f"{server.url}/page")
        assert time.monotonic() - started < 2.0


def test_a_robots_txt_read_interrupted_is_not_taken_for_an_answer(site):
    site.inject("/robots.txt", status=None, delay=3.0)
    with Fetcher(config(obey_robots=True, read_timeout=10.0, total_timeout=10.0)) as fetcher:
        _interrupt_after(fetcher, 0.3)
        with pytest.raises(Interrupted):
            fetcher.get(f"{site.url}/a")
        host = fetcher._host(f"{site.url}/a")
        assert not host.robots_loaded and not host.disallow_all


def test_sigterm_stops_a_scrape_at_once_and_leaves_it_resumable(tmp_path):
    """What cron or systemd send to stop a job: the run ends within moments, not after the
    minute of quiet the site asked for, and stays 'running', to be resumed."""
    import sqlite3
    import subprocess
    import sys

    with SiteServer() as server:
        server.inject("/exclusions/", status=503, headers={"Retry-After": "60"}, count=20)
        path = tmp_path / "p.toml"
        path.write_text("\n".join([
            "[http]", "min_interval = 0", 'contact = "tests@example.invalid"',
            "max_retry_after = 120", 'allowed_hosts = ["127.0.0.1"]',
            "[sources.oig-leie]",
            f'url = "{server.url}/exclusions/downloadables/UPDATED.csv"']) + "\n")
        db = tmp_path / "p.db"
        process = subprocess.Popen(
            [sys.executable, "-m", "scraper", "--config", str(path), "scrape", "oig-leie",
             "--db", str(db)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 20
        while not any(r.path.startswith("/exclusions/") for r in server.requests):
            assert time.monotonic() < deadline and process.poll() is None, "no request sent"
            time.sleep(0.05)
        time.sleep(0.3)  # now in the minute's wait
        process.terminate()
        started = time.monotonic()
        output, _ = process.communicate(timeout=30)
        took = time.monotonic() - started
    assert took < 5.0, output
    assert process.returncode == 1 and "interrupted" in output, output
    conn = sqlite3.connect(db)
    assert conn.execute("select source, status from scrape_runs").fetchall() == [
        ("oig-leie", "running")]
    conn.close()


def test_a_pace_longer_than_max_wait_fails_at_once_and_holds_nothing(site, clock):
    """A practice site's Crawl-delay of ten years held a worker ten minutes a page (review of
    issue 14): with ``max_wait`` the request is refused at once, counted as a fault."""
    from scraper.http import WaitTooLong

    site.robots_txt = "User-agent: *\nCrawl-delay: 315360000\n"
    faults = Faults()
    with Fetcher(config(obey_robots=True, max_retry_after=600.0), clock=clock) as fetcher:
        fetcher.on_fault(faults)
        assert fetcher.get(f"{site.url}/a", max_wait=30).text == "fine"  # right after robots
        with pytest.raises(WaitTooLong, match="600s .* over the 30s allowed"):
            fetcher.get(f"{site.url}/b", max_wait=30)
        assert fetcher.get(f"{site.url}/c").text == "fine"  # without a limit: waited out
    assert faults.kinds == ["WaitTooLong"]
    assert [r.path for r in site.requests] == ["/robots.txt", "/a", "/c"]
    assert max(clock.sleeps) == 600.0  # the wait the unlimited request took, not the refused
