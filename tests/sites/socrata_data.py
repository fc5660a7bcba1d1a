"""Deterministic, made-up state license datasets that overlap the NPPES stand-in's providers.

`generate_board_rows(providers, seed)` builds, from the records of `nppes_data.generate_providers`,
five Socrata datasets in their real field names (WA DOH, CO DORA, CT DPH, TX, IL IDFPR), keyed by
portal host, each with a ground truth saying which NPPES provider every row belongs to.

The acupuncturists of a state are every individual (NPI-1) with an Acupuncturist taxonomy
(171100000X) whose taxonomy `state` is that state, licensed under the taxonomy's self-reported
`license` but written in the board's own format (NPPES "ac-12345", board "AC00012345": both give
"12345" by `normalize_license_number`), plus ~15% licensees with no NPI at all. Beside them are
rows of other professions (more of them than acupuncture rows), some of them the other licenses of
NPPES providers, so that the `$where` on the license type matters.

What a scraper and a linker must cope with, on purpose:
- names differ slightly from NPPES: middle name left out or cut to an initial, another case;
- ~70% active, the rest in each board's own words (expired, lapsed, not renewed, retired,
  cancelled, suspended, on probation, revoked, surrendered, deceased);
- bad rows in each dataset: a license number missing, an unparseable date ("13/45/2020", "N/A"),
  a status word no vocabulary knows ("PENDING AUDIT");
- Colorado publishes one row per discipline case: a license with no discipline has one row
  without `casenumber`, `programaction`, `disciplineeffectivedate`; a disciplined one has 1-3 rows
  with the same license fields; and a few license numbers of acupuncturists appear again, the same
  string, on a license of another type held by somebody else;
- a license held in a state by a provider whose practice is elsewhere carries that address.

Field names: WA, CO and CT are the published ones (DESIGN.md). The TX (`tm3v-pfq9`) and IL
(`pzzh-kp68`) field names are NOT verified against the real datasets: they are this stand-in's
guess and the scraper's configuration must name them. The acupuncture type values, status words
and number formats are also this stand-in's choice, shared with the scraper's configuration
(IL numbers start with profession code "016.", as the NPPES stand-in's IL licenses do).

Nothing depends on the clock: the same providers and seed always give the same rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .nppes_data import (
    ACUPUNCTURIST_CODE,
    DATA_AS_OF,
    FEMALE_FIRST,
    LAST_NAMES,
    MALE_FIRST,
    PREFIXES_BY_STATE,
    XSS_TEXT,
    primary_location,
)
from .socrata import LazyRows, SodaDataset

EXTRA_SHARE = 0.15  # licensees the boards know and NPPES does not
OTHER_PER_ACUPUNCTURE_ROW = 1.2  # rows of other professions per acupuncture row
BAD_DATES = ("13/45/2020", "N/A")
DISCIPLINED_CATEGORIES = ("probation", "suspended", "revoked", "surrendered")


class Truth(NamedTuple):
    row: int  # index in BoardData.rows
    npi: int | None  # the NPPES provider the row is about, if any
    kind: str  # "license", "bad-row" (acupuncture rows) or "other-profession"


@dataclass
class BoardData:
    state: str
    host: str
    dataset_id: str
    name: str
    columns: list[str]
    column_types: dict[str, str]
    column_names: dict[str, str]
    type_field: str
    number_field: str
    acupuncture_types: tuple[str, ...]
    acupuncture_where: str  # the $where selecting the acupuncture rows
    rows_updated_at: int
    rows: list[dict] = field(default_factory=list)
    truth: list[Truth] = field(default_factory=list)

    def dataset(self) -> SodaDataset:
        return SodaDataset(self.dataset_id, self.rows, rows_updated_at=self.rows_updated_at,
                           name=self.name, columns=self.columns, column_types=self.column_types,
                           column_names=self.column_names)

    def acupuncture_truth(self) -> list[Truth]:
        return [t for t in self.truth if t.kind != "other-profession"]


def normalize_license_number(value: str | None) -> str | None:
    """Upper case, no spaces or punctuation, a leading AC/LAC/ACU/LA type prefix and leading zeros
    dropped: "ac-12345", "AC.0012345" and "12345" all give "12345"."""
    compact = re.sub(r"[^A-Z0-9]", "", str(value or "").upper())
    if not compact:
        return None
    core = re.sub(r"^(LAC|ACU|AC|LA)(?=[0-9])", "", compact)
    return core.lstrip("0") or "0"


def floating(day: dt.date) -> str:
    """SODA's floating timestamp, as calendar_date values are published."""
    return day.isoformat() + "T00:00:00.000"


