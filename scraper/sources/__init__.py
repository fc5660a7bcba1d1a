"""The registry of sources: an explicit dict, no import magic.

Each entry is a ``Source`` (``scraper/sources/base.py``): a module registered with
``ModuleSource``, which gives what the module does not say itself (its cadence, its states,
whether it is opt-in), or a ``Source`` object (each state board is a ``SocrataSource``).
"""

from __future__ import annotations

from typing import Any

from . import (
    boardfile,
    lookup,
    nccaom,
    nppes_api,
    nppes_bulk,
    oig_leie,
    register,
    saved,
    socrata,
    websites,
)
from .base import MONTH, WEEK, ModuleSource, Source

SOURCES: dict[str, Source] = {
    nppes_api.SOURCE_ID: ModuleSource(nppes_api, every=WEEK, states=tuple(nppes_api.STATES),
                                      other_states=nppes_api.OTHER_STATES,
                                      parse=saved.nppes_api_file),
    # Not part of "every source": run when named, or when its settings name a file;
    # daily, since a file not changed costs one conditional request.
    nppes_bulk.SOURCE_ID: ModuleSource(nppes_bulk, states=tuple(nppes_api.STATES), opt_in_settings=(
        "file", "url", "weekly_files", "weekly_urls", "deactivation_file", "deactivation_url"),
        parse=saved.nppes_file),
    **socrata.sources(),  # daily
    **boardfile.sources(),  # each at its board's cadence (California monthly)
    **register.sources(),  # paged JSON registers (NV, AZ), weekly
    # Boards asked one license at a time, each number again after its cadence (monthly);
    # New York only with the operator's own key.
    **lookup.sources(),
    oig_leie.SOURCE_ID: ModuleSource(oig_leie, every=MONTH, parse=saved.leie_file),
    nccaom.SOURCE_ID: ModuleSource(nccaom, every=MONTH, states=tuple(nppes_api.STATES),
                                   parse=saved.nccaom_file),
    websites.SOURCE_ID: ModuleSource(websites, every=MONTH, parse=saved.website_file),
}


def register_configured(settings: dict[str, dict[str, Any]]) -> list[str]:
    """Add the boards the operator's file defines by settings alone (``kind = "board-file"``,
    see ``boardfile.from_settings``); returns their ids. ValueError names a bad entry."""
    added = []
    for source_id, values in settings.items():
        kind = values.get("kind")
        if kind is None:
            continue
        if kind != "board-file":
            raise ValueError(f"[sources.{source_id}] kind = {kind!r}: the only kind a source "
                             "can be defined as in settings is \"board-file\"")
        existing = SOURCES.get(source_id)
        if existing is not None and (source_id in boardfile.BOARD_FILES or not isinstance(
                existing, boardfile.BoardFileSource)):
            raise ValueError(f"[sources.{source_id}] kind = \"board-file\": {source_id} is a "
                             "built-in source; give the board another id")
        SOURCES[source_id] = boardfile.from_settings(source_id, values)
        added.append(source_id)
    return added


def is_default(source_id: str, settings: dict[str, Any]) -> bool:
    """Part of "every source"? An opt-in source (the NPPES files) only when configured."""
    return SOURCES[source_id].is_default(settings)


def get_source(source_id: str) -> Source:
    try:
        return SOURCES[source_id]
    except KeyError:
        raise KeyError(f"unknown source {source_id!r}; known: {', '.join(SOURCES)}") from None
