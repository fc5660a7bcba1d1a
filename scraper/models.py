"""Dataclasses the sources produce. Every record carries its provenance (source, URL, time)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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

    def location(self) -> Address | None:
        return next((a for a in self.addresses if a.purpose == "location"), None)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
