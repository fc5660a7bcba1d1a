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
"9411*", then exact ZIPs, then individuals and organizations apart), only into the prefixes
its ZIPs have (the ``zipcodes`` data, ``geo.state_zips``, and any ZIP seen in its answers),
and deeper only where a part is full: a full answer at skip 1000 is the only sign of the cap
(2026-09: a skip above 1000 was seen ignored, not refused, so nothing past it is asked). A
part only just full is split into individuals and organizations instead. A part that still
cannot be listed whole is reported and the run is recorded as partial; nothing is truncated
silently.

A complete run remembers, per state, the parts it listed whole and their counts (source state
``parts:XX``); the next run asks those parts straight away, probing at skip 1000 first those
near the cap, and splits again any that grew past it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import reprlib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from .. import geo
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
# The kinds of ZIP (as the zipcodes data name them) a state is split by: a primary practice
# location is a street address (NPPES refuses a PO box there), so ZIPs that serve PO boxes
# only, and military ones, are left out; a ZIP seen in an answer is always asked.
# Setting: zip_kinds.
ZIP_KINDS = ("STANDARD", "UNIQUE")


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

_KEY_RE = re.compile(r"(?P<state>[A-Z]{2})(?:/(?P<code>\d{2,4}\*|\d{5}))?(?:/(?P<kind>NPI-[12]))?")
TYPES = ("NPI-1", "NPI-2")


@dataclass(frozen=True)
class Query:
    """One part of a state: the state, maybe a ZIP prefix ("94*") or ZIP, maybe an NPI type."""

    state: str
    postal_code: str | None = None
    enumeration_type: str | None = None

    @property
    def key(self) -> str:
        return "/".join(p for p in (self.state, self.postal_code, self.enumeration_type) if p)

    @classmethod
    def from_key(cls, key: str) -> Query | None:
        """The query a ``key`` names ("CA/941*", "CA/94110/NPI-1"), or None for anything else
        (a remembered plan is read back with this, and trusted no further)."""
        match = _KEY_RE.fullmatch(key)
        return None if match is None else cls(match["state"], match["code"], match["kind"])

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

    def holds(self, zip5: str, kind: str | None = None) -> bool:
        """Whether a provider of this NPI type (None: either) whose primary location has this
        ZIP answers the query."""
        code = self.postal_code
        return (kind is None or self.enumeration_type in (None, kind)) and (
            code is None or (zip5.startswith(code[:-1]) if code.endswith("*") else zip5 == code))

    def by_type(self) -> list[Query]:
        return [replace(self, enumeration_type=kind) for kind in TYPES]

    def children(self, zips: Iterable[str] | None = None) -> list[Query] | None:
        """Smaller queries that together hold exactly this one's results, or None.

        ``zips``: where results can be (the state's ZIPs, and those seen in its answers): only
        the prefixes found among them are asked. None, or none of them under this part (which
        is full, so holds something): every digit."""
        code = self.postal_code
        if code is not None and not code.endswith("*"):
            return self.by_type() if self.enumeration_type is None else None
        stem = code[:-1] if code else ""
        width = max(len(stem) + 1, 2)  # a wildcard needs two characters before it
        tail = "*" if width < 5 else ""  # "94*" -> "941*"; "9411*" -> "94110"
        found = sorted({z[:width] for z in zips or () if len(z) == 5 and z.isdigit()
                        and z.startswith(stem)})
        if not found:
            found = [f"{stem}{d}" if stem else f"{d:02d}" for d in range(10 if stem else 100)]
        return [replace(self, postal_code=f"{prefix}{tail}") for prefix in found]


def _fetch(fetcher: Fetcher, ctx: SourceContext, base_url: str, query: Query, taxonomy: str,
           skip: int) -> PageStep:
    url = build_url(base_url, query.params(taxonomy, skip))
    conditional = Conditional.of(ctx, url)
    page = fetcher.get(url, validators=conditional.validators)
    if unchanged := conditional.unchanged(query.key, page):
        return unchanged  # nothing parsed: the runner marks the page's records seen at once
    # Records carry the URL asked for (not one redirected to): a later 304 on that URL must
    # find them by it.
    parsed = parse_search(page.text, url, ctx.timestamp(page.fetched_at))
    return PageStep(query.key, url, page, parsed.providers, len(parsed.providers))


