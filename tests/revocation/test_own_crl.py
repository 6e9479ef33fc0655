"""bayident's own CRL evaluation (RFC 5280 §6.3) on CRLs made by ``openssl ca -gencrl``.

What openssl cannot make (delta CRLs, issuing distribution points, indirect CRLs,
unknown critical extensions) comes from cryptography's CRL builder, a second
source. Hostile bytes give a reason, never an exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from _openssl_pki import OpenSSLCA, needs_openssl
from bayident import Policy
from bayident._certs import CertRecord
from bayident.revocation._crl import evaluate_crls
from bayident.revocation._ocsp import Timing

pytestmark = needs_openssl
POLICY = Policy()
DER = serialization.Encoding.DER


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> OpenSSLCA:
    ca = OpenSSLCA.create(tmp_path_factory.mktemp("crl"))
    ca.issue("alice", "Alice")
    ca.issue("bob", "Bob")
    ca.revoke("bob", "keyCompromise")
    ca.crl()
    return ca


def _rec(ca: OpenSSLCA, name: str) -> CertRecord:
    der = ca.der(f"{name}.pem")
    return CertRecord(der, x509.load_der_x509_certificate(der))


def _record(cert: x509.Certificate) -> CertRecord:
    der = cert.public_bytes(DER)
    return CertRecord(der, cert)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _eval(crls: Sequence[bytes], cert: CertRecord, above: Sequence[CertRecord], **kw: object):  # type: ignore[no-untyped-def]
    timing = kw.pop("timing", Timing(_now()))
    return evaluate_crls(crls, cert, above, timing, POLICY, **kw)  # type: ignore[arg-type]


def test_openssl_crl_good_and_revoked(ca: OpenSSLCA) -> None:
    crl = ca.der("ca.crl")
    issuer = _rec(ca, "ca")
    good = _eval([crl], _rec(ca, "alice"), [issuer])
    assert good.status == "good", good.problem
    assert good.used == crl
    # A few seconds on: the revocation and the CRL may be of this very second.
    revoked = _eval(
        [crl], _rec(ca, "bob"), [issuer], timing=Timing(_now() + dt.timedelta(seconds=5))
    )
    assert revoked.status == "revoked"
    assert revoked.reason == "key_compromise"
    assert revoked.revoked_at is not None


def test_revoked_after_the_validation_time_is_good_then(ca: OpenSSLCA) -> None:
    earlier = Timing(_now() - dt.timedelta(days=1), retroactive=True)
    verdict = _eval([ca.der("ca.crl")], _rec(ca, "bob"), [_rec(ca, "ca")], timing=earlier)
    assert verdict.status == "good"
    assert verdict.revoked_later


def test_crl_issued_after_the_validation_time(ca: OpenSSLCA) -> None:
    earlier = Timing(_now() - dt.timedelta(days=1))
    verdict = _eval([ca.der("ca.crl")], _rec(ca, "alice"), [_rec(ca, "ca")], timing=earlier)
    assert verdict.status == "unusable"
    assert "after the validation time" in verdict.problem


def test_stale_crl(ca: OpenSSLCA) -> None:
    later = Timing(_now() + dt.timedelta(days=8))
    verdict = _eval([ca.der("ca.crl")], _rec(ca, "alice"), [_rec(ca, "ca")], timing=later)
    assert verdict.status == "unusable"
    assert "not recent enough" in verdict.problem


def test_crl_of_a_namesake_ca_does_not_verify(ca: OpenSSLCA, tmp_path_factory: pytest.TempPathFactory) -> None:  # fmt: skip
    other = OpenSSLCA.create(tmp_path_factory.mktemp("namesake"), name=ca.name)
    verdict = _eval([other.crl()], _rec(ca, "alice"), [_rec(ca, "ca")])
    assert verdict.status == "unusable"
    assert "signature could not be verified" in verdict.problem


def test_crl_of_another_ca_is_no_match(ca: OpenSSLCA, tmp_path_factory: pytest.TempPathFactory) -> None:  # fmt: skip
    other = OpenSSLCA.create(tmp_path_factory.mktemp("other"), name="Another CA")
    assert _eval([other.crl()], _rec(ca, "alice"), [_rec(ca, "ca")]).status == "no-match"
    assert _eval([], _rec(ca, "alice"), [_rec(ca, "ca")]).status == "no-match"


@pytest.mark.parametrize(
    "data",
    [b"", b"\x30\x00", b"\x30\x80\x00\x00", bytes(range(200)), b"-----BEGIN X509 CRL-----"],
)
def test_hostile_bytes_give_a_reason(ca: OpenSSLCA, data: bytes) -> None:
    verdict = _eval([data], _rec(ca, "alice"), [_rec(ca, "ca")])
    assert verdict.status == "unusable"
    assert "a CRL is unusable: it is malformed" in verdict.problem


def test_truncations_and_flips_never_raise(ca: OpenSSLCA) -> None:
    crl = ca.der("ca.crl")
    alice, issuer = _rec(ca, "alice"), _rec(ca, "ca")
    for cut in range(0, len(crl), 11):
        assert _eval([crl[:cut]], alice, [issuer]).status == "unusable"
    for i in range(0, len(crl), 5):
        flipped = bytearray(crl)
        flipped[i] ^= 0x40
        verdict = _eval([bytes(flipped)], alice, [issuer])
        # A flip may leave a readable CRL whose signature no longer verifies; never "good".
        assert verdict.status in ("unusable", "no-match"), i


# --- cryptography's builder: what openssl's CA does not make ----------------------------

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


class _PKI:
    """A CA, its signer certificates and CRLs, built with cryptography."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Builder CA")])
        self.ca = self._cert(self.name, self.key, self.name, ca=True)

    def _cert(
        self, subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
        *, ca: bool = False, dps: list[x509.DistributionPoint] | None = None,
        crl_sign: bool = False, serial: int | None = None,
    ) -> x509.Certificate:  # fmt: skip
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(serial or x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=30))
            .not_valid_after(NOW + dt.timedelta(days=300))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca or crl_sign:
            b = b.add_extension(
                x509.KeyUsage(False, False, False, False, False, ca, True, False, False),
                critical=True,
            )
        if dps is not None:
            b = b.add_extension(x509.CRLDistributionPoints(dps), critical=False)
        return b.sign(self.key, hashes.SHA256())

    def leaf(self, name: str, **kw: object) -> CertRecord:
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        key = ec.generate_private_key(ec.SECP256R1())
        return _record(self._cert(subject, key, self.name, **kw))  # type: ignore[arg-type]

    def crl(
        self, revoked: Sequence[tuple[int, x509.ReasonFlags | None, x509.Name | None]] = (),
        *, number: int = 1, extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
        issuer: x509.Name | None = None, key: ec.EllipticCurvePrivateKey | None = None,
        with_number: bool = True,
    ) -> bytes:  # fmt: skip
        b = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer or self.name)
            .last_update(NOW - dt.timedelta(hours=1))
            .next_update(NOW + dt.timedelta(days=1))
        )
        if with_number:
            b = b.add_extension(x509.CRLNumber(number), critical=False)
        for ext, critical in extensions:
            b = b.add_extension(ext, critical=critical)
        for serial, reason, cert_issuer in revoked:
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(NOW - dt.timedelta(days=2))
            )
            if reason is not None:
                entry = entry.add_extension(x509.CRLReason(reason), critical=False)
            if cert_issuer is not None:
                entry = entry.add_extension(
                    x509.CertificateIssuer([x509.DirectoryName(cert_issuer)]), critical=True
                )
            b = b.add_revoked_certificate(entry.build())
        return b.sign(key or self.key, hashes.SHA256()).public_bytes(DER)


