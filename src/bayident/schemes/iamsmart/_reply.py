"""iAM Smart replies and callbacks: the ``{txID, code, message, content}`` envelope.

Shapes, as the public sample code shows them (sources in ``docs/schemes/iamsmart.md``):

* every reply carries ``txID``, ``code`` (``D`` and five digits, see :mod:`._codes`),
  ``message`` and ``content``;
* ``content`` is the Base64 AES-256-GCM content envelope, except in the ``getKey``
  reply, the one exchange without content encryption, where it is a plain JSON object
  ``{secretKey, pubKey, issueAt, expiresIn}``;
* a callback may carry its own RSA-wrapped content key in a ``secretKey`` member beside
  ``content``; the samples decrypt the callback with that key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pydantic import BaseModel, ConfigDict, model_validator

from ..._exceptions import InvalidArgument
from ._codes import REPLY_CODES, ReplyStatus, describe_reply_code
from ._common import (
    EnvelopeErrorCode,
    IAmSmartEnvelopeError,
    JsonNumber,
    _json_type,
    _opt_str,
    _parse_json_object,
    _req_str,
)
from ._envelope import DEFAULT_UNWRAP_PADDINGS, MAX_REPLY_BYTES, PaddingName, unwrap_secret_key

__all__ = [
    "KNOWN_REPLY_CODES",
    "IAmSmartKeyReply",
    "IAmSmartReply",
    "parse_key_reply",
    "parse_reply",
]

#: Every public reply code and its meaning (the full entries are in ``REPLY_CODES``).
KNOWN_REPLY_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {code: entry.meaning for code, entry in REPLY_CODES.items()}
)
_SUCCESS_CODE = "D00000"
_MAX_WRAPPED_KEY = 4096


class IAmSmartReply(BaseModel):
    """The envelope of every iAM Smart API reply and callback.

    ``content`` is the Base64 content envelope (see :func:`decrypt_content`), a JSON object
    (the ``getKey`` reply) or ``None``; ``secretKey`` is the RSA-wrapped content key a
    callback may carry. ``description``, ``status``, ``stage`` and ``renew_key`` say what
    ``code`` means (from the public table, see :func:`describe_reply_code`); they are not
    part of the wire form and are filled in from ``code`` when not given.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    txID: str
    code: str
    message: str | None = None
    content: str | dict[str, Any] | None = None
    secretKey: str | None = None
    description: str | None = None
    status: ReplyStatus = ReplyStatus.UNKNOWN
    stage: str = "unknown"
    renew_key: bool = False

    @model_validator(mode="before")
    @classmethod
    def _describe(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("code"), str):
            entry = describe_reply_code(data["code"])
            data = dict(data)
            data.setdefault("description", entry.meaning)
            data.setdefault("status", entry.status)
            data.setdefault("stage", entry.stage)
            data.setdefault("renew_key", entry.renew_key)
        return data

    @property
    def is_success(self) -> bool:
        """Whether ``code`` is ``D00000``."""
        return self.code == _SUCCESS_CODE

    def to_json(self) -> bytes:
        """The wire form ``{txID, code, message, content[, secretKey]}``, e.g. for a mock."""
        import json

        wire: dict[str, Any] = {"txID": self.txID, "code": self.code, "message": self.message}
        wire["content"] = self.content
        if self.secretKey is not None:
            wire["secretKey"] = self.secretKey
        return json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_reply(
    data: bytes | str,
    *,
    max_size: int = MAX_REPLY_BYTES,
    extra_codes: Mapping[str, str] | None = None,
) -> IAmSmartReply:
    """Parse an iAM Smart reply or callback document.

    Duplicate JSON keys, ``NaN``/``Infinity``, numbers of more than 64 digits, a missing or
    empty ``txID``/``code`` and fields of the wrong type are rejected. Any code is
    accepted and described (``status`` ``unknown`` for one outside the public table;
    ``extra_codes`` gives such codes a meaning): a reply that is not a success is
    returned, not raised, and the caller decides.

    :raises IAmSmartEnvelopeError: ``TOO_LARGE``, ``BAD_JSON``, ``DUPLICATE_KEY``,
        ``MISSING_FIELD`` or ``BAD_FIELD``, naming the field.
    """
    extra: dict[str, str] = {}
    if extra_codes is not None:
        if not isinstance(extra_codes, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in extra_codes.items()
        ):
            raise InvalidArgument("extra_codes must map code strings to descriptions")
        extra = dict(extra_codes)
    document = _parse_json_object(data, "reply", max_size)
    tx_id = _req_str(document, "txID", "txID", max_length=256)
    code = _req_str(document, "code", "code", max_length=64)
    message = _opt_str(document, "message", "message", max_length=4096)
    raw_content = document.get("content")
    content: str | dict[str, Any] | None
    if isinstance(raw_content, dict):
        for key, value in raw_content.items():
            if isinstance(value, JsonNumber):
                raise IAmSmartEnvelopeError(
                    EnvelopeErrorCode.BAD_FIELD,
                    f"content.{key} holds a JSON {_json_type(value)}",
                    field=f"content.{key}",
                )
        content = raw_content
    else:
        content = _opt_str(document, "content", "content", max_length=MAX_REPLY_BYTES)
    secret_key = _opt_str(document, "secretKey", "secretKey", max_length=_MAX_WRAPPED_KEY)
    entry = describe_reply_code(code, extra)
    return IAmSmartReply(
        txID=tx_id,
        code=code,
        message=message,
        content=content,
        secretKey=secret_key,
        description=entry.meaning,
        status=entry.status,
        stage=entry.stage,
        renew_key=entry.renew_key,
    )


