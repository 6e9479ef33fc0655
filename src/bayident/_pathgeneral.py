"""The general path engine: pyhanko-certvalidator, with bayident's algorithms and rules.

Paths cryptography's verifier cannot decide (SM2, DSA, SHA-1, directoryName
constraints, policy mappings) are validated here by pyhanko-certvalidator, which
implements RFC 5280 §6 in full (policy trees, name constraints, policy mapping),
without revocation: the revocation status of a validated path is bayident's own
step (``_pathrevocation``). Signature checks inside it go through
bayident's algorithm registry, so plug-in algorithms such as SM2 work in chains
too; the policy's algorithm rules are seen through its AlgorithmUsagePolicy.

pyhanko-certvalidator is the ``pkix`` extra: ``_path`` imports this module only when a
path first needs it, and nothing else imports it.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Generator
from typing import Any

from cryptography.exceptions import InvalidSignature
from pyhanko_certvalidator.policy_decl import AlgorithmUsageConstraint, AlgorithmUsagePolicy
from pyhanko_certvalidator.sig_validate import SignatureValidator

from ._algorithms import (
    DIGESTS,
    AlgorithmError,
    load_public_key,
    mechanism_for,
    parse_pss_params,
)
from ._certs import CertRecord
from ._memo import Memo
from ._pathoutcome import PathOutcome, Window, key_problem
from ._pathtext import culprit_record as _culprit_record
from ._pathtext import declared as _declared
from ._pathtext import explain as _explain
from ._policy import Policy
from ._profile import ee_critical
from ._result import SubIndication
from ._trust import TrustAnchor
from .revocation._check import RevocationEntry, RevocationRequest, report
from .revocation._pathcheck import Failure

__all__ = [
    "NO_CHECK_RULE",
    "PKIX_ERRORS",
    "GeneralEngine",
    "key_problem",
]

ANY_POLICY = "2.5.29.32.0"


class _SignatureValidator(SignatureValidator):
    """Checks certificate signatures for pyhanko-certvalidator through our registry."""

    def __init__(self) -> None:
        self._verified: Memo[tuple[str, bytes, bytes, bytes], bool] = Memo(4096)

    def validate_signature(
        self,
        signature: bytes,
        signed_data: bytes,
        public_key_info: Any,
        signature_algorithm: Any,
        context: Any = None,
    ) -> None:
        oid = signature_algorithm["algorithm"].dotted
        spki = public_key_info.dump()
        # The same CA signatures are checked for every new leaf under them; a check that
        # succeeded once for these exact bytes succeeds again.
        memo_key = (oid, spki, signature, signed_data)
        if self._verified.get(memo_key):
            return
        params = signature_algorithm["parameters"]
        raw = params.dump() if params.native is not None else None
        try:
            mech = mechanism_for(oid)
            key = load_public_key(spki)
            digest = mech.fixed_digest
            if digest is None and mech.name == "rsa-pss":
                digest = parse_pss_params(raw)[0]
            mech.verify(key, signature, signed_data, digest or "sha256", raw, False)
        except AlgorithmError as exc:
            raise InvalidSignature(exc.reason) from None
        self._verified.put(memo_key, True)


class _AlgorithmPolicy(AlgorithmUsagePolicy):
    """Our Policy seen through pyhanko-certvalidator's AlgorithmUsagePolicy interface."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def digest_algorithm_allowed(self, algo: Any, moment: _dt.datetime | None) -> Any:
        oid = algo["algorithm"].dotted
        name = DIGESTS.get(oid, oid)
        at = moment or _dt.datetime.now(_dt.UTC)
        if self.policy.accepts_digest(name, at):
            return AlgorithmUsageConstraint(True)
        return AlgorithmUsageConstraint(
            False, failure_reason=f"digest {name} is not allowed by the policy"
        )

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
                False, failure_reason=f"{mech.name} signatures are not allowed by the policy"
            )
        dg = mech.fixed_digest
        if dg is not None and not pol.accepts_digest(dg, at):
            return AlgorithmUsageConstraint(
                False, failure_reason=f"digest {dg} is not allowed by the policy"
            )
        if public_key is not None:
            reason = key_problem(pol, public_key.dump())
            if reason:
                return AlgorithmUsageConstraint(False, failure_reason=reason)
        return AlgorithmUsageConstraint(True)


def _no_check_policy() -> Any:
    from pyhanko_certvalidator.policy_decl import (
        CertRevTrustPolicy,
        RevocationCheckingPolicy,
        RevocationCheckingRule,
    )

    rule = RevocationCheckingRule.NO_CHECK
    return CertRevTrustPolicy(RevocationCheckingPolicy(rule, rule))


# Without revocation data and sources, path validation here checks no revocation status;
# the report says so for each certificate (never a silent "not revoked").
_NO_REVOCATION_CHECK = _no_check_policy()
NO_CHECK_RULE = _NO_REVOCATION_CHECK.revocation_checking_policy.ee_certificate_rule


def _pkix_errors() -> tuple[type[BaseException], ...]:
    from pyhanko_certvalidator import errors as perr

    return (
        perr.ValidationError,
        perr.PathError,
        perr.OCSPValidationError,
        perr.CRLValidationError,
        ValueError,
        TypeError,
        LookupError,
        AttributeError,
        OverflowError,
        # pyhanko-certvalidator has no iPAddress or otherName name constraints.
        NotImplementedError,
    )


PKIX_ERRORS = _pkix_errors()


