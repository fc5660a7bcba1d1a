"""Good standing: the one rule every page and query uses, with its reason and its date.

A practitioner is **in good standing** when a state board lists their license as active, its
expiry date has not passed, the board reports no discipline that restricts practice
(probation, suspension, revocation, surrender), and they are not excluded from federal health
programs (OIG). Everything else is one of the levels below, each said in words a person reads,
with the source and the date it was checked:

- ``good``: "In good standing per the WA board, checked 2026-12-01";
- ``expired``: "The WA board lists the license active, but it expired on 2026-06-08";
- ``restricted``: the board lists the license on probation, suspended, revoked or surrendered;
- ``excluded``: on the OIG exclusion list;
- ``inactive``: the board lists the license inactive, expired, lapsed, deceased or unknown;
- ``unverified``: the state has a board source, but no license of it matched this person;
- ``self-reported``: no board data for the state: the license is what the person told NPPES.

Only a license of the state where the person practises licenses them there: a license
elsewhere is said, not counted (a practitioner in a board state without one is
``unverified``); a license restricted by any board makes them ``restricted``.

Computed when practitioners are linked (``scraper/link.py``), so "today" is the day of the
latest linking; ``practitioners run-due`` links again on a day nothing else did.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

LEVELS = ("good", "expired", "restricted", "excluded", "inactive", "unverified", "self-reported")
# Short labels, as a card or a table shows them.
LABELS = {"good": "In good standing", "expired": "License expired",
          "restricted": "Practice restricted", "excluded": "Excluded (OIG)",
          "inactive": "License not active", "unverified": "No board license found",
          "self-reported": "Self-reported only"}
RESTRICTING = ("probation", "suspended", "revoked", "surrendered")
# Which license speaks for a person with several: a good one first, then the worst news.
_ORDER = {"active": 0, "probation": 1, "suspended": 2, "revoked": 3, "surrendered": 4,
          "expired": 5, "inactive": 6, "deceased": 7, "unknown": 8}


@dataclass(frozen=True)
class Standing:
    level: str  # one of LEVELS
    reason: str  # one sentence: who says so and what
    as_of: str | None  # the date the source was last read for it (YYYY-MM-DD)

    @property
    def label(self) -> str:
        return LABELS[self.level]


def _day(value: str | None) -> str | None:
    return value[:10] if value else None


def standing(licenses: Iterable[dict[str, Any]], exclusions: Iterable[dict[str, Any]],
             state: str | None, board_states: set[str] | frozenset[str], today: str,
             disciplined: set[str] | frozenset[str] = frozenset()) -> Standing:
    """The standing of one person from their linked board licenses and exclusions (rows as
    stored, live ones only), the state they practise in, the states whose boards we read and
    today's date (YYYY-MM-DD). ``disciplined``: license ids with a discipline case listed."""
    for exclusion in exclusions:
        if exclusion.get("status") == "excluded":
            since = exclusion.get("excluded_on")
            return Standing("excluded", "On the OIG list of people excluded from federal health "
                            f"programs{f' since {since}' if since else ''}: see the exclusion",
                            _day(exclusion.get("last_seen_at")))
    every = list(licenses)
    # Practice restricted by any board is news wherever the person practises.
    restricted = [lic for lic in every if lic.get("status_normalized") in RESTRICTING]
    # Only a license of the state where they practise makes them licensed there.
    lics = [lic for lic in every if not state or lic.get("jurisdiction") == state]
    if not lics and not restricted:
        elsewhere = sorted({str(lic.get("jurisdiction")) for lic in every})
        also = (f" (a license in {', '.join(elsewhere)} is listed, which does not license "
                f"practice in {state})") if elsewhere else ""
        if state and state in board_states:
            return Standing("unverified", f"No license of the {state} board matched this "
                            f"practitioner{also}: check with the board before you book", None)
        where = state or "their state"
        return Standing("self-reported", f"No board data for {where}: the license shown is "
                        f"what the practitioner reported to NPPES, not checked{also}", None)
    if restricted:
        worst = min(restricted, key=lambda lic: -RESTRICTING.index(lic["status_normalized"]))
        words = worst.get("status") or worst["status_normalized"]
        return Standing("restricted", f"The {worst.get('jurisdiction')} board lists the license "
                        f"as {words} ({worst['status_normalized']}): see the case",
                        _day(worst.get("last_seen_at")))
    current = [lic for lic in lics if lic.get("status_normalized") == "active"
               and not (lic.get("expires_on") and lic["expires_on"] < today)]
    if current:
        best = max(current, key=lambda lic: lic.get("expires_on") or "")
    else:
        best = min(lics, key=lambda lic: (_ORDER.get(lic.get("status_normalized") or "", 9),
                                          -_number(lic.get("expires_on"))))
    board = f"the {best.get('jurisdiction')} board"
    board_ = "T" + board[1:]  # at the start of a sentence
    checked = _day(best.get("last_seen_at"))
    status = best.get("status_normalized") or "unknown"
    words = best.get("status") or status
    if status == "active" and best in current:
        case = (" (a discipline case is on record: see it below)"
                if best.get("disciplined") or best.get("license_id") in disciplined else "")
        return Standing("good", f"In good standing per {board}"
                        f"{f', checked {checked}' if checked else ''}{case}", checked)
    if status == "active":
        return Standing("expired", f"{board_} lists the license active, but it "
                        f"expired on {best['expires_on']}", checked)
    return Standing("inactive", f"{board_} lists the license as {words!s}"
                    f"{f' (checked {checked})' if checked else ''}", checked)


def _number(date: str | None) -> int:
    digits = (date or "").replace("-", "")
    return int(digits) if digits.isdigit() else 0
