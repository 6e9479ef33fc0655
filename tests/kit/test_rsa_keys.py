"""The ready-made RSA keys the suite gives the test kit (tests/_rsa_keys.py)."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import _rsa_keys
from bayident.testing import MockCA, _ca


def test_the_kit_takes_distinct_working_keys_from_the_table() -> None:
    first, second = MockCA("Key Table Root A"), MockCA("Key Table Root B")
    keys = [first.private_key, second.private_key]
    assert all(isinstance(k, rsa.RSAPrivateKey) and k.key_size == 2048 for k in keys)
    numbers = [k.private_numbers() for k in keys]
    assert numbers[0].public_numbers.n != numbers[1].public_numbers.n
    for key in keys:
        signature = key.sign(b"table", padding.PKCS1v15(), hashes.SHA256())
        key.public_key().verify(signature, b"table", padding.PKCS1v15(), hashes.SHA256())
    # Under the suite the kit's pool is the table's; its keys rebuild from their rows.
    rows = _rsa_keys._offsets()
    stored = {_rsa_keys.stored_key(i, rows[i]).public_key().public_numbers().n for i in range(4)}
    assert isinstance(_ca._RSA_POOL, _rsa_keys._StoredKeys)
    assert len(stored) == 4


def test_the_table_rows_give_primes() -> None:
    rows = _rsa_keys._offsets()
    assert len(rows) >= 1024
    for index in (0, 1, len(rows) // 2, len(rows) - 1):
        for which, offset in enumerate(rows[index]):
            assert _rsa_keys._miller_rabin(_rsa_keys._start(index, which) + offset)
