"""Normalizers for the values every source spells its own way: one tested place for each."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import httpx

_PLACEHOLDERS = frozenset({"not available", "n/a", "none", "null"})
# A date, or a Socrata floating timestamp whose time is midnight ("2019-05-14T00:00:00.000").
_US_DATE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:T00:00(?::00(?:\.0+)?)?)?")


def clean(value: object) -> str | None:
    """Trimmed text with inner runs of white space collapsed; empty and placeholders become None."""
    if value is None:
        return None
    text = " ".join(str(value).split())  # called ~60 times a record: split() beats a regex
    if not text or (len(text) <= 13 and text.lower() in _PLACEHOLDERS):
        return None
    return text


# What a registry writes where it has no value, never data: the NPPES API's "--" for no name
# prefix or suffix and "NA" for no license (2026-05, SOURCES-EVIDENCE "NPPES API"; "NA" in a
# recorded answer, tests/fixtures/nppes), and their kin ("N.A.", "N/A", "NONE", "0", "-").
_NOT_DATA = re.compile(r"-+|0+|n\.?\s?a\.?|n/a|none|null", re.I)


def drop_placeholder(value: object) -> str | None:
    """``clean(value)``, or None when the value only says there is none ("--", "NA", "0")."""
    text = clean(value)
    if text is None or _NOT_DATA.fullmatch(text):
        return None
    return text


def zip5(postal_code: str | None) -> str | None:
    """The 5-digit ZIP of a US postal code given as 5 or 9 digits, with or without a hyphen."""
    if not postal_code:
        return None
    digits = re.sub(r"[^0-9]", "", postal_code)
    if len(digits) in (5, 9):
        return digits[:5]
    return None


def format_postal_code(postal_code: str | None) -> str | None:
    """US postal codes as ``NNNNN`` or ``NNNNN-NNNN``; anything else is kept as given."""
    text = clean(postal_code)
    if text is None:
        return None
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) == 9 and re.fullmatch(r"[0-9]{5}-?[0-9]{4}", text):
        return f"{digits[:5]}-{digits[5:]}"
    if len(digits) == 5 and re.fullmatch(r"[0-9]{5}", text):
        return digits
    return text


def phone(value: str | None) -> str | None:
    """US phone numbers as ``NNN-NNN-NNNN`` (a leading country code 1 dropped); others as given."""
    text = clean(value)
    if text is None:
        return None
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return text


def iso_date(value: str | None) -> str | None:
    """An ISO date (YYYY-MM-DD) from the date spellings public sources use; ValueError if unknown."""
    text = clean(value)
    if text is None:
        return None
    iso = _ISO_DATE.fullmatch(text)
    if iso:  # the common cases, without strptime's cost
        try:
            return date.fromisoformat(iso.group(1)).isoformat()
        except ValueError:
            raise ValueError(f"unrecognized date {value!r}") from None
    us = _US_DATE.fullmatch(text)
    if us:  # 05/23/2005, as the NPPES files write dates
        try:
            return date(int(us.group(3)), int(us.group(1)), int(us.group(2))).isoformat()
        except ValueError:
            raise ValueError(f"unrecognized date {value!r}") from None
    for pattern in ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S",
                    "%Y-%m-%d %H:%M", "%Y%m%d", "%m/%d/%y"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"unrecognized date {value!r}")


def epoch_to_iso(value: int | str | None) -> str | None:
    """A Unix epoch (seconds, as NPPES gives ``created_epoch``) as an ISO 8601 UTC timestamp."""
    if value in (None, ""):
        return None
    seconds = int(value)
    # NPPES has been seen to give epochs in milliseconds too.
    if seconds > 10**11:
        seconds //= 1000
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_iso(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


# Credentials as people search for them: "L.Ac.", "LAC", "L.AC" all mean a licensed acupuncturist.
_CREDENTIALS = {
    "LAC": "L.Ac.", "LICAC": "L.Ac.", "DIPLAC": "Dipl. Ac.", "DIPLOM": "Dipl. O.M.",
    "DAOM": "DAOM", "DACM": "DACM", "DAC": "DAc", "MSOM": "MSOM", "MSTOM": "MSTOM",
    "MAOM": "MAOM", "OMD": "OMD", "MD": "MD", "DO": "DO", "DC": "DC", "ND": "ND", "RN": "RN",
    "NP": "NP", "PHD": "PhD", "DIPLCH": "Dipl. C.H.", "MS": "MS", "MA": "MA",
}


def credentials(value: str | None) -> list[str]:
    """Split a credential text ("DAOM, L.Ac., Dipl. Ac.") into a list of canonical credentials."""
    text = clean(value)
    if text is None:
        return []
    out: list[str] = []
    for part in re.split(r"[,;/]|\s{2,}", text):
        part = part.strip()
        if not part:
            continue
        key = re.sub(r"[^A-Z]", "", part.upper().replace("(NCCAOM)", ""))
        canonical = _CREDENTIALS.get(key, part)
        if canonical not in out:
            out.append(canonical)
    return out


def license_number(value: str | None) -> str | None:
    """A license number reduced to the form boards and NPPES share: upper case, no spaces or
    punctuation, a leading acupuncture type prefix ("AC", "LAC", "L.Ac.") dropped and leading
    zeros dropped, so "LAC.0012345", "ac-12345" and "12345" all become "12345" (Florida's
    "AP" for acupuncture physician too: "AP0001234" is "1234"; Pennsylvania's "AU" and
    Nevada's "OMD", doctor of Oriental medicine). Migrations renormalize stored numbers with
    a frozen copy of this rule (``db/frozen.py``): change both, in a new migration."""
    text = clean(value)
    if text is None:
        return None
    compact = re.sub(r"[^A-Z0-9]", "", text.upper())
    core = re.sub(r"^(LAC|AC|ACU|ACN|LA|AP|AU|OMD)(?=[0-9])", "", compact)
    return core.lstrip("0") or ("0" if core else compact)


STATUS_VOCABULARY = ("active", "inactive", "expired", "probation", "suspended", "revoked",
                     "surrendered", "deceased", "unknown")

# The words boards use, upper-cased, mapped onto the vocabulary. A dataset's configuration can
# add its own words; anything not found is an unknown status, which the caller rejects.
STATUS_WORDS = {
    "ACTIVE": "active", "CURRENT": "active", "CLEAR": "active", "ISSUED": "active",
    "ACTIVE WITH CONDITIONS": "probation", "ACTIVE ON PROBATION": "probation",
    "PROBATION": "probation", "PROBATIONARY": "probation", "ACTIVE - PROBATION": "probation",
    "INACTIVE": "inactive", "RETIRED": "inactive", "MILITARY": "inactive",
    "VOLUNTARY INACTIVE": "inactive",
    "EXPIRED": "expired", "LAPSED": "expired", "NOT RENEWED": "expired", "DELINQUENT": "expired",
    "CANCELLED": "expired", "CANCELED": "expired", "NULL AND VOID": "expired",
    "SUSPENDED": "suspended", "SUMMARY SUSPENSION": "suspended",
    "REVOKED": "revoked",
    "SURRENDERED": "surrendered", "VOLUNTARY SURRENDER": "surrendered",
    "RELINQUISHED": "surrendered",
    "DECEASED": "deceased",
}


def license_status(value: str | None, extra: dict[str, str] | None = None) -> str | None:
    """The vocabulary word for a board's status text, or None when the text is not known.

    An empty status is "unknown" (the board said nothing); an unrecognized word is None so the
    caller can reject the row instead of guessing.
    """
    text = clean(value)
    if text is None:
        return "unknown"
    key = " ".join(text.upper().replace("_", " ").split())
    for word, status in (extra or {}).items():
        if " ".join(word.upper().split()) == key:
            return status
    return STATUS_WORDS.get(key)


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_BARE_HOST = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?::\d+)?(?:[/?#]|$)", re.I)


def website_url(value: str | None) -> str | None:
    """A listed website as an absolute http(s) URL: "www.lotus.com" becomes
    "http://www.lotus.com/"; anything else (mailto:, javascript:, "Not Available") is None."""
    text = clean(value)
    if text is None or any(c.isspace() for c in text):
        return None
    if not _SCHEME.match(text):
        if not _BARE_HOST.match(text):
            return None
        text = "http://" + text
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        return None
    if url.scheme not in ("http", "https") or not url.host:
        return None
    return str(url.copy_with(fragment=None))


def site_id(url: str) -> str:
    """The key of a practice website: host without "www." (and port, if not the default) plus
    path, without scheme, query or trailing slash, so that the same site listed as
    "https://www.lotus.com/" by one source and "http://lotus.com" by another is one site."""
    parsed = httpx.URL(url)
    host = parsed.host.lower().removeprefix("www.")
    default = {"http": 80, "https": 443}.get(parsed.scheme)
    port = f":{parsed.port}" if parsed.port and parsed.port != default else ""
    return f"{host}{port}{parsed.path.rstrip('/')}"
