"""The neutral types every layer shares: the records the sources produce (each carries its
provenance: source, URL, time), a fetched page and what a conditional request needs of it,
a part's checkpoint. Storage (``db/``) imports from the scraper only this module."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .normalize import person_name

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Validators:
    """What a conditional request needs from the last successful fetch of a URL."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass
class Page:
    url: str
    status: int
    content: bytes
    headers: httpx.Headers
    fetched_at: datetime
    encoding: str = "utf-8"
    not_modified: bool = False
    elapsed: float = 0.0
    path: str | None = None  # where a download() wrote the body (content is then empty)
    digest: str | None = None  # sha256 of a downloaded body

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, errors="replace")

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_hash(self) -> str | None:
        if self.not_modified:
            return None
        return self.digest or hashlib.sha256(self.content).hexdigest()

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified)


@dataclass(frozen=True)
class PartState:
    """Checkpoint of one part of a source's work (a query, a listing)."""

    part: str
    state: str  # "pending" (next_skip says where to go on), "done", "split", "incomplete"
    next_skip: int = 0
    note: str | None = None


@dataclass(frozen=True)
class Known:
    """What the fetch log remembers of a URL from the last committed fetch."""

    validators: Validators
    records: int


@dataclass(frozen=True)
class Provenance:
    source: str
    source_url: str
    fetched_at: str  # ISO 8601 UTC


@dataclass
class Address:
    purpose: str  # "location" (primary practice), "mailing", or "practice" (other locations)
    seq: int
    address_1: str | None
    address_2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    zip5: str | None
    country_code: str | None
    phone: str | None
    fax: str | None
    updated_on: str | None = None


@dataclass
class Taxonomy:
    seq: int
    code: str | None
    description: str | None
    is_primary: bool
    state: str | None
    # Self-reported by the provider to NPPES; a state board is the authority (see licenses).
    license_number: str | None
    license_number_normalized: str | None
    taxonomy_group: str | None = None


@dataclass
class Provider:
    """One NPPES record (an NPI), individual (NPI-1) or organization (NPI-2)."""

    npi: str
    enumeration_type: str  # "NPI-1" or "NPI-2"
    display_name: str
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    name_prefix: str | None
    name_suffix: str | None
    credential: str | None
    organization_name: str | None
    gender: str | None
    sole_proprietor: str | None
    status: str | None
    enumerated_on: str | None
    updated_on: str | None
    created_at: str | None
    updated_at: str | None
    deactivated_on: str | None
    reactivated_on: str | None
    authorized_official: str | None
    authorized_official_title: str | None
    authorized_official_phone: str | None
    other_names: list[dict[str, Any]]
    identifiers: list[dict[str, Any]]
    addresses: list[Address]
    taxonomies: list[Taxonomy]
    provenance: Provenance | None = field(default=None, compare=False)
    website: str | None = None  # from the endpoints (type WEB), if any

    def location(self) -> Address | None:
        return next((a for a in self.addresses if a.purpose == "location"), None)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class License:
    """One license as a state board publishes it."""

    jurisdiction: str  # two-letter state of the board
    license_type: str
    license_number: str  # as given
    license_number_normalized: str
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    full_name: str | None  # as given, when the board gives one name field ("LAST, FIRST M")
    status: str | None  # as given
    status_normalized: str  # active / inactive / expired / probation / suspended / revoked /
    # surrendered / deceased / unknown
    issued_on: str | None
    expires_on: str | None
    city: str | None
    state: str | None
    zip: str | None
    disciplined: bool | None  # the board's own flag, where it has one
    dataset_id: str
    provenance: Provenance | None = field(default=None, compare=False)
    # Where a person can check this license on the board's own site: the dataset's link for
    # it (Colorado's linktoverifylicense), else the board's public lookup page.
    verify_url: str | None = None
    # What some boards publish beside the license (California: the address of record, the
    # school, the degree and the year of graduation).
    address: str | None = None
    school: str | None = None
    degree: str | None = None
    graduated: str | None = None

    @property
    def license_id(self) -> str:
        return license_id(self.jurisdiction, self.license_type, self.license_number_normalized)

    @property
    def display_name(self) -> str | None:
        """"Anna K. O'Brien": the name parts in order, else the one name field as given."""
        return person_name(self.first_name, self.middle_name, self.last_name) or self.full_name


