"""bayident's own OCSP evaluation (RFC 6960) on responses made by ``openssl ocsp``.

Responses signed by the CA itself and by delegated responders (with and without
id-pkix-ocsp-nocheck and id-kp-OCSPSigning), revoked and good certificates,
stale and future responses, and hostile bytes. cryptography's OCSP builder is a
second source for what the openssl command cannot make.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from _openssl_pki import OpenSSLCA, needs_openssl
from bayident import Policy
from bayident._certs import CertRecord
from bayident.revocation._ocsp import Timing, evaluate_ocsp

pytestmark = needs_openssl
POLICY = Policy()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> OpenSSLCA:
    ca = OpenSSLCA.create(tmp_path_factory.mktemp("ocsp"))
    ca.issue("alice", "Alice")
    ca.issue("bob", "Bob")
    ca.issue("resp", "Delegated Responder", "responder")
    ca.issue("resp_checked", "Checked Responder", "responder_checked")
    ca.issue("resp_no_eku", "Responder Without EKU", "no_eku_responder")
    ca.revoke("bob")
    return ca


def _rec(ca: OpenSSLCA, name: str) -> CertRecord:
    der = ca.der(f"{name}.pem")
    return CertRecord(der, x509.load_der_x509_certificate(der))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def test_good_by_the_ca(ca: OpenSSLCA) -> None:
    verdict = evaluate_ocsp(
        ca.ocsp("alice"), _rec(ca, "alice"), _rec(ca, "ca"), Timing(_now()), POLICY
    )
    assert verdict.status == "good", verdict.problem
    assert verdict.this_update is not None
    assert verdict.next_update is not None


def test_revoked_by_the_ca(ca: OpenSSLCA) -> None:
    verdict = evaluate_ocsp(ca.ocsp("bob"), _rec(ca, "bob"), _rec(ca, "ca"), Timing(_now()), POLICY)
    assert verdict.status == "revoked"
    assert verdict.reason == "key_compromise"
    assert verdict.revoked_at is not None
    assert verdict.revoked_at <= _now()


def test_revoked_after_the_validation_time_is_good_then(ca: OpenSSLCA) -> None:
    earlier = Timing(_now() - dt.timedelta(days=1), retroactive=True)
    verdict = evaluate_ocsp(ca.ocsp("bob"), _rec(ca, "bob"), _rec(ca, "ca"), earlier, POLICY)
    assert verdict.status == "good"
    assert verdict.revoked_later
    assert verdict.revoked_at is not None


def test_future_response_not_usable_for_an_earlier_time(ca: OpenSSLCA) -> None:
    earlier = Timing(_now() - dt.timedelta(days=1))
    verdict = evaluate_ocsp(ca.ocsp("alice"), _rec(ca, "alice"), _rec(ca, "ca"), earlier, POLICY)
    assert verdict.status == "unusable"
    assert "thisUpdate" in verdict.problem
    assert "after the validation time" in verdict.problem


def test_stale_response(ca: OpenSSLCA) -> None:
    later = Timing(_now() + dt.timedelta(days=8))
    verdict = evaluate_ocsp(ca.ocsp("alice"), _rec(ca, "alice"), _rec(ca, "ca"), later, POLICY)
    assert verdict.status == "unusable"
    assert "not recent enough" in verdict.problem


def test_delegated_responder_with_nocheck(ca: OpenSSLCA) -> None:
    der = ca.ocsp("alice", signer="resp", out="delegated.der")
    verdict = evaluate_ocsp(der, _rec(ca, "alice"), _rec(ca, "ca"), Timing(_now()), POLICY)
    assert verdict.status == "good", verdict.problem


def test_delegated_responder_without_nocheck_is_checked(ca: OpenSSLCA) -> None:
    der = ca.ocsp("alice", signer="resp_checked", out="checked.der")
    alice, issuer = _rec(ca, "alice"), _rec(ca, "ca")
    asked: list[str] = []

    def revoked(responder: CertRecord, by: CertRecord) -> str | None:
        asked.append(responder.subject)
        return "it is revoked"

    verdict = evaluate_ocsp(der, alice, issuer, Timing(_now()), POLICY, revoked)
    assert verdict.status == "unusable"
    assert "cannot be relied on: it is revoked" in verdict.problem
    assert asked == ["CN=Checked Responder"]
    verdict = evaluate_ocsp(der, alice, issuer, Timing(_now()), POLICY, lambda r, b: None)
    assert verdict.status == "good"
    # Without a way to check it, the responder's word is not taken.
    verdict = evaluate_ocsp(der, alice, issuer, Timing(_now()), POLICY)
    assert verdict.status == "unusable"
    assert "id-pkix-ocsp-nocheck" in verdict.problem


def test_responder_without_ocsp_signing_is_refused(ca: OpenSSLCA) -> None:
    der = ca.ocsp("alice", signer="resp_no_eku", out="no_eku.der")
    verdict = evaluate_ocsp(der, _rec(ca, "alice"), _rec(ca, "ca"), Timing(_now()), POLICY)
    assert verdict.status == "unusable"
    assert "id-kp-OCSPSigning" in verdict.problem


def test_response_signed_by_a_stranger(ca: OpenSSLCA, tmp_path: Path) -> None:
    # The leaf "bob" has a key but is no responder: it names itself as responder.
    der = ca.ocsp("alice", signer="bob", out="stranger.der")
    verdict = evaluate_ocsp(der, _rec(ca, "alice"), _rec(ca, "ca"), Timing(_now()), POLICY)
    assert verdict.status == "unusable"
    assert "id-kp-OCSPSigning" in verdict.problem


def test_response_about_another_certificate(ca: OpenSSLCA) -> None:
    verdict = evaluate_ocsp(
        ca.ocsp("bob"), _rec(ca, "alice"), _rec(ca, "ca"), Timing(_now()), POLICY
    )
    assert verdict.status == "no-match"


def test_other_issuer_key_does_not_match(ca: OpenSSLCA, tmp_path: Path) -> None:
    other = OpenSSLCA.create(tmp_path / "other", name=ca.name)  # same name, other key
    verdict = evaluate_ocsp(
        ca.ocsp("alice"), _rec(ca, "alice"), _rec(other, "ca"), Timing(_now()), POLICY
    )
    assert verdict.status == "no-match"


def test_tampered_signature(ca: OpenSSLCA) -> None:
    der = bytearray(ca.ocsp("alice"))
    signature = ocsp.load_der_ocsp_response(bytes(der)).signature
    der[bytes(der).index(signature) + 5] ^= 0x01
    verdict = evaluate_ocsp(bytes(der), _rec(ca, "alice"), _rec(ca, "ca"), Timing(_now()), POLICY)
    assert verdict.status == "unusable"
    assert "signature" in verdict.problem


def test_sha256_certid_from_a_second_source(ca: OpenSSLCA) -> None:
    # cryptography's builder: a CertID hashed with SHA-256, which openssl's responder
    # does not make by default.
    alice, issuer = _rec(ca, "alice"), _rec(ca, "ca")
    key = serialization.load_pem_private_key(ca.path("ca.key").read_bytes(), None)
    now = _now()
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            alice.cert,
            issuer.cert,
            hashes.SHA256(),
            ocsp.OCSPCertStatus.GOOD,
            now - dt.timedelta(minutes=1),
            now + dt.timedelta(hours=1),
            None,
            None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
    )
    der = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]
    assert evaluate_ocsp(der, alice, issuer, Timing(now), POLICY).status == "good"
    unknown = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            alice.cert,
            issuer.cert,
            hashes.SHA1(),
            ocsp.OCSPCertStatus.UNKNOWN,
            now - dt.timedelta(minutes=1),
            None,
            None,
            None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.NAME, issuer.cert)
        .sign(key, hashes.SHA256())  # type: ignore[arg-type]
        .public_bytes(serialization.Encoding.DER)
    )
    verdict = evaluate_ocsp(unknown, alice, issuer, Timing(now), POLICY)
    assert verdict.status == "unknown"
    assert verdict.next_update is None
    # Without nextUpdate, a response counts for a short while only.
    later = Timing(now + dt.timedelta(hours=2))
    assert evaluate_ocsp(unknown, alice, issuer, later, POLICY).status == "unusable"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30\x03\x0a\x01\x01",  # malformedRequest, no body
        b"\x30\x03\x0a\x01\x06",  # unauthorized
        b"\x30\x80\x00\x00",
        b"\x30\x05\x0a\x01\x00\xa0\x00",  # successful with empty responseBytes
        bytes(range(256)),
    ],
)
def test_hostile_bytes_give_a_reason(ca: OpenSSLCA, data: bytes) -> None:
    verdict = evaluate_ocsp(data, _rec(ca, "alice"), _rec(ca, "ca"), Timing(_now()), POLICY)
    assert verdict.status == "unusable"
    assert verdict.problem.startswith("the OCSP response is unusable: ")


def test_truncations_never_raise(ca: OpenSSLCA) -> None:
    der = ca.ocsp("alice", signer="resp", out="cut.der")
    alice, issuer = _rec(ca, "alice"), _rec(ca, "ca")
    for cut in range(0, len(der), 7):
        verdict = evaluate_ocsp(der[:cut], alice, issuer, Timing(_now()), POLICY)
        assert verdict.status == "unusable"
