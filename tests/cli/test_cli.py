"""The ``bayident`` command: verdict lines, exit codes, JSON output, error lines and the demo."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import bayident
from bayident._result import Indication, SubIndication, VerificationResult
from bayident.cli import main
from bayident.cli._render import PlainRenderer, RichRenderer, make_renderer
from bayident.testing import MockCA, MockClock

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
AT = "2026-03-02T00:00:00+00:00"
CONTENT = b"Cross-boundary application form, sandbox.\n"


@dataclass
class Files:
    root: Path
    intermediate: Path
    other_root: Path
    content: Path
    tampered: Path
    signature: Path
    signature_without_chain: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    d = tmp_path_factory.mktemp("cli")
    clock = MockClock(NOW - dt.timedelta(days=30))
    root = MockCA("Sandbox CLI Root", clock=clock)
    inter = root.create_child_ca("Sandbox CLI Issuing CA")
    signer = inter.issue_signer("Sandbox CLI Signer")
    other = MockCA("Sandbox Unrelated Root", clock=clock, key_type="ec")
    out = Files(
        root=d / "root.pem",
        intermediate=d / "intermediate.der",
        other_root=d / "other.pem",
        content=d / "form.txt",
        tampered=d / "form-tampered.txt",
        signature=d / "form.p7s",
        signature_without_chain=d / "form-no-chain.p7s",
    )
    out.root.write_bytes(root.cert_pem)
    out.intermediate.write_bytes(inter.cert_der)
    out.other_root.write_bytes(other.cert_pem)
    out.content.write_bytes(CONTENT)
    out.tampered.write_bytes(CONTENT.replace(b"sandbox", b"SANDBOX"))
    out.signature.write_bytes(signer.sign_detached_cms(CONTENT))
    out.signature_without_chain.write_bytes(signer.sign_detached_cms(CONTENT, include_chain=False))
    return out


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_error_line(err: str, *fragments: str) -> None:
    assert err.endswith("\n")
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bayident: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, err)


# --- verdicts and exit codes ------------------------------------------------------------


def test_passed_prints_verdict_then_checks_and_exits_0(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    code, out, err = run(
        capsys, "verify", files.signature, "--content", files.content,
        "--trust-anchor", files.root, "--at", AT,
    )  # fmt: skip
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("PASSED: ")
    assert len(lines) > 1
    assert all(line.startswith("  ") for line in lines[1:])
    assert not any(" FAIL " in line for line in lines[1:])


def test_tampered_content_fails_with_hash_failure_and_exits_1(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    code, out, _ = run(
        capsys, "verify", files.signature, "--content", files.tampered,
        "--trust-anchor", files.root, "--at", AT,
    )  # fmt: skip
    assert code == 1
    assert out.splitlines()[0].startswith("FAILED / HASH_FAILURE: ")
    assert any(line.startswith("  FAIL ") for line in out.splitlines()[1:])


def test_untrusted_root_is_indeterminate_and_exits_2(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    code, out, _ = run(
        capsys, "verify", files.signature, "--content", files.content,
        "--trust-anchor", files.other_root, "--at", AT,
    )  # fmt: skip
    assert code == 2
    assert out.startswith("INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND: ")


def test_no_trust_anchor_at_all_is_indeterminate(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    code, out, _ = run(capsys, "verify", files.signature, "--content", files.content, "--at", AT)
    assert code == 2
    assert out.startswith("INDETERMINATE")


def test_missing_intermediate_is_supplied_with_cert(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    base = [
        "verify", files.signature_without_chain, "--content", files.content,
        "--trust-anchor", files.root, "--at", AT,
    ]  # fmt: skip
    code, out, _ = run(capsys, *base)
    assert code == 2
    assert out.startswith("INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND")
    code, out, _ = run(capsys, *base, "--cert", files.intermediate)
    assert code == 0, out
    assert out.startswith("PASSED")


def test_attached_signature_needs_no_content(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    from bayident.testing import build_signed_data

    root = MockCA("Sandbox Attached Root")
    signer = root.issue_signer("Sandbox Attached Signer")
    attached = tmp_path / "attached.p7s"
    attached.write_bytes(
        build_signed_data(
            CONTENT, [signer.signer_spec()], certificates=signer.chain, detached=False
        )
    )
    anchor = tmp_path / "attached-root.der"
    anchor.write_bytes(root.cert_der)
    code, out, _ = run(capsys, "verify", attached, "--trust-anchor", anchor)
    assert code == 0, out
    # Giving content as well is a contradiction the verifier reports, not a pass.
    code, out, _ = run(
        capsys, "verify", attached, "--trust-anchor", anchor, "--content", files.content
    )
    assert code == 1, out


def test_garbage_evidence_is_a_format_failure_not_a_crash(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.p7s"
    junk.write_bytes(b"\x30\x82\xff\xff" + b"\x00" * 20)
    code, out, err = run(capsys, "verify", junk, "--trust-anchor", files.root)
    assert (code, err) == (1, "")
    assert out.startswith("FAILED / FORMAT_FAILURE: ")


def test_policy_file_is_applied(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    # The sandbox signer's certificate carries no policy at all.
    policy.write_text('[policy]\nrequired_policy_oids = ["2.16.344.8.2.2008.810.2"]\n')
    code, out, _ = run(
        capsys, "verify", files.signature, "--content", files.content,
        "--trust-anchor", files.root, "--at", AT, "--policy", policy,
    )  # fmt: skip
    assert code == 2, out
    assert out.startswith("INDETERMINATE")


# --- JSON -------------------------------------------------------------------------------


def test_json_is_exactly_the_model(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    code, out, err = run(
        capsys, "verify", files.signature, "--content", files.tampered,
        "--trust-anchor", files.root, "--at", AT, "--json",
    )  # fmt: skip
    assert (code, err) == (1, "")
    expected = bayident.verify(
        files.signature,
        content=files.tampered,
        trust=bayident.TrustStore.from_files(files.root),
        at=dt.datetime.fromisoformat(AT),
    )
    assert out == expected.model_dump_json(indent=2) + "\n"
    parsed = json.loads(out)
    assert parsed == json.loads(expected.model_dump_json())
    # The output loads back into the model (the computed `passed` is recomputed).
    assert VerificationResult.model_validate_json(out) == expected
    assert (parsed["indication"], parsed["sub_indication"]) == ("FAILED", "HASH_FAILURE")
    assert parsed["passed"] is False


def test_naive_at_is_utc(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    base = ["verify", files.signature, "--content", files.content, "--trust-anchor", files.root]
    _, naive, _ = run(capsys, *base, "--at", "2026-03-02T00:00:00", "--json")
    _, utc, _ = run(capsys, *base, "--at", "2026-03-02T00:00:00Z", "--json")
    _, hk, _ = run(capsys, *base, "--at", "2026-03-02T08:00:00+08:00", "--json")
    times = {dt.datetime.fromisoformat(json.loads(o)["validation_time"]) for o in (naive, utc, hk)}
    assert times == {dt.datetime(2026, 3, 2, tzinfo=dt.UTC)}


def test_at_outside_validity_is_not_passed(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    code, out, _ = run(
        capsys, "verify", files.signature, "--content", files.content,
        "--trust-anchor", files.root, "--at", "2000-01-01",
    )  # fmt: skip
    assert code in (1, 2)
    assert not out.startswith("PASSED")


# --- usage and input errors: 64, one line, no traceback ---------------------------------


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        ([], "command"),
        (["verify"], "EVIDENCE"),
        (["verify", "x.p7s", "--no-such-option"], "--no-such-option"),
        (["frobnicate"], "frobnicate"),
        (["verify", "x.p7s", "--at", "yesterday"], "--at"),
        (["verify", "x.p7s", "--at", "2026-13-01"], "ISO-8601"),
        (["verify", "x.p7s", "--at"], "--at"),
    ],
)
def test_usage_errors_exit_64_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 64
    assert out == ""
    assert_one_error_line(err, fragment)


def test_unreadable_files_exit_64_naming_the_file(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.p7s"
    cases = [
        (["verify", missing, "--trust-anchor", files.root], ["evidence", "missing.p7s"]),
        (["verify", tmp_path, "--trust-anchor", files.root], ["evidence", "directory"]),
        (
            ["verify", files.signature, "--content", tmp_path / "nope.txt"],
            ["content", "nope.txt"],
        ),
        (["verify", files.signature, "--trust-anchor", tmp_path / "nope.pem"], ["nope.pem"]),
        (["verify", files.signature, "--cert", tmp_path / "nope.der"], ["nope.der"]),
        (["verify", files.signature, "--policy", tmp_path / "nope.toml"], ["nope.toml"]),
    ]
    for argv, fragments in cases:
        code, out, err = run(capsys, *argv)
        assert code == 64, argv
        assert out == ""
        assert_one_error_line(err, *fragments)


def test_unusable_trust_anchor_cert_and_policy_exit_64(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    not_a_cert = tmp_path / "not-a-cert.pem"
    not_a_cert.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    typo = tmp_path / "typo.toml"
    typo.write_text("min_rsa_bitz = 4096\n")
    bad_value = tmp_path / "bad.json"
    bad_value.write_text('{"required_policy_oids": ["not an oid"],\n "min_rsa_bits": 1}')
    for option, path, fragment in [
        ("--trust-anchor", not_a_cert, "not-a-cert.pem"),
        ("--cert", not_a_cert, "not-a-cert.pem"),
        ("--policy", typo, "min_rsa_bitz"),
        ("--policy", bad_value, "bad.json"),
    ]:
        code, out, err = run(capsys, "verify", files.signature, option, path)
        assert code == 64, (option, path)
        assert out == ""
        assert_one_error_line(err, fragment)


def test_internal_error_is_one_line_and_exit_70(
    capsys: pytest.CaptureFixture[str], files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> VerificationResult:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(bayident, "verify", broken)
    code, out, err = run(capsys, "verify", files.signature, "--trust-anchor", files.root)
    assert code == 70
    assert out == ""
    assert err.count("\n") == 1
    assert "internal error: RuntimeError: boom; second line" in err


def test_help_exits_0_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "verify", "--help")
    assert (code, err) == (0, "")
    assert "--trust-anchor" in out
    assert "INDETERMINATE" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["version"], ["--version"]):
        code, out, err = run(capsys, *argv)
        assert (code, err) == (0, "")
        assert out.startswith("bayident ")
        assert out.count("\n") == 1


# --- rendering --------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_renderer_is_plain_unless_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert isinstance(make_renderer(io.StringIO()), PlainRenderer)
    assert isinstance(make_renderer(_Tty()), RichRenderer)
    monkeypatch.setenv("NO_COLOR", "1")
    assert isinstance(make_renderer(_Tty()), PlainRenderer)


def test_rich_renderer_prints_the_same_lines(files: Files) -> None:
    result = bayident.verify(
        files.signature,
        content=files.tampered,
        trust=bayident.TrustStore.from_files(files.root),
        at=dt.datetime.fromisoformat(AT),
    )
    plain, fancy = io.StringIO(), _Tty()
    PlainRenderer(plain).result(result)
    RichRenderer(fancy).result(result)
    strip = [line.rstrip() for line in plain.getvalue().splitlines()]
    assert [line.rstrip() for line in _strip_ansi(fancy.getvalue()).splitlines()] == strip


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_a_check_with_newlines_stays_on_one_line() -> None:
    from bayident._result import Check, CheckOutcome

    result = VerificationResult(
        indication=Indication.FAILED,
        sub_indication=SubIndication.FORMAT_FAILURE,
        message="bad\nthing",
        checks=(Check(name="x", outcome=CheckOutcome.FAILED, message="a\nb", concerns="c\nd"),),
        validation_time=NOW,
    )
    out = io.StringIO()
    PlainRenderer(out).result(result, verbose=True)
    assert out.getvalue() == "FAILED / FORMAT_FAILURE: bad thing\n  FAIL x: a b [c d]\n"
    out = io.StringIO()
    PlainRenderer(out).result(result)
    assert out.getvalue().splitlines()[:2] == [
        "FAILED / FORMAT_FAILURE: bad thing",
        "  FAIL x: a b [c d]",
    ]


# --- demo -------------------------------------------------------------------------------


def test_demo_checks_itself_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "demo")
    assert (code, err) == (0, ""), out
    assert out.count(": as expected") == 5
    assert "NOT as expected" not in out
    assert "PASSED" in out
    assert "FAILED / HASH_FAILURE" in out
    assert "INDETERMINATE / NO_CERTIFICATE_CHAIN_FOUND" in out


def test_demo_cases_have_the_verdicts_the_docs_promise() -> None:
    from bayident import _demo

    cases = _demo.run_cases()
    got = [(c.result.indication, c.result.sub_indication) for c in cases]
    assert got[0] == (Indication.PASSED, None)
    assert got[1] == (Indication.FAILED, SubIndication.HASH_FAILURE)
    assert got[2] == (Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND)
    assert got[3] == (Indication.PASSED, None)
    assert got[4][0] is not Indication.PASSED
    assert all(c.as_expected for c in cases)


def test_demo_detects_a_wrong_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    from bayident import _demo

    real = _demo.run_cases

    def one_wrong(**kwargs: object) -> list[_demo.DemoCase]:
        cases = real()
        first = cases[0]
        cases[0] = _demo.DemoCase(first.title, first.story, Indication.FAILED, None, first.result)
        return cases

    monkeypatch.setattr(_demo, "run_cases", one_wrong)
    out = io.StringIO()
    assert _demo.run(PlainRenderer(out)) == 1
    assert "NOT as expected" in out.getvalue()


def test_demo_keep_writes_files_the_cli_can_verify(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    kept = tmp_path / "sandbox"
    code, out, _ = run(capsys, "demo", "--keep", kept)
    assert code == 0
    assert f"cd {kept}" in out
    assert "bayident verify form.personal.p7s --content form.txt" in out
    common = ["--trust-anchor", kept / "hk-root.pem", "--policy", kept / "mutual-recognition.toml"]
    code, out, _ = run(
        capsys, "verify", kept / "form.personal.p7s", "--content", kept / "form.txt", *common
    )
    assert code == 0, out
    code, out, _ = run(
        capsys,
        "verify", kept / "form.personal.p7s", "--content", kept / "form-tampered.txt", *common,
    )  # fmt: skip
    assert code == 1, out
    code, out, _ = run(
        capsys, "verify", kept / "form.company.p7s", "--content", kept / "form.txt",
        "--trust-anchor", kept / "gd-root.pem",
    )  # fmt: skip
    assert code == 0, out


# --- as a real process ------------------------------------------------------------------


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    # Works whether bayident is installed or only importable from the source tree.
    src = str(Path(bayident.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    env.pop("NO_COLOR", None)
    return env


def _cli(*argv: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bayident.cli", *(str(a) for a in argv)],
        capture_output=True,
        text=True,
        env=_subprocess_env(),
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def test_as_a_process(files: Files, tmp_path: Path) -> None:
    missing = _cli("verify", tmp_path / "missing.p7s", "--trust-anchor", files.root)
    assert missing.returncode == 64
    assert missing.stdout == ""
    assert_one_error_line(missing.stderr, "missing.p7s")

    usage = _cli("verify", files.signature, "--at", "not-a-time")
    assert usage.returncode == 64
    assert_one_error_line(usage.stderr, "--at")

    as_json = _cli(
        "verify", files.signature, "--content", files.content,
        "--trust-anchor", files.root, "--at", AT, "--json",
    )  # fmt: skip
    assert (as_json.returncode, as_json.stderr) == (0, "")
    expected = bayident.verify(
        files.signature,
        content=files.content,
        trust=bayident.TrustStore.from_files(files.root),
        at=dt.datetime.fromisoformat(AT),
    )
    assert json.loads(as_json.stdout) == json.loads(expected.model_dump_json())
    assert json.loads(as_json.stdout)["passed"] is True

    tampered = _cli(
        "verify", files.signature, "--content", files.tampered, "--trust-anchor", files.root,
        "--at", AT,
    )  # fmt: skip
    assert tampered.returncode == 1
    assert tampered.stdout.startswith("FAILED / HASH_FAILURE")

    demo = _cli("demo")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Traceback" not in demo.stderr


# --- one screen -------------------------------------------------------------------------


def _commands(demo_out: str) -> list[list[str]]:
    """The `bayident ...` commands the demo printed, continuation lines joined."""
    import shlex

    text = demo_out.replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    # Commands are indented; the demo's own title line starts "bayident demo:".
    return [
        shlex.split(line)[1:] for line in lines if line.startswith("bayident ") and ":" not in line
    ]


def test_every_command_demo_keep_prints_works_and_fits_80_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    kept = tmp_path / "sandbox"
    code, out, _ = run(capsys, "demo", "--keep", kept)
    assert code == 0
    assert all(len(line) <= 80 for line in out.splitlines() if str(kept) not in line), out
    commands = _commands(out)
    assert {c[0] for c in commands} == {"verify", "trustlist"}
    assert any("form.personal.jws" in c for c in commands)
    assert any("hk-trust-list.json" in c for c in commands)
    monkeypatch.chdir(kept)
    expected_exit = {"form-tampered.txt": 1}
    for argv in commands:
        code, out, err = run(capsys, *argv)
        want = next((v for k, v in expected_exit.items() if k in argv), 0)
        assert code == want, (argv, out, err)
        assert all(len(line) <= 80 for line in out.splitlines()), out
        if argv[0] == "verify":
            assert "--verbose lists every check" in out


def test_verbose_lists_every_check_and_the_default_only_what_did_not_pass(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    kept = tmp_path / "sandbox"
    run(capsys, "demo", "--keep", kept)
    args = ["verify", kept / "form.personal.p7s", "--content", kept / "form.txt"]
    args += ["--trust-anchor", kept / "hk-root.pem"]
    _, short, _ = run(capsys, *args)
    _, verbose, _ = run(capsys, *args, "--verbose")
    assert "ok   signer 0: signature" not in short
    assert "ok   signer 0: signature" in verbose
    assert (
        short.splitlines()[0]
        == verbose.splitlines()[0].split("\n")[0][: len(short.splitlines()[0])]
    )
    passed = int(short.splitlines()[-1].split()[0])
    assert passed == sum(1 for line in verbose.splitlines() if line.startswith("  ok "))


def test_demo_help_counts_the_situations_it_runs(capsys: pytest.CaptureFixture[str]) -> None:
    from bayident._demo import run_cases

    words = {4: "four", 5: "five", 6: "six", 7: "seven"}
    code, out, _ = run(capsys, "demo", "--help")
    assert code == 0
    assert f"in {words[len(run_cases())]} situations" in " ".join(out.split())


def test_demo_keep_into_an_unwritable_place_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    code, _, err = run(capsys, "demo", "--keep", blocker / "sub")
    assert code == 64
    assert_one_error_line(err, "cannot write the sandbox files")


def _bash_complete(script: Path, *words: str) -> list[str]:
    import shlex
    import subprocess

    line = " ".join(shlex.quote(w) for w in words)
    program = (
        f"source {shlex.quote(str(script))}; COMP_WORDS=({line}); "
        f"COMP_CWORD={len(words) - 1}; _bayident_complete; printf '%s\\n' \"${{COMPREPLY[@]}}\""
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_follows_the_parser(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, script, _ = run(capsys, "completion", "bash")
    assert code == 0
    path = tmp_path / "bayident.bash"
    path.write_text(script)
    assert "verify" in _bash_complete(path, "bayident", "")
    assert _bash_complete(path, "bayident", "trustl") == ["trustlist"]
    assert {"diff", "fetch", "inspect"} <= set(_bash_complete(path, "bayident", "trustlist", ""))
    options = _bash_complete(path, "bayident", "verify", "form.p7s", "--trust-l")
    assert options == ["--trust-list", "--trust-list-signer"]
    assert "--verbose" in _bash_complete(path, "bayident", "verify", "--")


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_other_shells_get_a_script_naming_every_command(
    capsys: pytest.CaptureFixture[str], shell: str
) -> None:
    code, script, _ = run(capsys, "completion", shell)
    assert code == 0
    for word in ("verify", "trustlist", "demo", "trust-anchor"):
        assert word in script


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_large_content_shows_progress_on_a_terminal_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rich")
    from bayident.cli._progress import ContentProgress

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    content = tmp_path / "archive.bin"
    content.write_bytes(b"x" * 5000)
    terminal = _Terminal()
    with ContentProgress(content, terminal, threshold=1000) as shown:
        assert shown.source is shown
        read = b"".join(iter(lambda: shown.read(1024), b""))  # type: ignore[union-attr]
    assert read == content.read_bytes()
    assert "hashing" in terminal.getvalue()
    for err in (io.StringIO(), None):  # a pipe, or --json
        with ContentProgress(content, err, threshold=1000) as quiet:
            assert quiet.source == content
    with ContentProgress(content, _Terminal(), threshold=10_000) as small:
        assert small.source == content


def test_a_cert_file_that_is_not_a_certificate_says_what_it_holds(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    evidence = tmp_path / "sig.p7s"
    evidence.write_bytes(b"0")
    bad = tmp_path / "ca.pem"
    bad.write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    code, _, err = run(capsys, "verify", evidence, "--cert", bad)
    assert code == 64
    assert_one_error_line(err, "ca.pem", "a private key")
    assert "ParseError" not in err


def test_demo_keep_commands_are_never_wrapped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A long folder name must come out whole, or the printed ``cd`` line cannot be pasted.
    kept = tmp_path / ("a-folder-with-a-long-name-" * 4) / "sandbox"
    code, out, _ = run(capsys, "demo", "--keep", kept)
    assert code == 0
    assert f"  cd {kept}\n" in out