class IAmSmartKeyReply(BaseModel):
    """A ``/security/getKey`` reply: the wrapped content key and its lifetime.

    ``issue_at`` and ``expires_in`` are in milliseconds, as the samples read them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    txID: str
    secret_key: str
    pub_key: str | None = None
    issue_at: int | None = None
    expires_in: int | None = None

    def content_key(
        self,
        service_private_key: RSAPrivateKey,
        *,
        paddings: Sequence[PaddingName] = DEFAULT_UNWRAP_PADDINGS,
    ) -> bytes:
        """The 32-byte content key, unwrapped with the service's RSA private key.

        :raises IAmSmartEnvelopeError: ``BAD_BASE64``, ``TOO_LARGE`` or ``KEY_UNWRAP_FAILED``.
        """
        return unwrap_secret_key(self.secret_key, service_private_key, paddings=paddings)


def _opt_int(obj: Mapping[str, Any], key: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_FIELD,
            f"content.{key} must be a number, got a JSON {_json_type(value)}",
            field=f"content.{key}",
        )
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 16:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_FIELD,
            f"content.{key} must be a non-negative number of at most 16 digits",
            field=f"content.{key}",
        )
    return int(text)


def parse_key_reply(data: bytes | str, *, max_size: int = MAX_REPLY_BYTES) -> IAmSmartKeyReply:
    """Parse a ``/security/getKey`` reply, whose ``content`` is a plain JSON object.

    A string ``content`` holding the same object as JSON text is read too, but the
    object is the documented form.

    :raises IAmSmartEnvelopeError: as :func:`parse_reply`; ``BAD_FIELD`` when the reply
        is not a success (the message gives the code's meaning) or ``content`` lacks
        ``secretKey``.
    """
    reply = parse_reply(data, max_size=max_size)
    if not reply.is_success:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_FIELD,
            f"getKey replied {reply.code[:16]} ({reply.description}; {reply.status.value})",
            field="code",
        )
    content = reply.content
    if isinstance(content, str):
        content = _parse_json_object(content, "content", max_size)
    if content is None:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.MISSING_FIELD, "getKey reply has no content", field="content"
        )
    return IAmSmartKeyReply(
        txID=reply.txID,
        secret_key=_req_str(content, "secretKey", "content.secretKey", max_length=_MAX_WRAPPED_KEY),
        pub_key=_opt_str(content, "pubKey", "content.pubKey", max_length=_MAX_WRAPPED_KEY),
        issue_at=_opt_int(content, "issueAt"),
        expires_in=_opt_int(content, "expiresIn"),
    )
