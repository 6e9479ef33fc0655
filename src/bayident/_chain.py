"""The fast certification-path engine: pyca/cryptography's ``x509.verification``.

cryptography's verifier (Rust; run in its CI against x509-limbo) builds the path
from the certificates at hand to the trust store and checks signatures, validity,
basic constraints, path length, name constraints of every CA including the
anchor (DNS, e-mail, URI, IP) and the RFC 5280 profile of CA certificates. It
knows the web PKI's algorithms only (RSA of 2048 bits and more with SHA-2,
RSA-PSS, ECDSA on P-256/P-384/P-521) and refuses directoryName constraints; for
everything else (SM2, DSA, SHA-1, Ed25519, brainpool, directoryName constraints)
the path goes to the general engine (pyhanko-certvalidator), with the same
checks of our own around it (``_profile``, ``_policytree``). :func:`fast_path` is the
one place that says which paths need the general engine (the ``pkix`` extra): each
:class:`FastResult` it marks ``unsupported`` says why, naming the certificate.

What cryptography does not do is done by bayident on the path it returns: the
RFC 5280 §6.1 certificate-policy tree, the profile checks of the end-entity and
of the anchor, the policy's algorithm rules, and revocation.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import verification as xv

from ._algorithms import AlgorithmError, mechanism_for
from ._algtypes import describe_key
from ._certs import CertRecord
from ._memo import Memo
from ._pathoutcome import PathOutcome, key_problem
from ._policy import Policy
from ._policytree import ANY, PolicyFailure, policy_extensions, process_policies
from ._profile import (
    AnchorMemo,
    ProfileProblem,
    anchor_problem,
    name_constraints_of,
    profile_problem,
)
from ._result import SubIndication
from ._trust import TrustAnchor, TrustStore

if TYPE_CHECKING:
    from .revocation._check import RevocationRequest

__all__ = [
    "FastResult",
    "fast_path",
    "fast_supported",
    "own_checks",
    "path_failure",
    "policy_outcome",
    "rank_issuers",
    "refusal",
    "revocation_active",
    "search_stopped",
]

# Signature algorithms cryptography's verifier accepts (its web-PKI set).
_FAST_SIGNATURES = {
    "1.2.840.113549.1.1.11",  # sha256WithRSAEncryption
    "1.2.840.113549.1.1.12",  # sha384WithRSAEncryption
    "1.2.840.113549.1.1.13",  # sha512WithRSAEncryption
    "1.2.840.113549.1.1.10",  # RSASSA-PSS
    "1.2.840.10045.4.3.2",  # ecdsa-with-SHA256
    "1.2.840.10045.4.3.3",  # ecdsa-with-SHA384
    "1.2.840.10045.4.3.4",  # ecdsa-with-SHA512
}
# policyMappings, which cryptography has no class for: the general engine processes it.
_POLICY_MAPPINGS = "2.5.29.33"
_LENGTH_LIMIT = "the path length limit stopped the search"
_BASIC_CONSTRAINTS = "2.5.29.19"
_FAST_CURVES = {"secp256r1", "secp384r1", "secp521r1"}
_NOT_CHECKED = "which cryptography's verifier does not check"


def _ca_policy() -> xv.ExtensionPolicy:
    # The web-PKI CA profile, except that keyUsage and extendedKeyUsage may be absent or
    # say anything: RFC 5280 lets a CA certificate carry no key usage (§4.2.1.3 leaves it to
    # the CA), and an EKU in a CA certificate constrains TLS, not signatures.
    # ``_profile`` checks keyCertSign where a CA asserts key usage.
    agnostic = xv.Criticality.AGNOSTIC
    return (
        xv.ExtensionPolicy.webpki_defaults_ca()
        .may_be_present(x509.KeyUsage, agnostic, None)
        .may_be_present(x509.ExtendedKeyUsage, agnostic, None)
        # Certificate-policy extensions are processed by ``_policytree``.
        .may_be_present(x509.PolicyConstraints, agnostic, None)
        .may_be_present(x509.InhibitAnyPolicy, agnostic, None)
        .may_be_present(x509.CertificatePolicies, agnostic, None)
    )


_CA_POLICY = _ca_policy()
# The signer certificate is checked by bayident itself (key usage by the policy, its
# profile in ``_profile``): the TLS client profile does not apply to signing keys.
_EE_POLICY = xv.ExtensionPolicy.permit_all()


@dataclass(frozen=True)
class FastResult:
    """cryptography's decision: a path (signer … last intermediate, anchor), or why not."""

    certs: tuple[CertRecord, ...] = ()
    anchor: TrustAnchor | None = None
    sub_indication: SubIndication | None = None
    message: str = ""
    # True: the general engine must decide (an algorithm or constraint cryptography lacks).
    unsupported: bool = False

    @property
    def ok(self) -> bool:
        return self.anchor is not None

    @property
    def path_search_only(self) -> bool:
        """cryptography found no issuer whose name and signature match: a search failure.

        The general engine checks every signature itself, so a path it validates (with
        our checks around it) stands; cryptography's builder misses some paths through
        self-issued key roll-over certificates.
        """
        return self.message.startswith(("signature does not match", "all candidates exhausted"))


