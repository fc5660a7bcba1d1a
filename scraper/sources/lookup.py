"""State boards that answer one license at a time: the lookup kind, one source a board.

Evidence: ../shared/SOURCES-EVIDENCE.md, "More states" (2026-12-01), and public code that
queries these lookups (read as reference, never copied; see each board below).

A run asks the board about each acupuncture license number NPPES individuals report for its
state (``RunContext.reported_license_numbers``), written the board's way, unless the board's
last definite answer for it is younger than ``cadence_days`` (30). Each answer is one step:
the license found (status, dates, discipline flag where the board gives one, the board's page
for it) or nothing, "the board has no such license", with the checkpoint
``lookup:<state>:<number>`` from which the database writes ``license_lookups`` (m019) in the
same transaction. A killed run resumes without asking again what it asked; an answer that
failed (an error status, a timeout, an answer of the wrong shape) is recorded as failed, makes
the run partial and is asked again by the next run. ``max_failures`` failures in a row (0: no limit) stop the
run loudly (a changed lookup, a board down), keeping what was stored. A bot challenge gates the
run at once: everything answered so far is kept, nothing is marked gone (a lookup source never
marks licenses gone: a run asks only the numbers that are due), the rest waits for the next run.

Zero is a finding: once the board has found licenses before, a run whose first
``guard_after`` (25) answers are all "no such license" stops as suspect and records none of
them (they are held until the first license found; a run killed meanwhile asks them again).

Boards:
- ma-borim (2026-12 evidence, confirmed): ``POST https://api.medboard.mass.gov/api-public/search``
  with JSON ``{"searchType":"BY_LICENSE_NUMBER","licenseNumber":..,"licenseMetaId":null,
  "showOnlyAuthorizedForHerbalTherapy":false}``; ``results.data[]`` with fullName,
  licenseNumber, licenseMetaName, profileStatus, originalDate, expirationDate. Unconfirmed
  (settings): the status words, the dates' form, the name's order (``name_format``), which
  licenseMetaName values are acupuncture (``type_pattern``). The evidence says the API expects
  findmydoctor.mass.gov as Origin/Referer: we do not claim to be that page unless the operator
  sets ``origin``.
- pa-pals (confirmed): ``POST https://www.pals.pa.gov/api/Search/SearchForPersonOrFacilty``
  (sic; the correctly spelt path is a 404, 2026 public client code) with LicenseNumber; a JSON
  array of rows with FirstName, MiddleName, LastName, LicenseNumber, Status,
  DisciplinaryAction (the body's other fields, OptPersonFacility "Person", Country "ALL",
  IsFacility 0, PageNo 1, and the row fields City, State, zipcode, are from public client
  code, 2023-2026). One public note (2026-09) says the search ignores some filters silently:
  only rows whose number is the one asked are read. Unconfirmed: the date fields' names
  (``fields``), the DisciplinaryAction values meaning yes, the license type field.
- va-dhp (confirmed): the form at ``https://dhp.virginiainteractive.org/Lookup/Index`` carries
  an anti-forgery token in a hidden field ``__RequestVerificationToken`` (read from the page
  and posted back with the session cookie: ordinary form use); the POST of a license number
  (10 digits, zero-padded) leads to ``/Lookup/Detail/<id>``, a page of labels and values
  (Name, License Number, Occupation, License Status, dates). Unconfirmed: the number field's
  name (``number_field``), the labels (``labels``), the not-found page (``not_found_pattern``),
  the name's order. The token is read once a run and again when the board refuses it.
- ny-nysed (confirmed): ``GET https://api.nysed.gov/rosa/V2/byProfessionAndLicenseNumber?
  professionCode=025&licenseNumber=NNNNNN`` with header ``x-oapi-key``; 204 is no such
  license; every field is ``{"value": .., "label": ..}`` (public client code, 2026): name,
  licenseNumber, status, dateOfLicensure, registeredThroughDate, address. Only with the
  operator's own key from NYSED (``api_key``, or the environment variable named by
  ``api_key_env``, NYSED_API_KEY by default): no key, no source; the key in the site's script
  is not ours. The key is sent in a header, never logged or stored.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from ..check import CheckReport
from ..errors import (
    BotChallenge,
    DeadlineExceeded,
    FetchError,
    HTTPStatusError,
    ResponseTooLarge,
    RetriesExhausted,
    RobotsDisallowed,
    RobotsUnreachable,
)
from ..http import Fetcher, build_url
from ..models import License, Page, Provenance, Reject
from ..normalize import STATUS_VOCABULARY, license_number
from ..parsing import ParseError, require
from .base import (
    PageStep,
    PartState,
    RunNote,
    Source,
    SourceContext,
    SourceError,
    VolumeCollapse,
    checkpoint,
)
from .socrata import Dataset, parse_row

log = logging.getLogger(__name__)
# One license's answer, or a lookup form, is a few kilobytes: anything past this is not one
# (and parsing it would cost more than the number is worth).
ANSWER_BYTES = 1_000_000

SINK = "licenses"
# What one asking can fail with and cost only that number; anything else (robots.txt, a bot
# challenge, an interruption) ends the run.
NUMBER_FAILURES = (HTTPStatusError, RetriesExhausted, DeadlineExceeded, ResponseTooLarge,
                   ParseError)
FIELDS = ("license_number", "full_name", "first_name", "middle_name", "last_name",
          "license_type", "status", "issued_on", "expires_on", "city", "state", "zip",
          "disciplined", "verify_url")


@dataclass(frozen=True)
class Answer:
    """What the board said of one number: the license's values (our field -> the board's
    text), or None for "no such license"; ``url`` is where it was asked."""

    url: str
    page: Page
    values: dict[str, Any] | None


@dataclass(frozen=True)
class Board:
    """One board's lookup: its settings, and how to ask it (``ask``) and write a number."""

    source_id: str
    title: str
    jurisdiction: str
    url: str  # the lookup's address
    verify_url: str  # where a person checks a license on the board's site
    ask: Callable[[Board, Fetcher, str], Answer]
    pad: int = 0  # digits a number is zero-padded to (Virginia 10, New York 6)
    prefix: str = ""  # letters before the digits (Pennsylvania's "AU", unconfirmed)
    license_type: str = "Acupuncturist"
    statuses: dict[str, str] = field(default_factory=dict)
    name_format: str | None = None
    disciplined_values: tuple[str, ...] = ("Y", "YES", "TRUE")
    options: dict[str, Any] = field(default_factory=dict)  # the board's own settings
    unconfirmed: tuple[str, ...] = ()  # settings whose default is the stand-in's guess
    cadence_days: int = 30
    max_failures: int = 5
    guard_after: int = 25
    max_asked: int = 5000

    def number(self, reported: str) -> str | None:
        """A number as NPPES has it, written the board's way: the shared normalized form
        (``normalize.license_number``: no punctuation, an acupuncture prefix and leading zeros
        dropped); a number of digits alone zero-padded to ``pad`` after ``prefix``, so that
        "LAC.00326828", "au-326828" and "326828" all ask for "AU326828". None: no number."""
        core = license_number(reported)
        if not core:  # nothing, or punctuation alone ("--")
            return None
        if self.prefix and core.startswith(self.prefix) and core[len(self.prefix):].isdigit():
            core = core[len(self.prefix):].lstrip("0") or "0"  # "AU 0292130" is AU292130
        if core.isdigit():
            return self.prefix + (core.zfill(self.pad) if self.pad else core)
        return core

    def layout(self) -> Dataset:
        return Dataset(self.source_id, self.title, self.jurisdiction, portal="",
                       dataset_id=self.source_id, type_field="", where="",
                       fields={f: f for f in FIELDS}, statuses=dict(self.statuses),
                       name_format=self.name_format, disciplined_values=self.disciplined_values,
                       verify_field="verify_url", verify_url=self.verify_url)

    def records(self, number: str, answer: Answer, fetched_at: str) -> list[Any]:
        assert answer.values is not None
        values = {"license_number": number, "license_type": self.license_type,
                  **{k: v for k, v in answer.values.items() if v is not None}}
        provenance = Provenance(self.source_id, answer.url, fetched_at)
        return list(parse_row(self.layout(), values, provenance))


