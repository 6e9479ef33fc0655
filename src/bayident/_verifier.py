"""The verifier: evidence in, a VerificationResult out.

Data flows one way: read → detect format → parse → identify signers → digest
the content once → check each signer's attributes and signature → build and
validate its path → decide. Every step appends a check to the result.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import os
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import httpx
from cryptography import x509

from . import _der as d
from ._algorithms import (
    DIGEST_SIZES,
    DIGESTS,
    AlgorithmError,
    digest_name,
    mechanism_for,
)
from ._attrs import (
    decode_ess_signing_certificate,
)
from ._certs import CertificateCache, CertRecord
from ._cms import AlgorithmId, CMSFormatError, SignedData, SignerInfo, parse_signed_data
from ._cms_rules import apply_structure_rules
from ._countersign import OID_COUNTERSIGNATURE, counter_signature_reports
from ._exceptions import InputError, InvalidArgument, TrustStoreError
from ._handlers import (
    EnrichmentContext,
    EvidenceContext,
    EvidenceHandler,
    handler_for,
    result_enrichers,
)
from ._input import (
    Content,
    Evidence,
    EvidenceFormatError,
    decode_evidence,
    hash_content,
    new_hasher,
    parse_content_digest,
    read_content_whole,
    read_evidence,
)
from ._lenient import LenientCertRecord, lenient_record
from ._path import PathOutcome, PathValidator, RevocationRequest, key_problem
from ._policy import Policy
from ._result import (
    Check,
    CheckOutcome,
    Indication,
    RevocationInfo,
    SignerReport,
    SubIndication,
    TimestampInfo,
    VerificationResult,
    _fast,
    _replace,
    worst_report,
)
from ._signer_checks import (
    check_attributes,
    check_signature,
    lenient_signer,
    pss_hash_problem,
    report_lenient,
)
from ._signer_state import FAILED_SUBS as _FAILED
from ._signer_state import SignerState as _SignerState
from ._signer_state import iso as _iso
from ._signer_state import make_check as _check
from ._token_evidence import verify_token_evidence
from ._trust import CertificateSource, TrustStore, TrustStoreHolder, load_certificates
from .revocation._data import (
    MAX_EMBEDDED_ITEMS,
    NO_SUPPLIED,
    OID_REVOCATION_VALUES,
    Origin,
    Supplied,
    caller_supplied,
    revocation_values,
    split_revocation_choices,
)
from .revocation._service import RevocationService
from .tsp._archive import OID_ARCHIVE_TIMESTAMP_V3, archive_tokens
from .tsp._token import (
    OID_SIGNATURE_TIMESTAMP,
    OID_TST_INFO,
    TokenCheck,
    check_token,
    sha,
)

__all__ = ["Verifier", "averify", "verify"]

_OUT = CheckOutcome

# (outcome, valid from, valid until, revocation data from, revocation data until)
_Remembered = tuple[
    PathOutcome, _dt.datetime, _dt.datetime, _dt.datetime | None, _dt.datetime | None
]

TrustArg = TrustStore | TrustStoreHolder | Sequence[CertificateSource] | None

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


def _anchor_status_failed(outcome: PathOutcome) -> bool:
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


@dataclass
class _Job:
    at: _dt.datetime
    policy: Policy
    trust: TrustStore
    checks: list[Check]
    warnings: list[str]
    evidence_format: str | None = None
    sd: SignedData | None = None
    content: Content | None = None
    content_label: str = ""
    signers: list[_SignerState] = field(default_factory=list)
    pool: list[CertRecord] = field(default_factory=list)
    # Counter-signatures seen so far (bayident._countersign), for their indices and limit.
    counter_count: int = 0
    # The evidence itself, when it is a bare RFC 3161 time-stamp token.
    token_der: bytes | None = None
    # The (digest name, digest) the caller gave instead of the content.
    given_digest: tuple[str, bytes] | None = None
    # Certificates only a lenient parse could read (bayident._lenient), for signer look-up.
    lenient: list[CertRecord] = field(default_factory=list)
    need_digests: set[str] = field(default_factory=set)
    need_whole: bool = False
    crls: tuple[bytes, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    supplied: Supplied = NO_SUPPLIED
    # Validation at a time in the past: revocation data produced since may vouch for it.
    retroactive: bool = False
    # No validation time was given: clock skew applies to validity periods.
    at_is_now: bool = False
    early: VerificationResult | None = None
    delegate: tuple[EvidenceHandler, EvidenceContext] | None = None
    # Chains an evidence handler validated successfully: (leaf DER, path DERs, anchor).
    chains: list[tuple[bytes, list[bytes], Any]] = field(default_factory=list)


class Verifier:
    """A reusable, thread-safe verifier holding trust, policy and caches.

    ``Verifier(trust=..., policy=...)`` once, then :meth:`verify` or
    :meth:`averify` as often as needed: certificates parsed and paths
    validated are remembered, so later verifications of signatures from the
    same signers cost little more than the cryptography itself.

    ``http_client`` / ``async_http_client`` are used for any fetching
    (trust lists, revocation); pass your own to control proxies and timeouts,
    or an ``httpx.MockTransport`` in tests. ``clock`` supplies "now" (a
    callable returning an aware datetime), for deterministic tests.
    ``verifier.revocation`` (a :class:`bayident.revocation.RevocationService`)
    holds the OCSP and CRL caches shared by all its verifications. ``jwks``
    (a :class:`bayident.jose.JWKSResolver` or a JWKS dict) resolves the ``kid``
    of JWS and JWT evidence whose issuer is trusted by configuration.

    ``trust`` may also be a :class:`bayident.trustlist.TrustListManager` (any object
    with a ``store`` TrustStore property): each verification then uses the store of
    its latest refresh.

    ``shared_cache`` (a ``redis://`` / ``rediss://`` URL, a ``redis.Redis`` client or a
    :class:`bayident.fleet.SharedCache`) shares OCSP responses, CRLs, JWKS documents and
    trusted lists with every verifier using the same Redis; :meth:`verify_many` spreads a
    batch over CPU cores.
    """

    def __init__(
        self,
        trust: TrustArg = None,
        policy: Policy | None = None,
        *,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], _dt.datetime] | None = None,
        jwks: Any = None,
        shared_cache: Any = None,
    ) -> None:
        if policy is not None and not isinstance(policy, Policy):
            raise InvalidArgument(f"policy must be a bayident.Policy, not {type(policy).__name__}")
        self.trust = trust  # the setter coerces (and follows a trust-list manager)
        self.policy = policy or Policy()
        self.http_client = http_client
        self.async_http_client = async_http_client
        # Keys for JWS/JWT ``kid`` look-ups: a bayident.jose.JWKSResolver, a JWKS dict, or None.
        self.jwks = jwks
        self._clock = clock or (lambda: _dt.datetime.now(_dt.UTC))
        # OCSP and CRL fetching and caches, shared by every verification of this verifier.
        self.revocation = RevocationService(http_client, async_http_client, clock=self._clock)
        self._certs = CertificateCache()
        self._paths = PathValidator()
        self._key_problems: dict[tuple[str, str], str | None] = {}
        self._ess_cache: dict[tuple[bytes, bool], list[Any]] = {}
        # (leaf, certificates at hand, trust, policy, revocation data, time, retroactive) →
        # (outcome, valid from, valid until, revocation data from, revocation data until)
        self._outcomes: OrderedDict[tuple[Any, ...], _Remembered] = OrderedDict()
        self._lock = threading.Lock()
        # Revocation data, JWKS and trusted lists shared with a fleet (docs/fleet.md).
        self.shared_cache = _share(self, shared_cache) if shared_cache is not None else None

    @property
    def trust(self) -> TrustStore:
        """The trust store a verification starting now uses.

        For a trust-list manager, its current store (it changes with each refresh).
        """
        source = self._trust_source
        if isinstance(source, TrustStore):
            return source
        return TrustStore.coerce(source)

    @trust.setter
    def trust(self, trust: TrustArg) -> None:
        self._trust_source: TrustStore | TrustStoreHolder
        if not isinstance(trust, TrustStore) and isinstance(
            getattr(trust, "store", None), TrustStore
        ):
            # Kept as given, so the refreshes of a trust-list manager are followed.
            self._trust_source = cast(TrustStoreHolder, trust)
        else:
            self._trust_source = TrustStore.coerce(trust)

    # --- public API -------------------------------------------------------------
    def verify(
        self,
        evidence: Evidence,
        *,
        content: Content | None = None,
        at: _dt.datetime | None = None,
        policy: Policy | None = None,
        extra_certs: Iterable[CertificateSource] | None = None,
        crls: Iterable[bytes] | None = None,
        purpose: str | None = None,
        require_assurance: str | None = None,
        ocsp_responses: Iterable[bytes] | None = None,
        content_digest: str | tuple[str, bytes] | None = None,
    ) -> VerificationResult:
        """Verify ``evidence`` (a detached signature) over ``content``.

        ``extra_certs`` adds certificates for path building (never trusted by
        themselves); ``crls`` adds CRLs and ``ocsp_responses`` OCSP responses (DER
        bytes or paths) to check the path against (when given, every certificate in the
        path must be covered by revocation data, see ``Policy.revocation_mode``).
        Revocation data the certificates point to is fetched with ``http_client``.
        ``purpose`` ("sign" or "authenticate") and ``require_assurance`` ("low",
        "substantial", "high") are passed to the scheme adapters and the
        recognition policy, which decide whether a foreign identity is accepted.

        ``content_digest`` (``"sha256:HEX"`` or ``("sha256", digest_bytes)``) stands in for
        ``content`` when only its hash is at hand (large archives, hash-signing flows); it
        must be made with the signer's digest algorithm. Without either, a detached
        signature is still checked (signature over the signed attributes, chain) and is
        INDETERMINATE / SIGNED_DATA_NOT_FOUND.

        Never raises for bad evidence: the result says why it did not pass.
        Raises :class:`bayident.InputError` when a file or stream cannot be
        read and :class:`bayident.InvalidArgument` for wrong argument types.
        """
        job = self._prepare(
            evidence, content, at, policy, extra_certs, crls, ocsp_responses, content_digest
        )
        job.options = _options(purpose, require_assurance)
        if job.delegate is not None:
            handler, ctx = job.delegate
            ctx.options.update(job.options)
            return self._enrich(job, handler.verify(ctx))
        if job.early is not None:
            return job.early
        if job.token_der is not None:
            return self._enrich(job, verify_token_evidence(self, job, job.token_der))
        digests, whole = self._digest_sync(job)
        return self._enrich(job, self._finish(job, digests, whole))

    async def averify(
        self,
        evidence: Evidence,
        *,
        content: Content | None = None,
        at: _dt.datetime | None = None,
        policy: Policy | None = None,
        extra_certs: Iterable[CertificateSource] | None = None,
        crls: Iterable[bytes] | None = None,
        purpose: str | None = None,
        require_assurance: str | None = None,
        ocsp_responses: Iterable[bytes] | None = None,
        content_digest: str | tuple[str, bytes] | None = None,
    ) -> VerificationResult:
        """Asynchronous :meth:`verify`; large content is hashed off the event loop.

        Revocation data is fetched with ``async_http_client``, awaiting each request:
        verifications that need the same answer at the same time share one request.
        """
        job = self._prepare(
            evidence, content, at, policy, extra_certs, crls, ocsp_responses, content_digest
        )
        job.options = _options(purpose, require_assurance)
        if job.delegate is not None:
            handler, ctx = job.delegate
            ctx.options.update(job.options)
            averify = getattr(handler, "averify", None)
            if averify is not None:
                return self._enrich(job, await averify(ctx))
            return self._enrich(job, await asyncio.to_thread(handler.verify, ctx))
        if job.early is not None:
            return job.early
        if job.token_der is not None:
            token_result = await asyncio.to_thread(verify_token_evidence, self, job, job.token_der)
            return self._enrich(job, token_result)
        c = job.content
        if isinstance(c, (bytes, bytearray, memoryview)) and len(c) < (1 << 20):
            digests, whole = self._digest_sync(job)
        else:
            digests, whole = await asyncio.to_thread(self._digest_sync, job)
        return self._enrich(job, await self._afinish(job, digests, whole))

    def verify_many(
        self, items: Iterable[Any], *, workers: int | None = None, **options: Any
    ) -> Iterator[VerificationResult]:
        """Verify a batch in ``workers`` processes; yields results in input order.

        Items are evidence, ``(evidence, content)`` or a mapping of :meth:`verify`'s
        arguments; ``progress``, ``chunk``, ``window``: see :func:`bayident.fleet.verify_many`.
        """
        from .fleet import verify_many

        return verify_many(self, items, workers=workers, **options)

    def averify_many(
        self, items: Iterable[Any], *, workers: int | None = None, **options: Any
    ) -> AsyncIterator[VerificationResult]:
        """Asynchronous :meth:`verify_many`: ``async for result in ...``."""
        from .fleet import averify_many

        return averify_many(self, items, workers=workers, **options)

    def _new_job(self, at: _dt.datetime | None, policy: Policy | None) -> _Job:
        """A job for one verification, after checking the time and policy arguments."""
        given = at is not None
        if at is None:
            at = self._clock()
        elif not isinstance(at, _dt.datetime):
            raise InvalidArgument(f"at must be a datetime, not {type(at).__name__}")
        if at.tzinfo is None or at.utcoffset() is None:
            raise InvalidArgument("at must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
        if policy is not None and not isinstance(policy, Policy):
            raise InvalidArgument(f"policy must be a bayident.Policy, not {type(policy).__name__}")
        pol = policy or self.policy
        job = _Job(at=at.astimezone(_dt.UTC), policy=pol, trust=self.trust, checks=[], warnings=[])
        job.at_is_now = not given
        if given:
            # Validation at a time in the past: revocation data produced since may vouch for it.
            job.retroactive = job.at < self._clock() - pol.clock_skew
        return job

    def validate_certificate(
        self,
        certificate: CertificateSource,
        *,
        intermediates: Iterable[CertificateSource] = (),
        at: _dt.datetime | None = None,
        policy: Policy | None = None,
        purpose: str | None = None,
        require_assurance: str | None = None,
        crls: Iterable[bytes] | None = None,
        ocsp_responses: Iterable[bytes] | None = None,
    ) -> VerificationResult:
        """Validate a certificate's path to the trust store, as for a signer.

        The same checks a CMS signer's certificate gets: RFC 5280 path validation,
        the policy's key usage and certificate-policy rules, revocation as the policy
        says, and trust-list service status; the scheme adapters add the identity.
        ``intermediates`` help build the path and are never trusted by themselves.
        The result has one signer report, for the certificate. ``crls`` and
        ``ocsp_responses`` (DER) are revocation data for the path, as for :meth:`verify`.
        """
        options = _options(purpose, require_assurance)
        job = self._new_job(at, policy)
        if crls is not None or ocsp_responses is not None:
            job.supplied = caller_supplied(
                _coerce_crls(crls), _coerce_crls(ocsp_responses, "ocsp_responses")
            )
            job.crls = job.supplied.crls
        pol = job.policy
        job.options = options
        job.evidence_format = "certificate"
        loaded = _certificate_ders(certificate)
        if len(loaded) != 1:
            raise InvalidArgument(
                f"certificate must hold exactly one certificate, not {len(loaded)}"
            )
        info = SignerInfo(
            0,
            0,
            None,
            None,
            None,
            AlgorithmId("", None),
            None,
            None,
            AlgorithmId("", None),
            b"",
            (),
        )
        st = _SignerState(info)
        job.signers.append(st)
        try:
            st.cert = self._certs.get(loaded[0][1])
        except ValueError as exc:
            st.fail(
                "certificate-parse",
                SubIndication.FORMAT_FAILURE,
                f"the certificate cannot be read: {exc}",
                loaded[0][2],
            )
            return self._assemble(job, [self._signer_report(st)])
        for src in _iter_sources(intermediates, "intermediates"):
            for _, der, label in _certificate_ders(src):
                try:
                    job.pool.append(self._certs.get(der))
                except ValueError as exc:
                    job.warnings.append(f"an intermediate certificate is malformed: {exc}")
                    job.checks.append(
                        _check("certificate-parse", _OUT.WARNING, f"ignored: {exc}", label)
                    )
        problem = self._key_problem(pol, st.cert)
        if problem:
            st.fail(
                "signer-key", SubIndication.CRYPTO_CONSTRAINTS_FAILURE, problem, st.cert.describe()
            )
        self._check_key_usage(job, st)
        self._check_path(job, st)
        report = self._signer_report(st)
        if report.passed:
            report = _replace(report, {"message": "certificate path valid"})
        result = self._assemble(job, [report])
        if result.passed:
            result = _replace(
                result, {"message": f"certificate path valid: {st.cert.info.subject}"}
            )
        return self._enrich(job, result)

    # --- steps ------------------------------------------------------------------
    def _load_certificate(self, der: bytes) -> x509.Certificate:
        return self._certs.get(der).cert

    def _enrich(self, job: _Job, result: VerificationResult) -> VerificationResult:
        """Let scheme adapters add the identity and the recognition decision."""
        enrichers = result_enrichers()
        if not enrichers:
            return result
        signers: list[tuple[int, bytes | None, list[bytes], Any]]
        if job.delegate is not None:
            # An evidence handler's signers are the chains it had validated, in order.
            signers = [(i, leaf, path, anchor) for i, (leaf, path, anchor) in enumerate(job.chains)]
        else:
            signers = [
                (
                    st.info.index,
                    st.cert.der if st.cert is not None else None,
                    [c.der for c in st.path.chain] if st.path is not None else [],
                    st.path.anchor if st.path is not None else None,
                )
                for st in job.signers
            ]
        ctx = EnrichmentContext(
            at=job.at,
            policy=job.policy,
            trust=job.trust,
            options=dict(job.options),
            signers=signers,
            load=self._load_certificate,
        )
        for enrich in enrichers:
            result = enrich(result, ctx)
        return result

    def _result(
        self,
        job: _Job,
        ind: Indication,
        sub: SubIndication | None,
        message: str,
        signers: Sequence[SignerReport] = (),
    ) -> VerificationResult:
        return _fast(
            VerificationResult,
            {
                "indication": ind,
                "sub_indication": sub,
                "message": message,
                "evidence_format": job.evidence_format,
                "signers": tuple(signers),
                "checks": tuple(job.checks),
                "warnings": tuple(job.warnings),
                "validation_time": job.at,
                "trust_sources": (job.trust.describe(),),
                "timestamps": (),
                "adapter": None,
                "identity": None,
                "recognition": None,
            },
        )

    def _early(
        self, job: _Job, name: str, sub: SubIndication, message: str, concerns: str | None = None
    ) -> _Job:
        ind = Indication.FAILED if sub in _FAILED else Indication.INDETERMINATE
        outcome = _OUT.FAILED if ind is Indication.FAILED else _OUT.INDETERMINATE
        job.checks.append(_check(name, outcome, message, concerns))
        job.early = self._result(job, ind, sub, message)
        return job

    def _prepare(
        self,
        evidence: Evidence,
        content: Content | None,
        at: _dt.datetime | None,
        policy: Policy | None,
        extra_certs: Iterable[CertificateSource] | None,
        crls: Iterable[bytes] | None = None,
        ocsp_responses: Iterable[bytes] | None = None,
        content_digest: str | tuple[str, bytes] | None = None,
    ) -> _Job:
        job = self._new_job(at, policy)
        pol = job.policy
        given_digest = None
        if content_digest is not None:
            if content is not None:
                raise InvalidArgument("pass content or content_digest, not both")
            given_digest = parse_content_digest(content_digest)

        try:
            raw, label = read_evidence(evidence, pol.max_evidence_bytes)
        except EvidenceFormatError as exc:
            return self._early(
                job, "evidence-size", SubIndication.FORMAT_FAILURE, str(exc), "evidence"
            )
        handler = handler_for(raw)
        if handler is not None:
            job.delegate = (handler, self._context(handler, job, raw, label, content, extra_certs))
            return job
        try:
            decoded = decode_evidence(raw)
        except EvidenceFormatError as exc:
            return self._early(
                job, "evidence-format", SubIndication.FORMAT_FAILURE, str(exc), label
            )
        job.evidence_format = "smime" if decoded.format == "smime" else "cms"
        try:
            sd = parse_signed_data(
                decoded.der,
                max_depth=pol.max_asn1_depth,
                max_certificates=pol.max_certificates,
                max_signers=pol.max_signers,
            )
        except CMSFormatError as exc:
            return self._early(
                job,
                "cms-structure",
                SubIndication.FORMAT_FAILURE,
                f"evidence is not a well-formed CMS SignedData: {exc.reason}",
                exc.where,
            )
        job.sd = sd
        for note in sd.notes:
            job.checks.append(_check("cms-padding", _OUT.WARNING, note, "ContentInfo"))
            job.warnings.append(note)
        # Revocation data in the evidence (SignedData.crls, revocation-values) or given.
        unsigned = sd.crls or crls is not None or ocsp_responses is not None
        if not unsigned:
            for si in sd.signers:
                if si.unsigned_attrs:
                    unsigned = True
        if unsigned:
            caller_crls = _coerce_crls(crls)
            caller_ocsps = _coerce_crls(ocsp_responses, "ocsp_responses")
            job.supplied = self._supplied(job, sd, caller_crls, caller_ocsps)
            job.crls = job.supplied.crls
            embedded = job.supplied.crl_origins.count("embedded") + job.supplied.ocsp_origins.count(
                "embedded"
            )
            if embedded > MAX_EMBEDDED_ITEMS:
                return self._early(
                    job,
                    "revocation-data",
                    SubIndication.FORMAT_FAILURE,
                    f"the evidence carries {embedded} CRLs and OCSP responses, more than the limit "
                    f"of {MAX_EMBEDDED_ITEMS}",
                    "SignedData.crls",
                )
        job.checks.append(
            _check(
                "cms-structure",
                _OUT.PASSED,
                f"CMS SignedData ({decoded.format}) with {len(sd.signers)} signer(s) and "
                f"{len(sd.certificates)} certificate(s)",
                label,
            )
        )
        if not sd.signers:
            return self._early(
                job,
                "signers",
                SubIndication.FORMAT_FAILURE,
                "SignedData has no signers (signerInfos is empty)",
                "SignedData.signerInfos",
            )

        if sd.econtent_type == OID_TST_INFO and sd.econtent is not None and len(sd.signers) == 1:
            # A bare RFC 3161 token: a time-stamp, not a signature (bayident._token_evidence).
            job.evidence_format = "timestamp"
            job.token_der = decoded.der
            job.content = content
            job.given_digest = given_digest
            if extra_certs is not None:
                # Candidates for the TSA's path, as for a signature.
                for der, _label in _extra_certificates(extra_certs, job):
                    with contextlib.suppress(ValueError):
                        job.pool.append(self._certs.get(der))
            return job

        # Which content is signed?
        if sd.econtent is not None:
            if content is not None or given_digest is not None or decoded.smime_content is not None:
                return self._early(
                    job,
                    "content",
                    SubIndication.FORMAT_FAILURE,
                    "the evidence is an attached signature (it carries its own content) and content "
                    "was also given; pass the evidence alone, or a detached signature with the content",
                    "SignedData.encapContentInfo.eContent",
                )
            job.content, job.content_label = sd.econtent, "content carried in the signature"
        elif content is not None:
            job.content, job.content_label = content, _CALLER_CONTENT
        elif decoded.smime_content is not None:
            job.content, job.content_label = (
                decoded.smime_content,
                "first part of the S/MIME message",
            )
        elif given_digest is not None:
            job.given_digest = given_digest
            job.content_label = f"content, whose {given_digest[0]} digest was given"
        else:
            # Each signer is still checked (signature over the signed attributes, chain);
            # the message-digest cannot be, so none can pass (SIGNED_DATA_NOT_FOUND).
            job.content_label = "signed content, which was not given (pass content=...)"
            job.checks.append(
                _check(
                    "content",
                    _OUT.INDETERMINATE,
                    "the signature is detached and no content was given: pass content=... "
                    "(the signed document) or content_digest=...",
                    "content",
                )
            )

        # Certificates: carried in the evidence, plus the caller's extras.
        for i, der in enumerate(sd.certificates):
            try:
                job.pool.append(self._certs.get(der))
            except ValueError as exc:
                lenient = lenient_record(der, str(exc))
                if lenient is not None:
                    # Only ever a signer certificate: path building never sees it.
                    job.lenient.append(lenient)
                    report_lenient(job, lenient, i)
                    continue
                job.checks.append(
                    _check(
                        "certificate-parse",
                        _OUT.WARNING,
                        f"certificate {i} in the signature cannot be read and is ignored: {exc}",
                        f"SignedData.certificates[{i}]",
                    )
                )
                job.warnings.append(
                    f"certificate {i} in the signature is malformed and was ignored"
                )
        if extra_certs is not None:
            for der, label_x in _extra_certificates(extra_certs, job):
                try:
                    job.pool.append(self._certs.get(der))
                except ValueError as exc:
                    job.checks.append(
                        _check(
                            "certificate-parse",
                            _OUT.WARNING,
                            f"an extra certificate cannot be used and is ignored: {exc}",
                            label_x,
                        )
                    )
                    job.warnings.append("an extra certificate is malformed and was ignored")

        for si in sd.signers:
            st = _SignerState(si)
            job.signers.append(st)
            self._identify(job, st)
        apply_structure_rules(job)
        return job

    def _context(
        self,
        handler: EvidenceHandler,
        job: _Job,
        raw: bytes,
        label: str,
        content: Content | None,
        extra_certs: Iterable[CertificateSource] | None,
    ) -> EvidenceContext:
        extras: list[bytes] = []
        if extra_certs is not None:
            extras.extend(der for der, _label in _extra_certificates(extra_certs, job))

        def validate_chain(leaf_der: bytes, others: Sequence[bytes]) -> PathOutcome:
            leaf = self._certs.get(leaf_der)
            job.pool = [self._certs.get(x) for x in others] + [self._certs.get(x) for x in extras]
            outcome = self._path_outcome(job, leaf)
            if outcome.ok:
                # The result enrichers see these as the signers (see _enrich).
                job.chains.append((leaf.der, [c.der for c in outcome.chain], outcome.anchor))
            return outcome

        def make_result(
            indication: Indication,
            sub: SubIndication | None,
            message: str,
            signers: Sequence[SignerReport] = (),
            *,
            evidence_format: str | None = None,
            adapter: str | None = None,
        ) -> VerificationResult:
            job.evidence_format = evidence_format or handler.name
            res = self._result(job, indication, sub, message, signers)
            if adapter is not None:
                object.__getattribute__(res, "__dict__")["adapter"] = adapter
            return res

        return EvidenceContext(
            raw=raw,
            label=label,
            content=content,
            at=job.at,
            policy=job.policy,
            trust=job.trust,
            extra_certs=extras,
            validate_chain=validate_chain,
            http_client=self.http_client,
            async_http_client=self.async_http_client,
            make_result=make_result,
            options={"jwks": self.jwks} if self.jwks is not None else {},
            checks=job.checks,
            verifier=self,
        )

    def _identify(self, job: _Job, st: _SignerState) -> None:
        si = st.info
        pol = job.policy
        # Signing certificate.
        cert = None
        candidates = job.pool if not job.lenient else [*job.pool, *job.lenient]
        if si.issuer is not None:
            for c in candidates:
                if c.issuer_der == si.issuer and c.serial == si.serial:
                    cert = c
                    break
        else:
            for c in candidates:
                if c.ski == si.subject_key_id:
                    cert = c
                    break
        if cert is None:
            if si.issuer is not None:
                serial = si.serial or 0
                sid_desc = f"issuer and serial {'-' if serial < 0 else ''}0x{abs(serial):x}"
            else:
                sid_desc = f"subject key identifier {(si.subject_key_id or b'').hex()}"
            st.fail(
                "signing-certificate",
                SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                f"no certificate matching the signer's {sid_desc} is in the signature "
                "or among the extra certificates given",
                f"SignerInfo[{si.index}].sid",
            )
            # The content's digest can still be compared with the message-digest.
            if si.digest_algorithm.oid in DIGESTS:
                st.digest = DIGESTS[si.digest_algorithm.oid]
                job.need_digests.add(st.digest)
            return
        st.cert = cert
        st.add(
            "signing-certificate",
            _OUT.PASSED,
            f"signer identified as {cert.describe()}",
            cert.describe(),
        )
        # Algorithms.
        where = f"SignerInfo[{si.index}]"
        try:
            st.digest = digest_name(si.digest_algorithm.oid)
        except AlgorithmError as exc:
            st.fail(
                "digest-algorithm",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                exc.reason,
                f"{where}.digestAlgorithm",
            )
            return
        try:
            st.mech = mechanism_for(si.signature_algorithm.oid)
        except AlgorithmError as exc:
            st.fail(
                "signature-algorithm",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                exc.reason,
                f"{where}.signatureAlgorithm",
            )
            return
        if st.mech.fixed_digest is not None and st.mech.fixed_digest != st.digest:
            st.fail(
                "signature-algorithm",
                SubIndication.FORMAT_FAILURE,
                f"signature algorithm {si.signature_algorithm.oid} implies "
                f"{st.mech.fixed_digest} but the digest algorithm is {st.digest}",
                f"{where}.signatureAlgorithm",
            )
            return
        at = job.at
        if not pol.accepts_digest(st.digest, at):
            st.fail(
                "digest-algorithm",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"digest {st.digest} is not accepted by the policy at {at:%Y-%m-%d}",
                f"{where}.digestAlgorithm",
            )
        if not pol.accepts_signature(st.mech.name, at):
            st.fail(
                "signature-algorithm",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"{st.mech.name} signatures are not accepted by the policy at {at:%Y-%m-%d}",
                f"{where}.signatureAlgorithm",
            )
        if st.mech.name == "rsa-pss":
            pss_problem = pss_hash_problem(si.signature_algorithm.parameters, pol, at)
            if pss_problem is not None:
                st.fail(
                    "signature-algorithm",
                    SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                    pss_problem,
                    f"{where}.signatureAlgorithm",
                )
        problem = self._key_problem(pol, cert)
        if problem:
            st.fail(
                "signer-key", SubIndication.CRYPTO_CONSTRAINTS_FAILURE, problem, cert.describe()
            )
        if st.verdict is None:
            st.add(
                "algorithms",
                _OUT.PASSED,
                f"{st.mech.name} with {st.digest}, {cert.key_description} key: accepted by the policy",
                f"{where}.signatureAlgorithm",
            )
        if (st.digest in DIGEST_SIZES and st.digest != "sm3") or st.digest == "sm3":
            job.need_digests.add(st.digest)
        if si.signed_attrs is None and not st.mech.supports_prehash:
            job.need_whole = True

    def _ess_ids(self, value: bytes, v2: bool, label: str) -> list[Any]:
        # A signer puts the same attribute value in every signature: parse it once.
        key = (value, v2)
        ids = self._ess_cache.get(key)
        if ids is None:
            ids = decode_ess_signing_certificate(value, v2, label)
            with self._lock:
                if len(self._ess_cache) > 4096:
                    self._ess_cache.clear()
                self._ess_cache[key] = ids
        return ids

    def _key_problem(self, pol: Policy, cert: CertRecord) -> str | None:
        key = (pol.cache_key, cert.fingerprint)
        try:
            return self._key_problems[key]
        except KeyError:
            pass
        problem = key_problem(pol, cert.spki_der)
        with self._lock:
            if len(self._key_problems) > 4096:
                self._key_problems.clear()
            self._key_problems[key] = problem
        return problem

    def _digest_sync(self, job: _Job) -> tuple[dict[str, bytes], bytes | None]:
        if job.content is None:
            # Only a digest given by the caller, or nothing at all.
            return dict([job.given_digest]) if job.given_digest is not None else {}, None
        whole = None
        content: Content = job.content
        if job.need_whole:
            whole = read_content_whole(content, job.policy.max_in_memory_content_bytes)
            if whole is not None:
                content = whole
        try:
            hashers = {name: new_hasher(name) for name in job.need_digests}
        except (ImportError, ValueError):
            hashers = {n: new_hasher(n) for n in job.need_digests if n != "sm3"}
        if not hashers:
            return {}, whole
        if (
            whole is None
            and job.need_whole
            and not isinstance(content, (bytes, bytearray, memoryview))
        ):
            # The stream was consumed trying to read it whole; hashing it again is impossible.
            return {}, None
        return hash_content(content, hashers), whole

    def _finish(
        self, job: _Job, digests: dict[str, bytes], whole: bytes | None
    ) -> VerificationResult:
        assert job.sd is not None
        reports = [self._finish_signer(job, st, digests, whole) for st in job.signers]
        return self._assemble(job, reports)

    async def _afinish(
        self, job: _Job, digests: dict[str, bytes], whole: bytes | None
    ) -> VerificationResult:
        assert job.sd is not None
        reports = []
        for st in job.signers:
            if st.cert is None and st.digest is not None:
                self._check_attributes(job, st, digests)  # all but what needs the certificate
            if st.cert is not None and st.mech is not None and st.digest is not None:
                tokens = self._signer_checks(job, st, digests, whole)
                if type(st.cert) is LenientCertRecord and lenient_signer(job, st):
                    pass  # no path for a certificate only read leniently (reported)
                elif tokens:
                    plan = self._path_plan(job, st, tokens)
                    try:
                        request = next(plan)
                        while True:
                            request = plan.send(await self._apath_outcome(job, *request))
                    except StopIteration:
                        pass
                else:
                    self._apply_path(job, st, await self._apath_outcome(job, st.cert))
            if st.info.unsigned_attrs:
                # Counter-signatures validate paths synchronously (revocation fetches
                # included): off the event loop.
                reports.append(await asyncio.to_thread(self._with_counter_signatures, job, st))
            else:
                reports.append(self._signer_report(st))
        return self._assemble(job, reports)

    def _assemble(self, job: _Job, reports: list[SignerReport]) -> VerificationResult:
        job.checks.extend(c for st in job.signers for c in st.checks)
        worst = worst_report(reports)
        n = len(reports)
        if worst is None:
            names = "; ".join(r.certificate.subject for r in reports if r.certificate)
            msg = f"signature valid: {names}" if n == 1 else f"all {n} signatures valid: {names}"
            return self._result(job, Indication.PASSED, None, msg, reports)
        prefix = f"signer {worst.index}: " if n > 1 else ""
        return self._result(
            job, worst.indication, worst.sub_indication, prefix + worst.message, reports
        )

    def _finish_signer(
        self, job: _Job, st: _SignerState, digests: dict[str, bytes], whole: bytes | None
    ) -> SignerReport:
        if st.cert is None and st.digest is not None:
            self._check_attributes(job, st, digests)  # all but what needs the certificate
        if st.cert is not None and st.mech is not None and st.digest is not None:
            check_attributes(self, job, st, digests)
            check_signature(self, job, st, digests, whole)
            self._check_key_usage(job, st)
            if type(st.cert) is LenientCertRecord and lenient_signer(job, st):
                pass  # no path for a certificate only read leniently (reported)
            elif st.info.unsigned_attrs or st.content_timestamp is not None:
                tokens = self._timestamp_tokens(job, st, digests, whole)
                plan = self._path_plan(job, st, tokens)
                try:
                    request = next(plan)
                    while True:
                        request = plan.send(self._path_outcome(job, *request))
                except StopIteration:
                    pass
            else:
                self._check_path(job, st)
        if st.info.unsigned_attrs:
            return self._with_counter_signatures(job, st)
        return self._signer_report(st)

    def _with_counter_signatures(self, job: _Job, st: _SignerState) -> SignerReport:
        report = self._signer_report(st)
        if (
            st.info.unsigned_attrs
            and st.cert is not None
            and any(a.oid == OID_COUNTERSIGNATURE for a in st.info.unsigned_attrs)
        ):
            nested = counter_signature_reports(self, job, st)
            report = _replace(report, {"counter_signatures": nested})
        return report

    def _signer_checks(
        self, job: _Job, st: _SignerState, digests: dict[str, bytes], whole: bytes | None
    ) -> list[TokenCheck]:
        """The checks before path validation; the time-stamp tokens that need a TSA path."""
        self._check_attributes(job, st, digests)
        self._check_signature(job, st, digests, whole)
        self._check_key_usage(job, st)
        if st.info.unsigned_attrs or st.content_timestamp is not None:
            return self._timestamp_tokens(job, st, digests, whole)
        return []

    def _signer_report(self, st: _SignerState) -> SignerReport:
        si = st.info
        cert = st.cert
        sub: SubIndication | None
        if st.verdict is None:
            ind, sub, msg = Indication.PASSED, None, "signature valid"
        else:
            ind, sub, msg = st.verdict
        path = st.path
        anchor_info = None
        if path and path.anchor:
            with contextlib.suppress(ValueError):  # a malformed anchor is reported by the path
                anchor_info = self._certs.get(path.anchor.der).info
        chain = tuple(c.info for c in path.chain) if path else ()
        if anchor_info is not None and (not chain or chain[-1] is not anchor_info):
            chain += (anchor_info,)
        return _fast(
            SignerReport,
            {
                "index": si.index,
                "indication": ind,
                "sub_indication": sub,
                "message": msg,
                "certificate": cert.info if cert else None,
                "chain": chain,
                "trust_anchor": anchor_info,
                "anchors_considered": path.anchors_considered if path else (),
                "digest_algorithm": st.digest,
                "signature_algorithm": (
                    st.mech.name if st.mech else (si.signature_algorithm.oid or None)
                ),
                "claimed_signing_time": st.signing_time,
                "signed_attributes": tuple(a.oid for a in si.signed_attrs or ()),
                "details": {},
                "revocation": st.revocation,
                "timestamps": tuple(st.timestamps) if st.timestamps else (),
                "counter_signatures": (),
            },
        )

    def _check_attributes(self, job: _Job, st: _SignerState, digests: dict[str, bytes]) -> None:
        check_attributes(self, job, st, digests)

    def _check_signature(
        self, job: _Job, st: _SignerState, digests: dict[str, bytes], whole: bytes | None
    ) -> None:
        check_signature(self, job, st, digests, whole)

    def _check_key_usage(self, job: _Job, st: _SignerState) -> None:
        assert st.cert is not None
        wanted = job.policy.signer_key_usage
        if not wanted:
            return
        ku = st.cert.key_usage
        if ku is None:
            st.add(
                "key-usage",
                _OUT.PASSED,
                "the signer certificate has no KeyUsage extension, so its key may sign (RFC 5280 §4.2.1.3)",
                st.cert.describe(),
            )
        elif any(u in ku for u in wanted):
            st.add(
                "key-usage",
                _OUT.PASSED,
                f"key usage {', '.join(ku)} allows signing",
                st.cert.describe(),
            )
        else:
            st.fail(
                "key-usage",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                f"the key usage of {st.cert.describe()} is {', '.join(ku) or 'empty'}, which does "
                f"not include {' or '.join(wanted)}: the key may not be used to sign (RFC 5280 §4.2.1.3)",
                f"keyUsage of {st.cert.describe()}",
            )

    def _remember(self, key: tuple[Any, ...], outcome: PathOutcome) -> None:
        if not (outcome.ok and outcome.cacheable and outcome.chain):
            return
        start = max(c.not_before for c in outcome.chain)
        end = min(c.not_after for c in outcome.chain)
        with self._lock:
            self._outcomes[key] = (outcome, start, end, *outcome.revinfo_window)
            if len(self._outcomes) > 4096:
                self._outcomes.popitem(last=False)

    def _request(self, job: _Job, retroactive: bool) -> RevocationRequest:
        return RevocationRequest(
            mode=job.policy.revocation_mode,
            supplied=job.supplied,
            service=self.revocation,
            retroactive=retroactive,
        )

    def _lookup(
        self,
        job: _Job,
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
        hit = self._outcomes.get(key)
        if hit is not None:
            skew = _tolerance(job, at) or _dt.timedelta(0)
            if (
                hit[1] - skew <= at <= hit[2] + skew
                and (hit[3] is None or at >= hit[3])
                and (hit[4] is None or at < hit[4])
            ):
                return key, pool, at, retro, hit[0]
        return key, pool, at, retro, None

    def _path_outcome(
        self,
        job: _Job,
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
        job: _Job,
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

    def _check_path(self, job: _Job, st: _SignerState) -> None:
        assert st.cert is not None
        self._apply_path(job, st, self._path_outcome(job, st.cert))

    def _apply_path(self, job: _Job, st: _SignerState, outcome: PathOutcome) -> None:
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

    # --- revocation data and time-stamps -----------------------------------------------
    def _supplied(
        self,
        job: _Job,
        sd: SignedData,
        caller_crls: tuple[bytes, ...],
        caller_ocsps: tuple[bytes, ...],
    ) -> Supplied:
        """Revocation data in the evidence (SignedData.crls, CAdES revocation-values) and given."""
        crls, ocsps, notes = split_revocation_choices(sd.crls)
        for si in sd.signers:
            for attr in si.unsigned_attrs:
                if attr.oid != OID_REVOCATION_VALUES:
                    continue
                where = f"SignerInfo[{si.index}].unsignedAttrs revocation-values"
                for value in attr.values:
                    try:
                        more_crls, more_ocsps = revocation_values(value, where)
                    except d.DERError as exc:
                        notes.append(
                            f"the revocation-values attribute is malformed and was ignored: {exc}"
                        )
                        continue
                    crls += more_crls
                    ocsps += more_ocsps
        for note in notes:
            job.checks.append(_check("revocation-data", _OUT.WARNING, note, "SignedData.crls"))
            job.warnings.append(note)
        all_crls = tuple(crls) + caller_crls
        all_ocsps = tuple(ocsps) + caller_ocsps
        embedded: tuple[Origin, ...] = ("embedded",)
        caller: tuple[Origin, ...] = ("caller",)
        return Supplied(
            crls=all_crls,
            crl_origins=embedded * len(crls) + caller * len(caller_crls),
            ocsps=all_ocsps,
            ocsp_origins=embedded * len(ocsps) + caller * len(caller_ocsps),
            notes=tuple(notes),
        )

    def _timestamp_tokens(
        self, job: _Job, st: _SignerState, digests: dict[str, bytes], whole: bytes | None
    ) -> list[TokenCheck]:
        """Check the signer's time-stamp tokens, all but the TSA paths."""
        si = st.info
        out: list[TokenCheck] = []
        count = sum(len(a.values) for a in st.content_timestamp or ()) + sum(
            len(a.values)
            for a in si.unsigned_attrs
            if a.oid in (OID_SIGNATURE_TIMESTAMP, OID_ARCHIVE_TIMESTAMP_V3)
        )
        if count > _MAX_TOKENS:
            too_many = TokenCheck("signature", f"SignerInfo[{si.index}]")
            too_many.fail(
                SubIndication.FORMAT_FAILURE,
                f"{count} time-stamp tokens on one signer, more than {_MAX_TOKENS}",
            )
            return [too_many]
        in_memory = job.content if isinstance(job.content, (bytes, bytearray)) else whole

        def content_hash(name: str) -> bytes | None:
            # Digests of the content were taken in one pass; an imprint made with another
            # algorithm can still be checked when the content is in memory.
            found = digests.get(name)
            if found is None and in_memory is not None:
                found = sha(name, bytes(in_memory))
            return found

        for attr in st.content_timestamp or ():
            for j, value in enumerate(attr.values):
                out.append(
                    check_token(
                        value,
                        "content",
                        f"SignerInfo[{si.index}].signedAttrs content-time-stamp[{j}]",
                        content_hash,
                        job.content_label,
                        job.policy,
                        job.at,
                        self._certs,
                        job.pool,
                    )
                )
        for attr in si.unsigned_attrs:
            if attr.oid != OID_SIGNATURE_TIMESTAMP:
                continue
            for j, value in enumerate(attr.values):
                out.append(
                    check_token(
                        value,
                        "signature",
                        f"SignerInfo[{si.index}].unsignedAttrs signature-time-stamp[{j}]",
                        lambda name: sha(name, si.signature),
                        f"signature value of SignerInfo[{si.index}]",
                        job.policy,
                        job.at,
                        self._certs,
                        job.pool,
                    )
                )
        out.extend(archive_tokens(self._certs, job, si, content_hash))
        return out

    def _path_plan(
        self, job: _Job, st: _SignerState, tokens: list[TokenCheck]
    ) -> Generator[
        tuple[CertRecord, _dt.datetime, bool | None, Sequence[CertRecord]], PathOutcome, None
    ]:
        """The path validations a signer with time-stamps needs, in order.

        A generator: it yields (certificate, time, retroactive, extra certificates) and
        is sent each path decision, so :meth:`verify` and :meth:`averify` share it.
        """
        assert st.cert is not None
        for tc in tokens:
            if tc.problem is None and tc.tsa_cert is not None:
                tsa_path = yield (tc.tsa_cert, job.at, None, tc.certificates)
                if not tsa_path.ok:
                    assert tsa_path.sub_indication is not None
                    tc.fail(
                        tsa_path.sub_indication,
                        f"the TSA certificate path does not validate: {tsa_path.message}",
                    )
                else:
                    for entry, rec in zip(tsa_path.revocation, tsa_path.chain, strict=False):
                        st.add(
                            "revocation",
                            entry.outcome,
                            f"TSA path: {entry.info.message}",
                            rec.describe(),
                        )
            self._report_token(st, tc)
        signature_times = [
            tc.tst.gen_time
            for tc in tokens
            # A valid archive time-stamp proves the signature existed at its time too.
            if tc.kind in ("signature", "archive") and tc.problem is None and tc.tst is not None
        ]
        content_times = [
            tc.tst.gen_time
            for tc in tokens
            if tc.kind == "content" and tc.problem is None and tc.tst is not None
        ]
        poe = min(signature_times, default=None)
        if poe is not None and content_times and min(content_times) > poe + job.policy.clock_skew:
            st.fail(
                "time-stamp-order",
                SubIndication.TIMESTAMP_ORDER_FAILURE,
                f"the content time-stamp ({_iso(min(content_times))}) is later than the "
                f"signature time-stamp ({_iso(poe)}): the content cannot have been time-stamped "
                "after it was signed",
                f"SignerInfo[{st.info.index}]",
            )
        outcome = yield (st.cert, job.at, None, ())
        if not outcome.ok and poe is not None and outcome.failure_time is not None:
            outcome = yield from self._past(job, st, outcome, poe)
        self._apply_path(job, st, outcome)

    def _past(
        self, job: _Job, st: _SignerState, now: PathOutcome, poe: _dt.datetime
    ) -> Generator[
        tuple[CertRecord, _dt.datetime, bool | None, Sequence[CertRecord]], PathOutcome, PathOutcome
    ]:
        """EN 319 102-1 past signature validation with the signature time-stamp as POE."""
        assert st.cert is not None and now.failure_time is not None
        sub = now.sub_indication
        when = now.failure_time
        revoked = sub in (SubIndication.REVOKED_NO_POE, SubIndication.REVOKED_CA_NO_POE)
        expired = sub in (
            SubIndication.OUT_OF_BOUNDS_NO_POE,
            SubIndication.OUT_OF_BOUNDS_NOT_REVOKED,
        )
        # The anchor's trusted-list service left the statuses in force at ``when``.
        withdrawn = _anchor_status_failed(now)
        if not (revoked or expired or withdrawn):
            return now
        skew = job.policy.clock_skew
        if withdrawn and poe >= when:
            st.add(
                "proof-of-existence",
                _OUT.INDETERMINATE,
                f"the signature time-stamp ({_iso(poe)}) is not before the trust anchor's "
                f"service left the statuses in force ({_iso(when)}), so it does not help",
                st.cert.describe(),
            )
            return now
        if (revoked and poe >= when) or (expired and poe > when + skew):
            what = "revoked" if revoked else "expired"
            if revoked and sub is SubIndication.REVOKED_NO_POE:
                st.fail(
                    "proof-of-existence",
                    SubIndication.REVOKED,
                    f"the signature time-stamp ({_iso(poe)}) is not before the revocation of "
                    f"{st.cert.describe()} at {_iso(when)}: the signature may have been made "
                    "with a revoked certificate (EN 319 102-1 past signature validation)",
                    st.cert.describe(),
                )
            else:
                st.add(
                    "proof-of-existence",
                    _OUT.INDETERMINATE,
                    f"the signature time-stamp ({_iso(poe)}) is not before the certificate was "
                    f"{what} ({_iso(when)}), so it does not help",
                    st.cert.describe(),
                )
            return now
        past = yield (st.cert, poe, True, ())
        if past.ok:
            what = (
                "the revocation"
                if revoked
                else "the expiry"
                if expired
                else "the trusted-list status change of the trust anchor"
            )
            st.add(
                "proof-of-existence",
                _OUT.PASSED,
                f"the signature time-stamp proves the signature existed at {_iso(poe)}, before "
                f"{what} at {_iso(when)}; the path was validated at that time "
                "(EN 319 102-1 past signature validation)",
                st.cert.describe(),
            )
        return past

    def _report_token(self, st: _SignerState, tc: TokenCheck) -> None:
        name = f"{tc.kind}-time-stamp"
        for note in tc.warnings:
            st.add(name, _OUT.WARNING, note, tc.label)
        tst = tc.tst
        tsa = tc.tsa_cert
        if tc.problem is not None:
            # EN 319 102-1: a time-stamp that fails gives no proof of existence, and the
            # signature is decided without it; the signature itself is not made worse.
            sub, message = tc.problem
            st.add(
                name,
                _OUT.FAILED if sub in _FAILED else _OUT.INDETERMINATE,
                f"time-stamp token: {message} ({sub.value}); it gives no proof of existence and "
                "does not change the signature's verdict",
                tc.label,
            )
        else:
            assert tst is not None and tsa is not None
            st.add(
                name,
                _OUT.PASSED,
                f"time-stamped at {_iso(tst.gen_time)} by {tsa.subject}: the {tc.hash_name} "
                "message imprint matches, the TSA signature and certificate path verify",
                tc.label,
            )
        if st.timestamps is None:
            st.timestamps = []
        st.timestamps.append(
            _fast(
                TimestampInfo,
                {
                    "kind": tc.kind,
                    "gen_time": tst.gen_time if tst else None,
                    "tsa": tsa.subject if tsa else None,
                    "tsa_certificate": tsa.info if tsa else None,
                    "serial_number": f"{tst.serial_number:x}" if tst else None,
                    "policy": tst.policy if tst else None,
                    "hash_algorithm": tc.hash_name,
                    "imprint_ok": tc.imprint_ok,
                    "valid": tc.problem is None,
                    "message": tc.problem[1] if tc.problem else "verified",
                },
            )
        )


