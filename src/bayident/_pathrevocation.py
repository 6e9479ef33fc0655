"""The revocation step of path validation: own evaluation of a validated path, and its outcome.

Whichever engine validated the path (cryptography's verifier or the general
engine, run without revocation), the revocation status of its certificates is
decided here by :class:`bayident.revocation._pathcheck.PathCheck`, and turned
into the path's outcome: a failure naming the certificate (REVOKED_NO_POE,
REVOKED_CA_NO_POE, TRY_LATER), or a success with one revocation report entry
per certificate and the window in which the decision holds.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Generator
from typing import Any

from ._certs import CertRecord
from ._memo import Memo
from ._pathoutcome import PathOutcome, Window
from ._pathtext import declared as _declared
from ._pathtext import load_crls as _load_crls
from ._pathtext import load_ocsps as _load_ocsps
from ._policy import Policy
from ._result import SubIndication
from ._trust import TrustAnchor
from .revocation._check import (
    RevocationEntry,
    RevocationRequest,
    describe_source,
    report,
    revinfo_window,
    revocation_data_notes,
    sources_text,
)
from .revocation._data import NO_SUPPLIED
from .revocation._pathcheck import PathCheck

__all__ = ["anchor_record", "revocation_steps"]

# A generator of the step: it yields one coroutine factory and is sent what it raised.
RevocationSteps = Generator[Any, BaseException | None, tuple[PathOutcome, Window | None]]

# Process-wide: a pure function of the anchor certificate.
_ANCHORS: Memo[str, CertRecord] = Memo(1024)


def anchor_record(anchor: TrustAnchor) -> CertRecord:
    """The anchor's certificate as a CertRecord (built once per anchor)."""
    rec = _ANCHORS.get(anchor.fingerprint)
    if rec is None:
        rec = CertRecord(anchor.der, anchor.certificate)
        _ANCHORS.put(anchor.fingerprint, rec)
    return rec


def _malformed(
    what: str, index: int, count: int, reason: str, where: str,
    certs: list[CertRecord], anchor: TrustAnchor, considered: tuple[str, ...],
) -> PathOutcome:  # fmt: skip
    return PathOutcome(
        False,
        SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
        f"{what} {index + 1} of the {count} given for revocation checking{where} is malformed "
        f"({reason}), so the revocation status of the path cannot be established",
        f"{what} {index + 1}",
        tuple(certs),
        anchor,
        anchors_considered=considered,
    )


def revocation_steps(
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
    valid_policies: tuple[str, ...],
) -> RevocationSteps:
    """Check the revocation status of a validated path; the outcome and its window."""
    at = at.replace(microsecond=0)  # RFC 5280 times have no fractions
    mode = revocation.mode
    supplied = revocation.supplied if mode != "off" else NO_SUPPLIED
    parsed_crls, crl_problem = _load_crls(supplied.crls)
    if crl_problem is not None:
        index, reason = crl_problem
        bad = _malformed("CRL", index, len(supplied.crls), reason, "", certs, anchor, considered)
        return bad, None
    parsed_ocsps, ocsp_problem = _load_ocsps(supplied.ocsps)
    if ocsp_problem is not None:
        index, reason = ocsp_problem
        origin = supplied.ocsp_origins[index] if index < len(supplied.ocsp_origins) else ""
        where = " (embedded in the evidence)" if origin == "embedded" else ""
        bad = _malformed(
            "OCSP response", index, len(supplied.ocsps), reason, where, certs, anchor, considered
        )
        return bad, None
    crl_items = list(
        zip(parsed_crls, supplied.crl_origins or ("caller",) * len(parsed_crls), strict=False)
    )
    ocsp_items = list(zip(parsed_ocsps, supplied.ocsp_origins, strict=False))
    service = revocation.service
    declared = [_declared(c) for c in certs] if mode != "off" else []
    anchor_rec = anchor_record(anchor)
    others = [c for bucket in pool.values() for c in bucket]
    check = PathCheck(
        certs,
        anchor_rec,
        others,
        policy,
        at,
        tol,
        revocation,
        declared or [(False, False)] * len(certs),
        asynchronous,
    )
    error = yield check.run
    if error is not None:
        # Never expected: the evaluators turn bad data into reasons. Still no traceback.
        text = " ".join(str(error).split()) or type(error).__name__
        failed = PathOutcome(
            False,
            SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
            f"the revocation status of the path could not be processed: {text}",
            certs[0].describe(),
            tuple(certs),
            anchor,
            anchors_considered=considered,
        )
        return failed, None
    recorder = check.recorder
    strict, no_check = check.rule == "required", check.rule == "none"
    anchor_asn1 = anchor_rec.asn1
    data_notes = revocation_data_notes(crl_items, recorder, at, tol, revocation.retroactive) + list(
        supplied.notes
    )
    failure = check.failure

    def entries_of(**extra: Any) -> tuple[RevocationEntry, ...]:
        # The per-certificate report, when the request asks for one.
        if not revocation.report:
            return ()
        return report(
            certs,
            anchor_asn1,
            revocation,
            strict,
            no_check,
            recorder,
            crl_items,
            ocsp_items,
            at,
            declared,
            soft_notes=check.soft_notes,
            **extra,
        )

    if failure is not None:
        culprit = certs[failure.index]
        text = failure.text
        failure_time = None
        if failure.kind == "revoked":
            sub = (
                SubIndication.REVOKED_NO_POE
                if failure.index == 0
                else SubIndication.REVOKED_CA_NO_POE
            )
            failure_time = failure.revoked_at
        else:
            sub = SubIndication.TRY_LATER
            tried = sources_text(recorder, culprit.asn1)
            if tried and tried not in text:
                text += f" (revocation data tried: {tried})"
            if data_notes:
                text += "; " + "; ".join(data_notes)
            if service is not None:
                # Answers that did not verify are not reused: the next attempt asks again.
                service.evict([s.cache_key for s in recorder.for_cert(culprit.asn1) if s.cache_key])
        entries = entries_of(failure=failure, error_text=text, data_notes=data_notes)
        if failure.kind == "revoked":
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
            culprit.describe(),
            tuple(certs),
            anchor,
            anchors_considered=considered,
            revocation=entries,
            failure_time=failure_time,
        )
        return failed, None
    entries = entries_of(decided_by=check.decided_by)
    window_start = max(c.not_before for c in certs)
    window_end = min(c.not_after for c in certs)
    recorded = list(recorder.all())
    revinfo_from, revinfo_until = revinfo_window(
        parsed_crls,
        parsed_ocsps,
        recorded,
        at,
        revocation.retroactive,
        policy.revocation_max_age,
    )
    for rec, entry in zip(certs, entries, strict=False):
        if entry.info.status == "unknown" and check.answered(rec):
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
    success = on_success(
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
