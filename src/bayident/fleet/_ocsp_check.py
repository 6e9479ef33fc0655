"""A signature check of an OCSP response read back from Redis, before it is used.

Path validation checks every OCSP response it uses anyway; this earlier check only turns
a planted or damaged value into a cache miss, so the verification fetches a genuine
answer instead of failing on the bad one. It answers True (signed by the issuer, or by a
responder certificate the issuer signed for OCSP signing), False (not), or None when it
cannot tell (an algorithm it does not check here, such as SM2 or RSASSA-PSS): the value is
then used and path validation decides, as for any answer.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, SignatureAlgorithmOID

__all__ = ["signed_by_issuer"]

_PSS = SignatureAlgorithmOID.RSASSA_PSS
# The signature algorithm families by OID prefix, to tell a key of another kind (which
# cannot have made the signature) from an algorithm not checked here.
_FAMILIES = (
    (rsa.RSAPublicKey, "1.2.840.113549.1.1."),
    (ec.EllipticCurvePublicKey, "1.2.840.10045.4."),
    (ed25519.Ed25519PublicKey, "1.3.101.112"),
    (ed448.Ed448PublicKey, "1.3.101.113"),
)


def _other_kind(key: Any, oid: x509.ObjectIdentifier) -> bool:
    """True when ``key`` is of a kind that cannot have made a signature of ``oid``."""
    dotted = oid.dotted_string
    for kind, prefix in _FAMILIES:
        if dotted.startswith(prefix) or dotted == prefix:
            return not isinstance(key, kind)
    return False


def _check(key: Any, signature: bytes, data: bytes, params: Any, digest: Any) -> bool | None:
    try:
        if isinstance(key, rsa.RSAPublicKey):
            if params is None:
                return None
            key.verify(signature, data, params, digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(digest))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, data)
        else:
            return None
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return True


def _response_signed(response: Any, key: Any) -> bool | None:
    if _other_kind(key, response.signature_algorithm_oid):
        return False
    try:
        if response.signature_algorithm_oid == _PSS:
            return None
        digest = response.signature_hash_algorithm
    except (ValueError, UnsupportedAlgorithm):
        return None
    params = padding.PKCS1v15() if isinstance(key, rsa.RSAPublicKey) else None
    return _check(key, response.signature, response.tbs_response_bytes, params, digest)


def _certificate_signed(cert: x509.Certificate, key: Any) -> bool | None:
    if _other_kind(key, cert.signature_algorithm_oid):
        return False
    try:
        params = cert.signature_algorithm_parameters
        digest = cert.signature_hash_algorithm
    except (ValueError, UnsupportedAlgorithm):
        return None
    if isinstance(key, rsa.RSAPublicKey) and not isinstance(params, padding.PKCS1v15 | padding.PSS):
        return None
    return _check(key, cert.signature, cert.tbs_certificate_bytes, params, digest)


def _ocsp_signer(cert: x509.Certificate) -> bool:
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.OCSP_SIGNING in usages


def signed_by_issuer(der: bytes, issuer_spki: bytes) -> bool | None:
    """Whether the OCSP response ``der`` is signed for the issuer whose SPKI DER is given."""
    try:
        issuer_key = serialization.load_der_public_key(issuer_spki)
        response = ocsp.load_der_ocsp_response(der)
        if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            return False
        verdict = _response_signed(response, issuer_key)
        if verdict is not False:
            return verdict
        unsure = False
        for cert in response.certificates:
            issued = _certificate_signed(cert, issuer_key)
            if issued is None:
                unsure = True
                continue
            if not issued or not _ocsp_signer(cert):
                continue
            by_responder = _response_signed(response, cert.public_key())
            if by_responder is True:
                return True
            unsure = unsure or by_responder is None
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return None if unsure else False