@pytest.fixture(scope="module")
def pki() -> _PKI:
    return _PKI()


def _at() -> Timing:
    return Timing(NOW)


def test_crl_without_crl_number_or_with_unknown_critical_extension(pki: _PKI) -> None:
    alice = pki.leaf("Alice")
    above = [_record(pki.ca)]
    verdict = evaluate_crls([pki.crl(with_number=False)], alice, above, _at(), POLICY)
    assert verdict.status == "unusable"
    assert "CRLNumber" in verdict.problem
    odd = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    verdict = evaluate_crls([pki.crl(extensions=[(odd, True)])], alice, above, _at(), POLICY)
    assert verdict.status == "unusable"
    assert "unknown critical extension 1.3.6.1.4.1.99999.1" in verdict.problem
    # The same extension, non-critical, is ignored.
    fine = pki.crl(extensions=[(odd, False)])
    assert evaluate_crls([fine], alice, above, _at(), POLICY).status == "good"


def test_unknown_critical_entry_extension(pki: _PKI) -> None:
    alice = pki.leaf("Alice")
    # certificateIssuer is known; a critical entry extension bayident does not know is not.
    crl = pki.crl([(alice.serial, None, None)])
    assert evaluate_crls([crl], alice, [_record(pki.ca)], _at(), POLICY).status == "revoked"


def test_delta_crls(pki: _PKI) -> None:
    alice, bob = pki.leaf("Alice"), pki.leaf("Bob")
    above = [_record(pki.ca)]
    freshest = x509.FreshestCRL(
        [
            x509.DistributionPoint(
                [x509.UniformResourceIdentifier("http://x.test/d")], None, None, None
            )
        ]
    )
    base = pki.crl(
        [(bob.serial, x509.ReasonFlags.certificate_hold, None)], extensions=[(freshest, False)]
    )
    # The base announces a delta: without it, nothing is decided.
    verdict = evaluate_crls([base], alice, above, _at(), POLICY)
    assert verdict.status == "unusable"
    assert "delta CRL" in verdict.problem
    delta = pki.crl(
        [(alice.serial, x509.ReasonFlags.key_compromise, None),
         (bob.serial, x509.ReasonFlags.remove_from_crl, None)],
        number=2, extensions=[(x509.DeltaCRLIndicator(1), True)],
    )  # fmt: skip
    assert evaluate_crls([base, delta], alice, above, _at(), POLICY).status == "revoked"
    # Bob's hold is lifted by the delta's removeFromCRL.
    assert evaluate_crls([base, delta], bob, above, _at(), POLICY).status == "good"
    # Without the delta, Bob is on hold.
    plain = pki.crl([(bob.serial, x509.ReasonFlags.certificate_hold, None)])
    held = evaluate_crls([plain], bob, above, _at(), POLICY)
    assert held.status == "revoked"
    assert held.reason == "certificate_hold"