def _epoch(year: int, month: int, day: int, hour: int = 0) -> int:
    return calendar.timegm(dt.datetime(year, month, day, hour).timetuple())


def _title(text: str) -> str:
    return re.sub(r"[A-Za-z]+", lambda m: m.group().capitalize(), text)


# -- one person's license, before a board writes it ------------------------------------------------


@dataclass
class _License:
    npi: int | None
    first: str
    middle: str
    last: str
    number: str | None  # as the board writes it; None: missing (a bad row)
    license_type: str
    status: str  # the board's word
    category: str  # what the word means: active, expired, inactive, probation, suspended...
    issued: dt.date
    expires: dt.date
    city: str
    state: str
    zip5: str
    birth_year: int
    kind: str = "license"
    bad_date: str | None = None  # written in place of a date


class _Board:
    """What differs between boards: fields, types, words, number formats, how a row is written."""

    state = host = dataset_id = name = ""
    fields: tuple[tuple[str, str, str], ...] = ()  # (field name, display name, data type)
    type_field = number_field = ""
    acupuncture_types: tuple[str, ...] = ()
    # NPPES taxonomy code -> license type on this board, for providers' other licenses
    other_for_taxonomy: dict[str, str] = {}
    other_types: tuple[str, ...] = ()
    statuses: tuple[tuple[str, float, str], ...] = ()  # (word, weight, category)
    bad_status = "PENDING AUDIT"
    upper_names = True
    rows_updated_at = 0

    def __init__(self, rng: random.Random):
        self.rng = rng

    # numbers: `number(core, type)` writes a known number, `fresh_number(type)` makes one up
    def number(self, core: str, license_type: str) -> str:
        raise NotImplementedError

    def fresh_number(self, license_type: str) -> str:
        raise NotImplementedError

    def rows(self, lic: _License) -> list[dict]:
        raise NotImplementedError

    @property
    def acupuncture_where(self) -> str:
        values = ", ".join("'" + t.replace("'", "''") + "'" for t in self.acupuncture_types)
        if len(self.acupuncture_types) == 1:
            return f"{self.type_field} = {values}"
        return f"{self.type_field} in ({values})"

    def acupuncture_type(self, lic: _License) -> str:
        return self.acupuncture_types[0]

    # -- shared helpers ----------------------------------------------------------------------------

    def digits(self, count: int) -> str:
        return f"{self.rng.randrange(10 ** count):0{count}d}"

    def name_parts(self, first: str, middle: str, last: str) -> tuple[str, str, str]:
        """The board's spelling of a name: middle left out or cut short now and then, the board's
        case, and now and then the other case."""
        last = last.replace(XSS_TEXT, "")
        roll = self.rng.random()
        if roll < 0.25:
            middle = ""
        elif roll < 0.35:
            middle = middle[:1]
        upper = self.upper_names if self.rng.random() >= 0.05 else not self.upper_names
        change = str.upper if upper else _title
        return change(first), change(middle), change(last)

    def place_text(self, text: str) -> str:
        return text.upper() if self.upper_names else _title(text)

    def draw_status(self) -> tuple[str, str]:
        words = [(word, category) for word, _, category in self.statuses]
        weights = [weight for _, weight, _ in self.statuses]
        return self.rng.choices(words, weights)[0]

    def dates(self, category: str) -> tuple[dt.date, dt.date]:
        """(first issued, expires) that fit the status: an active license expires after the data
        date, an expired one before it."""
        rng = self.rng
        issued = dt.date(1995, 1, 1) + dt.timedelta(days=rng.randint(0, 11_000))
        if category in ("active", "probation"):
            expires = DATA_AS_OF + dt.timedelta(days=rng.randint(1, 730))
        elif category == "expired":
            low = max(issued + dt.timedelta(days=365), dt.date(2010, 1, 1))
            high = DATA_AS_OF - dt.timedelta(days=1)
            expires = low + dt.timedelta(days=rng.randint(0, max(0, (high - low).days)))
        else:
            low = issued + dt.timedelta(days=365)
            expires = low + dt.timedelta(days=rng.randint(0, max(0, (DATA_AS_OF - low).days + 365)))
        return issued, expires

    def date_text(self, lic: _License, day: dt.date) -> str:
        return lic.bad_date or floating(day)

    def disciplined(self, lic: _License) -> bool:
        return lic.category in DISCIPLINED_CATEGORIES or self.rng.random() < 0.03


