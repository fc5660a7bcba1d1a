"""The one HTTP client: politeness, retries, Retry-After, robots.txt, 304s, limits, encodings."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from email.utils import formatdate

import httpx
import pytest

from scraper import __version__
from scraper.config import HttpConfig
from scraper.http import (
    BotChallenge,
    Fetcher,
    HostNotAllowed,
    HTTPStatusError,
    ResponseTooLarge,
    RetriesExhausted,
    RobotsDisallowed,
    Validators,
    detect_challenge,
    parse_retry_after,
    sniff_encoding,
)

Handler = Callable[[httpx.Request], httpx.Response]


class Site:
    """A mock transport that answers robots.txt and records every request with its time."""

    def __init__(self, clock, handler: Handler, robots: str | int = "User-agent: *\nAllow: /\n"):
        self.clock = clock
        self.handler = handler
        self.robots = robots
        self.requests: list[tuple[float, httpx.Request]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((self.clock.monotonic(), request))
        if request.url.path == "/robots.txt":
            if isinstance(self.robots, int):
                return httpx.Response(self.robots)
            return httpx.Response(200, text=self.robots)
        return self.handler(request)

    def pages(self) -> list[tuple[float, httpx.Request]]:
        return [(t, r) for t, r in self.requests if r.url.path != "/robots.txt"]


def make(clock, handler: Handler, config: HttpConfig | None = None, **site_kw):
    site = Site(clock, handler, **site_kw)
    config = config or HttpConfig(contact="ops@example.org", min_interval=1.0, backoff_base=1.0,
                                  backoff_cap=30.0, max_retries=3, max_retry_after=120.0)
    fetcher = Fetcher(config, transport=httpx.MockTransport(site), clock=clock,
                      rng=random.Random(7))
    return fetcher, site


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"path": request.url.path})


def test_user_agent_names_project_version_and_contact(clock):
    fetcher, site = make(clock, ok)
    fetcher.get("https://a.example/x")
    agents = {r.headers["user-agent"] for _, r in site.requests}
    assert agents == {f"acupuncture-directory/{__version__} (+ops@example.org; "
                      "public-records research bot)"}


def test_robots_fetched_once_per_host_and_pacing_one_second(clock):
    fetcher, site = make(clock, ok)
    for i in range(3):
        fetcher.get(f"https://a.example/p{i}")
    fetcher.get("https://b.example/p")
    robots = [r.url for _, r in site.requests if r.url.path == "/robots.txt"]
    assert [str(u) for u in robots] == ["https://a.example/robots.txt",
                                        "https://b.example/robots.txt"]
    times = [t for t, r in site.requests if r.url.host == "a.example"]
    # robots, p0, p1, p2: each at least min_interval after the previous one on that host
    assert [round(b - a, 6) for a, b in zip(times, times[1:], strict=False)] == [1.0, 1.0, 1.0]


def test_hosts_are_paced_independently(clock):
    fetcher, site = make(clock, ok)
    fetcher.get("https://a.example/1")
    before = clock.t
    fetcher.get("https://b.example/1")  # another host: no need to wait for a.example's pace
    first_b = [t for t, r in site.requests if r.url.host == "b.example"][0]
    assert first_b == before


def test_crawl_delay_wins_when_larger(clock):
    fetcher, site = make(clock, ok, robots="User-agent: *\nCrawl-delay: 5\n")
    fetcher.get("https://a.example/1")
    fetcher.get("https://a.example/2")
    (t1, _), (t2, _) = site.pages()
    assert t2 - t1 == 5.0


def test_robots_disallow_is_obeyed_and_never_requested(clock):
    robots = "User-agent: *\nDisallow: /private/\n\nUser-agent: acupuncture-directory\nDisallow: /no-bots\n"
    fetcher, site = make(clock, ok, robots=robots)
    with pytest.raises(RobotsDisallowed):
        fetcher.get("https://a.example/no-bots/page")
    fetcher.get("https://a.example/private/ok-for-us")  # our own group replaces the * group
    assert [r.url.path for _, r in site.pages()] == ["/private/ok-for-us"]


def test_robots_404_allows_everything_and_5xx_disallows(clock):
    fetcher, _ = make(clock, ok, robots=404)
    assert fetcher.get("https://a.example/x").status == 200
    fetcher, site = make(clock, ok, robots=503)
    with pytest.raises(RobotsDisallowed, match="could not be fetched"):
        fetcher.get("https://a.example/x")
    assert site.pages() == []


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_with_growing_backoff(clock, status):
    answers = iter([httpx.Response(status)] * 3 + [httpx.Response(200, text="fine")])
    fetcher, site = make(clock, lambda r: next(answers))
    page = fetcher.get("https://a.example/x")
    assert page.text == "fine"
    times = [t for t, _ in site.pages()]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) == 3
    # equal jitter: each wait is between half and all of base * 2**attempt (but >= the pace)
    for attempt, gap in enumerate(gaps):
        ceiling = 1.0 * 2 ** attempt
        assert max(1.0, ceiling / 2) <= gap <= ceiling
    assert gaps[2] > gaps[0]
    assert fetcher.stats["retries"] == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_other_4xx_fail_at_once(clock, status):
    fetcher, site = make(clock, lambda r: httpx.Response(status, text="no"))
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.get("https://a.example/x")
    assert caught.value.status == status
    assert len(site.pages()) == 1


def test_retries_exhausted_names_the_problem(clock):
    fetcher, site = make(clock, lambda r: httpx.Response(502))
    with pytest.raises(RetriesExhausted, match="gave up after 4 attempts: HTTP 502"):
        fetcher.get("https://a.example/x")
    assert len(site.pages()) == 4


def test_retry_after_seconds_is_honoured(clock):
    answers = iter([httpx.Response(429, headers={"Retry-After": "42"}), httpx.Response(200)])
    fetcher, site = make(clock, lambda r: next(answers))
    fetcher.get("https://a.example/x")
    (t1, _), (t2, _) = site.pages()
    assert t2 - t1 == 42.0


def test_retry_after_http_date_is_honoured(clock):
    when = clock.utcnow().timestamp() + 90
    answers = iter([httpx.Response(503, headers={"Retry-After": formatdate(when, usegmt=True)}),
                    httpx.Response(200)])
    fetcher, site = make(clock, lambda r: next(answers))
    fetcher.get("https://a.example/x")
    (t1, _), (t2, _) = site.pages()
    assert 89.0 <= t2 - t1 <= 91.0


def test_retry_after_over_the_cap_fails_without_hammering(clock):
    def handler(request):
        if request.url.path == "/x":
            return httpx.Response(429, headers={"Retry-After": "3600"})
        return httpx.Response(200)

    fetcher, site = make(clock, handler)
    with pytest.raises(RetriesExhausted, match="over the 120s cap"):
        fetcher.get("https://a.example/x")
    assert len(site.pages()) == 1
    # An hour of quiet is more than we wait: that request failed, and the host is not held
    # for it (issue 14: the next request slept the hour out, holding the host lock).
    fetcher.get("https://a.example/y")
    (t1, _), (t2, _) = site.pages()
    assert t2 - t1 == 1.0  # the ordinary pace


def test_connection_errors_and_timeouts_are_retried(clock):
    calls = {"n": 0}

    def flaky(request):
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        if calls["n"] == 2:
            raise httpx.ReadTimeout("slow", request=request)
        if calls["n"] == 3:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete "
                                            "message body", request=request)
        return httpx.Response(200, text="ok")

    fetcher, _ = make(clock, flaky)
    assert fetcher.get("https://a.example/x").text == "ok"
    assert calls["n"] == 4


def test_conditional_request_and_304(clock):
    def conditional(request):
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return httpx.Response(200, text="body", headers={
            "ETag": '"v1"', "Last-Modified": "Sat, 01 Nov 2026 10:00:00 GMT"})

    fetcher, site = make(clock, conditional)
    first = fetcher.get("https://a.example/x")
    assert (first.status, first.not_modified, first.validators) == (
        200, False, Validators('"v1"', "Sat, 01 Nov 2026 10:00:00 GMT"))
    second = fetcher.get("https://a.example/x", validators=first.validators)
    assert (second.status, second.not_modified, second.content) == (304, True, b"")
    sent = site.pages()[1][1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Sat, 01 Nov 2026 10:00:00 GMT"
    assert fetcher.stats["not_modified"] == 1


def test_size_cap_by_header_and_by_stream(clock):
    config = HttpConfig(min_interval=0, max_bytes=1000)
    fetcher, _ = make(clock, lambda r: httpx.Response(200, content=b"x" * 5000), config=config)
    with pytest.raises(ResponseTooLarge, match="1000-byte cap"):
        fetcher.get("https://a.example/big")

    def chunked(request):
        return httpx.Response(200, stream=httpx.ByteStream(b"y" * 5000))

    fetcher, _ = make(clock, chunked, config=config)
    with pytest.raises(ResponseTooLarge):
        fetcher.get("https://a.example/big")


def test_redirects_followed_with_robots_checked_on_the_target(clock):
    def handler(request):
        if request.url.host == "a.example":
            return httpx.Response(301, headers={"Location": "https://b.example/secret/x"})
        return httpx.Response(200, text="should not be fetched")

    fetcher, site = make(clock, handler, robots="User-agent: *\nDisallow: /secret/\n")
    with pytest.raises(RobotsDisallowed):
        fetcher.get("https://a.example/start")
    assert [str(r.url) for _, r in site.pages()] == ["https://a.example/start"]


def test_bot_challenge_stops_without_retry(clock):
    page = b"<html><head><title>Just a moment...</title></head><body>cf-chl-opt</body></html>"
    fetcher, site = make(clock, lambda r: httpx.Response(
        403, content=page, headers={"Server": "cloudflare"}))
    with pytest.raises(BotChallenge, match="gated"):
        fetcher.get("https://a.example/x")
    assert len(site.pages()) == 1


@pytest.mark.parametrize("status,headers,body,expected", [
    (403, {"cf-mitigated": "challenge"}, b"", "cf-mitigated"),
    (200, {}, b'<div class="cf-turnstile" data-sitekey="x"></div>', "Turnstile"),
    (503, {}, b"<title>Just a moment...</title>", "Just a moment"),
    (200, {}, b"<p>Just a moment... we are loading results</p>", None),
    (200, {}, b'{"result_count": 0, "results": []}', None),
])
def test_detect_challenge(status, headers, body, expected):
    found = detect_challenge(status, httpx.Headers(headers), body)
    assert (found is None) if expected is None else (expected in found)


@pytest.mark.parametrize("content,content_type,expected", [
    ("café".encode(), "text/html; charset=utf-8", "utf-8"),
    ("café".encode("cp1252"), "text/html; charset=ISO-8859-1", "iso8859-1"),
    ('<meta charset="windows-1252"><p>café</p>'.encode("cp1252"), "text/html", "cp1252"),
    ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">é'.encode("latin-1"),
     None, "cp1252"),
    ("café".encode("cp1252"), None, "cp1252"),
    (b"\xef\xbb\xbfhello", None, "utf-8-sig"),
    ("café".encode(), "text/html; charset=bogus-charset", "utf-8"),
])
def test_sniff_encoding(content, content_type, expected):
    assert sniff_encoding(content, content_type) == expected
    text = content.decode(expected)
    assert "é" in text or text == "hello"


def test_page_text_decodes_legacy_encoding(clock):
    body = "<meta charset='windows-1252'><p>Acupuncture – café</p>".encode("cp1252")
    fetcher, _ = make(clock, lambda r: httpx.Response(200, content=body,
                                                      headers={"Content-Type": "text/html"}))
    assert "Acupuncture – café" in fetcher.get("https://a.example/x").text


def test_parse_retry_after(clock):
    now = clock.utcnow()
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("Sun, 01 Nov 2026 11:00:00 GMT", now) == 0.0  # in the past


@pytest.mark.parametrize("value", [
    "9" * 400, "Fri, 31 Dec 9999 23:59:59 GMT", "Fri, 31 Dec 99999 23:59:59 GMT"])
def test_parse_retry_after_never_overflows(clock, value):
    # issue 14: 400 digits parsed to infinity, and time.sleep(inf) raised OverflowError
    seconds = parse_retry_after(value, clock.utcnow())
    assert seconds is None or (math.isfinite(seconds) and seconds > 1e6)


@pytest.mark.parametrize("value", ["1e999", "-5", "\u00b2", "\u0663", "12.5", "inf", "nan"])
def test_parse_retry_after_takes_only_ascii_delta_seconds(clock, value):
    # "\u00b2" (superscript two) and "\u0663" (Arabic-Indic three) pass str.isdigit()
    assert parse_retry_after(value, clock.utcnow()) is None


CLOUDFLARE_JUST_A_MOMENT = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>
<div class="main-wrapper" role="main"><div class="main-content"><noscript>Enable JavaScript and
cookies to continue</noscript></div></div><script>(function(){window._cf_chl_opt={cvId: '3',
cZone: 'clinic.example', cType: 'managed'};var a = document.createElement('script');
a.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8f0c';
document.getElementsByTagName('head')[0].appendChild(a);}());</script></body></html>"""

