"""The zip scanner: errors with their byte offset and line, a damaged zip, and an inflating
thread that never outlives its reader (issue: "The NPPES monthly file: every acupuncturist
without the API"). Its cutting of records is checked against csv in test_nppes_bulk.py."""

from __future__ import annotations

import csv
import io
import threading
import zipfile

import pytest

from scraper.zipscan import ScanError, line_at, lines_at, scan

NEEDLE = b"171100000X"


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def _zip(path, data: bytes, member: str = "npidata_pfile_1.csv"):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
    return path


def test_a_broken_quote_comes_back_with_its_offset_and_line(tmp_path):
    rows = [["NPI", "A"]] + [[str(1000000000 + i), "171100000X"] for i in range(50)]
    data = _csv(rows)
    lines = data.split(b"\r\n")
    lines[20] = lines[20].replace(b'","', b'",', 1)  # one quote lost: the rest is one field
    data = b"\r\n".join(lines)
    path = _zip(tmp_path / "q.zip", data)
    with zipfile.ZipFile(path) as archive, archive.open("npidata_pfile_1.csv") as stream, \
            pytest.raises(ScanError, match="never closed") as caught:
        list(scan(stream, (NEEDLE,)))
    offset = caught.value.offset
    assert data[offset:].startswith(lines[20])
    with zipfile.ZipFile(path) as archive:
        assert line_at(archive, "npidata_pfile_1.csv", offset) == 21


def test_the_lines_of_several_offsets_in_one_reading(tmp_path, monkeypatch):
    from scraper import zipscan

    monkeypatch.setattr(zipscan, "CHUNK", 7)  # offsets in the middle of blocks
    data = b"".join(f"line {n}\n".encode() for n in range(1, 101))
    path = _zip(tmp_path / "l.zip", data)
    starts = {n: data.index(f"line {n}\n".encode()) for n in (1, 2, 50, 99)}
    asked = [starts[50], starts[1], len(data) + 5, starts[99], starts[2], starts[50]]
    with zipfile.ZipFile(path) as archive:
        assert lines_at(archive, "npidata_pfile_1.csv", asked) == [50, 1, None, 99, 2, 50]
        assert lines_at(archive, "npidata_pfile_1.csv", []) == []


def test_a_damaged_zip_is_a_scan_error(tmp_path):
    path = _zip(tmp_path / "d.zip", _csv([["NPI"]] + [[str(i)] for i in range(200000)]))
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2: len(raw) // 2 + 64] = b"\0" * 64  # inside the deflate stream
    path.write_bytes(bytes(raw))
    with zipfile.ZipFile(path) as archive, archive.open("npidata_pfile_1.csv") as stream, \
            pytest.raises(ScanError, match="damaged or truncated"):
        list(scan(stream, (NEEDLE,)))
    assert _inflaters() == []


def _inflaters() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "zipscan-inflate"]


def test_closing_the_reader_stops_the_inflating_thread(tmp_path):
    filler = _csv([["1234567890", "x" * 200, "y"]]) * 100_000  # 20 MB: many blocks
    path = _zip(tmp_path / "big.zip", _csv([["NPI", "A"], ["1000000001", "171100000X"]])
                + filler)
    with zipfile.ZipFile(path) as archive, archive.open("npidata_pfile_1.csv") as stream:
        found = scan(stream, (NEEDLE,))
        assert next(found)[0] == 0 and next(found)[1].startswith(b'"1000000001"')
        assert len(_inflaters()) == 1
        found.close()
        assert _inflaters() == []


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 997, 1 << 22])
def test_anchored_cuts_records_as_counting_quotes_does(chunk):
    """Cut where a quoted number starts a line, the records are those that counting quotes
    finds, offsets included, whatever the blocks (quoted line breaks, doubled quotes, a line
    break before a quoted digit inside a field, with and without a last line end)."""
    import random

    pieces = ["plain", "171100000X", 'say "hi"', "two\nlines", "x\r\n171100000X", "", "a,b",
              '\n"1', '"\n"', '\n""5', "1\n", '171100000X\n"9']
    for seed in range(12):
        rng = random.Random(seed * 7919 + chunk)
        rows = [["NPI", "A", "B"]] + [[str(1000000000 + i), rng.choice(pieces),
                                       rng.choice(pieces)] for i in range(rng.randint(0, 40))]
        data = _csv(rows)
        if seed % 3 == 0:
            data = data.rstrip(b"\r\n")
        anchored = list(scan(io.BytesIO(data), (NEEDLE,), chunk=chunk, anchored=True))
        counted = list(scan(io.BytesIO(data), (NEEDLE,), chunk=chunk))
        assert [(at, r.rstrip(b"\r\n")) for at, r in anchored] == \
            [(at, r.rstrip(b"\r\n")) for at, r in counted], seed
        assert anchored[0][0] == 0 and len(anchored) == 1 + sum(
            any("171100000X" in v for v in row) for row in rows[1:])


def test_a_file_whose_records_do_not_start_with_a_quoted_number_is_said_so():
    data = b"NPI,A\r\n1000000001,171100000X\r\n1000000002,x\r\n"
    with pytest.raises(ScanError, match="quoted number") as caught:
        list(scan(io.BytesIO(data), (NEEDLE,), anchored=True))
    assert caught.value.unanchored
    assert [at for at, _ in scan(io.BytesIO(data), (NEEDLE,))] == [0, 7]  # counting works


@pytest.mark.parametrize("data", [
    b'"NPI","A"\r\n"1","171100000X"\r\n \r\n"2","x"\r\n',  # a line of a space
    b'"NPI","A"\r\n"1","171100000X"\r\n3,"x"\r\n"2","171100000X"\r\n',  # an NPI not quoted
    b'"NPI","A"\r\n"1","x"\r\n"","171100000X"\r\n"2","y"',  # an empty NPI, no last line end
    b'"NPI","A"\r\n\r\n"1","171100000X"\r\n\r\n\r\n"2","171100000X"\r\n',  # blank lines
])
def test_lines_that_do_not_start_with_a_quoted_number_are_still_records_of_their_own(data):
    """Review finding: such a line was cut as part of the record before it, and a kept record
    then failed to parse. Kept records are cut again by counting their quotes."""
    for chunk in range(1, len(data) + 2):
        anchored = list(scan(io.BytesIO(data), (NEEDLE,), chunk=chunk, anchored=True))
        counted = list(scan(io.BytesIO(data), (NEEDLE,), chunk=chunk))
        assert [(at, r.rstrip(b"\r\n")) for at, r in anchored] == \
            [(at, r.rstrip(b"\r\n")) for at, r in counted], chunk
