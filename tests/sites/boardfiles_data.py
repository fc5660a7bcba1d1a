"""Deterministic, made-up license files of the two boards that publish a whole file rather than an
API: California's Acupuncture Board (the DCA "Licensee Lists" on Box) and Florida's Department of
Health (the MQA search's CSV export), made from the NPPES stand-in's providers, with a ground
truth saying which NPPES provider every row belongs to.

`generate_dca_data(providers, seed)` and `generate_mqa_data(providers, seed)` each return a
`BoardFileData`: the acupuncture rows (`rows`, one dict a row, every value text, keyed by the
file's column names), their `truth` (`socrata_data.Truth`, `row` indexing `rows`) and the few rows
of the other boards or professions the same site serves (`others`). `boardfiles.py` serves them.

The stand-in is a witness, not a mirror: it speaks what ../shared/SOURCES-EVIDENCE.md
("California", "Florida", gathered 2026-12-01) shows of the real files.

Confirmed by the evidence:
- California: the columns, in this order (`DCA_COLUMNS`); Zip is undashed ZIP+4; the file is
  tab-separated text although its name ends in .xls (`Acupuncture_Data00.xls`, more `_DataNN`
  files may follow);
- Florida: one CSV per profession, whose columns start License, Name ("LAST, FIRST MIDDLE"),
  Profession, City, License Status ("Clear/Active"...).

Unconfirmed, the stand-in's choice (a scraper must find these at run time, not trust them):
- California: the encoding (cp1252 here, with a few names such as "NÚÑEZ" and "JOSÉ" so that a
  wrong guess shows), CRLF line ends, no quoting; License Type "Acupuncturist" for people and
  "Acupuncture Corporation" for the ~3% organizations (Indiv/Org "O", the name in Org/Last Name,
  numbers "ACC1234"); numbers "AC" + five digits; Speciality Code left empty; County in capitals
  and empty outside California; Country "US" or empty; dates MM/DD/YYYY; the status words
  (`_California.statuses`), the schools and degrees; the order of the rows (shuffled);
- Florida: the Profession label ("Acupuncturist", `generate_mqa_data(profession=...)` makes
  another), numbers "AP" + four digits (five for the ones NPPES does not know), a suffix after
  the last name ("SMITH JR, JOHN A"), the status words (`_Florida.statuses`) and which of them
  count as active for the export's filter (the ".../Active" ones: see `MQA_ACTIVE`), City in
  capitals, the order of the rows (shuffled), exactly these five columns;
- both: the other boards' names, file stems, professions, codes and number formats.

What a scraper and a linker must cope with, on purpose:
- the acupuncturists of a state are every individual (NPI-1) with an Acupuncturist taxonomy
  (171100000X) whose taxonomy `state` is that state, numbered from the taxonomy's self-reported
  `license` written in the board's format (NPPES "ac 012345", board "AC12345": both give "12345"
  once normalized). NPPES's "NA" or nothing means no number: the board has a number all the
  same, one NPPES does not hold; and where two providers claim the same number, the first keeps
  it and the board numbers the other afresh (a typo in NPPES);
- ~15% licensees NPPES does not know (never with the first and last name of an NPPES individual
  of the state: the short name lists would make twins no linker could tell apart);
- names differ slightly from NPPES: middle name left out or cut to an initial, the other case
  now and then, an accent NPPES does not write ("JOSE" -> "JOSÉ");
- ~70% active, the rest in the board's own words;
- bad rows: two with no license number, two with an unknown status word ("PENDING AUDIT") and,
  in California, two with an unparseable expiration date ("13/45/2020", "N/A"); Florida's file
  has no date to spoil;
- a licensee whose practice is elsewhere carries that address (State "NV", a Reno city...).

Nothing depends on the clock: the same providers and seed always give the same rows and bytes.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .nppes_data import (
    ACUPUNCTURIST_CODE,
    FEMALE_FIRST,
    LAST_NAMES,
    MALE_FIRST,
    PREFIXES_BY_STATE,
    STREETS,
    XSS_TEXT,
    primary_location,
)
from .socrata_data import SUFFIXES, Names, Truth, _Board, _Builder, _License, us_date

EXTRA_SHARE = 0.15  # licensees the board knows and NPPES does not
ORGANIZATION_SHARE = 0.03  # California: organizations per person licensed
BAD_STATUS = "PENDING AUDIT"

DCA_COLUMNS = (
    "Agency Name", "License Type", "Speciality Code", "License Number", "Indiv/Org (I/O)",
    "Org/Last Name", "First Name", "Middle Name", "Suffix", "Address Line 1", "Address Line 2",
    "City", "County", "State", "Zip", "Country", "Original Issue Date", "Expiration Date",
    "School", "Year Graduated", "Degree", "License Status",
)
MQA_COLUMNS = ("License", "Name", "Profession", "City", "License Status")
ACUPUNCTURE_BOARD = "Acupuncture Board"
MQA_PROFESSION = "Acupuncturist"
MQA_ACTIVE = ("Clear/Active", "Delinquent/Active")  # what the export's "LicenseStatus":"A" means

# The DCA boards, bureaus and committees with a folder in the Box root: (name, file stem,
# license types, number prefix). The names follow DCA's pages; stems and the rest are ours.
DCA_BOARDS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (ACUPUNCTURE_BOARD, "Acupuncture", ("Acupuncturist",), "AC"),
    ("California Board of Accountancy", "Accountancy", ("Certified Public Accountant",), ""),
    ("California Architects Board", "Architects", ("Architect",), "C"),
    ("Landscape Architects Technical Committee", "Landscape_Architects",
     ("Landscape Architect",), "LA"),
    ("State Athletic Commission", "Athletic_Commission", ("Professional Boxer",), "AB"),
    ("Board of Barbering and Cosmetology", "Barbering_Cosmetology", ("Cosmetologist", "Barber"),
     "KK"),
    ("Board of Behavioral Sciences", "Behavioral_Sciences",
     ("Licensed Marriage and Family Therapist", "Licensed Clinical Social Worker"), "LMFT"),
    ("Cemetery and Funeral Bureau", "Cemetery_Funeral", ("Funeral Director",), "FDR"),
    ("Contractors State License Board", "Contractors", ("Contractor",), ""),
    ("Court Reporters Board of California", "Court_Reporters",
     ("Certified Shorthand Reporter",), "CSR"),
    ("Dental Board of California", "Dental", ("Dentist",), "D"),
    ("Dental Hygiene Board of California", "Dental_Hygiene", ("Registered Dental Hygienist",),
     "RDH"),
    ("Bureau of Household Goods and Services", "Household_Goods",
     ("Electronic and Appliance Repair Dealer",), "ER"),
    ("Board for Professional Engineers, Land Surveyors, and Geologists", "Engineers",
     ("Civil Engineer", "Professional Geologist"), "C"),
    ("State Board of Guide Dogs for the Blind", "Guide_Dogs", ("Guide Dog Instructor",), "GDI"),
    ("Medical Board of California", "Medical", ("Physician and Surgeon",), "A"),
    ("Naturopathic Medicine Committee", "Naturopathic", ("Naturopathic Doctor",), "ND"),
    ("California Board of Occupational Therapy", "Occupational_Therapy",
     ("Occupational Therapist",), "OT"),
    ("California State Board of Optometry", "Optometry", ("Optometrist",), "OPT"),
    ("Osteopathic Medical Board of California", "Osteopathic",
     ("Osteopathic Physician and Surgeon",), "20A"),
    ("Board of Pharmacy", "Pharmacy", ("Pharmacist", "Pharmacy Technician"), "RPH"),
    ("Physical Therapy Board of California", "Physical_Therapy", ("Physical Therapist",), "PT"),
    ("Physician Assistant Board", "Physician_Assistant", ("Physician Assistant",), "PA"),
    ("Podiatric Medical Board of California", "Podiatric", ("Doctor of Podiatric Medicine",),
     "E"),
    ("Board of Psychology", "Psychology", ("Psychologist",), "PSY"),
    ("Professional Fiduciaries Bureau", "Fiduciaries", ("Professional Fiduciary",), "PF"),
    ("Board of Registered Nursing", "Registered_Nursing",
     ("Registered Nurse", "Nurse Practitioner"), ""),
    ("Respiratory Care Board of California", "Respiratory_Care",
     ("Respiratory Care Practitioner",), ""),
    ("Speech-Language Pathology and Audiology and Hearing Aid Dispensers Board", "Speech_Language",
     ("Speech-Language Pathologist", "Audiologist"), "SP"),
    ("Structural Pest Control Board", "Structural_Pest", ("Field Representative",), "FR"),
    ("Veterinary Medical Board", "Veterinary",
     ("Veterinarian", "Registered Veterinary Technician"), "VET"),
    ("Board of Vocational Nursing and Psychiatric Technicians", "Vocational_Nursing",
     ("Vocational Nurse", "Psychiatric Technician"), "VN"),
    ("Bureau of Automotive Repair", "Automotive_Repair", ("Automotive Repair Dealer",), "ARD"),
    ("Bureau of Security and Investigative Services", "Security_Investigative",
     ("Security Guard", "Private Investigator"), "G"),
    ("Bureau for Private Postsecondary Education", "Private_Postsecondary",
     ("Approved Institution",), ""),
    ("Cannabis Control Appeals Panel", "Cannabis_Appeals", ("Appeal",), ""),
)

# Florida's professions in the search form: (code, label, number prefix). Codes are the board's
# number and two digits, as the evidence says; these values are ours. The acupuncture one is
# added by the site (`boardfiles.MqaSite`), 3501 unless told otherwise.
MQA_PROFESSIONS: tuple[tuple[str, str, str], ...] = (
    ("501", "Chiropractic Physician", "CH"),
    ("701", "Dentist", "DN"),
    ("702", "Dental Hygienist", "DH"),
    ("1501", "Medical Doctor", "ME"),
    ("1504", "Physician Assistant", "PA"),
    ("1901", "Osteopathic Physician", "OS"),
    ("2001", "Podiatric Physician", "PO"),
    ("2201", "Optometrist", "OPC"),
    ("2601", "Registered Nurse", "RN"),
    ("2602", "Licensed Practical Nurse", "PN"),
    ("2604", "Advanced Practice Registered Nurse", "APRN"),
    ("2801", "Pharmacist", "PS"),
    ("3001", "Physical Therapist", "PT"),
    ("3002", "Physical Therapist Assistant", "PTA"),
    ("3601", "Massage Therapist", "MA"),
    ("3901", "Clinical Social Worker", "SW"),
    ("3902", "Marriage and Family Therapist", "MT"),
    ("3903", "Mental Health Counselor", "MH"),
    ("4001", "Psychologist", "PY"),
    ("5001", "Dietitian/Nutritionist", "DN"),
    ("5301", "Athletic Trainer", "AT"),
)

SCHOOLS = ("Five Branches University", "American College of Traditional Chinese Medicine",
           "Yo San University", "Emperor's College of Traditional Oriental Medicine",
           "South Baylor University", "Pacific College of Health and Science",
           "Alhambra Medical University", "Dongguk University Los Angeles",
           "Academy of Chinese Culture and Health Sciences")
DEGREES = ("MSTCM", "MAOM", "DAOM", "DACM", "MSOM")
CA_COUNTIES = {
    "ALAMEDA": ("ALAMEDA", "BERKELEY", "OAKLAND", "PLEASANTON"),
    "CONTRA COSTA": ("EL CERRITO", "LAFAYETTE", "WALNUT CREEK"),
    "LOS ANGELES": ("AGOURA HILLS", "BEVERLY HILLS", "CALABASAS", "CULVER CITY", "EL SEGUNDO",
                    "LOS ANGELES", "MANHATTAN BEACH", "MONTEREY PARK", "PASADENA",
                    "REDONDO BEACH", "SAN GABRIEL", "SANTA MONICA", "TARZANA", "TEMPLE CITY",
                    "WALNUT", "WEST HOLLYWOOD", "WOODLAND HILLS"),
    "ORANGE": ("COSTA MESA", "HUNTINGTON BEACH", "IRVINE", "NEWPORT BEACH"),
    "PLACER": ("ROSEVILLE",),
    "SACRAMENTO": ("FAIR OAKS", "FOLSOM", "SACRAMENTO"),
    "SAN DIEGO": ("SAN DIEGO",),
    "SAN FRANCISCO": ("SAN FRANCISCO",),
    "SAN MATEO": ("BURLINGAME", "MENLO PARK", "REDWOOD CITY"),
    "SANTA CLARA": ("CUPERTINO", "LOS GATOS", "MOUNTAIN VIEW", "PALO ALTO", "SAN JOSE",
                    "SANTA CLARA"),
    "SANTA CRUZ": ("SANTA CRUZ",),
    "SONOMA": ("SANTA ROSA", "SEBASTOPOL"),
    "YOLO": ("DAVIS",),
}
COUNTY_OF_CITY = {city: county for county, cities in CA_COUNTIES.items() for city in cities}
# Letters NPPES leaves out and boards write (all of them in cp1252).
ACCENTED_FIRST = ("JOSÉ", "INÉS")  # the first two made-up people
ACCENTED_LAST = ("NÚÑEZ", "PEÑA", "MUÑOZ", "IBÁÑEZ", "CASTAÑEDA", "BÉLANGER", "GONZÁLEZ")
ACCENTS = {"JOSE": "JOSÉ", "SOFIA": "SOFÍA"}


def core_number(value: str | None) -> str | None:
    """A license number as boards and NPPES share it: upper case, no spaces or punctuation, a
    leading acupuncture prefix (AC, LAC, ACU, AP, LA) and leading zeros dropped, so "ac 012345",
    "AC12345" and "AP12345" all give "12345". NPPES's "NA" and an empty value give None."""
    compact = re.sub(r"[^A-Z0-9]", "", str(value or "").upper())
    if not compact or compact == "NA":
        return None
    core = re.sub(r"^(LAC|ACU|AC|AP|LA)(?=[0-9])", "", compact)
    return core.lstrip("0") or "0"


