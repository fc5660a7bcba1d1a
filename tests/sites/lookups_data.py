"""Deterministic, made-up licensees of the four boards asked one license at a time
(Massachusetts BORIM, Pennsylvania PALS, Virginia DHP, New York NYSED), made from the NPPES
stand-in's providers so that the numbers NPPES individuals report are the numbers the boards
answer for. `lookups.py` serves them.

`generate_lookup_data(providers, state, seed)` returns a `LookupData`: the board's licensees by
their number as the board writes it (`licensees`), which NPPES provider each belongs to
(`Licensee.npi`), and the numbers NPPES individuals report that the board has no license for
(`unknown`).

What the stand-in chooses where the evidence (../shared/SOURCES-EVIDENCE.md, "More states",
2026-12-01) says nothing, each a setting of the scraper:
- how each board writes a number (`board_number`): Massachusetts five digits, Pennsylvania "AU"
  and six digits, New York six digits, Virginia ten (the evidence: zero-padded to ten); NPPES's
  self-reported spellings ("au-326828", "0002960", "LAC.00123", "326828") are the same license;
- the status words (`STATUSES`), the dates, a discipline flag for about one licensee in twenty;
- about one number in ten NPPES individuals report (and at least one) is unknown to the board
  (a typo in NPPES, a license never issued): the board answers "no such license" for it.

Nothing depends on the clock: the same providers and seed give the same licensees.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from .boardfiles_data import core_number
from .nppes_data import ACUPUNCTURIST_CODE

BOARD_STATES = ("MA", "PA", "VA", "NY")
UNKNOWN_SHARE = 0.1
DISCIPLINED_SHARE = 0.05
# Each board's status words with their shares; the first is the active one.
STATUSES = {
    "MA": (("Active", 0.75), ("Expired", 0.1), ("Inactive", 0.05), ("Probation", 0.05),
           ("Revoked", 0.05)),
    "PA": (("Active", 0.75), ("Expired", 0.12), ("Probation", 0.08), ("Suspended", 0.05)),
    "VA": (("Active", 0.75), ("Expired", 0.15), ("Probation", 0.05), ("Inactive", 0.05)),
    "NY": (("REGISTERED", 0.8), ("NOT REGISTERED", 0.15), ("SURRENDERED", 0.05)),
}
ACTIVE_WORDS = {words[0][0] for words in STATUSES.values()}
PROBATION_WORDS = {"Probation"}


def board_number(state: str, reported: str | None) -> str | None:
    """The number as the board writes it, from any spelling NPPES holds; None if there is none."""
    core = core_number(reported)
    if core is None:
        return None
    if state == "PA" and core.startswith("AU") and core[2:].isdigit():
        core = core[2:].lstrip("0") or "0"  # "AU 0292130" is AU292130
    if not core.isdigit():
        return None
    return {"MA": core.zfill(5), "PA": "AU" + core.zfill(6), "VA": core.zfill(10),
            "NY": core.zfill(6)}[state]


@dataclass
class Licensee:
    number: str  # as the board writes it
    first: str
    middle: str
    last: str
    status: str  # the board's word
    issued: dt.date
    expires: dt.date
    disciplined: bool
    npi: str | None  # the NPPES provider it belongs to
    detail_id: int  # Virginia's /Lookup/Detail/<id>
    city: str = ""
    zip: str = ""

    def full_name(self) -> str:
        return " ".join(p for p in (self.first, self.middle, self.last) if p)


@dataclass
class LookupData:
    state: str
    licensees: dict[str, Licensee] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)  # reported to NPPES, unknown to the board

    def find(self, asked: str) -> Licensee | None:
        """The board's search matches its own number exactly, any case (the stand-in's choice)."""
        return self.licensees.get(asked.strip().upper())

    def by_detail(self, detail_id: int) -> Licensee | None:
        return next((lic for lic in self.licensees.values() if lic.detail_id == detail_id), None)


def _status(rng: random.Random, state: str) -> str:
    roll, total = rng.random(), 0.0
    for word, share in STATUSES[state]:
        total += share
        if roll < total:
            return word
    return STATUSES[state][0][0]


def generate_lookup_data(providers: list[dict], state: str, seed: int = 2026) -> LookupData:
    if state not in BOARD_STATES:
        raise ValueError(f"no lookup board stand-in for {state}")
    rng = random.Random(f"{seed}-lookup-{state}")
    data = LookupData(state)
    for provider in providers:
        if provider["enumeration_type"] != "NPI-1":
            continue
        basic = provider["basic"]
        location = next((a for a in provider["addresses"]
                         if a.get("address_purpose") == "LOCATION"), {})
        for taxonomy in provider["taxonomies"]:
            if taxonomy["code"] != ACUPUNCTURIST_CODE or taxonomy.get("state") != state:
                continue
            number = board_number(state, taxonomy.get("license"))
            if number is None or number in data.licensees or number in data.unknown:
                continue
            # about one in ten, and at least one (the fourth number) on a short list
            if rng.random() < UNKNOWN_SHARE or (len(data.licensees) == 3 and not data.unknown):
                data.unknown.append(number)
                continue
            status = _status(rng, state)
            issued = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randrange(6000))
            expires = (dt.date(2028, 1, 31) + dt.timedelta(days=rng.randrange(700))
                       if status in ACTIVE_WORDS or status in PROBATION_WORDS
                       else dt.date(2022, 1, 31) + dt.timedelta(days=rng.randrange(900)))
            middle = basic.get("middle_name", "") or ""
            data.licensees[number] = Licensee(
                number, basic.get("first_name", ""), middle[:1] if rng.random() < 0.3 else middle,
                basic.get("last_name", ""), status, issued, expires,
                status in PROBATION_WORDS or rng.random() < DISCIPLINED_SHARE,
                str(provider["number"]), 100_000 + len(data.licensees) * 7,
                location.get("city", ""), (location.get("postal_code") or "")[:5])
            break
    return data
