"""What every OFD signature check shares: its state, checks, SM2 verification and paths."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature

from .._algorithms import AlgorithmError, NonStandardSignature, mechanism_for
from .._certs import CertificateCache, CertRecord
from .._handlers import EvidenceContext
from .._memo import Memo
from .._pathoutcome import PathOutcome
from .._pathstep import path_entries, path_revocation_checks
from .._result import (
    CertificateInfo,
    Check,
    CheckOutcome,
    Indication,
    RevocationInfo,
    SignerReport,
    SubIndication,
    _build,
)

__all__ = ["CERTS", "OUT", "SigState", "fmt_time", "load_cert", "verify_signature"]

OUT = CheckOutcome
CERTS = CertificateCache()
# Process-wide: a check is a pure function of its fields (interned, not decided here).
_CHECKS: Memo[tuple[str, CheckOutcome, str, str | None, int], Check] = Memo(4096)

_FAILED_SUBS = frozenset(
    {
        SubIndication.FORMAT_FAILURE,
        SubIndication.HASH_FAILURE,
        SubIndication.SIG_CRYPTO_FAILURE,
        SubIndication.REVOKED,
    }
)
_SIGNATURE_OIDS = {
    "1.2.156.10197.1.501": "SM3withSM2",
    "1.2.156.10197.1.301.1": "SM2",
}


def fmt_time(t: _dt.datetime | None) -> str:
    """A time for messages, in UTC."""
    if t is None:
        return "unknown"
    u = t.astimezone(_dt.UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d} {u.hour:02d}:{u.minute:02d}:{u.second:02d} UTC"


class SigState:
    """One signature of the package: its checks and, once decided, its verdict."""

    def __init__(self, index: int, kind: str, label: str) -> None:
        self.index = index
        self.kind = kind  # "Seal", "Sign" or "integrity"
        self.label = label  # e.g. "signature 001 (/Doc_0/Signs/Sign_0/Signature.xml)"
        self.checks: list[Check] = []
        self.failed: tuple[Indication, SubIndication, str] | None = None
        self.indeterminate: tuple[Indication, SubIndication, str] | None = None
        self.warnings: list[str] = []
        self.cert: CertRecord | None = None
        self.path: PathOutcome | None = None
        self.revocation: tuple[RevocationInfo, ...] = ()
        self.signing_time: _dt.datetime | None = None
        self.poe: _dt.datetime | None = None
        self.algorithm: str | None = None
        self.digest: str | None = None
        self.details: dict[str, Any] = {}
        self.summary = ""

    def add(self, name: str, outcome: CheckOutcome, message: str, concerns: str | None) -> None:
        # Checks are immutable and recur for every document a seal signs: shared.
        key = (name, outcome, message, concerns, self.index)
        check = _CHECKS.get(key)
        if check is None:
            check = _build(
                Check,
                {
                    "name": name,
                    "outcome": outcome,
                    "message": message,
                    "concerns": concerns,
                    "signer": self.index,
                },
            )
            _CHECKS.put(key, check)
        self.checks.append(check)

    def fail(self, name: str, sub: SubIndication, message: str, concerns: str | None) -> None:
        """Record a failed check; the first FAILED, else the first INDETERMINATE, decides."""
        if sub in _FAILED_SUBS:
            self.add(name, OUT.FAILED, message, concerns)
            if self.failed is None:
                self.failed = (Indication.FAILED, sub, message)
        else:
            self.add(name, OUT.INDETERMINATE, message, concerns)
            if self.indeterminate is None:
                self.indeterminate = (Indication.INDETERMINATE, sub, message)

    @property
    def broken(self) -> bool:
        """A FAILED check already decides this signature."""
        return self.failed is not None

    def verdict(self) -> tuple[Indication, SubIndication | None, str]:
        if self.failed is not None:
            return self.failed
        if self.indeterminate is not None:
            return self.indeterminate
        return Indication.PASSED, None, self.summary or "signature valid"

    def report(self) -> SignerReport:
        ind, sub, msg = self.verdict()
        chain: tuple[CertificateInfo, ...] = ()
        anchor_info = None
        path = self.path
        if path is not None:
            chain = tuple(c.info for c in path.chain)
            if path.anchor is not None:
                try:
                    anchor_info = CERTS.get(path.anchor.der).info
                except ValueError:  # pragma: no cover - anchors were parsed on load
                    anchor_info = None
                if anchor_info is not None and (not chain or chain[-1] != anchor_info):
                    chain += (anchor_info,)
        return _build(
            SignerReport,
            {
                "index": self.index,
                "indication": ind,
                "sub_indication": sub,
                "message": msg,
                "certificate": self.cert.info if self.cert is not None else None,
                "chain": chain,
                "trust_anchor": anchor_info,
                "anchors_considered": path.anchors_considered if path is not None else (),
                "digest_algorithm": self.digest,
                "signature_algorithm": self.algorithm,
                "claimed_signing_time": self.signing_time,
                "signed_attributes": (),
                "details": dict(self.details),
                "revocation": self.revocation,
            },
        )


def load_cert(s: SigState, der: bytes, name: str, what: str) -> CertRecord | None:
    """Parse a certificate carried in the signature; a FORMAT_FAILURE when it is not one."""
    try:
        return CERTS.get(der)
    except ValueError as exc:
        s.fail(name, SubIndication.FORMAT_FAILURE, f"the {what} is not a certificate: {exc}", what)
        return None


def verify_signature(
    ctx: EvidenceContext,
    s: SigState,
    name: str,
    cert: CertRecord,
    algorithm_oid: str,
    signature: bytes,
    data: bytes,
    covered: str,
    where: str,
) -> bool:
    """Check one signature with ``cert``'s key; record the check; True when it verifies."""
    policy, at = ctx.policy, ctx.at
    try:
        mech = mechanism_for(algorithm_oid)
    except AlgorithmError as exc:
        s.fail(name, SubIndication.CRYPTO_CONSTRAINTS_FAILURE, exc.reason, where)
        return False
    digest = mech.fixed_digest or "sm3"
    if not policy.accepts_signature(mech.name, at) or not policy.accepts_digest(digest, at):
        s.fail(
            name,
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            f"{mech.name} with {digest} is not accepted by the policy at {fmt_time(at)}",
            where,
        )
        return False
    alg = _SIGNATURE_OIDS.get(algorithm_oid, mech.name)
    try:
        key = cert.public_key
        if mech.verify_with_policy is not None:
            mech.verify_with_policy(key, signature, data, digest, None, False, policy)
        else:
            mech.verify(key, signature, data, digest, None, False)
    except NonStandardSignature as exc:
        if exc.accepted:
            s.add(name, OUT.WARNING, f"{alg} signature over the {covered} {exc.reason}", where)
            s.warnings.append(f"{s.label}: {name} is the non-standard SM2 variant {exc.variant}")
            return True
        s.fail(
            name,
            SubIndication.SIG_CONSTRAINTS_FAILURE,
            f"the {alg} signature over the {covered} {exc.reason}",
            where,
        )
        return False
    except InvalidSignature:
        s.fail(
            name,
            SubIndication.SIG_CRYPTO_FAILURE,
            f"the {alg} signature over the {covered} does not verify with the key of "
            f"{cert.describe()}",
            where,
        )
        return False
    except AlgorithmError as exc:
        # Without the 'sm' extra the reason names it: pip install 'bayident[sm]'.
        sub = (
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE
            if exc.unsupported
            else SubIndication.FORMAT_FAILURE
        )
        s.fail(name, sub, f"{alg} signature over the {covered}: {exc.reason}", where)
        return False
    except (ValueError, TypeError) as exc:
        s.fail(
            name,
            SubIndication.SIG_CRYPTO_FAILURE,
            f"the {alg} signature over the {covered} cannot be checked with "
            f"{cert.describe()}: {exc}",
            where,
        )
        return False
    s.add(
        name,
        OUT.PASSED,
        f"{alg} signature over the {covered} verifies with the key of {cert.describe()}",
        where,
    )
    return True


