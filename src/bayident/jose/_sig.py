"""What one JWS verification knows about each signature, and how a step records a check.

Shared by the steps of the data path (:mod:`._header` → :mod:`._keys` →
:mod:`._signature` → :mod:`._verify`); it imports none of them.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from .._certs import CertificateCache, CertRecord
from .._pathoutcome import PathOutcome
from .._result import (
    Check,
    CheckOutcome,
    Indication,
    RevocationInfo,
    SubIndication,
)
from .._signer_state import FAILED_SUBS, make_check
from ._algs import JoseAlgorithm
from ._claims import ClaimRules
from ._jwks import JsonWebKey
from ._parse import SignaturePart

__all__ = ["CERTS", "FAILED_SUBS", "JWTOptions", "Sig", "Stop", "make_check"]

_OUT = CheckOutcome
# One parsed-certificate cache for every JWS verification (x5c and x5t#S256 look-ups).
CERTS = CertificateCache()


@dataclass
class JWTOptions:
    """What :func:`bayident.jose.verify_jwt` checks beyond the signature."""

    rules: ClaimRules
    typ: str | None = None
    algorithms: tuple[str, ...] | None = None


class Sig:
    """What is known and decided about one signature (a plain class: built per call)."""

    __slots__ = (
        "alg",
        "b64",
        "cert",
        "checks",
        "details",
        "digest",
        "header",
        "jwk",
        "key",
        "key_label",
        "key_source",
        "kid",
        "needs_jwks",
        "part",
        "path",
        "revocation",
        "signing_input",
        "signing_time",
        "verdict",
    )

    def __init__(self, part: SignaturePart, header: dict[str, Any]) -> None:
        self.part = part
        self.header = header
        self.checks: list[Check] = []
        self.verdict: tuple[Indication, SubIndication, str] | None = None
        self.alg: JoseAlgorithm | None = None
        self.b64 = True
        self.kid: str | None = None
        self.key: Any = None
        self.key_label = ""
        self.key_source: str | None = None
        self.cert: CertRecord | None = None
        self.path: PathOutcome | None = None
        self.revocation: tuple[RevocationInfo, ...] = ()
        self.jwk: JsonWebKey | None = None
        self.signing_time: _dt.datetime | None = None
        self.signing_input: bytes | None = None
        self.digest: bytes | None = None
        self.needs_jwks = False
        self.details: dict[str, Any] = {}

    @property
    def index(self) -> int:
        return self.part.index

    @property
    def where(self) -> str:
        return self.part.where

    @property
    def broken(self) -> bool:
        return self.verdict is not None and self.verdict[0] is Indication.FAILED

    def add(self, name: str, outcome: CheckOutcome, message: str, concerns: str | None) -> None:
        self.checks.append(make_check(name, outcome, message, concerns, self.part.index))

    def fail(self, name: str, sub: SubIndication, message: str, concerns: str | None) -> None:
        ind = Indication.FAILED if sub in FAILED_SUBS else Indication.INDETERMINATE
        self.add(
            name, _OUT.FAILED if ind is Indication.FAILED else _OUT.INDETERMINATE, message, concerns
        )
        # A proven failure outranks an open question; within a rank the first reason stands.
        if self.verdict is None or (
            ind is Indication.FAILED and self.verdict[0] is not Indication.FAILED
        ):
            self.verdict = (ind, sub, message)


class Stop(Exception):
    """The whole JWS is unusable; the result is made from these fields."""

    def __init__(self, name: str, sub: SubIndication, message: str, concerns: str | None) -> None:
        super().__init__(message)
        self.name, self.sub, self.message, self.concerns = name, sub, message, concerns
