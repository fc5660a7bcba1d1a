"""NPPES NPI Registry API v2.1: acupuncturists (taxonomy 171100000X) by state.

Site: https://npiregistry.cms.hhs.gov/api/ (JSON, no key). Quirks, as documented and seen:
- 2026-05: at most 200 results an answer (``limit``) and ``skip`` at most 1000, so one query
  reaches 1,200 records; ``result_count`` counts the results in *this* answer, not the total.
- Errors come back as HTTP 200 with an ``Errors`` array (sample: no valid criteria, "04").
- ``state`` alone is refused; with ``taxonomy_description`` it is fine. ``taxonomy_description``
  matches a taxonomy's description exactly ("Acupuncturist").
- ``postal_code`` takes 5 or 9 digits, or a trailing wildcard after at least 2 characters
  ("94*"); a 5-digit code also matches the ZIP+4 codes under it.
- ``name_prefix`` and ``name_suffix`` read "--" and a taxonomy's ``license`` "NA" where there is
  none (2026-05; "NA" in a recorded answer): stored as absent (``normalize.drop_placeholder``).
- ``address_purpose=PRIMARY`` matches the primary practice location only, so querying by
  state with it puts every provider in exactly one state: the one they practise in.

A state with more than 1,200 acupuncturists is split by ZIP prefix ("94*", then "941*",
"9411*", then exact ZIPs, then individuals and organizations apart). A part that still
cannot be listed whole is reported and the run is recorded as partial; nothing is
truncated silently.
"""

from __future__ import annotations

import json
import logging
import reprlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from ..check import CheckReport, probe
from ..http import Fetcher, build_url
from ..models import Address, Provenance, Provider, Taxonomy
from ..normalize import (
    clean,
    drop_placeholder,
    epoch_to_iso,
    format_postal_code,
    iso_date,
    license_number,
    person_name,
    phone,
    title_name,
    website_url,
    zip5,
)
from ..parsing import ParseError, require
from .base import (
    Conditional,
    PageStep,
    PartState,
    ScopeDone,
    SourceContext,
    SourceError,
    checkpoint,
)

log = logging.getLogger(__name__)

SOURCE_ID = "nppes-api"
TITLE = "NPPES NPI Registry API"
SINK = "providers"
BASE_URL = "https://npiregistry.cms.hhs.gov/api/"
TAXONOMY_DESCRIPTION = "Acupuncturist"
PAGE_LIMIT = 200
MAX_SKIP = 1000
STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()
# Territories the registry also knows; scraped when asked for by name.
OTHER_STATES = ("PR", "VI", "GU", "AS", "MP")


class NppesApiError(SourceError):
    """The API answered with an ``Errors`` body."""


# -- parsing (pure) ---------------------------------------------------------------------------

@dataclass
class SearchPage:
    url: str
    result_count: int
    providers: list[Provider]


def load_json(text: str, url: str) -> Any:
    """The answer's JSON, or ParseError (not JSON, or nested past what Python can read)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"answer is not JSON ({exc.msg} at char {exc.pos})", url=url) from exc
    except RecursionError:
        raise ParseError("answer nested too deep to read", url=url) from None


_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxstring, _repr.maxother = 3, 60, 60
_SCALARS = (str, int, float, bool)


def _short(value: Any) -> str:
    """A glimpse of a value, never the whole of it (nor its depth)."""
    if isinstance(value, _SCALARS):
        text = str(value)
        return text if len(text) <= 200 else text[:200] + "..."
    return _repr.repr(value)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", type(None): "null"}.get(
        type(value), type(value).__name__)


def _flat(value: Any, path: str, url: str) -> dict[str, Any]:
    """An object whose values are all text, numbers, true/false or null (as every object of
    an answer's result is, in the saved samples), or ParseError naming the field."""
    if not isinstance(value, dict):
        raise ParseError(f"{path} is {_kind(value)}, expected an object", url=url)
    for key, item in value.items():
        if item is not None and not isinstance(item, _SCALARS):
            raise ParseError(f"{path}.{key} is {_kind(item)}, expected a value", url=url)
    return value


def _objects(raw: dict[str, Any], key: str, where: str, url: str) -> list[dict[str, Any]]:
    """``raw[key]``: a list of flat objects; absent or null is none."""
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{where}: {key} is {_kind(value)}, expected a list", url=url)
    return [_flat(item, f"{where}: {key}[{i}]", url) for i, item in enumerate(value)]


def _epoch(raw: dict[str, Any], key: str, where: str, url: str) -> str | None:
    value = raw.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, str))):
        raise ParseError(f"{where}: {key} is {_kind(value)}, expected a number", url=url)
    try:
        return epoch_to_iso(value)
    except (ValueError, OverflowError, OSError) as exc:
        raise ParseError(f"{where}: {key} {_short(value)}: {exc}", url=url) from None


