"""A catalogue of the real Bay Area root CAs: names, SHA-256 fingerprints and sources.

Nothing here is trusted by default. A relying party opts in by name
(``TrustStore.from_catalogue(...)``, :func:`bayident.schemes.trust_store_from_catalogue`), and only roots
whose certificate is shipped can be loaded: a certificate is shipped only when two
independent public sources give the same fingerprint. Other roots are listed with
what the record says (a fingerprint from one source, or none) so that a caller who
obtains the certificate elsewhere knows what to compare it with.

The catalogue also pins names: a trust anchor whose common name is that of a
catalogued root with a confirmed fingerprint, but whose fingerprint differs, is not
that root (:func:`impersonated_root`). Scheme adapters that recognise certificates by
CA name refuse such anchors. See ``docs/schemes/roots.md``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from .._exceptions import InvalidArgument

if TYPE_CHECKING:
    from cryptography import x509

__all__ = [
    "ROOT_CATALOGUE",
    "CatalogueRoot",
    "catalogue_certificate",
    "catalogue_root",
    "impersonated_root",
    "pinned_fingerprint",
]

_MOZILLA = "Mozilla's root store, as packaged by certifi 2026.10.19"
_NSS_343 = "NSS 3.43 release notes (Mozilla), 'added CA certificates' with SHA-256 fingerprints"
_360 = (
    "a public tool's list of the roots of the 360 browser CA programme (caprogram.360.cn), "
    "with SHA-256 fingerprints"
)
_DEBIAN = "Mozilla's root store as packaged by Debian ca-certificates 20230311"
_PANOS = "Palo Alto PAN-OS default root list review (public), listing expired roots by SHA-256"
_DPO = (
    "Digital Policy Office, 'Mutual Recognition of Electronic Signature Certificates' "
    "trust-list page (names Hongkong Post Root CA 2 and e-Cert CA 2 - 15)"
)
_ESIGNTRUST = "eSignTrust Certification Practice Statement CTT-SC-CPS-EN-2019-02 v5.0"


@dataclass(frozen=True)
class CatalogueRoot:
    """One real root CA of the Bay Area schemes.

    ``sha256`` is the fingerprint (lowercase hex) when a public source gives one;
    ``confirmed`` says a second, independent source gives the same value, and only then
    is the certificate shipped (``has_certificate``) and the name pinned.
    """

    name: str
    operator: str
    jurisdiction: str
    algorithm: str
    sha256: str | None
    confirmed: bool
    sources: tuple[str, ...]
    not_after: _dt.date | None = None
    note: str = ""

    @property
    def has_certificate(self) -> bool:
        """Whether the catalogue ships this root's certificate."""
        from ._roots_data import PEMS

        return self.confirmed and self.name in PEMS