def _idp(**kw: object) -> x509.IssuingDistributionPoint:
    values: dict[str, object] = {
        "full_name": None,
        "relative_name": None,
        "only_contains_user_certs": False,
        "only_contains_ca_certs": False,
        "only_some_reasons": None,
        "indirect_crl": False,
        "only_contains_attribute_certs": False,
    }
    values.update(kw)
    return x509.IssuingDistributionPoint(**values)  # type: ignore[arg-type]


def test_issuing_distribution_point_scope(pki: _PKI) -> None:
    alice = pki.leaf("Alice")
    above = [_record(pki.ca)]
    ca_only = pki.crl(extensions=[(_idp(only_contains_ca_certs=True), True)])
    verdict = evaluate_crls([ca_only], alice, above, _at(), POLICY)
    assert verdict.status == "unusable"
    assert "CA certificates only" in verdict.problem
    some = pki.crl(
        extensions=[(_idp(only_some_reasons=frozenset({x509.ReasonFlags.key_compromise})), True)]
    )
    verdict = evaluate_crls([some], alice, above, _at(), POLICY)
    assert verdict.status == "unusable"
    assert "do not cover all revocation reasons" in verdict.problem
    # The rest of the reasons from a second CRL: then every reason is covered.
    rest = frozenset(
        r for r in x509.ReasonFlags
        if r not in (x509.ReasonFlags.key_compromise, x509.ReasonFlags.unspecified,
                     x509.ReasonFlags.remove_from_crl)
    )  # fmt: skip
    other = pki.crl(number=2, extensions=[(_idp(only_some_reasons=rest), True)])
    assert evaluate_crls([some, other], alice, above, _at(), POLICY).status == "good"
    # A distribution point name that matches none of the certificate's.
    url = x509.UniformResourceIdentifier("http://crl.test/a.crl")
    dp = x509.DistributionPoint([url], None, None, None)
    named = pki.leaf("Named", dps=[dp])
    elsewhere = _idp(full_name=[x509.UniformResourceIdentifier("http://crl.test/b.crl")])
    verdict = evaluate_crls([pki.crl(extensions=[(elsewhere, True)])], named, above, _at(), POLICY)
    assert verdict.status == "no-match"
    same = pki.crl(extensions=[(_idp(full_name=[url]), True)])
    assert evaluate_crls([same], named, above, _at(), POLICY).status == "good"


def test_indirect_crl_and_its_issuers_side_validation(pki: _PKI) -> None:
    issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Indirect CRL Issuer")])
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    crl_issuer = _record(pki._cert(issuer_name, issuer_key, pki.name, crl_sign=True))
    dp = x509.DistributionPoint(None, None, None, [x509.DirectoryName(issuer_name)])
    alice = pki.leaf("Alice", dps=[dp])
    crl = pki.crl(
        [(12345, None, None), (alice.serial, x509.ReasonFlags.superseded, pki.name)],
        issuer=issuer_name, key=issuer_key,
        extensions=[(_idp(indirect_crl=True), True)],
    )  # fmt: skip
    above = [_record(pki.ca)]
    checked: list[str] = []

    def side(signer: CertRecord, path: Sequence[CertRecord]) -> str | None:
        checked.append(signer.subject)
        return None

    verdict = evaluate_crls(
        [crl], alice, above, _at(), POLICY, candidates=[crl_issuer], signer_check=side
    )
    assert verdict.status == "revoked"
    assert verdict.reason == "superseded"
    assert checked == ["CN=Indirect CRL Issuer"]

    # A CRL issuer whose own path fails makes the CRL unusable: the certificate is not
    # "revoked", and the fault is named as the CRL issuer's.
    def revoked_issuer(signer: CertRecord, path: Sequence[CertRecord]) -> str | None:
        return "it was revoked"

    verdict = evaluate_crls(
        [crl], alice, above, _at(), POLICY, candidates=[crl_issuer], signer_check=revoked_issuer
    )
    assert verdict.status == "unusable"
    assert "CRL issuer certificate" in verdict.problem
    assert "it was revoked" in verdict.problem
    # Without the indirectCRL flag, the entry for another issuer's certificate is not read.
    direct = pki.crl([(alice.serial, None, pki.name)], issuer=issuer_name, key=issuer_key)
    verdict = evaluate_crls(
        [direct], alice, above, _at(), POLICY, candidates=[crl_issuer], signer_check=side
    )
    assert verdict.status != "revoked"
