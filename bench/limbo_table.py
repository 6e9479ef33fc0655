"""x509-limbo table: bayident vs pyca/cryptography vs pyhanko-certvalidator.

Runs the applicable x509-limbo cases (``../shared/conformance/limbo``; see
``tests/conformance/limbo.py``) through three validators and prints, per engine,
agreement with the expected result, false accepts, exceptions and cases per second:

    python bench/limbo_table.py            # Markdown table
    python bench/limbo_table.py --json out.json

pyca/cryptography: ``x509.verification`` with its web-PKI CA profile (keyUsage and
EKU in CA certificates left to the caller), a permissive end-entity profile and
a ``ClientVerifier``. pyhanko-certvalidator: ``CertificateValidator`` with the case's
anchors, intermediates, time and CRLs (revocation checked only when CRLs are given).
Each case runs in a worker thread with a time limit; a case over it counts as an
exception ("hang").
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime as dt
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "conformance"))

import limbo  # noqa: E402

LIMIT_S = 20.0


def _bayident(case: dict[str, Any]) -> bool:
    return bool(limbo.run_bayident(case)[0])


def _pyca(case: dict[str, Any]) -> bool:
    from cryptography import x509
    from cryptography.x509 import verification as xv

    roots = [x509.load_pem_x509_certificate(p.encode()) for p in limbo.pems(case["trusted_certs"])]
    inter = [
        x509.load_pem_x509_certificate(p.encode())
        for p in limbo.pems(case["untrusted_intermediates"])
    ]
    leaf = x509.load_pem_x509_certificate(case["peer_certificate"].encode())
    at = limbo.validation_time(case) or dt.datetime.now(dt.UTC)
    agnostic = xv.Criticality.AGNOSTIC
    ca = (
        xv.ExtensionPolicy.webpki_defaults_ca()
        .may_be_present(x509.KeyUsage, agnostic, None)
        .may_be_present(x509.ExtendedKeyUsage, agnostic, None)
    )
    builder = xv.PolicyBuilder().store(xv.Store(roots)).time(at)
    if case.get("max_chain_depth") is not None:
        builder = builder.max_chain_depth(int(case["max_chain_depth"]))
    verifier = builder.extension_policies(
        ca_policy=ca, ee_policy=xv.ExtensionPolicy.permit_all()
    ).build_client_verifier()
    try:
        verifier.verify(leaf, inter)
    except xv.VerificationError:
        return False
    return True


def _pyhanko(case: dict[str, Any]) -> bool:
    from asn1crypto import crl as acrl
    from asn1crypto import x509 as ax509
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    def load(pem: str) -> Any:
        return ax509.Certificate.load(limbo.der_of(pem))

    crls = [acrl.CertificateList.load(limbo.der_of(p)) for p in limbo.pems(case.get("crls"))]
    ctx = ValidationContext(
        trust_roots=[load(p) for p in limbo.pems(case["trusted_certs"])],
        moment=limbo.validation_time(case) or dt.datetime.now(dt.UTC),
        crls=crls,
        revocation_mode="hard-fail" if crls else "soft-fail",
        allow_fetching=False,
    )
    validator = CertificateValidator(
        load(case["peer_certificate"]),
        intermediate_certs=[load(p) for p in limbo.pems(case["untrusted_intermediates"])],
        validation_context=ctx,
    )
    try:
        asyncio.run(validator.async_validate_path())
    except (PathBuildingError, PathValidationError):
        return False
    return True


ENGINES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "bayident": _bayident,
    "pyca/cryptography x509.verification": _pyca,
    "pyhanko-certvalidator": _pyhanko,
}


def run(engine: Callable[[dict[str, Any]], bool], cases: list[dict[str, Any]]) -> dict[str, Any]:
    agree = false_accepts = exceptions = 0
    busy = 0.0
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    for case in cases:
        start = time.perf_counter()
        future = pool.submit(engine, case)
        try:
            accepted: bool | None = future.result(timeout=LIMIT_S)
        except concurrent.futures.TimeoutError:
            accepted = None
            # The stuck case keeps its thread; later cases get a fresh one.
            pool.shutdown(wait=False)
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        except Exception:  # an escaped exception is what this table counts
            accepted = None
        busy += time.perf_counter() - start
        expected = case["expected_result"] == "SUCCESS"
        if accepted is None:
            exceptions += 1
        elif accepted == expected:
            agree += 1
        elif accepted:
            false_accepts += 1
    pool.shutdown(wait=False)
    return {
        "agree": agree,
        "false_accepts": false_accepts,
        "exceptions": exceptions,
        "cases_per_second": len(cases) / busy if busy else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", choices=sorted(ENGINES))
    args = parser.parse_args()
    cases = limbo.load_cases()
    if not cases:
        sys.exit(f"no x509-limbo data at {limbo.LIMBO}")
    warnings.simplefilter("ignore")
    results = {
        name: run(fn, cases) for name, fn in ENGINES.items() if not args.only or name == args.only
    }
    print(f"x509-limbo, {len(cases)} cases\n")
    print("| engine | agree | false accepts | exceptions | cases/s |")
    print("| --- | --- | --- | --- | --- |")
    for name, r in results.items():
        print(
            f"| {name} | {r['agree']:,} | {r['false_accepts']} | {r['exceptions']} | "
            f"{r['cases_per_second']:,.0f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