#: The catalogue, Hong Kong first, then Guangdong / Mainland, then Macau.
ROOT_CATALOGUE: Final[tuple[CatalogueRoot, ...]] = (
    CatalogueRoot(
        name="Hongkong Post Root CA 1",
        operator="Hongkong Post (Postmaster General, recognised CA under Cap. 553)",
        jurisdiction="HK",
        algorithm="RSA",
        sha256="f9e67d336c51002ac054c632022d66dda2e7e3fff10ad061ed31d8bbb410cfb2",
        confirmed=True,
        sources=(_DEBIAN, _PANOS),
        not_after=_dt.date(2023, 5, 15),
        note="expired on 15 May 2023; for validating older signatures (e-Cert CA 1 - 10)",
    ),
    CatalogueRoot(
        name="Hongkong Post Root CA 2",
        operator="Hongkong Post",
        jurisdiction="HK",
        algorithm="RSA",
        sha256=None,
        confirmed=False,
        sources=(_DPO,),
        note="root of the mutual-recognition e-Cert CA 2 - 15; not in Mozilla's store, no "
        "fingerprint found in two public sources: obtain it from Hongkong Post",
    ),
    CatalogueRoot(
        name="Hongkong Post Root CA 3",
        operator="Hongkong Post",
        jurisdiction="HK",
        algorithm="RSA",
        sha256="5a2fc03f0c83b090bbfa40604b0988446c7636183df9846e17101a447fb8efd6",
        confirmed=True,
        sources=(_MOZILLA, _NSS_343),
        not_after=_dt.date(2042, 6, 3),
    ),
    CatalogueRoot(
        name="GDCA TrustAUTH R5 ROOT",
        operator="GDCA (数安时代, Global Digital Cybersecurity Authority); OID arc 1.2.156.112559",
        jurisdiction="CN-GD",
        algorithm="RSA-4096",
        sha256="bfff8fd04433487d6a8aa60c1a29767a9fc2bbb05e420f713a13b992891d3893",
        confirmed=True,
        sources=(_MOZILLA, _360),
        not_after=_dt.date(2040, 12, 31),
    ),
    CatalogueRoot(
        name="GDCA TrustAUTH E5 ROOT",
        operator="GDCA",
        jurisdiction="CN-GD",
        algorithm="ECC",
        sha256="ea152fd132de4f4e71930a9760517a81dacbbb5f1014d8bd7782ac0cc37e9431",
        confirmed=False,
        sources=(_360,),
        note="fingerprint from one source only: certificate not shipped, name not pinned",
    ),
    CatalogueRoot(
        name="ROOTCA",
        operator="NRCAC (national SM2 root CA, OSCCA)",
        jurisdiction="CN",
        algorithm="SM2",
        sha256=None,
        confirmed=False,
        sources=("public record of the national SM2 root: CN=ROOTCA, O=NRCAC",),
        note="no fingerprint found in a public source reachable here",
    ),
    CatalogueRoot(
        name="Macao Post eSignTrust Root Certification Authority",
        operator="eSignTrust (Macao Post and Telecommunications)",
        jurisdiction="MO",
        algorithm="RSA",
        sha256=None,
        confirmed=False,
        sources=(_ESIGNTRUST,),
    ),
    CatalogueRoot(
        name="Macao Post eSignTrust Root Certification Authority (G02)",
        operator="eSignTrust (Macao Post and Telecommunications)",
        jurisdiction="MO",
        algorithm="RSA",
        sha256=None,
        confirmed=False,
        sources=(_ESIGNTRUST,),
    ),
    CatalogueRoot(
        name="eSignTrust Root Certification Authority (G03)",
        operator="eSignTrust (Macao Post and Telecommunications)",
        jurisdiction="MO",
        algorithm="RSA",
        sha256=None,
        confirmed=False,
        sources=(_ESIGNTRUST,),
    ),
)

_BY_NAME = {r.name.casefold(): r for r in ROOT_CATALOGUE}


def catalogue_root(name: str) -> CatalogueRoot:
    """The catalogued root of this common name (case-insensitive).

    :raises InvalidArgument: no root of that name is catalogued.
    """
    root = _BY_NAME.get(name.casefold()) if isinstance(name, str) else None
    if root is None:
        raise InvalidArgument(
            f"no catalogued root named {name!r}; known: {', '.join(r.name for r in ROOT_CATALOGUE)}"
        )
    return root


def pinned_fingerprint(name: str) -> str | None:
    """The confirmed SHA-256 fingerprint of a catalogued root of this name, if any."""
    root = _BY_NAME.get(name.casefold())
    return root.sha256 if root is not None and root.confirmed else None


def catalogue_certificate(name: str) -> tuple[CatalogueRoot, x509.Certificate, bytes]:
    """The shipped certificate of a catalogued root (and its DER), checked against its
    fingerprint. :class:`~bayident.TrustStore` builds trust anchors from it.

    :raises InvalidArgument: an unknown name, or a root whose certificate is not shipped
        (its fingerprint lacks a second source).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from ._roots_data import PEMS

    root = catalogue_root(name)
    if not root.has_certificate:
        raise InvalidArgument(
            f"the catalogue does not ship '{root.name}': "
            + (root.note or "its fingerprint is not confirmed by two public sources")
            + "; load the certificate yourself and compare its fingerprint"
        )
    cert = x509.load_pem_x509_certificate(PEMS[root.name].encode("ascii"))
    der = cert.public_bytes(Encoding.DER)
    if hashlib.sha256(der).hexdigest() != root.sha256:  # pragma: no cover - data integrity
        raise InvalidArgument(f"the shipped '{root.name}' does not match its fingerprint")
    return root, cert, der


def impersonated_root(certificate: x509.Certificate, fingerprint: str) -> str | None:
    """Why an anchor is not the catalogued root whose name it bears, or None.

    ``fingerprint`` is the anchor's SHA-256 (hex). Only roots with a confirmed
    fingerprint are pinned.
    """
    from cryptography.x509.oid import NameOID

    try:
        cns = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return None
    for attr in cns:
        value = attr.value if isinstance(attr.value, str) else ""
        pinned = pinned_fingerprint(value)
        if pinned is not None and fingerprint.lower() != pinned:
            return (
                f"the anchor is named '{value}' but its SHA-256 fingerprint {fingerprint[:16]}… "
                f"is not the catalogued {pinned[:16]}… of the real root"
            )
    return None
