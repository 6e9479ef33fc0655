"""The verifier: evidence in, a VerificationResult out.

Data flows one way, one module per stage, each knowing only those before it
(docs/architecture.md)::

    _job → _intake → _pathstep → _timestep → _outcome → _verifier

read → detect format → parse → identify signers → digest the content once → check each
signer's attributes and signature → build and validate its path → time-stamps → report
→ decide. :class:`Verifier` holds the configuration and caches and runs the stages in
order; every step appends a check to the result.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as _dt
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from ._certs import CertificateCache
from ._cms import AlgorithmId, SignerInfo
from ._countersign import OID_COUNTERSIGNATURE, counter_signature_reports
from ._exceptions import InvalidArgument
from ._handlers import EvidenceContext, EvidenceHandler
from ._input import Content, Evidence
from ._job import Job, TrustArg, certificate_ders, coerce_crls, iter_sources, options_for
from ._lenient import LenientCertRecord
from ._memo import Memo
from ._outcome import Outcome
from ._path import PathValidator
from ._pathoutcome import PathDecisions
from ._policy import Policy
from ._result import CheckOutcome, SignerReport, SubIndication, VerificationResult, _replace
from ._signer_checks import check_attributes, check_signature, lenient_signer
from ._signer_state import SignerState as _SignerState
from ._signer_state import make_check as _check
from ._token_evidence import verify_token_evidence
from ._trust import CertificateSource
from .revocation._data import caller_supplied
from .revocation._service import RevocationService
from .tsp._token import TokenCheck

if TYPE_CHECKING:
    from ._handlers import ResultEnricher
    from .schemes import SchemeRegistry

__all__ = ["TrustArg", "Verifier", "averify", "verify"]

_OUT = CheckOutcome


class _Keep:
    """The default of :meth:`Verifier.derive`'s arguments: keep the setting as it is."""


_KEEP = _Keep()


