"""Identity tokens (OIDC ID tokens, JWTs) of identity platforms, as configurable profiles.

Neither the Guangdong unified identity authentication platform nor Macao One Account
publishes a token format for third parties, so each is a :class:`TokenProfile`: the
issuer, where its keys are (a JWKS URL or a JWKS document), the audience, the claim that
carries each identity attribute and how the assurance claim maps to the common scale. The
defaults name standard OpenID Connect claims (``sub``, ``name``, ``birthdate``, ``acr``);
the issuer and keys have no default and must be configured. The token is verified with
:func:`bayident.jose.verify_jwt` (signature with a key from the configured set,
``exp``/``nbf``/``iat``, ``iss``, ``aud``).
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .._exceptions import InvalidArgument
from .._handlers import EvidenceContext
from .._identity import Assurance, AssuranceLevel, Identity, IdentityIdentifier
from .._result import Check, CheckOutcome, SubIndication, VerificationResult
from ..identifiers import IdentifierKind
from ..identifiers import validate as _validate_identifier
from ._base import SchemeEvidence, scheme_evidence
from ._dispatch import EVIDENCE_FORMAT, apply_recognition
from ._fields import fail, req_str

if TYPE_CHECKING:
    from .._policy import Policy
    from .._verifier import TrustArg, Verifier

__all__ = ["TokenAdapter", "TokenProfile"]

MAX_TOKEN_CHARS = 16 * 1024
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_KNOWN_KINDS = {k.value for k in IdentifierKind}


class TokenProfile(BaseModel):
    """How one identity platform's tokens are verified and read.

    ``issuer`` and one of ``jwks_url`` / ``jwks`` are required before tokens verify; the
    adapter reports 'not configured' otherwise. ``identifier_claims`` maps claim names to
    identifier kinds (validated, check characters included, for the kinds
    :mod:`bayident.identifiers` knows). ``assurance_levels`` maps values of
    ``assurance_claim`` to the common scale; a value outside it is refused. When the claim
    is absent, ``default_assurance`` applies, or the token is refused if there is none.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    adapter: str = Field(min_length=1, max_length=64)
    scheme: str = Field(min_length=1, max_length=64)
    jurisdiction: str
    display_name: str
    issuer: str | None = None
    jwks_url: str | None = None
    jwks: dict[str, Any] | None = None
    audience: str | tuple[str, ...] | None = None
    algorithms: tuple[str, ...] | None = ("RS256", "PS256", "ES256", "ES384", "EdDSA")
    typ: str | None = None
    leeway_seconds: float | None = None
    required_claims: tuple[str, ...] = ("exp",)
    subject_claim: str = "sub"
    subject_kind: str
    name_claim: str | None = "name"
    name_en_claim: str | None = None
    name_zh_claim: str | None = None
    birthdate_claim: str | None = "birthdate"
    identifier_claims: tuple[tuple[str, str], ...] = ()
    organisation_claim: str | None = None
    assurance_claim: str | None = "acr"
    assurance_levels: dict[str, AssuranceLevel] = Field(default_factory=dict)
    default_assurance: AssuranceLevel | None = None
    assurance_basis: str = ""
    sources: tuple[str, ...] = ()
    # Userinfo evidence (an opaque OAuth2 access token; see ``_userinfo``): every value
    # is the platform's, from the service's registration; none is assumed.
    userinfo_endpoint: str | None = None
    userinfo_method: Literal["GET", "POST"] = "GET"
    userinfo_send_as: Literal["header", "query", "form"] = "header"
    userinfo_parameter: str | None = None
    userinfo_claims_path: tuple[str, ...] = ()
    userinfo_max_bytes: int = Field(default=64 * 1024, gt=0, le=4 * 1024 * 1024)

    @field_validator("jwks_url", "userinfo_endpoint")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(
            ("https://", "http://127.0.0.1", "http://localhost", "http://[::1]")
        ):
            raise ValueError("URLs must be https (or http on a loopback address for tests)")
        return value

    @model_validator(mode="after")
    def _token_parameter(self) -> TokenProfile:
        if self.userinfo_send_as != "header" and not self.userinfo_parameter:
            raise ValueError(
                "userinfo_parameter is required when the token is not sent in the "
                "Authorization header"
            )
        if self.userinfo_send_as == "form" and self.userinfo_method != "POST":
            raise ValueError("a form-encoded token needs userinfo_method 'POST'")
        return self

    @property
    def configured(self) -> bool:
        """Whether the issuer and its keys are set."""
        return self.issuer is not None and (self.jwks_url is not None or self.jwks is not None)


