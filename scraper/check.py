"""A preflight of a source against its live site: does the site still look the way the source
assumes? Each source's ``check(fetcher, settings)`` makes a few polite requests (robots.txt
obeyed, the configured contact in the User-Agent) and fills one ``CheckReport``; nothing is
stored. ``practitioners check`` prints the reports and exits 1 on any mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .http import (
    BotChallenge,
    Fetcher,
    FetchError,
    HTTPStatusError,
    ResponseTooLarge,
    RobotsDisallowed,
    RobotsUnreachable,
)
from .models import Page

# What a report says, in the order it is printed.
ITEMS = ("reachable", "robots", "challenge", "fields", "values", "record")


@dataclass
class CheckReport:
    """Per item: (ok, detail). ``ok`` None means the item does not apply to this source, or
    the check stopped before it; ``False`` is a mismatch (for ``challenge``: one was met)."""

    source: str
    items: dict[str, tuple[bool | None, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the source has nothing to check (opt-in, not configured)

    def skip(self, reason: str) -> None:
        """Nothing to check for this source (its verdict is "skipped", not a failure)."""
        self.skipped = reason

    def set(self, item: str, ok: bool | None, detail: str = "") -> None:
        if item not in ITEMS:
            raise ValueError(f"unknown check item {item!r}")
        self.items[item] = (ok, detail)

    def get(self, item: str) -> tuple[bool | None, str]:
        return self.items.get(item, (None, ""))

    @property
    def verdict(self) -> str:
        """"ok", "skipped", "gated" (a bot challenge: never worked around), "unreachable",
        "disallowed" (by robots.txt), or "mismatch"."""
        if self.skipped is not None:
            return "skipped"
        if self.get("challenge")[0] is False:
            return "gated"
        if self.get("reachable")[0] is False:
            return "unreachable"
        if self.get("robots")[0] is False:
            return "disallowed"  # robots.txt says no: we do not read it
        if any(ok is False for ok, _ in self.items.values()):
            return "mismatch"
        if not any(ok for ok, _ in self.items.values()):
            return "mismatch"  # nothing at all was confirmed: not a pass
        return "ok"


def probe(fetcher: Fetcher, report: CheckReport, url: str, *,
          headers: dict[str, str] | None = None, max_bytes: int | None = None) -> Page | None:
    """GET ``url`` for a check, filling ``reachable``, ``robots`` and ``challenge``; None
    when it could not be had (the report says why)."""
    try:
        page = fetcher.get(url, headers=headers, max_bytes=max_bytes)
    except RobotsUnreachable as exc:  # the host did not answer even for robots.txt
        report.set("reachable", False, str(exc))
        return None
    except RobotsDisallowed as exc:
        report.set("reachable", True, "answered robots.txt")
        report.set("robots", False, str(exc))
        return None
    except BotChallenge as exc:
        _robots_allowed(fetcher, report)
        report.set("reachable", True, "answered")
        report.set("challenge", False, str(exc))
        return None
    except (ResponseTooLarge, HTTPStatusError) as exc:
        # It answered, but not with the page (moved, retired?) or with more than a check reads.
        _robots_allowed(fetcher, report)
        report.set("reachable", True, "answered")
        report.set("challenge", True, "none met")
        hint = " (a server that ignores Range?)" if isinstance(exc, ResponseTooLarge) else ""
        report.set("fields", False, f"not read: {exc}{hint}")
        return None
    except FetchError as exc:
        _robots_allowed(fetcher, report)
        report.set("reachable", False, str(exc))
        return None
    _robots_allowed(fetcher, report)
    report.set("reachable", True, f"HTTP {page.status}")
    if report.get("challenge")[0] is None:
        report.set("challenge", True, "none met")
    return page


def _robots_allowed(fetcher: Fetcher, report: CheckReport) -> None:
    if report.get("robots")[0] is None:
        report.set("robots", True if fetcher.config.obey_robots else None,
                   "allowed" if fetcher.config.obey_robots else "not obeyed (configured)")
