"""JOSE signature algorithms (RFC 7518 §3, RFC 8037, RFC 9864) tied to key types.

Each accepted ``alg`` names exactly one key type (and, for ECDSA, one curve): the
token's header chooses the algorithm, but never the kind of key, which is what
algorithm-confusion attacks exploit (RFC 8725 §2.1, §3.1). ``none`` and the HMAC
algorithms are never accepted: bayident verifies signatures made with private keys
against public keys it has reason to trust.

The cryptography itself is PyJWT's (``jwt.algorithms``) for signing inputs held in
memory; large detached content is hashed in chunks and checked with
pyca/cryptography's pre-hashed verification.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa, utils
from jwt.algorithms import Algorithm, ECAlgorithm, OKPAlgorithm, RSAAlgorithm, RSAPSSAlgorithm

from .._algorithms import describe_key

__all__ = ["ALGORITHMS", "MAC_ALGORITHMS", "JoseAlgorithm", "key_mismatch", "lookup"]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_CURVE_BYTES = {"secp256r1": 32, "secp384r1": 48, "secp521r1": 66}


@dataclass(frozen=True)
class JoseAlgorithm:
    """One accepted ``alg`` value and the only key it may be used with."""

    name: str
    key_type: str  # "RSA", "EC" or "OKP" (RFC 7517 ``kty``)
    scheme: str | None  # policy name; None for EdDSA, where the key decides
    digest: str | None  # None for EdDSA
    curve: str | None  # ECDSA curve (cryptography's name) or OKP curve
    impl: Algorithm

    def policy_scheme(self, key: Any) -> str:
        """The name :class:`bayident.Policy` knows the signature scheme by."""
        if self.scheme is not None:
            return self.scheme
        return "ed448" if isinstance(key, ed448.Ed448PublicKey) else "ed25519"

    def signature_size(self) -> int | None:
        """The exact size of an ECDSA signature (R || S, RFC 7518 §3.4); None otherwise."""
        if self.key_type == "EC" and self.curve is not None:
            return 2 * _CURVE_BYTES[self.curve]
        return None

    def verify(self, key: Any, signing_input: bytes, signature: bytes) -> bool:
        """Check a signature over a signing input held in memory."""
        return bool(self.impl.verify(signing_input, key, signature))

    def new_hash(self) -> Any:
        """A hashlib object for hashing the signing input in chunks (not EdDSA)."""
        assert self.digest is not None
        return hashlib.new(self.digest)

    def verify_digest(self, key: Any, digest: bytes, signature: bytes) -> bool:
        """Check a signature given the digest of the signing input (not EdDSA)."""
        assert self.digest is not None
        algo = utils.Prehashed(_HASHES[self.digest]())
        try:
            if self.key_type == "EC":
                half = len(signature) // 2
                der = utils.encode_dss_signature(
                    int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
                )
                key.verify(der, digest, ec.ECDSA(algo))
            elif self.scheme == "rsa-pss":
                size = _HASHES[self.digest]().digest_size
                pss = padding.PSS(mgf=padding.MGF1(_HASHES[self.digest]()), salt_length=size)
                key.verify(signature, digest, pss, algo)
            else:
                key.verify(signature, digest, padding.PKCS1v15(), algo)
        except InvalidSignature:
            return False
        return True


def _build() -> dict[str, JoseAlgorithm]:
    table: dict[str, JoseAlgorithm] = {}
    for bits in ("256", "384", "512"):
        dg = f"sha{bits}"
        h = _HASHES[dg]
        table[f"RS{bits}"] = JoseAlgorithm(
            f"RS{bits}", "RSA", "rsa-pkcs1v15", dg, None, RSAAlgorithm(h)
        )
        table[f"PS{bits}"] = JoseAlgorithm(
            f"PS{bits}", "RSA", "rsa-pss", dg, None, RSAPSSAlgorithm(h)
        )
    for name, dg, curve, cls in (
        ("ES256", "sha256", "secp256r1", ec.SECP256R1),
        ("ES384", "sha384", "secp384r1", ec.SECP384R1),
        ("ES512", "sha512", "secp521r1", ec.SECP521R1),
    ):
        table[name] = JoseAlgorithm(name, "EC", "ecdsa", dg, curve, ECAlgorithm(_HASHES[dg], cls))
    okp = OKPAlgorithm()
    table["EdDSA"] = JoseAlgorithm("EdDSA", "OKP", None, None, None, okp)
    # RFC 9864 fully-specified names.
    table["Ed25519"] = JoseAlgorithm("Ed25519", "OKP", "ed25519", None, "Ed25519", okp)
    table["Ed448"] = JoseAlgorithm("Ed448", "OKP", "ed448", None, "Ed448", okp)
    return table


ALGORITHMS: dict[str, JoseAlgorithm] = _build()
MAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})


class AlgorithmRefused(Exception):
    """An ``alg`` that is never accepted; ``unsecured`` for ``none``."""

    def __init__(self, reason: str, *, unsecured: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unsecured = unsecured


def lookup(alg: object) -> JoseAlgorithm:
    """The accepted algorithm named ``alg``, or raise :class:`AlgorithmRefused`."""
    if not isinstance(alg, str):
        raise AlgorithmRefused(f'"alg" must be a string, not {type(alg).__name__}')
    found = ALGORITHMS.get(alg)
    if found is not None:
        return found
    if alg.lower() == "none":
        raise AlgorithmRefused(
            f'"alg" is {alg!r}: an unsecured JWS carries no signature and is never accepted '
            "(RFC 7518 §3.6, RFC 8725 §3.2)",
            unsecured=True,
        )
    if alg in MAC_ALGORITHMS:
        raise AlgorithmRefused(
            f'"alg" is {alg}, a MAC with a shared secret, not a signature: it is never accepted '
            "for verification with a public key or certificate, which would let anyone holding "
            "the public key forge tokens (algorithm confusion, RFC 8725 §2.1, §3.1)"
        )
    raise AlgorithmRefused(
        f'"alg" {alg!r} is not supported; accepted: {", ".join(ALGORITHMS)} (RFC 7518 §3.1)'
    )


def key_mismatch(alg: JoseAlgorithm, key: Any) -> str | None:
    """Why ``key`` cannot be used with ``alg``, or None."""
    desc = describe_key(key)
    if alg.key_type == "RSA":
        if not isinstance(key, rsa.RSAPublicKey):
            return f"{alg.name} needs an RSA key but the key is {desc} (RFC 8725 §3.1)"
        return None
    if alg.key_type == "EC":
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return f"{alg.name} needs an EC key but the key is {desc} (RFC 8725 §3.1)"
        if key.curve.name != alg.curve:
            return (
                f"{alg.name} needs an EC key on curve {alg.curve} but the key is {desc} "
                "(RFC 7518 §3.4)"
            )
        return None
    if isinstance(key, ed25519.Ed25519PublicKey):
        if alg.curve not in (None, "Ed25519"):
            return f"{alg.name} needs an Ed448 key but the key is {desc} (RFC 9864)"
        return None
    if isinstance(key, ed448.Ed448PublicKey):
        if alg.curve not in (None, "Ed448"):
            return f"{alg.name} needs an Ed25519 key but the key is {desc} (RFC 9864)"
        return None
    return f"{alg.name} needs an Ed25519 or Ed448 key but the key is {desc} (RFC 8037 §3.1)"
