"""The result of a verification: what was found, each check made, and the verdict.

The model follows the layering of ETSI EN 319 102-1: an overall *indication*
(``PASSED``, ``FAILED``, ``INDETERMINATE``), a *sub-indication* naming the
reason, and below it the ordered checks that led there.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from enum import Enum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, computed_field

from ._exceptions import ResultError
from ._identity import Identity, Recognition

__all__ = [
    "CertificateInfo",
    "Check",
    "CheckOutcome",
    "Indication",
    "RevocationInfo",
    "SignerReport",
    "SubIndication",
    "TimestampInfo",
    "VerificationResult",
]


class Indication(str, Enum):
    """The overall verdict (EN 319 102-1 §5.1.3: TOTAL-PASSED, TOTAL-FAILED, INDETERMINATE)."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    INDETERMINATE = "INDETERMINATE"


class SubIndication(str, Enum):
    """Why a signature did not pass, with the names of EN 319 102-1 Table 5.

    Each member is paired with the indication it may accompany in
    :data:`SUB_INDICATION_SPLIT`; a result never pairs them otherwise.
    """

    # TOTAL-FAILED: the signature is proven wrong.
    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    # INDETERMINATE: what is available does not allow a decision.
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CERTIFICATE_CHAIN_GENERAL_FAILURE = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    POLICY_PROCESSING_ERROR = "POLICY_PROCESSING_ERROR"
    SIGNATURE_POLICY_NOT_AVAILABLE = "SIGNATURE_POLICY_NOT_AVAILABLE"
    TIMESTAMP_ORDER_FAILURE = "TIMESTAMP_ORDER_FAILURE"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    REVOCATION_OUT_OF_BOUNDS_NO_POE = "REVOCATION_OUT_OF_BOUNDS_NO_POE"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    NO_POE = "NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"


_FAILED_ONLY = {
    SubIndication.FORMAT_FAILURE,
    SubIndication.HASH_FAILURE,
    SubIndication.SIG_CRYPTO_FAILURE,
    SubIndication.REVOKED,
}
# EN 319 102-1 lists EXPIRED and NOT_YET_VALID under TOTAL-FAILED when proof of
# existence places the signature outside the validity period, and under
# INDETERMINATE when the signing time is only claimed.
_EITHER = {SubIndication.EXPIRED, SubIndication.NOT_YET_VALID}

SUB_INDICATION_SPLIT: dict[SubIndication, frozenset[Indication]] = {
    s: (
        frozenset({Indication.FAILED})
        if s in _FAILED_ONLY
        else frozenset({Indication.FAILED, Indication.INDETERMINATE})
        if s in _EITHER
        else frozenset({Indication.INDETERMINATE})
    )
    for s in SubIndication
}


class CheckOutcome(str, Enum):
    """Outcome of one check."""

    PASSED = "passed"
    FAILED = "failed"
    INDETERMINATE = "indeterminate"
    WARNING = "warning"
    SKIPPED = "skipped"


_FROZEN = ConfigDict(frozen=True, extra="ignore")


_M = TypeVar("_M", bound=BaseModel)


def _build(cls: type[_M], values: dict[str, Any]) -> _M:
    """A model of ``cls`` from ``values``, through pydantic's public validation.

    Every result the library returns is made here or by :func:`_replace`, so each is a
    model pydantic itself built and checked: nothing writes to an instance afterwards.
    Validation of values the library produced costs about as much as
    ``model_construct`` (which fills defaults field by field in Python), and it catches a
    value of the wrong type where it is made rather than in a caller's JSON. A warm
    verification builds two models (its signer report and its result); the checks,
    certificate summaries and revocation entries it reports are remembered, immutable
    models shared between results.

    The model's own validator (``__pydantic_validator__``, a documented class attribute)
    is called directly: ``model_validate`` adds keyword handling around the same call,
    which a cold validation, building seven models, notices.
    """
    return cls.__pydantic_validator__.validate_python(values)  # type: ignore[no-any-return]


def _replace(model: _M, changes: dict[str, Any]) -> _M:
    """A new model: ``model`` with ``changes``, validated like :func:`_build`.

    Unlike ``model_copy(update=...)``, which copies and then updates the copy, the
    changed values are checked and the original is never touched.
    """
    return _build(type(model), {**dict(model), **changes})


