"""SM2/SM3 primitives: known answers, strict parsing, variants, interop with OpenSSL and gmssl."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _sm3_reference import reference_sm3
from bayident._exceptions import InvalidArgument
from bayident.sm import (
    DEFAULT_SM2_ID,
    SM2Failure,
    SM2KeyError,
    SM2PrivateKey,
    SM2PublicKey,
    SM2SignatureError,
    SM2Variant,
    SM3Hash,
    SMBackendUnavailable,
    _backend,
    _sm3,
    compute_za,
    generate_sm2_key,
    sm2_hasher,
    sm2_sign,
    sm2_verify,
    sm2_verify_variants,
    sm3,
    sm_available,
)
from bayident.sm._sm2 import GX, GY, N, P

needs_sm = pytest.mark.skipif(not sm_available(), reason="needs the 'sm' extra (tongsuopy)")

# GB/T 32918.2 example on sm2p256v1: ID "1234567812345678", M = "message digest".
KAT_X = 0x09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020
KAT_Y = 0xCCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13
KAT_ZA = bytes.fromhex("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3")
KAT_E = bytes.fromhex("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640")
KAT_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
KAT_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA
KAT_MSG = b"message digest"


def der_int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return bytes([0x02, len(body)]) + body


def der_sig(r: int, s: int) -> bytes:
    body = der_int(r) + der_int(s)
    return bytes([0x30, len(body)]) + body


def raw_sig(r: int, s: int) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


KAT_KEY = SM2PublicKey(KAT_X, KAT_Y)
KAT_DER = der_sig(KAT_R, KAT_S)
KAT_RAW = raw_sig(KAT_R, KAT_S)


# --- SM3 -----------------------------------------------------------------------------------

SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]


@pytest.mark.parametrize(("data", "digest"), SM3_VECTORS)
def test_sm3_known_answers(data: bytes, digest: str) -> None:
    assert sm3(data).hex() == digest
    assert reference_sm3(data).hex() == digest


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=4))
def test_sm3_chunked_matches_the_reference(data: bytes, cuts: list[int]) -> None:
    expected = reference_sm3(data)
    hasher = SM3Hash()
    previous = 0
    for cut in [*sorted(c % (len(data) + 1) for c in cuts), len(data)]:
        hasher.update(data[previous:cut])
        previous = cut
    assert sm3(data) == expected
    assert hasher.digest() == expected


def test_sm3hash_digest_is_repeatable_and_copy_is_independent() -> None:
    hasher = SM3Hash(b"ab")
    assert hasher.digest() == hasher.digest() == sm3(b"ab")
    clone = hasher.copy()
    hasher.update(bytearray(b"c"))
    assert hasher.hexdigest() == SM3_VECTORS[0][1]
    assert clone.digest() == sm3(b"ab")


def test_sm3_rejects_non_bytes() -> None:
    with pytest.raises(InvalidArgument):
        sm3("abc")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        SM3Hash().update(3)  # type: ignore[arg-type]


def test_without_any_sm3_backend_the_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from bayident import MissingExtraError

    def broken() -> object:
        raise ImportError("blocked")

    monkeypatch.setattr(_sm3, "_cryptography_factory", broken)
    monkeypatch.setattr(_sm3, "_tongsuopy_factory", broken)
    _sm3._select.cache_clear()
    try:
        with pytest.raises(MissingExtraError, match=r"bayident\[sm\]"):
            sm3(b"abc")
    finally:
        monkeypatch.undo()
        _sm3._select.cache_clear()
    assert _sm3.backend_name() in ("cryptography", "tongsuopy")


# --- Known answer (Z_A, e, verification) ----------------------------------------------------


def test_kat_za_and_e() -> None:
    assert compute_za(KAT_KEY) == KAT_ZA
    assert compute_za(KAT_KEY, DEFAULT_SM2_ID) == KAT_ZA
    assert sm3(KAT_ZA + KAT_MSG) == KAT_E
    hasher = sm2_hasher(KAT_KEY)
    for chunk in (b"mess", b"age ", b"digest"):
        hasher.update(chunk)
    assert hasher.digest() == KAT_E


@needs_sm
@pytest.mark.parametrize("encoding", ["auto", "der", "raw"])
def test_kat_verifies(encoding: str) -> None:
    sig = KAT_RAW if encoding == "raw" else KAT_DER
    sm2_verify(KAT_KEY, sig, KAT_MSG, encoding=encoding)  # type: ignore[arg-type]
    sm2_verify(KAT_KEY, sig, digest_e=KAT_E, encoding=encoding)  # type: ignore[arg-type]
    assert sm2_verify_variants(KAT_KEY, sig, KAT_MSG) is SM2Variant.STANDARD


@needs_sm
def test_kat_raw_in_auto_mode() -> None:
    sm2_verify(KAT_KEY, KAT_RAW, KAT_MSG)


def _flipped(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def _wrong_refusals(
    attempts: Iterator[tuple[int, Callable[[], object]]],
    expected: Callable[[SM2SignatureError], bool],
) -> list[str]:
    """The bits whose flipped input was not refused as ``expected`` says, each with what it got.

    One test runs all the bits of an input (the test runner's per-test cost was most of the
    time of a bit); a failure still names every bit at fault.
    """
    wrong = []
    for bit, attempt in attempts:
        try:
            attempt()
        except SM2SignatureError as exc:
            if not expected(exc):
                wrong.append(f"bit {bit}: {exc.failure} in {exc.field}: {exc}")
        except Exception as exc:  # named with its bit rather than ending the test
            wrong.append(f"bit {bit}: raised {exc!r}")
        else:
            wrong.append(f"bit {bit}: verified")
    return wrong


@needs_sm
def test_kat_any_flipped_signature_bit_fails() -> None:
    wrong = _wrong_refusals(
        (
            (
                bit,
                functools.partial(
                    sm2_verify, KAT_KEY, _flipped(KAT_RAW, bit), KAT_MSG, encoding="raw"
                ),
            )
            for bit in range(len(KAT_RAW) * 8)
        ),
        lambda exc: exc.failure in (SM2Failure.MISMATCH, SM2Failure.OUT_OF_RANGE),
    )
    assert not wrong, "\n".join(wrong)


@needs_sm
def test_kat_any_flipped_message_bit_fails() -> None:
    wrong = _wrong_refusals(
        (
            (bit, functools.partial(sm2_verify, KAT_KEY, KAT_DER, _flipped(KAT_MSG, bit)))
            for bit in range(len(KAT_MSG) * 8)
        ),
        lambda exc: exc.failure is SM2Failure.MISMATCH and exc.field == "signature",
    )
    assert not wrong, "\n".join(wrong)


@needs_sm
@pytest.mark.parametrize("bit", [0, 7, 100, 255])
def test_kat_flipped_e_fails(bit: int) -> None:
    e = bytearray(KAT_E)
    e[bit // 8] ^= 0x80 >> (bit % 8)
    with pytest.raises(SM2SignatureError, match="the given e"):
        sm2_verify(KAT_KEY, KAT_DER, digest_e=bytes(e))


@needs_sm
def test_kat_wrong_signer_id_fails() -> None:
    for signer_id in (b"", b"1234567812345679", b"ALICE123@YAHOO.COM"):
        with pytest.raises(SM2SignatureError) as info:
            sm2_verify(KAT_KEY, KAT_DER, KAT_MSG, signer_id=signer_id)
        assert info.value.failure is SM2Failure.MISMATCH


@needs_sm
def test_kat_other_public_key_fails() -> None:
    other = generate_sm2_key().public_key
    with pytest.raises(SM2SignatureError, match="does not verify"):
        sm2_verify(other, KAT_DER, KAT_MSG)


# --- public keys ----------------------------------------------------------------------------

KAT_SPKI = (
    bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200") + KAT_KEY.to_point()
)


def test_public_key_encodings_round_trip() -> None:
    assert SM2PublicKey.from_point(KAT_KEY.to_point()) == KAT_KEY
    assert SM2PublicKey.from_point(KAT_KEY.to_point(compressed=True)) == KAT_KEY
    assert KAT_KEY.to_spki_der() == KAT_SPKI
    assert SM2PublicKey.from_spki_der(KAT_SPKI) == KAT_KEY
    assert SM2PublicKey.from_spki_pem(KAT_KEY.to_spki_pem()) == KAT_KEY
    generator = SM2PublicKey(GX, GY)
    for compressed in (True, False):
        assert SM2PublicKey.from_point(generator.to_point(compressed=compressed)) == generator
    assert hash(SM2PublicKey(KAT_X, KAT_Y)) == hash(KAT_KEY)


@pytest.mark.parametrize(
    ("x", "y", "reason"),
    [
        (KAT_X, KAT_Y ^ 1, "not on the SM2 curve"),
        (0, 0, "not on the SM2 curve"),
        (KAT_X + P, KAT_Y, "x coordinate is not in"),
        (KAT_X, KAT_Y + P, "y coordinate is not in"),
        (-1, KAT_Y, "x coordinate is not in"),
    ],
)
def test_public_key_off_curve_rejected(x: int, y: int, reason: str) -> None:
    with pytest.raises(SM2KeyError, match=reason) as info:
        SM2PublicKey(x, y)
    assert info.value.field == "public_key"


def test_public_key_wrong_type() -> None:
    with pytest.raises(InvalidArgument):
        SM2PublicKey(str(KAT_X), KAT_Y)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        SM2PublicKey.from_point("04")  # type: ignore[arg-type]


def _no_sqrt_x() -> int:
    x = 1
    while True:
        rhs = (
            x**3 - 3 * x + 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
        ) % P
        if pow(rhs, (P - 1) // 2, P) == P - 1:
            return x
        x += 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00", "point at infinity"),
        (b"", "empty"),
        (KAT_KEY.to_point()[:-1], "65"),
        (KAT_KEY.to_point() + b"\x00", "65"),
        (KAT_KEY.to_point(compressed=True)[:-1], "33"),
        (b"\x06" + KAT_KEY.to_point()[1:], "unsupported point format 0x06"),
        (b"\x04" + KAT_X.to_bytes(32, "big") + (KAT_Y ^ 2).to_bytes(32, "big"), "not on the SM2"),
        (b"\x02" + (P + 1).to_bytes(32, "big"), "not in"),
        (b"\x02" + _no_sqrt_x().to_bytes(32, "big"), "no point on the SM2 curve"),
    ],
)
def test_public_key_bad_points(data: bytes, reason: str) -> None:
    with pytest.raises(SM2KeyError, match=reason):
        SM2PublicKey.from_point(data)


def _spki(alg: bytes, key: bytes) -> bytes:
    body = alg + key
    return bytes([0x30, len(body)]) + body


EC_OID = bytes.fromhex("06072a8648ce3d0201")
SM2_OID = bytes.fromhex("06082a811ccf5501822d")
P256_OID = bytes.fromhex("06082a8648ce3d030107")
RSA_OID = bytes.fromhex("06092a864886f70d010101")
BITS = bytes([0x03, 0x42, 0x00]) + KAT_KEY.to_point()


def _seq(*parts: bytes) -> bytes:
    body = b"".join(parts)
    return bytes([0x30, len(body)]) + body


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (_spki(_seq(RSA_OID, b"\x05\x00"), BITS), "public_key.algorithm", "1.2.840.113549.1.1.1"),
        (
            _spki(_seq(EC_OID, P256_OID), BITS),
            "public_key.algorithm.parameters",
            "1.2.840.10045.3.1.7",
        ),
        (_spki(_seq(EC_OID), BITS), "public_key.algorithm.parameters", "missing"),
        (
            _spki(_seq(EC_OID, _seq(b"\x02\x01\x01")), BITS),
            "public_key.algorithm.parameters",
            "explicit",
        ),
        (
            _spki(_seq(EC_OID, SM2_OID, b"\x05\x00"), BITS),
            "public_key.algorithm",
            "after the curve",
        ),
        (_spki(_seq(SM2_OID), BITS), "public_key.algorithm", "not id-ecPublicKey"),
        (
            _spki(_seq(EC_OID, SM2_OID), bytes([0x03, 0x42, 0x01]) + KAT_KEY.to_point()),
            "public_key.subjectPublicKey",
            "unused bits",
        ),
        (
            _spki(_seq(EC_OID, SM2_OID), bytes([0x04, 0x41]) + KAT_KEY.to_point()),
            "public_key.subjectPublicKey",
            "tag 0x03",
        ),
        (KAT_SPKI + b"\x00", "public_key", "trailing"),
        (KAT_SPKI[:-1], "public_key", "truncated"),
        (KAT_SPKI[:10], "public_key", "truncated"),
        (b"\x30\x81\x59" + KAT_SPKI[2:], "public_key", "not minimally encoded"),
        (b"\x30\x80" + KAT_SPKI[2:] + b"\x00\x00", "public_key", "indefinite"),
        (b"\x31" + KAT_SPKI[1:], "public_key", "tag 0x30"),
        (b"", "public_key", "truncated"),
        (b"\x30" * 2000, "public_key", "more than"),
        (
            KAT_SPKI[:-64] + (KAT_Y ^ 1).to_bytes(32, "big") * 2,
            "public_key.subjectPublicKey",
            "not on the SM2",
        ),
    ],
)
def test_spki_rejections(data: bytes, field: str, reason: str) -> None:
    with pytest.raises(SM2KeyError, match=reason) as info:
        SM2PublicKey.from_spki_der(data)
    assert info.value.field == field


def test_spki_pem_rejections() -> None:
    with pytest.raises(SM2KeyError, match="no PEM block"):
        SM2PublicKey.from_spki_pem(b"nothing here")
    cert_label = KAT_KEY.to_spki_pem().replace(b"PUBLIC KEY", b"CERTIFICATE")
    with pytest.raises(SM2KeyError, match="'CERTIFICATE', not 'PUBLIC KEY'"):
        SM2PublicKey.from_spki_pem(cert_label)
    bad_b64 = b"-----BEGIN PUBLIC KEY-----\nMFkw=EwYH\n-----END PUBLIC KEY-----\n"
    with pytest.raises(SM2KeyError, match="base64"):
        SM2PublicKey.from_spki_pem(bad_b64)


# --- signature parsing and range checks --------------------------------------------------------

R_BODY = der_int(KAT_R)
S_BODY = der_int(KAT_S)


def _wrap(body: bytes) -> bytes:
    return bytes([0x30, len(body)]) + body


BAD_SIGNATURES = [
    # (signature, encoding, field, failure, reason)
    (der_sig(0, KAT_S), "der", "signature.r", SM2Failure.OUT_OF_RANGE, "r is zero"),
    (der_sig(KAT_R, 0), "der", "signature.s", SM2Failure.OUT_OF_RANGE, "s is zero"),
    (der_sig(N, KAT_S), "der", "signature.r", SM2Failure.OUT_OF_RANGE, "not less than"),
    (der_sig(KAT_R, N + 5), "der", "signature.s", SM2Failure.OUT_OF_RANGE, "not less than"),
    (raw_sig(0, KAT_S), "raw", "signature.r", SM2Failure.OUT_OF_RANGE, "r is zero"),
    (raw_sig(KAT_R, 0), "raw", "signature.s", SM2Failure.OUT_OF_RANGE, "s is zero"),
    (b"\xff" * 64, "raw", "signature.r", SM2Failure.OUT_OF_RANGE, "not less than"),
    (raw_sig(KAT_R, N - KAT_R), "raw", "signature", SM2Failure.OUT_OF_RANGE, r"r \+ s"),
    (KAT_DER[:-1], "der", "signature", SM2Failure.MALFORMED, "truncated"),
    (_wrap(R_BODY + S_BODY[:-1]), "der", "signature.s", SM2Failure.MALFORMED, "truncated"),
    (_wrap(R_BODY + S_BODY[:1]), "der", "signature.s", SM2Failure.MALFORMED, "no length"),
    (KAT_DER[:1], "der", "signature", SM2Failure.MALFORMED, "truncated"),
    (KAT_DER[:40], "auto", "signature", SM2Failure.MALFORMED, "truncated"),
    (b"", "auto", "signature", SM2Failure.MALFORMED, "neither DER"),
    (b"", "der", "signature", SM2Failure.MALFORMED, "truncated"),
    (
        bytes([0x30, len(KAT_DER) - 1]) + KAT_DER[2:] + b"\x00",
        "der",
        "signature",
        SM2Failure.MALFORMED,
        "after s",
    ),
    (
        bytes([0x30, len(KAT_DER) + 1]) + KAT_DER[2:],
        "der",
        "signature",
        SM2Failure.MALFORMED,
        "truncated",
    ),
    (KAT_DER + b"\x00", "der", "signature", SM2Failure.MALFORMED, "1 trailing bytes"),
    (KAT_DER + b"garbage", "auto", "signature", SM2Failure.MALFORMED, "trailing"),
    (_wrap(R_BODY + S_BODY + der_int(1)), "der", "signature", SM2Failure.MALFORMED, "after s"),
    (_wrap(R_BODY), "der", "signature.s", SM2Failure.MALFORMED, "missing"),
    (
        _wrap(bytes([0x02, 0x21, 0x80]) + R_BODY[3:] + S_BODY),
        "der",
        "signature.r",
        SM2Failure.MALFORMED,
        "negative",
    ),
    (
        _wrap(R_BODY + b"\x02\x22\x00" + KAT_S.to_bytes(33, "big")),
        "der",
        "signature.s",
        SM2Failure.MALFORMED,
        "redundant leading zero",
    ),
    (_wrap(R_BODY + b"\x02\x00"), "der", "signature.s", SM2Failure.MALFORMED, "no content"),
    (b"\x30\x81" + KAT_DER[1:], "der", "signature", SM2Failure.MALFORMED, "not minimally encoded"),
    (
        b"\x30\x80" + KAT_DER[2:] + b"\x00\x00",
        "der",
        "signature",
        SM2Failure.MALFORMED,
        "indefinite",
    ),
    (
        b"\x30\x83\x00\x00\x44" + KAT_DER[2:],
        "der",
        "signature",
        SM2Failure.MALFORMED,
        "not minimally encoded",
    ),
    (b"\x31" + KAT_DER[1:], "der", "signature", SM2Failure.MALFORMED, "tag 0x30"),
    (_wrap(b"\x03" + R_BODY[1:] + S_BODY), "der", "signature.r", SM2Failure.MALFORMED, "tag 0x02"),
    (KAT_RAW, "der", "signature", SM2Failure.MALFORMED, "tag 0x30"),
    (KAT_RAW[:-1], "raw", "signature", SM2Failure.MALFORMED, "64 bytes, got 63"),
    (KAT_RAW + b"\x00", "raw", "signature", SM2Failure.MALFORMED, "64 bytes, got 65"),
    (KAT_RAW + b"\x00", "auto", "signature", SM2Failure.MALFORMED, "neither DER"),
    (KAT_RAW[:32], "auto", "signature", SM2Failure.MALFORMED, "neither DER"),
    (KAT_DER + b"\x00" * 100, "auto", "signature", SM2Failure.MALFORMED, "more than"),
]


@needs_sm
@pytest.mark.parametrize(
    ("sig", "encoding", "field", "failure", "reason"),
    BAD_SIGNATURES,
    ids=[f"{i}-{case[2]}-{case[1]}" for i, case in enumerate(BAD_SIGNATURES)],
)
def test_bad_signatures_rejected_with_reason(
    sig: bytes, encoding: str, field: str, failure: SM2Failure, reason: str
) -> None:
    with pytest.raises(SM2SignatureError, match=reason) as info:
        sm2_verify(KAT_KEY, sig, KAT_MSG, encoding=encoding)  # type: ignore[arg-type]
    assert info.value.field == field
    assert info.value.failure is failure
    assert isinstance(info.value, ValueError)


@needs_sm
def test_non_minimal_r_is_rejected_although_value_is_right() -> None:
    # Same r and s as the valid KAT, only the encoding of r is padded.
    padded = _wrap(b"\x02\x22\x00" + KAT_R.to_bytes(33, "big") + S_BODY)
    with pytest.raises(SM2SignatureError, match="redundant leading zero"):
        sm2_verify(KAT_KEY, padded, KAT_MSG)


@needs_sm
def test_bad_arguments() -> None:
    with pytest.raises(InvalidArgument, match="exactly one"):
        sm2_verify(KAT_KEY, KAT_DER)
    with pytest.raises(InvalidArgument, match="exactly one"):
        sm2_verify(KAT_KEY, KAT_DER, KAT_MSG, digest_e=KAT_E)
    with pytest.raises(InvalidArgument, match="encoding"):
        sm2_verify(KAT_KEY, KAT_DER, KAT_MSG, encoding="pem")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="SM2PublicKey"):
        sm2_verify(KAT_KEY.to_point(), KAT_DER, KAT_MSG)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="signer_id"):
        sm2_verify(KAT_KEY, KAT_DER, KAT_MSG, signer_id=b"x" * 8192)
    with pytest.raises(InvalidArgument, match="signature must be bytes"):
        sm2_verify(KAT_KEY, KAT_DER.hex(), KAT_MSG)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="variants"):
        sm2_verify_variants(KAT_KEY, KAT_DER, KAT_MSG, variants=())
    for e in (KAT_E[:31], KAT_E + b"\x00", b""):
        with pytest.raises(SM2SignatureError, match="32-byte") as info:
            sm2_verify(KAT_KEY, KAT_DER, digest_e=e)
        assert info.value.field == "digest_e"


@needs_sm
def test_longest_allowed_signer_id() -> None:
    key = generate_sm2_key()
    signer_id = b"i" * 8191
    sig = sm2_sign(key, b"m", signer_id=signer_id)
    sm2_verify(key.public_key, sig, b"m", signer_id=signer_id)


# --- signing, variants ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def key() -> SM2PrivateKey:
    if not sm_available():
        pytest.skip("needs the 'sm' extra (tongsuopy)")
    return generate_sm2_key()


@needs_sm
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(message=st.binary(max_size=200), signer_id=st.binary(max_size=40))
def test_sign_verify_round_trip(key: SM2PrivateKey, message: bytes, signer_id: bytes) -> None:
    sig = sm2_sign(key, message, signer_id=signer_id)
    sm2_verify(key.public_key, sig, message, signer_id=signer_id, encoding="der")
    raw = sm2_sign(key, message, signer_id=signer_id, encoding="raw")
    assert len(raw) == 64
    sm2_verify(key.public_key, raw, message, signer_id=signer_id)
    with pytest.raises(SM2SignatureError):
        sm2_verify(key.public_key, sig, message + b"\x00", signer_id=signer_id)


@needs_sm
def test_private_key_from_int(key: SM2PrivateKey) -> None:
    same = SM2PrivateKey(key.private_value)
    assert same.public_key == key.public_key
    sig = sm2_sign(key.private_value, b"m")
    sm2_verify(key.public_key, sig, b"m")
    assert "private_value" not in repr(key)
    assert str(key.private_value) not in repr(key)


@needs_sm
@pytest.mark.parametrize("value", [0, -1, N - 1, N, N + 1])
def test_private_key_range(value: int) -> None:
    with pytest.raises(SM2KeyError, match=r"\[1, n-2\]"):
        SM2PrivateKey(value)


@needs_sm
def test_sign_bad_arguments(key: SM2PrivateKey) -> None:
    with pytest.raises(InvalidArgument):
        sm2_sign(key)
    with pytest.raises(InvalidArgument):
        sm2_sign(key, b"m", digest_e=KAT_E)
    with pytest.raises(InvalidArgument):
        sm2_sign(key, digest_e=b"short")
    with pytest.raises(InvalidArgument):
        sm2_sign(True, b"m")
    with pytest.raises(InvalidArgument):
        sm2_sign(key, b"m", encoding="auto")  # type: ignore[arg-type]


@needs_sm
def test_streamed_digest_e(key: SM2PrivateKey) -> None:
    content = bytes(range(256)) * 4096
    sig = sm2_sign(key, content, signer_id=b"issuer")
    hasher = sm2_hasher(key.public_key, b"issuer")
    for i in range(0, len(content), 65536):
        hasher.update(content[i : i + 65536])
    sm2_verify(key.public_key, sig, digest_e=hasher.digest())


@needs_sm
@pytest.mark.parametrize("variant", list(SM2Variant))
def test_variants_detected_exactly(key: SM2PrivateKey, variant: SM2Variant) -> None:
    message = b"signed content"
    za = compute_za(key.public_key)
    e = {
        SM2Variant.STANDARD: sm3(za + message),
        SM2Variant.RAW_DIGEST: sm3(message),
        SM2Variant.Z_PLUS_SM3_OF_MESSAGE: sm3(za + sm3(message)),
    }[variant]
    sig = sm2_sign(key, digest_e=e)
    assert sm2_verify_variants(key.public_key, sig, message) is variant
    if variant is not SM2Variant.STANDARD:
        with pytest.raises(SM2SignatureError, match="does not verify"):
            sm2_verify(key.public_key, sig, message)
        with pytest.raises(SM2SignatureError, match=r"STANDARD$"):
            sm2_verify_variants(key.public_key, sig, message, variants=[SM2Variant.STANDARD])
        others = [v for v in SM2Variant if v is not variant]
        with pytest.raises(SM2SignatureError) as info:
            sm2_verify_variants(key.public_key, sig, message, variants=others)
        assert info.value.failure is SM2Failure.MISMATCH


@needs_sm
def test_variants_respect_signer_id(key: SM2PrivateKey) -> None:
    sig = sm2_sign(key, b"doc", signer_id=b"bob")
    assert sm2_verify_variants(key.public_key, sig, b"doc", signer_id=b"bob") is SM2Variant.STANDARD
    with pytest.raises(SM2SignatureError, match="any of: STANDARD, RAW_DIGEST, Z_PLUS"):
        sm2_verify_variants(key.public_key, sig, b"doc")


@needs_sm
def test_variants_report_format_errors_first(key: SM2PrivateKey) -> None:
    with pytest.raises(SM2SignatureError) as info:
        sm2_verify_variants(key.public_key, raw_sig(0, 1), b"doc")
    assert info.value.failure is SM2Failure.OUT_OF_RANGE


# --- backend missing ------------------------------------------------------------------------


@pytest.fixture
def no_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(sys.modules):
        if name == "tongsuopy" or name.startswith("tongsuopy."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "tongsuopy", None)
    _backend._load.cache_clear()
    yield
    monkeypatch.undo()
    _backend._load.cache_clear()


@pytest.mark.usefixtures("no_backend")
def test_without_backend_verification_names_the_extra() -> None:
    assert not sm_available()
    key = SM2PublicKey(KAT_X, KAT_Y)  # parsing and Z_A need no backend
    assert compute_za(key) == KAT_ZA
    assert sm3(b"abc").hex() == SM3_VECTORS[0][1]
    with pytest.raises(SMBackendUnavailable, match=r"pip install 'bayident\[sm\]'"):
        sm2_verify(key, KAT_DER, KAT_MSG)
    with pytest.raises(SMBackendUnavailable):
        sm2_verify_variants(key, KAT_DER, KAT_MSG)
    with pytest.raises(SMBackendUnavailable):
        generate_sm2_key()
    with pytest.raises(ImportError):
        sm2_sign(5, b"m")


# --- interop: OpenSSL CLI -----------------------------------------------------------------


def _openssl_has_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    probe = subprocess.run(
        ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


needs_openssl = pytest.mark.skipif(not _openssl_has_sm2(), reason="openssl CLI with SM2 needed")


def _run(*args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(a) for a in args], capture_output=True, check=False)


@pytest.fixture(scope="module")
def openssl_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("openssl_sm2")
    priv, pub = folder / "key.pem", folder / "pub.pem"
    assert (
        _run(
            "openssl",
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:SM2",
            "-out",
            priv,
        ).returncode
        == 0
    )
    assert _run("openssl", "pkey", "-in", priv, "-pubout", "-out", pub).returncode == 0
    return priv, pub


def _openssl_sign(priv: Path, message: bytes, tmp_path: Path, distid: str | None) -> bytes:
    msg, sig = tmp_path / "msg.bin", tmp_path / "sig.der"
    msg.write_bytes(message)
    opts = ["-pkeyopt", f"distid:{distid}"] if distid is not None else []
    done = _run(
        "openssl",
        "pkeyutl",
        "-sign",
        "-inkey",
        priv,
        "-rawin",
        "-digest",
        "sm3",
        "-in",
        msg,
        "-out",
        sig,
        *opts,
    )
    assert done.returncode == 0, done.stderr
    return sig.read_bytes()


def _openssl_verify(
    pub: Path, message: bytes, signature: bytes, tmp_path: Path, distid: str
) -> bool:
    msg, sig = tmp_path / "vmsg.bin", tmp_path / "vsig.der"
    msg.write_bytes(message)
    sig.write_bytes(signature)
    done = _run(
        "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
        "-in", msg, "-sigfile", sig, "-pkeyopt", f"distid:{distid}",
    )  # fmt: skip
    return done.returncode == 0 and b"Verified Successfully" in done.stdout


@pytest.mark.interop
@needs_sm
@needs_openssl
@pytest.mark.parametrize(
    ("distid", "signer_id"),
    [("1234567812345678", DEFAULT_SM2_ID), ("ALICE123@YAHOO.COM", b"ALICE123@YAHOO.COM")],
)
def test_openssl_signature_verifies(
    openssl_key: tuple[Path, Path], tmp_path: Path, distid: str, signer_id: bytes
) -> None:
    priv, pub = openssl_key
    key = SM2PublicKey.from_spki_pem(pub.read_bytes())
    der_pub = _run("openssl", "pkey", "-pubin", "-in", pub, "-outform", "DER").stdout
    assert key.to_spki_der() == der_pub
    message = b"interop message \x00\xff" * 10
    sig = _openssl_sign(priv, message, tmp_path, distid)
    sm2_verify(key, sig, message, signer_id=signer_id)
    assert sm2_verify_variants(key, sig, message, signer_id=signer_id) is SM2Variant.STANDARD
    wrong_id = b"1234567812345678" if signer_id != DEFAULT_SM2_ID else b"ALICE123@YAHOO.COM"
    with pytest.raises(SM2SignatureError):
        sm2_verify(key, sig, message, signer_id=wrong_id)
    with pytest.raises(SM2SignatureError):
        sm2_verify(key, sig, message[:-1], signer_id=signer_id)


@pytest.mark.interop
@needs_sm
@needs_openssl
def test_openssl_without_distid_uses_empty_id(
    openssl_key: tuple[Path, Path], tmp_path: Path
) -> None:
    # OpenSSL 3 signs with an empty ID unless distid is given; such a signature
    # is not valid under the GM/T 0009 default and must not pass as such.
    priv, pub = openssl_key
    key = SM2PublicKey.from_spki_pem(pub.read_bytes())
    sig = _openssl_sign(priv, b"no distid", tmp_path, None)
    sm2_verify(key, sig, b"no distid", signer_id=b"")
    with pytest.raises(SM2SignatureError):
        sm2_verify_variants(key, sig, b"no distid")


@pytest.mark.interop
@needs_sm
@needs_openssl
@pytest.mark.parametrize("signer_id", [DEFAULT_SM2_ID, b"ALICE123@YAHOO.COM"])
def test_our_signature_verifies_in_openssl(
    key: SM2PrivateKey, tmp_path: Path, signer_id: bytes
) -> None:
    pub = tmp_path / "pub.pem"
    pub.write_bytes(key.public_key.to_spki_pem())
    message = b"signed by bayident"
    sig = sm2_sign(key, message, signer_id=signer_id)
    assert _openssl_verify(pub, message, sig, tmp_path, signer_id.decode())
    assert not _openssl_verify(pub, message + b"!", sig, tmp_path, signer_id.decode())
    assert not _openssl_verify(pub, message, sig, tmp_path, "someone else")


@pytest.mark.interop
@needs_sm
@needs_openssl
def test_pkcs8_export_is_usable_by_openssl(key: SM2PrivateKey, tmp_path: Path) -> None:
    priv = tmp_path / "key.pem"
    priv.write_bytes(key.to_pkcs8_pem())
    der = tmp_path / "key.der"
    der.write_bytes(key.to_pkcs8_der())
    pub_from_der = _run(
        "openssl", "pkey", "-inform", "DER", "-in", der, "-pubout", "-outform", "DER"
    )
    assert pub_from_der.returncode == 0
    assert pub_from_der.stdout == key.public_key.to_spki_der()
    sig = _openssl_sign(priv, b"from exported key", tmp_path, "1234567812345678")
    sm2_verify(key.public_key, sig, b"from exported key")


# --- interop: gmssl (pure Python) ---------------------------------------------------------


@pytest.fixture(scope="module")
def gmssl_sm2() -> object:
    return pytest.importorskip("gmssl.sm2")


@pytest.mark.interop
@needs_sm
def test_gmssl_cross_check(gmssl_sm2: object, key: SM2PrivateKey) -> None:
    crypt = gmssl_sm2.CryptSM2(  # type: ignore[attr-defined]
        private_key=f"{key.private_value:064x}", public_key=key.public_key.to_point()[1:].hex()
    )
    message = b"gmssl interop"
    theirs = bytes.fromhex(crypt.sign_with_sm3(message))
    sm2_verify(key.public_key, theirs, message, encoding="raw")
    with pytest.raises(SM2SignatureError):
        sm2_verify(key.public_key, theirs, message + b".")
    ours = sm2_sign(key, message, encoding="raw")
    assert crypt.verify_with_sm3(ours.hex(), message)
    assert not crypt.verify_with_sm3(ours.hex(), message + b".")
    # gmssl's bare verify() takes e itself: the RAW_DIGEST variant.
    raw_variant = sm2_sign(key, digest_e=sm3(message), encoding="raw")
    assert crypt.verify(raw_variant.hex(), sm3(message))
    assert sm2_verify_variants(key.public_key, raw_variant, message) is SM2Variant.RAW_DIGEST


@pytest.mark.interop
@needs_sm
def test_gmssl_verifies_kat(gmssl_sm2: object) -> None:
    crypt = gmssl_sm2.CryptSM2(private_key="", public_key=KAT_KEY.to_point()[1:].hex())  # type: ignore[attr-defined]
    assert crypt.verify_with_sm3(KAT_RAW.hex(), KAT_MSG)


@needs_sm
def test_shared_key_verifies_concurrently(key: SM2PrivateKey) -> None:
    public = key.public_key
    good = [(m, sm2_sign(key, m)) for m in (b"a", b"b", b"c", b"d")]

    def check(index: int) -> tuple[bool, bool]:
        message, sig = good[index % len(good)]
        sm2_verify(public, sig, message)
        try:
            sm2_verify(public, sig, message + b"x")
        except SM2SignatureError:
            return True, True
        return True, False

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(check, range(200)))
    assert results == [(True, True)] * 200
