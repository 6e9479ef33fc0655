"""Where revocation status is asked, and the OCSP request, on certificates made by openssl."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from asn1crypto import x509 as ax509
from cryptography.x509 import ocsp

from _openssl_pki import CRL_URL, OCSP_URL, OpenSSLCA, needs_openssl
from bayident.revocation._requests import crl_urls, declared_revinfo, ocsp_request, ocsp_urls

pytestmark = needs_openssl


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> OpenSSLCA:
    ca = OpenSSLCA.create(tmp_path_factory.mktemp("requests"))
    ca.issue("alice", "Alice")
    ca.issue("resp", "Responder", "responder")
    return ca


def _asn1(ca: OpenSSLCA, name: str) -> ax509.Certificate:
    return ax509.Certificate.load(ca.der(name))


def test_declared_sources_and_urls(ca: OpenSSLCA) -> None:
    alice = _asn1(ca, "alice.pem")
    assert declared_revinfo(alice) == (True, True)
    assert ocsp_urls(alice) == [OCSP_URL]
    assert crl_urls(alice) == [CRL_URL]
    # The responder certificate names neither.
    responder = _asn1(ca, "resp.pem")
    assert declared_revinfo(responder) == (False, False)
    assert ocsp_urls(responder) == []
    assert crl_urls(responder) == []


@pytest.mark.parametrize("nonce", [False, True])
def test_request_matches_openssl(ca: OpenSSLCA, tmp_path: Path, nonce: bool) -> None:
    alice, issuer = _asn1(ca, "alice.pem"), _asn1(ca, "ca.pem")
    ours = ocsp_request(alice, issuer.subject, issuer.public_key, nonce=nonce).dump()
    subprocess.run(
        ["openssl", "ocsp", "-issuer", "ca.pem", "-cert", "alice.pem", "-no_nonce",
         "-reqout", str(tmp_path / "theirs.der")],
        cwd=ca.dir, check=True, capture_output=True,
    )  # fmt: skip
    theirs = ocsp.load_der_ocsp_request((tmp_path / "theirs.der").read_bytes())
    mine = ocsp.load_der_ocsp_request(ours)
    assert mine.serial_number == theirs.serial_number == alice.serial_number
    assert mine.issuer_name_hash == theirs.issuer_name_hash
    assert mine.issuer_key_hash == theirs.issuer_key_hash
    assert mine.hash_algorithm.name == theirs.hash_algorithm.name == "sha1"
    nonces = [e for e in mine.extensions if e.oid.dotted_string == "1.3.6.1.5.5.7.48.1.2"]
    assert len(nonces) == (1 if nonce else 0)
    # openssl reads ours too, and answers it from the CA's index.
    (tmp_path / "ours.der").write_bytes(ours)
    text = subprocess.run(
        ["openssl", "ocsp", "-reqin", str(tmp_path / "ours.der"), "-req_text"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    assert f"Serial Number: {alice.serial_number:X}" in text
