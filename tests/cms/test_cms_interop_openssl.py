"""Signatures made by the ``openssl`` command line, verified by bayident.

A three-level PKI (root → intermediate → signers) is made with ``openssl req`` and
``openssl x509`` and every signature with ``openssl cms -sign``, so nothing here was
produced by bayident's own encoder.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

import bayident
from _pki import assert_well_formed, flip_byte, signer_regions
from bayident import Indication, SubIndication
from bayident.testing import SignerSpec, build_signed_data

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        shutil.which("openssl") is None, reason="the openssl command is not installed"
    ),
]

CONTENT = b"Interop test document\r\nsigned with the openssl command line\n\x00\xff binary tail"
TAMPERED = CONTENT.replace(b"Interop", b"interop")

_EXTENSIONS = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[intermediate]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = 2.16.344.8.2.2008.810.2
[signer]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
certificatePolicies = 2.16.344.8.2.2008.810.2.1
subjectAltName = email:signer@example.hk
"""

# Key generation options for each signer kind.
_KEYS = {
    "rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "p521": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    "ed25519": ["-algorithm", "ED25519"],
}


def _openssl(*args: str | Path, cwd: Path) -> None:
    proc = subprocess.run(
        ["openssl", *map(str, args)], cwd=cwd, capture_output=True, check=False, timeout=120
    )
    if proc.returncode != 0:
        raise OpenSSLFailed(
            f"openssl {' '.join(map(str, args))} failed:\n{proc.stderr.decode(errors='replace')}"
        )


class OpenSSLFailed(RuntimeError):
    """The openssl command exited with an error; ``reason`` is the first line it printed."""

    @property
    def reason(self) -> str:
        lines = str(self).splitlines()
        return lines[1].strip() if len(lines) > 1 else lines[0]


@dataclass(frozen=True)
class OpenSSLPKI:
    """Files made by openssl: root and intermediate certificates, and signers' cert/key pairs."""

    dir: Path
    root: Path
    intermediate: Path
    content: Path
    tampered: Path
    # The validity window opens when the certificates are made; an hour later is inside it.
    at: dt.datetime

    def signer(self, kind: str) -> tuple[Path, Path]:
        return self.dir / f"{kind}.pem", self.dir / f"{kind}.key"

    def sign(self, name: str, signers: list[str], *options: str, binary: bool = True) -> Path:
        """Run ``openssl cms -sign`` over the content; return the output file."""
        out = self.dir / name
        args: list[str | Path] = ["cms", "-sign", "-in", self.content]
        if binary:
            args.append("-binary")
        for kind in signers:
            cert, key = self.signer(kind)
            args += ["-signer", cert, "-inkey", key]
        args += ["-certfile", self.intermediate, *options, "-out", out]
        _openssl(*args, cwd=self.dir)
        return out


@pytest.fixture(scope="module")
def ossl(tmp_path_factory: pytest.TempPathFactory) -> OpenSSLPKI:
    d = tmp_path_factory.mktemp("openssl-pki")
    made = dt.datetime.now(dt.UTC).replace(microsecond=0)
    (d / "ext.cnf").write_text(_EXTENSIONS)

    def key(name: str, kind: str) -> None:
        _openssl("genpkey", *_KEYS[kind], "-out", f"{name}.key", cwd=d)

    def issue(name: str, subject: str, section: str, issuer: str, days: int) -> None:
        _openssl(
            "req",
            "-new",
            "-key",
            f"{name}.key",
            "-subj",
            subject,
            "-config",
            "ext.cnf",
            "-out",
            f"{name}.csr",
            cwd=d,
        )
        _openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            f"{issuer}.pem",
            "-CAkey",
            f"{issuer}.key",
            "-CAcreateserial",
            "-days",
            str(days),
            "-extfile",
            "ext.cnf",
            "-extensions",
            section,
            "-out",
            f"{name}.pem",
            cwd=d,
        )

    key("root", "rsa")
    _openssl(
        "req",
        "-x509",
        "-new",
        "-key",
        "root.key",
        "-subj",
        "/C=HK/O=bayident interop/CN=OpenSSL Interop Root CA",
        "-days",
        "60",
        "-config",
        "ext.cnf",
        "-extensions",
        "root",
        "-out",
        "root.pem",
        cwd=d,
    )
    key("intermediate", "p384")
    issue(
        "intermediate",
        "/C=HK/O=bayident interop/CN=OpenSSL Interop Issuing CA",
        "intermediate",
        "root",
        45,
    )
    for kind in _KEYS:
        key(kind, kind)
        issue(
            kind, f"/C=HK/O=bayident interop/CN=OpenSSL {kind} signer", "signer", "intermediate", 30
        )
    (d / "content.bin").write_bytes(CONTENT)
    (d / "tampered.bin").write_bytes(TAMPERED)
    return OpenSSLPKI(
        d,
        d / "root.pem",
        d / "intermediate.pem",
        d / "content.bin",
        d / "tampered.bin",
        made + dt.timedelta(hours=1),
    )


