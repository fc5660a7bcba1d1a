"""Inflating a zip member ourselves (issue 16: ISA-L where installed, zlib otherwise): the same
bytes as zipfile gives, whichever inflater and whatever the reads, and a damaged member caught
as zipfile catches it (a cut stream, a CRC mismatch, bad deflate data), a deflate bomb before
it costs memory."""

from __future__ import annotations

import random
import struct
import sys
import zipfile

import pytest

from scraper import zipscan
from scraper.zipscan import ZLIB, Member, ScanError, open_member, pick_inflater, scan

ISAL = pick_inflater()
INFLATERS = [pytest.param(ISAL, id="isal"), pytest.param(ZLIB, id="zlib")]
MEMBER = "npidata_pfile_1.csv"


def test_isal_is_the_inflater_where_it_is_installed_and_zlib_where_it_is_not(monkeypatch):
    assert ISAL.name.startswith("isal ")  # a dependency (pyproject.toml): installed here
    assert zipscan.INFLATER == ISAL
    monkeypatch.setitem(sys.modules, "isal", None)  # as if not installed: the import fails
    assert pick_inflater() == ZLIB


def _text(size: int, seed: int = 1) -> bytes:
    """CSV-like lines that compress about as the NPPES files do, not to nothing."""
    rng = random.Random(seed)
    words = [b"SMITH", b"171100000X", b'"', b"", b"MAIN ST", b"\r\n", b"02139", b"LEE"]
    out = bytearray()
    while len(out) < size:
        out += b'"%d","%s","%s"\r\n' % (rng.randrange(10**9, 10**10), rng.choice(words),
                                         rng.randbytes(rng.randrange(0, 12)).hex().encode())
    return bytes(out[:size])


