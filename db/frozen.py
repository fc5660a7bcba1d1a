"""The scraper's text rules as they were when a migration that uses them was written.

A migration is applied to a database once, maybe years after it was written: it must do then
what it did when it was written, whatever the scraper's code has become, and storage does not
import the scraper's logic. So the few rules a migration needs are kept here as they were:
m014 (2026-12-01) uses ``drop_placeholder`` and ``person_name``, m016 (2026-12-02)
``license_number_m016``, m021 (2026-12-02) ``license_number_m021``. Never change them; a
later migration that needs other rules gets its own copy.
"""

from __future__ import annotations

import re

_PLACEHOLDERS = frozenset({"not available", "n/a", "none", "null"})


def clean(value: object) -> str | None:
    """Trimmed text with inner runs of white space collapsed; empty and placeholders become None."""
    if value is None:
        return None
    text = " ".join(str(value).split())  # called ~60 times a record: split() beats a regex
    if not text or (len(text) <= 13 and text.lower() in _PLACEHOLDERS):
        return None
    return text


_NOT_DATA = re.compile(r"-+|0+|n\.?\s?a\.?|n/a|none|null", re.I)


def drop_placeholder(value: object) -> str | None:
    """``clean(value)``, or None when the value only says there is none ("--", "NA", "0")."""
    text = clean(value)
    if text is None or _NOT_DATA.fullmatch(text):
        return None
    return text


_NAME_PARTICLES = {"de", "da", "del", "della", "der", "di", "du", "la", "le", "van", "von", "y"}


def title_name(value: str | None) -> str | None:
    """Registry names come in capitals ("O'BRIEN-SMITH"); show them as people write them."""
    text = clean(value)
    if text is None:
        return None
    if text != text.upper():
        return text  # already mixed case: the person's own spelling wins

    def cap(word: str, first: bool) -> str:
        if not first and word.lower() in _NAME_PARTICLES:
            return word.lower()
        out = word[:1].upper() + word[1:].lower()
        # Mc/Mac names and parts after an apostrophe or hyphen keep their capital.
        out = re.sub(r"(['’-])(\w)", lambda m: m.group(1) + m.group(2).upper(), out)
        if re.match(r"^Mc\w", out):
            out = "Mc" + out[2:3].upper() + out[3:]
        return out

    return " ".join(cap(w, i == 0) for i, w in enumerate(text.split(" ")))


def person_name(first: str | None, middle: str | None, last: str | None,
                suffix: str | None = None) -> str | None:
    parts = [title_name(first), title_name(middle), title_name(last)]
    name = " ".join(p for p in parts if p)
    if suffix := drop_placeholder(suffix):  # never "Jane Doe --"
        name = f"{name} {suffix}"
    return name or None


def license_number_m016(value: str | None) -> str | None:
    """A license number as compared from 2026-12-02: upper case, no spaces or punctuation, a
    leading acupuncture prefix (LAC, AC, ACU, ACN, LA, and Florida's AP) and leading zeros
    dropped."""
    text = clean(value)
    if text is None:
        return None
    compact = re.sub(r"[^A-Z0-9]", "", text.upper())
    core = re.sub(r"^(LAC|AC|ACU|ACN|LA|AP)(?=[0-9])", "", compact)
    return core.lstrip("0") or ("0" if core else compact)


def license_number_m021(value: str | None) -> str | None:
    """As ``license_number_m016``, with Pennsylvania's AU and Nevada's OMD (doctor of Oriental
    medicine) dropped too."""
    text = clean(value)
    if text is None:
        return None
    compact = re.sub(r"[^A-Z0-9]", "", text.upper())
    core = re.sub(r"^(LAC|AC|ACU|ACN|LA|AP|AU|OMD)(?=[0-9])", "", compact)
    return core.lstrip("0") or ("0" if core else compact)
