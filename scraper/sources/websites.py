"""Practice websites: what practitioners say about their own work (facial acupuncture...).

No board records a specialty. Practices say on their own sites what they offer, so for every
website a source lists (NPPES endpoints of type WEB, NCCAOM (now NCBAHM) profiles) this source
reads the listed page, the home page and at most a few pages of the same site whose link says
services, treatments or a specialty, and tags the specialties of the vocabulary in
``scraper/data/specialties.toml``, each with the page and the sentence that claims it.

Everything here is taken from scraped data, so:
- every URL (and every redirect) goes through the HTTP layer's guard: http(s) to a public
  address only (``Fetcher.get(untrusted=True)``);
- robots.txt, the per-host pace and a size cap per page (``max_page_bytes``) apply;
- one site failing never stops the others: its row in ``websites`` says why (robots, unsafe,
  too-large, http-error, unreachable, gated, not-html, unreadable). A bot challenge on any page
  of one practice's site gates that site only, and it keeps the claims of its last reading;
- a page is read in one pass over the parser's events, whatever its shape; one nested deeper
  than ``MAX_DEPTH`` (4096) is not read: a listed page so deep makes the
  site ``unreadable``, a later one is named in the site's ``detail``.

What a site claimed stays until the site is read again: a site that cannot be reached this
time keeps the tags of its last reading (with their dates); a site read in full, or one that
now refuses us (robots, an unsafe redirect, a page not found), has its tags replaced by what
was read, which may be nothing.

Settings (``[sources.websites]``): ``max_pages`` (5, the listed page and home included),
``max_page_bytes`` (2,000,000), ``workers`` (4: sites on different hosts read at once; each
host still gets one request at a time, paced), ``max_wait`` (30: seconds a site's Crawl-delay
or Retry-After may hold one of its pages; a site asking more is read another time, its claims
kept), ``limit`` (read only the first N sites).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from ..check import CheckReport
from ..http import (
    BotChallenge,
    DeadlineExceeded,
    Fetcher,
    FetchError,
    HostNotAllowed,
    HTTPStatusError,
    NotHTTP,
    ResponseTooLarge,
    RobotsDisallowed,
    RobotsUnreachable,
    Unresolvable,
    UnsafeURL,
    WaitTooLong,
)
from ..models import Page, Provenance, Website, WebsiteTag
from ..normalize import site_id, website_url
from ..parsing import ParseError
from ..specialties import better_evidence, tag_text, vocabulary
from .base import PageStep, RunNote, ScopeDone, SourceContext, checkpoint

SOURCE_ID = "websites"
TITLE = "Practice websites (self-reported specialties)"
BASE_URL = ""  # no one base: the addresses come from the other sources' records
SINK = "websites"
SCOPE = "websites"
MAX_PAGES = 5
MAX_PAGE_BYTES = 2_000_000
# The longest a site's pace may hold one of its pages (its Crawl-delay, a Retry-After): past
# it the site is left for another run, rather than holding a worker for minutes a page.
MAX_WAIT = 30.0
WORKERS = 4
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Link words that suggest a page about what the practice does.
SERVICE_WORDS = re.compile(
    r"servic|treat|therap|specialt|condition|offer|facial|cosmetic|rejuven|beauty|skin|"
    r"fertility|pain|acupunct|about|what we|how we|price|pricing|menu", re.I)
NOT_PAGES = re.compile(r"\.(?:pdf|jpe?g|png|gif|webp|svg|zip|docx?|xlsx?|mp[34]|mov|ics)$", re.I)
# Where a page's own words are: not in scripts, styles, navigation or the footer.
SKIP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "form", "nav",
             "header", "footer", "select", "button")
BLOCK_TAGS = ("p", "div", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th",
              "section", "article", "blockquote", "br", "tr", "main", "aside", "figcaption")
_BREAK = "\u2029"  # a paragraph separator no page text uses


# libxml2 looks for each end tag through the elements open, so nesting without a limit costs
# the square of the page: a page deeper than this is refused, that page only. Not Chromium's
# 512: libxml2 has no implied end tags for <span>, <font> or <td> inside <p>, <li> or <tr>, so
# sloppy but ordinary pages (300 paragraphs each leaving a <span> open) nest hundreds deep
# here while a browser keeps them flat (review of 2026-12). 4096 still costs well under a second.
MAX_DEPTH = 4096
# What a link says is looked at up to this length: menus say "Facial Rejuvenation", not more.
LINK_WORDS = 300
_QUIET = frozenset(("script", "style", "template", "rt", "rp"))  # strings that are not words
_KEEP_SPACE = frozenset(("pre", "textarea"))
_SKIP = frozenset(SKIP_TAGS)
_BLOCK = frozenset(BLOCK_TAGS)
_SPACES = frozenset(" \n\t\f\r")


@dataclass(frozen=True)
class HtmlPage:
    """A page as this source reads it: its own words and its links."""

    text: str  # one block a line (see ``page_text``)
    links: list[tuple[str, str]]  # (href, what the link says), in page order


class _PageReader:
    """An lxml parser target: the page's words and links in one pass over the parser's events,
    so reading costs the same whatever the page's shape. (BeautifulSoup's tree cost the square
    of its depth and of its siblings: a 1 MB page 100,000 deep never finished.) The strings
    are those BeautifulSoup's ``get_text`` gave on the same parser's events."""

    def __init__(self, url: str):
        self.url = url
        self.depth = 0
        self.open: list[tuple[str, list | None]] = []  # (tag, the link it opens)
        self.pending: list[str] = []
        self.quiet = self.keep_space = self.skipped = 0
        self.body: int | None = None  # depth of the first <body>, while inside it
        self.body_seen = False
        self.words: list[str] = []  # the whole document's
        self.body_words: list[str] = []
        self.links: list[list] = []  # [href, parts, length]
        self.in_links: list[list] = []  # links open and not yet full

    def _flush(self) -> None:
        if not self.pending:
            return
        text = "".join(self.pending)
        self.pending = []
        if self.quiet:
            return
        if not self.keep_space and all(c in _SPACES for c in text):
            text = "\n" if "\n" in text else " "
        if not self.skipped:
            self._word(text)
        if self.in_links:
            for link in self.in_links:
                link[1].append(text[:LINK_WORDS])
                link[2] += len(text)
            self.in_links = [link for link in self.in_links if link[2] < LINK_WORDS]

    def _word(self, text: str) -> None:
        self.words.append(text)
        if self.body is not None:
            self.body_words.append(text)

    def start(self, tag: str, attrib: Any) -> None:
        self._flush()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"elements nested deeper than {MAX_DEPTH}: the page is not read",
                             url=self.url)
        if tag == "body" and not self.body_seen:
            self.body, self.body_seen = self.depth, True
        link = None
        if tag == "a" and attrib.get("href") is not None:
            link = [attrib["href"], [], 0]
            self.links.append(link)
            self.in_links.append(link)
        self.open.append((tag, link))
        if tag in _SKIP:
            self.skipped += 1
        elif tag in _BLOCK and not self.skipped:
            self._word(_BREAK)
        self.quiet += tag in _QUIET
        self.keep_space += tag in _KEEP_SPACE

    def end(self, tag: str) -> None:
        self._flush()
        name, link = self.open.pop()
        self.quiet -= name in _QUIET
        self.keep_space -= name in _KEEP_SPACE
        if name in _SKIP:
            self.skipped -= 1
        elif name in _BLOCK and not self.skipped:
            self._word(_BREAK)
        if link is not None:
            self.in_links = [other for other in self.in_links if other is not link]
        if self.body == self.depth:
            self.body = None
        self.depth -= 1

    def data(self, text: str) -> None:
        self.pending.append(text)

    def comment(self, text: str) -> None:
        self._flush()

    def pi(self, target: str, data: str) -> None:
        self._flush()

    def doctype(self, *args: Any) -> None:
        self._flush()

    def close(self) -> HtmlPage:
        self._flush()
        words = self.body_words if self.body_seen else self.words
        blocks = (" ".join(block.split()) for block in "".join(words).split(_BREAK))
        return HtmlPage("\n".join(block for block in blocks if block),
                        [(href, " ".join(parts)) for href, parts, _ in self.links])


def parse_page(html: str, url: str) -> HtmlPage:
    """A page's own words and links; ParseError for a page that cannot be read (nested
    deeper than ``MAX_DEPTH``)."""
    html = html.removeprefix("\ufeff")
    if not html.strip():
        return HtmlPage("", [])
    parser = etree.HTMLParser(target=_PageReader(url), recover=True)
    try:
        parser.feed(html)
        return parser.close()
    except ParseError:
        raise
    except (etree.LxmlError, UnicodeError, LookupError) as exc:
        raise ParseError(f"not readable as HTML ({exc})", url=url) from exc


def page_text(page: HtmlPage) -> str:
    """The page's own words, one block (paragraph, list item, heading...) per line, with the
    white space inside each block collapsed: markup line breaks are not sentence ends. Not in
    scripts, styles, navigation or the footer."""
    return page.text


def same_site(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    host_a = (pa.hostname or "").removeprefix("www.")
    host_b = (pb.hostname or "").removeprefix("www.")
    return host_a == host_b and (pa.port or 0) == (pb.port or 0)


def service_links(page: HtmlPage, page_url: str) -> list[str]:
    """Same-site links worth reading, best first: a link naming a specialty of the vocabulary,
    then one whose words suggest services; never files, mail or script links."""
    scored: dict[str, int] = {}
    for href, label in page.links:
        href = href.strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        url = urljoin(page_url, href).split("#")[0]
        if not url.startswith(("http://", "https://")) or NOT_PAGES.search(urlsplit(url).path):
            continue
        if not same_site(url, page_url):
            continue
        words = f"{label} {urlsplit(url).path.replace('-', ' ')}"
        score = 2 if any(p.search(words) for p in vocabulary().values()) \
            else 1 if SERVICE_WORDS.search(words) else 0
        if score and score > scored.get(url, 0):
            scored[url] = score
    return sorted(scored, key=lambda u: -scored[u])  # stable: document order within a score


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _status(exc: FetchError) -> str:
    if isinstance(exc, RobotsUnreachable):  # robots.txt failed this time: not a refusal
        return "unreachable"
    if isinstance(exc, RobotsDisallowed):
        return "robots"
    if isinstance(exc, WaitTooLong):  # a Crawl-delay of minutes: read another time
        return "unreachable"
    if isinstance(exc, (UnsafeURL, HostNotAllowed, NotHTTP)):  # NotHTTP: a file:// redirect
        return "unsafe"
    if isinstance(exc, DeadlineExceeded):  # dripped or stalled: this time, not for good
        return "unreachable"
    if isinstance(exc, ResponseTooLarge):
        return "too-large"
    if isinstance(exc, BotChallenge):
        return "gated"
    if isinstance(exc, Unresolvable):
        return "unreachable"
    if isinstance(exc, HTTPStatusError):
        return "unreachable" if (exc.status or 0) >= 500 else "http-error"
    return "unreachable" if exc.reason == "retries-exhausted" else "error"


def _is_html(page: Page) -> bool:
    kind = page.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind:
        return kind in HTML_TYPES
    return page.content.lstrip()[:1] == b"<"


def read_site(fetcher: Fetcher, url: str, listed_by: list[str], *, max_pages: int = MAX_PAGES,
              max_page_bytes: int = MAX_PAGE_BYTES, fetched_at: Any = None,
              max_wait: float = MAX_WAIT) -> Website:
    """Read one practice website: the listed page, the home page, then the best service
    links, up to ``max_pages`` pages in all. Never raises a FetchError: the Website says."""
    key = site_id(url)
    pages: list[str] = []
    tags: dict[str, WebsiteTag] = {}
    problems: list[str] = []
    entry, root = url, _root(url)
    queue, seen = [url], set()
    final_url: str | None = None
    status, detail = "ok", None
    last_fetch = None
    while queue and len(pages) < max_pages:
        target = queue.pop(0)
        if target in seen:
            continue
        seen.add(target)
        try:
            page = fetcher.get(target, untrusted=True, max_bytes=max_page_bytes,
                               max_wait=max_wait)
        except BotChallenge as exc:
            # Met on any page, a challenge gates the whole site: what it claimed stays as last
            # read (a claim on the page behind it must not be taken as dropped).
            status, detail = "gated", f"{target}: {exc}"
            break
        except FetchError as exc:
            if target == entry and isinstance(exc, HTTPStatusError) and entry != root \
                    and (exc.status or 0) < 500:
                # A stale deep link: the site's home page may still be there.
                problems.append(f"{target}: {exc}")
                entry = root
                queue.insert(0, root)
                continue
            if target == entry or isinstance(exc, WaitTooLong):
                # the site itself could not be read, or no more of it this run (its pace, set
                # once its robots.txt was read, would hold each page for minutes): its claims
                # stay as last read rather than be cut to the pages read so far
                status, detail = _status(exc), str(exc)
                break
            problems.append(f"{target}: {exc}")
            continue
        seen.add(page.url)
        last_fetch = page.fetched_at
        if not _is_html(page):
            if target == entry:
                status = "not-html"
                detail = f"{page.headers.get('content-type', 'no content type')} at {page.url}"
                break
            continue
        final_url = final_url or page.url
        try:
            read = parse_page(page.text, page.url)
        except ParseError as exc:  # that page only: the others of the site are read
            if target == entry:
                status, detail = "unreadable", str(exc)
                break
            problems.append(str(exc))
            continue
        pages.append(page.url)
        links = [link for link in service_links(read, page.url)
                 if link not in seen and link not in queue]
        if target == entry and not links and entry != root:
            links = [root]  # a landing page that links nowhere useful: try the home page
        for tag, sentence in tag_text(page_text(read)):
            if tag not in tags or better_evidence(sentence, tags[tag].snippet):
                tags[tag] = WebsiteTag(tag, page.url, sentence)
        queue += links
    if status == "ok" and problems:
        detail = "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)"
                                             if len(problems) > 3 else "")
    return Website(site_id=key, url=url, final_url=final_url, status=status, detail=detail,
                   pages=pages, tags=sorted(tags.values(), key=lambda t: t.tag),
                   listed_by=listed_by, fetched_at=last_fetch or fetched_at)


def listed_sites(rows: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """(address, who lists it) per site, from (website as listed, record) pairs; the first
    listing's address is the one read. Unusable addresses (mailto:, "Not Available") drop."""
    sites: dict[str, tuple[str, list[str]]] = {}
    for value, record in rows:
        url = website_url(value)
        if url is None:
            continue
        entry = sites.setdefault(site_id(url), (url, []))
        if record not in entry[1]:
            entry[1].append(record)
    return [sites[key] for key in sorted(sites)]