class TokenAdapter:
    """Verifies identity tokens of one platform and maps their claims to an Identity.

    ``http_client`` / ``async_http_client`` fetch the JWKS (default: the verifier's).
    Evidence types: ``id-token`` with data ``{"token": "<compact JWT>"}``, and
    ``userinfo`` with data ``{"accessToken": "<opaque token>"}``, whose userinfo is fetched
    from the profile's ``userinfo_endpoint`` (see :mod:`._userinfo`);
    :meth:`verify_token` wraps a token and verifies it in one call.
    """

    evidence_types = ("id-token", "userinfo")
    default_purpose = "authenticate"

    def __init__(
        self,
        profile: TokenProfile,
        *,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if not isinstance(profile, TokenProfile):
            raise InvalidArgument("profile must be a TokenProfile")
        self.profile = profile
        self.name = profile.adapter
        self.scheme = profile.scheme
        self.jurisdiction = profile.jurisdiction
        self.http_client = http_client
        self.async_http_client = async_http_client
        self._resolvers: dict[tuple[int, int], Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, issuer={self.profile.issuer!r})"

    # --- keys -------------------------------------------------------------------------
    def _keys(self, ctx: EvidenceContext) -> Any:
        p = self.profile
        if not p.configured:
            missing = "issuer" if p.issuer is None else "jwks_url or jwks"
            raise fail(
                "configuration",
                SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE,
                f"the {p.display_name} profile is not configured ({missing} is not set): no "
                "public token format exists, so the platform's issuer and keys must be given",
                f"TokenProfile.{missing.split()[0]}",
            )
        if p.jwks is not None:
            return p.jwks
        from ..jose import JWKSResolver

        assert p.jwks_url is not None
        sync_client = self.http_client or ctx.http_client
        async_client = self.async_http_client or ctx.async_http_client
        key = (id(sync_client), id(async_client))
        with self._lock:
            resolver = self._resolvers.get(key)
            if resolver is None:
                resolver = JWKSResolver(p.jwks_url, sync_client, async_client=async_client)
                self._resolvers[key] = resolver
        return resolver

    def _jwt_options(self, ctx: EvidenceContext) -> dict[str, Any]:
        """The token check's settings: the profile's rules, and the verification it is part of.

        The token is checked through the verifier running the evidence (its trust for an
        ``x5c`` chain, its HTTP clients, clock, caches and revocation service), at that
        verification's time, under its policy and with its extra certificates; only a
        context made without a verifier gets a verifier of its own, with no trust. The
        adapter's own HTTP clients, when given, fetch its JWKS.
        """
        p = self.profile
        required = tuple(dict.fromkeys((*p.required_claims, p.subject_claim)))
        options: dict[str, Any] = {
            "issuer": p.issuer,
            "audience": p.audience,
            "typ": p.typ,
            "at": ctx.at,
            "leeway": p.leeway_seconds,
            "required_claims": required,
            "algorithms": p.algorithms,
            "policy": ctx.policy,
            "extra_certs": ctx.extra_certs,
        }
        if ctx.verifier is not None:
            options["verifier"] = ctx.verifier
        return options

    # --- verification -----------------------------------------------------------------
    def verify_evidence(self, evidence: SchemeEvidence, ctx: EvidenceContext) -> VerificationResult:
        """Verify the token in ``evidence.data['token']`` and map its claims."""
        from ..jose import verify_jwt

        if evidence.type == "userinfo":
            from ._userinfo import verify_userinfo

            return verify_userinfo(self, evidence, ctx)
        token = req_str(evidence.data, "token", "token", max_length=MAX_TOKEN_CHARS, check="token")
        keys = self._keys(ctx)
        jwt = verify_jwt(
            token.strip(),
            jwks=keys,
            http_client=self.http_client or ctx.http_client,
            **self._jwt_options(ctx),
        )
        return self._finish(jwt, ctx)

    async def averify_evidence(
        self, evidence: SchemeEvidence, ctx: EvidenceContext
    ) -> VerificationResult:
        """As :meth:`verify_evidence`, fetching the JWKS without blocking."""
        from ..jose import averify_jwt

        if evidence.type == "userinfo":
            from ._userinfo import averify_userinfo

            return await averify_userinfo(self, evidence, ctx)
        token = req_str(evidence.data, "token", "token", max_length=MAX_TOKEN_CHARS, check="token")
        keys = self._keys(ctx)
        jwt = await averify_jwt(
            token.strip(),
            jwks=keys,
            async_http_client=self.async_http_client or ctx.async_http_client,
            **self._jwt_options(ctx),
        )
        return self._finish(jwt, ctx)

    def _finish(self, jwt: Any, ctx: EvidenceContext) -> VerificationResult:
        result: VerificationResult = jwt.result
        base = {"adapter": self.name, "evidence_format": EVIDENCE_FORMAT}
        if not jwt.passed:
            return result.model_copy(update=base)
        identity = self.identity_from_claims(jwt.claims)
        check = Check(
            name="claims-mapping",
            outcome=CheckOutcome.PASSED,
            message=f"{self.profile.display_name} claims map to an identity with assurance "
            f"'{identity.assurance.level.value}' ({identity.assurance.scheme_level or 'no level claim'})",
            concerns="claims",
        )
        result = result.model_copy(
            update={**base, "identity": identity, "checks": (*result.checks, check)}
        )
        return apply_recognition(
            result, options=ctx.options, at=ctx.at, registry=ctx.schemes, purpose="authenticate"
        )

    # --- claims -----------------------------------------------------------------------
    def _claim_str(
        self, claims: Mapping[str, Any], name: str, *, required: bool, max_length: int = 256
    ) -> str | None:
        value = claims.get(name)
        if value is None:
            if required:
                raise fail(
                    "claims-mapping",
                    SubIndication.FORMAT_FAILURE,
                    f"claim {name!r} is missing, and the {self.profile.display_name} profile "
                    "needs it",
                    f"claims.{name}",
                )
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > max_length:
            raise fail(
                "claims-mapping",
                SubIndication.FORMAT_FAILURE,
                f"claim {name!r} must be a non-empty string of at most {max_length} characters",
                f"claims.{name}",
            )
        return value.strip()

    def identity_from_claims(self, claims: Mapping[str, Any]) -> Identity:
        """Map verified claims to an :class:`~bayident.Identity`.

        :raises SchemeFailure: FORMAT_FAILURE naming the claim that is missing or invalid.
        """
        p = self.profile
        subject = self._claim_str(claims, p.subject_claim, required=True)
        assert subject is not None
        identifiers = [
            IdentityIdentifier(
                kind=p.subject_kind, value=subject, verified_by=f"claim {p.subject_claim!r}"
            )
        ]
        for claim, kind in p.identifier_claims:
            value = self._claim_str(claims, claim, required=False, max_length=64)
            if value is None:
                continue
            if kind in _KNOWN_KINDS:
                check = _validate_identifier(kind, value)
                if not check.valid or check.normalized is None:
                    raise fail(
                        "claims-mapping",
                        SubIndication.FORMAT_FAILURE,
                        f"claim {claim!r} is not a valid {kind}: {check.reason}",
                        f"claims.{claim}",
                    )
                value = check.normalized
            identifiers.append(
                IdentityIdentifier(kind=kind, value=value, verified_by=f"claim {claim!r}")
            )
        name = self._claim_str(claims, p.name_claim, required=False) if p.name_claim else None
        name_en = (
            self._claim_str(claims, p.name_en_claim, required=False) if p.name_en_claim else None
        )
        name_zh = (
            self._claim_str(claims, p.name_zh_claim, required=False) if p.name_zh_claim else None
        )
        if name is not None:
            if _CJK.search(name):
                name_zh = name_zh or name
            else:
                name_en = name_en or name
        dob: _dt.date | None = None
        if p.birthdate_claim:
            raw = self._claim_str(claims, p.birthdate_claim, required=False, max_length=10)
            if raw is not None:
                try:
                    dob = _dt.date.fromisoformat(raw)
                except ValueError:
                    raise fail(
                        "claims-mapping",
                        SubIndication.FORMAT_FAILURE,
                        f"claim {p.birthdate_claim!r} is not a date YYYY-MM-DD",
                        f"claims.{p.birthdate_claim}",
                    ) from None
        organisation = (
            self._claim_str(claims, p.organisation_claim, required=False)
            if p.organisation_claim
            else None
        )
        level, scheme_level = self._assurance(claims)
        org_kinds = {"CN_USCC"}
        is_org = any(i.kind in org_kinds for i in identifiers) and not any(
            i.kind in ("CN_RIC", "HKID", "MO_BIR", "HK_MO_TRAVEL_PERMIT") for i in identifiers
        )
        return Identity(
            scheme=p.scheme,
            adapter=self.name,
            jurisdiction=p.jurisdiction,
            subject_type="organisation" if is_org else "person",
            identifiers=tuple(identifiers),
            name_en=name_en,
            name_zh=name_zh,
            organisation=organisation,
            date_of_birth=dob,
            assurance=Assurance(
                scheme_level=scheme_level,
                level=level,
                basis=(
                    f"{p.display_name} level {scheme_level!r} maps to '{level.value}'"
                    if scheme_level
                    else f"{p.display_name} token without a level claim: default '{level.value}'"
                )
                + (f" ({p.assurance_basis})" if p.assurance_basis else ""),
            ),
            evidence=f"{p.display_name} token from issuer {p.issuer!r} for subject {subject[:64]!r}",
        )

    def _assurance(self, claims: Mapping[str, Any]) -> tuple[AssuranceLevel, str | None]:
        p = self.profile
        raw = claims.get(p.assurance_claim) if p.assurance_claim else None
        if raw is None:
            if p.default_assurance is None:
                raise fail(
                    "claims-mapping",
                    SubIndication.FORMAT_FAILURE,
                    f"claim {p.assurance_claim!r} (the assurance level) is missing and the "
                    f"{p.display_name} profile has no default_assurance",
                    f"claims.{p.assurance_claim}",
                )
            return p.default_assurance, None
        value = str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
        if value is None or value not in p.assurance_levels:
            known = ", ".join(sorted(p.assurance_levels)) or "none configured"
            raise fail(
                "claims-mapping",
                SubIndication.FORMAT_FAILURE,
                f"claim {p.assurance_claim!r} is {str(raw)[:40]!r}, not a level of the "
                f"{p.display_name} profile ({known})",
                f"claims.{p.assurance_claim}",
            )
        return p.assurance_levels[value], value

    # --- one call ---------------------------------------------------------------------
    def verify_token(
        self,
        token: str | bytes,
        *,
        trust: TrustArg = None,
        at: _dt.datetime | None = None,
        policy: Policy | None = None,
        purpose: str | None = None,
        require_assurance: str | None = None,
        verifier: Verifier | None = None,
    ) -> VerificationResult:
        """Verify ``token`` with this adapter and return the result.

        The verification runs through ``verifier`` (or a new one with ``trust``, ``policy``
        and this adapter's HTTP client), with a copy of its scheme registry in which this
        adapter replaces its namesake: whatever that registry holds, this adapter decides.
        """
        from .._verifier import Verifier

        text = token.decode("utf-8", "replace") if isinstance(token, bytes | bytearray) else token
        if not isinstance(text, str):
            raise InvalidArgument(f"token must be str or bytes, not {type(token).__name__}")
        evidence = scheme_evidence(self.name, "id-token", {"token": text})
        v = verifier or Verifier(trust=trust, policy=policy, http_client=self.http_client)
        registry = v.schemes.copy()
        registry.register(self, replace=True)
        return v.derive(schemes=registry).verify(
            evidence,
            at=at,
            policy=policy if verifier is not None else None,
            purpose=purpose,
            require_assurance=require_assurance,
        )
