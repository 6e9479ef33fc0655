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
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
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
from ._chain import (
    UNSUPPORTED,
    FastResult,
    fast_path,
    own_checks,
    path_failure,
    policy_outcome,
    rank_issuers,
    refusal,
    revocation_active,
    search_stopped,
)
from ._pathoutcome import PathOutcome, key_problem
from ._pathtext import answered, side_validation_as_unknown
from ._pathtext import culprit_record as _culprit_record
from ._pathtext import declared as _declared
from ._pathtext import explain as _explain
from ._pathtext import load_crls as _load_crls
from ._pathtext import load_ocsps as _load_ocsps
from ._policy import Policy
from ._profile import profile_problem
from ._result import SubIndication
from ._sync import run_coroutine
from ._trust import TrustAnchor, TrustStore
from .revocation._check import (
    RevocationEntry,
    RevocationRequest,
    describe_source,
    make_manager,
    report,
    revinfo_window,
    revocation_data_notes,
    rules_for,
    sources_text,
)
from .revocation._data import NO_SUPPLIED, Origin, Supplied
from .revocation._fetchers import Recorder, make_fetchers

__all__ = ["PathOutcome", "PathValidator", "RevocationRequest", "key_problem"]

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
class _Cached:
    not_before: _dt.datetime
    not_after: _dt.datetime
    valid_policies: tuple[str, ...]
    # With revocation data, the verdict also holds only while it does: from the latest
    # thisUpdate, until the first nextUpdate or the first revocation date after the
    # validation time.
    revinfo_from: _dt.datetime | None = None
    revinfo_until: _dt.datetime | None = None
    revocation: tuple[RevocationEntry, ...] = ()

    def covers(self, at: _dt.datetime, skew: _dt.timedelta) -> bool:
        if not self.not_before - skew <= at <= self.not_after + skew:
            return False
        if self.revinfo_from is not None and at < self.revinfo_from:
            return False
        return self.revinfo_until is None or at < self.revinfo_until


# Certificate validity window, then the CRL window (None: no CRLs), of a success.
_Window = tuple[_dt.datetime, _dt.datetime, _dt.datetime | None, _dt.datetime | None]

_HASH_NAMES_ASN1 = {
    "sha1": "sha1",
    "sha224": "sha224",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
    "sha3_256": "sha3-256",
    "sha3_384": "sha3-384",
    "sha3_512": "sha3-512",
}


class _SignatureValidator(SignatureValidator):
    """Checks certificate signatures for pyhanko-certvalidator through our registry."""

    def __init__(self) -> None:
        self._verified: dict[tuple[str, bytes, bytes, bytes], None] = {}

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
        if memo_key in self._verified:
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
        if len(self._verified) >= 4096:
            self._verified.clear()
        self._verified[memo_key] = None


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
_NO_CHECK_RULE = _NO_REVOCATION_CHECK.revocation_checking_policy.ee_certificate_rule

# A generator of one validation: it yields coroutine factories and is sent what they raised.
_Steps = Generator[Any, BaseException | None, "PathOutcome"]


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


