"""The SM2 backend: Tongsuo (an OpenSSL fork) through ``tongsuopy``.

``tongsuopy``'s public API only signs and verifies with the default signer ID
(it feeds the message to ``EVP_DigestSign``/``EVP_DigestVerify``, which compute
Z_A with ``1234567812345678``), and it has no way to set another ID. Its
keys are however typed ``EVP_PKEY_SM2``, for which ``EVP_PKEY_sign`` and
``EVP_PKEY_verify`` take the 32-byte e directly. So Z_A and e are computed by
the caller and only the curve arithmetic runs here, whatever the signer ID.

``tongsuopy`` is imported on first use, so that :mod:`bayident.sm` can be
imported (and SM3, Z_A, key parsing used) without the ``sm`` extra.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any, NamedTuple

from bayident._exceptions import BayidentError

__all__ = [
    "INSTALL_HINT",
    "SMBackendUnavailable",
    "available",
    "generate_private_value",
    "private_handle",
    "private_key_pkcs8",
    "public_handle",
    "public_point",
    "sign_digest",
    "verify_digest",
]

INSTALL_HINT = "pip install 'bayident[sm]'"


class SMBackendUnavailable(BayidentError, ImportError):
    """SM2 signing or verification was asked for but ``tongsuopy`` is not installed."""

    def __init__(self, detail: str = "") -> None:
        message = f"SM2 needs the optional 'sm' extra: {INSTALL_HINT}"
        if detail:
            message += f" ({detail})"
        super().__init__(message)


class _Tongsuo(NamedTuple):
    backend: Any
    lib: Any
    ffi: Any
    ec: ModuleType
    serialization: ModuleType


@functools.cache
def _load() -> _Tongsuo | str:
    """The backend modules, or why they could not be imported."""
    try:
        from tongsuopy.backends.tongsuo import backend
        from tongsuopy.crypto import serialization
        from tongsuopy.crypto.asymciphers import ec
    except ImportError as exc:
        return f"{type(exc).__name__}: {exc}"
    lib = backend._lib
    for needed in ("EVP_PKEY_CTX_new", "EVP_PKEY_verify_init", "EVP_PKEY_sign_init", "EVP_PKEY_id"):
        if not hasattr(lib, needed):
            return f"tongsuopy lacks {needed}"
    return _Tongsuo(backend, lib, backend._ffi, ec, serialization)


def _tongsuo() -> _Tongsuo:
    loaded = _load()
    if isinstance(loaded, str):
        raise SMBackendUnavailable(loaded)
    return loaded


def available() -> bool:
    """Whether ``tongsuopy`` can be imported and has what SM2 needs."""
    return not isinstance(_load(), str)


def _check_sm2_key(t: _Tongsuo, evp_pkey: Any) -> None:
    # EVP_PKEY_verify on a plain EC key would run ECDSA, not SM2.
    if t.lib.EVP_PKEY_id(evp_pkey) != t.lib.EVP_PKEY_SM2:
        raise RuntimeError("tongsuopy did not type the key as EVP_PKEY_SM2")


def public_handle(x: int, y: int) -> Any:
    """A backend public key for the point (x, y), already checked to be on the curve."""
    t = _tongsuo()
    key = t.ec.EllipticCurvePublicNumbers(x, y, t.ec.SM2()).public_key()
    _check_sm2_key(t, key._evp_pkey)
    return key


def verify_digest(handle: Any, der_signature: bytes, e: bytes) -> bool:
    """Whether the canonical DER ``der_signature`` is valid over the 32-byte ``e``."""
    t = _tongsuo()
    ctx = t.lib.EVP_PKEY_CTX_new(handle._evp_pkey, t.ffi.NULL)
    if ctx == t.ffi.NULL:
        t.lib.ERR_clear_error()
        raise MemoryError("EVP_PKEY_CTX_new failed")
    try:
        if t.lib.EVP_PKEY_verify_init(ctx) != 1:
            t.lib.ERR_clear_error()
            raise RuntimeError("EVP_PKEY_verify_init failed for an SM2 key")
        # 1 is valid, 0 is a wrong signature, <0 an error (e.g. a DER the
        # backend will not read): only 1 passes.
        result: int = t.lib.EVP_PKEY_verify(ctx, der_signature, len(der_signature), e, len(e))
        ok = result == 1
        if not ok:
            t.lib.ERR_clear_error()
        return ok
    finally:
        t.lib.EVP_PKEY_CTX_free(ctx)


def private_handle(private_value: int) -> Any:
    """A backend private key for the scalar ``private_value`` (1 <= d <= n-2)."""
    t = _tongsuo()
    key = t.ec.derive_private_key(private_value, t.ec.SM2())
    _check_sm2_key(t, key._evp_pkey)
    return key


def generate_private_value() -> int:
    """A fresh private scalar from the backend's random generator."""
    t = _tongsuo()
    key = t.ec.generate_private_key(t.ec.SM2())
    value: int = key.private_numbers().private_value
    return value


def public_point(handle: Any) -> tuple[int, int]:
    """The affine public point of a backend private key."""
    numbers = handle.public_key().public_numbers()
    return int(numbers.x), int(numbers.y)


def sign_digest(handle: Any, e: bytes) -> bytes:
    """A DER SM2 signature over the 32-byte ``e`` (random k from the backend)."""
    t = _tongsuo()
    ctx = t.lib.EVP_PKEY_CTX_new(handle._evp_pkey, t.ffi.NULL)
    if ctx == t.ffi.NULL:
        t.lib.ERR_clear_error()
        raise MemoryError("EVP_PKEY_CTX_new failed")
    try:
        if t.lib.EVP_PKEY_sign_init(ctx) != 1:
            t.lib.ERR_clear_error()
            raise RuntimeError("EVP_PKEY_sign_init failed for an SM2 key")
        size = t.ffi.new("size_t *")
        if t.lib.EVP_PKEY_sign(ctx, t.ffi.NULL, size, e, len(e)) != 1:
            t.lib.ERR_clear_error()
            raise RuntimeError("EVP_PKEY_sign could not size the signature")
        buf = t.ffi.new("unsigned char[]", size[0])
        if t.lib.EVP_PKEY_sign(ctx, buf, size, e, len(e)) != 1:
            t.lib.ERR_clear_error()
            raise RuntimeError("EVP_PKEY_sign failed")
        return bytes(t.ffi.buffer(buf, size[0]))
    finally:
        t.lib.EVP_PKEY_CTX_free(ctx)


def private_key_pkcs8(handle: Any, *, pem: bool) -> bytes:
    """Unencrypted PKCS#8 (id-ecPublicKey with the SM2 curve OID), DER or PEM."""
    t = _tongsuo()
    ser = t.serialization
    encoding = ser.Encoding.PEM if pem else ser.Encoding.DER
    data: bytes = handle.private_bytes(encoding, ser.PrivateFormat.PKCS8, ser.NoEncryption())
    return data