def _clean(row: dict) -> dict:
    """SODA has no empty strings: an empty field is a null, and a null is left out."""
    return {name: value for name, value in row.items() if value not in (None, "")}


class _Washington(_Board):
    state, host, dataset_id = "WA", "data.wa.gov", "qxh8-f4bd"
    name = "Health Care Provider Credential Data"
    fields = (
        ("credentialnumber", "CredentialNumber", "text"),
        ("lastname", "LastName", "text"),
        ("firstname", "FirstName", "text"),
        ("middlename", "MiddleName", "text"),
        ("credentialtype", "CredentialType", "text"),
        ("status", "Status", "text"),
        ("firstissuedate", "FirstIssueDate", "calendar_date"),
        ("lastissuedate", "LastIssueDate", "calendar_date"),
        ("expirationdate", "ExpirationDate", "calendar_date"),
        ("actiontaken", "ActionTaken", "text"),
        ("birthyear", "BirthYear", "number"),
    )
    type_field, number_field = "credentialtype", "credentialnumber"
    acupuncture_types = ("Acupuncture and Eastern Medicine Practitioner License",
                         "East Asian Medicine Practitioner License")
    other_for_taxonomy = {"225700000X": "Massage Therapist License",
                          "363LF0000X": "Registered Nurse License",
                          "111N00000X": "Chiropractor License"}
    other_types = ("Registered Nurse License", "Registered Nurse License",
                   "Massage Therapist License", "Chiropractor License")
    statuses = (("ACTIVE", 70, "active"), ("EXPIRED", 12, "expired"),
                ("INACTIVE", 5, "inactive"), ("RETIRED", 3, "inactive"),
                ("ACTIVE ON PROBATION", 4, "probation"), ("SUSPENDED", 2, "suspended"),
                ("REVOKED", 2, "revoked"), ("DECEASED", 2, "deceased"))
    rows_updated_at = _epoch(2026, 2, 26, 7)
    prefixes = {"Registered Nurse License": "RN", "Massage Therapist License": "MA",
                "Chiropractor License": "CH"}

    def _prefix(self, license_type: str) -> str:
        return self.prefixes.get(license_type, "AC")

    def number(self, core: str, license_type: str) -> str:
        return self._prefix(license_type) + core.zfill(8)

    def fresh_number(self, license_type: str) -> str:
        return self._prefix(license_type) + "6" + self.digits(7)

    def acupuncture_type(self, lic: _License) -> str:
        # Licenses that lapsed before the 2021 renaming keep the profession's former name.
        if lic.category not in ("active", "probation") and lic.expires < dt.date(2021, 7, 1):
            return self.acupuncture_types[1]
        return self.acupuncture_types[0]

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last = self.name_parts(lic.first, lic.middle, lic.last)
        last_issued = max(lic.issued, lic.expires - dt.timedelta(days=730))
        return [_clean({
            "credentialnumber": lic.number, "lastname": last, "firstname": first,
            "middlename": middle, "credentialtype": lic.license_type, "status": lic.status,
            "firstissuedate": floating(lic.issued), "lastissuedate": floating(last_issued),
            "expirationdate": self.date_text(lic, lic.expires),
            "actiontaken": "Yes" if self.disciplined(lic) else "No",
            "birthyear": str(lic.birth_year),
        })]


