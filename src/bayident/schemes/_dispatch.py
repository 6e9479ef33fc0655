"""How ``verify()`` reaches the scheme adapters.

* :class:`SchemeEvidenceHandler` is an evidence handler: it claims scheme-evidence
  envelopes and hands them to the evidence adapter of the scheme they name. It is asked
  before the JWS handler, whose detection of JSON-serialised JWS would also claim an
  envelope whose data mentions ``"signature"`` and ``"header"``.
* :func:`enrich` is a result enricher: it maps the first signer's certificate to an
  :class:`~bayident.Identity` with the certificate adapters of the verifier's registry,
  checks the scheme a caller expected (``Verifier.expected_scheme``), and applies the recognition policy when ``verify()`` was
  given ``purpose`` or ``require_assurance``.

A signature is never *failed* here: whether a certificate belongs to a known scheme, or is
admitted by the recognition policy, says nothing about the signature itself. When the
caller asked for a scheme or for recognition and the answer is no, a PASSED result
becomes INDETERMINATE (see ``docs/schemes/index.md`` for the sub-indications).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509

from .._exceptions import InputError, InvalidArgument
from .._handlers import EnrichmentContext, EvidenceContext
from .._identity import Identity
from .._result import Check, CheckOutcome, Indication, SubIndication, VerificationResult, _replace
from ._base import (
    CertificateAdapter,
    CertificateView,
    ProfileError,
    ProfileMatch,
    SchemeFailure,
    SchemeRegistry,
    looks_like_scheme_evidence,
    parse_scheme_evidence,
)

if TYPE_CHECKING:
    import datetime as _dt

    from .._trust import TrustAnchor

__all__ = [
    "EVIDENCE_FORMAT",
    "SchemeEvidenceHandler",
    "apply_recognition",
    "enrich",
    "failure_result",
    "identify_certificate",
]

#: ``VerificationResult.evidence_format`` of results from scheme-evidence envelopes.
EVIDENCE_FORMAT = "scheme-evidence"

# --------------------------------------------------------------------------- results


def _check(
    name: str,
    outcome: CheckOutcome,
    message: str,
    concerns: str | None = None,
    signer: int | None = None,
) -> Check:
    return Check(name=name, outcome=outcome, message=message, concerns=concerns, signer=signer)


def failure_result(
    ctx: EvidenceContext, failure: SchemeFailure, *, adapter: str | None
) -> VerificationResult:
    """The non-passing result for a :class:`SchemeFailure` raised while verifying evidence."""
    ind = failure.indication
    ctx.checks.append(
        _check(
            failure.check,
            CheckOutcome.FAILED if ind is Indication.FAILED else CheckOutcome.INDETERMINATE,
            failure.message,
            failure.concerns,
        )
    )
    assert ctx.make_result is not None
    return ctx.make_result(
        ind,
        failure.sub_indication,
        failure.message,
        evidence_format=EVIDENCE_FORMAT,
        adapter=adapter,
    )


def _downgrade(
    result: VerificationResult, sub: SubIndication, message: str, check: Check, **update: Any
) -> VerificationResult:
    if not result.passed:
        return _replace(result, {"checks": (*result.checks, check), **update})
    return _replace(
        result,
        {
            "indication": Indication.INDETERMINATE,
            "sub_indication": sub,
            "message": message,
            "checks": (*result.checks, check),
            **update,
        },
    )


# ------------------------------------------------------------------- evidence handler


class SchemeEvidenceHandler:
    """Claims scheme-evidence envelopes and dispatches them to the scheme's adapter."""

    name = "scheme"

    def claims(self, raw: bytes) -> bool:
        """A JSON object carrying the ``bayident-scheme`` member."""
        return looks_like_scheme_evidence(raw)

    def _prepare(self, ctx: EvidenceContext) -> tuple[Any, Any] | VerificationResult:
        try:
            evidence = parse_scheme_evidence(ctx.raw)
        except SchemeFailure as failure:
            return failure_result(ctx, failure, adapter=None)
        registry = _registry(ctx.schemes)
        adapter = registry.evidence_adapter(evidence.scheme)
        if adapter is None:
            known = sorted({a.name for a in registry.adapters() if hasattr(a, "verify_evidence")})
            return failure_result(
                ctx,
                SchemeFailure(
                    "scheme",
                    SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE,
                    f"no adapter for scheme {evidence.scheme[:64]!r} is registered, so its "
                    f"evidence cannot be verified (evidence schemes: {', '.join(known) or 'none'})",
                    "bayident-scheme",
                ),
                adapter=None,
            )
        if evidence.type not in adapter.evidence_types:
            return failure_result(
                ctx,
                SchemeFailure(
                    "scheme-evidence",
                    SubIndication.FORMAT_FAILURE,
                    f"scheme {adapter.name!r} has no evidence type {evidence.type[:64]!r} "
                    f"(it reads: {', '.join(adapter.evidence_types)})",
                    "type",
                ),
                adapter=adapter.name,
            )
        return adapter, evidence

    def verify(self, ctx: EvidenceContext) -> VerificationResult:
        """Verify the envelope with its scheme's adapter; never raises for bad evidence."""
        prepared = self._prepare(ctx)
        if isinstance(prepared, VerificationResult):
            return prepared
        adapter, evidence = prepared
        try:
            result: VerificationResult = adapter.verify_evidence(evidence, ctx)
        except SchemeFailure as failure:
            return failure_result(ctx, failure, adapter=adapter.name)
        except (InputError, InvalidArgument):
            raise  # the caller's own arguments (an unreadable content file), as verify() does
        except Exception as exc:  # an adapter bug must not become a traceback in verify()
            return _adapter_error(ctx, adapter.name, exc)
        return result

    async def averify(self, ctx: EvidenceContext) -> VerificationResult:
        """Like :meth:`verify`, awaiting adapters that have ``averify_evidence``."""
        prepared = self._prepare(ctx)
        if isinstance(prepared, VerificationResult):
            return prepared
        adapter, evidence = prepared
        try:
            averify = getattr(adapter, "averify_evidence", None)
            if averify is not None:
                result: VerificationResult = await averify(evidence, ctx)
            else:
                result = await asyncio.to_thread(adapter.verify_evidence, evidence, ctx)
        except SchemeFailure as failure:
            return failure_result(ctx, failure, adapter=adapter.name)
        except (InputError, InvalidArgument):
            raise
        except Exception as exc:  # see verify()
            return _adapter_error(ctx, adapter.name, exc)
        return result


