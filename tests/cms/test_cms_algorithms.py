"""Every signature algorithm of the core issue, with and without signed attributes."""

from __future__ import annotations

import pytest

import bayident
from bayident import Indication, SubIndication
from bayident.testing import MockCA

CASES = [
    ("rsa", False),
    ("rsa", True),  # RSA-PSS
    ("ec", False),
    ("ec-p384", False),
    ("ec-p521", False),
    ("ed25519", False),
    ("ed448", False),
]


@pytest.fixture(scope="module")
def pki() -> tuple[MockCA, MockCA]:
    root = MockCA("Algorithms Root", key_type="ec")
    return root, root.create_child_ca("Algorithms Issuing CA", key_type="ec")


@pytest.mark.parametrize("attributes", [True, False], ids=["attrs", "noattrs"])
@pytest.mark.parametrize(
    ("key_type", "pss"), CASES, ids=[f"{k}{'-pss' if p else ''}" for k, p in CASES]
)
def test_algorithm_matrix(
    pki: tuple[MockCA, MockCA], key_type: str, pss: bool, attributes: bool
) -> None:
    root, issuing = pki
    signer = issuing.issue_signer(f"Signer {key_type}", key_type=key_type)  # type: ignore[arg-type]
    data = b"cross-border form \xe8\xa1\xa8\xe6\xa0\xbc" * 50
    sig = signer.sign_detached_cms(data, attributes=attributes, pss=pss)
    ok = bayident.verify(sig, content=data, trust=[root.cert_pem])
    assert ok.indication is Indication.PASSED, ok.explain()
    assert ok.signers[0].certificate is not None
    assert ok.signers[0].certificate.subject == signer.certificate.subject.rfc4514_string()
    assert [c.subject for c in ok.signers[0].chain][-1] == root.certificate.subject.rfc4514_string()

    tampered = bayident.verify(sig, content=data[:-1] + b"!", trust=[root.cert_pem])
    assert tampered.indication is Indication.FAILED
    expected = SubIndication.HASH_FAILURE if attributes else SubIndication.SIG_CRYPTO_FAILURE
    assert tampered.sub_indication is expected, tampered.explain()


@pytest.mark.parametrize("digest", ["sha224", "sha256", "sha384", "sha512"])
def test_sha2_family(pki: tuple[MockCA, MockCA], digest: str) -> None:
    root, issuing = pki
    signer = issuing.issue_signer("SHA-2 signer", key_type="ec-p384")
    sig = signer.sign_detached_cms(b"payload", digest=digest)  # type: ignore[arg-type]
    result = bayident.verify(sig, content=b"payload", trust=[root.cert_pem])
    assert result.passed, result.explain()
    assert result.signers[0].digest_algorithm == digest


def test_pem_and_base64_forms(pki: tuple[MockCA, MockCA]) -> None:
    import base64

    root, issuing = pki
    signer = issuing.issue_signer("Forms signer")
    der = signer.sign_detached_cms(b"x")
    pem = signer.sign_detached_cms(b"x", output="pem")
    for form in (der, pem, base64.b64encode(der), base64.encodebytes(der)):
        assert bayident.verify(form, content=b"x", trust=[root.cert_pem]).passed