class _Colorado(_Board):
    state, host, dataset_id = "CO", "data.colorado.gov", "7s5z-vewr"
    name = "Professional and Occupational Licenses in Colorado"
    fields = (
        ("lastname", "Last Name", "text"),
        ("firstname", "First Name", "text"),
        ("licensetype", "License Type", "text"),
        ("licensenumber", "License Number", "text"),
        ("licensefirstissuedate", "License First Issue Date", "calendar_date"),
        ("licenseexpirationdate", "License Expiration Date", "calendar_date"),
        ("licensestatusdescription", "License Status Description", "text"),
        ("programaction", "Program Action", "text"),
        ("disciplineeffectivedate", "Discipline Effective Date", "calendar_date"),
        ("casenumber", "Case Number", "text"),
    )
    type_field, number_field = "licensetype", "licensenumber"
    acupuncture_types = ("Acupuncturist",)
    other_for_taxonomy = {"225700000X": "Massage Therapist", "363LF0000X": "Registered Nurse"}
    other_types = ("Registered Nurse", "Registered Nurse", "Massage Therapist")
    statuses = (("Active", 70, "active"), ("Expired", 14, "expired"), ("Inactive", 5, "inactive"),
                ("Probation", 4, "probation"), ("Suspended", 2, "suspended"),
                ("Revoked", 2, "revoked"), ("Surrendered", 2, "surrendered"),
                ("Deceased", 1, "deceased"))
    bad_status = "Pending Audit"
    upper_names = False
    rows_updated_at = _epoch(2026, 2, 25, 9)
    prefixes = {"Registered Nurse": "RN.", "Massage Therapist": "MT."}
    actions = {"probation": ("Probation", "Stipulation and Final Agency Order"),
               "suspended": ("Suspension",), "revoked": ("Revocation",),
               "surrendered": ("Relinquishment", "Surrender"),
               None: ("Letter of Admonition", "Fine", "Confidential Letter of Concern")}

    def number(self, core: str, license_type: str) -> str:
        return self.prefixes.get(license_type, "AC.") + core.zfill(7)

    def fresh_number(self, license_type: str) -> str:
        return self.prefixes.get(license_type, "AC.") + f"{self.rng.randint(1, 99_999):07d}"

    def rows(self, lic: _License) -> list[dict]:
        first, _, last = self.name_parts(lic.first, lic.middle, lic.last)
        license_fields = {
            "lastname": last, "firstname": first, "licensetype": lic.license_type,
            "licensenumber": lic.number, "licensefirstissuedate": floating(lic.issued),
            "licenseexpirationdate": self.date_text(lic, lic.expires),
            "licensestatusdescription": lic.status,
        }
        if not self.disciplined(lic):
            return [_clean(license_fields)]
        rows = []
        for case in range(self.rng.choice((1, 1, 1, 2, 2, 3))):
            # The case that set the current status comes first; earlier ones are minor.
            actions = self.actions.get(lic.category if case == 0 else None, self.actions[None])
            effective = lic.issued + dt.timedelta(
                days=self.rng.randint(30, max(31, (DATA_AS_OF - lic.issued).days)))
            rows.append(_clean({
                **license_fields,
                "programaction": self.rng.choice(actions),
                "disciplineeffectivedate": floating(effective),
                "casenumber": f"{effective.year}-{self.digits(6)}",
            }))
        return rows


