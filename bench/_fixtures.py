"""Certificates, signatures and content files for the benchmarks.

Everything is made fresh on each run with :mod:`bayident.testing`, so no key or
certificate is stored in the repository and every run signs with new keys.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives.asymmetric import rsa

from bayident.testing import MockCA, MockSigner, build_signed_data

__all__ = [
    "BareSignature",
    "Pki",
    "bare_signature",
    "fresh_signers",
    "make_pki",
    "sign_digest",
    "write_content_file",
]

MIB = 1 << 20


@dataclass(frozen=True)
class Pki:
    """root → intermediate → signer, every key RSA-2048."""

    root: MockCA
    intermediate: MockCA
    signer: MockSigner


@dataclass(frozen=True)
class BareSignature:
    """What the bare-limit comparison needs, extracted once from a CMS signature."""

    signed_attributes: bytes  # DER of signedAttrs re-tagged as SET OF, as signed (RFC 5652 §5.4)
    signature: bytes
    message_digest: bytes


def make_pki() -> Pki:
    """A three-certificate RSA-2048 hierarchy; the signer may sign and commit to content."""
    root = MockCA("Bench Root CA", key_type="rsa", key_size=2048)
    intermediate = root.create_child_ca("Bench Issuing CA", key_type="rsa", path_length=0)
    signer = intermediate.issue_signer("Bench Signer", key_type="rsa", key_size=2048)
    return Pki(root, intermediate, signer)


def _rsa_key(_: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def fresh_signers(issuer: MockCA, count: int) -> list[MockSigner]:
    """*count* signers with distinct RSA-2048 keys and certificates, all issued by *issuer*."""
    # Key generation dominates set-up time and releases the GIL, so use every core.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        keys = list(pool.map(_rsa_key, range(count)))
    return [
        issuer.issue_signer(f"Bench Signer {i:04d}", key_type="rsa", private_key=key)
        for i, key in enumerate(keys)
    ]


def sign_digest(signer: MockSigner, sha256_digest: bytes) -> bytes:
    """A detached CMS signature (signed attributes, chain included) over a pre-hashed content."""
    spec = signer.signer_spec(
        digest="sha256", content_digest=sha256_digest, signing_time=datetime.now(UTC)
    )
    return build_signed_data(None, [spec], certificates=signer.chain, detached=True)


def bare_signature(cms_der: bytes) -> BareSignature:
    """Pull out the signed-attributes DER, signature and message-digest of the first signer."""
    content_info: Any = asn1_cms.ContentInfo.load(cms_der)
    signer_info = content_info["content"]["signer_infos"][0]
    attrs = signer_info["signed_attrs"]
    # signedAttrs is [0] IMPLICIT in SignerInfo but signed as a SET OF (tag 0x31).
    encoded: bytes = attrs.dump()
    message_digest = b""
    for attr in attrs:
        if attr["type"].native == "message_digest":
            message_digest = attr["values"][0].native
    if not message_digest:
        raise ValueError("the signature has no message-digest attribute")
    return BareSignature(
        signed_attributes=b"\x31" + encoded[1:],
        signature=signer_info["signature"].native,
        message_digest=message_digest,
    )


def write_content_file(path: Path, size: int) -> bytes:
    """Write *size* bytes (one random MiB repeated, so no sparse blocks); return its SHA-256."""
    if size % MIB:
        raise ValueError("size must be a whole number of MiB")
    block = os.urandom(MIB)
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        for _ in range(size // MIB):
            fh.write(block)
            digest.update(block)
        fh.flush()
        os.fsync(fh.fileno())
    return digest.digest()
