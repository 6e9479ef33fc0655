"""iAM Smart (智方便), the Hong Kong Government's digital identity: message envelopes.

These are the pure building blocks an iAM Smart adapter needs: request signing
(HMAC-SHA256 headers), the AES-256-GCM content envelope, unwrapping of the content key
returned by ``/security/getKey``, the ``{txID, code, message, content}`` reply envelope and
the mapping of a decrypted profile, and the public table of reply codes. See ``docs/schemes/iamsmart.md``.

:class:`IAmSmartAdapter` builds on them: it verifies profile callbacks and hash-signing
results behind :func:`bayident.verify` and maps them to an :class:`~bayident.Identity`.
"""

from __future__ import annotations

from ._adapter import EVIDENCE_TYPES, IAmSmartAdapter, IAmSmartSettings, SignatureEncoding
from ._codes import REPLY_CODES, ReplyCode, ReplyStatus, describe_reply_code
from ._common import EnvelopeErrorCode, IAmSmartEnvelopeError
from ._envelope import (
    CONTENT_IV_LENGTH,
    CONTENT_KEY_LENGTH,
    CONTENT_TAG_LENGTH,
    DEFAULT_UNWRAP_PADDINGS,
    DEFAULT_WINDOW_MS,
    MAX_BODY_BYTES,
    MAX_CONTENT_BYTES,
    MAX_PROFILE_BYTES,
    MAX_REPLY_BYTES,
    SIGNATURE_METHOD,
    InMemoryNonceStore,
    NonceStore,
    VerifiedRequest,
    decrypt_content,
    encrypt_content,
    sign_request,
    unwrap_secret_key,
    verify_request_signature,
    wrap_secret_key,
)
from ._profile import (
    PROFILE_FIELDS,
    ChineseName,
    EnglishName,
    IAmSmartProfile,
    IdNo,
    PhoneNumber,
    parse_profile,
)
from ._reply import (
    KNOWN_REPLY_CODES,
    IAmSmartKeyReply,
    IAmSmartReply,
    parse_key_reply,
    parse_reply,
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
    "REPLY_CODES",
    "SIGNATURE_METHOD",
    "ChineseName",
    "EnglishName",
    "EnvelopeErrorCode",
    "IAmSmartAdapter",
    "IAmSmartEnvelopeError",
    "IAmSmartKeyReply",
    "IAmSmartProfile",
    "IAmSmartReply",
    "IAmSmartSettings",
    "IdNo",
    "InMemoryNonceStore",
    "NonceStore",
    "PhoneNumber",
    "ReplyCode",
    "ReplyStatus",
    "SignatureEncoding",
    "VerifiedRequest",
    "decrypt_content",
    "describe_reply_code",
    "encrypt_content",
    "parse_key_reply",
    "parse_profile",
    "parse_reply",
    "sign_request",
    "unwrap_secret_key",
    "verify_request_signature",
    "wrap_secret_key",
]