class _Connecticut(_Board):
    state, host, dataset_id = "CT", "data.ct.gov", "ngch-56tr"
    name = "State Licenses and Credentials"
    fields = (
        ("name", "Name", "text"),
        ("type", "Type", "text"),
        ("credentialnumber", "CredentialNumber", "text"),
        ("credential", "Credential", "text"),
        ("status", "Status", "text"),
        ("statusreason", "StatusReason", "text"),
        ("issuedate", "IssueDate", "calendar_date"),
        ("expirationdate", "ExpirationDate", "calendar_date"),
        ("city", "City", "text"),
        ("state", "State", "text"),
    )
    type_field, number_field = "credential", "credentialnumber"
    acupuncture_types = ("ACUP",)
    # `type` spells out what `credential` abbreviates.
    type_names = {"ACUP": "Acupuncturist", "RN": "Registered Nurse", "MT": "Massage Therapist"}
    other_for_taxonomy = {"363LF0000X": "RN", "225700000X": "MT"}
    other_types = ("RN", "RN", "RN", "MT")
    statuses = (("ACTIVE", 70, "active"), ("LAPSED", 14, "expired"), ("INACTIVE", 8, "inactive"),
                ("SUSPENDED", 2, "suspended"), ("REVOKED", 2, "revoked"),
                ("VOLUNTARY SURRENDER", 4, "surrendered"))
    reasons = {"ACTIVE": "CURRENT", "LAPSED": "NOT RENEWED", "INACTIVE": "RETIRED",
               "SUSPENDED": "DISCIPLINARY ACTION", "REVOKED": "DISCIPLINARY ACTION",
               "VOLUNTARY SURRENDER": "DISCIPLINARY ACTION"}
    rows_updated_at = _epoch(2026, 2, 27, 5)

    def number(self, core: str, license_type: str) -> str:
        return core.zfill(6)

    def fresh_number(self, license_type: str) -> str:
        top = 3_000 if license_type == "ACUP" else 150_000
        return f"{self.rng.randint(1, top):06d}"

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last = self.name_parts(lic.first, lic.middle, lic.last)
        return [_clean({
            "name": f"{last}, {first} {middle[:1]}".strip(),
            "type": self.type_names[lic.license_type], "credentialnumber": lic.number,
            "credential": lic.license_type, "status": lic.status,
            "statusreason": self.reasons.get(lic.status, ""),
            "issuedate": floating(lic.issued),
            "expirationdate": self.date_text(lic, lic.expires),
            "city": self.place_text(lic.city), "state": lic.state,
        })]


class _Texas(_Board):
    state, host, dataset_id = "TX", "data.texas.gov", "tm3v-pfq9"
    name = "Texas Medical Board Licensees (stand-in field names, not verified)"
    fields = (
        ("license_number", "License Number", "text"),
        ("last_name", "Last Name", "text"),
        ("first_name", "First Name", "text"),
        ("middle_name", "Middle Name", "text"),
        ("license_type", "License Type", "text"),
        ("license_status", "License Status", "text"),
        ("issue_date", "Issue Date", "calendar_date"),
        ("expiration_date", "Expiration Date", "calendar_date"),
        ("city", "City", "text"),
        ("state", "State", "text"),
        ("zip", "Zip", "text"),
    )
    type_field, number_field = "license_type", "license_number"
    acupuncture_types = ("Acupuncturist",)
    other_for_taxonomy = {"207R00000X": "Physician", "207Q00000X": "Physician"}
    other_types = ("Physician",)
    statuses = (("Active", 70, "active"), ("Expired", 15, "expired"),
                ("Cancelled", 8, "inactive"), ("Probation", 3, "probation"),
                ("Suspended", 2, "suspended"), ("Revoked", 2, "revoked"))
    bad_status = "Pending Audit"
    upper_names = False
    rows_updated_at = _epoch(2026, 2, 24, 12)

    def number(self, core: str, license_type: str) -> str:
        if license_type == "Physician":
            return self.rng.choice("JKLMNPQ") + core.zfill(4)
        return "AC" + core.zfill(5)

    def fresh_number(self, license_type: str) -> str:
        if license_type == "Physician":
            return self.rng.choice("JKLMNPQ") + self.digits(4)
        return "AC" + self.digits(5)

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last = self.name_parts(lic.first, lic.middle, lic.last)
        return [_clean({
            "license_number": lic.number, "last_name": last, "first_name": first,
            "middle_name": middle, "license_type": lic.license_type,
            "license_status": lic.status, "issue_date": floating(lic.issued),
            "expiration_date": self.date_text(lic, lic.expires),
            "city": self.place_text(lic.city), "state": lic.state, "zip": lic.zip5,
        })]