def _unsupported(why: str) -> FastResult:
    """The general engine must decide, for the reason ``why`` (which names the certificate)."""
    return FastResult(message=why, unsupported=True)


def _outside(rec: CertRecord) -> str:
    """What puts the certificate outside cryptography's verifier: its algorithm or key."""
    oid = rec.cert.signature_algorithm_oid
    if oid.dotted_string not in _FAST_SIGNATURES:
        name = getattr(oid, "_name", None) or "an unnamed algorithm"
        return f"is signed with {name} ({oid.dotted_string})"
    try:
        key = describe_key(rec.cert.public_key())
    except (ValueError, TypeError, NotImplementedError, UnsupportedAlgorithm):
        key = "a kind cryptography cannot load (SM2, ...)"
    return f"holds a key ({key}) for issuing"


def _key_fast(key: Any) -> bool:
    if isinstance(key, rsa.RSAPublicKey):
        return key.key_size >= 2048
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.curve.name in _FAST_CURVES
    return False


def fast_supported(rec: CertRecord, issuer: bool = True) -> bool:
    """Whether cryptography's verifier can check this certificate's signature (and key).

    The key matters only for a certificate that may issue others; a signer's own key
    is judged by the policy (``key_problem``), not by the path engine.
    """
    if not issuer:
        return rec.signature_oid in _FAST_SIGNATURES
    found = rec.__dict__.get("_fast_ok")
    if found is None:
        try:
            found = rec.signature_oid in _FAST_SIGNATURES and (_key_fast(rec.cert.public_key()))
        except (ValueError, TypeError, NotImplementedError, UnsupportedAlgorithm):
            found = False
        rec.__dict__["_fast_ok"] = found
    return bool(found)


class _Stores:
    """One cryptography ``Store`` per trust-store version, and its anchors by certificate."""

    def __init__(self, anchors: AnchorMemo) -> None:
        # Keyed by the trust store's identity; an entry is used only for that very store
        # (a replaced store can reuse the address).
        self._items: Memo[
            tuple[int, int, tuple[str, ...]], tuple[TrustStore, xv.Store, dict[Any, Any]]
        ] = Memo(64)
        self._anchors = anchors

    def clear(self) -> None:
        self._items.clear()

    def get(
        self, trust: TrustStore, policy: Policy
    ) -> tuple[xv.Store, dict[Any, Any], bool] | None:
        key = (id(trust), trust.version, policy.profile_relaxations)
        hit = self._items.get(key)
        if hit is not None and hit[0] is trust:
            return hit[1], hit[2], True
        # Anchors that cannot issue any path (not a CA, unknown critical extension, ...)
        # are left out, so that path building goes on to the usable ones; when no path is
        # found, the general engine names the anchor and its fault.
        zero = _dt.timedelta(0)
        anchors = [a for a in trust if anchor_problem(a, policy, None, zero, self._anchors) is None]
        if not anchors:
            return None
        by_der: dict[Any, Any] = {}
        certs = []
        all_fast = True
        for a in anchors:
            by_der[a.certificate] = a
            # The verifier returns the very objects it was given; the store keeps them alive.
            by_der[id(a.certificate)] = a
            certs.append(a.certificate)
            try:
                all_fast = all_fast and _key_fast(a.certificate.public_key())
            except (ValueError, TypeError, NotImplementedError, UnsupportedAlgorithm):
                all_fast = False
        store = xv.Store(certs)
        self._items.put(key, (trust, store, by_der))
        return store, by_der, True


