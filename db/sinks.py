"""Where each kind of record goes, and in which order the kinds are filled.

A source names its sink (``Source.SINK``); the job runner stores each page of records with the
sink's writer and, when a source has walked a whole scope, marks gone the rows it did not see
again, in the sink's ``gone`` tables. Sources run in waves by their sink's ``wave``: the
providers first (the exclusion list keeps the rows whose NPI is among our providers, so it must
see them), the NPPES files after the API (they fill in what the API runs did not store), the
boards, exclusions and certifications next, the practice websites last (they read the websites
the other sources list).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from . import store


@dataclass(frozen=True)
class Sink:
    """Where a source's records go: the writer, the table whose rows a 304 page touches, the
    (table, key, scope column, columns to set) whose unseen rows a complete scope marks, and
    the wave its sources run in."""

    upsert: Callable[..., Counter[str]]
    table: str
    gone: tuple[tuple[str, str, str, dict[str, str]], ...]
    wave: int = 2


SINKS: dict[str, Sink] = {
    "providers": Sink(store.upsert_providers, "providers",
                      (("providers", "npi", "state", {}),), wave=0),
    # The NPPES files: what only the API gives is kept; a deactivation report sets dates.
    "providers-bulk": Sink(store.upsert_bulk_providers, "providers",
                           (("providers", "npi", "state", {}),), wave=1),
    "licenses": Sink(store.upsert_license_records, "licenses",
                     (("licenses", "license_id", "source", {}),
                      ("disciplinary_actions", "action_id", "source", {}))),
    # OIG takes reinstated people off the list, but a row also drops out when OIG corrects
    # it: absence alone says "delisted"; only a reinstatement date says "reinstated".
    "exclusions": Sink(store.upsert_exclusions, "exclusions",
                       (("exclusions", "exclusion_id", "source", {"status": "delisted"}),)),
    "certifications": Sink(store.upsert_certifications, "certifications",
                           (("certifications", "profile_id", "state", {}),)),
    # A website no record lists any more is marked gone (its tags then link to nobody).
    "websites": Sink(store.upsert_websites, "websites", (("websites", "site_id", "source", {}),),
                     wave=3),
}