class _Illinois(_Board):
    state, host, dataset_id = "IL", "data.illinois.gov", "pzzh-kp68"
    name = "Professional Licensing (stand-in field names, not verified)"
    fields = (
        ("license_type", "License Type", "text"),
        ("license_number", "License Number", "text"),
        ("license_status", "License Status", "text"),
        ("first_name", "First Name", "text"),
        ("middle", "Middle", "text"),
        ("last_name", "Last Name", "text"),
        ("original_issue_date", "Original Issue Date", "calendar_date"),
        ("expiration_date", "Expiration Date", "calendar_date"),
        ("city", "City", "text"),
        ("state", "State", "text"),
        ("zip", "Zip", "text"),
        ("ever_disciplined", "Ever Disciplined", "text"),
    )
    type_field, number_field = "license_type", "license_number"
    acupuncture_types = ("LICENSED ACUPUNCTURIST",)
    other_for_taxonomy = {"363LF0000X": "REGISTERED PROFESSIONAL NURSE",
                          "225700000X": "LICENSED MASSAGE THERAPIST"}
    other_types = ("REGISTERED PROFESSIONAL NURSE", "REGISTERED PROFESSIONAL NURSE",
                   "LICENSED MASSAGE THERAPIST")
    statuses = (("ACTIVE", 70, "active"), ("NOT RENEWED", 15, "expired"),
                ("INACTIVE", 6, "inactive"), ("PROBATION", 3, "probation"),
                ("SUSPENDED", 2, "suspended"), ("REVOKED", 2, "revoked"),
                ("DECEASED", 2, "deceased"))
    rows_updated_at = _epoch(2026, 2, 27, 10)
    # IDFPR numbers are "<profession code>.<6 digits>".
    codes = {"LICENSED ACUPUNCTURIST": "016", "REGISTERED PROFESSIONAL NURSE": "041",
             "LICENSED MASSAGE THERAPIST": "227"}

    def number(self, core: str, license_type: str) -> str:
        if license_type != self.acupuncture_types[0]:
            return f"{self.codes[license_type]}.{core[-6:].zfill(6)}"
        padded = core.zfill(9)  # "16004321" -> "016.004321", which normalizes back to it
        return f"{padded[:-6]}.{padded[-6:]}"

    def fresh_number(self, license_type: str) -> str:
        return f"{self.codes[license_type]}.{self.rng.randint(1, 20_000):06d}"

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last = self.name_parts(lic.first, lic.middle, lic.last)
        return [_clean({
            "license_type": lic.license_type, "license_number": lic.number,
            "license_status": lic.status, "first_name": first, "middle": middle,
            "last_name": last, "original_issue_date": floating(lic.issued),
            "expiration_date": self.date_text(lic, lic.expires),
            "city": self.place_text(lic.city), "state": lic.state, "zip": lic.zip5,
            "ever_disciplined": "Y" if self.disciplined(lic) else "N",
        })]


BOARDS: tuple[type[_Board], ...] = (_Washington, _Colorado, _Connecticut, _Texas, _Illinois)


# -- building one board's dataset -------------------------------------------------------------------


