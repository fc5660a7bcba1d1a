"""Strict helpers for parsers: they fail loudly, naming what they expected and where."""

from __future__ import annotations

from typing import Any


class ParseError(ValueError):
    """A page or answer no longer has the shape the parser was written for."""

    def __init__(self, message: str, *, url: str | None = None, selector: str | None = None,
                 count: int | None = None):
        self.url = url
        self.selector = selector
        self.count = count
        parts = [message]
        if selector is not None:
            parts.append(f"selector {selector!r} matched {count}")
        if url:
            parts.append(f"at {url}")
        super().__init__("; ".join(parts))


def one(soup: Any, css: str, *, url: str | None = None) -> Any:
    """Exactly one element matching ``css``, or ParseError."""
    found = soup.select(css)
    if len(found) != 1:
        raise ParseError("expected exactly one match", url=url, selector=css, count=len(found))
    return found[0]


def many(soup: Any, css: str, *, url: str | None = None) -> list[Any]:
    """At least one element matching ``css``, or ParseError."""
    found = soup.select(css)
    if not found:
        raise ParseError("expected at least one match", url=url, selector=css, count=0)
    return found


def require(mapping: Any, key: str, kind: type | tuple[type, ...], *, url: str | None = None,
            where: str = "answer") -> Any:
    """``mapping[key]`` of the given JSON type, or ParseError naming the missing field."""
    if not isinstance(mapping, dict):
        raise ParseError(f"{where} is {type(mapping).__name__}, expected an object", url=url)
    if key not in mapping:
        raise ParseError(f"{where} has no field {key!r}", url=url)
    value = mapping[key]
    if not isinstance(value, kind):
        raise ParseError(f"{where}.{key} is {type(value).__name__}, expected {kind}", url=url)
    return value
