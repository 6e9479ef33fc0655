"""Certification path building and RFC 5280 validation.

Paths are built here, from an index of the certificates at hand and the trust
store; each candidate path is then validated by pyhanko-certvalidator, which
implements RFC 5280 §6 in full (policy trees, name constraints, policy
mapping). Signature checks inside it go through bayident's algorithm registry,
so plug-in algorithms such as SM2 work in chains too.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtensionOID

from pyhanko_certvalidator.policy_decl import AlgorithmUsageConstraint, AlgorithmUsagePolicy
from pyhanko_certvalidator.sig_validate import SignatureValidator

from ._algorithms import (
    DIGESTS,
    AlgorithmError,
    describe_key,
    load_public_key,
    mechanism_for,
    parse_pss_params,
)
from ._certs import CertRecord
from ._policy import Policy
from ._result import SubIndication
from ._trust import TrustAnchor, TrustStore

__all__ = ["PathOutcome", "PathValidator"]

ANY_POLICY = "2.5.29.32.0"

# Extensions whose meaning path validation or our signer checks take into account;
# any other critical extension on the signer certificate makes it unusable (RFC 5280 §4.2).
_UNDERSTOOD_EE = {
    ExtensionOID.KEY_USAGE.dotted_string,
    ExtensionOID.BASIC_CONSTRAINTS.dotted_string,
    ExtensionOID.CERTIFICATE_POLICIES.dotted_string,
    ExtensionOID.POLICY_MAPPINGS.dotted_string,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME.dotted_string,
    ExtensionOID.ISSUER_ALTERNATIVE_NAME.dotted_string,
    ExtensionOID.NAME_CONSTRAINTS.dotted_string,
    ExtensionOID.POLICY_CONSTRAINTS.dotted_string,
    ExtensionOID.EXTENDED_KEY_USAGE.dotted_string,
    ExtensionOID.INHIBIT_ANY_POLICY.dotted_string,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER.dotted_string,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER.dotted_string,
}


@dataclass(frozen=True)
class PathOutcome:
    """The decision on a signer's certificate path."""

    ok: bool
    sub_indication: SubIndication | None
    message: str
    concerns: str | None
    chain: tuple[CertRecord, ...] = ()  # leaf … last intermediate
    anchor: TrustAnchor | None = None
    anchors_considered: tuple[str, ...] = ()
    valid_policies: tuple[str, ...] = ()
    checks: tuple[tuple[str, bool, str, str | None], ...] = field(default=())


@dataclass(frozen=True)
class _Cached:
    not_before: _dt.datetime
    not_after: _dt.datetime
    valid_policies: tuple[str, ...]


_HASH_NAMES_ASN1 = {
    "sha1": "sha1", "sha224": "sha224", "sha256": "sha256", "sha384": "sha384",
    "sha512": "sha512", "sha3_256": "sha3-256", "sha3_384": "sha3-384", "sha3_512": "sha3-512",
}


class _SignatureValidator(SignatureValidator):  # type: ignore[misc]
    """Checks certificate signatures for pyhanko-certvalidator through our registry."""

    def validate_signature(
        self, signature: bytes, signed_data: bytes, public_key_info: Any, signature_algorithm: Any,
        context: Any = None,
    ) -> None:
        oid = signature_algorithm["algorithm"].dotted
        params = signature_algorithm["parameters"]
        raw = params.dump() if params.native is not None else None
        try:
            mech = mechanism_for(oid)
            key = load_public_key(public_key_info.dump())
            digest = mech.fixed_digest
            if digest is None and mech.name == "rsa-pss":
                digest = parse_pss_params(raw)[0]
            mech.verify(key, signature, signed_data, digest or "sha256", raw, False)
        except AlgorithmError as exc:
            raise InvalidSignature(exc.reason) from None


