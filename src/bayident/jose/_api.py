"""Public entry points: :func:`verify_jws`, :func:`verify_jwt` and their async forms."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, computed_field

from .._exceptions import InvalidArgument
from .._handlers import EvidenceContext
from .._input import Content, Evidence, EvidenceFormatError, read_evidence
from .._job import Job
from .._policy import Policy
from .._result import SubIndication, VerificationResult
from .._trust import CertificateSource
from .._verifier import TrustArg, Verifier
from ._claims import MAX_LEEWAY, ClaimRules
from ._jwks import JWKSet, JWKSResolver, coerce_jwks
from ._verify import HANDLER, JWTOptions, Run

__all__ = ["JWTResult", "averify_jws", "averify_jwt", "verify_jws", "verify_jwt"]

JWKSArg = JWKSResolver | JWKSet | Mapping[str, Any] | None


class JWTResult(BaseModel):
    """The verdict on a JWT and, only when it passed, its verified claims.

    ``result`` is the full :class:`bayident.VerificationResult` (checks, signer, chain);
    ``claims`` is empty unless ``passed``, so unverified claims cannot be used by
    mistake. ``header`` is the protected header as read (verified only when ``passed``).
    """

    model_config = ConfigDict(frozen=True)

    result: VerificationResult
    claims: dict[str, Any] = Field(default_factory=dict)
    header: dict[str, Any] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """``True`` only when the signature, key and every claim check passed."""
        return self.result.passed

    def explain(self) -> str:
        """The result's account for people."""
        return self.result.explain()


@dataclass(frozen=True)
class _Start:
    """A verification started by the verifier's own job start, finished by its enrichers."""

    verifier: Verifier
    job: Job
    ctx: EvidenceContext

    def finish(self, result: VerificationResult) -> VerificationResult:
        # The same ending as Verifier.verify: the scheme adapters add the identity.
        return self.verifier._enrich(self.job, result)


def _context(
    evidence: Evidence,
    *,
    content: Content | None,
    trust: TrustArg,
    at: _dt.datetime | None,
    policy: Policy | None,
    extra_certs: Iterable[CertificateSource] | None,
    verifier: Verifier | None,
    http_client: httpx.Client | None,
    async_http_client: httpx.AsyncClient | None,
) -> _Start | VerificationResult:
    if verifier is not None:
        if not isinstance(verifier, Verifier):
            raise InvalidArgument(
                f"verifier must be a bayident.Verifier, not {type(verifier).__name__}"
            )
        if trust is not None:
            raise InvalidArgument("pass trust to the Verifier or here, not both")
        v = verifier
    else:
        v = Verifier(
            trust=trust, policy=policy, http_client=http_client, async_http_client=async_http_client
        )
    # The verifier's own job start: the same time, policy and retroactive-time rules as
    # every other door.
    job = v._new_job(at, policy)
    pol = job.policy
    try:
        raw, label = read_evidence(evidence, pol.max_evidence_bytes)
    except EvidenceFormatError as exc:
        early = v._early(
            job, "evidence-size", SubIndication.FORMAT_FAILURE, str(exc), "evidence"
        ).early
        assert early is not None
        return early
    ctx = v._context(HANDLER, job, raw, label, content, extra_certs)
    job.delegate = (HANDLER, ctx)
    if http_client is not None:
        ctx.http_client = http_client
    if async_http_client is not None:
        ctx.async_http_client = async_http_client
    return _Start(v, job, ctx)


def verify_jws(
    evidence: Evidence,
    *,
    content: Content | None = None,
    trust: TrustArg = None,
    jwks: JWKSArg = None,
    at: _dt.datetime | None = None,
    policy: Policy | None = None,
    extra_certs: Iterable[CertificateSource] | None = None,
    verifier: Verifier | None = None,
    http_client: httpx.Client | None = None,
) -> VerificationResult:
    """Verify a JWS (compact, flattened or general JSON), detached or not.

    ``evidence`` is the JWS as bytes or text, a path (a str naming an existing file), or a
    binary stream.
    ``content`` is the detached payload (bytes, path or binary stream; hashed in chunks
    when large). Keys come from an ``x5c`` chain validated against ``trust``, an
    ``x5t#S256`` reference to one of ``extra_certs``, or the ``kid`` in ``jwks`` (a
    :class:`JWKSResolver`, a :class:`JWKSet` or a JWKS dict: keys you chose to trust).
    Pass ``verifier`` to reuse a :class:`bayident.Verifier`'s trust, policy and caches.

    Never raises for bad evidence; raises :class:`bayident.InvalidArgument` for wrong
    arguments and :class:`bayident.InputError` for unreadable files.
    """
    ctx = _context(
        evidence,
        content=content,
        trust=trust,
        at=at,
        policy=policy,
        extra_certs=extra_certs,
        verifier=verifier,
        http_client=http_client,
        async_http_client=None,
    )
    if isinstance(ctx, VerificationResult):
        return ctx
    return ctx.finish(Run(ctx.ctx, coerce_jwks(jwks)).run())


