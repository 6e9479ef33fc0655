"""Ready-made RSA-2048 keys for the test suite, so that no test process waits on key generation.

The suite's mock CAs and signers ask for some 600 RSA keys a run, and making a 2048-bit key
costs some 45 ms of CPU: nearly half a minute of a run went on keys whose only required
property is that they are distinct RSA keys. Here each key is rebuilt from two primes in
well under a millisecond. The primes are not stored: prime ``j`` of key ``i`` is the first
prime at or above a 1024-bit odd number derived from ``(i, j)`` with SHAKE-256, and
``_rsa_keys.txt`` holds only how far above it lies (regenerate it with
``python tests/_rsa_keys.py COUNT``; nothing else depends on its content).

:func:`install` makes the test kit (``bayident.testing``) take its RSA-2048 keys from here:

* within one process every key is handed out once, so two CAs or signers of a test never
  share a key, as with fresh keys;
* each xdist worker takes its own share of the table, and the processes that run the
  documentation pages their own rows, so processes running side by side never hold the
  same key either;
* a key of another size is generated when asked for; a forked child that does not install
  a share of its own, or a share used up, falls back to the kit's own key generation.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["install", "stored_key"]

_TABLE = Path(__file__).with_name("_rsa_keys.txt")
_E = 65537
_BITS = 2048


def _start(index: int, which: int) -> int:
    """The odd 1024-bit number (top two bits set, so that p·q has 2048 bits) a prime follows."""
    seed = hashlib.shake_256(f"bayident test RSA-{_BITS} key {index} prime {which}".encode())
    value = int.from_bytes(seed.digest(_BITS // 16), "big")
    return value | (3 << (_BITS // 2 - 2)) | 1


def _offsets() -> list[tuple[int, int]]:
    rows = _TABLE.read_text(encoding="ascii").split("\n")
    return [(int(a), int(b)) for a, b in (row.split() for row in rows if row.strip())]


def stored_key(index: int, offsets: tuple[int, int]) -> rsa.RSAPrivateKey:
    """Key ``index`` of the table, from its two primes' offsets."""
    # The primes passed Miller-Rabin when tabled (tests/kit/test_rsa_keys.py re-tests some);
    # testing each again here would cost ten times what rebuilding the key does.
    p, q = (_start(index, which) + off for which, off in enumerate(offsets))
    lam = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
    d = pow(_E, -1, lam)
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(_E, p * q)
    )
    # OpenSSL's consistency check would cost twice what a fresh key does.
    return numbers.private_key(unsafe_skip_rsa_key_validation=True)


class _StoredKeys:
    """The kit's RSA key pool, serving this process's share of the table first."""

    def __init__(self, fallback: Any, rows: list[tuple[int, int]], first: int, step: int) -> None:
        self.fallback = fallback
        self._rows = rows
        self._next = first
        self._step = step
        self.pid = os.getpid()
        self._lock = threading.Lock()

    def take(self, key_size: int) -> rsa.RSAPrivateKey:
        if os.getpid() != self.pid:
            return self.fallback.take(key_size)
        if key_size != _BITS:
            # Made when asked for: the kit's pool would also make two spare keys of the
            # size in the background, and the few tests of other sizes never use them.
            return rsa.generate_private_key(public_exponent=_E, key_size=key_size)
        with self._lock:
            index = self._next
            self._next += self._step
        if index >= len(self._rows):
            return self.fallback.take(key_size)
        return stored_key(index, self._rows[index])


# Rows for the test processes, and rows kept for the processes the documentation pages run
# in (tests/api/_page_runner.py), which live alongside them.
_REGIONS = {"tests": (0, 896), "pages": (896, 1024)}


def install(region: str = "tests") -> None:
    """Make ``bayident.testing`` take RSA-2048 keys from ``region`` of the table.

    See the module docstring. The region's rows are dealt out among the xdist workers;
    a process started by a worker inherits its worker's name, hence its share.
    """
    from bayident.testing import _ca

    pool = getattr(_ca, "_RSA_POOL", None)
    if not callable(getattr(pool, "take", None)):
        raise RuntimeError(
            "bayident.testing._ca._RSA_POOL.take(key_size) is gone: tests/_rsa_keys.py "
            "must follow the test kit's key generation"
        )
    if isinstance(pool, _StoredKeys):
        if pool.pid == os.getpid():
            return
        pool = pool.fallback  # a forked child installs a share of its own
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    first = int(worker[2:]) % count if worker.startswith("gw") and worker[2:].isdigit() else 0
    start, end = _REGIONS[region]
    rows = _offsets()[:end]
    _ca._RSA_POOL = _StoredKeys(pool, rows, start + first, count)  # type: ignore[assignment]


# ------------------------------------------------------------------------ making the table


def _small_primes(limit: int) -> list[int]:
    sieve = bytearray([1]) * limit
    sieve[:2] = b"\x00\x00"
    for i in range(2, math.isqrt(limit) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return [i for i in range(3, limit) if sieve[i]]


_PRIMORIAL = math.prod(_small_primes(4000))
_BASES = (2, 3, 5, 7, 11, 13, 17, 19)


def _miller_rabin(n: int) -> bool:
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in _BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _offset(start: int) -> int:
    """How far above ``start`` the first prime p with gcd(e, p - 1) = 1 lies."""
    off = 0
    while True:
        n = start + off
        if math.gcd(n, _PRIMORIAL) == 1 and (n - 1) % _E and _miller_rabin(n):
            return off
        off += 2


def _write(count: int) -> None:
    rows = [f"{_offset(_start(i, 0))} {_offset(_start(i, 1))}" for i in range(count)]
    _TABLE.write_text("\n".join(rows) + "\n", encoding="ascii")


if __name__ == "__main__":
    _write(int(sys.argv[1]))
