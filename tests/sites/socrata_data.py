"""Deterministic, made-up state license datasets that overlap the NPPES stand-in's providers.

`generate_board_rows(providers, seed)` builds, from the records of `nppes_data.generate_providers`,
five Socrata datasets (WA DOH, CO DORA, CT DPH, TX TMB, IL IDFPR), keyed by portal host, each with
a ground truth saying which NPPES provider every row belongs to.

The stand-in is a witness, not a mirror: each dataset speaks what ../shared/SOURCES-EVIDENCE.md
("Socrata (SODA) state boards", gathered 2026-12-01) shows of the real one, so a
scraper that guesses a field name or a value fails here as it would there. Its configuration
must not be read from this module: `BoardData` says which field holds the acupuncture marker
(`type_field`) and its values, for the tests of the stand-in and the ground truth only.

Confirmed by the evidence (field names, in metadata and rows, are the evidence's lists exactly):
- wa-doh `qxh8-f4bd`: `credentialtype` in title case with a capital "And" ("Registered Nurse
  License", "Physician And Surgeon License"); `actiontaken` "Yes"/"No"; a birth year.
- co-dora `7s5z-vewr`: `licensetype` holds short codes (RN, MT, ME, EC, JW, COS, APN, ARC, PDO:
  the other professions here use several); `linktoverifylicense` is a URL-type column, answered
  as `{"url": ...}`; license numbers are unique only within a type; one row per discipline case.
- ct-dph `ngch-56tr`: `credential` holds the title in mixed case ("Registered Nurse"), `type`
  is INDIVIDUAL / BUSINESS / LLC, `credentialtype` a numeric code, `name` "FIRST [M] LAST" for
  individuals, `statusreason` in words ("LAPSED DUE TO NON-RENEWAL").
- tx-tmb `tm3v-pfq9`: `license_type` ("Physician License"), `first_name` may hold the middle
  initial ("ADA M"), `disciplinary_status` "NONE" or a description, `practice_*` address; no
  middle_name, issue_date, expiration_date, city, state or zip.
- il-idfpr `pzzh-kp68`: `license_type` is the profession group ('ACUPUNCTURE'), `description`
  the title, `business` "Y" for a business, dates are text "MM/DD/YYYY" (dataTypeName "text").

Unconfirmed, the stand-in's choice (a scraper must find these at run time, not trust them):
- the acupuncture markers: WA "Acupuncture And Eastern Medicine Practitioner License" (current)
  and "East Asian Medicine Practitioner License" (lapsed before the 2021 renaming); CO "AC"
  (`COLORADO_ACUPUNCTURE_CODE`; a test can build another with `acupuncture_types=`); CT
  "Acupuncturist"; TX "Acupuncturist License"; IL description "LICENSED ACUPUNCTURIST";
- every status word, number format, the other professions' codes and titles, CT credential codes
  and full-code prefixes ("ACUP.000123"), TX registration_status and degree values, the CO
  verify link's query, CO numbers as bare digits, which date columns are calendar_date
  (all but IL's), the display names and dataset names in the metadata.

What a scraper and a linker must cope with, on purpose:
- acupuncture rows are fewer than the other professions' rows, and some of those are the other
  licenses of NPPES providers, so that selecting by the marker matters; CO, CT and IL also
  have a few businesses (no person's name);
- the acupuncturists of a state are every individual (NPI-1) with an Acupuncturist taxonomy
  (171100000X) whose taxonomy `state` is that state, licensed under the taxonomy's
  self-reported `license` but written in the board's format (NPPES "ac-12345", board
  "AC00012345": both give "12345" by `normalize_license_number`), plus ~15% with no NPI at all;
- names differ slightly from NPPES: middle name left out or cut to an initial, another case;
- ~70% active, the rest in each board's own words (expired, lapsed, not renewed, retired,
  cancelled, suspended, on probation, revoked, surrendered, deceased);
- bad rows in each dataset: a license number missing, an unparseable date ("13/45/2020", "N/A"),
  a status word no vocabulary knows ("PENDING AUDIT");
- Colorado publishes one row per discipline case: a license with no discipline has one row
  without `casenumber`, `programaction`, `disciplineeffectivedate`; a disciplined one has 1-3 rows
  with the same license fields; and a few acupuncture license numbers appear again, the same
  string, on a license of another type held by somebody else;
- a license held in a state by a provider whose practice is elsewhere carries that address.

Nothing depends on the clock: the same providers and seed always give the same rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import random
import re
from collections.abc import Mapping, Sequence
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
BUSINESS_SHARE = 0.03  # business licenses per acupuncture license, where a board has them
BAD_DATES = ("13/45/2020", "N/A")
DISCIPLINED_CATEGORIES = ("probation", "suspended", "revoked", "surrendered")
COLORADO_ACUPUNCTURE_CODE = "AC"  # unconfirmed ("AC" or "ACU" are guesses)
SUFFIXES = ("JR", "SR", "II", "III")


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
    type_field: str  # the field holding the acupuncture marker
    number_field: str
    acupuncture_types: tuple[str, ...]  # the marker's values in this stand-in (see the docstring)
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


def us_date(day: dt.date) -> str:
    """A date in a text column, as Illinois writes it: "05/14/2019"."""
    return day.strftime("%m/%d/%Y")


def _epoch(year: int, month: int, day: int, hour: int = 0) -> int:
    return calendar.timegm(dt.datetime(year, month, day, hour).timetuple())


def _title(text: str) -> str:
    return re.sub(r"[A-Za-z]+", lambda m: m.group().capitalize(), text)


def _digits_of(core: str) -> str:
    """The digits of a normalized number, no leading zeros: another profession's NPPES license
    ("MT12345") read the way a board that writes digits only would."""
    return re.sub(r"\D", "", core).lstrip("0") or "0"


# -- one person's (or business's) license, before a board writes it --------------------------------


@dataclass
class _License:
    npi: int | None
    first: str
    middle: str
    last: str
    suffix: str
    number: str | None  # as the board writes it; None: missing (a bad row)
    license_type: str  # the board's value for it (IL: the title, see _Illinois)
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
    entity: str = ""  # a business's name; no person's name then

    @property
    def acupuncture(self) -> bool:
        return self.kind != "other-profession"

    @property
    def last_renewed(self) -> dt.date:
        return max(self.issued, self.expires - dt.timedelta(days=730))


class _Board:
    """What differs between boards: fields, types, words, number formats, how a row is written."""

    state = host = dataset_id = name = ""
    fields: tuple[tuple[str, str, str], ...] = ()  # (field name, display name, data type)
    type_field = number_field = ""
    acupuncture_types: tuple[str, ...] = ()
    # NPPES taxonomy code -> license type on this board, for providers' other licenses
    other_for_taxonomy: dict[str, str] = {}
    other_types: tuple[str, ...] = ()  # drawn for made-up licensees of other professions
    business_types: tuple[str, ...] = ()  # license types held by businesses
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

    def acupuncture_type(self, lic: _License) -> str:
        return self.acupuncture_types[0]

    def other_type_values(self) -> set[str]:
        """The values of `type_field` the other professions use."""
        return {*self.other_types, *self.other_for_taxonomy.values(), *self.business_types}

    # -- shared helpers ----------------------------------------------------------------------------

    def digits(self, count: int) -> str:
        return f"{self.rng.randrange(10 ** count):0{count}d}"

    def case(self, text: str) -> str:
        return text.upper() if self.upper_names else _title(text)

    def name_parts(self, lic: _License) -> tuple[str, str, str, str]:
        """The board's spelling of a name (first, middle, last, suffix): middle left out or cut
        short now and then, the board's case, and now and then the other case."""
        middle, last = lic.middle, lic.last.replace(XSS_TEXT, "")
        roll = self.rng.random()
        if roll < 0.25:
            middle = ""
        elif roll < 0.35:
            middle = middle[:1]
        upper = self.upper_names if self.rng.random() >= 0.05 else not self.upper_names
        change = str.upper if upper else _title
        return change(lic.first), change(middle), change(last), change(lic.suffix)

    def place_text(self, text: str) -> str:
        return self.case(text)

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

    write_date = staticmethod(floating)

    def date_text(self, lic: _License, day: dt.date) -> str:
        return lic.bad_date or self.write_date(day)

    def disciplined(self, lic: _License) -> bool:
        return lic.category in DISCIPLINED_CATEGORIES or self.rng.random() < 0.03

    def entity_name(self, license_type: str) -> str:
        """A made-up business name for a license of `license_type`."""
        return f"{self.rng.choice(LAST_NAMES)} {self.rng.choice(('HEALTH', 'CARE', 'GROUP'))}"


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
    # (current name, the name of licenses that lapsed before the 2021 renaming)
    acupuncture_types = ("Acupuncture And Eastern Medicine Practitioner License",
                         "East Asian Medicine Practitioner License")
    other_for_taxonomy = {"225700000X": "Massage Therapist License",
                          "363LF0000X": "Advanced Registered Nurse Practitioner License",
                          "111N00000X": "Chiropractor License",
                          "207R00000X": "Physician And Surgeon License",
                          "207Q00000X": "Physician And Surgeon License"}
    other_types = ("Registered Nurse License", "Registered Nurse License",
                   "Physician And Surgeon License", "Massage Therapist License",
                   "Chiropractor License")
    statuses = (("ACTIVE", 70, "active"), ("EXPIRED", 12, "expired"),
                ("INACTIVE", 5, "inactive"), ("RETIRED", 3, "inactive"),
                ("ACTIVE ON PROBATION", 4, "probation"), ("SUSPENDED", 2, "suspended"),
                ("REVOKED", 2, "revoked"), ("DECEASED", 2, "deceased"))
    rows_updated_at = _epoch(2026, 2, 26, 7)
    prefixes = {"Registered Nurse License": "RN", "Massage Therapist License": "MA",
                "Chiropractor License": "DC", "Physician And Surgeon License": "MD",
                "Advanced Registered Nurse Practitioner License": "AP"}

    def _prefix(self, license_type: str) -> str:
        return self.prefixes.get(license_type, "AC")

    def number(self, core: str, license_type: str) -> str:
        if license_type not in self.acupuncture_types:
            core = _digits_of(core)
        return self._prefix(license_type) + core.zfill(8)

    def fresh_number(self, license_type: str) -> str:
        return self._prefix(license_type) + "6" + self.digits(7)

    def acupuncture_type(self, lic: _License) -> str:
        # Licenses that lapsed before the 2021 renaming keep the profession's former name.
        lapsed = lic.category not in ("active", "probation") and lic.expires < dt.date(2021, 7, 1)
        return self.acupuncture_types[-1] if lapsed else self.acupuncture_types[0]

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last, _ = self.name_parts(lic)
        return [_clean({
            "credentialnumber": lic.number, "lastname": last, "firstname": first,
            "middlename": middle, "credentialtype": lic.license_type, "status": lic.status,
            "firstissuedate": floating(lic.issued), "lastissuedate": floating(lic.last_renewed),
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
        ("middlename", "Middle Name", "text"),
        ("suffix", "Suffix", "text"),
        ("entityname", "Entity Name", "text"),
        ("city", "City", "text"),
        ("state", "State", "text"),
        ("mailzipcode", "Mail Zip Code", "text"),
        ("licensetype", "License Type", "text"),
        ("subcategory", "Sub Category", "text"),
        ("licensenumber", "License Number", "text"),
        ("licensefirstissuedate", "License First Issue Date", "calendar_date"),
        ("licenselastreneweddate", "License Last Renewed Date", "calendar_date"),
        ("licenseexpirationdate", "License Expiration Date", "calendar_date"),
        ("licensestatusdescription", "License Status Description", "text"),
        ("specialty", "Specialty", "text"),
        ("linktoverifylicense", "Link to Verify License", "url"),
        ("programaction", "Program Action", "text"),
        ("casenumber", "Case Number", "text"),
        ("disciplineeffectivedate", "Discipline Effective Date", "calendar_date"),
    )
    type_field, number_field = "licensetype", "licensenumber"
    acupuncture_types = (COLORADO_ACUPUNCTURE_CODE,)
    other_for_taxonomy = {"225700000X": "MT", "363LF0000X": "APN", "111N00000X": "DC",
                          "207R00000X": "DR", "207Q00000X": "DR"}
    # nurses, massage therapists, electricians, cosmetologists, architects, physicians
    other_types = ("RN", "RN", "RN", "MT", "APN", "ME", "JW", "COS", "COS", "ARC", "DR")
    business_types = ("EC", "PDO")  # electrical contractors, prescription drug outlets
    subcategories = {"APN": ("Family", "Adult-Gerontology", "Psychiatric-Mental Health"),
                     "ME": ("Master Electrician",)}
    specialties = {"DR": ("Family Medicine", "Internal Medicine", "Anesthesiology", "")}
    statuses = (("Active", 70, "active"), ("Expired", 14, "expired"), ("Inactive", 5, "inactive"),
                ("Probation", 4, "probation"), ("Suspended", 2, "suspended"),
                ("Revoked", 2, "revoked"), ("Surrendered", 2, "surrendered"),
                ("Deceased", 1, "deceased"))
    bad_status = "Pending Audit"
    upper_names = False
    rows_updated_at = _epoch(2026, 2, 25, 9)
    verify_url = "https://apps2.colorado.gov/dora/licensing/Lookup/LicenseLookup.aspx"
    actions = {"probation": ("Probation", "Stipulation and Final Agency Order"),
               "suspended": ("Suspension",), "revoked": ("Revocation",),
               "surrendered": ("Relinquishment", "Surrender"),
               None: ("Letter of Admonition", "Fine", "Confidential Letter of Concern")}

    # Numbers are digits, unique only within a license type.
    def number(self, core: str, license_type: str) -> str:
        return _digits_of(core)

    def fresh_number(self, license_type: str) -> str:
        top = 20_000 if license_type in self.acupuncture_types else 999_999
        return str(self.rng.randint(1, top))

    def entity_name(self, license_type: str) -> str:
        kind = {"EC": "Electric", "PDO": "Pharmacy"}.get(license_type, "Services")
        last = _title(self.rng.choice(LAST_NAMES))
        return f"{last} {kind} {self.rng.choice(('LLC', 'Inc', 'Co'))}"

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last, suffix = self.name_parts(lic) if not lic.entity else ("",) * 4
        zip_code = lic.zip5 if self.rng.random() < 0.75 else f"{lic.zip5}-{self.digits(4)}"
        subcategory = (self.rng.choice(self.subcategories[lic.license_type])
                       if lic.license_type in self.subcategories else "")
        specialty = (self.rng.choice(self.specialties[lic.license_type])
                     if lic.license_type in self.specialties else "")
        link = None
        if lic.number is not None:  # the board's own page for the license: unique, stable
            link = {"url": f"{self.verify_url}?LicenseType={lic.license_type}"
                           f"&LicenseNumber={lic.number}"}
        license_fields = {
            "lastname": last, "firstname": first, "middlename": middle, "suffix": suffix,
            "entityname": lic.entity, "city": self.place_text(lic.city), "state": lic.state,
            "mailzipcode": zip_code, "licensetype": lic.license_type, "subcategory": subcategory,
            "licensenumber": lic.number, "licensefirstissuedate": floating(lic.issued),
            "licenselastreneweddate": floating(lic.last_renewed),
            "licenseexpirationdate": self.date_text(lic, lic.expires),
            "licensestatusdescription": lic.status, "specialty": specialty,
            "linktoverifylicense": link,
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
                "casenumber": f"{effective.year}-{self.digits(6)}",
                "disciplineeffectivedate": floating(effective),
            }))
        return rows