class ChainMemos:
    """What the fast engine remembers, for one verifier (its path validator's).

    The cryptography stores and verifiers built for its trust stores, and the policy's
    verdicts on anchors, issuer keys, signature algorithms and certificate policies
    (keyed by the policy's value). Emptied by :meth:`bayident.Verifier.clear_caches`.
    """

    def __init__(self) -> None:
        self.anchors: AnchorMemo = Memo(4096)
        self.stores = _Stores(self.anchors)
        # Verifiers for one store, instant (whole seconds) and depth: validations within
        # the same second share one. The key holds the store itself, not its address: the
        # two memos drop entries independently, and a new store at a dropped one's
        # address must not find the old store's verifiers.
        self.verifiers: Memo[tuple[Any, _dt.datetime, int], Any] = Memo(64)
        # Issuer keys recur under every certificate they signed: judged once per policy.
        self.keys: Memo[tuple[str, bytes], str | None] = Memo(4096)
        self.algorithms: Memo[tuple[str, str, str | None, _dt.date], str | None] = Memo(4096)
        # Keyed by the policy's value, the certificates by fingerprint and the signer's
        # policy extensions.
        self.policies: Memo[tuple[Any, ...], tuple[str, ...]] = Memo(4096)
        # Intermediate CA certificates cryptography's verifier has validated under an anchor
        # of a store (see _proven_issuer): (store, fingerprint) → (anchor, store of the CA).
        self.proven: Memo[tuple[Any, str], tuple[TrustAnchor, Any]] = Memo(1024)

    def clear(self) -> None:
        """Forget everything remembered."""
        self.stores.clear()
        for memo in (
            self.anchors,
            self.verifiers,
            self.keys,
            self.algorithms,
            self.policies,
            self.proven,
        ):
            memo.clear()


# cryptography's reasons, mapped to EN 319 102-1 sub-indications.
_CONSTRAINT = re.compile(
    r"name constraint|basicConstraints|path length|criticality|critical extension|"
    r"max depth|keyUsage|extension|nameConstraints|unsatisfiable|serial|Issuer|X509v3",
    re.IGNORECASE,
)
_CRYPTO = re.compile(r"Forbidden|too weak|malformed public key|mismatch between", re.IGNORECASE)
_PROCESSING = re.compile(r"\s*\(encountered processing <Certificate\(subject=<Name\((.*?)\)>.*$")


def _reason(exc: Exception) -> tuple[str, str | None]:
    text = " ".join(str(exc).split())
    text = text.removeprefix("validation failed: ").removeprefix("candidates exhausted: ")
    subject = None
    m = _PROCESSING.search(text)
    if m is not None:
        subject = m.group(1)
        text = text[: m.start()]
    return text, subject


def classify(text: str) -> SubIndication:
    """The sub-indication of one of cryptography's path errors."""
    if "not valid at validation time" in text:
        return SubIndication.OUT_OF_BOUNDS_NO_POE
    if "signature check limit" in text or "name constraint check limit" in text:
        return SubIndication.CHAIN_CONSTRAINTS_FAILURE
    if "no interior errors" in text:
        return SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    if _CRYPTO.search(text):
        return SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    if _CONSTRAINT.search(text):
        return SubIndication.CHAIN_CONSTRAINTS_FAILURE
    return SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE


def _general_decides(text: str, policy: Policy) -> bool:
    """cryptography's refusal is one the general engine decides better.

    What cryptography does not implement (directoryName constraints, policyMappings);
    a GeneralizedTime before 2050, which RFC 5280 §4.1.2.5 tells CAs not to write but
    validators to accept; and a CA's basicConstraints not marked critical when the
    policy relaxes that rule.
    """
    return (
        "unsupported" in text
        or ("unaccounted-for critical" in text and _POLICY_MAPPINGS in text)
        or (
            "incorrect criticality" in text
            and _BASIC_CONSTRAINTS in text
            and "noncritical-basic-constraints" in policy.profile_relaxations
        )
        or "must be UtcTime" in text
    )