def _title(text: str) -> str:
    """Title case that keeps accented letters inside a word ("NÚÑEZ" -> "Núñez")."""
    return re.sub(r"[^\W\d_]+", lambda m: m.group().capitalize(), text)


@dataclass
class BoardFileData:
    """One board's file: the acupuncture rows and their truth, and what else the site serves."""

    state: str  # the jurisdiction: "CA", "FL"
    columns: tuple[str, ...]
    number_column: str  # "License Number" / "License"
    type_column: str  # the license type as stored: "License Type" / "Profession"
    status_column: str
    rows: list[dict[str, str]]
    truth: list[Truth]
    # California: board name -> its rows; Florida: profession code -> its rows
    others: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    profession: str = ""  # Florida: the acupuncture label in the form and the Profession column

    def acupuncture_truth(self) -> list[Truth]:
        """Every row's truth ("license", "bad-row", and "organization" in California)."""
        return [t for t in self.truth if t.kind != "other-profession"]

    def license_type(self, row: dict[str, str]) -> str:
        return row[self.type_column]


# -- the two boards ---------------------------------------------------------------------------------


class _FileBoard(_Board):
    """What the two file boards share: a unicode-aware name spelling and their status words."""

    bad_status = BAD_STATUS
    upper_names = True
    number_prefix = ""
    width = 5  # digits of a number, zero-padded
    has_dates = True

    def __init__(self, rng: random.Random):
        super().__init__(rng)
        self.locations: dict[int, dict] = {}  # NPI -> the NPPES LOCATION address

    def number(self, core: str, license_type: str) -> str:
        return self.number_prefix + core.zfill(self.width)

    def acupuncture_type(self, lic: _License) -> str:
        return lic.license_type if lic.entity else self.acupuncture_types[0]

    def name_parts(self, lic: _License) -> tuple[str, str, str, str]:
        first, middle, last = lic.first, lic.middle, lic.last.replace(XSS_TEXT, "")
        roll = self.rng.random()
        if roll < 0.25:
            middle = ""
        elif roll < 0.35:
            middle = middle[:1]
        if lic.npi is not None and first in ACCENTS and self.rng.random() < 0.5:
            first = ACCENTS[first]
        upper = self.upper_names if self.rng.random() >= 0.05 else not self.upper_names
        change = str.upper if upper else _title
        return change(first), change(middle), change(last), change(lic.suffix)


