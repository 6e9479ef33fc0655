"""Chain → revocation: a signer's certificate path, decided once and remembered.

:meth:`PathSteps._path_outcome` builds and validates the path (RFC 5280, the policy's
certificate rules, revocation as ``Policy.revocation_mode`` says) through
:class:`~bayident._path.PathValidator`, remembers successful decisions while their
certificates and revocation data stay valid, and weighs the trusted-list status of the
anchor at every use (:func:`anchor_status_decision`). :func:`path_entries` and
:func:`path_revocation_checks` turn a decision into checks, the same way for CMS signers
and for every evidence handler.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ._certs import CertRecord
from ._intake import Intake
from ._job import Job
from ._path import PathOutcome, PathValidator
from ._pathoutcome import CachedPath, PathDecisions
from ._result import Check, CheckOutcome, RevocationInfo, SubIndication
from ._signer_state import SignerState as _SignerState
from ._signer_state import iso as _iso
from ._signer_state import make_check as _check
from ._trust import TrustStore
from .revocation._check import RevocationRequest
from .revocation._service import RevocationService

__all__ = [
    "ANCHOR_STATUS_CHECK",
    "PathSteps",
    "anchor_status_decision",
    "anchor_status_failed",
    "path_entries",
    "path_revocation_checks",
]

_OUT = CheckOutcome
_NO_SKEW = _dt.timedelta(0)

#: The check reporting the trusted-list status of the anchor a path ends in.
ANCHOR_STATUS_CHECK = "trust-anchor-status"
_IN_FORCE: frozenset[str] | None = None


def _in_force_statuses() -> frozenset[str] | None:
    """The trusted-list statuses under which an anchor may be relied on (None: unknown).

    Imported when first needed: anchors with a status history come from
    :mod:`bayident.trustlist`, whose XML support is an optional extra.
    """
    global _IN_FORCE
    if _IN_FORCE is None:
        try:
            from .trustlist._model import IN_FORCE_STATUSES
        except ImportError:
            return None
        _IN_FORCE = IN_FORCE_STATUSES
    return _IN_FORCE


def _short_status(status: str) -> str:
    return status.rsplit("/", 1)[-1]


def anchor_status_decision(outcome: PathOutcome, when: _dt.datetime) -> PathOutcome:
    """``outcome`` once the trusted-list status of its anchor at ``when`` is weighed.

    An anchor with a status history (one from a trusted list) ends an acceptable path
    only while its service is in force (granted, recognised at national level, or an
    equivalent earlier status: ``bayident.trustlist.IN_FORCE_STATUSES``). Otherwise the
    anchor is no trust anchor at ``when``, so no chain ends in one: INDETERMINATE /
    NO_CERTIFICATE_CHAIN_FOUND, as for a chain to an unknown root, with
    ``failure_time`` the start of that status (a proof of existence before it can
    help). Applied at every use of a path decision, cached ones included: the
    status is never part of what is cached. The extra checks travel in
    ``outcome.checks`` as (name, passed, message, concerns).
    """
    anchor = outcome.anchor
    if not outcome.ok or anchor is None or not anchor.status_history:
        return outcome
    status = anchor.status_at(when)
    since: _dt.datetime | None = None
    if status is not None:
        for start, _status in anchor.status_history:
            if start > when:
                break
            since = start
    in_force = _in_force_statuses()
    key = ("anchor-status", status, since)
    if in_force is not None and status in in_force:
        derived = outcome.memo.get(key)
        if derived is None:
            assert since is not None
            message = (
                f"trust anchor '{anchor.subject}' is listed with service status "
                f"'{_short_status(status)}' (since {_iso(since)}) in the trusted list of "
                f"{anchor.list_territory or 'an unnamed territory'}: in force at the "
                "validation time"
            )
            derived = replace(
                outcome,
                checks=(*outcome.checks, (ANCHOR_STATUS_CHECK, True, message, anchor.source)),
                memo={},
            )
            outcome.memo[key] = derived
        return derived
    where = f"the trusted list of {anchor.list_territory or 'an unnamed territory'}"
    if in_force is None:
        message = (
            f"trust anchor '{anchor.subject}' carries a trusted-list status history, but "
            "bayident.trustlist cannot be imported to interpret it (install the 'etsi' "
            "extra), so the anchor is not relied on"
        )
    elif status is None:
        first = anchor.status_history[0][0]
        message = (
            f"trust anchor '{anchor.subject}' had no service status in {where} at "
            f"{_iso(when)} (its first status starts at {_iso(first)}): it was not a trust "
            "anchor then, so no chain ends in a trust anchor in force"
        )
    else:
        message = (
            f"trust anchor '{anchor.subject}' had service status '{_short_status(status)}'"
            + (f" (since {_iso(since)})" if since is not None else "")
            + f" in {where} at {_iso(when)}: only a service in force (granted, recognised at "
            "national level, or an equivalent earlier status; ETSI TS 119 612 §5.5.4) "
            "anchors a path, so no chain ends in a trust anchor in force"
        )
    leaf = outcome.chain[0].describe() if outcome.chain else None
    return PathOutcome(
        False,
        SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
        message,
        anchor.source,
        chain=outcome.chain,
        anchor=anchor,
        anchors_considered=outcome.anchors_considered,
        valid_policies=outcome.valid_policies,
        checks=(
            *outcome.checks,
            ("certificate-path", True, outcome.message, leaf),
            (ANCHOR_STATUS_CHECK, False, message, anchor.source),
        ),
        revocation=outcome.revocation,
        revinfo_window=outcome.revinfo_window,
        cacheable=False,
        failure_time=since if in_force is not None else None,
    )


def anchor_status_failed(outcome: PathOutcome) -> bool:
    """Whether ``outcome`` failed only because its anchor's trusted-list status was not in force."""
    return (
        bool(outcome.checks)
        and outcome.checks[-1][0] == ANCHOR_STATUS_CHECK
        and (not outcome.checks[-1][1])
    )