def _whole_seconds(at: _dt.datetime) -> _dt.datetime:
    # RFC 5280 §4.1.2.5 validity times have no fractions: compare at whole seconds.
    return at.replace(microsecond=0)


def _times(at: _dt.datetime, tolerance: _dt.timedelta) -> Iterator[_dt.datetime]:
    """The validation time, then (clock skew) both ends of its tolerance, made as needed."""
    yield _whole_seconds(at)
    if tolerance:
        yield _whole_seconds(at - tolerance)
        yield _whole_seconds(at + tolerance)


def fast_path(
    leaf: CertRecord,
    pool: Sequence[CertRecord],
    trust: TrustStore,
    at: _dt.datetime,
    policy: Policy,
    tolerance: _dt.timedelta,
    memos: ChainMemos,
    *,
    drop_unsupported: bool = False,
) -> FastResult:
    """Build and validate ``leaf``'s path with cryptography, or say it cannot decide.

    ``tolerance`` (clock skew, only when validating at the current time) is tried
    on both sides of ``at`` when the first attempt fails on validity alone.

    What cryptography's verifier does not decide, and the general engine (the ``pkix``
    extra) does, is marked ``unsupported`` with the reason: the policy turns off the
    trust anchor's own constraints; the signer certificate, or a certificate at hand
    that may issue, uses a signature algorithm outside the web-PKI set (SM2, DSA,
    SHA-1, Ed25519, ...) or, for a CA, a key outside it (RSA under 2048 bits,
    brainpool, SM2, DSA); no trust anchor is usable by cryptography; or its refusal is
    one the general engine decides better (:func:`_general_decides`: directoryName
    constraints, policyMappings, ...). docs/dependencies.md lists the same.

    ``drop_unsupported``: for when the general engine is missing, leave out the
    certificates at hand that cryptography cannot check instead of deferring; a path
    found without them is valid, and a refusal is then marked ``unsupported`` (the path
    may have gone through one of them).
    """
    if not policy.trust_anchor_constraints:
        return _unsupported(
            "Policy.trust_anchor_constraints is off, which only the general path engine supports"
        )
    if not fast_supported(leaf, issuer=False):
        return _unsupported(f"{leaf.describe()} {_outside(leaf)}, {_NOT_CHECKED}")
    dropped = [c for c in pool if not fast_supported(c)]
    if dropped and not drop_unsupported:
        return _unsupported(f"{dropped[0].describe()} {_outside(dropped[0])}, {_NOT_CHECKED}")
    if dropped:
        pool = [c for c in pool if fast_supported(c)]
    stored = memos.stores.get(trust, policy)
    if stored is None:
        return _unsupported("no trust anchor can be used by cryptography's verifier")
    store, by_der, _ = stored
    if not dropped:
        proven = _proven_issuer(leaf, pool, store, at, policy, memos)
        if proven is not None:
            return proven
    times = _times(at, tolerance)
    # cryptography's verifier returns the certificate objects it was given: look them up
    # by identity (hashing a certificate hashes its whole DER), by value as a fallback.
    by_id = {id(c.cert): c for c in pool}
    # Policy.max_chain_length counts the signer and the CA certificates below the anchor,
    # self-issued ones excepted (RFC 5280 §6.1.4 (l)); cryptography counts intermediates.
    max_length = policy.max_chain_length
    self_issued = sum(1 for c in pool if c.self_issued)
    depth = min(max_length - 1 + self_issued, 255)
    first: FastResult | None = None
    for when in times:
        verifier = _client_verifier(memos, store, when, depth)
        try:
            verified = verifier.verify(leaf.cert, [c.cert for c in pool])
        except xv.VerificationError as exc:
            text, subject = _reason(exc)
            if _general_decides(text, policy):
                # directoryName constraints and the like: the general engine knows them.
                where = f" (at certificate '{subject}')" if subject else ""
                return _unsupported(f"cryptography's verifier does not decide it: {text}{where}")
            if dropped:
                # The path may go through a certificate left out: only the engine can tell.
                return _unsupported(
                    f"{dropped[0].describe()} {_outside(dropped[0])}, {_NOT_CHECKED}"
                )
            if first is None:
                where = f" (at certificate '{subject}')" if subject else ""
                if "max depth" in text:
                    text = (
                        f"{_LENGTH_LIMIT}: no path of at most "
                        f"{max_length} certificates below a trust anchor "
                        "(Policy.max_chain_length; self-issued CA certificates not counted)"
                    )
                first = FastResult(
                    sub_indication=classify(text),
                    message=f"{text}{where}",
                )
            if "not valid at validation time" not in text:
                break
            continue
        except (ValueError, TypeError) as exc:  # malformed input cryptography refuses late
            return FastResult(
                sub_indication=SubIndication.FORMAT_FAILURE,
                message=f"a certificate of the path cannot be read: {exc}",
            )
        chain = verified.chain
        anchor = by_der.get(id(chain[-1])) or by_der.get(chain[-1])
        if anchor is None:  # pragma: no cover - cryptography ends every path in the store
            return _unsupported("cryptography's verifier ended the path outside the trust store")
        certs = [leaf]
        for c in chain[1:-1]:
            rec = by_id.get(id(c)) or next((p for p in pool if p.cert == c), None)
            if rec is None:  # pragma: no cover - the path uses only what it was given
                return _unsupported("cryptography's verifier used a certificate not at hand")
            certs.append(rec)
        counted = 1 + sum(1 for c in certs[1:] if not c.self_issued)
        if counted > max_length:
            return FastResult(
                sub_indication=SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                message=(
                    f"{_LENGTH_LIMIT}: the path has {counted} "
                    f"certificates below the trust anchor, more than Policy.max_chain_length "
                    f"({max_length}; self-issued CA certificates not counted)"
                ),
            )
        _remember_proven(certs, anchor, store, memos)
        return FastResult(certs=tuple(certs), anchor=anchor)
    assert first is not None
    return first


