"""Rows of a downloaded table file, read one at a time: CSV, tab-separated text (whatever its
extension says: California's ".xls" lists are text), or an Excel workbook (XLSX); and the one
table member of a ZIP archive copied out, within bounds (``unzip_member``).

Every reader yields ``Row``s: the line (or sheet row) a record starts on, its fields, and when
it cannot be read, why not and its text, so a caller can make it a reject with its line number
and read on. One broken line never costs the lines after it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

FORMATS = ("auto", "csv", "tsv", "psv", "xlsx")  # psv: split on "|"
_SNIFF_BYTES = 65_536


class Row(NamedTuple):
    line: int  # where it starts, the header being line 1
    fields: list[str] | None  # None: the line cannot be read
    problem: str  # why not
    start: str  # the line's first 100 characters
    text: str = ""  # its whole text (every line it took): what a broken row still says


class UnreadableFile(ValueError):
    """Not a table this module reads (an old binary Excel file, an HTML error page...)."""


def sniff_format(path: Path) -> str:
    """"xlsx" for a zip (an Excel workbook), else "tsv" or "csv" by what the first line is
    split by. A binary Excel 97 file is refused: it is not what any board we read publishes."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("a binary Excel 97-2003 file (.xls): save it as XLSX or CSV, or "
                             "set the format")
    first = head.split(b"\n", 1)[0]
    return "tsv" if first.count(b"\t") > first.count(b",") else "csv"


MAX_LINE_BYTES = 1_000_000  # a longer "line" is not a row of a licensee list: cut, and rejected


class Lines:
    """The text lines of a file read a line at a time, each at most MAX_LINE_BYTES (the rest
    of a longer one is skipped, so one endless line cannot fill memory). With the encoding
    "auto", each line is UTF-8 if it decodes as UTF-8, else Windows-1252 (which decodes any
    byte): one stray byte costs its line's accents, not the whole file's. ``fallbacks``
    counts the lines read as Windows-1252, ``cut`` the lines cut short."""

    def __init__(self, path: Path, encoding: str = "auto"):
        if encoding != "auto":
            codecs.lookup(encoding)  # LookupError for a name Python does not know
        self.path = path
        self.encoding = encoding
        self.utf8 = self.fallbacks = self.cut = 0

    def __iter__(self) -> Iterator[str]:
        with open(self.path, "rb") as handle:
            first = True
            while True:
                line = handle.readline(MAX_LINE_BYTES)
                if not line:
                    return
                if not line.endswith(b"\n") and len(line) == MAX_LINE_BYTES:
                    self.cut += 1
                    while True:  # skip the rest of it, a block at a time
                        rest = handle.readline(MAX_LINE_BYTES)
                        if not rest or rest.endswith(b"\n"):
                            break
                    line += b"\n"
                if first and line.startswith(codecs.BOM_UTF8):
                    line = line[len(codecs.BOM_UTF8):]
                first = False
                yield self.decode(line)

    def decode(self, line: bytes) -> str:
        if self.encoding != "auto":
            return line.decode(self.encoding, errors="replace")
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            self.fallbacks += 1
            return line.decode("cp1252", errors="replace")
        self.utf8 += not line.isascii()
        return text

    def describe(self) -> str:
        """"utf-8", "cp1252", or what a file of both was read as."""
        if self.encoding != "auto":
            return self.encoding
        if self.fallbacks and self.utf8:
            return f"utf-8, {self.fallbacks:,} line(s) cp1252"
        return "cp1252" if self.fallbacks else "utf-8"


def read_table(path: Path, fmt: str, encoding: str = "auto",
               lines: Lines | None = None) -> Iterator[Row]:
    """The rows of the file at ``path``, the header first. ``fmt`` one of FORMATS; ``lines``:
    the reader of a text file's lines (to ask it afterwards how they were decoded)."""
    if fmt == "auto":
        fmt = sniff_format(path)
    if fmt == "xlsx":
        yield from xlsx_rows(path)
        return
    text = lines or Lines(path, encoding)
    if fmt in ("tsv", "psv"):
        yield from tsv_rows(text, "\t" if fmt == "tsv" else "|")
    else:
        yield from csv_rows(text)


# -- CSV ---------------------------------------------------------------------------------------


