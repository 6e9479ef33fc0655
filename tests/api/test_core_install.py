"""The core install, without the ``pkix`` extra: pyhanko-certvalidator, aiohttp, oscrypto.

Each test runs Python in a subprocess where those three packages cannot be imported (a
meta path finder refuses them), so it holds whether or not they are installed here.
``scripts/check-core-install`` runs this file in a fresh ``pip install .`` without extras.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

# The packages of the pkix extra and the second HTTP stack they bring.
_REFUSED = ("pyhanko_certvalidator", "aiohttp", "oscrypto")

_PRELUDE = f"""
import importlib.abc
import sys

class _Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {_REFUSED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _Refuse())

def loaded():
    return sorted(m for m in sys.modules if m.partition(".")[0] in {_REFUSED!r})
"""

# A sandbox PKI whose paths cryptography's verifier decides (RSA root, EC issuing CA
# and signer), and one whose issuing CA signs with Ed25519, which it does not.
_PKI = """
import bayident
from bayident.testing import MockCA

root = MockCA("Core Install Root CA")
issuing = root.create_child_ca("Core Install Issuing CA", key_type="ec")
signer = issuing.issue_signer("Core Install Signer")
ed_root = MockCA("Core Install Ed25519 Root CA", key_type="ed25519")
ed_issuing = ed_root.create_child_ca("Core Install Ed25519 Issuing CA", key_type="ed25519")
ed_signer = ed_issuing.issue_signer("Core Install Ed25519-Issued Signer")
trust = bayident.TrustStore.from_certificates([root.certificate, ed_root.certificate])
verifier = bayident.Verifier(trust=trust)
"""


def _run(code: str, *, pki: bool = False) -> str:
    program = _PRELUDE + (_PKI if pki else "") + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_refused_packages_cannot_be_imported() -> None:
    # The other tests mean something only if the finder really refuses them.
    out = _run(
        """
        for name in ("pyhanko_certvalidator", "aiohttp", "oscrypto"):
            try:
                __import__(name)
            except ModuleNotFoundError:
                print("refused", name)
        """
    )
    assert out.split("\n")[:3] == [f"refused {name}" for name in _REFUSED]


def test_every_package_imports_without_the_general_engine() -> None:
    out = _run(
        f"""
        import bayident, bayident.testing, bayident.trustlist, bayident.jose, bayident.schemes
        import bayident.identifiers, bayident.revocation, bayident.tsp, bayident.ofd
        import bayident.sm, bayident.fleet, bayident.hazmat, bayident.cli
        import bayident.testing._plugin
        # Names the packages load on first use, as a caller reaches them. Another extra
        # (lxml for ETSI lists, ...) may be missing too: only the refused ones matter here.
        for package in (bayident, bayident.testing, bayident.trustlist, bayident.jose,
                        bayident.schemes):
            for name in package.__all__:
                try:
                    getattr(package, name)
                except ImportError as exc:
                    if (exc.name or "").partition(".")[0] in {_REFUSED!r}:
                        raise
        print(loaded())
        """
    )
    assert out.strip() == "[]"


def test_cms_on_an_rsa_ec_path_passes_without_the_general_engine() -> None:
    out = _run(
        """
        result = verifier.verify(signer.sign_detached_cms(b"form"), content=b"form")
        print(result.indication.value)
        print(loaded())
        """,
        pki=True,
    )
    assert out.split("\n")[:2] == ["PASSED", "[]"]


def test_jws_on_an_rsa_ec_path_passes_without_the_general_engine() -> None:
    out = _run(
        """
        import bayident.jose
        from bayident.testing import MockJWTIssuer
        issuer = MockJWTIssuer(ca=issuing)
        token = issuer.sign_detached(b"form", x5c=True)
        result = bayident.jose.verify_jws(token, content=b"form", trust=trust)
        print(result.indication.value)
        print(loaded())
        """,
        pki=True,
    )
    assert out.split("\n")[:2] == ["PASSED", "[]"]


def test_a_path_for_the_general_engine_names_the_extra() -> None:
    out = _run(
        """
        result = verifier.verify(ed_signer.sign_detached_cms(b"form"), content=b"form")
        print(result.indication.value, result.sub_indication.value)
        path = next(c for c in result.checks if c.name == "certificate-path")
        print(path.message)
        """,
        pki=True,
    )
    verdict, message = out.split("\n")[:2]
    assert verdict == "INDETERMINATE CERTIFICATE_CHAIN_GENERAL_FAILURE"
    assert "'CN=Core Install Ed25519" in message
    assert "ed25519" in message
    assert message.endswith("pip install 'bayident[pkix]'")


def test_the_command_line_runs_without_the_general_engine() -> None:
    out = _run(
        """
        import contextlib, io
        from bayident.cli import main
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            try:
                code = main(["--help"])
            except SystemExit as exc:
                code = exc.code
        print(code, "usage" in stdout.getvalue().lower())
        print(loaded())
        """
    )
    assert out.split("\n")[:2] == ["0 True", "[]"]