def parse_search(text: str, url: str, fetched_at: str) -> SearchPage:
    """Parse one API answer. Raises NppesApiError for an Errors body, ParseError for a bad shape
    (a field of the wrong type named, with the URL)."""
    data = load_json(text, url)
    if isinstance(data, dict) and "Errors" in data:
        errors = data["Errors"] if isinstance(data["Errors"], list) else [data["Errors"]]
        described = "; ".join(
            f"{_short(e.get('field', '?'))}: {_short(e.get('description', e))} "
            f"(#{_short(e.get('number', '?'))})" if isinstance(e, dict) else _short(e)
            for e in errors)
        raise NppesApiError(f"NPPES API refused the query: {described} ({url})")
    results = require(data, "results", list, url=url)
    count = require(data, "result_count", int, url=url)
    if count != len(results):
        raise ParseError(f"result_count {count} but {len(results)} results", url=url)
    provenance = Provenance(SOURCE_ID, url, fetched_at)
    providers = [parse_provider(r, url, provenance) for r in results]
    return SearchPage(url, count, providers)


def _address(raw: dict[str, Any], purpose: str, seq: int) -> Address:
    postal = clean(raw.get("postal_code"))
    return Address(
        purpose=purpose, seq=seq,
        address_1=clean(raw.get("address_1")), address_2=clean(raw.get("address_2")),
        city=clean(raw.get("city")), state=clean(raw.get("state")),
        postal_code=format_postal_code(postal), zip5=zip5(postal),
        country_code=clean(raw.get("country_code")),
        phone=phone(raw.get("telephone_number")), fax=phone(raw.get("fax_number")),
        updated_on=iso_date((clean(raw.get("update_date")) or "")[:10] or None),
    )


def _date(value: Any, url: str, field: str) -> str | None:
    try:
        return iso_date(value)
    except ValueError as exc:
        raise ParseError(f"{field}: {exc}", url=url) from exc


_NAME_AFFIXES = ("prefix", "suffix")  # of an other_names entry: "--" when there is none