class _Builder:
    def __init__(self, board: _Board):
        self.board = board
        self.rng = board.rng
        self.used: set[tuple[str, str]] = set()  # (license type, normalized number)

    def person(self) -> tuple[str, str, str]:
        female = self.rng.random() < 0.6
        names = FEMALE_FIRST if female else MALE_FIRST
        middle = self.rng.choice(names) if self.rng.random() < 0.5 else ""
        return self.rng.choice(names), middle, self.rng.choice(LAST_NAMES)

    def place(self) -> tuple[str, str, str]:
        prefix = self.rng.choice(PREFIXES_BY_STATE[self.board.state])
        zip5, city = self.rng.choice(prefix.places)
        return city, self.board.state, zip5

    def fresh_number(self, license_type: str) -> str:
        while True:
            number = self.board.fresh_number(license_type)
            key = (license_type, normalize_license_number(number) or "")
            if key not in self.used:
                self.used.add(key)
                return number

    def license(self, npi: int | None, names: tuple[str, str, str], license_type: str,
                number: str | None, place: tuple[str, str, str], kind: str) -> _License:
        status, category = self.board.draw_status()
        issued, expires = self.board.dates(category)
        first, middle, last = names
        city, state, zip5 = place
        lic = _License(npi, first, middle, last, number, license_type, status, category, issued,
                       expires, city, state, zip5, self.rng.randint(1950, 1996), kind)
        if license_type in self.board.acupuncture_types:
            lic.license_type = self.board.acupuncture_type(lic)
        return lic

    def provider_place(self, provider: dict) -> tuple[str, str, str]:
        location = primary_location(provider)
        return location["city"], location["state"], location["postal_code"][:5]

    def provider_names(self, provider: dict) -> tuple[str, str, str]:
        basic = provider["basic"]
        return basic["first_name"], basic.get("middle_name", ""), basic["last_name"]

    def build(self, providers: list[dict]) -> list[list[_License]]:
        board, rng = self.board, self.rng
        acupuncture = board.acupuncture_types[0]
        licensees: list[_License] = []
        others: list[_License] = []
        for provider in providers:
            if provider["enumeration_type"] != "NPI-1":
                continue
            npi = int(provider["number"])
            for taxonomy in provider["taxonomies"]:
                if taxonomy.get("state") != board.state:
                    continue
                core = normalize_license_number(taxonomy.get("license"))
                if taxonomy["code"] == ACUPUNCTURIST_CODE:
                    license_type = acupuncture
                    kind = "license"
                elif taxonomy["code"] in board.other_for_taxonomy:
                    license_type = board.other_for_taxonomy[taxonomy["code"]]
                    kind = "other-profession"
                else:
                    continue
                if core:
                    number = board.number(core, license_type)
                    self.used.add((license_type, normalize_license_number(number) or ""))
                else:  # NPPES left the number out; the board has one all the same
                    number = self.fresh_number(license_type)
                lic = self.license(npi, self.provider_names(provider), license_type, number,
                                   self.provider_place(provider), kind)
                (licensees if kind == "license" else others).append(lic)

        known = len(licensees)
        for _ in range(round(known * EXTRA_SHARE)):
            licensees.append(self.license(None, self.person(), acupuncture,
                                          self.fresh_number(acupuncture), self.place(), "license"))
        self.spoil(licensees)

        groups = [[lic] for lic in licensees + others]
        # Colorado's discipline rows make ~1.1 rows a license; 1.2 others a license covers it.
        wanted = math.ceil(len(licensees) * OTHER_PER_ACUPUNCTURE_ROW) + 3
        for _ in range(max(0, wanted - len(others))):
            license_type = rng.choice(board.other_types)
            groups.append([self.license(None, self.person(), license_type,
                                        self.fresh_number(license_type), self.place(),
                                        "other-profession")])
        return groups

    def spoil(self, licensees: list[_License]) -> None:
        """The bad rows: two numbers missing (people NPPES does not know), two unparseable dates
        and two unknown status words (on NPPES providers' rows when there are enough)."""
        acupuncture = self.board.acupuncture_types[0]
        for _ in range(2):
            lic = self.license(None, self.person(), acupuncture, None, self.place(), "bad-row")
            licensees.append(lic)
        known = [lic for lic in licensees if lic.kind == "license" and lic.npi is not None]
        pool = known if len(known) >= 4 else [lic for lic in licensees if lic.kind == "license"]
        chosen = self.rng.sample(pool, min(4, len(pool)))
        for lic, bad_date in zip(chosen[:2], BAD_DATES, strict=False):
            lic.kind, lic.bad_date = "bad-row", bad_date
        for lic in chosen[2:]:
            lic.kind, lic.status, lic.category = "bad-row", self.board.bad_status, "unknown"


def _build_board(board_class: type[_Board], providers: list[dict], seed: int) -> BoardData:
    board = board_class(random.Random(f"{seed}-{board_class.state}"))
    builder = _Builder(board)
    groups = builder.build(providers)
    if isinstance(board, _Colorado):
        groups += _colorado_number_reuse(builder, groups)
    board.rng.shuffle(groups)

    data = BoardData(
        state=board.state, host=board.host, dataset_id=board.dataset_id, name=board.name,
        columns=[f for f, _, _ in board.fields],
        column_types={f: t for f, _, t in board.fields},
        column_names={f: n for f, n, _ in board.fields},
        type_field=board.type_field, number_field=board.number_field,
        acupuncture_types=board.acupuncture_types, acupuncture_where=board.acupuncture_where,
        rows_updated_at=board.rows_updated_at,
    )
    for group in groups:
        for lic in group:
            for row in board.rows(lic):
                data.truth.append(Truth(len(data.rows), lic.npi, lic.kind))
                data.rows.append(row)
    return data


