"""Where a certificate's revocation status can be asked, and the OCSP request that asks it.

What a certificate declares (RFC 5280 §4.2.1.13 CRL distribution points and
freshest CRL, §4.2.2.1 authority information access) and the OCSP request for it
(RFC 6960 §4.1), read from asn1crypto certificates. Only ``http`` and ``https``
locations are fetched: LDAP and directory names are not reachable here.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["crl_urls", "declared_revinfo", "ocsp_request", "ocsp_urls"]

_FETCHABLE = ("http://", "https://")


def declared_revinfo(cert: Any) -> tuple[bool, bool]:
    """(names a CRL distribution point, names an OCSP responder of any kind).

    Any OCSP access description counts, also one that cannot be fetched (an LDAP or
    directory-name location): the certificate still declares its status is published.
    """
    aia = cert.authority_information_access_value
    has_ocsp = aia is not None and any(entry["access_method"].native == "ocsp" for entry in aia)
    return cert.crl_distribution_points_value is not None, has_ocsp


def ocsp_urls(cert: Any) -> list[str]:
    """The http(s) OCSP responder URLs of the certificate's authority information access."""
    aia = cert.authority_information_access_value
    if aia is None:
        return []
    urls: list[str] = []
    for entry in aia:
        if entry["access_method"].native != "ocsp":
            continue
        location = entry["access_location"]
        if location.name != "uniform_resource_identifier":
            continue
        url = location.native
        if isinstance(url, str) and url.lower().startswith(_FETCHABLE) and url not in urls:
            urls.append(url)
    return urls


def crl_urls(cert: Any, *, deltas: bool = True) -> list[str]:
    """The http(s) URLs of the certificate's CRL distribution points (and freshest CRL).

    Relative distribution point names (RFC 5280 §4.2.1.13 nameRelativeToCRLIssuer)
    name a directory entry, not a URL, and are passed over.
    """
    points = list(cert.crl_distribution_points)
    if deltas:
        points.extend(cert.delta_crl_distribution_points)
    urls: list[str] = []
    for point in points:
        name = point["distribution_point"]
        if name.name != "full_name":
            continue
        for general_name in name.chosen:
            if general_name.name != "uniform_resource_identifier":
                continue
            url = general_name.native
            if isinstance(url, str) and url.lower().startswith(_FETCHABLE) and url not in urls:
                urls.append(url)
    return urls


def ocsp_request(cert: Any, issuer_name: Any, issuer_key: Any, *, nonce: bool) -> Any:
    """An OCSPRequest (asn1crypto) for ``cert``: one CertID with SHA-1, as RFC 5019 §2.1.1 asks.

    ``issuer_name`` and ``issuer_key`` are the issuing CA's subject Name and
    PublicKeyInfo (asn1crypto). ``nonce``: a 16-octet RFC 8954 nonce extension.
    """
    from asn1crypto import algos, core, ocsp

    cert_id = ocsp.CertId(
        {
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha1"}),
            "issuer_name_hash": issuer_name.sha1,
            "issuer_key_hash": issuer_key.sha1,
            "serial_number": cert.serial_number,
        }
    )
    tbs = ocsp.TBSRequest({"request_list": ocsp.Requests([ocsp.Request({"req_cert": cert_id})])})
    if nonce:
        tbs["request_extensions"] = ocsp.TBSRequestExtensions(
            [
                ocsp.TBSRequestExtension(
                    {
                        "extn_id": "nonce",
                        "critical": False,
                        "extn_value": core.OctetString(os.urandom(16)),
                    }
                )
            ]
        )
    return ocsp.OCSPRequest({"tbs_request": tbs})
