"""A pure-Python SM3 (GB/T 32905-2016), written from the standard: an independent oracle
for the SM3 bayident takes from pyca/cryptography (OpenSSL) or tongsuopy."""

from __future__ import annotations

import struct

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
    """Streaming SM3 in pure Python."""

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


def reference_sm3(data: bytes) -> bytes:
    """SM3 of ``data``, in pure Python."""
    ctx = _PureSM3()
    ctx.update(data)
    return ctx.finalize()