def _client_verifier(memos: ChainMemos, store: Any, when: _dt.datetime, depth: int) -> Any:
    """cryptography's verifier for ``store`` at ``when`` (whole seconds), remembered."""
    key = (store, when, depth)
    verifier = memos.verifiers.get(key)
    if verifier is None:
        verifier = (
            xv.PolicyBuilder()
            .store(store)
            .time(when)
            .max_chain_depth(depth)
            .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
            .build_client_verifier()
        )
        memos.verifiers.put(key, verifier)
    return verifier


def _remember_proven(
    certs: list[CertRecord], anchor: TrustAnchor, store: Any, memos: ChainMemos
) -> None:
    """Remember the one intermediate of a validated path as proven under its anchor.

    Only when neither it nor the anchor carries name constraints: the anchor's constraints
    on the signer's names are the one thing about the anchor that cryptography's verifier
    applies to a signer and bayident's own checks would then leave to bayident alone.
    """
    if len(certs) != 2:
        return
    ca = certs[1]
    key = (store, ca.fingerprint)
    if memos.proven.get(key) is not None:
        return
    try:
        if name_constraints_of(ca) is not None or name_constraints_of(anchor) is not None:
            return
    except (ValueError, x509.DuplicateExtension):
        return
    memos.proven.put(key, (anchor, xv.Store([ca.cert])))


def _proven_issuer(
    leaf: CertRecord,
    pool: Sequence[CertRecord],
    store: Any,
    at: _dt.datetime,
    policy: Policy,
    memos: ChainMemos,
) -> FastResult | None:
    """The signer's path through an intermediate validated before under the same store.

    The intermediate's own link to its anchor (its signature, its CA profile under the
    anchor) was proven by cryptography's verifier and does not depend on time, so only the
    signer's link is checked now, with the intermediate as cryptography's anchor; the
    intermediate's validity at ``at`` is checked here, and everything else about the path
    (the anchor's own constraints and validity, the profile, algorithms, policies,
    revocation) by the caller as for any path. None when no such intermediate is at hand or
    its link does not hold at exactly ``at``: the full validation then decides and reports.
    """
    issuer_key = leaf.issuer_key
    when = _whole_seconds(at)
    for ca in pool:
        if ca.subject_key != issuer_key:
            continue
        found = memos.proven.get((store, ca.fingerprint))
        if found is None:
            continue
        anchor, ca_store = found
        if not (ca.not_before <= when <= ca.not_after):
            continue
        if 1 + (0 if ca.self_issued else 1) > policy.max_chain_length:
            continue
        verifier = _client_verifier(memos, ca_store, when, 0)
        try:
            verified = verifier.verify(leaf.cert, [])
        except (xv.VerificationError, ValueError, TypeError):
            continue
        if len(verified.chain) != 2 or verified.chain[-1] is not ca.cert:
            continue
        return FastResult(certs=(leaf, ca), anchor=anchor)
    return None


