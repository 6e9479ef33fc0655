"""SM3 hash (GB/T 32905-2016, GM/T 0004-2012).

SM3 is taken from ``cryptography`` (a core dependency, whose OpenSSL ships
SM3), else from ``tongsuopy`` when the ``sm`` extra is installed, else from
the pure-Python implementation below. The pure-Python code is kept so that
Z_A and e can always be computed, but it is slow (under 1 MB/s against
several hundred MB/s for OpenSSL), so :func:`backend_name` tells which one
is in use.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from typing import Any, Protocol

from bayident._exceptions import InvalidArgument

__all__ = ["BytesLike", "SM3Hash", "backend_name", "sm3"]

BytesLike = bytes | bytearray | memoryview

DIGEST_SIZE = 32
BLOCK_SIZE = 64

_IV = (
    0x7380166F,
    0x4914B2B9,
    0x172442D7,
    0xDA8A0600,
    0xA96F30BC,
    0x163138AA,
    0xE38DEE4D,
    0xB0FB0E4E,
)
_MASK = 0xFFFFFFFF
# Known answer of GB/T 32905-2016 Annex A.1, used to accept a backend only if it
# really computes SM3 (some builds expose the name but fail on use).
_ABC_DIGEST = bytes.fromhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _MASK


_T = tuple(_rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64))


def _compress(v: tuple[int, ...], block: bytes) -> tuple[int, ...]:
    w = list(struct.unpack(">16I", block))
    for j in range(16, 68):
        x = w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)
        p1 = x ^ _rotl(x, 15) ^ _rotl(x, 23)
        w.append(p1 ^ _rotl(w[j - 13], 7) ^ w[j - 6])
    a, b, c, d, e, f, g, h = v
    for j in range(64):
        a12 = _rotl(a, 12)
        ss1 = _rotl((a12 + e + _T[j]) & _MASK, 7)
        ss2 = ss1 ^ a12
        if j < 16:
            ff = a ^ b ^ c
            gg = e ^ f ^ g
        else:
            ff = (a & b) | (a & c) | (b & c)
            gg = (e & f) | (~e & g)
        tt1 = (ff + d + ss2 + (w[j] ^ w[j + 4])) & _MASK
        tt2 = (gg + h + ss1 + w[j]) & _MASK
        d, c, b, a = c, _rotl(b, 9), a, tt1
        h, g, f, e = g, _rotl(f, 19), e, tt2 ^ _rotl(tt2, 9) ^ _rotl(tt2, 17)
    return tuple(x ^ y for x, y in zip((a, b, c, d, e, f, g, h), v, strict=True))


class _PureSM3:
    """Streaming SM3 in pure Python (reference and last-resort fallback)."""

    __slots__ = ("_buffer", "_length", "_v")

    def __init__(self) -> None:
        self._v: tuple[int, ...] = _IV
        self._buffer = b""
        self._length = 0

    def update(self, data: bytes) -> None:
        self._length += len(data)
        buf = self._buffer + data
        full = len(buf) - len(buf) % BLOCK_SIZE
        v = self._v
        for i in range(0, full, BLOCK_SIZE):
            v = _compress(v, buf[i : i + BLOCK_SIZE])
        self._v = v
        self._buffer = buf[full:]

    def copy(self) -> _PureSM3:
        other = _PureSM3()
        other._v, other._buffer, other._length = self._v, self._buffer, self._length
        return other

    def finalize(self) -> bytes:
        bit_length = (self._length * 8) & 0xFFFFFFFFFFFFFFFF
        tail = self._buffer + b"\x80"
        tail += b"\x00" * ((56 - len(tail)) % BLOCK_SIZE) + struct.pack(">Q", bit_length)
        v = self._v
        for i in range(0, len(tail), BLOCK_SIZE):
            v = _compress(v, tail[i : i + BLOCK_SIZE])
        return struct.pack(">8I", *v)


class _Context(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def copy(self) -> _Context: ...
    def finalize(self) -> bytes: ...


def _cryptography_factory() -> Callable[[], _Context]:
    from cryptography.hazmat.primitives import hashes

    def make() -> _Context:
        ctx: Any = hashes.Hash(hashes.SM3())
        return ctx  # type: ignore[no-any-return]

    return make


def _tongsuopy_factory() -> Callable[[], _Context]:
    from tongsuopy.crypto import hashes

    def make() -> _Context:
        ctx: Any = hashes.Hash(hashes.SM3())
        return ctx  # type: ignore[no-any-return]

    return make


@functools.cache
def _select() -> tuple[str, Callable[[], _Context]]:
    candidates: tuple[tuple[str, Callable[[], Callable[[], _Context]]], ...] = (
        ("cryptography", _cryptography_factory),
        ("tongsuopy", _tongsuopy_factory),
    )
    for name, loader in candidates:
        # Any failure (missing module, algorithm compiled out, wrong answer)
        # only means this backend is not used.
        try:
            make = loader()
            ctx = make()
            ctx.update(b"abc")
            if ctx.finalize() == _ABC_DIGEST:
                return name, make
        except Exception:  # noqa: S112
            continue
    return "pure-python", _PureSM3


def backend_name() -> str:
    """Name of the SM3 implementation in use: ``cryptography``, ``tongsuopy`` or ``pure-python``."""
    return _select()[0]


def _as_bytes(data: object, what: str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise InvalidArgument(f"{what} must be bytes, not {type(data).__name__}")


class SM3Hash:
    """Incremental SM3, with the ``hashlib`` interface (``update``/``digest``/``copy``).

    ``digest()`` may be called more than once and hashing may continue after it,
    so large content can be fed in chunks of any size.
    """

    __slots__ = ("_ctx",)

    digest_size = DIGEST_SIZE
    block_size = BLOCK_SIZE
    name = "sm3"

    def __init__(self, data: BytesLike = b"") -> None:
        self._ctx: _Context = _select()[1]()
        if data:
            self.update(data)

    def update(self, data: BytesLike) -> None:
        """Feed more bytes (``bytes``, ``bytearray`` or ``memoryview``)."""
        self._ctx.update(_as_bytes(data, "data"))

    def digest(self) -> bytes:
        """The 32-byte digest of everything fed so far."""
        return self._ctx.copy().finalize()

    def hexdigest(self) -> str:
        """:meth:`digest` as lower-case hexadecimal."""
        return self.digest().hex()

    def copy(self) -> SM3Hash:
        """An independent copy of the current state."""
        other = SM3Hash.__new__(SM3Hash)
        other._ctx = self._ctx.copy()
        return other


def sm3(data: BytesLike) -> bytes:
    """The 32-byte SM3 digest of ``data``."""
    ctx = _select()[1]()
    ctx.update(_as_bytes(data, "data"))
    return ctx.finalize()