def parse_provider(raw: dict[str, Any], url: str, provenance: Provenance | None = None) -> Provider:
    """One element of ``results`` as a Provider."""
    number = raw.get("number") if isinstance(raw, dict) else None
    if not isinstance(number, (int, str)) or not str(number).isdigit() or len(str(number)) != 10:
        raise ParseError(f"result without a 10-digit NPI: {_short(raw)}", url=url)
    npi = str(number)
    where = f"NPI {npi}"
    basic = _flat(require(raw, "basic", dict, url=url, where=where), f"{where}: basic", url)
    kind = raw.get("enumeration_type")
    if kind not in ("NPI-1", "NPI-2"):
        raise ParseError(f"{where}: enumeration_type {kind!r}", url=url)
    addresses: list[Address] = []
    for entry in _objects(raw, "addresses", where, url):
        purpose = {"LOCATION": "location", "MAILING": "mailing"}.get(
            str(entry.get("address_purpose", "")).upper())
        if purpose is None:
            raise ParseError(f"{where}: address_purpose {entry.get('address_purpose')!r}", url=url)
        addresses.append(_address(entry, purpose, 0))
    for seq, entry in enumerate(_objects(raw, "practiceLocations", where, url), start=1):
        addresses.append(_address(entry, "practice", seq))
    taxonomies = [
        Taxonomy(
            seq=seq, code=clean(t.get("code")), description=clean(t.get("desc")),
            is_primary=bool(t.get("primary")), state=clean(t.get("state")),
            license_number=drop_placeholder(t.get("license")),
            license_number_normalized=license_number(drop_placeholder(t.get("license"))),
            taxonomy_group=clean(t.get("taxonomy_group")),
        )
        for seq, t in enumerate(_objects(raw, "taxonomies", where, url))
    ]
    other_names = [{k: v for k, v in n.items() if (drop_placeholder(v) if k in _NAME_AFFIXES
                                                    else clean(v)) is not None}
                   for n in _objects(raw, "other_names", where, url)]
    first, middle, last = (clean(basic.get(k)) for k in ("first_name", "middle_name", "last_name"))
    organization = clean(basic.get("organization_name"))
    if kind == "NPI-1":
        display = person_name(first, middle, last, basic.get("name_suffix"))
    else:
        display = organization
    display = display or clean(basic.get("name")) or npi
    official = person_name(basic.get("authorized_official_first_name"),
                           basic.get("authorized_official_middle_name"),
                           basic.get("authorized_official_last_name"))
    return Provider(
        npi=npi, enumeration_type=kind, display_name=display,
        first_name=title_name(first), middle_name=title_name(middle), last_name=title_name(last),
        name_prefix=drop_placeholder(basic.get("name_prefix")),
        name_suffix=drop_placeholder(basic.get("name_suffix")),
        credential=clean(basic.get("credential")), organization_name=organization,
        gender=clean(basic.get("gender")), sole_proprietor=clean(basic.get("sole_proprietor")),
        status=clean(basic.get("status")),
        enumerated_on=_date(basic.get("enumeration_date"), url, f"{where} enumeration_date"),
        updated_on=_date(basic.get("last_updated"), url, f"{where} last_updated"),
        created_at=_epoch(raw, "created_epoch", where, url),
        updated_at=_epoch(raw, "last_updated_epoch", where, url),
        deactivated_on=_date(basic.get("deactivation_date"), url, f"{where} deactivation_date"),
        reactivated_on=_date(basic.get("reactivation_date"), url, f"{where} reactivation_date"),
        authorized_official=official,
        authorized_official_title=clean(basic.get("authorized_official_title_or_position")),
        authorized_official_phone=phone(basic.get("authorized_official_telephone_number")),
        other_names=other_names, identifiers=_objects(raw, "identifiers", where, url),
        addresses=addresses, taxonomies=taxonomies, provenance=provenance,
        website=_website(raw.get("endpoints"), where, url),
    )


def _website(endpoints: Any, where: str, url: str) -> str | None:
    """The first website among a provider's endpoints (type WEB, "Website URL"). Most endpoints
    are Direct messaging addresses or FHIR services; the saved samples carry none, so the field
    names are those of the API's documentation, unverified against a live answer: anything
    but a WEB entry is passed over, whatever its shape."""
    for i, entry in enumerate(endpoints if isinstance(endpoints, list) else []):
        if not isinstance(entry, dict) or str(entry.get("endpointType", "")).upper() != "WEB":
            continue
        address = entry.get("endpoint")
        if address is not None and not isinstance(address, str):
            raise ParseError(f"{where}: endpoints[{i}].endpoint is {_kind(address)}, expected "
                             "text", url=url)
        if found := website_url(address):
            return found
    return None