def _same_number(given: Any, asked: str) -> bool:
    return isinstance(given, str | int) and license_number(str(given)) == license_number(asked)


def _json(page: Page) -> Any:
    try:
        return json.loads(page.text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"the lookup answered no JSON ({exc.msg}): {page.text[:60]!r}",
                         url=page.url) from exc
    except RecursionError as exc:
        raise ParseError("the lookup answered JSON nested too deep", url=page.url) from exc


def _require_keys(row: dict[str, Any], keys: tuple[str, ...], url: str) -> None:
    """A license found must carry the keys the source reads: a renamed key would store the
    license without its name or status, over what an earlier run read."""
    missing = [k for k in keys if k not in row]
    if missing:
        raise ParseError(f"the license found has no {', '.join(missing)} (its keys: "
                         f"{', '.join(sorted(map(str, row))[:30])}): the answer changed?", url=url)


# -- Massachusetts: BORIM's JSON search ---------------------------------------------------------

def ask_borim(board: Board, fetcher: Fetcher, number: str) -> Answer:
    body = {"searchType": "BY_LICENSE_NUMBER", "licenseNumber": number, "licenseMetaId": None,
            "showOnlyAuthorizedForHerbalTherapy": False}
    origin = board.options.get("origin") or ""
    headers = {"Origin": origin, "Referer": origin.rstrip("/") + "/"} if origin else {}
    page = fetcher.post(board.url, json_body=body, headers=headers, max_bytes=ANSWER_BYTES)
    results = require(_json(page), "results", dict, url=page.url)
    rows = require(results, "data", list, url=page.url, where="results")
    wanted = re.compile(board.options["type_pattern"], re.IGNORECASE)
    for row in rows:
        if not isinstance(row, dict):
            raise ParseError("results.data holds a non-object", url=page.url)
        if _same_number(row.get("licenseNumber"), number) and \
                wanted.search(str(row.get("licenseMetaName") or "")):
            _require_keys(row, ("fullName", "profileStatus", "expirationDate"), page.url)
            return Answer(page.url, page, {
                "license_number": str(row["licenseNumber"]), "full_name": row.get("fullName"),
                "license_type": row.get("licenseMetaName"), "status": row.get("profileStatus"),
                "issued_on": row.get("originalDate"), "expires_on": row.get("expirationDate")})
    return Answer(page.url, page, None)