def scrape(fetcher: Fetcher, ctx: SourceContext) -> Iterator[Any]:
    settings = ctx.settings
    max_pages = int(settings.get("max_pages", MAX_PAGES))
    max_bytes = int(settings.get("max_page_bytes", MAX_PAGE_BYTES))
    max_wait = float(settings.get("max_wait", MAX_WAIT))
    sites = listed_sites(ctx.listed_websites())
    if not sites:  # nothing to read is not "found nothing": no scope, nothing marked gone
        yield RunNote("no record lists a website: nothing to read")
        return
    if settings.get("limit"):
        sites = sites[:int(settings["limit"])]
    todo = []
    for url, listed_by in sites:
        if checkpoint(ctx, site_id(url))[1]:
            continue
        todo.append((url, listed_by))
    workers = max(1, int(settings.get("workers", WORKERS)))

    def read(url: str, listed_by: list[str]) -> Website:
        # the workers fetch through the run's handle: what they meet is the run's
        return read_site(fetcher, url, listed_by, max_pages=max_pages,
                         max_page_bytes=max_bytes, fetched_at=fetcher.clock.utcnow(),
                         max_wait=max_wait)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="websites")
    try:
        window: list[Future] = []
        pending = iter(todo)
        for _ in range(workers * 2):  # a bounded window: results come back in order
            if (item := next(pending, None)) is not None:
                window.append(pool.submit(read, *item))
        while window:
            website = window.pop(0).result()
            if (item := next(pending, None)) is not None:
                window.append(pool.submit(read, *item))
            stamp = ctx.timestamp(website.fetched_at) if website.fetched_at else ""
            website.provenance = Provenance(SOURCE_ID, website.url, stamp)
            website.checked_at = stamp
            yield PageStep(website.site_id, website.url, None, [website], 1).finish("done")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    yield ScopeDone(SCOPE, complete=not settings.get("limit"))



def check(fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
    """Nothing to check: the sites read are those the other sources list, no fixed site."""
    report = CheckReport(SOURCE_ID)
    report.skip("nothing fixed to check: the sites read are the ones NPPES and NCCAOM (now "
                "NCBAHM) list, each checked (robots, safety, size) when it is read")
    return report
