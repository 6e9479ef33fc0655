"""Benchmarks: bayident against other ways of doing the same work.

    python bench/run.py [--only a|b|c] [--quick] [--json PATH] [--write-docs] [--profile [N]]

(a) A warm ``Verifier.verify()`` of a detached RSA-2048 CMS signature (signed attributes,
    root → intermediate → signer, 100 KiB content) against pyHanko's
    ``async_validate_detached_cms`` and against the bare limit: one SHA-256 of the content
    plus one RSA signature check over the signed attributes.
(b) Cold path validation: signers never seen before, against pyhanko-certvalidator's
    ``CertificateValidator``.
(c) Hashing a large detached content file, against ``sha256sum``, and the peak memory of a
    process that verifies it.

Each comparison runs both sides in this one process, in alternating rounds, and reports the
median time per operation and the ratio other ÷ bayident (above 1: bayident is faster).
This reports; it never fails a build.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
# Measure this checkout's bayident rather than an installed one; import bench as a package.
for _entry in (str(_ROOT), str(_ROOT / "src")):
    if _entry not in sys.path:
        sys.path.insert(0, _entry)

from bench import _report as rep  # noqa: E402

DOCS_PAGE = _ROOT / "docs" / "performance.md"
KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30
RSS_LIMIT_MIB = 100.0


_BEGIN = "<!-- begin: written by bench/run.py --write-docs -->"
_END = "<!-- end: written by bench/run.py --write-docs -->"


def _merge_page(generated: str) -> str:
    """The docs page with this run's section replaced and everything else kept."""
    section = f"{_BEGIN}\n{generated.rstrip()}\n{_END}\n"
    old = DOCS_PAGE.read_text(encoding="utf-8") if DOCS_PAGE.exists() else ""
    if _BEGIN in old and _END in old:
        head, rest = old.split(_BEGIN, 1)
        tail = rest.split(_END, 1)[1]
        return head + section + tail.lstrip("\n")
    return section


class BenchError(Exception):
    """A benchmark cannot run as specified: a side does not return valid, or a tool is missing."""


@dataclass(frozen=True)
class Config:
    quick: bool
    rounds_a: int  # alternating rounds of batches in (a)
    batch_seconds: float  # target length of one batch in (a)
    signers_b: int  # distinct fresh signers in (b)
    content_c: int  # bytes of the content file in (c)
    rounds_c: int  # alternating rounds in (c)

    @classmethod
    def make(cls, quick: bool) -> Config:
        if quick:
            return cls(
                True, rounds_a=15, batch_seconds=0.01, signers_b=50, content_c=256 * MIB, rounds_c=2
            )
        return cls(
            False, rounds_a=60, batch_seconds=0.025, signers_b=240, content_c=GIB, rounds_c=4
        )


# --- timing -------------------------------------------------------------------------------


@dataclass
class _Side:
    """One side of a comparison: ``run(n)`` performs n operations and returns seconds taken."""

    label: str
    run: Callable[[int], Awaitable[float]]
    batch: int = 1
    per_op: list[float] = field(default_factory=list)


def _sync_side(label: str, op: Callable[[], object]) -> _Side:
    async def run(n: int) -> float:
        clock = time.perf_counter
        start = clock()
        for _ in range(n):
            op()
        return clock() - start

    return _Side(label, run)


def _async_side(label: str, op: Callable[[], Awaitable[object]]) -> _Side:
    async def run(n: int) -> float:
        clock = time.perf_counter
        start = clock()
        for _ in range(n):
            await op()
        return clock() - start

    return _Side(label, run)


async def _calibrate(side: _Side, seconds: float) -> None:
    """Choose a batch size so that one batch takes about *seconds*."""
    n, elapsed = 1, await side.run(1)
    while elapsed < seconds / 2 and n < 1 << 20:
        n *= 2
        elapsed = await side.run(n)
    side.batch = max(1, round(n * seconds / max(elapsed, 1e-9)))


