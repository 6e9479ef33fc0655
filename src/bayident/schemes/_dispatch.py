"""How ``verify()`` reaches the scheme adapters.

* :class:`SchemeEvidenceHandler` is an evidence handler: it claims scheme-evidence
  envelopes and hands them to the evidence adapter of the scheme they name. It is asked
  before the JWS handler, whose detection of JSON-serialised JWS would also claim an
  envelope whose data mentions ``"signature"`` and ``"header"``.
* :func:`enrich` is a result enricher: it maps the first signer's certificate to an
  :class:`~bayident.Identity` with the certificate adapters, checks the scheme a caller
  expected (:func:`verify_as`), and applies the recognition policy when ``verify()`` was
  given ``purpose`` or ``require_assurance``.

A signature is never *failed* here: whether a certificate belongs to a known scheme, or is
admitted by the recognition policy, says nothing about the signature itself. When the
caller asked for a scheme or for recognition and the answer is no, a PASSED result
becomes INDETERMINATE (see ``docs/schemes/index.md`` for the sub-indications).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from pydantic import BaseModel, ConfigDict

from .._exceptions import InputError, InvalidArgument
from .._handlers import EnrichmentContext, EvidenceContext
from .._identity import Identity, IdentityIdentifier
from .._result import Check, CheckOutcome, Indication, SubIndication, VerificationResult, _replace
from ..identifiers import IdentifierKind, hkid_hash
from ..identifiers import validate as _validate_identifier
from ._base import (
    CertificateAdapter,
    CertificateView,
    ProfileError,
    ProfileMatch,
    SchemeFailure,
    SchemeRegistry,
    active_registry,
    looks_like_scheme_evidence,
    parse_scheme_evidence,
)

if TYPE_CHECKING:
    import datetime as _dt

    from .._input import Content, Evidence
    from .._policy import Policy
    from .._trust import CertificateSource, TrustAnchor
    from .._verifier import TrustArg, Verifier

__all__ = [
    "EVIDENCE_FORMAT",
    "HKIDMatch",
    "SchemeEvidenceHandler",
    "apply_recognition",
    "averify_as",
    "enrich",
    "failure_result",
    "identify_certificate",
    "identity_matches_hkid",
    "verify_as",
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
        registry = active_registry()
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


_CACHE: OrderedDict[tuple[Any, ...], CertificateIdentification] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 2048


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
    anchor_key = (
        (
            anchor.fingerprint,
            anchor.jurisdiction,
            anchor.status,
            anchor.status_history,
            anchor.list_territory,
            anchor.scheme,
            anchor.service_type,
        )
        if anchor is not None
        else None
    )
    key = (leaf_der, tuple(path_ders), anchor_key, id(registry), registry.version)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    view = CertificateView.from_der(leaf_der, path_ders, anchor, load=load)
    matches: list[tuple[CertificateAdapter, ProfileMatch]] = []
    for adapter in registry.certificate_adapters():
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
    with _CACHE_LOCK:
        _CACHE[key] = out
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
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

    Sets ``result.recognition`` and adds a ``recognition`` check. When recognition does
    not admit, the result becomes INDETERMINATE with CHAIN_CONSTRAINTS_FAILURE (a
    certificate rule decided: the chain does not meet the relying party's constraints) or
    SIG_CONSTRAINTS_FAILURE (an identity rule decided on non-certificate evidence).
    """
    if not ("purpose" in options or "require_assurance" in options):
        return result
    if not result.passed or result.recognition is not None:
        return result
    reg = registry or active_registry()
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
    """The result enricher registered with ``verify()``."""
    registry = active_registry()
    expected = ctx.expected_scheme
    options = ctx.options
    asked = expected is not None or "purpose" in options or "require_assurance" in options
    view: CertificateView | None = None

    if result.identity is None and result.passed and ctx.signers:
        signer = next((s for s in ctx.signers if s[1] is not None), None)
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


# ------------------------------------------------------------------------- verify_as


def _verifier(trust: TrustArg, policy: Policy | None, verifier: Verifier | None) -> Verifier:
    from .._verifier import Verifier

    if verifier is not None:
        if trust is not None:
            raise InvalidArgument("pass trust to the Verifier or here, not both")
        return verifier
    return Verifier(trust=trust, policy=policy)


def verify_as(
    scheme: str,
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
    verifier: Verifier | None = None,
) -> VerificationResult:
    """:func:`bayident.verify`, and the evidence must belong to ``scheme``.

    A signature whose certificate another scheme's adapter claims (an eSignTrust
    certificate presented as a Hongkong Post e-Cert), or that no adapter recognises,
    gives INDETERMINATE / CHAIN_CONSTRAINTS_FAILURE with a ``scheme`` check saying which
    scheme it is; so does an unknown ``scheme``.
    """
    if not isinstance(scheme, str) or not scheme:
        raise InvalidArgument("scheme must be a non-empty str")
    # The expected scheme is the verifier's setting; the derived verifier shares the
    # caller's trust, clients, clock and caches.
    v = _verifier(trust, policy, verifier).derive(expected_scheme=scheme)
    return v.verify(
        evidence,
        content=content,
        at=at,
        policy=policy if verifier is not None else None,
        extra_certs=extra_certs,
        crls=crls,
        purpose=purpose,
        require_assurance=require_assurance,
    )


