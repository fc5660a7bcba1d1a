"""The NPPES data dissemination files: every provider with a configured taxonomy, without the API.

CMS publishes each month a full file (``NPPES_Data_Dissemination_<Month>_<Year>_V2.zip``, about
1 GB, holding ``npidata_pfile_<from>-<to>.csv`` of about 9 GB: 8 to 9 million rows and 329 or more
columns) and each week an increment of a few MB in the same layout, plus a monthly report of
deactivated NPIs. This source (the reading of a zip is ``scraper/npidata.py``, of the
deactivation report ``scraper/deactivations.py``; here: downloading, storing, the preflight):

- streams the ``npidata_pfile`` member straight out of the zip, never extracting it to disk;
- keeps the rows that carry a configured taxonomy code (``171100000X``, Acupuncturist, by
  default) in any of the 15 taxonomy slots. A cheap byte test (is the code anywhere in the
  record?) rules out nearly every row before any CSV parsing. Records are cut where a line
  starts with the quoted NPI (valid CSV doubles a quote inside a field, so a quoted field
  holding a line break stays whole), or, for a layout that does not quote the NPI, at line
  ends outside quotes (``scraper/zipscan.py``);
- reads columns by their header name, so the older and the current layouts both work;
- maps the rows to the same tables and values as the API source (``nppes-api``). What only the
  API gives (the record's created/updated timestamps, the update date of a practice location)
  is kept from what is already stored, so the two sources do not undo each other;
- applies weekly files in order, each once; applies the deactivation report (CSV, or the xlsx
  CMS ships) by setting ``deactivated_on`` on the providers it names;
- imports a file whole or not at all: the rows are stored as the member is read, in one
  transaction that commits only after the whole file was read, so a truncated zip or a missing
  column (each reported with the file and line) leaves the database as it was;
- a row we would keep that cannot be read (a broken quote, a field too many, a bad date) costs
  that row only: it is kept as a reject with its line, the others are stored, and since whose
  row it was cannot be told, that run marks nobody gone (it is ``partial``). More than
  ``REJECT_LIMIT`` such rows mean a damaged file, imported not at all.

Settings (``[sources.nppes-bulk]``): ``file`` (a monthly zip on disk) or ``url`` (downloaded to
``cache_dir``, resumably and conditionally), ``weekly_files`` / ``weekly_urls``,
``deactivation_file`` / ``deactivation_url``, ``taxonomy_codes`` (["171100000X"]),
``nucc_csv`` (the NUCC taxonomy CSV, for the descriptions of codes not in
``scraper/data/taxonomies.csv``). The source runs only when asked for by name, or when its
settings name a file or URL: the API is the default way to get providers.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..check import CheckReport, probe
from ..deactivations import Deactivation, read_deactivations
from ..http import Fetcher
from ..models import Provenance
from ..npidata import (
    DEFAULT_CODES,
    NPIDATA,
    REQUIRED,
    SOURCE_ID,
    BulkFileError,
    Columns,
    ImportStats,
    find_member,
    iter_zip,
    provider_from_row,
    read_zip,
    taxonomy_descriptions,
)
from .base import (
    Conditional,
    PageStep,
    PartState,
    RunNote,
    ScopeDone,
    SourceContext,
    SourceError,
    SourceUnchanged,
)
from .nppes_api import STATES

# Re-exported: what reads the files is in scraper/npidata.py and scraper/deactivations.py.
__all__ = ["BASE_URL", "DEFAULT_CODES", "SINK", "SOURCE_ID", "TITLE", "BulkFileError", "Deactivation",
           "ImportStats", "check", "iter_zip", "provider_from_row", "read_deactivations",
           "read_zip", "scrape", "taxonomy_descriptions"]

TITLE = "NPPES data dissemination files (monthly and weekly zips)"
BASE_URL = "https://download.cms.gov/nppes/NPI_Files.html"
SINK = "providers-bulk"

# -- the source ---------------------------------------------------------------------------------

def _local(fetcher: Fetcher, ctx: SourceContext, url: str) -> tuple[Path, Any]:
    """Download ``url`` into the cache; (path, page), page None when it has not changed since
    the last import. Conditional (the validators of the last committed import), and resumable:
    a download cut short leaves ``<file>.part`` and its ETag beside it, and the next attempt
    asks only for the rest (``Range`` with ``If-Range``: if the file changed, it starts over)."""
    cache = Path(ctx.settings.get("cache_dir", ".cache/nppes"))
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / (Path(urlsplit(url).path).name or "nppes.zip")
    asked = Conditional.of(ctx, url, remembered=target.exists())
    partial = target.with_suffix(target.suffix + ".part")
    tag_file = partial.with_suffix(".etag")
    resume = tag_file.read_text().strip() if partial.exists() and tag_file.exists() else None

    def remember(headers) -> None:  # what the partial file is a part of, should it stay one
        if headers.get("etag"):
            tag_file.write_text(headers["etag"])
        else:
            tag_file.unlink(missing_ok=True)

    with open(partial, "a+b" if resume else "w+b") as sink:
        page = fetcher.download(url, sink, validators=asked.validators, resume=resume,
                                on_headers=remember)
    if page.not_modified:
        partial.unlink(missing_ok=True)
        tag_file.unlink(missing_ok=True)
        return target, None
    partial.replace(target)
    tag_file.unlink(missing_ok=True)
    return target, page


def scrape(fetcher: Fetcher, ctx: SourceContext) -> Iterator[Any]:
    settings = ctx.settings
    codes = tuple(settings.get("taxonomy_codes") or DEFAULT_CODES)
    nucc = settings.get("nucc_csv")
    progress = getattr(ctx, "report_bytes", None)
    monthly = settings.get("file")
    page = None
    if not monthly and settings.get("url"):
        path, page = _local(fetcher, ctx, settings["url"])
        if page is None:
            yield SourceUnchanged(SOURCE_ID, f"{settings['url']}: not modified")
        monthly = str(path)
    if monthly and (page is not None or settings.get("file")):
        if progress:
            progress(0, _member_size(monthly))
        # Stored as they are read, in the one transaction of the file (all of it or nothing):
        # the storing overlaps the inflating of the rest (bench/RESULTS.md). The write lock is
        # held meanwhile: about 25 s for a 9 GB file, while nothing else of run-due writes.
        stats = ImportStats()
        providers = iter_zip(monthly, codes, stats=stats, source_url=settings.get("url"),
                             fetched_at=ctx.timestamp(page.fetched_at) if page else "",
                             nucc_csv=nucc, on_bytes=progress and (lambda n: progress(n)))
        url = settings.get("url") or f"file:{Path(monthly).name}"
        yield PageStep("monthly", url, page, providers, 0).finish("done")
        read = (f"{stats.bytes_read / 1e6:,.0f} MB read (inflated by {stats.inflater}), "
                f"{stats.candidates} passed the byte test, {stats.kept} kept")
        if stats.unreadable:  # whose rows they were cannot be told: nobody is marked gone
            yield PartState("monthly", "incomplete", note=(
                f"{read}; {len(stats.unreadable)} row(s) could not be read (see rejects), so "
                "nobody the file no longer lists is marked gone this run"))
        else:  # the run's notes say what was read, and what inflated it
            yield PartState("monthly", "done", note=read)
            yield RunNote(f"monthly file: {read}")
        for state in STATES:  # a full file: whoever it no longer lists is gone
            yield ScopeDone(state, complete=not stats.unreadable)
    weekly = list(settings.get("weekly_files") or [])
    for url in settings.get("weekly_urls") or []:
        path, wpage = _local(fetcher, ctx, url)
        weekly.append(str(path))
    for path in sorted(weekly, key=_period):  # in date order
        key = f"applied:{Path(path).name}"
        if ctx.state(key):
            continue
        changed, stats = read_zip(path, codes, nucc_csv=nucc)
        part = f"weekly:{Path(path).name}"
        step = PageStep(part, f"file:{Path(path).name}", None, changed, len(changed))
        if stats.unreadable:  # applied all the same: the next monthly file brings them again
            yield step.finish("incomplete", note=(
                f"{part}: {len(stats.unreadable)} row(s) could not be read (see rejects); the "
                "file is applied without them"))
        else:
            yield step.finish("done")
        yield ScopeDone(part, complete=False, state={key: "yes"})
    report = settings.get("deactivation_file")
    if settings.get("deactivation_url"):
        report = str(_local(fetcher, ctx, settings["deactivation_url"])[0])
    if report:
        rows = read_deactivations(report)
        provenance = Provenance(SOURCE_ID, f"file:{Path(report).name}", "")
        records = [Deactivation(npi, when, provenance) for npi, when in rows]
        yield PageStep("deactivations", f"file:{Path(report).name}", None, records,
                       len(records)).finish("done")


def _period(path: str) -> str:
    """The first date a weekly file covers, for ordering ("..._111124_111724_Weekly.zip" or
    "npidata_pfile_20241111-20241117"): as YYYYMMDD when it can be read, else the name."""
    name = Path(path).name
    long = re.search(r"(20\d{2})(\d{2})(\d{2})", name)
    if long:
        return "".join(long.groups())
    short = re.search(r"_(\d{2})(\d{2})(\d{2})_", name)
    if short:
        month, day, year = short.groups()
        return f"20{year}{month}{day}"
    return name


def _member_size(path: str) -> int:
    try:
        with zipfile.ZipFile(path) as archive:
            member = find_member(archive, NPIDATA)
            return archive.getinfo(member).file_size
    except (zipfile.BadZipFile, OSError, SourceError):
        return 0


# -- preflight ----------------------------------------------------------------------------------

CHECK_BYTES = 65_536


class _Pieces:
    """A file of ``size`` bytes of which only some pieces were fetched (zeros elsewhere): enough
    for ``zipfile`` to read the directory at the end and the start of a member."""

    def __init__(self, size: int):
        self.size, self.at = size, 0
        self.pieces: dict[int, bytes] = {}

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.at = (0, self.at, self.size)[whence] + offset
        return self.at

    def tell(self) -> int:
        return self.at

    def read(self, n: int | None = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self.at + n)
        out = bytearray(max(0, end - self.at))
        for start, data in self.pieces.items():
            low, high = max(start, self.at), min(start + len(data), end)
            if low < high:
                out[low - self.at:high - self.at] = data[low - start:high - start]
        self.at = max(self.at, end)
        return bytes(out)


def _fetch_piece(fetcher: Fetcher, report: CheckReport, url: str, pieces: _Pieces | None,
                 wanted: str) -> _Pieces | None:
    """Add the bytes ``wanted`` ("-N": the last N; "A-B") of the file at ``url`` to ``pieces``
    (made from the first answer's size); None when they could not be had."""
    page = probe(fetcher, report, url, headers={"Range": f"bytes={wanted}"},
                 max_bytes=CHECK_BYTES)
    if page is None:
        return None
    start, size = 0, len(page.content)  # a 200: the server sent the whole (small) file
    sent = re.fullmatch(r"bytes (\d+)-\d+/(\d+)", page.headers.get("content-range", ""))
    if page.status == 206 and sent:
        start, size = int(sent.group(1)), int(sent.group(2))
    pieces = pieces or _Pieces(size)
    pieces.pieces[start] = page.content
    return pieces


def _check_member(archive: zipfile.ZipFile, label: str, report: CheckReport) -> None:
    """The npidata_pfile member's header and first row (read from its start only)."""
    member = find_member(archive, NPIDATA, required=False)
    if member is None:
        report.set("fields", False, f"{label}: no npidata_pfile member (members: "
                   f"{', '.join(archive.namelist()[:8])})")
        return
    size = archive.getinfo(member).file_size
    report.set("values", size > 0, f"{member}: {size:,} bytes uncompressed, in a zip of "
               f"{len(archive.namelist())} members")
    try:
        with archive.open(member) as stream:
            reader = csv.reader(io.TextIOWrapper(stream, "utf-8", "replace", newline=""))
            header = next(reader, [])
            columns = Columns(header, f"{label}:{member}")
            report.set("fields", True, f"{len(header)} columns, {', '.join(REQUIRED)} among them")
            row = next(reader, None)
            if row is None:
                report.set("record", False, "no row after the header")
                return
            p = provider_from_row(columns.getter(row), member, 0, taxonomy_descriptions(), None)
    except BulkFileError as exc:
        report.set("record" if report.get("fields")[0] else "fields", False, str(exc))
        return
    except (zipfile.BadZipFile, zlib.error, EOFError, csv.Error) as exc:
        report.set("fields", False, f"{label}: {member} cannot be read: {exc}")
        return
    report.set("record", True, f"the first row: NPI {p.npi}, {p.display_name}")


def check(fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
    """With ``file`` (or else a weekly file): the zip's npidata_pfile header and first row, no
    request. With ``url`` (or else a weekly URL): the same without the 1 GB download, from two
    Range requests of 64 KB, the zip's directory at its end and the start of the member (and
    robots.txt). Without either: skipped (the source is opt-in). Nothing stored."""
    report = CheckReport(SOURCE_ID)
    file = settings.get("file") or next(iter(settings.get("weekly_files") or []), None)
    url = settings.get("url") or next(iter(settings.get("weekly_urls") or []), None)
    if file:
        path = Path(file)
        try:
            with zipfile.ZipFile(path) as archive:
                report.set("reachable", True, f"{path} ({path.stat().st_size:,} bytes)")
                _check_member(archive, path.name, report)
        except (zipfile.BadZipFile, OSError) as exc:
            report.set("reachable", False, f"{path}: not a readable zip: {exc}")
        return report
    if not url:
        report.skip("not configured (opt-in): [sources.nppes-bulk] names no monthly or weekly "
                    "file or url")
        return report
    pieces = _fetch_piece(fetcher, report, url, None, f"-{CHECK_BYTES}")
    if pieces is None:
        return report
    label = Path(urlsplit(url).path).name or url
    try:
        archive = zipfile.ZipFile(pieces)
    except zipfile.BadZipFile as exc:
        report.set("fields", False, f"{label}: not a zip, or not one whose directory is in its "
                   f"last {CHECK_BYTES:,} bytes: {exc}")
        return report
    member = find_member(archive, NPIDATA, required=False)
    if member is not None and 0 not in pieces.pieces:  # else the whole file is at hand
        offset = archive.getinfo(member).header_offset
        if _fetch_piece(fetcher, report, url, pieces,
                        f"{offset}-{offset + CHECK_BYTES - 1}") is None:
            return report
    _check_member(archive, label, report)
    return report