def path_entries(outcome: PathOutcome, leaf: str) -> tuple[tuple[str, bool, str, str | None], ...]:
    """The path-level checks of a path decision, as (name, passed, message, concerns).

    ``certificate-path`` and, for an anchor from a trusted list, ``trust-anchor-status``.
    A failed entry takes the outcome's sub-indication. Every way of reporting a
    validated chain (CMS signers, evidence handlers) uses these, so they agree.
    """
    if outcome.ok:
        first = ("certificate-path", True, outcome.message, leaf)
        return (first, *outcome.checks) if outcome.checks else (first,)
    if outcome.checks:
        return outcome.checks
    return (("certificate-path", False, outcome.message, outcome.concerns),)


def path_revocation_checks(
    outcome: PathOutcome, signer: int
) -> tuple[tuple[Check, ...], tuple[RevocationInfo, ...]]:
    """The per-certificate ``revocation`` checks of a path decision, and what they found.

    Built once per outcome and signer index: the same outcome serves every signature
    of a signer.
    """
    memo = outcome.memo
    checks: tuple[Check, ...] | None = memo.get(signer)
    if checks is None:
        memo["infos"] = tuple(entry.info for entry in outcome.revocation)
        checks = tuple(
            _check("revocation", entry.outcome, entry.info.message, rec.describe(), signer)
            for entry, rec in zip(outcome.revocation, outcome.chain, strict=False)
        )
        memo[signer] = checks
    infos: tuple[RevocationInfo, ...] = memo["infos"]
    return checks, infos


def _anchor_current(trust: TrustStore, outcome: PathOutcome) -> bool:
    """Whether a remembered path decision ends in an anchor of ``trust`` as it is now.

    Remembered decisions are keyed by the store's identity and version; a store that
    replaced another (a trust-list refresh) can reuse the old one's address, so the
    anchor itself is checked too.
    """
    anchor = outcome.anchor
    return anchor is None or trust.by_fingerprint(anchor.fingerprint) is anchor


def _tolerance(job: Job, at: _dt.datetime | None) -> _dt.timedelta | None:
    """Clock skew for validity periods: only when validating at the current time."""
    return job.policy.clock_skew if at is None and job.at_is_now else None


