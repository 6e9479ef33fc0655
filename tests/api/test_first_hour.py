"""The traps a new user met in the first hour, each reproduced and now passing."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

import bayident
from _pki import AT, CONTENT, SandboxPKI
from bayident import BayidentError, InputError, Policy, PolicyError
from bayident.jose import verify_jws
from bayident.testing import MockJWTIssuer


def _pem(der: bytes) -> str:
    body = base64.encodebytes(der).decode("ascii")
    return f"-----BEGIN CMS-----\n{body}-----END CMS-----\n"


# --- a str is text where text is meant ---------------------------------------------------


def test_a_compact_jws_as_a_str_is_the_evidence(pki: SandboxPKI) -> None:
    token = MockJWTIssuer.from_signer(pki.signer).sign_detached(CONTENT, x5c=True)
    trust = [pki.root.cert_pem]
    by_verify = bayident.verify(token, content=CONTENT, trust=trust, at=AT)
    assert by_verify.passed, by_verify.explain()
    assert by_verify.evidence_format == "jws"
    by_jose = verify_jws(token, content=CONTENT, trust=trust, at=AT)
    assert (by_jose.indication, by_jose.sub_indication) == (
        by_verify.indication,
        by_verify.sub_indication,
    )


def test_pem_text_and_base64_text_are_the_evidence(pki: SandboxPKI) -> None:
    cms = pki.signer.sign_detached_cms(CONTENT)
    trust = [pki.root.cert_pem]
    assert bayident.verify(_pem(cms), content=CONTENT, trust=trust, at=AT).passed
    b64 = base64.b64encode(cms).decode("ascii")
    assert bayident.verify(b64, content=CONTENT, trust=trust, at=AT).passed


def test_document_text_is_the_content(pki: SandboxPKI) -> None:
    text = "Cross-boundary application: I, CHAN Tai Man, apply.\n"
    cms = pki.signer.sign_detached_cms(text.encode("utf-8"))
    res = bayident.verify(cms, content=text, trust=[pki.root.cert_pem], at=AT)
    assert res.passed, res.explain()


def test_a_str_naming_a_file_is_the_file_and_a_path_is_always_a_path(
    pki: SandboxPKI, tmp_path: Path
) -> None:
    cms = pki.signer.sign_detached_cms(CONTENT)
    (tmp_path / "form.p7s").write_bytes(cms)
    (tmp_path / "form.txt").write_bytes(CONTENT)
    trust = [pki.root.cert_pem]
    as_str = bayident.verify(
        str(tmp_path / "form.p7s"), content=str(tmp_path / "form.txt"), trust=trust, at=AT
    )
    assert as_str.passed
    as_path = bayident.verify(
        tmp_path / "form.p7s", content=tmp_path / "form.txt", trust=trust, at=AT
    )
    assert as_path.passed


@pytest.mark.parametrize("what", ["evidence", "content"])
def test_a_missing_file_name_is_refused_not_verified_as_text(
    pki: SandboxPKI, tmp_path: Path, what: str
) -> None:
    cms = pki.signer.sign_detached_cms(CONTENT)
    missing = str(tmp_path / "no-such-form.p7s")
    kwargs = {"evidence": missing, "content": CONTENT}
    if what == "content":
        kwargs = {"evidence": cms, "content": missing}
    with pytest.raises(InputError, match=r"no-such-form\.p7s"):
        bayident.verify(kwargs["evidence"], content=kwargs["content"], at=AT)


def test_errors_never_echo_a_whole_token() -> None:
    # Not a JWS (no "ey" header), no line break, not base64: taken for a missing file.
    secret = "ab!" * 500
    with pytest.raises(InputError) as info:
        bayident.verify(secret, at=AT)
    assert len(str(info.value)) < 300
    assert secret not in str(info.value)
    # Shaped like a token, so read as one: the result does not echo it either.
    token = "eyJ" + "A" * 1500 + ".e30.c2ln"
    res = bayident.verify(token, at=AT)
    assert not res.passed
    assert token not in res.explain()


# --- errors a new user can catch ---------------------------------------------------------


def test_a_policy_typo_is_a_policy_error_with_a_suggestion() -> None:
    with pytest.raises(PolicyError, match="did you mean 'clock_skew'"):
        Policy(clock_skw=5)  # type: ignore[call-arg]
    with pytest.raises(BayidentError, match="max_signers"):
        Policy(max_signers=0)
    with pytest.raises(PolicyError, match="revocation_mode"):
        Policy().replace(revocation_mode="sometimes")


def test_a_policy_file_typo_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("max_chain_lenght = 4\n")
    with pytest.raises(PolicyError, match=r"policy\.toml.*did you mean 'max_chain_length'"):
        Policy.from_file(path)


# --- the command line ----------------------------------------------------------------------


def test_python_dash_m_bayident_is_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bayident", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert bayident.__version__ in out.stdout


def test_a_passed_results_signer_certificate_is_typed_as_present(pki: SandboxPKI) -> None:
    from bayident import ResultError

    cms = pki.signer.sign_detached_cms(CONTENT)
    res = bayident.verify(cms, content=CONTENT, trust=[pki.root.cert_pem], at=AT)
    assert res.passed
    assert res.signer_certificate().subject == res.signers[0].certificate.subject  # type: ignore[union-attr]
    failed = bayident.verify(cms, content=CONTENT + b"!", trust=[pki.root.cert_pem], at=AT)
    with pytest.raises(ResultError, match="not PASSED"):
        failed.signer_certificate()
    with pytest.raises(ResultError, match="no signer 3"):
        res.signer_certificate(3)


def _without_etsi(program: str) -> subprocess.CompletedProcess[str]:
    """Run ``program`` as if lxml and signxml were not installed."""
    blocked = "import sys; sys.modules['lxml'] = None; sys.modules['signxml'] = None\n"
    return subprocess.run([sys.executable, "-c", blocked + program], capture_output=True, text=True)


def test_json_trust_lists_need_no_extra_and_xml_ones_name_it(tmp_path: Path) -> None:
    from bayident.testing import MockTrustListOperator

    operator = MockTrustListOperator("HK")
    (tmp_path / "hk.json").write_text(operator.json_jws())
    (tmp_path / "hk.xml").write_bytes(operator.etsi_xml())
    done = _without_etsi(
        "import bayident\n"
        "import bayident.trustlist as t\n"
        f"doc = t.read_trusted_list(open({str(tmp_path / 'hk.json')!r}, 'rb').read())\n"
        "assert doc.valid, doc.reason\n"
        "try:\n"
        f"    t.read_trusted_list(open({str(tmp_path / 'hk.xml')!r}, 'rb').read())\n"
        "except bayident.MissingExtraError as exc:\n"
        "    print(exc)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "pip install 'bayident[etsi]'" in done.stdout


def test_a_missing_extra_is_one_line_and_exit_64(tmp_path: Path) -> None:
    from bayident.testing import MockTrustListOperator

    (tmp_path / "list.xml").write_bytes(MockTrustListOperator("HK").etsi_xml())
    (tmp_path / "x.p7s").write_bytes(b"0")
    argv = ["verify", str(tmp_path / "x.p7s"), "--trust-list", str(tmp_path / "list.xml")]
    done = _without_etsi(f"from bayident.cli import main\nsys.exit(main({argv!r}))\n")
    assert done.returncode == 64, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert "pip install 'bayident[etsi]'" in lines[0]
    assert "internal error" not in lines[0]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "it is empty"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "a private key"),
        (b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", "revocation list"),
        (b'{"keys": []}', "JSON or XML"),
        (b"\x30\x03\x02\x01\x07", "not a valid X.509 certificate"),
    ],
)
def test_a_bad_trust_anchor_names_the_file_and_what_it_is(
    tmp_path: Path, data: bytes, said: str
) -> None:
    from bayident import TrustStoreError

    path = tmp_path / "root.pem"
    path.write_bytes(data)
    with pytest.raises(TrustStoreError) as info:
        bayident.TrustStore.from_files(path)
    message = str(info.value)
    assert "root.pem" in message
    assert said in message
    assert "ParseError" not in message  # no parser debug output


def test_a_malformed_extra_certificate_is_reported_and_ignored(pki: SandboxPKI) -> None:
    cms = pki.signer.sign_detached_cms(CONTENT)
    res = bayident.verify(
        cms,
        content=CONTENT,
        trust=[pki.root.cert_pem],
        at=AT,
        extra_certs=[b"\x30\x03\x02\x01\x07"],
    )
    assert res.passed, res.explain()
    check = next(c for c in res.checks if c.name == "certificate-parse")
    assert check.concerns == "extra_certs[0]"
    assert "not a valid X.509 certificate" in check.message


def test_pem_text_as_a_str_is_a_trust_anchor_and_an_extra_certificate(pki: SandboxPKI) -> None:
    cms = pki.signer.sign_detached_cms(CONTENT)
    root_text = pki.root.cert_pem.decode("ascii")
    res = bayident.verify(cms, content=CONTENT, trust=root_text, at=AT)
    assert res.passed, res.explain()
    res = bayident.verify(
        cms,
        content=CONTENT,
        trust=[root_text],
        at=AT,
        extra_certs=[pki.intermediate.cert_pem.decode("ascii")],
    )
    assert res.passed, res.explain()


def test_every_public_name_without_etsi_works_or_names_the_extra() -> None:
    # Reaching a name whose module needs lxml/signxml gives MissingExtraError, never a
    # bare ModuleNotFoundError; everything else imports as usual.
    done = _without_etsi(
        "import importlib, bayident\n"
        "bad = []\n"
        "for pkg in ('bayident', 'bayident.trustlist', 'bayident.testing', 'bayident.jose',\n"
        "            'bayident.schemes', 'bayident.identifiers', 'bayident.ofd'):\n"
        "    mod = importlib.import_module(pkg)\n"
        "    for name in getattr(mod, '__all__', dir(mod)):\n"
        "        try:\n"
        "            getattr(mod, name)\n"
        "        except bayident.MissingExtraError as exc:\n"
        '            assert "bayident[etsi]" in str(exc) or "bayident[sm]" in str(exc), exc\n'
        "        except Exception as exc:\n"
        "            bad.append(f'{pkg}.{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(bad))\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