@dataclass(frozen=True)
class Case:
    """One way of calling ``openssl cms -sign``, and what the result must show."""

    id: str
    signers: tuple[str, ...]
    options: tuple[str, ...]
    attributes: bool
    digest: str
    mechanism: str
    pem: bool = False


CASES = [
    Case("rsa-attrs", ("rsa",), (), True, "sha256", "rsa-pkcs1v15"),
    Case("rsa-noattr", ("rsa",), ("-noattr",), False, "sha256", "rsa-pkcs1v15"),
    Case("rsa-pss", ("rsa",), ("-keyopt", "rsa_padding_mode:pss"), True, "sha256", "rsa-pss"),
    Case(
        "rsa-pss-noattr",
        ("rsa",),
        ("-noattr", "-keyopt", "rsa_padding_mode:pss"),
        False,
        "sha256",
        "rsa-pss",
    ),
    Case("rsa-sha384", ("rsa",), ("-md", "sha384"), True, "sha384", "rsa-pkcs1v15"),
    Case("rsa-sha512-pem", ("rsa",), ("-md", "sha512"), True, "sha512", "rsa-pkcs1v15", pem=True),
    Case(
        "rsa-pss-sha512",
        ("rsa",),
        ("-md", "sha512", "-keyopt", "rsa_padding_mode:pss"),
        True,
        "sha512",
        "rsa-pss",
    ),
    Case("p256-attrs", ("p256",), (), True, "sha256", "ecdsa"),
    Case("p256-attrs-pem", ("p256",), (), True, "sha256", "ecdsa", pem=True),
    Case("p256-noattr", ("p256",), ("-noattr",), False, "sha256", "ecdsa"),
    Case("p384-sha384", ("p384",), ("-md", "sha384"), True, "sha384", "ecdsa"),
    Case("p384-noattr-sha384", ("p384",), ("-noattr", "-md", "sha384"), False, "sha384", "ecdsa"),
    Case("p521-sha512", ("p521",), ("-md", "sha512"), True, "sha512", "ecdsa"),
    Case("p521-noattr-sha512", ("p521",), ("-noattr", "-md", "sha512"), False, "sha512", "ecdsa"),
    Case("ed25519-attrs", ("ed25519",), ("-md", "sha512"), True, "sha512", "ed25519"),
    Case("ed25519-noattr", ("ed25519",), ("-noattr", "-md", "sha512"), False, "sha512", "ed25519"),
    Case("two-signers", ("rsa", "p384"), (), True, "sha256", ""),
    Case("two-signers-noattr", ("p256", "rsa"), ("-noattr",), False, "sha256", ""),
]


@pytest.fixture(scope="module", params=CASES, ids=[c.id for c in CASES])
def signed(request: pytest.FixtureRequest, ossl: OpenSSLPKI) -> tuple[Case, Path]:
    case: Case = request.param
    outform = ("-outform", "PEM") if case.pem else ("-outform", "DER")
    try:
        path = ossl.sign(f"{case.id}.p7s", list(case.signers), *case.options, *outform)
    except OpenSSLFailed as exc:
        if "ed25519" in case.signers:
            # OpenSSL 3.0 cannot make EdDSA CMS signatures (openssl/openssl#11915).
            pytest.skip(f"this openssl cannot sign CMS with Ed25519: {exc.reason[-90:]}")
        raise
    return case, path


