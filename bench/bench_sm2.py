"""SM2 detached CMS: a warm ``Verifier.verify()`` against the bare SM2 check and against gmssl.

    python bench/bench_sm2.py [seconds-per-side]

One GB/T 35275 detached signature (GM/T OIDs, signed attributes, SM2 root → SM2 issuing
CA → SM2 signer, 4 KiB content) is made with ``bayident.testing.MockSM2CA``. Three ways of
checking it are timed in this one process, interleaved over several rounds (best round
kept, so load from elsewhere does not favour whichever side ran first):

* bayident: ``Verifier.verify()`` on the whole evidence, warm (certificates parsed and the
  path validated by earlier calls), so a call is the CMS work plus one SM2 verification;
* tongsuopy: ``public_key.verify(signature, signed_attributes, ECDSA(SM3()))``, the bare
  SM2 check of the same signature over the same bytes, nothing else (target: bayident
  at least 0.7 times as fast);
* tongsuopy+sm3: the same plus SM3 of the content, which the message-digest attribute
  needs, i.e. the least any verifier of this signature must do (information);
* gmssl: ``CryptSM2.verify_with_sm3`` of the same signature, pure Python (target: bayident
  at least 20 times as fast).

Ratios are other-side time ÷ bayident time, so above 1 means bayident is faster. Needs the
``sm`` extra; gmssl is measured when installed. This reports; it never fails a build.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
# Measure this checkout's bayident rather than an installed one.
if str(_ROOT / "src") not in sys.path:
    sys.path.insert(0, str(_ROOT / "src"))

from asn1crypto import algos as asn1_algos  # noqa: E402

from bayident import Verifier  # noqa: E402
from bayident._cms import parse_signed_data  # noqa: E402
from bayident.sm import SM2PrivateKey, sm3, sm_available  # noqa: E402

ROUNDS = 5
CONTENT = os.urandom(4 << 10)
TARGETS = {"tongsuopy": 0.7, "gmssl": 20.0}


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds``."""
    fn()
    count = 0
    batch = 1
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            fn()
        count += batch
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)
        batch = min(batch * 2, 64)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    if not sm_available():
        sys.exit("tongsuopy is not installed: pip install 'bayident[sm]'")
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    from bayident.testing import MockClock, MockSM2CA

    now = datetime.now(UTC).replace(microsecond=0)
    root = MockSM2CA("Sandbox GDCA SM2 Root", clock=MockClock(now))
    signer = root.create_child_ca("Sandbox GDCA SM2 Issuing CA").issue_signer("Bench Signer")
    evidence = signer.sign_detached_cms(CONTENT)
    at = now + timedelta(hours=1)

    # The signed attributes (as the SET OF the signature covers) and the signature value.
    signer_info = parse_signed_data(evidence).signers[0]
    signed_attrs = signer_info.signed_attrs_der
    signature = signer_info.signature
    assert signed_attrs is not None
    key = signer.private_key
    assert isinstance(key, SM2PrivateKey)
    x, y = key.public_key.x, key.public_key.y

    verifier = Verifier(trust=[root.cert_pem])

    def bayident_verify() -> None:
        if not verifier.verify(evidence, content=CONTENT, at=at).passed:
            raise SystemExit("bayident did not return PASSED")

    bare_key = ec.EllipticCurvePublicNumbers(x, y, ec.SM2()).public_key()
    algorithm = ec.ECDSA(hashes.SM3())

    def tongsuopy_verify() -> None:
        bare_key.verify(signature, signed_attrs, algorithm)

    def tongsuopy_and_digest() -> None:
        # What the bayident side must do at the least: the message-digest attribute
        # (SM3 of the content) as well as the signature.
        sm3(CONTENT)
        bare_key.verify(signature, signed_attrs, algorithm)

    cases: list[tuple[str, Callable[[], object]]] = [
        ("bayident", bayident_verify),
        ("tongsuopy", tongsuopy_verify),
        ("tongsuopy+sm3", tongsuopy_and_digest),
    ]
    try:
        from gmssl import sm2 as gmssl_sm2
    except ImportError:
        print("gmssl is not installed: its comparison is skipped")
    else:
        crypt = gmssl_sm2.CryptSM2(private_key="", public_key=f"{x:064x}{y:064x}")
        parsed = asn1_algos.DSASignature.load(signature).native
        raw_hex = f"{parsed['r']:064x}{parsed['s']:064x}"

        def gmssl_verify() -> None:
            if not crypt.verify_with_sm3(raw_hex, signed_attrs):
                raise SystemExit("gmssl did not verify the signature")

        cases.append(("gmssl", gmssl_verify))

    for _name, fn in cases:
        fn()  # every side must accept the signature before anything is timed
    best = dict.fromkeys((name for name, _ in cases), 0.0)
    for _ in range(ROUNDS):
        for name, fn in cases:
            # gmssl is slow: a fifth of the time still gives it dozens of calls per round.
            share = seconds / ROUNDS / (5 if name == "gmssl" else 1)
            best[name] = max(best[name], rate(fn, share))

    ours = best["bayident"]
    print(f"{'side':14} {'verifications/s':>16} {'µs each':>10} {'ratio':>8} {'target':>8}")
    for name, per_second in best.items():
        ratio = ours / per_second
        target = TARGETS.get(name)
        mark = ""
        if target is not None:
            mark = f"≥ {target:g}× " + ("met" if ratio >= target else "MISSED")
        shown = "" if name == "bayident" else f"{ratio:7.2f}×"
        print(f"{name:14} {per_second:16,.0f} {1e6 / per_second:10.1f} {shown:>8} {mark}")


if __name__ == "__main__":
    main()