async def averify_jws(
    evidence: Evidence,
    *,
    content: Content | None = None,
    trust: TrustArg = None,
    jwks: JWKSArg = None,
    at: _dt.datetime | None = None,
    policy: Policy | None = None,
    extra_certs: Iterable[CertificateSource] | None = None,
    verifier: Verifier | None = None,
    async_http_client: httpx.AsyncClient | None = None,
) -> VerificationResult:
    """Asynchronous :func:`verify_jws`: a JWKS fetch does not block the event loop."""
    ctx = _context(
        evidence,
        content=content,
        trust=trust,
        at=at,
        policy=policy,
        extra_certs=extra_certs,
        verifier=verifier,
        http_client=None,
        async_http_client=async_http_client,
    )
    if isinstance(ctx, VerificationResult):
        return ctx
    return ctx.finish(await Run(ctx.ctx, coerce_jwks(jwks)).arun())


def _names(value: str | Sequence[str] | None, what: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    items = tuple(value)
    if not items or not all(isinstance(v, str) for v in items):
        raise InvalidArgument(f"{what} must be a string or a non-empty sequence of strings")
    return items


def _options(
    *,
    issuer: str | Sequence[str] | None,
    audience: str | Sequence[str] | None,
    typ: str | None,
    leeway: _dt.timedelta | float | None,
    required_claims: Sequence[str],
    algorithms: Sequence[str] | None,
    policy: Policy | None,
    verifier: Verifier | None,
) -> JWTOptions:
    pol = policy or (verifier.policy if verifier is not None else Policy())
    if leeway is None:
        slack = pol.clock_skew
        origin = "Policy.clock_skew"
    elif isinstance(leeway, _dt.timedelta):
        slack, origin = leeway, "leeway"
    elif isinstance(leeway, (int, float)) and not isinstance(leeway, bool):
        slack, origin = _dt.timedelta(seconds=leeway), "leeway"
    else:
        raise InvalidArgument(f"leeway must be a timedelta or seconds, not {type(leeway).__name__}")
    if slack < _dt.timedelta(0):
        raise InvalidArgument(f"{origin} must not be negative")
    if slack > MAX_LEEWAY:
        raise InvalidArgument(
            f"{origin} of {slack} is over the bound of 10 minutes for JWT time claims: a "
            "larger leeway keeps expired tokens alive (RFC 7519 §4.1.4 allows only 'a few "
            "minutes')"
        )
    if isinstance(required_claims, str):
        raise InvalidArgument("required_claims must be a sequence of claim names, not a str")
    if typ is not None and not isinstance(typ, str):
        raise InvalidArgument("typ must be a string")
    algs = _names(algorithms, "algorithms")
    rules = ClaimRules(
        leeway=slack,
        required=tuple(required_claims),
        issuer=_names(issuer, "issuer"),
        audience=_names(audience, "audience"),
    )
    return JWTOptions(rules=rules, typ=typ, algorithms=algs)


def _token(token: str | bytes) -> bytes:
    if isinstance(token, str):
        return token.encode("utf-8")
    if isinstance(token, (bytes, bytearray, memoryview)):
        return bytes(token)
    raise InvalidArgument(f"token must be a str or bytes, not {type(token).__name__}")


def _jwt_result(res: VerificationResult, run: Run | None) -> JWTResult:
    header: dict[str, Any] = {}
    claims: dict[str, Any] = {}
    if run is not None:
        if run.sigs:
            header = dict(run.sigs[0].part.protected)
        if res.passed and run.claims is not None:
            claims = dict(run.claims)
    return JWTResult(result=res, claims=claims, header=header)


def _jwt_run(
    token: str | bytes,
    trust: TrustArg,
    jwks: JWKSArg,
    issuer: str | Sequence[str] | None,
    audience: str | Sequence[str] | None,
    typ: str | None,
    at: _dt.datetime | None,
    leeway: _dt.timedelta | float | None,
    required_claims: Sequence[str],
    algorithms: Sequence[str] | None,
    policy: Policy | None,
    extra_certs: Iterable[CertificateSource] | None,
    verifier: Verifier | None,
    http_client: httpx.Client | None,
    async_http_client: httpx.AsyncClient | None,
) -> Run | JWTResult:
    """The run of :func:`verify_jwt` / :func:`averify_jwt`, or the result when none can start."""
    opts = _options(
        issuer=issuer,
        audience=audience,
        typ=typ,
        leeway=leeway,
        required_claims=required_claims,
        algorithms=algorithms,
        policy=policy,
        verifier=verifier,
    )
    key_set = coerce_jwks(jwks)
    ctx = _context(
        _token(token),
        content=None,
        trust=trust,
        at=at,
        policy=policy,
        extra_certs=extra_certs,
        verifier=verifier,
        http_client=http_client,
        async_http_client=async_http_client,
    )
    if isinstance(ctx, VerificationResult):
        return _jwt_result(ctx, None)
    return Run(ctx.ctx, key_set, opts)


def verify_jwt(
    token: str | bytes,
    *,
    trust: TrustArg = None,
    jwks: JWKSArg = None,
    issuer: str | Sequence[str] | None = None,
    audience: str | Sequence[str] | None = None,
    typ: str | None = None,
    at: _dt.datetime | None = None,
    leeway: _dt.timedelta | float | None = None,
    required_claims: Sequence[str] = ("exp",),
    algorithms: Sequence[str] | None = None,
    policy: Policy | None = None,
    extra_certs: Iterable[CertificateSource] | None = None,
    verifier: Verifier | None = None,
    http_client: httpx.Client | None = None,
) -> JWTResult:
    """Verify a JWT credential (RFC 7519) and return its claims when it passes.

    The signature is checked like :func:`verify_jws` (``x5c`` chain to ``trust``, or
    ``kid`` in ``jwks``); then ``exp``, ``nbf`` and ``iat`` against ``at`` (default now)
    with ``leeway`` (default ``Policy.clock_skew``, at most 10 minutes), each claim in
    ``required_claims``, ``iss`` when ``issuer`` is given, ``aud`` (a token naming an
    audience is refused unless ``audience`` matches it), ``typ`` when given, and the
    ``algorithms`` allow-list when given.
    """
    run = _jwt_run(
        token,
        trust,
        jwks,
        issuer,
        audience,
        typ,
        at,
        leeway,
        required_claims,
        algorithms,
        policy,
        extra_certs,
        verifier,
        http_client,
        None,
    )
    if isinstance(run, JWTResult):
        return run
    # A JWT is a credential, not a signature over a document: its claims are the answer,
    # and scheme token adapters call this door for their own evidence, so no adapter
    # runs again on the result.
    return _jwt_result(run.run(), run)


async def averify_jwt(
    token: str | bytes,
    *,
    trust: TrustArg = None,
    jwks: JWKSArg = None,
    issuer: str | Sequence[str] | None = None,
    audience: str | Sequence[str] | None = None,
    typ: str | None = None,
    at: _dt.datetime | None = None,
    leeway: _dt.timedelta | float | None = None,
    required_claims: Sequence[str] = ("exp",),
    algorithms: Sequence[str] | None = None,
    policy: Policy | None = None,
    extra_certs: Iterable[CertificateSource] | None = None,
    verifier: Verifier | None = None,
    async_http_client: httpx.AsyncClient | None = None,
) -> JWTResult:
    """Asynchronous :func:`verify_jwt`."""
    run = _jwt_run(
        token,
        trust,
        jwks,
        issuer,
        audience,
        typ,
        at,
        leeway,
        required_claims,
        algorithms,
        policy,
        extra_certs,
        verifier,
        None,
        async_http_client,
    )
    if isinstance(run, JWTResult):
        return run
    return _jwt_result(await run.arun(), run)