CLOUDFLARE_ATTENTION = b"""<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title>
</head><body><div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">
<h1>Sorry, you have been blocked</h1><span>Cloudflare Ray ID: 8f0c</span></div></div></body></html>"""


@pytest.mark.parametrize("status,body,expected", [
    (200, CLOUDFLARE_JUST_A_MOMENT, "Just a moment"),
    (200, CLOUDFLARE_ATTENTION, "Attention Required"),
    (202, CLOUDFLARE_JUST_A_MOMENT.replace(b"Just a moment...", b"Just a moment\xe2\x80\xa6"),
     "Just a moment"),
    (200, b'<form id="challenge-form" action="/x?__cf_chl_f_tk=abc"><title>Just a moment...'
          b"</title></form>", "Just a moment"),
    # pages that merely talk about Cloudflare, or say "just a moment", are not challenges
    (200, b"<title>Our clinic</title><p>This site is protected by Cloudflare. Just a moment..."
          b"</p><p>Attention required! | Cloudflare customers</p>", None),
    (200, b"<title>Just a moment...</title><p>Loading the booking calendar</p>", None),
    (200, b"<title>Acupuncture</title><script src='/cdn-cgi/challenge-platform/scripts/jsd/"
          b"main.js'></script>", None),  # the background bot-score script on a normal page
])
def test_detect_challenge_whatever_the_status(status, body, expected):
    # issue 14: a 200 whose body was a "Just a moment" interstitial was taken for the page
    found = detect_challenge(status, httpx.Headers({}), body)
    assert (found is None) if expected is None else (expected in found)