async def _alternate(sides: list[_Side], rounds: int) -> None:
    """Run one batch of each side per round, rotating which goes first."""
    gc.collect()
    for r in range(rounds):
        k = r % len(sides)
        for side in sides[k:] + sides[:k]:
            side.per_op.append(await side.run(side.batch) / side.batch)


def _series(side: _Side) -> rep.Series:
    return rep.summarize(side.label, side.per_op, side.batch)


def _import(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BenchError(
            f"{module} is needed for this comparison ({exc}); install it with "
            "pip install -e '.[bench]'"
        ) from None


# --- (a) warm verification ------------------------------------------------------------------


async def bench_a(cfg: Config, report: rep.Report) -> None:
    from asn1crypto import cms as asn1_cms
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    import bayident
    from bench import _fixtures as fx

    validation = _import("pyhanko.sign.validation")
    certvalidator = _import("pyhanko_certvalidator")

    pki = fx.make_pki()
    content = os.urandom(100 * KIB)
    sig = pki.signer.sign_detached_cms(content)

    verifier = bayident.Verifier(trust=[pki.root.cert_pem], policy=bayident.Policy())

    def ours() -> object:
        return verifier.verify(sig, content=content)

    result = verifier.verify(sig, content=content)
    if not result.passed:
        raise BenchError(f"(a) bayident does not pass the benchmark signature: {result.message}")

    vc = certvalidator.ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(pki.root.cert_der)]
    )
    signed_data = asn1_cms.ContentInfo.load(sig)["content"]
    validate = validation.async_validate_detached_cms

    async def hanko() -> object:
        return await validate(content, signed_data, signer_validation_context=vc)

    async def hanko_from_der() -> object:
        parsed = asn1_cms.ContentInfo.load(sig)["content"]
        return await validate(content, parsed, signer_validation_context=vc)

    for op in (hanko, hanko_from_der):
        status: Any = await op()
        if not status.bottom_line:
            raise BenchError(f"(a) pyHanko does not accept the benchmark signature: {status}")

    bare = fx.bare_signature(sig)
    key = pki.signer.certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise BenchError("(a) the signer key is not RSA")
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def limit() -> object:
        if hashlib.sha256(content).digest() != bare.message_digest:
            raise BenchError("(a) bare limit: the content digest does not match message-digest")
        key.verify(bare.signature, bare.signed_attributes, pkcs1, sha256)  # raises if invalid
        return None

    limit()

    sides = [
        _sync_side("bayident Verifier.verify", ours),
        _async_side("pyHanko async_validate_detached_cms", hanko),
        _async_side("pyHanko, parsing the DER each call", hanko_from_der),
        _sync_side("hashlib SHA-256 + one RSA verify", limit),
    ]
    for side in sides:
        await _calibrate(side, cfg.batch_seconds)
    await _alternate(sides, cfg.rounds_a)
    s_ours, s_hanko, s_hanko_der, s_limit = (_series(s) for s in sides)
    common = (
        "bayident: `Verifier.verify(signature_bytes, content=bytes)` with one `Verifier` "
        "reused; each call parses the CMS DER, hashes the 100 KiB content with SHA-256, checks "
        "the signed attributes (content-type, message-digest, signing-time, ESS "
        "signing-certificate-v2), verifies the RSA PKCS#1 v1.5 signature, checks key usage, "
        "takes the certification path from its cache (validated on the first call) and builds "
        "the full result with its list of checks."
    )
    report.comparisons += [
        rep.Comparison(
            "a1",
            "warm verify, RSA-2048, 3-certificate chain, 100 KiB content, vs pyHanko",
            s_ours,
            s_hanko,
            10.0,
            f"{common} pyHanko: `async_validate_detached_cms(content, signed_data, "
            "signer_validation_context=vc)` with one `ValidationContext(trust_roots=[root])` "
            "reused and the `SignedData` parsed once beforehand (asn1crypto keeps what it has "
            "decoded), awaited in one running event loop; it hashes the content, checks the "
            "signature and attributes, and validates the path again on every call (it has no "
            "cache of validated paths).",
        ),
        rep.Comparison(
            "a1p",
            "as a1, pyHanko also parsing the signature DER each call",
            s_ours,
            s_hanko_der,
            None,
            "As a1, but pyHanko gets `ContentInfo.load(signature_bytes)` each call, as bayident "
            "does, so both start from the same bytes.",
        ),
        rep.Comparison(
            "a2",
            "warm verify vs the bare limit (SHA-256 of content + one RSA verify)",
            s_ours,
            s_limit,
            0.5,
            "Bare limit: `hashlib.sha256(content)` compared with the message-digest attribute, "
            "then one `RSAPublicKey.verify` (cryptography, PKCS#1 v1.5, SHA-256) of the "
            "signature over the signed attributes, extracted beforehand; no parsing, no path. "
            "A ratio of 0.5 means bayident's whole verification costs twice the cryptography.",
        ),
    ]