class _California(_FileBoard):
    state = "CA"
    acupuncture_types = ("Acupuncturist",)
    business_types = ("Acupuncture Corporation",)
    number_prefix = "AC"
    statuses = (("Current", 70, "active"), ("Current Inactive", 6, "inactive"),
                ("Delinquent", 11, "expired"), ("Cancelled", 5, "expired"),
                ("Probation", 3, "probation"), ("Revoked", 1.5, "revoked"),
                ("Surrendered", 2, "surrendered"), ("Deceased", 1.5, "deceased"))
    write_date = staticmethod(us_date)

    def fresh_number(self, license_type: str) -> str:
        if license_type in self.business_types:
            return "ACC" + f"{self.rng.randint(1, 9_999):04d}"
        return "AC" + f"{self.rng.randint(1, 99_999):05d}"

    def entity_name(self, license_type: str) -> str:
        base = self.rng.choice(("PACIFIC", "GOLDEN GATE", "SIERRA", "REDWOOD", "BAY AREA",
                                "SUNSET", "MISSION", "COASTAL", "VALLEY", "HARBOR"))
        kind = self.rng.choice(("ACUPUNCTURE", "ACUPUNCTURE & HERBS", "ORIENTAL MEDICINE"))
        return f"{base} {kind} {self.rng.choice(('CORPORATION', 'INC', 'A PROF CORP'))}"

    def address(self, lic: _License) -> tuple[str, str, str, str]:
        """(line 1, line 2, zip, country): the NPPES practice address of a provider NPPES knows,
        a made-up street elsewhere."""
        location = self.locations.get(lic.npi) if lic.npi is not None else None
        if location is not None:
            return (location["address_1"], location.get("address_2", ""), location["postal_code"],
                    "US" if self.rng.random() < 0.85 else "")
        line1 = f"{self.rng.randint(1, 9999)} {self.rng.choice(STREETS)}"
        line2 = f"STE {self.rng.randint(100, 599)}" if self.rng.random() < 0.3 else ""
        zip_code = lic.zip5 + self.digits(4) if self.rng.random() < 0.8 else lic.zip5
        return line1, line2, zip_code, "US" if self.rng.random() < 0.85 else ""

    def rows(self, lic: _License) -> list[dict]:
        line1, line2, zip_code, country = self.address(lic)
        if lic.entity:
            first = middle = suffix = school = year = degree = ""
            last = lic.entity
        else:
            first, middle, last, suffix = self.name_parts(lic)
            school, degree = self.rng.choice(SCHOOLS), self.rng.choice(DEGREES)
            year = str(max(1975, lic.issued.year - self.rng.choice((0, 0, 1, 1, 2, 3))))
        county = COUNTY_OF_CITY.get(lic.city, "") if lic.state == "CA" else ""
        return [dict(zip(DCA_COLUMNS, (
            ACUPUNCTURE_BOARD, lic.license_type, "", lic.number or "",
            "O" if lic.entity else "I", last, first, middle, suffix, line1, line2, lic.city,
            county, lic.state, zip_code, country, us_date(lic.issued),
            self.date_text(lic, lic.expires), school, year, degree, lic.status), strict=True))]