# -- Pennsylvania: PALS -------------------------------------------------------------------------

def ask_pals(board: Board, fetcher: Fetcher, number: str) -> Answer:
    body = {"OptPersonFacility": "Person", "ProfessionID": board.options["profession_id"],
            "LicenseTypeId": board.options["license_type_id"], "LicenseNumber": number,
            "State": "", "Country": "ALL", "County": None, "IsFacility": 0, "PersonId": None,
            "PageNo": 1}
    page = fetcher.post(board.url, json_body=body, max_bytes=ANSWER_BYTES)
    rows = _json(page)
    if not isinstance(rows, list):
        raise ParseError(f"the search answered {type(rows).__name__}, expected a list of rows",
                         url=page.url)
    names: dict[str, str] = board.options["fields"]
    for row in rows:
        if not isinstance(row, dict) or "LicenseNumber" not in row or "Status" not in row:
            raise ParseError("a row has no LicenseNumber or Status", url=page.url)
        if _same_number(row["LicenseNumber"], number):
            _require_keys(row, tuple(names[k] for k in ("last_name", "status") if k in names),
                          page.url)
            return Answer(page.url, page, {
                **{ours: row.get(theirs) for ours, theirs in names.items()},
                "license_number": str(row["LicenseNumber"])})
    return Answer(page.url, page, None)


# -- Virginia: DHP's lookup form ----------------------------------------------------------------

TOKEN_FIELD = "__RequestVerificationToken"


def _form_token(fetcher: Fetcher, url: str) -> str:
    page = fetcher.get(url, max_bytes=ANSWER_BYTES)
    found = BeautifulSoup(page.text, "lxml").select(f"input[name={TOKEN_FIELD}]")
    values = [str(t.get("value") or "") for t in found if t.get("value")]
    if not values:
        raise ParseError(f"the lookup form has no {TOKEN_FIELD} field", url=url)
    return values[-1]