def _colorado_number_reuse(builder: _Builder, groups: list[list[_License]]) -> list[list[_License]]:
    """Colorado numbers are unique only within a license type: give a few acupuncturists'
    number strings to other people's licenses of another type."""
    acupuncture = [g[0] for g in groups
                   if g[0].kind == "license" and g[0].license_type == "Acupuncturist"]
    count = max(1, len(acupuncture) // 50) if acupuncture else 0
    reused = []
    for lic in builder.rng.sample(acupuncture, min(count, len(acupuncture))):
        license_type = builder.rng.choice(("Massage Therapist", "Registered Nurse"))
        reused.append([builder.license(None, builder.person(), license_type, lic.number,
                                       builder.place(), "other-profession")])
    return reused


def generate_board_rows(providers: list[dict], seed: int = 2026) -> dict[str, BoardData]:
    """The five license datasets, keyed by portal host ("data.wa.gov"), built from NPPES
    stand-in records (`generate_providers()`)."""
    return {board.host: _build_board(board, providers, seed) for board in BOARDS}


# -- a big lazy dataset for the benchmark ---------------------------------------------------------


def _mix(value: int) -> int:
    """splitmix64: a cheap, well-spread hash of an integer."""
    value = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


def generate_big_rows(count: int = 500_000, seed: int = 2026) -> LazyRows:
    """`(count, row_fn)`: `count` acupuncture rows of the WA dataset made on demand, the same row
    for the same (i, seed), with unique credential numbers. Serve them with
    `SodaDataset("qxh8-f4bd", generate_big_rows(), ...)`."""
    firsts, lasts = FEMALE_FIRST + MALE_FIRST, LAST_NAMES
    types = _Washington.acupuncture_types
    statuses = [word for word, weight, _ in _Washington.statuses for _ in range(int(weight))]
    categories = {word: category for word, _, category in _Washington.statuses}
    base = dt.date(1995, 1, 1).toordinal()
    as_of = DATA_AS_OF.toordinal()
    # Every date a row can hold, written once: making the text is most of a row's cost.
    days = [floating(dt.date.fromordinal(day)) for day in range(base, as_of + 732)]

    def row_fn(i: int) -> dict:
        if not 0 <= i < count:
            raise IndexError(i)
        h, g = _mix(seed * 1_000_003 + i), _mix(seed * 7_919 + i * 31 + 17)
        status = statuses[h % len(statuses)]
        issued = base + (h >> 8) % 11_000
        if categories[status] in ("active", "probation"):
            expires = as_of + 1 + (h >> 24) % 730
        else:
            expires = issued + 365 + (h >> 24) % max(1, as_of - issued)  # at most as_of + 365
        row = {
            # (i * 7919) mod 10^8 is one-to-one, so no two rows share a number.
            "credentialnumber": f"AC{(i * 7_919 + 60_000_000) % 100_000_000:08d}",
            "lastname": lasts[g % len(lasts)],
            "firstname": firsts[(g >> 10) % len(firsts)],
            "middlename": firsts[(g >> 20) % len(firsts)] if (g >> 30) % 2 else "",
            "credentialtype": types[0] if (g >> 32) % 10 else types[1],
            "status": status,
            "firstissuedate": days[issued - base],
            "lastissuedate": days[max(issued, expires - 730) - base],
            "expirationdate": days[expires - base],
            "actiontaken": "Yes" if (g >> 40) % 25 == 0 else "No",
            "birthyear": str(1950 + (g >> 45) % 47),
        }
        return _clean(row)

    return count, row_fn


def big_wa_dataset(count: int = 500_000, seed: int = 2026) -> SodaDataset:
    """The WA dataset (`qxh8-f4bd`) holding `count` lazily made acupuncture rows."""
    board = _Washington
    return SodaDataset(board.dataset_id, generate_big_rows(count, seed),
                       rows_updated_at=board.rows_updated_at, name=board.name,
                       columns=[f for f, _, _ in board.fields],
                       column_types={f: t for f, _, t in board.fields},
                       column_names={f: n for f, n, _ in board.fields})