def _adapter_error(ctx: EvidenceContext, name: str, exc: Exception) -> VerificationResult:
    return failure_result(
        ctx,
        SchemeFailure(
            "scheme-adapter",
            SubIndication.POLICY_PROCESSING_ERROR,
            f"adapter {name!r} could not process the evidence: {type(exc).__name__}: "
            f"{str(exc)[:200]}",
            name,
        ),
        adapter=name,
    )


HANDLER = SchemeEvidenceHandler()


# -------------------------------------------------------------- certificate identity


@dataclass(frozen=True)
class CertificateIdentification:
    """What the certificate adapters made of one certificate."""

    view: CertificateView
    identity: Identity | None
    match: ProfileMatch | None
    problem: str | None  # why no identity although an adapter claimed it (or several did)
    claimed_by: tuple[str, ...]


def _claimants(registry: SchemeRegistry, view: CertificateView) -> Sequence[CertificateAdapter]:
    """The certificate adapters that may claim ``view``: all of them, or, when every one is
    a profile adapter as built in, those whose markers the path's CA names and the
    signer's policies show (decided once per such pair: a CA's signers mostly share it)."""
    from ._certprofile import ProfileAdapter

    adapters = registry.certificate_adapters()
    memo = registry._identified
    version = registry.version
    pure = memo.get(("profile-only", version))
    if pure is None:
        pure = all(
            isinstance(a, ProfileAdapter)
            and type(a).match_certificate is ProfileAdapter.match_certificate
            and type(a)._markers is ProfileAdapter._markers
            for a in adapters
        )
        memo.put(("profile-only", version), pure)
    if not pure:
        return adapters
    names, policies = view.ca_names, view.policies
    key = ("claims", names, policies, version)
    found: tuple[CertificateAdapter, ...] | None = memo.get(key)
    if found is None:
        found = tuple(
            a
            for a in adapters
            if isinstance(a, ProfileAdapter) and a._markers(names, policies) is not None
        )
        memo.put(key, found)
    return found