class Check(BaseModel):
    """One step of the verification, in the order it was made."""

    model_config = _FROZEN

    name: str = Field(description="Stable machine name of the check, e.g. 'message-digest'.")
    outcome: CheckOutcome
    message: str = Field(description="What was found, in a sentence a person can act on.")
    concerns: str | None = Field(
        default=None,
        description="The certificate, attribute or field the check is about.",
    )
    signer: int | None = Field(
        default=None, description="Index of the signer the check belongs to."
    )


class CertificateInfo(BaseModel):
    """A summary of one X.509 certificate."""

    model_config = _FROZEN

    subject: str
    issuer: str
    serial_number: str = Field(description="Serial number in hexadecimal.")
    fingerprint_sha256: str
    not_before: _dt.datetime
    not_after: _dt.datetime
    public_key: str = Field(description="Key type and size, e.g. 'RSA-2048', 'EC-secp256r1'.")
    policies: tuple[str, ...] = ()
    key_usage: tuple[str, ...] = ()

    def describe(self) -> str:
        """Short human name: subject, serial and issuer."""
        return f"{self.subject} (serial 0x{self.serial_number}, issued by {self.issuer})"


RevocationStatus = Literal["good", "revoked", "unknown", "not-checked"]


class RevocationInfo(BaseModel):
    """The revocation status of one certificate of a path, and where it came from.

    ``status`` is ``good`` (revocation data shows it was not revoked at the
    validation time), ``revoked`` (at ``revoked_at``, for ``reason``), ``unknown``
    (data was required but missing, stale or unusable) or ``not-checked`` (the
    policy did not ask for it, or the certificate names no revocation source).
    """

    model_config = _FROZEN

    subject: str
    serial_number: str = Field(description="Serial number of the certificate, in hexadecimal.")
    fingerprint_sha256: str
    status: RevocationStatus
    revoked_at: _dt.datetime | None = None
    reason: str | None = Field(default=None, description="CRLReason of a revocation, if given.")
    source: Literal["ocsp", "crl"] | None = Field(
        default=None, description="The kind of revocation data the status rests on."
    )
    origin: Literal["fetched", "embedded", "caller"] | None = Field(
        default=None,
        description=(
            "Where that data came from: fetched from ``url``, embedded in the evidence, or "
            "passed by the caller."
        ),
    )
    from_cache: bool = Field(
        default=False, description="Fetched earlier and reused until its nextUpdate."
    )
    url: str | None = Field(default=None, description="The OCSP responder or CRL address.")
    produced_at: _dt.datetime | None = Field(
        default=None, description="OCSP producedAt, or the CRL's thisUpdate."
    )
    this_update: _dt.datetime | None = None
    next_update: _dt.datetime | None = None
    message: str = Field(description="What was found, in a sentence.")


class TimestampInfo(BaseModel):
    """An RFC 3161 time-stamp token found on a signer, and what it proves."""

    model_config = _FROZEN

    kind: Literal["signature", "content", "archive"] = Field(
        description=(
            "'signature': a signature time-stamp (unsigned attribute, CAdES-T) over the "
            "signature value; 'content': a content time-stamp (signed attribute) over the "
            "content, or a bare RFC 3161 token given as evidence; 'archive': an archive "
            "time-stamp (CAdES-A, archive-time-stamp-v3) over the signature and its data."
        )
    )
    gen_time: _dt.datetime | None = Field(
        default=None, description="The time the TSA attests (TSTInfo.genTime)."
    )
    tsa: str | None = Field(default=None, description="Subject of the TSA certificate.")
    tsa_certificate: CertificateInfo | None = None
    serial_number: str | None = Field(
        default=None, description="TSTInfo.serialNumber, in hexadecimal."
    )
    policy: str | None = Field(default=None, description="The TSA policy OID.")
    hash_algorithm: str | None = None
    imprint_ok: bool = Field(
        default=False, description="The message imprint matches what it should cover."
    )
    valid: bool = Field(
        default=False,
        description=(
            "Imprint, TSA signature and TSA certificate path all verified: gen_time is a proof "
            "of existence."
        ),
    )
    message: str