class _Connecticut(_Board):
    state, host, dataset_id = "CT", "data.ct.gov", "ngch-56tr"
    name = "State Licenses and Credentials"
    fields = (
        ("credentialid", "CredentialId", "number"),
        ("name", "Name", "text"),
        ("type", "Type", "text"),
        ("businessname", "BusinessName", "text"),
        ("dba", "DBA", "text"),
        ("fullcredentialcode", "FullCredentialCode", "text"),
        ("credentialnumber", "CredentialNumber", "text"),
        ("credentialtype", "CredentialType", "text"),
        ("credential", "Credential", "text"),
        ("status", "Status", "text"),
        ("statusreason", "StatusReason", "text"),
        ("issuedate", "IssueDate", "calendar_date"),
        ("effectivedate", "EffectiveDate", "calendar_date"),
        ("expirationdate", "ExpirationDate", "calendar_date"),
        ("city", "City", "text"),
        ("state", "State", "text"),
        ("zip", "Zip", "text"),
    )
    type_field, number_field = "credential", "credentialnumber"
    acupuncture_types = ("Acupuncturist",)
    # credential -> (credentialtype, the prefix of fullcredentialcode)
    codes = {"Acupuncturist": ("56", "ACUP"), "Registered Nurse": ("10", "RN"),
             "Massage Therapist": ("37", "MT"), "Physician/Surgeon": ("1", "MD"),
             "Advanced Practice Registered Nurse": ("11", "APRN"), "Chiropractor": ("8", "CHIR"),
             "Pharmacy": ("501", "PCN"), "Home Health Care Agency": ("214", "HHA")}
    other_for_taxonomy = {"363LF0000X": "Advanced Practice Registered Nurse",
                          "225700000X": "Massage Therapist", "111N00000X": "Chiropractor",
                          "207R00000X": "Physician/Surgeon", "207Q00000X": "Physician/Surgeon"}
    other_types = ("Registered Nurse", "Registered Nurse", "Registered Nurse",
                   "Massage Therapist", "Physician/Surgeon")
    business_types = ("Pharmacy", "Home Health Care Agency")
    statuses = (("ACTIVE", 70, "active"), ("LAPSED", 14, "expired"), ("INACTIVE", 8, "inactive"),
                ("SUSPENDED", 2, "suspended"), ("REVOKED", 2, "revoked"),
                ("VOLUNTARY SURRENDER", 4, "surrendered"))
    reasons = {"ACTIVE": "CURRENT", "LAPSED": "LAPSED DUE TO NON-RENEWAL",
               "INACTIVE": "RETIRED", "SUSPENDED": "BOARD ORDER", "REVOKED": "BOARD ORDER",
               "VOLUNTARY SURRENDER": "SURRENDERED"}
    rows_updated_at = _epoch(2026, 2, 27, 5)

    def __init__(self, rng: random.Random):
        super().__init__(rng)
        self.credential_ids: set[int] = set()

    def _codes(self, credential: str) -> tuple[str, str]:
        # An overridden acupuncture title keeps the acupuncture codes.
        return self.codes.get(credential) or self.codes["Acupuncturist"]

    def number(self, core: str, license_type: str) -> str:
        if license_type not in self.acupuncture_types:
            core = _digits_of(core)
        return core.zfill(6)

    def fresh_number(self, license_type: str) -> str:
        top = 3_000 if license_type in self.acupuncture_types else 150_000
        return f"{self.rng.randint(1, top):06d}"

    def entity_name(self, license_type: str) -> str:
        kind = {"Pharmacy": "PHARMACY"}.get(license_type, "HOME CARE")
        return f"{self.rng.choice(LAST_NAMES)} {kind}{self.rng.choice(('', ' LLC', ' INC'))}"

    def credential_id(self) -> str:
        while True:
            value = self.rng.randint(100_000, 2_999_999)
            if value not in self.credential_ids:
                self.credential_ids.add(value)
                return str(value)

    def rows(self, lic: _License) -> list[dict]:
        credential_type, prefix = self._codes(lic.license_type)
        if lic.entity:
            name = business = lic.entity
            kind = "LLC" if lic.entity.endswith(" LLC") else "BUSINESS"
            dba = f"{lic.entity.split()[0]} RX" if self.rng.random() < 0.3 else ""
        else:
            first, middle, last, suffix = self.name_parts(lic)
            name = " ".join(part for part in (first, middle[:1], last, suffix) if part)
            kind, business, dba = "INDIVIDUAL", "", ""
        return [_clean({
            "credentialid": self.credential_id(), "name": name, "type": kind,
            "businessname": business, "dba": dba,
            "fullcredentialcode": f"{prefix}.{lic.number}" if lic.number else "",
            "credentialnumber": lic.number, "credentialtype": credential_type,
            "credential": lic.license_type, "status": lic.status,
            "statusreason": self.reasons.get(lic.status, ""),
            "issuedate": floating(lic.issued),
            "effectivedate": floating(max(lic.issued, lic.expires - dt.timedelta(days=365))),
            "expirationdate": self.date_text(lic, lic.expires),
            "city": self.place_text(lic.city), "state": lic.state, "zip": lic.zip5,
        })]


