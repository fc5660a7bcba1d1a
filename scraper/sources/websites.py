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
  too-large, http-error, unreachable, gated, not-html). A bot challenge on one practice's site
  gates that site only.

What a site claimed stays until the site is read again: a site that cannot be reached this
time keeps the tags of its last reading (with their dates); a site read in full, or one that
now refuses us (robots, an unsafe redirect, a page not found), has its tags replaced by what
was read, which may be nothing.

Settings (``[sources.websites]``): ``max_pages`` (5, the listed page and home included),
``max_page_bytes`` (2,000,000), ``workers`` (4: sites on different hosts read at once; each
host still gets one request at a time, paced), ``limit`` (read only the first N sites).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from ..check import CheckReport
from ..http import (
    BotChallenge,
    Fetcher,
    FetchError,
    HostNotAllowed,
    HTTPStatusError,
    Page,
    ResponseTooLarge,
    RobotsDisallowed,
    Unresolvable,
    UnsafeURL,
)
from ..models import Provenance, Website, WebsiteTag
from ..normalize import site_id, website_url
from ..specialties import better_evidence, tag_text, vocabulary
from .base import PageStep, RunNote, ScopeDone, SourceContext

SOURCE_ID = "websites"
TITLE = "Practice websites (self-reported specialties)"
BASE_URL = ""  # no one base: the addresses come from the other sources' records
SINK = "websites"
SCOPE = "websites"
MAX_PAGES = 5
MAX_PAGE_BYTES = 2_000_000
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


def page_text(soup: BeautifulSoup) -> str:
    """The page's own words, one block (paragraph, list item, heading...) per line, with the
    white space inside each block collapsed: markup line breaks are not sentence ends."""
    body = soup.body or soup
    for tag in body.find_all(SKIP_TAGS):
        tag.decompose()
    for tag in body.find_all(BLOCK_TAGS):
        tag.insert_before(_BREAK)
        tag.append(_BREAK)
    blocks = (" ".join(block.split()) for block in body.get_text().split(_BREAK))
    return "\n".join(block for block in blocks if block)


def same_site(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    host_a = (pa.hostname or "").removeprefix("www.")
    host_b = (pb.hostname or "").removeprefix("www.")
    return host_a == host_b and (pa.port or 0) == (pb.port or 0)


def service_links(soup: BeautifulSoup, page_url: str) -> list[str]:
    """Same-site links worth reading, best first: a link naming a specialty of the vocabulary,
    then one whose words suggest services; never files, mail or script links."""
    scored: dict[str, int] = {}
    for anchor in soup.find_all("a", href=True):
        href = anchor["href"].strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        url = urljoin(page_url, href).split("#")[0]
        if not url.startswith(("http://", "https://")) or NOT_PAGES.search(urlsplit(url).path):
            continue
        if not same_site(url, page_url):
            continue
        words = f"{anchor.get_text(' ')} {urlsplit(url).path.replace('-', ' ')}"
        score = 2 if any(p.search(words) for p in vocabulary().values()) \
            else 1 if SERVICE_WORDS.search(words) else 0
        if score and score > scored.get(url, 0):
            scored[url] = score
    return sorted(scored, key=lambda u: -scored[u])  # stable: document order within a score


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def _status(exc: FetchError) -> str:
    if isinstance(exc, RobotsDisallowed):
        return "robots"
    if isinstance(exc, (UnsafeURL, HostNotAllowed)):
        return "unsafe"
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
              max_page_bytes: int = MAX_PAGE_BYTES, fetched_at: Any = None) -> Website:
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
            page = fetcher.get(target, untrusted=True, max_bytes=max_page_bytes)
        except FetchError as exc:
            if target == entry and isinstance(exc, HTTPStatusError) and entry != root \
                    and (exc.status or 0) < 500:
                # A stale deep link: the site's home page may still be there.
                problems.append(f"{target}: {exc}")
                entry = root
                queue.insert(0, root)
                continue
            if target == entry:  # the site itself could not be read
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
        pages.append(page.url)
        soup = BeautifulSoup(page.text, "lxml")
        links = [link for link in service_links(soup, page.url)
                 if link not in seen and link not in queue]
        if target == entry and not links and entry != root:
            links = [root]  # a landing page that links nowhere useful: try the home page
        for tag, sentence in tag_text(page_text(soup)):
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
    sites = listed_sites(ctx.listed_websites())
    if not sites:  # nothing to read is not "found nothing": no scope, nothing marked gone
        yield RunNote("no record lists a website: nothing to read")
        return
    if settings.get("limit"):
        sites = sites[:int(settings["limit"])]
    todo = []
    for url, listed_by in sites:
        saved = ctx.checkpoint(site_id(url))
        if saved is not None and saved.state == "done":
            ctx.note_resumed(saved)
            continue
        todo.append((url, listed_by))
    workers = max(1, int(settings.get("workers", WORKERS)))

    listener = fetcher.fault_listener()  # the run's: faults met by workers are its too

    def read(url: str, listed_by: list[str]) -> tuple[Website, Counter[str]]:
        fetcher.on_fault(listener)
        before = fetcher.thread_counts()
        website = read_site(fetcher, url, listed_by, max_pages=max_pages,
                            max_page_bytes=max_bytes, fetched_at=fetcher.clock.utcnow())
        counts = fetcher.thread_counts()
        counts.subtract(before)
        return website, counts

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="websites")
    try:
        window: list[Future] = []
        pending = iter(todo)
        for _ in range(workers * 2):  # a bounded window: results come back in order
            if (item := next(pending, None)) is not None:
                window.append(pool.submit(read, *item))
        while window:
            website, counts = window.pop(0).result()
            if (item := next(pending, None)) is not None:
                window.append(pool.submit(read, *item))
            ctx.add_counts(counts)
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
