"""Records cut out of a large CSV inside a zip, fast: the byte test of the NPPES files.

A record is kept only when it holds one of a few byte strings (``needles``, such as the
taxonomy code ``171100000X``); nearly every record of the 9 GB monthly file holds none, so most
of the file is only searched, never split into lines nor parsed. Records are cut at line ends
outside quotes (a quoted field may hold a line break), by counting quote characters, in C.

One thread inflates the member (ISA-L and zlib let go of the GIL), another searches it and
cuts the records (the search, the C library's ``memmem``, lets go of the GIL too), while the
caller's thread parses and stores them. Each record comes with its byte offset in the member;
``line_at`` turns an offset into a line number for an error message, by reading the member
again up to it. (A child process for the search was tried: on two cores it was slower, 7.3 s
against 6.8 s on the benchmark, since the inflating, the search and the parsing compete for
the same cores either way.)

A deflated member is inflated here too (``open_member``), not by ``zipfile``: with ISA-L
(``isal``, a dependency) when it is installed, else with zlib, the choice made once at import
(``INFLATER``). ISA-L inflates these files about twice as fast as zlib; the declared size and
CRC-32 are checked as ``zipfile`` checks them, and a stream that would inflate past the
declared size is an error at once (a deflate bomb), not cut short.

Nothing here knows the NPPES columns: ``scraper/sources/nppes_bulk.py`` does the rest.
"""

from __future__ import annotations

import ctypes
import functools
import platform
import queue
import struct
import sys
import threading
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol, cast

CHUNK = 1 << 22  # bytes read from the zip member at a time
SWITCH_INTERVAL = 0.0001  # see scan()
MAX_RECORD_LINES = 200  # a record spanning more lines than this has a broken quote
MAX_RECORD_BYTES = 1 << 20  # no NPPES record comes near this; past it, a quote is broken


class ScanError(Exception):
    """The member cannot be read as CSV records: ``offset`` is where (None: nowhere in
    particular). ``unanchored``: no record start was seen where one was due (see
    ``scan(anchored=True)``), so the file may simply not quote its first field."""

    def __init__(self, message: str, offset: int | None = None, *, unanchored: bool = False):
        super().__init__(message if offset is None else f"byte {offset:,}: {message}")
        self.message, self.offset, self.unanchored = message, offset, unanchored


_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError)


class Stream(Protocol):
    """What the readers here read: a zip member as ``open_member`` or ``ZipFile.open`` gives
    it, or any binary file. ``read(n)`` may return fewer than ``n`` bytes; b"" is the end."""

    def read(self, size: int = -1, /) -> bytes: ...


# -- inflating a member -----------------------------------------------------------------------

@dataclass(frozen=True)
class Inflater:
    """A raw-deflate implementation: ``decompressobj(-15)`` and ``crc32`` as zlib's."""

    name: str
    decompressobj: Callable[[int], Any]
    crc32: Callable[[bytes, int], int]
    error: type[Exception]


ZLIB = Inflater(f"zlib {zlib.ZLIB_RUNTIME_VERSION}", zlib.decompressobj, zlib.crc32, zlib.error)


def pick_inflater() -> Inflater:
    """ISA-L's inflater when ``isal`` is installed (about twice zlib's speed on the NPPES
    files, bench/RESULTS.md), else zlib's."""
    try:
        import isal
        from isal import isal_zlib
    except ImportError:
        return ZLIB
    version = getattr(isal, "__version__", "")
    error = cast(type[Exception], isal_zlib.error)  # its stub calls the class an instance
    return Inflater(f"isal {version}".strip(), isal_zlib.decompressobj, isal_zlib.crc32, error)


INFLATER = pick_inflater()  # chosen once: the run notes of nppes-bulk name it
INPUT = 1 << 17  # compressed bytes handed to the inflater at a time: 2.5 MB out, at 19:1
_HEADER = struct.Struct("<4s22xHH")  # a local file header: signature ... name and extra lengths
_UNREADABLE_FLAGS = 0x1 | 0x20 | 0x40  # encrypted, patched, strongly encrypted: zipfile says so


