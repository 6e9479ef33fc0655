"""iAM Smart message envelopes: request signing, content encryption and content-key unwrap.

Replies are read by :mod:`._reply` and profiles by :mod:`._profile`.

Everything here is pure: no network, no clock (times are passed in), no global state
except what a caller-owned :class:`InMemoryNonceStore` holds. Each malformed or hostile
input raises :class:`IAmSmartEnvelopeError` whose ``code`` says which check failed and
whose ``message`` names the field; programmer errors (wrong argument types, a key of the
wrong size) raise :class:`~bayident._exceptions.InvalidArgument`.

The formats follow the public iAM Smart developer material; ``docs/schemes/iamsmart.md``
gives the source of each fact and lists the points that are settings because the public
record leaves them open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import hmac
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as _padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..._exceptions import InvalidArgument
from ._common import EnvelopeErrorCode, IAmSmartEnvelopeError, _check_limit, _show

__all__ = [
    "CONTENT_IV_LENGTH",
    "CONTENT_KEY_LENGTH",
    "CONTENT_TAG_LENGTH",
    "DEFAULT_UNWRAP_PADDINGS",
    "DEFAULT_WINDOW_MS",
    "MAX_BODY_BYTES",
    "MAX_CONTENT_BYTES",
    "MAX_PROFILE_BYTES",
    "MAX_REPLY_BYTES",
    "SIGNATURE_METHOD",
    "InMemoryNonceStore",
    "NonceStore",
    "VerifiedRequest",
    "decrypt_content",
    "encrypt_content",
    "sign_request",
    "unwrap_secret_key",
    "verify_request_signature",
    "wrap_secret_key",
]

#: The only ``signatureMethod`` the public samples use.
SIGNATURE_METHOD: Final = "HmacSHA256"
#: Accepted distance between a request's ``timestamp`` and the verifier's clock, in
#: either direction. Five minutes is the clock skew Kerberos accepts by default (MIT
#: krb5's ``clockskew`` is 300 s): wide enough for servers that are not tightly
#: synchronised, narrow enough that the nonce store stays small.
DEFAULT_WINDOW_MS: Final = 5 * 60 * 1000
#: Largest request body :func:`sign_request` and :func:`verify_request_signature` take.
MAX_BODY_BYTES: Final = 2 * 1024 * 1024
#: Largest plaintext of a content envelope. iAM Smart bodies carry JSON and hashes,
#: never documents, so 1 MiB is far above anything legitimate.
MAX_CONTENT_BYTES: Final = 1024 * 1024
#: Largest reply document :func:`parse_reply` reads (a content envelope plus a few fields).
MAX_REPLY_BYTES: Final = 2 * 1024 * 1024
#: Largest decrypted profile :func:`parse_profile` reads.
MAX_PROFILE_BYTES: Final = 64 * 1024

CONTENT_KEY_LENGTH: Final = 32
CONTENT_IV_LENGTH: Final = 12
CONTENT_TAG_LENGTH: Final = 16
_IV_LENGTH_FIELD = 4


def _as_bytes(value: object, name: str) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise InvalidArgument(f"{name} must be bytes or str, not {type(value).__name__}")


# ------------------------------------------------------------------ request signing

# clientID and nonce: visible ASCII, as in the samples (hex and UUID strings).
_TOKEN = re.compile(r"[\x21-\x7e]{1,128}", re.ASCII)
_TIMESTAMP = re.compile(r"[0-9]{1,16}", re.ASCII)
_SIGNATURE_HEADERS = ("clientID", "signatureMethod", "timestamp", "nonce", "signature")


def _hmac(secret: bytes, client_id: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    prefix = (client_id + SIGNATURE_METHOD + timestamp + nonce).encode("utf-8")
    return hmac.new(secret, prefix + body, hashlib.sha256).digest()


def _secret_bytes(client_secret: object) -> bytes:
    secret = _as_bytes(client_secret, "client_secret")
    if not secret:
        raise InvalidArgument("client_secret is empty")
    return secret


def sign_request(
    client_id: str,
    client_secret: str | bytes,
    body: bytes | str,
    *,
    timestamp_ms: int,
    nonce: str,
    url_encode_signature: bool = True,
) -> dict[str, str]:
    """Return the iAM Smart signature headers of a request.

    ``signature = Base64(HMAC-SHA256(client_secret, clientID + "HmacSHA256" + timestamp +
    nonce + body))``, with ``body`` the exact bytes sent (for encrypted APIs, the encrypted
    body). A ``str`` secret or body is encoded as UTF-8.

    :param url_encode_signature: percent-encode the Base64 value (``+``, ``/``, ``=``), as the
        public samples do.

    :raises InvalidArgument: a malformed argument (``client_id`` and ``nonce`` must be 1-128
        visible ASCII characters, ``timestamp_ms`` a non-negative int).
    """
    if not isinstance(client_id, str) or not _TOKEN.fullmatch(client_id):
        raise InvalidArgument("client_id must be 1-128 visible ASCII characters")
    if not isinstance(nonce, str) or not _TOKEN.fullmatch(nonce):
        raise InvalidArgument("nonce must be 1-128 visible ASCII characters")
    if isinstance(timestamp_ms, bool) or not isinstance(timestamp_ms, int) or timestamp_ms < 0:
        raise InvalidArgument("timestamp_ms must be a non-negative int")
    secret = _secret_bytes(client_secret)
    data = _as_bytes(body, "body")
    if len(data) > MAX_BODY_BYTES:
        raise InvalidArgument(f"body is {len(data)} bytes, more than {MAX_BODY_BYTES}")
    timestamp = str(timestamp_ms)
    signature = base64.b64encode(_hmac(secret, client_id, timestamp, nonce, data)).decode("ascii")
    if url_encode_signature:
        signature = urllib.parse.quote(signature, safe="")
    return {
        "clientID": client_id,
        "signatureMethod": SIGNATURE_METHOD,
        "timestamp": timestamp,
        "nonce": nonce,
        "signature": signature,
    }


@runtime_checkable
class NonceStore(Protocol):
    """Remembers nonces until they can no longer be replayed."""

    def add_if_absent(self, key: str, *, expires_at_ms: int, now_ms: int) -> bool:
        """Record ``key`` until ``expires_at_ms``; return False if it is already recorded.

        An entry must stay recorded while ``now_ms <= expires_at_ms``. A store that cannot
        record (full, unavailable) must raise, never return True.
        """
        ...


class InMemoryNonceStore:
    """A thread-safe, bounded :class:`NonceStore` for one process.

    Entries are dropped once expired. When ``max_entries`` unexpired entries are held,
    :meth:`add_if_absent` raises ``NONCE_STORE_FULL`` rather than evicting one, since an
    evicted nonce could be replayed.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise InvalidArgument("max_entries must be a positive int")
        self._max = max_entries
        self._expiry: dict[str, int] = {}
        self._heap: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)

    def _purge(self, now_ms: int) -> None:
        # Strictly earlier than now: a request is still fresh at exactly its expiry.
        while self._heap and self._heap[0][0] < now_ms:
            expires, key = heapq.heappop(self._heap)
            if self._expiry.get(key) == expires:
                del self._expiry[key]

    def add_if_absent(self, key: str, *, expires_at_ms: int, now_ms: int) -> bool:
        """See :meth:`NonceStore.add_if_absent`."""
        with self._lock:
            self._purge(now_ms)
            if key in self._expiry:
                return False
            if len(self._expiry) >= self._max:
                raise IAmSmartEnvelopeError(
                    EnvelopeErrorCode.NONCE_STORE_FULL,
                    f"nonce store holds {self._max} unexpired nonces; refusing rather than "
                    "forgetting one",
                    field="nonce",
                )
            self._expiry[key] = expires_at_ms
            heapq.heappush(self._heap, (expires_at_ms, key))
            return True


