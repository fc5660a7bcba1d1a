"""State license boards' open data on Socrata portals (SODA 2): one adapter, one config each.

Pages: ``GET https://<portal>/resource/<id>.json?$where=...&$order=:id&$limit=N&$offset=K``
(a JSON array; every value a string; a null field is left out of its object) and the dataset's
metadata ``GET https://<portal>/api/views/<id>.json`` whose ``rowsUpdatedAt`` tells whether
the rows changed since the last complete run, so an unchanged dataset costs one request.
Quirks, as documented and seen:
- 2026-05: without an app token (``$PRACTITIONERS_SOCRATA_APP_TOKEN``, sent as
  ``X-App-Token``) the portals throttle with 429; the HTTP layer waits out Retry-After.
- Colorado (7s5z-vewr) has one row per discipline case: the license repeats on each row,
  and its license numbers are unique only within a license type.
- Which value marks an acupuncture license is a per-dataset setting (``where``); the Texas
  and Illinois field names and values below are unverified (see the README).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from ..http import Fetcher, build_url
from ..models import DisciplinaryAction, License, Provenance, Reject
from ..normalize import clean, iso_date, license_number, license_status, zip5
from ..parsing import ParseError
from .base import PageStep, PartState, ScopeDone, SourceContext, SourceUnchanged

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
    where: str  # SoQL selecting the acupuncture licenses
    fields: dict[str, str]  # our name -> dataset field (license_number, last_name, status...)
    license_type: str | None = None  # fixed type when the dataset has no type field
    statuses: dict[str, str] = field(default_factory=dict)  # extra status words of this board
    # "LAST, FIRST M" in one field; split into first/middle/last.
    name_format: str | None = None
    # Fields whose presence marks a discipline case row (Colorado).
    case_fields: dict[str, str] = field(default_factory=dict)
    disciplined_values: tuple[str, ...] = ()  # values of the "disciplined" field meaning yes
    verified: bool = True  # False: field names and values not checked against the live dataset
    page_size: int = 5000

    def resource_url(self, portal: str | None = None) -> str:
        return f"{(portal or self.portal).rstrip('/')}/resource/{self.dataset_id}.json"

    def metadata_url(self, portal: str | None = None) -> str:
        return f"{(portal or self.portal).rstrip('/')}/api/views/{self.dataset_id}.json"


DATASETS = {d.source_id: d for d in (
    Dataset(
        "wa-doh", "Washington DOH health care provider credentials", "WA",
        "https://data.wa.gov", "qxh8-f4bd",
        where="credentialtype in ('Acupuncture and Eastern Medicine Practitioner License', "
              "'East Asian Medicine Practitioner License')",
        fields={"license_number": "credentialnumber", "last_name": "lastname",
                "first_name": "firstname", "middle_name": "middlename",
                "license_type": "credentialtype", "status": "status",
                "issued_on": "firstissuedate", "expires_on": "expirationdate",
                "disciplined": "actiontaken"},
        disciplined_values=("YES", "Y"),
    ),
    Dataset(
        "co-dora", "Colorado DORA professional and occupational licenses", "CO",
        "https://data.colorado.gov", "7s5z-vewr",
        where="licensetype = 'Acupuncturist'",
        fields={"license_number": "licensenumber", "last_name": "lastname",
                "first_name": "firstname", "license_type": "licensetype",
                "status": "licensestatusdescription", "issued_on": "licensefirstissuedate",
                "expires_on": "licenseexpirationdate"},
        case_fields={"case_number": "casenumber", "action": "programaction",
                     "effective_on": "disciplineeffectivedate"},
    ),
    Dataset(
        "ct-dph", "Connecticut DPH state licenses and credentials", "CT",
        "https://data.ct.gov", "ngch-56tr",
        where="type = 'Acupuncturist'",
        fields={"license_number": "credentialnumber", "full_name": "name",
                "license_type": "type", "status": "status", "issued_on": "issuedate",
                "expires_on": "expirationdate", "city": "city", "state": "state"},
        name_format="last, first middle",
    ),
    Dataset(
        "tx-tmb", "Texas Medical Board licensees (acupuncturists)", "TX",
        "https://data.texas.gov", "tm3v-pfq9",
        where="license_type = 'Acupuncturist'",
        fields={"license_number": "license_number", "last_name": "last_name",
                "first_name": "first_name", "middle_name": "middle_name",
                "license_type": "license_type", "status": "license_status",
                "issued_on": "issue_date", "expires_on": "expiration_date", "city": "city",
                "state": "state", "zip": "zip"},
        verified=False,
    ),
    Dataset(
        "il-idfpr", "Illinois IDFPR professional licenses", "IL",
        "https://data.illinois.gov", "pzzh-kp68",
        where="license_type = 'LICENSED ACUPUNCTURIST'",
        fields={"license_number": "license_number", "last_name": "last_name",
                "first_name": "first_name", "middle_name": "middle",
                "license_type": "license_type", "status": "license_status",
                "issued_on": "original_issue_date", "expires_on": "expiration_date",
                "city": "city", "state": "state", "zip": "zip",
                "disciplined": "ever_disciplined"},
        disciplined_values=("Y", "YES"),
        verified=False,
    ),
)}


# -- parsing (pure) ---------------------------------------------------------------------------

def split_name(full: str | None) -> tuple[str | None, str | None, str | None]:
    """"LAST, FIRST M" -> (first, middle, last)."""
    text = clean(full)
    if text is None:
        return None, None, None
    last, _, rest = text.partition(",")
    given = rest.split()
    return (given[0] if given else None, " ".join(given[1:]) or None, clean(last))


def parse_row(dataset: Dataset, row: dict[str, Any], provenance: Provenance,
              ) -> list[License | DisciplinaryAction | Reject]:
    """One SODA row as a License (and its discipline case), or a Reject saying why not."""

    def get(name: str) -> str | None:
        source_field = dataset.fields.get(name)
        return clean(row.get(source_field)) if source_field else None

    def reject(reason: str, stored: bool = False) -> list[Any]:
        return [Reject(dataset.source_id, reason, row, provenance, stored)]

    number = get("license_number")
    if number is None:
        return reject("no license number")
    normalized = license_number(number)
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
    full = get("full_name")
    if full and dataset.name_format:
        first, middle, last = split_name(full)
    if not (last or full):
        problems.append("no name (stored without one)")
    flag = get("disciplined")
    case = {k: clean(row.get(v)) for k, v in dataset.case_fields.items()}
    if flag is not None:
        disciplined: bool | None = flag.upper() in dataset.disciplined_values
    elif dataset.case_fields:
        disciplined = any(case.values())
    else:
        disciplined = None
    record = License(
        jurisdiction=dataset.jurisdiction,
        license_type=get("license_type") or dataset.license_type or "Acupuncturist",
        license_number=number, license_number_normalized=normalized,
        first_name=first, middle_name=middle, last_name=last, full_name=full,
        status=status, status_normalized=status_normalized,
        issued_on=dates["issued_on"], expires_on=dates["expires_on"],
        city=get("city"), state=get("state"), zip=zip5(get("zip")) or get("zip"),
        disciplined=disciplined, dataset_id=dataset.dataset_id, provenance=provenance,
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

class SocrataSource:
    """A configured dataset, with the interface of a source module."""

    SINK = SINK

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self.SOURCE_ID = dataset.source_id
        self.TITLE = dataset.title + ("" if dataset.verified else " (fields unverified)")
        self.BASE_URL = dataset.resource_url()

    def configured(self, settings: dict[str, Any]) -> Dataset:
        known = {"portal", "where", "page_size", "dataset_id", "fields", "statuses"}
        unknown = set(settings) - known - {"states", "every", "retry"}  # the scheduler's
        if unknown:
            raise ValueError(f"unknown setting(s) for {self.SOURCE_ID}: {', '.join(unknown)}")
        changes = {k: v for k, v in settings.items() if k in known}
        if "fields" in changes:
            changes["fields"] = {**self.dataset.fields, **changes["fields"]}
        return replace(self.dataset, **changes)

    def scrape(self, fetcher: Fetcher, ctx: SourceContext) -> Iterator[Any]:
        dataset = self.configured(ctx.settings)
        token = os.environ.get(APP_TOKEN_ENV)
        headers = {"X-App-Token": token} if token else None
        # What the rows were read with: new settings (a corrected where) mean reading again.
        settings_hash = hashlib.sha256(json.dumps(
            [dataset.where, dataset.fields, dataset.statuses, dataset.case_fields],
            sort_keys=True).encode()).hexdigest()[:16]
        updated = f"{self._rows_updated_at(fetcher, dataset, headers)}|{settings_hash}"
        if ctx.state("rows_updated_at") == updated and ctx.checkpoint("rows") is None:
            log.info("%s: unchanged since %s; rows not downloaded", self.SOURCE_ID, updated)
            yield SourceUnchanged(self.SOURCE_ID, note=f"rowsUpdatedAt {updated} unchanged")
            return
        saved = ctx.checkpoint("rows")
        offset = saved.next_skip if saved is not None and saved.note == updated else 0
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
        after = f"{self._rows_updated_at(fetcher, dataset, headers)}|{settings_hash}"
        if after != updated:
            yield PartState("rows", "incomplete", note=f"{self.SOURCE_ID}: the dataset changed "
                            "while it was read; nothing marked gone, read again next run")
            yield ScopeDone(self.SOURCE_ID, complete=False)
            return
        yield ScopeDone(self.SOURCE_ID, complete=True, state={"rows_updated_at": updated})

    @staticmethod
    def _rows_updated_at(fetcher: Fetcher, dataset: Dataset,
                         headers: dict[str, str] | None) -> str:
        page = fetcher.get(dataset.metadata_url(), headers=headers)
        try:
            return str(json.loads(page.text)["rowsUpdatedAt"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ParseError(f"dataset metadata without rowsUpdatedAt: {exc}",
                             url=page.url) from exc


def sources() -> dict[str, SocrataSource]:
    return {source_id: SocrataSource(d) for source_id, d in DATASETS.items()}