# --- (b) cold path validation ------------------------------------------------------------------


async def bench_b(cfg: Config, report: rep.Report) -> None:
    from asn1crypto import x509 as asn1_x509

    import bayident
    from bench import _fixtures as fx

    certvalidator = _import("pyhanko_certvalidator")
    CertificateValidator = certvalidator.CertificateValidator
    ValidationContext = certvalidator.ValidationContext

    pki = fx.make_pki()
    signers = fx.fresh_signers(pki.intermediate, cfg.signers_b)
    content = os.urandom(KIB)
    sigs = [s.sign_detached_cms(content) for s in signers]
    leaves = [s.cert_der for s in signers]
    root_pem = pki.root.cert_pem
    root = asn1_x509.Certificate.load(pki.root.cert_der)
    inter = asn1_x509.Certificate.load(pki.intermediate.cert_der)

    # The path-only side gets signers of its own, so that no cache of the CMS side (or of
    # the other library) ever serves it.
    path_signers = fx.fresh_signers(pki.intermediate, cfg.signers_b)
    path_leaves = [s.cert_der for s in path_signers]
    inter_der = pki.intermediate.cert_der

    shared = bayident.Verifier(trust=[root_pem])
    shared_path = bayident.Verifier(trust=[root_pem])
    shared_vc = ValidationContext(trust_roots=[root])
    # Warm both libraries (imports, lazy set-up, the trust anchor) with a signer outside the set.
    warm_sig = pki.signer.sign_detached_cms(content)
    warm = shared.verify(warm_sig, content=content)
    if not warm.passed:
        raise BenchError(f"(b) bayident does not pass the warm-up signature: {warm.message}")
    warm_path = shared_path.validate_certificate(pki.signer.cert_der, intermediates=[inter_der])
    if not warm_path.passed:
        raise BenchError(f"(b) bayident does not pass the warm-up certificate: {warm_path.message}")
    await CertificateValidator(
        asn1_x509.Certificate.load(pki.signer.cert_der),
        intermediate_certs=[inter],
        validation_context=shared_vc,
    ).async_validate_usage({"digital_signature"})

    def ours_shared(i: int) -> bool:
        return shared.verify(sigs[i], content=content).passed

    def ours_path(i: int) -> bool:
        return shared_path.validate_certificate(path_leaves[i], intermediates=[inter_der]).passed

    def ours_fresh(i: int) -> bool:
        return bayident.Verifier(trust=[root_pem]).verify(sigs[i], content=content).passed

    async def peer_fresh(i: int) -> bool:
        validator = CertificateValidator(
            asn1_x509.Certificate.load(leaves[i]),
            intermediate_certs=[inter],
            validation_context=ValidationContext(trust_roots=[root]),
        )
        await validator.async_validate_usage({"digital_signature"})  # raises when invalid
        return True

    async def peer_shared(i: int) -> bool:
        validator = CertificateValidator(
            asn1_x509.Certificate.load(leaves[i]),
            intermediate_certs=[inter],
            validation_context=shared_vc,
        )
        await validator.async_validate_usage({"digital_signature"})
        return True

    sync_ops: dict[str, Callable[[int], bool]] = {
        "ours_shared": ours_shared,
        "ours_path": ours_path,
        "ours_fresh": ours_fresh,
    }
    async_ops: dict[str, Callable[[int], Awaitable[bool]]] = {
        "peer_fresh": peer_fresh,
        "peer_shared": peer_shared,
    }
    names = [*sync_ops, *async_ops]
    times: dict[str, list[float]] = {n: [] for n in names}
    clock = time.perf_counter
    gc.collect()
    for i in range(len(signers)):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            start = clock()
            try:
                ok = sync_ops[name](i) if name in sync_ops else await async_ops[name](i)
            except Exception as exc:
                raise BenchError(f"(b) {name} rejected fresh signer {i}: {exc}") from exc
            times[name].append(clock() - start)
            if not ok:
                raise BenchError(f"(b) {name} did not pass fresh signer {i}")

    s = {n: rep.summarize(n, t) for n, t in times.items()}
    ours_text = (
        "bayident: `Verifier.verify(signature_bytes, content=1 KiB)` for a signer it has never "
        "seen, so the path cache misses; this includes everything a1 does besides the path "
        "(CMS parsing, content hash, attribute checks, the RSA check of the CMS signature) on "
        "top of building and validating root → intermediate → signer (two RSA certificate "
        "signatures, validity, basic constraints, key usage, policies). "
    )
    peer_text = (
        "pyhanko-certvalidator: `CertificateValidator(leaf, intermediate_certs=[inter], "
        "validation_context=...)` then `await async_validate_usage({'digital_signature'})`, "
        "the leaf loaded from DER each call and the intermediate parsed once; path "
        "validation only, no CMS."
    )
    n = len(signers)
    path_text = (
        "bayident: `Verifier.validate_certificate(leaf_der, intermediates=[inter_der])` for a "
        "certificate it has never seen (signers of its own, so no cache serves it): building "
        "and validating root → intermediate → leaf, the signing key usage, the revocation "
        "report and the scheme look-up, as for a CMS signer. "
    )
    report.comparisons += [
        rep.Comparison(
            "b1",
            f"cold path validation, {n} fresh RSA-2048 certificates, vs pyhanko-certvalidator",
            s["ours_path"],
            s["peer_fresh"],
            3.0,
            f"{path_text}One `Verifier` is reused. {peer_text} A new "
            "`ValidationContext(trust_roots=[root])` is made for each validation.",
        ),
        rep.Comparison(
            "b1c",
            "as b1, but bayident verifies a whole CMS signature by each fresh signer",
            s["ours_shared"],
            s["peer_fresh"],
            None,
            f"{ours_text}One `Verifier` is reused. {peer_text} A new "
            "`ValidationContext(trust_roots=[root])` is made for each validation.",
        ),
        rep.Comparison(
            "b2",
            "as b1, both reusing their context",
            s["ours_path"],
            s["peer_shared"],
            None,
            "As b1, but pyhanko-certvalidator reuses one `ValidationContext` too.",
        ),
        rep.Comparison(
            "b3",
            "as b1, both starting fresh each time",
            s["ours_fresh"],
            s["peer_fresh"],
            None,
            "As b1, but bayident makes a new `Verifier(trust=[root_pem])` for each signature "
            "(parsing the trust anchor and intermediate again).",
        ),
    ]