@dataclass(frozen=True)
class VerifiedRequest:
    """A request whose signature, freshness and nonce were checked."""

    client_id: str
    timestamp_ms: int
    nonce: str


def _signature_headers(headers: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(headers, Mapping):
        raise InvalidArgument(f"headers must be a mapping, not {type(headers).__name__}")
    wanted = {name.lower(): name for name in _SIGNATURE_HEADERS}
    found: dict[str, str] = {}
    for raw_name, value in headers.items():
        if not isinstance(raw_name, str):
            continue
        canonical = wanted.get(raw_name.lower())
        if canonical is None:
            continue
        # HTTP header names are case-insensitive, so "Nonce" and "nonce" are one header.
        if canonical in found:
            raise IAmSmartEnvelopeError(
                EnvelopeErrorCode.DUPLICATE_HEADER,
                f"header {canonical} appears more than once",
                field=canonical,
            )
        if not isinstance(value, str) or len(value) > 512:
            raise IAmSmartEnvelopeError(
                EnvelopeErrorCode.BAD_HEADER,
                f"header {canonical} must be a string of at most 512 characters",
                field=canonical,
            )
        found[canonical] = value.strip(" \t")
    for name in _SIGNATURE_HEADERS:
        if name not in found:
            raise IAmSmartEnvelopeError(
                EnvelopeErrorCode.MISSING_HEADER, f"header {name} is missing", field=name
            )
    return found


def _decode_signature(value: str, url_encoded: bool) -> bytes:
    try:
        text = urllib.parse.unquote(value, errors="strict") if url_encoded else value
        digest = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_HEADER,
            f"header signature is not Base64{' after URL decoding' if url_encoded else ''}",
            field="signature",
        ) from None
    if len(digest) != hashlib.sha256().digest_size:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_HEADER,
            f"header signature decodes to {len(digest)} bytes, expected 32 for HMAC-SHA256",
            field="signature",
        )
    return digest