class _Florida(_FileBoard):
    state = "FL"
    acupuncture_types = (MQA_PROFESSION,)
    number_prefix = "AP"
    width = 4
    has_dates = False
    statuses = (("Clear/Active", 68, "active"), ("Delinquent/Active", 3, "expired"),
                ("Clear/Inactive", 6, "inactive"), ("Null and Void", 10, "expired"),
                ("Retired", 4, "inactive"), ("Revoked", 2, "revoked"),
                ("Suspended", 2, "suspended"), ("Voluntary Relinquishment", 3, "surrendered"),
                ("Deceased", 2, "deceased"))

    def fresh_number(self, license_type: str) -> str:
        return "AP" + str(self.rng.randint(10_000, 12_999))  # newer licenses have five digits

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last, suffix = self.name_parts(lic)
        return [dict(zip(MQA_COLUMNS, (
            lic.number or "", mqa_name(first, middle, last, suffix), lic.license_type,
            lic.city.upper(), lic.status), strict=True))]


def mqa_name(first: str, middle: str, last: str, suffix: str) -> str:
    """Florida's "LAST, FIRST MIDDLE", the suffix after the last name: "SMITH JR, JOHN A"."""
    surname = f"{last} {suffix}" if suffix else last
    given = f"{first} {middle}" if middle else first
    return f"{surname}, {given}"