def path_failure(
    certs: Sequence[CertRecord],
    anchor: TrustAnchor | None,
    considered: tuple[str, ...],
    concerns: str,
    message: str,
    sub: SubIndication = SubIndication.CHAIN_CONSTRAINTS_FAILURE,
) -> PathOutcome:
    """A failed path decision."""
    return PathOutcome(
        False,
        sub,
        message,
        certs[0].describe() if concerns == "ee" else concerns,
        tuple(certs),
        anchor,
        anchors_considered=considered,
    )


def own_checks(
    certs: Sequence[CertRecord],
    anchor: TrustAnchor,
    policy: Policy,
    at: _dt.datetime,
    tolerance: _dt.timedelta,
    considered: tuple[str, ...],
    memos: ChainMemos,
) -> PathOutcome | None:
    """The anchor's own constraints, the RFC 5280 profile and the policy's algorithm rules."""
    problem = anchor_problem(anchor, policy, at, tolerance, memos.anchors) or profile_problem(
        certs, anchor, policy
    )
    if problem is None:
        problem = _algorithm_problem(certs, anchor, policy, at, memos)
    if problem is None:
        return None
    return path_failure(
        certs, anchor, considered, problem.concerns, problem.message, problem.sub_indication
    )


def _algorithm_problem(
    certs: Sequence[CertRecord],
    anchor: TrustAnchor,
    policy: Policy,
    at: _dt.datetime,
    memos: ChainMemos,
) -> ProfileProblem | None:
    """Each certificate signature on the path under the policy's algorithm rules."""
    issuers: list[tuple[CertRecord | TrustAnchor, bytes]] = [(c, c.spki_der) for c in certs[1:]]
    issuers.append((anchor, _anchor_spki(anchor)))
    for rec, (issuer, issuer_spki) in zip(certs, issuers, strict=True):
        oid = rec.signature_oid
        try:
            mech = mechanism_for(oid)
        except AlgorithmError as exc:
            reason: str | None = exc.reason
        else:
            # The policy's algorithm dates have day precision: decide each once a day.
            algo_key = (policy.cache_key, mech.name, mech.fixed_digest, at.date())
            reason = memos.algorithms.get(algo_key, _UNKNOWN)
            if reason is _UNKNOWN:
                reason = None
                if not policy.accepts_signature(mech.name, at):
                    reason = f"{mech.name} signatures are not allowed by the policy"
                elif mech.fixed_digest and not policy.accepts_digest(mech.fixed_digest, at):
                    reason = f"digest {mech.fixed_digest} is not allowed by the policy"
                memos.algorithms.put(algo_key, reason)
        if reason is None:
            memo_key = (policy.cache_key, issuer_spki)
            key_reason = memos.keys.get(memo_key, _UNKNOWN)
            if key_reason is _UNKNOWN:
                key_reason = key_problem(policy, issuer_spki)
                memos.keys.put(memo_key, key_reason)
            if key_reason is not None:
                issuer_label = (
                    issuer.describe()
                    if isinstance(issuer, CertRecord)
                    else f"trust anchor '{issuer.subject}'"
                )
                reason = f"the key of its issuer, {issuer_label}: {key_reason}"
        if reason is not None:
            return ProfileProblem(
                "certificate-algorithms",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"the signature on {rec.describe()} is not acceptable: {reason}",
                rec.describe(),
            )
    return None


_UNKNOWN = "\0unknown"  # not judged yet (None is a verdict: nothing to object to)


def _anchor_spki(anchor: TrustAnchor) -> bytes:
    # Read from the DER: cryptography cannot load every key type (SM2, ...).
    found = _SPKI_MEMO.get(anchor.fingerprint)
    if found is None:
        found = CertRecord(anchor.der, anchor.certificate).spki_der
        _SPKI_MEMO.put(anchor.fingerprint, found)
    return found