def verify_request_signature(
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    client_secret: str | bytes,
    now_ms: int,
    nonce_store: NonceStore,
    window_ms: int = DEFAULT_WINDOW_MS,
    expected_client_id: str | None = None,
    url_encode_signature: bool = True,
) -> VerifiedRequest:
    """Check the signature headers of a request made with :func:`sign_request`'s scheme.

    Checks, in order: the five headers are present once each; ``signatureMethod`` is
    ``HmacSHA256``; ``clientID`` is ``expected_client_id`` (when given); ``timestamp`` is
    within ``window_ms`` of ``now_ms`` either way; the HMAC matches (compared in constant
    time); the nonce has not been seen for this client. The nonce is recorded only after
    the HMAC matched, so forged requests cannot use up nonces.

    :param headers: the request headers; names are matched case-insensitively.
    :param body: the exact body bytes received.
    :param url_encode_signature: the ``signature`` value is percent-encoded (the samples'
        form). Either way the comparison is over the decoded 32-byte HMAC.

    :raises IAmSmartEnvelopeError: with the code of the first failed check.
    :raises InvalidArgument: a malformed argument.
    """
    if isinstance(now_ms, bool) or not isinstance(now_ms, int):
        raise InvalidArgument("now_ms must be an int")
    if isinstance(window_ms, bool) or not isinstance(window_ms, int) or window_ms <= 0:
        raise InvalidArgument("window_ms must be a positive int")
    if not isinstance(nonce_store, NonceStore):
        raise InvalidArgument("nonce_store must implement NonceStore.add_if_absent")
    if expected_client_id is not None and not isinstance(expected_client_id, str):
        raise InvalidArgument("expected_client_id must be a str or None")
    secret = _secret_bytes(client_secret)
    data = _as_bytes(body, "body")
    if len(data) > MAX_BODY_BYTES:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.TOO_LARGE,
            f"body is {len(data)} bytes, more than {MAX_BODY_BYTES}",
            field="body",
        )
    found = _signature_headers(headers)
    method = found["signatureMethod"]
    if method != SIGNATURE_METHOD:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.UNSUPPORTED_SIGNATURE_METHOD,
            f"header signatureMethod is {_show(method)}, expected {SIGNATURE_METHOD!r}",
            field="signatureMethod",
        )
    client_id, nonce, timestamp = found["clientID"], found["nonce"], found["timestamp"]
    for name, value in (("clientID", client_id), ("nonce", nonce)):
        if not _TOKEN.fullmatch(value):
            raise IAmSmartEnvelopeError(
                EnvelopeErrorCode.BAD_HEADER,
                f"header {name} must be 1-128 visible ASCII characters",
                field=name,
            )
    if expected_client_id is not None and not hmac.compare_digest(
        client_id.encode("ascii"), expected_client_id.encode("utf-8")
    ):
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.CLIENT_ID_MISMATCH,
            f"header clientID is {_show(client_id)}, expected {_show(expected_client_id)}",
            field="clientID",
        )
    if not _TIMESTAMP.fullmatch(timestamp):
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_HEADER,
            f"header timestamp must be milliseconds since 1970 as 1-16 digits, "
            f"got {_show(timestamp)}",
            field="timestamp",
        )
    timestamp_ms = int(timestamp)
    if timestamp_ms < now_ms - window_ms:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.STALE_TIMESTAMP,
            f"header timestamp is {now_ms - timestamp_ms} ms old, more than the "
            f"{window_ms} ms window",
            field="timestamp",
        )
    if timestamp_ms > now_ms + window_ms:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.FUTURE_TIMESTAMP,
            f"header timestamp is {timestamp_ms - now_ms} ms in the future, more than the "
            f"{window_ms} ms window",
            field="timestamp",
        )
    given = _decode_signature(found["signature"], url_encode_signature)
    expected = _hmac(secret, client_id, timestamp, nonce, data)
    if not hmac.compare_digest(given, expected):
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.SIGNATURE_MISMATCH,
            "header signature does not match the HMAC-SHA256 of the request",
            field="signature",
        )
    # Kept until the last moment the same timestamp is still inside the window.
    if not nonce_store.add_if_absent(
        f"{client_id}\x00{nonce}", expires_at_ms=timestamp_ms + window_ms, now_ms=now_ms
    ):
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.REPLAYED_NONCE,
            f"nonce {_show(nonce)} was already used by client {_show(client_id)}",
            field="nonce",
        )
    return VerifiedRequest(client_id=client_id, timestamp_ms=timestamp_ms, nonce=nonce)


