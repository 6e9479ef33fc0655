"""SM2 digital signatures (GB/T 32918.2-2016, GM/T 0003.2-2012) on sm2p256v1.

The verifier computes Z_A and e = SM3(Z_A ‖ M) itself (see :func:`compute_za`)
and hands only e, the public key and a re-encoded canonical DER signature to
the Tongsuo backend. Everything that can be decided without curve arithmetic
(encodings, ranges, the public key being on the curve) is checked here first,
so a failure names the exact field at fault.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, ClassVar, Literal

from bayident import _der as d
from bayident._exceptions import BayidentError, InvalidArgument
from bayident._memo import Memo
from bayident.sm import _backend
from bayident.sm._sm3 import SM3Hash, sm3

__all__ = [
    "DEFAULT_SM2_ID",
    "SM2Error",
    "SM2Failure",
    "SM2KeyError",
    "SM2PrivateKey",
    "SM2PublicKey",
    "SM2SignatureError",
    "SM2Variant",
    "compute_za",
    "generate_sm2_key",
    "sm2_hasher",
    "sm2_sign",
    "sm2_verify",
    "sm2_verify_variants",
    "sm_available",
]

#: The signer ID of GM/T 0009-2012 §10, used when none was agreed.
DEFAULT_SM2_ID = b"1234567812345678"

# sm2p256v1, GB/T 32918.5-2017 §3.
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
A = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
B = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
GX = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
GY = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_SM2P256V1 = "1.2.156.10197.1.301"

_CURVE_BYTES = b"".join(v.to_bytes(32, "big") for v in (A, B, GX, GY))
# ENTL is a 16-bit count of ID *bits*.
_MAX_ID_BYTES = 0xFFFF // 8
# A DER SM2 signature is at most 72 bytes; anything much longer is not worth parsing.
_MAX_SIGNATURE_BYTES = 80
_MAX_SPKI_BYTES = 1024

_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


class SM2Failure(StrEnum):
    """What kind of failure an :class:`SM2SignatureError` reports."""

    #: The signature (or the digest given for it) is not a well-formed encoding.
    MALFORMED = "MALFORMED"
    #: r or s lies outside [1, n-1] (or r + s = n): rejected before any curve arithmetic.
    OUT_OF_RANGE = "OUT_OF_RANGE"
    #: Well-formed, but the equation does not hold for this key, signer ID and e.
    MISMATCH = "MISMATCH"


class SM2Variant(StrEnum):
    """How e was derived from the message M for a signature that verified.

    Only ``STANDARD`` is GB/T 32918.2; the others are signer-side deviations seen
    in the field and must never be reported as standard.
    """

    #: e = SM3(Z_A ‖ M), as the standard requires.
    STANDARD = "STANDARD"
    #: e = SM3(M): the signer signed the bare SM3 digest of M, without Z_A.
    RAW_DIGEST = "RAW_DIGEST"
    #: e = SM3(Z_A ‖ SM3(M)): the signer hashed M first and then signed the digest normally.
    Z_PLUS_SM3_OF_MESSAGE = "Z_PLUS_SM3_OF_MESSAGE"


class SM2Error(BayidentError, ValueError):
    """Base of SM2 failures; ``field`` names what is at fault, ``reason`` says how."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class SM2KeyError(SM2Error):
    """A public or private key that is not a usable SM2 key."""


class SM2SignatureError(SM2Error):
    """A signature that does not verify; ``failure`` tells malformed, out of range or wrong."""

    def __init__(self, field: str, reason: str, failure: SM2Failure) -> None:
        self.failure = failure
        super().__init__(field, reason)


def sm_available() -> bool:
    """Whether SM2 signing and verification can run (the ``sm`` extra is installed)."""
    return _backend.available()


# --- strict DER ---------------------------------------------------------------------------


