"""The registry of sources: an explicit dict, no import magic."""

from __future__ import annotations

from types import ModuleType

from . import nppes_api

SOURCES: dict[str, ModuleType] = {
    nppes_api.SOURCE_ID: nppes_api,
}


def get_source(source_id: str) -> ModuleType:
    try:
        return SOURCES[source_id]
    except KeyError:
        raise KeyError(f"unknown source {source_id!r}; known: {', '.join(SOURCES)}") from None
