"""Tests of the iAM Smart envelope primitives: signing, content, key unwrap, reply, profile."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bayident._exceptions import BayidentError, InvalidArgument
from bayident.identifiers import hkid_hash
from bayident.schemes.iamsmart import (
    DEFAULT_WINDOW_MS,
    MAX_BODY_BYTES,
    EnvelopeErrorCode,
    IAmSmartEnvelopeError,
    IAmSmartProfile,
    IAmSmartReply,
    InMemoryNonceStore,
    NonceStore,
    VerifiedRequest,
    decrypt_content,
    encrypt_content,
    parse_key_reply,
    parse_profile,
    parse_reply,
    sign_request,
    unwrap_secret_key,
    verify_request_signature,
    wrap_secret_key,
)

Code = EnvelopeErrorCode
CLIENT_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
SECRET = "9b7a597d7a574d439566b259c5d67281"
BODY = b'{"content":"AAAADAAAAAAAAAAAAAAAAAAA"}'
T0 = 1_700_000_000_000
KEY = bytes(range(32))
TODAY = dt.date(2025, 6, 30)

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI absent")


def fail(code: EnvelopeErrorCode, *, field: str | None = None, match: str | None = None) -> Any:
    """Context manager asserting an IAmSmartEnvelopeError with this code (and field)."""

    class _Expect:
        def __enter__(self) -> None:
            return None

        def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
            assert exc is not None, f"expected {code.value}, nothing raised"
            assert isinstance(exc, IAmSmartEnvelopeError), repr(exc)
            assert exc.code is code, f"expected {code.value}, got {exc}"
            if field is not None:
                assert exc.field == field, exc.field
            if match is not None:
                assert match in exc.message, exc.message
            return True

    return _Expect()


def signed(**overrides: Any) -> dict[str, str]:
    args: dict[str, Any] = {"timestamp_ms": T0, "nonce": "nonce-0001"}
    args.update(overrides)
    return sign_request(CLIENT_ID, SECRET, BODY, **args)


def verify(headers: dict[str, str], body: bytes = BODY, **overrides: Any) -> VerifiedRequest:
    args: dict[str, Any] = {
        "client_secret": SECRET,
        "now_ms": T0,
        "nonce_store": InMemoryNonceStore(),
    }
    args.update(overrides)
    return verify_request_signature(headers, body, **args)


# ------------------------------------------------------------------ signing


def test_signature_is_hmac_of_the_documented_string() -> None:
    headers = signed(url_encode_signature=False)
    message = (CLIENT_ID + "HmacSHA256" + str(T0) + "nonce-0001").encode() + BODY
    expected = base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha256).digest())
    assert headers == {
        "clientID": CLIENT_ID,
        "signatureMethod": "HmacSHA256",
        "timestamp": str(T0),
        "nonce": "nonce-0001",
        "signature": expected.decode(),
    }
    encoded = signed()["signature"]
    assert encoded == urllib.parse.quote(expected.decode(), safe="")
    assert "=" not in encoded
    assert "%3D" in encoded


@pytest.mark.interop
@needs_openssl
def test_signature_matches_openssl_hmac() -> None:
    message = (CLIENT_ID + "HmacSHA256" + str(T0) + "nonce-0001").encode() + BODY
    digest = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", SECRET, "-binary"],
        input=message,
        capture_output=True,
        check=True,
    ).stdout
    assert signed(url_encode_signature=False)["signature"] == base64.b64encode(digest).decode()


def test_str_body_and_bytes_secret_are_utf8() -> None:
    text = '{"name":"陳大文"}'
    a = sign_request(CLIENT_ID, SECRET, text, timestamp_ms=T0, nonce="n")
    b = sign_request(CLIENT_ID, SECRET.encode(), text.encode(), timestamp_ms=T0, nonce="n")
    assert a == b


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timestamp_ms": -1, "nonce": "n"},
        {"timestamp_ms": True, "nonce": "n"},
        {"timestamp_ms": "1", "nonce": "n"},
        {"timestamp_ms": T0, "nonce": ""},
        {"timestamp_ms": T0, "nonce": "has space"},
        {"timestamp_ms": T0, "nonce": "x" * 129},
    ],
)
def test_sign_request_rejects_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        sign_request(CLIENT_ID, SECRET, BODY, **kwargs)


def test_sign_request_rejects_bad_client_and_secret() -> None:
    with pytest.raises(InvalidArgument):
        sign_request("", SECRET, BODY, timestamp_ms=T0, nonce="n")
    with pytest.raises(InvalidArgument):
        sign_request(CLIENT_ID, "", BODY, timestamp_ms=T0, nonce="n")
    with pytest.raises(InvalidArgument):
        sign_request(CLIENT_ID, SECRET, 42, timestamp_ms=T0, nonce="n")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        sign_request(CLIENT_ID, SECRET, b"x" * (MAX_BODY_BYTES + 1), timestamp_ms=T0, nonce="n")


def test_round_trip_returns_the_verified_fields() -> None:
    assert verify(signed()) == VerifiedRequest(CLIENT_ID, T0, "nonce-0001")
    raw = signed(url_encode_signature=False)
    assert verify(raw, url_encode_signature=False).nonce == "nonce-0001"
    # A raw Base64 value has no percent escapes, so it also reads as URL-encoded.
    assert verify(raw).client_id == CLIENT_ID


def test_header_names_are_case_insensitive() -> None:
    headers = {name.upper(): value for name, value in signed().items()}
    headers["Content-Type"] = "application/json"
    assert verify(headers).timestamp_ms == T0


def test_wrong_secret_is_signature_mismatch() -> None:
    with fail(Code.SIGNATURE_MISMATCH, field="signature"):
        verify(signed(), client_secret=SECRET + "x")


@pytest.mark.parametrize("field", ["body", "nonce", "clientID", "timestamp"])
def test_tampering_is_signature_mismatch(field: str) -> None:
    headers = signed()
    body = BODY
    if field == "body":
        body = BODY.replace(b"A", b"B", 1)
    elif field == "timestamp":
        headers["timestamp"] = str(T0 + 1)
    else:
        headers[field] += "x"
    with fail(Code.SIGNATURE_MISMATCH):
        verify(headers, body)


def test_replayed_nonce_is_rejected() -> None:
    store = InMemoryNonceStore()
    verify(signed(), nonce_store=store)
    with fail(Code.REPLAYED_NONCE, field="nonce", match="'nonce-0001'"):
        verify(signed(), nonce_store=store, now_ms=T0 + 1000)


def test_nonces_are_per_client() -> None:
    store = InMemoryNonceStore()
    verify(signed(), nonce_store=store)
    other = sign_request("other-client", SECRET, BODY, timestamp_ms=T0, nonce="nonce-0001")
    assert verify(other, nonce_store=store).client_id == "other-client"


def test_forged_request_does_not_use_up_the_nonce() -> None:
    store = InMemoryNonceStore()
    forged = signed()
    forged["signature"] = signed(nonce="other")["signature"]
    with fail(Code.SIGNATURE_MISMATCH):
        verify(forged, nonce_store=store)
    assert len(store) == 0
    assert verify(signed(), nonce_store=store).nonce == "nonce-0001"


def test_timestamp_window_edges() -> None:
    headers = signed()
    assert verify(headers, now_ms=T0 + DEFAULT_WINDOW_MS).timestamp_ms == T0
    assert verify(headers, now_ms=T0 - DEFAULT_WINDOW_MS).timestamp_ms == T0
    with fail(Code.STALE_TIMESTAMP, field="timestamp", match="300001 ms old"):
        verify(headers, now_ms=T0 + DEFAULT_WINDOW_MS + 1)
    with fail(Code.FUTURE_TIMESTAMP, field="timestamp", match="300001 ms in the future"):
        verify(headers, now_ms=T0 - DEFAULT_WINDOW_MS - 1)
    with fail(Code.STALE_TIMESTAMP):
        verify(headers, now_ms=T0 + 2_000, window_ms=1_000)


@pytest.mark.parametrize("offset", [0, 1, DEFAULT_WINDOW_MS - 1, DEFAULT_WINDOW_MS])
def test_replay_within_window_is_always_caught(offset: int) -> None:
    store = InMemoryNonceStore()
    verify(signed(), nonce_store=store, now_ms=T0 - DEFAULT_WINDOW_MS)
    with fail(Code.REPLAYED_NONCE):
        verify(signed(), nonce_store=store, now_ms=T0 + offset)


@pytest.mark.parametrize("name", ["clientID", "signatureMethod", "timestamp", "nonce", "signature"])
def test_missing_header(name: str) -> None:
    headers = signed()
    del headers[name]
    with fail(Code.MISSING_HEADER, field=name, match=f"header {name} is missing"):
        verify(headers)


def test_duplicate_header_in_other_case() -> None:
    headers = signed()
    headers["Nonce"] = headers["nonce"]
    with fail(Code.DUPLICATE_HEADER, field="nonce"):
        verify(headers)


def test_wrong_signature_method() -> None:
    headers = signed()
    headers["signatureMethod"] = "HmacSHA1"
    with fail(Code.UNSUPPORTED_SIGNATURE_METHOD, field="signatureMethod", match="'HmacSHA1'"):
        verify(headers)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("timestamp", "17000000000x0"),
        ("timestamp", "-1700000000000"),
        ("timestamp", ""),
        ("timestamp", "1" * 17),
        ("signature", "not base64!"),
        ("signature", base64.b64encode(b"\0" * 20).decode()),
        ("signature", "%ZZ"),
        ("signature", "%C3%28"),
        ("nonce", "a b"),
        ("clientID", "é"),
        ("nonce", "x" * 600),
    ],
)
def test_malformed_header(name: str, value: str) -> None:
    headers = signed()
    headers[name] = value
    with fail(Code.BAD_HEADER, field=name):
        verify(headers)


def test_url_encoded_signature_when_raw_is_expected() -> None:
    with fail(Code.BAD_HEADER, field="signature", match="not Base64"):
        verify(signed(), url_encode_signature=False)


def test_expected_client_id() -> None:
    assert verify(signed(), expected_client_id=CLIENT_ID).client_id == CLIENT_ID
    with fail(Code.CLIENT_ID_MISMATCH, field="clientID"):
        verify(signed(), expected_client_id="someone-else")


def test_oversized_body_is_too_large() -> None:
    with fail(Code.TOO_LARGE, field="body"):
        verify(signed(), b"x" * (MAX_BODY_BYTES + 1))


def test_verify_rejects_bad_arguments() -> None:
    with pytest.raises(InvalidArgument):
        verify(signed(), now_ms="now")
    with pytest.raises(InvalidArgument):
        verify(signed(), window_ms=0)
    with pytest.raises(InvalidArgument):
        verify(signed(), nonce_store=object())
    with pytest.raises(InvalidArgument):
        verify(signed(), expected_client_id=b"id")
    with pytest.raises(InvalidArgument):
        verify_request_signature(
            [("clientID", CLIENT_ID)],  # type: ignore[arg-type]
            BODY,
            client_secret=SECRET,
            now_ms=T0,
            nonce_store=InMemoryNonceStore(),
        )


def test_error_is_a_bayident_value_error() -> None:
    err = IAmSmartEnvelopeError(Code.TAG_MISMATCH, "authentication tag mismatch", field="content")
    assert isinstance(err, BayidentError)
    assert isinstance(err, ValueError)
    assert not isinstance(err, TypeError)
    assert str(err) == "TAG_MISMATCH: authentication tag mismatch"


# --------------------------------------------------------------- nonce store


def test_nonce_store_expiry_and_bound() -> None:
    store = InMemoryNonceStore(max_entries=2)
    assert isinstance(store, NonceStore)
    assert store.add_if_absent("a", expires_at_ms=100, now_ms=0)
    assert not store.add_if_absent("a", expires_at_ms=200, now_ms=100)  # still held at expiry
    assert store.add_if_absent("b", expires_at_ms=500, now_ms=50)
    with fail(Code.NONCE_STORE_FULL):
        store.add_if_absent("c", expires_at_ms=500, now_ms=60)
    assert store.add_if_absent("c", expires_at_ms=600, now_ms=101)  # "a" expired, room made
    assert store.add_if_absent("a", expires_at_ms=700, now_ms=501)  # "b" expired too
    assert len(store) == 2


def test_nonce_store_rejects_bad_bound() -> None:
    for bad in (0, -1, True, "10"):
        with pytest.raises(InvalidArgument):
            InMemoryNonceStore(max_entries=bad)  # type: ignore[arg-type]


def test_nonce_store_is_thread_safe() -> None:
    store = InMemoryNonceStore()
    accepted: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        mine = sum(store.add_if_absent(f"k{i}", expires_at_ms=10**6, now_ms=0) for i in range(300))
        with lock:
            accepted.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(accepted) == 300
    assert len(store) == 300


# ------------------------------------------------------------ content envelope


def test_content_layout() -> None:
    iv = bytes(range(100, 112))
    raw = base64.b64decode(encrypt_content(KEY, b"hello", iv=iv))
    assert raw[:4] == b"\x00\x00\x00\x0c"
    assert raw[4:16] == iv
    assert len(raw) == 4 + 12 + 5 + 16
    assert AESGCM(KEY).decrypt(iv, raw[16:], None) == b"hello"


def test_content_round_trip_and_fresh_ivs() -> None:
    a = encrypt_content(KEY, b'{"a":1}')
    b = encrypt_content(KEY, b'{"a":1}')
    assert a != b  # random IVs
    assert decrypt_content(KEY, a) == decrypt_content(KEY, b) == b'{"a":1}'
    assert decrypt_content(KEY, encrypt_content(KEY, b"")) == b""
    assert decrypt_content(KEY, encrypt_content(KEY, b"x").encode()) == b"x"


def _envelope(iv_length_field: int, iv: bytes, sealed: bytes) -> str:
    return base64.b64encode(iv_length_field.to_bytes(4, "big") + iv + sealed).decode()


@pytest.mark.interop
def test_interop_cryptography_aesgcm_manual_layout() -> None:
    iv = os.urandom(12)
    sealed = AESGCM(KEY).encrypt(iv, "智方便 profile".encode(), None)
    assert decrypt_content(KEY, _envelope(12, iv, sealed)) == "智方便 profile".encode()


@pytest.mark.interop
def test_interop_pycryptodome_both_directions() -> None:
    aes = pytest.importorskip("Cryptodome.Cipher.AES")
    iv = os.urandom(12)
    cipher = aes.new(KEY, aes.MODE_GCM, nonce=iv, mac_len=16)
    ciphertext, tag = cipher.encrypt_and_digest(b"made by PyCryptodome")
    assert decrypt_content(KEY, _envelope(12, iv, ciphertext + tag)) == b"made by PyCryptodome"

    raw = base64.b64decode(encrypt_content(KEY, b"made by bayident"))
    assert int.from_bytes(raw[:4], "big") == 12
    other = aes.new(KEY, aes.MODE_GCM, nonce=raw[4:16], mac_len=16)
    assert other.decrypt_and_verify(raw[16:-16], raw[-16:]) == b"made by bayident"


@pytest.mark.parametrize("text", ["@@@@", "AAA", "AAAA AAAA", "ＡＡＡＡ", "AAAA\n"])
def test_content_bad_base64(text: str) -> None:
    with fail(Code.BAD_BASE64, field="content"):
        decrypt_content(KEY, text)


def test_content_truncated() -> None:
    with fail(Code.TRUNCATED, match="too short for the 4-byte IV length field"):
        decrypt_content(KEY, base64.b64encode(b"\x00\x00\x0c").decode())
    with fail(Code.TRUNCATED, match="fewer than the 12-byte IV and 16-byte authentication tag"):
        decrypt_content(KEY, _envelope(12, b"\x01" * 10, b""))
    with fail(Code.TRUNCATED):
        decrypt_content(KEY, _envelope(12, b"\x01" * 12, b"\x02" * 15))
    with fail(Code.TRUNCATED):
        decrypt_content(KEY, "")


def test_content_bad_iv_length() -> None:
    full = base64.b64decode(encrypt_content(KEY, b"payload"))
    with fail(Code.BAD_IV_LENGTH, match="IV length field is 16; expected 12"):
        decrypt_content(KEY, _envelope(16, full[4:16], full[16:]))
    with fail(Code.BAD_IV_LENGTH, match="is 4294967295, more than the 35 bytes that follow"):
        decrypt_content(KEY, _envelope(0xFFFFFFFF, full[4:16], full[16:]))
    with fail(Code.BAD_IV_LENGTH, match="is 0"):
        decrypt_content(KEY, _envelope(0, full[4:16], full[16:]))


@pytest.mark.parametrize("where", ["iv", "ciphertext", "tag"])
def test_content_tampering_is_tag_mismatch(where: str) -> None:
    raw = bytearray(base64.b64decode(encrypt_content(KEY, b"payload")))
    index = {"iv": 5, "ciphertext": 17, "tag": len(raw) - 1}[where]
    raw[index] ^= 0x01
    with fail(Code.TAG_MISMATCH, field="content", match="authentication tag mismatch"):
        decrypt_content(KEY, base64.b64encode(bytes(raw)).decode())


def test_content_wrong_key_is_tag_mismatch() -> None:
    with fail(Code.TAG_MISMATCH):
        decrypt_content(bytes(32), encrypt_content(KEY, b"payload"))


def test_content_key_must_be_32_bytes() -> None:
    envelope = encrypt_content(KEY, b"payload")
    for bad in (b"\0" * 16, b"\0" * 33, b""):
        with pytest.raises(InvalidArgument, match="expected 32"):
            decrypt_content(bad, envelope)
        with pytest.raises(InvalidArgument):
            encrypt_content(bad, b"x")
    with pytest.raises(InvalidArgument):
        decrypt_content("k" * 32, envelope)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        encrypt_content(KEY, b"x", iv=b"\0" * 16)
    with pytest.raises(InvalidArgument):
        decrypt_content(KEY, 12345)  # type: ignore[arg-type]


def test_content_size_limits() -> None:
    with pytest.raises(InvalidArgument):
        encrypt_content(KEY, b"x" * 101, max_size=100)
    big = encrypt_content(KEY, b"x" * 101)
    with fail(Code.TOO_LARGE):
        decrypt_content(KEY, big, max_size=100)
    assert decrypt_content(KEY, big, max_size=101) == b"x" * 101
    with fail(Code.TOO_LARGE):
        decrypt_content(KEY, "A" * 10_000_000)


@settings(max_examples=60)
@given(plaintext=st.binary(max_size=256))
def test_content_round_trip_property(plaintext: bytes) -> None:
    assert decrypt_content(KEY, encrypt_content(KEY, plaintext)) == plaintext


@settings(max_examples=150)
@given(plaintext=st.binary(max_size=64), data=st.data())
def test_content_any_bit_flip_is_rejected(plaintext: bytes, data: st.DataObject) -> None:
    raw = bytearray(base64.b64decode(encrypt_content(KEY, plaintext)))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(IAmSmartEnvelopeError) as info:
        decrypt_content(KEY, base64.b64encode(bytes(raw)).decode())
    expected = Code.BAD_IV_LENGTH if index < 4 else Code.TAG_MISMATCH
    assert info.value.code is expected


# ------------------------------------------------------------------- key wrap


@pytest.fixture(scope="module")
def service_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    "padding", ["oaep-sha256", "oaep-sha256-mgf1-sha1", "oaep-sha1", "pkcs1v15"]
)
def test_wrap_unwrap_round_trip(service_key: rsa.RSAPrivateKey, padding: Any) -> None:
    wrapped = wrap_secret_key(KEY, service_key.public_key(), padding=padding)
    assert unwrap_secret_key(wrapped, service_key) == KEY
    assert unwrap_secret_key(wrapped, service_key, paddings=[padding]) == KEY


OPENSSL_PADDINGS = {
    "oaep-sha256": ["rsa_padding_mode:oaep", "rsa_oaep_md:sha256", "rsa_mgf1_md:sha256"],
    "oaep-sha256-mgf1-sha1": ["rsa_padding_mode:oaep", "rsa_oaep_md:sha256", "rsa_mgf1_md:sha1"],
    "oaep-sha1": ["rsa_padding_mode:oaep", "rsa_oaep_md:sha1", "rsa_mgf1_md:sha1"],
    "pkcs1v15": ["rsa_padding_mode:pkcs1"],
}


def _pkeyopts(padding: str) -> list[str]:
    return [arg for opt in OPENSSL_PADDINGS[padding] for arg in ("-pkeyopt", opt)]


@pytest.mark.interop
@needs_openssl
@pytest.mark.parametrize("padding", list(OPENSSL_PADDINGS))
def test_unwrap_key_wrapped_by_openssl(
    service_key: rsa.RSAPrivateKey, padding: str, tmp_path: Path
) -> None:
    public = tmp_path / "service.pub.pem"
    public.write_bytes(
        service_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    wrapped = subprocess.run(
        ["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", str(public), *_pkeyopts(padding)],
        input=KEY,
        capture_output=True,
        check=True,
    ).stdout
    encoded = base64.b64encode(wrapped).decode()
    assert unwrap_secret_key(encoded, service_key) == KEY
    assert unwrap_secret_key(encoded, service_key, paddings=[padding]) == KEY  # type: ignore[list-item]


@pytest.mark.interop
@needs_openssl
@pytest.mark.parametrize("padding", list(OPENSSL_PADDINGS))
def test_openssl_unwraps_our_wrapping(
    service_key: rsa.RSAPrivateKey, padding: Any, tmp_path: Path
) -> None:
    private = tmp_path / "service.pem"
    private.write_bytes(
        service_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    wrapped = base64.b64decode(wrap_secret_key(KEY, service_key.public_key(), padding=padding))
    unwrapped = subprocess.run(
        ["openssl", "pkeyutl", "-decrypt", "-inkey", str(private), *_pkeyopts(padding)],
        input=wrapped,
        capture_output=True,
        check=True,
    ).stdout
    assert unwrapped == KEY


def test_unwrap_without_the_needed_padding_fails(service_key: rsa.RSAPrivateKey) -> None:
    wrapped = wrap_secret_key(KEY, service_key.public_key(), padding="pkcs1v15")
    with fail(Code.KEY_UNWRAP_FAILED, field="secretKey", match="(oaep-sha256, oaep-sha1)"):
        unwrap_secret_key(wrapped, service_key, paddings=("oaep-sha256", "oaep-sha1"))


def test_unwrap_with_the_wrong_private_key(service_key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrapped = wrap_secret_key(KEY, other.public_key())
    with fail(Code.KEY_UNWRAP_FAILED):
        unwrap_secret_key(wrapped, service_key, paddings=("oaep-sha256", "oaep-sha1"))
    # With PKCS#1 v1.5 allowed, implicit rejection may hand back a synthetic key; it must
    # never be the real one.
    outcome: bytes | IAmSmartEnvelopeError
    try:
        outcome = unwrap_secret_key(wrapped, service_key)
    except IAmSmartEnvelopeError as exc:
        outcome = exc
    if isinstance(outcome, IAmSmartEnvelopeError):
        assert outcome.code is Code.KEY_UNWRAP_FAILED
    else:
        synthetic = outcome
        assert synthetic != KEY
        with fail(Code.TAG_MISMATCH):
            decrypt_content(synthetic, encrypt_content(KEY, b"profile"))


def test_unwrap_malformed_inputs(service_key: rsa.RSAPrivateKey) -> None:
    with fail(Code.BAD_BASE64, field="secretKey"):
        unwrap_secret_key("not*base64", service_key)
    with fail(Code.KEY_UNWRAP_FAILED, match="secretKey is 255 bytes, expected 256"):
        unwrap_secret_key(base64.b64encode(b"\1" * 255).decode(), service_key)
    with fail(Code.TOO_LARGE):
        unwrap_secret_key("A" * 5000, service_key)
    # A 16-byte key is a valid RSA plaintext but not an AES-256 key.
    short = service_key.public_key().encrypt(b"k" * 16, asym_padding.PKCS1v15())
    with fail(Code.KEY_UNWRAP_FAILED, match="32-byte key"):
        unwrap_secret_key(base64.b64encode(short).decode(), service_key)


def test_unwrap_and_wrap_reject_bad_arguments(service_key: rsa.RSAPrivateKey) -> None:
    wrapped = wrap_secret_key(KEY, service_key.public_key())
    for paddings in ([], ["oaep-md5"], "oaep-sha256", ["oaep-sha1", "oaep-sha1"], None):
        with pytest.raises(InvalidArgument):
            unwrap_secret_key(wrapped, service_key, paddings=paddings)  # type: ignore[arg-type]
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidArgument):
        unwrap_secret_key(wrapped, ec_key)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        wrap_secret_key(KEY, ec_key.public_key())  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        wrap_secret_key(b"short", service_key.public_key())
    with pytest.raises(InvalidArgument):
        wrap_secret_key(KEY, service_key.public_key(), padding="none")  # type: ignore[arg-type]


# --------------------------------------------------------------------- replies


def test_reply_success() -> None:
    content = encrypt_content(KEY, b"{}")
    reply = parse_reply(
        json.dumps({"txID": "tx-1", "code": "D00000", "message": "SUCCESS", "content": content})
    )
    assert reply.is_success
    assert (reply.txID, reply.code, reply.message, reply.content) == (
        "tx-1",
        "D00000",
        "SUCCESS",
        content,
    )
    assert reply.description == "success"
    assert parse_reply(reply.to_json()) == reply
    mock = IAmSmartReply(txID="tx-2", code="D40003")
    assert json.loads(mock.to_json()) == {
        "txID": "tx-2",
        "code": "D40003",
        "message": None,
        "content": None,
    }
    assert parse_reply(mock.to_json()).description == "sign-in timed out"
    assert mock.status == "timeout"


@pytest.mark.parametrize(
    ("code", "words"),
    [("D40000", "cancelled"), ("D40001", "rejected"), ("D40003", "timed out")],
)
def test_reply_known_failures_are_returned(code: str, words: str) -> None:
    reply = parse_reply(f'{{"txID":"t","code":"{code}","message":null}}'.encode())
    assert not reply.is_success
    assert reply.content is None
    assert reply.message is None
    assert reply.description is not None
    assert words in reply.description


def test_reply_unknown_code_is_parsed_as_unknown() -> None:
    document = b'{"txID":"t","code":"D99999"}'
    unknown = parse_reply(document)
    assert unknown.status == "unknown"
    assert unknown.description is not None
    assert "D99999" in unknown.description
    reply = parse_reply(document, extra_codes={"D99999": "site-specific"})
    assert reply.description == "site-specific"
    assert not reply.is_success
    with pytest.raises(InvalidArgument):
        parse_reply(document, extra_codes={"D99999": 1})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("document", "code", "field"),
    [
        (b'{"txID":"t","code":"D00000","code":"D40000"}', Code.DUPLICATE_KEY, "code"),
        (b'{"txID":"t","code":"D00000","content":{"a":1,"a":2}}', Code.DUPLICATE_KEY, "a"),
        (b'{"code":"D00000"}', Code.MISSING_FIELD, "txID"),
        (b'{"txID":"","code":"D00000"}', Code.MISSING_FIELD, "txID"),
        (b'{"txID":"t","code":null}', Code.MISSING_FIELD, "code"),
        (b'{"txID":"t","code":0}', Code.BAD_FIELD, "code"),
        (b'{"txID":"t","code":"D00000","content":["a"]}', Code.BAD_FIELD, "content"),
        (b'{"txID":"t","code":"D00000","content":7}', Code.BAD_FIELD, "content"),
        (b'{"txID":"t","code":"D00000","secretKey":{}}', Code.BAD_FIELD, "secretKey"),
        (b'{"txID":"t","code":"D00000","message":["x"]}', Code.BAD_FIELD, "message"),
        (b'{"txID":"t","code":"D00000","n":NaN}', Code.BAD_JSON, None),
        (b'{"txID":"t","code":"D00000"', Code.BAD_JSON, None),
        (b'["txID","code"]', Code.BAD_JSON, None),
        (b'{"txID":"\xff","code":"D00000"}', Code.BAD_JSON, None),
        (b"\xef\xbb\xbf" + b'{"txID":"t","code":"D00000"}', Code.BAD_JSON, None),
        (b"", Code.BAD_JSON, None),
    ],
)
def test_reply_malformed(document: bytes, code: EnvelopeErrorCode, field: str | None) -> None:
    with fail(code, field=field):
        parse_reply(document)


def test_reply_size_and_depth_limits() -> None:
    document = b'{"txID":"t","code":"D00000","message":"' + b"x" * 200 + b'"}'
    with fail(Code.TOO_LARGE):
        parse_reply(document, max_size=100)
    deep = b'{"txID":"t","code":"D00000","x":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with fail(Code.BAD_JSON, match="nests deeper than"):
        parse_reply(deep, max_size=len(deep))
    with pytest.raises(InvalidArgument):
        parse_reply({"txID": "t"})  # type: ignore[arg-type]


# --------------------------------------------------------------------- profile


def sample_profile(**changes: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "businessID": "b-1",
        "idNo": {"Identification": "A123456", "CheckDigit": "3"},
        "prefix": "MR",
        "enName": {"UnstructuredName": "CHAN, Tai Man"},
        "chName": {"ChineseName": "陳大文"},
        "chNameVerified": "Y",
        "birthDate": "19900131",
        "gender": "M",
        "maritalStatus": "S",
        "homeTelNumber": {"CountryCode": "852", "SubscriberNumber": "21234567"},
        "mobileNumber": {"CountryCode": "852", "SubscriberNumber": "91234567"},
        "emailAddress": "chan@example.org",
        "residentialAddress": {"ChiPremisesAddress": {"Region": "九龍"}},
        "educationLevel": "4",
        "carOwner": "N",
    }
    for key, value in changes.items():
        if value is None:
            profile.pop(key, None)
        else:
            profile[key] = value
    return profile


def load(profile: dict[str, Any], **kwargs: Any) -> IAmSmartProfile:
    kwargs.setdefault("today", TODAY)
    return parse_profile(json.dumps(profile, ensure_ascii=False).encode(), **kwargs)


def test_profile_full_mapping() -> None:
    profile = load(sample_profile())
    assert profile.hkid == "A123456(3)"
    assert profile.id_no is not None
    assert profile.id_no.identification == "A123456"
    assert profile.en_name is not None
    assert profile.en_name.unstructured_name == "CHAN, Tai Man"
    assert profile.ch_name is not None
    assert profile.ch_name.chinese_name == "陳大文"
    assert profile.birth_date == dt.date(1990, 1, 31)
    assert profile.birth_date_precision == "day"
    assert profile.birth_date_raw == "19900131"
    assert (profile.gender, profile.prefix, profile.ch_name_verified) == ("M", "MR", "Y")
    assert profile.mobile_number is not None
    assert profile.mobile_number.subscriber_number == "91234567"
    assert profile.office_tel_number is None
    assert profile.residential_address == {"ChiPremisesAddress": {"Region": "九龍"}}
    assert (
        profile.hkic_hash()
        == hkid_hash("A123456")
        == base64.b64encode(hashlib.sha256(b"A123456").digest()).decode()
    )


def test_profile_end_to_end_from_an_encrypted_reply() -> None:
    content = encrypt_content(KEY, json.dumps(sample_profile()).encode())
    reply = parse_reply(json.dumps({"txID": "t", "code": "D00000", "content": content}))
    assert reply.content is not None
    assert load(json.loads(decrypt_content(KEY, reply.content))).hkid == "A123456(3)"


@pytest.mark.parametrize("name", ["idNo", "enName"])
def test_profile_missing_required_field(name: str) -> None:
    with fail(Code.MISSING_FIELD, field=name, match=f"required field {name} is missing"):
        load(sample_profile(**{name: None}))


def test_profile_required_is_configurable() -> None:
    profile = load(sample_profile(idNo=None, enName=None), required=())
    assert profile.hkid is None
    assert profile.en_name is None
    with fail(Code.MISSING_FIELD, field="idNo"):
        profile.hkic_hash()
    with fail(Code.MISSING_FIELD, field="gender"):
        load(sample_profile(gender=None), required=["gender"])
    with pytest.raises(InvalidArgument, match="unknown profile field"):
        load(sample_profile(), required=["idNumber"])
    with pytest.raises(InvalidArgument):
        load(sample_profile(), required="idNo")


@pytest.mark.parametrize(
    ("changes", "code", "field", "words"),
    [
        ({"idNo": {"Identification": "A123456"}}, Code.MISSING_FIELD, "idNo.CheckDigit", "missing"),
        (
            {"idNo": {"Identification": "", "CheckDigit": "3"}},
            Code.MISSING_FIELD,
            "idNo.Identification",
            "empty",
        ),
        (
            {"idNo": {"Identification": "A123456", "CheckDigit": "4"}},
            Code.INVALID_HKID,
            "idNo",
            "check digit is 4, expected 3",
        ),
        (
            {"idNo": {"Identification": "A12345", "CheckDigit": "3"}},
            Code.INVALID_HKID,
            "idNo",
            "expected six",
        ),
        (
            {"idNo": {"Identification": 123456, "CheckDigit": "3"}},
            Code.BAD_FIELD,
            "idNo.Identification",
            "must be a string",
        ),
        ({"idNo": "A123456(3)"}, Code.BAD_FIELD, "idNo", "must be an object"),
        ({"enName": {}}, Code.MISSING_FIELD, "enName.UnstructuredName", "missing"),
        ({"chName": {"ChineseName": None}}, Code.MISSING_FIELD, "chName.ChineseName", "null"),
        ({"gender": 1}, Code.BAD_FIELD, "gender", "got a JSON number"),
        (
            {"mobileNumber": {"CountryCode": "852"}},
            Code.MISSING_FIELD,
            "mobileNumber.SubscriberNumber",
            "missing",
        ),
        ({"residentialAddress": "Flat A"}, Code.BAD_FIELD, "residentialAddress", "object"),
        ({"emailAddress": "x" * 400}, Code.BAD_FIELD, "emailAddress", "more than 320"),
        ({"birthDate": "31-01-1990"}, Code.BAD_FIELD, "birthDate", "not in a known format"),
        ({"birthDate": "19900231"}, Code.BAD_FIELD, "birthDate", "not a real date"),
        ({"birthDate": "20300101"}, Code.BAD_FIELD, "birthDate", "outside 1900 to today"),
        ({"birthDate": "18991231"}, Code.BAD_FIELD, "birthDate", "outside 1900 to today"),
        ({"birthDate": True}, Code.BAD_FIELD, "birthDate", "boolean"),
    ],
)
def test_profile_bad_fields(
    changes: dict[str, Any], code: EnvelopeErrorCode, field: str, words: str
) -> None:
    with fail(code, field=field, match=words):
        load(sample_profile(**changes))


@pytest.mark.parametrize(
    ("raw", "date", "precision"),
    [
        ("19900131", dt.date(1990, 1, 31), "day"),
        ("1990-01-31", dt.date(1990, 1, 31), "day"),
        ("1990/01/31", dt.date(1990, 1, 31), "day"),
        (" 19900131 ", dt.date(1990, 1, 31), "day"),
        ("199001", dt.date(1990, 1, 1), "month"),
        ("1990-01", dt.date(1990, 1, 1), "month"),
        ("1990", dt.date(1990, 1, 1), "year"),
        (19900131, dt.date(1990, 1, 31), "day"),
    ],
)
def test_profile_birth_date_forms(raw: Any, date: dt.date, precision: str) -> None:
    profile = load(sample_profile(birthDate=raw))
    assert (profile.birth_date, profile.birth_date_precision) == (date, precision)


def test_profile_json_hostility() -> None:
    with fail(Code.DUPLICATE_KEY, field="CheckDigit"):
        parse_profile(
            b'{"idNo":{"Identification":"A123456","CheckDigit":"3","CheckDigit":"4"},'
            b'"enName":{"UnstructuredName":"X"}}'
        )
    with fail(Code.TOO_LARGE):
        parse_profile(b" " * 70_000)
    with fail(Code.BAD_JSON):
        parse_profile("[]")
    with fail(Code.BAD_JSON):
        parse_profile("\ud800")


def test_profile_is_frozen() -> None:
    profile = load(sample_profile())
    with pytest.raises(ValueError, match="frozen"):
        profile.gender = "F"  # type: ignore[misc]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.binary(max_size=300))
def test_profile_and_reply_never_raise_anything_else(document: bytes) -> None:
    for parse in (parse_profile, parse_reply, parse_key_reply):
        with contextlib.suppress(IAmSmartEnvelopeError):
            parse(document)