# -- walking the API --------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """One part of a state: the state, maybe a ZIP prefix ("94*") or ZIP, maybe an NPI type."""

    state: str
    postal_code: str | None = None
    enumeration_type: str | None = None

    @property
    def key(self) -> str:
        return "/".join(p for p in (self.state, self.postal_code, self.enumeration_type) if p)

    def params(self, taxonomy: str, skip: int) -> dict[str, str | int]:
        params: dict[str, str | int] = {
            "version": "2.1", "taxonomy_description": taxonomy, "state": self.state,
            "address_purpose": "PRIMARY", "limit": PAGE_LIMIT, "skip": skip,
        }
        if self.postal_code:
            params["postal_code"] = self.postal_code
        if self.enumeration_type:
            params["enumeration_type"] = self.enumeration_type
        return params

    def children(self) -> list[Query] | None:
        """Smaller queries that together hold exactly this one's results, or None."""
        code = self.postal_code
        if code is None:
            return [Query(self.state, f"{d:02d}*") for d in range(100)]
        if code.endswith("*"):  # "94*" -> "940*".."949*"; "9411*" -> "94110".."94119"
            stem = code[:-1]
            tail = "*" if len(stem) < 4 else ""
            return [Query(self.state, f"{stem}{d}{tail}") for d in range(10)]
        if self.enumeration_type is None:
            return [Query(self.state, code, t) for t in ("NPI-1", "NPI-2")]
        return None


def _fetch(fetcher: Fetcher, ctx: SourceContext, base_url: str, query: Query, taxonomy: str,
           skip: int) -> PageStep:
    url = build_url(base_url, query.params(taxonomy, skip))
    conditional = Conditional.of(ctx, url)
    page = fetcher.get(url, validators=conditional.validators)
    if unchanged := conditional.unchanged(query.key, page):
        return unchanged
    # Records carry the URL asked for (not one redirected to): a later 304 on that URL must
    # find them by it.
    parsed = parse_search(page.text, url, ctx.timestamp(page.fetched_at))
    return PageStep(query.key, url, page, parsed.providers, len(parsed.providers))


def _walk(fetcher: Fetcher, ctx: SourceContext, base_url: str, query: Query,
          taxonomy: str) -> Iterator[PageStep | PartState]:
    saved, done = checkpoint(ctx, query.key, ("done", "incomplete"))
    if done:
        return
    if saved is None or saved.state != "split":
        try:
            split = yield from _list(fetcher, ctx, base_url, query, taxonomy, saved)
        except (NppesApiError, ParseError, ValueError) as exc:
            # One refused or odd answer costs this part only, never the rest of the state.
            yield PartState(query.key, "incomplete", note=str(exc))
            return
        if not split:
            return
    for child in query.children() or []:
        yield from _walk(fetcher, ctx, base_url, child, taxonomy)


def _list(fetcher: Fetcher, ctx: SourceContext, base_url: str, query: Query, taxonomy: str,
          saved: PartState | None) -> Generator[PageStep, None, bool]:
    """Page through one query; returns True when it must be split into its children.

    A full first page is held back until the last reachable page says whether the query fits:
    if it must be split, its records will come through the narrower queries, stored once.
    """
    skip = saved.next_skip if saved is not None else 0
    first = None
    if skip == 0:
        first = _fetch(fetcher, ctx, base_url, query, taxonomy, 0)
        if first.count < PAGE_LIMIT:
            yield first.finish("done")
            return False
        skip = PAGE_LIMIT
    probe = _fetch(fetcher, ctx, base_url, query, taxonomy, MAX_SKIP)
    children = query.children() if probe.count == PAGE_LIMIT else None
    if children:
        if first is not None:
            yield first.without_records()
        yield probe.without_records().finish("split")
        return True
    if first is not None:
        yield first.finish("pending", next_skip=PAGE_LIMIT)
    while skip < MAX_SKIP:
        step = _fetch(fetcher, ctx, base_url, query, taxonomy, skip)
        skip += PAGE_LIMIT
        yield step.finish("pending", next_skip=skip)
    if probe.count < PAGE_LIMIT:
        yield probe.finish("done")
    else:
        # Cannot be split further: keep what the API lets us reach and say what is missing.
        yield probe.finish(
            "incomplete", note=f"{query.key}: more than {PAGE_LIMIT + MAX_SKIP} results and no "
            "narrower query; the rest cannot be reached through the API")
    return False


