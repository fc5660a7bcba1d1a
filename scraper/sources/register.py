"""State boards' public registers served as paged JSON: one source kind, one configuration each.

A register is a search endpoint that, asked with no search term, pages through every licensee:
``?page=K&page_size=N`` (1-based pages) or ``?skip=K*N&take=N``. Each answer holds a list of
records at ``records_path`` and the number of records of the whole register at ``total_path``.
A record's fields are reached by dotted paths (``columnValues.4.data``: a list index is a
number), mapped onto ``licenses`` as the Socrata boards' fields are.

Evidence (../shared/SOURCES-EVIDENCE.md, "More states", 2026-12-01), and what public code that
reads these registers shows (read 2026-12-02, reference only):
- NV, Certemy (``nvbom.certemy.com/api/organization/public_registry/<uuid>?search=&page=1&
  page_size=20``): the answer is ``{"result": [...], "count": N}`` (``result`` and ``count``
  read by a public script paging ncb.certemy.com the same way); a browser's recorded request
  to another Certemy registry (ccapp) carries If-Modified-Since, so Certemy gives
  Last-Modified (``check`` says which validators the live answer has). The page's columns are First
  name, Last name, License #, Original issue date, Expiration date, Business Address / City /
  State / Zip Code / Phone and Disciplinary Actions (Devaarush-aetna/PSV,
  ``sites/NV_ORIENTAL/config.yaml``, seen 2026-06-10): no license type, no status. The JSON
  keys of a record are NOT confirmed: ``last_name`` is the one the register's own query uses
  (``order_id=last_name``); the others are the stand-in's choice, settings here, and
  ``practitioners check`` names each as present or missing in the live answer.
- AZ, Thentia (``azabe.portalus.thentiacloud.net/rest/public/profile/search/?keyword=all&
  skip=0&take=20&lang=en-us&licenseType=all&licenseStatus=all&disciplined=false``): a sibling
  Arizona tenant on the same portal (azdo.portalus) answers ``{"resultCount": N, "result":
  {"dataResults": [{"id": ..., "columnValues": [{"data": ...}, ...]}]}}``, dates as
  ``2019-05-14T00:00:00.000Z``; ``disciplined=true`` lists only the disciplined (seen on
  another Thentia register). Which column holds what is NOT confirmed: the order here is the
  register table's as PSV lists it (``sites/AZ_ACUPUNCTURE``: number, first, last, city, type,
  status, expiry), settings all. A generic client User-Agent was refused with 403: we send
  our own, identifying one, and a 403 to it fails the run saying so (never another name).

Every run checks the register before it stores anything and as it pages:
- the answer is JSON with the records list and the total where configured, and the records
  have every mapped key, else the run fails naming the keys missing and those it has;
- the total is not far smaller than the last complete run's (``volume_guard``): else nothing
  is stored (``suspect``);
- acupuncture rows are found (the type pattern, where the register lists other kinds), else
  the run fails naming the type values seen; what matched goes to the run's notes;
- paging is bounded by the total and by ``max_pages`` (a total over it fails before paging);
  a total that changes while paging leaves the run incomplete (nothing marked gone); a short
  first page (the server serves fewer than asked) or records that end before the total
  fail the run.
A page is a checkpoint: an interrupted run resumes at the next page. Pages are asked with
the validators the fetch log keeps, so an unchanged page costs a 304 (except a page that held
discipline cases: a 304 vouches for its licenses, not for the cases, kept in another table).
2026-12 (the stand-ins): a page size of 100 costs a fifth of the requests; 20 is the default
because it is what the registers' own pages are seen to ask.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..check import CheckReport, probe
from ..config import DEFAULT_VOLUME_GUARD
from ..errors import FetchError, HTTPStatusError
from ..http import Fetcher, build_url, user_agent
from ..models import DisciplinaryAction, License, Page, Provenance, Reject
from ..normalize import STATUS_VOCABULARY, license_number
from ..parsing import ParseError
from .base import (
    WEEK,
    Conditional,
    PageStep,
    PartState,
    RunNote,
    ScopeDone,
    Source,
    SourceContext,
    SourceError,
    VolumeCollapse,
    checkpoint,
    merged_fields,
    merged_statuses,
)
from .socrata import NEAR_WORDS, Dataset, parse_row

log = logging.getLogger(__name__)

SINK = "licenses"
PART = "pages"
MAX_PAGES = 500  # pages of one register a run reads at most (a setting)
CHECK_PAGES = 10  # pages ``practitioners check`` reads at most looking for acupuncture rows
FIELDS = ("license_number", "last_name", "first_name", "middle_name", "full_name",
          "license_type", "status", "issued_on", "expires_on", "address_1", "address_2",
          "city", "state", "zip")
DATE_FIELDS = ("issued_on", "expires_on")
PAGINGS = ("page", "skip")  # page=K&page_size=N (from 1) / skip=K*N&take=N
DISCIPLINED = "\x00disciplined"  # the flag a discipline query gives a row (no record key)
_MISSING = object()
_ISO_STAMP = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})T[0-9:.]+(?:Z|[+-][0-9]{2}:?[0-9]{2})?")


@dataclass(frozen=True)
class Register:
    """How one board's register maps onto ``licenses`` (paths are into the register's JSON)."""

    source_id: str
    title: str
    jurisdiction: str
    url: str  # the search endpoint, without its query
    params: dict[str, str]  # the query asking for every record (paging added)
    paging: str  # "page" or "skip"
    records_path: str
    total_path: str
    fields: dict[str, str]  # our field -> path in a record
    # The path of the license type and a pattern (any case) it must contain: the register
    # lists other kinds too. None: every record is an acupuncture license of ``license_type``.
    type_path: str | None = None
    type_pattern: str | None = None
    license_type: str = "Acupuncturist"  # when the register has no type
    discipline_path: str | None = None  # a record's discipline text (NV)
    discipline_params: dict[str, str] = field(default_factory=dict)  # query of the disciplined
    name_format: str | None = None
    statuses: dict[str, str] = field(default_factory=dict)
    verify_url: str | None = None
    page_size: int = 20  # what the registers' own pages ask for
    max_pages: int = MAX_PAGES
    volume_guard: float = DEFAULT_VOLUME_GUARD
    every: timedelta = WEEK
    # What the evidence does not confirm: the settings ``practitioners check`` reports on.
    unconfirmed: tuple[str, ...] = ()

    def mapped_paths(self) -> list[str]:
        named = [*self.fields.values(), *filter(None, (self.type_path, self.discipline_path))]
        return list(dict.fromkeys(named))

    def pattern(self) -> re.Pattern[str] | None:
        return re.compile(self.type_pattern, re.IGNORECASE) if self.type_pattern else None

    def page_url(self, index: int, params: dict[str, str] | None = None) -> str:
        """The address of page ``index`` (from 0) of the query ``params`` (the register's)."""
        query: dict[str, str | int] = dict(self.params if params is None else params)
        if self.paging == "page":
            query.update(page=index + 1, page_size=self.page_size)
        else:
            query.update(skip=index * self.page_size, take=self.page_size)
        return build_url(self.url, query)

    def layout(self) -> Dataset:
        """The row layout for the license parser the Socrata boards and board files share."""
        fields = {name: name for name in self.fields}
        if self.discipline_params:
            fields["disciplined"] = DISCIPLINED
        return Dataset(self.source_id, self.title, self.jurisdiction, portal="",
                       dataset_id=self.source_id, type_field=self.type_path or "", where="",
                       fields=fields, statuses=dict(self.statuses),
                       name_format=self.name_format, disciplined_values=("Y",),
                       case_fields={"action": "discipline"} if self.discipline_path else {},
                       # no type in the register: its one kind ("" is no value read)
                       type_titles={} if "license_type" in self.fields else {
                           "": self.license_type},
                       verify_url=self.verify_url)


REGISTERS = {r.source_id: r for r in (
    Register(
        "nv-certemy", "Nevada State Board of Oriental Medicine (Certemy public registry)", "NV",
        url="https://nvbom.certemy.com/api/organization/public_registry/"
            "1d329d3a-aded-4c8a-a5b2-253e2d32b09d",
        params={"search": ""}, paging="page",
        records_path="result", total_path="count",  # confirmed (ncb.certemy.com)
        # the keys are unconfirmed (see the docstring); the page's columns are these
        fields={"first_name": "first_name", "last_name": "last_name",
                "license_number": "license_number", "issued_on": "original_issue_date",
                "expires_on": "expiration_date", "address_1": "business_address",
                "city": "business_city", "state": "business_state",
                "zip": "business_zip_code"},
        discipline_path="disciplinary_actions",
        # The register shows no license type: every record is the board's licensee, and the
        # board licenses doctors of Oriental medicine. A type key, if the live answer has one
        # (``check`` says), can select with type_path and type_pattern.
        license_type="Oriental Medicine",
        verify_url="https://nvbom.certemy.com/public-registry/1d329d3a-aded-4c8a-a5b2-253e2d32b09d",
        unconfirmed=("fields", "discipline_path", "type_path"),
    ),
    Register(
        "az-thentia", "Arizona Acupuncture Board of Examiners (Thentia public register)", "AZ",
        url="https://azabe.portalus.thentiacloud.net/rest/public/profile/search/",
        params={"keyword": "all", "lang": "en-us", "licenseType": "all",
                "licenseStatus": "all", "disciplined": "false"},
        paging="skip",
        records_path="result.dataResults", total_path="resultCount",  # seen on azdo.portalus
        fields={"license_number": "columnValues.0.data", "first_name": "columnValues.1.data",
                "last_name": "columnValues.2.data", "city": "columnValues.3.data",
                "license_type": "columnValues.4.data", "status": "columnValues.5.data",
                "expires_on": "columnValues.6.data"},
        # The board certifies auricular acupuncturists (detox technicians) too: only the
        # acupuncturist's license is kept. The type's words are unconfirmed.
        type_path="columnValues.4.data", type_pattern=r"^\s*(licensed\s+)?acupuncturist\s*$",
        discipline_params={"keyword": "all", "lang": "en-us", "licenseType": "all",
                           "licenseStatus": "all", "disciplined": "true"},
        verify_url="https://azabe.portalus.thentiacloud.net/webs/portal/register/#/",
        unconfirmed=("fields", "type_path", "type_pattern", "statuses"),
    ),
)}


# -- reading an answer (pure) -------------------------------------------------------------------


def at_path(value: Any, path: str) -> Any:
    """The value at a dotted path ("result.dataResults", "columnValues.4.data"), or _MISSING."""
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else _MISSING
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def text_of(value: Any) -> str | None:
    """A record's value as text: a list is its items joined with "; " (a list of discipline
    actions), an object or nothing is None."""
    if value is _MISSING or value is None or isinstance(value, dict | bool):
        return None
    if isinstance(value, list):
        parts = [t for v in value if (t := text_of(v))]
        return "; ".join(parts) or None
    return str(value)


def parse_answer(cfg: Register, text: str, url: str) -> tuple[list[Any], int]:
    """(records, the register's total) of one answer; ParseError naming what is missing. A
    record that is no object is left to ``parse_rows`` (a reject: one bad record costs that
    record)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        start = ascii(" ".join(text[:60].split()))
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deep"
        raise ParseError(f"the answer is not JSON we can read ({why}); it starts {start}: an "
                         "error or challenge page?", url=url) from exc
    rows = at_path(data, cfg.records_path)
    keys = ", ".join(sorted(data)[:30]) if isinstance(data, dict) else type(data).__name__
    if not isinstance(rows, list):
        raise ParseError(f"no list of records at {cfg.records_path!r} (the answer has: {keys}); "
                         f"set [sources.{cfg.source_id}] records_path", url=url)
    total = at_path(data, cfg.total_path)
    if isinstance(total, str) and total.isdigit():
        total = int(total)
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ParseError(f"no count of records at {cfg.total_path!r} (the answer has: {keys}); "
                         f"set [sources.{cfg.source_id}] total_path", url=url)
    return rows, total


def missing_keys(cfg: Register, rows: list[Any]) -> list[str]:
    """The mapped paths no record of the page has (a renamed key would store empty values)."""
    return [p for p in cfg.mapped_paths() if all(at_path(r, p) is _MISSING for r in rows)]


def _keys_message(cfg: Register, missing: list[str], rows: list[Any], url: str) -> str:
    have = sorted({str(k)[:40] for r in rows[:20] if isinstance(r, dict) for k in r})
    return (f"{cfg.source_id}: the register's records have no {', '.join(map(repr, missing))} "
            f"({url}); their keys: {', '.join(have[:40]) or 'none'}. Set "
            f"[sources.{cfg.source_id}] fields (or type_path, discipline_path) to its keys.")


def _date(value: str | None) -> str | None:
    stamp = _ISO_STAMP.fullmatch(value.strip()) if value else None
    return stamp.group(1) if stamp else value


def flatten(cfg: Register, row: dict[str, Any], disciplined: set[str] | None) -> dict[str, Any]:
    """A record as the license parser reads a row: our field names, text values."""
    flat: dict[str, Any] = {name: text_of(at_path(row, path)) for name, path in cfg.fields.items()}
    for name in DATE_FIELDS:
        if flat.get(name):
            flat[name] = _date(flat[name])
    if cfg.discipline_path:
        flat["discipline"] = text_of(at_path(row, cfg.discipline_path))
    if disciplined is not None:
        number = license_number(flat.get("license_number"))
        flat[DISCIPLINED] = "Y" if number in disciplined else "N"
    return flat


@dataclass
class PageRead:
    """What one page gave: records (licenses and rejects) and its acupuncture rows."""

    records: list[Any] = field(default_factory=list)
    kept: int = 0
    matched: Counter[str] = field(default_factory=Counter)  # type values kept
    others: Counter[str] = field(default_factory=Counter)  # type values left out


def parse_rows(cfg: Register, rows: list[Any], url: str, fetched_at: str,
               disciplined: set[str] | None = None, seen: dict[str, str] | None = None,
               ) -> PageRead:
    layout, pattern = cfg.layout(), cfg.pattern()
    provenance = Provenance(cfg.source_id, url, fetched_at)
    seen = {} if seen is None else seen
    out = PageRead()
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            out.records.append(Reject(cfg.source_id, f"record {i + 1} is a "
                                      f"{type(row).__name__}, not an object (not read)",
                                      {"record": ascii(row)[:200]}, provenance))
            continue
        kind = (text_of(at_path(row, cfg.type_path)) or "") if cfg.type_path else ""
        if pattern is not None and not pattern.search(kind):
            out.others[kind] += 1
            continue
        out.kept += 1
        out.matched[kind] += 1
        flat = flatten(cfg, row, disciplined)
        for record in parse_row(layout, flat, provenance):
            if isinstance(record, License):
                where = f"record {i + 1} of {url}"
                first = seen.setdefault(record.license_id, where)
                if first != where:
                    out.records.append(Reject(cfg.source_id, f"license {record.license_number} "
                                              f"listed again (first at {first}; that one kept)",
                                              flat, provenance))
                    break
            out.records.append(record)
    return out


def describe(cfg: Register, matched: Counter[str], others: Counter[str]) -> str:
    """"columnValues.4.data: Acupuncturist (412); left out: Auricular ... (30)" for the notes."""
    if cfg.type_path is None:
        return f"{sum(matched.values()):,} records, all of one kind ({cfg.license_type})"
    kept = ", ".join(f"{v or '(empty)'} ({n:,})" for v, n in matched.most_common(8))
    left = ", ".join(f"{v or '(empty)'} ({n:,})" for v, n in others.most_common(8))
    return (f"{cfg.type_path}: {kept or 'nothing matched'}"
            + (f"; left out: {left}" if left else ""))


def no_match_message(cfg: Register, others: Counter[str]) -> str:
    close = [v for v in others if any(w in v.upper() for w in NEAR_WORDS)]
    shown = ", ".join(f"{v!r} ({others[v]:,})" for v in (close or [v for v, _ in
                                                                    others.most_common(10)])[:10])
    return (f"{cfg.source_id}: no record's {cfg.type_path} matches {cfg.type_pattern!r}, so "
            f"nothing was stored. Values that look close or are commonest: "
            f"{shown or 'the register has no records'}. Set [sources.{cfg.source_id}] "
            "type_pattern.")


# -- fetching -----------------------------------------------------------------------------------


def forbidden_message(cfg: Register, url: str, fetcher: Fetcher) -> str:
    return (f"{cfg.source_id}: the register answered 403 Forbidden to our identifying "
            f"User-Agent ({user_agent(fetcher.config.contact)!r}) at {url}. It refuses "
            "identified clients; we do not send another name. Ask the board for access or a "
            "file of its licensees.")


def fetch_page(fetcher: Fetcher, cfg: Register, url: str,
               conditional: Conditional | None = None) -> Page:
    try:
        return fetcher.get(url, validators=conditional.validators if conditional else None,
                           headers={"Accept": "application/json"})
    except HTTPStatusError as exc:
        if exc.status == 403:
            raise SourceError(forbidden_message(cfg, url, fetcher)) from exc
        raise


def fetch_disciplined(fetcher: Fetcher, cfg: Register) -> set[str]:
    """The license numbers (normalized) the register's discipline query lists."""
    found: set[str] = set()
    for index in range(cfg.max_pages):
        url = cfg.page_url(index, cfg.discipline_params)
        rows, total = parse_answer(cfg, fetch_page(fetcher, cfg, url).text, url)
        path = cfg.fields["license_number"]
        if rows and all(at_path(r, path) is _MISSING for r in rows):
            raise SourceError(_keys_message(cfg, [path], rows, url))
        found |= {n for r in rows if (n := license_number(text_of(at_path(r, path))))}
        if not rows or (index + 1) * cfg.page_size >= total:
            return found
    raise SourceError(f"{cfg.source_id}: the discipline query lists over {cfg.max_pages} pages")


# -- the source ---------------------------------------------------------------------------------

SETTING_TYPES: dict[str, Any] = {
    "url": str, "params": dict, "records_path": str, "total_path": str, "fields": dict,
    "type_path": str, "type_pattern": str, "license_type": str, "discipline_path": str,
    "discipline_params": dict, "name_format": str, "statuses": dict, "verify_url": str,
    "page_size": int, "max_pages": int, "volume_guard": (int, float)}
SCHEDULER_SETTINGS = {"states", "every", "retry"}
DEFINING = ("kind", "title", "state", "paging")  # a register defined in settings only
NAME_FORMATS = ("last, first middle", "first middle last")


def configure(base: Register, settings: dict[str, Any]) -> Register:
    """``base`` with the operator's ``[sources.<id>]`` settings; ValueError naming a bad one."""
    where = f"[sources.{base.source_id}]"
    unknown = set(settings) - set(SETTING_TYPES) - SCHEDULER_SETTINGS
    if unknown:
        raise ValueError(f"unknown setting(s) for {base.source_id}: {', '.join(sorted(unknown))}"
                         f" (known: {', '.join(SETTING_TYPES)})")
    changes: dict[str, Any] = {}
    for name, value in settings.items():
        if name in SCHEDULER_SETTINGS:
            continue
        wanted = SETTING_TYPES[name]
        ok = not isinstance(value, bool) and isinstance(value, wanted)
        if ok and isinstance(value, dict):
            ok = all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        if ok and name in ("page_size", "max_pages"):
            ok = 1 <= value <= (1000 if name == "page_size" else 10_000)
        if not ok:
            kind = "a table of texts" if wanted is dict else (
                "a whole number in range" if wanted is int else
                "a number" if wanted == (int, float) else "a text")
            raise ValueError(f"{where} {name} = {value!r} must be {kind}")
        changes[name] = value
    if "fields" in changes:
        changes["fields"] = merged_fields(where, "fields", base.fields, changes["fields"], FIELDS)
    if "statuses" in changes:
        changes["statuses"] = merged_statuses(base.statuses, changes["statuses"])
    cfg = replace(base, **changes)
    if "license_number" not in cfg.fields:
        raise ValueError(f"{where} fields must name the license_number key")
    if (cfg.type_path is None) != (cfg.type_pattern is None):
        raise ValueError(f"{where} type_path and type_pattern go together")
    if cfg.type_pattern is not None:
        try:
            re.compile(cfg.type_pattern)
        except re.error as exc:
            raise ValueError(f"{where} type_pattern {cfg.type_pattern!r}: {exc}") from exc
    if cfg.name_format is not None and cfg.name_format not in NAME_FORMATS:
        raise ValueError(f"{where} name_format must be one of {', '.join(NAME_FORMATS)}")
    bad_status = {k: v for k, v in cfg.statuses.items() if v not in STATUS_VOCABULARY}
    if bad_status:
        raise ValueError(f"{where} statuses: {bad_status} must map onto "
                         f"{', '.join(STATUS_VOCABULARY)}")
    if not cfg.url.startswith(("https://", "http://")):
        raise ValueError(f"{where} url must be the register's http(s) address")
    return cfg


def settings_hash(cfg: Register, disciplined: set[str] | None) -> str:
    """What the records were read with: other settings, or another list of the disciplined
    (which no page shows), mean every page is read again, not taken from a 304."""
    return hashlib.sha256(json.dumps(
        [cfg.url, cfg.params, cfg.paging, cfg.page_size, cfg.records_path, cfg.fields,
         cfg.type_path, cfg.type_pattern, cfg.license_type, cfg.discipline_path,
         cfg.name_format, cfg.statuses, cfg.verify_url, sorted(disciplined or ())],
        sort_keys=True).encode()).hexdigest()[:16]


class RegisterSource(Source):
    """A state board's paged JSON register, as a source."""

    SINK = SINK

    def __init__(self, cfg: Register, *, defined_by_settings: bool = False):
        self.config = cfg
        self.defined_by_settings = defined_by_settings
        self.SOURCE_ID = cfg.source_id
        self.TITLE = cfg.title
        self.BASE_URL = cfg.url
        self.JURISDICTION = cfg.jurisdiction
        self.EVERY = cfg.every
        self.verify_url = cfg.verify_url

    def __repr__(self) -> str:
        return f"<register {self.SOURCE_ID} ({self.config.paging} paging)>"

    def configured(self, settings: dict[str, Any]) -> Register:
        if self.defined_by_settings:  # what defined it is in its settings too
            settings = {k: v for k, v in settings.items() if k not in DEFINING}
        return configure(self.config, settings)

    def parse(self, path: Path, url: str, settings: dict[str, Any]) -> Iterator[Any]:
        """A saved answer of the register (one page)."""
        cfg = self.configured(settings)
        rows, _ = parse_answer(cfg, path.read_bytes().decode("utf-8", "replace"), url)
        yield from parse_rows(cfg, rows, url or self.BASE_URL, "").records

    def scrape(self, fetcher: Fetcher, ctx: SourceContext) -> Iterator[Any]:
        cfg = self.configured(ctx.settings)
        disciplined = fetch_disciplined(fetcher, cfg) if cfg.discipline_params else None
        if disciplined is not None:
            yield RunNote(f"{len(disciplined):,} license(s) listed by the discipline query")
        digest = settings_hash(cfg, disciplined)
        # A 304 says a page holds what it held when last read: usable only if it was read
        # with these settings (and then the register's count is the one read with them).
        same = ctx.state("settings") == digest
        before = ctx.state("rows_total")
        saved, finished = checkpoint(ctx, PART)
        resumed = saved if saved is not None and (saved.note or "").startswith(digest) else None
        total: int | None = None
        kept = 0
        # The pages that held discipline cases: a 304 touches a page's licenses, not its cases
        # (another table), so those pages are always read whole.
        case_pages = _indexes(ctx.state("case_pages")) if same else set()
        found_cases: set[int] = set()
        if resumed is not None:
            _, total_text, kept_text, cases_text = (resumed.note or "").split("|")
            total, kept, found_cases = int(total_text), int(kept_text), _indexes(cases_text)
            if finished:
                yield ScopeDone(self.SOURCE_ID, complete=True, state=_state(
                    digest, total, kept, found_cases))
                return
        index = resumed.next_skip if resumed is not None else 0
        matched: Counter[str] = Counter()
        others: Counter[str] = Counter()
        seen: dict[str, str] = {}
        changed: str | None = None
        while True:
            if index >= cfg.max_pages:
                raise SourceError(f"{self.SOURCE_ID}: paging reached max_pages ({cfg.max_pages}) "
                                  "before the end of the register; nothing marked gone")
            url = cfg.page_url(index)
            # An unchanged page is known by its validators, unless the settings changed or we
            # do not know the register's total (a 304 does not say it).
            asked = Conditional.of(ctx, url, remembered=same and index not in case_pages and (
                total is not None or before is not None))
            page = fetch_page(fetcher, cfg, url, asked)
            if (step := asked.unchanged(PART, page)) is not None:
                if total is None:
                    assert before is not None
                    total = int(before)
                kept += step.count
                index += 1
                done = index * cfg.page_size >= total
                yield step.finish("done" if done else "pending", next_skip=index,
                                  note=_note(digest, total, kept, found_cases))
                if done:
                    break
                continue
            rows, page_total = parse_answer(cfg, page.text, url)
            if total is None:
                total = page_total
                pages = math.ceil(total / cfg.page_size)
                if pages > cfg.max_pages:
                    raise SourceError(f"{self.SOURCE_ID}: the register says {total:,} records, "
                                      f"{pages:,} pages of {cfg.page_size}: over max_pages "
                                      f"({cfg.max_pages}); nothing stored")
                # Before anything is stored: about as many records as last time.
                if before and total < cfg.volume_guard * int(before):
                    raise VolumeCollapse(
                        f"{self.SOURCE_ID}: the register now counts {total:,} records, under "
                        f"{cfg.volume_guard:.0%} of the {int(before):,} of the last complete run; "
                        "nothing stored or marked gone (a changed register or a broken query?). "
                        f"Check with `practitioners check {self.SOURCE_ID}`; if the drop is "
                        "real, set volume_guard = 0 once.")
            elif page_total != total:
                changed = (f"the register's count went from {total:,} to {page_total:,} while it "
                           "was read")
            if len(rows) > cfg.page_size:
                raise SourceError(f"{self.SOURCE_ID}: asked for {cfg.page_size} records a page, "
                                  f"got {len(rows)} ({url}): the register ignores the page size")
            if rows and (missing := missing_keys(cfg, rows)):
                raise SourceError(_keys_message(cfg, missing, rows, url))
            read = parse_rows(cfg, rows, url, ctx.timestamp(page.fetched_at), disciplined, seen)
            kept += read.kept
            if any(isinstance(r, DisciplinaryAction) for r in read.records):
                found_cases.add(index)
            matched.update(read.matched)
            others.update(read.others)
            index += 1
            done = index * cfg.page_size >= total
            if not done and len(rows) < cfg.page_size:
                if not changed and index == 1:  # a short first page: the server caps pages
                    raise SourceError(
                        f"{self.SOURCE_ID}: asked for {cfg.page_size} records a page, got "
                        f"{len(rows)} before the end of the register's {total:,} ({url}): it "
                        "serves fewer a page; set page_size to what it serves")
                if not changed:  # full pages, then the records end before the count does
                    raise SourceError(
                        f"{self.SOURCE_ID}: the register counts {total:,} records but its "
                        f"pages end after {(index - 1) * cfg.page_size + len(rows):,} ({url}); "
                        "nothing marked gone")
            stored = sum(isinstance(r, License) for r in read.records)
            yield PageStep(PART, url, page, read.records, stored).finish(
                "done" if done or changed else "pending", next_skip=index,
                note=_note(digest, total, kept, found_cases))
            if done or changed:
                break
        if matched or others:
            yield RunNote(describe(cfg, matched, others))
        if kept == 0 and not changed:
            raise SourceError(no_match_message(cfg, others) if cfg.type_path else
                              f"{self.SOURCE_ID}: the register listed no record; nothing stored")
        if changed:
            yield PartState(PART, "incomplete", note=f"{self.SOURCE_ID}: {changed}; nothing "
                            "marked gone, read again next run")
            yield ScopeDone(self.SOURCE_ID, complete=False)
            return
        yield ScopeDone(self.SOURCE_ID, complete=True,
                        state=_state(digest, total, kept, found_cases))

    def check(self, fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
        """The live register against this configuration: the answer's shape, every mapped key
        (those the evidence does not confirm named as such), acupuncture rows among the first
        pages, one license parsed. A few requests; nothing stored."""
        report = CheckReport(self.SOURCE_ID)
        try:
            cfg = self.configured(settings)
        except ValueError as exc:
            report.set("fields", False, str(exc))
            return report
        first = cfg.page_url(0)
        page = probe(fetcher, report, first, headers={"Accept": "application/json"})
        if page is None:
            ok, detail = report.get("fields")
            if ok is False and "HTTP 403" in detail:
                report.set("fields", False, forbidden_message(cfg, first, fetcher))
            return report
        unconfirmed = [f"{name} ({', '.join(f'{k}={v!r}' for k, v in cfg.fields.items())})"
                       if name == "fields" else f"{name} ({getattr(cfg, name)!r})"
                       if getattr(cfg, name) is not None else f"{name} (not set)"
                       for name in cfg.unconfirmed]
        if unconfirmed:
            report.notes.append("unconfirmed by the evidence, checked here against the live "
                                "answer: " + "; ".join(unconfirmed))
        try:
            rows, total = parse_answer(cfg, page.text, first)
        except ParseError as exc:
            report.set("fields", False, str(exc))
            return report
        if not rows:
            report.set("fields", False, f"{first}: the register's first page has no record "
                       f"(count {total}): nothing to check the keys against")
            return report
        missing = missing_keys(cfg, rows)
        if missing:
            report.set("fields", False, _keys_message(cfg, missing, rows, first))
            return report
        report.set("fields", True, f"{cfg.records_path} and {cfg.total_path} ({total:,} "
                   f"records); all {len(cfg.mapped_paths())} mapped keys present: "
                   f"{', '.join(cfg.mapped_paths())}")
        given = [h for h in ("ETag", "Last-Modified") if page.headers.get(h)]
        report.notes.append(f"validators: {', '.join(given)} (an unchanged page costs a 304)"
                            if given else "validators: none given (every page is read whole)")
        if cfg.type_path is None:
            kinds = sorted({k for r in rows[:20] if isinstance(r, dict) for k in r if re.search(
                r"type|certif|credential|profession", k, re.IGNORECASE)})
            if kinds:
                report.notes.append(f"the records carry {', '.join(kinds)}: set type_path and "
                                    "type_pattern if the register lists other kinds")
        matched: Counter[str] = Counter()
        others: Counter[str] = Counter()
        record: License | None = None
        try:
            for index in range(min(CHECK_PAGES, math.ceil(total / cfg.page_size))):
                url = cfg.page_url(index)
                if index:
                    rows, _ = parse_answer(cfg, fetch_page(fetcher, cfg, url).text, url)
                read = parse_rows(cfg, rows, url, "")
                matched.update(read.matched)
                others.update(read.others)
                licenses = [r for r in read.records if isinstance(r, License)]
                record = record or next((r for r in licenses if r.expires_on), None) or next(
                    iter(licenses), None)
                if matched and record is not None:
                    break
            if cfg.discipline_params:
                url = cfg.page_url(0, cfg.discipline_params)
                _, listed = parse_answer(cfg, fetch_page(fetcher, cfg, url).text, url)
                report.notes.append(f"the discipline query lists {listed:,} record(s)")
        except (FetchError, ParseError, SourceError) as exc:
            report.set("values", False, str(exc))
            return report
        if not matched:
            report.set("values", False, no_match_message(cfg, others))
            return report
        report.set("values", True, describe(cfg, matched, others))
        if record is None:
            report.set("record", False, "no acupuncture record gave a license")
        else:
            report.set("record", True, f"{record.license_type} {record.license_number}: "
                       f"{record.display_name}, {record.status or 'no status given'} "
                       f"(expires {record.expires_on or '?'})")
        return report


def _indexes(text: str | None) -> set[int]:
    return {int(i) for i in (text or "").split(",") if i.isdigit()}


def _note(digest: str, total: int, kept: int, cases: set[int]) -> str:
    """A checkpoint's note: what a resumed run needs of the pages read so far."""
    return f"{digest}|{total}|{kept}|{','.join(map(str, sorted(cases)))}"


def _state(digest: str, total: int, kept: int, cases: set[int]) -> dict[str, str]:
    return {"settings": digest, "rows_total": str(total), "kept": str(kept),
            "case_pages": ",".join(map(str, sorted(cases)))}


def from_settings(source_id: str, settings: dict[str, Any]) -> RegisterSource:
    """A register defined in the operator's TOML file alone (``kind = "paged-json"``, to be
    wired in ``register_configured``): it needs ``title``, ``state``, ``url``, ``paging``
    ("page" or "skip"), ``records_path``, ``total_path`` and ``fields``; the rest as above."""
    where = f"[sources.{source_id}]"
    for name in ("title", "state", "url", "paging", "records_path", "total_path"):
        if not isinstance(settings.get(name), str) or not settings[name].strip():
            raise ValueError(f"{where} kind = \"paged-json\" needs {name} (a text)")
    state = settings["state"].strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", state):
        raise ValueError(f"{where} state = {settings['state']!r} must be two letters")
    if settings["paging"] not in PAGINGS:
        raise ValueError(f"{where} paging must be one of {', '.join(PAGINGS)}")
    if not isinstance(settings.get("fields"), dict):
        raise ValueError(f"{where} needs fields, a table of our field = the record's path")
    base = Register(source_id, settings["title"].strip(), state, url=settings["url"],
                    params={}, paging=settings["paging"], records_path=settings["records_path"],
                    total_path=settings["total_path"], fields={})
    rest = {k: v for k, v in settings.items() if k not in DEFINING}
    return RegisterSource(configure(base, rest), defined_by_settings=True)


def sources() -> dict[str, RegisterSource]:
    return {source_id: RegisterSource(cfg) for source_id, cfg in REGISTERS.items()}
