"""SM3 hash (GB/T 32905-2016, GM/T 0004-2012): bayident's one SM3 entry point.

SM3 is taken from ``cryptography`` (a core dependency, whose OpenSSL ships SM3), else from
``tongsuopy`` when the ``sm`` extra is installed; each is accepted only after it computes
the standard's known answer. Content digests, Z_A and e all come from here. (An
independent pure-Python SM3 lives in the tests, as an oracle.)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Protocol

from bayident._exceptions import InvalidArgument, MissingExtraError

__all__ = ["BytesLike", "SM3Hash", "backend_name", "sm3"]

BytesLike = bytes | bytearray | memoryview

DIGEST_SIZE = 32
BLOCK_SIZE = 64

# Known answer of GB/T 32905-2016 Annex A.1, used to accept a backend only if it
# really computes SM3 (some builds expose the name but fail on use).
_ABC_DIGEST = bytes.fromhex("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")


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
    raise MissingExtraError("SM3", "sm", "an OpenSSL with SM3")


def backend_name() -> str:
    """Name of the SM3 implementation in use: ``cryptography`` or ``tongsuopy``."""
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
