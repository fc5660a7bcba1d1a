"""OIG List of Excluded Individuals/Entities (LEIE): people barred from federal health programs.

File: https://oig.hhs.gov/exclusions/downloadables/UPDATED.csv (about 15 MB, about 80,000 rows,
replaced monthly). Quirks, as documented and seen:
- 2026-05: header LASTNAME,FIRSTNAME,MIDNAME,BUSNAME,GENERAL,SPECIALTY,UPIN,NPI,DOB,ADDRESS,
  CITY,STATE,ZIP,EXCLTYPE,EXCLDATE,REINDATE,WAIVERDATE,WVRSTATE; dates as YYYYMMDD with
  "00000000" for none; NPI "0000000000" when OIG does not know it.
- A reinstated person is taken off UPDATED.csv and listed in that month's supplement
  ``<YYMM>REIN.csv`` (same header, REINDATE set). So an exclusion that a complete run no
  longer finds is recorded as reinstated, with its date when a supplement names it.

The file is downloaded conditionally (an unchanged month costs a 304) and streamed to a
temporary file, then read row by row. A line that cannot be read (a value over csv's 128 KB
field limit, a quote left open) is a reject with its line number and the rest is read; as any
relevant line that cannot be read, it means no absence is trusted that month. Only rows that
matter to the directory are kept: an NPI among our providers, or an acupuncture specialty.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from ..check import CheckReport, probe
from ..http import Fetcher
from ..models import Exclusion, Page, Provenance, Reject
from ..normalize import clean, iso_date, zip5
from ..parsing import ParseError
from ..tabular import csv_rows
from .base import Conditional, PageStep, ScopeDone, SourceContext

log = logging.getLogger(__name__)

SOURCE_ID = "oig-leie"
TITLE = "OIG List of Excluded Individuals/Entities (LEIE)"
BASE_URL = "https://oig.hhs.gov/exclusions/downloadables/UPDATED.csv"
SINK = "exclusions"
COLUMNS = ("LASTNAME", "FIRSTNAME", "MIDNAME", "BUSNAME", "GENERAL", "SPECIALTY", "UPIN", "NPI",
           "DOB", "ADDRESS", "CITY", "STATE", "ZIP", "EXCLTYPE", "EXCLDATE", "REINDATE",
           "WAIVERDATE", "WVRSTATE")
REQUIRED = ("LASTNAME", "FIRSTNAME", "NPI", "EXCLTYPE", "EXCLDATE")  # without them: no file
RELEVANT_WORDS = ("ACUPUNCT",)
CHECK_BYTES = 65_536


def _date(value: str | None) -> str | None:
    text = clean(value)
    if text is None or text.strip("0") == "":
        return None
    return iso_date(text)


def parse_row(row: dict[str, str], provenance: Provenance) -> list[Exclusion | Reject]:
    """One CSV row as an Exclusion; a value that cannot be read is left out of it and the row
    also goes to rejects, saying what was wrong. A row with no name at all is only a Reject."""
    if not (clean(row.get("LASTNAME")) or clean(row.get("BUSNAME"))):
        return [Reject(SOURCE_ID, "neither a name nor a business name", row, provenance)]
    problems: list[str] = []
    dates: dict[str, str | None] = {}
    for name, column in (("born_on", "DOB"), ("excluded_on", "EXCLDATE"),
                         ("reinstated_on", "REINDATE"), ("waiver_on", "WAIVERDATE")):
        try:
            dates[name] = _date(row.get(column))
        except ValueError as exc:
            problems.append(f"{column}: {exc} (stored without it)")
            dates[name] = None
    npi = clean(row.get("NPI"))
    if npi is not None and npi.strip("0") == "":
        npi = None
    if npi is not None and (len(npi) != 10 or not npi.isdigit()):
        problems.append(f"malformed NPI {npi!r} (stored without it)")
        npi = None
    exclusion = Exclusion(
        npi=npi, last_name=clean(row.get("LASTNAME")), first_name=clean(row.get("FIRSTNAME")),
        middle_name=clean(row.get("MIDNAME")), business_name=clean(row.get("BUSNAME")),
        general=clean(row.get("GENERAL")), specialty=clean(row.get("SPECIALTY")),
        upin=clean(row.get("UPIN")), address=clean(row.get("ADDRESS")),
        city=clean(row.get("CITY")), state=clean(row.get("STATE")),
        zip=zip5(row.get("ZIP")) or clean(row.get("ZIP")),
        exclusion_type=clean(row.get("EXCLTYPE")), waiver_state=clean(row.get("WVRSTATE")),
        provenance=provenance, **dates,
    )
    if problems:
        return [exclusion, Reject(SOURCE_ID, "; ".join(problems), row, provenance, stored=True)]
    return [exclusion]


def relevant(row: dict[str, str], npis: set[str]) -> bool:
    """Rows the directory keeps: an NPI we list, or an acupuncture specialty."""
    npi = (row.get("NPI") or "").strip()
    if npi and npi in npis:
        return True
    text = f"{row.get('GENERAL', '')} {row.get('SPECIALTY', '')}".upper()
    return any(word in text for word in RELEVANT_WORDS)


_TEN_DIGITS = re.compile(r"(?<!\d)\d{10}(?!\d)")


def relevant_text(text: str, npis: set[str]) -> bool:
    """``relevant`` for a line that cannot be split into its fields: an NPI we list anywhere in
    it, or an acupuncture word."""
    if any(npi in npis for npi in _TEN_DIGITS.findall(text)):
        return True
    upper = text.upper()
    return any(word in upper for word in RELEVANT_WORDS)


def parse_csv(lines: Iterable[str], url: str, fetched_at: str, npis: set[str],
              ) -> Iterator[Exclusion | Reject]:
    """Stream the file: check the header, yield the relevant rows. A row with a broken quote
    or the wrong number of fields is a Reject when it is relevant; a line that cannot be read
    at all (a value over csv's 128 KB field limit) is always one, with its line number: which
    row it held cannot be told. Never the end of the file."""
    rows = csv_rows(lines)
    first = next(rows, None)
    if first is None:
        raise ParseError("empty file", url=url)
    if first.fields is None:
        raise ParseError(f"header unreadable: {first.problem}", url=url)
    header = [h.strip().upper() for h in first.fields]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ParseError(f"header lacks {', '.join(missing)}", url=url)
    provenance = Provenance(SOURCE_ID, url, fetched_at)
    for number, fields, problem, start, text in rows:
        if fields is None:
            yield Reject(SOURCE_ID, f"line {number}: {problem} (not read)",
                         {"line": number, "start": start}, provenance)
            continue
        if not fields:
            continue
        row = dict(zip(header, fields, strict=False))
        if len(fields) != len(header):
            # Split wrongly (a quote left open), its fields are shifted: whether it is one of
            # ours is read from the line's text instead (review of issue 14).
            if relevant(row, npis) or relevant_text(text, npis):
                yield Reject(SOURCE_ID, f"line {number}: {len(fields)} fields, "
                             f"expected {len(header)}", row, provenance)
            continue
        if relevant(row, npis):
            yield from parse_row(row, provenance)
        elif text.count("\n") > 1 and relevant_text(text, npis):
            # Over several lines, and ours only by its text: a quote left open that the next
            # row's quote closed, the fields shifted (review of issue 14)
            yield Reject(SOURCE_ID, f"line {number}: a record over {text.count(chr(10))} "
                         "lines whose fields do not say it is ours, though its text does (a "
                         "quote left open?)", {"line": number, "text": text[:2000]}, provenance)


def _read(fetcher: Fetcher, ctx: SourceContext, url: str, npis: set[str], *,
          conditional: bool = True) -> tuple[PageStep, list[Any]]:
    asked = Conditional.of(ctx, url, remembered=conditional)
    with tempfile.TemporaryFile() as handle:
        page = fetcher.download(url, handle, validators=asked.validators)
        if unchanged := asked.unchanged("file:" + url, page, unasked=True):
            return unchanged, []
        handle.seek(0)
        text = io.TextIOWrapper(handle, encoding="cp1252", errors="replace", newline="")
        records = list(parse_csv(text, url, ctx.timestamp(page.fetched_at), npis))
        text.detach()
    return PageStep("file:" + url, url, page, records, len(records)), records


def scrape(fetcher: Fetcher, ctx: SourceContext) -> Iterator[Any]:
    url = ctx.settings.get("url", BASE_URL)
    npis = ctx.provider_npis()
    # Which rows matter depends on our providers: when they changed since the last complete
    # run, an unchanged file must be read again (a 304 would skip the new providers' rows).
    npis_hash = hashlib.sha256("\n".join(sorted(npis)).encode()).hexdigest()
    same_providers = ctx.state("providers_hash") == npis_hash
    step, records = _read(fetcher, ctx, url, npis, conditional=same_providers)
    # A relevant line that could not be read at all may be someone still excluded: then no
    # absence from this month's list can be trusted.
    unreadable = [r for r in records if isinstance(r, Reject) and not r.stored]
    yield step.finish("done")
    # Monthly supplements name who was reinstated and when (configured as a list of URLs).
    for rein_url in ctx.settings.get("reinstatement_urls", []):
        rein, _ = _read(fetcher, ctx, rein_url, npis, conditional=same_providers)
        yield rein.finish("done")
    yield ScopeDone(SOURCE_ID, complete=not unreadable, state={"providers_hash": npis_hash})


def check(fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
    """The start of the list, not the 15 MB: a Range request for its first 64 KB. The header's
    columns, the rows in it read, the first parsed. One request (and robots.txt); nothing
    stored. A server that ignored the Range would send the whole file: refused by the cap."""
    report = CheckReport(SOURCE_ID)
    url = settings.get("url", BASE_URL)
    page = probe(fetcher, report, url, headers={"Range": f"bytes=0-{CHECK_BYTES - 1}"},
                 max_bytes=CHECK_BYTES)
    if page is None:
        return report
    text = page.content.decode("cp1252", errors="replace")
    if page.status == 206:  # a part: its last line may be cut
        text = text[:text.rfind("\n") + 1]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [h.strip().upper() for h in rows[0]] if rows else []
    missing = [c for c in COLUMNS if c not in header]
    report.set("fields", not missing, f"missing: {', '.join(missing)}; the header: "
               f"{','.join(header)[:300]}" if missing else f"all {len(COLUMNS)} columns")
    if set(missing) & set(REQUIRED):
        return report
    provenance = Provenance(SOURCE_ID, url, "")
    read = [parse_row(dict(zip(header, fields, strict=False)), provenance)
            if len(fields) == len(header) else [] for fields in rows[1:] if fields]
    excluded = [r[0] for r in read if len(r) == 1 and isinstance(r[0], Exclusion)]
    refused = len(read) - len(excluded)
    # A changed date format shows in every row: more than one in ten is no accident.
    report.set("values", bool(excluded) and refused * 10 <= len(read),
               f"{len(read)} rows in the first {len(page.content):,} bytes of "
               f"{_size(page)}, {refused} with a value that could not be read")
    if excluded:
        e = excluded[0]
        name = e.business_name or " ".join(filter(None, (e.first_name, e.last_name)))
        report.set("record", True, f"{name}: {e.exclusion_type} since {e.excluded_on}, "
                   f"{e.state or '?'}")
    return report


def _size(page: Page) -> str:
    total = page.headers.get("content-range", "").rpartition("/")[2]
    return f"{int(total):,} bytes" if total.isdigit() else f"{len(page.content):,} bytes"
