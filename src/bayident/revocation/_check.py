"""Revocation checking during path validation: the request, and the report.

The RFC 6960 and RFC 5280 work (matching, freshness, signatures, responder and
CRL issuer authorisation, delta CRLs) is :mod:`._pathcheck`'s; this module holds
what a validation asks for (:class:`RevocationRequest`) and turns what happened
into one :class:`~bayident.RevocationInfo` per certificate.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from .._memo import Memo
from .._result import CheckOutcome, RevocationInfo, _build
from ._data import (
    NO_SUPPLIED,
    Summary,
    Supplied,
    crl_summary,
    is_delta,
    matching_single,
    ocsp_summary,
)
from ._fetchers import Recorder, Served
from ._requests import declared_revinfo
from ._service import RevocationService

if TYPE_CHECKING:
    from ._pathcheck import Failure

__all__ = [
    "RevocationEntry",
    "RevocationRequest",
    "declares_revocation",
    "report",
    "revinfo_window",
    "unchecked_entry",
]

Mode = Literal["hard-fail", "soft-fail", "require", "off"]

_NO_NEXT_UPDATE = _dt.timedelta(minutes=30)


@dataclass(frozen=True)
class RevocationRequest:
    """How revocation is checked for one path validation.

    ``retroactive``: revocation data produced after the validation time may vouch
    for it (validation at a time in the past, e.g. a time-stamp's genTime).
    ``report``: build a :class:`RevocationInfo` per certificate.
    """

    mode: Mode = "off"
    supplied: Supplied = NO_SUPPLIED
    service: RevocationService | None = None
    retroactive: bool = False
    report: bool = True

    def key(self) -> tuple[Any, ...]:
        return (
            self.mode,
            self.supplied.crls,
            self.supplied.ocsps,
            self.service is not None,
            self.retroactive,
        )


class RevocationEntry(NamedTuple):
    """A certificate's revocation report and the outcome of its ``revocation`` check."""

    info: RevocationInfo
    outcome: CheckOutcome


def declares_revocation(cert: Any) -> tuple[bool, bool]:
    """(names a CRL distribution point, names an OCSP responder) for an asn1crypto certificate."""
    return declared_revinfo(cert)


def _singles(parsed_ocsp: Any) -> Any:
    return parsed_ocsp["response_bytes"]["response"].parsed["tbs_response_data"]["responses"]


# --- the report ---------------------------------------------------------------------


def _iso(when: _dt.datetime | None) -> str:
    if when is None:
        return "-"
    return when.strftime("%Y-%m-%d %H:%M:%SZ")


_ORIGIN_TEXT = {"embedded": "embedded in the evidence", "caller": "given by the caller"}


def _where(origin: str, url: str | None, from_cache: bool) -> str:
    if origin == "fetched":
        return f"from {url}" + (" (cached)" if from_cache else "")
    return _ORIGIN_TEXT.get(origin, origin)


def sources_text(recorder: Recorder | None, cert: Any) -> str:
    """The revocation data fetched or served for ``cert``, and what failed, for messages."""
    if recorder is None:
        return ""
    parts = []
    for s in recorder.for_cert(cert):
        what = "OCSP response" if s.kind == "ocsp" else "CRL"
        if s.error is not None:
            parts.append(f"{what} from {s.url}: {s.error}")
        else:
            parts.append(f"{what} {_where(s.origin, s.url, s.from_cache)}")
    return "; ".join(dict.fromkeys(parts))


class _Found(NamedTuple):
    kind: Literal["ocsp", "crl"]
    origin: Literal["fetched", "embedded", "caller"]
    url: str | None
    from_cache: bool
    status: Literal["good", "revoked", "unknown"]
    revoked_at: _dt.datetime | None
    reason: str | None
    produced_at: _dt.datetime | None
    this_update: _dt.datetime | None
    next_update: _dt.datetime | None


def _found(kind: Any, origin: Any, url: str | None, cached: bool, summary: Summary) -> _Found:
    return _Found(
        kind,
        origin,
        url,
        cached,
        summary.status,
        summary.revoked_at,
        summary.reason,
        summary.produced_at,
        summary.this_update,
        summary.next_update,
    )


def _find(
    cert: Any,
    issuer: Any,
    recorder: Recorder | None,
    crls: Sequence[tuple[Any, str]],
    ocsps: Sequence[tuple[Any, str]],
    want_ocsp: bool,
    at: _dt.datetime,
    revoked: bool = False,
) -> _Found | None:
    """The revocation data a check most likely rested on: OCSP first, then CRLs.

    ``revoked``: the data that shows the certificate revoked by ``at``.
    """
    served = recorder.for_cert(cert) if recorder is not None else []
    if want_ocsp:
        ocsp_items: list[tuple[Any, str, str | None, bool]] = [
            (s.parsed, s.origin, s.url, s.from_cache)
            for s in served
            if s.kind == "ocsp" and s.parsed is not None
        ]
        ocsp_items += [(parsed, origin, None, False) for parsed, origin in ocsps]
        fallback = None
        for parsed, origin, url, cached in ocsp_items:
            single = matching_single(parsed, cert, issuer.public_key)
            if single is None:
                continue
            summary = ocsp_summary(parsed, single)
            found = _found("ocsp", origin, url, cached, summary)
            later = summary.revoked_at is not None and summary.revoked_at > at
            if revoked:
                if summary.status == "revoked" and not later:
                    return found
            elif summary.status == "good" or (summary.status == "revoked" and later):
                return found
            fallback = fallback or found
        if fallback is not None and not revoked and not crls and not served:
            return fallback
    crl_items: list[tuple[Any, str, str | None, bool]] = [
        (s.parsed, s.origin, s.url, s.from_cache)
        for s in served
        if s.kind == "crl" and s.parsed is not None
    ]
    crl_items += [(parsed, origin, None, False) for parsed, origin in crls]
    best: _Found | None = None
    for parsed, origin, url, cached in crl_items:
        if is_delta(parsed) or parsed["tbs_cert_list"]["issuer"] != cert.issuer:
            continue
        summary = crl_summary(parsed, cert.serial_number)
        found = _found("crl", origin, url, cached, summary)
        if revoked:
            if summary.status == "revoked" and summary.revoked_at and summary.revoked_at < at:
                return found
            continue
        if best is None or (
            found.this_update is not None
            and best.this_update is not None
            and found.this_update > best.this_update
        ):
            best = found
    return best


def _info(
    rec: Any, status: str, message: str, found: _Found | None = None, **extra: Any
) -> RevocationInfo:
    values: dict[str, Any] = {
        "subject": rec.info.subject,
        "serial_number": rec.info.serial_number,
        "fingerprint_sha256": rec.info.fingerprint_sha256,
        "status": status,
        "revoked_at": None,
        "reason": None,
        "source": None,
        "origin": None,
        "from_cache": False,
        "url": None,
        "produced_at": None,
        "this_update": None,
        "next_update": None,
        "message": message,
    }
    if found is not None:
        values.update(
            source=found.kind,
            origin=found.origin,
            from_cache=found.from_cache,
            url=found.url,
            produced_at=found.produced_at,
            this_update=found.this_update,
            next_update=found.next_update,
        )
        if found.status == "revoked":
            values.update(revoked_at=found.revoked_at, reason=found.reason)
    values.update(extra)
    return _build(RevocationInfo, values)


def describe_source(info: RevocationInfo) -> str:
    """Where the data behind ``info`` came from, for messages ("" when unknown)."""
    if info.source is None or info.origin is None:
        return ""
    what = "OCSP response" if info.source == "ocsp" else "CRL"
    return f"{what} {_where(info.origin, info.url, info.from_cache)}"


def _describe(found: _Found) -> str:
    what = "OCSP response" if found.kind == "ocsp" else "CRL"
    when = "produced" if found.kind == "ocsp" else "issued"
    text = f"{what} {_where(found.origin, found.url, found.from_cache)}, {when} {_iso(found.produced_at)}"
    if found.next_update is not None:
        text += f", next update {_iso(found.next_update)}"
    return text


# Process-wide: a pure function of the certificate (its fingerprint).
_UNCHECKED: Memo[str, RevocationEntry] = Memo(4096)


def unchecked_entry(rec: Any) -> RevocationEntry:
    """The entry of a certificate whose revocation status is not checked (it names no
    source, or the path needs none checked)."""
    # The same for every signer under a CA: built once per certificate.
    entry = _UNCHECKED.get(rec.fingerprint)
    if entry is None:
        entry = RevocationEntry(
            _info(
                rec,
                "not-checked",
                "names no OCSP responder or CRL distribution point, so its "
                "revocation status cannot be checked",
            ),
            CheckOutcome.WARNING,
        )
        _UNCHECKED.put(rec.fingerprint, entry)
    return entry


class _Lazy:
    """A CertRecord's asn1crypto certificate, parsed on first attribute use."""

    __slots__ = ("_rec",)

    def __init__(self, rec: Any) -> None:
        self._rec = rec


def _real(value: Any) -> Any:
    return value._rec.asn1 if isinstance(value, _Lazy) else value


def report(
    certs: Sequence[Any],
    anchor_asn1: Any,
    request: RevocationRequest,
    strict: bool,
    no_check: bool,
    recorder: Recorder | None,
    crls: Sequence[tuple[Any, str]],
    ocsps: Sequence[tuple[Any, str]],
    at: _dt.datetime,
    declared: Sequence[tuple[bool, bool]],
    failure: Failure | None = None,
    error_text: str = "",
    soft_notes: dict[bytes, str] | None = None,
    data_notes: Sequence[str] = (),
    decided_by: dict[str, str] | None = None,
) -> tuple[RevocationEntry, ...]:
    """One entry per certificate of ``certs`` (CertRecords, signer first).

    ``strict``: every certificate had to be covered; ``no_check``: none was checked.
    ``failure``: what stopped the check, about one of ``certs``. ``decided_by``: the
    kind of data ("ocsp" or "crl") that decided each certificate, by fingerprint.
    """
    out: list[RevocationEntry] = []
    culprit_index = failure.index if failure is not None else None
    for i, rec in enumerate(certs):
        # asn1crypto's model is parsed only where revocation data is looked at: a report
        # of certificates that were not checked needs none of it.
        cert = _Lazy(rec)
        issuer = _Lazy(certs[i + 1]) if i + 1 < len(certs) else anchor_asn1
        if request.mode == "off":
            out.append(
                RevocationEntry(
                    _info(
                        rec, "not-checked", "revocation checking is off (Policy.revocation_mode)"
                    ),
                    CheckOutcome.SKIPPED,
                )
            )
            continue
        # Below the certificate where validation stopped; or above it, when the path failed
        # for another reason (revocation is checked once the path has validated).
        if culprit_index is not None and (
            i < culprit_index
            or (i > culprit_index and failure is not None and failure.kind == "other")
        ):
            how = "stopped" if i < culprit_index else "failed"
            stop = certs[culprit_index].describe()
            out.append(
                RevocationEntry(
                    _info(rec, "not-checked", f"not checked: path validation {how} at {stop}"),
                    CheckOutcome.SKIPPED,
                )
            )
            continue
        has_crl, has_ocsp = declared[i] if i < len(declared) else declares_revocation(_real(cert))
        if culprit_index is not None and i == culprit_index:
            assert failure is not None
            if failure.kind == "revoked":
                found = _find(
                    _real(cert), _real(issuer), recorder, crls, ocsps, has_ocsp, at, revoked=True
                )
                when = failure.revoked_at
                reason = failure.reason
                where = f" ({_describe(found)})" if found is not None else ""
                out.append(
                    RevocationEntry(
                        _info(
                            rec,
                            "revoked",
                            f"revoked at {_iso(when)}"
                            + (f", reason: {reason}" if reason else "")
                            + where,
                            found,
                            revoked_at=when,
                            reason=reason,
                        ),
                        CheckOutcome.INDETERMINATE,
                    )
                )
                continue
            if failure.kind == "unknown":
                tried = sources_text(recorder, _real(cert))
                text = error_text
                if tried and tried not in text:
                    text += f" (revocation data tried: {tried})"
                for data_note in data_notes:
                    if data_note not in text:
                        text += f"; {data_note}"
                found = _find(_real(cert), _real(issuer), recorder, crls, ocsps, has_ocsp, at)
                out.append(
                    RevocationEntry(
                        _info(rec, "unknown", f"status unknown: {text}", found),
                        CheckOutcome.INDETERMINATE,
                    )
                )
                continue
            out.append(
                RevocationEntry(
                    _info(rec, "not-checked", "not checked: the certificate failed another check"),
                    CheckOutcome.SKIPPED,
                )
            )
            continue
        checked = strict or ((has_crl or has_ocsp) and not no_check)
        note = soft_notes.get(bytes.fromhex(rec.fingerprint)) if soft_notes else None
        if not checked:
            if note is not None:
                out.append(
                    RevocationEntry(
                        _info(
                            rec, "unknown", f"status unknown ({note}); accepted in soft-fail mode"
                        ),
                        CheckOutcome.WARNING,
                    )
                )
            else:
                out.append(unchecked_entry(rec))
            continue
        # A certificate decided by a CRL (its OCSP answers were unusable) is reported
        # with that CRL, not with an answer that did not count.
        want_ocsp = has_ocsp and (decided_by or {}).get(rec.fingerprint) != "crl"
        found = _find(_real(cert), _real(issuer), recorder, crls, ocsps, want_ocsp, at)
        if found is None:
            tried = sources_text(recorder, _real(cert))
            if tried:
                out.append(
                    RevocationEntry(
                        _info(
                            rec,
                            "unknown",
                            f"status unknown ({tried}); accepted in soft-fail mode",
                        ),
                        CheckOutcome.WARNING,
                    )
                )
            else:
                out.append(
                    RevocationEntry(
                        _info(rec, "good", "not revoked (checked during path validation)"),
                        CheckOutcome.PASSED,
                    )
                )
            continue
        if found.status == "revoked":
            out.append(
                RevocationEntry(
                    _info(
                        rec,
                        "revoked",
                        f"revoked at {_iso(found.revoked_at)}, after the validation time "
                        f"{_iso(at)}, so not revoked then ({_describe(found)})",
                        found,
                    ),
                    CheckOutcome.WARNING,
                )
            )
            continue
        out.append(
            RevocationEntry(
                _info(rec, "good", f"not revoked: {_describe(found)}", found), CheckOutcome.PASSED
            )
        )
    return tuple(out)


def revocation_data_notes(
    crls: Sequence[tuple[Any, str]],
    recorder: Recorder | None,
    at: _dt.datetime | None = None,
    skew: _dt.timedelta = _dt.timedelta(0),
    retroactive: bool = False,
) -> list[str]:
    """Problems with CRLs that the evaluation passes over in silence.

    A delta CRL whose base is missing, and a CRL fetched for a certificate but issued
    by someone else than its issuer, are simply not used there; a result should say so.
    """
    notes: list[str] = []
    items: list[tuple[Any, str]] = list(crls)
    if recorder is not None:
        for served in recorder.all():
            if served.kind == "crl" and served.parsed is not None:
                items.append((served.parsed, f"fetched from {served.url}"))
    complete = {c["tbs_cert_list"]["issuer"].dump() for c, _ in items if not is_delta(c)}
    for crl, origin in items:
        tbs = crl["tbs_cert_list"]
        next_update = tbs["next_update"].native
        this_update = tbs["this_update"].native
        if at is not None and next_update is not None and next_update < at - skew:
            notes.append(
                f"the CRL {_ORIGIN_TEXT.get(origin, origin)} (issuer "
                f"'{tbs['issuer'].human_friendly}') is stale: its nextUpdate "
                f"{_iso(next_update)} is before the validation time {_iso(at)}"
            )
        elif (
            at is not None
            and not retroactive
            and this_update is not None
            and this_update > at + skew
        ):
            notes.append(
                f"the CRL {_ORIGIN_TEXT.get(origin, origin)} (issuer "
                f"'{tbs['issuer'].human_friendly}') was issued {_iso(this_update)}, after the "
                f"validation time {_iso(at)}"
            )
        if is_delta(crl) and crl["tbs_cert_list"]["issuer"].dump() not in complete:
            where = _ORIGIN_TEXT.get(origin, origin)
            issuer = crl["tbs_cert_list"]["issuer"].human_friendly
            base = crl.delta_crl_indicator_value.native
            notes.append(
                f"the delta CRL {where} (issuer '{issuer}') cannot be used: its base CRL "
                f"(number {base}) is missing"
            )
    for served in recorder.all() if recorder is not None else ():
        if served.kind != "crl" or served.parsed is None or served.for_issuer is None:
            continue
        crl_issuer = served.parsed["tbs_cert_list"]["issuer"]
        idp = served.parsed.issuing_distribution_point_value
        if crl_issuer != served.for_issuer and not (idp and idp["indirect_crl"].native):
            notes.append(
                f"the CRL from {served.url} is issued by '{crl_issuer.human_friendly}', not by "
                f"'{served.for_issuer.human_friendly}', the issuer of the certificate it is for"
            )
    return list(dict.fromkeys(notes))


def revinfo_window(
    crls: Sequence[Any],
    ocsps: Sequence[Any],
    recorded: Sequence[Served],
    at: _dt.datetime,
    retroactive: bool,
    max_age: _dt.timedelta | None = None,
) -> tuple[_dt.datetime | None, _dt.datetime | None]:
    """When a decision reached at ``at`` with this revocation data holds with the same data.

    Not before the latest thisUpdate (unless data may vouch retroactively); not after
    the first nextUpdate; not after a revocation dated later than ``at``.
    """
    start: _dt.datetime | None = None
    end: _dt.datetime | None = None

    def take(this_update: _dt.datetime | None, next_update: _dt.datetime | None) -> None:
        nonlocal start, end
        if this_update is not None and (start is None or this_update > start):
            start = this_update
        if next_update is None and this_update is not None:
            next_update = this_update + _NO_NEXT_UPDATE
        if next_update is not None and (end is None or next_update < end):
            end = next_update

    def later(when: _dt.datetime | None) -> None:
        nonlocal end
        if when is not None and when > at and (end is None or when < end):
            end = when

    all_crls = list(crls) + [s.parsed for s in recorded if s.kind == "crl" and s.parsed is not None]
    all_ocsps = list(ocsps) + [
        s.parsed for s in recorded if s.kind == "ocsp" and s.parsed is not None
    ]
    for crl in all_crls:
        tbs = crl["tbs_cert_list"]
        take(tbs["this_update"].native, tbs["next_update"].native)
        for entry in tbs["revoked_certificates"]:
            later(entry["revocation_date"].native)
    for resp in all_ocsps:
        for single in _singles(resp):
            take(single["this_update"].native, single["next_update"].native)
            status = single["cert_status"]
            if status.name == "revoked":
                later(status.chosen["revocation_time"].native)
    if max_age is not None:
        for s in recorded:
            if s.parsed is None:
                continue
            if s.kind == "crl":
                later_update = s.parsed["tbs_cert_list"]["this_update"].native
            else:
                later_update = min(x["this_update"].native for x in _singles(s.parsed))
            if later_update is not None and (end is None or later_update + max_age < end):
                end = later_update + max_age
    if not all_crls and not all_ocsps:
        return None, None
    return (None if retroactive else start), end
