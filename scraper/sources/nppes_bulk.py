"""The NPPES data dissemination files: every provider with a configured taxonomy, without the API.

CMS publishes each month a full file (``NPPES_Data_Dissemination_<Month>_<Year>_V2.zip``, about
1 GB, holding ``npidata_pfile_<from>-<to>.csv`` of about 9 GB: 8 to 9 million rows and 329 or more
columns) and each week an increment of a few MB in the same layout, plus a monthly report of
deactivated NPIs. This source:

- streams the ``npidata_pfile`` member straight out of the zip, never extracting it to disk;
- keeps the rows that carry a configured taxonomy code (``171100000X``, Acupuncturist, by
  default) in any of the 15 taxonomy slots. A cheap byte test (is the code anywhere in the
  record?) rules out nearly every row before any CSV parsing. Records are cut where a line
  starts with the quoted NPI (valid CSV doubles a quote inside a field, so a quoted field
  holding a line break stays whole), or, for a layout that does not quote the NPI, at line
  ends outside quotes (``scraper/zipscan.py``);
- reads columns by their header name, so the older and the current layouts both work;
- maps the rows to the same tables and values as the API source (``nppes-api``). What only the
  API gives (the record's created/updated timestamps, the update date of a practice location)
  is kept from what is already stored, so the two sources do not undo each other;
- applies weekly files in order, each once; applies the deactivation report (CSV, or the xlsx
  CMS ships) by setting ``deactivated_on`` on the providers it names;
- imports a file whole or not at all: the rows are stored as the member is read, in one
  transaction that commits only after the whole file was read, so a truncated zip or a missing
  column (each reported with the file and line) leaves the database as it was;
- a row we would keep that cannot be read (a broken quote, a field too many, a bad date) costs
  that row only: it is kept as a reject with its line, the others are stored, and since whose
  row it was cannot be told, that run marks nobody gone (it is ``partial``). More than
  ``REJECT_LIMIT`` such rows mean a damaged file, imported not at all.

Settings (``[sources.nppes-bulk]``): ``file`` (a monthly zip on disk) or ``url`` (downloaded to
``cache_dir``, resumably and conditionally), ``weekly_files`` / ``weekly_urls``,
``deactivation_file`` / ``deactivation_url``, ``taxonomy_codes`` (["171100000X"]),
``nucc_csv`` (the NUCC taxonomy CSV, for the descriptions of codes not in
``scraper/data/taxonomies.csv``). The source runs only when asked for by name, or when its
settings name a file or URL: the API is the default way to get providers.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, overload
from urllib.parse import urlsplit
from xml.etree import ElementTree

from ..check import CheckReport, probe
from ..http import Fetcher
from ..models import Address, Provenance, Provider, Reject, Taxonomy
from ..normalize import (
    clean,
    drop_placeholder,
    format_postal_code,
    iso_date,
    license_number,
    person_name,
    phone,
    title_name,
    website_url,
    zip5,
)
from ..zipscan import CHUNK, ScanError, line_at, lines_at, records, scan
from .base import PageStep, PartState, ScopeDone, SourceContext, SourceError, SourceUnchanged
from .nppes_api import STATES

SOURCE_ID = "nppes-bulk"
TITLE = "NPPES data dissemination files (monthly and weekly zips)"
BASE_URL = "https://download.cms.gov/nppes/NPI_Files.html"
SINK = "providers-bulk"
DEFAULT_CODES = ("171100000X",)
TAXONOMY_SLOTS = 15
IDENTIFIER_SLOTS = 50
REQUIRED = ("NPI", "Entity Type Code", "Healthcare Provider Taxonomy Code_1")
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# NPPES other-identifier type codes, as the API spells their descriptions.
IDENTIFIER_TYPES = {"01": "Other", "02": "MEDICARE UPIN", "04": "MEDICARE ID-Type Unspecified",
                    "05": "MEDICAID", "06": "MEDICARE OSCAR/CERTIFICATION", "07": "MEDICARE NSC",
                    "08": "MEDICARE PIN"}
OTHER_NAME_TYPES = {"1": "Former Name", "2": "Professional Name", "3": "Doing Business As",
                    "4": "Former Legal Business Name", "5": "Other Name"}


class BulkFileError(SourceError):
    """A dissemination file that cannot be imported, named with the line where it went wrong.

    The scanner knows where a record starts as a byte offset into the member (counting line
    ends on the way would cost it a third of its time), so an error is raised with ``offset``
    and given its line number by ``_with_line``, which reads the member again up to it."""

    def __init__(self, file: str, message: str, line: int | None = None, *,
                 offset: int | None = None):
        where = f"{file}, line {line}" if line else \
            f"{file}, byte {offset:,}" if offset is not None else file
        super().__init__(f"{where}: {message}")
        self.file, self.message, self.line, self.offset = file, message, line, offset


@dataclass(frozen=True)
class Deactivation:
    """An NPI the deactivation report lists, and since when."""

    npi: str
    deactivated_on: str
    provenance: Provenance | None = None


# More unreadable rows than this among those we would keep: the file is damaged, not a row.
REJECT_LIMIT = 100
RAW_EXCERPT = 2000  # characters of an unreadable row kept with its reject


@dataclass
class ImportStats:
    bytes_read: int = 0  # of the npidata_pfile member, uncompressed
    candidates: int = 0  # records the byte test let through
    kept: int = 0
    locations: int = 0
    endpoints: int = 0
    members: list[str] = field(default_factory=list)
    # (byte offset, what is wrong, the record) of each row we would keep that cannot be read
    unreadable: list[tuple[int, str, bytes]] = field(default_factory=list)

    def reject(self, exc: BulkFileError, at: int, record: bytes) -> None:
        self.unreadable.append((at, exc.message, record[:RAW_EXCERPT * 4]))
        if len(self.unreadable) > REJECT_LIMIT:
            first = self.unreadable[0]
            raise BulkFileError(exc.file, f"over {REJECT_LIMIT} rows cannot be read (the first: "
                                f"{first[1]}): the file is damaged", offset=first[0])


# -- reading ----------------------------------------------------------------------------------

def _with_line(exc: BulkFileError | ScanError, label: str, archive: zipfile.ZipFile,
               member: str) -> BulkFileError:
    """The error as a BulkFileError naming the line, when it knows the byte."""
    if isinstance(exc, ScanError):
        exc = BulkFileError(label, exc.message, offset=exc.offset)
    if exc.line is not None or exc.offset is None:
        return exc
    line = line_at(archive, member, exc.offset)
    return BulkFileError(exc.file, exc.message, line, offset=exc.offset) if line else exc


def _decode(record: bytes) -> str:
    try:
        return record.decode("utf-8")
    except UnicodeDecodeError:
        return record.decode("cp1252", errors="replace")


def _fields(record: bytes, name: str, at: int, width: int | None) -> list[str]:
    try:
        rows = list(csv.reader(io.StringIO(_decode(record).rstrip("\r\n")), strict=True))
    except csv.Error as exc:
        raise BulkFileError(name, f"not valid CSV: {exc}", offset=at) from None
    if len(rows) != 1:
        raise BulkFileError(name, f"one record read as {len(rows)}", offset=at)
    if width is not None and len(rows[0]) != width:
        raise BulkFileError(name, f"{len(rows[0])} fields where the header has {width} "
                            "(a broken quote or a cut line)", offset=at)
    return rows[0]


class Columns:
    """Column positions by header name (case and surrounding spaces ignored)."""

    def __init__(self, header: list[str], name: str, required: tuple[str, ...] = REQUIRED):
        self.index = {h.strip().lower(): i for i, h in enumerate(header)}
        self._asked: dict[str, int | None] = {}  # ~110 look-ups a row, by the same names
        self.width = len(header)
        missing = [c for c in required if c.lower() not in self.index]
        if missing:
            raise BulkFileError(name, f"the header has no column {missing[0]!r} (is this an "
                                "npidata_pfile?)", 1)

    def position(self, column: str) -> int | None:
        """Where ``column`` is (None: not in this layout), remembered by the name as asked."""
        try:
            return self._asked[column]
        except KeyError:
            at = self._asked[column] = self.index.get(column.strip().lower())
            return at

    def getter(self, row: list[str]) -> Callable[[str], str | None]:
        asked, position = self._asked, self.position

        def get(column: str) -> str | None:
            at = asked[column] if column in asked else position(column)
            if at is None:
                return None
            value = row[at]
            return clean(value) if value else None  # most of the 329 fields are empty
        return get


def _matching(records: Iterator[tuple[int, bytes]], name: str, codes: tuple[str, ...],
              stats: ImportStats
              ) -> Generator[tuple[int, Callable[[str], str | None], bytes], None, None]:
    """(byte offset, column getter, record) of every row with one of ``codes`` in a taxonomy
    slot, from the header and the records that passed the byte test. A record that cannot be
    read as CSV goes to ``stats.reject``."""
    first = next(records, None)
    if first is None:
        raise BulkFileError(name, "the file is empty")
    columns = Columns(_fields(first[1], name, first[0], None), name)
    slots = [f"Healthcare Provider Taxonomy Code_{i}" for i in range(1, TAXONOMY_SLOTS + 1)]
    wanted = set(codes)
    for at, record in records:
        stats.candidates += 1
        try:
            get = columns.getter(_fields(record, name, at, columns.width))
        except BulkFileError as exc:  # the code is in it somewhere: it may be one of ours
            stats.reject(exc, at, record)
            continue
        if any(get(slot) in wanted for slot in slots):  # the code may sit in another column
            stats.kept += 1
            yield at, get, record


@lru_cache(maxsize=4)
def taxonomy_descriptions(extra_csv: str | None = None) -> dict[str, str]:
    """Code -> description as the API gives it, from our table and an optional NUCC CSV."""
    table: dict[str, str] = {}
    text = (DATA_DIR / "taxonomies.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    for row in csv.DictReader(lines):
        table[row["code"]] = row["description"]
    if extra_csv:
        with open(extra_csv, encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle):
                code = (row.get("Code") or "").strip()
                classification = (row.get("Classification") or "").strip()
                special = (row.get("Specialization") or "").strip()
                if code and classification:
                    table.setdefault(code, f"{classification}, {special}" if special
                                     else classification)
    return table


def _date(get: Callable[[str], str | None], column: str, name: str, at: int) -> str | None:
    try:
        return iso_date(get(column))
    except ValueError as exc:
        raise BulkFileError(name, f"{column}: {exc}", offset=at) from None


def _address(get, purpose: str, kind: str) -> Address | None:
    line1 = get(f"Provider First Line Business {kind} Address")
    if line1 is None:
        return None
    postal = get(f"Provider Business {kind} Address Postal Code")
    state = get(f"Provider Business {kind} Address State Name")
    country = get(f"Provider Business {kind} Address Country Code (If outside U.S.)") or "US"
    return Address(purpose=purpose, seq=0, address_1=line1,
                   address_2=get(f"Provider Second Line Business {kind} Address"),
                   city=get(f"Provider Business {kind} Address City Name"), state=state,
                   postal_code=format_postal_code(postal), zip5=zip5(postal),
                   country_code=country,
                   phone=phone(get(f"Provider Business {kind} Address Telephone Number")),
                   fax=phone(get(f"Provider Business {kind} Address Fax Number")))


def provider_from_row(get: Callable[[str], str | None], name: str, at: int,
                      descriptions: dict[str, str], provenance: Provenance | None) -> Provider:
    """One npidata_pfile row (starting at byte ``at``) as a Provider with the values the API
    source would give."""
    npi = get("NPI") or ""
    if not re.fullmatch(r"\d{10}", npi):
        raise BulkFileError(name, f"NPI {npi!r} is not ten digits", offset=at)
    kind = {"1": "NPI-1", "2": "NPI-2"}.get(get("Entity Type Code") or "")
    if kind is None:
        raise BulkFileError(name, f"NPI {npi}: entity type {get('Entity Type Code')!r}",
                            offset=at)
    first, middle = get("Provider First Name"), get("Provider Middle Name")
    # The same placeholders as the API's ("--", "NA"), should the file carry them too.
    last = get("Provider Last Name (Legal Name)")
    suffix = drop_placeholder(get("Provider Name Suffix Text"))
    organization = get("Provider Organization Name (Legal Business Name)")
    display = (person_name(first, middle, last, suffix) if kind == "NPI-1" else organization) \
        or npi
    taxonomies: list[Taxonomy] = []
    for i in range(1, TAXONOMY_SLOTS + 1):
        code = get(f"Healthcare Provider Taxonomy Code_{i}")
        if code is None:
            continue
        number = drop_placeholder(get(f"Provider License Number_{i}"))
        taxonomies.append(Taxonomy(
            seq=len(taxonomies), code=code, description=descriptions.get(code),
            is_primary=get(f"Healthcare Provider Primary Taxonomy Switch_{i}") == "Y",
            state=get(f"Provider License Number State Code_{i}"), license_number=number,
            license_number_normalized=license_number(number),
            taxonomy_group=get(f"Healthcare Provider Taxonomy Group_{i}")))
    identifiers = []
    for i in range(1, IDENTIFIER_SLOTS + 1):
        value = get(f"Other Provider Identifier_{i}")
        if value is None:
            continue
        code = get(f"Other Provider Identifier Type Code_{i}") or ""
        identifiers.append({"code": code, "desc": IDENTIFIER_TYPES.get(code, code),
                            "issuer": get(f"Other Provider Identifier Issuer_{i}") or "",
                            "identifier": value,
                            "state": get(f"Other Provider Identifier State_{i}") or ""})
    other_names: list[dict[str, Any]] = []
    if kind == "NPI-1" and get("Provider Other Last Name"):
        code = get("Provider Other Last Name Type Code") or ""
        other_names.append({k: v for k, v in (
            ("type", OTHER_NAME_TYPES.get(code)), ("code", code),
            ("first_name", get("Provider Other First Name")),
            ("last_name", get("Provider Other Last Name")),
            ("middle_name", get("Provider Other Middle Name")),
            ("prefix", drop_placeholder(get("Provider Other Name Prefix Text"))),
            ("suffix", drop_placeholder(get("Provider Other Name Suffix Text"))),
            ("credential", get("Provider Other Credential Text"))) if v})
    elif kind == "NPI-2" and get("Provider Other Organization Name"):
        code = get("Provider Other Organization Name Type Code") or ""
        other_names.append({k: v for k, v in (
            ("organization_name", get("Provider Other Organization Name")),
            ("type", OTHER_NAME_TYPES.get(code)), ("code", code)) if v})
    addresses = [a for a in (_address(get, "location", "Practice Location"),
                             _address(get, "mailing", "Mailing")) if a is not None]
    deactivated = _date(get, "NPI Deactivation Date", name, at)
    reactivated = _date(get, "NPI Reactivation Date", name, at)
    sole = {"Y": "YES", "N": "NO"}.get(get("Is Sole Proprietor") or "")
    official = person_name(get("Authorized Official First Name"),
                           get("Authorized Official Middle Name"),
                           get("Authorized Official Last Name"))
    return Provider(
        npi=npi, enumeration_type=kind, display_name=display, first_name=title_name(first),
        middle_name=title_name(middle), last_name=title_name(last),
        name_prefix=drop_placeholder(get("Provider Name Prefix Text")), name_suffix=suffix,
        credential=get("Provider Credential Text"), organization_name=organization,
        gender=get("Provider Gender Code"), sole_proprietor=sole,
        status="A" if not deactivated or (reactivated and reactivated >= deactivated) else "D",
        enumerated_on=_date(get, "Provider Enumeration Date", name, at),
        updated_on=_date(get, "Last Update Date", name, at),
        created_at=None, updated_at=None,  # the API's own timestamps; kept from what is stored
        deactivated_on=deactivated, reactivated_on=reactivated,
        authorized_official=official,
        authorized_official_title=get("Authorized Official Title or Position"),
        authorized_official_phone=phone(get("Authorized Official Telephone Number")),
        other_names=other_names, identifiers=identifiers, addresses=addresses,
        taxonomies=taxonomies, provenance=provenance)


def _side_rows(archive: zipfile.ZipFile, pattern: str, npis: set[str],
               stats: ImportStats) -> dict[str, list[Callable[[str], str | None]]]:
    """Rows of a companion member (practice locations, endpoints) for the NPIs kept."""
    member = _member(archive, pattern, required=False)
    if member is None or not npis:
        return {}
    stats.members.append(member)
    out: dict[str, list] = {}
    wanted = {n.encode() for n in npis}

    def ours(record: bytes) -> bool:  # the first field is the NPI, quoted or not
        first = record.split(b",", 1)[0].strip(b'" \r')
        return first in wanted

    try:
        with archive.open(member) as stream:
            rows = records(stream, ours)
            first = next(rows, None)
            if first is None:
                return {}
            columns = Columns(_fields(first[1], member, first[0], None), member, ("NPI",))
            for at, record in rows:
                get = columns.getter(_fields(record, member, at, columns.width))
                npi = get("NPI")
                if npi is None:  # ours() kept it for its first field: the NPI column is not first
                    raise BulkFileError(member, "a row without an NPI", offset=at)
                out.setdefault(npi, []).append(get)
    except (BulkFileError, ScanError) as exc:
        raise _with_line(exc, member, archive, member) from None
    return out


@overload
def _member(archive: zipfile.ZipFile, pattern: str, required: Literal[True] = True) -> str: ...


@overload
def _member(archive: zipfile.ZipFile, pattern: str, required: bool) -> str | None: ...


def _member(archive: zipfile.ZipFile, pattern: str, required: bool = True) -> str | None:
    names = [n for n in archive.namelist()
             if re.search(pattern, n.rsplit("/", 1)[-1], re.I) and "fileheader" not in n.lower()]
    if not names:
        if required:
            raise BulkFileError(archive.filename or "zip", "no member matching "
                                f"{pattern!r} (members: {', '.join(archive.namelist()[:8])})")
        return None
    return sorted(names)[0]


NPIDATA = r"^npidata_pfile.*\.csv$"
PRACTICE_LOCATIONS = r"^pl_pfile.*\.csv$"
ENDPOINTS = r"^endpoint_pfile.*\.csv$"
_LINE_START_NPI = re.compile(rb'^[" \r]*(\d{10})', re.M)  # as _side_rows reads it


def _side_npis(archive: zipfile.ZipFile, members: list[str]) -> array:
    """The NPIs the companion members speak of (the first field of each line), sorted: a
    provider among them waits for its companion rows before it is stored. A line inside a
    quoted field may add a number that is no NPI; that only holds a provider back."""
    found = array("q")
    for member in members:
        with archive.open(member) as stream:
            tail = b""
            while block := stream.read(CHUNK):
                block = tail + block
                cut = block.rfind(b"\n") + 1
                found.extend(int(n) for n in _LINE_START_NPI.findall(block, 0, cut))
                tail = block[cut:]
            found.extend(int(n) for n in _LINE_START_NPI.findall(tail))
    return array("q", sorted(set(found)))


def _among(numbers: array, npi: str) -> bool:
    at = bisect_left(numbers, int(npi))
    return at < len(numbers) and numbers[at] == int(npi)


def iter_zip(path: str | Path, codes: tuple[str, ...] = DEFAULT_CODES, *,
             stats: ImportStats | None = None, source_url: str | None = None,
             fetched_at: str = "", nucc_csv: str | None = None,
             on_bytes: Callable[[int], None] | None = None) -> Iterator[Provider | Reject]:
    """Every provider with one of ``codes`` in a dissemination zip (monthly or weekly), as
    the member is read. A provider the companion members (secondary practice locations,
    endpoints) speak of is held back until they have been read, and comes after the others
    with what they add. Last, a Reject for each row we would keep that could not be read,
    with its line (``stats.unreadable``)."""
    name = Path(path).name
    stats = stats if stats is not None else ImportStats()
    descriptions = taxonomy_descriptions(nucc_csv)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BulkFileError(name, f"not a readable zip: {exc}") from None
    with archive:
        member = _member(archive, NPIDATA)
        stats.members.append(member)
        provenance = Provenance(SOURCE_ID, source_url or f"file:{name}#{member}", fetched_at)
        label = f"{name}:{member}"
        companions = [m for m in (_member(archive, PRACTICE_LOCATIONS, required=False),
                                  _member(archive, ENDPOINTS, required=False)) if m]
        try:
            spoken = _side_npis(archive, companions)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise BulkFileError(name, f"the zip is damaged or truncated: {exc}") from None
        held: dict[str, Provider] = {}

        reported = [0]  # bytes said to on_bytes: a second reading says only what is beyond

        def counted(n: int) -> None:
            stats.bytes_read += n
            if on_bytes and stats.bytes_read > reported[0]:
                on_bytes(stats.bytes_read - reported[0])
                reported[0] = stats.bytes_read

        needles = tuple(c.encode() for c in codes)
        given = 0
        for anchored in (True, False):
            try:
                with archive.open(member) as stream:
                    # NPPES quotes every field, the NPI first: records are cut where a quoted
                    # number starts a line, and only the records we keep are checked whole
                    found = scan(stream, needles, counted, anchored=anchored)
                    rows = _matching(found, label, codes, stats)
                    try:
                        for at, get, record in rows:
                            try:
                                provider = provider_from_row(get, label, at, descriptions,
                                                             provenance)
                            except BulkFileError as exc:
                                stats.reject(exc, at, record)
                                continue
                            if _among(spoken, provider.npi):
                                held[provider.npi] = provider
                            else:
                                given += 1
                                yield provider
                    finally:
                        rows.close()
                        found.close()  # stops the inflating thread before the member closes
                break
            except ScanError as exc:
                if exc.unanchored and anchored and not given and not held:
                    stats.bytes_read = stats.candidates = stats.kept = 0  # read it again
                    stats.unreadable.clear()
                    continue  # a layout that does not quote the NPI: cut by counting quotes
                raise _with_line(exc, label, archive, member) from None
            except BulkFileError as exc:
                raise _with_line(exc, label, archive, member) from None
        _add_companions(archive, held, stats)
        yield from held.values()
        lines = lines_at(archive, member, [at for at, _, _ in stats.unreadable])
        for (at, problem, record), line in zip(stats.unreadable, lines, strict=True):
            where = f"line {line}" if line else f"byte {at:,}"
            yield Reject(SOURCE_ID, f"{label}, {where}: {problem} (not read)",
                         {"line": line, "offset": at,
                          "record": _decode(record)[:RAW_EXCERPT]}, provenance)


def read_zip(path: str | Path, codes: tuple[str, ...] = DEFAULT_CODES, **options: Any
             ) -> tuple[list[Provider | Reject], ImportStats]:
    """``iter_zip`` read whole: the providers and what the reading counted."""
    stats = ImportStats()
    return list(iter_zip(path, codes, stats=stats, **options)), stats


def _add_companions(archive: zipfile.ZipFile, providers: dict[str, Provider],
                    stats: ImportStats) -> None:
    """Secondary practice locations and websites (endpoints of type WEB) of ``providers``."""
    npis = set(providers)
    for npi, rows in _side_rows(archive, PRACTICE_LOCATIONS, npis, stats).items():
        provider = providers[npi]
        for get in rows:
            line1 = get("Provider Secondary Practice Location Address- Address Line 1")
            if line1 is None:
                continue
            postal = get("Provider Secondary Practice Location Address - Postal Code")
            provider.addresses.append(Address(
                purpose="practice", seq=sum(a.purpose == "practice"
                                            for a in provider.addresses) + 1,
                address_1=line1,
                address_2=get("Provider Secondary Practice Location Address-  Address Line 2"),
                city=get("Provider Secondary Practice Location Address - City Name"),
                state=get("Provider Secondary Practice Location Address - State Name"),
                postal_code=format_postal_code(postal), zip5=zip5(postal),
                country_code=get("Provider Secondary Practice Location Address - Country "
                                 "Code (If outside U.S.)") or "US",
                phone=phone(get("Provider Secondary Practice Location Address - Telephone "
                                "Number")),
                fax=phone(get("Provider Practice Location Address - Fax Number"))))
            stats.locations += 1
    for npi, rows in _side_rows(archive, ENDPOINTS, npis, stats).items():
        provider = providers[npi]
        for get in rows:
            if (get("Endpoint Type") or "").upper() == "WEB" and provider.website is None:
                provider.website = website_url(get("Endpoint"))
                stats.endpoints += 1


def read_deactivations(path: str | Path) -> list[tuple[str, str]]:
    """(NPI, ISO date) of the NPPES deactivation report: the xlsx CMS ships (read without a
    spreadsheet library: an xlsx is a zip of XML) or a CSV of the same two columns."""
    name = Path(path).name
    rows: list[list[str]] = []
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            inner = [n for n in archive.namelist() if n.lower().endswith((".xlsx", ".csv"))]
            if "xl/workbook.xml" in archive.namelist():
                rows = _xlsx_rows(archive)
            elif inner:  # the report zipped
                data = archive.read(inner[0])
                if inner[0].lower().endswith(".xlsx"):
                    with zipfile.ZipFile(io.BytesIO(data)) as book:
                        rows = _xlsx_rows(book)
                else:
                    rows = list(csv.reader(io.StringIO(_decode(data))))
    else:
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            rows = list(csv.reader(handle))
    out = []
    for row in rows:
        cells = [(c or "").strip() for c in row]
        if len(cells) >= 2 and re.fullmatch(r"\d{10}", cells[0]):
            try:
                when = iso_date(cells[1]) if not re.fullmatch(r"\d+(\.0)?", cells[1]) \
                    else _excel_date(cells[1])
            except ValueError as exc:
                raise BulkFileError(name, f"NPI {cells[0]}: {exc}") from None
            if when:
                out.append((cells[0], when))
    if not out:
        raise BulkFileError(name, "no NPI and deactivation date found (is this the "
                            "deactivation report?)")
    return out


def _excel_date(serial: str) -> str:
    from datetime import date, timedelta

    return (date(1899, 12, 30) + timedelta(days=int(float(serial)))).isoformat()


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _xlsx_rows(book: zipfile.ZipFile) -> list[list[str]]:
    shared = []
    if "xl/sharedStrings.xml" in book.namelist():
        root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
        shared = ["".join(t.text or "" for t in si.iter(f"{{{_NS['m']}}}t"))
                  for si in root.findall("m:si", _NS)]
    sheets = sorted(n for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
    if not sheets:
        return []
    root = ElementTree.fromstring(book.read(sheets[0]))
    rows = []
    for row in root.iter(f"{{{_NS['m']}}}row"):
        values = []
        for cell in row.findall("m:c", _NS):
            value = cell.find("m:v", _NS)
            inline = cell.find("m:is/m:t", _NS)
            text = inline.text if inline is not None else (value.text if value is not None
                                                            else "")
            if cell.get("t") == "s" and text:
                text = shared[int(text)]
            values.append(text or "")
        rows.append(values)
    return rows


# -- the source ---------------------------------------------------------------------------------

def _local(fetcher: Fetcher, ctx: SourceContext, url: str) -> tuple[Path, Any]:
    """Download ``url`` into the cache; (path, page), page None when it has not changed since
    the last import. Conditional (the validators of the last committed import), and resumable:
    a download cut short leaves ``<file>.part`` and its ETag beside it, and the next attempt
    asks only for the rest (``Range`` with ``If-Range``: if the file changed, it starts over)."""
    cache = Path(ctx.settings.get("cache_dir", ".cache/nppes"))
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / (Path(urlsplit(url).path).name or "nppes.zip")
    known = ctx.known(url) if target.exists() else None
    partial = target.with_suffix(target.suffix + ".part")
    tag_file = partial.with_suffix(".etag")
    resume = tag_file.read_text().strip() if partial.exists() and tag_file.exists() else None

    def remember(headers) -> None:  # what the partial file is a part of, should it stay one
        if headers.get("etag"):
            tag_file.write_text(headers["etag"])
        else:
            tag_file.unlink(missing_ok=True)

    with open(partial, "a+b" if resume else "w+b") as sink:
        page = fetcher.download(url, sink, validators=known.validators if known else None,
                                resume=resume, on_headers=remember)
    if page.not_modified:
        partial.unlink(missing_ok=True)
        tag_file.unlink(missing_ok=True)
        return target, None
    partial.replace(target)
    tag_file.unlink(missing_ok=True)
    return target, page


def scrape(fetcher: Fetcher, ctx: SourceContext) -> Iterator[Any]:
    settings = ctx.settings
    codes = tuple(settings.get("taxonomy_codes") or DEFAULT_CODES)
    nucc = settings.get("nucc_csv")
    progress = getattr(ctx, "report_bytes", None)
    monthly = settings.get("file")
    page = None
    if not monthly and settings.get("url"):
        path, page = _local(fetcher, ctx, settings["url"])
        if page is None:
            yield SourceUnchanged(SOURCE_ID, f"{settings['url']}: not modified")
        monthly = str(path)
    if monthly and (page is not None or settings.get("file")):
        if progress:
            progress(0, _member_size(monthly))
        # Stored as they are read, in the one transaction of the file (all of it or nothing):
        # the storing overlaps the inflating of the rest (bench/RESULTS.md). The write lock is
        # held meanwhile: about 25 s for a 9 GB file, while nothing else of run-due writes.
        stats = ImportStats()
        providers = iter_zip(monthly, codes, stats=stats, source_url=settings.get("url"),
                             fetched_at=ctx.timestamp(page.fetched_at) if page else "",
                             nucc_csv=nucc, on_bytes=progress and (lambda n: progress(n)))
        url = settings.get("url") or f"file:{Path(monthly).name}"
        yield PageStep("monthly", url, page, providers, 0).finish("done")
        read = (f"{stats.bytes_read / 1e6:,.0f} MB read, {stats.candidates} passed the byte "
                f"test, {stats.kept} kept")
        if stats.unreadable:  # whose rows they were cannot be told: nobody is marked gone
            yield PartState("monthly", "incomplete", note=(
                f"{read}; {len(stats.unreadable)} row(s) could not be read (see rejects), so "
                "nobody the file no longer lists is marked gone this run"))
        else:
            yield PartState("monthly", "done", note=read)
        for state in STATES:  # a full file: whoever it no longer lists is gone
            yield ScopeDone(state, complete=not stats.unreadable)
    weekly = list(settings.get("weekly_files") or [])
    for url in settings.get("weekly_urls") or []:
        path, wpage = _local(fetcher, ctx, url)
        weekly.append(str(path))
    for path in sorted(weekly, key=_period):  # in date order
        key = f"applied:{Path(path).name}"
        if ctx.state(key):
            continue
        changed, stats = read_zip(path, codes, nucc_csv=nucc)
        yield PageStep(f"weekly:{Path(path).name}", f"file:{Path(path).name}", None, changed,
                       len(changed)).finish("done")
        yield ScopeDone(f"weekly:{Path(path).name}", complete=False, state={key: "yes"})
    report = settings.get("deactivation_file")
    if settings.get("deactivation_url"):
        report = str(_local(fetcher, ctx, settings["deactivation_url"])[0])
    if report:
        rows = read_deactivations(report)
        provenance = Provenance(SOURCE_ID, f"file:{Path(report).name}", "")
        records = [Deactivation(npi, when, provenance) for npi, when in rows]
        yield PageStep("deactivations", f"file:{Path(report).name}", None, records,
                       len(records)).finish("done")


def _period(path: str) -> str:
    """The first date a weekly file covers, for ordering ("..._111124_111724_Weekly.zip" or
    "npidata_pfile_20241111-20241117"): as YYYYMMDD when it can be read, else the name."""
    name = Path(path).name
    long = re.search(r"(20\d{2})(\d{2})(\d{2})", name)
    if long:
        return "".join(long.groups())
    short = re.search(r"_(\d{2})(\d{2})(\d{2})_", name)
    if short:
        month, day, year = short.groups()
        return f"20{year}{month}{day}"
    return name


def _member_size(path: str) -> int:
    try:
        with zipfile.ZipFile(path) as archive:
            member = _member(archive, NPIDATA)
            return archive.getinfo(member).file_size
    except (zipfile.BadZipFile, OSError, SourceError):
        return 0


# -- preflight ----------------------------------------------------------------------------------

CHECK_BYTES = 65_536


class _Pieces:
    """A file of ``size`` bytes of which only some pieces were fetched (zeros elsewhere): enough
    for ``zipfile`` to read the directory at the end and the start of a member."""

    def __init__(self, size: int):
        self.size, self.at = size, 0
        self.pieces: dict[int, bytes] = {}

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.at = (0, self.at, self.size)[whence] + offset
        return self.at

    def tell(self) -> int:
        return self.at

    def read(self, n: int | None = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self.at + n)
        out = bytearray(max(0, end - self.at))
        for start, data in self.pieces.items():
            low, high = max(start, self.at), min(start + len(data), end)
            if low < high:
                out[low - self.at:high - self.at] = data[low - start:high - start]
        self.at = max(self.at, end)
        return bytes(out)


def _fetch_piece(fetcher: Fetcher, report: CheckReport, url: str, pieces: _Pieces | None,
                 wanted: str) -> _Pieces | None:
    """Add the bytes ``wanted`` ("-N": the last N; "A-B") of the file at ``url`` to ``pieces``
    (made from the first answer's size); None when they could not be had."""
    page = probe(fetcher, report, url, headers={"Range": f"bytes={wanted}"},
                 max_bytes=CHECK_BYTES)
    if page is None:
        return None
    start, size = 0, len(page.content)  # a 200: the server sent the whole (small) file
    sent = re.fullmatch(r"bytes (\d+)-\d+/(\d+)", page.headers.get("content-range", ""))
    if page.status == 206 and sent:
        start, size = int(sent.group(1)), int(sent.group(2))
    pieces = pieces or _Pieces(size)
    pieces.pieces[start] = page.content
    return pieces


def _check_member(archive: zipfile.ZipFile, label: str, report: CheckReport) -> None:
    """The npidata_pfile member's header and first row (read from its start only)."""
    member = _member(archive, NPIDATA, required=False)
    if member is None:
        report.set("fields", False, f"{label}: no npidata_pfile member (members: "
                   f"{', '.join(archive.namelist()[:8])})")
        return
    size = archive.getinfo(member).file_size
    report.set("values", size > 0, f"{member}: {size:,} bytes uncompressed, in a zip of "
               f"{len(archive.namelist())} members")
    try:
        with archive.open(member) as stream:
            reader = csv.reader(io.TextIOWrapper(stream, "utf-8", "replace", newline=""))
            header = next(reader, [])
            columns = Columns(header, f"{label}:{member}")
            report.set("fields", True, f"{len(header)} columns, {', '.join(REQUIRED)} among them")
            row = next(reader, None)
            if row is None:
                report.set("record", False, "no row after the header")
                return
            p = provider_from_row(columns.getter(row), member, 0, taxonomy_descriptions(), None)
    except BulkFileError as exc:
        report.set("record" if report.get("fields")[0] else "fields", False, str(exc))
        return
    except (zipfile.BadZipFile, zlib.error, EOFError, csv.Error) as exc:
        report.set("fields", False, f"{label}: {member} cannot be read: {exc}")
        return
    report.set("record", True, f"the first row: NPI {p.npi}, {p.display_name}")


def check(fetcher: Fetcher, settings: dict[str, Any]) -> CheckReport:
    """With ``file`` (or else a weekly file): the zip's npidata_pfile header and first row, no
    request. With ``url`` (or else a weekly URL): the same without the 1 GB download, from two
    Range requests of 64 KB, the zip's directory at its end and the start of the member (and
    robots.txt). Without either: skipped (the source is opt-in). Nothing stored."""
    report = CheckReport(SOURCE_ID)
    file = settings.get("file") or next(iter(settings.get("weekly_files") or []), None)
    url = settings.get("url") or next(iter(settings.get("weekly_urls") or []), None)
    if file:
        path = Path(file)
        try:
            with zipfile.ZipFile(path) as archive:
                report.set("reachable", True, f"{path} ({path.stat().st_size:,} bytes)")
                _check_member(archive, path.name, report)
        except (zipfile.BadZipFile, OSError) as exc:
            report.set("reachable", False, f"{path}: not a readable zip: {exc}")
        return report
    if not url:
        report.skip("not configured (opt-in): [sources.nppes-bulk] names no monthly or weekly "
                    "file or url")
        return report
    pieces = _fetch_piece(fetcher, report, url, None, f"-{CHECK_BYTES}")
    if pieces is None:
        return report
    label = Path(urlsplit(url).path).name or url
    try:
        archive = zipfile.ZipFile(pieces)
    except zipfile.BadZipFile as exc:
        report.set("fields", False, f"{label}: not a zip, or not one whose directory is in its "
                   f"last {CHECK_BYTES:,} bytes: {exc}")
        return report
    member = _member(archive, NPIDATA, required=False)
    if member is not None and 0 not in pieces.pieces:  # else the whole file is at hand
        offset = archive.getinfo(member).header_offset
        if _fetch_piece(fetcher, report, url, pieces,
                        f"{offset}-{offset + CHECK_BYTES - 1}") is None:
            return report
    _check_member(archive, label, report)
    return report
