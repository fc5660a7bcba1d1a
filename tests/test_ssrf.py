"""The guard for URLs taken from scraped data: http(s) to public addresses only, before the
request, at every redirect and when the socket connects."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from scraper.config import HttpConfig, load_config
from scraper.http import Fetcher, PublicOnly, Unresolvable, UnsafeURL, address_problem
from tests.sites.server import Response, SiteServer, text_response

PUBLIC = "93.184.215.14"  # a public address; never contacted (the transports are mocks)


def fake_dns(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]
    return resolve


def mock_fetcher(handler, clock, *, dns=None, **config) -> Fetcher:
    settings = {"min_interval": 0.0, "obey_robots": False, **config}
    return Fetcher(HttpConfig(**settings), transport=httpx.MockTransport(handler), clock=clock,
                   resolver=fake_dns(dns or {}))


@pytest.mark.parametrize("address, words", [
    ("127.0.0.1", "loopback"), ("127.9.9.9", "loopback"), ("::1", "loopback"),
    ("10.0.0.8", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"),
    ("fd12::1", "private"), ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
    ("100.100.100.200", "metadata"), ("169.254.1.1", "link-local"), ("fe80::1", "link-local"),
    ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"), ("100.64.0.1", "not a public"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("240.0.0.1", "reserved"),
])
def test_addresses_that_are_never_fetched(address, words):
    assert words in address_problem(ipaddress.ip_address(address))


@pytest.mark.parametrize("address, words", [
    ("2002:7f00:1::", "6to4 address embedding 127.0.0.1, a loopback"),
    ("2002:a00:1::1", "6to4 address embedding 10.0.0.1, a private"),
    ("2002:a9fe:a9fe::", "6to4 address embedding 169.254.169.254, a cloud metadata"),
    ("::ffff:169.254.169.254", "embedding 169.254.169.254, a cloud metadata"),
    ("::127.0.0.1", "IPv4-compatible address embedding 127.0.0.1, a loopback"),
    ("::10.1.2.3", "IPv4-compatible address embedding 10.1.2.3, a private"),
    ("64:ff9b::7f00:1", "NAT64 address embedding 127.0.0.1, a loopback"),
    ("64:ff9b::c0a8:101", "NAT64 address embedding 192.168.1.1, a private"),
    ("64:ff9b::a9fe:a9fe", "NAT64 address embedding 169.254.169.254, a cloud metadata"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo address embedding 127.0.0.1, a loopback"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo address embedding 10.0.0.1, a private"),
])
def test_addresses_embedding_an_inner_ipv4_are_judged_by_it(address, words):
    # issue 14: 2002::/16 embedding a loopback or private IPv4 passed the guard
    assert words in address_problem(ipaddress.ip_address(address))


def test_a_6to4_url_inward_is_refused_without_a_request(clock):
    sent = []
    fetcher = mock_fetcher(lambda r: sent.append(r) or httpx.Response(200), clock,
                           dns={"six.example": ["2002:7f00:1::1"]})
    with pytest.raises(UnsafeURL, match="6to4 address embedding 127.0.0.1"):
        fetcher.get("http://six.example/", untrusted=True)
    with pytest.raises(UnsafeURL, match="loopback"):
        fetcher.get("http://[2002:7f00:1::1]/", untrusted=True)
    assert sent == []


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::6810:84e5"])
def test_public_addresses_pass(address):
    assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("url, words", [
    ("http://127.0.0.1/admin", "loopback"),
    ("http://[::1]:8080/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://10.0.0.1/", "private"),
    ("http://0x7f000001/", "loopback"),  # the URL parser reads hex hosts as addresses
    ("http://2130706433/", "loopback"),  # and decimal ones
    ("http://127.1/", "loopback"),
    ("http://0177.0.0.1/", "not a valid URL"),  # octal: httpx will not parse it
    ("http://intranet.lan/", "private"),  # a name resolving to a private address
    ("http://split.example/", "loopback"),  # one public, one loopback answer: refused
    ("ftp://files.example/", "scheme 'ftp'"),
    ("file:///etc/passwd", "scheme 'file'"),
    ("gopher://files.example/", "scheme 'gopher'"),
])
def test_unsafe_urls_are_refused_without_a_request(url, words, clock):
    sent = []
    fetcher = mock_fetcher(lambda r: sent.append(r) or httpx.Response(200), clock, dns={
        "intranet.lan": ["192.168.0.10"], "split.example": [PUBLIC, "127.0.0.1"]})
    with pytest.raises(UnsafeURL) as caught:
        fetcher.get(url, untrusted=True)
    assert words in str(caught.value) and caught.value.reason == "unsafe"
    assert sent == []


def test_a_name_that_does_not_resolve(clock):
    fetcher = mock_fetcher(lambda r: httpx.Response(200), clock)
    with pytest.raises(Unresolvable, match="does not resolve"):
        fetcher.get("http://gone.example/", untrusted=True)


def test_a_public_site_is_fetched(clock):
    fetcher = mock_fetcher(lambda r: httpx.Response(200, text="<p>hi</p>"), clock,
                           dns={"clinic.example": [PUBLIC]})
    assert fetcher.get("https://clinic.example/", untrusted=True).text == "<p>hi</p>"


def test_trusted_urls_are_not_held_to_public_addresses(clock):
    """The registries' own URLs come from configuration, not from scraped data."""
    fetcher = mock_fetcher(lambda r: httpx.Response(200, text="ok"), clock)
    assert fetcher.get("http://127.0.0.1:9/api/").text == "ok"