# Process-wide: a pure function of the anchor certificate (its fingerprint).
_SPKI_MEMO: Memo[str, bytes] = Memo(4096)


def policy_outcome(
    certs: Sequence[CertRecord],
    anchor: TrustAnchor,
    policy: Policy,
    considered: tuple[str, ...],
    memos: ChainMemos,
) -> tuple[str, ...] | PathOutcome:
    """The path's valid certificate policies (RFC 5280 §6.1), or the failure."""
    try:
        # The outcome depends on the CAs, the anchor, the policy and only the policy
        # extensions of the signer: signers of one CA share it.
        key = (
            policy.cache_key,
            anchor.fingerprint,
            tuple(c.fingerprint for c in certs[1:]),
            policy_extensions(certs[0]),
        )
        hit = memos.policies.get(key)
        if hit is not None:
            return hit
        found = process_policies(certs, policy, anchor.certificate)
    except PolicyFailure as exc:
        return path_failure(certs, anchor, considered, exc.cert.describe(), exc.message)
    except (ValueError, TypeError, KeyError, x509.DuplicateExtension) as exc:
        return path_failure(
            certs,
            anchor,
            considered,
            "ee",
            f"the certificate policies of the path cannot be read: {exc}",
            SubIndication.FORMAT_FAILURE,
        )
    specific = tuple(p for p in found if p != ANY)
    if not specific and (ANY in found or not any(c.policies for c in certs[1:])):
        # anyPolicy all the way down, or CAs that assert no policies: the signer's own
        # assertion is all there is, and nothing above contradicts it.
        specific = certs[0].policies
    memos.policies.put(key, specific)
    return specific


def revocation_active(
    certs: Sequence[CertRecord],
    revocation: RevocationRequest,
    declared: Callable[[CertRecord], tuple[bool, bool]],
) -> bool:
    """Whether revocation status must be established for this path (see ``_pkix_steps``)."""
    mode = revocation.mode
    if mode == "off":
        return False
    if mode == "require" or revocation.supplied.crls or revocation.supplied.ocsps:
        return True
    return revocation.service is not None and any(any(declared(c)) for c in certs)


def refusal(
    fast: FastResult, leaf: CertRecord, general: PathOutcome, considered: tuple[str, ...]
) -> PathOutcome:
    """cryptography's refusal of a path the general engine accepted."""
    sub = fast.sub_indication or SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE
    return PathOutcome(
        False,
        sub,
        f"no acceptable path for {leaf.describe()}: {fast.message}",
        leaf.describe(),
        general.chain,
        general.anchor,
        anchors_considered=considered,
    )


def rank_issuers(child: CertRecord, candidates: list[CertRecord]) -> list[CertRecord]:
    """Issuer candidates best first: key identifier match, then a verifying signature.

    A candidate whose signature over ``child`` provably fails is dropped; one that
    cannot be checked here (SM2, DSA, ...) stays, after those that verify.
    """
    from cryptography.exceptions import InvalidSignature

    ranked: list[tuple[int, int, CertRecord]] = []
    for i, c in enumerate(candidates):
        score = 0 if child.aki is not None and c.ski == child.aki else 1
        try:
            child.cert.verify_directly_issued_by(c.cert)
        except InvalidSignature:
            continue
        except (ValueError, TypeError, UnsupportedAlgorithm):
            score += 2
        ranked.append((score, i, c))
    ranked.sort(key=lambda t: (t[0], t[1]))
    return [c for _, _, c in ranked]


def search_stopped(stats: dict[str, bool], policy: Policy, leaf: CertRecord) -> str | None:
    """Why the general engine's path search ended without a path, when a limit ended it."""
    if stats.get("length"):
        what = (
            f"{_LENGTH_LIMIT} (Policy.max_chain_length = {policy.max_chain_length}; "
            "self-issued CA certificates not counted)"
        )
    elif stats.get("budget"):
        what = "the search budget (256 steps) ran out among the candidate issuers"
    else:
        return None
    return f"{what} before a trust anchor was reached from {leaf.describe()}"