@functools.cache
def keep_freed_blocks() -> bool:
    """Ask glibc's allocator to keep the memory of freed blocks of a few MB for the next ones
    (heap, not mmap; trimmed past 64 MB), once per process. Without it each inflated block is
    given back to the system when freed and the next one's pages fault in anew: measured, 1.3 s
    of system time (570,000 page faults) in the 4 s of inflating the benchmark's 2.3 GB member,
    and 0.06 s with it. Nothing is done under another C library. True when it was done."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    m_trim_threshold, m_mmap_threshold = -1, -3  # from glibc's malloc.h
    return bool(mallopt(m_mmap_threshold, 16 << 20) and mallopt(m_trim_threshold, 64 << 20))


class Member:
    """A deflated member of a zip on disk, inflated by ``inflater`` from its own file handle.

    ``read(n)`` gives at most ``n`` bytes, what one call of the inflater gave (no joining of
    pieces): about ``INPUT`` times the compression ratio. The output may never pass the size the
    zip declares (checked before it is made, so a deflate bomb costs no memory), must reach it
    exactly when the stream ends, and must match the declared CRC-32; a stream cut short is an
    ``EOFError``, the others ``zipfile.BadZipFile`` (zipfile's own messages)."""

    def __init__(self, path: str, info: zipfile.ZipInfo, inflater: Inflater):
        self.name, self.inflater = info.filename, inflater
        keep_freed_blocks()
        self._file = open(path, "rb", buffering=0)  # closed by close()
        try:
            self._file.seek(info.header_offset)
            header = self._file.read(_HEADER.size)
            if len(header) != _HEADER.size:
                raise zipfile.BadZipFile("Truncated file header")
            signature, name_length, extra_length = _HEADER.unpack(header)
            if signature != b"PK\x03\x04":
                raise zipfile.BadZipFile("Bad magic number for file header")
            name = self._file.read(name_length)
            encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
            if name.decode(encoding, "replace") != info.orig_filename:
                raise zipfile.BadZipFile(f"File name in directory {info.orig_filename!r} and "
                                         f"header {name!r} differ.")
            self._file.seek(extra_length, 1)
        except BaseException:
            self._file.close()
            raise
        self._inflate = inflater.decompressobj(-15)
        self._compressed_left = info.compress_size
        self._declared = self._left = info.file_size  # the bytes the member still owes
        self._expected_crc, self._crc = info.CRC, 0
        self._pending = b""  # input the inflater has not taken yet
        self._done = False

    def read(self, size: int = -1, /) -> bytes:
        if self._done:
            return b""
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(1 << 24), b""))
        inflate = self._inflate
        while True:
            data = self._pending
            if not data and self._compressed_left > 0:
                data = self._file.read(min(INPUT, self._compressed_left))
                if not data:
                    raise EOFError(f"{self.name}: the zip ends inside the member (cut short)")
                self._compressed_left -= len(data)
            try:  # one byte more than the member owes: a stream going past it shows here
                out = inflate.decompress(data, min(max(1, size), self._left + 1))
            except self.inflater.error as exc:
                raise zipfile.BadZipFile(f"{self.name}: {exc}") from None
            self._pending = inflate.unconsumed_tail
            if len(out) > self._left:
                raise zipfile.BadZipFile(f"{self.name} inflates to more than the "
                                         f"{self._declared:,} bytes its zip declares")
            if out:
                self._left -= len(out)
                self._crc = self.inflater.crc32(out, self._crc)
            if inflate.eof:
                self._done = True
                if self._left:
                    raise EOFError(f"{self.name}: the stream ends {self._left:,} bytes short "
                                   "of the size its zip declares")
                if self._crc != self._expected_crc:
                    raise zipfile.BadZipFile(f"Bad CRC-32 for file {self.name!r}")
                return out
            if out:
                return out
            if not data:  # all input given, all output taken, and no end-of-stream marker
                raise EOFError("Compressed file ended before the end-of-stream marker was "
                               "reached")
            if len(self._pending) == len(data):
                raise zipfile.BadZipFile(f"{self.name}: the inflater takes no more input")

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Member:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_member(archive: zipfile.ZipFile, member: str,
                inflater: Inflater | None = None) -> Member | IO[bytes]:
    """``member`` of ``archive`` for reading: a deflated member of a zip on disk inflated by
    ``inflater`` (``INFLATER`` unless told), any other by ``zipfile``."""
    info = archive.getinfo(member)
    if info.flag_bits & _UNREADABLE_FLAGS:  # zipfile: RuntimeError or NotImplementedError
        raise zipfile.BadZipFile(f"{member}: encrypted or patched (flags {info.flag_bits:#x}): "
                                 "not a file NPPES publishes")
    if info.compress_type != zipfile.ZIP_DEFLATED or not isinstance(archive.filename, str):
        try:
            return archive.open(member)
        except NotImplementedError as exc:  # a compression method zipfile cannot read
            raise zipfile.BadZipFile(f"{member}: {exc}") from None
    return Member(archive.filename, info, inflater or INFLATER)


