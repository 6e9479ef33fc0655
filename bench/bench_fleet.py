"""A fleet of verifiers sharing Redis, and verify_many across cores.

    python bench/bench_fleet.py [--processes P] [--verifications N] [--signers K]
                                [--batch M] [--files F] [--rounds R] [--json PATH]

A sandbox PKI (RSA root, EC issuing CA, EC signers) whose signer certificates name an OCSP
responder and whose issuing CA names a CRL; both run on a real HTTP server on 127.0.0.1
started here, and a redis-server is started on a free port in a temporary folder.
Revocation checking is on (``hard-fail``, the default) throughout.

(1) P processes (default 4) each verify N signatures (default 1,000) spread over K signer
    certificates (default 10), all at once, each with its own Verifier: with
    ``shared_cache`` on one Redis, then without. The OCSP responder counts the requests.
    Target: at most K with the shared cache (P × K without).
(2) An archive of F signed 64 KiB documents on disk (default 2,000; signature and content
    files) re-verified M times over (default 10,000 verifications):
    ``Verifier.verify_many(paths, workers=W)`` (W = the number of cores) against a loop of
    ``verify()`` in one process, alternating, medians over R rounds (default 5); the CPU
    time of both sides is reported too. Target: ≥ 1.7× on two cores.
(3) A warm ``verify()`` with and without ``shared_cache``: the extra cost (the median of
    paired, alternating rounds), and the Redis commands a warm verification sends.
    Target: < 10 %.

It reports; it never fails a build.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT / "src") not in sys.path:
    sys.path.insert(0, str(_ROOT / "src"))

import bayident  # noqa: E402
from bayident.testing import (  # noqa: E402
    MockCA,
    MockCRLPublisher,
    MockOCSPResponder,
    RevocationServer,
)

CONTENT = b"Cross-boundary e-service application form, fleet benchmark copy.\n" * 16
SPEEDUP_TARGET = 1.7
OVERHEAD_TARGET = 0.10


class Redis:
    """A redis-server of the benchmark's own."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server") or shutil.which("valkey-server")
        if binary is None:
            raise SystemExit("redis-server is not installed (apt-get install redis-server)")
        self.folder = tempfile.TemporaryDirectory(prefix="bayident-bench-redis-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir",
             self.folder.name, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        for _ in range(500):
            try:
                client.ping()
                break
            except redis.RedisError:
                time.sleep(0.02)
        self.client = client

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def info_memory(self) -> int:
        return int(self.client.info("memory")["used_memory"])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.folder.cleanup()


class Sandbox:
    def __init__(self, server: RevocationServer, signers: int) -> None:
        self.root = MockCA("Bench Fleet Root CA")
        self.crl = MockCRLPublisher(self.root)
        server.mount(self.crl)
        issuing = self.root.create_child_ca(
            "Bench Fleet Issuing CA", key_type="ec", crl_url=self.crl.url
        )
        self.ocsp = MockOCSPResponder(issuing)
        server.mount(self.ocsp)
        self.people = [
            issuing.issue_signer(f"Bench Fleet Signer {i:02d}", ocsp_url=self.ocsp.url)
            for i in range(signers)
        ]
        # A few signatures per signer, so verifications are not all of the same bytes.
        self.sigs = [
            self.people[i % signers].sign_detached_cms(CONTENT) for i in range(signers * 5)
        ]

    def verifier(self, **kw: Any) -> bayident.Verifier:
        return bayident.Verifier(trust=[self.root.cert_pem], **kw)


def _worker(box: Sandbox, url: str | None, count: int, start: Any, out: Any) -> None:
    verifier = box.verifier(shared_cache=url) if url else box.verifier()
    start.wait()
    began = time.perf_counter()
    sigs = box.sigs
    passed = sum(
        1 for i in range(count) if verifier.verify(sigs[i % len(sigs)], content=CONTENT).passed
    )
    out.put((passed, time.perf_counter() - began))


def bench_processes(redis: Redis, processes: int, count: int, signers: int) -> dict[str, Any]:
    ctx = multiprocessing.get_context("fork")
    out: dict[str, Any] = {"processes": processes, "verifications_each": count, "signers": signers}
    with RevocationServer() as server:
        box = Sandbox(server, signers)
        for label, url in (("shared", redis.url), ("alone", None)):
            redis.client.flushall()
            box.ocsp.reset_requests()
            start, queue = ctx.Event(), ctx.Queue()
            procs = [
                ctx.Process(target=_worker, args=(box, url, count, start, queue))
                for _ in range(processes)
            ]
            for p in procs:
                p.start()
            time.sleep(0.2)
            began = time.perf_counter()
            start.set()
            results = [queue.get(timeout=600) for _ in procs]
            wall = time.perf_counter() - began
            for p in procs:
                p.join(60)
            passed = sum(r[0] for r in results)
            if passed != processes * count:
                raise SystemExit(f"{label}: only {passed} of {processes * count} passed")
            out[f"{label}_ocsp_requests"] = box.ocsp.requests
            out[f"{label}_seconds"] = round(wall, 3)
            if label == "shared":
                out["redis_keys"] = int(redis.client.dbsize())
                out["redis_used_memory"] = redis.info_memory()
    out["met"] = out["shared_ocsp_requests"] <= signers
    return out


def _loop(verifier: bayident.Verifier, items: list[tuple[Any, Any]]) -> float:
    began = time.perf_counter()
    for sig, content in items:
        verifier.verify(sig, content=content)
    return time.perf_counter() - began


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its ended (reaped) children: the workers of a
    finished ``verify_many`` count in the second."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def _many(verifier: bayident.Verifier, items: list[tuple[Any, Any]], workers: int) -> float:
    began = time.perf_counter()
    n = sum(1 for r in verifier.verify_many(items, workers=workers) if r.passed)
    elapsed = time.perf_counter() - began
    if n != len(items):
        raise SystemExit(f"verify_many: only {n} of {len(items)} passed")
    return elapsed


def _archive(box: Sandbox, folder: Path, count: int, size: int) -> list[tuple[Any, Any]]:
    """``count`` signed documents of ``size`` bytes on disk: (signature path, content path)."""
    items: list[tuple[Any, Any]] = []
    signers = box.people
    for i in range(count):
        content = (f"Application {i:06d}\n".encode() * (size // 19 + 1))[:size]
        doc, sig = folder / f"{i:06d}.txt", folder / f"{i:06d}.p7s"
        doc.write_bytes(content)
        sig.write_bytes(signers[i % len(signers)].sign_detached_cms(content))
        items.append((sig, doc))
    return items


def bench_many(redis: Redis, batch: int, files: int, signers: int, rounds: int) -> dict[str, Any]:
    """An archive on disk re-verified: the workers read the files themselves."""
    workers = os.cpu_count() or 1
    size = 64 * 1024
    with RevocationServer() as server, tempfile.TemporaryDirectory() as tmp:
        box = Sandbox(server, signers)
        documents = _archive(box, Path(tmp), files, size)
        items = [documents[i % files] for i in range(batch)]
        verifier = box.verifier(shared_cache=redis.url)
        _loop(verifier, items)  # warm: the pool's processes are forks of this one
        loops, manys, cpu_one, cpu_many, cpu_caller, cpu_workers = [], [], [], [], [], []
        for _ in range(rounds):
            own, kids = _cpu()
            loops.append(_loop(verifier, items))
            own2, kids2 = _cpu()
            cpu_one.append(own2 - own + kids2 - kids)
            manys.append(_many(verifier, items, workers))
            own3, kids3 = _cpu()
            cpu_caller.append(own3 - own2)
            cpu_workers.append(kids3 - kids2)
            cpu_many.append(cpu_caller[-1] + cpu_workers[-1])
    one, many = statistics.median(loops), statistics.median(manys)
    ratio = one / many
    cpu_ratio = statistics.median(m / o for m, o in zip(cpu_many, cpu_one, strict=True))
    return {
        "batch": batch,
        "files": files,
        "document_bytes": size,
        "workers": workers,
        "one_process_per_second": round(batch / one),
        "verify_many_per_second": round(batch / many),
        "ratio": round(ratio, 3),
        "one_process_cpu_us": round(statistics.median(cpu_one) / batch * 1e6, 1),
        "verify_many_cpu_us": round(statistics.median(cpu_many) / batch * 1e6, 1),
        "verify_many_caller_cpu_us": round(statistics.median(cpu_caller) / batch * 1e6, 1),
        "verify_many_workers_cpu_us": round(statistics.median(cpu_workers) / batch * 1e6, 1),
        "cpu_ratio": round(cpu_ratio, 3),
        # The share of two cores' time the batch had: low on a machine others are using.
        "busy": round(statistics.median(cpu_many) / (workers * many), 3),
        "load_average": round(os.getloadavg()[0], 2),
        "met": ratio >= SPEEDUP_TARGET,
    }


def _redis_commands(verifier: bayident.Verifier, items: list[tuple[Any, Any]]) -> int:
    """How many Redis commands the verifications of ``items`` send."""
    backend: Any = verifier.shared_cache.backend  # type: ignore[union-attr]
    sent = [0]
    for name in ("get", "put", "delete", "lock", "unlock", "raise_to"):
        original = getattr(backend, name)

        def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            sent[0] += 1
            return _original(*args, **kwargs)

        setattr(backend, name, counted)
    _loop(verifier, items)
    for name in ("get", "put", "delete", "lock", "unlock", "raise_to"):
        delattr(backend, name)
    return sent[0]


def bench_overhead(redis: Redis, signers: int, rounds: int) -> dict[str, Any]:
    """Paired rounds (the order alternating), the median of the per-round ratios."""
    with RevocationServer() as server:
        box = Sandbox(server, signers)
        plain = box.verifier()
        shared = box.verifier(shared_cache=redis.url)
        work = [(s, CONTENT) for s in box.sigs]
        for v in (plain, shared):
            _loop(v, work)
        commands = _redis_commands(shared, work)
        ratios: list[float] = []
        times: dict[str, list[float]] = {"plain": [], "shared": []}
        gc.disable()
        try:
            for r in range(rounds):
                got: dict[str, float] = {}
                order = [("plain", plain), ("shared", shared)]
                for name, v in order if r % 2 == 0 else order[::-1]:
                    got[name] = _loop(v, work) / len(work)
                    times[name].append(got[name])
                ratios.append(got["shared"] / got["plain"])
        finally:
            gc.enable()
    extra = statistics.median(ratios) - 1
    return {
        "plain_us": round(statistics.median(times["plain"]) * 1e6, 1),
        "shared_us": round(statistics.median(times["shared"]) * 1e6, 1),
        "extra": round(extra, 4),
        "redis_commands_per_warm_verification": commands / len(work),
        "met": extra < OVERHEAD_TARGET,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--verifications", type=int, default=1_000)
    parser.add_argument("--signers", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--only", type=int, choices=(1, 2, 3), action="append", help="run only these parts"
    )
    args = parser.parse_args(argv)
    parts = set(args.only or (1, 2, 3))
    one: dict[str, Any] = {}
    two: dict[str, Any] = {}
    three: dict[str, Any] = {}
    redis = Redis()
    try:
        if 1 in parts:
            one = bench_processes(redis, args.processes, args.verifications, args.signers)
            print(
                f"(1) {one['processes']} processes × {one['verifications_each']} verify() over "
                f"{one['signers']} signers: {one['shared_ocsp_requests']} OCSP requests with the "
                f"shared cache ({one['shared_seconds']} s), {one['alone_ocsp_requests']} without "
                f"({one['alone_seconds']} s); Redis then held {one['redis_keys']} keys in "
                f"{one['redis_used_memory']} bytes — target ≤ {one['signers']}: "
                f"{'met' if one['met'] else 'NOT met'}"
            )
        if 2 in parts:
            two = bench_many(redis, args.batch, args.files, args.signers, args.rounds)
            print(
                f"(2) verify_many × {two['batch']} ({two['files']} signed 64 KiB files) with "
                f"{two['workers']} workers: "
                f"{two['verify_many_per_second']}/s vs one process {two['one_process_per_second']}/s "
                f"= {two['ratio']}× (CPU per verification {two['verify_many_cpu_us']} µs "
                f"[caller {two['verify_many_caller_cpu_us']} + workers "
                f"{two['verify_many_workers_cpu_us']}] vs {two['one_process_cpu_us']} µs, "
                f"{(two['cpu_ratio'] - 1) * 100:+.1f} % (median of paired rounds); the batch had "
                f"{two['busy'] * 100:.0f} % of the cores; load average {two['load_average']}) — target ≥ "
                f"{SPEEDUP_TARGET}×: {'met' if two['met'] else 'NOT met'}"
            )
        if 3 in parts:
            three = bench_overhead(redis, args.signers, max(args.rounds, 9) * 9)
            print(
                f"(3) warm verify(): {three['shared_us']} µs with shared_cache, {three['plain_us']} µs "
                f"without: {three['extra'] * 100:+.1f} % (median of paired rounds; "
                f"{three['redis_commands_per_warm_verification']:g} Redis commands per warm "
                f"verification) — target < {OVERHEAD_TARGET * 100:.0f} %: "
                f"{'met' if three['met'] else 'NOT met'}"
            )
    finally:
        redis.close()
    if args.json is not None:
        args.json.write_text(
            json.dumps({"processes": one, "verify_many": two, "overhead": three}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