def ask_dhp(board: Board, fetcher: Fetcher, number: str) -> Answer:
    tokens: dict[str, str] = board.options.setdefault("_token", {})
    for attempt in (1, 2):
        if "value" not in tokens:
            tokens["value"] = _form_token(fetcher, board.url)
        form = {TOKEN_FIELD: tokens["value"], board.options["number_field"]: number,
                **board.options["form"]}
        try:
            page = fetcher.post(board.url, form=form, max_bytes=ANSWER_BYTES)
        except HTTPStatusError as exc:
            # ASP.NET refuses a stale anti-forgery token with a 400 or a 500 (the stand-in's
            # choice is 400): read the form again, once
            if exc.status not in (400, 403, 500) or attempt == 2:
                raise
            tokens.pop("value")
            continue
        return _dhp_answer(board, fetcher, page, number)
    raise AssertionError("unreachable")


def _dhp_answer(board: Board, fetcher: Fetcher, page: Page, number: str) -> Answer:
    soup = BeautifulSoup(page.text, "lxml")
    if "/lookup/detail/" not in urlsplit(page.url).path.lower():
        links = [urljoin(page.url, str(a["href"])) for a in soup.select("a[href]")
                 if "/lookup/detail/" in str(a["href"]).lower()]
        if not links:
            if re.search(board.options["not_found_pattern"], soup.get_text(" "), re.IGNORECASE):
                return Answer(page.url, page, None)
            raise ParseError("the answer is neither a license's page, a list of them nor "
                             f"'{board.options['not_found_pattern']}'", url=page.url)
        if urlsplit(links[0]).netloc.lower() != urlsplit(page.url).netloc.lower():
            raise ParseError(f"the answer links to a license page on another host "
                             f"({urlsplit(links[0]).netloc}): not followed", url=page.url)
        page = fetcher.get(links[0], max_bytes=ANSWER_BYTES)
        soup = BeautifulSoup(page.text, "lxml")
    values = detail_values(soup, board.options["labels"])
    missing = [k for k in ("full_name", "status") if k in board.options["labels"]
               and values.get(k) is None]
    if missing:
        raise ParseError(f"the license page has no {', '.join(missing)} label: the page "
                         "changed?", url=page.url)
    if not _same_number(values.get("license_number"), number):
        raise ParseError(f"the license page shows number {values.get('license_number')!r}, "
                         f"not {number}", url=page.url)
    return Answer(page.url, page, {**values, "verify_url": page.url})


def detail_values(soup: BeautifulSoup, labels: dict[str, str]) -> dict[str, str | None]:
    """Our fields from a page of labels and values (th/td, dt/dd or label and next cell): the
    value after the first label matching each field's pattern."""
    pairs: list[tuple[str, str]] = []
    for label in soup.select("th, dt, label"):
        value = label.find_next_sibling(["td", "dd", "span", "div"])
        if value is not None:
            pairs.append((" ".join(label.get_text(" ").split()).rstrip(":"),
                          " ".join(value.get_text(" ").split())))
    if not pairs:
        raise ParseError("the license page has no labelled values (th/td, dt/dd)")
    out: dict[str, str | None] = {}
    for ours, pattern in labels.items():
        wanted = re.compile(pattern, re.IGNORECASE)
        out[ours] = next((v for k, v in pairs if wanted.fullmatch(k)), None)
    return out


# -- New York: NYSED's keyed API ----------------------------------------------------------------

