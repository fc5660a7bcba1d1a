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


# "we do not offer cosmetic acupuncture", "no longer offering facial cupping": a denial, not a
# claim, when a negation comes within a few words before the phrase, in the same clause.
_NEGATED = re.compile(r"(?:\b(?:not|no|never|nor|without)|n't)\s+(?:[\w'-]+\s+){0,3}$", re.I)


def _claims(pattern: re.Pattern[str], sentence: str) -> bool:
    return any(not _NEGATED.search(sentence[max(0, m.start() - 60):m.start()])
               for m in pattern.finditer(sentence))


def tag_text(text: str | None) -> list[tuple[str, str]]:
    """(tag, the sentence or item that claims it) for each tag the text claims: the first
    claim, or the first whole sentence if the first claim is a bare heading or list item.
    A phrase just after a negation ("we do not offer cosmetic acupuncture") claims nothing."""
    if not text:
        return []
    found: dict[str, str] = {}
    for sentence in _sentences(text):
        for tag, pattern in vocabulary().items():
            if (tag not in found or better_evidence(sentence, found[tag])) \
                    and _claims(pattern, sentence):
                found[tag] = sentence[:300]
    return sorted(found.items())


def better_evidence(new: str, old: str) -> bool:
    """A whole sentence says more than a heading or a menu item ("Facial Rejuvenation"): the
    first claim stands unless it is a bare phrase and the new one is a sentence."""
    return len(old.split()) < SENTENCE_WORDS <= len(new.split())


SENTENCE_WORDS = 5


def specialty_anchor(tag: str) -> str:
    """The id of a specialty's claim on the practitioner page, for a link to it: ``specialty-``
    and the tag with its spaces as hyphens (``specialty-facial-acupuncture``)."""
    return "specialty-" + re.sub(r"\s+", "-", tag.strip())