class SignerReport(BaseModel):
    """What was found and decided about one signer."""

    model_config = _FROZEN

    index: int
    indication: Indication
    sub_indication: SubIndication | None = None
    message: str
    certificate: CertificateInfo | None = None
    chain: tuple[CertificateInfo, ...] = Field(
        default=(), description="Certificates from the signer to the trust anchor, inclusive."
    )
    trust_anchor: CertificateInfo | None = None
    anchors_considered: tuple[str, ...] = Field(
        default=(), description="Subjects of the trust anchors looked at while building the chain."
    )
    digest_algorithm: str | None = None
    signature_algorithm: str | None = None
    claimed_signing_time: _dt.datetime | None = Field(
        default=None, description="The signing-time attribute: a claim by the signer, not a proof."
    )
    signed_attributes: tuple[str, ...] = ()
    details: dict[str, Any] = Field(default_factory=dict)
    revocation: tuple[RevocationInfo, ...] = Field(
        default=(),
        description="Revocation status of each certificate of the path, signer first.",
    )
    timestamps: tuple[TimestampInfo, ...] = Field(
        default=(), description="RFC 3161 time-stamp tokens on this signer."
    )
    counter_signatures: tuple[SignerReport, ...] = Field(
        default=(),
        description=(
            "Counter-signatures (RFC 5652 §11.4) over this signer's signature value, each "
            "verified and reported like a signer, nested as they are in the evidence."
        ),
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """``True`` only for ``Indication.PASSED``."""
        return self.indication is Indication.PASSED


def worst_report(reports: Iterable[SignerReport]) -> SignerReport | None:
    """The report that decides a result of several signatures: the first FAILED one, else
    the first INDETERMINATE one, else ``None`` (every signature passed)."""
    worst = None
    for r in reports:
        if r.indication is Indication.FAILED:
            return r
        if r.indication is Indication.INDETERMINATE and worst is None:
            worst = r
    return worst


class VerificationResult(BaseModel):
    """The verdict on a piece of evidence, with every check that led to it.

    ``result.passed`` is the one bool to branch on; everything else explains it.
    """

    model_config = _FROZEN

    indication: Indication
    sub_indication: SubIndication | None = None
    message: str = Field(description="One sentence saying what was decided and why.")
    evidence_format: str | None = Field(default=None, description="e.g. 'cms', 'smime'.")
    signers: tuple[SignerReport, ...] = ()
    checks: tuple[Check, ...] = ()
    warnings: tuple[str, ...] = ()
    validation_time: _dt.datetime
    trust_sources: tuple[str, ...] = Field(
        default=(), description="Where trust was sought: the trust stores and lists consulted."
    )
    timestamps: tuple[TimestampInfo, ...] = Field(
        default=(),
        description="The time-stamp, when the evidence is a bare RFC 3161 time-stamp token.",
    )
    adapter: str | None = Field(
        default=None, description="The scheme adapter that handled the evidence."
    )
    identity: Identity | None = Field(
        default=None, description="The identity a scheme adapter derived from the evidence."
    )
    recognition: Recognition | None = Field(
        default=None, description="Whether the recognition policy admits the identity, and why."
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """``True`` only when the indication is ``PASSED``."""
        return self.indication is Indication.PASSED

    def signer_certificate(self, index: int = 0) -> CertificateInfo:
        """The certificate of signer ``index`` of a PASSED result, typed as present.

        ``result.signers[0].certificate`` is optional (a failed result may name no
        certificate); after ``result.passed`` this is the way to reach it that a strict type
        checker accepts. Raises :class:`bayident.ResultError` when the result did not pass,
        or has no such signer.
        """
        if not self.passed:
            raise ResultError(
                f"the result is {self.indication.value}, not PASSED: its signers' "
                "certificates are not vouched for (check result.passed first)"
            )
        signer = next((s for s in self.signers if s.index == index), None)
        if signer is None or signer.certificate is None:
            raise ResultError(f"the result has no signer {index} with a certificate")
        return signer.certificate

    def failed_checks(self) -> tuple[Check, ...]:
        """The checks that did not pass, in order."""
        return tuple(
            c for c in self.checks if c.outcome in (CheckOutcome.FAILED, CheckOutcome.INDETERMINATE)
        )

    def explain(self) -> str:
        """A multi-line account for people: the verdict, then each check."""
        head = self.indication.value
        if self.sub_indication is not None:
            head += f" / {self.sub_indication.value}"
        lines = [f"{head}: {self.message}"]
        marks = {
            CheckOutcome.PASSED: "ok  ",
            CheckOutcome.FAILED: "FAIL",
            CheckOutcome.INDETERMINATE: "??  ",
            CheckOutcome.WARNING: "warn",
            CheckOutcome.SKIPPED: "skip",
        }
        for c in self.checks:
            where = f" [{c.concerns}]" if c.concerns else ""
            who = f"signer {c.signer}: " if c.signer is not None else ""
            lines.append(f"  {marks[c.outcome]} {who}{c.name}: {c.message}{where}")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)
