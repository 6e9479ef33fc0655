"""A ZIP reader for OFD packages that works in memory and under limits.

An OFD file (GB/T 33190-2016) is a ZIP container. Evidence arrives from
outside, so the reader trusts none of the sizes, names or offsets it declares:

- the central directory is the only index; every local header must agree with it,
  entries may not overlap one another or the directory, and names may not repeat;
- names are package paths: no ``..`` segment, no leading ``/``, no backslash, no
  drive letter, no NUL;
- declared sizes are held to ``max_member_bytes`` each and ``max_total_bytes`` in
  all, and the ratio of expanded to compressed size to ``max_ratio`` (members that
  expand to at most 1 MiB are exempt: small XML files compress well);
- a member is inflated only when it is read, never past its declared size, and its
  CRC-32 is checked: a decompression bomb costs at most one member's limit;
- only ``stored`` and ``deflate`` members, no encryption, no ZIP64, one disk.
"""

from __future__ import annotations

import itertools
import struct
import zlib
from dataclasses import dataclass
from typing import NamedTuple

from .._exceptions import BayidentError

__all__ = ["ZipFormatError", "ZipLimits", "ZipPackage"]

_LOCAL = b"PK\x03\x04"
_CENTRAL = b"PK\x01\x02"
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_STORED, _DEFLATED = 0, 8
_RATIO_EXEMPT = 1 << 20
_CHUNK = 1 << 16
_EOCD_FIELDS = struct.Struct("<HHHHIIH")
_CENTRAL_FIELDS = struct.Struct("<HHHHIIIHHHH")
_LOCAL_FIELDS = struct.Struct("<HHHHIIIHH")
_U32 = struct.Struct("<I")


class ZipFormatError(BayidentError, ValueError):
    """The package is not a ZIP the reader accepts; ``where`` names the entry or structure."""

    def __init__(self, message: str, where: str = "ZIP container") -> None:
        self.where = where
        self.reason = message
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ZipLimits:
    """The bounds a package must keep (see ``Policy.ofd_*``)."""

    max_member_bytes: int = 64 * 1024 * 1024
    max_total_bytes: int = 256 * 1024 * 1024
    max_ratio: int = 200
    max_entries: int = 10_000


class _Entry(NamedTuple):
    # A tuple: built once per member of every package read, where a frozen dataclass's
    # __init__ costs more than reading the member's headers.
    name: str
    method: int
    crc: int
    compressed: int
    size: int
    data_start: int


def _name_problem(name: str) -> str | None:
    # The usual name ("Doc_0/Pages/Page_0/Content.xml") passes these few scans; only a
    # suspicious one is taken apart below.
    if (
        name
        and name[0] != "/"
        and name[1:2] != ":"
        and "\\" not in name
        and "\x00" not in name
        and ".." not in name
        and "//" not in name
        and "/./" not in name
        and not name.startswith("./")
        and not name.endswith("/.")
        and name != "."
    ):
        return None
    if not name:
        return "an empty name"
    if "\x00" in name:
        return "a NUL character in the name"
    if "\\" in name:
        return "a backslash in the name (not a ZIP path separator)"
    if name.startswith("/"):
        return "an absolute name"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "a drive letter in the name"
    parts = name.rstrip("/").split("/")
    if any(p == ".." for p in parts):
        return "a '..' segment that climbs out of the package"
    if any(p in ("", ".") for p in parts):
        return "an empty or '.' segment in the name"
    return None


def _find_eocd(raw: bytes) -> int:
    lo = max(0, len(raw) - 22 - 0xFFFF)
    pos = raw.rfind(_EOCD, lo)
    while pos >= 0:
        if pos + 22 <= len(raw):
            (comment_len,) = struct.unpack_from("<H", raw, pos + 20)
            if pos + 22 + comment_len == len(raw):
                return pos
        pos = raw.rfind(_EOCD, lo, pos)
    raise ZipFormatError(
        "no end-of-central-directory record at the end of the data (truncated or not a ZIP)"
    )