_CALLER_CONTENT = "content given by the caller"
# Real signers carry one or two time-stamps; each costs a signature check and a TSA path.
_MAX_TOKENS = 8


_PURPOSES = {"sign", "authenticate"}
_ASSURANCE = {"low", "substantial", "high"}


def _options(purpose: str | None, require_assurance: str | None) -> dict[str, Any]:
    if purpose is not None and purpose not in _PURPOSES:
        raise InvalidArgument(f"purpose must be 'sign' or 'authenticate', not {purpose!r}")
    if require_assurance is not None and require_assurance not in _ASSURANCE:
        raise InvalidArgument(
            f"require_assurance must be 'low', 'substantial' or 'high', not {require_assurance!r}"
        )
    out: dict[str, Any] = {}
    if purpose is not None:
        out["purpose"] = purpose
    if require_assurance is not None:
        out["require_assurance"] = require_assurance
    return out


def _certificate_ders(source: Any) -> list[tuple[None, bytes, str]]:
    """(None, DER, label) per certificate; DER bytes are passed on without a parse here."""
    if isinstance(source, bytes) and source[:1] == b"\x30":
        # The certificate cache parses (and checks) it once; re-encoding it here would be
        # a second parse for nothing.
        return [(None, source, "certificate bytes")]
    return [(None, der, label) for _, der, label in load_certificates(source)]