# ---------------------------------------------------------------- content envelope


def _content_key(key: object) -> bytes:
    if not isinstance(key, bytes | bytearray | memoryview):
        raise InvalidArgument(f"key must be bytes, not {type(key).__name__}")
    raw = bytes(key)
    if len(raw) != CONTENT_KEY_LENGTH:
        raise InvalidArgument(f"key is {len(raw)} bytes, expected 32 for AES-256-GCM")
    return raw


def encrypt_content(
    key: bytes,
    plaintext: bytes,
    *,
    iv: bytes | None = None,
    max_size: int = MAX_CONTENT_BYTES,
) -> str:
    """Encrypt ``plaintext`` into an iAM Smart content envelope.

    The result is ``Base64([4-byte big-endian IV length][IV][ciphertext ‖ 16-byte tag])``
    under AES-256-GCM with no associated data. ``iv`` defaults to 12 random bytes; pass it
    only for fixed test vectors, never reuse one with the same key.

    :raises InvalidArgument: key not 32 bytes, IV not 12 bytes, or plaintext over ``max_size``.
    """
    raw_key = _content_key(key)
    data = _as_bytes(plaintext, "plaintext")
    if len(data) > _check_limit(max_size):
        raise InvalidArgument(f"plaintext is {len(data)} bytes, more than {max_size}")
    nonce = os.urandom(CONTENT_IV_LENGTH) if iv is None else _as_bytes(iv, "iv")
    if len(nonce) != CONTENT_IV_LENGTH:
        raise InvalidArgument(f"iv is {len(nonce)} bytes, expected {CONTENT_IV_LENGTH}")
    sealed = AESGCM(raw_key).encrypt(nonce, data, None)
    envelope = len(nonce).to_bytes(_IV_LENGTH_FIELD, "big") + nonce + sealed
    return base64.b64encode(envelope).decode("ascii")


