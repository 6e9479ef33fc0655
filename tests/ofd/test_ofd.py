"""OFD electronic seals built by the test kit: every fault gives its EN 319 102-1 verdict."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import bayident
from bayident import Indication, Policy, SubIndication, TrustStore
from bayident.ofd import ZipFormatError, ZipLimits, ZipPackage, parse_seal_signature
from bayident.sm import sm_available
from bayident.testing._plugin import OFDKit

pytestmark = pytest.mark.skipif(not sm_available(), reason="needs the 'sm' extra")


def _trust(kit: OFDKit) -> TrustStore:
    return TrustStore.from_pem_bundle(kit.ca.cert_pem)


def _verify(kit: OFDKit, data: bytes, **kw: Any) -> bayident.VerificationResult:
    return bayident.verify(data, trust=_trust(kit), **kw)


def _sub(result: bayident.VerificationResult) -> tuple[Indication, SubIndication | None]:
    return result.indication, result.sub_indication


def test_sealed_document_passes_with_seal_report(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    result = _verify(kit, kit.ofd_signer.sign())
    assert result.passed, result.explain()
    assert result.evidence_format == "ofd"
    (signer,) = result.signers
    seal = signer.details["seal"]
    assert seal["name"] == "Sandbox Trading Ltd 公章"
    assert seal["seal_id"] == "44010000000001"
    assert seal["maker"].startswith("CN=Sandbox Seal Maker")
    assert signer.certificate is not None
    assert "Sandbox Trading Ltd" in signer.certificate.subject
    names = {c.name for c in result.checks}
    for wanted in (
        "ofd-container",
        "reference-digest",
        "data-hash",
        "signature",
        "seal-file",
        "seal-signature",
        "seal-certificate-list",
        "seal-validity",
        "certificate-path",
        "seal-maker-certificate-path",
    ):
        assert wanted in names


def test_untrusted_is_no_chain(bayident_ofd_kit: OFDKit) -> None:
    result = bayident.verify(bayident_ofd_kit.ofd_signer.sign(), trust=TrustStore())
    assert _sub(result) == (Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("content-changed", SubIndication.HASH_FAILURE),
        ("check-value-altered", SubIndication.HASH_FAILURE),
        ("signature-xml-changed", SubIndication.HASH_FAILURE),
        ("seal-file-swapped", SubIndication.HASH_FAILURE),
        ("signature-flipped", SubIndication.SIG_CRYPTO_FAILURE),
        ("signed-value-truncated", SubIndication.FORMAT_FAILURE),
        ("reference-escapes-package", SubIndication.FORMAT_FAILURE),
        ("zip-path-traversal", SubIndication.FORMAT_FAILURE),
        ("zip-duplicate-entry", SubIndication.FORMAT_FAILURE),
        ("zip-bomb", SubIndication.FORMAT_FAILURE),
        ("referenced-file-removed", SubIndication.SIGNED_DATA_NOT_FOUND),
    ],
)
@pytest.mark.parametrize("version", [4, 1])
def test_faults(
    bayident_ofd_kit: OFDKit, fault: str, expected: SubIndication, version: int
) -> None:
    kit = bayident_ofd_kit
    from bayident.testing import MockOFDSigner

    seal = kit.maker.make_seal("Seal", holders=[kit.holder], version=version)
    data = MockOFDSigner(kit.holder, seal).sign(version=version, fault=fault)
    result = _verify(kit, data)
    assert result.sub_indication is expected, result.explain()
    assert result.evidence_format == "ofd"


def test_v1_seal_passes_and_says_so(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    from bayident.testing import MockOFDSigner

    seal = kit.maker.make_seal("V1 seal", holders=[kit.holder], version=1)
    result = _verify(kit, MockOFDSigner(kit.holder, seal).sign(version=1))
    assert result.passed, result.explain()
    assert result.signers[0].details["format"] == "GM/T 0031-2014 V1"


def test_forged_seal_is_sig_crypto_failure(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    from bayident.testing import MockOFDSigner

    seal = kit.maker.make_seal("Forged", holders=[kit.holder], fault="maker-signature")
    result = _verify(kit, MockOFDSigner(kit.holder, seal).sign())
    assert _sub(result) == (Indication.FAILED, SubIndication.SIG_CRYPTO_FAILURE)
    assert any(c.name == "seal-signature" and c.outcome == "failed" for c in result.checks)


def test_signer_not_in_seal_list(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    from bayident.testing import MockOFDSigner

    other = kit.ca.issue_signer("Somebody Else")
    data = MockOFDSigner(other, kit.seal).sign()
    result = _verify(kit, data)
    assert _sub(result) == (Indication.INDETERMINATE, SubIndication.SIG_CONSTRAINTS_FAILURE)


def test_certificate_digest_list(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    from bayident.testing import MockOFDSigner

    seal = kit.maker.make_seal("Digests", holders=[kit.holder], cert_digests=True)
    assert _verify(kit, MockOFDSigner(kit.holder, seal).sign()).passed


def test_expired_seal_without_poe(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    from bayident.testing import MockOFDSigner

    seal = kit.maker.make_seal("Old", holders=[kit.holder], fault="expired")
    result = _verify(kit, MockOFDSigner(kit.holder, seal).sign())
    assert _sub(result) == (Indication.INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE)


@pytest.mark.parametrize("method", ["SM3", "1.2.156.10197.1.401", "SHA-256"])
def test_check_methods(bayident_ofd_kit: OFDKit, method: str) -> None:
    kit = bayident_ofd_kit
    result = _verify(kit, kit.ofd_signer.sign(check_method=method))
    assert result.passed, result.explain()


def test_default_md5_is_refused_by_policy(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    result = _verify(kit, kit.ofd_signer.sign(check_method=None))
    assert _sub(result) == (Indication.INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE)
    assert "md5" in result.message


def test_bare_sm2_sign_needs_the_certificate(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    data = kit.ofd_signer.sign(kind="Sign")
    result = _verify(kit, data)
    assert _sub(result) == (Indication.INDETERMINATE, SubIndication.NO_SIGNING_CERTIFICATE_FOUND)
    other = kit.ca.issue_signer("Wrong")
    assert _verify(kit, data, extra_certs=[other.cert_pem]).sub_indication is (
        SubIndication.SIG_CRYPTO_FAILURE
    )
    result = _verify(kit, data, extra_certs=[other.cert_pem, kit.holder.cert_pem])
    assert result.passed, result.explain()


def test_signed_data_sign(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    result = _verify(kit, kit.ofd_signer.sign(kind="Sign-SignedData"))
    assert result.passed, result.explain()
    assert result.signers[0].details["format"] == "GB/T 35275 SignedData"


def test_validation_after_certificate_expiry(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    later = datetime.now(UTC) + timedelta(days=3 * 365)
    result = _verify(kit, kit.ofd_signer.sign(), at=later)
    assert result.indication is Indication.INDETERMINATE


def test_unsigned_ofd_is_format_failure() -> None:
    from bayident.testing import blank_ofd

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in blank_ofd().items():
            z.writestr(name, data)
    result = bayident.verify(buf.getvalue(), trust=TrustStore())
    assert _sub(result) == (Indication.FAILED, SubIndication.FORMAT_FAILURE)
    assert result.evidence_format == "ofd"


def test_zip_limits_from_policy(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    data = kit.ofd_signer.sign()
    tight = Policy(ofd_max_member_bytes=1024)
    result = _verify(kit, data, policy=tight)
    assert _sub(result) == (Indication.FAILED, SubIndication.FORMAT_FAILURE)
    assert "ofd_max_member_bytes" in result.message


def test_zip_reader_refuses_lying_sizes() -> None:
    # A member declaring fewer bytes than it inflates to stops at the declared size.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", b"x" * 5000)
    raw = bytearray(buf.getvalue())
    cd = raw.find(b"PK\x01\x02")
    raw[cd + 24 : cd + 28] = (100).to_bytes(4, "little")
    pkg = ZipPackage(bytes(raw))
    with pytest.raises(ZipFormatError, match="beyond its declared size"):
        pkg.read("OFD.xml")


def test_zip_reader_ratio_and_entries() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.bin", b"\x00" * (4 << 20))
        z.writestr("b.bin", b"b")
    with pytest.raises(ZipFormatError, match="ratio"):
        ZipPackage(buf.getvalue())
    with pytest.raises(ZipFormatError, match="entries"):
        ZipPackage(buf.getvalue(), ZipLimits(max_entries=1, max_ratio=10_000))
    assert ZipPackage(buf.getvalue(), ZipLimits(max_ratio=10_000)).read("b.bin") == b"b"


@pytest.mark.parametrize(
    "name", ["/abs.xml", "a\\b.xml", "C:/x.xml", "a/../../b", "a/.", "a//b", "./a"]
)
def test_zip_reader_refuses_unsafe_names(name: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo(name), b"x")
    with pytest.raises(ZipFormatError, match="refused"):
        ZipPackage(buf.getvalue())


def test_doctype_is_refused(bayident_ofd_kit: OFDKit) -> None:
    from bayident.testing import blank_ofd

    files = blank_ofd()
    files["OFD.xml"] = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    result = bayident.verify(buf.getvalue(), trust=TrustStore())
    assert _sub(result) == (Indication.FAILED, SubIndication.FORMAT_FAILURE)
    assert "DOCTYPE" in result.message


def test_parse_seal_signature_round_trip(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    data = kit.ofd_signer.sign()
    value = ZipPackage(data).read("Doc_0/Signs/Sign_0/SignedValue.dat")
    ses = parse_seal_signature(value)
    assert ses.version == 4
    assert ses.signer_cert == kit.holder.cert_der
    assert ses.seal.der == kit.seal


async def test_averify_and_verifier(bayident_ofd_kit: OFDKit) -> None:
    kit = bayident_ofd_kit
    data = kit.ofd_signer.sign()
    verifier = bayident.Verifier(trust=_trust(kit))
    assert verifier.verify(data).passed
    assert (await bayident.averify(data, trust=_trust(kit))).passed


def test_without_the_sm_extra_is_indeterminate(
    bayident_ofd_kit: OFDKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bayident.sm import _backend

    data = bayident_ofd_kit.ofd_signer.sign()
    monkeypatch.setattr(_backend, "_load", lambda: "ModuleNotFoundError: No module named 'x'")
    result = _verify(bayident_ofd_kit, data)
    assert _sub(result) == (Indication.INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE)
    assert "pip install 'bayident[sm]'" in result.message


def test_identity_through_the_gdca_adapter() -> None:
    from bayident.testing import MockGuangdongCA, MockOFDSigner, MockSealMaker

    ca = MockGuangdongCA(algorithm="sm2", brand="GDCA")
    company = ca.issue_organisation("广州示例科技有限公司", "91440300708461136T")
    maker = MockSealMaker(ca.sm2_issuing.issue_signer("Seal Maker"))
    seal = maker.make_seal("公章", holders=[company])
    data = MockOFDSigner(company, seal).sign()
    result = bayident.verify(data, trust=ca.trust_store(), extra_certs=[ca.sm2_issuing.cert_pem])
    assert result.passed, result.explain()
    assert result.identity is not None
    code = result.identity.identifier("CN_USCC")
    assert code is not None
    assert code.value == "91440300708461136T"
    assert result.adapter == "gdca"


def test_docs_page_examples_run(bayident_ofd_kit: OFDKit) -> None:
    # The sandbox snippets of docs/ofd.md (those that build their own documents) run as
    # written, and what they build verifies as the page says.
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "ofd.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    runnable = [b for b in blocks if "bayident.testing" in b]
    assert runnable
    for block in runnable:
        scope: dict[str, Any] = {}
        exec(compile(block, str(page), "exec"), scope)
        trust = TrustStore.from_pem_bundle(scope["ca"].cert_pem)
        assert bayident.verify(scope["good"], trust=trust).passed
        assert bayident.verify(scope["changed"], trust=trust).sub_indication is (
            SubIndication.HASH_FAILURE
        )
        assert bayident.verify(scope["forged"], trust=trust).sub_indication is (
            SubIndication.SIG_CRYPTO_FAILURE
        )


def test_mutated_packages_never_raise(bayident_ofd_kit: OFDKit) -> None:
    # Random damage anywhere (the ZIP structure, the XML, the signed value, the seal)
    # gives a result, never an exception, and never PASSED.
    import random

    kit = bayident_ofd_kit
    rng = random.Random(16)
    sealed = kit.ofd_signer.sign()
    members = {n: ZipPackage(sealed).read(n) for n in ZipPackage(sealed).names()}
    trust = _trust(kit)
    for i in range(120):
        if i % 2:
            raw = bytearray(sealed)
            for _ in range(rng.randint(1, 4)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            data = bytes(raw)
        else:
            files = dict(members)
            name = rng.choice(sorted(files))
            body = bytearray(files[name])
            if rng.random() < 0.5 and len(body) > 2:
                del body[rng.randrange(len(body)) :]
            else:
                body[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
            files[name] = bytes(body)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for n, content in files.items():
                    z.writestr(n, content)
            data = buf.getvalue()
        if data == sealed:
            continue
        result = bayident.verify(data, trust=trust)
        assert isinstance(result, bayident.VerificationResult)
        if result.passed:
            # Only damage to what no signature covers (ZIP dates, versions) may pass.
            pkg = ZipPackage(data)
            assert {n: pkg.read(n) for n in pkg.names()} == members, result.explain()


def test_time_stamp_is_proof_of_existence(bayident_ofd_kit: OFDKit) -> None:
    # The seal expires after signing; a time-stamp over the signature value from before
    # the expiry keeps the signature valid (EN 319 102-1 past signature validation).
    from bayident.testing import MockCA, MockOFDSigner, MockTSA

    kit = bayident_ofd_kit
    now = datetime.now(UTC).replace(microsecond=0)
    seal = kit.maker.make_seal(
        "Short-lived",
        holders=[kit.holder],
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=30),
    )
    tsa_root = MockCA("Sandbox TSA Root")
    tsa = MockTSA(tsa_root)
    signer = MockOFDSigner(kit.holder, seal)
    later = now + timedelta(days=60)
    trust = TrustStore.from_pem_bundle(kit.ca.cert_pem + tsa_root.cert_pem)
    stamped = signer.sign(signing_time=now, timestamp=lambda sig: tsa.token(sig, gen_time=now))
    result = bayident.verify(stamped, trust=trust, at=later)
    assert result.passed, result.explain()
    assert result.signers[0].details["time_stamp"]["gen_time"] == now
    plain = signer.sign(signing_time=now)
    result = bayident.verify(plain, trust=trust, at=later)
    assert _sub(result) == (Indication.INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE)
    # A token over other data proves nothing: reported, and the seal's expiry stands.
    wrong = signer.sign(signing_time=now, timestamp=lambda sig: tsa.token(b"other", gen_time=now))
    result = bayident.verify(wrong, trust=trust, at=later)
    assert result.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE
    assert any(c.name == "time-stamp" and c.outcome == "warning" for c in result.checks)


def test_reference_flood_is_bounded(bayident_ofd_kit: OFDKit) -> None:
    # A Signature.xml repeating one Reference endlessly is refused past the entry limit,
    # instead of costing a digest and a check each.
    kit = bayident_ofd_kit
    sealed = ZipPackage(kit.ofd_signer.sign())
    files = {n: sealed.read(n) for n in sealed.names()}
    name = "Doc_0/Signs/Sign_0/Signature.xml"
    start = files[name].index(b"<ofd:Reference ")
    end = files[name].index(b"</ofd:Reference>", start) + len(b"</ofd:Reference>")
    one = files[name][start:end]
    files[name] = files[name][:start] + one * 50 + files[name][end:]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, content in files.items():
            z.writestr(n, content)
    result = _verify(kit, buf.getvalue(), policy=Policy(ofd_max_entries=40))
    assert _sub(result) == (Indication.FAILED, SubIndication.FORMAT_FAILURE)
    assert "ofd_max_entries" in result.message
    # Under the limit, the repeated file is hashed once and each Reference still checked.
    result = _verify(kit, buf.getvalue())
    digests = [c for c in result.checks if c.name == "reference-digest"]
    assert len(digests) >= 50


def test_without_the_engine_dependencies_is_indeterminate(
    bayident_ofd_kit: OFDKit, monkeypatch: pytest.MonkeyPatch
) -> None:
    # lxml comes with the 'sm' extra; without it the package cannot be read, and the
    # result says which extra to install instead of failing the document.
    import sys

    data = bayident_ofd_kit.ofd_signer.sign()
    monkeypatch.setitem(sys.modules, "bayident.ofd._verify", None)
    result = _verify(bayident_ofd_kit, data)
    assert _sub(result) == (Indication.INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE)
    assert "pip install 'bayident[sm]'" in result.message
    assert result.evidence_format == "ofd"


def test_claims_outside_the_seal_are_warnings(bayident_ofd_kit: OFDKit) -> None:
    # A signing time claimed after the seal's expiry passes (a claim proves nothing) but
    # is reported in the result's warnings as well as in its check.
    kit = bayident_ofd_kit
    later = datetime.now(UTC) + timedelta(days=400)
    result = _verify(kit, kit.ofd_signer.sign(signing_time=later))
    assert result.passed, result.explain()
    assert any("claimed signing time" in w for w in result.warnings)


def test_command_line(
    bayident_ofd_kit: OFDKit, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from bayident.cli import main

    kit = bayident_ofd_kit
    doc = tmp_path / "sealed.ofd"
    doc.write_bytes(kit.ofd_signer.sign())
    root = tmp_path / "root.pem"
    root.write_bytes(kit.ca.cert_pem)
    assert main(["verify", str(doc), "--trust-anchor", str(root), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["evidence_format"] == "ofd"
    assert out["signers"][0]["details"]["seal"]["name"] == "Sandbox Trading Ltd 公章"
    changed = tmp_path / "changed.ofd"
    changed.write_bytes(kit.ofd_signer.sign(fault="content-changed"))
    assert main(["verify", str(changed), "--trust-anchor", str(root)]) == 1
    assert "reference-digest" in capsys.readouterr().out


def test_two_signatures_each_reported(bayident_ofd_kit: OFDKit) -> None:
    from bayident.testing import MockOFDSigner

    kit = bayident_ofd_kit
    first = kit.ofd_signer.sign()
    second_holder = kit.ca.issue_signer("Sandbox Logistics Ltd")
    seal = kit.maker.make_seal("Sandbox Logistics Ltd 公章", holders=[second_holder])
    both = MockOFDSigner(second_holder, seal).sign(MockOFDSigner.files_of(first))
    result = _verify(kit, both)
    assert result.passed, result.explain()
    names = [s.details["seal"]["name"] for s in result.signers]
    assert names == ["Sandbox Trading Ltd 公章", "Sandbox Logistics Ltd 公章"]
    # The second signer applying the first holder's seal: only that signature is wrong.
    wrong = MockOFDSigner(second_holder, kit.seal).sign(MockOFDSigner.files_of(first))
    result = _verify(kit, wrong)
    assert _sub(result) == (Indication.INDETERMINATE, SubIndication.SIG_CONSTRAINTS_FAILURE)
    assert [s.indication for s in result.signers] == [
        Indication.PASSED,
        Indication.INDETERMINATE,
    ]
    assert result.message.startswith("signature 2:")
