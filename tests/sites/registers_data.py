"""Deterministic, made-up public registers of two boards that serve their licensees as paged
JSON: Nevada's Board of Oriental Medicine (a Certemy public registry) and Arizona's Acupuncture
Board of Examiners (a Thentia public register), made from the NPPES stand-in's providers, with
a ground truth saying which NPPES provider every record belongs to.

`generate_nv_data(providers, seed)` and `generate_az_data(providers, seed)` each return a
`RegisterData`: the records (`records`, in the register's JSON shape), their `truth`
(`socrata_data.Truth`, `row` indexing `records`), and for Arizona which records the
register's "disciplined" filter lists. `registers.py` serves them.

The stand-in is a witness, not a mirror: it speaks what ../shared/SOURCES-EVIDENCE.md ("More
states", gathered 2026-12-01) and the public code that reads these registers show, and makes a
stated choice where they are silent.

Confirmed (see scraper/sources/register.py for where each was seen):
- Nevada: the answer is `{"result": [...], "count": N}`, paged by `page` (from 1) and
  `page_size`; `search=` empty lists everyone; the register's columns are first and last name,
  "License #" (digits: "2031"), original issue and expiration dates, the business address and
  "Disciplinary Actions": no license type and no status; the records are ordered by
  `last_name` when asked (`order_id=last_name`).
- Arizona: `{"resultCount": N, "result": {"dataResults": [{"id": ..., "columnValues":
  [{"data": ...}, ...]}]}}`, paged by `skip` and `take`; dates as "2019-05-14T00:00:00.000Z";
  `disciplined=true` lists only the disciplined; a generic client's User-Agent gets 403.

Unconfirmed, the stand-in's choice (a scraper must check these at run time, not trust them):
- Nevada: the record keys (`NV_KEYS`: snake case of the column titles, `last_name` being the
  one the register's own query names), ISO dates, the discipline text ("" when none),
  numbers as bare digits of the NPPES number ("OMD447" -> "447"), fresh ones 2000-2999;
- Arizona: which column is which (`AZ_COLUMNS`, the register table's order as PSV lists it),
  the license types ("Acupuncturist", and "Auricular Acupuncturist" for the detox technicians
  the board certifies: about a third as many, made-up people), the status words in capitals
  (`_Arizona.statuses`), numbers "AC" + four digits, the record ids;
- both: answers sorted by last name then number; a page size above 100 is served as 100
  (`MAX_PAGE_SIZE`; the scraper asks for 20, as the registers' own pages do).

What a scraper and a linker must cope with, on purpose: the licensees of a state are every
individual with an Acupuncturist taxonomy in that state, plus ~15% NPPES does not know; names
differ slightly from NPPES (middle left out or cut, the other case now and then, an accent);
bad records (two without a number, two unparseable dates, and in Arizona two unknown status
words); a licensee practising elsewhere carries that address.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field
from typing import Any

from .boardfiles_data import _FileBoard, _FileBuilder, _made_up_person, _taken_names
from .nppes_data import PREFIXES_BY_STATE, STREETS
from .socrata_data import DISCIPLINED_CATEGORIES, Truth, _License

NV_UUID = "1d329d3a-aded-4c8a-a5b2-253e2d32b09d"
NV_KEYS = ("id", "first_name", "last_name", "license_number", "original_issue_date",
           "expiration_date", "business_address", "business_city", "business_state",
           "business_zip_code", "business_phone", "disciplinary_actions")
AZ_COLUMNS = ("License Number", "First Name", "Last Name", "City", "License Type", "Status",
              "Expiration Date")
AZ_ACUPUNCTURIST = "Acupuncturist"
AZ_AURICULAR = "Auricular Acupuncturist"
AURICULAR_SHARE = 0.3  # auricular acupuncturists per acupuncturist (made up)
MAX_PAGE_SIZE = 100
ACTIONS = {"probation": "Probation", "suspended": "Suspension", "revoked": "Revocation",
           "surrendered": "Voluntary surrender"}


@dataclass
class RegisterData:
    state: str
    records: list[dict[str, Any]]
    truth: list[Truth]
    number_of: Any  # record -> its license number as written
    type_of: Any  # record -> its license type ("" where the register has none)
    disciplined: set[int] = field(default_factory=set)  # indexes the discipline filter lists

    def acupuncture_truth(self) -> list[Truth]:
        return [t for t in self.truth if t.kind != "other-profession"]


def _digits(core: str) -> str:
    return re.sub(r"\D", "", core).lstrip("0") or "0"


def iso(day: dt.date) -> str:
    return day.isoformat()


def thentia_stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00.000Z"


class _Nevada(_FileBoard):
    state = "NV"
    acupuncture_types = ("Oriental Medicine",)
    # No status on the register: the builder's categories only make the dates fit.
    statuses = (("", 75, "active"), ("", 15, "expired"), ("", 4, "inactive"),
                ("", 3, "probation"), ("", 1.5, "revoked"), ("", 1.5, "surrendered"))

    def number(self, core: str, license_type: str) -> str:
        return _digits(core)

    def fresh_number(self, license_type: str) -> str:
        return str(self.rng.randint(2000, 2999))

    def date_text(self, lic: _License, day: dt.date) -> str:
        return lic.bad_date or iso(day)

    def rows(self, lic: _License) -> list[dict]:
        first, _, last, _ = self.name_parts(lic)
        location = self.locations.get(lic.npi) if lic.npi is not None else None
        address = location["address_1"] if location else \
            f"{self.rng.randint(1, 9999)} {self.rng.choice(STREETS)}"
        phone = location.get("telephone_number", "") if location else ""
        action = ""
        if lic.category in DISCIPLINED_CATEGORIES:
            when = lic.expires - dt.timedelta(days=self.rng.randint(30, 700))
            action = f"{ACTIONS[lic.category]} ({when.strftime('%m/%d/%Y')})"
        return [dict(zip(NV_KEYS, (
            10_000 + self.rng.randint(0, 89_999), first, last, lic.number,
            self.date_text(lic, lic.issued), self.date_text(lic, lic.expires), address,
            lic.city.upper(), lic.state, lic.zip5, phone, action), strict=True))]


class _Arizona(_FileBoard):
    state = "AZ"
    acupuncture_types = (AZ_ACUPUNCTURIST,)
    number_prefix = "AC"
    width = 4
    statuses = (("ACTIVE", 70, "active"), ("INACTIVE", 6, "inactive"), ("EXPIRED", 14, "expired"),
                ("PROBATION", 3, "probation"), ("SUSPENDED", 2, "suspended"),
                ("REVOKED", 1.5, "revoked"), ("SURRENDERED", 2, "surrendered"),
                ("DECEASED", 1.5, "deceased"))

    def fresh_number(self, license_type: str) -> str:
        prefix = "AA" if license_type == AZ_AURICULAR else "AC"
        return prefix + str(self.rng.randint(5000, 9999))

    def date_text(self, lic: _License, day: dt.date) -> str:
        return lic.bad_date or thentia_stamp(day)

    def rows(self, lic: _License) -> list[dict]:
        first, _, last, _ = self.name_parts(lic)
        values = (lic.number or "", first, last, lic.city.upper(), lic.license_type, lic.status,
                  self.date_text(lic, lic.expires))
        record_id = "".join(self.rng.choice("0123456789abcdef") for _ in range(24))
        return [{"id": record_id, "columnValues": [{"data": v} for v in values]}]


def _sorted(data: RegisterData, key) -> RegisterData:
    order = sorted(range(len(data.records)), key=lambda i: key(data.records[i]))
    where = {old: new for new, old in enumerate(order)}
    data.records = [data.records[i] for i in order]
    data.truth = sorted((Truth(where[t.row], t.npi, t.kind) for t in data.truth),
                        key=lambda t: t.row)
    data.disciplined = {where[i] for i in data.disciplined}
    return data


def _build(board: _FileBoard, providers: list[dict],
           ) -> tuple[list[_License], list[dict], list[Truth]]:
    builder = _FileBuilder(board, _taken_names(providers, board.state))
    licensees = [group[0] for group in builder.build(providers)]
    # A small board may draw nobody disciplined: two of its licensees always are.
    acted = [lic for lic in licensees if lic.category in DISCIPLINED_CATEGORIES]
    for lic in [lic for lic in licensees if lic.kind == "license"][:max(0, 2 - len(acted))]:
        lic.category = "probation"
        lic.status = next((w for w, _, c in board.statuses if c == "probation"), lic.status)
    records: list[dict] = []
    truth: list[Truth] = []
    for lic in licensees:
        for record in board.rows(lic):
            truth.append(Truth(len(records), lic.npi, lic.kind))
            records.append(record)
    return licensees, records, truth


def generate_nv_data(providers: list[dict], seed: int = 2026) -> RegisterData:
    """Nevada's registry, built from NPPES stand-in records (`generate_providers()`)."""
    board = _Nevada(random.Random(f"{seed}-nv"))
    _, records, truth = _build(board, providers)
    data = RegisterData("NV", records, truth, number_of=lambda r: r["license_number"],
                        type_of=lambda r: "")
    return _sorted(data, lambda r: (r["last_name"].upper(), r["license_number"] or ""))


