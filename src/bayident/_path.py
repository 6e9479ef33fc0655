"""Certification path building, the choice of engine, and remembered validations.

Paths are built here, from an index of the certificates at hand and the trust
store. cryptography's verifier (``_chain``) decides the paths it can, with
bayident's own checks around it; every other candidate path is validated by the
general engine (``_pathgeneral``, pyhanko-certvalidator). Either way, revocation
is bayident's own step on the validated path (``_pathrevocation``). A success is
remembered for as long as it holds.

The general engine is the ``pkix`` extra: it is imported when a path first needs it.
Without it, such a path is INDETERMINATE with a message naming the certificate and
``pip install 'bayident[pkix]'`` (as an SM2 signature is without the ``sm`` extra), and
a refusal by cryptography's verifier stands on its own.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._algorithms import describe_key
from ._certs import CertRecord
from ._chain import (
    ChainMemos,
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
from ._exceptions import MissingExtraError
from ._extras import require
from ._memo import Memo
from ._pathoutcome import CachedPath, PathDecisions, PathOutcome, Steps, key_problem
from ._pathrevocation import anchor_record, revocation_steps
from ._pathtext import declared as _declared
from ._policy import Policy
from ._profile import ee_critical, profile_problem
from ._result import SubIndication
from ._sync import run_coroutine
from ._trust import TrustAnchor, TrustStore
from .revocation._check import RevocationEntry, RevocationRequest, report, unchecked_entry
from .revocation._data import Origin, Supplied

if TYPE_CHECKING:
    from ._pathgeneral import GeneralEngine

__all__ = ["PathOutcome", "PathValidator", "describe_key", "key_problem"]

_CALLER: tuple[Origin, ...] = ("caller",)


def _oid_under(oid: str, prefixes: Sequence[str]) -> bool:
    return any(oid == p or oid.startswith(p + ".") for p in prefixes)


def _general_module() -> ModuleType:
    """The general engine's module, imported on first need.

    Raises :class:`MissingExtraError` without the ``pkix`` extra.
    """
    feature = "the general RFC 5280 path engine"
    require("pkix", feature)
    try:
        from . import _pathgeneral
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing.startswith("bayident"):
            raise
        # pyhanko-certvalidator without a package it needs (aiohttp, oscrypto, ...).
        raise MissingExtraError(feature, "pkix", missing) from None
    return _pathgeneral


def _pkix_errors() -> tuple[type[BaseException], ...]:
    # Only the general engine yields runs to await: it is loaded when this is asked.
    errors: tuple[type[BaseException], ...] = _general_module().PKIX_ERRORS
    return errors


class PathValidator:
    """Builds and validates paths; remembers validated paths for later verifications."""

    def __init__(self, decisions: PathDecisions | None = None) -> None:
        # The general engine, made when a path first needs it (None: not yet; False: the
        # pkix extra is missing, and the MissingExtraError that says so is kept).
        self._general_engine: GeneralEngine | bool | None = None
        self._missing: MissingExtraError | None = None
        # The verifier's one cache of path decisions, shared with its path step.
        self.decisions = decisions if decisions is not None else PathDecisions()
        # Display strings, built once: RFC 4514 formatting costs more than a warm path check.
        self._anchor_subjects: Memo[str, str] = Memo(4096)
        self._considered_cache: Memo[tuple[TrustStore, int, str], tuple[str, ...]] = Memo(4096)
        # The fast engine's stores, verifiers and policy verdicts.
        self._memos = ChainMemos()

    def clear(self) -> None:
        """Forget every remembered decision and display string."""
        self.decisions.clear()
        engine = self._general_engine
        if engine is not None and not isinstance(engine, bool):
            engine.clear()
        self._anchor_subjects.clear()
        self._considered_cache.clear()
        self._memos.clear()

    def _engine(self) -> GeneralEngine | None:
        """The general engine, or None when the ``pkix`` extra is missing."""
        engine = self._general_engine
        if engine is None:
            try:
                engine = _general_module().GeneralEngine()
            except MissingExtraError as exc:
                engine, self._missing = False, exc
            self._general_engine = engine
        return engine if not isinstance(engine, bool) else None

    def _engine_missing(
        self,
        certs: Sequence[CertRecord],
        anchor: TrustAnchor | None,
        considered: tuple[str, ...],
        needs: str,
    ) -> PathOutcome:
        """A path the general engine must decide, without it: never a pass."""
        assert self._missing is not None
        leaf = certs[0]
        path = (
            "its certification path"
            if needs.startswith(leaf.describe())
            else f"the certification path of {leaf.describe()}"
        )
        missing = MissingExtraError(
            f"{needs}; {path}",
            self._missing.extra,
            self._missing.missing,
        )
        return PathOutcome(
            False,
            SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
            str(missing),
            leaf.describe(),
            tuple(certs),
            anchor,
            anchors_considered=considered,
            engine_missing=True,
        )

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
        errors = _pkix_errors()
        while True:
            try:
                run_coroutine(factory)
                error: BaseException | None = None
            except errors as exc:
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
        errors = _pkix_errors()
        while True:
            try:
                await factory()
                error: BaseException | None = None
            except errors as exc:
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
    ) -> Steps:
        # A generator of the validation: it yields coroutine factories (pyhanko-certvalidator
        # runs) and is sent back what each raised, so one body serves validate and avalidate.
        if revocation is None:
            required = bool(crls) if require_revocation is None else require_revocation
            revocation = RevocationRequest(
                mode="require" if required else ("hard-fail" if crls else "off"),
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
        fast = fast_path(leaf, pool_list, trust, at, policy, tol, self._memos)
        if not fast.ok and self._engine() is None:
            if fast.unsupported:
                # Without the general engine, a path through the certificates
                # cryptography can check is still worth finding.
                fast = fast_path(
                    leaf, pool_list, trust, at, policy, tol, self._memos, drop_unsupported=True
                )
            elif not fast.path_search_only:
                # Nothing the general engine could say would overturn this refusal.
                chain = self.build(leaf, pool, trust, policy.max_chain_length)[0]
                return PathOutcome(
                    False,
                    fast.sub_indication or SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
                    f"no acceptable path for {leaf.describe()}: {fast.message}",
                    leaf.describe(),
                    tuple(chain[0][0]) if chain else (leaf,),
                    chain[0][1] if chain else None,
                    anchors_considered=self._considered(trust, leaf),
                )
        if fast.ok:
            return (
                yield from self._fast_outcome(
                    fast, trust, policy, at, revocation, pool, asynchronous, tol
                )
            )
        needs = fast.message
        if not fast.unsupported:
            needs = f"cryptography's verifier found no path: {fast.message}"
        general = yield from self._general_steps(
            leaf, pool, trust, policy, at, revocation, asynchronous, tol, needs
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
        needs: str,
    ) -> Steps:
        """Path building here and validation by pyhanko-certvalidator, candidate by candidate.

        ``needs``: why the general engine decides, for the message when it is missing.
        """
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
                needs,
            )
            if outcome.ok:
                return outcome
            if first_failure is None or outcome.engine_missing:
                # A candidate left undecided for want of the engine says more than
                # another candidate's failure: the path may be valid.
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
    ) -> Steps:
        """The decision on a path cryptography accepted: our checks, policies, revocation."""
        certs, anchor = list(fast.certs), fast.anchor
        assert anchor is not None
        leaf = certs[0]
        considered = self._considered(trust, certs[-1])
        if anchor.fingerprint == leaf.fingerprint:
            return self._validate_anchor_leaf(leaf, anchor, policy, at, considered, tol)
        problem = own_checks(certs, anchor, policy, at, tol, considered, self._memos)
        if problem is None:
            ee_problem = ee_critical(leaf)
            if ee_problem:
                problem = path_failure(certs, anchor, considered, "ee", ee_problem)
        if problem is None:
            valid = policy_outcome(certs, anchor, policy, considered, self._memos)
            if isinstance(valid, PathOutcome):
                problem = valid
        if problem is not None:
            return problem
        assert not isinstance(valid, PathOutcome)
        if revocation_active(certs, revocation, _declared):
            key = self._key(certs, anchor, trust, policy, revocation, pool)
            cached = self.decisions.find(key, at, tol)
            if cached is not None:
                return self._reuse(certs, anchor, considered, policy, cached)
            return (
                yield from self._finish(
                    certs,
                    anchor,
                    policy,
                    at,
                    revocation,
                    considered,
                    pool,
                    asynchronous,
                    tol,
                    valid,
                    key,
                )
            )
        # Nothing here is worth remembering: cryptography's verdict is already paid for, and
        # the caller remembers the whole decision (the path step, keyed by the evidence).
        entries = self._unchecked_report(certs, anchor, revocation, at)
        return self._success(
            certs, anchor, considered, valid, policy, cached=False, revocation=entries
        )

    def _unchecked_report(
        self,
        certs: list[CertRecord],
        anchor: TrustAnchor,
        revocation: RevocationRequest,
        at: _dt.datetime,
    ) -> tuple[RevocationEntry, ...]:
        """The report of a path whose revocation status is not checked (nothing to check)."""
        if not revocation.report:
            return ()
        if revocation.mode != "off":
            # What report() gives a path checked for nothing, without its general set-up.
            return tuple([unchecked_entry(c) for c in certs])
        declared: list[tuple[bool, bool]] = []
        anchor_asn1 = anchor_record(anchor).asn1
        return report(certs, anchor_asn1, revocation, False, True, None, [], [], at, declared)

    def _reuse(
        self,
        certs: list[CertRecord],
        anchor: TrustAnchor,
        considered: tuple[str, ...],
        policy: Policy,
        cached: CachedPath,
    ) -> PathOutcome:
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

    def _finish(
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
        valid: tuple[str, ...],
        key: tuple[Any, ...],
    ) -> Steps:
        """A validated path's revocation step (own evaluation), its outcome remembered."""
        if not revocation_active(certs, revocation, _declared):
            entries = self._unchecked_report(certs, anchor, revocation, at)
            window = (max(c.not_before for c in certs), min(c.not_after for c in certs))
            self.decisions.remember(
                key, CachedPath(window[0], window[1], valid, revocation=entries)
            )
            return self._success(
                certs, anchor, considered, valid, policy, cached=False, revocation=entries
            )
        outcome, span = yield from revocation_steps(
            self._success,
            certs,
            anchor,
            policy,
            at,
            revocation,
            considered,
            pool,
            asynchronous,
            tol,
            valid,
        )
        if outcome.ok and span is not None and outcome.cacheable:
            self.decisions.remember(
                key,
                CachedPath(span[0], span[1], outcome.valid_policies, span[2], span[3],
                           outcome.revocation),
            )  # fmt: skip
        return outcome

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
            self._anchor_subjects.put(anchor.fingerprint, name)
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
        self._considered_cache.put(key, result)
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
            "path",  # apart from the signer decisions in the same memo
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
        needs: str,
    ) -> Steps:
        leaf = certs[0]
        key = self._key(certs, anchor, trust, policy, revocation, pool)
        cached = self.decisions.find(key, at, tol)
        if cached is not None:
            return self._reuse(certs, anchor, considered, policy, cached)
        if anchor.fingerprint == leaf.fingerprint:
            # The signer certificate is itself a trust anchor: nothing to chain.
            return self._validate_anchor_leaf(leaf, anchor, policy, at, considered, tol)
        problem = own_checks(certs, anchor, policy, at, tol, considered, self._memos)
        if problem is not None:
            return problem
        engine = self._engine()
        if engine is None:
            return self._engine_missing(certs, anchor, considered, needs)
        # The general engine validates the path without revocation; the revocation step
        # is the same as for the paths cryptography's verifier accepts.
        outcome, _ = yield from engine.steps(
            self._success,
            certs,
            anchor,
            policy,
            at,
            revocation,
            considered,
            pool,
            asynchronous,
            tol,
        )
        if not outcome.ok:
            return outcome
        return (
            yield from self._finish(
                certs,
                anchor,
                policy,
                at,
                revocation,
                considered,
                pool,
                asynchronous,
                tol,
                outcome.valid_policies,
                key,
            )
        )

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