class _Texas(_Board):
    state, host, dataset_id = "TX", "data.texas.gov", "tm3v-pfq9"
    name = "Texas Medical Board - All Licenses"
    fields = (
        ("license_number", "License Number", "text"),
        ("first_name", "First Name", "text"),
        ("last_name", "Last Name", "text"),
        ("license_type", "License Type", "text"),
        ("license_issue_date", "License Issue Date", "calendar_date"),
        ("license_expiration_date", "License Expiration Date", "calendar_date"),
        ("registration_status", "Registration Status", "text"),
        ("license_status", "License Status", "text"),
        ("disciplinary_status", "Disciplinary Status", "text"),
        ("degree", "Degree", "text"),
        ("practice_city", "Practice City", "text"),
        ("practice_state", "Practice State", "text"),
        ("practice_zip", "Practice Zip", "text"),
        ("currently_licensed", "Currently Licensed", "text"),
    )
    type_field, number_field = "license_type", "license_number"
    acupuncture_types = ("Acupuncturist License",)
    other_for_taxonomy = {"207R00000X": "Physician License", "207Q00000X": "Physician License"}
    other_types = ("Physician License", "Physician License", "Physician Assistant License",
                   "Surgical Assistant License", "Respiratory Care Practitioner License")
    prefixes = {"Physician Assistant License": "PA", "Surgical Assistant License": "SA",
                "Respiratory Care Practitioner License": "RCP"}
    degrees = {"Physician License": ("MD", "MD", "DO"), "Physician Assistant License": ("PA",),
               "Surgical Assistant License": ("SA",),
               "Respiratory Care Practitioner License": ("RRT", "CRT")}
    acupuncture_degrees = ("MAOM", "MSOM", "MSTCM", "DAOM", "MAC")
    statuses = (("Active", 70, "active"), ("Expired", 15, "expired"),
                ("Cancelled", 8, "inactive"), ("Probation", 3, "probation"),
                ("Suspended", 2, "suspended"), ("Revoked", 2, "revoked"))
    bad_status = "Pending Audit"
    registration = {"active": "Current", "probation": "Current", "expired": "Delinquent"}
    discipline = {"probation": "Board Order - Probation", "suspended": "Board Order - Suspension",
                  "revoked": "Board Order - Revocation"}
    minor_discipline = ("Board Order - Public Reprimand", "Remedial Plan",
                        "Board Order - Administrative Penalty")
    rows_updated_at = _epoch(2026, 2, 24, 12)

    def number(self, core: str, license_type: str) -> str:
        if license_type in self.acupuncture_types:
            return "AC" + core.zfill(5)
        if license_type == "Physician License":
            return self.rng.choice("JKLMNPQ") + _digits_of(core)[-4:].zfill(4)
        return self.prefixes[license_type] + _digits_of(core)[-5:].zfill(5)

    def fresh_number(self, license_type: str) -> str:
        if license_type in self.acupuncture_types:
            return "AC" + self.digits(5)
        if license_type == "Physician License":
            return self.rng.choice("JKLMNPQ") + self.digits(4)
        return self.prefixes[license_type] + self.digits(5)

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last, _ = self.name_parts(lic)
        if middle:  # no middle name column: its initial rides on the first name ("ADA M")
            first = f"{first} {middle[:1]}"
        degrees = (self.acupuncture_degrees if lic.license_type in self.acupuncture_types
                   else self.degrees[lic.license_type])
        discipline = "NONE"
        if self.disciplined(lic):
            discipline = (self.discipline.get(lic.category)
                          or self.rng.choice(self.minor_discipline))
        current = lic.category in ("active", "probation", "unknown")
        return [_clean({
            "license_number": lic.number, "first_name": first, "last_name": last,
            "license_type": lic.license_type, "license_issue_date": floating(lic.issued),
            "license_expiration_date": self.date_text(lic, lic.expires),
            "registration_status": self.registration.get(lic.category, "Not Registered"),
            "license_status": lic.status, "disciplinary_status": discipline,
            "degree": self.rng.choice(degrees), "practice_city": self.place_text(lic.city),
            "practice_state": lic.state, "practice_zip": lic.zip5,
            "currently_licensed": "Y" if current else "N",
        })]