def _read_tlv(
    data: bytes, pos: int, end: int, field: str, error: type[SM2Error], expect: int
) -> tuple[int, int]:
    """Read one DER element with tag ``expect`` at ``pos``; return its content span."""

    def fail(reason: str) -> SM2Error:
        if error is SM2SignatureError:
            return SM2SignatureError(field, reason, SM2Failure.MALFORMED)
        return error(field, reason)

    if pos >= end:
        raise fail("truncated: element missing")
    tag = data[pos]
    if tag != expect:
        raise fail(f"expected DER tag 0x{expect:02x}, found 0x{tag:02x}")
    try:
        tlv = d.read_der(data, pos, end, field)
    except d.DERError as exc:
        raise fail(str(exc).removeprefix(f"{field}: ")) from None
    return tlv.start, tlv.end


def _der_integer(value: int) -> bytes:
    return d.encode_tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _decode_oid(content: bytes) -> str | None:
    """Dotted form of an OID's content octets, or None if not validly encoded."""
    try:
        return d.decode_oid(content, d.TLV(d.OID, 0, len(content), len(content), 0), "OID")
    except d.DERError:
        return None


# --- public keys ----------------------------------------------------------------------------


def _check_point(x: int, y: int, field: str) -> None:
    if not 0 <= x < P:
        raise SM2KeyError(field, "x coordinate is not in [0, p-1]")
    if not 0 <= y < P:
        raise SM2KeyError(field, "y coordinate is not in [0, p-1]")
    # The cofactor of sm2p256v1 is 1, so a point on the curve is in the group of
    # order n; the point at infinity has no affine form and never reaches here.
    if (y * y - (x * x * x + A * x + B)) % P != 0:
        raise SM2KeyError(field, "point is not on the SM2 curve (y² ≠ x³ + ax + b mod p)")


def _as_bytes(value: object, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    raise InvalidArgument(f"{what} must be bytes, not {type(value).__name__}")


_PEM_RE = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]{1,40})-----([A-Za-z0-9+/=\s]*)-----END \1-----", re.ASCII
)


def _pem_body(data: bytes, label: str, field: str) -> bytes:
    if len(data) > 4 * _MAX_SPKI_BYTES:
        raise SM2KeyError(field, f"PEM is {len(data)} bytes, more than {4 * _MAX_SPKI_BYTES}")
    match = _PEM_RE.search(data)
    if match is None:
        raise SM2KeyError(field, "no PEM block found")
    if match.group(1).decode("ascii") != label:
        raise SM2KeyError(field, f"PEM block is {match.group(1).decode('ascii')!r}, not {label!r}")
    try:
        return base64.b64decode(b"".join(match.group(2).split()), validate=True)
    except binascii.Error as exc:
        raise SM2KeyError(field, f"PEM body is not valid base64 ({exc})") from None


def _pem(label: str, der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        b"\n".join([f"-----BEGIN {label}-----".encode(), *lines, f"-----END {label}-----".encode()])
        + b"\n"
    )


