"""Revocation at volume: requests sent, and averify's throughput with asyncio.gather.

    python bench/bench_revocation.py [--verifications N] [--signers K] [--batch M] [--json PATH]

A sandbox PKI (RSA root, EC issuing CA, EC signers) whose signer certificates name an OCSP
responder and whose issuing CA certificate names a CRL distribution point; both services
run on a real HTTP server on 127.0.0.1 started here. Revocation checking is on
(``hard-fail``, the default) throughout.

(1) ``Verifier.verify()`` of N signatures (default 10,000) spread over K distinct signer
    certificates (default 10): the OCSP responder counts the requests it receives. Target:
    at most K, one per certificate: answers are cached until their nextUpdate.
(2) ``Verifier.averify()`` of M signatures (default 1,000) at once with
    ``asyncio.gather``, first cold (all M start before any answer is known: single flight
    must keep the requests at K), then warm, against the warm sequential throughput of
    ``verify()`` over the same M signatures. Target: gather ≥ 0.8 × sequential.

It reports; it never fails a build.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
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

CONTENT = b"Cross-boundary e-service application form, benchmark copy.\n" * 16
GATHER_TARGET = 0.8


def _signatures(server: RevocationServer, signers: int, count: int) -> tuple[Any, ...]:
    root = MockCA("Bench Revocation Root CA")
    crl = MockCRLPublisher(root)
    server.mount(crl)
    issuing = root.create_child_ca("Bench Revocation Issuing CA", key_type="ec", crl_url=crl.url)
    ocsp = MockOCSPResponder(issuing)
    server.mount(ocsp)
    people = [
        issuing.issue_signer(f"Bench Revocation Signer {i:02d}", ocsp_url=ocsp.url)
        for i in range(signers)
    ]
    sigs = [people[i % signers].sign_detached_cms(CONTENT) for i in range(count)]
    return root, crl, ocsp, sigs


def bench_requests(verifications: int, signers: int) -> dict[str, Any]:
    with RevocationServer() as server:
        root, crl, ocsp, sigs = _signatures(server, signers, signers * 10)
        verifier = bayident.Verifier(trust=[root.cert_pem])
        start = time.perf_counter()
        for i in range(verifications):
            result = verifier.verify(sigs[i % len(sigs)], content=CONTENT)
            if not result.passed:
                raise SystemExit(f"verification {i} did not pass: {result.message}")
        elapsed = time.perf_counter() - start
        return {
            "verifications": verifications,
            "signers": signers,
            "ocsp_requests": ocsp.requests,
            "crl_requests": crl.requests,
            "seconds": round(elapsed, 3),
            "per_verification_us": round(elapsed / verifications * 1e6, 1),
            "met": ocsp.requests <= signers,
        }


def _sequential(verifier: bayident.Verifier, sigs: list[bytes]) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for sig in sigs:
            verifier.verify(sig, content=CONTENT)
        return time.perf_counter() - start
    finally:
        gc.enable()


async def _gathered(verifier: bayident.Verifier, sigs: list[bytes]) -> tuple[float, int]:
    gc.disable()
    try:
        start = time.perf_counter()
        results = await asyncio.gather(*(verifier.averify(s, content=CONTENT) for s in sigs))
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    return elapsed, sum(1 for r in results if r.passed)


def bench_gather(batch: int, signers: int, rounds: int) -> dict[str, Any]:
    with RevocationServer() as server:
        root, crl, ocsp, sigs = _signatures(server, signers, batch)
        verifier = bayident.Verifier(trust=[root.cert_pem])

        async def main() -> dict[str, Any]:
            cold, passed = await _gathered(verifier, sigs)
            if passed != batch:
                raise SystemExit(f"only {passed} of {batch} cold averify calls passed")
            cold_requests = ocsp.requests
            seq_times, gather_times = [], []
            for _ in range(rounds):
                # Alternate, so that drift in the machine's speed hits both sides alike.
                seq_times.append(_sequential(verifier, sigs))
                elapsed, passed = await _gathered(verifier, sigs)
                if passed != batch:
                    raise SystemExit(f"only {passed} of {batch} warm averify calls passed")
                gather_times.append(elapsed)
            seq = statistics.median(seq_times)
            gathered = statistics.median(gather_times)
            ratio = seq / gathered
            return {
                "batch": batch,
                "signers": signers,
                "cold_gather_seconds": round(cold, 3),
                "cold_ocsp_requests": cold_requests,
                "cold_crl_requests": crl.requests,
                "sequential_verify_per_second": round(batch / seq),
                "gather_averify_per_second": round(batch / gathered),
                "ratio": round(ratio, 3),
                "met": ratio >= GATHER_TARGET and cold_requests <= signers,
            }

        return asyncio.run(main())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verifications", type=int, default=10_000)
    parser.add_argument("--signers", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    one = bench_requests(args.verifications, args.signers)
    print(
        f"(1) {one['verifications']} verify() over {one['signers']} signers: "
        f"{one['ocsp_requests']} OCSP requests, {one['crl_requests']} CRL request(s), "
        f"{one['per_verification_us']} µs each — target ≤ {one['signers']} OCSP requests: "
        f"{'met' if one['met'] else 'NOT met'}"
    )
    two = bench_gather(args.batch, args.signers, args.rounds)
    print(
        f"(2) averify × {two['batch']} with asyncio.gather: cold {two['cold_gather_seconds']} s "
        f"with {two['cold_ocsp_requests']} OCSP + {two['cold_crl_requests']} CRL requests; warm "
        f"{two['gather_averify_per_second']}/s vs sequential verify() "
        f"{two['sequential_verify_per_second']}/s = {two['ratio']}× — target ≥ {GATHER_TARGET}×: "
        f"{'met' if two['met'] else 'NOT met'}"
    )
    if args.json is not None:
        args.json.write_text(json.dumps({"requests": one, "gather": two}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