def identify_certificate(
    registry: SchemeRegistry,
    leaf_der: bytes,
    path_ders: Sequence[bytes] = (),
    anchor: TrustAnchor | None = None,
    load: Callable[[bytes], x509.Certificate] | None = None,
) -> CertificateIdentification:
    """Ask every certificate adapter of ``registry`` about a certificate and its path.

    :raises ValueError: the certificate cannot be parsed.
    """
    # The anchor's trusted-list facts are part of the key: the same root certificate can
    # come from a plain store or from a list, and recognition reads them from the view.
    anchor_key = anchor.recognition_key if anchor is not None else None
    # Remembered by the registry, whose adapters decide: keyed by the certificate and path
    # bytes, the anchor's recognition facts and the registry's version.
    memo = registry._identified
    key = (leaf_der, tuple(path_ders), anchor_key, registry.version)
    hit: CertificateIdentification | None = memo.get(key)
    if hit is not None:
        return hit
    view = CertificateView.from_der(leaf_der, path_ders, anchor, load=load)
    matches: list[tuple[CertificateAdapter, ProfileMatch]] = []
    for adapter in _claimants(registry, view):
        try:
            m = adapter.match_certificate(view)
        except Exception:  # a faulty plug-in claims nothing rather than break verify()
            m = None
        if m is not None:
            matches.append((adapter, m))
    identity: Identity | None = None
    match: ProfileMatch | None = None
    problem: str | None = None
    if len(matches) > 1:
        described = "; ".join(f"{a.name} ({', '.join(m.markers) or 'claimed'})" for a, m in matches)
        problem = (
            "the signer certificate carries markers of more than one scheme, so it is "
            f"attributed to none: {described}"
        )
    elif matches:
        adapter, match = matches[0]
        try:
            identity = adapter.certificate_identity(view, match)
        except ProfileError as exc:
            problem = f"the certificate is {adapter.name}'s but {exc.message}"
        except Exception as exc:  # see above
            problem = f"adapter {adapter.name!r} failed: {type(exc).__name__}: {str(exc)[:200]}"
    out = CertificateIdentification(
        view=view,
        identity=identity,
        match=match,
        problem=problem,
        claimed_by=tuple(a.name for a, _ in matches),
    )
    memo.put(key, out)
    return out


def _chain_of(view: CertificateView) -> list[x509.Certificate]:
    """The signer, its issuers nearest first, and the anchor (once)."""
    chain = [view.certificate, *view.issuers]
    if view.anchor is not None:
        from cryptography.hazmat.primitives.serialization import Encoding

        have = {view.der, *(c.public_bytes(Encoding.DER) for c in view.issuers)}
        if view.anchor.der not in have:
            chain.append(view.anchor.certificate)
    return chain


# --------------------------------------------------------------------- recognition


def _natural_purpose(
    result: VerificationResult, registry: SchemeRegistry
) -> Literal["sign", "authenticate"]:
    if result.evidence_format != EVIDENCE_FORMAT:
        return "sign"
    adapter = registry.get(result.adapter or "")
    purpose = getattr(adapter, "default_purpose", "authenticate")
    return "sign" if purpose == "sign" else "authenticate"


def apply_recognition(
    result: VerificationResult,
    *,
    options: dict[str, Any],
    at: _dt.datetime,
    registry: SchemeRegistry | None = None,
    view: CertificateView | None = None,
    purpose: Literal["sign", "authenticate"] | None = None,
) -> VerificationResult:
    """Decide recognition for a PASSED result when the caller asked (purpose, assurance).

    ``registry`` is the registry of the verification, whose recognition policy decides:
    an evidence adapter passes ``ctx.schemes``. Without it, :class:`InvalidArgument`.

    Sets ``result.recognition`` and adds a ``recognition`` check. When recognition does
    not admit, the result becomes INDETERMINATE with CHAIN_CONSTRAINTS_FAILURE (a
    certificate rule decided: the chain does not meet the relying party's constraints) or
    SIG_CONSTRAINTS_FAILURE (an identity rule decided on non-certificate evidence).
    """
    if not ("purpose" in options or "require_assurance" in options):
        return result
    if not result.passed or result.recognition is not None:
        return result
    reg = _registry(registry)
    use = options.get("purpose") or purpose or _natural_purpose(result, reg)
    outcome = reg.recognizer.decide(
        identity=result.identity,
        purpose=use,
        require_assurance=options.get("require_assurance"),
        chain=_chain_of(view) if view is not None else (),
        anchor=view.anchor if view is not None else None,
        at=at,
    )
    rec = outcome.recognition
    if rec.admitted:
        check = _check("recognition", CheckOutcome.PASSED, rec.reason, rec.rule)
        return _replace(result, {"recognition": rec, "checks": (*result.checks, check)})
    check = _check("recognition", CheckOutcome.INDETERMINATE, rec.reason, rec.rule)
    sub = (
        SubIndication.CHAIN_CONSTRAINTS_FAILURE
        if outcome.by_certificate
        else SubIndication.SIG_CONSTRAINTS_FAILURE
    )
    return _downgrade(
        result,
        sub,
        f"the evidence verifies, but the recognition policy does not admit it: {rec.reason}",
        check,
        recognition=rec,
    )


