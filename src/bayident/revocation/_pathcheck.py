"""Revocation status of every certificate of a validated path, decided by bayident.

Given a path that passed validation (signer … last CA, and the anchor), the
validation time, the :class:`~bayident.Policy` and the revocation data supplied
and fetched, each certificate is checked from the top down, as RFC 5280 §6.1.3
(a)(3) places the check: OCSP first when the certificate names a responder,
then CRLs (:mod:`._ocsp`, :mod:`._crl`). The first certificate found revoked or
whose status cannot be established ends the check with a :class:`Failure`.

What the revocation mode asks (``Policy.revocation_mode``):

* ``require``, and any mode with data supplied with the evidence: every
  certificate must be covered by usable data;
* ``hard-fail``: a certificate that names a source must be covered;
* ``soft-fail``: as hard-fail, except that a source that cannot be reached is
  forgiven (a warning); an answer that came and is unusable is not.

CRL issuers and OCSP responders other than the issuing CA are validated on the
side (their signature, validity and revocation status under the same path);
their faults make the data unusable, they are never the certificate's own.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .._certs import CertRecord
from ._check import RevocationRequest
from ._crl import CRLVerdict, evaluate_crls
from ._fetchers import Recorder, Served
from ._http import FetchFailure
from ._ocsp import NO_NEXT_UPDATE, OCSPVerdict, Timing, evaluate_ocsp, single_status
from ._requests import crl_urls, ocsp_request, ocsp_urls
from ._sig import certificate_signature_problem

__all__ = ["Failure", "PathCheck", "Rule", "rule_for"]

_MAX_CRL_URLS = 4

Rule = Literal["none", "required", "if-declared", "if-declared-soft"]


def rule_for(mode: str, supplied: bool) -> tuple[Rule, Rule | None]:
    """The rule for ``mode``, and the rule to retry with (soft-fail with supplied data)."""
    if mode == "off":
        return "none", None
    if mode == "require":
        return "required", None
    if supplied:
        # Data that came with the evidence or from the caller claims to be complete: every
        # certificate must be covered (for soft-fail, falling back to the soft rule).
        return "required", ("if-declared-soft" if mode == "soft-fail" else None)
    if mode == "soft-fail":
        return "if-declared-soft", None
    return "if-declared", None


@dataclass(frozen=True)
class Failure:
    """Why the path's revocation check failed, about ``certs[index]``."""

    # "other": the path failed before revocation was checked (the report says so).
    kind: Literal["revoked", "unknown", "other"]
    index: int
    text: str
    revoked_at: _dt.datetime | None = None
    reason: str | None = None


class _Unreachable(Exception):
    """No revocation data could be fetched from any location the certificate names."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(text)


class _Key:
    """What the recorder keys by: a certificate's SHA-256."""

    __slots__ = ("sha256",)

    def __init__(self, rec: CertRecord) -> None:
        self.sha256 = bytes.fromhex(rec.fingerprint)


def _human_reason(reason: str) -> str:
    from asn1crypto.crl import CRLReason

    try:
        return str(CRLReason(reason).human_friendly)
    except ValueError:
        return reason


def _revoked_text(source: str, rec: CertRecord, when: _dt.datetime, reason: str) -> str:
    return (
        f"{source} indicates {rec.describe()} was revoked at {when:%H:%M:%S} on "
        f"{when:%Y-%m-%d}, due to {_human_reason(reason)}."
    )


