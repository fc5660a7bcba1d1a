"""State license boards' open data on Socrata portals (SODA 2): one adapter, one config each.

Pages: ``GET https://<portal>/resource/<id>.json?$where=...&$order=:id&$limit=N&$offset=K``
(a JSON array; every value a string, a url column an object ``{"url": ...}``; a null field is
left out of its object) and the dataset's metadata ``GET https://<portal>/api/views/<id>.json``
(``columns[].fieldName``, ``rowsUpdatedAt``: an unchanged dataset costs one request).

Every run checks the live dataset before it stores anything (2026-12: the configurations
shipped until then matched nothing in three of the five real datasets, silently):
- every mapped field is among the metadata's columns, else the run fails naming the missing
  field and the fields that exist;
- ``$select=<type field>, count(*)&$group=<type field>`` with the acupuncture ``where`` says
  which values matched and how many rows (written to the run's notes); none matched fails the
  run, naming the values that look close;
- far fewer rows than the last complete run read (under ``volume_guard``, default half) make
  the run ``suspect``: nothing stored, nothing marked gone.

Quirks, as documented and seen:
- 2026-05: without an app token (``$PRACTITIONERS_SOCRATA_APP_TOKEN``, sent as
  ``X-App-Token``) the portals throttle with 429; the HTTP layer waits out Retry-After.
- Colorado (7s5z-vewr): one row per discipline case, the license repeated on each; license
  numbers unique only within a type; ``licensetype`` a short code; ``linktoverifylicense``
  the board's page for the license.
- Connecticut: ``name`` is "FIRST M LAST"; Texas: ``first_name`` may carry the middle initial
  ("ADA M") and discipline is ``disciplinary_status`` other than NONE; Illinois: dates are
  text MM/DD/YYYY and the license title is ``description``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..check import CheckReport, probe
from ..config import DEFAULT_VOLUME_GUARD
from ..http import Fetcher, FetchError, build_url
from ..models import DisciplinaryAction, License, Page, Provenance, Reject
from ..normalize import clean, iso_date, license_number, license_status, zip5
from ..parsing import ParseError
from .base import (
    DAY,
    PageStep,
    PartState,
    RunNote,
    ScopeDone,
    Source,
    SourceContext,
    SourceError,
    SourceUnchanged,
    VolumeCollapse,
)

log = logging.getLogger(__name__)

APP_TOKEN_ENV = "PRACTITIONERS_SOCRATA_APP_TOKEN"
SINK = "licenses"


@dataclass(frozen=True)
class Dataset:
    """How one board's dataset maps onto ``licenses`` (field names are the dataset's own)."""

    source_id: str
    title: str
    jurisdiction: str
    portal: str  # "https://data.wa.gov"
    dataset_id: str
    # The field whose values mark an acupuncture license, and the SoQL that selects them. Where
    # the value is unconfirmed the selection is a pattern, and every run reads what it matched.
    type_field: str
    where: str
    fields: dict[str, str]  # our name -> dataset field (license_number, last_name, status...)
    # The field whose values the run's notes count (the license title), when not type_field.
    title_field: str | None = None
    statuses: dict[str, str] = field(default_factory=dict)  # extra status words of this board
    # How a name in one field (``full_name``) is ordered: "last, first middle" or
    # "first middle last"; "first middle" when the first-name field carries the middle too.
    name_format: str | None = None
    first_name_format: str | None = None
    # Fields whose presence marks a discipline case row (Colorado).
    case_fields: dict[str, str] = field(default_factory=dict)
    disciplined_values: tuple[str, ...] = ()  # values of the "disciplined" field meaning yes
    undisciplined_values: tuple[str, ...] = ()  # ... or the values meaning no (Texas: NONE)
    type_titles: dict[str, str] = field(default_factory=dict)  # a type code -> its title
    # The board's page for one license: the dataset's own link field, else a lookup page.
    verify_field: str | None = None
    verify_url: str | None = None
    # A run reading fewer rows than this share of the last complete run's stores nothing.
    volume_guard: float = DEFAULT_VOLUME_GUARD
    page_size: int = 5000

    def resource_url(self, portal: str | None = None) -> str:
        return f"{(portal or self.portal).rstrip('/')}/resource/{self.dataset_id}.json"

    def metadata_url(self, portal: str | None = None) -> str:
        return f"{(portal or self.portal).rstrip('/')}/api/views/{self.dataset_id}.json"

    def mapped_fields(self) -> list[str]:
        """Every dataset field the configuration names (all must exist in the dataset)."""
        named = [self.type_field, *([self.title_field] if self.title_field else []),
                 *self.fields.values(), *self.case_fields.values(),
                 *([self.verify_field] if self.verify_field else [])]
        return list(dict.fromkeys(named))


# Evidence for every field and value below: ../shared/SOURCES-EVIDENCE.md (2026-12-01), from
# public code and catalogs that read these datasets. Values marked "unconfirmed" there are
# matched by pattern here, and each run writes what matched into its notes.
DATASETS = {d.source_id: d for d in (
    Dataset(
        "wa-doh", "Washington DOH health care provider credentials", "WA",
        "https://data.wa.gov", "qxh8-f4bd",
        # Title case ("Physician And Surgeon License"); the profession was renamed in 2010 and
        # 2019 (Acupuncturist, East Asian Medicine Practitioner, Acupuncture and Eastern
        # Medicine Practitioner): every name it had is matched, in any case.
        type_field="credentialtype",
        where="upper(credentialtype) like '%ACUPUNCT%' "
              "or upper(credentialtype) like '%EAST ASIAN MEDICINE%' "
              "or upper(credentialtype) like '%EASTERN MEDICINE%'",
        fields={"license_number": "credentialnumber", "last_name": "lastname",
                "first_name": "firstname", "middle_name": "middlename",
                "license_type": "credentialtype", "status": "status",
                "issued_on": "firstissuedate", "expires_on": "expirationdate",
                "disciplined": "actiontaken"},
        disciplined_values=("YES", "Y"),
        verify_url="https://fortress.wa.gov/doh/providercredentialsearch/",
    ),
    Dataset(
        "co-dora", "Colorado DORA professional and occupational licenses", "CO",
        "https://data.colorado.gov", "7s5z-vewr",
        # licensetype holds short codes (EC, ME, COS...); the acupuncture code is unconfirmed.
        type_field="licensetype",
        where="licensetype in ('AC', 'ACU')",
        fields={"license_number": "licensenumber", "last_name": "lastname",
                "first_name": "firstname", "middle_name": "middlename",
                "license_type": "licensetype", "status": "licensestatusdescription",
                "issued_on": "licensefirstissuedate", "expires_on": "licenseexpirationdate",
                "city": "city", "state": "state", "zip": "mailzipcode"},
        case_fields={"case_number": "casenumber", "action": "programaction",
                     "effective_on": "disciplineeffectivedate"},
        # Numbers are unique only within a type: were both codes there, one title would
        # give two licenses one key. The shown title is for the code we think likelier.
        type_titles={"AC": "Acupuncturist"},
        verify_field="linktoverifylicense",
    ),
    Dataset(
        "ct-dph", "Connecticut DPH state licenses and credentials", "CT",
        "https://data.ct.gov", "ngch-56tr",
        # `type` is INDIVIDUAL / BUSINESS / LLC; the title is in `credential`.
        type_field="credential",
        where="upper(credential) like '%ACUPUNCT%'",
        fields={"license_number": "credentialnumber", "full_name": "name",
                "license_type": "credential", "status": "status", "issued_on": "issuedate",
                "expires_on": "expirationdate", "city": "city", "state": "state",
                "zip": "zip"},
        name_format="first middle last",
        verify_url="https://www.elicense.ct.gov/Lookup/LicenseLookup.aspx",
    ),
    Dataset(
        "tx-tmb", "Texas Medical Board all licenses (acupuncturists)", "TX",
        "https://data.texas.gov", "tm3v-pfq9",
        type_field="license_type",
        where="upper(license_type) like '%ACUPUNCT%'",
        fields={"license_number": "license_number", "last_name": "last_name",
                "first_name": "first_name", "license_type": "license_type",
                "status": "license_status", "issued_on": "license_issue_date",
                "expires_on": "license_expiration_date", "city": "practice_city",
                "state": "practice_state", "zip": "practice_zip",
                "disciplined": "disciplinary_status"},
        first_name_format="first middle",  # "ADA M"
        undisciplined_values=("NONE",),
        verify_url="https://profile.tmb.state.tx.us/",
    ),
    Dataset(
        "il-idfpr", "Illinois IDFPR professional licenses", "IL",
        "https://data.illinois.gov", "pzzh-kp68",
        # license_type is the profession group (ACUPUNCTURE, seen in the list of groups);
        # the license title is in `description`.
        type_field="license_type",
        where="license_type = 'ACUPUNCTURE' and (business is null or business != 'Y')",
        title_field="description",
        fields={"license_number": "license_number", "last_name": "last_name",
                "first_name": "first_name", "middle_name": "middle",
                "license_type": "description", "status": "license_status",
                "issued_on": "original_issue_date", "expires_on": "expiration_date",
                "city": "city", "state": "state", "zip": "zip",
                "disciplined": "ever_disciplined"},
        disciplined_values=("Y", "YES"),
        verify_url="https://online-dfpr.micropact.com/lookup/licenselookup.aspx",
    ),
)}


# -- parsing (pure) ---------------------------------------------------------------------------

SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV", "V"})
# Letters after a name, which a board sometimes writes into it ("JANE DOE L.AC.").
DEGREES = frozenset({"LAC", "DIPLAC", "DAOM", "DACM", "MSOM", "MSTCM", "MAOM", "OMD", "MD",
                     "DC", "ND", "PHD", "RN", "NP", "DO", "LMT"})
# Words that begin a last name of more than one word ("DE LA CRUZ", "VAN DYKE").
PARTICLES = frozenset({"DA", "DE", "DEL", "DELA", "DER", "DI", "DOS", "DU", "LA", "LE", "ST",
                       "VAN", "VON", "MC", "MAC", "BIN", "AL", "EL"})


def split_name(full: str | None, order: str = "last, first middle",
               ) -> tuple[str | None, str | None, str | None]:
    """A name in one field as (first, middle, last): "LAST, FIRST M" or, in the order
    "first middle last", "FIRST M LAST" (a trailing suffix such as JR and letters such as
    L.AC. are left out; "DE LA CRUZ" stays one last name; a comma still means LAST, FIRST)."""
    text = clean(full)
    if text is None:
        return None, None, None
    if order == "first middle last" and "," in text:
        head, _, tail = text.partition(",")
        tail_words = {w.upper().replace(".", "") for w in tail.split()}
        if not tail_words or tail_words <= SUFFIXES | DEGREES:  # "JOHN SMITH, JR."
            text = head
        else:  # the board wrote it the other way round this time: "SMITH, JOHN"
            order = "last, first middle"
    if order == "first middle last":
        words = text.split()
        while len(words) > 2 and words[-1].upper().replace(".", "") in SUFFIXES | DEGREES:
            words.pop()
        if len(words) == 1:
            return None, None, words[0]
        start = len(words) - 1
        while start > 1 and words[start - 1].upper().rstrip(".") in PARTICLES:
            start -= 1
        return words[0], " ".join(words[1:start]) or None, " ".join(words[start:])
    last, _, rest = text.partition(",")
    given = rest.split()
    return (given[0] if given else None, " ".join(given[1:]) or None, clean(last))


def link(value: Any) -> str | None:
    """A Socrata url value ({"url": ..., "description": ...}, or plain text) when it is an
    http(s) link; anything else (a ``javascript:`` link, a bare word) is not shown to people."""
    url = value.get("url") if isinstance(value, dict) else value
    text = clean(url) if isinstance(url, str) else None
    if text is None:
        return None
    parts = urlsplit(text)
    return text if parts.scheme in ("http", "https") and parts.hostname else None


def parse_row(dataset: Dataset, row: dict[str, Any], provenance: Provenance,
              ) -> list[License | DisciplinaryAction | Reject]:
    """One SODA row as a License (and its discipline case), or a Reject saying why not."""

    def get(name: str) -> str | None:
        source_field = dataset.fields.get(name)
        value = row.get(source_field) if source_field else None
        return clean(value) if not isinstance(value, dict | list) else None

    def reject(reason: str, stored: bool = False) -> list[Any]:
        return [Reject(dataset.source_id, reason, row, provenance, stored)]

    number = get("license_number")
    if number is None:
        return reject("no license number")
    normalized = license_number(number)
    assert normalized is not None  # number is clean() text, never empty: it normalizes to some text
    # A value we cannot read costs that value, never the license: a license left out would be
    # marked gone. The row goes to rejects too, with what was wrong and what was stored.
    problems: list[str] = []
    status = get("status")
    status_normalized = license_status(status, dataset.statuses)
    if status_normalized is None:
        problems.append(f"unknown status {status!r} (stored as unknown)")
        status_normalized = "unknown"
    dates: dict[str, str | None] = {}
    for name in ("issued_on", "expires_on"):
        try:
            dates[name] = iso_date(get(name))
        except ValueError as exc:
            problems.append(f"{dataset.fields[name]}: {exc} (stored without it)")
            dates[name] = None
    first, middle, last = get("first_name"), get("middle_name"), get("last_name")
    if first and dataset.first_name_format == "first middle":
        # "ADA M": a middle initial after the first name; "MARY ANN" is one first name.
        given, _, initial = first.rpartition(" ")
        if given and len(initial.rstrip(".")) == 1:
            first, middle = given, middle or initial.rstrip(".")
    full = get("full_name")
    if full and dataset.name_format:
        first, middle, last = split_name(full, dataset.name_format)
    if not (last or full):
        problems.append("no name (stored without one)")
    # Texas writes "NONE" for no discipline: a word clean() would read as no value at all.
    raw_flag = row.get(dataset.fields.get("disciplined", ""))
    flag = " ".join(raw_flag.split()) or None if isinstance(raw_flag, str) else None
    case = {k: clean(row.get(v)) for k, v in dataset.case_fields.items()}
    if flag is not None and dataset.undisciplined_values:
        disciplined: bool | None = flag.upper() not in dataset.undisciplined_values
    elif flag is not None:
        disciplined = flag.upper() in dataset.disciplined_values
    elif dataset.case_fields:
        disciplined = any(case.values())
    else:
        disciplined = None
    license_type = get("license_type")
    verify = link(row.get(dataset.verify_field)) if dataset.verify_field else None
    record = License(
        jurisdiction=dataset.jurisdiction,
        license_type=dataset.type_titles.get(license_type or "", license_type or "Acupuncturist"),
        license_number=number, license_number_normalized=normalized,
        first_name=first, middle_name=middle, last_name=last, full_name=full,
        status=status, status_normalized=status_normalized,
        issued_on=dates["issued_on"], expires_on=dates["expires_on"],
        city=get("city"), state=get("state"), zip=zip5(get("zip")) or get("zip"),
        disciplined=disciplined, dataset_id=dataset.dataset_id, provenance=provenance,
        verify_url=verify or dataset.verify_url,
        address=", ".join(p for p in (get("address_1"), get("address_2")) if p) or None,
        school=get("school"), degree=get("degree"), graduated=get("graduated"),
    )
    out: list[Any] = [record, *(reject("; ".join(problems), True) if problems else [])]
    if any(case.values()):
        try:
            effective = iso_date(case.get("effective_on"))
        except ValueError as exc:
            out += reject(f"discipline date: {exc} (case stored without it)", True)
            effective = None
        out.append(DisciplinaryAction(record.license_id, dataset.jurisdiction,
                                      case.get("case_number"), case.get("action"), effective,
                                      provenance))
    return out


def parse_page(dataset: Dataset, text: str, url: str, fetched_at: str) -> tuple[int, list[Any]]:
    """A SODA answer: (rows on the page, records and rejects)."""
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"answer is not JSON ({exc.msg} at char {exc.pos})", url=url) from exc
    if isinstance(rows, dict) and rows.get("error"):
        raise ParseError(f"SODA error: {rows.get('message', rows)}", url=url)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ParseError("expected a JSON array of row objects", url=url)
    provenance = Provenance(dataset.source_id, url, fetched_at)
    records: list[Any] = []
    for row in rows:
        records.extend(parse_row(dataset, row, provenance))
    return len(rows), records


# -- walking ------------------------------------------------------------------------------------

SETTING_TYPES: dict[str, Any] = {
    "portal": str, "where": str, "type_field": str, "dataset_id": str, "verify_url": str,
    "fields": dict, "statuses": dict, "type_titles": dict, "page_size": int,
    "volume_guard": (int, float)}


class SocrataSource(Source):
    """A state board's dataset on a Socrata portal, as a source."""

    SINK = SINK
    EVERY = DAY
    SETTINGS = ("portal", "where", "type_field", "page_size", "dataset_id", "fields",
                "statuses", "type_titles", "verify_url", "volume_guard")

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self.SOURCE_ID = dataset.source_id
        self.TITLE = dataset.title
        self.BASE_URL = dataset.resource_url()
        self.JURISDICTION = dataset.jurisdiction

    def configured(self, settings: dict[str, Any]) -> Dataset:
        unknown = set(settings) - set(self.SETTINGS) - {"states", "every", "retry"}  # scheduler's
        if unknown:
            raise ValueError(f"unknown setting(s) for {self.SOURCE_ID}: "
                             f"{', '.join(sorted(unknown))} (known: {', '.join(self.SETTINGS)})")
        changes = {k: v for k, v in settings.items() if k in self.SETTINGS}
        for name, value in changes.items():
            wanted = SETTING_TYPES[name]
            if isinstance(value, bool) or not isinstance(value, wanted) or (
                    isinstance(value, dict) and not all(
                        isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
                kind = "a table of texts" if wanted is dict else (
                    "a number" if wanted == (int, float) or wanted is int else "a text")
                raise ValueError(f"[sources.{self.SOURCE_ID}] {name} = {value!r} must be {kind}")
        if not 1 <= changes.get("page_size", 1) <= 50_000:  # SODA 2.0 answers at most 50,000
            raise ValueError(f"[sources.{self.SOURCE_ID}] page_size must be 1 to 50000")
        for name in ("fields", "type_titles"):
            if name in changes:
                changes[name] = {**getattr(self.dataset, name), **changes[name]}
        return replace(self.dataset, **changes)

    def parse(self, path: Path, url: str, settings: dict[str, Any]) -> Iterator[Any]:
        """A saved page of the dataset's rows (SODA JSON)."""
        text = path.read_bytes().decode("utf-8", errors="replace")
        yield from parse_page(self.configured(settings), text, url or self.BASE_URL, "")[1]

    def scrape(self, fetcher: Fetcher, ctx: SourceContext) -> Iterator[Any]:
        dataset = self.configured(ctx.settings)
        headers = _headers()
        # What the rows were read with: new settings (a corrected where) mean reading again.
        settings_hash = hashlib.sha256(json.dumps(
            [dataset.where, dataset.fields, dataset.statuses, dataset.case_fields,
             dataset.type_titles, dataset.verify_field, dataset.verify_url, dataset.name_format],
            sort_keys=True).encode()).hexdigest()[:16]
        # Before anything is stored: the dataset still has every field we read...
        metadata = fetch_metadata(fetcher, dataset, headers)
        missing_fields(dataset, metadata, raise_error=True)
        updated = f"{metadata['rowsUpdatedAt']}|{settings_hash}"
        if ctx.state("rows_updated_at") == updated and ctx.checkpoint("rows") is None:
            log.info("%s: unchanged since %s; rows not downloaded", self.SOURCE_ID, updated)
            yield SourceUnchanged(self.SOURCE_ID, note=f"rowsUpdatedAt {updated} unchanged")
            return
        saved = ctx.checkpoint("rows")
        resuming = saved is not None and saved.note == updated
        if not resuming:
            # ... the selection still matches acupuncture licenses, and about as many as before.
            matched = fetch_type_counts(fetcher, dataset, headers, dataset.title_field)
            yield RunNote(describe_counts(dataset, matched))
            if not matched:
                raise SourceError(no_match_message(dataset, fetch_type_counts(
                    fetcher, replace(dataset, where=""), headers)))
            expected = sum(matched.values())
            before = ctx.state("rows_read")
            if before and expected < dataset.volume_guard * int(before):
                raise VolumeCollapse(
                    f"{dataset.dataset_id}: `{dataset.where}` now selects {expected:,} rows, "
                    f"under {dataset.volume_guard:.0%} of the {int(before):,} the last complete "
                    "run read; nothing stored or marked gone (a changed dataset or a broken "
                    "selection?). Check with `practitioners check "
                    f"{self.SOURCE_ID}`; if the drop is real, set volume_guard = 0 once.")
        offset = saved.next_skip if resuming and saved is not None else 0
        base = dataset.resource_url()
        while True:
            url = build_url(base, {"$where": dataset.where, "$order": ":id",
                              "$limit": dataset.page_size, "$offset": offset})
            page = fetcher.get(url, headers=headers)
            count, records = parse_page(dataset, page.text, url, ctx.timestamp(page.fetched_at))
            offset += count
            done = count < dataset.page_size
            yield PageStep("rows", url, page, records, count).finish(
                "done" if done else "pending", next_skip=offset, note=updated)
            if done:
                break
        # Offsets only line up if the rows did not change while we paged through them.
        after = f"{fetch_metadata(fetcher, dataset, headers)['rowsUpdatedAt']}|{settings_hash}"
        if after != updated:
            yield PartState("rows", "incomplete", note=f"{self.SOURCE_ID}: the dataset changed "
                            "while it was read; nothing marked gone, read again next run")
            yield ScopeDone(self.SOURCE_ID, complete=False)
            return
        yield ScopeDone(self.SOURCE_ID, complete=True,
                        state={"rows_updated_at": updated, "rows_read": str(offset)})

    def check(self, fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
        """The live dataset against this configuration: fields, what the selection matches,
        one row parsed. Three to five requests; nothing stored."""
        report = CheckReport(self.SOURCE_ID)
        dataset = self.configured(settings)
        headers = _headers()
        page = probe(fetcher, report, dataset.metadata_url(), headers=headers)
        if page is None:
            return report
        try:
            metadata = _metadata(page)
        except ParseError as exc:
            report.set("fields", False, str(exc))
            return report
        missing = missing_fields(dataset, metadata)
        report.set("fields", not missing, f"missing: {', '.join(missing)}; the dataset has: "
                   f"{', '.join(columns(metadata))}" if missing
                   else f"all {len(dataset.mapped_fields())} mapped fields present")
        if missing:
            return report
        try:
            matched = fetch_type_counts(fetcher, dataset, headers, dataset.title_field)
            if not matched:
                report.set("values", False, no_match_message(dataset, fetch_type_counts(
                    fetcher, replace(dataset, where=""), headers)))
                return report
            report.set("values", True, describe_counts(dataset, matched))
            url = build_url(dataset.resource_url(), {"$where": dataset.where, "$order": ":id",
                                                     "$limit": 1})
            one = fetcher.get(url, headers=headers)
            _, records = parse_page(dataset, one.text, url, "")
        except (FetchError, ParseError, SourceError) as exc:
            item = "record" if report.get("values")[0] else "values"
            report.set(item, False, str(exc))
            return report
        licenses = [r for r in records if isinstance(r, License)]
        if not licenses:
            report.set("record", False, f"the first row gave no license: {records}")
        else:
            lic = licenses[0]
            report.set("record", True, f"{lic.license_type} {lic.license_number}: "
                       f"{lic.last_name or lic.full_name}, {lic.status} "
                       f"(expires {lic.expires_on or '?'})")
        return report


def _headers() -> dict[str, str] | None:
    token = os.environ.get(APP_TOKEN_ENV)
    return {"X-App-Token": token} if token else None


def _metadata(page: Page) -> dict[str, Any]:
    try:
        metadata = json.loads(page.text)
        metadata["rowsUpdatedAt"]  # noqa: B018 - must be there
        if not isinstance(metadata.get("columns"), list):
            raise TypeError("no columns list")
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(f"dataset metadata without rowsUpdatedAt or columns: {exc}",
                         url=page.url) from exc
    return metadata


def fetch_metadata(fetcher: Fetcher, dataset: Dataset,
                   headers: dict[str, str] | None) -> dict[str, Any]:
    return _metadata(fetcher.get(dataset.metadata_url(), headers=headers))


def columns(metadata: dict[str, Any]) -> list[str]:
    return [c["fieldName"] for c in metadata["columns"]
            if isinstance(c, dict) and isinstance(c.get("fieldName"), str)]


def missing_fields(dataset: Dataset, metadata: dict[str, Any], *,
                   raise_error: bool = False) -> list[str]:
    """The configured fields the dataset does not have (a renamed field would otherwise be
    stored as empty on every license, silently)."""
    present = set(columns(metadata))
    missing = [f for f in dataset.mapped_fields() if f not in present]
    if missing and raise_error:
        raise SourceError(
            f"{dataset.dataset_id} has no field {', '.join(missing)} (configured for "
            f"{dataset.source_id}); its fields are: {', '.join(sorted(present))}")
    return missing


def fetch_type_counts(fetcher: Fetcher, dataset: Dataset, headers: dict[str, str] | None,
                      field: str | None = None) -> dict[str, int]:
    """{value of ``field`` (the type field): rows} among the rows ``dataset.where`` selects
    (all rows when it is empty): one grouped query."""
    field = field or dataset.type_field
    params: dict[str, str | int] = {"$select": f"{field}, count(*) AS n",
                                    "$group": field, "$limit": 50_000}
    if dataset.where:
        params["$where"] = dataset.where
    url = build_url(dataset.resource_url(), params)
    page = fetcher.get(url, headers=headers)
    try:
        groups = json.loads(page.text)
        return {str(g.get(field)): int(g["n"]) for g in groups}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ParseError(f"grouped count not understood: {exc}", url=url) from exc


def describe_counts(dataset: Dataset, counts: dict[str, int]) -> str:
    """"licensetype: AC (412 rows)" for the run's notes."""
    shown = ", ".join(f"{value} ({n:,} rows)" for value, n in
                      sorted(counts.items(), key=lambda item: -item[1]))
    return f"{dataset.title_field or dataset.type_field}: {shown or 'nothing matched'}"


# Words that say acupuncture in a license type, in the names the profession has had.
NEAR_WORDS = ("ACU", "ORIENTAL", "EAST ASIAN", "EASTERN MED", "CHINESE", "HERB")


def no_match_message(dataset: Dataset, every: dict[str, int]) -> str:
    """`where` matched nothing: say so, with the values of the type field that look close."""
    wanted = [v.upper().strip("%_") for v in re.findall(r"'((?:[^']|'')*)'", dataset.where)]

    def looks_close(value: str) -> bool:
        text = value.upper()
        return (any(word in text for word in NEAR_WORDS)
                or bool(difflib.get_close_matches(text, wanted, n=1, cutoff=0.6))
                # a short code that begins a wanted word: "AC" for "ACUPUNCTURIST"
                or any(len(text) >= 2 and (w.startswith(text) or text.startswith(w))
                       for w in wanted if w))

    close = [v for v in every if looks_close(v)]
    close = sorted(close, key=lambda v: -every[v])[:10]
    shown = (", ".join(f"{v!r} ({every[v]:,} rows)" for v in close) if close
             else f"none look close among its {len(every):,} values")
    return (f"{dataset.dataset_id}: `{dataset.where}` matches no row, so nothing was stored. "
            f"Values of {dataset.type_field} that look close: {shown}. "
            f"Set [sources.{dataset.source_id}] where to select the acupuncture licenses.")


def sources() -> dict[str, SocrataSource]:
    return {source_id: SocrataSource(d) for source_id, d in DATASETS.items()}

