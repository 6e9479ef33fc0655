"""Writing ETSI TS 119 612 lists from the model, signed (enveloped XAdES) with signxml."""

from __future__ import annotations

import base64
import datetime as _dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from lxml import etree

from .._exceptions import InvalidArgument
from ._document import TrustListError
from ._etsi_xml import ADD_NS, DS_NS, ECC_NS, TSL_NS, XADES_NS
from ._model import (
    CriteriaList,
    DigitalIdentity,
    Qualification,
    SignatureStatus,
    TrustedList,
)

__all__ = ["to_etsi_xml", "unsigned_etsi_xml"]

_NSMAP = {None: TSL_NS, "ds": DS_NS, "tslx": ADD_NS, "ecc": ECC_NS, "xades": XADES_NS}
_TSL_TAG = "http://uri.etsi.org/19612/TSLTag"


def _e(parent: Any, tag: str, text: str | None = None, ns: str = TSL_NS, **attrs: str) -> Any:
    el = etree.SubElement(parent, f"{{{ns}}}{tag}", **attrs)
    if text is not None:
        el.text = text
    return el


def _time(when: _dt.datetime) -> str:
    return when.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _names(parent: Any, name: str, value: str) -> None:
    holder = _e(parent, name)
    _e(holder, "Name", value, **{"{http://www.w3.org/XML/1998/namespace}lang": "en"})


def _uris(parent: Any, name: str, values: tuple[str, ...]) -> None:
    if not values:
        return
    holder = _e(parent, name)
    for v in values:
        _e(holder, "URI", v, **{"{http://www.w3.org/XML/1998/namespace}lang": "en"})


def _identity(parent: Any, ident: DigitalIdentity) -> None:
    sdi = _e(parent, "ServiceDigitalIdentity")
    for der in ident.certificates:
        _e(_e(sdi, "DigitalId"), "X509Certificate", base64.b64encode(der).decode())
    for name in ident.subject_names:
        _e(_e(sdi, "DigitalId"), "X509SubjectName", name)
    for ski in ident.skis:
        _e(_e(sdi, "DigitalId"), "X509SKI", base64.b64encode(ski).decode())


def _criteria(parent: Any, crit: CriteriaList) -> None:
    el = _e(parent, "CriteriaList", ns=ECC_NS)
    el.set("assert", crit.assert_)
    for bits in crit.key_usage:
        ku = _e(el, "KeyUsage", ns=ECC_NS)
        for name, value in bits:
            _e(ku, "KeyUsageBit", "true" if value else "false", ns=ECC_NS, name=name)
    for oids in crit.policy_sets:
        ps = _e(el, "PolicySet", ns=ECC_NS)
        for oid in oids:
            pid = _e(ps, "PolicyIdentifier", ns=ECC_NS)
            _e(pid, "Identifier", f"urn:oid:{oid}", ns=XADES_NS, Qualifier="OIDAsURN")
    for n in crit.nested:
        _criteria(el, n)
    if crit.description:
        _e(el, "Description", crit.description, ns=ECC_NS)
    if crit.extended_key_usages:
        other = _e(el, "otherCriteriaList", ns=ECC_NS)
        for oids in crit.extended_key_usages:
            eku = _e(other, "ExtendedKeyUsage", ns=ADD_NS)
            for oid in oids:
                kp = _e(eku, "KeyPurposeId", ns=ADD_NS)
                _e(kp, "Identifier", f"urn:oid:{oid}", ns=XADES_NS, Qualifier="OIDAsURN")


def _extensions(parent: Any, quals: tuple[Qualification, ...], extra: tuple[str, ...]) -> None:
    if not quals and not extra:
        return
    holder = _e(parent, "ServiceInformationExtensions")
    for uri in extra:
        asi = _e(_e(holder, "Extension", Critical="false"), "AdditionalServiceInformation")
        _e(asi, "URI", uri, **{"{http://www.w3.org/XML/1998/namespace}lang": "en"})
    if quals:
        q = _e(_e(holder, "Extension", Critical="true"), "Qualifications", ns=ECC_NS)
        for qual in quals:
            qe = _e(q, "QualificationElement", ns=ECC_NS)
            qs = _e(qe, "Qualifiers", ns=ECC_NS)
            for uri in qual.qualifiers:
                _e(qs, "Qualifier", ns=ECC_NS, uri=uri)
            _criteria(qe, qual.criteria)