# -- building a board's file ------------------------------------------------------------------------


class _FileBuilder(_Builder):
    board: _FileBoard
    normalize = staticmethod(core_number)  # Florida's AP prefix too, and NPPES's "NA"

    def __init__(self, board: _FileBoard, taken_names: set[tuple[str, str]]):
        super().__init__(board)
        self.taken_names = taken_names  # (first, last) of the state's NPPES individuals
        self.accented = 2  # the first made-up people get letters outside ASCII

    def person(self) -> Names:
        while True:
            first, middle, last, suffix = super().person()
            if self.accented:
                self.accented -= 1
                return ACCENTED_FIRST[self.accented], "", ACCENTED_LAST[self.accented], suffix
            if self.rng.random() < 0.02:
                last = self.rng.choice(ACCENTED_LAST)
            if (first, last) not in self.taken_names:
                return first, middle, last, suffix

    def build(self, providers: list[dict]) -> list[list[_License]]:
        board = self.board
        acupuncture = board.acupuncture_types[0]
        claims: list[tuple[dict, str | None]] = []
        owner: dict[str, int] = {}  # core number -> the first provider claiming it
        for provider in providers:
            if provider["enumeration_type"] != "NPI-1":
                continue
            for taxonomy in provider["taxonomies"]:
                if taxonomy["code"] == ACUPUNCTURIST_CODE and taxonomy.get("state") == board.state:
                    core = core_number(taxonomy.get("license"))
                    claims.append((provider, core))
                    if core is not None:
                        owner.setdefault(core, int(provider["number"]))
        self.used |= {(acupuncture, core) for core in owner}

        licensees: list[_License] = []
        for provider, core in claims:
            npi = int(provider["number"])
            if core is not None and owner[core] == npi:
                number = board.number(core, acupuncture)
            else:  # NPPES holds no number, or one the board gave somebody else
                number = self.fresh_number(acupuncture)
            board.locations[npi] = primary_location(provider)
            licensees.append(self.license(npi, self.provider_names(provider), acupuncture, number,
                                          self.provider_place(provider), "license"))
        for _ in range(round(len(licensees) * EXTRA_SHARE)):
            licensees.append(self.license(None, self.person(), acupuncture,
                                          self.fresh_number(acupuncture), self.place(), "license"))
        self.spoil(licensees)
        for license_type in board.business_types:
            for _ in range(max(3, round(len(claims) * ORGANIZATION_SHARE))):
                licensees.append(self.license(None, ("", "", "", ""), license_type,
                                              self.fresh_number(license_type), self.place(),
                                              "organization", board.entity_name(license_type)))
        return [[lic] for lic in licensees]

    def spoil(self, licensees: list[_License]) -> None:
        if self.board.has_dates:
            super().spoil(licensees)
            return
        # No date to spoil: two numbers missing, two unknown status words.
        acupuncture = self.board.acupuncture_types[0]
        for _ in range(2):
            licensees.append(self.license(None, self.person(), acupuncture, None, self.place(),
                                          "bad-row"))
        known = [lic for lic in licensees if lic.kind == "license" and lic.npi is not None]
        pool = known if len(known) >= 2 else [lic for lic in licensees if lic.kind == "license"]
        for lic in self.rng.sample(pool, min(2, len(pool))):
            lic.kind, lic.status, lic.category = "bad-row", self.board.bad_status, "unknown"