class GeneralEngine:
    """pyhanko-certvalidator set up once per validator: signature memo, anchors, policies."""

    def __init__(self) -> None:
        self._sig = _SignatureValidator()
        self._alg_policies: Memo[str, _AlgorithmPolicy] = Memo(256)
        self._anchors: Memo[str, tuple[Any, Any, Any]] = Memo(1024)

    def clear(self) -> None:
        """Forget the checked signatures, the anchors built and the algorithm policies."""
        self._sig._verified.clear()
        self._alg_policies.clear()
        self._anchors.clear()

    def policy_impl(self, policy: Policy) -> Any:
        impl = self._alg_policies.get(policy.cache_key)
        if impl is None:
            impl = _AlgorithmPolicy(policy)
            self._alg_policies.put(policy.cache_key, impl)
        return impl

    def anchor_parts(self, anchor: TrustAnchor) -> tuple[Any, Any, Any]:
        """The anchor as pyhanko-certvalidator objects, built once per anchor.

        Building them normalises every name of the anchor; doing it once per
        anchor rather than once per validation is most of what makes a cold
        validation cheaper than pyhanko-certvalidator's own entry points.
        """
        parts = self._anchors.get(anchor.fingerprint)
        if parts is None:
            from asn1crypto import x509 as ax509
            from pyhanko_certvalidator.authority import CertTrustAnchor
            from pyhanko_certvalidator.registry import CertificateRegistry, SimpleTrustManager

            cert = ax509.Certificate.load(anchor.der)
            manager = SimpleTrustManager.build(trust_roots=[CertTrustAnchor(cert)])
            registry = CertificateRegistry.build([cert])
            parts = (cert, manager, registry)
            self._anchors.put(anchor.fingerprint, parts)
        return parts

    def steps(
        self,
        on_success: Callable[..., PathOutcome],
        certs: list[CertRecord],
        anchor: TrustAnchor,
        policy: Policy,
        at: _dt.datetime,
        revocation: RevocationRequest,
        considered: tuple[str, ...],
        pool: dict[str, list[CertRecord]],
        asynchronous: bool,
        tol: _dt.timedelta,
    ) -> Generator[Any, BaseException | None, tuple[PathOutcome, Window | None]]:
        """Validate the path without revocation; revocation is the caller's next step.

        A failure carries a revocation report in which no certificate was checked;
        a success is ``on_success``'s outcome without revocation entries.
        """
        from pyhanko_certvalidator.authority import CertTrustAnchor
        from pyhanko_certvalidator.context import ValidationContext
        from pyhanko_certvalidator.path import ValidationPath
        from pyhanko_certvalidator.policy_decl import PKIXValidationParams
        from pyhanko_certvalidator.validate import async_validate_path

        at = at.replace(microsecond=0)  # RFC 5280 times have no fractions
        leaf = certs[0]
        anchor_asn1, trust_manager, registry = self.anchor_parts(anchor)
        params = PKIXValidationParams(
            user_initial_policy_set=frozenset(
                "any_policy" if p == ANY_POLICY else p for p in policy.initial_policy_set
            ),
            initial_policy_mapping_inhibit=policy.initial_policy_mapping_inhibit,
            initial_explicit_policy=policy.initial_explicit_policy,
            initial_any_policy_inhibit=policy.initial_any_policy_inhibit,
        )
        interm = [c.asn1 for c in reversed(certs[1:])]
        ctx = ValidationContext(
            trust_manager=trust_manager,
            certificate_registry=registry,
            moment=at,
            allow_fetching=False,
            revinfo_policy=_NO_REVOCATION_CHECK,
            time_tolerance=tol,
            algorithm_usage_policy=self.policy_impl(policy),
            signature_validator=self._sig,
        )
        path = ValidationPath(CertTrustAnchor(anchor_asn1), interm, leaf.asn1)
        error = yield lambda: async_validate_path(ctx, path, parameters=params)
        if error is not None:
            from pyhanko_certvalidator import errors as perr

            sub, text, concerns = _explain(error, certs, anchor)
            failure_time = error.expired_dt if isinstance(error, perr.ExpiredError) else None
            culprit = _culprit_record(error, certs)
            entries: tuple[RevocationEntry, ...] = ()
            if revocation.report:
                index = next((i for i, c in enumerate(certs) if c is culprit), 0)
                mode = revocation.mode
                entries = report(
                    certs,
                    anchor_asn1,
                    revocation,
                    mode == "require",
                    mode == "off",
                    None,
                    [],
                    [],
                    at,
                    [_declared(c) for c in certs] if mode != "off" else [],
                    failure=Failure("other", index, text),
                    error_text=text,
                )
            failed = PathOutcome(
                False,
                sub,
                text,
                concerns,
                tuple(certs),
                anchor,
                anchors_considered=considered,
                revocation=entries,
                failure_time=failure_time,
            )
            return failed, None
        qualified = path.qualified_policies() or frozenset()
        valid_policies = tuple(
            sorted(
                q.user_domain_policy_id
                for q in qualified
                if q.user_domain_policy_id != "any_policy"
            )
        )
        if (
            not valid_policies
            and (
                any(q.user_domain_policy_id == "any_policy" for q in qualified)
                # CAs that assert no policies at all leave the RFC 5280 tree empty; then the
                # signer's own assertion is all there is to check, and nothing above contradicts it.
                or not any(c.policies for c in certs[1:])
            )
        ):
            valid_policies = leaf.policies
        ee_problem = ee_critical(leaf)
        if ee_problem:
            refused = PathOutcome(
                False,
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                ee_problem,
                leaf.describe(),
                tuple(certs),
                anchor,
                anchors_considered=considered,
            )
            return refused, None
        window_start = max(c.not_before for c in certs)
        window_end = min(c.not_after for c in certs)
        success = on_success(
            certs, anchor, considered, valid_policies, policy, cached=False, window=(None, None)
        )
        return success, (window_start, window_end, None, None)