def ask_nysed(board: Board, fetcher: Fetcher, number: str) -> Answer:
    key = nysed_key(board.options)
    if key is None:
        raise SourceError(f"{board.source_id}: no API key configured")
    url = build_url(board.url, {"professionCode": board.options["profession_code"],
                                "licenseNumber": number})
    try:
        page = fetcher.get(url, headers={"x-oapi-key": key}, max_bytes=ANSWER_BYTES)
    except FetchError as exc:  # an answer may quote the key back: never into a note or log
        if key in str(exc):
            exc.args = (str(exc).replace(key, "[the operator's key]"),)
        raise
    if page.status == 204:
        return Answer(url, page, None)
    answer = _json(page)
    if isinstance(answer, dict):
        _require_keys(answer, ("licenseNumber", "name", "status"), url)

    def value(name: str) -> Any:
        item = answer.get(name) if isinstance(answer, dict) else None
        return item.get("value") if isinstance(item, dict) else None

    if not _same_number(value("licenseNumber"), number):
        raise ParseError(f"the answer's licenseNumber.value is {value('licenseNumber')!r}, not "
                         f"{number}", url=url)
    return Answer(url, page, {"license_number": str(value("licenseNumber")),
                              "full_name": value("name"), "status": value("status"),
                              "issued_on": value("dateOfLicensure"),
                              "expires_on": value("registeredThroughDate")})


def nysed_key(options: dict[str, Any]) -> str | None:
    """The operator's own key: ``api_key``, else the environment variable ``api_key_env``."""
    key = options.get("api_key") or os.environ.get(options.get("api_key_env") or "", "")
    return key.strip() or None if isinstance(key, str) else None


# -- the boards ---------------------------------------------------------------------------------

BOARDS = {b.source_id: b for b in (
    Board("ma-borim", "Massachusetts Board of Registration in Medicine (acupuncture, BORIM "
          "lookup)", "MA", "https://api.medboard.mass.gov/api-public/search",
          "https://findmydoctor.mass.gov/", ask_borim, pad=5,
          options={"origin": "", "type_pattern": "acupunct"}, name_format="first middle last",
          unconfirmed=("pad", "statuses", "name_format", "type_pattern", "origin")),
    Board("pa-pals", "Pennsylvania State Board of Medicine (acupuncture, PALS lookup)", "PA",
          "https://www.pals.pa.gov/api/Search/SearchForPersonOrFacilty",
          "https://www.pals.pa.gov/#/page/search", ask_pals, pad=6, prefix="AU",
          options={"profession_id": "", "license_type_id": "", "fields": {
              "first_name": "FirstName", "middle_name": "MiddleName", "last_name": "LastName",
              "status": "Status", "disciplined": "DisciplinaryAction", "city": "City",
              "state": "State", "zip": "zipcode", "license_type": "LicenseType",
              "issued_on": "IssueDate", "expires_on": "ExpiryDate"}},
          unconfirmed=("prefix", "pad", "fields", "statuses", "disciplined_values")),
    Board("va-dhp", "Virginia Department of Health Professions (acupuncture, DHP lookup)",
          "VA", "https://dhp.virginiainteractive.org/Lookup/Index",
          "https://dhp.virginiainteractive.org/Lookup/Index", ask_dhp, pad=10,
          options={"number_field": "LicenseNumber", "form": {"submitBtn": "Search"},
                   "not_found_pattern": r"no (records|results|licensees?|matches) "
                                        r"(were )?found",
                   "labels": {"full_name": r"name", "license_number": r"license number",
                              "license_type": r"occupation|profession",
                              "status": r"(license )?status",
                              "issued_on": r"(initial|original|issue)[a-z ]*date",
                              "expires_on": r"expir[a-z ]*date"}},
          name_format="first middle last",
          unconfirmed=("number_field", "form", "not_found_pattern", "labels", "name_format",
                       "statuses")),
    Board("ny-nysed", "New York State Education Department (acupuncture, NYSED lookup; with "
          "the operator's own API key only)", "NY",
          "https://api.nysed.gov/rosa/V2/byProfessionAndLicenseNumber",
          "https://eservices.nysed.gov/professions/verification-search", ask_nysed, pad=6,
          options={"profession_code": "025", "api_key": "", "api_key_env": "NYSED_API_KEY"},
          name_format="first middle last", statuses={"REGISTERED": "active",
                                                     "NOT REGISTERED": "inactive"},
          unconfirmed=("statuses", "name_format")),
)}

SHARED_SETTINGS: dict[str, Any] = {
    "url": str, "verify_url": str, "license_type": str, "statuses": dict, "name_format": str,
    "disciplined_values": list, "cadence_days": int, "max_failures": int, "guard_after": int,
    "max_asked": int, "pad": int, "prefix": str}