def _taken_names(providers: Iterable[dict], state: str) -> set[tuple[str, str]]:
    taken = set()
    for provider in providers:
        if provider["enumeration_type"] != "NPI-1":
            continue
        states = {t.get("state") for t in provider["taxonomies"]}
        if state in states or primary_location(provider)["state"] == state:
            basic = provider["basic"]
            taken.add((basic["first_name"], basic["last_name"]))
    return taken


def _build(board: _FileBoard, providers: list[dict], columns: tuple[str, ...],
           number_column: str, type_column: str, status_column: str) -> BoardFileData:
    builder = _FileBuilder(board, _taken_names(providers, board.state))
    groups = builder.build(providers)
    board.rng.shuffle(groups)
    data = BoardFileData(board.state, columns, number_column, type_column, status_column,
                         rows=[], truth=[])
    for group in groups:
        for lic in group:
            for row in board.rows(lic):
                data.truth.append(Truth(len(data.rows), lic.npi, lic.kind))
                data.rows.append(row)
    return data


def _made_up_person(rng: random.Random) -> tuple[str, str, str, str]:
    female = rng.random() < 0.6
    names = FEMALE_FIRST if female else MALE_FIRST
    middle = rng.choice(names) if rng.random() < 0.4 else ""
    suffix = rng.choice(SUFFIXES) if rng.random() < 0.03 else ""
    return rng.choice(names), middle, rng.choice(LAST_NAMES), suffix