def _anchor_current(trust: TrustStore, outcome: PathOutcome) -> bool:
    """Whether a remembered path decision ends in an anchor of ``trust`` as it is now.

    Remembered decisions are keyed by the store's identity and version; a store that
    replaced another (a trust-list refresh) can reuse the old one's address, so the
    anchor itself is checked too.
    """
    anchor = outcome.anchor
    return anchor is None or trust.by_fingerprint(anchor.fingerprint) is anchor


def _extra_certificates(
    extra_certs: Iterable[CertificateSource], job: _Job
) -> list[tuple[bytes, str]]:
    """(DER, label) of each extra certificate; one that does not parse is reported and
    ignored, as extra certificates often come with the evidence from the same sender."""
    out: list[tuple[bytes, str]] = []
    for i, src in enumerate(_iter_sources(extra_certs, "extra_certs")):
        try:
            out.extend((der, label) for _, der, label in load_certificates(src))
        except TrustStoreError as exc:
            if isinstance(src, os.PathLike) or (isinstance(src, str) and "-----BEGIN " not in src):
                raise  # a file of the caller's that cannot be read: the caller's to fix
            job.checks.append(
                _check(
                    "certificate-parse",
                    _OUT.WARNING,
                    f"extra certificate {i} cannot be used and is ignored: {exc}",
                    f"extra_certs[{i}]",
                )
            )
            job.warnings.append(f"extra certificate {i} is malformed and was ignored")
    return out


