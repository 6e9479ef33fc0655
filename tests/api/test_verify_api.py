"""The public calling surface: argument forms, errors, async, threads, streams, serialisation."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import json
import threading
import tracemalloc
from pathlib import Path
from typing import IO, Any, cast

import pytest
from cryptography.hazmat.primitives import hashes

import bayident
from _pki import AT, CONTENT, SandboxPKI, assert_well_formed
from bayident import (
    Indication,
    InputError,
    InvalidArgument,
    Policy,
    SubIndication,
    TrustStore,
    TrustStoreError,
    VerificationResult,
    Verifier,
)
from bayident.testing import MockSigner, build_signed_data

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def files(pki: SandboxPKI, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("api")
    out = {
        "der": d / "form.p7s",
        "pem": d / "form.pem.p7s",
        "content": d / "form.txt",
        "root_pem": d / "root.pem",
        "root_der": d / "root.der",
        "other_pem": d / "other.pem",
    }
    out["der"].write_bytes(pki.signer.sign_detached_cms(CONTENT))
    out["pem"].write_bytes(pki.signer.sign_detached_cms(CONTENT, output="pem"))
    out["content"].write_bytes(CONTENT)
    out["root_pem"].write_bytes(pki.root.cert_pem)
    out["root_der"].write_bytes(pki.root.cert_der)
    out["other_pem"].write_bytes(pki.other_root.cert_pem)
    return out


def _verify(
    pki: SandboxPKI, evidence: object, content: object = CONTENT, **kw: Any
) -> VerificationResult:
    kw.setdefault("trust", [pki.root.cert_pem])
    kw.setdefault("at", AT)
    return assert_well_formed(bayident.verify(evidence, content=content, **kw))  # type: ignore[arg-type]


def _outline(result: VerificationResult) -> tuple[Any, ...]:
    return (
        result.indication,
        result.sub_indication,
        tuple((c.name, c.outcome) for c in result.checks),
        tuple(r.certificate.fingerprint_sha256 for r in result.signers if r.certificate),
    )


# --- evidence and content forms --------------------------------------------------------


def test_evidence_forms(pki: SandboxPKI, files: dict[str, Path]) -> None:
    raw = files["der"].read_bytes()
    results = [
        _verify(pki, raw),
        _verify(pki, bytearray(raw)),
        _verify(pki, memoryview(raw)),
        _verify(pki, str(files["der"])),
        _verify(pki, files["der"]),
        _verify(pki, io.BytesIO(raw)),
        _verify(pki, files["pem"]),
    ]
    with files["der"].open("rb") as fh:
        results.append(_verify(pki, fh))
    assert all(r.passed for r in results), [r.message for r in results]
    assert len({_outline(r) for r in results}) == 1


def test_content_forms(pki: SandboxPKI, files: dict[str, Path]) -> None:
    der = files["der"].read_bytes()
    with files["content"].open("rb") as fh:
        from_file = _verify(pki, der, fh)
    results = [
        _verify(pki, der, CONTENT),
        _verify(pki, der, bytearray(CONTENT)),
        _verify(pki, der, memoryview(CONTENT)),
        _verify(pki, der, str(files["content"])),
        _verify(pki, der, files["content"]),
        _verify(pki, der, io.BytesIO(CONTENT)),
        from_file,
    ]
    assert all(r.passed for r in results)
    assert len({_outline(r) for r in results}) == 1


def test_text_mode_evidence_stream(pki: SandboxPKI, files: dict[str, Path]) -> None:
    text = files["pem"].read_text("ascii")
    with pytest.raises(InvalidArgument, match="binary"):
        _verify(pki, io.StringIO(text))
    with files["pem"].open("r", encoding="ascii") as fh, pytest.raises(InvalidArgument):
        _verify(pki, fh)


def test_text_mode_der_file(pki: SandboxPKI, files: dict[str, Path]) -> None:
    with files["der"].open("r", encoding="utf-8") as fh, pytest.raises(InvalidArgument):
        _verify(pki, fh)


def test_text_mode_content_stream(pki: SandboxPKI, files: dict[str, Path]) -> None:
    with pytest.raises(InvalidArgument, match="binary"):
        _verify(pki, files["der"], io.StringIO(CONTENT.decode()))


def test_missing_files(pki: SandboxPKI, files: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "no-such.p7s"
    for evidence in (missing, str(missing)):
        with pytest.raises(InputError, match=r"no-such\.p7s"):
            _verify(pki, evidence)
    with pytest.raises(InputError, match=r"no-such\.txt"):
        _verify(pki, files["der"], tmp_path / "no-such.txt")
    with pytest.raises(InputError):
        _verify(pki, tmp_path)  # a directory
    with pytest.raises(TrustStoreError, match=r"no-such\.pem"):
        _verify(pki, files["der"], trust=[tmp_path / "no-such.pem"])


class _BrokenStream(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        raise OSError("device unplugged")


def test_unreadable_streams(pki: SandboxPKI, files: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="unplugged"):
        _verify(pki, _BrokenStream())
    with pytest.raises(InputError, match="unplugged"):
        _verify(pki, files["der"], _BrokenStream())


WRONG_TYPES: list[tuple[str, dict[str, Any]]] = [
    ("evidence=int", {"evidence": 42}),
    ("evidence=None", {"evidence": None}),
    ("evidence=list", {"evidence": [b"\x30\x00"]}),
    ("evidence=dict", {"evidence": {"a": 1}}),
    ("content=int", {"content": 42}),
    ("content=list", {"content": [CONTENT]}),
    ("trust=[int]", {"trust": [42]}),
    ("trust=[None]", {"trust": [None]}),
    ("policy=str", {"policy": "strict"}),
    ("policy=dict", {"policy": {"min_rsa_bits": 3072}}),
    ("at=str", {"at": "2026-02-01T00:00:00Z"}),
    ("at=int", {"at": 1_780_000_000}),
    ("at=date", {"at": dt.date(2026, 2, 1)}),
    ("extra_certs=[int]", {"extra_certs": [42]}),
]


@pytest.mark.parametrize("changes", [c for _, c in WRONG_TYPES], ids=[i for i, _ in WRONG_TYPES])
def test_wrong_types(pki: SandboxPKI, files: dict[str, Path], changes: dict[str, Any]) -> None:
    args: dict[str, Any] = {"content": CONTENT, "trust": [pki.root.cert_pem], "at": AT}
    args.update(changes)
    evidence = args.pop("evidence", files["der"])
    with pytest.raises(InvalidArgument):
        bayident.verify(evidence, **args)


# Arguments of the wrong type: each must be reported as InvalidArgument, not a bare
# TypeError from inside or a silent conversion (42 → 42 zero bytes).
WRONG_ARGUMENT_TYPES: list[tuple[str, dict[str, Any]]] = [
    ("trust=int", {"trust": 42}),
    ("extra_certs=int", {"extra_certs": 42}),
    ("crls=int", {"crls": 42}),
    ("crls=[int]", {"crls": [42]}),
]


@pytest.mark.parametrize(
    "changes",
    [pytest.param(c, id=i) for i, c in WRONG_ARGUMENT_TYPES],
)
def test_wrong_types_reported_as_invalid_argument(
    pki: SandboxPKI, files: dict[str, Path], changes: dict[str, Any]
) -> None:
    args: dict[str, Any] = {"content": CONTENT, "trust": [pki.root.cert_pem], "at": AT}
    args.update(changes)
    with pytest.raises(InvalidArgument):
        bayident.verify(files["der"], **args)


def test_verifier_wrong_trust_type() -> None:
    with pytest.raises(InvalidArgument):
        Verifier(trust=42)  # type: ignore[arg-type]


def test_crl_paths_are_read_and_missing_ones_reported(
    pki: SandboxPKI, files: dict[str, Path], tmp_path: Path
) -> None:
    args: dict[str, Any] = {"content": CONTENT, "trust": [pki.root.cert_pem], "at": AT}
    with pytest.raises(InputError, match=r"missing\.crl"):
        bayident.verify(files["der"], crls=[tmp_path / "missing.crl"], **args)


def test_verifier_wrong_policy_type() -> None:
    with pytest.raises(InvalidArgument):
        Verifier(policy="strict")  # type: ignore[arg-type]


def test_invalid_argument_is_a_type_error() -> None:
    assert issubclass(InvalidArgument, TypeError)
    assert issubclass(InputError, OSError)


def test_naive_at(pki: SandboxPKI, files: dict[str, Path]) -> None:
    with pytest.raises(InvalidArgument, match="timezone"):
        _verify(pki, files["der"], at=dt.datetime(2026, 2, 1))
    with pytest.raises(InvalidArgument, match="timezone"):
        Verifier(trust=[pki.root.cert_pem]).verify(
            files["der"], content=CONTENT, at=dt.datetime(2026, 2, 1)
        )


def test_at_in_another_timezone(pki: SandboxPKI, files: dict[str, Path]) -> None:
    hk = dt.timezone(dt.timedelta(hours=8), "HKT")
    local = _verify(pki, files["der"], at=AT.astimezone(hk))
    utc = _verify(pki, files["der"], at=AT)
    assert local.passed
    assert local.validation_time == utc.validation_time
    assert local.validation_time.utcoffset() == dt.timedelta(0)


def test_default_at_comes_from_the_clock(pki: SandboxPKI, files: dict[str, Path]) -> None:
    after = pki.signer.certificate.not_valid_after_utc + dt.timedelta(days=1)
    late = Verifier(trust=[pki.root.cert_pem], clock=lambda: after)
    result = assert_well_formed(late.verify(files["der"], content=CONTENT))
    assert result.validation_time == after
    assert result.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE
    on_time = Verifier(trust=[pki.root.cert_pem], clock=lambda: AT)
    assert on_time.verify(files["der"], content=CONTENT).passed


# --- async and threads -----------------------------------------------------------------


async def test_averify(pki: SandboxPKI, files: dict[str, Path]) -> None:
    good = await bayident.averify(files["der"], content=CONTENT, trust=[pki.root.cert_pem], at=AT)
    assert assert_well_formed(good).passed
    bad = await bayident.averify(
        files["der"], content=io.BytesIO(CONTENT + b"!"), trust=[pki.root.cert_pem], at=AT
    )
    assert bad.sub_indication is SubIndication.HASH_FAILURE
    verifier = Verifier(trust=[pki.root.cert_pem])
    many = await asyncio.gather(
        *(verifier.averify(files["der"], content=CONTENT, at=AT) for _ in range(8))
    )
    assert all(r.passed for r in many)


async def test_sync_verify_inside_running_loop(pki: SandboxPKI, files: dict[str, Path]) -> None:
    asyncio.get_running_loop()  # the test body runs inside the loop
    # A fresh verifier has nothing cached, so path validation really runs here.
    result = bayident.verify(files["der"], content=CONTENT, trust=[pki.root.cert_pem], at=AT)
    assert assert_well_formed(result).passed
    path = [c for c in result.checks if c.name == "certificate-path"]
    assert path
    assert "validated earlier" not in path[0].message
    fresh = Verifier(trust=[pki.root.cert_pem])
    assert fresh.verify(files["der"], content=CONTENT, at=AT).passed


async def test_sync_verify_inside_running_loop_reports_failures(
    pki: SandboxPKI, files: dict[str, Path]
) -> None:
    expired_at = pki.signer.certificate.not_valid_after_utc + dt.timedelta(days=2)
    result = bayident.verify(
        files["der"], content=CONTENT, trust=[pki.root.cert_pem], at=expired_at
    )
    assert result.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE


def test_shared_verifier_across_threads(pki: SandboxPKI) -> None:
    rsa = pki.intermediate.issue_signer("Thread RSA", key_type="rsa")
    stranger = pki.other_root.issue_signer("Thread Stranger")
    late = pki.signer.certificate.not_valid_after_utc + dt.timedelta(days=3)
    jobs: list[tuple[bytes, bytes, dt.datetime]] = [
        (pki.signer.sign_detached_cms(CONTENT), CONTENT, AT),
        (rsa.sign_detached_cms(CONTENT, pss=True), CONTENT, AT),
        (rsa.sign_detached_cms(CONTENT), CONTENT + b"tampered", AT),
        (stranger.sign_detached_cms(CONTENT), CONTENT, AT),
        (pki.signer.sign_detached_cms(CONTENT), CONTENT, late),
        (pki.signer.sign_detached_cms(CONTENT, attributes=False), CONTENT, AT),
    ]
    expected = [
        _outline_verdict(Verifier(trust=[pki.root.cert_pem]).verify(e, content=c, at=a))
        for e, c, a in jobs
    ]
    assert [v[0] for v in expected] == [
        Indication.PASSED,
        Indication.PASSED,
        Indication.FAILED,
        Indication.INDETERMINATE,
        Indication.INDETERMINATE,
        Indication.PASSED,
    ]
    shared = Verifier(trust=[pki.root.cert_pem])
    barrier = threading.Barrier(8)
    mismatches: list[Any] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            for round_ in range(12):
                for k in range(len(jobs)):
                    i = (k + n + round_) % len(jobs)
                    evidence, content, at = jobs[i]
                    got = _outline_verdict(shared.verify(evidence, content=content, at=at))
                    if got != expected[i]:
                        mismatches.append((n, i, got, expected[i]))
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert not mismatches, mismatches[:5]


def _outline_verdict(result: VerificationResult) -> tuple[Any, ...]:
    return (
        result.indication,
        result.sub_indication,
        tuple(
            (r.index, r.indication, r.certificate and r.certificate.subject) for r in result.signers
        ),
    )


# --- large content streamed --------------------------------------------------------------


class PatternReader(io.RawIOBase):
    """``size`` bytes of a fixed pseudo-random pattern, generated on demand.

    Asserts it is asked for bounded chunks, so a reader that slurps the whole stream
    fails loudly instead of quietly using the memory.
    """

    PERIOD = 65_521  # prime, so the pattern never lines up with power-of-two chunks
    BASE = hashlib.shake_256(b"bayident pattern").digest(PERIOD)

    def __init__(
        self, size: int, *, max_request: int = 4 * MIB, flip_at: int | None = None
    ) -> None:
        self.size = size
        self.pos = 0
        self.max_request = max_request
        self.flip_at = flip_at
        self.largest = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        assert n is not None, "read() without a size would load the whole stream"
        assert 0 <= n <= self.max_request, f"read({n}) asks for more than {self.max_request}"
        self.largest = max(self.largest, n)
        take = min(n, self.size - self.pos)
        if take <= 0:
            return b""
        start = self.pos % self.PERIOD
        reps = (start + take) // self.PERIOD + 1
        chunk = (self.BASE * reps)[start : start + take]
        if self.flip_at is not None and self.pos <= self.flip_at < self.pos + take:
            i = self.flip_at - self.pos
            chunk = chunk[:i] + bytes([chunk[i] ^ 0x01]) + chunk[i + 1 :]
        self.pos += take
        return chunk


def _digest_of(reader: PatternReader, name: str) -> bytes:
    h = hashlib.new(name)
    while chunk := reader.read(MIB):
        h.update(chunk)
    return h.digest()


@pytest.fixture(scope="module")
def big_signature(pki: SandboxPKI) -> tuple[int, bytes]:
    size = 50 * MIB
    digest = _digest_of(PatternReader(size), "sha256")
    spec = pki.signer.signer_spec(content_digest=digest)
    return size, build_signed_data(None, [spec], certificates=pki.signer.chain)


def test_large_stream_is_hashed_in_chunks(
    pki: SandboxPKI, big_signature: tuple[int, bytes]
) -> None:
    size, der = big_signature
    reader = PatternReader(size)
    tracemalloc.start()
    try:
        result = _verify(pki, der, reader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.passed, result.explain()
    assert reader.pos == size
    assert reader.largest <= 4 * MIB
    # 50 MiB went through; far less than that was ever held.
    assert peak < 16 * MIB, peak


def test_large_stream_tampered(pki: SandboxPKI, big_signature: tuple[int, bytes]) -> None:
    size, der = big_signature
    result = _verify(pki, der, PatternReader(size, flip_at=size // 2 + 12_345))
    assert (result.indication, result.sub_indication) == (
        Indication.FAILED,
        SubIndication.HASH_FAILURE,
    )


async def test_large_stream_async(pki: SandboxPKI, big_signature: tuple[int, bytes]) -> None:
    size, der = big_signature
    reader = PatternReader(size)
    stream = cast(IO[bytes], reader)
    result = await bayident.averify(der, content=stream, trust=[pki.root.cert_pem], at=AT)
    assert result.passed
    assert reader.pos == size


def test_eddsa_without_attributes_over_memory_limit(pki: SandboxPKI) -> None:
    """Pure EdDSA signs the whole content; over the limit it is refused, not slurped."""
    ed = pki.intermediate.issue_signer("Stream Ed25519", key_type="ed25519")
    data = PatternReader(3 * MIB).read(3 * MIB)
    der = ed.sign_detached_cms(data, attributes=False)
    assert _verify(pki, der, PatternReader(3 * MIB)).passed
    limit = Policy(max_in_memory_content_bytes=MIB)
    reader = PatternReader(3 * MIB)
    result = _verify(pki, der, reader, policy=limit)
    assert result.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND
    assert "max_in_memory_content_bytes" in result.message
    assert reader.pos < 3 * MIB


# --- results -----------------------------------------------------------------------------


def _sample_results(pki: SandboxPKI, files: dict[str, Path]) -> list[VerificationResult]:
    der = files["der"].read_bytes()
    return [
        _verify(pki, der),
        _verify(pki, der, CONTENT + b"x"),
        _verify(pki, der, trust=[pki.other_root.cert_pem]),
        _verify(pki, b"not a signature"),
        _verify(pki, der, None),
        _multi(pki, bad=1),
    ]


def test_json_round_trip(pki: SandboxPKI, files: dict[str, Path]) -> None:
    for result in _sample_results(pki, files):
        text = result.model_dump_json()
        again = VerificationResult.model_validate_json(text)
        assert again == result
        assert again.model_dump_json() == text
        assert json.loads(text)["passed"] is result.passed


def test_json_schema_export(pki: SandboxPKI, files: dict[str, Path]) -> None:
    schema = VerificationResult.model_json_schema(mode="serialization")
    json.dumps(schema)  # plain JSON, nothing Python-only inside
    props = set(schema["properties"])
    assert {"indication", "sub_indication", "message", "signers", "checks", "passed"} <= props
    for result in _sample_results(pki, files):
        data = json.loads(result.model_dump_json())
        assert set(data) <= props
        assert set(schema["required"]) <= set(data)
    assert json.dumps(Policy.model_json_schema())
    try:
        import jsonschema  # type: ignore[import-untyped]
    except ImportError:
        return
    for result in _sample_results(pki, files):
        jsonschema.validate(json.loads(result.model_dump_json()), schema)


def test_explain_names_every_check(pki: SandboxPKI, files: dict[str, Path]) -> None:
    result = _verify(pki, files["der"], CONTENT + b"x")
    text = result.explain()
    assert text.splitlines()[0].startswith("FAILED / HASH_FAILURE")
    for check in result.checks:
        assert check.name in text


# --- several signers ---------------------------------------------------------------------


def _signers(pki: SandboxPKI) -> list[MockSigner]:
    return [
        pki.signer,
        pki.intermediate.issue_signer("Second Signer RSA", key_type="rsa"),
        pki.intermediate.issue_signer("Third Signer Ed25519", key_type="ed25519"),
    ]


def _multi(
    pki: SandboxPKI, bad: int | None = None, untrusted: int | None = None
) -> VerificationResult:
    signers = _signers(pki)
    if untrusted is not None:
        signers[untrusted] = pki.other_root.issue_signer("Untrusted Co-signer")
    specs = [
        s.signer_spec(content=b"a different document") if i == bad else s.signer_spec()
        for i, s in enumerate(signers)
    ]
    certs = [c for s in signers for c in s.chain]
    unique = list({c.fingerprint(hashes.SHA256()): c for c in certs}.values())
    # SignerInfos is a DER SET OF, so the evidence orders signers by encoding, not by spec.
    return _verify(pki, build_signed_data(CONTENT, specs, certificates=unique))


def _index_of(result: VerificationResult, common_name: str) -> int:
    found = [
        r.index
        for r in result.signers
        if r.certificate and r.certificate.subject == f"CN={common_name}"
    ]
    assert len(found) == 1, common_name
    return found[0]


NAMES = ["CHAN Tai Man (sandbox)", "Second Signer RSA", "Third Signer Ed25519"]


def test_several_signers_each_reported(pki: SandboxPKI) -> None:
    result = _multi(pki)
    assert result.passed, result.explain()
    assert sorted(r.index for r in result.signers) == [0, 1, 2]
    assert all(r.passed for r in result.signers)
    algorithms = {"ecdsa", "rsa-pkcs1v15", "ed25519"}
    assert {r.signature_algorithm for r in result.signers} == algorithms
    for name, algorithm in zip(NAMES, ["ecdsa", "rsa-pkcs1v15", "ed25519"], strict=True):
        report = result.signers[_index_of(result, name)]
        assert report.signature_algorithm == algorithm
        assert report.trust_anchor is not None
    for i in range(3):
        assert {c.name for c in result.checks if c.signer == i} >= {"signature", "certificate-path"}
    assert "all 3 signatures valid" in result.message


@pytest.mark.parametrize("bad", [0, 1, 2])
def test_one_bad_signer_fails_the_whole(pki: SandboxPKI, bad: int) -> None:
    result = _multi(pki, bad=bad)
    n = _index_of(result, NAMES[bad])
    assert (result.indication, result.sub_indication) == (
        Indication.FAILED,
        SubIndication.HASH_FAILURE,
    )
    assert result.message.startswith(f"signer {n}: ")
    assert [r.passed for r in result.signers] == [i != n for i in range(3)]
    failed = result.failed_checks()
    assert [(c.name, c.signer) for c in failed] == [("message-digest", n)]
    assert f"signer {n}: message-digest" in result.explain()


def test_failed_signer_outranks_undecided_one(pki: SandboxPKI) -> None:
    result = _multi(pki, bad=2, untrusted=0)
    assert result.indication is Indication.FAILED
    assert result.message.startswith(f"signer {_index_of(result, NAMES[2])}: ")
    stranger = result.signers[_index_of(result, "Untrusted Co-signer")]
    assert stranger.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    only_untrusted = _multi(pki, untrusted=1)
    assert only_untrusted.indication is Indication.INDETERMINATE
    assert only_untrusted.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    n = _index_of(only_untrusted, "Untrusted Co-signer")
    assert only_untrusted.message.startswith(f"signer {n}: ")


# --- trust stores -------------------------------------------------------------------------


def test_trust_store_sources(pki: SandboxPKI, files: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "anchors"
    folder.mkdir()
    (folder / "root.crt").write_bytes(pki.root.cert_der)
    (folder / "other.pem").write_bytes(pki.other_root.cert_pem)
    (folder / "README.txt").write_text("not a certificate, and ignored")
    bundle = pki.other_root.cert_pem + pki.root.cert_pem
    stores = {
        "files": TrustStore.from_files(files["other_pem"], files["root_pem"]),
        "der file": TrustStore.from_files(files["root_der"]),
        "directory": TrustStore.from_directory(folder),
        "bundle bytes": TrustStore.from_pem_bundle(bundle),
        "bundle path": TrustStore.from_pem_bundle(files["root_pem"]),
        "objects": TrustStore.from_certificates([pki.root.certificate]),
    }
    assert len(stores["directory"]) == 2
    assert len(stores["bundle bytes"]) == 2
    for name, store in stores.items():
        result = _verify(pki, files["der"], trust=store)
        assert result.passed, (name, result.message)
        assert result.trust_sources == (store.describe(),)
        assert pki.root.certificate in store
    lists: list[Any] = [
        [files["other_pem"], files["root_pem"]],
        [str(files["root_pem"])],
        [pki.root.cert_der],
        [pki.root.certificate],
    ]
    for trust in lists:
        assert _verify(pki, files["der"], trust=trust).passed
    assert not _verify(pki, files["der"], trust=[files["other_pem"]]).passed


def test_trust_store_errors(files: dict[str, Path], tmp_path: Path) -> None:
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    with pytest.raises(TrustStoreError, match="no certificate files"):
        TrustStore.from_directory(empty)
    with pytest.raises(TrustStoreError, match="not a directory"):
        TrustStore.from_directory(files["root_pem"])
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(TrustStoreError, match=r"junk\.pem"):
        TrustStore.from_files(junk)
    with pytest.raises(TrustStoreError):
        TrustStore.from_pem_bundle(b"no certificates in here")