class _AlgorithmPolicy(AlgorithmUsagePolicy):  # type: ignore[misc]
    """Our Policy seen through pyhanko-certvalidator's AlgorithmUsagePolicy interface."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def digest_algorithm_allowed(self, algo: Any, moment: _dt.datetime | None) -> Any:
        oid = algo["algorithm"].dotted
        name = DIGESTS.get(oid, oid)
        at = moment or _dt.datetime.now(_dt.UTC)
        if self.policy.accepts_digest(name, at):
            return AlgorithmUsageConstraint(True)
        return AlgorithmUsageConstraint(False, failure_reason=f"digest {name} is not allowed by the policy")

    def signature_algorithm_allowed(
        self, algo: Any, moment: _dt.datetime | None, public_key: Any
    ) -> Any:
        pol = self.policy
        oid = algo["algorithm"].dotted
        at = moment or _dt.datetime.now(_dt.UTC)
        try:
            mech = mechanism_for(oid)
        except AlgorithmError as exc:
            return AlgorithmUsageConstraint(False, failure_reason=exc.reason)
        if not pol.accepts_signature(mech.name, at):
            return AlgorithmUsageConstraint(
                False, failure_reason=f"{mech.name} signatures are not allowed by the policy")
        dg = mech.fixed_digest
        if dg is not None and not pol.accepts_digest(dg, at):
            return AlgorithmUsageConstraint(False, failure_reason=f"digest {dg} is not allowed by the policy")
        if public_key is not None:
            reason = key_problem(pol, public_key.dump())
            if reason:
                return AlgorithmUsageConstraint(False, failure_reason=reason)
        return AlgorithmUsageConstraint(True)


def key_problem(policy: Policy, spki_der: bytes) -> str | None:
    """Why the policy refuses this public key, or ``None``."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        key = load_public_key(spki_der)
    except AlgorithmError as exc:
        return exc.reason
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < policy.min_rsa_bits:
        return f"RSA key of {key.key_size} bits is below the policy minimum of {policy.min_rsa_bits}"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name not in policy.ec_curves:
        return f"elliptic curve {key.curve.name} is not allowed by the policy"
    curve = getattr(key, "curve_name", None)
    if curve is not None and curve not in policy.ec_curves:
        return f"elliptic curve {curve} is not allowed by the policy"
    return None


def _oid_under(oid: str, prefixes: Sequence[str]) -> bool:
    return any(oid == p or oid.startswith(p + ".") for p in prefixes)


