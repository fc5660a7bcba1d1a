"""Specialty tags from free text, with the vocabulary kept as data (data/specialties.toml)."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

VOCABULARY_PATH = Path(__file__).parent / "data" / "specialties.toml"
FACIAL = "facial acupuncture"


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, re.Pattern[str]]:
    """Tag -> one whole-word, case-insensitive pattern of all its phrases."""
    data = tomllib.loads(VOCABULARY_PATH.read_text(encoding="utf-8"))
    out = {}
    for tag, entry in data["tags"].items():
        phrases = sorted(entry["phrases"], key=len, reverse=True)  # longest first
        alternatives = "|".join(re.escape(p).replace(r"\ ", r"[\s-]+") for p in phrases)
        out[tag] = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.I)
    return out


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+|\s*[•;]\s*", text) if s.strip()]


def tag_text(text: str | None) -> list[tuple[str, str]]:
    """(tag, the sentence or item that claims it) for each tag the text claims, first claim."""
    if not text:
        return []
    found: dict[str, str] = {}
    for sentence in _sentences(text):
        for tag, pattern in vocabulary().items():
            if tag not in found and pattern.search(sentence):
                found[tag] = sentence[:300]
    return sorted(found.items())
