"""Per-signer state and checks shared by the CMS verifier and its check modules."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from . import _der as d
from ._algorithms import SignatureMechanism
from ._certs import CertRecord
from ._cms import SignerInfo
from ._memo import Memo
from ._result import (
    Check,
    CheckOutcome,
    Indication,
    RevocationInfo,
    SubIndication,
    TimestampInfo,
    _build,
)

__all__ = ["FAILED_SUBS", "SignerState", "iso", "make_check", "oid_der"]

_FAILED = FAILED_SUBS = {
    SubIndication.FORMAT_FAILURE,
    SubIndication.HASH_FAILURE,
    SubIndication.SIG_CRYPTO_FAILURE,
    SubIndication.REVOKED,
}

_OUT = CheckOutcome


# Process-wide: a check is a pure function of its fields (interned, not decided here).
_CHECKS: Memo[tuple[str, CheckOutcome, str, str | None, int | None], Check] = Memo(8192)


def make_check(
    name: str,
    outcome: CheckOutcome,
    message: str,
    concerns: str | None = None,
    signer: int | None = None,
) -> Check:
    # Checks are immutable and the same ones recur for every signature of a signer, so
    # they are shared.
    key = (name, outcome, message, concerns, signer)
    check = _CHECKS.get(key)
    if check is None:
        check = _build(
            Check,
            {
                "name": name,
                "outcome": outcome,
                "message": message,
                "concerns": concerns,
                "signer": signer,
            },
        )
        _CHECKS.put(key, check)
    return check


@dataclass
class SignerState:
    info: SignerInfo
    checks: list[Check] = field(default_factory=list)
    verdict: tuple[Indication, SubIndication, str] | None = None
    cert: CertRecord | None = None
    digest: str | None = None
    mech: SignatureMechanism | None = None
    signing_time: _dt.datetime | None = None
    path: Any = None
    revocation: tuple[RevocationInfo, ...] = ()
    timestamps: list[TimestampInfo] | None = None
    # The content-time-stamp signed attribute, when present (seen while checking attributes).
    content_timestamp: Any = None
    # The signed attribute that breaks RFC 5652 §11's single-value rule, if any.
    malformed_attrs: str | None = None
    # Why the RFC 6211 cms-algorithm-protection attribute fails, if it does (it fails the
    # signature whatever the signature value).
    algorithm_protection: Any = None
    # The signer this one counter-signs (RFC 5652 §11.4), for a counter-signature.
    counter_of: SignerState | None = None

    def add(
        self, name: str, outcome: CheckOutcome, message: str, concerns: str | None = None
    ) -> None:
        # make_check's cache read inline: every check of a verification passes here.
        index = self.info.index
        check = _CHECKS.get((name, outcome, message, concerns, index))
        if check is None:
            check = make_check(name, outcome, message, concerns, index)
        self.checks.append(check)

    def fail(
        self, name: str, sub: SubIndication, message: str, concerns: str | None = None
    ) -> None:
        ind = Indication.FAILED if sub in _FAILED else Indication.INDETERMINATE
        self.add(
            name,
            CheckOutcome.FAILED if ind is Indication.FAILED else CheckOutcome.INDETERMINATE,
            message,
            concerns,
        )
        # Proven failures outrank undecided ones; within a rank the first reason stands.
        if self.verdict is None or (
            ind is Indication.FAILED and self.verdict[0] is not Indication.FAILED
        ):
            self.verdict = (ind, sub, message)


# Process-wide: a pure function of the dotted OID.
_OID_DER: Memo[str, bytes] = Memo(1024)


def oid_der(dotted: str) -> bytes:
    der = _OID_DER.get(dotted)
    if der is None:
        der = d.encode_oid(dotted)
        _OID_DER.put(dotted, der)
    return der


def iso(when: _dt.datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")
