"""Where each state's license status comes from, and how much of it a board confirms.

For every state (the 50 and DC; a territory when the database or the registry knows it):

- a board source (``SINK == "licenses"`` with a ``JURISDICTION``, shipped or registered from the
  operator's configuration at run time, or any source whose live licenses the database holds for
  that state): its id, its title, the board's lookup page, the live licenses it holds and when
  it was last read (the latest run that ended ``ok`` or ``partial``);
- or none: the status shown there is what the provider told NPPES ("NPPES self-report only").

And the measure issue 17 follows: the NPPES acupuncturists of the state and how many of them
have their status from the board, as a percent, against the goal of 90%.

- An NPPES acupuncturist is an individual NPI (NPI-1) not gone, with the Acupuncturist taxonomy
  (171100000X). Each is counted once, in one state: the state of that taxonomy (the license
  state it reported), and when it reported several, the one marked primary, else the one of its
  practice location, else the first listed; with no state on any, the state of its practice
  location. One not placed in a known state (abroad, or no state at all) is in no row.
- Its status comes from the board when linking (``practitioner_links``) joined a live license
  (``gone_at`` null) of that state to it, whatever the license's status: expired is a status
  the board gives too.

``coverage_rows`` reads (it is safe on a read-only connection); ``write_coverage`` replaces the
derived ``coverage`` table (a cache, rebuilt after every linking); ``markdown_table`` renders
the README's table from the registry alone. Regenerate the README's table with:

    python -m scraper.coverage --readme README.md
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from .normalize import utc_iso
from .sources.base import Source

ACUPUNCTURIST = "171100000X"
GOAL_PERCENT = 90.0
BOARD, SELF_REPORT = "board", "NPPES self-report only"
STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}
# Listed only when a board covers one or the database places an acupuncturist there.
TERRITORIES = {"PR": "Puerto Rico", "VI": "U.S. Virgin Islands", "GU": "Guam",
               "AS": "American Samoa", "MP": "Northern Mariana Islands"}
COLUMNS: dict[str, type] = {
    "state": str,
    "state_name": str,
    "status_source": str,  # board / NPPES self-report only
    "board_sources": str,  # "co-dora" (", " between several)
    "board_titles": str,  # "; " between several
    "verify_url": str,  # " " between several
    "licenses": int,
    "last_read_at": str,
    "acupuncturists": int,
    "with_board_status": int,
    "share": float,  # percent of acupuncturists with board status, one decimal; null for none
    "why_none": str,  # a state without a board source: why (NOT_AUTOMATED, else NO_SOURCE_YET)
    "computed_at": str,
}
README_BEGIN = "<!-- BEGIN coverage table: python -m scraper.coverage --readme README.md -->"
README_END = "<!-- END coverage table -->"
REQUIRED_TABLES = ("providers", "provider_taxonomies", "licenses", "practitioner_links",
                   "scrape_runs")

Settings = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True)
class Unautomated:
    """A board whose licenses a person can check but the directory must not read by program."""

    board: str
    reason: str
    check_url: str  # where a person checks a license by hand (or the board's contact page)


# Boards we must never scrape (SOURCES-EVIDENCE.md, "More states"): computing a page's anti-
# automation token, or getting past a human check, is not ours to do; North Carolina has no
# online lookup at all. Listed so the coverage table says why, with where to check by hand.
_HUMAN_CHECK = ("its license lookup is behind a human check (a CAPTCHA or a \"verify you are "
                "human\" page), which we never get past")
NOT_AUTOMATED: dict[str, Unautomated] = {
    "GA": Unautomated("Georgia Composite Medical Board", _HUMAN_CHECK,
                      "https://gcmb.mylicense.com/verification/"),
    "HI": Unautomated("Hawaii Board of Acupuncture (PVL)", _HUMAN_CHECK,
                      "https://mypvl.dcca.hawaii.gov/public-license-search/"),
    "NC": Unautomated("North Carolina Acupuncture Licensing Board",
                      "no online lookup: the board verifies a license by email or mail",
                      "https://www.ncalb.com/"),
    "OR": Unautomated("Oregon Medical Board",
                      "its search answers only with a token computed by the page's script, which "
                      "is not ours to compute; bulk data is a paid records request",
                      "https://omb.oregon.gov/search"),
    "UT": Unautomated("Utah Division of Professional Licensing (DOPL)", _HUMAN_CHECK,
                      "https://secure.utah.gov/llv/search/index.html"),
}
NO_SOURCE_YET = "no board source yet: no public roster or lookup of this board is in the evidence"


def why_none(state: str, off: list[Board] | None = None) -> str:
    """Why a state has no board source read: its sources are off until configured, a board
    we must not automate, or none found yet."""
    if off:
        return (f"not configured: {', '.join(b.source_id for b in off)} runs only when the "
                "operator's settings turn it on (see practitioners sources)")
    manual = NOT_AUTOMATED.get(state)
    return f"not automated: {manual.board}: {manual.reason}" if manual else NO_SOURCE_YET


class CoverageError(ValueError):
    """The database cannot say (it is not one of ours, or predates the tables read)."""


@dataclass(frozen=True)
class Board:
    source_id: str
    title: str
    jurisdiction: str
    verify_url: str | None  # the board's lookup page, where a person checks a license
    base_url: str | None
    # False: an opt-in source these settings do not turn on (New York's lookup without the
    # operator's own key, a roster whose address the operator must give): not read here.
    enabled: bool = True


def _http(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _verify_url(source: Source, settings: Mapping[str, Any]) -> str | None:
    """The board's lookup page: the operator's setting, else what the source says of itself
    (a board source's contract does not require one: read it where a source may keep it)."""
    if url := _http(settings.get("verify_url")):
        return url
    for holder in (source, getattr(source, "dataset", None), getattr(source, "config", None)):
        for name in ("VERIFY_URL", "verify_url"):
            value = holder.get(name) if isinstance(holder, Mapping) else getattr(holder, name, None)
            if url := _http(value):
                return url
    return None


def _enabled(source: Source, settings: Mapping[str, Any]) -> bool:
    is_default = getattr(source, "is_default", None)  # a registry may hold plain descriptions
    return bool(is_default(dict(settings))) if callable(is_default) else True


def boards(sources: Mapping[str, Source] | None = None,
           settings: Settings | None = None) -> dict[str, list[Board]]:
    """The registry's board sources by state, each state's sorted by source id."""
    if sources is None:
        from .sources import SOURCES  # read at the call: the operator's boards are added at run time
        sources = SOURCES
    found: dict[str, list[Board]] = defaultdict(list)
    for source_id, source in sorted(sources.items()):
        state = (getattr(source, "JURISDICTION", None) or "").strip().upper()
        if getattr(source, "SINK", None) != "licenses" or not state:
            continue
        values = settings(source_id) if settings else {}
        found[state].append(Board(source_id, getattr(source, "TITLE", None) or source_id, state,
                                  _verify_url(source, values),
                                  _http(getattr(source, "BASE_URL", None)),
                                  _enabled(source, values)))
    return dict(found)


def _acupuncturists(db: Database) -> dict[str, tuple[int, int]]:
    """State -> (NPPES acupuncturists, those linked to a live license of that state's board):
    one pass over the providers, each looked up by index (its taxonomies, its links), one
    grouped answer: about 5 s at a million providers. (A join with the placed providers or
    with the linked licenses instead was scanned whole for every provider: hours.)"""
    sql = """
        with placed as materialized (
          select p.npi,
            -- Its acupuncturist taxonomy that places it, as one sortable text: rank (0 the
            -- primary, 1 its practice's state, 2 another, 9 no state given), seq, state.
            -- (SQLite cannot read the outer row in a subquery's ORDER BY; min() it can.)
            (select min(case when trim(coalesce(t.state, '')) = '' then '9'
                             when t.is_primary = 1 then '0'
                             when upper(trim(t.state)) = upper(trim(coalesce(p.state, '')))
                               then '1'
                             else '2' end
                        || printf('%06d', t.seq) || upper(trim(coalesce(t.state, ''))))
              from provider_taxonomies t where t.npi = p.npi and t.code = :code) as taxonomy,
            nullif(upper(trim(coalesce(p.state, ''))), '') as practice
          from providers p
          where p.enumeration_type = 'NPI-1' and p.gone_at is null
        ),
        acupuncturists as (
          select npi, case when taxonomy like '9%' then practice else substr(taxonomy, 8) end
            as state
          from placed
          where taxonomy is not null
        )
        select a.state, count(*) as acupuncturists,
          sum(exists (select 1 from practitioner_links pl
                      join licenses l on l.license_id = pl.record_id
                      where pl.practitioner_id = 'npi:' || a.npi and pl.record_table = 'licenses'
                        and upper(l.jurisdiction) = a.state and l.gone_at is null))
            as with_board_status
        from acupuncturists a
        where a.state is not null
        group by a.state
    """
    return {r["state"]: (r["acupuncturists"], r["with_board_status"] or 0)
            for r in db.query(sql, {"code": ACUPUNCTURIST})}


def _license_sources(db: Database) -> dict[str, dict[str, int]]:
    """State -> source -> live licenses."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for r in db.query("select upper(jurisdiction) as state, source, count(*) as n from licenses "
                      "where gone_at is null group by 1, 2"):
        counts[r["state"]][r["source"]] = r["n"]
    return counts


def _shared_verify_urls(db: Database) -> dict[str, str]:
    """Source -> the page most of its live licenses link to, when licenses share it (a lookup
    page); a link of one license alone (Colorado's) is that license's page, not the board's."""
    best: dict[str, tuple[int, str]] = {}
    for r in db.query("select source, verify_url, count(*) as n from licenses "
                      "where gone_at is null and verify_url is not null group by 1, 2"):
        url = _http(r["verify_url"])
        if url and r["n"] >= 2 and (r["n"], url) > best.get(r["source"], (0, "")):
            best[r["source"]] = (r["n"], url)
    return {source: url for source, (_, url) in best.items()}


def _last_reads(db: Database) -> dict[str, str]:
    """Source -> when its last run that read it whole or in part (ok, partial) ended."""
    return {r["source"]: r["at"] for r in db.query(
        "select source, max(coalesce(finished_at, started_at)) as at from scrape_runs "
        "where status in ('ok', 'partial') group by source")}


def coverage_rows(db: Database, sources: Mapping[str, Source] | None = None,
                  settings: Settings | None = None, at: str | None = None) -> list[dict[str, Any]]:
    """One row per state (its code's order), from the registry and the database; reads only.
    ``settings(source_id)`` gives a source's configured settings (its ``verify_url``)."""
    missing = [t for t in REQUIRED_TABLES if not db[t].exists()]
    if missing:
        raise CoverageError(f"no {', '.join(missing)} table(s): not a practitioners database")
    registered = boards(sources, settings)
    people = _acupuncturists(db)
    licensed = _license_sources(db)
    shared = _shared_verify_urls(db)
    reads = _last_reads(db)
    at = at or utc_iso()
    names = {**STATES, **{k: v for k, v in TERRITORIES.items()
                          if k in registered or k in licensed or k in people}}
    rows = []
    for state in sorted(names):
        off = [b for b in registered.get(state, [])
               if not b.enabled and b.source_id not in licensed.get(state, {})]
        on = [b for b in registered.get(state, []) if b not in off]
        titles = {b.source_id: b.title for b in on}
        urls = {b.source_id: b.verify_url for b in on}
        for source_id in licensed.get(state, {}):  # a board no longer (or not yet) registered
            titles.setdefault(source_id, source_id)
        ids = sorted(titles)
        verify = [u for s in ids if (u := urls.get(s) or shared.get(s))]
        if not ids and state in NOT_AUTOMATED:
            verify = [NOT_AUTOMATED[state].check_url]  # for a person, by hand
        read = [reads[s] for s in ids if s in reads]
        total, confirmed = people.get(state, (0, 0))
        rows.append({
            "state": state,
            "state_name": names[state],
            "status_source": BOARD if ids else SELF_REPORT,
            "board_sources": ", ".join(ids) or None,
            "board_titles": "; ".join(titles[s] for s in ids) or None,
            "verify_url": " ".join(dict.fromkeys(verify)) or None,
            "licenses": sum(licensed.get(state, {}).values()),
            # With several boards, the one read least recently: the status is that fresh.
            "last_read_at": min(read) if read else None,
            "acupuncturists": total,
            "with_board_status": confirmed,
            "share": percent(confirmed, total),
            "why_none": None if ids else why_none(state, off),
            "computed_at": at,
        })
    return rows


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def total_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The sums over every state: each acupuncturist is in one state, so nobody twice."""
    people = sum(r["acupuncturists"] for r in rows)
    confirmed = sum(r["with_board_status"] for r in rows)
    with_board = sum(r["status_source"] == BOARD for r in rows)
    return {
        "state": "total",
        "state_name": "All states",
        "status_source": f"a board in {with_board} of {len(rows)} states",
        "board_sources": None, "board_titles": None, "verify_url": None,
        "licenses": sum(r["licenses"] for r in rows),
        "last_read_at": None,
        "acupuncturists": people,
        "with_board_status": confirmed,
        "share": percent(confirmed, people),
        "why_none": None,
        "computed_at": rows[0]["computed_at"] if rows else None,
    }


def write_coverage(db: Database, sources: Mapping[str, Source] | None = None,
                   settings: Settings | None = None, at: str | None = None) -> list[dict[str, Any]]:
    """Replace the ``coverage`` table (derived, like a cache) with the rows of now. Call inside
    the transaction that linked, so the table and the links agree."""
    rows = coverage_rows(db, sources, settings, at)
    db.execute("drop table if exists coverage")
    db.table("coverage").create(COLUMNS, pk="state", not_null={"state_name", "status_source"})
    db.conn.executemany(
        f"insert into coverage ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})",
        [[row[c] for c in COLUMNS] for row in rows])
    return rows


# -- the README's table -----------------------------------------------------------------------

def _link(url: str) -> str:
    return f"[{urlsplit(url).hostname or url}]({url})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(sources: Mapping[str, Source] | None = None) -> str:
    """Every state (by name) and where its license status comes from, from the registry alone."""
    registered = boards(sources)
    names = {**STATES, **{k: v for k, v in TERRITORIES.items() if k in registered}}
    lines = ["| state | license status from | board source, or why none | check a license at |",
             "|---|---|---|---|"]
    for state in sorted(names, key=names.__getitem__):
        found = registered.get(state, [])
        if not found:
            manual = NOT_AUTOMATED.get(state)
            link = f"{_link(manual.check_url)} (by hand)" if manual else ""
            lines.append(f"| {names[state]} ({state}) | {SELF_REPORT} (unverified) | "
                         f"{_cell(why_none(state))} |{f' {link}' if link else ''} |")
            continue
        ids = "<br>".join(f"`{b.source_id}` {_cell(b.title)}"
                          + ("" if b.enabled else " (when the operator configures it)")
                          for b in found)
        links = "<br>".join(_link(b.verify_url) if b.verify_url else
                            f"{_link(b.base_url)} (the board's data)" if b.base_url else ""
                            for b in found)
        lines.append(f"| {names[state]} ({state}) | the state board | {ids} | {links} |")
    return "\n".join(lines) + "\n"


def readme_table(text: str) -> str | None:
    """The generated table inside a README's text (between its markers), or None."""
    found = re.search(re.escape(README_BEGIN) + r"\n(.*?)" + re.escape(README_END), text, re.S)
    return found.group(1) if found else None


def update_readme(path: Path, sources: Mapping[str, Source] | None = None) -> bool:
    """Rewrite the table between the markers; True if it changed. Nothing else is touched."""
    text = path.read_text(encoding="utf-8")
    if readme_table(text) is None:
        raise CoverageError(f"{path}: no {README_BEGIN!r} ... {README_END!r} markers")
    table = markdown_table(sources)
    updated = re.sub(re.escape(README_BEGIN) + r"\n.*?" + re.escape(README_END),
                     lambda _: f"{README_BEGIN}\n{table}{README_END}", text, count=1, flags=re.S)
    if updated != text:
        path.write_text(updated, encoding="utf-8")
    return updated != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scraper.coverage",
        description="Where each state's license status comes from, as a markdown table from "
                    "the registry of sources.")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--markdown", action="store_true", help="print the table")
    what.add_argument("--readme", type=Path, metavar="PATH",
                      help="rewrite the table between its markers in this README")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown_table())
        return 0
    changed = update_readme(args.readme)
    print(f"{args.readme}: {'table updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
