"""Deterministic, made-up rosters of four more state boards that publish a file (issue 17): the
Maryland board's CSV of active licensees, Missouri's tab-separated listing (served in a ZIP),
Ohio's CSV of every individual license of every board, and Michigan's LARA report. Built from the
NPPES stand-in's providers, as `boardfiles_data.py` builds California's and Florida's, with a
ground truth saying which NPPES provider every row belongs to.

`generate_roster(state, providers, seed)` returns a `BoardFileData` (`rows`, `truth`, and in
`others` the rows of other professions the same file holds, by a label).

The stand-in is a witness, not a mirror: it speaks what ../shared/SOURCES-EVIDENCE.md ("More
states", gathered 2026-12-01) shows of the real files, and where that is silent makes the stated
choice listed here, which the board's configuration treats as an unconfirmed setting.

Confirmed by the evidence:
- Maryland: a CSV of active licensees only, columns RegNum, LName, FName, StatusCode,
  OrigLicDate, ExpDate (`MD_COLUMNS`);
- Missouri: tab-separated text, in a ZIP per board, with status, expiry and discipline;
- Ohio: a CSV of every license of every board, with LICENSEE_NAME, BOARD ("State Medical
  Board"), LICENSE_NUMBER, TYPE, STATUS, EXPIRATION_DATE, BOARD_ACTION; its headline statuses
  Active, Inactive, Closed;
- Michigan: name, profession, status, expiration and address.

Unconfirmed, the stand-in's choice:
- Maryland: StatusCode "A"; numbers "U" + five digits; dates MM/DD/YYYY; UTF-8, CRLF;
- Missouri: the column names of the public Devaarush-aetna/PSV configuration (`MO_COLUMNS`, in
  this order), cp1252 (it says latin-1), CRLF, no quoting; lic_profession "Acupuncturist", and
  "Auricular Detox Technician" for the technicians the board also registers; numbers of ten
  digits; statuses Active, Inactive, Expired, Non-Renewed, Suspended, Revoked, Probation;
  discipline "Y" or "N";
- Ohio: the columns in the order the evidence lists them; the name as "LAST, FIRST MIDDLE";
  TYPE "Acupuncturist"; the other boards and types, among them the chiropractic board's
  acupuncture certificate (a chiropractor's, not an acupuncturist's license); numbers "AC." +
  digits; BOARD_ACTION "Y" or "N"; dates MM/DD/YYYY;
- Michigan: every column name (`MI_COLUMNS`), Profession "Acupuncturist", numbers of ten
  digits, statuses Active, Lapsed, Expired, Suspended, Revoked, Probation.

What a scraper and a linker must cope with, as in `boardfiles_data.py`: licensees NPPES does not
know, names spelled a little differently, bad rows (no number, an unknown status word, an
unreadable date), rows of other professions to leave out.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence

from .boardfiles_data import BoardFileData, _build, _FileBoard, _made_up_person, mqa_name
from .nppes_data import PREFIXES_BY_STATE, STREETS
from .socrata_data import _License, us_date

MD_COLUMNS = ("RegNum", "LName", "FName", "StatusCode", "OrigLicDate", "ExpDate")
MO_COLUMNS = ("lic_number", "prc_first_name", "prc_middle_name", "prc_last_name", "prc_suffix",
              "lic_profession", "lst_description", "lic_orig_issue_date", "lic_exp_date",
              "ba_address", "ba_city", "ba_state", "ba_zip", "discipline")
OH_COLUMNS = ("LICENSEE_NAME", "BOARD", "LICENSE_NUMBER", "TYPE", "STATUS", "EXPIRATION_DATE",
              "BOARD_ACTION")
MI_COLUMNS = ("License Number", "Last Name", "First Name", "Middle Name", "Profession", "Status",
              "Expiration Date", "Address", "City", "State", "Zip")
NJ_COLUMNS = ("License No", "Full Name", "Last Name", "First Name", "Middle Name", "Suffix",
              "Profession", "License Type", "License Status", "Issue Date", "Expiration Date",
              "Address Line 1", "Address Line 2", "City", "State", "Zip", "County", "Email")
ME_COLUMNS = ("Name", "License Number", "Profession", "Status", "Address", "City", "State", "Zip",
              "County", "Phone", "Expiration Date", "Authorities")
NJ_PROFESSION = "Acupuncture Examining Board"
ME_REGULATOR = "Board of Complementary Health Care Providers"
ME_OTHER_PROFESSION = "Naturopathic Doctor"

OH_MEDICAL_BOARD = "State Medical Board"
# (board, license type, number prefix): the rest of Ohio's file. The chiropractic board's
# acupuncture certificate names acupuncture but is not an acupuncturist's license.
OH_OTHERS = ((OH_MEDICAL_BOARD, "Physician (MD)", "35."),
             (OH_MEDICAL_BOARD, "Massage Therapist", "33."),
             ("State Chiropractic Board", "Chiropractic Acupuncture Certificate", "CA."),
             ("State Chiropractic Board", "Chiropractor", "CHI."),
             ("Board of Nursing", "Registered Nurse", "RN."),
             ("Counselor, Social Worker and Marriage and Family Therapist Board",
              "Licensed Professional Counselor", "C."))
MO_TECHNICIAN = "Auricular Detox Technician"


class _Maryland(_FileBoard):
    state = "MD"
    acupuncture_types = ("Acupuncturist",)
    upper_names = True
    statuses = (("A", 100, "active"),)  # a roster of active licensees only
    write_date = staticmethod(us_date)

    def number(self, core: str, license_type: str) -> str:
        return "U" + core.zfill(5) if core.isdigit() else core

    def fresh_number(self, license_type: str) -> str:
        return "U" + f"{self.rng.randint(1, 99_999):05d}"

    def rows(self, lic: _License) -> list[dict]:
        first, _, last, _ = self.name_parts(lic)
        return [dict(zip(MD_COLUMNS, (
            lic.number or "", last, first, lic.status, us_date(lic.issued),
            self.date_text(lic, lic.expires)), strict=True))]


class _Missouri(_FileBoard):
    state = "MO"
    acupuncture_types = ("Acupuncturist",)
    upper_names = False
    width = 10
    statuses = (("Active", 70, "active"), ("Inactive", 5, "inactive"), ("Expired", 10, "expired"),
                ("Non-Renewed", 8, "expired"), ("Suspended", 2, "suspended"),
                ("Revoked", 2, "revoked"), ("Probation", 3, "probation"))
    write_date = staticmethod(us_date)

    def fresh_number(self, license_type: str) -> str:
        return f"{self.rng.randint(1995, 2025)}{self.rng.randint(0, 999_999):06d}"

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last, suffix = self.name_parts(lic)
        street = f"{self.rng.randint(1, 9999)} {self.rng.choice(STREETS)}"
        disciplined = "Y" if self.disciplined(lic) else "N"
        return [dict(zip(MO_COLUMNS, (
            lic.number or "", first, middle, last, suffix, lic.license_type, lic.status,
            us_date(lic.issued), self.date_text(lic, lic.expires), street, lic.city.title(),
            lic.state, lic.zip5, disciplined), strict=True))]


class _Ohio(_FileBoard):
    state = "OH"
    acupuncture_types = ("Acupuncturist",)
    statuses = (("Active", 78, "active"), ("Inactive", 8, "inactive"), ("Closed", 14, "expired"))
    write_date = staticmethod(us_date)

    def number(self, core: str, license_type: str) -> str:
        return "AC." + core.zfill(6)

    def fresh_number(self, license_type: str) -> str:
        return "AC." + f"{self.rng.randint(1, 999_999):06d}"

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last, suffix = self.name_parts(lic)
        action = "Y" if self.disciplined(lic) else "N"
        return [dict(zip(OH_COLUMNS, (
            mqa_name(first, middle, last, suffix), OH_MEDICAL_BOARD, lic.number or "",
            lic.license_type, lic.status, self.date_text(lic, lic.expires), action),
            strict=True))]


class _Michigan(_FileBoard):
    state = "MI"
    acupuncture_types = ("Acupuncturist",)
    width = 10
    statuses = (("Active", 72, "active"), ("Lapsed", 12, "expired"), ("Expired", 8, "expired"),
                ("Suspended", 2, "suspended"), ("Revoked", 2, "revoked"),
                ("Probation", 4, "probation"))
    write_date = staticmethod(us_date)

    def fresh_number(self, license_type: str) -> str:
        return f"67010{self.rng.randint(0, 99_999):05d}"

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last, _ = self.name_parts(lic)
        street = f"{self.rng.randint(1, 9999)} {self.rng.choice(STREETS)}"
        return [dict(zip(MI_COLUMNS, (
            lic.number or "", last, first, middle, lic.license_type, lic.status,
            self.date_text(lic, lic.expires), street, lic.city.upper(), lic.state, lic.zip5),
            strict=True))]


class _NewJersey(_FileBoard):
    state = "NJ"
    acupuncture_types = ("Acupuncturist",)
    statuses = (("Active", 72, "active"), ("Expired", 10, "expired"), ("Inactive", 6, "inactive"),
                ("Retired", 4, "inactive"), ("Suspended", 2, "suspended"),
                ("Revoked", 2, "revoked"), ("Surrendered", 2, "surrendered"),
                ("Deceased", 2, "deceased"))
    write_date = staticmethod(us_date)

    def number(self, core: str, license_type: str) -> str:
        return core if core.startswith("25MZ") else "25MZ" + core.zfill(8)

    def fresh_number(self, license_type: str) -> str:
        return "25MZ" + f"{self.rng.randint(1, 999_999):08d}"

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last, suffix = self.name_parts(lic)
        full = " ".join(filter(None, (first, middle, last, suffix)))
        street = f"{self.rng.randint(1, 9999)} {self.rng.choice(STREETS)}"
        mail = f"{first[:1]}{last}".lower().replace(" ", "") + "@example.org"
        return [dict(zip(NJ_COLUMNS, (
            lic.number or "", full, last, first, middle, suffix, NJ_PROFESSION, lic.license_type,
            lic.status, us_date(lic.issued), self.date_text(lic, lic.expires), street, "",
            lic.city.upper(), lic.state, lic.zip5, "", mail), strict=True))]


class _Maine(_FileBoard):
    state = "ME"
    acupuncture_types = ("Acupuncturist",)
    statuses = (("Active", 75, "active"), ("Expired", 12, "expired"), ("Inactive", 8, "inactive"),
                ("Suspended", 2, "suspended"), ("Revoked", 3, "revoked"))
    write_date = staticmethod(us_date)
    width = 4
    number_prefix = "AC"

    def fresh_number(self, license_type: str) -> str:
        return "AC" + f"{self.rng.randint(1, 9_999):04d}"

    def rows(self, lic: _License) -> list[dict]:
        first, middle, last, suffix = self.name_parts(lic)
        street = f"{self.rng.randint(1, 999)} {self.rng.choice(STREETS)}"
        return [dict(zip(ME_COLUMNS, (
            mqa_name(first, middle, last, suffix), lic.number or "", lic.license_type,
            lic.status, street, lic.city.upper(), lic.state, lic.zip5, "",
            f"207-555-{self.rng.randint(0, 9999):04d}", self.date_text(lic, lic.expires), ""),
            strict=True))]


BOARDS: dict[str, tuple[type[_FileBoard], tuple[str, ...], str, str, str]] = {
    # state: (board, columns, number column, type column, status column)
    "MD": (_Maryland, MD_COLUMNS, "RegNum", "", "StatusCode"),
    "MO": (_Missouri, MO_COLUMNS, "lic_number", "lic_profession", "lst_description"),
    "OH": (_Ohio, OH_COLUMNS, "LICENSE_NUMBER", "TYPE", "STATUS"),
    "MI": (_Michigan, MI_COLUMNS, "License Number", "Profession", "Status"),
    "NJ": (_NewJersey, NJ_COLUMNS, "License No", "License Type", "License Status"),
    "ME": (_Maine, ME_COLUMNS, "License Number", "Profession", "Status"),
}


def generate_roster(state: str, providers: list[dict], seed: int = 2026) -> BoardFileData:
    """The acupuncture rows of `state`'s roster, and the rows of other professions its file
    holds too (`others`: Missouri's technicians, Ohio's other boards and types)."""
    cls, columns, number_column, type_column, status_column = BOARDS[state]
    board = cls(random.Random(f"{seed}-{state}"))
    data = _build(board, providers, columns, number_column, type_column, status_column)
    rng = random.Random(f"{seed}-{state}-others")
    if state == "MO":
        data.others = {MO_TECHNICIAN: _missouri_technicians(rng, board)}
    elif state == "OH":
        data.others = {f"{name}: {kind}": _ohio_other_rows(rng, name, kind, prefix)
                       for name, kind, prefix in OH_OTHERS}
    elif state == "NJ":
        data.others = {"applications": _nj_applications(rng, len(data.rows))}
    elif state == "ME":
        data.others = {ME_OTHER_PROFESSION: _maine_naturopaths(rng)}
    return data


def _nj_applications(rng: random.Random, licensees: int) -> list[dict[str, str]]:
    """About one row in seven: an application, with no license number yet."""
    rows = []
    for _ in range(max(2, licensees // 6)):
        first, middle, last, suffix = _made_up_person(rng)
        zip5, city = _place(rng, "NJ")
        rows.append(dict(zip(NJ_COLUMNS, (
            "", f"{first} {last}", last, first, middle, suffix, NJ_PROFESSION, "Acupuncturist",
            "Application Pending", "", "", f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", "",
            city.upper(), "NJ", zip5, "", f"{first[:1]}{last}@example.org".lower()),
            strict=True)))
    return rows


def _maine_naturopaths(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    for _ in range(rng.randint(4, 10)):
        first, middle, last, suffix = _made_up_person(rng)
        zip5, city = _place(rng, "ME")
        rows.append(dict(zip(ME_COLUMNS, (
            mqa_name(first, middle, last, suffix), f"ND{rng.randint(1, 999):04d}",
            ME_OTHER_PROFESSION, "Active", f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
            city.upper(), "ME", zip5, "", "", "06/30/2027", ""), strict=True)))
    return rows


def _place(rng: random.Random, state: str) -> tuple[str, str]:
    return rng.choice(rng.choice(PREFIXES_BY_STATE[state]).places)


def _missouri_technicians(rng: random.Random, board: _FileBoard) -> list[dict[str, str]]:
    rows = []
    for _ in range(rng.randint(4, 9)):
        first, middle, last, suffix = _made_up_person(rng)
        zip5, city = _place(rng, "MO")
        rows.append(dict(zip(MO_COLUMNS, (
            f"{rng.randint(2005, 2025)}{rng.randint(0, 999_999):06d}", first.title(),
            middle.title(), last.title(), suffix, MO_TECHNICIAN, "Active", "03/01/2015",
            "05/31/2027", f"{rng.randint(1, 9999)} {rng.choice(STREETS)}", city.title(), "MO",
            zip5, "N"), strict=True)))
    return rows


def _ohio_other_rows(rng: random.Random, board: str, kind: str, prefix: str
                     ) -> list[dict[str, str]]:
    rows = []
    for _ in range(rng.randint(6, 20)):
        first, middle, last, suffix = _made_up_person(rng)
        status = rng.choice(("Active", "Active", "Active", "Inactive", "Closed"))
        rows.append(dict(zip(OH_COLUMNS, (
            mqa_name(first, middle, last, suffix), board, f"{prefix}{rng.randint(1, 999_999):06d}",
            kind, status, f"{rng.randint(1, 12):02d}/01/{rng.randint(2024, 2028)}",
            rng.choice("NNNNNNNNY")), strict=True)))
    return rows


# -- the bytes the sites serve ----------------------------------------------------------------------


def roster_csv(rows: Sequence[dict[str, str]], columns: Sequence[str],
               quoting: int = csv.QUOTE_MINIMAL) -> bytes:
    """A CSV with CRLF line ends, UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=quoting)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    return out.getvalue().encode("utf-8")


def roster_tsv(rows: Sequence[dict[str, str]], columns: Sequence[str] = MO_COLUMNS,
               delimiter: str = "\t") -> bytes:
    """Tab-separated (or pipe-separated: New Jersey's), unquoted, CRLF, cp1252."""
    lines = [delimiter.join(columns)] + [delimiter.join(row[c] for c in columns) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")