# Read by others: the scheduler, the runner, and ``check`` (a number the board is known to have).
OTHER_SETTINGS = {"states", "every", "retry", "volume_guard", "probe_number"}
NAME_FORMATS = ("last, first middle", "first middle last")


def configure(base: Board, settings: dict[str, Any]) -> Board:
    """``base`` with the operator's ``[sources.<id>]`` settings; ValueError naming a bad one."""
    where = f"[sources.{base.source_id}]"
    known = {*SHARED_SETTINGS, *base.options}
    unknown = set(settings) - known - OTHER_SETTINGS
    if unknown:
        raise ValueError(f"unknown setting(s) for {base.source_id}: {', '.join(sorted(unknown))}"
                         f" (known: {', '.join(sorted(k for k in known if k[0] != '_'))})")
    changes: dict[str, Any] = {}
    options = dict(base.options)
    for name, value in settings.items():
        if name in OTHER_SETTINGS:
            continue
        wanted = SHARED_SETTINGS.get(name) or type(base.options[name])
        if isinstance(value, bool) or not isinstance(value, wanted):
            shown = "(not shown)" if name == "api_key" else repr(value)
            raise ValueError(f"{where} {name} = {shown} must be a {wanted.__name__}")
        if isinstance(value, int) and value < 0:
            raise ValueError(f"{where} {name} must not be negative")
        if name == "cadence_days" and value > 3650:
            raise ValueError(f"{where} cadence_days = {value} is over ten years (3650)")
        if name in base.options:
            options[name] = {**base.options[name], **value} if isinstance(value, dict) else value
        elif name == "disciplined_values":
            changes[name] = tuple(str(v).upper() for v in value)
        elif name == "statuses":
            changes[name] = {str(k).upper(): v for k, v in {**base.statuses, **value}.items()}
        else:
            changes[name] = value
    options["_token"] = {}  # Virginia's form token, read once a run
    cfg = replace(base, options=options, **changes)
    bad = {k: v for k, v in cfg.statuses.items() if v not in STATUS_VOCABULARY}
    if bad:
        raise ValueError(f"{where} statuses: {bad} must map onto {', '.join(STATUS_VOCABULARY)}")
    if cfg.name_format is not None and cfg.name_format not in NAME_FORMATS:
        raise ValueError(f"{where} name_format must be one of {', '.join(NAME_FORMATS)}")
    for name in ("type_pattern", "not_found_pattern"):
        if name in options:
            try:
                re.compile(options[name])
            except re.error as exc:
                raise ValueError(f"{where} {name}: {exc}") from exc
    return cfg


# -- the source ---------------------------------------------------------------------------------

