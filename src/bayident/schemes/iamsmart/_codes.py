"""The iAM Smart reply codes: what each public code means and what kind of outcome it is.

The table is the one the public sample code carries (the eHealth C# e-service sample's
``ReturnCode`` enum, wire form ``D`` and five digits; the Java ``IamSmartInstance`` sample
handles the same codes). ``docs/schemes/iamsmart.md`` lists it with its sources. The
samples name only some of the API errors of the 20000-20074 range; the others are
reported as API errors without a meaning of their own rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = ["REPLY_CODES", "ReplyCode", "ReplyStatus", "describe_reply_code"]


class ReplyStatus(StrEnum):
    """What kind of outcome an iAM Smart reply code reports."""

    SUCCESS = "success"
    USER_CANCELLED = "user-cancelled"
    USER_REJECTED = "user-rejected"
    TIMEOUT = "timeout"
    FAILED = "failed"
    NOT_ALLOWED = "not-allowed"
    IDENTITY_MISMATCH = "identity-mismatch"
    KEY_EXPIRED = "key-expired"
    API_ERROR = "api-error"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ReplyCode:
    """One reply code: its meaning, its kind, the step it belongs to and what to do.

    ``renew_key`` is true for the content-key errors (``D3000x``), after which the public
    samples call ``/security/getKey`` again before retrying.
    """

    code: str
    meaning: str
    status: ReplyStatus
    stage: str
    renew_key: bool = False


def _table() -> dict[str, ReplyCode]:
    s = ReplyStatus
    rows: list[tuple[str, str, ReplyStatus, str]] = [
        ("00000", "success", s.SUCCESS, "any"),
        ("20009", "the access token does not exist", s.API_ERROR, "api"),
        ("20010", "the openID does not exist", s.API_ERROR, "api"),
        ("20012", "the access token's scope is insufficient", s.API_ERROR, "api"),
        ("30001", "the key-encryption key does not exist or has expired", s.KEY_EXPIRED, "key"),
        ("30002", "the content (AES) key does not exist or has expired", s.KEY_EXPIRED, "key"),
        ("30003", "encryption failed (content key)", s.FAILED, "key"),
        ("30004", "decryption failed (content key)", s.FAILED, "key"),
        ("40000", "the user cancelled sign-in", s.USER_CANCELLED, "sign-in"),
        ("40001", "the user rejected sign-in", s.USER_REJECTED, "sign-in"),
        ("40002", "sign-in failed", s.FAILED, "sign-in"),
        ("40003", "sign-in timed out", s.TIMEOUT, "sign-in"),
        ("40004", "the authorisation code does not exist", s.FAILED, "sign-in"),
        ("40035", "the user's identity card is in error", s.FAILED, "sign-in"),
        ("50001", "the user cancelled the profile request", s.USER_CANCELLED, "profile"),
        ("50002", "the profile request failed", s.FAILED, "profile"),
        ("50003", "the profile request timed out", s.TIMEOUT, "profile"),
        ("60000", "the user cancelled e-ME form filling", s.USER_CANCELLED, "form-filling"),
        ("60001", "the user rejected e-ME form filling", s.USER_REJECTED, "form-filling"),
        ("60002", "e-ME form filling failed", s.FAILED, "form-filling"),
        ("60003", "e-ME form filling timed out", s.TIMEOUT, "form-filling"),
        ("70000", "the user cancelled signing", s.USER_CANCELLED, "signing"),
        ("70001", "the user rejected signing", s.USER_REJECTED, "signing"),
        ("70002", "signing failed", s.FAILED, "signing"),
        ("70003", "signing timed out", s.TIMEOUT, "signing"),
        ("70004", "the user is not allowed to sign", s.NOT_ALLOWED, "signing"),
        (
            "70005",
            "the HKIC number is inconsistent: the person who opened the request is not the "
            "one the HKICHash names",
            s.IDENTITY_MISMATCH,
            "signing",
        ),
        ("70006", "the signing acknowledgement failed", s.FAILED, "signing"),
        ("80001", "the user rejected step-up authentication", s.USER_REJECTED, "step-up"),
        ("80002", "step-up authentication failed", s.FAILED, "step-up"),
        ("80003", "step-up authentication timed out", s.TIMEOUT, "step-up"),
    ]
    return {
        "D" + digits: ReplyCode(
            "D" + digits, meaning, status, stage, renew_key=digits.startswith("3000")
        )
        for digits, meaning, status, stage in rows
    }


#: Every reply code of the public table, by wire code (``"D70005"``).
REPLY_CODES: Final = MappingProxyType(_table())

_WIRE = re.compile(r"D([0-9]{5})", re.ASCII)
# The samples give the API-error range as 20000-20074 without naming every member.
_API_ERRORS = range(20000, 20075)


def describe_reply_code(code: str, extra: dict[str, str] | None = None) -> ReplyCode:
    """The meaning and kind of ``code``; never raises for an unknown code.

    A code of the public table is described from it; another code of the documented
    API-error range (``D20000``-``D20074``) is an API error without a meaning of its own;
    anything else is ``unknown`` (its meaning taken from ``extra`` when the caller
    supplied one).
    """
    known = REPLY_CODES.get(code)
    if known is not None:
        return known
    match = _WIRE.fullmatch(code)
    given = (extra or {}).get(code)
    if match is not None and int(match.group(1)) in _API_ERRORS:
        return ReplyCode(
            code,
            given or f"API error {code} (not described in the public samples)",
            ReplyStatus.API_ERROR,
            "api",
        )
    return ReplyCode(
        code,
        given or f"code {code[:16]!r} is not in the public iAM Smart code table",
        ReplyStatus.UNKNOWN,
        "unknown",
    )