def records(stream: Stream, keep: Callable[[bytes], bool]) -> Iterator[tuple[int, bytes]]:
    """(byte offset, record) for the header and for every record ``keep`` accepts: the plain
    reader of the small companion members (practice locations, endpoints).

    A record ends at a line end outside quotes: a line with an odd number of quote characters
    opens a field that a later line closes."""
    offset = 0  # where the next line starts
    tail = b""
    pending: list[bytes] = []
    pending_quotes = 0
    start = 0
    header_done = False
    while True:
        try:
            chunk = stream.read(CHUNK)
        except _DAMAGED as exc:
            raise ScanError(f"the zip is damaged or truncated: {exc}", offset=offset) from None
        if not chunk:
            break
        lines = (tail + chunk).split(b"\n")
        tail = lines.pop()
        for line in lines:
            at, offset = offset, offset + len(line) + 1
            quotes = line.count(b'"')
            if pending:
                pending.append(line)
                pending_quotes += quotes
                if pending_quotes & 1:
                    if len(pending) > MAX_RECORD_LINES:
                        raise ScanError("a quoted field is never closed (a broken quote)",
                                        offset=start)
                    continue
                line = b"\n".join(pending)
                pending = []
            elif quotes & 1:
                pending, pending_quotes, start = [line], quotes, at
                continue
            else:
                start = at
            if not header_done:
                header_done = True
                yield start, line
            elif keep(line):
                yield start, line
    if pending or tail.strip():
        if pending:
            pending.append(tail)
            record = b"\n".join(pending)
            if record.count(b'"') & 1:
                raise ScanError("a quoted field is never closed (a broken quote)", offset=start)
        else:
            start, record = offset, tail
        if not header_done or keep(record):
            yield start, record


class _Stopped(Exception):
    """The reader closed an ``_Ahead``: its producing thread unwinds."""


_END = object()  # what an ``_Ahead``'s producer puts last


class _Ahead:
    """Items made by ``produce(put)`` in a thread of its own, at most ``depth`` of them ahead
    of the reader (``get``). What the producer raises is raised by the reader when it comes to
    it; closing stops the producer at its next ``put``."""

    def __init__(self, produce: Callable[[Callable[[Any], None]], None], depth: int, name: str):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(produce,), daemon=True,
                                        name=name)
        self._thread.start()

    def _run(self, produce: Callable[[Callable[[Any], None]], None]) -> None:
        try:
            produce(self._put)
            self._put(_END)
        except _Stopped:
            pass
        except BaseException as exc:  # handed to the reading thread, which raises it
            try:
                self._put(exc)
            except _Stopped:
                pass

    def _put(self, item: Any) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped

    def get(self) -> Any:
        """The next item; ``_END`` after the last."""
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class _Prefetch:
    """Reads blocks of a stream in a thread of its own, a few blocks ahead: the inflater lets
    go of the GIL while it inflates, so decompressing the next blocks overlaps scanning this one
    (the machine's second core does the inflating). Memory: at most ``depth`` blocks waiting."""

    def __init__(self, stream: Stream, size: int, depth: int = 4):
        def produce(put: Callable[[Any], None]) -> None:
            while block := stream.read(size):
                put(block)

        self._ahead = _Ahead(produce, depth, "zipscan-inflate")

    def read(self) -> bytes:
        item = self._ahead.get()
        return b"" if item is _END else item

    def close(self) -> None:
        self._ahead.close()


