"""Rows of a downloaded table file, read one at a time: CSV, tab-separated text (whatever its
extension says: California's ".xls" lists are text), or an Excel workbook (XLSX).

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
from typing import IO, NamedTuple

FORMATS = ("auto", "csv", "tsv", "xlsx")
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


def sniff_encoding(path: Path, declared: str = "auto") -> str:
    """``declared`` unless "auto": then UTF-8 (with or without its byte order mark) when every
    byte of the file decodes as UTF-8, else Windows-1252, which every byte decodes in."""
    if declared != "auto":
        codecs.lookup(declared)  # LookupError for a name Python does not know
        return declared
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        first = True
        for block in iter(lambda: handle.read(1 << 20), b""):
            if first and block.startswith(codecs.BOM_UTF8):
                block = block[len(codecs.BOM_UTF8):]
            first = False
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                return "cp1252"
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def open_text(path: Path, encoding: str) -> IO[str]:
    # cp1252 leaves five bytes undefined: read them as U+FFFD, never fail on them.
    return open(path, encoding=encoding, errors="replace", newline="")


def read_table(path: Path, fmt: str, encoding: str) -> Iterator[Row]:
    """The rows of the file at ``path``, the header first. ``fmt`` one of FORMATS."""
    if fmt == "auto":
        fmt = sniff_format(path)
    if fmt == "xlsx":
        yield from xlsx_rows(path)
        return
    with open_text(path, sniff_encoding(path, encoding)) as text:
        yield from (tsv_rows(text) if fmt == "tsv" else csv_rows(text))


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
        elif len(feed.taken) > 1 and len(fields) != width:
            first = feed.taken[0]
            feed.back.extendleft(reversed(feed.taken[1:]))
            fields = next(csv.reader([first], delimiter=delimiter), [])
            feed.taken = [first]
        first = feed.taken[0] if feed.taken else ""
        yield Row(number, fields, "", first[:100], "".join(feed.taken))
        number += len(feed.taken)


# -- tab-separated text ------------------------------------------------------------------------

MAX_LINE = 1_000_000  # characters: a longer "line" is not a row of a licensee list


def tsv_rows(lines: Iterable[str]) -> Iterator[Row]:
    """Each line split on tabs, with no quoting rules: exports of this kind do not quote, and
    a stray quote in a name must not swallow the lines after it. A value wrapped whole in
    double quotes loses them."""
    for number, line in enumerate(lines, start=1):
        body = line.rstrip("\r\n")
        if len(body) > MAX_LINE:
            yield Row(number, None, f"a line of {len(body):,} characters", body[:100], "")
            continue
        fields = [_unquote(value) for value in body.split("\t")] if body.strip() else []
        yield Row(number, fields, "", body[:100], body)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('""', '"')
    return value


# -- Excel workbooks ---------------------------------------------------------------------------


def xlsx_rows(path: Path) -> Iterator[Row]:
    """The first sheet's rows, streamed (openpyxl's read-only mode: memory flat in the file's
    size). Dates become ISO dates; whole numbers lose their ".0"."""
    import zipfile

    from openpyxl import load_workbook  # type: ignore[import-untyped]  # only for workbooks

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(f"not a readable XLSX workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            fields = [_cell(v) for v in values]
            while fields and fields[-1] == "":
                fields.pop()
            text = "\t".join(fields)
            yield Row(number, fields, "", text[:100], text)
    finally:
        book.close()


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