def _dca_other_rows(rng: random.Random, name: str, license_types: Sequence[str],
                    prefix: str) -> list[dict[str, str]]:
    """A few rows of another DCA board: made-up people, the same columns."""
    rows = []
    for _ in range(rng.randint(3, 12)):
        first, middle, last, suffix = _made_up_person(rng)
        zip5, city = rng.choice(rng.choice(PREFIXES_BY_STATE["CA"]).places)
        issued = dt.date(1980, 1, 1) + dt.timedelta(days=rng.randint(0, 16_000))
        expires = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
        status = rng.choice(("Current", "Current", "Current", "Delinquent", "Cancelled"))
        rows.append(dict(zip(DCA_COLUMNS, (
            name, rng.choice(license_types), "", f"{prefix}{rng.randint(1, 199_999)}", "I", last,
            first, middle, suffix, f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", "", city,
            COUNTY_OF_CITY.get(city, ""), "CA", zip5 + f"{rng.randint(0, 9999):04d}", "US",
            us_date(issued), us_date(expires), "", "", "", status), strict=True)))
    return rows


def _mqa_other_rows(rng: random.Random, label: str, prefix: str) -> list[dict[str, str]]:
    """A few rows of another Florida profession: made-up people."""
    rows = []
    words = [word for word, _, _ in _Florida.statuses]
    weights = [weight for _, weight, _ in _Florida.statuses]
    for _ in range(rng.randint(5, 25)):
        first, middle, last, suffix = _made_up_person(rng)
        _, city = rng.choice(rng.choice(PREFIXES_BY_STATE["FL"]).places)
        rows.append(dict(zip(MQA_COLUMNS, (
            f"{prefix}{rng.randint(1, 99_999)}", mqa_name(first, middle, last, suffix), label,
            city, rng.choices(words, weights)[0]), strict=True)))
    return rows


def generate_dca_data(providers: list[dict], seed: int = 2026) -> BoardFileData:
    """The Acupuncture Board's licensee list, and a few rows of every other DCA board (`others`,
    by board name), built from NPPES stand-in records (`generate_providers()`)."""
    board = _California(random.Random(f"{seed}-dca"))
    data = _build(board, providers, DCA_COLUMNS, "License Number", "License Type",
                  "License Status")
    rng = random.Random(f"{seed}-dca-others")
    data.others = {name: _dca_other_rows(rng, name, types, prefix)
                   for name, _, types, prefix in DCA_BOARDS if name != ACUPUNCTURE_BOARD}
    return data


def generate_mqa_data(providers: list[dict], seed: int = 2026, *,
                      profession: str = MQA_PROFESSION) -> BoardFileData:
    """Florida's acupuncture export, and a few rows of every other profession of the form
    (`others`, by profession code), built from NPPES stand-in records. `profession` replaces
    the unconfirmed label of acupuncture (in the form and in the Profession column)."""
    if profession in {label for _, label, _ in MQA_PROFESSIONS}:
        raise ValueError(f"{profession!r} is another profession's label")
    board = _Florida(random.Random(f"{seed}-mqa"))
    board.acupuncture_types = (profession,)
    data = _build(board, providers, MQA_COLUMNS, "License", "Profession", "License Status")
    data.profession = profession
    rng = random.Random(f"{seed}-mqa-others")
    data.others = {code: _mqa_other_rows(rng, label, prefix)
                   for code, label, prefix in MQA_PROFESSIONS}
    return data


# -- the bytes the sites serve ----------------------------------------------------------------------


def dca_tsv(rows: Sequence[dict[str, str]], columns: Sequence[str] = DCA_COLUMNS) -> bytes:
    """DCA's layout: tab-separated, no quoting, CRLF line ends, cp1252, a header line."""
    lines = ["\t".join(columns)]
    lines += ["\t".join(row.get(column, "") for column in columns) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def dca_files(rows: Sequence[dict[str, str]], stem: str = "Acupuncture", parts: int = 2,
              columns: Sequence[str] = DCA_COLUMNS) -> dict[str, bytes]:
    """The rows split, in order, into `parts` files `<stem>_Data00.xls`, `<stem>_Data01.xls`...,
    each with the header line."""
    size = -(-len(rows) // parts) if rows else 0
    return {f"{stem}_Data{k:02d}.xls": dca_tsv(rows[k * size:(k + 1) * size], columns)
            for k in range(parts)}


def mqa_csv(rows: Sequence[dict[str, str]], columns: Sequence[str] = MQA_COLUMNS) -> bytes:
    """Florida's export: every value double-quoted, the header too, CRLF line ends, UTF-8."""
    def line(values: Iterable[str]) -> str:
        return ",".join('"' + value.replace('"', '""') + '"' for value in values)

    lines = [line(columns)] + [line(row.get(column, "") for column in columns) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
