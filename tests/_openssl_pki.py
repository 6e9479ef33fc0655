"""A small PKI run by the ``openssl`` command line: certificates, CRLs and OCSP responses.

Everything here is made by ``openssl req``, ``openssl ca`` (``-gencrl``, ``-revoke``)
and ``openssl ocsp``, so tests of bayident's revocation evaluation read artefacts
that bayident's own encoders did not write.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["OpenSSLCA", "needs_openssl"]

needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl command is not installed"
)

OCSP_URL = "http://ocsp.openssl-ca.test/"
CRL_URL = "http://crl.openssl-ca.test/ca.crl"

_CONFIG = """\
[ca]
default_ca = own
[own]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
default_days = 3650
default_crl_days = 7
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess = OCSP;URI:{ocsp}
crlDistributionPoints = URI:{crl}
[responder]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
noCheck = ignored
[responder_checked]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[no_eku_responder]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
noCheck = ignored
[crl_ext]
authorityKeyIdentifier = keyid:always
"""


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@dataclass
class OpenSSLCA:
    """A root CA in ``dir`` that issues, revokes, publishes CRLs and answers OCSP."""

    dir: Path
    name: str

    @classmethod
    def create(cls, where: Path, name: str = "OpenSSL Revocation Test CA") -> OpenSSLCA:
        where.mkdir(parents=True, exist_ok=True)
        (where / "new").mkdir(exist_ok=True)
        (where / "index.txt").write_text("")
        (where / "serial").write_text("1000\n")
        (where / "crlnumber").write_text("01\n")
        (where / "openssl.cnf").write_text(_CONFIG.format(dir=where, ocsp=OCSP_URL, crl=CRL_URL))
        ca = cls(where, name)
        ca.openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
            "ca.pem", "-days", "3650", "-subj", f"/CN={name}", "-extensions", "root",
        )  # fmt: skip
        return ca

    def openssl(self, *args: str) -> None:
        extra = ["-config", "openssl.cnf"] if args[0] in ("req", "ca") else []
        _run(args[0], *extra, *args[1:], cwd=self.dir)

    def path(self, name: str) -> Path:
        return self.dir / name

    def der(self, name: str) -> bytes:
        """The DER of a PEM certificate or CRL made here."""
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        data = self.path(name).read_bytes()
        if b"X509 CRL" in data:
            return x509.load_pem_x509_crl(data).public_bytes(Encoding.DER)
        return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)

    def issue(self, name: str, common_name: str, extensions: str = "leaf") -> None:
        """Issue ``name``.pem (key ``name``.key) with an extension section of the config."""
        self.openssl(
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={common_name}",
        )  # fmt: skip
        self.openssl(
            "ca", "-batch", "-notext", "-in", f"{name}.csr", "-out", f"{name}.pem",
            "-extensions", extensions, "-startdate", "20250101000000Z",
            "-enddate", "20350101000000Z",
        )  # fmt: skip

    def revoke(self, name: str, reason: str = "keyCompromise") -> None:
        self.openssl("ca", "-revoke", f"{name}.pem", "-crl_reason", reason)

    def crl(self, out: str = "ca.crl", *, days: int = 7) -> bytes:
        """A CRL (``openssl ca -gencrl``) of what is revoked now; returns its DER."""
        self.openssl(
            "ca", "-gencrl", "-out", out, "-crldays", str(days), "-crlexts", "crl_ext"
        )  # fmt: skip
        return self.der(out)

    def ocsp(
        self,
        name: str,
        *,
        signer: str = "ca",
        days: int = 7,
        extra: tuple[str, ...] = (),
        out: str = "resp.der",
    ) -> bytes:
        """The ``openssl ocsp`` response about ``name``.pem, signed by ``signer``."""
        self.openssl(
            "ocsp", "-index", "index.txt", "-CA", "ca.pem", "-issuer", "ca.pem",
            "-cert", f"{name}.pem", "-rsigner", f"{signer}.pem", "-rkey", f"{signer}.key",
            "-ndays", str(days), "-no_nonce", "-respout", out, *extra,
        )  # fmt: skip
        return self.path(out).read_bytes()