@pytest.mark.parametrize("location", [
    "http://127.0.0.1:8080/admin", "http://169.254.169.254/latest/meta-data/iam/",
    "http://intranet.lan/", "file:///etc/passwd"])
def test_a_redirect_to_an_unsafe_address_is_not_followed(location, clock):
    sent = []

    def handler(request):
        sent.append(str(request.url))
        return httpx.Response(302, headers={"Location": location})

    fetcher = mock_fetcher(handler, clock, dns={"clinic.example": [PUBLIC],
                                                "intranet.lan": ["10.1.1.1"]})
    with pytest.raises(UnsafeURL):
        fetcher.get("https://clinic.example/", untrusted=True)
    assert sent == ["https://clinic.example/"]  # the first hop only


def test_robots_txt_redirecting_inward_makes_the_host_off_limits(clock):
    sent = []

    def handler(request):
        sent.append(str(request.url))
        if request.url.path == "/robots.txt":
            return httpx.Response(301, headers={"Location": "http://127.0.0.1/robots.txt"})
        return httpx.Response(200, text="page")

    fetcher = mock_fetcher(handler, clock, dns={"clinic.example": [PUBLIC]}, obey_robots=True)
    with pytest.raises(Exception, match="off limits"):
        fetcher.get("https://clinic.example/page", untrusted=True)
    assert sent == ["https://clinic.example/robots.txt"]


def test_the_allow_list_lets_a_host_and_port_through(clock):
    fetcher = mock_fetcher(lambda r: httpx.Response(200, text="ok"), clock,
                           allow_private_hosts=("127.0.0.1:8101", "localhost"))
    assert fetcher.get("http://127.0.0.1:8101/s/a/", untrusted=True).text == "ok"
    assert fetcher.get("http://localhost:9999/", untrusted=True).text == "ok"
    with pytest.raises(UnsafeURL):  # the same address on another port is not let through
        fetcher.get("http://127.0.0.1:8102/", untrusted=True)


def test_the_allow_list_is_read_from_configuration(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[http]\nallow_private_hosts = ["127.0.0.1:8101"]\n')
    assert load_config(path, env={}).http.allow_private_hosts == ("127.0.0.1:8101",)
    path.write_text('[http]\nallow_private_hosts = "127.0.0.1"\n')
    with pytest.raises(ValueError, match="list of host names"):
        load_config(path, env={})


# -- at connect time, over real sockets (loopback only) ----------------------------------------

@pytest.fixture
def local_site():
    server = SiteServer().start()
    server.add_site("/", lambda request: text_response("inside"))
    yield server
    server.stop()


def test_a_name_that_resolves_inward_at_connect_time_is_refused(local_site):
    """DNS rebinding: the check before the request saw a public address, but the name
    resolves to loopback when the socket connects. The connection is refused there."""
    fetcher = Fetcher(HttpConfig(min_interval=0.0, obey_robots=False, max_retries=0),
                      resolver=fake_dns({"localhost": [PUBLIC]}))
    with fetcher, pytest.raises(UnsafeURL, match="loopback"):
        fetcher.get(f"http://localhost:{local_site.port}/", untrusted=True)
    assert local_site.requests == []


def test_the_allow_list_applies_at_connect_time_too(local_site):
    config = HttpConfig(min_interval=0.0, obey_robots=False,
                        allow_private_hosts=(f"localhost:{local_site.port}",))
    with Fetcher(config) as fetcher:
        assert fetcher.get(f"http://localhost:{local_site.port}/", untrusted=True).text \
            == "inside"


def test_a_real_redirect_inward_is_refused(local_site):
    inside = SiteServer().start()
    inside.add_site("/", lambda request: text_response("secret"))
    local_site.add_site("/moved", lambda request: Response(
        302, {"Location": f"{inside.url}/secret"}, b""))
    config = HttpConfig(min_interval=0.0, allow_private_hosts=(f"127.0.0.1:{local_site.port}",))
    try:
        with Fetcher(config) as fetcher, pytest.raises(UnsafeURL, match="loopback"):
            fetcher.get(f"{local_site.url}/moved", untrusted=True)
        assert inside.requests == []
    finally:
        inside.stop()


def test_the_guard_checks_every_address_of_a_name():
    guard = PublicOnly(resolver=fake_dns({"two.example": [PUBLIC, "10.0.0.1"]}))
    with pytest.raises(UnsafeURL, match="private"):
        guard.check("https://two.example/")