class PathValidator:
    """Builds and validates paths; remembers validated paths for later verifications."""

    def __init__(self, cache_size: int = 2048) -> None:
        self._sig = _SignatureValidator()
        self._cache: OrderedDict[tuple[Any, ...], _Cached] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._alg_policies: dict[str, _AlgorithmPolicy] = {}

    # --- building -------------------------------------------------------------
    def build(
        self,
        leaf: CertRecord,
        pool: dict[bytes, list[CertRecord]],
        trust: TrustStore,
        max_len: int,
        limit: int = 8,
    ) -> tuple[list[tuple[list[CertRecord], TrustAnchor]], CertRecord]:
        """Candidate paths (certs from the leaf, anchor), and the certificate where search stopped."""
        found: list[tuple[list[CertRecord], TrustAnchor]] = []
        deepest = leaf
        anchor = trust.by_fingerprint(leaf.fingerprint)
        if anchor is not None:
            return [([], anchor)], leaf

        def issuers_of(rec: CertRecord) -> tuple[list[TrustAnchor], list[CertRecord]]:
            anchors = [a for a in trust.by_subject(rec.issuer_der)
                       if rec.aki is None or a.key_id is None or a.key_id == rec.aki]
            inter = [c for c in pool.get(rec.issuer_der, ())
                     if rec.aki is None or c.ski is None or c.ski == rec.aki]
            return anchors, inter

        steps = 0

        def walk(path: list[CertRecord], seen: set[str]) -> None:
            nonlocal deepest, steps
            steps += 1
            if len(found) >= limit or steps > 256:
                return
            tip = path[-1]
            if len(path) > len([deepest]) and len(path) >= 1:
                deepest = tip
            anchors, inter = issuers_of(tip)
            for a in anchors:
                found.append((list(path), a))
            if len(path) >= max_len:
                return
            for c in inter:
                if c.fingerprint in seen or trust.by_fingerprint(c.fingerprint) is not None:
                    continue  # a loop, or an anchor already offered above
                if c.self_issued and c.subject_der == tip.subject_der:
                    continue
                walk([*path, c], seen | {c.fingerprint})

        walk([leaf], {leaf.fingerprint})
        return found, deepest

    # --- validating -----------------------------------------------------------
    def validate(
        self,
        leaf: CertRecord,
        pool_certs: Iterable[CertRecord],
        trust: TrustStore,
        policy: Policy,
        at: _dt.datetime,
        *,
        crls: Sequence[bytes] = (),
    ) -> PathOutcome:
        """Find a valid path for ``leaf`` at time ``at`` under ``policy``."""
        pool: dict[bytes, list[CertRecord]] = {}
        for c in pool_certs:
            if c.fingerprint != leaf.fingerprint:
                bucket = pool.setdefault(c.subject_der, [])
                if all(b.fingerprint != c.fingerprint for b in bucket):
                    bucket.append(c)
        candidates, deepest = self.build(leaf, pool, trust, policy.max_chain_length)
        considered = self._considered(trust, deepest)
        if not candidates:
            if len(trust) == 0:
                msg = f"no trust anchors were given, so no chain can end in one ({leaf.describe()})"
            else:
                msg = (
                    f"no certificate issued to '{deepest.issuer}' was found to continue the chain "
                    f"from {deepest.describe()}; none of the {len(trust)} trust anchors "
                    f"({trust.name}) has that subject"
                )
            return PathOutcome(
                False, SubIndication.NO_CERTIFICATE_CHAIN_FOUND, msg,
                f"issuer '{deepest.issuer}' of {deepest.describe()}",
                chain=self._chain_to(leaf, pool, deepest), anchors_considered=considered,
            )
        first_failure: PathOutcome | None = None
        for certs, anchor in candidates:
            outcome = self._validate_one(certs or [leaf], anchor, trust, policy, at, crls, considered)
            if outcome.ok:
                return outcome
            if first_failure is None:
                first_failure = outcome
        assert first_failure is not None
        return first_failure

    def _chain_to(
        self, leaf: CertRecord, pool: dict[bytes, list[CertRecord]], stop: CertRecord
    ) -> tuple[CertRecord, ...]:
        chain = [leaf]
        seen = {leaf.fingerprint}
        while chain[-1] is not stop and len(chain) < 16:
            nxt = next((c for c in pool.get(chain[-1].issuer_der, ()) if c.fingerprint not in seen), None)
            if nxt is None:
                break
            chain.append(nxt)
            seen.add(nxt.fingerprint)
        return tuple(chain)

    @staticmethod
    def _considered(trust: TrustStore, deepest: CertRecord) -> tuple[str, ...]:
        names = [a.subject for a in trust.by_subject(deepest.issuer_der)]
        for a in trust:
            if len(names) >= 10:
                break
            if a.subject not in names:
                names.append(a.subject)
        if len(trust) > len(names):
            names.append(f"… and {len(trust) - len(names)} more")
        return tuple(names)

    def _key(self, certs: Sequence[CertRecord], anchor: TrustAnchor, trust: TrustStore,
             policy: Policy, crls: Sequence[bytes]) -> tuple[Any, ...]:
        return (tuple(c.fingerprint for c in certs), anchor.fingerprint, id(trust), trust.version,
                policy.cache_key, tuple(crls))

    def _validate_one(
        self,
        certs: list[CertRecord],
        anchor: TrustAnchor,
        trust: TrustStore,
        policy: Policy,
        at: _dt.datetime,
        crls: Sequence[bytes],
        considered: tuple[str, ...],
    ) -> PathOutcome:
        leaf = certs[0]
        key = self._key(certs, anchor, trust, policy, crls)
        skew = policy.clock_skew
        cached = self._cache.get(key)
        if cached is not None and cached.not_before - skew <= at <= cached.not_after + skew:
            return self._success(certs, anchor, considered, cached.valid_policies, policy, cached=True)
        if anchor.fingerprint == leaf.fingerprint:
            # The signer certificate is itself a trust anchor: nothing to chain.
            return self._validate_anchor_leaf(leaf, anchor, policy, at, considered)
        outcome, window = self._run_pkix(certs, anchor, policy, at, crls, considered)
        if outcome.ok and window is not None:
            with self._lock:
                self._cache[key] = _Cached(window[0], window[1], outcome.valid_policies)
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return outcome

    def _validate_anchor_leaf(
        self, leaf: CertRecord, anchor: TrustAnchor, policy: Policy, at: _dt.datetime,
        considered: tuple[str, ...],
    ) -> PathOutcome:
        skew = policy.clock_skew
        if at + skew < leaf.not_before:
            return PathOutcome(False, SubIndication.NOT_YET_VALID,
                               f"{leaf.describe()} is not valid before {leaf.not_before:%Y-%m-%d %H:%M:%S}Z",
                               leaf.describe(), chain=(leaf,), anchor=anchor, anchors_considered=considered)
        if at - skew > leaf.not_after:
            return PathOutcome(False, SubIndication.OUT_OF_BOUNDS_NO_POE,
                               f"{leaf.describe()} expired on {leaf.not_after:%Y-%m-%d %H:%M:%S}Z and no proof "
                               "of existence shows the signature was made before",
                               leaf.describe(), chain=(leaf,), anchor=anchor, anchors_considered=considered)
        return self._success([leaf], anchor, considered, leaf.policies, policy, cached=False)

    def _success(
        self, certs: list[CertRecord], anchor: TrustAnchor, considered: tuple[str, ...],
        valid_policies: tuple[str, ...], policy: Policy, *, cached: bool,
    ) -> PathOutcome:
        leaf = certs[0]
        if policy.required_policy_oids:
            matching = [p for p in valid_policies if _oid_under(p, policy.required_policy_oids)]
            if not matching:
                shown = ", ".join(valid_policies) or "none"
                return PathOutcome(
                    False, SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                    f"{leaf.describe()} has no valid certificate policy under "
                    f"{', '.join(policy.required_policy_oids)} (valid policies: {shown})",
                    f"certificatePolicies of {leaf.describe()}",
                    chain=tuple(certs), anchor=anchor, anchors_considered=considered,
                    valid_policies=valid_policies,
                )
        path_desc = " → ".join([c.subject for c in certs] + [anchor.subject])
        msg = f"path validated to trust anchor '{anchor.subject}': {path_desc}"
        if cached:
            msg += " (validated earlier, reused within its validity window)"
        return PathOutcome(True, None, msg, None, chain=tuple(certs), anchor=anchor,
                           anchors_considered=considered, valid_policies=valid_policies)

    def _policy_impl(self, policy: Policy) -> Any:
        impl = self._alg_policies.get(policy.cache_key)
        if impl is None:
            impl = _AlgorithmPolicy(policy)
            self._alg_policies[policy.cache_key] = impl
        return impl

    def _run_pkix(
        self,
        certs: list[CertRecord],
        anchor: TrustAnchor,
        policy: Policy,
        at: _dt.datetime,
        crls: Sequence[bytes],
        considered: tuple[str, ...],
    ) -> tuple[PathOutcome, tuple[_dt.datetime, _dt.datetime] | None]:
        from asn1crypto import x509 as ax509
        from pyhanko_certvalidator import errors as perr
        from pyhanko_certvalidator.authority import CertTrustAnchor
        from pyhanko_certvalidator.context import ValidationContext
        from pyhanko_certvalidator.path import ValidationPath
        from pyhanko_certvalidator.policy_decl import PKIXValidationParams

        from ._sync import run_coroutine

        leaf = certs[0]
        anchor_asn1 = ax509.Certificate.load(anchor.der)
        ctx = ValidationContext(
            trust_roots=[anchor_asn1],
            moment=at,
            allow_fetching=False,
            crls=list(crls),
            revocation_mode="hard-fail" if crls else "soft-fail",
            time_tolerance=policy.clock_skew,
            algorithm_usage_policy=self._policy_impl(policy),
            signature_validator=self._sig,
        )
        interm = [c.asn1 for c in reversed(certs[1:])]
        path = ValidationPath(CertTrustAnchor(anchor_asn1), interm, leaf.asn1)
        params = PKIXValidationParams(
            user_initial_policy_set=frozenset(
                "any_policy" if p == ANY_POLICY else p for p in policy.initial_policy_set
            ),
            initial_policy_mapping_inhibit=policy.initial_policy_mapping_inhibit,
            initial_explicit_policy=policy.initial_explicit_policy,
            initial_any_policy_inhibit=policy.initial_any_policy_inhibit,
        )
        base = {"chain": tuple(certs), "anchor": anchor, "anchors_considered": considered}
        from pyhanko_certvalidator.validate import async_validate_path

        try:
            run_coroutine(lambda: async_validate_path(ctx, path, parameters=params))
        except perr.RevokedError as exc:
            sub = SubIndication.REVOKED_NO_POE if exc.is_ee_cert else SubIndication.REVOKED_CA_NO_POE
            return PathOutcome(False, sub, f"{_clean(exc)}", _culprit(certs, anchor, exc), **base), None  # type: ignore[arg-type]
        except perr.ExpiredError as exc:
            return PathOutcome(
                False, SubIndication.OUT_OF_BOUNDS_NO_POE,
                f"{_clean(exc)}; no proof of existence shows the signature was made before",
                _culprit(certs, anchor, exc), **base), None  # type: ignore[arg-type]
        except perr.NotYetValidError as exc:
            return PathOutcome(False, SubIndication.NOT_YET_VALID, _clean(exc),
                               _culprit(certs, anchor, exc), **base), None  # type: ignore[arg-type]
        except perr.DisallowedAlgorithmError as exc:
            return PathOutcome(False, SubIndication.CRYPTO_CONSTRAINTS_FAILURE, _clean(exc),
                               _culprit(certs, anchor, exc), **base), None  # type: ignore[arg-type]
        except perr.InsufficientRevinfoError as exc:
            return PathOutcome(False, SubIndication.TRY_LATER, _clean(exc),
                               _culprit(certs, anchor, exc), **base), None  # type: ignore[arg-type]
        except perr.PathValidationError as exc:
            text = _clean(exc)
            sub = (SubIndication.CHAIN_CONSTRAINTS_FAILURE
                   if any(w in text.lower() for w in ("polic", "name constraint", "path length", "basic constraint", "key usage", "ca certificate"))
                   else SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE)
            return PathOutcome(False, sub, text, _culprit(certs, anchor, exc), **base), None  # type: ignore[arg-type]
        except (perr.ValidationError, perr.PathError, ValueError, TypeError, KeyError) as exc:
            return PathOutcome(
                False, SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
                f"path could not be processed: {_clean(exc)}", leaf.describe(), **base), None  # type: ignore[arg-type]
        qualified = path.qualified_policies() or frozenset()
        valid_policies = tuple(sorted(
            q.user_domain_policy_id for q in qualified if q.user_domain_policy_id != "any_policy"
        ))
        if not valid_policies and (
            any(q.user_domain_policy_id == "any_policy" for q in qualified)
            # CAs that assert no policies at all leave the RFC 5280 tree empty; then the
            # signer's own assertion is all there is to check, and nothing above contradicts it.
            or not any(c.policies for c in certs[1:])
        ):
            valid_policies = leaf.policies
        ee_problem = self._ee_critical(leaf)
        if ee_problem:
            return PathOutcome(False, SubIndication.CHAIN_CONSTRAINTS_FAILURE, ee_problem,
                               leaf.describe(), **base), None  # type: ignore[arg-type]
        window_start = max(c.not_before for c in certs)
        window_end = min(c.not_after for c in certs)
        return self._success(certs, anchor, considered, valid_policies, policy, cached=False), (
            window_start, window_end)

    @staticmethod
    def _ee_critical(leaf: CertRecord) -> str | None:
        try:
            exts = leaf.cert.extensions
        except (ValueError, x509.DuplicateExtension) as exc:
            return f"{leaf.describe()} has malformed extensions: {exc}"
        for ext in exts:
            if ext.critical and ext.oid.dotted_string not in _UNDERSTOOD_EE:
                return (f"{leaf.describe()} carries critical extension {ext.oid.dotted_string}, "
                        "which bayident does not process (RFC 5280 §4.2)")
        return None


def _clean(exc: BaseException) -> str:
    msg = getattr(exc, "failure_msg", None) or str(exc) or type(exc).__name__
    return " ".join(str(msg).split())


def _culprit(certs: list[CertRecord], anchor: TrustAnchor, exc: BaseException) -> str:
    """Name the certificate the validator complained about, when its message names one."""
    text = _clean(exc)
    for c in certs:
        cn = c.cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if cn and str(cn[0].value) in text:
            return c.describe()
    if getattr(exc, "is_ee_cert", False):
        return certs[0].describe()
    return f"path {' → '.join(c.subject for c in certs)} → anchor '{anchor.subject}'"


__all__ += ["key_problem", "describe_key"]
