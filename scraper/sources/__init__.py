"""The registry of sources: an explicit dict, no import magic.

A source is a module (or an object) with SOURCE_ID, TITLE, BASE_URL, SINK (which tables its
records go to) and ``scrape(fetcher, ctx)``.
"""

from __future__ import annotations

from typing import Any

from . import nccaom, nppes_api, oig_leie, socrata, websites

SOURCES: dict[str, Any] = {
    nppes_api.SOURCE_ID: nppes_api,
    **socrata.sources(),
    oig_leie.SOURCE_ID: oig_leie,
    nccaom.SOURCE_ID: nccaom,
    websites.SOURCE_ID: websites,
}


def get_source(source_id: str) -> Any:
    try:
        return SOURCES[source_id]
    except KeyError:
        raise KeyError(f"unknown source {source_id!r}; known: {', '.join(SOURCES)}") from None