class _Illinois(_Board):
    """`license_type` is the profession group, `description` the title. Inside the stand-in a
    license's `license_type` is its title, except the acupuncture licenses', which is the group
    (the marker); `titles` maps every title to its group."""

    state, host, dataset_id = "IL", "data.illinois.gov", "pzzh-kp68"
    name = "Professional Licensing"
    fields = (
        ("license_type", "License Type", "text"),
        ("description", "Description", "text"),
        ("license_number", "License Number", "text"),
        ("license_status", "License Status", "text"),
        ("business", "Business", "text"),
        ("first_name", "First Name", "text"),
        ("middle", "Middle", "text"),
        ("last_name", "Last Name", "text"),
        ("suffix", "Suffix", "text"),
        ("business_name", "Business Name", "text"),
        ("businessdba", "Business DBA", "text"),
        ("original_issue_date", "Original Issue Date", "text"),
        ("effective_date", "Effective Date", "text"),
        ("expiration_date", "Expiration Date", "text"),
        ("city", "City", "text"),
        ("state", "State", "text"),
        ("zip", "Zip", "text"),
        ("ever_disciplined", "Ever Disciplined", "text"),
        ("specialty_qualifier", "Specialty Qualifier", "text"),
    )
    type_field, number_field = "license_type", "license_number"
    acupuncture_types = ("ACUPUNCTURE",)
    acupuncture_title = "LICENSED ACUPUNCTURIST"
    # title -> (profession group, IDFPR profession code: numbers are "<code>.<6 digits>")
    titles = {"REGISTERED PROFESSIONAL NURSE": ("NURSING", "041"),
              "LICENSED PRACTICAL NURSE": ("NURSING", "043"),
              "ADVANCED PRACTICE REGISTERED NURSE": ("NURSING", "209"),
              "LICENSED MASSAGE THERAPIST": ("MASSAGE THERAPY", "227"),
              "PHYSICIAN AND SURGEON": ("MEDICAL", "036"),
              "CHIROPRACTIC PHYSICIAN": ("MEDICAL", "038"),
              "PHARMACY": ("PHARMACY", "054")}
    other_for_taxonomy = {"363LF0000X": "ADVANCED PRACTICE REGISTERED NURSE",
                          "225700000X": "LICENSED MASSAGE THERAPIST",
                          "111N00000X": "CHIROPRACTIC PHYSICIAN",
                          "207R00000X": "PHYSICIAN AND SURGEON",
                          "207Q00000X": "PHYSICIAN AND SURGEON"}
    other_types = ("REGISTERED PROFESSIONAL NURSE", "REGISTERED PROFESSIONAL NURSE",
                   "LICENSED PRACTICAL NURSE", "LICENSED MASSAGE THERAPIST",
                   "PHYSICIAN AND SURGEON")
    business_types = ("PHARMACY",)
    specialties = {"ADVANCED PRACTICE REGISTERED NURSE": ("FAMILY NURSE PRACTITIONER",
                                                          "ADULT NURSE PRACTITIONER")}
    statuses = (("ACTIVE", 70, "active"), ("NOT RENEWED", 15, "expired"),
                ("INACTIVE", 6, "inactive"), ("PROBATION", 3, "probation"),
                ("SUSPENDED", 2, "suspended"), ("REVOKED", 2, "revoked"),
                ("DECEASED", 2, "deceased"))
    rows_updated_at = _epoch(2026, 2, 27, 10)
    write_date = staticmethod(us_date)  # dates are text columns, "MM/DD/YYYY"

    def other_type_values(self) -> set[str]:
        return {group for group, _ in self.titles.values()}

    def number(self, core: str, license_type: str) -> str:
        if license_type not in self.acupuncture_types:
            return f"{self.titles[license_type][1]}.{_digits_of(core)[-6:].zfill(6)}"
        padded = core.zfill(9)  # "16004321" -> "016.004321", which normalizes back to it
        return f"{padded[:-6]}.{padded[-6:]}"

    def fresh_number(self, license_type: str) -> str:
        code = "016" if license_type in self.acupuncture_types else self.titles[license_type][1]
        return f"{code}.{self.rng.randint(1, 20_000):06d}"

    def entity_name(self, license_type: str) -> str:
        return f"{self.rng.choice(LAST_NAMES)} {self.rng.choice(('DRUGS', 'PHARMACY'))} INC"

    def rows(self, lic: _License) -> list[dict]:
        if lic.acupuncture:
            group, title = lic.license_type, self.acupuncture_title
        else:
            group, title = self.titles[lic.license_type][0], lic.license_type
        first, middle, last, suffix = self.name_parts(lic) if not lic.entity else ("",) * 4
        specialty = (self.rng.choice(self.specialties[title]) if title in self.specialties
                     else "")
        return [_clean({
            "license_type": group, "description": title, "license_number": lic.number,
            "license_status": lic.status, "business": "Y" if lic.entity else "N",
            "first_name": first, "middle": middle, "last_name": last, "suffix": suffix,
            "business_name": lic.entity,
            "businessdba": f"{lic.entity.split()[0]} RX" if lic.entity and self.rng.random() < 0.3
            else "",
            "original_issue_date": us_date(lic.issued),
            "effective_date": us_date(lic.last_renewed),
            "expiration_date": self.date_text(lic, lic.expires),
            "city": self.place_text(lic.city), "state": lic.state, "zip": lic.zip5,
            "ever_disciplined": "Y" if self.disciplined(lic) else "N",
            "specialty_qualifier": specialty,
        })]