def unsigned_etsi_xml(tl: TrustedList, *, list_id: str = "tsl-signed-list") -> Any:
    """The list as an unsigned ``TrustServiceStatusList`` element.

    Address elements are not in the model and are left out; everything the
    readers use is written.
    """
    root = etree.Element(f"{{{TSL_NS}}}TrustServiceStatusList", nsmap=_NSMAP)
    root.set("Id", list_id)
    root.set("TSLTag", _TSL_TAG)
    si = _e(root, "SchemeInformation")
    _e(si, "TSLVersionIdentifier", str(tl.version))
    _e(si, "TSLSequenceNumber", str(tl.sequence_number))
    _e(si, "TSLType", tl.tsl_type)
    _names(si, "SchemeOperatorName", tl.scheme_operator_name)
    _names(si, "SchemeName", tl.scheme_name or tl.scheme_operator_name)
    _uris(si, "SchemeInformationURI", tl.information_uris)
    if tl.status_determination_approach:
        _e(si, "StatusDeterminationApproach", tl.status_determination_approach)
    _uris(si, "SchemeTypeCommunityRules", tl.community_rules)
    _e(si, "SchemeTerritory", tl.territory)
    if tl.historical_information_period is not None:
        _e(si, "HistoricalInformationPeriod", str(tl.historical_information_period))
    if tl.pointers:
        holder = _e(si, "PointersToOtherTSL")
        for p in tl.pointers:
            ptr = _e(holder, "OtherTSLPointer")
            ids = _e(ptr, "ServiceDigitalIdentities")
            for der in p.signer_certificates:
                sdi = _e(ids, "ServiceDigitalIdentity")
                _e(_e(sdi, "DigitalId"), "X509Certificate", base64.b64encode(der).decode())
            _e(ptr, "TSLLocation", p.location)
            info = _e(ptr, "AdditionalInformation")
            if p.tsl_type:
                _e(_e(info, "OtherInformation"), "TSLType", p.tsl_type)
            if p.territory:
                _e(_e(info, "OtherInformation"), "SchemeTerritory", p.territory)
            if p.mime_type:
                _e(_e(info, "OtherInformation"), "MimeType", p.mime_type, ns=ADD_NS)
            if p.scheme_operator_name:
                _names(_e(info, "OtherInformation"), "SchemeOperatorName", p.scheme_operator_name)
    _e(si, "ListIssueDateTime", _time(tl.issue_date))
    nu = _e(si, "NextUpdate")
    if tl.next_update is not None:
        _e(nu, "dateTime", _time(tl.next_update))
    _uris(si, "DistributionPoints", tl.distribution_points)
    if tl.providers:
        tspl = _e(root, "TrustServiceProviderList")
        for prov in tl.providers:
            tsp = _e(tspl, "TrustServiceProvider")
            info = _e(tsp, "TSPInformation")
            _names(info, "TSPName", prov.name)
            if prov.trade_names:
                tn = _e(info, "TSPTradeName")
                for n in prov.trade_names:
                    _e(tn, "Name", n, **{"{http://www.w3.org/XML/1998/namespace}lang": "en"})
            _uris(info, "TSPInformationURI", prov.information_uris)
            svcs = _e(tsp, "TSPServices")
            for s in prov.services:
                svc = _e(svcs, "TSPService")
                si2 = _e(svc, "ServiceInformation")
                _e(si2, "ServiceTypeIdentifier", s.service_type)
                _names(si2, "ServiceName", s.name)
                _identity(si2, s.identity)
                _e(si2, "ServiceStatus", s.status)
                _e(si2, "StatusStartingTime", _time(s.status_starting_time))
                if s.supply_points:
                    sp = _e(si2, "ServiceSupplyPoints")
                    for point in s.supply_points:
                        _e(sp, "ServiceSupplyPoint", point)
                _extensions(si2, s.qualifications, s.additional_information)
                if s.history:
                    hist = _e(svc, "ServiceHistory")
                    for h in s.history:
                        hi = _e(hist, "ServiceHistoryInstance")
                        _e(hi, "ServiceTypeIdentifier", h.service_type)
                        _names(hi, "ServiceName", h.name)
                        _identity(hi, h.identity)
                        _e(hi, "ServiceStatus", h.status)
                        _e(hi, "StatusStartingTime", _time(h.status_starting_time))
                        _extensions(hi, h.qualifications, h.additional_information)
    return root


def to_etsi_xml(
    tl: TrustedList,
    signing_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    *,
    chain: list[x509.Certificate] | None = None,
    xades: bool = True,
) -> bytes:
    """The list as ETSI TS 119 612 XML with an enveloped signature by ``signing_key``.

    The signature is XAdES-BES (signxml's ``XAdESSigner``) unless ``xades`` is
    false; RSA keys sign with RSA-SHA256, EC keys with ECDSA-SHA256 (P-256) or
    ECDSA-SHA384. ``cert`` (then ``chain``) goes into ``KeyInfo``.
    """
    from signxml.algorithms import DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
    from signxml.signer import XMLSigner
    from signxml.xades.xades import XAdESSigner

    if isinstance(signing_key, rsa.RSAPrivateKey):
        alg = SignatureMethod.RSA_SHA256
    elif isinstance(signing_key, ec.EllipticCurvePrivateKey):
        alg = (
            SignatureMethod.ECDSA_SHA384
            if signing_key.curve.key_size > 256
            else SignatureMethod.ECDSA_SHA256
        )
    else:
        raise InvalidArgument(
            f"signing_key must be an RSA or EC private key, not {type(signing_key).__name__}"
        )
    if not isinstance(cert, x509.Certificate):
        raise InvalidArgument(f"cert must be an x509.Certificate, not {type(cert).__name__}")
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if cert.public_key().public_bytes(*spki) != signing_key.public_key().public_bytes(*spki):
        raise InvalidArgument("cert does not hold the public key of signing_key")
    if not tl.territory:
        raise TrustListError(
            "a list needs a territory (SchemeTerritory)",
            status=SignatureStatus.MALFORMED,
            field="territory",
        )
    root = unsigned_etsi_xml(tl)
    cls = XAdESSigner if xades else XMLSigner
    signer = cls(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=alg,
        digest_algorithm=DigestAlgorithm.SHA256,
        # Inclusive C14N 1.1: signxml digests XAdES SignedProperties with the signer's
        # method but reads them back, having no Transforms element, with C14N 1.1.
        c14n_algorithm="http://www.w3.org/2006/12/xml-c14n11",
    )
    signed = signer.sign(root, key=signing_key, cert=[cert, *(chain or [])])
    out: bytes = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    return out
