"""A signer under an intermediate already validated by the same verifier gets the verdict a
fresh verifier gives: only the signer's own link is checked again, never less."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bayident import Verifier
from bayident._chain import ChainMemos, fast_path

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
AT = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(
    subject: str,
    key: Any,
    issuer: str,
    issuer_key: Any,
    *,
    ca: bool,
    not_after: dt.datetime = dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    extra: tuple[tuple[Any, bool], ...] = (),
) -> x509.Certificate:
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(START)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(not ca, not ca, False, False, False, ca, ca, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer != subject:
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    for ext, critical in extra:
        b = b.add_extension(ext, critical)
    return b.sign(issuer_key, hashes.SHA256())


def _der(c: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return c.public_bytes(Encoding.DER)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _summary(result: Any) -> tuple[Any, ...]:
    return (
        result.indication,
        result.sub_indication,
        tuple((c.name, c.outcome) for c in result.checks),
    )


def _scenarios(
    root_extra: tuple[tuple[Any, bool], ...] = (),
) -> tuple[bytes, bytes, bytes, dict[str, tuple[bytes, dt.datetime]]]:
    rk, ik = _key(), _key()
    root = _cert("Root", rk, "Root", rk, ca=True, extra=root_extra)
    inter_end = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    inter = _cert("Issuing CA", ik, "Root", rk, ca=True, not_after=inter_end)
    san = x509.SubjectAlternativeName([x509.DNSName("signer.evil.com")])
    cases = {
        "valid": (_der(_cert("Signer B", _key(), "Issuing CA", ik, ca=False)), AT),
        # Same issuer name, signed by another key: the proven CA did not sign it.
        "forged": (_der(_cert("Signer C", _key(), "Issuing CA", _key(), ca=False)), AT),
        "signer expired": (
            _der(_cert("Signer D", _key(), "Issuing CA", ik, ca=False, not_after=AT)),
            AT + dt.timedelta(seconds=1),
        ),
        # The intermediate proven in June has expired by October.
        "intermediate expired": (
            _der(_cert("Signer E", _key(), "Issuing CA", ik, ca=False)),
            dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        ),
        "outside the root's names": (
            _der(_cert("Signer F", _key(), "Issuing CA", ik, ca=False, extra=((san, False),))),
            AT,
        ),
    }
    first = _der(_cert("Signer A", _key(), "Issuing CA", ik, ca=False))
    return _der(root), _der(inter), first, cases


@pytest.mark.parametrize("constrained", [False, True])
def test_a_warm_verifier_judges_later_signers_as_a_fresh_one(constrained: bool) -> None:
    nc = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName("example.hk")], excluded_subtrees=None
    )
    root, inter, first, cases = _scenarios(((nc, True),) if constrained else ())
    warm = Verifier(trust=[root])
    assert warm.validate_certificate(first, intermediates=[inter], at=AT).passed
    for label, (leaf, at) in cases.items():
        fresh = Verifier(trust=[root]).validate_certificate(leaf, intermediates=[inter], at=at)
        again = warm.validate_certificate(leaf, intermediates=[inter], at=at)
        assert _summary(again) == _summary(fresh), label
        assert again.passed is (
            label == "valid" or (label.startswith("outside") and not constrained)
        ), label


def test_the_proven_link_is_used_and_never_for_a_constrained_anchor() -> None:
    # What the engine returns: the same path, found through the remembered intermediate.
    from bayident._certs import CertificateCache
    from bayident._policy import Policy
    from bayident._trust import TrustStore

    root, inter, first, cases = _scenarios()
    certs = CertificateCache()
    trust = TrustStore.coerce([root])
    memos = ChainMemos()
    policy = Policy()
    zero = dt.timedelta(0)
    pool = [certs.get(inter)]
    one = fast_path(certs.get(first), pool, trust, AT, policy, zero, memos)
    assert one.ok
    assert len(memos.proven) == 1
    two = fast_path(certs.get(cases["valid"][0]), pool, trust, AT, policy, zero, memos)
    assert two.ok
    assert [c.fingerprint for c in two.certs][1:] == [c.fingerprint for c in one.certs][1:]
    assert two.anchor is one.anchor
    forged = fast_path(certs.get(cases["forged"][0]), pool, trust, AT, policy, zero, memos)
    assert not forged.ok