def license_id(jurisdiction: str, license_type: str, normalized_number: str) -> str:
    """The natural key: jurisdiction + license type + normalized number ("CO:acupuncturist:1234")."""
    return f"{jurisdiction}:{_slug(license_type)}:{normalized_number}"


@lru_cache(maxsize=256)
def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


@dataclass
class DisciplinaryAction:
    license_id: str
    jurisdiction: str
    case_number: str | None
    action: str | None
    effective_on: str | None
    provenance: Provenance | None = field(default=None, compare=False)

    @property
    def action_id(self) -> str:
        return f"{self.license_id}:{self.case_number or self.effective_on or self.action}"


@dataclass
class Exclusion:
    """One row of the OIG List of Excluded Individuals/Entities."""

    npi: str | None
    last_name: str | None
    first_name: str | None
    middle_name: str | None
    business_name: str | None
    general: str | None
    specialty: str | None
    upin: str | None
    born_on: str | None
    address: str | None
    city: str | None
    state: str | None
    zip: str | None
    exclusion_type: str | None
    excluded_on: str | None
    reinstated_on: str | None
    waiver_on: str | None
    waiver_state: str | None
    provenance: Provenance | None = field(default=None, compare=False)

    @property
    def exclusion_id(self) -> str:
        """Stable across monthly files: who, what and when of the exclusion."""
        parts = (self.last_name, self.first_name, self.middle_name, self.business_name, self.npi,
                 self.born_on, self.exclusion_type, self.excluded_on)
        return "|".join(p or "" for p in parts)

    @property
    def display_name(self) -> str | None:
        return person_name(self.first_name, self.middle_name, self.last_name) \
            or self.business_name


@dataclass
class Reject:
    """A source row that could not be stored as a record, kept with the reason."""

    source: str
    reason: str
    raw: dict[str, Any]
    provenance: Provenance | None = field(default=None, compare=False)
    stored: bool = False  # True: the record was kept, without the values the reason names


@dataclass
class Certification:
    """One diplomate as the directory lists them."""

    profile_id: str
    name: str
    name_credentials: str | None  # what followed the name ("L.Ac.")
    status: str | None  # "Certified Diplomate"
    gender: str | None
    phone: str | None
    website: str | None
    address: str | None  # as shown
    street: str | None
    city: str | None
    state: str | None
    country: str | None
    certificates: list[str] = field(default_factory=list)  # ["Dipl. Ac.", "Dipl. C.H."]
    profile_url: str | None = None
    provenance: Provenance | None = field(default=None, compare=False)
    # From the profile page, when it was read:
    conditions: list[str] = field(default_factory=list)  # "Health Conditions Treated"
    languages: list[str] = field(default_factory=list)
    education: list[str] = field(default_factory=list)
    about: str | None = None


@dataclass
class Profile:
    """What an NCCAOM profile page says beyond its card."""

    profile_id: str
    name: str
    name_credentials: str | None
    credential_line: str | None  # "Dipl. Ac. (NCCAOM)"
    gender: str | None
    phone: str | None
    website: str | None
    address: str | None
    street: str | None
    city: str | None
    state: str | None
    country: str | None
    about: str | None
    badges: list[str] = field(default_factory=list)
    education: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)  # "Health Conditions Treated"
    provenance: Provenance | None = field(default=None, compare=False)


@dataclass
class WebsiteTag:
    """A specialty a practice's own site claims: the tag, the page and the sentence."""

    tag: str
    evidence_url: str
    snippet: str


# A site that could not be looked at this time keeps what it claimed at its last reading.
# A reading that says nothing of the site's claims keeps those of its last reading.
TRANSIENT_WEBSITE_STATUSES = frozenset({"unreachable", "gated", "error", "unreadable"})


@dataclass
class Website:
    """One practice website as read (or not) by the websites source."""

    site_id: str  # normalize.site_id of the listed address
    url: str  # the address as listed
    final_url: str | None  # the first page read, after redirects
    status: str  # ok, robots, unsafe, too-large, http-error, unreachable, gated, not-html,
    # unreadable (nested too deep), error
    detail: str | None  # why, when not ok (or which pages failed)
    pages: list[str] = field(default_factory=list)
    tags: list[WebsiteTag] = field(default_factory=list)
    listed_by: list[str] = field(default_factory=list)  # "providers:1234567890"
    fetched_at: datetime | None = None
    checked_at: str = ""
    provenance: Provenance | None = field(default=None, compare=False)
