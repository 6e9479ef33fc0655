"""iAM Smart (智方便), the Hong Kong Government's digital identity: message envelopes.

These are the pure building blocks an iAM Smart adapter needs: request signing
(HMAC-SHA256 headers), the AES-256-GCM content envelope, unwrapping of the content key
returned by ``/security/getKey``, the ``{txID, code, message, content}`` reply envelope and
the mapping of a decrypted profile. See ``docs/schemes/iamsmart.md``.

:class:`IAmSmartAdapter` builds on them: it verifies profile callbacks and hash-signing
results behind :func:`bayident.verify` and maps them to an :class:`~bayident.Identity`.
"""

from __future__ import annotations

from ._adapter import EVIDENCE_TYPES, IAmSmartAdapter, IAmSmartSettings, SignatureEncoding
from ._envelope import (
    CONTENT_IV_LENGTH,
    CONTENT_KEY_LENGTH,
    CONTENT_TAG_LENGTH,
    DEFAULT_UNWRAP_PADDINGS,
    DEFAULT_WINDOW_MS,
    KNOWN_REPLY_CODES,
    MAX_BODY_BYTES,
    MAX_CONTENT_BYTES,
    MAX_PROFILE_BYTES,
    MAX_REPLY_BYTES,
    PROFILE_FIELDS,
    SIGNATURE_METHOD,
    ChineseName,
    EnglishName,
    EnvelopeErrorCode,
    IAmSmartEnvelopeError,
    IAmSmartProfile,
    IAmSmartReply,
    IdNo,
    InMemoryNonceStore,
    NonceStore,
    PhoneNumber,
    VerifiedRequest,
    decrypt_content,
    encrypt_content,
    parse_profile,
    parse_reply,
    sign_request,
    unwrap_secret_key,
    verify_request_signature,
    wrap_secret_key,
)

__all__ = [
    "CONTENT_IV_LENGTH",
    "CONTENT_KEY_LENGTH",
    "CONTENT_TAG_LENGTH",
    "DEFAULT_UNWRAP_PADDINGS",
    "DEFAULT_WINDOW_MS",
    "EVIDENCE_TYPES",
    "KNOWN_REPLY_CODES",
    "MAX_BODY_BYTES",
    "MAX_CONTENT_BYTES",
    "MAX_PROFILE_BYTES",
    "MAX_REPLY_BYTES",
    "PROFILE_FIELDS",
    "SIGNATURE_METHOD",
    "ChineseName",
    "EnglishName",
    "EnvelopeErrorCode",
    "IAmSmartAdapter",
    "IAmSmartEnvelopeError",
    "IAmSmartProfile",
    "IAmSmartReply",
    "IAmSmartSettings",
    "IdNo",
    "InMemoryNonceStore",
    "NonceStore",
    "PhoneNumber",
    "SignatureEncoding",
    "VerifiedRequest",
    "decrypt_content",
    "encrypt_content",
    "parse_profile",
    "parse_reply",
    "sign_request",
    "unwrap_secret_key",
    "verify_request_signature",
    "wrap_secret_key",
]