def test_a_challenge_answered_200_is_raised(clock):
    fetcher, site = make(clock, lambda r: httpx.Response(200, content=CLOUDFLARE_JUST_A_MOMENT))
    with pytest.raises(BotChallenge, match="gated"):
        fetcher.get("https://a.example/x")
    assert len(site.pages()) == 1


def test_allowed_hosts_refuses_other_hosts_before_any_request(clock):
    config = HttpConfig(min_interval=0, allowed_hosts=("127.0.0.1",))
    fetcher, site = make(clock, ok, config=config)
    with pytest.raises(HostNotAllowed, match="not in http.allowed_hosts"):
        fetcher.get("https://data.wa.gov/resource/qxh8-f4bd.json")
    assert site.requests == []


def test_redirect_to_a_host_not_allowed_is_refused(clock):
    config = HttpConfig(min_interval=0, allowed_hosts=("127.0.0.1",))
    fetcher, site = make(clock, lambda r: httpx.Response(
        302, headers={"Location": "https://elsewhere.example/x"}), config=config)
    with pytest.raises(HostNotAllowed):
        fetcher.get("http://127.0.0.1/start")
    assert [r.url.host for _, r in site.pages()] == ["127.0.0.1"]


def test_download_streams_to_a_file_with_its_digest(clock, tmp_path):
    body = b"LASTNAME,FIRSTNAME\r\n" + b"x,y\r\n" * 1000
    fetcher, _ = make(clock, lambda r: httpx.Response(200, stream=httpx.ByteStream(body)))
    with open(tmp_path / "f.csv", "w+b") as handle:
        page = fetcher.download("https://a.example/f.csv", handle)
    assert (page.content, page.path) == (b"", str(tmp_path / "f.csv"))
    assert (tmp_path / "f.csv").read_bytes() == body
    import hashlib

    assert page.content_hash == hashlib.sha256(body).hexdigest()