class Verifier(Outcome):
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

    ``expected_scheme`` (an adapter or scheme name, e.g. ``"hkpost-ecert"``) makes every
    verification also require the evidence to belong to that scheme, as
    :func:`bayident.schemes.verify_as` does. :meth:`derive` gives a verifier with other
    settings that shares this one's trust, clients, clock and caches.

    ``schemes`` (a :class:`bayident.schemes.SchemeRegistry`) holds the scheme adapters
    that give identities and the recognition policy; default the built-in registry
    (:func:`bayident.schemes.default_registry`). ``handlers`` are evidence handlers for
    formats of your own, asked before the built-in ones (scheme envelopes, JWS, OFD);
    ``enrichers`` run on every result after the scheme adapters (see
    ``bayident._handlers``; docs/architecture.md).
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
        expected_scheme: str | None = None,
        schemes: SchemeRegistry | None = None,
        handlers: Iterable[EvidenceHandler] = (),
        enrichers: Iterable[ResultEnricher] = (),
    ) -> None:
        if policy is not None and not isinstance(policy, Policy):
            raise InvalidArgument(f"policy must be a bayident.Policy, not {type(policy).__name__}")
        self.expected_scheme = _scheme_name(expected_scheme)
        self._schemes = _registry(schemes)
        self._handlers = _handlers(handlers)
        self._enrichers = _enrichers(enrichers)
        self.trust = trust  # the setter coerces (and follows a trust-list manager)
        self.policy = policy or Policy()
        self.http_client = http_client
        self.async_http_client = async_http_client
        # Keys for JWS/JWT ``kid`` look-ups: a bayident.jose.JWKSResolver, a JWKS dict, or None.
        self.jwks = jwks
        self._clock = clock or (lambda: _dt.datetime.now(_dt.UTC))
        # OCSP and CRL fetching and caches, shared by every verification of this verifier.
        self.revocation = RevocationService(http_client, async_http_client, clock=self._clock)
        # Every cache below is this verifier's (derive() shares them, clear_caches() empties
        # them): their answers depend on its trust, policy and clock.
        self._certs = CertificateCache()
        # One cache of path decisions: the signers' and the path validator's.
        self._decisions = PathDecisions()
        self._paths = PathValidator(self._decisions)
        self._key_problems: Memo[tuple[str, str], str | None] = Memo(4096)
        self._ess_cache: Memo[tuple[bytes, bool], list[Any]] = Memo(4096)
        self._lock = threading.Lock()
        # Revocation data, JWKS and trusted lists shared with a fleet (docs/fleet.md).
        self.shared_cache = _share(self, shared_cache) if shared_cache is not None else None

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
        job.options = options_for(purpose, require_assurance)
        if job.handoff is not None:
            handler, ctx = self._hand_off(job, content, extra_certs)
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
        job.options = options_for(purpose, require_assurance)
        if job.handoff is not None:
            handler, ctx = self._hand_off(job, content, extra_certs)
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

    def derive(
        self,
        *,
        expected_scheme: str | _Keep | None = _KEEP,
        schemes: SchemeRegistry | _Keep | None = _KEEP,
    ) -> Verifier:
        """A verifier with the settings given changed, sharing everything else with this one.

        Trust, policy, HTTP clients, clock, JWKS and every cache (certificates, paths,
        revocation data, the shared cache) are the same objects, so a verification through
        the derived verifier warms this one's caches and the other way round. A nested
        verification (the CMS inside an iAM Smart reply) runs through
        ``ctx.verifier.derive(expected_scheme=None)``: the scheme the caller expects is the
        outer evidence's, not the inner one's. ``schemes`` replaces the scheme registry
        (None: the built-in default one).
        """
        clone = copy.copy(self)
        if not isinstance(expected_scheme, _Keep):
            clone.expected_scheme = _scheme_name(expected_scheme)
        if not isinstance(schemes, _Keep):
            clone._schemes = _registry(schemes)
        return clone

    def clear_caches(self) -> None:
        """Forget everything this verifier (and those derived from it) remembers.

        Parsed certificates, path decisions, key verdicts, and the OCSP responses and
        CRLs fetched. Nothing needs it for correctness — every remembered answer is
        keyed by the trust, policy and revocation data it depends on, and holds only for
        the times it covers — but it frees the memory and makes the next verification
        decide everything afresh (e.g. after a certificate was revoked out of band). A
        ``shared_cache`` is not touched: other processes use it.
        """
        self._certs.clear()
        self._paths.clear()
        self._key_problems.clear()
        self._ess_cache.clear()
        self.revocation.clear()

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

    def _hand_off(
        self, job: Job, content: Content | None, extra_certs: Iterable[CertificateSource] | None
    ) -> tuple[EvidenceHandler, EvidenceContext]:
        """The evidence handler that claimed the evidence, and the context it works in."""
        assert job.handoff is not None
        handler, raw, label = job.handoff
        ctx = self._context(handler, job, raw, label, content, extra_certs)
        ctx.options.update(job.options)
        job.delegate = (handler, ctx)
        return handler, ctx

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
        options = options_for(purpose, require_assurance)
        job = self._new_job(at, policy)
        if crls is not None or ocsp_responses is not None:
            job.supplied = caller_supplied(
                coerce_crls(crls), coerce_crls(ocsp_responses, "ocsp_responses")
            )
            job.crls = job.supplied.crls
        pol = job.policy
        job.options = options
        job.evidence_format = "certificate"
        loaded = certificate_ders(certificate)
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
        for src in iter_sources(intermediates, "intermediates"):
            for _, der, label in certificate_ders(src):
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
        valid = "certificate path valid"
        report = self._signer_report(st, valid)
        return self._enrich(job, self._assemble(job, [report], valid))

    def _finish(
        self, job: Job, digests: dict[str, bytes], whole: bytes | None
    ) -> VerificationResult:
        assert job.sd is not None
        reports = [self._finish_signer(job, st, digests, whole) for st in job.signers]
        return self._assemble(job, reports)

    async def _afinish(
        self, job: Job, digests: dict[str, bytes], whole: bytes | None
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

    def _finish_signer(
        self, job: Job, st: _SignerState, digests: dict[str, bytes], whole: bytes | None
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

    def _with_counter_signatures(self, job: Job, st: _SignerState) -> SignerReport:
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
        self, job: Job, st: _SignerState, digests: dict[str, bytes], whole: bytes | None
    ) -> list[TokenCheck]:
        """The checks before path validation; the time-stamp tokens that need a TSA path."""
        self._check_attributes(job, st, digests)
        self._check_signature(job, st, digests, whole)
        self._check_key_usage(job, st)
        if st.info.unsigned_attrs or st.content_timestamp is not None:
            return self._timestamp_tokens(job, st, digests, whole)
        return []


def _scheme_name(scheme: object) -> str | None:
    if scheme is not None and (not isinstance(scheme, str) or not scheme):
        raise InvalidArgument("expected_scheme must be a non-empty str or None")
    return scheme


def _registry(schemes: object) -> SchemeRegistry | None:
    if schemes is None:
        return None
    from .schemes._base import SchemeRegistry

    if not isinstance(schemes, SchemeRegistry):
        raise InvalidArgument(
            f"schemes must be a bayident.schemes.SchemeRegistry, not {type(schemes).__name__}"
        )
    return schemes


def _handlers(handlers: object) -> tuple[EvidenceHandler, ...]:
    found = tuple(iter_sources(handlers, "handlers")) if handlers else ()
    for i, h in enumerate(found):
        if not (isinstance(getattr(h, "name", None), str) and callable(getattr(h, "claims", None))):
            raise InvalidArgument(
                f"handlers[{i}] is not an evidence handler (it needs name, claims and verify)"
            )
        if not callable(getattr(h, "verify", None)):
            raise InvalidArgument(
                f"handlers[{i}] is not an evidence handler (it needs name, claims and verify)"
            )
    return found


def _enrichers(enrichers: object) -> tuple[ResultEnricher, ...]:
    found = tuple(iter_sources(enrichers, "enrichers")) if enrichers else ()
    for i, e in enumerate(found):
        if not callable(e):
            raise InvalidArgument(f"enrichers[{i}] must be callable, not {type(e).__name__}")
    return found


def _share(verifier: Verifier, shared_cache: Any) -> Any:
    from .fleet import attach

    return attach(verifier, shared_cache)


def _verifier_for(
    trust: TrustArg, policy: Policy | None, schemes: SchemeRegistry | None
) -> Verifier:
    return Verifier(trust=trust, policy=policy, schemes=schemes)


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
    schemes: SchemeRegistry | None = None,
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
        schemes: the :class:`bayident.schemes.SchemeRegistry` whose adapters and
            recognition policy apply; default the built-in registry.

    Returns:
        A :class:`VerificationResult`: never raises for bad evidence.

    Raises:
        InvalidArgument: for arguments of the wrong kind (a naive datetime, both
            ``content`` and ``content_digest``).
        InputError: when a file or stream named by the caller cannot be read.

    For many verifications, create a :class:`Verifier` once instead: it keeps
    its caches between calls.
    """
    return _verifier_for(trust, policy, schemes).verify(
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
    schemes: SchemeRegistry | None = None,
) -> VerificationResult:
    """Asynchronous :func:`verify`, safe to await inside any running event loop.

    The arguments and the result are those of :func:`verify`; fetching (OCSP, CRLs,
    JWKS) awaits instead of blocking, and large content is hashed off the event loop.
    """
    return await _verifier_for(trust, policy, schemes).averify(
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
