"""Stand-in of the OIG List of Excluded Individuals/Entities (LEIE) downloads.

The real files live under `https://oig.hhs.gov/exclusions/downloadables/`; mount `LeieSite` at
`/exclusions/` and the same paths answer here:

- `UPDATED.csv`: the whole current list, replaced monthly (~80,000 rows, ~15 MB). A provider
  reinstated since is gone from it, so every row's REINDATE is "00000000";
- `<YYYY>/<YYMM>excl.csv` and `<YYYY>/<YYMM>rein.csv`: the month's supplements, the exclusions added
  and the reinstatements (rows with REINDATE set). Not every month publishes both; a missing one is
  a 404. The flat spellings `<YYMM>EXCL.csv` and `<YYMM>REIN.csv` answer too.

The format, as other clients recorded it (2026-07/08): the header line is not quoted, every field
of every data row is, lines end with CRLF; the 18 columns are always the same; dates are YYYYMMDD
with "00000000" for none (DOB is "" when unknown); NPI is "0000000000" when unknown (most rows);
UPIN is mostly empty; EXCLTYPE is the statute ("1128a1", "1128b4", "1128b7"...); rows are sorted
by last name, so businesses (no LASTNAME) come first; a middle name may keep a trailing space.
GENERAL and SPECIALTY values are the style seen in recorded rows ("IND- LIC HC SERV PRO",
"OTHER BUSINESS", "NURSE/NURSES AIDE"); "ACUPUNCTURIST" as a SPECIALTY is our assumption.

`generate_leie_rows(providers)` makes a list whose few excluded acupuncturists come from the NPPES
stand-in, with a ground truth; `next_month(...)` makes the following month's list.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import re
import threading
from dataclasses import dataclass, field
from typing import NamedTuple

from .nppes_data import (
    FEMALE_FIRST,
    LAST_NAMES,
    MALE_FIRST,
    PREFIXES,
    STREETS,
    XSS_TEXT,
    npi_check_digit,
    primary_location,
)
from .server import Request, Response, text_response

LEIE_COLUMNS = ("LASTNAME", "FIRSTNAME", "MIDNAME", "BUSNAME", "GENERAL", "SPECIALTY", "UPIN",
                "NPI", "DOB", "ADDRESS", "CITY", "STATE", "ZIP", "EXCLTYPE", "EXCLDATE",
                "REINDATE", "WAIVERDATE", "WVRSTATE")
NO_DATE = "00000000"
NO_NPI = "0000000000"
FIRST_MONTH = "2602"  # the list as of February 2026, published in March

# (GENERAL, SPECIALTY, weight)
INDIVIDUAL_KINDS = (
    ("IND- LIC HC SERV PRO", "NURSE/NURSES AIDE", 30), ("NURSING PROFESSION", "NURSE/NURSES AIDE", 8),
    ("IND- LIC HC SERV PRO", "PHARMACIST", 6), ("IND- LIC HC SERV PRO", "PHYSICIAN (MD, DO)", 8),
    ("IND- LIC HC SERV PRO", "CHIROPRACTIC", 3), ("IND- LIC HC SERV PRO", "COUNSELOR", 3),
    ("IND- LIC HC SERV PRO", "DENTIST", 2), ("BUSINESS OWNER/EXEC", "OWNER/OPERATOR", 6),
    ("EMPLOYEE - PRIVATE SEC", "EMPLOYEE", 10), ("INDIVIDUAL (NO SPECIALTY)", "", 12),
    ("IND- LIC HC SERV PRO", "PHYSICAL THERAPIST", 2),
)
BUSINESS_KINDS = (  # (GENERAL, SPECIALTY, the business's name ends with, weight)
    ("OTHER BUSINESS", "HOME HEALTH AGENCY", "HOME HEALTH CARE", 20),
    ("OTHER BUSINESS", "PHARMACY", "PHARMACY", 20),
    ("OTHER BUSINESS", "SOBER HOME", "RECOVERY RESIDENCE", 5),
    ("OTHER BUSINESS", "SOLICITOR", "MARKETING SERVICE", 5),
    ("DME COMPANY", "DME - GENERAL", "MEDICAL SUPPLY", 15),
    ("MEDICAL PRACTICE, MD", "FAMILY PRACTICE", "MEDICAL CLINIC", 8),
    ("OTHER BUSINESS", "AMBULANCE SERVICE", "AMBULANCE", 6),
    ("OTHER BUSINESS", "NURSING HOME", "NURSING CENTER", 6),
)
ACUPUNCTURIST_KINDS = (
    ("IND- LIC HC SERV PRO", "ACUPUNCTURIST", 55), ("IND- LIC HC SERV PRO", "CHIROPRACTIC", 15),
    ("INDIVIDUAL (NO SPECIALTY)", "", 30),
)
EXCLUSION_TYPES = (("1128b4", 45), ("1128a1", 20), ("1128a2", 8), ("1128a3", 5), ("1128a4", 3),
                   ("1128b7", 5), ("1128b5", 4), ("1128b8", 3), ("1128b14", 2), ("1128b1", 2),
                   ("1128b2", 1), ("1128Aa", 1), ("1156", 1))
BUSINESS_WORDS = ("SUNRISE", "GOLDEN CARE", "FIRST CHOICE", "BEST CARE", "PREMIER", "ANGEL",
                  "LIBERTY", "UNITED", "COMFORT", "HEALTHY LIVING", "CARING HANDS", "ALLIANCE",
                  "#1", "101 FIRST CARE", "A-1", "TRI-COUNTY", "METRO", "VALLEY", "COASTAL")
BUSINESS_SUFFIXES = (", INC", " INC", ", LLC", " LLC", " CORP", "", ", INC.")


class LeieTruth(NamedTuple):
    row: int  # index in LeieData.rows
    npi: int  # the NPPES provider the row is about
    kind: str  # "npi" (NPI filled in) or "name-only" (NPI "0000000000": name and state only)


@dataclass
class LeieData:
    month: str  # "2602": the month the list covers
    rows: list[dict]
    truth: list[LeieTruth]
    added: list[dict] = field(default_factory=list)  # the month's <YYMM>excl.csv
    reinstated: list[dict] = field(default_factory=list)  # the month's <YYMM>rein.csv

    @property
    def last_modified(self) -> str:
        """When the list went up: the 10th of the following month."""
        year, month = 2000 + int(self.month[:2]), int(self.month[2:])
        published = dt.datetime(year + month // 12, month % 12 + 1, 10, 14, tzinfo=dt.UTC)
        return email.utils.format_datetime(published, usegmt=True)


def leie_csv(rows: list[dict]) -> bytes:
    """The real layout: a bare header, then every field double-quoted, CRLF line ends."""
    lines = [",".join(LEIE_COLUMNS)]
    for row in rows:
        lines.append(",".join('"' + str(row.get(c, "")).replace('"', '""') + '"'
                              for c in LEIE_COLUMNS))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


_SUPPLEMENT = re.compile(r"(?:(?P<year>\d{4})/)?(?P<month>\d{4})(?P<kind>excl|rein)\.csv",
                         re.IGNORECASE)


class LeieSite:
    """Serves UPDATED.csv from `rows` and the monthly supplements by "YYMM".

    Tests may change `rows` and `last_modified` between requests (call `touch()` after editing
    a row in place), or `publish(next_month(...))`.
    """

    def __init__(self, rows: list[dict], *, last_modified: str | None = None,
                 added: dict[str, list[dict]] | None = None,
                 reinstated: dict[str, list[dict]] | None = None):
        self.rows = rows
        self.last_modified = last_modified
        self.added: dict[str, list[dict]] = dict(added or {})
        self.reinstated: dict[str, list[dict]] = dict(reinstated or {})
        self._lock = threading.Lock()
        self._version = 0
        self._body_key: tuple | None = None
        self._body = b""

    @classmethod
    def from_data(cls, data: LeieData) -> LeieSite:
        site = cls([])
        site.publish(data)
        return site

    def publish(self, data: LeieData) -> None:
        """A new month: the list replaced, that month's supplements added beside the older ones."""
        self.rows = data.rows
        self.last_modified = data.last_modified
        if data.added:
            self.added[data.month] = data.added
        if data.reinstated:
            self.reinstated[data.month] = data.reinstated
        self.touch()

    def touch(self) -> None:
        self._version += 1

    def updated_csv(self) -> bytes:
        key = (id(self.rows), len(self.rows), self._version)
        with self._lock:
            if key != self._body_key:
                self._body, self._body_key = leie_csv(self.rows), key
            return self._body

    def handle(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response(405, {"Allow": "GET"}, b"")
        _, found, name = request.path.partition("/exclusions/downloadables/")
        if not found:
            return text_response("Not Found\n", 404)
        if name == "UPDATED.csv":
            return _csv(self.updated_csv())
        supplement = _SUPPLEMENT.fullmatch(name)
        if supplement:
            month = supplement["month"]
            year_ok = supplement["year"] is None or supplement["year"][2:] == month[:2]
            files = self.added if supplement["kind"].lower() == "excl" else self.reinstated
            if year_ok and month in files:
                return _csv(leie_csv(files[month]))
        return text_response("Not Found\n", 404)


def _csv(body: bytes) -> Response:
    return Response(200, {"Content-Type": "text/csv"}, body)


# -- data -------------------------------------------------------------------------------------------


def _month_days(month: str) -> tuple[dt.date, dt.date]:
    year, number = 2000 + int(month[:2]), int(month[2:])
    first = dt.date(year, number, 1)
    last = dt.date(year + number // 12, number % 12 + 1, 1) - dt.timedelta(days=1)
    return first, last


def following_month(month: str) -> str:
    year, number = int(month[:2]), int(month[2:])
    return f"{year + number // 12:02d}{number % 12 + 1:02d}"


def _ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _sort_key(row: dict) -> tuple:
    return (row["LASTNAME"], row["FIRSTNAME"], row["MIDNAME"], row["BUSNAME"], row["EXCLDATE"])


class _Maker:
    def __init__(self, rng: random.Random, providers: list[dict]):
        self.rng = rng
        self.known_npis = {int(p["number"]) for p in providers}

    def pick(self, table: tuple) -> tuple:
        return self.rng.choices(table, [entry[-1] for entry in table])[0][:-1]

    def day(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def stranger_npi(self) -> str:
        """A valid NPI of somebody the NPPES stand-in does not hold."""
        while True:
            first9 = str(self.rng.randint(100_000_000, 299_999_999))
            npi = int(first9 + str(npi_check_digit(first9)))
            if npi not in self.known_npis:
                return str(npi)

    def address(self) -> tuple[str, str, str, str]:
        prefix = self.rng.choice(PREFIXES)
        zip5, city = self.rng.choice(prefix.places)
        street = f"{self.rng.randint(1, 9999)} {self.rng.choice(STREETS)}"
        if self.rng.random() < 0.2:
            street += f", {self.rng.choice(('STE', 'APT', '#'))} {self.rng.randint(1, 400)}"
        return street, city, prefix.state, zip5

    def exclusion(self, excluded: dt.date, **fields: str) -> dict:
        row = dict.fromkeys(LEIE_COLUMNS, "")
        row.update(NPI=NO_NPI, EXCLTYPE=self.pick(EXCLUSION_TYPES)[0], EXCLDATE=_ymd(excluded),
                   REINDATE=NO_DATE, WAIVERDATE=NO_DATE)
        row.update(fields)
        return row

    def unrelated(self, first: dt.date, last: dt.date) -> dict:
        rng = self.rng
        excluded = self.day(first, last)
        street, city, state, zip5 = self.address()
        fields = {"ADDRESS": street, "CITY": city, "STATE": state, "ZIP": zip5}
        if rng.random() < 0.2:
            fields["NPI"] = self.stranger_npi()
        if excluded.year < 2008 and rng.random() < 0.3:  # UPINs went out with the NPI
            fields["UPIN"] = rng.choice("ABCDEGH") + f"{rng.randint(0, 99_999):05d}"
        if rng.random() < 0.003:  # a waiver for one state
            fields["WAIVERDATE"] = _ymd(self.day(excluded, last))
            fields["WVRSTATE"] = state
        if rng.random() < 0.3:
            general, specialty, noun = self.pick(BUSINESS_KINDS)
            name = f"{rng.choice(BUSINESS_WORDS)} {noun}{rng.choice(BUSINESS_SUFFIXES)}"
            fields.update(BUSNAME=name, GENERAL=general, SPECIALTY=specialty)
        else:
            general, specialty = self.pick(INDIVIDUAL_KINDS)
            female = rng.random() < 0.6
            names = FEMALE_FIRST if female else MALE_FIRST
            middle = ""
            if rng.random() < 0.5:
                middle = rng.choice(names) if rng.random() < 0.5 else rng.choice("ABCDEJKLMRS")
                if rng.random() < 0.03:
                    middle += " "  # kept as published
            born = self.day(dt.date(1940, 1, 1), dt.date(1998, 12, 31))
            fields.update(LASTNAME=rng.choice(LAST_NAMES), FIRSTNAME=rng.choice(names),
                          MIDNAME=middle, GENERAL=general, SPECIALTY=specialty,
                          DOB=_ymd(born) if rng.random() < 0.9 else "")
        return self.exclusion(excluded, **fields)

    def acupuncturist(self, provider: dict, first: dt.date, last: dt.date, *,
                      with_npi: bool) -> dict:
        basic = provider["basic"]
        location = primary_location(provider)
        middle = basic.get("middle_name", "")
        if middle and self.rng.random() < 0.4:
            middle = middle[0]
        general, specialty = self.pick(ACUPUNCTURIST_KINDS)
        street = location["address_1"]
        if location.get("address_2"):
            street += ", " + location["address_2"]
        # Practitioners lose their license first, then get excluded for it (1128b4) mostly.
        excltype = self.rng.choices(("1128b4", "1128a1", "1128b5", "1128a3"), (70, 15, 10, 5))[0]
        return self.exclusion(
            self.day(first, last), LASTNAME=basic["last_name"].replace(XSS_TEXT, ""),
            FIRSTNAME=basic["first_name"], MIDNAME=middle, GENERAL=general, SPECIALTY=specialty,
            NPI=str(provider["number"]) if with_npi else NO_NPI,
            DOB=_ymd(self.day(dt.date(1950, 1, 1), dt.date(1992, 12, 31))),
            ADDRESS=street, CITY=location["city"], STATE=location["state"],
            ZIP=location["postal_code"][:5], EXCLTYPE=excltype)


def _individuals(providers: list[dict]) -> list[dict]:
    return [p for p in providers if p["enumeration_type"] == "NPI-1"]


def _assemble(month: str, tagged: list[tuple[dict, tuple[int, str] | None]], added: list[dict],
              reinstated: list[dict]) -> LeieData:
    tagged = sorted(tagged, key=lambda pair: _sort_key(pair[0]))
    truth = [LeieTruth(i, tag[0], tag[1]) for i, (_, tag) in enumerate(tagged) if tag]
    return LeieData(month, [row for row, _ in tagged], truth, added, reinstated)


def generate_leie_rows(providers: list[dict], n_unrelated: int = 5_000, seed: int = 2026, *,
                       n_with_npi: int = 40, n_name_only: int = 10,
                       month: str = FIRST_MONTH) -> LeieData:
    """The list as of `month`: `n_unrelated` exclusions of other people and businesses,
    `n_with_npi` NPPES acupuncturists with their NPI filled in and `n_name_only` with
    "0000000000" (to be matched on name and state). n_unrelated=80,000 makes a ~15 MB file."""
    maker = _Maker(random.Random(f"leie-{seed}"), providers)
    first_day, last_day = _month_days(month)
    tagged: list[tuple[dict, tuple[int, str] | None]] = []
    for _ in range(n_unrelated):
        tagged.append((maker.unrelated(dt.date(1990, 1, 1), last_day), None))
    # A few of the month's own exclusions, so that its supplement has rows.
    for k in range(min(n_unrelated, max(3, n_unrelated // 400))):
        row, _ = tagged[k]
        row["EXCLDATE"] = _ymd(maker.day(first_day, last_day))

    candidates = _individuals(providers)
    chosen = maker.rng.sample(candidates, min(len(candidates), n_with_npi + n_name_only))
    for k, provider in enumerate(chosen):
        with_npi = k < n_with_npi
        row = maker.acupuncturist(provider, dt.date(2010, 1, 1), last_day, with_npi=with_npi)
        tagged.append((row, (int(provider["number"]), "npi" if with_npi else "name-only")))

    added = [row for row, _ in tagged if row["EXCLDATE"] >= _ymd(first_day)]
    reinstated = []
    for _ in range(min(5, n_unrelated)):  # people reinstated this month: gone from the list
        row = maker.unrelated(dt.date(2000, 1, 1), first_day - dt.timedelta(days=400))
        row["REINDATE"] = _ymd(maker.day(first_day, last_day))
        reinstated.append(row)
    return _assemble(month, tagged, sorted(added, key=_sort_key), sorted(reinstated, key=_sort_key))


def next_month(data: LeieData, providers: list[dict], *, seed: int = 2026, n_reinstated: int = 3,
               n_new: int = 8, n_new_acupuncturists: int = 2) -> LeieData:
    """The following month's list: `n_reinstated` excluded acupuncturists (and two others)
    reinstated, so gone from it and listed in its REIN file; `n_new` new exclusions of other
    people and `n_new_acupuncturists` of NPPES acupuncturists added and listed in its EXCL file."""
    month = following_month(data.month)
    maker = _Maker(random.Random(f"leie-{seed}-{month}"), providers)
    first_day, last_day = _month_days(month)
    tags = {t.row: (t.npi, t.kind) for t in data.truth}
    tagged = [(dict(row), tags.get(i)) for i, row in enumerate(data.rows)]

    excluded_acupuncturists = [k for k, (_, tag) in enumerate(tagged) if tag and tag[1] == "npi"]
    others = [k for k, (row, tag) in enumerate(tagged) if tag is None
              and row["EXCLTYPE"] == "1128b4"]
    leaving = set(maker.rng.sample(excluded_acupuncturists,
                                   min(n_reinstated, len(excluded_acupuncturists))))
    leaving |= set(maker.rng.sample(others, min(2, len(others))))
    reinstated = []
    for k in sorted(leaving):
        row = dict(tagged[k][0], REINDATE=_ymd(maker.day(first_day, last_day)))
        reinstated.append(row)
    tagged = [pair for k, pair in enumerate(tagged) if k not in leaving]

    added = [maker.unrelated(first_day, last_day) for _ in range(n_new)]
    tagged += [(row, None) for row in added]
    already = {tag[0] for _, tag in tagged if tag} | {t.npi for t in data.truth}
    fresh = [p for p in _individuals(providers) if int(p["number"]) not in already]
    for provider in maker.rng.sample(fresh, min(n_new_acupuncturists, len(fresh))):
        row = maker.acupuncturist(provider, first_day, last_day, with_npi=True)
        added.append(row)
        tagged.append((row, (int(provider["number"]), "npi")))
    return _assemble(month, tagged, sorted(added, key=_sort_key),
                     sorted(reinstated, key=_sort_key))