def _memmem() -> Callable[..., int | None] | None:
    """The C library's ``memmem``, called through ctypes (which lets go of the GIL during the
    call); None where there is none."""
    try:
        function = ctypes.CDLL(None).memmem
    except (OSError, AttributeError, TypeError):
        return None
    function.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t)
    function.restype = ctypes.c_void_p
    return cast(Callable[..., "int | None"], function)


_MEMMEM = _memmem()


def find(data: bytes, needle: bytes, start: int = 0) -> int:
    """``data.find(needle, start)``, with the C library's ``memmem`` where there is one: it
    searches about twice as fast as ``bytes.find`` on these files (3.7 GB/s against 1.8 GB/s,
    measured on the benchmark's member) and lets go of the GIL meanwhile, so the search of one
    block overlaps the mapping and storing of the rows already found, on the other core."""
    size = len(data)
    if (_MEMMEM is None or type(data) is not bytes or type(needle) is not bytes or not needle
            or start < 0):
        return data.find(needle, start)
    if start + len(needle) > size:
        return -1
    base = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value or 0  # not a copy
    hit = _MEMMEM(base + start, size - start, needle, len(needle))
    return -1 if hit is None else hit - base


_SWITCHES = threading.Lock()
_switch_users = [0, 0.0]  # scans running in this process, the interval before the first


def _quick_switches(step: int) -> None:
    """The interpreter's switch interval at SWITCH_INTERVAL while any scan runs (several may,
    on the job runner's threads), and as it was once the last one ends."""
    with _SWITCHES:
        if step > 0 and _switch_users[0] == 0:
            _switch_users[1] = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)
        _switch_users[0] += step
        if step < 0 and _switch_users[0] == 0:
            sys.setswitchinterval(_switch_users[1])


SCAN_DEPTH = 8  # batches of records the scanning thread may find ahead of the reader
SCAN_BATCH = 256  # records at most in a batch (a block's worth, unless it keeps many)


def scan(stream: Stream, needles: tuple[bytes, ...],
         on_bytes: Callable[[int], None] | None = None, *, chunk: int | None = None,
         anchored: bool = False) -> Generator[tuple[int, bytes], None, None]:
    """(byte offset, record) for the first record (the header) and for every record holding
    one of ``needles``, in this process: the member inflated on one thread, searched and cut
    into records on another, while the caller's thread takes them (and calls ``on_bytes``
    with the size of each block read, in order with them), free to parse and store them
    meanwhile. (Issue 16: with the search on the caller's thread, the import ran at 0.91x the
    speed of stdlib inflation alone; the search now lets go of the GIL, see ``find``.
    Parsing and mapping the rows on the scanning thread too was measured beside this: no
    clear difference, within the noise of a shared two-core machine, the threads then handing
    the GIL back and forth at every row SQLite stores; the simpler stays.)

    ``anchored``: every record (after the header) starts with a quoted number, as in the
    NPPES files (``"1234567890",...``). Records are then cut at those starts and the quotes
    between the needles are not counted (``_scan_anchored``): faster, but a broken quote in a
    record without a needle goes unseen (it cannot move the cuts of the others)."""
    cut = _scan_anchored if anchored else _scan_blocks

    def produce(put: Callable[[Any], None]) -> None:
        # Records go to the reader in batches, each before the size of the block read after
        # it: in the order one thread doing all would have seen them.
        batch: list[tuple[int, bytes]] = []

        def counted(n: int) -> None:
            nonlocal batch
            if batch:
                put(batch)
                batch = []
            put(n)

        prefetch = _Prefetch(stream, chunk or CHUNK)
        records = cut(prefetch, needles, counted)
        try:
            try:
                for record in records:
                    batch.append(record)
                    if len(batch) >= SCAN_BATCH:
                        put(batch)
                        batch = []
            except _Stopped:
                raise
            except BaseException:
                if batch:  # what was found before the error comes before it
                    put(batch)
                raise
            if batch:
                put(batch)
        finally:
            close = getattr(records, "close", None)
            if close is not None:
                close()
            prefetch.close()  # stops the inflating thread

    # The threads take the GIL back several times a block (zlib grows its output buffer in
    # steps; each search returns to Python); at the default 5 ms switch interval they wait
    # behind the reader's Python work each time, and barely overlap (measured: 7.4 s where
    # 4.9 s are possible, bench/bench_nppes_bulk.py).
    _quick_switches(+1)
    ahead = None
    try:
        ahead = _Ahead(produce, SCAN_DEPTH, "zipscan-scan")
        while (item := ahead.get()) is not _END:
            if isinstance(item, int):
                if on_bytes:
                    on_bytes(item)
            else:
                yield from item
    finally:
        if ahead is not None:
            ahead.close()  # stops the scanning thread, which stops the inflating one
        _quick_switches(-1)