@dataclass
class PathCheck:
    """One path's revocation check; :meth:`run` is awaited once (without a loop when sync)."""

    certs: list[CertRecord]
    anchor: CertRecord
    pool: Sequence[CertRecord]
    policy: Any
    at: _dt.datetime
    tolerance: _dt.timedelta
    request: RevocationRequest
    declared: list[tuple[bool, bool]]
    asynchronous: bool = False
    recorder: Recorder = field(default_factory=Recorder)
    failure: Failure | None = None
    soft_notes: dict[bytes, str] = field(default_factory=dict)
    rule: Rule = "none"
    _ocsp_fetched: dict[str, list[bytes]] = field(default_factory=dict)
    _crl_fetched: dict[str, list[bytes]] = field(default_factory=dict)
    _validating: set[str] = field(default_factory=set)
    # The kind of data that decided each certificate ("ocsp" or "crl"), by fingerprint.
    decided_by: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        supplied = self.request.supplied
        self.crls: tuple[bytes, ...] = supplied.crls
        self.ocsps: tuple[bytes, ...] = supplied.ocsps
        self.ocsp_origins = supplied.ocsp_origins or ("caller",) * len(self.ocsps)
        self.timing = Timing(
            self.at.replace(microsecond=0),
            self.tolerance,
            self.request.retroactive,
            None,
        )

    # --- the path ----------------------------------------------------------------
    async def run(self) -> None:
        """Check every certificate, top down; ``failure`` says what stopped it, if anything."""
        first, retry = rule_for(self.request.mode, bool(self.crls or self.ocsps))
        self.rule = first
        self.failure = await self._path(first)
        if (
            retry is not None
            and self.failure is not None
            and self.failure.kind == "unknown"
            and not self.answered(self.certs[self.failure.index])
        ):
            # soft-fail: supplied data did not cover every certificate; what could not be
            # established becomes a warning, and the soft rule decides.
            culprit = self.certs[self.failure.index]
            self.soft_notes[bytes.fromhex(culprit.fingerprint)] = self.failure.text
            self.rule = retry
            self.failure = await self._path(retry)

    async def _path(self, rule: Rule) -> Failure | None:
        if rule == "none":
            return None
        for i in range(len(self.certs) - 1, -1, -1):
            failure = await self._cert(i, rule)
            if failure is not None:
                return failure
        return None

    def answered(self, rec: CertRecord) -> bool:
        """Whether revocation data was obtained for ``rec`` (and still decided nothing)."""
        return any(s.parsed is not None for s in self.recorder.for_cert(_Key(rec)))

    def _above(self, i: int) -> list[CertRecord]:
        return [*self.certs[i + 1 :], self.anchor]

    # --- one certificate ---------------------------------------------------------
    async def _cert(self, i: int, rule: Rule) -> Failure | None:
        rec = self.certs[i]
        above = self._above(i)
        issuer = above[0]
        strict = rule == "required"
        tolerant = rule == "if-declared-soft"
        has_crl, has_ocsp = self.declared[i]
        ocsp_good = crl_good = failed = ocsp_matched = crl_matched = soft = False
        failures: list[str] = []
        if has_ocsp:
            try:
                responses = await self._ocsp_for(rec, issuer)
            except _Unreachable as exc:
                if tolerant:
                    soft = True
                else:
                    failures.append(exc.text)
                    failed = True
            else:
                verdicts = [self._ocsp_verdict(der, rec, issuer) for der in responses]
                for verdict in verdicts:
                    if verdict.status == "revoked":
                        assert verdict.revoked_at is not None
                        return Failure(
                            "revoked",
                            i,
                            _revoked_text(
                                "OCSP response",
                                rec,
                                verdict.revoked_at,
                                verdict.reason or "unspecified",
                            ),
                            verdict.revoked_at,
                            verdict.reason or "unspecified",
                        )
                    if verdict.status == "good":
                        ocsp_good = True
                        self.decided_by[rec.fingerprint] = "ocsp"
                        break
                if not ocsp_good and any(v.status != "no-match" for v in verdicts):
                    failures.extend(
                        v.problem or "the OCSP responder does not know the certificate"
                        for v in verdicts
                        if v.status != "no-match"
                    )
                    failed = ocsp_matched = True
        if not ocsp_good and (strict or has_crl):
            try:
                verdict_crl = await self._crl_verdict(rec, i, above)
            except _Unreachable as exc:
                if tolerant:
                    soft = True
                else:
                    failures.append(exc.text)
                    failed = True
            else:
                if verdict_crl.status == "revoked":
                    assert verdict_crl.revoked_at is not None
                    return Failure(
                        "revoked",
                        i,
                        _revoked_text(
                            "CRL", rec, verdict_crl.revoked_at, verdict_crl.reason or "unspecified"
                        ),
                        verdict_crl.revoked_at,
                        verdict_crl.reason or "unspecified",
                    )
                if verdict_crl.status == "good":
                    crl_good = True
                    self.decided_by[rec.fingerprint] = "crl"
                    failed = False
                    crl_matched = True
                elif verdict_crl.status == "unusable":
                    failures.extend(verdict_crl.failures)
                    failed = crl_matched = True
        good = ocsp_good or crl_good
        expected = strict or ((has_crl or has_ocsp) and rule == "if-declared")
        matched = ocsp_matched or crl_matched
        if soft or good:
            return None
        if matched and failed:
            return Failure(
                "unknown",
                i,
                f"The path could not be validated because {rec.describe()} revocation checks "
                f"failed: {'; '.join(dict.fromkeys(failures))}",
            )
        if not matched and expected:
            return Failure(
                "unknown",
                i,
                "The path could not be validated because no revocation information could be "
                f"found for {rec.describe()}",
            )
        return None

    # --- OCSP --------------------------------------------------------------------
    def _ocsp_verdict(self, der: bytes, rec: CertRecord, issuer: CertRecord) -> OCSPVerdict:
        return evaluate_ocsp(
            der, rec, issuer, self.timing, self.policy, self._responder_check, self.pool
        )

    def _usable_supplied(self, rec: CertRecord, issuer: CertRecord) -> int | None:
        """A supplied response about ``rec`` that says good or revoked and fits the time."""
        at, tol = self.timing.at, self.timing.tolerance
        for index, der in enumerate(self.ocsps):
            said = single_status(der, rec, issuer)
            if said is None or said[0] not in ("good", "revoked"):
                continue
            this_update, next_update = said[1], said[2] or said[1] + NO_NEXT_UPDATE
            if not self.request.retroactive and this_update > at + tol:
                continue
            if next_update < at - tol:
                continue
            return index
        return None

    async def _ocsp_for(self, rec: CertRecord, issuer: CertRecord) -> list[bytes]:
        """The responses to read for ``rec``: fetched (or the usable supplied one) first."""
        service = self.request.service
        urls = ocsp_urls(rec.asn1) if service is not None else []
        if service is None or not urls:
            return list(self.ocsps)
        known = self._ocsp_fetched.get(rec.fingerprint)
        if known is not None:
            return known + list(self.ocsps)
        supplied = self._usable_supplied(rec, issuer)
        if supplied is not None:
            origin = self.ocsp_origins[supplied] if supplied < len(self.ocsp_origins) else "caller"
            der = self.ocsps[supplied]
            self.recorder.add(_Key(rec), Served("ocsp", origin, None, _asn1_ocsp(der)))  # type: ignore[arg-type]
            self._ocsp_fetched[rec.fingerprint] = [der]
            return [der, *self.ocsps]
        issuer_asn1 = issuer.asn1
        request = ocsp_request(
            rec.asn1,
            issuer_asn1.subject,
            issuer_asn1.public_key,
            nonce=bool(self.policy.revocation_nonce),
        )
        key = (issuer_asn1.public_key.sha1, rec.serial)
        try:
            spki = issuer.spki_der  # for a shared cache's check on read
            if self.asynchronous:
                answer = await service.aocsp(key, urls, request, self.policy, spki)
            else:
                answer = service.ocsp(key, urls, request, self.policy, spki)
        except FetchFailure as exc:
            self.recorder.add(_Key(rec), Served("ocsp", "fetched", exc.url, error=exc.reason))
            self._ocsp_fetched[rec.fingerprint] = []
            raise _Unreachable(f"OCSP request to {exc.url} failed: {exc.reason}") from None
        self.recorder.add(
            _Key(rec),
            Served("ocsp", "fetched", answer.url, answer.parsed, answer.from_cache, None, key),
        )
        der = answer.parsed.dump()
        self._ocsp_fetched[rec.fingerprint] = [der]
        return [der, *self.ocsps]

    def _responder_check(self, responder: CertRecord, issuer: CertRecord) -> str | None:
        """The status of a delegated OCSP responder without id-pkix-ocsp-nocheck."""
        index = next(
            (i for i, c in enumerate(self._path_with_anchor()) if c.der == issuer.der), None
        )
        if index is None:
            return "its issuer is not on the path"
        return self._side_status(responder, self._path_with_anchor()[index:])

    def _path_with_anchor(self) -> list[CertRecord]:
        return [*self.certs, self.anchor]

    # --- CRLs --------------------------------------------------------------------
    async def _crl_verdict(self, rec: CertRecord, i: int, above: list[CertRecord]) -> CRLVerdict:
        verdict = self._crls(rec, above, ())
        if verdict.status in ("good", "revoked"):
            return verdict
        fetched = await self._crl_fetch(rec)
        if not fetched:
            return verdict
        return self._crls(rec, above, fetched)

    def _crls(self, rec: CertRecord, above: list[CertRecord], fetched: Sequence[bytes]) -> CRLVerdict:  # fmt: skip
        return evaluate_crls(
            self.crls,
            rec,
            above,
            self.timing,
            self.policy,
            candidates=self.pool,
            signer_check=self._signer_check,
            fetched=fetched,
        )

    async def _crl_fetch(self, rec: CertRecord) -> list[bytes]:
        service = self.request.service
        if service is None:
            return []
        known = self._crl_fetched.get(rec.fingerprint)
        if known is not None:
            return known
        urls = crl_urls(rec.asn1)[:_MAX_CRL_URLS]
        found: list[bytes] = []
        problems: list[str] = []
        for url in urls:
            try:
                if self.asynchronous:
                    answer = await service.acrl(url, self.policy)
                else:
                    answer = service.crl(url, self.policy)
            except FetchFailure as exc:
                self.recorder.add(_Key(rec), Served("crl", "fetched", url, error=exc.reason))
                problems.append(f"CRL download from {url} failed: {exc.reason}")
                continue
            self.recorder.add(
                _Key(rec),
                Served(
                    "crl",
                    "fetched",
                    url,
                    answer.parsed,
                    answer.from_cache,
                    None,
                    url,
                    rec.asn1.issuer,
                ),
            )
            found.append(answer.parsed.dump())
        self._crl_fetched[rec.fingerprint] = found
        if urls and not found:
            raise _Unreachable("; ".join(problems))
        return found

    def _all_crls(self) -> list[bytes]:
        out = list(self.crls)
        for items in self._crl_fetched.values():
            out.extend(x for x in items if x not in out)
        return out

    # --- side validations ----------------------------------------------------------
    def _signer_check(self, signer: CertRecord, above: Sequence[CertRecord]) -> str | None:
        """The path of a CRL issuer that is not on the certificate's path: ``signer`` + ``above``."""
        return self._side_status(signer, list(above))

    def _side_status(self, rec: CertRecord, above: list[CertRecord]) -> str | None:
        """Why ``rec``, issued by ``above[0]``, cannot be relied on to sign revocation data."""
        if rec.fingerprint in self._validating:
            # Already being validated further up (a CRL issuer whose own certificate is in
            # the CRL's scope): its path is decided there.
            return None
        issuer = above[0]
        try:
            problem = certificate_signature_problem(
                rec, issuer.spki_der, self.policy, self.timing.at
            )
        except ValueError as exc:
            return f"it cannot be read ({exc})"
        if problem:
            return f"its signature by {issuer.describe()} is not valid: {problem}"
        at, tol = self.timing.at, self.timing.tolerance
        if at + tol < rec.not_before:
            return f"it is not valid before {rec.not_before:%Y-%m-%d %H:%M:%S}Z"
        if at - tol > rec.not_after:
            return f"it expired on {rec.not_after:%Y-%m-%d %H:%M:%S}Z"
        if self.rule == "none":
            return None
        self._validating.add(rec.fingerprint)
        try:
            verdict = evaluate_crls(
                self._all_crls(),
                rec,
                above,
                self.timing,
                self.policy,
                candidates=self.pool,
                signer_check=self._signer_check,
            )
        finally:
            self._validating.discard(rec.fingerprint)
        if verdict.status == "revoked":
            assert verdict.revoked_at is not None
            return f"it was revoked at {verdict.revoked_at:%Y-%m-%d %H:%M:%S}Z"
        if verdict.status == "good":
            return None
        declares = rec.asn1.crl_distribution_points_value is not None
        if self.rule == "required" or (declares and self.rule == "if-declared"):
            if verdict.status == "unusable":
                return f"its revocation status cannot be established: {verdict.problem}"
            return "no revocation information could be found for it"
        return None


def _asn1_ocsp(der: bytes) -> Any:
    from ._data import load_ocsp

    try:
        return load_ocsp(der)
    except ValueError:
        return None