_PKIX_ERRORS = _pkix_errors()
_CALLER: tuple[Origin, ...] = ("caller",)


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
        self._anchors: dict[str, tuple[Any, Any, Any]] = {}
        # Display strings, built once: RFC 4514 formatting costs more than a warm path check.
        self._anchor_subjects: dict[str, str] = {}
        self._considered_cache: dict[tuple[TrustStore, int, str], tuple[str, ...]] = {}

    # --- building -------------------------------------------------------------
    def build(
        self,
        leaf: CertRecord,
        pool: dict[str, list[CertRecord]],
        trust: TrustStore,
        max_len: int,
        limit: int = 8,
        stats: dict[str, bool] | None = None,
    ) -> tuple[list[tuple[list[CertRecord], TrustAnchor]], CertRecord]:
        """Candidate paths (certs from the leaf, anchor), and the certificate where search stopped.

        ``pool`` maps RFC 5280 §7.1 subject keys (:attr:`CertRecord.name_keys`) to
        certificates, so issuers are found whatever string type or letter case
        their CA used when it wrote the name into each certificate.
        """
        found: list[tuple[list[CertRecord], TrustAnchor]] = []
        deepest = leaf
        anchor = trust.by_fingerprint(leaf.fingerprint)
        if anchor is not None:
            return [([], anchor)], leaf

        def issuers_of(rec: CertRecord) -> tuple[list[TrustAnchor], list[CertRecord]]:
            issuer_key = rec.issuer_key
            anchors = [
                a
                for a in trust.by_subject_key(issuer_key)
                if rec.aki is None or a.key_id is None or a.key_id == rec.aki
            ]
            inter = [
                c
                for c in pool.get(issuer_key, ())
                if rec.aki is None or c.ski is None or c.ski == rec.aki
            ]
            if len(inter) > 1:  # decoys named like the issuer must not use up the search
                inter = rank_issuers(rec, inter)
            return anchors, inter

        steps = 0

        def walk(path: list[CertRecord], seen: set[str]) -> None:
            nonlocal deepest, steps
            steps += 1
            if len(found) >= limit or steps > 256:
                if steps > 256 and stats is not None:
                    stats["budget"] = True
                return
            tip = path[-1]
            if len(path) > len([deepest]) and len(path) >= 1:
                deepest = tip
            anchors, inter = issuers_of(tip)
            for a in anchors:
                found.append((list(path), a))
            # Self-issued CA certificates do not count against the limit (RFC 5280 §6.1.4 (l)).
            if 1 + sum(1 for c in path[1:] if not c.self_issued) >= max_len:
                if stats is not None and inter:
                    stats["length"] = True
                return
            for c in inter:
                if c.fingerprint in seen or trust.by_fingerprint(c.fingerprint) is not None:
                    continue  # a loop, or an anchor already offered above
                c_subject = c.subject_key
                if c_subject == c.issuer_key and c_subject == tip.subject_key:
                    continue  # two self-issued certificates of one CA in a row only loop
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
        require_revocation: bool | None = None,
        revocation: RevocationRequest | None = None,
        tolerance: _dt.timedelta | None = None,
    ) -> PathOutcome:
        """Find a valid path for ``leaf`` at time ``at`` under ``policy``.

        ``tolerance`` is the clock skew allowed on validity periods: give it only
        when ``at`` is the current time (a caller's validation time is exact).

        When CRLs are given, every certificate on the path must be covered by one
        of them (``require_revocation`` defaults to ``bool(crls)``): a missing,
        stale, unverifiable or out-of-scope CRL then fails the path instead of
        being passed over. The certificates at hand (``pool_certs``) also serve to
        check the CRLs' own issuers (indirect CRLs, separate CRL-signing keys,
        self-issued key roll-over certificates).

        ``revocation`` (a :class:`RevocationRequest`) replaces ``crls`` and
        ``require_revocation``: a mode, revocation data supplied with the evidence,
        and a :class:`~bayident.revocation.RevocationService` to fetch with. Fetching
        here is synchronous and needs no event loop.
        """
        steps = self._validate_steps(
            leaf,
            pool_certs,
            trust,
            policy,
            at,
            crls,
            require_revocation,
            revocation,
            False,
            tolerance,
        )
        try:
            factory = next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        while True:
            try:
                run_coroutine(factory)
                error: BaseException | None = None
            except _PKIX_ERRORS as exc:
                error = exc
            try:
                factory = steps.send(error)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    async def avalidate(
        self,
        leaf: CertRecord,
        pool_certs: Iterable[CertRecord],
        trust: TrustStore,
        policy: Policy,
        at: _dt.datetime,
        *,
        crls: Sequence[bytes] = (),
        require_revocation: bool | None = None,
        revocation: RevocationRequest | None = None,
        tolerance: _dt.timedelta | None = None,
    ) -> PathOutcome:
        """Asynchronous :meth:`validate`: revocation data is fetched with real awaits."""
        steps = self._validate_steps(
            leaf,
            pool_certs,
            trust,
            policy,
            at,
            crls,
            require_revocation,
            revocation,
            True,
            tolerance,
        )
        try:
            factory = next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        while True:
            try:
                await factory()
                error: BaseException | None = None
            except _PKIX_ERRORS as exc:
                error = exc
            try:
                factory = steps.send(error)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    def _validate_steps(
        self,
        leaf: CertRecord,
        pool_certs: Iterable[CertRecord],
        trust: TrustStore,
        policy: Policy,
        at: _dt.datetime,
        crls: Sequence[bytes],
        require_revocation: bool | None,
        revocation: RevocationRequest | None,
        asynchronous: bool,
        tolerance: _dt.timedelta | None = None,
    ) -> _Steps:
        # A generator of the validation: it yields coroutine factories (pyhanko-certvalidator
        # runs) and is sent back what each raised, so one body serves validate and avalidate.
        if revocation is None:
            require = bool(crls) if require_revocation is None else require_revocation
            revocation = RevocationRequest(
                mode="require" if require else ("hard-fail" if crls else "off"),
                supplied=Supplied(crls=tuple(crls), crl_origins=_CALLER * len(crls)),
                report=False,
            )
        tol = tolerance or _dt.timedelta(0)
        pool_list = list(pool_certs)
        pool: dict[str, list[CertRecord]] = {}
        for c in pool_list:
            if c.fingerprint != leaf.fingerprint:
                bucket = pool.setdefault(c.subject_key, [])
                if all(b.fingerprint != c.fingerprint for b in bucket):
                    bucket.append(c)
        fast = (
            fast_path(leaf, pool_list, trust, at, policy, tol)
            if policy.trust_anchor_constraints
            else UNSUPPORTED
        )
        if fast.ok:
            return (
                yield from self._fast_outcome(
                    fast, trust, policy, at, revocation, pool, asynchronous, tol
                )
            )
        general = yield from self._general_steps(
            leaf, pool, trust, policy, at, revocation, asynchronous, tol
        )
        if general.ok and not fast.unsupported and not fast.path_search_only:
            # cryptography refused what pyhanko-certvalidator accepted: the refusal stands.
            return refusal(fast, leaf, general, self._considered(trust, leaf))
        return general

    def _general_steps(
        self,
        leaf: CertRecord,
        pool: dict[str, list[CertRecord]],
        trust: TrustStore,
        policy: Policy,
        at: _dt.datetime,
        revocation: RevocationRequest,
        asynchronous: bool,
        tol: _dt.timedelta,
    ) -> _Steps:
        """Path building here and validation by pyhanko-certvalidator, candidate by candidate."""
        stats: dict[str, bool] = {}
        candidates, deepest = self.build(leaf, pool, trust, policy.max_chain_length, stats=stats)
        considered = self._considered(trust, deepest)
        if not candidates:
            stopped = search_stopped(stats, policy, leaf)
            if stopped is not None:
                chain = self._chain_to(leaf, pool, deepest)
                return path_failure(chain, None, considered, "ee", stopped)
            if len(trust) == 0:
                msg = f"no trust anchors were given, so no chain can end in one ({leaf.describe()})"
            else:
                msg = (
                    f"no certificate issued to '{deepest.issuer}' was found to continue the chain "
                    f"from {deepest.describe()}; none of the {len(trust)} trust anchors "
                    f"({trust.name}) has that subject"
                )
            return PathOutcome(
                False,
                SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
                msg,
                f"issuer '{deepest.issuer}' of {deepest.describe()}",
                chain=self._chain_to(leaf, pool, deepest),
                anchors_considered=considered,
            )
        first_failure: PathOutcome | None = None
        for certs, anchor in candidates:
            outcome = yield from self._validate_one(
                certs or [leaf],
                anchor,
                trust,
                policy,
                at,
                revocation,
                considered,
                pool,
                asynchronous,
                tol,
            )
            if outcome.ok:
                return outcome
            if first_failure is None:
                first_failure = outcome
        assert first_failure is not None
        return first_failure

    def _fast_outcome(
        self,
        fast: FastResult,
        trust: TrustStore,
        policy: Policy,
        at: _dt.datetime,
        revocation: RevocationRequest,
        pool: dict[str, list[CertRecord]],
        asynchronous: bool,
        tol: _dt.timedelta,
    ) -> _Steps:
        """The decision on a path cryptography accepted: our checks, policies, revocation."""
        certs, anchor = list(fast.certs), fast.anchor
        assert anchor is not None
        leaf = certs[0]
        considered = self._considered(trust, certs[-1])
        if anchor.fingerprint == leaf.fingerprint:
            return self._validate_anchor_leaf(leaf, anchor, policy, at, considered, tol)
        problem = own_checks(certs, anchor, policy, at, tol, considered)
        if problem is None:
            ee_problem = self._ee_critical(leaf)
            if ee_problem:
                problem = path_failure(certs, anchor, considered, "ee", ee_problem)
        if problem is None:
            valid = policy_outcome(certs, anchor, policy, considered)
            if isinstance(valid, PathOutcome):
                problem = valid
        if problem is not None:
            return problem
        assert not isinstance(valid, PathOutcome)
        if revocation_active(certs, revocation, _declared):
            # Revocation: pyhanko-certvalidator checks the same path with the data.
            return (
                yield from self._validate_one(
                    certs,
                    anchor,
                    trust,
                    policy,
                    at,
                    revocation,
                    considered,
                    pool,
                    asynchronous,
                    tol,
                )
            )
        key = self._key(certs, anchor, trust, policy, revocation, pool)
        cached = self._cache.get(key)
        if cached is not None and cached.covers(at, tol):
            entries = cached.revocation
        else:
            entries = ()
            if revocation.report:
                declared = [_declared(c) for c in certs] if revocation.mode != "off" else []
                anchor_asn1 = self._anchor_parts(anchor)[0]
                entries = report(
                    certs, anchor_asn1, revocation, _NO_CHECK_RULE, None, [], [], at, declared
                )
            window = (max(c.not_before for c in certs), min(c.not_after for c in certs))
            with self._lock:
                self._cache[key] = _Cached(window[0], window[1], valid, revocation=entries)
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return self._success(
            certs, anchor, considered, valid, policy, cached=False, revocation=entries
        )

    def _chain_to(
        self, leaf: CertRecord, pool: dict[str, list[CertRecord]], stop: CertRecord
    ) -> tuple[CertRecord, ...]:
        chain = [leaf]
        seen = {leaf.fingerprint}
        while chain[-1] is not stop and len(chain) < 16:
            nxt = next(
                (c for c in pool.get(chain[-1].issuer_key, ()) if c.fingerprint not in seen), None
            )
            if nxt is None:
                break
            chain.append(nxt)
            seen.add(nxt.fingerprint)
        return tuple(chain)

    def _subject(self, anchor: TrustAnchor) -> str:
        name = self._anchor_subjects.get(anchor.fingerprint)
        if name is None:
            name = anchor.subject
            with self._lock:
                if len(self._anchor_subjects) >= 4096:
                    self._anchor_subjects.clear()
                self._anchor_subjects[anchor.fingerprint] = name
        return name

    def _considered(self, trust: TrustStore, deepest: CertRecord) -> tuple[str, ...]:
        """The anchors a reader should know were tried: same-name ones first, at most ten."""
        key = (trust, trust.version, deepest.issuer_key)
        hit = self._considered_cache.get(key)
        if hit is not None:
            return hit
        names = [self._subject(a) for a in trust.by_subject_key(deepest.issuer_key)]
        for a in trust:
            if len(names) >= 10:
                break
            subject = self._subject(a)
            if subject not in names:
                names.append(subject)
        if len(trust) > len(names):
            names.append(f"… and {len(trust) - len(names)} more")
        result = tuple(names)
        with self._lock:
            if len(self._considered_cache) >= 4096:
                self._considered_cache.clear()
            self._considered_cache[key] = result
        return result

    def _key(
        self,
        certs: Sequence[CertRecord],
        anchor: TrustAnchor,
        trust: TrustStore,
        policy: Policy,
        revocation: RevocationRequest,
        pool: dict[str, list[CertRecord]],
    ) -> tuple[Any, ...]:
        # With revocation data, the certificates at hand decide which CRL issuers and OCSP
        # responders can be validated, so they are part of what was proven; without, they
        # play no part.
        others: frozenset[str] = (
            frozenset(c.fingerprint for bucket in pool.values() for c in bucket)
            if revocation.supplied or revocation.service is not None
            else frozenset()
        )
        return (
            tuple(c.fingerprint for c in certs),
            anchor.fingerprint,
            id(trust),
            trust.version,
            policy.cache_key,
            revocation.key(),
            others,
        )

    def _validate_one(
        self,
        certs: list[CertRecord],
        anchor: TrustAnchor,
        trust: TrustStore,
        policy: Policy,
        at: _dt.datetime,
        revocation: RevocationRequest,
        considered: tuple[str, ...],
        pool: dict[str, list[CertRecord]],
        asynchronous: bool,
        tol: _dt.timedelta,
    ) -> _Steps:
        leaf = certs[0]
        key = self._key(certs, anchor, trust, policy, revocation, pool)
        skew = tol
        cached = self._cache.get(key)
        if cached is not None and cached.covers(at, skew):
            return self._success(
                certs,
                anchor,
                considered,
                cached.valid_policies,
                policy,
                cached=True,
                revocation=cached.revocation,
                window=(cached.revinfo_from, cached.revinfo_until),
            )
        if anchor.fingerprint == leaf.fingerprint:
            # The signer certificate is itself a trust anchor: nothing to chain.
            return self._validate_anchor_leaf(leaf, anchor, policy, at, considered, tol)
        problem = own_checks(certs, anchor, policy, at, tol, considered)
        if problem is not None:
            return problem
        outcome, window = yield from self._pkix_steps(
            certs, anchor, policy, at, revocation, considered, pool, asynchronous, tol
        )
        if outcome.ok and window is not None and outcome.cacheable:
            with self._lock:
                self._cache[key] = _Cached(
                    window[0],
                    window[1],
                    outcome.valid_policies,
                    window[2],
                    window[3],
                    outcome.revocation,
                )
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return outcome

    def _validate_anchor_leaf(
        self,
        leaf: CertRecord,
        anchor: TrustAnchor,
        policy: Policy,
        at: _dt.datetime,
        considered: tuple[str, ...],
        tol: _dt.timedelta,
    ) -> PathOutcome:
        skew = tol
        at = at.replace(microsecond=0)
        own = profile_problem([leaf], anchor, policy)
        if own is not None:
            return PathOutcome(
                False,
                own.sub_indication,
                own.message,
                own.concerns,
                chain=(leaf,),
                anchor=anchor,
                anchors_considered=considered,
            )
        if at + skew < leaf.not_before:
            return PathOutcome(
                False,
                SubIndication.NOT_YET_VALID,
                f"{leaf.describe()} is not valid before {leaf.not_before:%Y-%m-%d %H:%M:%S}Z",
                leaf.describe(),
                chain=(leaf,),
                anchor=anchor,
                anchors_considered=considered,
            )
        if at - skew > leaf.not_after:
            return PathOutcome(
                False,
                SubIndication.OUT_OF_BOUNDS_NO_POE,
                f"{leaf.describe()} expired on {leaf.not_after:%Y-%m-%d %H:%M:%S}Z and no proof "
                "of existence shows the signature was made before",
                leaf.describe(),
                chain=(leaf,),
                anchor=anchor,
                anchors_considered=considered,
            )
        return self._success([leaf], anchor, considered, leaf.policies, policy, cached=False)

    def _success(
        self,
        certs: list[CertRecord],
        anchor: TrustAnchor,
        considered: tuple[str, ...],
        valid_policies: tuple[str, ...],
        policy: Policy,
        *,
        cached: bool,
        revocation: tuple[RevocationEntry, ...] = (),
        window: tuple[_dt.datetime | None, _dt.datetime | None] = (None, None),
        cacheable: bool = True,
    ) -> PathOutcome:
        leaf = certs[0]
        if policy.required_policy_oids:
            matching = [p for p in valid_policies if _oid_under(p, policy.required_policy_oids)]
            if not matching:
                shown = ", ".join(valid_policies) or "none"
                message = (
                    f"{leaf.describe()} has no valid certificate policy under "
                    f"{', '.join(policy.required_policy_oids)} (valid policies: {shown})"
                )
                concerns = f"certificatePolicies of {leaf.describe()}"
                return PathOutcome(
                    False,
                    SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                    message,
                    concerns,
                    # Named as its own check, so every format reports it alike.
                    checks=(("certificate-policy", False, message, concerns),),
                    chain=tuple(certs),
                    anchor=anchor,
                    anchors_considered=considered,
                    valid_policies=valid_policies,
                )
        anchor_name = self._subject(anchor)
        path_desc = " → ".join([c.subject for c in certs] + [anchor_name])
        msg = f"path validated to trust anchor '{anchor_name}': {path_desc}"
        if cached:
            msg += " (validated earlier, reused within its validity window)"
        return PathOutcome(
            True,
            None,
            msg,
            None,
            chain=tuple(certs),
            anchor=anchor,
            anchors_considered=considered,
            valid_policies=valid_policies,
            revocation=revocation,
            revinfo_window=window,
            cacheable=cacheable,
        )

    def _policy_impl(self, policy: Policy) -> Any:
        impl = self._alg_policies.get(policy.cache_key)
        if impl is None:
            impl = _AlgorithmPolicy(policy)
            self._alg_policies[policy.cache_key] = impl
        return impl

    def _anchor_parts(self, anchor: TrustAnchor) -> tuple[Any, Any, Any]:
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
            with self._lock:
                if len(self._anchors) > 1024:
                    self._anchors.clear()
                self._anchors[anchor.fingerprint] = parts
        return parts

    def _pkix_steps(
        self,
        certs: list[CertRecord],
        anchor: TrustAnchor,
        policy: Policy,
        at: _dt.datetime,
        revocation: RevocationRequest,
        considered: tuple[str, ...],
        pool: dict[str, list[CertRecord]],
        asynchronous: bool,
        tol: _dt.timedelta,
    ) -> Generator[Any, BaseException | None, tuple[PathOutcome, _Window | None]]:
        from pyhanko_certvalidator import errors as perr
        from pyhanko_certvalidator.authority import CertTrustAnchor
        from pyhanko_certvalidator.context import ValidationContext
        from pyhanko_certvalidator.path import ValidationPath
        from pyhanko_certvalidator.policy_decl import (
            CertRevTrustPolicy,
            PKIXValidationParams,
            RevocationCheckingPolicy,
        )
        from pyhanko_certvalidator.validate import async_validate_path

        at = at.replace(microsecond=0)  # RFC 5280 times have no fractions
        leaf = certs[0]
        anchor_asn1, trust_manager, registry = self._anchor_parts(anchor)
        mode = revocation.mode
        supplied = revocation.supplied if mode != "off" else NO_SUPPLIED
        parsed_crls, crl_problem = _load_crls(supplied.crls)
        if crl_problem is not None:
            index, reason = crl_problem
            bad = PathOutcome(
                False,
                SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
                f"CRL {index + 1} of the {len(supplied.crls)} given for revocation checking is "
                f"malformed ({reason}), so the revocation status of the path cannot be "
                "established",
                f"CRL {index + 1}",
                tuple(certs),
                anchor,
                anchors_considered=considered,
            )
            return bad, None
        parsed_ocsps, ocsp_problem = _load_ocsps(supplied.ocsps)
        if ocsp_problem is not None:
            index, reason = ocsp_problem
            origin = supplied.ocsp_origins[index] if index < len(supplied.ocsp_origins) else ""
            where = " (embedded in the evidence)" if origin == "embedded" else ""
            bad = PathOutcome(
                False,
                SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
                f"OCSP response {index + 1} of the {len(supplied.ocsps)} given for revocation "
                f"checking{where} is malformed ({reason}), so the revocation status of the path "
                "cannot be established",
                f"OCSP response {index + 1}",
                tuple(certs),
                anchor,
                anchors_considered=considered,
            )
            return bad, None
        crl_items = list(
            zip(parsed_crls, supplied.crl_origins or ("caller",) * len(parsed_crls), strict=False)
        )
        ocsp_items = list(zip(parsed_ocsps, supplied.ocsp_origins, strict=False))
        service = revocation.service
        declared = [_declared(c) for c in certs] if mode != "off" else []
        active = mode != "off" and (
            mode == "require"
            or bool(parsed_crls or parsed_ocsps)
            or (service is not None and any(has_crl or has_ocsp for has_crl, has_ocsp in declared))
        )
        first_rule, retry_rule = rules_for(mode, bool(parsed_crls or parsed_ocsps))
        params = PKIXValidationParams(
            user_initial_policy_set=frozenset(
                "any_policy" if p == ANY_POLICY else p for p in policy.initial_policy_set
            ),
            initial_policy_mapping_inhibit=policy.initial_policy_mapping_inhibit,
            initial_explicit_policy=policy.initial_explicit_policy,
            initial_any_policy_inhibit=policy.initial_any_policy_inhibit,
        )
        interm = [c.asn1 for c in reversed(certs[1:])]

        def context(rule: Any, recorder: Recorder | None) -> Any:
            if not active:
                return ValidationContext(
                    trust_manager=trust_manager,
                    certificate_registry=registry,
                    moment=at,
                    allow_fetching=False,
                    revinfo_policy=_NO_REVOCATION_CHECK,
                    time_tolerance=tol,
                    algorithm_usage_policy=self._policy_impl(policy),
                    signature_validator=self._sig,
                )
            from pyhanko_certvalidator.registry import CertificateRegistry

            # A registry of its own: CRL issuers and OCSP responders may be among the
            # certificates at hand, and responses register the certificates they carry.
            own = CertificateRegistry.build([c.asn1 for bucket in pool.values() for c in bucket])
            own.register(anchor_asn1)
            fetchers = None
            if service is not None and recorder is not None:
                fetchers = make_fetchers(
                    service,
                    policy,
                    recorder,
                    asynchronous=asynchronous,
                    supplied_ocsp=ocsp_items,
                    at=at,
                    retroactive=revocation.retroactive,
                )
            manager, poe = make_manager(own, parsed_crls, parsed_ocsps, fetchers, at)
            return ValidationContext(
                trust_manager=trust_manager,
                certificate_registry=own,
                revinfo_manager=manager,
                poe_manager=poe,
                moment=at,
                revinfo_policy=CertRevTrustPolicy(
                    RevocationCheckingPolicy(rule, rule),
                    retroactive_revinfo=revocation.retroactive,
                ),
                time_tolerance=tol,
                algorithm_usage_policy=self._policy_impl(policy),
                signature_validator=self._sig,
            )

        recorder = Recorder() if active else None
        rule = first_rule if active else _NO_CHECK_RULE
        ctx = context(rule, recorder)
        path = ValidationPath(CertTrustAnchor(anchor_asn1), interm, leaf.asn1)
        error = yield lambda: async_validate_path(ctx, path, parameters=params)
        soft_notes: dict[bytes, str] = {}
        if (
            retry_rule is not None
            and isinstance(error, perr.InsufficientRevinfoError)
            and not answered(recorder, _culprit_record(error, certs))
        ):
            # soft-fail: supplied data did not cover every certificate; what could not be
            # established becomes a warning, and the soft rule decides.
            _, first_text, _ = _explain(error, certs, anchor)
            culprit = _culprit_record(error, certs)
            soft_notes[culprit.asn1.sha256] = first_text
            rule = retry_rule
            ctx = context(rule, recorder)
            path = ValidationPath(CertTrustAnchor(anchor_asn1), interm, leaf.asn1)
            error = yield lambda: async_validate_path(ctx, path, parameters=params)
        data_notes = revocation_data_notes(
            crl_items, recorder, at, tol, revocation.retroactive
        ) + list(supplied.notes)
        if error is not None:
            error = side_validation_as_unknown(error)
            sub, text, concerns = _explain(error, certs, anchor)
            failure_time = None
            if isinstance(error, perr.RevokedError):
                failure_time = error.revocation_dt
            elif isinstance(error, perr.ExpiredError):
                failure_time = error.expired_dt
            culprit = _culprit_record(error, certs)
            if isinstance(error, perr.InsufficientRevinfoError):
                tried = sources_text(recorder, culprit.asn1)
                if tried and tried not in text:
                    text += f" (revocation data tried: {tried})"
                if data_notes:
                    text += "; " + "; ".join(data_notes)
                if service is not None and recorder is not None:
                    # Answers that did not verify are not reused: the next attempt asks again.
                    service.evict(
                        [s.cache_key for s in recorder.for_cert(culprit.asn1) if s.cache_key]
                    )
            entries: tuple[RevocationEntry, ...] = ()
            if revocation.report:
                entries = report(
                    certs,
                    anchor_asn1,
                    revocation,
                    rule,
                    recorder,
                    crl_items,
                    ocsp_items,
                    at,
                    declared,
                    error=error,
                    error_text=text,
                    culprit=culprit,
                    soft_notes=soft_notes,
                    data_notes=data_notes,
                )
            if isinstance(error, perr.RevokedError):
                where = next(
                    (
                        describe_source(e.info)
                        for e, c in zip(entries, certs, strict=False)
                        if c is culprit and e.info.status == "revoked"
                    ),
                    "",
                )
                if where:
                    text = text.rstrip(".") + f" ({where})"
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
        ee_problem = self._ee_critical(leaf)
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
        entries = ()
        if revocation.report:
            entries = report(
                certs,
                anchor_asn1,
                revocation,
                rule,
                recorder,
                crl_items,
                ocsp_items,
                at,
                declared,
                soft_notes=soft_notes,
            )
        window_start = max(c.not_before for c in certs)
        window_end = min(c.not_after for c in certs)
        recorded = list(recorder.all()) if recorder is not None else []
        revinfo_from, revinfo_until = revinfo_window(
            parsed_crls,
            parsed_ocsps,
            recorded,
            at,
            revocation.retroactive,
            policy.revocation_max_age,
        )
        for rec, entry in zip(certs, entries, strict=False):
            if entry.info.status == "unknown" and answered(recorder, rec):
                # An answer came and decided nothing (another CA's CRL, a delta without its
                # base): soft-fail does not forgive it.
                unusable = PathOutcome(
                    False,
                    SubIndication.TRY_LATER,
                    f"revocation data obtained for {rec.describe()} is unusable: "
                    f"{entry.info.message.replace('; accepted in soft-fail mode', '')}",
                    rec.describe(),
                    tuple(certs),
                    anchor,
                    anchors_considered=considered,
                    revocation=entries,
                )
                return unusable, None
        cacheable = not any(e.info.status == "unknown" for e in entries)
        success = self._success(
            certs,
            anchor,
            considered,
            valid_policies,
            policy,
            cached=False,
            revocation=entries,
            window=(revinfo_from, revinfo_until),
            cacheable=cacheable,
        )
        return success, (window_start, window_end, revinfo_from, revinfo_until)

    @staticmethod
    def _ee_critical(leaf: CertRecord) -> str | None:
        try:
            exts = leaf.cert.extensions
        except (ValueError, x509.DuplicateExtension) as exc:
            return f"{leaf.describe()} has malformed extensions: {exc}"
        for ext in exts:
            if ext.critical and ext.oid.dotted_string not in _UNDERSTOOD_EE:
                return (
                    f"{leaf.describe()} carries critical extension {ext.oid.dotted_string}, "
                    "which bayident does not process (RFC 5280 §4.2)"
                )
        return None


__all__ += ["describe_key", "key_problem"]