# ------------------------------------------------------------------------ enricher


def enrich(result: VerificationResult, ctx: EnrichmentContext) -> VerificationResult:
    """The built-in result enricher: identity, expected scheme and recognition."""
    registry = _registry(ctx.schemes)
    expected = ctx.expected_scheme
    options = ctx.options
    asked = expected is not None or "purpose" in options or "require_assurance" in options
    view: CertificateView | None = None

    if result.identity is None and result.passed and ctx.signers:
        signer = None
        for s in ctx.signers:
            if s[1] is not None:
                signer = s
                break
        if signer is not None:
            index, der, path, anchor = signer
            assert der is not None
            try:
                found = identify_certificate(registry, der, path, anchor, load=ctx.load)
            except ValueError:
                found = None
            if found is not None:
                view = found.view
                if found.identity is not None:
                    ident = found.identity
                    marks = ", ".join(found.match.markers) if found.match else ""
                    check = _check(
                        "scheme-profile",
                        CheckOutcome.PASSED,
                        f"the signer certificate is a {ident.scheme} certificate of type "
                        f"'{ident.assurance.scheme_level}' (adapter {ident.adapter}"
                        + (f": {marks}" if marks else "")
                        + ")",
                        view.subject or None,
                        index,
                    )
                    result = _replace(
                        result,
                        {
                            "identity": ident,
                            "adapter": ident.adapter,
                            "checks": (*result.checks, check),
                        },
                    )
                elif found.problem is not None:
                    outcome = CheckOutcome.INDETERMINATE if asked else CheckOutcome.WARNING
                    check = _check(
                        "scheme-profile", outcome, found.problem, view.subject or None, index
                    )
                    if asked:
                        result = _downgrade(
                            result,
                            SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                            f"the signature verifies, but its certificate cannot be attributed "
                            f"to a scheme: {found.problem}",
                            check,
                        )
                    else:
                        result = _replace(result, {"checks": (*result.checks, check)})
                elif asked:
                    names = ", ".join(a.name for a in registry.certificate_adapters()) or "none"
                    check = _check(
                        "scheme-profile",
                        CheckOutcome.SKIPPED,
                        "no scheme adapter recognised the signer certificate (certificate "
                        f"adapters: {names}); this says nothing about the signature itself",
                        view.subject or None,
                        index,
                    )
                    result = _replace(result, {"checks": (*result.checks, check)})

    if expected is not None:
        result = _check_expected(result, expected, registry)
    if "purpose" not in options and "require_assurance" not in options:
        return result  # recognition was not asked for (apply_recognition's own first test)
    return apply_recognition(result, options=options, at=ctx.at, registry=registry, view=view)


def _scheme_label(identity: Identity) -> str:
    return f"'{identity.scheme}' ({identity.adapter})"


def _check_expected(
    result: VerificationResult, expected: str, registry: SchemeRegistry
) -> VerificationResult:
    identity = result.identity
    if identity is not None and expected in (identity.scheme, identity.adapter):
        check = _check(
            "scheme",
            CheckOutcome.PASSED,
            f"the evidence is of the expected scheme {expected!r}",
        )
        return _replace(result, {"checks": (*result.checks, check)})
    known = {a.name for a in registry.adapters()} | {a.scheme for a in registry.adapters()}
    if expected not in known:
        why = f"no adapter for scheme {expected!r} is registered"
    elif identity is not None:
        why = (
            f"the evidence is of scheme {_scheme_label(identity)}, not the expected "
            f"{expected!r}: a certificate of one scheme presented as another"
        )
    else:
        why = f"no scheme adapter attributed the evidence to the expected scheme {expected!r}"
    check = _check("scheme", CheckOutcome.INDETERMINATE, why)
    return _downgrade(
        result,
        SubIndication.CHAIN_CONSTRAINTS_FAILURE,
        f"the signature verifies, but {why}",
        check,
    )


def _registry(registry: SchemeRegistry | None) -> SchemeRegistry:
    """The registry of the verification; a context without one is a programmer error."""
    if not isinstance(registry, SchemeRegistry):
        raise InvalidArgument(
            "the scheme registry of the verification is needed: pass registry=ctx.schemes "
            f"(got {type(registry).__name__})"
        )
    return registry
