"""Digest and signature algorithms, by OID, with a registry other backends plug into.

A signature mechanism (:mod:`bayident._algtypes`) knows how to check one signature with
one public key. The table below lists every algorithm bayident ships, SM2 included (its
mechanism lives in :mod:`bayident.sm._mechanism`; the ``sm`` extra is needed only to check
a signature); nothing else in the engine changes for a new algorithm.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa, utils

from . import _der as d
from ._algtypes import AlgorithmError, NonStandardSignature, SignatureMechanism, describe_key
from ._memo import Memo
from .sm._mechanism import OID_SM2_SIGN, OID_SM3_WITH_SM2, SM2_MECHANISM, load_sm2_spki

__all__ = [
    "DIGESTS",
    "AlgorithmError",
    "NonStandardSignature",
    "SignatureMechanism",
    "describe_key",
    "digest_name",
    "load_public_key",
    "mechanism_for",
    "register_key_loader",
    "register_signature_mechanism",
]

# OID → policy name of the digest.
DIGESTS: dict[str, str] = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
    "2.16.840.1.101.3.4.2.7": "sha3-224",
    "2.16.840.1.101.3.4.2.8": "sha3-256",
    "2.16.840.1.101.3.4.2.9": "sha3-384",
    "2.16.840.1.101.3.4.2.10": "sha3-512",
    "1.2.156.10197.1.401": "sm3",
    # RFC 8419 §2.3: Ed448 content digests use SHAKE256 with a 512-bit output.
    "2.16.840.1.101.3.4.2.18": "shake256",
}
DIGEST_SIZES = {
    "sha1": 20,
    "sha224": 28,
    "sha256": 32,
    "sha384": 48,
    "sha512": 64,
    "sha3-224": 28,
    "sha3-256": 32,
    "sha3-384": 48,
    "sha3-512": 64,
    "sm3": 32,
    "shake256": 64,
}
_HASH_CLASSES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "sha3-224": hashes.SHA3_224,
    "sha3-256": hashes.SHA3_256,
    "sha3-384": hashes.SHA3_384,
    "sha3-512": hashes.SHA3_512,
}
_HASH_INSTANCES = {name: cls() for name, cls in _HASH_CLASSES.items()}


def digest_name(oid: str) -> str:
    name = DIGESTS.get(oid)
    if name is None:
        raise AlgorithmError(f"unknown digest algorithm {oid}", unsupported=True)
    return name


def _hash(name: str, prehashed: bool) -> hashes.HashAlgorithm | utils.Prehashed:
    h = _HASH_INSTANCES.get(name)
    if h is None:
        raise AlgorithmError(f"digest {name} cannot be used with this signature algorithm")
    return utils.Prehashed(h) if prehashed else h


def _need(key: Any, cls: type, what: str) -> None:
    if not isinstance(key, cls):
        raise AlgorithmError(
            f"signature algorithm needs an {what} key but the certificate holds {describe_key(key)}"
        )


def _rsa_pkcs1(key: Any, sig: bytes, data: bytes, dg: str, params: bytes | None, pre: bool) -> None:
    _need(key, rsa.RSAPublicKey, "RSA")
    if params not in (None, b"\x05\x00"):
        raise AlgorithmError("RSA PKCS#1 v1.5 takes no parameters")
    try:
        key.verify(sig, data, padding.PKCS1v15(), _hash(dg, pre))
    except InvalidSignature:
        _digest_info_without_null(key, sig, data, dg, pre)
        raise


# DER prefixes of a DigestInfo whose AlgorithmIdentifier leaves out the NULL parameters:
# SEQUENCE { SEQUENCE { OID }, OCTET STRING digest }, by digest name.
_BARE_DIGEST_INFO: dict[str, bytes] = {}


def _bare_prefix(name: str) -> bytes | None:
    found = _BARE_DIGEST_INFO.get(name)
    if found is None:
        oid = next((o for o, n in DIGESTS.items() if n == name), None)
        size = DIGEST_SIZES.get(name)
        if oid is None or size is None:
            return None
        alg = d.encode_oid(oid)
        alg_seq = bytes((0x30, len(alg))) + alg
        body_len = len(alg_seq) + 2 + size
        found = bytes((0x30, body_len)) + alg_seq + bytes((0x04, size))
        _BARE_DIGEST_INFO[name] = found
    return found


def _digest_info_without_null(key: Any, sig: bytes, data: bytes, dg: str, pre: bool) -> None:
    """Raise the named variant when the DigestInfo only lacks its NULL parameters.

    RFC 8017 §9.2 note 2: DigestInfo parameters should be NULL, but some producers
    (several HSMs) leave them out; the hash inside is still the one of the data. Any
    other deviation (another algorithm, another hash, trailing bytes) stays a failure.
    """
    prefix = _bare_prefix(dg)
    if prefix is None:
        return
    try:
        recovered = key.recover_data_from_signature(sig, padding.PKCS1v15(), None)
    except (InvalidSignature, ValueError):
        return
    if not recovered.startswith(prefix):
        return
    expected = data if pre else _digest(dg, data)
    if recovered == prefix + expected:
        raise NonStandardSignature(
            "digestinfo-without-null",
            "verifies, with a DigestInfo whose algorithm identifier leaves out the NULL "
            "parameters (RFC 8017 §9.2 note 2: accepted, named here)",
            accepted=True,
        )


def _digest(name: str, data: bytes) -> bytes:
    h = hashes.Hash(_HASH_CLASSES[name]())
    h.update(data)
    return h.finalize()


_MGF1 = "1.2.840.113549.1.1.8"
_SHA1_OID = "1.3.14.3.2.26"


def parse_pss_params(params: bytes | None) -> tuple[str, str, int]:
    """(hash, mgf1 hash, salt length) from RSASSA-PSS-params; defaults per RFC 4055."""
    hash_name, mgf_hash, salt = "sha1", "sha1", 20
    if params is None or params == b"\x05\x00":
        return hash_name, mgf_hash, salt
    where = "RSASSA-PSS-params"
    try:
        top = d.read_tlv(params, 0, len(params), where)
        if top.tag != d.SEQUENCE:
            raise AlgorithmError("RSASSA-PSS parameters must be a SEQUENCE")
        for field in d.children(params, top, where):
            inner = d.children(params, field, where)
            if field.tag == 0xA0:
                alg = d.children(params, inner[0], where)
                hash_name = digest_name(d.decode_oid(params, alg[0], where))
                if hash_name not in _HASH_CLASSES:
                    raise AlgorithmError(
                        f"RSASSA-PSS hashAlgorithm {hash_name} is not supported with RSA",
                        unsupported=True,
                    )
            elif field.tag == 0xA1:
                alg = d.children(params, inner[0], where)
                if d.decode_oid(params, alg[0], where) != _MGF1:
                    raise AlgorithmError("RSASSA-PSS mask generation function is not MGF1")
                mgf_alg = d.children(params, alg[1], where)
                mgf_hash = digest_name(d.decode_oid(params, mgf_alg[0], where))
                if mgf_hash not in _HASH_CLASSES:
                    raise AlgorithmError(
                        f"RSASSA-PSS maskGenAlgorithm: MGF1 with {mgf_hash} is not supported",
                        unsupported=True,
                    )
            elif field.tag == 0xA2:
                salt = d.decode_integer(params, inner[0], where)
            elif field.tag == 0xA3:
                if d.decode_integer(params, inner[0], where) != 1:
                    raise AlgorithmError("RSASSA-PSS trailerField must be 1")
            else:
                raise AlgorithmError("unknown field in RSASSA-PSS parameters")
    except (d.DERError, IndexError, ValueError) as exc:
        if isinstance(exc, AlgorithmError):
            raise
        raise AlgorithmError(f"malformed RSASSA-PSS parameters: {exc}") from None
    if salt < 0 or salt > 1024:
        raise AlgorithmError(f"RSASSA-PSS salt length {salt} is out of range")
    return hash_name, mgf_hash, salt


def _rsa_pss(key: Any, sig: bytes, data: bytes, dg: str, params: bytes | None, pre: bool) -> None:
    _need(key, rsa.RSAPublicKey, "RSA")
    hash_name, mgf_hash, salt = parse_pss_params(params)
    # The hash inside RSASSA-PSS is the one its parameters name (RFC 4056 §2); the
    # SignerInfo digestAlgorithm only hashes the content for message-digest. A digest of
    # the content made with another hash cannot be signed directly, though.
    if pre and hash_name != dg:
        raise AlgorithmError(
            f"RSASSA-PSS parameters name {hash_name} but the content digest is {dg}, and "
            "without signed attributes the signature is over the content digest"
        )
    pad = padding.PSS(mgf=padding.MGF1(_HASH_CLASSES[mgf_hash]()), salt_length=salt)
    key.verify(sig, data, pad, _hash(hash_name, pre))


def _ecdsa(key: Any, sig: bytes, data: bytes, dg: str, params: bytes | None, pre: bool) -> None:
    _need(key, ec.EllipticCurvePublicKey, "elliptic-curve")
    if key.curve.name == "sm2":
        raise AlgorithmError("an SM2 key cannot be used with ECDSA")
    key.verify(sig, data, ec.ECDSA(_hash(dg, pre)))


def _dsa(key: Any, sig: bytes, data: bytes, dg: str, params: bytes | None, pre: bool) -> None:
    _need(key, dsa.DSAPublicKey, "DSA")
    # RFC 3279 §2.2.2 / RFC 5758 §3.1: the DSA signature algorithms take no parameters.
    if params not in (None, b"\x05\x00"):
        raise AlgorithmError("DSA signature algorithms take no parameters")
    key.verify(sig, data, _hash(dg, pre))


def _eddsa(cls: type, label: str) -> Callable[[Any, bytes, bytes, str, bytes | None, bool], None]:
    def verify(key: Any, sig: bytes, data: bytes, dg: str, params: bytes | None, pre: bool) -> None:
        _need(key, cls, label)
        if pre:
            raise AlgorithmError(f"{label} (pure EdDSA) cannot verify a pre-computed digest")
        key.verify(sig, data)

    return verify


_RSA_ENC = "1.2.840.113549.1.1.1"
_EC_PUBKEY = "1.2.840.10045.2.1"
_DSA_KEY = "1.2.840.10040.4.1"

_REGISTRY: dict[str, SignatureMechanism] = {}
_LOCK = threading.Lock()


def register_signature_mechanism(oid: str, mechanism: SignatureMechanism) -> None:
    """Make signatures with algorithm ``oid`` verifiable (e.g. SM2 from ``bayident[sm]``)."""
    with _LOCK:
        _REGISTRY[oid] = mechanism


def _builtin() -> None:
    pk = SignatureMechanism("rsa-pkcs1v15", None, True, _rsa_pkcs1, "RSA")
    register_signature_mechanism(_RSA_ENC, pk)
    for oid, dg in (
        ("1.2.840.113549.1.1.5", "sha1"),
        ("1.2.840.113549.1.1.14", "sha224"),
        ("1.2.840.113549.1.1.11", "sha256"),
        ("1.2.840.113549.1.1.12", "sha384"),
        ("1.2.840.113549.1.1.13", "sha512"),
        ("2.16.840.1.101.3.4.3.13", "sha3-224"),
        ("2.16.840.1.101.3.4.3.14", "sha3-256"),
        ("2.16.840.1.101.3.4.3.15", "sha3-384"),
        ("2.16.840.1.101.3.4.3.16", "sha3-512"),
    ):
        register_signature_mechanism(
            oid, SignatureMechanism("rsa-pkcs1v15", dg, True, _rsa_pkcs1, "RSA")
        )
    register_signature_mechanism(
        "1.2.840.113549.1.1.10", SignatureMechanism("rsa-pss", None, True, _rsa_pss, "RSA")
    )
    register_signature_mechanism(_EC_PUBKEY, SignatureMechanism("ecdsa", None, True, _ecdsa, "EC"))
    for oid, dg in (
        ("1.2.840.10045.4.1", "sha1"),
        ("1.2.840.10045.4.3.1", "sha224"),
        ("1.2.840.10045.4.3.2", "sha256"),
        ("1.2.840.10045.4.3.3", "sha384"),
        ("1.2.840.10045.4.3.4", "sha512"),
        ("2.16.840.1.101.3.4.3.10", "sha3-256"),
        ("2.16.840.1.101.3.4.3.11", "sha3-384"),
        ("2.16.840.1.101.3.4.3.12", "sha3-512"),
    ):
        register_signature_mechanism(oid, SignatureMechanism("ecdsa", dg, True, _ecdsa, "EC"))
    # DSA (FIPS 186, RFC 3279 §2.2.2, RFC 5758 §3.1) is registered so old signatures and
    # the PKITS DSA cases can be checked, but the default Policy does not accept "dsa":
    # a caller must allow it explicitly.
    register_signature_mechanism(_DSA_KEY, SignatureMechanism("dsa", None, True, _dsa, "DSA"))
    for oid, dg in (
        ("1.2.840.10040.4.3", "sha1"),
        ("2.16.840.1.101.3.4.3.1", "sha224"),
        ("2.16.840.1.101.3.4.3.2", "sha256"),
        ("2.16.840.1.101.3.4.3.3", "sha384"),
        ("2.16.840.1.101.3.4.3.4", "sha512"),
    ):
        register_signature_mechanism(oid, SignatureMechanism("dsa", dg, True, _dsa, "DSA"))
    register_signature_mechanism(
        "1.3.101.112",
        SignatureMechanism(
            "ed25519", None, False, _eddsa(ed25519.Ed25519PublicKey, "Ed25519"), "Ed25519"
        ),
    )
    register_signature_mechanism(
        "1.3.101.113",
        SignatureMechanism("ed448", None, False, _eddsa(ed448.Ed448PublicKey, "Ed448"), "Ed448"),
    )
    # SM2 (GM/T 0006, GM/T 0010): SM3withSM2, and sm2-1 as GB/T 35275 uses it in SignerInfo.
    register_signature_mechanism(OID_SM3_WITH_SM2, SM2_MECHANISM)
    register_signature_mechanism(OID_SM2_SIGN, SM2_MECHANISM)


_builtin()


def mechanism_for(oid: str) -> SignatureMechanism:
    mech = _REGISTRY.get(oid)
    if mech is None:
        hint = ""
        if oid.startswith("1.2.156.10197."):
            hint = "; SM2 signatures need the optional extra: pip install 'bayident[sm]'"
        raise AlgorithmError(f"unsupported signature algorithm {oid}{hint}", unsupported=True)
    return mech


# SM2 keys: pyca/cryptography does not read them.
_KEY_LOADERS: list[Callable[[bytes], Any | None]] = [load_sm2_spki]


def register_key_loader(loader: Callable[[bytes], Any | None]) -> None:
    """Add a loader for SubjectPublicKeyInfo DER that pyca/cryptography cannot read.

    The loader returns ``None`` when the key is not one it knows.
    """
    with _LOCK:
        _KEY_LOADERS.append(loader)


# Process-wide: a pure function of the SubjectPublicKeyInfo DER (and of the loaders,
# which are only ever added to).
_KEY_CACHE: Memo[bytes, Any] = Memo(4096)


def load_public_key(spki_der: bytes) -> Any:
    """A public key object from SubjectPublicKeyInfo DER, trying plug-in loaders second.

    Keys are immutable, so loaded ones are kept (boundedly) and shared: the same
    CA keys are loaded again and again while validating paths.
    """
    key = _KEY_CACHE.get(spki_der)
    if key is not None:
        return key
    key = _load_public_key(spki_der)
    _KEY_CACHE.put(spki_der, key)
    return key


def _load_public_key(spki_der: bytes) -> Any:
    try:
        return serialization.load_der_public_key(spki_der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        first_error = exc
    for loader in list(_KEY_LOADERS):
        key = loader(spki_der)
        if key is not None:
            return key
    if b"\x06\x08\x2a\x81\x1c\xcf\x55\x01\x82\x2d" in spki_der:
        raise AlgorithmError(
            "SM2 public key; SM2 needs the optional extra: pip install 'bayident[sm]'",
            unsupported=True,
        )
    raise AlgorithmError(f"public key cannot be loaded: {first_error}", unsupported=True)


__all__ += ["InvalidSignature", "UnsupportedAlgorithm"]
