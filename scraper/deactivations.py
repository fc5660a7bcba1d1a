"""The NPPES deactivation report: (NPI, date) pairs, from the xlsx CMS ships or a CSV.

An xlsx is a zip of XML: its first sheet is read here without a spreadsheet library.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from .models import Provenance
from .normalize import (
    iso_date,
)
from .npidata import BulkFileError, decode_record


@dataclass(frozen=True)
class Deactivation:
    """An NPI the deactivation report lists, and since when."""

    npi: str
    deactivated_on: str
    provenance: Provenance | None = None


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
                    rows = list(csv.reader(io.StringIO(decode_record(data))))
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
