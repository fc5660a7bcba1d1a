"""The guard for URLs taken from scraped data: only public addresses, whatever the spelling.

A provider's website, a directory's profile link, a redirect: any of them may point at a
loopback service, a private network or a cloud metadata address. ``PublicOnly`` decides, before
a request and again at connect time (``scraper/http.py``), whether a host may be contacted;
``address_problem`` says why an address may not, judging IPv6 addresses that carry an IPv4 one
(IPv4-mapped, 6to4, Teredo, NAT64, IPv4-compatible) by the IPv4 address they reach.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable

import httpx

from .errors import Unresolvable, UnsafeURL

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# Cloud instance-metadata services (AWS, GCP, Azure, OpenStack; AWS over IPv6; ECS tasks;
# Alibaba). All but Alibaba's are link-local or private anyway: named for a clearer message.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200"))


# 192.0.0.0/24 is for IETF protocol assignments, reachable only where they say (RFC 6890);
# Python before 3.12 counts most of it as global. Only these two are meant to be reached.
IETF_PROTOCOL = ipaddress.IPv4Network("192.0.0.0/24")
IETF_GLOBAL = frozenset(ipaddress.IPv4Address(a) for a in ("192.0.0.9", "192.0.0.10"))
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are IPv4
NAT64_LOCAL_PREFIX = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: a network's own


def embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The kind of IPv6 address this is and the IPv4 address it carries, for the kinds that
    reach an IPv4 host (through the local stack, a relay or a translator); else None."""
    if address.ipv4_mapped is not None:
        return "an IPv4-mapped", address.ipv4_mapped
    if address.sixtofour is not None:
        return "a 6to4", address.sixtofour
    if address.teredo is not None:
        return "a Teredo", address.teredo[1]
    if address in NAT64_PREFIX:
        return "a NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # ::a.b.c.d, not :: or ::1
        return "an IPv4-compatible", ipaddress.IPv4Address(int(address))
    return None


def address_problem(address: Address) -> str | None:
    """Why a client must not connect to this address on behalf of scraped data, or None.
    An IPv6 address that carries an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64,
    IPv4-compatible) is refused when the IPv4 one would be."""
    if isinstance(address, ipaddress.IPv6Address) and (inner := embedded_ipv4(address)):
        kind, ipv4 = inner
        problem = address_problem(ipv4)
        if problem:
            return f"{kind} address embedding {ipv4}, {problem}"
        if address.ipv4_mapped is not None or address in NAT64_PREFIX:
            # the socket goes to that IPv4 address (through the local stack or the network's
            # DNS64/NAT64 translator, as on an IPv6-only host), which is public
            return None
    if isinstance(address, ipaddress.IPv6Address) and address in NAT64_LOCAL_PREFIX:
        return "a local-use NAT64 address (RFC 8215)"
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "a site-local address (fec0::/10)"
    if address in IETF_PROTOCOL and address not in IETF_GLOBAL:
        return "an IETF protocol assignment (192.0.0.0/24)"
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
