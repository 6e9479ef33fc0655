"""Signatures over revocation data, checked through bayident's algorithm registry and policy.

CRLs and OCSP responses are signed like certificates; the same registry (so SM2
and other plug-in algorithms work) and the same :class:`~bayident.Policy`
algorithm rules apply. Also the DER pieces cryptography does not expose: a
signed structure's AlgorithmIdentifier parameters, and a key's BIT STRING.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature

from .. import _der as d
from .._algorithms import AlgorithmError, load_public_key, mechanism_for, parse_pss_params
from .._memo import Memo

__all__ = [
    "algorithm_parameters",
    "certificate_signature_problem",
    "check_signature",
    "key_bits",
    "key_hash",
]


def _signed_parts(der: bytes, where: str) -> tuple[bytes, bytes | None]:
    """(tbs DER, raw AlgorithmIdentifier parameters) of SEQUENCE { tbs, algorithm, signature }."""
    top = d.read_tlv(der, 0, len(der), where)
    parts = d.children(der, top, where)
    if len(parts) < 3 or parts[1].tag != d.SEQUENCE:
        raise d.DERError("must be SEQUENCE { tbs, AlgorithmIdentifier, signature, ... }", where)
    alg = d.children(der, parts[1], where)
    params = bytes(der[alg[1].header_start : alg[1].next]) if len(alg) > 1 else None
    return bytes(der[parts[0].header_start : parts[0].next]), params


def algorithm_parameters(signed_der: bytes, where: str) -> bytes | None:
    """The raw parameters of a signed structure's signature AlgorithmIdentifier (DERError)."""
    return _signed_parts(signed_der, where)[1]


def key_bits(spki_der: bytes) -> bytes:
    """The subjectPublicKey BIT STRING contents (without the unused-bits octet)."""
    where = "SubjectPublicKeyInfo"
    top = d.read_tlv(spki_der, 0, len(spki_der), where)
    parts = d.children(spki_der, top, where)
    if len(parts) != 2 or parts[1].tag != d.BIT_STRING:
        raise d.DERError("must be SEQUENCE { AlgorithmIdentifier, BIT STRING }", where)
    return bytes(spki_der[parts[1].start + 1 : parts[1].next])


def key_hash(spki_der: bytes, digest: str = "sha1") -> bytes:
    """The hash of a key's BIT STRING contents: RFC 6960 issuerKeyHash and byKey responder IDs."""
    return hashlib.new(digest, key_bits(spki_der)).digest()


# Process-wide: a pure function of the bytes checked (and of the registry, only added to).
_VERIFIED: Memo[tuple[str, bytes, bytes, bytes], bool] = Memo(1024)


def certificate_signature_problem(
    rec: Any, issuer_spki: bytes, policy: Any, at: _dt.datetime
) -> str | None:
    """Why the certificate record ``rec`` is not validly signed by the key ``issuer_spki``
    under the policy at ``at``, or None. Raises DERError when its DER cannot be read.
    """
    params = algorithm_parameters(rec.der, "certificate")
    cert = rec.cert
    return check_signature(
        cert.signature_algorithm_oid.dotted_string,
        params,
        issuer_spki,
        cert.signature,
        cert.tbs_certificate_bytes,
        policy,
        at,
    )


def check_signature(
    oid: str,
    params: bytes | None,
    spki_der: bytes,
    signature: bytes,
    data: bytes,
    policy: Any,
    at: _dt.datetime,
) -> str | None:
    """Why the signature over ``data`` does not verify or is not allowed, or None when it does.

    The policy's algorithm rules (signature scheme, digest, key size and curve) apply
    at ``at``, as for certificate signatures.
    """
    from .._pathoutcome import key_problem

    try:
        mech = mechanism_for(oid)
    except AlgorithmError as exc:
        return exc.reason
    if not policy.accepts_signature(mech.name, at):
        return f"{mech.name} signatures are not allowed by the policy"
    digest = mech.fixed_digest
    try:
        if digest is None and mech.name == "rsa-pss":
            digest = parse_pss_params(params)[0]
    except AlgorithmError as exc:
        return exc.reason
    if digest is not None and not policy.accepts_digest(digest, at):
        return f"digest {digest} is not allowed by the policy"
    problem = key_problem(policy, spki_der)
    if problem:
        return problem
    memo_key = (oid, spki_der, signature, data)
    if _VERIFIED.get(memo_key):
        return None
    try:
        key = load_public_key(spki_der)
        mech.verify(key, signature, data, digest or "sha256", params, False)
    except InvalidSignature:
        return "the signature does not verify"
    except AlgorithmError as exc:
        return exc.reason
    except (ValueError, TypeError) as exc:  # a key or signature the backend cannot read
        return (
            f"the signature cannot be checked: {' '.join(str(exc).split()) or type(exc).__name__}"
        )
    _VERIFIED.put(memo_key, True)
    return None