class _Lines:
    """The file's lines for csv.reader, kept until its record is taken; lines can be put back
    to be read again."""

    def __init__(self, lines: Iterable[str]):
        self.source = iter(lines)
        self.back: deque[str] = deque()
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.back.popleft() if self.back else next(self.source)
        self.taken.append(line)
        return line


def csv_rows(lines: Iterable[str], delimiter: str = ",") -> Iterator[Row]:
    """Each record of a CSV file. A line that cannot be read (a value over csv's 128 KB field
    limit) is a Row without fields. A quoted value may run over several lines, but a record
    that does so and has not the header's number of fields is more likely a quote left open on
    its first line: that line is taken alone and the lines after it are read again, so one
    broken line never swallows the good ones after it."""
    feed = _Lines(lines)
    reader = csv.reader(feed, delimiter=delimiter)
    number, width = 1, None
    while True:
        feed.taken = []
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            first = (feed.taken[:1] or [""])[0]
            feed.back.extendleft(reversed(feed.taken[1:]))
            yield Row(number, None, str(exc), first[:100], first)
            number += 1
            continue
        if width is None:
            width = len(fields)
        elif len(feed.taken) > 1 and (len(fields) != width or _rows_inside(feed.taken, width)):
            first = feed.taken[0]
            feed.back.extendleft(reversed(feed.taken[1:]))
            fields = next(csv.reader([first], delimiter=delimiter), [])
            feed.taken = [first]
        first = feed.taken[0] if feed.taken else ""
        yield Row(number, fields, "", first[:100], "".join(feed.taken))
        number += len(feed.taken)


def _rows_inside(taken: list[str], width: int) -> bool:
    """Does a record over several lines hold, after its first line, a line that is a whole
    row by itself? Then a quote was left open and the next row's quote closed it: the record
    is not one value with line breaks but rows run together (one would be lost unseen)."""
    if width < 3:
        return False  # too few fields to tell a row from a line of text
    return any(len(next(csv.reader([line]), [])) == width for line in taken[1:])


# -- tab-separated text ------------------------------------------------------------------------

def tsv_rows(lines: Iterable[str], delimiter: str = "\t") -> Iterator[Row]:
    """Each line split on tabs (or on ``delimiter``: New Jersey's roster is pipe-separated),
    with no quoting rules: exports of this kind do not quote, and a stray quote in a name must
    not swallow the lines after it. A value wrapped whole in double quotes loses them. (A
    delimiter inside a value shifts its row: the row then has too many fields and is
    rejected.)"""
    for number, line in enumerate(lines, start=1):
        body = line.rstrip("\r\n")
        fields = [_unquote(value) for value in body.split(delimiter)] if body.strip() else []
        yield Row(number, fields, "", body[:100], body)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('""', '"')
    return value


# -- Excel workbooks ---------------------------------------------------------------------------


MAX_XLSX_BYTES = 300_000_000  # a workbook's parts unpacked: no licensee list comes near
MAX_XLSX_RATIO = 100  # unpacked / packed: a zip bomb, not a list of names
MAX_EMPTY_ROWS = 1000  # this many empty rows in a row end the sheet (a declared size, a gap)


def _zip_directory_size(path: Path) -> int | None:
    """The size of a ZIP's central directory as its end record declares it (read from the
    file's last 64 KB), or None when the record is ZIP64's (its fields say 0xFFFFFFFF) or not
    found (then the archive's own reading decides)."""
    import struct

    with open(path, "rb") as raw:
        raw.seek(0, 2)
        size = raw.tell()
        raw.seek(max(0, size - (22 + 65535)))
        tail = raw.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    directory = struct.unpack("<I", tail[at + 12:at + 16])[0]
    return None if directory == 0xFFFFFFFF else directory