@dataclass
class _Walk:
    """What one state's walk needs and learns: where to ask, the kinds of ZIP a practice
    can be in, and the count of each part listed whole (the plan the next run starts from)."""

    fetcher: Fetcher
    ctx: SourceContext
    base_url: str
    taxonomy: str
    zip_kinds: tuple[str, ...]
    leaves: dict[str, int | None]
    # A split note of an earlier attempt was followed: its parts came from the ZIP data (and
    # kinds) of that attempt, so the plan this walk leaves is not sealed (it is checked).
    resumed_split: bool = False

    def fetch(self, query: Query, skip: int) -> PageStep:
        return _fetch(self.fetcher, self.ctx, self.base_url, query, self.taxonomy, skip)

    def zips(self, state: str) -> tuple[str, ...]:
        return geo.state_zips(state, self.zip_kinds)


def _sample(steps: Iterable[PageStep]) -> list[tuple[str, str]]:
    """The primary-location ZIP and NPI type of each record of parsed pages (none for a 304)."""
    return [(a.zip5, p.enumeration_type) for step in steps if isinstance(step.records, list)
            for p in step.records if (a := p.location()) is not None and a.zip5]


@dataclass
class _Split:
    """A part too big for one query: the narrower ones to ask, and the ZIPs of the records
    its answers showed (a sample: how its results spread over those parts)."""

    children: list[Query]
    sample: list[tuple[str, str]]

    def order(self) -> list[tuple[Query, float]]:
        """The children, those the sample shows least of first, each with its share of it."""
        total = len(self.sample) or 1
        shares = {c: sum(c.holds(*z) for z in self.sample) / total for c in self.children}
        return sorted(shares.items(), key=lambda item: (item[1], item[0].key))


def _walk(walk: _Walk, query: Query, expected: int | None, *, remembered: bool = False
          ) -> Iterator[PageStep | PartState]:
    """Walk one part: list it, or split it and walk its parts. ``expected``: how many results
    it likely holds, as the last complete run counted them (``remembered``) or as estimated."""
    saved, done = checkpoint(walk.ctx, query.key, ("done", "incomplete"))
    if done:
        assert saved is not None
        walk.leaves[query.key] = saved.next_skip if saved.state == "done" else None
        return
    if saved is not None and saved.state == "split":
        split = _Split(_split_note(walk, query, saved.note), [])
    else:
        try:
            listed = yield from _list(walk, query, expected, saved, remembered)
        except (NppesApiError, ParseError, ValueError) as exc:
            # One refused or odd answer costs this part only, never the rest of the state.
            yield PartState(query.key, "incomplete", note=str(exc))
            return
        if isinstance(listed, int):
            walk.leaves[query.key] = listed
            return
        split = listed
    # The smallest parts first: with their counts known, the sample tells how big the others
    # are likely to be, and so whether to probe them at skip 1000 before reading them.
    listed_count, listed_share = 0, 0.0
    for child, share in split.order():
        estimate = None
        if split.sample:
            total = max(PAGE_LIMIT + MAX_SKIP, listed_count / listed_share if listed_share else 0)
            estimate = round(share * total)
        before = walk.leaves.copy()
        yield from _walk(walk, child, estimate)
        counts = [n for k, n in walk.leaves.items() if k not in before]
        if None not in counts:
            listed_count += sum(n for n in counts if n is not None)
            listed_share += share


def _split_note(walk: _Walk, query: Query, note: str | None) -> list[Query]:
    """The children a split checkpoint named (a resumed run asks the same ones, though the
    answers that showed some of them are gone); the state's ZIPs if the note is unreadable."""
    walk.resumed_split = True
    keys = (note or "").split()
    children = [Query.from_key(k) for k in keys]
    if keys and all(c is not None and c.state == query.state for c in children):
        return [c for c in children if c is not None]
    return query.children(walk.zips(query.state)) or []


TYPE_SPLIT_UNDER = 1150  # ...individuals this part likely holds: split it by NPI type