# --- (c) large content ----------------------------------------------------------------------------


def _sha256sum_command() -> list[str]:
    if shutil.which("sha256sum"):
        return ["sha256sum"]
    if shutil.which("shasum"):
        return ["shasum", "-a", "256"]
    raise BenchError("(c) needs sha256sum (coreutils) or shasum on PATH")


def _printed_digest(stdout: bytes) -> str:
    # "HEX  file" (sha256sum, shasum) or "SHA2-256(file)= HEX" (openssl dgst).
    text = stdout.decode("ascii", errors="replace").strip()
    return text.split()[-1] if "=" in text else text.split()[0]


def _vm_kib(field_name: str) -> int | None:
    try:
        text = Path("/proc/self/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return None


def _child_rss(sig: str, content: str, root: str) -> int:
    """Verify in this (child) process and print JSON with its peak resident set size."""
    import resource

    import bayident

    after_import = _vm_kib("VmRSS")
    verifier = bayident.Verifier(trust=[Path(root)])
    start = time.perf_counter()
    result = verifier.verify(Path(sig), content=Path(content))
    elapsed = time.perf_counter() - start
    peak = _vm_kib("VmHWM")
    if peak is None:  # no /proc: ru_maxrss is KiB on Linux, bytes on macOS
        raw = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = raw // 1024 if sys.platform == "darwin" else raw
    print(
        json.dumps(
            {
                "passed": result.passed,
                "message": result.message,
                "seconds": elapsed,
                "peak_kib": peak,
                "rss_after_import_kib": after_import,
            }
        )
    )
    return 0


async def bench_c(cfg: Config, report: rep.Report) -> None:
    import bayident
    from bench import _fixtures as fx

    sha_cmd = _sha256sum_command()
    size = cfg.content_c
    label = rep.fmt_bytes(size)
    tmp = Path(tempfile.mkdtemp(prefix="bayident-bench-"))
    try:
        content = tmp / "content.bin"
        print(f"  writing {label} of content …", flush=True)
        digest = fx.write_content_file(content, size)
        pki = fx.make_pki()
        sig_path, root_path = tmp / "content.bin.p7s", tmp / "root.pem"
        sig_path.write_bytes(fx.sign_digest(pki.signer, digest))
        root_path.write_bytes(pki.root.cert_pem)
        sig = sig_path.read_bytes()
        verifier = bayident.Verifier(trust=[pki.root.cert_pem])

        def ours() -> float:
            start = time.perf_counter()
            result = verifier.verify(sig, content=content)
            elapsed = time.perf_counter() - start
            if not result.passed:
                raise BenchError(f"(c) bayident does not pass the {label} file: {result.message}")
            return elapsed

        def tool(cmd: list[str]) -> Callable[[], float]:
            def run() -> float:
                start = time.perf_counter()
                out = subprocess.run([*cmd, str(content)], capture_output=True, check=True)
                elapsed = time.perf_counter() - start
                if _printed_digest(out.stdout).lower() != digest.hex():
                    raise BenchError(f"(c) {' '.join(cmd)} printed another digest")
                return elapsed

            return run

        sides: list[tuple[str, Callable[[], float]]] = [
            ("bayident", ours),
            (" ".join(sha_cmd), tool(sha_cmd)),
        ]
        if shutil.which("openssl"):
            sides.append(("openssl dgst -sha256", tool(["openssl", "dgst", "-sha256"])))
        for _, fn in sides:
            fn()  # warms the page cache; each side checks it gets the right answer
        times: dict[str, list[float]] = {name: [] for name, _ in sides}
        for r in range(cfg.rounds_c):
            k = r % len(sides)
            for name, fn in sides[k:] + sides[:k]:
                times[name].append(fn())

        child = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child-rss",
                str(sig_path),
                str(content),
                str(root_path),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            raise BenchError(f"(c) the memory-measuring child failed: {child.stderr.strip()}")
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        if not measured["passed"]:
            raise BenchError(f"(c) the child did not pass the file: {measured['message']}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    sha_tool = " ".join(sha_cmd)
    ours_series = rep.summarize("bayident Verifier.verify(sig, content=path)", times["bayident"])
    how = (
        f"wall time of the subprocess on the same file, start-up included; medians of "
        f"{cfg.rounds_c} alternating runs each."
    )
    report.comparisons.append(
        rep.Comparison(
            "c",
            f"{label} detached content file: verify throughput vs {sha_tool}",
            ours_series,
            rep.summarize(sha_tool, times[sha_tool]),
            0.8,
            f"bayident: `Verifier.verify(signature, content=path)` on a {label} file (one random "
            f"MiB repeated) already in the page cache, wall time of the whole verification; "
            f"`{sha_tool}`: {how}",
            bytes_per_op=size,
        )
    )
    if "openssl dgst -sha256" in times:
        report.comparisons.append(
            rep.Comparison(
                "c2",
                f"{label} detached content file: verify throughput vs openssl dgst -sha256",
                ours_series,
                rep.summarize("openssl dgst -sha256", times["openssl dgst -sha256"]),
                None,
                f"As c, against the `openssl dgst -sha256` command: {how} Unlike some builds of "
                "sha256sum, OpenSSL uses the CPU's SHA instructions where it has them, so this is "
                "the faster reference.",
                bytes_per_op=size,
            )
        )
    after_import = measured["rss_after_import_kib"]
    report.limits.append(
        rep.Limit(
            "c-rss",
            f"peak RSS of a process verifying the {label} file",
            measured["peak_kib"] / KIB,
            RSS_LIMIT_MIB,
            "MiB",
            "Peak resident set size (VmHWM) of a fresh Python process that imports bayident, "
            f"makes a `Verifier` and verifies the {label} file by path; interpreter and imports "
            "included"
            + (
                f" ({after_import / KIB:.1f} MiB right after `import bayident`)."
                if after_import
                else "."
            ),
        )
    )
    if cfg.quick:
        report.notes.append(f"--quick: (c) used a {label} file instead of 1 GiB.")


# --- profile ------------------------------------------------------------------------------


def profile_a(count: int) -> dict[str, Any]:
    """Profile *count* warm verifications of the (a) signature; return the top entries."""
    import cProfile
    import pstats

    import bayident
    from bench import _fixtures as fx

    pki = fx.make_pki()
    content = os.urandom(100 * KIB)
    sig = pki.signer.sign_detached_cms(content)
    verifier = bayident.Verifier(trust=[pki.root.cert_pem], policy=bayident.Policy())
    for _ in range(50):
        if not verifier.verify(sig, content=content).passed:
            raise BenchError("profile: bayident does not pass the benchmark signature")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        verifier.verify(sig, content=content)
    profiler.disable()
    prof = pstats.Stats(profiler).get_stats_profile()
    marker = f"{os.sep}bayident{os.sep}"

    def where(file_name: str, line: int, func: str) -> str:
        if marker in file_name:
            file_name = "bayident/" + file_name.split(marker, 1)[1].replace(os.sep, "/")
        elif "site-packages" in file_name:
            file_name = file_name.split("site-packages", 1)[1].lstrip(os.sep).replace(os.sep, "/")
        elif file_name != "~":
            file_name = Path(file_name).name
        return f"{file_name}:{line}({func})" if file_name != "~" else func

    rows: list[dict[str, Any]] = [
        {
            "where": where(fp.file_name, fp.line_number, func),
            "ncalls": fp.ncalls,
            "tottime_s": fp.tottime,
            "cumtime_s": fp.cumtime,
            "cum_us_per_verify": fp.cumtime / count * 1e6,
            "ours": marker in fp.file_name,
        }
        for func, fp in prof.func_profiles.items()
    ]
    ours = sorted((r for r in rows if r["ours"]), key=lambda r: -float(r["cumtime_s"]))[:15]
    self_time = sorted(rows, key=lambda r: -float(r["tottime_s"]))[:15]
    return {
        "verifications": count,
        "total_s": prof.total_tt,
        "us_per_verify": prof.total_tt / count * 1e6,
        "bayident_by_cumulative": ours,
        "all_by_self_time": self_time,
    }


def _print_profile(p: dict[str, Any]) -> None:
    n = p["verifications"]
    print(f"profile: {n} warm verifications, {p['us_per_verify']:.1f} µs each under cProfile")
    print("\nbayident code, top 15 by cumulative time:")
    print(f"{'ncalls':>10} {'cum s':>8} {'µs/verify':>10}  where")
    for r in p["bayident_by_cumulative"]:
        us = r["cum_us_per_verify"]
        print(f"{r['ncalls']:>10} {r['cumtime_s']:8.3f} {us:10.1f}  {r['where']}")
    print("\nall code, top 15 by own (self) time:")
    print(f"{'ncalls':>10} {'self s':>8} {'µs/verify':>10}  where")
    for r in p["all_by_self_time"]:
        us = r["tottime_s"] / n * 1e6
        print(f"{r['ncalls']:>10} {r['tottime_s']:8.3f} {us:10.1f}  {r['where']}")


# --- command line ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Compare bayident's verification speed with other implementations.",
    )
    p.add_argument("--only", choices=["a", "b", "c"], help="run one comparison")
    p.add_argument(
        "--quick",
        action="store_true",
        help="fewer rounds and signers, 256 MiB instead of 1 GiB for (c)",
    )
    p.add_argument("--json", metavar="PATH", type=Path, help="also write the results as JSON")
    p.add_argument(
        "--write-docs", action="store_true", help="rewrite docs/performance.md with the results"
    )
    p.add_argument(
        "--profile",
        nargs="?",
        const=2000,
        type=int,
        metavar="N",
        help="instead of comparing, profile N (default 2000) warm verifications of (a)",
    )
    p.add_argument(
        "--child-rss", nargs=3, metavar=("SIG", "CONTENT", "ROOT"), help=argparse.SUPPRESS
    )
    return p


async def _run(cfg: Config, only: str | None, report: rep.Report) -> None:
    benches = {"a": bench_a, "b": bench_b, "c": bench_c}
    titles = {
        "a": "(a) warm verification",
        "b": "(b) cold path validation",
        "c": "(c) large content",
    }
    for key, bench in benches.items():
        if only and key != only:
            continue
        start = time.perf_counter()
        print(f"{titles[key]} …", flush=True)
        await bench(cfg, report)
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.child_rss:
        return _child_rss(*args.child_rss)
    if args.write_docs and (args.only or args.profile):
        _parser().error("--write-docs needs every comparison: leave out --only and --profile")

    from cryptography.hazmat.backends.openssl.backend import backend

    import bayident

    report = rep.Report(
        machine=rep.machine_info(bayident.__version__, backend.openssl_version_text()),
        quick=args.quick,
    )
    try:
        if args.profile:
            report.profile = profile_a(args.profile)
            _print_profile(report.profile)
        else:
            cfg = Config.make(args.quick)
            if cfg.quick:
                print("--quick: fewer rounds and signers, and a 256 MiB file for (c)")
            started = time.perf_counter()
            asyncio.run(_run(cfg, args.only, report))
            print(f"\n{report.text()}\n\ntotal {time.perf_counter() - started:.0f} s")
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    m = report.machine
    print(
        f"machine: {m['cpu']}, {m['cores']} cores, {m['python']}, cryptography "
        f"{m['cryptography']}, pyHanko {m['pyHanko']}, pyhanko-certvalidator "
        f"{m['pyhanko-certvalidator']}, load at start {m['load']}, {m['date']}"
    )
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if args.write_docs:
        DOCS_PAGE.write_text(_merge_page(report.markdown()), encoding="utf-8")
        print(f"wrote {DOCS_PAGE.relative_to(_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