def xlsx_rows(path: Path) -> Iterator[Row]:
    """The first sheet's rows, streamed (openpyxl's read-only mode: memory flat in the file's
    size). Dates become ISO dates; whole numbers lose their ".0". A workbook that unpacks to
    far more than it weighs, or that cannot be read, is UnreadableFile; the sheet's declared
    size is not trusted (a 2 KB file can declare a million rows)."""
    import zipfile
    import zlib
    from xml.etree.ElementTree import ParseError as XMLError

    from openpyxl import load_workbook  # type: ignore[import-untyped]  # only for workbooks

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
        unpacked = sum(m.file_size for m in members)
        packed = sum(m.compress_size for m in members) or 1
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile(f"not a readable XLSX workbook: {exc}") from exc
    if unpacked > MAX_XLSX_BYTES or unpacked > MAX_XLSX_RATIO * packed + 10_000_000:
        raise UnreadableFile(f"an XLSX workbook that unpacks to {unpacked:,} bytes from "
                             f"{packed:,}: refused")
    broken = (zipfile.BadZipFile, zlib.error, XMLError, KeyError, ValueError, TypeError,
              IndexError, OSError, EOFError)
    try:
        with open(path, "rb") as handle:  # a handle: openpyxl judges a path by its extension
            book = load_workbook(handle, read_only=True, data_only=True)
            try:
                if not book.worksheets:
                    raise UnreadableFile("an XLSX workbook without a sheet")
                sheet = book.worksheets[0]
                sheet.reset_dimensions()
                empty = 0
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    fields = [_cell(v) for v in values]
                    while fields and fields[-1] == "":
                        fields.pop()
                    if not fields:
                        empty += 1
                        if empty >= MAX_EMPTY_ROWS:
                            return
                        continue
                    empty = 0
                    text = "\t".join(fields)
                    yield Row(number, fields, "", text[:100], text)
            finally:
                book.close()
    except UnreadableFile:
        raise
    except broken as exc:
        raise UnreadableFile(f"not a readable XLSX workbook: {type(exc).__name__}: {exc}"
                             ) from exc
    except Exception as exc:  # openpyxl's own (InvalidFileException...)
        if type(exc).__module__.startswith("openpyxl"):
            raise UnreadableFile(f"not a readable XLSX workbook: {exc}") from exc
        raise


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- a table inside a ZIP archive --------------------------------------------------------------

MAX_ZIP_MEMBERS = 200  # a board's archive holds a file or a few, never a tree
MAX_ZIP_RATIO = 100  # unpacked / packed for the member: a zip bomb, not a list of names


def unzip_member(path: Path, pattern: str, dest: Path, max_bytes: int) -> str:
    """Copy the one member of the ZIP at ``path`` whose name matches ``pattern`` (a regular
    expression, any case) to ``dest``; returns its name. UnreadableFile when it is no ZIP,
    holds over MAX_ZIP_MEMBERS members, no member or several match, or the member unpacks to
    more than ``max_bytes`` or MAX_ZIP_RATIO times what it weighs packed. The sizes the archive
    declares are checked first and not trusted: the copy stops at the limit whatever they say."""
    import re
    import zipfile
    import zlib

    wanted = re.compile(pattern, re.IGNORECASE)
    try:
        # The central directory is read whole by ZipFile (an object a member): its size is
        # checked first, so that millions of declared members cost no memory.
        directory = _zip_directory_size(path)
        if directory is not None and directory > MAX_ZIP_MEMBERS * (46 + 1024 + 1024):
            raise UnreadableFile(f"a ZIP whose directory takes {directory:,} bytes "
                                 f"(over {MAX_ZIP_MEMBERS} members): not a board's file")
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise UnreadableFile(f"a ZIP of {len(members):,} members (over "
                                     f"{MAX_ZIP_MEMBERS}): not a board's file")
            files = [m for m in members if not m.is_dir()]
            found = [m for m in files if wanted.search(m.filename)]
            if len(found) != 1:
                names = ", ".join(repr(m.filename[:80]) for m in files[:20]) or "nothing"
                what = "no member" if not found else f"{len(found)} members"
                raise UnreadableFile(f"{what} of the ZIP match {pattern!r}; it holds {names}")
            member = found[0]
            limit = min(max_bytes, MAX_ZIP_RATIO * member.compress_size + 1_000_000)
            if member.file_size > limit:
                raise UnreadableFile(f"the ZIP member {member.filename!r} unpacks to "
                                     f"{member.file_size:,} bytes from {member.compress_size:,}: "
                                     "refused")
            copied = 0
            with archive.open(member) as source, open(dest, "wb") as out:
                while block := source.read(1 << 20):
                    copied += len(block)
                    if copied > limit:
                        raise UnreadableFile(f"the ZIP member {member.filename!r} unpacks to "
                                             f"over {limit:,} bytes (it declares "
                                             f"{member.file_size:,}): refused")
                    out.write(block)
            return member.filename
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise UnreadableFile(f"not a readable ZIP archive: {type(exc).__name__}: {exc}") from exc