def _split(walk: _Walk, query: Query, held: list[PageStep], remembered: int | None
           ) -> _Split | None:
    """How to split a full part: by NPI type when it is likely only just full (the last
    complete run counted it under the cap, and its individuals alone would fit: the
    organizations are a few in a hundred), else by the next digit of its ZIPs."""
    sample = _sample(held)
    if remembered is not None and query.enumeration_type is None and sample:
        individuals = sum(kind == "NPI-1" for _, kind in sample) / len(sample)
        if max(remembered, PAGE_LIMIT + MAX_SKIP) * individuals < TYPE_SPLIT_UNDER:
            return _Split(query.by_type(), sample)
    children = query.children(set(walk.zips(query.state)) | {z for z, _ in sample})
    return _Split(children, sample) if children else None


PROBE_AT = 1000  # a part expected to hold this many or more is probed at skip 1000 first


def _list(walk: _Walk, query: Query, expected: int | None, saved: PartState | None,
          remembered: bool) -> Generator[PageStep, None, int | _Split]:
    """Page through one query; returns how many results it holds, or how to split it (when
    its answer at skip 1000 is full: the API reaches no further).

    Pages are read from skip 0 until one is short, so a part costs the requests its results
    need (plus one when their number is a multiple of 200), and they are held until the part
    is known to fit: a part that must be split stores its records once, through the narrower
    queries. A part expected to hold ``PROBE_AT`` or more (remembered so, or so estimated) is
    probed at skip 1000 first: one request tells it must be split."""
    skip = saved.next_skip if saved is not None else 0
    counted = expected if remembered else None
    probe: PageStep | None = None
    if skip == 0 and expected is not None and expected >= PROBE_AT:
        probe = walk.fetch(query, MAX_SKIP)
        if probe.count == PAGE_LIMIT and (split := _split(walk, query, [probe], counted)):
            yield probe.without_records().finish("split", note=_keys(split.children))
            return split
    held: list[PageStep] = []
    held_from = skip
    while skip < MAX_SKIP:
        step = walk.fetch(query, skip)
        skip += PAGE_LIMIT
        held.append(step)
        # A short page while the probe found results past it: the part shrank while it was
        # read, or the API answered short; read on to the probe's page rather than take it
        # as the end (a few requests, and nobody in between is lost).
        if step.count < PAGE_LIMIT and not (probe is not None and probe.count):
            total = skip - PAGE_LIMIT + step.count
            yield from _release(held[:-1], held_from)
            yield step.finish("done", next_skip=total)
            return total
        if probe is not None:  # known to fit: nothing to hold
            yield from _release(held, held_from)
            held, held_from = [], skip
    last = probe if probe is not None else walk.fetch(query, MAX_SKIP)
    if last.count == PAGE_LIMIT and (split := _split(walk, query, [*held, last], counted)):
        for step in held:
            yield step.without_records()
        yield last.without_records().finish("split", note=_keys(split.children))
        return split
    yield from _release(held, held_from)
    if last.count < PAGE_LIMIT:
        yield last.finish("done", next_skip=MAX_SKIP + last.count)
        return MAX_SKIP + last.count
    # Cannot be split further: keep what the API lets us reach and say what is missing.
    yield last.finish(
        "incomplete", note=f"{query.key}: more than {PAGE_LIMIT + MAX_SKIP} results and no "
        "narrower query; the rest cannot be reached through the API")
    return MAX_SKIP + last.count


def _release(held: list[PageStep], first_skip: int) -> Iterator[PageStep]:
    """Held pages, in order, each with the checkpoint of the page after it."""
    for i, step in enumerate(held):
        yield step.finish("pending", next_skip=first_skip + PAGE_LIMIT * (i + 1))


def _keys(children: list[Query]) -> str:
    return " ".join(c.key for c in children)


PLAN_KEY = "parts:{state}"  # source state: the parts of a state and their counts, as JSON


def plan_text(leaves: dict[str, int | None], zip_kinds: tuple[str, ...], *,
              sealed: bool = True) -> str:
    """What a complete run remembers of a state: each part it listed whole, with its count,
    the ZIP data (version, kinds) its splits were made from, and a seal of both. No seal
    (``sealed`` false, or the ZIP data's version unknown): the next run checks the plan."""
    zips = _zip_data(zip_kinds)
    plan: dict[str, Any] = {"zips": zips, "parts": leaves}
    if sealed and geo.ZIP_DATA_VERSION != geo.UNKNOWN_ZIP_DATA:
        plan["seal"] = _seal(leaves, zips)
    return json.dumps(plan, sort_keys=True)


