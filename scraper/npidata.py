"""Reading an NPPES dissemination zip: the rows of a taxonomy, as the API source's Providers.

The ``npidata_pfile`` member (about 9 GB, 329 or more columns) is streamed out of the zip,
never extracted: a byte test rules out nearly every row before any CSV parsing
(``scraper/zipscan.py``), columns are read by their header name (the older and the current
layouts both work), and the kept rows map to the values the API gives. The companion members
(secondary practice locations, endpoints) add what they say of the providers kept. A kept row
that cannot be read is a Reject with its line; a damaged zip, a missing column or more than
``REJECT_LIMIT`` unreadable rows is a ``BulkFileError`` naming the file and line. The source
that downloads and stores the files is ``scraper/sources/nppes_bulk.py``.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Literal, overload

from .errors import SourceError
from .models import Address, Provenance, Provider, Reject, Taxonomy
from .normalize import (
    clean,
    drop_placeholder,
    format_postal_code,
    iso_date,
    license_number,
    phone,
    title_name,
    website_url,
    zip5,
)
from .zipscan import (
    CHUNK,
    ZLIB,
    ScanError,
    line_at,
    lines_at,
    open_member,
    records,
    scan,
)

log = logging.getLogger(__name__)

SOURCE_ID = "nppes-bulk"  # the source its records are stored under
DEFAULT_CODES = ("171100000X",)
TAXONOMY_SLOTS = 15
IDENTIFIER_SLOTS = 50
# The column names asked of every kept row, made once: a name made anew for each row costs its
# formatting and its hashing again (issue 16: the mapping of a row was most of its cost).
_TAXONOMY_COLUMNS = tuple(
    (f"Healthcare Provider Taxonomy Code_{i}", f"Provider License Number_{i}",
     f"Healthcare Provider Primary Taxonomy Switch_{i}",
     f"Provider License Number State Code_{i}", f"Healthcare Provider Taxonomy Group_{i}")
    for i in range(1, TAXONOMY_SLOTS + 1))
_IDENTIFIER_COLUMNS = tuple(
    (f"Other Provider Identifier_{i}", f"Other Provider Identifier Type Code_{i}",
     f"Other Provider Identifier Issuer_{i}", f"Other Provider Identifier State_{i}")
    for i in range(1, IDENTIFIER_SLOTS + 1))
_ADDRESS_COLUMNS = {kind: tuple(column.format(kind) for column in (
    "Provider First Line Business {} Address", "Provider Second Line Business {} Address",
    "Provider Business {} Address City Name", "Provider Business {} Address State Name",
    "Provider Business {} Address Postal Code",
    "Provider Business {} Address Country Code (If outside U.S.)",
    "Provider Business {} Address Telephone Number", "Provider Business {} Address Fax Number"))
    for kind in ("Practice Location", "Mailing")}
# The first column of each slot: a slot whose first column is empty in the row is skipped
# without asking each of its columns (most of the 15 + 50 slots are empty).
_TAXONOMY_CODES = tuple(columns[0] for columns in _TAXONOMY_COLUMNS)
_IDENTIFIER_VALUES = tuple(columns[0] for columns in _IDENTIFIER_COLUMNS)
_NPI = re.compile(r"\d{10}")
# Names and dates recur from row to row (first names, cities, enumeration days), and a practice
# location's phone and postal code are most often its mailing address's too: each normalized
# once. Pure functions of their arguments, so what is remembered is what they would say; only
# short values are remembered (a hostile file's long ones would fill the memory).
_REMEMBERED_LENGTH = 80


_REMEMBERED_MAX = 1 << 12  # values remembered by each, before it forgets them all


def _remembering(function: Callable[[str | None], Any]) -> Callable[[str | None], Any]:
    """``function`` of one value, remembering what it said of the short ones (not what it
    raised: a bad date raises each time)."""
    remembered: dict[str | None, Any] = {}

    def call(value: str | None) -> Any:
        try:
            return remembered[value]
        except KeyError:
            result = function(value)
            if value is None or len(value) <= _REMEMBERED_LENGTH:
                if len(remembered) >= _REMEMBERED_MAX:
                    remembered.clear()
                remembered[value] = result
            return result
    return call


_title_name = _remembering(title_name)
_iso_date = _remembering(iso_date)
_phone = _remembering(phone)
_format_postal_code = _remembering(format_postal_code)
_zip5 = _remembering(zip5)
_drop_placeholder = _remembering(drop_placeholder)


def _person_name(first: str | None, middle: str | None, last: str | None,
                 suffix: str | None = None) -> str | None:
    """``normalize.person_name`` from its remembered parts: first and last names recur from
    row to row, the whole name seldom (test_import_speed_mapping.py holds them equal)."""
    name = " ".join(p for p in (_title_name(first), _title_name(middle), _title_name(last))
                    if p)
    if suffix := _drop_placeholder(suffix):
        name = f"{name} {suffix}"
    return name or None


_CLEANED_MAX = 1 << 16  # values remembered by a Columns' getters before it forgets them all
REQUIRED = ("NPI", "Entity Type Code", "Healthcare Provider Taxonomy Code_1")
DATA_DIR = Path(__file__).resolve().parent / "data"
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


# More unreadable rows than this among those we would keep: the file is damaged, not a row.
REJECT_LIMIT = 100
RAW_EXCERPT = 2000  # characters of an unreadable row kept with its reject


@dataclass
class ImportStats:
    bytes_read: int = 0  # of the npidata_pfile member, uncompressed
    inflater: str = ""  # what inflated it ("isal 1.9.1", "zlib 1.2.13")
    candidates: int = 0  # records the byte test let through
    kept: int = 0
    locations: int = 0
    endpoints: int = 0
    members: list[str] = field(default_factory=list)
    # (companion member, or None for npidata; byte offset; what is wrong; the record) of each
    # row we would keep that cannot be read
    unreadable: list[tuple[str | None, int, str, bytes]] = field(default_factory=list)

    def reject(self, exc: BulkFileError, at: int, record: bytes,
               member: str | None = None) -> None:
        self.unreadable.append((member, at, exc.message, record[:RAW_EXCERPT * 4]))
        if len(self.unreadable) > REJECT_LIMIT:
            _, offset, problem, _ = self.unreadable[0]
            raise BulkFileError(exc.file, f"over {REJECT_LIMIT} rows cannot be read (the first: "
                                f"{problem}): the file is damaged", offset=offset)


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


def decode_record(record: bytes) -> str:
    try:
        return record.decode("utf-8")
    except UnicodeDecodeError:
        return record.decode("cp1252", errors="replace")


def _fields(record: bytes, name: str, at: int, width: int | None) -> list[str]:
    try:
        rows = list(csv.reader(io.StringIO(decode_record(record).rstrip("\r\n")), strict=True))
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
        self._cleaned: dict[str, str | None] = {}  # raw value -> clean(value), for all rows
        self._groups: dict[tuple[str, ...], tuple[int | None, ...]] = {}  # see filled()
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

    def filled(self, row: list[str], columns: tuple[str, ...]) -> list[int]:
        """The indexes in ``columns`` of those not empty in ``row`` (their value may still be
        read as none: spaces, a placeholder)."""
        try:
            positions = self._groups[columns]
        except KeyError:
            positions = self._groups[columns] = tuple(self.position(c) for c in columns)
        return [k for k, at in enumerate(positions) if at is not None and row[at]]

    def getter(self, row: list[str]) -> Callable[[str], str | None]:
        asked, position, cleaned = self._asked, self.position, self._cleaned

        def get(column: str) -> str | None:
            try:
                at = asked[column]
            except KeyError:
                at = position(column)
            if at is None:
                return None
            value = row[at]
            if not value:  # most of the 329 fields are empty
                return None
            try:
                return cleaned[value]
            except KeyError:
                if len(value) > _REMEMBERED_LENGTH:
                    return clean(value)
                if len(cleaned) >= _CLEANED_MAX:
                    cleaned.clear()
                text = cleaned[value] = clean(value)
                return text
        return get


Filled = Callable[[tuple[str, ...]], list[int]]  # Columns.filled of one row


def _matching(records: Iterator[tuple[int, bytes]], name: str, codes: tuple[str, ...],
              stats: ImportStats
              ) -> Generator[tuple[int, Callable[[str], str | None], Filled, bytes], None, None]:
    """(byte offset, column getter, its ``Columns.filled``, record) of every row with one of
    ``codes`` in a taxonomy slot, from the header and the records that passed the byte test.
    A record that cannot be read as CSV goes to ``stats.reject``."""
    first = next(records, None)
    if first is None:
        raise BulkFileError(name, "the file is empty")
    columns = Columns(_fields(first[1], name, first[0], None), name)
    wanted = set(codes)
    for at, record in records:
        stats.candidates += 1
        try:
            fields = _fields(record, name, at, columns.width)
        except BulkFileError as exc:  # the code is in it somewhere: it may be one of ours
            stats.reject(exc, at, record)
            continue
        get = columns.getter(fields)
        filled = partial(columns.filled, fields)
        # the code may sit in another column
        if any(get(_TAXONOMY_CODES[k]) in wanted for k in filled(_TAXONOMY_CODES)):
            stats.kept += 1
            yield at, get, filled, record


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
        return _iso_date(get(column))
    except ValueError as exc:
        raise BulkFileError(name, f"{column}: {exc}", offset=at) from None


def _address(get, purpose: str, kind: str) -> Address | None:
    first, second, city, state, postal, country, telephone, fax = _ADDRESS_COLUMNS[kind]
    line1 = get(first)
    if line1 is None:
        return None
    postal_code = get(postal)
    return Address(purpose=purpose, seq=0, address_1=line1, address_2=get(second),
                   city=get(city), state=get(state),
                   postal_code=_format_postal_code(postal_code), zip5=_zip5(postal_code),
                   country_code=get(country) or "US", phone=_phone(get(telephone)),
                   fax=_phone(get(fax)))


def provider_from_row(get: Callable[[str], str | None], name: str, at: int,
                      descriptions: dict[str, str], provenance: Provenance | None,
                      filled: Filled | None = None) -> Provider:
    """One npidata_pfile row (starting at byte ``at``) as a Provider with the values the API
    source would give. ``filled`` (``Columns.filled`` of the row) spares asking the columns
    of the empty taxonomy and identifier slots."""
    npi = get("NPI") or ""
    if not _NPI.fullmatch(npi):
        raise BulkFileError(name, f"NPI {npi!r} is not ten digits", offset=at)
    kind = {"1": "NPI-1", "2": "NPI-2"}.get(get("Entity Type Code") or "")
    if kind is None:
        raise BulkFileError(name, f"NPI {npi}: entity type {get('Entity Type Code')!r}",
                            offset=at)
    first, middle = get("Provider First Name"), get("Provider Middle Name")
    # The same placeholders as the API's ("--", "NA"), should the file carry them too.
    last = get("Provider Last Name (Legal Name)")
    suffix = _drop_placeholder(get("Provider Name Suffix Text"))
    organization = get("Provider Organization Name (Legal Business Name)")
    display = (_person_name(first, middle, last, suffix) if kind == "NPI-1"
               else organization) or npi
    taxonomies: list[Taxonomy] = []
    slots = _TAXONOMY_COLUMNS if filled is None else \
        [_TAXONOMY_COLUMNS[k] for k in filled(_TAXONOMY_CODES)]
    for code_column, number_column, switch, state, group in slots:
        code = get(code_column)
        if code is None:
            continue
        number = _drop_placeholder(get(number_column))
        taxonomies.append(Taxonomy(
            seq=len(taxonomies), code=code, description=descriptions.get(code),
            is_primary=get(switch) == "Y", state=get(state), license_number=number,
            license_number_normalized=license_number(number), taxonomy_group=get(group)))
    identifiers = []
    others = _IDENTIFIER_COLUMNS if filled is None else \
        [_IDENTIFIER_COLUMNS[k] for k in filled(_IDENTIFIER_VALUES)]
    for value_column, type_column, issuer, state in others:
        value = get(value_column)
        if value is None:
            continue
        code = get(type_column) or ""
        identifiers.append({"code": code, "desc": IDENTIFIER_TYPES.get(code, code),
                            "issuer": get(issuer) or "", "identifier": value,
                            "state": get(state) or ""})
    other_names: list[dict[str, Any]] = []
    if kind == "NPI-1" and get("Provider Other Last Name"):
        code = get("Provider Other Last Name Type Code") or ""
        other_names.append({k: v for k, v in (
            ("type", OTHER_NAME_TYPES.get(code)), ("code", code),
            ("first_name", get("Provider Other First Name")),
            ("last_name", get("Provider Other Last Name")),
            ("middle_name", get("Provider Other Middle Name")),
            ("prefix", _drop_placeholder(get("Provider Other Name Prefix Text"))),
            ("suffix", _drop_placeholder(get("Provider Other Name Suffix Text"))),
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
    official = _person_name(get("Authorized Official First Name"),
                            get("Authorized Official Middle Name"),
                            get("Authorized Official Last Name"))
    return Provider(
        npi=npi, enumeration_type=kind, display_name=display, first_name=_title_name(first),
        middle_name=_title_name(middle), last_name=_title_name(last),
        name_prefix=_drop_placeholder(get("Provider Name Prefix Text")), name_suffix=suffix,
        credential=get("Provider Credential Text"), organization_name=organization,
        gender=get("Provider Gender Code"), sole_proprietor=sole,
        status="A" if not deactivated or (reactivated and reactivated >= deactivated) else "D",
        enumerated_on=_date(get, "Provider Enumeration Date", name, at),
        updated_on=_date(get, "Last Update Date", name, at),
        created_at=None, updated_at=None,  # the API's own timestamps; kept from what is stored
        deactivated_on=deactivated, reactivated_on=reactivated,
        authorized_official=official,
        authorized_official_title=get("Authorized Official Title or Position"),
        authorized_official_phone=_phone(get("Authorized Official Telephone Number")),
        other_names=other_names, identifiers=identifiers, addresses=addresses,
        taxonomies=taxonomies, provenance=provenance)


def _side_rows(archive: zipfile.ZipFile, pattern: str, npis: set[str],
               stats: ImportStats) -> dict[str, list[Callable[[str], str | None]]]:
    """Rows of a companion member (practice locations, endpoints) for the NPIs kept."""
    member = find_member(archive, pattern, required=False)
    if member is None or not npis:
        return {}
    stats.members.append(member)
    out: dict[str, list] = {}
    wanted = {n.encode() for n in npis}

    def ours(record: bytes) -> bool:  # the first field is the NPI, quoted or not
        first = record.split(b",", 1)[0].strip(b'" \r')
        return first in wanted

    try:
        with open_member(archive, member) as stream:
            rows = records(stream, ours)
            first = next(rows, None)
            if first is None:
                return {}
            columns = Columns(_fields(first[1], member, first[0], None), member, ("NPI",))
            for at, record in rows:
                try:  # a row that cannot be read costs that row (a location, a website)
                    get = columns.getter(_fields(record, member, at, columns.width))
                    npi = get("NPI")
                    if npi is None:  # kept for its first field: the NPI column is not first
                        raise BulkFileError(member, "a row without an NPI", offset=at)
                except BulkFileError as exc:
                    stats.reject(exc, at, record, member)
                    continue
                out.setdefault(npi, []).append(get)
    except (BulkFileError, ScanError) as exc:
        raise _with_line(exc, member, archive, member) from None
    return out


@overload
def find_member(archive: zipfile.ZipFile, pattern: str, required: Literal[True] = True) -> str: ...


@overload
def find_member(archive: zipfile.ZipFile, pattern: str, required: bool) -> str | None: ...


def find_member(archive: zipfile.ZipFile, pattern: str, required: bool = True) -> str | None:
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
        with open_member(archive, member) as stream:
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
        member = find_member(archive, NPIDATA)
        stats.members.append(member)
        provenance = Provenance(SOURCE_ID, source_url or f"file:{name}#{member}", fetched_at)
        label = f"{name}:{member}"
        companions = [m for m in (find_member(archive, PRACTICE_LOCATIONS, required=False),
                                  find_member(archive, ENDPOINTS, required=False)) if m]
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
                with open_member(archive, member) as stream:
                    stats.inflater = getattr(stream, "inflater", ZLIB).name
                    log.info("%s: inflated by %s", label, stats.inflater)
                    # NPPES quotes every field, the NPI first: records are cut where a quoted
                    # number starts a line, and only the records we keep are checked whole.
                    # They are found on other threads while this one maps and stores.
                    found = scan(stream, needles, counted, anchored=anchored)
                    rows = _matching(found, label, codes, stats)
                    try:
                        for at, get, filled, record in rows:
                            try:
                                provider = provider_from_row(get, label, at, descriptions,
                                                             provenance, filled)
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
                        found.close()  # stops the threads before the member closes
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
        for where_read in dict.fromkeys(m for m, _, _, _ in stats.unreadable):
            bad = [u for u in stats.unreadable if u[0] == where_read]
            read_in = where_read or member
            lines = lines_at(archive, read_in, [at for _, at, _, _ in bad])
            for (_, at, problem, record), line in zip(bad, lines, strict=True):
                where = f"line {line}" if line else f"byte {at:,}"
                yield Reject(SOURCE_ID, f"{name}:{read_in}, {where}: {problem} (not read)",
                             {"line": line, "offset": at,
                              "record": decode_record(record)[:RAW_EXCERPT]}, provenance)


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