class PathSteps(Intake):
    """Path decisions for signers, time-stamp authorities and evidence handlers."""

    revocation: RevocationService
    _paths: PathValidator
    _decisions: PathDecisions

    def _remember(self, key: tuple[Any, ...], outcome: PathOutcome) -> None:
        # Soft-fails (not cacheable) and failures are decided again at every use.
        if not (outcome.ok and outcome.cacheable and outcome.chain):
            return
        start = max(c.not_before for c in outcome.chain)
        end = min(c.not_after for c in outcome.chain)
        since, until = outcome.revinfo_window
        entry = CachedPath(start, end, (), since, until, outcome=outcome)
        self._decisions.remember(key, entry)

    def _request(self, job: Job, retroactive: bool) -> RevocationRequest:
        return RevocationRequest(
            mode=job.policy.revocation_mode,
            supplied=job.supplied,
            service=self.revocation,
            retroactive=retroactive,
        )

    def _lookup(
        self,
        job: Job,
        leaf: CertRecord,
        at: _dt.datetime | None,
        retroactive: bool | None,
        extra: Sequence[CertRecord],
    ) -> tuple[tuple[Any, ...], list[CertRecord], _dt.datetime, bool, PathOutcome | None]:
        if at is None:
            at = job.at
        retro = job.retroactive if retroactive is None else retroactive
        pool = [*job.pool, *extra] if extra else job.pool
        trust = job.trust
        key = (
            leaf.fingerprint,
            tuple([c.fingerprint for c in pool]),
            id(trust),
            trust.version,
            job.policy.cache_key,
            job.crls,
            job.supplied.ocsps,
            retro,
        )
        hit = self._decisions.find(key, at, _tolerance(job, at) or _NO_SKEW)
        return key, pool, at, retro, None if hit is None else hit.outcome

    def _path_outcome(
        self,
        job: Job,
        leaf: CertRecord,
        at: _dt.datetime | None = None,
        retroactive: bool | None = None,
        extra: Sequence[CertRecord] = (),
    ) -> PathOutcome:
        """A path decision, reused while the same certificates, trust and policy apply.

        A successful RFC 5280 validation depends on the validation time only through
        the validity periods in the path and of the revocation data it used, so it
        holds for any time inside their intersection. The trusted-list status of
        its anchor is weighed at each use (:func:`anchor_status_decision`).
        """
        key, pool, when, retro, hit = self._lookup(job, leaf, at, retroactive, extra)
        if hit is not None and _anchor_current(job.trust, hit):
            return anchor_status_decision(hit, when)
        request, tol = self._request(job, retro), _tolerance(job, at)
        outcome = self._paths.validate(
            leaf, pool, job.trust, job.policy, when, revocation=request, tolerance=tol
        )
        self._remember(key, outcome)
        return anchor_status_decision(outcome, when)

    async def _apath_outcome(
        self,
        job: Job,
        leaf: CertRecord,
        at: _dt.datetime | None = None,
        retroactive: bool | None = None,
        extra: Sequence[CertRecord] = (),
    ) -> PathOutcome:
        """Asynchronous :meth:`_path_outcome`: revocation data is fetched with awaits."""
        key, pool, when, retro, hit = self._lookup(job, leaf, at, retroactive, extra)
        if hit is not None and _anchor_current(job.trust, hit):
            return anchor_status_decision(hit, when)
        request, tol = self._request(job, retro), _tolerance(job, at)
        outcome = await self._paths.avalidate(
            leaf, pool, job.trust, job.policy, when, revocation=request, tolerance=tol
        )
        self._remember(key, outcome)
        return anchor_status_decision(outcome, when)

    def _check_path(self, job: Job, st: _SignerState) -> None:
        assert st.cert is not None
        self._apply_path(job, st, self._path_outcome(job, st.cert))

    def _apply_path(self, job: Job, st: _SignerState, outcome: PathOutcome) -> None:
        assert st.cert is not None
        st.path = outcome
        for name, passed, message, concerns in path_entries(outcome, st.cert.describe()):
            if passed:
                st.add(name, _OUT.PASSED, message, concerns)
                if name == "certificate-path" and job.policy.required_policy_oids:
                    st.add(
                        "certificate-policy",
                        _OUT.PASSED,
                        f"valid policies {', '.join(outcome.valid_policies)} satisfy the "
                        f"required {', '.join(job.policy.required_policy_oids)}",
                        f"certificatePolicies of {st.cert.describe()}",
                    )
                continue
            assert outcome.sub_indication is not None
            st.fail(name, outcome.sub_indication, message, concerns)
        if outcome.revocation:
            # The same outcome serves every signature of a signer: its checks are built once.
            checks, st.revocation = path_revocation_checks(outcome, st.info.index)
            st.checks.extend(checks)