class LookupSource(Source):
    """A board asked one license number at a time."""

    SINK = SINK
    EVERY = timedelta(days=1)  # a run asks only what is due: most days, little or nothing

    def __init__(self, board: Board):
        self.board = board
        self.SOURCE_ID = board.source_id
        self.TITLE = board.title
        self.BASE_URL = board.url
        self.JURISDICTION = board.jurisdiction
        self.verify_url = board.verify_url

    def __repr__(self) -> str:
        return f"<lookup {self.SOURCE_ID}>"

    def configured(self, settings: dict[str, Any]) -> Board:
        return configure(self.board, settings)

    def is_default(self, settings: dict[str, Any]) -> bool:
        """New York runs only with the operator's own key."""
        if self.board.ask is ask_nysed:
            return nysed_key({**self.board.options, **settings}) is not None
        return True

    def scrape(self, fetcher: Fetcher, ctx: SourceContext) -> Iterator[Any]:
        board = self.configured(ctx.settings)
        if board.ask is ask_nysed and nysed_key(board.options) is None:
            raise SourceError(f"{self.SOURCE_ID}: not run: no API key of the operator's own is "
                              f"configured ([sources.{self.SOURCE_ID}] api_key, or the "
                              f"environment variable {board.options['api_key_env'] or '?'})")
        numbers: dict[str, set[str]] = {}  # the board's number -> NPPES's, normalized
        unreadable = 0
        for reported in ctx.reported_license_numbers(board.jurisdiction):
            number, key = board.number(reported), license_number(reported)
            if not number or not key:
                unreadable += 1
            else:
                numbers.setdefault(number, set()).add(key)
        if not numbers:  # nothing to ask is no finding: NPPES not read yet, or read wrongly
            raise SourceError(f"{self.SOURCE_ID}: NPPES lists no acupuncture license number for "
                              f"{board.jurisdiction}{f' ({unreadable} unreadable)' if unreadable else ''}"
                              ": run nppes first; nothing asked")
        answers = ctx.lookup_answers()
        cutoff = (datetime.now(UTC) - timedelta(days=board.cadence_days)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        due = [n for n in sorted(numbers) if (answers.get(n, (None, None))[1] or "") <= cutoff]
        # A number that failed last time (asked, never answered) goes last: a few numbers the
        # board always fails must not stop every run before it reaches the others.
        failed_before = {n for n, (answer, _) in answers.items() if answer is None}
        due.sort(key=lambda n: n in failed_before)
        found_before = sum(1 for answer, _ in answers.values() if answer == "found")
        yield RunNote(f"{len(numbers):,} {board.jurisdiction} numbers reported to NPPES"
                      f"{f' ({unreadable} unreadable)' if unreadable else ''}; {len(due):,} due "
                      f"(no answer in {board.cadence_days} days)"
                      + (f"; {board.max_asked:,} asked this run" if len(due) > board.max_asked
                         else ""))
        tally: Counter[str] = Counter()
        held: list[PageStep] = []  # "no such license" answers held until one is found
        try:
            for number in due[:board.max_asked]:
                part = f"lookup:{board.jurisdiction}:{number}"
                saved, finished = checkpoint(ctx, part, finished=("done", "incomplete"))
                if finished and saved is not None:
                    tally["before"] += 1
                    continue
                try:
                    step = self._ask(board, fetcher, ctx, number, part, numbers[number])
                except RetriesExhausted as exc:  # the board asked for a quiet we do not wait
                    yield from held  # real answers, asked before the board asked for quiet
                    yield RunNote(_counts(tally))
                    raise SourceError(f"{self.SOURCE_ID}: the board asks us to stop for now "
                                      f"({exc}); what was answered is kept, the rest is asked "
                                      "next run") from exc
                assert step.state is not None
                outcome = "failed" if step.state.state == "incomplete" else \
                    json.loads(step.state.note or "{}").get("answer", "failed")
                tally["asked"] += 1
                tally[outcome] += 1
                tally["failed_in_row"] = tally["failed_in_row"] + 1 if outcome == "failed" else 0
                if outcome == "not_found" and found_before and not tally["found"] \
                        and board.guard_after:
                    held.append(step)
                    if len(held) >= board.guard_after:
                        held.clear()
                        raise VolumeCollapse(
                            f"{self.SOURCE_ID}: the first {board.guard_after} numbers asked "
                            f"all came back 'no such license', where earlier runs found "
                            f"{found_before:,}: a changed lookup? None of them recorded; check "
                            f"with `practitioners check {self.SOURCE_ID}`; set guard_after = 0 "
                            "if the drop is real")
                    continue
                if outcome == "found":
                    yield from held
                    held.clear()
                yield step
                if board.max_failures and tally["failed_in_row"] >= board.max_failures:
                    raise SourceError(f"{self.SOURCE_ID}: {board.max_failures} lookups in a row "
                                      f"failed, the last: {step.state.note}; what was answered "
                                      "is kept")
            yield from held
            held.clear()
        except BotChallenge:
            yield from held  # real answers, asked before the challenge
            yield RunNote(_counts(tally, gated=True))
            raise
        yield RunNote(_counts(tally))

    def _ask(self, board: Board, fetcher: Fetcher, ctx: SourceContext, number: str,
             part: str, reported: set[str]) -> PageStep:
        try:
            answer = board.ask(board, fetcher, number)
        except RetriesExhausted as exc:
            if exc.status in (429, 503) and "Retry-After" in str(exc):
                raise
            return self._failed(board, part, exc)
        except NUMBER_FAILURES as exc:
            return self._failed(board, part, exc)
        return self._answered(board, ctx, number, part, reported, answer)

    def _failed(self, board: Board, part: str, exc: Exception) -> PageStep:
        number = part.rsplit(":", 1)[1]
        message = f"{board.jurisdiction} {number}: failed: {exc}"
        log.info("%s: %s", self.SOURCE_ID, message)
        return PageStep(part, board.url, None, [], 0, PartState(part, "incomplete", 0, message))

    def _answered(self, board: Board, ctx: SourceContext, number: str, part: str,
                  reported: set[str], answer: Answer) -> PageStep:
        fetched_at = ctx.timestamp(answer.page.fetched_at)
        note: dict[str, Any] = {"answer": "not_found", "key": license_number(number),
                                "reported": sorted(reported)}
        records: list[Any] = []
        if answer.values is not None:
            records = board.records(number, answer, fetched_at)
            found = next((r for r in records if isinstance(r, License)), None)
            if found is None:  # a license we cannot store costs this number, as a reject
                reason = "; ".join(r.reason for r in records if isinstance(r, Reject))
                return PageStep(part, answer.url, None, records, len(records), PartState(
                    part, "incomplete", 0, f"{board.jurisdiction} {number}: failed: {reason}"))
            note.update(answer="found", key=found.license_number_normalized,
                        license_id=found.license_id)
        return PageStep(part, answer.url, None, records, len(records),
                        PartState(part, "done", 0, json.dumps(note, sort_keys=True)))

    def check(self, fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
        """One known-good probe when ``probe_number`` is given (``practitioners check``
        settings), else the shape of the answer to a number no board issues: reachable,
        robots.txt, no challenge, the answer's shape; and the settings still unconfirmed."""
        report = CheckReport(self.SOURCE_ID)
        probe_number = settings.get("probe_number")
        board = self.configured(settings)
        if board.ask is ask_nysed and nysed_key(board.options) is None:
            report.skip("no API key of the operator's own is configured: the source is not run")
            return report
        report.notes.append("unconfirmed settings (the stand-in's choice until a live answer "
                            "confirms them): " + ", ".join(board.unconfirmed))
        number = (board.number(str(probe_number)) if probe_number else None) or \
            "0" * max(board.pad, 6)
        try:
            answer = board.ask(board, fetcher, number)
        except BotChallenge as exc:
            report.set("reachable", True, "answered")
            report.set("challenge", False, str(exc))
            return report
        except (RobotsDisallowed, RobotsUnreachable) as exc:
            report.set("robots", False, str(exc))
            return report
        except ParseError as exc:
            report.set("reachable", True, "answered")
            report.set("fields", False, str(exc))
            return report
        except FetchError as exc:
            report.set("reachable", False, str(exc))
            return report
        report.set("reachable", True, f"HTTP {answer.page.status}")
        report.set("robots", True, "allowed")
        report.set("challenge", True, "none met")
        report.set("fields", True, "the answer has the shape the source reads")
        if answer.values is None:
            report.set("record", None if not probe_number else False,
                       f"{number}: the board has no such license")
        else:
            record = next((r for r in board.records(number, answer, "")
                           if isinstance(r, License)), None)
            report.set("record", record is not None, f"{number}: {record.display_name}, "
                       f"{record.status} (expires {record.expires_on or '?'})" if record
                       else f"{number}: the answer gave no license")
            empty = [name for name in ("last_name", "status", "issued_on", "expires_on")
                     if record is not None and getattr(record, name) is None]
            if empty:
                report.notes.append(f"the license came back without {', '.join(empty)}: are "
                                    "the unconfirmed settings right?")
        return report


def _counts(tally: Counter[str], gated: bool = False) -> str:
    text = (f"asked {tally['asked']:,}: {tally['found']:,} found, {tally['not_found']:,} not "
            f"found (the board has no such license), {tally['failed']:,} failed")
    if tally["before"]:
        text += f"; {tally['before']:,} answered before the run was resumed"
    if gated:
        text += "; stopped by a bot challenge, the rest left for the next run"
    return text


def sources() -> dict[str, LookupSource]:
    return {source_id: LookupSource(board) for source_id, board in BOARDS.items()}
