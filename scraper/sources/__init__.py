"""The registry of sources: an explicit dict, no import magic.

A source is a module (or an object) with SOURCE_ID, TITLE, BASE_URL, SINK (which tables its
records go to) and ``scrape(fetcher, ctx)``.
"""

from __future__ import annotations

from typing import Any

from . import nccaom, nppes_api, nppes_bulk, oig_leie, socrata, websites

SOURCES: dict[str, Any] = {
    nppes_api.SOURCE_ID: nppes_api,
    nppes_bulk.SOURCE_ID: nppes_bulk,
    **socrata.sources(),
    oig_leie.SOURCE_ID: oig_leie,
    nccaom.SOURCE_ID: nccaom,
    websites.SOURCE_ID: websites,
}


def is_default(source_id: str, settings: dict[str, Any]) -> bool:
    """Part of "every source"? An opt-in source (the NPPES files) only when configured."""
    if not getattr(SOURCES[source_id], "OPT_IN", False):
        return True
    return any(settings.get(k) for k in ("file", "url", "weekly_files", "weekly_urls",
                                         "deactivation_file", "deactivation_url"))


def get_source(source_id: str) -> Any:
    try:
        return SOURCES[source_id]
    except KeyError:
        raise KeyError(f"unknown source {source_id!r}; known: {', '.join(SOURCES)}") from None