def _iter_sources(value: object, name: str) -> list[Any]:
    if isinstance(value, (bytes, bytearray, str, os.PathLike)):
        return [value]
    if not isinstance(value, Iterable):
        raise InvalidArgument(
            f"{name} must be a list of paths or bytes, not {type(value).__name__}"
        )
    return list(value)


def _tolerance(job: _Job, at: _dt.datetime | None) -> _dt.timedelta | None:
    """Clock skew for validity periods: only when validating at the current time."""
    return job.policy.clock_skew if at is None and job.at_is_now else None


def _coerce_crls(crls: object, name: str = "crls") -> tuple[bytes, ...]:
    """CRLs (or OCSP responses) as DER bytes, from bytes or paths."""
    if crls is None:
        return ()
    what = "an OCSP response" if name == "ocsp_responses" else "a CRL"
    out = []
    for item in _iter_sources(crls, name):
        if isinstance(item, (bytes, bytearray, memoryview)):
            out.append(bytes(item))
        elif isinstance(item, (str, os.PathLike)):
            try:
                with open(item, "rb") as fh:
                    out.append(fh.read())
            except OSError as exc:
                kind = "OCSP response" if name == "ocsp_responses" else "CRL"
                raise InputError(f"cannot read {kind} file {item}: {exc.strerror or exc}") from None
        else:
            raise InvalidArgument(f"{what} must be DER bytes or a path, not {type(item).__name__}")
    return tuple(out)


