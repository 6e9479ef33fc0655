"""SM2 in bayident's algorithm registry: the key loader and the SM3withSM2 mechanism.

Listed in the algorithm table of :mod:`bayident._algorithms`. Nothing here imports
``tongsuopy``: keys load with the core install, and the backend is only asked for when a
signature is checked. Without the ``sm`` extra a check raises an ``unsupported``
:class:`~bayident._algorithms.AlgorithmError`, which the verifier reports as
INDETERMINATE / CRYPTO_CONSTRAINTS_FAILURE naming ``pip install 'bayident[sm]'``.

What the mechanism is given to verify. SM2 signs e = SM3(Z_A ‖ M) (GB/T 32918.2 §6.1),
and Z_A depends on the public key and the signer ID, so a plain SM3 digest of the
content is of no use to it: the mechanism declares ``supports_prehash=False`` and always
receives M itself. With signed attributes (the usual CMS case) M is the DER of the
attributes, a few hundred bytes; without them M is the whole content, which the verifier
reads into memory up to ``Policy.max_in_memory_content_bytes`` and reports
SIGNED_DATA_NOT_FOUND beyond that. Streaming M through an :func:`~bayident.sm.sm2_hasher`
would lift that limit, but the verifier hashes content before it knows the keys and the
case (SM2 without signed attributes over very large content) is rare, so it is left for
when someone needs it.
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature

from bayident._algtypes import (
    AlgorithmError,
    NonStandardSignature,
    SignatureMechanism,
    describe_key,
)
from bayident.sm._backend import SMBackendUnavailable
from bayident.sm._sm2 import (
    DEFAULT_SM2_ID,
    SM2Failure,
    SM2KeyError,
    SM2PublicKey,
    SM2SignatureError,
    SM2Variant,
    sm2_verify_variants,
)

__all__ = [
    "OID_SM2_SIGN",
    "OID_SM3_WITH_SM2",
    "SM2_MECHANISM",
    "VARIANT_NAMES",
    "load_sm2_spki",
    "verify_sm2",
]

#: SM3withSM2 (GM/T 0006, GM/T 0015 certificates; also used in CMS).
OID_SM3_WITH_SM2 = "1.2.156.10197.1.501"
#: SM2 signature algorithm (sm2-1) as GM/T 0010 and GB/T 35275 use it in SignerInfo.
OID_SM2_SIGN = "1.2.156.10197.1.301.1"

#: Policy names (``Policy.sm2_accepted_variants``) of the non-standard derivations of e.
VARIANT_NAMES: dict[SM2Variant, str] = {
    SM2Variant.RAW_DIGEST: "raw-digest",
    SM2Variant.Z_PLUS_SM3_OF_MESSAGE: "z-plus-sm3-of-message",
}
_VARIANT_FORMULAS: dict[SM2Variant, str] = {
    SM2Variant.RAW_DIGEST: "SM3(M), without Z_A",
    SM2Variant.Z_PLUS_SM3_OF_MESSAGE: "SM3(Z‖SM3(M))",
}

# DER of the sm2p256v1 curve OID: only SPKIs holding it are worth parsing as SM2.
_SM2_CURVE_DER = bytes.fromhex("06082a811ccf5501822d")
# OpenSSL 3 signs with an empty signer ID unless told otherwise (-sigopt distid:...).
_DIAGNOSTIC_IDS = (DEFAULT_SM2_ID, b"")


def load_sm2_spki(spki_der: bytes) -> SM2PublicKey | None:
    """An SM2 public key from SubjectPublicKeyInfo DER, or ``None`` if it is not an SM2 key.

    Raises :class:`AlgorithmError` naming the field at fault for an SM2 SPKI that is
    malformed or whose point is not on the curve.
    """
    if _SM2_CURVE_DER not in spki_der:
        return None
    try:
        return SM2PublicKey.from_spki_der(spki_der)
    except SM2KeyError as exc:
        raise AlgorithmError(f"SM2 public key is not usable: {exc}") from None


def _id_text(signer_id: bytes) -> str:
    if not signer_id:
        return "'' (empty)"
    return repr(signer_id.decode("ascii", "backslashreplace"))


def verify_sm2(
    key: Any,
    signature: bytes,
    data: bytes,
    *,
    signer_id: bytes = DEFAULT_SM2_ID,
    accepted: frozenset[str] = frozenset(),
) -> None:
    """Check an SM2 signature (strict DER) over the message ``data``.

    Returns for a GB/T 32918.2 signature with ``signer_id``. Otherwise raises
    :class:`NonStandardSignature` when it verifies only as a known variant (``accepted``
    holds the variant names the caller accepts) or only with another well-known signer
    ID, :class:`InvalidSignature` when it does not verify, and :class:`AlgorithmError`
    for a malformed or out-of-range signature, a key that is not SM2, or a missing backend.
    """
    if not isinstance(key, SM2PublicKey):
        raise AlgorithmError(
            f"signature algorithm needs an SM2 key but the certificate holds {describe_key(key)}"
        )
    try:
        variant = sm2_verify_variants(key, signature, data, signer_id=signer_id, encoding="der")
    except SMBackendUnavailable as exc:
        # The message names the extra to install: pip install 'bayident[sm]'.
        raise AlgorithmError(str(exc), unsupported=True) from None
    except SM2SignatureError as exc:
        if exc.failure is not SM2Failure.MISMATCH:
            hint = ""
            if len(signature) == 64 and signature[:1] != b"\x30":
                hint = " (64 bytes: raw r‖s, but GM/T 0009 and GB/T 35275 require DER)"
            raise AlgorithmError(f"SM2 {exc}{hint}") from None
        _other_id(key, signature, data, signer_id)
        raise _invalid(signer_id) from None
    if variant is SM2Variant.STANDARD:
        return
    name = VARIANT_NAMES[variant]
    formula = _VARIANT_FORMULAS[variant]
    if name in accepted:
        raise NonStandardSignature(
            name,
            f"verifies only as the non-standard SM2 variant {name} ({formula}), which "
            "Policy.sm2_accepted_variants accepts",
            accepted=True,
        )
    raise NonStandardSignature(
        name,
        f"verifies only as the non-standard variant {name} ({formula}); "
        "Policy.sm2_accepted_variants does not accept it",
    )


def _invalid(signer_id: bytes) -> InvalidSignature:
    return InvalidSignature(
        f"the SM2 signature does not verify over SM3(Z_A ‖ M) with signer ID "
        f"{_id_text(signer_id)}, nor as a known non-standard variant"
    )


def _other_id(key: SM2PublicKey, signature: bytes, data: bytes, signer_id: bytes) -> None:
    """Raise NonStandardSignature when the signature verifies with another well-known ID."""
    for other in _DIAGNOSTIC_IDS:
        if other == signer_id:
            continue
        try:
            sm2_verify_variants(
                key,
                signature,
                data,
                signer_id=other,
                encoding="der",
                variants=(SM2Variant.STANDARD,),
            )
        except SM2SignatureError:
            continue
        raise NonStandardSignature(
            "other-signer-id",
            f"verifies only with SM2 signer ID {_id_text(other)}, not with {_id_text(signer_id)}"
            "; set Policy.sm2_signer_id to the ID agreed with the signer",
        )


def _mechanism_verify(
    key: Any, sig: bytes, data: bytes, dg: str, params: bytes | None, pre: bool
) -> None:
    _verify(key, sig, data, dg, params, pre, None)


def _verify(
    key: Any, sig: bytes, data: bytes, dg: str, params: bytes | None, pre: bool, policy: Any
) -> None:
    if not isinstance(key, SM2PublicKey):
        raise AlgorithmError(
            f"signature algorithm needs an SM2 key but the certificate holds {describe_key(key)}"
        )
    # GM/T 0006: the SM2 algorithm identifiers take no parameters (NULL is tolerated,
    # as for RSA, because several encoders write it).
    if params not in (None, b"\x05\x00"):
        raise AlgorithmError("SM2 signature algorithms take no parameters")
    if dg != "sm3":
        raise AlgorithmError(f"SM2 signatures use SM3, not {dg}")
    if pre:
        raise AlgorithmError(
            "SM2 signs SM3(Z_A ‖ M), which depends on the key: a digest of M alone cannot be "
            "verified"
        )
    if policy is None:
        verify_sm2(key, sig, data)
        return
    # Read from the policy each time: beside an SM2 verification, it costs nothing.
    verify_sm2(
        key,
        sig,
        data,
        signer_id=policy.sm2_signer_id.encode("ascii"),
        accepted=frozenset(policy.sm2_accepted_variants),
    )


#: The SM2 signature mechanism, for both SM2 signature OIDs.
SM2_MECHANISM = SignatureMechanism(
    name="sm2",
    fixed_digest="sm3",
    supports_prehash=False,
    verify=_mechanism_verify,
    key_type="SM2",
    verify_with_policy=_verify,
)