class ZipPackage:
    """The members of a ZIP held in memory, read on demand and checked against limits."""

    def __init__(self, raw: bytes, limits: ZipLimits | None = None) -> None:
        self._raw = raw
        self.limits = limits or ZipLimits()
        self._entries: dict[str, _Entry] = {}
        self.directories: tuple[str, ...] = ()
        self._cache: dict[str, bytes] = {}
        self._read_directory()

    # --- the index ---------------------------------------------------------------------
    def _read_directory(self) -> None:
        raw = self._raw
        lim = self.limits
        if not raw.startswith(_LOCAL):
            raise ZipFormatError("does not start with a ZIP local file header (PK\\x03\\x04)")
        eocd = _find_eocd(raw)
        disk, cd_disk, n_here, n_total, cd_size, cd_offset, _ = _EOCD_FIELDS.unpack_from(
            raw, eocd + 4
        )
        if disk != 0 or cd_disk != 0 or n_here != n_total:
            raise ZipFormatError("spans several disks, which an OFD package never does")
        if (
            n_total == 0xFFFF
            or cd_size == 0xFFFFFFFF
            or cd_offset == 0xFFFFFFFF
            or (eocd >= 20 and raw[eocd - 20 : eocd - 16] == _ZIP64_LOCATOR)
        ):
            raise ZipFormatError("is a ZIP64 archive, which exceeds every OFD package limit")
        if n_total > lim.max_entries:
            raise ZipFormatError(
                f"declares {n_total} entries, over the limit of {lim.max_entries} "
                "(Policy.ofd_max_entries)"
            )
        if cd_offset + cd_size > eocd:
            raise ZipFormatError("the central directory overlaps its end record or lies past it")
        spans: list[tuple[int, int, str]] = []
        total = 0
        dirs: list[str] = []
        pos = cd_offset
        for i in range(n_total):
            if pos + 46 > cd_offset + cd_size or raw[pos : pos + 4] != _CENTRAL:
                raise ZipFormatError(f"central directory entry {i} is missing or malformed")
            (
                flags,
                method,
                _time,
                _date,
                crc,
                csize,
                usize,
                nlen,
                xlen,
                clen,
                disk_start,
            ) = _CENTRAL_FIELDS.unpack_from(raw, pos + 8)
            (offset,) = _U32.unpack_from(raw, pos + 42)
            name_bytes = raw[pos + 46 : pos + 46 + nlen]
            pos += 46 + nlen + xlen + clen
            if pos > cd_offset + cd_size:
                raise ZipFormatError(f"central directory entry {i} runs past the directory")
            try:
                name = name_bytes.decode("utf-8")
            except UnicodeDecodeError:
                name = name_bytes.decode("cp437")
            where = f"ZIP entry '{name}'"
            problem = _name_problem(name)
            if problem is not None:
                raise ZipFormatError(f"refused: {problem}", where)
            if name in self._entries or name in dirs:
                raise ZipFormatError("the name occurs twice in the central directory", where)
            if flags & 0x1:
                raise ZipFormatError("is encrypted", where)
            if disk_start != 0 or 0xFFFFFFFF in (csize, usize, offset):
                raise ZipFormatError("uses ZIP64 or multi-disk fields", where)
            if method not in (_STORED, _DEFLATED):
                raise ZipFormatError(
                    f"uses compression method {method}; only stored (0) and deflate (8) are read",
                    where,
                )
            if method == _STORED and csize != usize:
                raise ZipFormatError("is stored but its two sizes differ", where)
            if usize > lim.max_member_bytes:
                raise ZipFormatError(
                    f"expands to {usize} bytes, over the limit of {lim.max_member_bytes} "
                    "bytes a member (Policy.ofd_max_member_bytes): refused as a decompression bomb",
                    where,
                )
            if usize > _RATIO_EXEMPT and usize > lim.max_ratio * max(csize, 1):
                raise ZipFormatError(
                    f"expands {usize // max(csize, 1)}:1 ({csize} to {usize} bytes), over the "
                    f"ratio of {lim.max_ratio}:1 (Policy.ofd_max_compression_ratio): refused as "
                    "a decompression bomb",
                    where,
                )
            total += usize
            if total > lim.max_total_bytes:
                raise ZipFormatError(
                    f"the members expand to more than {lim.max_total_bytes} bytes in all "
                    "(Policy.ofd_max_package_bytes)"
                )
            data_start, span_end = self._local(offset, name_bytes, csize, flags, where)
            if span_end > cd_offset:
                raise ZipFormatError("its data runs into the central directory", where)
            spans.append((offset, span_end, name))
            if name.endswith("/"):
                if usize:
                    raise ZipFormatError("a directory entry with content", where)
                dirs.append(name)
                continue
            self._entries[name] = _Entry(name, method, crc, csize, usize, data_start)
        spans.sort()
        for (_, end_a, name_a), (start_b, _, name_b) in itertools.pairwise(spans):
            if start_b < end_a:
                raise ZipFormatError(
                    f"entries '{name_a}' and '{name_b}' overlap (the same bytes read twice)"
                )
        self.directories = tuple(dirs)

    def _local(
        self, offset: int, name_bytes: bytes, csize: int, flags: int, where: str
    ) -> tuple[int, int]:
        raw = self._raw
        if offset + 30 > len(raw) or raw[offset : offset + 4] != _LOCAL:
            raise ZipFormatError("its local header is missing", where)
        lflags, _m, _t, _d, _crc, _cs, _us, lnlen, lxlen = _LOCAL_FIELDS.unpack_from(
            raw, offset + 6
        )
        if lnlen != len(name_bytes) or raw[offset + 30 : offset + 30 + lnlen] != name_bytes:
            raise ZipFormatError("its local header names another file", where)
        if (lflags ^ flags) & 0x1:
            raise ZipFormatError("local header and directory disagree on encryption", where)
        start = offset + 30 + lnlen + lxlen
        end = start + csize
        if end > len(raw):
            raise ZipFormatError("its data runs past the end of the package (truncated)", where)
        if flags & 0x8:
            # A data descriptor follows: 12 or 16 bytes (with the optional signature).
            end += 16 if raw[end : end + 4] == b"PK\x07\x08" else 12
        return start, end

    # --- members -----------------------------------------------------------------------
    def names(self) -> tuple[str, ...]:
        """The file members (not directories), in directory order."""
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def size(self, name: str) -> int:
        """The declared expanded size of a member."""
        return self._entries[name].size

    def read(self, name: str) -> bytes:
        """A member's bytes, inflated within its declared size; KeyError when absent."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        e = self._entries[name]
        where = f"ZIP entry '{name}'"
        data = self._raw[e.data_start : e.data_start + e.compressed]
        out = data if e.method == _STORED else self._inflate(data, e.size, where)
        if zlib.crc32(out) != e.crc:
            raise ZipFormatError("its CRC-32 does not match the data (corrupt member)", where)
        self._cache[name] = out
        return out

    @staticmethod
    def _inflate(data: bytes, size: int, where: str) -> bytes:
        if size < _CHUNK:
            # The usual member: one bounded call, at most one byte past the declared size.
            inflater = zlib.decompressobj(-15)
            try:
                out = inflater.decompress(data, size + 1)
            except zlib.error as exc:
                raise ZipFormatError(f"its deflate stream is corrupt: {exc}", where) from None
            if inflater.eof and len(out) == size:
                return out
            if len(out) > size:
                raise ZipFormatError(
                    f"inflates beyond its declared size of {size} bytes (a lying header)", where
                )
        inflater = zlib.decompressobj(-15)
        parts: list[bytes] = []
        produced = 0
        pending = data
        try:
            while True:
                # Never more than the declared size (plus one byte to see an overrun).
                want = min(_CHUNK, size + 1 - produced)
                piece = inflater.decompress(pending, want)
                pending = inflater.unconsumed_tail
                produced += len(piece)
                if produced > size:
                    raise ZipFormatError(
                        f"inflates beyond its declared size of {size} bytes (a lying header)",
                        where,
                    )
                parts.append(piece)
                if inflater.eof or (not piece and not pending):
                    break
            if not inflater.eof:
                raise ZipFormatError("its deflate stream is truncated", where)
        except zlib.error as exc:
            raise ZipFormatError(f"its deflate stream is corrupt: {exc}", where) from None
        if produced != size:
            raise ZipFormatError(f"inflates to {produced} bytes, not the declared {size}", where)
        return b"".join(parts)