BOARDS: tuple[type[_Board], ...] = (_Washington, _Colorado, _Connecticut, _Texas, _Illinois)


# -- building one board's dataset -------------------------------------------------------------------

Names = tuple[str, str, str, str]  # first, middle, last, suffix


class _Builder:
    # How numbers are compared, so a made-up one never repeats a known one.
    normalize = staticmethod(normalize_license_number)

    def __init__(self, board: _Board):
        self.board = board
        self.rng = board.rng
        self.used: set[tuple[str, str]] = set()  # (license type, normalized number)

    def person(self) -> Names:
        female = self.rng.random() < 0.6
        names = FEMALE_FIRST if female else MALE_FIRST
        middle = self.rng.choice(names) if self.rng.random() < 0.5 else ""
        suffix = self.rng.choice(SUFFIXES) if self.rng.random() < 0.03 else ""
        return self.rng.choice(names), middle, self.rng.choice(LAST_NAMES), suffix

    def place(self) -> tuple[str, str, str]:
        prefix = self.rng.choice(PREFIXES_BY_STATE[self.board.state])
        zip5, city = self.rng.choice(prefix.places)
        return city, self.board.state, zip5

    def fresh_number(self, license_type: str) -> str:
        while True:
            number = self.board.fresh_number(license_type)
            key = (license_type, self.normalize(number) or "")
            if key not in self.used:
                self.used.add(key)
                return number

    def license(self, npi: int | None, names: Names, license_type: str, number: str | None,
                place: tuple[str, str, str], kind: str, entity: str = "") -> _License:
        status, category = self.board.draw_status()
        issued, expires = self.board.dates(category)
        city, state, zip5 = place
        lic = _License(npi, *names, number, license_type, status, category, issued, expires,
                       city, state, zip5, self.rng.randint(1950, 1996), kind, entity=entity)
        if lic.acupuncture:
            lic.license_type = self.board.acupuncture_type(lic)
        return lic

    def provider_place(self, provider: dict) -> tuple[str, str, str]:
        location = primary_location(provider)
        return location["city"], location["state"], location["postal_code"][:5]

    def provider_names(self, provider: dict) -> Names:
        basic = provider["basic"]
        suffix = basic.get("name_suffix", "").replace(".", "").strip("-")
        return basic["first_name"], basic.get("middle_name", ""), basic["last_name"], suffix

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
                core = self.normalize(taxonomy.get("license"))
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
                    self.used.add((license_type, self.normalize(number) or ""))
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
        if board.business_types:
            for _ in range(max(3, round(len(licensees) * BUSINESS_SHARE))):
                license_type = rng.choice(board.business_types)
                groups.append([self.license(None, ("", "", "", ""), license_type,
                                            self.fresh_number(license_type), self.place(),
                                            "other-profession", board.entity_name(license_type))])
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


