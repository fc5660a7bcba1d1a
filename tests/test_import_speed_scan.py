"""The zip scanner's threads (issue 16: the import at least as fast as stdlib inflation alone):
the records are searched for (with the C library's memmem, which lets go of the GIL) and cut
on a thread of their own, while the reader's thread parses, maps and stores them. What the
reader sees must be what one thread doing all would have given: the same records in the same
order, the block sizes said on the reader's thread in order with them, an error after what
came before it, and no thread outliving its reader. The speed is bench/bench_nppes_bulk.py's."""

from __future__ import annotations

import csv
import io
import threading
import zipfile

import pytest

from scraper import zipscan
from scraper.zipscan import ScanError, find, scan

NEEDLE = b"171100000X"


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def _data(n: int = 400, every: int = 7) -> bytes:
    return _csv([["NPI", "A", "B"]] + [[str(1000000000 + i), "x" * (i % 50),
                                        NEEDLE.decode() if i % every == 0 else "y"]
                                       for i in range(n)])


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("zipscan-")]


@pytest.mark.parametrize("needle", [NEEDLE, b"a", b"ab", b"\n\"", b"", b"zz"])
def test_find_finds_what_bytes_find_finds(needle):
    data = b'ab"1",\n"2",171100000X,ab\n' * 3 + b"a"
    for start in [*range(-3, len(data) + 3), 10**9]:
        assert find(data, needle, start) == data.find(needle, start), (needle, start)
    assert find(bytearray(data), needle, 2) == data.find(needle, 2)  # not bytes: bytes' own


@pytest.mark.parametrize("anchored", [True, False])
@pytest.mark.parametrize("chunk", [1, 5, 64, 1000, 1 << 22])
def test_the_records_are_searched_for_on_the_scanning_thread(anchored, chunk, monkeypatch):
    data = _data()
    searched_on: set[str] = set()

    def find_noting(data: bytes, needle: bytes, start: int = 0) -> int:
        searched_on.add(threading.current_thread().name)
        return find(data, needle, start)

    monkeypatch.setattr(zipscan, "find", find_noting)
    got = list(scan(io.BytesIO(data), (NEEDLE,), chunk=chunk, anchored=anchored))
    lines = data.split(b"\r\n")
    starts = [sum(len(line) + 2 for line in lines[:i]) for i in range(len(lines))]
    assert [(at, record.rstrip(b"\r")) for at, record in got] == \
        [(starts[i], line) for i, line in enumerate(lines) if i == 0 or NEEDLE in line]
    # not on the reader's thread: that one is left to parse and store (in one-byte blocks
    # every record spans blocks, and is tested whole, with no search)
    assert searched_on <= {"zipscan-scan"}
    if chunk >= 64:
        assert searched_on == {"zipscan-scan"}


def test_block_sizes_are_said_on_the_readers_thread_before_their_records():
    data = _data(2000)
    said: list[int] = []
    where: set[int] = set()

    def on_bytes(n: int) -> None:
        said.append(n)
        where.add(threading.get_ident())

    for at, record in scan(io.BytesIO(data), (NEEDLE,), on_bytes, chunk=997, anchored=True):
        assert sum(said) >= at + len(record)  # its bytes were read, and said, before it
    assert sum(said) == len(data) and len(said) == -(-len(data) // 997)
    assert where == {threading.get_ident()}


def test_a_broken_quote_comes_after_the_records_before_it_and_stops_the_threads():
    data = _data(5000, every=3)
    lines = data.split(b"\r\n")
    lines[4000] = lines[4000].replace(b'","', b'",', 1)  # one quote lost: never closed
    data = b"\r\n".join(lines)
    seen: list[int] = []
    with pytest.raises(ScanError, match="never closed"):
        for at, _ in scan(io.BytesIO(data), (NEEDLE,), chunk=4096):
            seen.append(at)
    assert len(seen) == 1 + len(range(0, 3999, 3)) and seen == sorted(seen)
    assert _threads() == []


def test_a_damaged_stream_is_a_scan_error_after_the_records_before_it():
    data = _data(3000)

    class Damaged(io.BytesIO):
        def read(self, size: int = -1, /) -> bytes:
            if self.tell() > len(data) // 2:
                raise zipfile.BadZipFile("Bad CRC-32")
            return super().read(size)

    got = []
    with pytest.raises(ScanError, match="damaged or truncated: Bad CRC-32"):
        for at, _ in scan(Damaged(data), (NEEDLE,), chunk=1000, anchored=True):
            got.append(at)
    expected = [at for at, _ in scan(io.BytesIO(data), (NEEDLE,), chunk=1000, anchored=True)]
    assert 0 < len(got) < len(expected) and got == expected[:len(got)]
    assert _threads() == []


def test_closing_the_reader_early_stops_both_threads(tmp_path, monkeypatch):
    monkeypatch.setattr(zipscan, "SCAN_DEPTH", 2)  # the scanner soon waits for the reader
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("npidata_pfile_1.csv", _data(100_000, every=2))
    with zipfile.ZipFile(path) as archive, archive.open("npidata_pfile_1.csv") as stream:
        found = scan(stream, (NEEDLE,), chunk=4096, anchored=True)
        assert next(found)[0] == 0 and next(found)[1].startswith(b'"1000000000"')
        assert sorted(_threads()) == ["zipscan-inflate", "zipscan-scan"]
        found.close()
        assert _threads() == []


def test_the_switch_interval_is_given_back():
    import sys

    before = sys.getswitchinterval()
    found = scan(io.BytesIO(_data()), (NEEDLE,), anchored=True)
    next(found)
    assert sys.getswitchinterval() == pytest.approx(zipscan.SWITCH_INTERVAL)
    found.close()
    assert sys.getswitchinterval() == before


def test_overlapping_scans_leave_the_switch_interval_as_it_was():
    import io
    import sys

    from scraper.zipscan import scan

    data = b'"NPI","X"\n' + b"".join(b'"%d","HIT"\n' % i for i in range(200))
    before = sys.getswitchinterval()
    a = scan(io.BytesIO(data), (b"HIT",), chunk=64, anchored=True)
    b = scan(io.BytesIO(data), (b"HIT",), chunk=64, anchored=True)
    next(a)
    next(b)
    a.close()
    assert sys.getswitchinterval() != before  # b still runs
    b.close()
    assert sys.getswitchinterval() == before


def test_find_takes_any_needle_bytes_find_takes():
    from scraper.zipscan import find

    for needle in (bytearray(b"b"), memoryview(b"bc")):
        assert find(b"abcabc", needle, 2) == b"abcabc".find(needle, 2)