def _scan_blocks(stream: _Prefetch, needles: tuple[bytes, ...],
                 on_bytes: Callable[[int], None] | None = None) -> Iterator[tuple[int, bytes]]:
    """(byte offset, record) for the header and for every record holding one of ``needles``:
    the fast path of the import, with no Python work per line and no copy of a block.

    A line end is a record boundary when the number of quote characters since the last
    boundary is even. In each block read, ``find`` jumps from one occurrence of a needle to the
    next, and the record around it is found by counting quotes back to the last boundary and
    forward to the next; between hits only quotes are counted, in C. A record cut by the end of
    a block is finished with the start of the next one."""
    tail = b""  # the start of a record the last block cut off
    tail_at = 0  # its offset in the member
    base = 0  # the offset of the block in hand
    header = True  # the first record is the header: always yielded
    while True:
        try:
            chunk = stream.read()
        except _DAMAGED as exc:
            raise ScanError(f"the zip is damaged or truncated: {exc}",
                            offset=tail_at if tail else base) from None
        if not chunk:
            break
        if on_bytes:
            on_bytes(len(chunk))
        cur = 0
        if tail or header:  # finish the record the last block began (or the header)
            odd = tail.count(b'"') & 1
            pos = chunk.find(b"\n")
            while pos >= 0:
                odd ^= chunk.count(b'"', cur, pos) & 1
                cur = pos
                if not odd:
                    break
                pos = chunk.find(b"\n", pos + 1)
            if pos < 0:
                tail += chunk
                base += len(chunk)
                if len(tail) > MAX_RECORD_BYTES:
                    raise ScanError("a quoted field is never closed (a broken quote)",
                                    offset=tail_at)
                continue
            record = tail + chunk[:pos]
            cur = pos + 1
            if header or any(n in record for n in needles):
                yield tail_at, record
            header = False
            tail = b""
        cut = yield from _block(chunk, cur, base, needles)
        tail, tail_at = chunk[cut:], base + cut
        base += len(chunk)
        if len(tail) > MAX_RECORD_BYTES:
            raise ScanError("a quoted field is never closed (a broken quote)", offset=tail_at)
    if tail.strip():
        if tail.count(b'"') & 1:
            raise ScanError("a quoted field is never closed (a broken quote)", offset=tail_at)
        if header or any(n in tail for n in needles):
            yield tail_at, tail