def _der(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw.startswith(b"-----BEGIN"):
        body = b"".join(line for line in raw.splitlines() if not line.startswith(b"-----"))
        return base64.b64decode(body)
    return raw


def _verify(ossl: OpenSSLPKI, evidence: object, content: object) -> bayident.VerificationResult:
    result = bayident.verify(
        evidence,  # type: ignore[arg-type]
        content=content,  # type: ignore[arg-type]
        trust=[ossl.root],
        at=ossl.at,
    )
    return assert_well_formed(result)


def test_intact_signature_passes(ossl: OpenSSLPKI, signed: tuple[Case, Path]) -> None:
    case, path = signed
    result = _verify(ossl, path, CONTENT)
    assert result.indication is Indication.PASSED, result.explain()
    assert len(result.signers) == len(case.signers)
    subjects = {r.certificate.subject for r in result.signers if r.certificate}
    assert subjects == {f"CN=OpenSSL {k} signer,O=bayident interop,C=HK" for k in case.signers}
    for report in result.signers:
        assert report.passed
        assert report.digest_algorithm == case.digest
        if case.mechanism:
            assert report.signature_algorithm == case.mechanism
        assert bool(report.signed_attributes) is case.attributes
        # The path runs signer → openssl intermediate → openssl root.
        assert [c.subject.split(",")[0] for c in report.chain][1:] == [
            "CN=OpenSSL Interop Issuing CA",
            "CN=OpenSSL Interop Root CA",
        ]
        assert report.trust_anchor is not None
        assert report.trust_anchor.subject.startswith("CN=OpenSSL Interop Root CA")


def test_tampered_content_fails(ossl: OpenSSLPKI, signed: tuple[Case, Path]) -> None:
    case, path = signed
    result = _verify(ossl, path, TAMPERED)
    assert result.indication is Indication.FAILED
    if case.attributes:
        assert result.sub_indication is SubIndication.HASH_FAILURE
        names = {c.name for c in result.failed_checks()}
        assert "message-digest" in names
        assert all("message-digest" in (c.concerns or "") for c in result.failed_checks())
    else:
        assert result.sub_indication is SubIndication.SIG_CRYPTO_FAILURE
        assert {c.name for c in result.failed_checks()} == {"signature"}
    # Every signer covers the same content, so every one of them fails.
    assert all(r.indication is Indication.FAILED for r in result.signers)


def test_flipped_signature_byte_fails(ossl: OpenSSLPKI, signed: tuple[Case, Path]) -> None:
    case, path = signed
    der = _der(path)
    regions = signer_regions(der)
    assert len(regions) == len(case.signers)
    bad = len(regions) - 1  # damage the last signer only
    sig = regions[bad].signature
    for offset in (sig.start + len(sig) // 2, sig.stop - 1):
        result = _verify(ossl, flip_byte(der, offset), CONTENT)
        assert result.indication is Indication.FAILED, result.explain()
        assert result.sub_indication is SubIndication.SIG_CRYPTO_FAILURE
        failed = result.failed_checks()
        assert [c.name for c in failed] == ["signature"]
        assert failed[0].concerns == f"SignerInfo[{bad}].signature"
        assert failed[0].signer == bad
        assert [r.passed for r in result.signers] == [i != bad for i in range(len(regions))]
        if len(regions) > 1:
            assert result.message.startswith(f"signer {bad}: ")


@pytest.mark.parametrize("good", [True, False], ids=["intact", "tampered"])
def test_content_forms_agree(ossl: OpenSSLPKI, signed: tuple[Case, Path], good: bool) -> None:
    _, path = signed
    data = CONTENT if good else TAMPERED
    file = ossl.content if good else ossl.tampered
    as_bytes = _verify(ossl, path, data)
    as_str_path = _verify(ossl, path, str(file))
    as_path = _verify(ossl, path, file)
    with file.open("rb") as fh:
        as_stream = _verify(ossl, path, fh)
    as_bytesio = _verify(ossl, path, io.BytesIO(data))
    expected = as_bytes.model_dump()
    for other in (as_str_path, as_path, as_stream, as_bytesio):
        assert other.model_dump() == expected
    assert as_bytes.passed is good


def test_evidence_forms_agree(ossl: OpenSSLPKI, signed: tuple[Case, Path]) -> None:
    _, path = signed
    raw = path.read_bytes()
    results = [
        _verify(ossl, raw, CONTENT),
        _verify(ossl, _der(path), CONTENT),
        _verify(ossl, str(path), CONTENT),
        _verify(ossl, io.BytesIO(raw), CONTENT),
    ]
    assert all(r.passed for r in results), [r.message for r in results]
    assert len({r.evidence_format for r in results}) == 1
    assert len({tuple((c.name, c.outcome) for c in r.checks) for r in results}) == 1


def test_openssl_accepts_what_bayident_accepts(ossl: OpenSSLPKI, signed: tuple[Case, Path]) -> None:
    """The signatures are sound by openssl's own account, so a FAILED above is not their fault."""
    case, path = signed
    _openssl(
        "cms",
        "-verify",
        "-binary",
        "-in",
        path,
        "-inform",
        "PEM" if case.pem else "DER",
        "-content",
        ossl.content,
        "-CAfile",
        ossl.root,
        "-purpose",
        "any",
        "-out",
        ossl.dir / f"{case.id}.out",
        cwd=ossl.dir,
    )
    result = _verify(ossl, path, CONTENT)
    assert result.passed


# --- S/MIME multipart/signed ---------------------------------------------------------


@pytest.fixture(scope="module")
def smime(ossl: OpenSSLPKI) -> Path:
    # Without -binary openssl writes the content in canonical (CRLF) text form.
    text = ossl.dir / "letter.txt"
    text.write_bytes(b"Dear applicant,\nyour form was received.\n\nRegards\n")
    out = ossl.dir / "letter.eml"
    cert, key = ossl.signer("rsa")
    _openssl(
        "cms",
        "-sign",
        "-in",
        text,
        "-signer",
        cert,
        "-inkey",
        key,
        "-certfile",
        ossl.intermediate,
        "-out",
        out,
        cwd=ossl.dir,
    )
    return out


def test_smime_multipart_signed_passes(ossl: OpenSSLPKI, smime: Path) -> None:
    raw = smime.read_bytes()
    assert b"multipart/signed" in raw
    result = _verify(ossl, smime, None)
    assert result.passed, result.explain()
    assert result.evidence_format == "smime"
    md = [c for c in result.checks if c.name == "message-digest"]
    assert md
    assert "S/MIME" in md[0].message


def test_smime_tampered_part_fails(ossl: OpenSSLPKI, smime: Path) -> None:
    raw = smime.read_bytes()
    assert raw.count(b"received") == 1
    result = _verify(ossl, raw.replace(b"received", b"rejected"), None)
    assert result.indication is Indication.FAILED
    assert result.sub_indication is SubIndication.HASH_FAILURE


def test_smime_flipped_signature_fails(ossl: OpenSSLPKI, smime: Path) -> None:
    raw = smime.read_bytes()
    head, sep, tail = raw.partition(b'filename="smime.p7s"')
    assert sep
    body_start = tail.index(b"\n\n") + 2
    body_end = tail.index(b"\n\n", body_start)
    der = base64.b64decode(tail[body_start:body_end])
    sig = signer_regions(der)[0].signature
    damaged = base64.encodebytes(flip_byte(der, sig.stop - 1))
    forged = head + sep + tail[:body_start] + damaged + tail[body_end:]
    result = _verify(ossl, forged, None)
    assert result.indication is Indication.FAILED
    assert result.sub_indication is SubIndication.SIG_CRYPTO_FAILURE


def test_untrusted_openssl_root_is_reported(ossl: OpenSSLPKI) -> None:
    path = ossl.sign("untrusted.p7s", ["p256"], "-outform", "DER")
    result = assert_well_formed(bayident.verify(path, content=CONTENT, trust=[], at=ossl.at))
    assert result.indication is Indication.INDETERMINATE
    assert result.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND


def test_openssl_certificates_outside_window(ossl: OpenSSLPKI) -> None:
    path = ossl.sign("window.p7s", ["p256"], "-outform", "DER")
    late = ossl.at + dt.timedelta(days=40)
    result = assert_well_formed(bayident.verify(path, content=CONTENT, trust=[ossl.root], at=late))
    assert result.indication is Indication.INDETERMINATE
    assert result.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE


def test_ed25519_signer_with_openssl_certificates(ossl: OpenSSLPKI) -> None:
    """Ed25519 key and certificate path from openssl; the CMS itself from bayident.testing.

    Covers the Ed25519 certificate chain even where ``openssl cms`` cannot sign with EdDSA.
    """
    cert_path, key_path = ossl.signer("ed25519")
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    inter = x509.load_pem_x509_certificate(ossl.intermediate.read_bytes())
    for attributes in (True, False):
        spec = SignerSpec(private_key=key, certificate=cert, attributes=attributes)
        der = build_signed_data(CONTENT, [spec], certificates=[cert, inter])
        good = _verify(ossl, der, CONTENT)
        assert good.passed, good.explain()
        assert good.signers[0].signature_algorithm == "ed25519"
        bad = _verify(ossl, der, TAMPERED)
        assert bad.indication is Indication.FAILED
        assert bad.sub_indication is (
            SubIndication.HASH_FAILURE if attributes else SubIndication.SIG_CRYPTO_FAILURE
        )
