"""Builders for unusual and hostile evidence: SignedData piece by piece, attributes,
revocation values, merged JWS signatures, hostile trusted lists and damaged OFD seals.

Most tests need only what :mod:`bayident.testing` exports at the top (CAs, signers, the
clock, the mock servers and the pytest fixtures). Reach for these when a test must make
evidence no honest signer would: attributes out of order, a wrong message digest, a second
signature grafted on, an XML list with a DOCTYPE::

    from bayident.testing.hostile import SignerSpec, build_signed_data, signing_time_attribute

The names were exported from :mod:`bayident.testing` before this module existed and still
resolve there, so older tests keep working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from bayident.testing._cms import (
        Attribute,
        SignerSpec,
        SigningKey,
        build_signed_data,
        content_type_attribute,
        message_digest_attribute,
        signing_certificate_v1_attribute,
        signing_certificate_v2_attribute,
        signing_time_attribute,
    )
    from bayident.testing._jwt import merge_signatures
    from bayident.testing._ofd import OFD_FAULTS, SEAL_FAULTS
    from bayident.testing._revocation import (
        add_unsigned_attribute,
        ocsp_revocation_choice,
        revocation_values_attribute,
    )
    from bayident.testing._trustlist import hostile_etsi_xml

NAMES = {
    "Attribute": "bayident.testing._cms",
    "SignerSpec": "bayident.testing._cms",
    "SigningKey": "bayident.testing._cms",
    "build_signed_data": "bayident.testing._cms",
    "content_type_attribute": "bayident.testing._cms",
    "message_digest_attribute": "bayident.testing._cms",
    "signing_certificate_v1_attribute": "bayident.testing._cms",
    "signing_certificate_v2_attribute": "bayident.testing._cms",
    "signing_time_attribute": "bayident.testing._cms",
    "merge_signatures": "bayident.testing._jwt",
    "OFD_FAULTS": "bayident.testing._ofd",
    "SEAL_FAULTS": "bayident.testing._ofd",
    "add_unsigned_attribute": "bayident.testing._revocation",
    "ocsp_revocation_choice": "bayident.testing._revocation",
    "revocation_values_attribute": "bayident.testing._revocation",
    "hostile_etsi_xml": "bayident.testing._trustlist",
}
__getattr__, __dir__ = lazy_attributes(__name__, NAMES, globals())

__all__ = [
    "OFD_FAULTS",
    "SEAL_FAULTS",
    "Attribute",
    "SignerSpec",
    "SigningKey",
    "add_unsigned_attribute",
    "build_signed_data",
    "content_type_attribute",
    "hostile_etsi_xml",
    "merge_signatures",
    "message_digest_attribute",
    "ocsp_revocation_choice",
    "revocation_values_attribute",
    "signing_certificate_v1_attribute",
    "signing_certificate_v2_attribute",
    "signing_time_attribute",
]