def _block(data: bytes, cur: int, base: int, needles: tuple[bytes, ...]
           ) -> Generator[tuple[int, bytes], None, int]:
    """The records of ``data`` (at ``base`` in the member) from ``cur`` (a boundary) holding a
    needle; returns where the cut-off record at the end begins."""
    last = data.rfind(b"\n")
    while True:
        hit = min((h for n in needles if 0 <= (h := find(data, n, cur)) < last), default=-1)
        if hit < 0:
            break
        start = _record_start(data, cur, hit)
        stop = _record_end(data, start, hit)
        if stop < 0:  # the record runs past the block: the next block finishes it
            return start
        yield base + start, data[start:stop - 1]
        cur = stop
    return _record_start(data, cur, last + 1)  # the record the block's end cuts off


def _record_start(part: bytes, cur: int, hit: int) -> int:
    """The start of the record holding ``hit``; ``cur`` is a boundary at or before it."""
    pos = part.rfind(b"\n", cur, hit)
    if pos < 0:
        return cur
    odd = part.count(b'"', cur, pos) & 1
    while odd:
        before = part.rfind(b"\n", cur, pos)
        if before < 0:
            return cur
        odd ^= part.count(b'"', before, pos) & 1
        pos = before
    return pos + 1


def _record_end(part: bytes, start: int, inside: int) -> int:
    """Just after the line end that closes the record beginning at ``start`` (a boundary)
    and holding position ``inside``; -1 when the record runs past the end of ``part``."""
    pos = part.find(b"\n", inside)
    odd = part.count(b'"', start, pos) & 1 if pos >= 0 else 0
    while pos >= 0:
        if not odd:
            return pos + 1
        after = part.find(b"\n", pos + 1)
        if after < 0:
            break
        odd ^= part.count(b'"', pos, after) & 1
        pos = after
    return -1


# -- anchored: records cut where a quoted number starts a line ---------------------------------
#
# In valid CSV a line end followed by a quote and a digit ends a record: inside a quoted field
# a quote is either doubled (the next byte is a quote) or closes the field (the next byte is a
# comma or a line end), never followed by a digit. So where every record starts with a quoted
# number, the cuts need no counting of quotes at all.

def _is_digit(byte: int) -> bool:
    return 48 <= byte <= 57


def _next_cut(data: bytes, start: int) -> int:
    """The first line end at or after ``start`` that a record start follows; -1 when there
    is none that the end of ``data`` lets us see."""
    at = data.find(b'\n"', start)
    while at >= 0:
        if at + 2 >= len(data):
            return -1  # the digit, or not, is in the next block
        if _is_digit(data[at + 2]):
            return at
        at = data.find(b'\n"', at + 1)
    return -1


def _last_cut(data: bytes, start: int, stop: int) -> int:
    """The last such line end in ``data[start:stop]`` whose record start can be seen; -1."""
    at = data.rfind(b'\n"', start, stop)
    while at >= 0:
        if at + 2 < len(data) and _is_digit(data[at + 2]):
            return at
        at = data.rfind(b'\n"', start, at)
    return -1