def _strict_b64decode(value: object, what: str, max_encoded: int) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode("ascii", errors="replace")
    if not isinstance(value, str):
        raise InvalidArgument(f"{what} must be str or bytes, not {type(value).__name__}")
    if len(value) > max_encoded:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.TOO_LARGE,
            f"{what} is {len(value)} characters, more than the {max_encoded} allowed",
            field=what,
        )
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_BASE64, f"{what} is not valid Base64 ({exc})", field=what
        ) from None


def decrypt_content(key: bytes, b64: str | bytes, *, max_size: int = MAX_CONTENT_BYTES) -> bytes:
    """Decrypt an iAM Smart content envelope made as :func:`encrypt_content` describes.

    :raises IAmSmartEnvelopeError: ``TOO_LARGE``, ``BAD_BASE64``, ``TRUNCATED``,
        ``BAD_IV_LENGTH`` (the length field is not 12) or ``TAG_MISMATCH``.
    :raises InvalidArgument: the key is not 32 bytes.
    """
    raw_key = _content_key(key)
    limit = _check_limit(max_size)
    overhead = _IV_LENGTH_FIELD + CONTENT_IV_LENGTH + CONTENT_TAG_LENGTH
    raw = _strict_b64decode(b64, "content", 4 * ((limit + overhead + 2) // 3))
    if len(raw) < _IV_LENGTH_FIELD:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.TRUNCATED,
            f"content envelope is {len(raw)} bytes, too short for the 4-byte IV length field",
            field="content",
        )
    iv_length = int.from_bytes(raw[:_IV_LENGTH_FIELD], "big")
    remaining = len(raw) - _IV_LENGTH_FIELD
    if iv_length != CONTENT_IV_LENGTH:
        beyond = f", more than the {remaining} bytes that follow" if iv_length > remaining else ""
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_IV_LENGTH,
            f"content envelope IV length field is {iv_length}{beyond}; expected 12",
            field="content",
        )
    if remaining < CONTENT_IV_LENGTH + CONTENT_TAG_LENGTH:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.TRUNCATED,
            f"content envelope has {remaining} bytes after the IV length field, fewer than "
            "the 12-byte IV and 16-byte authentication tag",
            field="content",
        )
    iv = raw[_IV_LENGTH_FIELD : _IV_LENGTH_FIELD + CONTENT_IV_LENGTH]
    sealed = raw[_IV_LENGTH_FIELD + CONTENT_IV_LENGTH :]
    if len(sealed) - CONTENT_TAG_LENGTH > limit:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.TOO_LARGE,
            f"content plaintext would be {len(sealed) - CONTENT_TAG_LENGTH} bytes, "
            f"more than {limit}",
            field="content",
        )
    try:
        return AESGCM(raw_key).decrypt(iv, sealed, None)
    except InvalidTag:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.TAG_MISMATCH,
            "content envelope: authentication tag mismatch (wrong key or altered content)",
            field="content",
        ) from None


# ------------------------------------------------------------------ key wrapping

PaddingName = Literal["oaep-sha256", "oaep-sha256-mgf1-sha1", "oaep-sha1", "pkcs1v15"]

_PADDINGS: Mapping[str, Callable[[], _padding.AsymmetricPadding]] = MappingProxyType(
    {
        "oaep-sha256": lambda: _padding.OAEP(
            mgf=_padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None
        ),
        # Java's "RSA/ECB/OAEPWithSHA-256AndMGF1Padding" keeps SHA-1 inside MGF1 unless an
        # OAEPParameterSpec says otherwise, so Java-built peers often produce this variant.
        # SHA-1 inside OAEP needs only preimage resistance, which collisions do not break.
        "oaep-sha256-mgf1-sha1": lambda: _padding.OAEP(
            mgf=_padding.MGF1(hashes.SHA1()),  # noqa: S303
            algorithm=hashes.SHA256(),
            label=None,
        ),
        "oaep-sha1": lambda: _padding.OAEP(
            mgf=_padding.MGF1(hashes.SHA1()),  # noqa: S303
            algorithm=hashes.SHA1(),  # noqa: S303
            label=None,
        ),
        "pkcs1v15": _padding.PKCS1v15,
    }
)

