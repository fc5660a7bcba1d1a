"""The project's errors, shared by every layer: what a fetch, a source or a run can fail with.

``FetchError`` and its kinds are raised by the HTTP client (``scraper/http.py``) and the
address guard (``scraper/guard.py``); ``SourceError`` by a source whose site answered with
something it cannot use. ``Interrupted`` is no error of a site: the run was asked to stop.
"""

from __future__ import annotations


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


class NotHTTP(FetchError):
    """A URL (a redirect, usually) names another scheme than http(s): file://, ftp://,
    javascript:. Never fetched, never retried. (For a URL taken from scraped data the guard
    refuses it first, as ``UnsafeURL``.)"""

    reason = "not-http"


class DeadlineExceeded(FetchError):
    """The whole answer (connect, status line, headers, body) did not arrive within the total
    deadline: a site dripping its answer. Counted as a fault, as a timeout is; not retried."""

    reason = "deadline"


class Interrupted(KeyboardInterrupt):
    """The run was asked to stop (Ctrl-C, SIGTERM: ``Fetcher.interrupt``) while a request
    waited its turn, slept before a retry or was reading: it ends now. Not a fetch error,
    nothing is wrong with the site; as a KeyboardInterrupt it leaves the run to be resumed."""


class WaitTooLong(FetchError):
    """The next request to the host may not go for longer than the caller will wait (a
    practice site's Crawl-delay or Retry-After of minutes): not sent, the host not held."""

    reason = "wait"


class Unresolvable(FetchError):
    """The host name of a URL from scraped data does not resolve."""

    reason = "unresolvable"


class BotChallenge(FetchError):
    """The site answered with a bot challenge. Stop the source; never try to get around it."""

    reason = "challenge"


class SourceError(Exception):
    """The source answered, but not with what we can use (an error body, a refused query, a
    dataset without a field we read, a selection that matches nothing)."""


class VolumeCollapse(SourceError):
    """The source now gives far fewer records than its last complete run: more likely a
    broken query or a changed site than a profession that vanished. The run is ``suspect``
    and marks nothing gone."""