def _zip(path, data: bytes, member: str = MEMBER, level: int | None = None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr(member, data)
    return path


def _read_all(stream, size: int) -> bytes:
    out = []
    while block := stream.read(size):
        assert len(block) <= size
        out.append(block)
    return b"".join(out)


@pytest.mark.parametrize("inflater", INFLATERS)
@pytest.mark.parametrize("size", [1, 7, 4096, 1 << 22])
def test_both_inflaters_give_the_bytes_zipfile_gives(tmp_path, inflater, size):
    data = _text(300_000 if size < 4096 else 3_000_000)
    path = _zip(tmp_path / "a.zip", data, level=1)
    with zipfile.ZipFile(path) as archive:
        with open_member(archive, MEMBER, inflater) as stream:
            assert isinstance(stream, Member) and stream.inflater == inflater
            assert _read_all(stream, size) == data == archive.read(MEMBER)
            assert stream.read(10) == b""  # the end stays the end


@pytest.mark.parametrize("inflater", INFLATERS)
def test_an_empty_member_and_a_stored_one(tmp_path, inflater):
    path = tmp_path / "e.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("empty.csv", b"")
        archive.writestr("stored.csv", b"a,b\r\n", compress_type=zipfile.ZIP_STORED)
    with zipfile.ZipFile(path) as archive:
        with open_member(archive, "empty.csv", inflater) as stream:
            assert stream.read(100) == b""
        with open_member(archive, "stored.csv", inflater) as stream:  # zipfile reads it
            assert not isinstance(stream, Member) and stream.read() == b"a,b\r\n"


def _patch_directory(path, **values: int) -> None:
    """Overwrite fields of the member's entry in the central directory (what zipfile and
    open_member trust): ``crc``, ``compress_size``, ``file_size``."""
    raw = bytearray(path.read_bytes())
    at = raw.rindex(b"PK\x01\x02")
    for name, offset in (("crc", 16), ("compress_size", 20), ("file_size", 24)):
        if name in values:
            struct.pack_into("<I", raw, at + offset, values[name])
    path.write_bytes(bytes(raw))


def _info(path) -> zipfile.ZipInfo:
    with zipfile.ZipFile(path) as archive:
        return archive.getinfo(MEMBER)


@pytest.mark.parametrize("inflater", INFLATERS)
def test_a_deflate_bomb_fails_before_it_is_inflated(tmp_path, inflater):
    """50 MB of zeros, declared as 1 MB: the read stops at the declared size, with an error,
    never holding more than one read's worth."""
    path = _zip(tmp_path / "bomb.zip", b"\0" * 50_000_000, level=9)
    assert _info(path).compress_size < 100_000
    _patch_directory(path, file_size=1_000_000)
    given = 0
    with zipfile.ZipFile(path) as archive, open_member(archive, MEMBER, inflater) as stream:
        with pytest.raises(zipfile.BadZipFile, match="inflates to more than the 1,000,000"):
            while block := stream.read(1 << 22):
                given += len(block)
    assert given <= 1_000_000
    with zipfile.ZipFile(path) as archive, open_member(archive, MEMBER, inflater) as stream, \
            pytest.raises(ScanError, match="damaged or truncated"):
        list(scan(stream, (b"171100000X",), anchored=True))


@pytest.mark.parametrize("inflater", INFLATERS)
def test_a_crc_mismatch_is_caught(tmp_path, inflater):
    path = _zip(tmp_path / "crc.zip", _text(500_000))
    _patch_directory(path, crc=_info(path).CRC ^ 1)
    with zipfile.ZipFile(path) as archive, open_member(archive, MEMBER, inflater) as stream, \
            pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
        _read_all(stream, 1 << 16)
    with zipfile.ZipFile(path) as archive, open_member(archive, MEMBER, inflater) as stream, \
            pytest.raises(ScanError, match="damaged or truncated: Bad CRC-32"):
        list(scan(stream, (b"171100000X",), anchored=True))


@pytest.mark.parametrize("inflater", INFLATERS)
def test_a_member_cut_short_is_caught(tmp_path, inflater):
    """The deflate stream stops half way (as in a download cut short and its directory
    mended), or it ends before the size the directory declares."""
    data = _text(500_000)
    half = _zip(tmp_path / "half.zip", data)
    _patch_directory(half, compress_size=_info(half).compress_size // 2)
    longer = _zip(tmp_path / "longer.zip", data)
    _patch_directory(longer, file_size=len(data) + 1)
    for path, message in ((half, "end-of-stream marker"), (longer, "1 bytes short")):
        with zipfile.ZipFile(path) as archive, \
                open_member(archive, MEMBER, inflater) as stream, \
                pytest.raises(EOFError, match=message):
            _read_all(stream, 1 << 16)
    cut = tmp_path / "cut.zip"  # the file itself ends inside the member
    info = _info(half)
    cut.write_bytes(half.read_bytes()[:info.header_offset + 30 + len(MEMBER) + 40])
    with Member(str(cut), info, inflater) as stream, pytest.raises(EOFError, match="cut short"):
        _read_all(stream, 1 << 16)


@pytest.mark.parametrize("inflater", INFLATERS)
def test_bad_deflate_data_is_a_bad_zip(tmp_path, inflater):
    path = _zip(tmp_path / "bad.zip", _text(2_000_000))
    info = _info(path)
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(MEMBER)
    raw[start + 1000: start + 1064] = b"\xff" * 64
    path.write_bytes(bytes(raw))
    with zipfile.ZipFile(path) as archive, open_member(archive, MEMBER, inflater) as stream, \
            pytest.raises((zipfile.BadZipFile, EOFError)):
        _read_all(stream, 1 << 16)


def test_a_header_that_is_not_the_members_is_a_bad_zip(tmp_path):
    path = _zip(tmp_path / "h.zip", b"x" * 100)
    raw = bytearray(path.read_bytes())
    raw[30:30 + len(MEMBER)] = b"X" * len(MEMBER)  # the local header names another file
    path.write_bytes(bytes(raw))
    with zipfile.ZipFile(path) as archive, pytest.raises(zipfile.BadZipFile, match="differ"):
        open_member(archive, MEMBER)
    raw[0:4] = b"PK\0\0"
    path.write_bytes(bytes(raw))
    with zipfile.ZipFile(path) as archive, pytest.raises(zipfile.BadZipFile, match="magic"):
        open_member(archive, MEMBER)
