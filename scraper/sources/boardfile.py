"""State boards' licensee lists published as files: one source kind, one configuration each.

A board file is a download (a URL, or found by a small discovery step), in a format (CSV,
tab-separated text whatever its extension, an XLSX workbook), whose columns map onto
``licenses``. The configuration says which column and pattern mark the acupuncture rows, how
names are laid out, the board's status words and its verification page. A board that
publishes a plain CSV is a configuration entry with no new code: in ``BOARD_FILES`` below, or
in the operator's TOML file (``kind = "board-file"``; see the README, "Adding a board file").

Every run checks the file before it stores anything, as the Socrata boards do:
- every mapped column is in the header, else the run fails naming the columns missing and the
  header it found (a file that is an error page fails here too);
- the acupuncture rows are found, else the run fails naming the type column's values that
  look close; which values matched, and how many rows, go to the run's notes;
- far fewer rows than the last complete run read (under ``volume_guard``) store nothing.
A row that cannot be read is a reject with its line number; the rest are read, but no
absence is trusted that run; over ``REJECT_LIMIT`` such rows the file counts as damaged.

The file is downloaded to a temporary file, read once to check it and once to store it, row
by row: memory stays flat in the file's size.

Discovery steps:
- ``url``: the file's address; asked conditionally (an unchanged file costs a 304).
- ``box`` (California, DCA's licensee lists, ../shared/SOURCES-EVIDENCE.md): a read token from
  the page's own token endpoint (a JSON string), then Box's folder listing
  (``/folders/<id>/items``: ``entries[]`` with ``type``, ``id``, ``name``, ``sha1``) to find
  the board's folder by name and every ``_Data`` file in it, then each file's content (Box
  answers with a redirect to its download host, to which the token is not sent). A file's
  ``sha1`` in the listing says whether it changed: an unchanged month costs three requests.
  A token that expires in the middle of a run is asked for again, once.
- ``mqa`` (Florida, the MQA search's CSV export by profession, a plain GET): the profession
  code is unconfirmed, so unless ``profession`` is set it is read from the public search
  form's profession list (the options whose label matches ``profession_pattern``) and the
  run's notes say which was used.
- ``page`` (Missouri): the one link of a downloads page whose text or address matches
  ``link_pattern``; ``form`` (New Jersey, Maine): an ASP.NET search form posted back, then the
  export, in one session. Both start from a web page: ``boardforms.py``.

A file of every board of a state (Ohio) selects its rows by more columns (``filters``); a
download that is a ZIP names its table member (``member``, read within the bounds of
``tabular.unzip_member``). What the evidence leaves unconfirmed in a shipped board is a
setting, named in ``unconfirmed``, that ``practitioners check`` lists with its value.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

from bs4 import BeautifulSoup

from ..check import CheckReport, probe
from ..config import DEFAULT_VOLUME_GUARD
from ..errors import FetchError, HTTPStatusError
from ..http import Fetcher, build_url
from ..models import License, Page, Provenance, Reject, Validators
from ..normalize import STATUS_VOCABULARY
from ..parsing import ParseError, require
from ..tabular import (
    FORMATS,
    Lines,
    Row,
    UnreadableFile,
    read_table,
    sniff_format,
    unzip_member,
)
from . import boardforms
from .base import (
    DAY,
    MONTH,
    WEEK,
    Conditional,
    PageStep,
    RunNote,
    ScopeDone,
    Source,
    SourceContext,
    SourceError,
    SourceUnchanged,
    VolumeCollapse,
    checkpoint,
    merged_fields,
    merged_statuses,
)
from .socrata import NEAR_WORDS, Dataset, parse_row

log = logging.getLogger(__name__)

SINK = "licenses"
REJECT_LIMIT = 100  # rows that cannot be read, past which a file counts as damaged
MAX_LISTING_PAGES = 50  # Box folder pages of 1,000 entries: no licensee folder has more
MAX_FILES = 20  # data files of one board (California has one or two)
MAX_FILE_BYTES = 200_000_000  # one board file (California's is a few MB); a setting
BOX_ID = re.compile(r"[0-9]{1,20}")
TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{1,4096}")

# What our fields are called in ``columns``; every one optional but the number.
FIELDS = ("license_number", "last_name", "first_name", "middle_name", "full_name",
          "license_type", "status", "issued_on", "expires_on", "address_1", "address_2",
          "city", "state", "zip", "disciplined", "school", "degree", "graduated")


@dataclass(frozen=True)
class BoardFile:
    """How one board's file maps onto ``licenses`` (column names are the file's own)."""

    source_id: str
    title: str
    jurisdiction: str
    columns: dict[str, str]  # our field -> the file's column header
    url: str | None = None  # the file (discovery "url"), or where discovery starts
    discovery: str = "url"  # url | box | mqa | page | form
    format: str = "auto"  # auto | csv | tsv | psv | xlsx ("auto": by the file's first bytes)
    encoding: str = "auto"  # text files: "auto" is UTF-8 if it all decodes, else cp1252
    # The column whose value marks an acupuncture license, and a pattern (a regular
    # expression, any case) it must contain; none: every row is one (a board's own list).
    type_column: str | None = None
    type_pattern: str | None = None
    # More columns a kept row must match (column -> pattern, any case): a file of every
    # board of a state (Ohio) names the board in one column and the license type in another.
    filters: dict[str, str] = field(default_factory=dict)
    # Rows left out, counted in the notes: organizations where the board lists them too.
    skip_column: str | None = None
    skip_values: tuple[str, ...] = ()
    license_type: str = "Acupuncturist"  # when the file has no license type column
    name_format: str | None = None  # how ``full_name`` is laid out: "last, first middle"...
    statuses: dict[str, str] = field(default_factory=dict)  # the board's own status words
    disciplined_values: tuple[str, ...] = ("Y", "YES")
    verify_url: str | None = None  # where a person checks one license on the board's site
    volume_guard: float = DEFAULT_VOLUME_GUARD
    max_file_bytes: int = MAX_FILE_BYTES  # a download larger than this is refused
    every: timedelta = DAY
    terms: str | None = None  # what the publisher says of the data's use (for the README)
    options: dict[str, str] = field(default_factory=dict)  # the discovery step's settings
    # The download is a ZIP archive and the table is its member matching this pattern.
    member: str | None = None
    # Settings whose shipped value is a stated choice the evidence does not confirm (a column
    # name, the file's address...): ``practitioners check`` lists them with their values.
    unconfirmed: tuple[str, ...] = ()
    # Settings one of which the operator must give for the board to be in every run: where
    # the shipped address is a stated choice (a run named on the command line reads it all
    # the same, and fails loudly if it is wrong).
    opt_in: tuple[str, ...] = ()

    def layout(self) -> Dataset:
        """The row layout as the license parser shared with the Socrata boards reads it."""
        return Dataset(self.source_id, self.title, self.jurisdiction, portal="",
                       dataset_id=self.source_id, type_field=self.type_column or "", where="",
                       fields=dict(self.columns), statuses=dict(self.statuses),
                       name_format=self.name_format, disciplined_values=self.disciplined_values,
                       verify_url=self.verify_url)

    def mapped_columns(self) -> list[str]:
        named = [*self.columns.values(), *filter(None, (self.type_column, self.skip_column)),
                 *self.filters]
        return list(dict.fromkeys(named))

    def pattern(self) -> re.Pattern[str] | None:
        return re.compile(self.type_pattern, re.IGNORECASE) if self.type_pattern else None


# Evidence: ../shared/SOURCES-EVIDENCE.md (2026-12-01). What it marks unconfirmed is matched by
# pattern or found at run time here, and each run's notes say what it found.
BOARD_FILES = {b.source_id: b for b in (
    BoardFile(
        "ca-dca", "California Acupuncture Board (DCA licensee lists)", "CA",
        discovery="box", url="https://www.dca.ca.gov/boxToken/getToken",
        options={"token_url": "https://www.dca.ca.gov/boxToken/getToken",
                 "api_url": "https://api.box.com/2.0", "root_folder": "66089580694",
                 # the board's folder (its name is unconfirmed) and its data files
                 "folder": "acupunct", "files": r"_Data\d*\.(xls|xlsx|txt|tsv|csv)$"},
        format="auto",  # "Acupuncture_Data00.xls" is tab-separated text
        columns={"license_number": "License Number", "last_name": "Org/Last Name",
                 "first_name": "First Name", "middle_name": "Middle Name",
                 "license_type": "License Type", "status": "License Status",
                 "issued_on": "Original Issue Date", "expires_on": "Expiration Date",
                 "address_1": "Address Line 1", "address_2": "Address Line 2",
                 "city": "City", "state": "State", "zip": "Zip", "school": "School",
                 "graduated": "Year Graduated", "degree": "Degree"},
        # The license type's values are unconfirmed: every type naming acupuncture.
        type_column="License Type", type_pattern="acupunct",
        skip_column="Indiv/Org (I/O)", skip_values=("O",),
        statuses={"CURRENT INACTIVE": "inactive", "CURRENT - INACTIVE": "inactive"},
        verify_url="https://search.dca.ca.gov/",
        every=MONTH,  # refreshed at the start of each month
        terms="The Department of Consumer Affairs publishes its licensee lists for "
              "non-commercial use; copies made from them are for non-commercial use.",
    ),
    BoardFile(
        "fl-mqa", "Florida Board of Acupuncture (MQA)", "FL",
        discovery="mqa",
        url="https://mqa-internet.doh.state.fl.us/MQASearchServices/Healthcareproviders/"
            "ExportToCsvLVP",
        options={"form_url": "https://mqa-internet.doh.state.fl.us/MQASearchServices/"
                             "HealthCareProviders",
                 "export_url": "https://mqa-internet.doh.state.fl.us/MQASearchServices/"
                               "Healthcareproviders/ExportToCsvLVP",
                 # unconfirmed: read from the search form unless set
                 "profession": "", "profession_pattern": "acupunct",
                 # "" asks for every status (a lapsed license then shows as lapsed)
                 "license_status": ""},
        format="csv",
        columns={"license_number": "License", "full_name": "Name", "license_type": "Profession",
                 "city": "City", "status": "License Status"},
        name_format="last, first middle",
        type_column="Profession", type_pattern="acupunct",
        statuses={"CLEAR/ACTIVE": "active", "CLEAR/INACTIVE": "inactive",
                  "DELINQUENT/ACTIVE": "expired", "DELINQUENT/INACTIVE": "expired",
                  "VOLUNTARY RELINQUISHMENT": "surrendered", "EMERGENCY RESTRICTION":
                  "probation", "EMERGENCY SUSPENSION": "suspended"},
        verify_url="https://mqa-internet.doh.state.fl.us/MQASearchServices/HealthCareProviders",
        every=WEEK,
    ),
    # Maryland's roster of active licensees (evidence "More states"; the same address and
    # columns in the public Devaarush-aetna/PSV, lvs/adapters/scrapers/sites/MD_ACUPUNCTURE/
    # config.yaml). Active licensees only: a license that leaves the file is marked gone, its
    # later status only on the board's lookup. The status codes are not known.
    BoardFile(
        "md-bacc", "Maryland State Acupuncture Board (roster of active licensees)", "MD",
        url="https://health.maryland.gov/bacc/Documents/acupactive.csv", format="csv",
        columns={"license_number": "RegNum", "last_name": "LName", "first_name": "FName",
                 "status": "StatusCode", "issued_on": "OrigLicDate", "expires_on": "ExpDate"},
        statuses={"A": "active"},
        verify_url="https://mdbnc.health.maryland.gov/ACUPTVerification/Default.aspx",
        every=WEEK, unconfirmed=("statuses",),
    ),
    # Missouri's downloadable listings: a ZIP per board of tab-separated text (evidence "More
    # states", confirmed). The downloads page is a Salesforce site that builds its links with
    # script (2026-09: nothing shows to a plain GET), so the link is looked for in the page
    # and, when it is not there, ``file_url`` is the address a browser shows (until it is set,
    # the board is not in every run). The column names
    # come from Devaarush-aetna/PSV, lvs/adapters/scrapers/sites/MO_ACUPUNCTURE/config.yaml
    # (its board label "Acupuncture", latin-1 text); their values are not known. The board
    # also registers auricular detox technicians: only the acupuncturists are kept.
    BoardFile(
        "mo-pr", "Missouri Acupuncturist Advisory Committee (Professional Registration "
        "downloads)", "MO",
        discovery="page",
        options={"page_url": "https://mopro.mo.gov/license/s/license-downloads",
                 "link_pattern": r"acupunct", "file_url": ""},
        member=r"\.txt$", format="tsv",
        columns={"license_number": "lic_number", "last_name": "prc_last_name",
                 "first_name": "prc_first_name", "middle_name": "prc_middle_name",
                 "license_type": "lic_profession", "status": "lst_description",
                 "issued_on": "lic_orig_issue_date", "expires_on": "lic_exp_date",
                 "address_1": "ba_address", "city": "ba_city", "state": "ba_state",
                 "zip": "ba_zip", "disciplined": "discipline"},
        type_column="lic_profession", type_pattern=r"^acupunct",
        statuses={"NON-RENEWED": "expired"},
        verify_url="https://mopro.mo.gov/license/s/license-search",
        every=WEEK, opt_in=("file_url",),
        unconfirmed=("link_pattern", "member", "type_pattern", "statuses",
                     "disciplined_values", "verify_url"),
    ),
    # Ohio's licensure file of every individual license of every board, daily (evidence "More
    # states": its columns; the export's address is built by the portal's script and one
    # survey met a 404, another an access request: ``url`` is a stated choice to confirm, and
    # the board is in every run only once it is set).
    # Acupuncturists are licensed by the State Medical Board.
    BoardFile(
        "oh-elicense", "State Medical Board of Ohio (State of Ohio Licensure, Individual)", "OH",
        url="https://data.ohio.gov/wps/wcm/connect/gov/data/licensure-individual.csv",
        format="csv",
        columns={"license_number": "LICENSE_NUMBER", "full_name": "LICENSEE_NAME",
                 "license_type": "TYPE", "status": "STATUS", "expires_on": "EXPIRATION_DATE",
                 "disciplined": "BOARD_ACTION"},
        name_format="last, first middle",
        type_column="TYPE", type_pattern=r"acupunct|oriental medicine",
        filters={"BOARD": r"medical"},
        # Ohio's headline statuses are Active, Inactive and Closed (a closed license is no
        # longer in force); the sub-status, not in this file, says why.
        statuses={"CLOSED": "expired"},
        verify_url="https://elicense.ohio.gov/oh_verifylicense",
        every=DAY, opt_in=("url",),
        unconfirmed=("url", "name_format", "type_pattern", "statuses", "disciplined_values"),
    ),
    # Michigan's LARA "License Lists and Reports": a self-serve report by profession, in CSV
    # or Excel, with no account (evidence "More states": name, profession, status,
    # expiration, address). How the report is asked for is not known: ``url`` (a GET whose
    # query chooses the profession and the format) and the column names are stated choices;
    # in every run only once ``url`` is set.
    BoardFile(
        "mi-lara", "Michigan Board of Acupuncture (LARA license lists)", "MI",
        url="https://www.lara.state.mi.us/LicenseReports/Report.aspx?profession=Acupuncture"
            "&format=csv",
        format="auto",
        columns={"license_number": "License Number", "last_name": "Last Name",
                 "first_name": "First Name", "middle_name": "Middle Name",
                 "license_type": "Profession", "status": "Status",
                 "expires_on": "Expiration Date", "address_1": "Address", "city": "City",
                 "state": "State", "zip": "Zip"},
        type_column="Profession", type_pattern=r"acupunct",
        # the licensee lookup (Devaarush-aetna/PSV, lvs/adapters/scrapers/sites/MI_LARA/
        # config.yaml)
        verify_url="https://aca-prod.accela.com/MILARA/GeneralProperty/PropertyLookUp.aspx"
                   "?isLicensee=Y",
        every=WEEK, opt_in=("url",),
        unconfirmed=("url", "columns", "type_pattern", "statuses"),
    ),
    # New Jersey's bulk roster: an ASP.NET form, one pipe-separated file per profession, free
    # (evidence "More states"; a state-by-state survey of license data in public code,
    # researched 2026-09, adds: pipe-separated, a $0.00 order page, about one row in seven an
    # application with no license number, a pipe inside an address shifting a few rows: such
    # a row is a reject, and its run trusts no absence). Whether acupuncture is in its list, the form's field
    # names and the file's columns are not known: stated choices (the field names MyLicense
    # sites commonly use), listed by ``practitioners check``.
    BoardFile(
        "nj-mylicense", "New Jersey Acupuncture Examining Board (Consumer Affairs bulk roster)",
        "NJ",
        discovery="form",
        options={"form_url": "https://newjersey.mylicense.com/Verification_Bulk/Search.aspx"
                             "?facility=N",
                 "choice_field": "t_web_lookup__profession_name", "choice": "",
                 "choice_pattern": r"acupunct", "submit_field": "sch_button",
                 "export_url": "", "download_pattern": r"download",
                 "confirm_pattern": r"continue|confirm|check ?out|place order"},
        format="psv",
        columns={"license_number": "License No", "last_name": "Last Name",
                 "first_name": "First Name", "middle_name": "Middle Name",
                 "license_type": "License Type", "status": "License Status",
                 "issued_on": "Issue Date", "expires_on": "Expiration Date",
                 "address_1": "Address Line 1", "city": "City", "state": "State",
                 "zip": "Zip"},
        type_column="License Type", type_pattern=r"acupunct",
        # applications: no license number yet
        skip_column="License No", skip_values=("",),
        verify_url="https://newjersey.mylicense.com/verification/Search.aspx",
        every=WEEK,
        unconfirmed=("choice_field", "choice_pattern", "submit_field", "download_pattern",
                     "confirm_pattern", "columns", "type_pattern", "statuses", "verify_url"),
    ),
    # Maine's ALMS search: post the individual search with the board chosen, then
    # ExportToCSV.aspx in the same session returns every result as CSV (evidence "More
    # states"; the field names from public code, 2026: Devaarush-aetna/PSV's ME_OPLR config
    # and public ALMS notes). Acupuncturists are licensed by the Board of Complementary Health
    # Care Providers, with other professions: its value in the regulator list is read by label.
    # The CSV's column names are not known (the notes name them in words: name, license
    # number, profession, status, address, county, phone, expiration date, authorities).
    BoardFile(
        "me-alms", "Maine Board of Complementary Health Care Providers (ALMS)", "ME",
        discovery="form",
        options={"form_url": "https://www.pfr.maine.gov/ALMSOnline/ALMSQuery/"
                             "SearchIndividual.aspx",
                 "choice_field": "ctl00$ctl00$mainContent$mainContent$scRegulator",
                 "choice": "", "choice_pattern": r"complementary health",
                 "submit_field": "ctl00$ctl00$mainContent$mainContent$btnSearch",
                 "export_url": "https://www.pfr.maine.gov/ALMSOnline/ALMSQuery/ExportToCSV.aspx",
                 "download_pattern": "", "confirm_pattern": ""},
        format="csv",
        columns={"license_number": "License Number", "full_name": "Name",
                 "license_type": "Profession", "status": "Status", "address_1": "Address",
                 "city": "City", "state": "State", "zip": "Zip",
                 "expires_on": "Expiration Date"},
        name_format="last, first middle",
        type_column="Profession", type_pattern=r"acupunct",
        verify_url="https://www.pfr.maine.gov/ALMSOnline/ALMSQuery/SearchIndividual.aspx",
        every=WEEK,
        unconfirmed=("choice_pattern", "columns", "name_format", "type_pattern", "statuses"),
    ),
)}


# -- reading a file ---------------------------------------------------------------------------


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass
class Scan:
    """What a first reading of a file found, before anything is stored."""

    fmt: str
    encoding: str
    header: list[str]
    positions: dict[str, int]  # mapped column -> index in the header
    rows: int = 0  # data rows
    kept: int = 0  # acupuncture rows, less the skipped
    skipped: int = 0
    unreadable: int = 0  # rows that cannot be read and may be acupuncture rows
    matched: Counter[str] = field(default_factory=Counter)  # type values kept, with rows
    values: Counter[str] = field(default_factory=Counter)  # every type value (first 2,000)


def _header(cfg: BoardFile, fields: list[str] | None, where: str) -> dict[str, int]:
    if not fields:
        raise SourceError(f"{cfg.source_id}: {where} has no header line")
    index: dict[str, int] = {}
    for i, name in enumerate(fields):
        index.setdefault(_key(name.lstrip("\ufeff")), i)
    missing = [c for c in cfg.mapped_columns() if _key(c) not in index]
    if missing:
        hints = []
        for name in missing:
            close = difflib.get_close_matches(_key(name), list(index), n=1, cutoff=0.6)
            if close:
                hints.append(f"{name!r} (the file has {fields[index[close[0]]]!r})")
        raise SourceError(
            f"{cfg.source_id}: {where} has no column {', '.join(map(repr, missing))}"
            f"{'; close: ' + ', '.join(hints) if hints else ''}. {_shown_header(fields)} "
            f"Set [sources.{cfg.source_id}] columns to the file's names.")
    return {c: index[_key(c)] for c in cfg.mapped_columns()}


def _shown_header(fields: list[str]) -> str:
    """The first line, for an error message: its column names if it looks like a header,
    else only how it starts (an error page's or a stranger's content is not repeated)."""
    names = [f.strip() for f in fields]
    looks_like_names = (1 < len(names) <= 200 and all(
        len(n) <= 60 and n.isprintable() and not n.startswith(("<", "{", "[")) for n in names))
    if looks_like_names:
        shown = ", ".join(repr(n) for n in names[:40])
        return f"Its header: {shown}{', ...' if len(names) > 40 else ''}."
    start = "".join(fields)[:24]
    return (f"Its first line is no header ({len(fields)} field(s), starting "
            f"{ascii(start)}): an error page, or not this board's file?")


def _relevant_text(cfg: BoardFile, text: str) -> bool:
    pattern = cfg.pattern()
    return pattern is None or bool(pattern.search(text))


def scan_file(cfg: BoardFile, path: Path, where: str) -> Scan:
    """Read the file once: its format, encoding and header, how many rows are acupuncture
    rows and which type values they had. Raises SourceError for a missing column, a file no
    reader knows, or one with more than REJECT_LIMIT rows that cannot be read."""
    try:
        return _scan(cfg, path, where)
    except (UnreadableFile, LookupError) as exc:
        raise SourceError(f"{cfg.source_id}: {where}: {exc}") from exc


def table_path(cfg: BoardFile, path: Path, where: str, dest: Path | None = None) -> Path:
    """The table to read: the download itself, or its member named by ``cfg.member`` copied
    out of the ZIP (to ``dest``, by default beside it), within the bounds of unzip_member."""
    if cfg.member is None:
        return path
    dest = dest or path.with_suffix(".table")
    try:
        name = unzip_member(path, cfg.member, dest, cfg.max_file_bytes)
    except UnreadableFile as exc:
        raise SourceError(f"{cfg.source_id}: {where}: {exc}") from exc
    log.info("%s: %s: read member %s", cfg.source_id, where, name)
    return dest


def _scan(cfg: BoardFile, path: Path, where: str) -> Scan:
    fmt = sniff_format(path) if cfg.format == "auto" else cfg.format
    lines = Lines(path, cfg.encoding) if fmt != "xlsx" else None
    rows = read_table(path, fmt, cfg.encoding, lines)
    first = next(rows, None)
    header = first.fields if first is not None else None
    positions = _header(cfg, header, where)
    assert header is not None
    scan = Scan(fmt, "", header, positions)
    for _, kind, _, value in _sorted_rows(cfg, rows, positions, len(header), fmt):
        if kind == "unreadable":
            scan.unreadable += 1
            continue
        if kind == "ignored":
            continue
        scan.rows += 1
        if len(scan.values) < 2000 or value in scan.values:
            scan.values[value] += 1
        if kind == "skipped":
            scan.skipped += 1
        elif kind == "kept":
            scan.kept += 1
            scan.matched[value] += 1
    scan.encoding = lines.describe() if lines is not None else "xlsx"
    if scan.unreadable > REJECT_LIMIT:
        raise SourceError(f"{cfg.source_id}: {where}: {scan.unreadable:,} rows cannot be read "
                          f"(over {REJECT_LIMIT}): a damaged file; nothing stored")
    return scan


def _sorted_rows(cfg: BoardFile, rows: Iterator[Row], positions: dict[str, int], width: int,
                 fmt: str) -> Iterator[tuple[Row, str, list[str] | None, str]]:
    """Each data row with what it is, the one sorting the check and the storing both use:
    "kept" (an acupuncture row to store), "skipped" (left out by ``skip_column``), "other"
    (another profession), "unreadable" (cut or split wrongly, and maybe an acupuncture row)
    or "ignored" (a blank line, or an unreadable row of another profession); with its fields
    (None when unreadable) and the value of its type column."""
    pattern = cfg.pattern()
    type_at = positions.get(cfg.type_column) if cfg.type_column else None
    skip_at = positions.get(cfg.skip_column) if cfg.skip_column else None
    skip = {v.upper() for v in cfg.skip_values}
    filters = [(positions[column], re.compile(wanted, re.IGNORECASE))
               for column, wanted in cfg.filters.items()]
    for row in rows:
        fields = _fit(row.fields, width, pad=fmt == "xlsx")
        if fields is None:
            relevant = row.fields != [] and _relevant_text(cfg, row.text)
            yield row, "unreadable" if relevant else "ignored", None, ""
            continue
        value = fields[type_at].strip() if type_at is not None else ""
        if pattern is not None and not pattern.search(value) or any(
                not wanted.search(fields[at]) for at, wanted in filters):
            yield row, "other", fields, value
        elif skip_at is not None and fields[skip_at].strip().upper() in skip:
            yield row, "skipped", fields, value
        else:
            yield row, "kept", fields, value


def _fit(fields: list[str] | None, width: int, pad: bool = False) -> list[str] | None:
    """The row's fields when it has the header's number (trailing empty ones past it
    dropped), else None: a row with fields missing or extra was cut or split wrongly. With
    ``pad`` (a workbook, whose empty cells at a row's end are not stored) a short row is
    filled out with empty values."""
    if not fields:
        return None
    if len(fields) > width and not any(f.strip() for f in fields[width:]):
        fields = fields[:width]
    if pad and len(fields) < width:
        fields = fields + [""] * (width - len(fields))
    return fields if len(fields) == width else None


def parse_file(cfg: BoardFile, path: Path, scan: Scan, url: str, fetched_at: str,
               seen: dict[str, str] | None = None) -> Iterator[Any]:
    """The licenses of a scanned file, one row at a time, and a reject for each acupuncture
    row that cannot be read (with its line number) or holds a value that cannot be, and for
    a license listed again (``seen``: the licenses read so far this run, by id, with where:
    the first is kept, as stored twice a run it would change back and forth)."""
    layout = cfg.layout()
    provenance = Provenance(cfg.source_id, url, fetched_at)
    width = len(scan.header)
    seen = {} if seen is None else seen
    name = urlsplit(url).path.rpartition("/")[2] or url
    rows = read_table(path, scan.fmt, cfg.encoding)
    next(rows, None)  # the header
    for row, kind, fields, _ in _sorted_rows(cfg, rows, scan.positions, width, scan.fmt):
        if kind == "unreadable":
            got = "cannot be read: " + row.problem if row.fields is None else \
                f"has {len(row.fields)} fields, the header {width}"
            yield Reject(cfg.source_id, f"line {row.line}: {got} (not read)",
                         {"line": row.line, "start": row.start}, provenance)
            continue
        if kind != "kept" or fields is None:
            continue
        values = {column: fields[i] for column, i in scan.positions.items()}
        for record in parse_row(layout, values, provenance):
            if isinstance(record, License) and "license_type" not in cfg.columns:
                record = replace(record, license_type=cfg.license_type)
            if isinstance(record, License):
                first = seen.setdefault(record.license_id, f"line {row.line} of {name}")
                if first != f"line {row.line} of {name}":
                    yield Reject(cfg.source_id, f"line {row.line}: license "
                                 f"{record.license_number} listed again (first at {first}; "
                                 "that one kept)", values, provenance)
                    break
            elif isinstance(record, Reject):
                record = replace(record, reason=f"line {row.line}: {record.reason}")
            yield record


# -- finding the files --------------------------------------------------------------------------


@dataclass
class Remote:
    """One file to download: its name, address, and what its listing says of its content
    (Box's sha1), when it says anything."""

    name: str
    url: str
    version: str | None = None
    conditional: bool = True  # ask with the validators the fetch log remembers
    session: BoxSession | None = None
    public_redirects: bool = False  # an address taken from a page: its redirects too

    def download(self, fetcher: Fetcher, handle: BinaryIO, validators: Validators | None,
                 max_bytes: int = MAX_FILE_BYTES) -> Page:
        if self.session is not None:
            return self.session.download(fetcher, self.url, handle, max_bytes)
        return fetcher.download(self.url, handle, validators=validators, max_bytes=max_bytes,
                                public_redirects=self.public_redirects)


class BoxSession:
    """Box with DCA's read token: asked for once, and once more if it expires mid-run."""

    def __init__(self, token_url: str):
        self.token_url = token_url
        self.token: str | None = None

    def renew(self, fetcher: Fetcher) -> None:
        page = fetcher.get(self.token_url)
        try:
            token = json.loads(page.text)
        except json.JSONDecodeError as exc:
            raise ParseError(f"the token endpoint's answer is not JSON: {page.text[:80]!r}",
                             url=self.token_url) from exc
        if not isinstance(token, str) or not TOKEN.fullmatch(token.strip()):
            raise ParseError(f"the token endpoint answered {type(token).__name__} "
                             f"{ascii(str(token)[:40])}, expected a JSON string of token "
                             "characters", url=self.token_url)
        self.token = token.strip()

    def headers(self, fetcher: Fetcher) -> dict[str, str]:
        if self.token is None:
            self.renew(fetcher)
        return {"Authorization": f"Bearer {self.token}"}

    def _authorized(self, fetcher: Fetcher, call: Callable[[dict[str, str]], Page]) -> Page:
        try:
            return call(self.headers(fetcher))
        except HTTPStatusError as exc:
            if exc.status != 401:
                raise
            log.info("Box refused the token (%s); asking for a new one", exc)
            self.renew(fetcher)
            return call(self.headers(fetcher))

    def get_json(self, fetcher: Fetcher, url: str) -> Any:
        page = self._authorized(fetcher, lambda headers: fetcher.get(url, headers=headers))
        try:
            return json.loads(page.text)
        except json.JSONDecodeError as exc:
            raise ParseError(f"Box answered no JSON ({exc.msg})", url=url) from exc

    def download(self, fetcher: Fetcher, url: str, handle: BinaryIO, max_bytes: int) -> Page:
        def call(headers: dict[str, str]) -> Page:
            handle.seek(0)
            handle.truncate()
            return fetcher.download(url, handle, headers=headers, max_bytes=max_bytes,
                                    public_redirects=True)

        return self._authorized(fetcher, call)

    def items(self, fetcher: Fetcher, api: str, folder_id: str) -> list[dict[str, str]]:
        """Every entry of a folder (``type``, ``id``, ``name``, and ``sha1``/``etag`` of a
        file), page by page."""
        entries: list[dict[str, str]] = []
        for _ in range(MAX_LISTING_PAGES):
            url = build_url(f"{api}/folders/{folder_id}/items",
                            {"limit": 1000, "offset": len(entries)})
            answer = self.get_json(fetcher, url)
            total = require(answer, "total_count", int, url=url, where="folder listing")
            page = require(answer, "entries", list, url=url, where="folder listing")
            for entry in page:
                for key in ("type", "id", "name"):
                    require(entry, key, str, url=url, where="folder entry")
                if not BOX_ID.fullmatch(entry["id"]):
                    raise ParseError(f"a folder entry's id is {ascii(entry['id'][:40])}, not "
                                     "a number", url=url)
                entries.append({k: v for k, v in entry.items() if isinstance(v, str)})
            if not page or len(entries) >= total:
                return entries
        raise ParseError(f"folder {folder_id} lists over {MAX_LISTING_PAGES} pages", url=api)


def _pattern(cfg: BoardFile, name: str) -> re.Pattern[str]:
    try:
        return re.compile(cfg.options[name], re.IGNORECASE)
    except re.error as exc:
        raise SourceError(f"[sources.{cfg.source_id}] {name} = {cfg.options[name]!r} is not "
                          f"a valid pattern: {exc}") from exc


def discover_box(fetcher: Fetcher, cfg: BoardFile) -> tuple[list[Remote], list[str]]:
    api = cfg.options["api_url"].rstrip("/")
    session = BoxSession(cfg.options["token_url"])
    folder_id = cfg.options.get("folder_id", "")
    name = folder_id
    for value in (folder_id, cfg.options["root_folder"]):
        if value and not BOX_ID.fullmatch(value):
            raise SourceError(f"[sources.{cfg.source_id}] a Box folder id is a number, not "
                              f"{value!r}")
    if not folder_id:
        wanted = _pattern(cfg, "folder")
        root = cfg.options["root_folder"]
        folders = [e for e in session.items(fetcher, api, root) if e["type"] == "folder"]
        found = [e for e in folders if wanted.search(e["name"])]
        if len(found) != 1:
            listed = ", ".join(repr(e["name"]) for e in (found or folders)[:60])
            what = "no folder" if not found else f"{len(found)} folders"
            raise SourceError(
                f"{cfg.source_id}: {what} of the licensee lists ({root}) match "
                f"{cfg.options['folder']!r}: {listed or 'it lists no folder'}. Set "
                f"[sources.{cfg.source_id}] folder (a pattern) or folder_id.")
        folder_id, name = found[0]["id"], found[0]["name"]
    wanted_files = _pattern(cfg, "files")
    entries = session.items(fetcher, api, folder_id)
    files = sorted((e for e in entries if e["type"] == "file" and wanted_files.search(e["name"])),
                   key=lambda e: e["name"])
    if not files:
        listed = ", ".join(repr(e["name"]) for e in entries[:60]) or "nothing"
        raise SourceError(f"{cfg.source_id}: the folder {name!r} ({folder_id}) has no file "
                          f"matching {cfg.options['files']!r}; it holds {listed}")
    if len(files) > MAX_FILES:
        raise SourceError(f"{cfg.source_id}: the folder {name!r} ({folder_id}) has "
                          f"{len(files)} files matching {cfg.options['files']!r}, over "
                          f"{MAX_FILES}: not a board's licensee list as we know it")
    remotes = [Remote(e["name"], f"{api}/files/{e['id']}/content",
                      version=e.get("sha1") or e.get("etag"), conditional=False, session=session)
               for e in files]
    note = (f"Box folder {name!r} ({folder_id}): "
            f"{', '.join(r.name for r in remotes)}")
    return remotes, [note]


def professions(html: str) -> dict[str, str]:
    """The profession list of the MQA search form: {code: label}, from the select whose
    name or id says Profession."""
    soup = BeautifulSoup(html, "lxml")
    found: dict[str, str] = {}
    for select in soup.find_all("select"):
        names = f"{select.get('name', '')} {select.get('id', '')}".lower()
        if "profession" not in names:
            continue
        for option in select.find_all("option"):
            code = str(option.get("value") or "").strip()
            if code:
                found[code] = " ".join(option.get_text().split())
    return found


def discover_mqa(fetcher: Fetcher, cfg: BoardFile) -> tuple[list[Remote], list[str]]:
    codes = [c.strip() for c in cfg.options.get("profession", "").split(",") if c.strip()]
    notes = []
    if codes:
        notes.append(f"profession {', '.join(codes)} (from the settings)")
    else:
        form_url = cfg.options["form_url"]
        listed = professions(fetcher.get(form_url).text)
        if not listed:
            raise ParseError("the search form has no profession list (a select named "
                             "Profession)", url=form_url)
        wanted = _pattern(cfg, "profession_pattern")
        chosen = {c: label for c, label in listed.items() if wanted.search(label)}
        if not chosen:
            shown = ", ".join(f"{c} {label!r}" for c, label in list(listed.items())[:80])
            raise SourceError(f"{cfg.source_id}: no profession of the search form matches "
                              f"{cfg.options['profession_pattern']!r}; it lists {shown}. Set "
                              f"[sources.{cfg.source_id}] profession to the code.")
        codes = list(chosen)
        notes.append("profession " + ", ".join(f"{c} ({label!r})" for c, label in chosen.items())
                     + " read from the search form's profession list")
    remotes = []
    for code in codes:
        model: dict[str, Any] = {"Id": 0, "Profession": code}
        if cfg.options.get("license_status"):
            model["LicenseStatus"] = cfg.options["license_status"]
        query = quote(json.dumps(model, separators=(",", ":")), safe="")
        remotes.append(Remote(f"profession-{code}.csv",
                              f"{cfg.options['export_url']}?jsonModel={query}"))
    return remotes, notes


def discover_url(fetcher: Fetcher, cfg: BoardFile) -> tuple[list[Remote], list[str]]:
    assert cfg.url is not None
    name = urlsplit(cfg.url).path.rpartition("/")[2] or cfg.url
    return [Remote(name, cfg.url)], []


DISCOVERY: dict[str, Callable[[Fetcher, BoardFile], tuple[list[Remote], list[str]]]] = {
    "url": discover_url, "box": discover_box, "mqa": discover_mqa,
    "page": boardforms.discover_page, "form": boardforms.discover_form}
# The settings each discovery step reads, with which it must have.
DISCOVERY_OPTIONS = {
    "url": ((), ()),
    "box": (("token_url", "api_url", "root_folder", "folder", "files", "folder_id"),
            ("token_url", "api_url", "files")),
    "mqa": (("form_url", "export_url", "profession", "profession_pattern", "license_status"),
            ("export_url",)),
    "page": (boardforms.PAGE_OPTIONS, boardforms.PAGE_REQUIRED),
    "form": (boardforms.FORM_OPTIONS, boardforms.FORM_REQUIRED),
}


def first_url(cfg: BoardFile) -> str:
    """The first address a run asks (for ``practitioners check``'s reachability probe)."""
    if cfg.discovery == "box":
        return cfg.options["token_url"]
    if cfg.discovery == "mqa":
        return cfg.options.get("form_url") or cfg.options["export_url"]
    if cfg.discovery == "page":
        return cfg.options.get("file_url") or cfg.options["page_url"]
    if cfg.discovery == "form":
        return cfg.options["form_url"]
    assert cfg.url is not None
    return cfg.url


# -- the source ---------------------------------------------------------------------------------

SETTING_TYPES: dict[str, Any] = {
    "url": str, "format": str, "encoding": str, "columns": dict, "type_column": str,
    "type_pattern": str, "skip_column": str, "skip_values": list, "license_type": str,
    "name_format": str, "statuses": dict, "verify_url": str, "volume_guard": (int, float),
    "max_file_bytes": int, "title": str, "state": str, "kind": str, "discovery": str,
    "filters": dict, "member": str}
# Settings only a board defined in the configuration file has: a shipped board keeps its own.
DEFINING = ("kind", "title", "state", "discovery")
NAME_FORMATS = ("last, first middle", "first middle last")
SCHEDULER_SETTINGS = {"states", "every", "retry"}


class BoardFileSource(Source):
    """A state board's licensee file, as a source."""

    SINK = SINK

    def __init__(self, cfg: BoardFile, *, defined_by_settings: bool = False):
        self.config = cfg
        self.defined_by_settings = defined_by_settings
        self.SOURCE_ID = cfg.source_id
        self.TITLE = cfg.title
        self.BASE_URL = cfg.url or first_url(cfg)
        self.JURISDICTION = cfg.jurisdiction
        self.EVERY = cfg.every
        self.OPT_IN_SETTINGS = cfg.opt_in
        self.verify_url = cfg.verify_url

    def __repr__(self) -> str:
        return f"<board file {self.SOURCE_ID} ({self.config.discovery})>"

    def configured(self, settings: dict[str, Any]) -> BoardFile:
        return configure(self.config, settings, defining=self.defined_by_settings)

    def parse(self, path: Path, url: str, settings: dict[str, Any]) -> Iterator[Any]:
        """A saved copy of the board's file."""
        cfg = self.configured(settings)
        with tempfile.TemporaryDirectory(prefix=f"{self.SOURCE_ID}-") as tmp:
            table = table_path(cfg, path, str(path), Path(tmp) / "table")
            scan = scan_file(cfg, table, str(path))
            yield from parse_file(cfg, table, scan, url or self.BASE_URL, "")

    def scrape(self, fetcher: Fetcher, ctx: SourceContext) -> Iterator[Any]:
        cfg = self.configured(ctx.settings)
        remotes, notes = DISCOVERY[cfg.discovery](fetcher, cfg)
        for note in notes:
            yield RunNote(note)
        settings_hash = _settings_hash(cfg)
        same_settings = ctx.state("settings") == settings_hash
        listing = "|".join(f"{r.name}={r.version}" for r in remotes)
        resuming = any(ctx.checkpoint(f"file:{r.name}") is not None for r in remotes)
        if (all(r.version for r in remotes) and same_settings and not resuming
                and ctx.state("listing") == listing):
            yield SourceUnchanged(self.SOURCE_ID, note=f"{listing}: unchanged since the last "
                                  "complete run; not downloaded")
            return
        with tempfile.TemporaryDirectory(prefix="board-") as tmp:
            read: list[tuple[Remote, Page, Path, Scan]] = []
            steps: list[PageStep] = []  # files answered 304
            done_before = 0
            for i, remote in enumerate(remotes):
                part = f"file:{remote.name}"
                saved, finished = checkpoint(ctx, part)
                if finished and saved is not None and saved.note == (remote.version or ""):
                    done_before += saved.next_skip
                    continue
                asked = Conditional.of(ctx, remote.url,
                                       remembered=remote.conditional and same_settings)
                path = Path(tmp) / f"{i}.data"
                with open(path, "w+b") as handle:
                    page = remote.download(fetcher, handle, asked.validators,
                                           cfg.max_file_bytes)
                if unchanged := asked.unchanged(part, page):
                    steps.append(unchanged)
                    continue
                path = table_path(cfg, path, remote.name)
                scan = scan_file(cfg, path, remote.name)
                if scan.kept == 0:  # each file read must hold acupuncture rows
                    raise SourceError(no_match_message(cfg, [scan], remote.name))
                read.append((remote, page, path, scan))
            kept = sum(scan.kept for *_, scan in read)
            total = kept + sum(step.count for step in steps) + done_before
            if read:
                yield RunNote(describe(cfg, [(r.name, s) for r, _, _, s in read]))
            # Before anything is stored: about as many rows as the last complete run read,
            # counting the files unchanged since and those an interrupted run stored.
            before = ctx.state("rows_read")
            if read and before and total < cfg.volume_guard * int(before):
                raise VolumeCollapse(
                    f"{self.SOURCE_ID}: the file(s) now hold {total:,} acupuncture rows, "
                    f"under {cfg.volume_guard:.0%} of the {int(before):,} the last complete "
                    "run read; nothing stored or marked gone (a changed file or a broken "
                    f"download?). Check with `practitioners check {self.SOURCE_ID}`; if the "
                    "drop is real, set volume_guard = 0 once.")
            for step in steps:
                yield step.finish("done", next_skip=step.count)
            seen: dict[str, str] = {}
            for remote, page, path, scan in read:
                records = parse_file(cfg, path, scan, remote.url,
                                     ctx.timestamp(page.fetched_at), seen)
                step = PageStep(f"file:{remote.name}", remote.url, page, records, scan.kept)
                if scan.unreadable:  # the run is partial: nothing marked gone
                    yield step.finish("incomplete", note=(
                        f"{remote.name}: {scan.unreadable} row(s) that may be licenses could not "
                        "be read (rejects, with their line numbers); nothing marked gone"))
                else:
                    yield step.finish("done", next_skip=scan.kept, note=remote.version or "")
        unreadable = sum(scan.unreadable for *_, scan in read)
        yield ScopeDone(self.SOURCE_ID, complete=not unreadable, state={
            "settings": settings_hash, "listing": listing, "rows_read": str(total)})

    def check(self, fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
        """The live file(s) against this configuration: reachable, the discovery step's
        answer (for Florida, the profession code the form lists), every mapped column, the
        acupuncture rows and one license parsed. Downloads the file(s) (a few MB); nothing
        stored."""
        report = CheckReport(self.SOURCE_ID)
        try:
            cfg = self.configured(settings)
        except ValueError as exc:
            report.set("fields", False, str(exc))
            return report
        report.notes.extend(unconfirmed_notes(cfg, settings))
        if not self.is_default(settings):
            report.notes.append(f"not in every run until {' or '.join(cfg.opt_in)} is set "
                                "(the shipped value is a stated choice)")
        if probe(fetcher, report, first_url(cfg), max_bytes=5_000_000) is None:
            return report
        try:
            if cfg.discovery == "mqa" and cfg.options.get("profession"):
                self._check_profession(fetcher, cfg, report)
            remotes, notes = DISCOVERY[cfg.discovery](fetcher, cfg)
            report.notes.extend(notes)
            scans: list[tuple[str, Scan]] = []
            record: License | None = None
            with tempfile.TemporaryDirectory(prefix=f"{self.SOURCE_ID}-check-") as tmp:
                for i, remote in enumerate(remotes):
                    path = Path(tmp) / f"{i}.data"
                    with open(path, "w+b") as handle:
                        remote.download(fetcher, handle, None, cfg.max_file_bytes)
                    path = table_path(cfg, path, remote.name)
                    scan = scan_file(cfg, path, remote.name)
                    scans.append((remote.name, scan))
                    if record is None and scan.kept:
                        record = next((r for r in parse_file(cfg, path, scan, remote.url, "")
                                       if isinstance(r, License)), None)
        except (FetchError, ParseError) as exc:
            report.set("fields", False, str(exc))
            return report
        except SourceError as exc:
            item = "fields" if "no column" in str(exc) or "no header" in str(exc) else "values"
            report.set(item, False, str(exc))
            return report
        report.set("fields", True, f"all {len(cfg.mapped_columns())} mapped columns present "
                   f"in {len(scans)} file(s) ({scans[0][1].fmt}, {scans[0][1].encoding})")
        kept = sum(s.kept for _, s in scans)
        report.set("values", kept > 0, describe(cfg, scans) if kept
                   else no_match_message(cfg, [s for _, s in scans]))
        if record is not None:
            report.set("record", True, f"{record.license_type} {record.license_number}: "
                       f"{record.display_name}, {record.status} "
                       f"(expires {record.expires_on or '?'})")
        elif kept:
            report.set("record", False, "no acupuncture row gave a license")
        return report

    def _check_profession(self, fetcher: Fetcher, cfg: BoardFile, report: CheckReport) -> None:
        """The profession code set against what the search form lists now."""
        listed = professions(fetcher.get(cfg.options["form_url"]).text)
        wanted = _pattern(cfg, "profession_pattern")
        chosen = {c: label for c, label in listed.items() if wanted.search(label)}
        setting = {c.strip() for c in cfg.options["profession"].split(",") if c.strip()}
        if chosen and set(chosen) != setting:
            raise SourceError(f"profession is set to {', '.join(sorted(setting))}, but the "
                              "search form lists " + ", ".join(
                                  f"{c} ({label!r})" for c, label in chosen.items()))
        report.notes.append(f"profession {', '.join(sorted(setting))} (from the settings); the "
                            f"form lists {', '.join(f'{c} {lbl!r}' for c, lbl in chosen.items())}"
                            if chosen else "the form lists no profession matching "
                            f"{cfg.options['profession_pattern']!r}")


def unconfirmed_notes(cfg: BoardFile, settings: dict[str, Any]) -> list[str]:
    """One note per setting whose shipped value is a stated choice (``cfg.unconfirmed``):
    its value now, and whether the operator set it."""
    notes = []
    for name in cfg.unconfirmed:
        value = cfg.options[name] if name in cfg.options else getattr(cfg, name, None)
        if isinstance(value, dict):
            shown = "{" + ", ".join(f"{k} = {v!r}" for k, v in value.items()) + "}"
        else:
            shown = repr(list(value) if isinstance(value, tuple) else value)
        who = "as you set it" if name in settings else "a stated choice"
        notes.append(f"unconfirmed {name}: {shown} ({who}; the evidence does not confirm it)")
    return notes


def _settings_hash(cfg: BoardFile) -> str:
    """What the rows were read with: new settings (a corrected pattern) mean reading again."""
    return hashlib.sha256(json.dumps(
        [cfg.columns, cfg.type_column, cfg.type_pattern, cfg.skip_column, cfg.skip_values,
         cfg.license_type, cfg.name_format, cfg.statuses, cfg.verify_url, cfg.format,
         cfg.encoding, cfg.options, cfg.jurisdiction, cfg.title, cfg.url, cfg.filters,
         cfg.member],
        sort_keys=True).encode()).hexdigest()[:16]


def describe(cfg: BoardFile, scans: list[tuple[str, Scan]]) -> str:
    """"Acupuncture_Data00.xls: 7,102 rows; License Type: Acupuncturist (6,990)..." for the
    run's notes."""
    parts = []
    for name, scan in scans:
        values = ", ".join(f"{v or '(empty)'} ({n:,})" for v, n in scan.matched.most_common(8))
        extra = f", {scan.skipped:,} skipped ({cfg.skip_column})" if scan.skipped else ""
        bad = f", {scan.unreadable:,} unreadable" if scan.unreadable else ""
        parts.append(f"{name}: {scan.rows:,} rows, {scan.kept:,} kept{extra}{bad}"
                     + (f"; {cfg.type_column}: {values}" if cfg.type_column else ""))
    return "; ".join(parts)


def no_match_message(cfg: BoardFile, scans: list[Scan], where: str = "") -> str:
    every: Counter[str] = Counter()
    for scan in scans:
        every.update(scan.values)
    close = [v for v in every if any(w in v.upper() for w in NEAR_WORDS)]
    close = sorted(close, key=lambda v: -every[v])[:10] or [v for v, _ in every.most_common(10)]
    shown = ", ".join(f"{v!r} ({every[v]:,} rows)" for v in close) or "the file has no rows"
    prefix = f"{cfg.source_id}: {where + ': ' if where else ''}"
    if cfg.type_column is None:
        skipped = " (every row skipped)" if any(scan.skipped for scan in scans) else ""
        return f"{prefix}the file has no row to keep{skipped}, so nothing was stored"
    also = "".join(f" and {column} {wanted!r}" for column, wanted in cfg.filters.items())
    return (f"{prefix}no row's {cfg.type_column} matches {cfg.type_pattern!r}{also} (less "
            f"those skipped), so nothing was stored. Values that look close or are commonest: "
            f"{shown}. Set [sources.{cfg.source_id}] type_pattern.")


def configure(base: BoardFile, settings: dict[str, Any], *, defining: bool = False
              ) -> BoardFile:
    """``base`` with the operator's ``[sources.<id>]`` settings; ValueError naming the bad one.
    ``defining``: the settings define the board (``kind = "board-file"``)."""
    where = f"[sources.{base.source_id}]"
    if not defining:
        given = [name for name in DEFINING if name in settings]
        if given:
            raise ValueError(f"{where} {', '.join(given)}: {base.source_id} is a shipped board; "
                             "its other settings can be changed, not what it is (define a "
                             "board of your own under another id)")
        if "url" in settings and base.discovery != "url":
            names = ", ".join(DISCOVERY_OPTIONS[base.discovery][0][:3])
            raise ValueError(f"{where} url: {base.source_id} finds its files itself "
                             f"({base.discovery}); set its {names} instead")
    known_options = DISCOVERY_OPTIONS[base.discovery][0]
    unknown = set(settings) - set(SETTING_TYPES) - set(known_options) - SCHEDULER_SETTINGS
    if unknown:
        raise ValueError(f"unknown setting(s) for {base.source_id}: "
                         f"{', '.join(sorted(unknown))} (known: "
                         f"{', '.join(sorted({*SETTING_TYPES, *known_options} - {'kind'}))})")
    changes: dict[str, Any] = {}
    options = dict(base.options)
    for name, value in settings.items():
        if name in SCHEDULER_SETTINGS or name in DEFINING:
            continue
        wanted = str if name in known_options else SETTING_TYPES[name]
        ok = not isinstance(value, bool) and isinstance(value, wanted)
        if ok and name == "max_file_bytes":
            ok = value > 0
        if ok and isinstance(value, dict):
            ok = all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        if ok and isinstance(value, list):
            ok = all(isinstance(v, str) for v in value)
        if not ok:
            kind = {dict: "a table of texts", list: "a list of texts"}.get(
                wanted, "a number" if wanted == (int, float) else "a text")
            raise ValueError(f"{where} {name} = {value!r} must be {kind}")
        if name in known_options:
            options[name] = value
        elif name == "skip_values":
            changes[name] = tuple(value)
        else:
            changes[name] = value
    if "columns" in changes:
        changes["columns"] = merged_fields(where, "columns", base.columns, changes["columns"],
                                           FIELDS)
    if "statuses" in changes:
        changes["statuses"] = merged_statuses(base.statuses, changes["statuses"])
    cfg = replace(base, options=options, **changes)
    if cfg.format not in FORMATS:
        raise ValueError(f"{where} format = {cfg.format!r} must be one of {', '.join(FORMATS)}")
    if "license_number" not in cfg.columns:
        raise ValueError(f"{where} columns must name the license_number column")
    if cfg.name_format is not None and cfg.name_format not in NAME_FORMATS:
        raise ValueError(f"{where} name_format must be one of {', '.join(NAME_FORMATS)}")
    if (cfg.type_column is None) != (cfg.type_pattern is None):
        raise ValueError(f"{where} type_column and type_pattern go together")
    for name, value in [("type_pattern", cfg.type_pattern), ("member", cfg.member),
                        *((f"filters.{k}", v) for k, v in cfg.filters.items())]:
        try:
            if value is not None:
                re.compile(value)
        except re.error as exc:
            raise ValueError(f"{where} {name} {value!r}: {exc}") from exc
    if cfg.discovery == "url" and not (cfg.url and urlsplit(cfg.url).scheme in ("http", "https")):
        raise ValueError(f"{where} url must be the file's http(s) address")
    missing = [o for o in DISCOVERY_OPTIONS[cfg.discovery][1] if not cfg.options.get(o)]
    if missing:
        raise ValueError(f"{where} needs {', '.join(missing)}")
    bad_status = {k: v for k, v in cfg.statuses.items() if v not in STATUS_VOCABULARY}
    if bad_status:
        raise ValueError(f"{where} statuses: {bad_status} must map onto "
                         f"{', '.join(STATUS_VOCABULARY)}")
    return cfg


def from_settings(source_id: str, settings: dict[str, Any]) -> BoardFileSource:
    """A board defined in the operator's TOML file alone (``kind = "board-file"``): it needs
    ``title``, ``state`` (two letters), ``url`` and ``columns``; everything else as above."""
    where = f"[sources.{source_id}]"
    for name in ("title", "state", "url"):
        if not isinstance(settings.get(name), str) or not settings[name].strip():
            raise ValueError(f"{where} kind = \"board-file\" needs {name} (a text)")
    state = settings["state"].strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", state):
        raise ValueError(f"{where} state = {settings['state']!r} must be two letters")
    if settings.get("discovery", "url") != "url":
        raise ValueError(f"{where} discovery: a board defined in settings is read from its url")
    if not isinstance(settings.get("columns"), dict):
        raise ValueError(f"{where} needs columns, a table of our field = the file's column")
    base = BoardFile(source_id, settings["title"].strip(), state, columns={},
                     url=settings["url"])
    cfg = configure(base, settings, defining=True)
    return BoardFileSource(cfg, defined_by_settings=True)


def sources() -> dict[str, BoardFileSource]:
    return {source_id: BoardFileSource(cfg) for source_id, cfg in BOARD_FILES.items()}
