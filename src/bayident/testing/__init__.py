"""Mock issuers and signature builders for testing code that uses bayident.

As light as trustme: a :class:`MockCA` issues sub-CAs and :class:`MockSigner` certificates,
a signer makes detached CMS signatures, and :func:`build_signed_data` with
:class:`SignerSpec` builds any SignedData, including hostile ones::

    from bayident.testing import MockCA, MockClock

    clock = MockClock(datetime(2026, 1, 1, tzinfo=UTC))
    root = MockCA("Sandbox Hong Kong Root CA", clock=clock)
    signer = root.create_child_ca("Sandbox e-Cert CA").issue_signer("CHAN Tai Man")
    cms = signer.sign_detached_cms(b"content")

SM2 (Guangdong) PKIs and GB/T 35275 signatures come from :class:`MockSM2CA`, which needs
the ``sm`` extra.

The pytest fixtures ``bayident_clock``, ``bayident_ca``, ``bayident_intermediate_ca`` and
``bayident_signer`` come from :mod:`bayident.testing._plugin`.
"""

from __future__ import annotations

from bayident.testing._ca import KeyType, MockCA, MockSigner
from bayident.testing._clock import Clock, MockClock
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
from bayident.testing._jwt import IssuerKeyType, JWKSServer, MockJWTIssuer, merge_signatures
from bayident.testing._sm2 import MockSM2CA, MockSM2Signer, issue_sm2_ca, issue_sm2_signer

__all__ = [
    "Attribute",
    "Clock",
    "IssuerKeyType",
    "JWKSServer",
    "KeyType",
    "MockCA",
    "MockClock",
    "MockJWTIssuer",
    "MockSM2CA",
    "MockSM2Signer",
    "MockSigner",
    "SignerSpec",
    "SigningKey",
    "build_signed_data",
    "content_type_attribute",
    "issue_sm2_ca",
    "issue_sm2_signer",
    "merge_signatures",
    "message_digest_attribute",
    "signing_certificate_v1_attribute",
    "signing_certificate_v2_attribute",
    "signing_time_attribute",
]