class SM2PublicKey:
    """An SM2 public key: a point (x, y) checked to lie on sm2p256v1.

    Build one from coordinates (``SM2PublicKey(x, y)``), from point octets
    (:meth:`from_point`) or from a SubjectPublicKeyInfo (:meth:`from_spki_der`,
    :meth:`from_spki_pem`). Invalid keys raise :class:`SM2KeyError`.
    """

    __slots__ = ("_handle", "_x", "_y")

    #: The curve's name as policies call it (``bayident.Policy.ec_curves``).
    curve_name: ClassVar[str] = "sm2"

    def __init__(self, x: int, y: int) -> None:
        if type(x) is not int or type(y) is not int:
            raise InvalidArgument("SM2PublicKey coordinates must be int")
        _check_point(x, y, "public_key")
        self._x = x
        self._y = y
        self._handle: Any = None

    @property
    def x(self) -> int:
        """Affine x coordinate."""
        return self._x

    @property
    def y(self) -> int:
        """Affine y coordinate."""
        return self._y

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SM2PublicKey):
            return NotImplemented
        return (self._x, self._y) == (other._x, other._y)

    def __hash__(self) -> int:
        return hash((SM2PublicKey, self._x, self._y))

    def __repr__(self) -> str:
        return f"SM2PublicKey(x=0x{self._x:064X}, y=0x{self._y:064X})"

    @classmethod
    def from_point(cls, data: bytes, *, field: str = "public_key") -> SM2PublicKey:
        """Load SEC 1 point octets: ``04‖x‖y`` (65 bytes) or compressed ``02/03‖x`` (33 bytes)."""
        data = _as_bytes(data, "data")
        if data == b"\x00":
            raise SM2KeyError(field, "the point at infinity is not a public key")
        if not data:
            raise SM2KeyError(field, "point octets are empty")
        kind = data[0]
        if kind == 0x04:
            if len(data) != 65:
                raise SM2KeyError(field, f"uncompressed point is {len(data)} bytes, expected 65")
            x = int.from_bytes(data[1:33], "big")
            y = int.from_bytes(data[33:], "big")
            _check_point(x, y, field)
            return cls(x, y)
        if kind in (0x02, 0x03):
            if len(data) != 33:
                raise SM2KeyError(field, f"compressed point is {len(data)} bytes, expected 33")
            x = int.from_bytes(data[1:], "big")
            if x >= P:
                raise SM2KeyError(field, "x coordinate is not in [0, p-1]")
            rhs = (x * x * x + A * x + B) % P
            # p ≡ 3 (mod 4), so a square root is rhs^((p+1)/4) when one exists.
            y = pow(rhs, (P + 1) // 4, P)
            if y * y % P != rhs:
                raise SM2KeyError(field, "compressed x has no point on the SM2 curve")
            if y & 1 != kind & 1:
                y = P - y
            return cls(x, y)
        raise SM2KeyError(
            field, f"unsupported point format 0x{kind:02x} (expected 0x04, 0x02 or 0x03)"
        )

    @classmethod
    def from_spki_der(cls, data: bytes, *, field: str = "public_key") -> SM2PublicKey:
        """Load a DER SubjectPublicKeyInfo with id-ecPublicKey and the sm2p256v1 curve OID."""
        data = _as_bytes(data, "data")
        if len(data) > _MAX_SPKI_BYTES:
            raise SM2KeyError(
                field, f"SubjectPublicKeyInfo is {len(data)} bytes, more than {_MAX_SPKI_BYTES}"
            )
        start, end = _read_tlv(data, 0, len(data), field, SM2KeyError, 0x30)
        if end != len(data):
            raise SM2KeyError(field, f"{len(data) - end} trailing bytes after SubjectPublicKeyInfo")
        alg_f = f"{field}.algorithm"
        a_start, a_end = _read_tlv(data, start, end, alg_f, SM2KeyError, 0x30)
        o_start, o_end = _read_tlv(data, a_start, a_end, f"{alg_f}.algorithm", SM2KeyError, 0x06)
        oid = _decode_oid(data[o_start:o_end])
        if oid != OID_EC_PUBLIC_KEY:
            raise SM2KeyError(
                alg_f,
                f"algorithm is {oid or 'an invalid OID'}, not id-ecPublicKey ({OID_EC_PUBLIC_KEY})",
            )
        params_f = f"{alg_f}.parameters"
        if o_end >= a_end:
            raise SM2KeyError(params_f, "missing: the curve must be named")
        if data[o_end] != 0x06:
            raise SM2KeyError(
                params_f,
                "not a named curve OID (explicit or implicit parameters are not supported)",
            )
        c_start, c_end = _read_tlv(data, o_end, a_end, params_f, SM2KeyError, 0x06)
        curve = _decode_oid(data[c_start:c_end])
        if curve != OID_SM2P256V1:
            raise SM2KeyError(
                params_f, f"curve is {curve or 'an invalid OID'}, not sm2p256v1 ({OID_SM2P256V1})"
            )
        if c_end != a_end:
            raise SM2KeyError(alg_f, "unexpected content after the curve OID")
        key_f = f"{field}.subjectPublicKey"
        k_start, k_end = _read_tlv(data, a_end, end, key_f, SM2KeyError, 0x03)
        if k_end != end:
            raise SM2KeyError(field, "unexpected content after subjectPublicKey")
        if k_start == k_end or data[k_start] != 0:
            raise SM2KeyError(key_f, "BIT STRING must have 0 unused bits")
        return cls.from_point(data[k_start + 1 : k_end], field=key_f)

    @classmethod
    def from_spki_pem(cls, data: bytes, *, field: str = "public_key") -> SM2PublicKey:
        """Load a PEM ``PUBLIC KEY`` block (see :meth:`from_spki_der`)."""
        return cls.from_spki_der(
            _pem_body(_as_bytes(data, "data"), "PUBLIC KEY", field), field=field
        )

    def to_point(self, *, compressed: bool = False) -> bytes:
        """SEC 1 point octets, uncompressed ``04‖x‖y`` unless ``compressed``."""
        if compressed:
            return bytes([0x02 | (self._y & 1)]) + self._x.to_bytes(32, "big")
        return b"\x04" + self._x.to_bytes(32, "big") + self._y.to_bytes(32, "big")

    def to_spki_der(self) -> bytes:
        """DER SubjectPublicKeyInfo (id-ecPublicKey, sm2p256v1, uncompressed point)."""
        return _SPKI_PREFIX + self.to_point()

    def to_spki_pem(self) -> bytes:
        """PEM ``PUBLIC KEY`` block of :meth:`to_spki_der`."""
        return _pem("PUBLIC KEY", self.to_spki_der())

    def _backend_key(self) -> Any:
        # Built once per key: creating it costs about as much as one verification.
        if self._handle is None:
            try:
                self._handle = _backend.public_handle(self._x, self._y)
            except _backend.SMBackendUnavailable:
                raise
            except Exception as exc:
                # Not expected for a point that passed _check_point; reported, not raised raw.
                raise SM2KeyError("public_key", f"rejected by the SM2 backend: {exc}") from exc
        return self._handle


# --- Z_A and e ------------------------------------------------------------------------------


def _check_id(signer_id: object) -> bytes:
    signer_id = _as_bytes(signer_id, "signer_id")
    if len(signer_id) > _MAX_ID_BYTES:
        raise InvalidArgument(
            f"signer_id is {len(signer_id)} bytes; ENTL allows at most {_MAX_ID_BYTES}"
        )
    return signer_id


def _check_public_key(public_key: object) -> SM2PublicKey:
    if not isinstance(public_key, SM2PublicKey):
        raise InvalidArgument(
            f"public_key must be an SM2PublicKey, not {type(public_key).__name__}"
        )
    return public_key


# Process-wide: Z_A is a pure function of the key and the signer ID.
_ZA_CACHE: Memo[tuple[int, int, bytes], bytes] = Memo(4096)


def compute_za(public_key: SM2PublicKey, signer_id: bytes = DEFAULT_SM2_ID) -> bytes:
    """Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) (GB/T 32918.2 §5.5)."""
    public_key = _check_public_key(public_key)
    signer_id = _check_id(signer_id)
    # Z_A depends only on the key and the ID, and a signer's key signs again and again.
    key = (public_key.x, public_key.y, signer_id)
    za = _ZA_CACHE.get(key)
    if za is None:
        entl = (len(signer_id) * 8).to_bytes(2, "big")
        za = sm3(entl + signer_id + _CURVE_BYTES + public_key.to_point()[1:])
        _ZA_CACHE.put(key, za)
    return za


def _e_of(za: bytes, message: bytes) -> bytes:
    # Streamed so that a large message is not copied to prepend Z_A.
    hasher = SM3Hash(za)
    hasher.update(message)
    return hasher.digest()


def sm2_hasher(public_key: SM2PublicKey, signer_id: bytes = DEFAULT_SM2_ID) -> SM3Hash:
    """An :class:`SM3Hash` already fed Z_A: feed M to it and pass ``digest()`` as ``digest_e``.

    Lets a large message be hashed in chunks for :func:`sm2_verify`.
    """
    return SM3Hash(compute_za(public_key, signer_id))


# --- signatures -----------------------------------------------------------------------------

SignatureEncoding = Literal["der", "raw", "auto"]


def _parse_der_integer(data: bytes, start: int, end: int, field: str) -> int:
    content = data[start:end]
    if not content:
        raise SM2SignatureError(field, "INTEGER has no content octets", SM2Failure.MALFORMED)
    if content[0] & 0x80:
        raise SM2SignatureError(field, "INTEGER is negative", SM2Failure.MALFORMED)
    if len(content) > 1 and content[0] == 0 and not content[1] & 0x80:
        raise SM2SignatureError(
            field, "INTEGER has a redundant leading zero (not DER)", SM2Failure.MALFORMED
        )
    return int.from_bytes(content, "big")


def _parse_der_signature(data: bytes) -> tuple[int, int]:
    start, end = _read_tlv(data, 0, len(data), "signature", SM2SignatureError, 0x30)
    if end != len(data):
        raise SM2SignatureError(
            "signature",
            f"{len(data) - end} trailing bytes after the DER SEQUENCE",
            SM2Failure.MALFORMED,
        )
    r_start, r_end = _read_tlv(data, start, end, "signature.r", SM2SignatureError, 0x02)
    s_start, s_end = _read_tlv(data, r_end, end, "signature.s", SM2SignatureError, 0x02)
    if s_end != end:
        raise SM2SignatureError(
            "signature", "unexpected content after s inside the SEQUENCE", SM2Failure.MALFORMED
        )
    return (
        _parse_der_integer(data, r_start, r_end, "signature.r"),
        _parse_der_integer(data, s_start, s_end, "signature.s"),
    )


def _parse_signature(signature: object, encoding: object) -> tuple[int, int]:
    signature = _as_bytes(signature, "signature")
    if encoding not in ("der", "raw", "auto"):
        raise InvalidArgument(f"encoding must be 'der', 'raw' or 'auto', not {encoding!r}")
    if len(signature) > _MAX_SIGNATURE_BYTES:
        raise SM2SignatureError(
            "signature",
            f"{len(signature)} bytes, more than an SM2 signature can take ({_MAX_SIGNATURE_BYTES})",
            SM2Failure.MALFORMED,
        )
    if encoding == "raw":
        if len(signature) != 64:
            raise SM2SignatureError(
                "signature", f"raw r‖s must be 64 bytes, got {len(signature)}", SM2Failure.MALFORMED
            )
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    elif encoding == "der":
        r, s = _parse_der_signature(signature)
    else:
        try:
            r, s = _parse_der_signature(signature)
        except SM2SignatureError:
            # 64 bytes that are not DER are raw r‖s; otherwise say why the DER
            # failed when it looked like DER, or that it is neither form.
            if len(signature) == 64:
                r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            elif signature[:1] == b"\x30":
                raise
            else:
                raise SM2SignatureError(
                    "signature",
                    f"neither DER (does not start with a SEQUENCE) nor 64-byte raw r‖s "
                    f"({len(signature)} bytes)",
                    SM2Failure.MALFORMED,
                ) from None
    for name, value in (("r", r), ("s", s)):
        if value == 0:
            raise SM2SignatureError(f"signature.{name}", f"{name} is zero", SM2Failure.OUT_OF_RANGE)
        if value >= N:
            raise SM2SignatureError(
                f"signature.{name}",
                f"{name} is not less than the group order n",
                SM2Failure.OUT_OF_RANGE,
            )
    if (r + s) % N == 0:
        raise SM2SignatureError("signature", "r + s ≡ 0 (mod n)", SM2Failure.OUT_OF_RANGE)
    return r, s


def _check_digest(digest_e: object) -> bytes:
    digest_e = _as_bytes(digest_e, "digest_e")
    if len(digest_e) != 32:
        raise SM2SignatureError(
            "digest_e",
            f"e must be the 32-byte SM3 output, got {len(digest_e)} bytes",
            SM2Failure.MALFORMED,
        )
    return digest_e


def sm2_verify(
    public_key: SM2PublicKey,
    signature: bytes,
    message: bytes | None = None,
    *,
    digest_e: bytes | None = None,
    signer_id: bytes = DEFAULT_SM2_ID,
    encoding: SignatureEncoding = "auto",
) -> None:
    """Verify an SM2 signature; return None if valid, else raise :class:`SM2SignatureError`.

    Give either ``message`` (e = SM3(Z_A ‖ message) is computed with ``signer_id``)
    or ``digest_e``, the 32-byte e itself (e.g. from :func:`sm2_hasher`; ``signer_id``
    is then unused). ``signature`` is strict DER ``SEQUENCE { r, s }`` or raw 64-byte
    r‖s, as ``encoding`` says; ``"auto"`` takes DER when it parses and 64 bytes as raw.

    Raises :class:`SMBackendUnavailable` without the ``sm`` extra, and
    :class:`~bayident.InvalidArgument` for arguments of the wrong type.
    """
    public_key = _check_public_key(public_key)
    if (message is None) == (digest_e is None):
        raise InvalidArgument("give exactly one of message and digest_e")
    handle = public_key._backend_key()
    r, s = _parse_signature(signature, encoding)
    if digest_e is not None:
        e = _check_digest(digest_e)
        what = "the given e"
    else:
        e = _e_of(compute_za(public_key, signer_id), _as_bytes(message, "message"))
        what = "e = SM3(Z_A ‖ M) with this signer ID"
    der = d.encode_tlv(0x30, _der_integer(r) + _der_integer(s))
    if not _backend.verify_digest(handle, der, e):
        raise SM2SignatureError(
            "signature", f"does not verify with this public key over {what}", SM2Failure.MISMATCH
        )


_ALL_VARIANTS: tuple[SM2Variant, ...] = tuple(SM2Variant)


def sm2_verify_variants(
    public_key: SM2PublicKey,
    signature: bytes,
    message: bytes,
    *,
    signer_id: bytes = DEFAULT_SM2_ID,
    encoding: SignatureEncoding = "auto",
    variants: Iterable[SM2Variant] = _ALL_VARIANTS,
) -> SM2Variant:
    """Verify ``signature`` over ``message`` trying each allowed way of deriving e.

    The standard derivation is tried first; the first variant that verifies is
    returned, so :attr:`SM2Variant.STANDARD` is returned only for a standard
    signature. Raises :class:`SM2SignatureError` (``MISMATCH`` naming the variants
    tried) when none verifies, or the format/range error of the signature.
    """
    if (
        variants is _ALL_VARIANTS
        and encoding == "der"
        and type(signature) is bytes
        and type(message) is bytes
        and type(public_key) is SM2PublicKey
    ):
        # The usual case, a standard signature in strict DER, without the generality
        # below; anything else (or a mismatch) takes the full path, which reports it.
        try:
            r, s = _parse_der_signature(signature)
        except SM2SignatureError:
            pass
        else:
            if 0 < r < N and 0 < s < N:
                e = sm3(compute_za(public_key, signer_id) + message)
                # Strict DER parsing means the input is already the canonical encoding.
                if _backend.verify_digest(public_key._backend_key(), signature, e):
                    return SM2Variant.STANDARD
    public_key = _check_public_key(public_key)
    message = _as_bytes(message, "message")
    allowed = list(dict.fromkeys(variants))
    if not allowed or not all(isinstance(v, SM2Variant) for v in allowed):
        raise InvalidArgument("variants must be a non-empty collection of SM2Variant")
    handle = public_key._backend_key()
    r, s = _parse_signature(signature, encoding)
    der = d.encode_tlv(0x30, _der_integer(r) + _der_integer(s))
    za: bytes | None = None
    for variant in SM2Variant:  # fixed order: STANDARD first
        if variant not in allowed:
            continue
        if variant is not SM2Variant.RAW_DIGEST and za is None:
            za = compute_za(public_key, signer_id)
        if variant is SM2Variant.STANDARD:
            assert za is not None
            e = _e_of(za, message)
        elif variant is SM2Variant.RAW_DIGEST:
            e = sm3(message)
        else:
            assert za is not None
            e = _e_of(za, sm3(message))
        if _backend.verify_digest(handle, der, e):
            return variant
    tried = ", ".join(v.value for v in SM2Variant if v in allowed)
    raise SM2SignatureError(
        "signature",
        f"does not verify with this public key under any of: {tried}",
        SM2Failure.MISMATCH,
    )


# --- signing --------------------------------------------------------------------------------


class SM2PrivateKey:
    """An SM2 private key (scalar d, 1 ≤ d ≤ n-2) with its public key; needs the ``sm`` extra.

    Meant for tests and mock issuers: the scalar is held as a Python int.
    """

    __slots__ = ("_d", "_handle", "_public")

    def __init__(self, private_value: int) -> None:
        if type(private_value) is not int:
            raise InvalidArgument("private_value must be an int")
        # d = n-1 is excluded because signing divides by 1 + d (GB/T 32918.1 §6.1).
        if not 1 <= private_value <= N - 2:
            raise SM2KeyError("private_key", "private value is not in [1, n-2]")
        self._d = private_value
        self._handle: Any = _backend.private_handle(private_value)
        x, y = _backend.public_point(self._handle)
        self._public = SM2PublicKey(x, y)

    @property
    def private_value(self) -> int:
        """The secret scalar d."""
        return self._d

    @property
    def public_key(self) -> SM2PublicKey:
        """The matching public key d·G."""
        return self._public

    def __repr__(self) -> str:
        return f"SM2PrivateKey(public_key={self._public!r})"

    def to_pkcs8_der(self) -> bytes:
        """Unencrypted PKCS#8 DER (id-ecPublicKey, sm2p256v1)."""
        return _backend.private_key_pkcs8(self._handle, pem=False)

    def to_pkcs8_pem(self) -> bytes:
        """Unencrypted PKCS#8 PEM (``PRIVATE KEY``)."""
        return _backend.private_key_pkcs8(self._handle, pem=True)


def generate_sm2_key() -> SM2PrivateKey:
    """A new random SM2 key pair from the backend; needs the ``sm`` extra."""
    return SM2PrivateKey(_backend.generate_private_value())


def sm2_sign(
    private_key: SM2PrivateKey | int,
    message: bytes | None = None,
    *,
    digest_e: bytes | None = None,
    signer_id: bytes = DEFAULT_SM2_ID,
    encoding: Literal["der", "raw"] = "der",
) -> bytes:
    """Sign with SM2: over e = SM3(Z_A ‖ message), or over the 32-byte ``digest_e`` as given.

    Returns DER ``SEQUENCE { r, s }`` or, with ``encoding="raw"``, 64-byte r‖s.
    """
    if isinstance(private_key, int) and not isinstance(private_key, bool):
        private_key = SM2PrivateKey(private_key)
    if not isinstance(private_key, SM2PrivateKey):
        raise InvalidArgument(
            f"private_key must be an SM2PrivateKey or int, not {type(private_key).__name__}"
        )
    if (message is None) == (digest_e is None):
        raise InvalidArgument("give exactly one of message and digest_e")
    if encoding not in ("der", "raw"):
        raise InvalidArgument(f"encoding must be 'der' or 'raw', not {encoding!r}")
    if digest_e is not None:
        e = _as_bytes(digest_e, "digest_e")
        if len(e) != 32:
            raise InvalidArgument(f"digest_e must be 32 bytes, got {len(e)}")
    else:
        e = _e_of(compute_za(private_key.public_key, signer_id), _as_bytes(message, "message"))
    der = _backend.sign_digest(private_key._handle, e)
    if encoding == "der":
        return der
    r, s = _parse_der_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")
