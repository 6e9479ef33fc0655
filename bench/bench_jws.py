"""Warm verification of a detached ES256 JWS: bayident against PyJWT's bare check.

    python bench/bench_jws.py [--rounds N] [--batch-seconds S] [--json PATH]

bayident: a reused :class:`bayident.Verifier` verifying a detached JWS whose protected
header carries a two-certificate ``x5c`` chain (signer, issuing CA) to a trusted root;
every check runs (header rules, chain validation from the cache, key usage, signature).

PyJWT: ``jwt.api_jws.PyJWS().decode_complete`` of the same token with the signer's public
key given directly, so no certificate is parsed and no chain is checked:

* ``b64=false`` (RFC 7797): ``decode_complete(token, key, detached_payload=content)``;
* ``b64=true`` (RFC 7515 Appendix F): PyJWT has no detached form for it, so each call
  re-attaches ``BASE64URL(content)`` to the token and decodes that.

Both sides run in this process in alternating rounds; the report gives the median time
per verification and the ratio PyJWT ÷ bayident (above 1: bayident is faster). The
target is a ratio of at least 0.5. This reports; it never fails a build.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT / "src") not in sys.path:
    sys.path.insert(0, str(_ROOT / "src"))

import jwt  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

import bayident  # noqa: E402
from bayident.testing import MockCA, MockClock, MockJWTIssuer  # noqa: E402

TARGET = 0.5
CONTENT_BYTES = 4096


def _batch(fn: Callable[[], object], seconds: float) -> int:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return max(n, 1)


def _time(fn: Callable[[], object], n: int) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - start) / n
    finally:
        gc.enable()


def compare(
    ours: Callable[[], object], theirs: Callable[[], object], rounds: int, batch_seconds: float
) -> tuple[float, float]:
    """Median seconds per call of each side, alternating which goes first."""
    n_ours, n_theirs = _batch(ours, batch_seconds), _batch(theirs, batch_seconds)
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        if i % 2:
            b.append(_time(theirs, n_theirs))
            a.append(_time(ours, n_ours))
        else:
            a.append(_time(ours, n_ours))
            b.append(_time(theirs, n_theirs))
    return statistics.median(a), statistics.median(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--batch-seconds", type=float, default=0.025)
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)

    clock = MockClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    root = MockCA("Bench JWS Root CA", clock=clock, key_type="ec")
    issuing = root.create_child_ca("Bench JWS Issuing CA", key_type="ec")
    signer = issuing.issue_signer("Bench JWS Signer", key_type="ec")
    issuer = MockJWTIssuer.from_signer(signer)
    # No '.' in the content: the compact form with b64=false refuses it (RFC 7797 §5.2).
    content = (b"abcdefghijklmnopqrstuvwxyz0123456789 " * 200)[:CONTENT_BYTES]
    at = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    verifier = bayident.Verifier(trust=[root.cert_pem])
    public_key = signer.certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    pyjws = jwt.api_jws.PyJWS()

    results: list[dict[str, Any]] = []
    for b64 in (False, True):
        token = issuer.sign_detached(content, x5c=True, b64=b64)
        raw = token.encode()
        header_len = len(token.split(".")[0])

        def ours(raw: bytes = raw) -> object:
            return verifier.verify(raw, content=content, at=at)

        theirs: Callable[[], object]
        if b64:
            head, _, sig = token.partition("..")

            def attached(head: str = head, sig: str = sig) -> object:
                payload = base64.urlsafe_b64encode(content).rstrip(b"=").decode()
                return pyjws.decode_complete(
                    f"{head}.{payload}.{sig}", public_key, algorithms=["ES256"]
                )

            theirs = attached
        else:

            def detached(token: str = token) -> object:
                return pyjws.decode_complete(
                    token, public_key, algorithms=["ES256"], detached_payload=content
                )

            theirs = detached

        check = ours()
        assert isinstance(check, bayident.VerificationResult)
        if not check.passed:
            raise SystemExit(f"bayident did not pass the benchmark token:\n{check.explain()}")
        theirs()  # raises if PyJWT does not accept it
        t_ours, t_theirs = compare(ours, theirs, args.rounds, args.batch_seconds)
        ratio = t_theirs / t_ours
        results.append(
            {
                "case": f"detached ES256, b64={'true' if b64 else 'false'}",
                "protected_header_chars": header_len,
                "content_bytes": len(content),
                "bayident_us": round(t_ours * 1e6, 1),
                "pyjwt_us": round(t_theirs * 1e6, 1),
                "ratio_pyjwt_over_bayident": round(ratio, 2),
                "target": TARGET,
                "met": ratio >= TARGET,
            }
        )

    print(
        f"Python {sys.version.split()[0]}, PyJWT {jwt.__version__}, "
        f"{args.rounds} alternating rounds, median per verification"
    )
    for r in results:
        print(
            f"  {r['case']:<28} bayident {r['bayident_us']:8.1f} µs   PyJWT {r['pyjwt_us']:8.1f} µs"
            f"   ratio {r['ratio_pyjwt_over_bayident']:.2f} (target ≥ {TARGET}: "
            f"{'met' if r['met'] else 'NOT met'})"
        )
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