def _seal(parts: Any, zips: Any) -> str:
    """A digest of a plan's parts and ZIP data: a plan this code wrote, unaltered since."""
    text = json.dumps({"zips": zips, "parts": parts}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _zip_data(zip_kinds: tuple[str, ...]) -> str:
    return f"{geo.ZIP_DATA_VERSION}: {', '.join(zip_kinds)}"


def remembered_plan(ctx: SourceContext, state: str, zip_kinds: tuple[str, ...] = ZIP_KINDS
                    ) -> dict[Query, int | None] | None:
    """The parts the last complete run of ``state`` listed whole, with their counts; None when
    there is none, or it does not read right, or (the ZIP data having changed since) it leaves
    out a ZIP the state has: the state is then split afresh."""
    text = ctx.state(PLAN_KEY.format(state=state))
    try:
        raw = json.loads(text) if text else None
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(raw, dict) or not isinstance(parts := raw.get("parts"), dict) or not parts:
        return None
    plan: dict[Query, int | None] = {}
    for key, count in parts.items():
        query = Query.from_key(key) if isinstance(key, str) else None
        if query is None or query.state != state or not (
                count is None or (isinstance(count, int) and not isinstance(count, bool)
                                  and count >= 0)):
            return None
        plan[query] = count
    # A plan that leaves out a ZIP the state has (stale, hand-edited or corrupt) is not
    # followed: its missing parts would be marked gone. A plan of the whole state (most
    # states: under the cap) holds every ZIP without looking any up. So does a plan this code
    # sealed from the ZIP data it has now: its splits were made from those ZIPs, each into
    # every prefix they have (a walk that followed an earlier attempt's split note is not
    # sealed, nor is any when the data's version is unknown). Any other is checked ZIP by
    # ZIP, which costs reading the ZIP data (0.8 s in a new process: half an unchanged
    # re-scrape's time, bench_nppes).
    whole = {q.enumeration_type for q in plan if q.postal_code is None}
    if None in whole or set(TYPES) <= whole:
        return plan
    zips = _zip_data(zip_kinds)
    if raw.get("zips") == zips and raw.get("seal") == _seal(parts, zips):
        return plan
    if not _covers(plan, geo.state_zips(state, zip_kinds)):
        return None
    return plan


def _covers(plan: Iterable[Query], zips: Iterable[str]) -> bool:
    """Whether every ZIP, for either NPI type, is held by a query of the plan: each ZIP's few
    possible holders looked up in a set (a scan of every query for every ZIP took a second
    at California's 2,600 ZIPs, most of an unchanged re-scrape)."""
    held = {(q.postal_code, q.enumeration_type) for q in plan}
    for code5 in zips:
        codes = [None, code5, *(code5[:n] + "*" for n in range(1, len(code5) + 1))]
        for kind in TYPES:
            if not any((code, k) in held for code in codes for k in (None, kind)):
                return False
    return True


def scrape(fetcher: Fetcher, ctx: SourceContext) -> Iterator[PageStep | PartState | ScopeDone]:
    """Walk every configured state; yields pages and part states for the job runner to commit.

    A state goes straight to the parts its last complete run listed (and remembers the ones
    this run listed when it completes); without such a plan it is split where its ZIPs are."""
    settings = ctx.settings
    base_url = settings.get("base_url", BASE_URL)
    taxonomy = settings.get("taxonomy_description", TAXONOMY_DESCRIPTION)
    zip_kinds = tuple(str(k).upper() for k in settings.get("zip_kinds") or ZIP_KINDS)
    for state in (s.upper() for s in ctx.states or settings.get("states") or STATES):
        incomplete_before = ctx.incomplete_parts
        walk = _Walk(fetcher, ctx, base_url, taxonomy, zip_kinds, {})
        plan = remembered_plan(ctx, state, zip_kinds) or {Query(state): None}
        for query, count in sorted(plan.items(), key=lambda item: item[0].key):
            yield from _walk(walk, query, count, remembered=True)
        complete = ctx.incomplete_parts == incomplete_before
        memory = {PLAN_KEY.format(state=state): plan_text(
            walk.leaves, zip_kinds, sealed=not walk.resumed_split)}
        yield ScopeDone(state, complete=complete, state=memory if complete else None)


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
