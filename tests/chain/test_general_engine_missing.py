"""Certificate paths without the general engine (the ``pkix`` extra not installed).

The engine's loader is replaced by one that raises what it raises without the extra, so
these run in the ordinary test environment; tests/api/test_core_install.py runs the
same situations where pyhanko-certvalidator cannot be imported at all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

import bayident
from bayident import Indication, SubIndication, VerificationResult
from bayident import _path as path_module
from bayident._exceptions import MissingExtraError
from bayident.cli import main
from bayident.testing import MockCA

INSTALL = "pip install 'bayident[pkix]'"
CONTENT = b"application form"


class Loader:
    """Stands for the engine's loader without the extra, and counts the requests."""

    def __init__(self) -> None:
        self.asked = 0

    def __call__(self) -> object:
        self.asked += 1
        raise MissingExtraError("the general RFC 5280 path engine", "pkix", "pyhanko_certvalidator")


@pytest.fixture
def loader(monkeypatch: pytest.MonkeyPatch) -> Loader:
    found = Loader()
    monkeypatch.setattr(path_module, "_general_module", found)
    return found


@pytest.fixture(scope="module")
def rsa_ec() -> tuple[MockCA, MockCA]:
    root = MockCA("No Engine RSA Root CA")
    return root, root.create_child_ca("No Engine EC Issuing CA", key_type="ec")


@pytest.fixture(scope="module")
def ed25519() -> tuple[MockCA, MockCA]:
    # The issuing CA holds an EC key: only its own certificate is signed with Ed25519.
    root = MockCA("No Engine Ed25519 Root CA", key_type="ed25519")
    return root, root.create_child_ca("No Engine Ed25519 Issuing CA", key_type="ec")


def path_check(result: VerificationResult) -> bayident.Check:
    return next(c for c in result.checks if c.name == "certificate-path")


def test_an_rsa_ec_path_passes_without_asking_for_the_engine(
    loader: Loader, rsa_ec: tuple[MockCA, MockCA]
) -> None:
    root, issuing = rsa_ec
    signer = issuing.issue_signer("No Engine Signer")
    verifier = bayident.Verifier(trust=bayident.TrustStore.from_certificates([root.certificate]))
    result = verifier.verify(signer.sign_detached_cms(CONTENT), content=CONTENT)
    assert result.indication is Indication.PASSED, result.explain()
    assert loader.asked == 0


def test_a_path_only_the_engine_decides_is_indeterminate_and_names_the_extra(
    loader: Loader, ed25519: tuple[MockCA, MockCA]
) -> None:
    root, issuing = ed25519
    signer = issuing.issue_signer("No Engine Ed25519-Issued Signer")
    verifier = bayident.Verifier(trust=bayident.TrustStore.from_certificates([root.certificate]))
    result = verifier.verify(signer.sign_detached_cms(CONTENT), content=CONTENT)
    assert result.indication is Indication.INDETERMINATE, result.explain()
    assert result.sub_indication is SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE
    check = path_check(result)
    # The certificate cryptography's verifier cannot check, and what to install.
    assert "'CN=No Engine Ed25519 Issuing CA" in check.message, check.message
    assert "is signed with ed25519" in check.message
    assert check.message.endswith(INSTALL)
    assert check.concerns is not None
    assert "No Engine Ed25519-Issued Signer" in check.concerns
    assert loader.asked >= 1


def test_a_signer_certificate_signed_with_an_unchecked_algorithm_is_named(
    loader: Loader, ed25519: tuple[MockCA, MockCA]
) -> None:
    root, _ = ed25519
    signer = root.issue_signer("No Engine Directly Issued Signer")
    verifier = bayident.Verifier(trust=bayident.TrustStore.from_certificates([root.certificate]))
    result = verifier.verify(signer.sign_detached_cms(CONTENT), content=CONTENT)
    assert result.indication is Indication.INDETERMINATE, result.explain()
    message = path_check(result).message
    assert "'CN=No Engine Directly Issued Signer" in message
    assert "is signed with ed25519" in message
    assert message.endswith(INSTALL)


def test_an_unrelated_certificate_the_fast_engine_cannot_check_does_not_block_a_path(
    loader: Loader, rsa_ec: tuple[MockCA, MockCA], ed25519: tuple[MockCA, MockCA]
) -> None:
    root, issuing = rsa_ec
    signer = issuing.issue_signer("No Engine Signer With Company")
    verifier = bayident.Verifier(trust=bayident.TrustStore.from_certificates([root.certificate]))
    result = verifier.verify(
        signer.sign_detached_cms(CONTENT),
        content=CONTENT,
        extra_certs=[ed25519[1].certificate],
    )
    assert result.indication is Indication.PASSED, result.explain()


def test_a_refusal_by_cryptography_stands_without_the_engine(
    loader: Loader, rsa_ec: tuple[MockCA, MockCA]
) -> None:
    root, issuing = rsa_ec
    signer = issuing.issue_signer("No Engine Expiring Signer")
    verifier = bayident.Verifier(trust=bayident.TrustStore.from_certificates([root.certificate]))
    later = signer.certificate.not_valid_after_utc + dt.timedelta(days=1)
    result = verifier.verify(signer.sign_detached_cms(CONTENT), content=CONTENT, at=later)
    assert result.indication is not Indication.PASSED
    assert result.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE, result.explain()
    assert "pkix" not in result.explain()


def test_an_unknown_root_is_reported_as_such_without_the_engine(
    loader: Loader, rsa_ec: tuple[MockCA, MockCA]
) -> None:
    _, issuing = rsa_ec
    signer = issuing.issue_signer("No Engine Stranger")
    stranger_root = MockCA("No Engine Unrelated Root CA")
    verifier = bayident.Verifier(
        trust=bayident.TrustStore.from_certificates([stranger_root.certificate])
    )
    result = verifier.verify(signer.sign_detached_cms(CONTENT), content=CONTENT)
    assert result.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND, result.explain()
    assert "pkix" not in result.explain()


def test_the_command_line_gives_the_verdict_and_the_install_command(
    loader: Loader,
    ed25519: tuple[MockCA, MockCA],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, issuing = ed25519
    signer = issuing.issue_signer("No Engine Command Line Signer")
    (tmp_path / "form.txt").write_bytes(CONTENT)
    (tmp_path / "form.p7s").write_bytes(signer.sign_detached_cms(CONTENT))
    (tmp_path / "root.pem").write_bytes(root.certificate.public_bytes(Encoding.PEM))
    code = main(
        [
            "verify",
            str(tmp_path / "form.p7s"),
            "--content",
            str(tmp_path / "form.txt"),
            "--trust-anchor",
            str(tmp_path / "root.pem"),
        ]
    )
    out = capsys.readouterr().out
    # INDETERMINATE, as for an SM2 signature without the sm extra.
    assert code == 2
    assert out.startswith("INDETERMINATE")
    assert INSTALL in " ".join(out.split())  # the line may be wrapped
