"""``bayident trustlist inspect|fetch|diff`` and ``bayident verify --trust-list``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _trustlist_kit import NOW, at, clock, operator
from bayident.cli import main
from bayident.testing import MockCA, TrustListServer

AT = at(1).isoformat()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("tlcli")
    hk, mo = operator("HK"), operator("MO")
    signer = hk.issue_signer("CHAN Tai Man (sandbox)")
    out = {
        "hk": d / "hk.xml",
        "hk2": d / "hk-2.xml",
        "mo_json": d / "mo.jws",
        "hk_signer": d / "hk-signer.pem",
        "mo_signer": d / "mo-signer.der",
        "mo_key": d / "mo-key.pem",
        "bad": d / "bad.xml",
        "content": d / "form.txt",
        "sig": d / "form.p7s",
    }
    out["hk"].write_bytes(hk.etsi_xml(sequence=1))
    out["hk2"].write_bytes(
        hk.etsi_xml(
            sequence=2,
            services=[
                hk.service(status="withdrawn", since=NOW),
                hk.service(ca=MockCA("Sandbox New CA", clock=clock())),
            ],
        )
    )
    out["mo_json"].write_text(mo.json_jws(x5c=False))
    out["hk_signer"].write_bytes(hk.signer.cert_pem)
    out["mo_signer"].write_bytes(mo.signer.cert_der)
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    out["mo_key"].write_bytes(
        mo.signer_certificate.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )
    )
    out["bad"].write_bytes(
        out["hk"].read_bytes().replace(b"Sandbox Hong Kong list", b"Forged  Hong Kong list")
    )
    out["content"].write_bytes(b"cross-boundary form")
    out["sig"].write_bytes(signer.sign_detached_cms(b"cross-boundary form"))
    return out


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_inspect(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["trustlist", "inspect", str(files["hk"])], capsys)
    assert code == 0
    assert err == ""
    for line in (
        "signature_status:  valid",
        "territory:         HK",
        "sequence_number:   1",
        "providers:         1",
        "services:          1",
        "scheme_operator:   Sandbox Hong Kong list operator",
    ):
        assert line in out
    assert "signer_trusted" not in out


def test_inspect_with_signers(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["trustlist", "inspect", str(files["hk"]), "--signer", str(files["hk_signer"]), "--json"],
        capsys,
    )
    data = json.loads(out)
    assert code == 0
    assert data["signature_status"] == "valid"
    assert data["signer_trusted"] is True
    assert data["next_update"] == "2026-07-29T12:00:00+00:00"
    code, out, _ = run(
        ["trustlist", "inspect", str(files["hk"]), "--signer", str(files["mo_signer"]), "--json"],
        capsys,
    )
    data = json.loads(out)
    assert code == 1
    assert data["signer_trusted"] is False
    assert "not among" in data["trust_reason"]


def test_inspect_json_list_with_a_pinned_key(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["trustlist", "inspect", str(files["mo_json"])], capsys)
    assert code == 1
    assert "signature_status:  unsupported" in out
    code, out, _ = run(
        ["trustlist", "inspect", str(files["mo_json"]), "--signer", str(files["mo_key"])], capsys
    )
    assert code == 0
    assert "signature_status:  valid" in out
    assert "signer_trusted:    true" in out
    assert "format:            bayident-json" in out


def test_inspect_an_altered_list(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["trustlist", "inspect", str(files["bad"])], capsys)
    assert code == 1
    assert "signature_status:  invalid" in out
    assert err == ""


@pytest.mark.parametrize(
    "args",
    [
        ["trustlist", "inspect", "/nonexistent/list.xml"],
        ["trustlist", "inspect", "."],
        ["trustlist", "inspect"],
        ["trustlist"],
        ["trustlist", "inspect", "x.xml", "--signer", "/nonexistent.pem"],
        ["trustlist", "fetch", "not-a-url", "--cache", "/tmp"],
        ["trustlist", "inspect", "http://127.0.0.1:9/list.xml", "--timeout", "1"],
    ],
)
def test_usage_errors_exit_64(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(args, capsys)
    assert code == 64
    assert err.startswith("bayident: error:")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_inspect_and_fetch_a_url(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with TrustListServer() as server:
        server.serve("/hk.xml", files["hk"].read_bytes())
        server.serve("/down.xml", b"", status=500)
        url = server.url("/hk.xml")
        assert run(["trustlist", "inspect", url], capsys)[0] == 0
        code, out, _ = run(
            [
                "trustlist",
                "fetch",
                url,
                "--cache",
                str(tmp_path),
                "--signer",
                str(files["hk_signer"]),
                "--json",
            ],
            capsys,
        )
        data = json.loads(out)
        assert code == 0
        assert data["fetch"] == "fetched"
        assert data["cached"] is True
        code, out, _ = run(["trustlist", "fetch", url, "--cache", str(tmp_path), "--json"], capsys)
        assert code == 0
        assert json.loads(out)["fetch"] == "not-modified"
        code, out, _ = run(
            ["trustlist", "fetch", server.url("/down.xml"), "--cache", str(tmp_path)], capsys
        )
        assert code == 1
        assert "HTTP 500" in out


def test_diff(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["trustlist", "diff", str(files["hk"]), str(files["hk2"])], capsys)
    assert code == 1
    assert "+ service" in out
    assert "Sandbox New CA" in out
    assert "~ status" in out
    assert "granted -> withdrawn" in out
    code, out, _ = run(["trustlist", "diff", str(files["hk"]), str(files["hk"]), "--json"], capsys)
    assert code == 0
    assert json.loads(out)["status_changes"] == []


def test_verify_with_a_trust_list(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["verify", str(files["sig"]), "--content", str(files["content"]), "--at", AT]
    code, out, err = run(
        [*base, "--trust-list", str(files["hk"]), "--trust-list-signer", str(files["hk_signer"])],
        capsys,
    )
    assert code == 0, out + err
    assert out.startswith("PASSED")
    code, out, err = run([*base, "--trust-list", str(files["hk"])], capsys)
    assert code == 0
    assert "signer not pinned" in err
    assert run(base, capsys)[0] == 2
    code, _, err = run([*base, "--trust-list", str(files["bad"])], capsys)
    assert code == 64
    assert "invalid" in err
    code, _, err = run(
        [*base, "--trust-list", str(files["hk"]), "--trust-list-signer", str(files["mo_signer"])],
        capsys,
    )
    assert code == 64
    assert "refused" in err
    code, _, err = run(
        [*base, "--trust-list", str(files["hk2"]), "--trust-list-signer", str(files["hk_signer"])],
        capsys,
    )
    # In the second list the root's service is withdrawn: no anchor, no chain.
    assert code == 2
