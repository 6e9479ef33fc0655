"""Userinfo evidence: an identity platform's answer for an opaque OAuth2 access token.

Public integrations of the Guangdong unified identity platform (``tyrz.gd.gov.cn``)
use an OAuth 2.0 authorisation-code flow (RFC 6749 §4.1) that ends with an opaque
access token and a userinfo call, not a signed ID token. The service passes the access
token as evidence ``{"accessToken": "..."}`` (type ``userinfo``); bayident fetches the
userinfo through the verifier's httpx client (or the adapter's) from the endpoint the
profile configures, and maps the answer's claims with the profile's claim names.

Nothing about the platform is assumed: the endpoint, the HTTP method, how the token is
sent (an RFC 6750 bearer header unless configured otherwise), where the claims sit in
the answer and the claim names are all :class:`~bayident.schemes.TokenProfile`
settings. What vouches for the answer is the TLS connection to the configured endpoint,
so the endpoint must be https (or loopback http for tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from .._handlers import EvidenceContext
from .._http import Answer, HttpProblem, Reading, afetch, fetch
from .._result import Check, CheckOutcome, Indication, SubIndication, VerificationResult
from ._base import SchemeEvidence, parse_json_object
from ._dispatch import EVIDENCE_FORMAT, apply_recognition
from ._fields import fail, req_str

if TYPE_CHECKING:
    from ._tokens import TokenAdapter

__all__ = ["MAX_ACCESS_TOKEN_CHARS", "userinfo_request", "verify_userinfo"]

MAX_ACCESS_TOKEN_CHARS = 4096
_TIMEOUT = 10.0


def userinfo_request(adapter: TokenAdapter, token: str) -> httpx.Request:
    """The userinfo request the profile describes, for ``token``."""
    p = adapter.profile
    if p.userinfo_endpoint is None:
        raise fail(
            "configuration",
            SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE,
            f"the {p.display_name} profile has no userinfo_endpoint: the platform's endpoint "
            "is not public, so it must be configured from the service's registration",
            "TokenProfile.userinfo_endpoint",
        )
    headers = {"Accept": "application/json"}
    params: dict[str, str] = {}
    data: dict[str, str] | None = None
    if p.userinfo_send_as == "header":
        headers["Authorization"] = f"Bearer {token}"
    else:
        assert p.userinfo_parameter is not None  # the profile validates this
        if p.userinfo_send_as == "query":
            params[p.userinfo_parameter] = token
        else:
            data = {p.userinfo_parameter: token}
    return httpx.Request(
        p.userinfo_method, p.userinfo_endpoint, headers=headers, params=params, data=data
    )


def _reading(adapter: TokenAdapter) -> Reading:
    # Redirects are not followed: the token goes to the configured endpoint only.
    return Reading(
        limit=adapter.profile.userinfo_max_bytes,
        timeout=_TIMEOUT,
        what="the userinfo answer",
        follow_redirects=False,
    )


def _claims(adapter: TokenAdapter, answer: Answer) -> Mapping[str, Any]:
    p = adapter.profile
    where = p.userinfo_endpoint
    if answer.status in (401, 403):
        raise fail(
            "userinfo",
            SubIndication.SIG_CONSTRAINTS_FAILURE,
            f"the userinfo endpoint {where} refused the access token (HTTP "
            f"{answer.status}): it is unknown, expired or revoked",
            "accessToken",
        )
    if answer.status != 200:
        raise fail(
            "userinfo",
            SubIndication.TRY_LATER,
            f"the userinfo endpoint {where} answered HTTP {answer.status}",
            "userinfo",
        )
    document: Any = parse_json_object(answer.body, "userinfo", p.userinfo_max_bytes)
    path = "userinfo"
    for step in p.userinfo_claims_path:
        path += f".{step}"
        document = document.get(step) if isinstance(document, dict) else None
        if not isinstance(document, dict):
            raise fail(
                "userinfo",
                SubIndication.FORMAT_FAILURE,
                f"{path} is not an object (TokenProfile.userinfo_claims_path)",
                path,
            )
    return document  # type: ignore[no-any-return]


def _transport_failure(adapter: TokenAdapter, exc: HttpProblem) -> Exception:
    if exc.problem in ("too-large", "truncated"):
        return fail("userinfo", SubIndication.FORMAT_FAILURE, exc.reason, "userinfo")
    # Only the kind of failure: a transport error's text may carry the URL, and with it
    # an access token sent as a query parameter.
    return fail(
        "userinfo",
        SubIndication.TRY_LATER,
        f"the userinfo endpoint {adapter.profile.userinfo_endpoint} could not be reached "
        f"({exc.problem})",
        "userinfo",
    )


def _finish(
    adapter: TokenAdapter, claims: Mapping[str, Any], ctx: EvidenceContext
) -> VerificationResult:
    identity = adapter.identity_from_claims(claims)
    p = adapter.profile
    ctx.checks.append(
        Check(
            name="userinfo",
            outcome=CheckOutcome.PASSED,
            message=f"{p.userinfo_endpoint} answered for the access token over TLS",
            concerns="accessToken",
        )
    )
    ctx.checks.append(
        Check(
            name="claims-mapping",
            outcome=CheckOutcome.PASSED,
            message=f"{p.display_name} userinfo claims map to an identity with assurance "
            f"'{identity.assurance.level.value}' "
            f"({identity.assurance.scheme_level or 'no level claim'})",
            concerns="claims",
        )
    )
    assert ctx.make_result is not None
    result = ctx.make_result(
        Indication.PASSED,
        None,
        f"{p.display_name} userinfo for {identity.name_zh or identity.name_en or 'the user'} "
        "verified",
        evidence_format=EVIDENCE_FORMAT,
        adapter=adapter.name,
    ).model_copy(update={"identity": identity})
    return apply_recognition(
        result, options=ctx.options, at=ctx.at, registry=ctx.schemes, purpose="authenticate"
    )


def _token(evidence: SchemeEvidence) -> str:
    token = req_str(
        evidence.data,
        "accessToken",
        "accessToken",
        max_length=MAX_ACCESS_TOKEN_CHARS,
        check="userinfo",
    ).strip()
    if any(c.isspace() or not c.isprintable() for c in token):
        raise fail(
            "userinfo",
            SubIndication.FORMAT_FAILURE,
            "accessToken holds spaces or control characters",
            "accessToken",
        )
    return token


def verify_userinfo(
    adapter: TokenAdapter, evidence: SchemeEvidence, ctx: EvidenceContext
) -> VerificationResult:
    """Fetch the userinfo for the evidence's access token and map it to an identity."""
    request = userinfo_request(adapter, _token(evidence))
    client = adapter.http_client or ctx.http_client
    try:
        answer = fetch(client, request, _reading(adapter))
    except HttpProblem as exc:
        raise _transport_failure(adapter, exc) from None
    return _finish(adapter, _claims(adapter, answer), ctx)


async def averify_userinfo(
    adapter: TokenAdapter, evidence: SchemeEvidence, ctx: EvidenceContext
) -> VerificationResult:
    """As :func:`verify_userinfo`, with the async client when one is given."""
    request = userinfo_request(adapter, _token(evidence))
    client = adapter.async_http_client or ctx.async_http_client
    if client is None:
        return verify_userinfo(adapter, evidence, ctx)
    try:
        answer = await afetch(client, request, _reading(adapter))
    except HttpProblem as exc:
        raise _transport_failure(adapter, exc) from None
    return _finish(adapter, _claims(adapter, answer), ctx)