def _build_board(board_class: type[_Board], providers: list[dict], seed: int,
                 acupuncture_types: Sequence[str] | None = None) -> BoardData:
    board = board_class(random.Random(f"{seed}-{board_class.state}"))
    if acupuncture_types is not None:
        values = tuple(acupuncture_types)
        taken = set(values) & board.other_type_values()
        if not values or taken:
            raise ValueError(f"{board.host}: acupuncture marker {values!r} is empty or is "
                             f"another profession's ({sorted(taken)})")
        board.acupuncture_types = values
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
        acupuncture_types=board.acupuncture_types, rows_updated_at=board.rows_updated_at,
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
    acupuncture = [g[0] for g in groups if g[0].kind == "license"]
    count = max(1, len(acupuncture) // 50) if acupuncture else 0
    reused = []
    for lic in builder.rng.sample(acupuncture, min(count, len(acupuncture))):
        license_type = builder.rng.choice(("MT", "RN"))
        reused.append([builder.license(None, builder.person(), license_type, lic.number,
                                       builder.place(), "other-profession")])
    return reused


def generate_board_rows(providers: list[dict], seed: int = 2026, *,
                        acupuncture_types: Mapping[str, Sequence[str]] | None = None,
                        ) -> dict[str, BoardData]:
    """The five license datasets, keyed by portal host ("data.wa.gov"), built from NPPES
    stand-in records (`generate_providers()`).

    `acupuncture_types` replaces, by host, the unconfirmed value(s) marking acupuncture in the
    board's `type_field`, so a test can build a board whose real value is not the one a scraper
    expects: `{"data.colorado.gov": ("ACN",)}` gives a Colorado whose acupuncture code is ACN
    (Washington takes the current name, then the former one). A value another profession uses
    is refused with ValueError."""
    overrides = dict(acupuncture_types or {})
    unknown = set(overrides) - {board.host for board in BOARDS}
    if unknown:
        raise ValueError(f"no such board: {sorted(unknown)}")
    return {board.host: _build_board(board, providers, seed, overrides.get(board.host))
            for board in BOARDS}


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