def key_usage(ctx: EvidenceContext, s: SigState, cert: CertRecord, name: str) -> None:
    """The policy's signer key usages (RFC 5280 §4.2.1.3), as for a CMS signer."""
    wanted = ctx.policy.signer_key_usage
    ku = cert.key_usage
    if not wanted or ku is None:
        return
    if any(u in ku for u in wanted):
        s.add(name, OUT.PASSED, f"key usage {', '.join(ku)} allows signing", cert.describe())
        return
    s.fail(
        name,
        SubIndication.CHAIN_CONSTRAINTS_FAILURE,
        f"the key usage of {cert.describe()} is {', '.join(ku) or 'empty'}, which does not "
        f"include {' or '.join(wanted)} (RFC 5280 §4.2.1.3)",
        f"keyUsage of {cert.describe()}",
    )


def validate_path(
    ctx: EvidenceContext,
    s: SigState,
    leaf: CertRecord,
    others: Sequence[bytes],
    prefix: str = "",
    role: str = "",
) -> PathOutcome | None:
    """Validate ``leaf``'s path through the verifier and record its checks.

    ``prefix`` renames the checks (``seal-maker-`` for the seal maker's path). An
    expiry that a proof of existence (``s.poe``) precedes is not held against the
    signature (EN 319 102-1 §5.6.2.4: past signature validation).
    """
    try:
        outcome = ctx.validate_chain(leaf.der, others)
    except ValueError as exc:
        s.fail(
            f"{prefix}certificate-path",
            SubIndication.FORMAT_FAILURE,
            f"a certificate of the {role or 'signer'}'s path cannot be read: {exc}",
            leaf.describe(),
        )
        return None
    poe = s.poe
    if (
        not outcome.ok
        and outcome.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE
        and poe is not None
        and outcome.failure_time is not None
        and poe <= outcome.failure_time
    ):
        s.add(
            f"{prefix}certificate-path",
            OUT.PASSED,
            f"{outcome.message}; but the time-stamp proves the signature existed at "
            f"{fmt_time(poe)}, before that expiry (EN 319 102-1 §5.6.2.4)",
            leaf.describe(),
        )
        return outcome
    for name, passed, message, concerns in path_entries(outcome, leaf.describe()):
        text = f"{role}: {message}" if role else message
        if passed:
            s.add(prefix + name, OUT.PASSED, text, concerns)
        else:
            assert outcome.sub_indication is not None
            s.fail(prefix + name, outcome.sub_indication, text, concerns)
    if outcome.revocation and not prefix:
        checks, s.revocation = path_revocation_checks(outcome, s.index)
        s.checks.extend(checks)
    return outcome