def _share(verifier: Verifier, shared_cache: Any) -> Any:
    from .fleet import attach

    return attach(verifier, shared_cache)


def _verifier_for(trust: TrustArg, policy: Policy | None) -> Verifier:
    return Verifier(trust=trust, policy=policy)


def verify(
    evidence: Evidence,
    *,
    content: Content | None = None,
    trust: TrustArg = None,
    at: _dt.datetime | None = None,
    policy: Policy | None = None,
    extra_certs: Iterable[CertificateSource] | None = None,
    crls: Iterable[bytes] | None = None,
    purpose: str | None = None,
    require_assurance: str | None = None,
    ocsp_responses: Iterable[bytes] | None = None,
    content_digest: str | tuple[str, bytes] | None = None,
) -> VerificationResult:
    """Verify evidence in one call: a CMS/CAdES signature, a JWS, an OFD document with its
    seals, a scheme envelope (iAM Smart and the like) or an RFC 3161 time-stamp token.

    Args:
        evidence: the signature or document: bytes, a path, a binary file object, or text
            (PEM, base64, a compact or JSON JWS; see "Evidence and content as text" in the
            quickstart for how a ``str`` is read).
        content: the signed document of a detached signature: bytes, a path, a binary
            stream (hashed in chunks, any size) or text.
        trust: the trust anchors: a :class:`TrustStore`, a trust-list manager, or a list
            of certificates (paths, PEM text, bytes). Nothing is trusted by default.
        at: the validation time, an aware datetime; default now (then, and only then, the
            policy's clock skew applies to validity periods).
        policy: the :class:`Policy` to apply; default ``Policy()``.
        extra_certs: certificates that may help build a path (intermediates); never
            trusted by themselves. One that does not parse is reported and ignored.
        crls: CRLs (DER bytes or paths) to check the path against.
        purpose: ``"sign"`` or ``"authenticate"``: what the identity is used for, passed to
            the scheme adapters and the recognition policy.
        require_assurance: ``"low"``, ``"substantial"`` or ``"high"``: the assurance the
            identity must reach to be recognised.
        ocsp_responses: OCSP responses (DER bytes or paths) to check the path against.
        content_digest: the document's hash instead of the document (``"sha256:HEX"`` or
            ``("sha256", digest)``), for callers that hold only the hash; not with
            ``content``.

    Returns:
        A :class:`VerificationResult`: never raises for bad evidence.

    Raises:
        InvalidArgument: for arguments of the wrong kind (a naive datetime, both
            ``content`` and ``content_digest``).
        InputError: when a file or stream named by the caller cannot be read.

    For many verifications, create a :class:`Verifier` once instead: it keeps
    its caches between calls.
    """
    return _verifier_for(trust, policy).verify(
        evidence,
        content=content,
        at=at,
        extra_certs=extra_certs,
        crls=crls,
        purpose=purpose,
        require_assurance=require_assurance,
        ocsp_responses=ocsp_responses,
        content_digest=content_digest,
    )


async def averify(
    evidence: Evidence,
    *,
    content: Content | None = None,
    trust: TrustArg = None,
    at: _dt.datetime | None = None,
    policy: Policy | None = None,
    extra_certs: Iterable[CertificateSource] | None = None,
    crls: Iterable[bytes] | None = None,
    purpose: str | None = None,
    require_assurance: str | None = None,
    ocsp_responses: Iterable[bytes] | None = None,
    content_digest: str | tuple[str, bytes] | None = None,
) -> VerificationResult:
    """Asynchronous :func:`verify`, safe to await inside any running event loop.

    The arguments and the result are those of :func:`verify`; fetching (OCSP, CRLs,
    JWKS) awaits instead of blocking, and large content is hashed off the event loop.
    """
    return await _verifier_for(trust, policy).averify(
        evidence,
        content=content,
        at=at,
        extra_certs=extra_certs,
        crls=crls,
        purpose=purpose,
        require_assurance=require_assurance,
        ocsp_responses=ocsp_responses,
        content_digest=content_digest,
    )