def test_the_test_suite_cannot_reach_the_internet():
    import socket

    with pytest.raises(OSError, match="loopback only"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never routed


def test_gzipped_answers_are_decoded_once(clock):
    # The real NPPES API and Socrata portals answer gzip (2026-11 review): a regression test.
    import gzip

    body = b'{"result_count": 0, "results": []}'

    def gzipped(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(200, content=gzip.compress(b"User-agent: *\nDisallow: /no\n"),
                                  headers={"Content-Encoding": "gzip"})
        return httpx.Response(200, content=gzip.compress(body),
                              headers={"Content-Encoding": "gzip", "Content-Type":
                                       "application/json"})

    fetcher = Fetcher(HttpConfig(min_interval=0), transport=httpx.MockTransport(gzipped),
                      clock=clock)
    assert fetcher.get("https://a.example/api/").content == body
    with pytest.raises(RobotsDisallowed):  # the gzipped robots.txt was read too
        fetcher.get("https://a.example/no/x")


def test_robots_txt_redirect_is_followed(clock):
    def handler(request):
        if str(request.url) == "https://a.example/robots.txt":
            return httpx.Response(301, headers={"Location": "https://www.a.example/robots.txt"})
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /\n")
        return httpx.Response(200, text="should not be fetched")

    fetcher = Fetcher(HttpConfig(min_interval=0), transport=httpx.MockTransport(handler),
                      clock=clock)
    with pytest.raises(RobotsDisallowed):
        fetcher.get("https://a.example/page")


def test_error_body_of_a_download_is_capped_like_a_page(clock, tmp_path):
    config = HttpConfig(min_interval=0, max_bytes=100, max_download_bytes=10_000)
    fetcher, _ = make(clock, lambda r: httpx.Response(500, content=b"e" * 5000), config=config)
    with open(tmp_path / "f", "w+b") as handle, pytest.raises(ResponseTooLarge):
        fetcher.download("https://a.example/f", handle)


def test_requests_are_counted_per_run_handle(clock):
    """Each run fetches through a handle of its own (issue 15: no thread-locals): its counts
    and faults are its own, from whichever thread (a source's workers) they were met."""
    import threading

    fetcher, _ = make(clock, ok, config=HttpConfig(min_interval=0))
    faults: dict[str, list[str]] = {"a": [], "b": []}
    runs = {name: fetcher.for_run(on_fault=lambda kind, n, name=name: faults[name].append(kind))
            for name in faults}

    def work(name, first, n):
        for i in range(first, first + n):
            runs[name].get(f"https://{name}.example/{i}")

    # run "b" fetches from two threads at once, as a source with workers does
    threads = [threading.Thread(target=work, args=args)
               for args in (("a", 0, 3), ("b", 0, 2), ("b", 2, 3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert runs["a"].counts["requests"] == 4  # with its host's robots.txt
    assert runs["b"].counts["requests"] == 6
    assert fetcher.stats["requests"] == 10 and fetcher.counts["requests"] == 0
    assert faults == {"a": [], "b": []}


def test_giving_up_on_429_still_keeps_the_quiet_asked_for(clock):
    def handler(request):
        if request.url.path == "/x":
            return httpx.Response(429, headers={"Retry-After": "30"})
        return httpx.Response(200)

    fetcher, site = make(clock, handler, config=HttpConfig(min_interval=1.0, max_retries=1,
                                                           max_retry_after=60))
    with pytest.raises(RetriesExhausted):
        fetcher.get("https://a.example/x")
    fetcher.get("https://a.example/y")
    times = [t for t, _ in site.pages()]
    assert times[2] - times[1] == 30.0


def test_a_fault_goes_to_the_run_that_met_it(clock):
    served = {"n": 0}

    def flaky(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        if request.url.host == "flaky.example" and served["n"] == 0:
            served["n"] += 1
            return httpx.Response(503)
        return httpx.Response(200, text="fine")

    fetcher, _ = make(clock, flaky, config=HttpConfig(min_interval=0, backoff_base=0.01))
    heard: dict[str, list[tuple[str, int]]] = {"met": [], "other": []}
    met = fetcher.for_run(on_fault=lambda kind, n: heard["met"].append((kind, n)))
    other = fetcher.for_run(on_fault=lambda kind, n: heard["other"].append((kind, n)))
    assert met.get("https://flaky.example/x").text == "fine"
    assert other.get("https://calm.example/x").text == "fine"
    assert heard == {"met": [("http 503", 1), ("retries", 1)], "other": []}
    assert (met.counts["retries"], other.counts["retries"], fetcher.stats["retries"]) == (1, 0, 1)


# --- POST: a board's one-license lookup, a form's postback ------------------------------------

def test_post_sends_a_form_in_order_or_json_paced_like_a_get(clock):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"method": request.method,
                                         "type": request.headers["content-type"],
                                         "body": request.content.decode()})

    fetcher, site = make(clock, answer)
    form = fetcher.post("https://board.example/search",
                        form=[("__VIEWSTATE", "a+b/c="), ("license", "AC 12"), ("go", "Search")])
    assert json.loads(form.content) == {"method": "POST", "type": "application/x-www-form-urlencoded",
                           "body": "__VIEWSTATE=a%2Bb%2Fc%3D&license=AC+12&go=Search"}
    sent = fetcher.post("https://board.example/api", json_body={"licenseNumber": "123",
                                                                "licenseMetaId": None})
    assert json.loads(sent.content) == {"method": "POST", "type": "application/json",
                           "body": '{"licenseNumber":"123","licenseMetaId":null}'}
    (t1, first), (t2, second) = site.pages()
    assert t2 - t1 >= 1.0  # the host's pace holds for posts too
    assert first.headers["user-agent"].startswith("acupuncture-directory/")
    with pytest.raises(ValueError):
        fetcher.post("https://board.example/api")


def test_post_redirect_get_and_a_307_posts_again(clock):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/search":
            return httpx.Response(303, headers={"location": "/results"})
        if request.url.path == "/moved":
            return httpx.Response(307, headers={"location": "/search2"})
        return httpx.Response(200, json={"method": request.method, "path": request.url.path,
                                         "body": request.content.decode()})

    fetcher, site = make(clock, answer)
    assert json.loads(fetcher.post("https://board.example/search", form={"n": "1"}).content) == {
        "method": "GET", "path": "/results", "body": ""}
    assert "content-type" not in site.pages()[1][1].headers
    assert json.loads(fetcher.post("https://board.example/moved", form={"n": "1"}).content) == {
        "method": "POST", "path": "/search2", "body": "n=1"}


def test_post_obeys_robots_and_stops_at_a_challenge(clock):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, headers={"cf-mitigated": "challenge"},
                              text="<title>Just a moment...</title>")

    fetcher, site = make(clock, answer, robots="User-agent: *\nDisallow: /private\n")
    with pytest.raises(RobotsDisallowed):
        fetcher.post("https://board.example/private/search", form={"n": "1"})
    assert site.pages() == []
    with pytest.raises(BotChallenge):
        fetcher.post("https://board.example/search", json_body={"n": "1"})
    assert len(site.pages()) == 1  # never retried


def test_a_204_is_an_empty_page(clock):
    fetcher, _ = make(clock, lambda request: httpx.Response(204))
    page = fetcher.post("https://board.example/lookup", json_body={})
    assert (page.status, page.content) == (204, b"")


def test_a_post_refused_with_a_500_is_not_repeated_but_a_503_is(clock):
    answers = iter([500, 503, 200])
    fetcher, site = make(clock, lambda request: httpx.Response(next(answers)))
    with pytest.raises(HTTPStatusError):
        fetcher.post("https://board.example/Search.aspx", form={"__VIEWSTATE": "stale"})
    assert len(site.pages()) == 1
    assert fetcher.post("https://board.example/Search.aspx", form={"n": "1"}).status == 200
    assert len(site.pages()) == 3  # the 503 was asked again