def _scan_anchored(stream: _Prefetch, needles: tuple[bytes, ...],
                   on_bytes: Callable[[int], None] | None = None
                   ) -> Iterator[tuple[int, bytes]]:
    """``_scan_blocks`` for files whose records start with a quoted number. One record is
    always open: the one the last block cut off (first of all the header), kept in ``tail``
    until a cut after it is seen, possibly across the join of two blocks."""
    tail, tail_at = b"", 0  # the open record, and where it starts
    base = 0  # the offset of the block in hand
    header = True
    while True:
        try:
            chunk = stream.read()
        except _DAMAGED as exc:
            raise ScanError(f"the zip is damaged or truncated: {exc}", offset=tail_at) from None
        if not chunk:
            break
        if on_bytes:
            on_bytes(len(chunk))
        cur = 0  # where the first record wholly in this block starts
        while True:  # close the open record, maybe at the join
            record = None
            if tail.endswith(b"\n") and len(chunk) >= 2 and chunk[0] == 34 \
                    and _is_digit(chunk[1]):
                record, at, tail, tail_at = tail[:-1], tail_at, b"", base
            elif tail.endswith(b'\n"') and _is_digit(chunk[0]):
                record, at, tail, tail_at = tail[:-2], tail_at, b'"', base - 1
            if record is not None:
                if header or any(n in record for n in needles):
                    yield from _pieces(at, record, needles, header)
                header = False
                if tail:  # b'"': the next record began in the last block; still open
                    continue
                break
            end = _next_cut(chunk, 0)
            if (tail.endswith(b"\n") and len(chunk) < 2) or end < 0:
                tail += chunk  # the open record goes on past this block
                if len(tail) > MAX_RECORD_BYTES:
                    raise ScanError("no record starts here for over 1 MB: a record whose first "
                                    "field is not a quoted number, or a broken file",
                                    offset=tail_at, unanchored=True)
                cur = -1
                break
            record = tail + chunk[:end]
            if header or any(n in record for n in needles):
                yield from _pieces(tail_at, record, needles, header)
            header, tail, cur = False, b"", end + 1
            break
        if cur < 0:
            base += len(chunk)
            continue
        while True:  # records wholly in this block that hold a needle
            hit = min((h for n in needles if (h := find(chunk, n, cur)) >= 0), default=-1)
            if hit < 0:
                break
            begin = _last_cut(chunk, cur, hit)
            start = cur if begin < 0 else begin + 1
            end = _next_cut(chunk, hit)
            if end < 0:  # the record runs past the block: open until the next
                cur = start
                break
            yield from _pieces(base + start, chunk[start:end], needles, False)
            cur = end + 1
        if hit < 0:  # the last record of the block stays open
            begin = _last_cut(chunk, cur, len(chunk))
            cur = cur if begin < 0 else begin + 1
        tail, tail_at = chunk[cur:], base + cur
        base += len(chunk)
    if tail.endswith(b"\n"):
        tail = tail[:-1]
    if header and b"\n" in tail.rstrip(b"\r"):
        raise ScanError("no line after the first starts with a quoted number",
                        offset=0, unanchored=True)
    if tail.strip() and (header or any(n in tail for n in needles)):
        yield from _pieces(tail_at, tail, needles, header)


def _pieces(at: int, record: bytes, needles: tuple[bytes, ...], header: bool
            ) -> Iterator[tuple[int, bytes]]:
    """The records within a record cut at quoted numbers (at ``at``), by counting its quotes:
    most often itself alone, but a line that does not start with a quoted number (a blank
    line, an NPI not quoted or empty) was cut as part of the record before it. The first is
    yielded when it is the ``header``, the others when they hold a needle."""
    if b"\n" not in record:
        yield at, record
        return
    start = pos = 0
    odd = 0
    while (end := record.find(b"\n", pos)) >= 0:
        odd ^= record.count(b'"', pos, end) & 1
        pos = end + 1
        if not odd:
            piece = record[start:end]
            if (header and start == 0) or any(n in piece for n in needles):
                yield at + start, piece
            start = pos
    piece = record[start:]
    if piece.strip() and ((header and start == 0) or any(n in piece for n in needles)):
        yield at + start, piece


def line_at(archive: zipfile.ZipFile, member: str, offset: int) -> int | None:
    """The line number of the byte at ``offset`` in ``member`` (read again up to there);
    None when the member cannot be read that far."""
    return lines_at(archive, member, [offset])[0]


def lines_at(archive: zipfile.ZipFile, member: str, offsets: list[int]) -> list[int | None]:
    """The line numbers of the bytes at ``offsets`` (in any order), in one reading of
    ``member`` up to the last of them; None for those it cannot be read as far as."""
    found: dict[int, int] = {}
    wanted = sorted(set(offsets))
    if wanted:
        count, position = 0, 0
        try:
            with open_member(archive, member) as stream:
                for offset in wanted:
                    while position < offset:
                        block = stream.read(min(CHUNK, offset - position))
                        if not block:
                            break
                        count += block.count(b"\n")
                        position += len(block)
                    if position < offset:
                        break
                    found[offset] = count + 1
        except _DAMAGED:
            pass
    return [found.get(offset) for offset in offsets]
