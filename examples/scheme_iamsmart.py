"""iAM Smart: a profile callback and a hash-signing result, against a mock iAM Smart.

The mock speaks the public envelopes (HMAC-signed requests, AES-256-GCM content, the getKey
reply's plain-object content, callbacks carrying their own wrapped content key, the public
reply codes); the service side is bayident's iAM Smart adapter behind verify(). The end
shows what a declined signing and an HKIC mismatch (D70005) give.
Run: python examples/scheme_iamsmart.py
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime

import bayident
from bayident.identifiers import hkid_hash
from bayident.schemes import scheme_evidence
from bayident.schemes.iamsmart import decrypt_content, parse_key_reply, parse_reply
from bayident.testing import MockClock, MockIAmSmart, sandbox_registry

clock = MockClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
iam = MockIAmSmart(clock=clock)
user = iam.enrol("A123456(3)", "CHAN, Tai Man", zh_name="陳大文", birth_date="19800131")

registry = sandbox_registry(iam.adapter(), iam.hongkong_post.adapter())
with iam.client() as api:
    # 0. The content key: getKey's content is a plain JSON object.
    key_reply = parse_key_reply(iam.call(api, "/api/v1/security/getKey", {}, encrypt=False).content)
    if key_reply.content_key(iam.service_key) != iam.content_key:
        sys.exit("getKey: the unwrapped content key is not the mock's")
    print("getKey: content key valid for", (key_reply.expires_in or 0) // 3_600_000, "hours")

    # 1. Sign-in: the user approves in the app; the service exchanges the code.
    reply = parse_reply(
        iam.call(
            api,
            "/api/v1/auth/getToken",
            {"code": iam.authorise(user), "grantType": "authorization_code"},
        ).content
    )
    token = json.loads(decrypt_content(iam.content_key, reply.content or ""))

    # 2. The profile arrives as a signed, encrypted callback.
    headers, body = iam.profile_callback(user)
    evidence = scheme_evidence(
        "iamsmart",
        "profile-callback",
        {"headers": headers, "body": body, "openID": token["openID"]},
    )
    signed_in = bayident.verify(evidence, at=clock.now(), schemes=registry)
    print("profile:", signed_in.indication.value, "-", signed_in.message)
    if signed_in.identity is None:
        sys.exit(signed_in.explain())
    hkid = signed_in.identity.identifier("HKID")
    print("  HKID", hkid.value if hkid else "-", "| born", signed_in.identity.date_of_birth)

    # 3. The user signs the form's hash with their iAM Smart-Cert.
    form = b"Application form, signed by CHAN Tai Man"
    request = {
        "hashCode": hashlib.sha256(form).hexdigest(),
        "HKICHash": hkid_hash(user.hkid),
        "businessID": "BIZ-1",
        "state": "st-1",
    }
    iam.call(
        api,
        "/api/v1/account/signing/initiateRequest",
        {**request, "accessToken": token["accessToken"], "openID": token["openID"]},
    )
    headers, body = iam.pop_callback()
    evidence = scheme_evidence(
        "iamsmart",
        "signing-callback",
        {"headers": headers, "body": body, "request": request, "signer": {"hkid": user.hkid}},
    )
    signed = bayident.verify(
        evidence,
        content=form,
        trust=iam.hongkong_post.trust_store(),
        extra_certs=iam.hongkong_post.intermediates(),
        at=clock.now(),
        schemes=registry,
    )
    print("signature:", signed.indication.value, "-", signed.message)
    for check in signed.checks:
        print(f"  {check.outcome.value:>8} {check.name}")
    if not (signed_in.passed and signed.passed):
        sys.exit(signed.explain())

    # 4. Outcomes that are not a success say what happened.
    expected = {"D70001": "INDETERMINATE", "D70005": "FAILED"}
    for code, indication in expected.items():
        headers, body = iam.callback(None, code=code)
        outcome = bayident.verify(
            scheme_evidence(
                "iamsmart",
                "signing-callback",
                {
                    "headers": headers,
                    "body": body,
                    "request": request,
                    "signer": {"hkid": user.hkid},
                },
            ),
            at=clock.now(),
            schemes=registry,
        )
        print(f"{code}: {outcome.indication.value} - {outcome.message}")
        if outcome.indication.value != indication:
            sys.exit(outcome.explain())
