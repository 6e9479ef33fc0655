"""Revocation of whole paths through the Verifier, on an openssl-made PKI, CRLs and responses.

The side validations: an OCSP responder that is itself revoked makes its answers
unusable, and is never reported as the signer's revocation.
"""

from __future__ import annotations

import datetime as dt

import pytest

import bayident
from _openssl_pki import OpenSSLCA, needs_openssl
from bayident import Indication, SubIndication

pytestmark = needs_openssl


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> OpenSSLCA:
    ca = OpenSSLCA.create(tmp_path_factory.mktemp("paths"))
    ca.issue("alice", "Alice")
    ca.issue("bob", "Bob")
    ca.issue("resp_checked", "Revoked Responder", "responder_checked")
    ca.revoke("bob", "superseded")
    ca.revoke("resp_checked", "keyCompromise")
    ca.crl()
    return ca


def _validate(ca: OpenSSLCA, name: str, **kw: object) -> bayident.VerificationResult:
    verifier = bayident.Verifier(trust=[ca.der("ca.pem")])
    # A few seconds on, so that revocations of this very second count.
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    return verifier.validate_certificate(ca.der(f"{name}.pem"), at=at, **kw)  # type: ignore[arg-type]


def test_crl_good_and_revoked(ca: OpenSSLCA) -> None:
    crl = ca.der("ca.crl")
    good = _validate(ca, "alice", crls=[crl])
    assert good.passed, good.explain()
    entry = good.signers[0].revocation[0]
    assert entry.status == "good"
    assert entry.source == "crl"
    revoked = _validate(ca, "bob", crls=[crl])
    assert revoked.sub_indication is SubIndication.REVOKED_NO_POE
    assert "CRL indicates" in revoked.message
    assert "superseded" in revoked.signers[0].revocation[0].message


def test_ocsp_by_the_ca(ca: OpenSSLCA) -> None:
    result = _validate(ca, "alice", ocsp_responses=[ca.ocsp("alice", out="alice.der")])
    assert result.passed, result.explain()
    assert result.signers[0].revocation[0].source == "ocsp"
    revoked = _validate(ca, "bob", ocsp_responses=[ca.ocsp("bob", out="bob.der")])
    assert revoked.sub_indication is SubIndication.REVOKED_NO_POE
    assert "OCSP response indicates" in revoked.message


def test_revoked_responder_is_not_the_signers_revocation(ca: OpenSSLCA) -> None:
    response = ca.ocsp("alice", signer="resp_checked", out="by_revoked.der")
    # Only the response: its responder's status cannot be established, nor the signer's.
    alone = _validate(ca, "alice", ocsp_responses=[response])
    assert alone.indication is Indication.INDETERMINATE
    assert alone.sub_indication is SubIndication.TRY_LATER
    assert "Revoked Responder" in alone.message
    assert alone.signers[0].revocation[0].status == "unknown"
    # With the CRL that revokes the responder: the response is refused for that reason,
    # and the CRL decides the signer's own status.
    crl = ca.der("ca.crl")
    both = _validate(ca, "alice", ocsp_responses=[response], crls=[crl])
    assert both.passed, both.explain()
    assert both.signers[0].revocation[0].source == "crl"
    # Bob is revoked by the CRL, whatever the revoked responder says.
    bob = _validate(
        ca, "bob", ocsp_responses=[ca.ocsp("bob", signer="resp_checked", out="b.der")], crls=[crl]
    )
    assert bob.sub_indication is SubIndication.REVOKED_NO_POE
    assert "CRL indicates" in bob.message


def test_garbage_revocation_data_is_named(ca: OpenSSLCA) -> None:
    result = _validate(ca, "alice", ocsp_responses=[b"\x30\x03\x0a\x01\x01"])
    assert not result.passed
    assert "OCSP response 1" in result.message