async def averify_as(
    scheme: str,
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
    verifier: Verifier | None = None,
) -> VerificationResult:
    """Asynchronous :func:`verify_as`."""
    if not isinstance(scheme, str) or not scheme:
        raise InvalidArgument("scheme must be a non-empty str")
    v = _verifier(trust, policy, verifier).derive(expected_scheme=scheme)
    return await v.averify(
        evidence,
        content=content,
        at=at,
        policy=policy if verifier is not None else None,
        extra_certs=extra_certs,
        crls=crls,
        purpose=purpose,
        require_assurance=require_assurance,
    )


# ------------------------------------------------------------------- HKID matching


class HKIDMatch(BaseModel):
    """Whether an identity is the holder of an HKID number.

    ``outcome`` is ``'match'``, ``'mismatch'``, ``'undecidable'`` (the identity carries
    the HKID only in a protected form whose method is not configured, or no HKID at all)
    or ``'invalid-hkid'`` (the number given is malformed or its check digit is wrong).
    Only ``matched`` (``outcome == 'match'``) should be relied on.
    """

    model_config = ConfigDict(frozen=True)

    outcome: Literal["match", "mismatch", "undecidable", "invalid-hkid"]
    reason: str
    identifier_kind: str | None = None

    @property
    def matched(self) -> bool:
        """True only for a match."""
        return self.outcome == "match"


def identity_matches_hkid(
    result_or_identity: VerificationResult | Identity, hkid: str
) -> HKIDMatch:
    """Whether the verified identity is the holder of ``hkid``.

    Compared in turn: an HKID the identity carries in clear (an iAM Smart profile); an
    ``HKIC_HASH`` (iAM Smart's public Base64(SHA-256) of the HKID without check digit);
    a protected HKID (a Hongkong Post e-Cert (Personal)) through the adapter's configured
    :class:`~bayident.schemes.hkpost.ProtectedHKID` method, if any. The e-Cert's protected
    HKID is never decoded.
    """
    if isinstance(result_or_identity, VerificationResult):
        identity = result_or_identity.identity
        if identity is None or not result_or_identity.passed:
            return HKIDMatch(
                outcome="undecidable",
                reason="the result carries no verified identity"
                if identity is None
                else "the result did not pass, so its identity is not relied on",
            )
    elif isinstance(result_or_identity, Identity):
        identity = result_or_identity
    else:
        raise InvalidArgument(
            f"expected a VerificationResult or an Identity, not {type(result_or_identity).__name__}"
        )
    if not isinstance(hkid, str):
        raise InvalidArgument(f"hkid must be a str, not {type(hkid).__name__}")
    check = _validate_identifier(IdentifierKind.HKID, hkid)
    if not check.valid or check.normalized is None:
        return HKIDMatch(
            outcome="invalid-hkid", reason=f"the HKID given is not valid: {check.reason}"
        )
    wanted = check.normalized
    undecided: list[str] = []
    for ident in identity.identifiers:
        if ident.kind == "HKID" and not ident.protected:
            same = _validate_identifier(IdentifierKind.HKID, ident.value[:64]).normalized == wanted
            return HKIDMatch(
                outcome="match" if same else "mismatch",
                reason=f"the identity's HKID ({ident.verified_by or 'identifier'}) "
                + ("is" if same else "is not")
                + " the one given",
                identifier_kind="HKID",
            )
        if ident.kind == "HKIC_HASH":
            same = ident.value == hkid_hash(wanted)
            return HKIDMatch(
                outcome="match" if same else "mismatch",
                reason="HKICHash = Base64(SHA-256(HKID without check digit)) "
                + ("matches" if same else "does not match"),
                identifier_kind="HKIC_HASH",
            )
        if ident.kind == "HKID" and ident.protected:
            verdict = _protected_match(identity, ident, wanted)
            if verdict is None:
                undecided.append(
                    f"the HKID is held in protected form ({ident.verified_by}) and no method "
                    f"to match it is configured for adapter {identity.adapter!r}; Hongkong "
                    "Post does not publish the e-Cert's protection method"
                )
                continue
            return HKIDMatch(
                outcome="match" if verdict else "mismatch",
                reason="the protected HKID " + ("matches" if verdict else "does not match"),
                identifier_kind="HKID",
            )
    return HKIDMatch(
        outcome="undecidable",
        reason="; ".join(undecided) or "the identity carries no HKID in any form",
    )


def _protected_match(identity: Identity, ident: IdentityIdentifier, hkid: str) -> bool | None:
    adapter = active_registry().get(identity.adapter)
    matcher = getattr(adapter, "match_protected_hkid", None)
    if matcher is None:
        return None
    verdict = matcher(ident, hkid)
    return None if verdict is None else bool(verdict)
