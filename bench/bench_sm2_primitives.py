"""SM2 verifications per second: bayident vs bare tongsuopy vs gmssl, on one signature.

Run: ``python bench/bench_sm2_primitives.py [seconds-per-case]`` (needs the ``sm`` extra;
gmssl is measured when installed). All cases verify the GB/T 32918.2 example
signature over "message digest" with the default signer ID.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from bayident.sm import SM2PublicKey, sm2_verify, sm2_verify_variants, sm_available
from bayident.sm._backend import verify_digest

X = 0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020
Y = 0xCCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13
R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
E = bytes.fromhex("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640")
MESSAGE = b"message digest"
ROUNDS = 5
RAW = R.to_bytes(32, "big") + S.to_bytes(32, "big")
DER = bytes([0x30, 0x46, 0x02, 0x21, 0x00]) + RAW[:32] + bytes([0x02, 0x21, 0x00]) + RAW[32:]


def rate(fn: Callable[[], object], seconds: float) -> tuple[float, int]:
    fn()  # warm caches (backend key handle, imports)
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn()
        count += 50
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start), count


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    if not sm_available():
        sys.exit("tongsuopy is not installed: pip install 'bayident[sm]'")
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    key = SM2PublicKey(X, Y)
    handle = key._backend_key()
    bare = ec.EllipticCurvePublicNumbers(X, Y, ec.SM2()).public_key()
    algorithm = ec.ECDSA(hashes.SM3())

    cases: list[tuple[str, Callable[[], object]]] = [
        ("bayident sm2_verify (DER, message)", lambda: sm2_verify(key, DER, MESSAGE)),
        ("bayident sm2_verify (raw, message)", lambda: sm2_verify(key, RAW, MESSAGE)),
        ("bayident sm2_verify (DER, digest_e)", lambda: sm2_verify(key, DER, digest_e=E)),
        ("bayident sm2_verify_variants (STANDARD)", lambda: sm2_verify_variants(key, DER, MESSAGE)),
        ("tongsuopy key.verify (default ID)", lambda: bare.verify(DER, MESSAGE, algorithm)),
        ("tongsuopy EVP_PKEY_verify over e", lambda: verify_digest(handle, DER, E)),
    ]
    try:
        from gmssl import sm2 as gmssl_sm2  # type: ignore[import-untyped]

        crypt = gmssl_sm2.CryptSM2(private_key="", public_key=f"{X:064x}{Y:064x}")
        sig_hex = RAW.hex()
        cases.append(
            ("gmssl verify_with_sm3 (pure Python)", lambda: crypt.verify_with_sm3(sig_hex, MESSAGE))
        )
    except ImportError:
        pass

    # Cases are interleaved over several rounds and the best round kept, so that
    # load from other processes does not favour whichever case ran first.
    best = dict.fromkeys((name for name, _ in cases), 0.0)
    for _ in range(ROUNDS):
        for name, fn in cases:
            best[name] = max(best[name], rate(fn, seconds / ROUNDS)[0])
    print(f"{'case':45} {'verifications/s':>16} {'µs each':>9}")
    for name, per_second in best.items():
        print(f"{name:45} {per_second:16,.0f} {1e6 / per_second:9.1f}")


if __name__ == "__main__":
    main()
