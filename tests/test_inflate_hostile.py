"""Hostile zips through iter_zip / open_member."""
from __future__ import annotations

import io
import struct
import zipfile

import pytest

from scraper import zipscan
from scraper.npidata import BulkFileError, iter_zip

MEMBER = "npidata_pfile_20260101-20260131.csv"
DATA = b'"NPI","Entity Type Code"\r\n"1234567893","1"\r\n' * 1


def _flag(path, bit):
    raw = bytearray(path.read_bytes())
    local = raw.find(b"PK\x03\x04")
    central = raw.find(b"PK\x01\x02")
    struct.pack_into("<H", raw, local + 6, struct.unpack_from("<H", raw, local + 6)[0] | bit)
    struct.pack_into("<H", raw, central + 8, struct.unpack_from("<H", raw, central + 8)[0] | bit)
    path.write_bytes(bytes(raw))


def test_an_encrypted_member_is_a_bulk_file_error(tmp_path):
    path = tmp_path / "enc.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(MEMBER, DATA)
    _flag(path, 0x1)
    with pytest.raises((BulkFileError, zipfile.BadZipFile)):
        list(iter_zip(path))


class _Unseekable(io.RawIOBase):
    def __init__(self):
        self.buf = io.BytesIO()

    def writable(self):
        return True

    def write(self, b):
        return self.buf.write(b)


@pytest.mark.parametrize("inflater", [zipscan.ZLIB, zipscan.INFLATER])
def test_a_data_descriptor_member_reads(tmp_path, inflater):
    sink = _Unseekable()
    data = b"x,y\r\n" * 100000
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open(MEMBER, "w") as f:
            f.write(data)
    path = tmp_path / "dd.zip"
    path.write_bytes(sink.buf.getvalue())
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(MEMBER).flag_bits & 0x8
        with zipscan.open_member(archive, MEMBER, inflater) as stream:
            assert isinstance(stream, zipscan.Member)
            assert stream.read() == data