def scrape(fetcher: Fetcher, ctx: SourceContext) -> Iterator[PageStep | PartState | ScopeDone]:
    """Walk every configured state; yields pages and part states for the job runner to commit."""
    settings = ctx.settings
    base_url = settings.get("base_url", BASE_URL)
    taxonomy = settings.get("taxonomy_description", TAXONOMY_DESCRIPTION)
    for state in ctx.states or settings.get("states") or STATES:
        incomplete_before = ctx.incomplete_parts
        yield from _walk(fetcher, ctx, base_url, Query(state.upper()), taxonomy)
        yield ScopeDone(state.upper(), complete=ctx.incomplete_parts == incomplete_before)


# -- preflight ----------------------------------------------------------------------------------

CHECK_LIMIT = 5
# What the parser reads, by where it sits in an answer.
NEEDED = {"": ("result_count", "results"),
          "results[]": ("number", "enumeration_type", "basic", "addresses", "taxonomies"),
          "results[].addresses[]": ("address_purpose", "address_1", "city", "state",
                                    "postal_code"),
          "results[].taxonomies[]": ("code", "desc", "primary", "state", "license")}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def missing_keys(data: Any) -> list[str]:
    """The keys of ``NEEDED`` an answer lacks, named by where ("results[].basic")."""
    if not isinstance(data, dict):
        return list(NEEDED[""])
    results = [r for r in _as_list(data.get("results")) if isinstance(r, dict)]
    objects = {"": [data], "results[]": results,
               "results[].addresses[]": [a for r in results for a in _as_list(r.get("addresses"))],
               "results[].taxonomies[]": [t for r in results for t in _as_list(r.get("taxonomies"))]}
    return [f"{where}.{key}" if where else key for where, keys in NEEDED.items() for key in keys
            if any(isinstance(o, dict) and key not in o for o in objects[where])]


def check(fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
    """One query of the first configured state, ``CHECK_LIMIT`` results: the keys the parser
    reads, how many acupuncturists it matched, one provider parsed. One request (and
    robots.txt); nothing stored."""
    report = CheckReport(SOURCE_ID)
    state = str((settings.get("states") or ["WA"])[0]).upper()
    taxonomy = settings.get("taxonomy_description", TAXONOMY_DESCRIPTION)
    url = build_url(settings.get("base_url", BASE_URL),
                    {**Query(state).params(taxonomy, 0), "limit": CHECK_LIMIT})
    page = probe(fetcher, report, url)
    if page is None:
        return report
    try:
        data = json.loads(page.text)
    except json.JSONDecodeError as exc:
        report.set("fields", False, f"the answer is not JSON ({exc.msg} at char {exc.pos})")
        return report
    except RecursionError:
        report.set("fields", False, "the answer is nested too deep to read")
        return report
    if not (isinstance(data, dict) and "Errors" in data):  # an Errors body says why below
        missing = missing_keys(data)
        report.set("fields", not missing, f"missing: {', '.join(missing)}" if missing
                   else "result_count and results[] with what the parser reads")
        if missing:
            return report
    try:
        parsed = parse_search(page.text, url, "")
    except NppesApiError as exc:
        report.set("values", False, str(exc))
        return report
    except ParseError as exc:
        report.set("record", False, str(exc))
        return report
    report.set("values", parsed.result_count > 0, f"taxonomy_description={taxonomy}, "
               f"state={state}: {parsed.result_count} results in this answer")
    if parsed.providers:
        p = parsed.providers[0]
        where = next((a.state for a in p.addresses if a.purpose == "location"), None)
        report.set("record", True, f"NPI {p.npi}: {p.display_name}, {where or '?'}")
    return report
