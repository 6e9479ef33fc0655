"""A sealed one-page OFD: a warm ``Verifier.verify()`` against the bare limit.

    python bench/bench_ofd.py [seconds-per-side]

One OFD package (GB/T 33190) with one GB/T 38540 V4 e-seal (SM2 root → seal maker and
holder, the seal in ``Seal.esl`` and in the signed value) is made with
``bayident.testing.MockSealMaker`` / ``MockOFDSigner``. Two ways of checking it are timed in
this one process, interleaved over several rounds (best round kept):

* bayident: ``Verifier.verify()`` on the ``.ofd`` bytes, warm (certificates parsed and
  paths validated by earlier calls): the ZIP read under limits, four XML files parsed,
  the SES_Signature decoded, every check, both paths and the result;
* bare limit: what any verifier of this seal must compute at the least, on bytes already
  extracted: SM3 of every referenced file and of Signature.xml (the data hash), and the two
  SM2 verifications (the signer's over TBS_Sign, the seal maker's over the seal
  information) with tongsuopy's bare ``public_key.verify`` (target: bayident at least 0.5
  times as fast).

Ratios are bare-limit time ÷ bayident time, so above 1 means bayident is faster; times are
this thread's CPU time, so that other work on the machine does not land on one side. Needs
the ``sm`` extra. This reports; it never fails a build.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
# Measure this checkout's bayident rather than an installed one.
if str(_ROOT / "src") not in sys.path:
    sys.path.insert(0, str(_ROOT / "src"))

from bayident import Verifier  # noqa: E402
from bayident.ofd import ZipPackage, parse_seal_signature  # noqa: E402
from bayident.sm import SM2PrivateKey, sm3, sm_available  # noqa: E402

ROUNDS = 30
TARGET = 0.5
SIGNED_VALUE = "Doc_0/Signs/Sign_0/SignedValue.dat"
SIGNATURE_XML = "Doc_0/Signs/Sign_0/Signature.xml"


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per CPU second of ``fn`` over about ``seconds`` of this thread's CPU time.

    CPU time rather than wall time: on a shared machine the scheduler takes the CPU away
    from whichever side happens to be running, and wall time would charge that to it.
    """
    fn()
    count = 0
    batch = 1
    start = time.thread_time()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            fn()
        count += batch
        now = time.thread_time()
        if now >= deadline:
            return count / (now - start)
        batch = min(batch * 2, 64)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("seconds", nargs="?", type=float, default=6.0, help="per side")
    seconds = parser.parse_args().seconds
    if not sm_available():
        sys.exit("tongsuopy is not installed: pip install 'bayident[sm]'")
    from lxml import etree
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    from bayident.testing import MockClock, MockOFDSigner, MockSealMaker, MockSM2CA

    now = datetime.now(UTC).replace(microsecond=0)
    root = MockSM2CA("Sandbox Seal Root CA", clock=MockClock(now))
    maker_signer = root.issue_signer("Sandbox Seal Maker")
    holder = root.issue_signer("Sandbox Trading Ltd")
    seal = MockSealMaker(maker_signer).make_seal("Sandbox Trading Ltd 公章", holders=[holder])
    document = MockOFDSigner(holder, seal).sign(signing_time=now)
    at = now + timedelta(hours=1)
    verifier = Verifier(trust=[root.cert_pem])

    def bayident_verify() -> None:
        if not verifier.verify(document, at=at).passed:
            raise SystemExit("bayident did not return PASSED")

    # The bare side's inputs, extracted beforehand: the referenced files, Signature.xml,
    # the two signed byte strings and their signatures.
    package = ZipPackage(document)
    sig_xml = package.read(SIGNATURE_XML)
    refs = [
        package.read(el.get("FileRef").lstrip("/"))
        for el in etree.fromstring(sig_xml).iter("{*}Reference")
    ]
    ses = parse_seal_signature(package.read(SIGNED_VALUE))
    algorithm = ec.ECDSA(hashes.SM3())

    def bare_key(signer: object) -> object:
        key = signer.private_key  # type: ignore[attr-defined]
        assert isinstance(key, SM2PrivateKey)
        return ec.EllipticCurvePublicNumbers(
            key.public_key.x, key.public_key.y, ec.SM2()
        ).public_key()

    signer_key = bare_key(holder)
    maker_key = bare_key(maker_signer)

    def bare_limit() -> None:
        for data in refs:
            sm3(data)
        if sm3(sig_xml) != ses.data_hash:
            raise SystemExit("data hash mismatch")
        signer_key.verify(ses.signature, ses.tbs, algorithm)  # type: ignore[attr-defined]
        maker_key.verify(ses.seal.signature, ses.seal.signed_bytes, algorithm)  # type: ignore[attr-defined]

    cases: list[tuple[str, Callable[[], object]]] = [
        ("bayident", bayident_verify),
        ("bare limit", bare_limit),
    ]
    for _name, fn in cases:
        fn()  # both sides must accept the seal before anything is timed
    best = dict.fromkeys((name for name, _ in cases), 0.0)
    for _ in range(ROUNDS):
        for name, fn in cases:
            best[name] = max(best[name], rate(fn, seconds / ROUNDS))

    ours = best["bayident"]
    print(f"package: {len(document)} bytes, {len(refs)} references, 2 SM2 verifications")
    print(f"{'side':12} {'verifications/s':>16} {'µs each':>10} {'ratio':>8} {'target':>8}")
    for name, per_second in best.items():
        ratio = ours / per_second
        mark = ""
        shown = ""
        if name != "bayident":
            shown = f"{ratio:7.2f}×"
            mark = f"≥ {TARGET:g}× " + ("met" if ratio >= TARGET else "MISSED")
        print(f"{name:12} {per_second:16,.0f} {1e6 / per_second:10.1f} {shown:>8} {mark}")


if __name__ == "__main__":
    main()