def generate_az_data(providers: list[dict], seed: int = 2026) -> RegisterData:
    """Arizona's register: its acupuncturists and the auricular acupuncturists it certifies."""
    board = _Arizona(random.Random(f"{seed}-az"))
    licensees, records, truth = _build(board, providers)
    rng = random.Random(f"{seed}-az-others")
    disciplined = {i for i, lic in enumerate(licensees) if lic.category in DISCIPLINED_CATEGORIES}
    for _ in range(max(3, round(len(licensees) * AURICULAR_SHARE))):
        first, _, last, _ = _made_up_person(rng)
        _, city = rng.choice(rng.choice(PREFIXES_BY_STATE["AZ"]).places)
        issued = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randint(0, 9000))
        expires = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
        status = rng.choice(("ACTIVE", "ACTIVE", "ACTIVE", "EXPIRED", "INACTIVE"))
        values = (f"AA{rng.randint(1000, 4999)}", first, last, city.upper(), AZ_AURICULAR,
                  status, thentia_stamp(max(issued, expires)))
        if rng.random() < 0.05:
            disciplined.add(len(records))
        truth.append(Truth(len(records), None, "other-profession"))
        records.append({"id": f"{rng.getrandbits(96):024x}",
                        "columnValues": [{"data": v} for v in values]})
    data = RegisterData("AZ", records, truth, disciplined=disciplined,
                        number_of=lambda r: r["columnValues"][0]["data"],
                        type_of=lambda r: r["columnValues"][4]["data"])
    return _sorted(data, lambda r: (r["columnValues"][2]["data"].upper(),
                                    r["columnValues"][0]["data"]))
