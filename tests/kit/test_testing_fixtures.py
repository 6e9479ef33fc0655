"""The pytest plugin's fixtures, used as a test author would: one clock, one per issuer."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import httpx
import pytest

import bayident
from bayident import Indication
from bayident.jose import JWKSResolver, verify_jws
from bayident.schemes import SchemeRegistry
from bayident.testing import sandbox_registry

DOC = b"Application for a cross-boundary e-service account, fixture sandbox.\n"


def test_a_fixture_signature_passes_on_the_fixture_clock_and_on_real_time(
    bayident_clock: Any, bayident_ca: Any, bayident_signer: Any
) -> None:
    cms = bayident_signer.sign_detached_cms(DOC)
    trust = [bayident_ca.cert_pem]
    at_clock = bayident.verify(cms, content=DOC, trust=trust, at=bayident_clock.now())
    assert at_clock.passed, at_clock.explain()
    at_real_time = bayident.verify(cms, content=DOC, trust=trust)
    assert at_real_time.passed, at_real_time.explain()


def test_moving_the_fixture_clock_expires_the_signer(
    bayident_clock: Any, bayident_ca: Any, bayident_signer: Any
) -> None:
    cms = bayident_signer.sign_detached_cms(DOC)
    bayident_clock.advance(dt.timedelta(days=30 * 365))
    res = bayident.verify(cms, content=DOC, trust=[bayident_ca.cert_pem], at=bayident_clock.now())
    assert res.indication is Indication.INDETERMINATE
    assert not res.passed


def test_every_fixture_starts_at_the_same_instant(
    bayident_start: dt.datetime, bayident_clock: Any, bayident_signer: Any, bayident_ca: Any
) -> None:
    assert bayident_clock.now() == bayident_start
    assert bayident_ca.clock.now() == bayident_start
    # Certificates are valid from a day before, so clock skew never makes them NOT_YET_VALID.
    assert bayident_signer.certificate.not_valid_before_utc <= bayident_start - dt.timedelta(
        hours=1
    )


@pytest.fixture
def scheme_registry(bayident_hkpost_ca: Any, bayident_esigntrust_ca: Any) -> SchemeRegistry:
    return sandbox_registry(bayident_hkpost_ca.adapter(), bayident_esigntrust_ca.adapter())


def test_an_ecert_signer_is_a_hong_kong_identity(
    bayident_hkpost_ca: Any, bayident_ecert_signer: Any, scheme_registry: SchemeRegistry
) -> None:
    res = bayident.verify(
        bayident_ecert_signer.sign_detached_cms(DOC),
        content=DOC,
        trust=bayident_hkpost_ca.trust_store(),
        schemes=scheme_registry,
    )
    assert res.passed, res.explain()
    assert res.identity is not None
    assert res.identity.jurisdiction == "HK"


def test_an_esigntrust_signer_is_a_macau_identity(
    bayident_esigntrust_ca: Any, scheme_registry: SchemeRegistry
) -> None:
    signer = bayident_esigntrust_ca.issue("CHAN Man")
    res = bayident.verify(
        signer.sign_detached_cms(DOC),
        content=DOC,
        trust=bayident_esigntrust_ca.trust_store(),
        schemes=scheme_registry,
    )
    assert res.passed, res.explain()
    assert res.identity is not None
    assert res.identity.jurisdiction == "MO"


def test_a_gdca_sm2_signer_verifies(bayident_gdca_sm2_ca: Any) -> None:
    signer = bayident_gdca_sm2_ca.issue_person("LI Hua", "11010519491231002X")
    registry = sandbox_registry(bayident_gdca_sm2_ca.adapter())
    res = bayident.verify(
        signer.sign_detached_cms(DOC),
        content=DOC,
        trust=bayident_gdca_sm2_ca.trust_store(),
        schemes=registry,
    )
    assert res.passed, res.explain()
    assert res.signers[0].certificate is not None


def test_the_iamsmart_server_listens_on_loopback(bayident_iamsmart_server: Any) -> None:
    assert bayident_iamsmart_server.url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=bayident_iamsmart_server.url, timeout=5) as client:
        reply = client.post("/api/v1/security/getKey", json={})
    assert reply.status_code < 500


def test_a_jws_verifies_with_the_served_jwks(
    bayident_jwt_issuer: Any, bayident_jwks_server: Any
) -> None:
    token = bayident_jwt_issuer.sign_detached(DOC)
    with httpx.Client(timeout=5) as client:
        res = verify_jws(token, content=DOC, jwks=JWKSResolver(bayident_jwks_server.url, client))
    assert res.passed, res.explain()
    bayident_jwt_issuer.rotate(keep_old=False)
    with httpx.Client(timeout=5) as client:
        stale = verify_jws(token, content=DOC, jwks=JWKSResolver(bayident_jwks_server.url, client))
    assert not stale.passed


def test_the_revocation_services_answer_over_loopback(
    bayident_revocation_server: Any,
    bayident_ca: Any,
    bayident_intermediate_ca: Any,
    bayident_ocsp_responder: Any,
) -> None:
    signer = bayident_intermediate_ca.issue_signer(
        "Sandbox Revocable Signer", ocsp_url=bayident_ocsp_responder.url
    )
    assert bayident_ocsp_responder.url.startswith("http://127.0.0.1:")
    cms = signer.sign_detached_cms(DOC)
    with httpx.Client(timeout=5) as client:
        verifier = bayident.Verifier(trust=[bayident_ca.cert_pem], http_client=client)
        good = verifier.verify(cms, content=DOC)
        assert good.passed, good.explain()
        assert good.signers[0].revocation[0].status == "good"
        bayident_ocsp_responder.revoke(signer)
        revoked = bayident.Verifier(trust=[bayident_ca.cert_pem], http_client=client).verify(
            cms, content=DOC
        )
    assert not revoked.passed
    assert revoked.signers[0].revocation[0].status == "revoked"


def test_the_trust_list_server_serves_the_operators_lists(
    bayident_trust_list_operator: Any, bayident_trust_list_server: Any
) -> None:
    from bayident.trustlist import read_trusted_list

    xml = bayident_trust_list_operator.etsi_xml()
    bayident_trust_list_server.serve("/hk.xml", xml)
    body = httpx.get(bayident_trust_list_server.url("/hk.xml"), timeout=5).content
    assert body == xml
    document = read_trusted_list(body)
    assert document.signature_verified
    assert document.content is not None


def test_the_plugin_imports_nothing_heavy_at_pytest_start() -> None:
    # A project with bayident installed pays for its fixtures only when a test uses one.
    code = (
        "import sys, bayident.testing._plugin as p; "
        "heavy = sorted(m for m in sys.modules if m.startswith(('bayident._verifier', "
        "'cryptography', 'pydantic', 'httpx', 'bayident.testing._ca'))); print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