#: Paddings :func:`unwrap_secret_key` tries, in order. The public samples try OAEP with
#: SHA-256, then OAEP with SHA-1, then PKCS#1 v1.5; the Java MGF1 variant is added after
#: the first. Remove ``"pkcs1v15"`` when the peer is known not to need it: see the docs.
DEFAULT_UNWRAP_PADDINGS: Final[tuple[PaddingName, ...]] = (
    "oaep-sha256",
    "oaep-sha256-mgf1-sha1",
    "oaep-sha1",
    "pkcs1v15",
)


def _padding_names(paddings: object) -> tuple[str, ...]:
    if isinstance(paddings, str) or not isinstance(paddings, Iterable):
        raise InvalidArgument("paddings must be a sequence of padding names")
    names = tuple(paddings)
    if not names:
        raise InvalidArgument("paddings is empty")
    for name in names:
        if name not in _PADDINGS:
            raise InvalidArgument(
                f"unknown padding {name!r}; expected one of {', '.join(_PADDINGS)}"
            )
    if len(set(names)) != len(names):
        raise InvalidArgument("paddings lists a padding twice")
    return names


def wrap_secret_key(
    secret_key: bytes,
    service_public_key: RSAPublicKey,
    *,
    padding: PaddingName = "oaep-sha256",
) -> str:
    """Encrypt a content key to a service's RSA key, as ``/security/getKey`` returns it.

    Meant for mock issuers and tests. Returns the Base64 ciphertext.
    """
    if not isinstance(service_public_key, RSAPublicKey):
        raise InvalidArgument("service_public_key must be an RSA public key")
    (name,) = _padding_names((padding,))
    raw = _content_key(secret_key)
    return base64.b64encode(service_public_key.encrypt(raw, _PADDINGS[name]())).decode("ascii")


def unwrap_secret_key(
    encrypted_b64: str,
    service_private_key: RSAPrivateKey,
    *,
    paddings: Sequence[PaddingName] = DEFAULT_UNWRAP_PADDINGS,
) -> bytes:
    """Decrypt the ``secretKey`` of a ``/security/getKey`` reply into the 32-byte content key.

    Each padding in ``paddings`` is tried in order; the first that yields 32 bytes wins.
    Trying several paddings, and PKCS#1 v1.5 at all, gives a padding oracle to whoever can
    submit ciphertexts and observe the outcome; ``docs/schemes/iamsmart.md`` explains when
    to narrow the list.

    Note that with OpenSSL 3.2 and later, PKCS#1 v1.5 decryption uses implicit rejection:
    a wrong ciphertext yields a pseudo-random message instead of an error. Such a key is
    caught here when its length is not 32, and otherwise by the GCM tag on first use.

    :raises IAmSmartEnvelopeError: ``BAD_BASE64``, ``TOO_LARGE`` or ``KEY_UNWRAP_FAILED``.
    :raises InvalidArgument: not an RSA private key, or an unknown padding name.
    """
    if not isinstance(service_private_key, RSAPrivateKey):
        raise InvalidArgument("service_private_key must be an RSA private key")
    names = _padding_names(paddings)
    modulus_bytes = (service_private_key.key_size + 7) // 8
    ciphertext = _strict_b64decode(encrypted_b64, "secretKey", 4 * ((modulus_bytes + 2) // 3))
    if len(ciphertext) != modulus_bytes:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.KEY_UNWRAP_FAILED,
            f"secretKey is {len(ciphertext)} bytes, expected {modulus_bytes} for a "
            f"{service_private_key.key_size}-bit RSA key",
            field="secretKey",
        )
    for name in names:
        try:
            key = service_private_key.decrypt(ciphertext, _PADDINGS[name]())
        except ValueError:
            continue
        if len(key) == CONTENT_KEY_LENGTH:
            return key
    raise IAmSmartEnvelopeError(
        EnvelopeErrorCode.KEY_UNWRAP_FAILED,
        f"secretKey: no configured padding ({', '.join(names)}) yielded a 32-byte key",
        field="secretKey",
    )
