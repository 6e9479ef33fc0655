"""Reading ETSI TS 119 612 trusted lists: hardened parsing and the enveloped signature.

Order of work, each step able to stop with a precise status:

1. size limit, refusal of any DOCTYPE, then XML node and depth limits (``_xmllimits.py``);
2. parsing with a parser that resolves nothing and fetches nothing;
3. the root must be ``tsl:TrustServiceStatusList`` and the only one in the document;
4. exactly one ``ds:Signature``, a direct child of the root, whose references are
   one covering the root (URI ``""`` or ``#`` + the root's ``Id``) and others
   pointing inside the signature itself (XAdES ``SignedProperties``, ``KeyInfo``);
5. the cryptographic check by signxml with the certificate in ``KeyInfo``,
   its validity period ignored (signers of archived lists have expired);
6. the content is read from what signxml returns as signed, never from the
   original tree, so nothing unsigned can leak into the model;
7. the KeyInfo certificate is reported as the signer only when the signed XAdES
   ``SigningCertificate(V2)`` names it (``_xades.py``); otherwise the key only.

Steps 4 and 5 live in ``_etsi_sig.py``; what both share (namespaces, the hardened parser,
the exception carrying a status) in ``_etsi_xml.py``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Collection
from typing import Any

from cryptography import x509
from lxml import etree

from .._exceptions import InvalidArgument
from ._document import DEFAULT_MAX_LIST_BYTES, TrustListDocument, document_for
from ._etsi_sig import check_signature
from ._etsi_xml import (
    _S,
    _TSSL,
    ADD_NS,
    DS_NS,
    ECC_NS,
    TSL_NS,
    XADES_NS,
    _b64,
    _Stop,
    _t,
    hardened_parser,
)
from ._model import (
    CriteriaList,
    DigitalIdentity,
    OtherTSLPointer,
    Qualification,
    ServiceHistoryEntry,
    SignatureStatus,
    TrustedList,
    TrustService,
    TrustServiceProvider,
)
from ._xades import BindingError, SignerBinding, check_signer_binding
from ._xmllimits import XmlLimitExceeded, XmlLimits, parse_within_limits

__all__ = [
    "ADD_NS",
    "DS_NS",
    "ECC_NS",
    "SUPPORTED_VERSIONS",
    "TSL_NS",
    "XADES_NS",
    "hardened_parser",
    "read_etsi_xml",
]

#: TSLVersionIdentifier values read: 5 (TS 119 612 v2) and 6 (v3) are current; 3 (TS 102 231
#: v3) and 4 (TS 119 612 v1) share the layout and are still met in archives and national lists.
SUPPORTED_VERSIONS: frozenset[int] = frozenset({3, 4, 5, 6})


def read_etsi_xml(
    data: bytes,
    *,
    source: str = "trusted list",
    max_bytes: int = DEFAULT_MAX_LIST_BYTES,
    versions: Collection[int] = SUPPORTED_VERSIONS,
    limits: XmlLimits | None = None,
) -> TrustListDocument:
    """Read an ETSI TS 119 612 list and check its integrity; never raises for bad input.

    ``limits`` bound the XML nodes and depth before any tree is built (default:
    those of the default :class:`bayident.Policy`).

    The result's ``status`` is ``valid`` when the enveloped signature verifies
    with the certificate in its own ``KeyInfo`` (validity period ignored) and
    the content was understood; otherwise ``invalid``, ``missing``,
    ``unsupported`` or ``malformed`` with the reason and the field at fault.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidArgument(f"data must be bytes, not {type(data).__name__}")
    raw = bytes(data)
    digest = hashlib.sha256(raw).hexdigest()

    def done(
        status: SignatureStatus,
        reason: str,
        field: str | None = None,
        signer: x509.Certificate | None = None,
        content: TrustedList | None = None,
        verified: bool = False,
        binding: SignerBinding | None = None,
        integrity: SignatureStatus | None = None,
    ) -> TrustListDocument:
        return document_for(
            source, digest, status, reason, field, signer, content, verified, binding, integrity
        )

    try:
        root = _parse(raw, max_bytes, limits or XmlLimits.from_policy(None))
    except _Stop as stop:
        return done(stop.status, stop.reason, stop.field)

    try:
        signer, signed_root, signed = check_signature(raw, root)
    except _Stop as stop:
        # Parse what can be parsed, for display only; the status already says it is not
        # valid, and the unverified KeyInfo certificate is never shown as the signer.
        try:
            shown: TrustedList | None = _read_list(root, _version(root, versions))
        except _Stop:
            shown = None
        return done(stop.status, stop.reason, stop.field, content=shown)
    try:
        binding = check_signer_binding(signed, signer)
    except BindingError as bad:
        return done(bad.status, bad.reason, bad.field, signer, verified=True)
    intact = f"the signature verifies with the KeyInfo {_who(signer, binding)}"
    try:
        content = _read_list(signed_root, _version(signed_root, versions))
    except _Stop as stop:
        # The integrity is known and reported apart from what stops the content being used.
        why = f"{intact}, but {stop.reason}"
        return done(stop.status, why, stop.field, signer, None, True, binding, _S.VALID)
    return done(_S.VALID, intact, None, signer, content, True, binding)


def _who(signer: x509.Certificate, binding: SignerBinding) -> str:
    if binding.kind == "certificate":
        return f"certificate '{signer.subject.rfc4514_string()}' ({binding.detail})"
    return f"key ({binding.detail})"


# --- parsing ----------------------------------------------------------------------------


def _parse(raw: bytes, max_bytes: int, limits: XmlLimits) -> Any:
    if len(raw) > max_bytes:
        raise _Stop(
            _S.MALFORMED,
            f"the list is {len(raw)} bytes, over the limit of {max_bytes} bytes",
            "document",
        )
    if not raw.strip():
        raise _Stop(_S.MALFORMED, "the document is empty", "document")
    # Refused before parsing, so that no entity declaration is ever read: a DOCTYPE has no
    # place in a trusted list (TS 119 612 uses the schema, never a DTD).
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise _Stop(
            _S.MALFORMED,
            "the document has a DOCTYPE or ENTITY declaration, which trusted lists never "
            "carry; refused (entity expansion and external entities)",
            "DOCTYPE",
        )
    try:
        # Nodes and depth bounded before the tree is built: memory stays near the input size.
        root = parse_within_limits(raw, limits, hardened_parser())
    except XmlLimitExceeded as exc:
        raise _Stop(_S.MALFORMED, exc.reason, exc.field) from None
    except etree.XMLSyntaxError as exc:
        line = f" (line {exc.lineno})" if exc.lineno else ""
        raise _Stop(_S.MALFORMED, f"not well-formed XML: {exc.msg}{line}", "document") from None
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise _Stop(_S.MALFORMED, f"not readable as XML: {exc}", "document") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        # Reached only for encodings the byte scan above cannot see (e.g. UTF-16).
        raise _Stop(_S.MALFORMED, "the document has a DOCTYPE declaration; refused", "DOCTYPE")
    if (info.encoding or "UTF-8").upper().replace("_", "-") not in ("UTF-8", "UTF8"):
        raise _Stop(
            _S.MALFORMED,
            f"the document is encoded in {info.encoding}; TS 119 612 lists are UTF-8",
            "document",
        )
    if root.tag != _TSSL:
        qn = etree.QName(root) if isinstance(root.tag, str) else None
        if qn is not None and qn.localname == "TrustServiceStatusList":
            raise _Stop(
                _S.MALFORMED,
                f"the root element is in namespace '{qn.namespace}', not '{TSL_NS}'",
                "TrustServiceStatusList",
            )
        shown = qn.localname if qn is not None else str(root.tag)
        raise _Stop(
            _S.MALFORMED,
            f"the root element is <{shown}>, not a TrustServiceStatusList",
            "document",
        )
    return root


def _version(root: Any, versions: Collection[int]) -> int:
    text = _text(root, ("SchemeInformation", "TSLVersionIdentifier"))
    if text is None:
        raise _Stop(
            _S.MALFORMED,
            "SchemeInformation/TSLVersionIdentifier is missing",
            "SchemeInformation/TSLVersionIdentifier",
        )
    try:
        version = int(text)
    except ValueError:
        raise _Stop(
            _S.MALFORMED,
            f"TSLVersionIdentifier {text[:40]!r} is not a number",
            "SchemeInformation/TSLVersionIdentifier",
        ) from None
    if version not in versions:
        raise _Stop(
            _S.UNSUPPORTED,
            f"TSLVersionIdentifier {version} is not supported (supported: "
            f"{', '.join(str(v) for v in sorted(versions))})",
            "SchemeInformation/TSLVersionIdentifier",
        )
    return version


# --- content ----------------------------------------------------------------------------

_TN = {
    name: _t(TSL_NS, name)
    for name in (
        "SchemeInformation",
        "TSLVersionIdentifier",
        "TSLSequenceNumber",
        "TSLType",
        "SchemeOperatorName",
        "SchemeName",
        "SchemeInformationURI",
        "StatusDeterminationApproach",
        "SchemeTypeCommunityRules",
        "SchemeTerritory",
        "HistoricalInformationPeriod",
        "PointersToOtherTSL",
        "OtherTSLPointer",
        "ServiceDigitalIdentities",
        "ServiceDigitalIdentity",
        "DigitalId",
        "X509Certificate",
        "X509SubjectName",
        "X509SKI",
        "TSLLocation",
        "AdditionalInformation",
        "OtherInformation",
        "ListIssueDateTime",
        "NextUpdate",
        "dateTime",
        "DistributionPoints",
        "URI",
        "Name",
        "TrustServiceProviderList",
        "TrustServiceProvider",
        "TSPInformation",
        "TSPName",
        "TSPTradeName",
        "TSPInformationURI",
        "TSPServices",
        "TSPService",
        "ServiceInformation",
        "ServiceTypeIdentifier",
        "ServiceName",
        "ServiceStatus",
        "StatusStartingTime",
        "ServiceHistory",
        "ServiceHistoryInstance",
        "ServiceInformationExtensions",
        "Extension",
        "AdditionalServiceInformation",
        "ServiceSupplyPoints",
        "ServiceSupplyPoint",
    )
}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _text(el: Any, path: tuple[str, ...]) -> str | None:
    cur = el
    for name in path:
        cur = cur.find(_TN[name])
        if cur is None:
            return None
    text = (cur.text or "").strip()
    return text or None


def _names(el: Any | None) -> str | None:
    """The English name of a multilingual list, else the first one."""
    if el is None:
        return None
    first: str | None = None
    for n in el.findall(_TN["Name"]):
        text = " ".join((n.text or "").split())
        if not text:
            continue
        if n.get(_XML_LANG, "").lower().startswith("en"):
            return text
        if first is None:
            first = text
    return first


def _uris(el: Any | None) -> tuple[str, ...]:
    if el is None:
        return ()
    return tuple((u.text or "").strip() for u in el.findall(_TN["URI"]) if (u.text or "").strip())


def _time(text: str | None, field: str, *, required: bool = True) -> _dt.datetime | None:
    if text is None:
        if required:
            raise _Stop(_S.MALFORMED, f"{field} is missing", field)
        return None
    try:
        when = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise _Stop(_S.MALFORMED, f"{field} {text[:40]!r} is not an xs:dateTime", field) from None
    # TS 119 612 times are UTC; one written without an offset means UTC.
    return when.replace(tzinfo=_dt.UTC) if when.tzinfo is None else when.astimezone(_dt.UTC)


def _read_list(root: Any, version: int) -> TrustedList:
    si = root.find(_TN["SchemeInformation"])
    if si is None:
        raise _Stop(_S.MALFORMED, "SchemeInformation is missing", "SchemeInformation")
    seq_text = _text(si, ("TSLSequenceNumber",))
    field = "SchemeInformation/TSLSequenceNumber"
    if seq_text is None:
        raise _Stop(_S.MALFORMED, f"{field} is missing", field)
    try:
        seq = int(seq_text)
    except ValueError:
        raise _Stop(_S.MALFORMED, f"{field} {seq_text[:40]!r} is not a number", field) from None
    if seq < 1:
        raise _Stop(_S.MALFORMED, f"{field} must be 1 or more, not {seq}", field)
    tsl_type = _text(si, ("TSLType",))
    if tsl_type is None:
        raise _Stop(
            _S.MALFORMED, "SchemeInformation/TSLType is missing", "SchemeInformation/TSLType"
        )
    operator = _names(si.find(_TN["SchemeOperatorName"]))
    if operator is None:
        raise _Stop(
            _S.MALFORMED,
            "SchemeInformation/SchemeOperatorName is missing",
            "SchemeInformation/SchemeOperatorName",
        )
    # Required since TS 119 612; lists in the TS 102 231 layout (version 3) may omit it.
    territory = _text(si, ("SchemeTerritory",)) or ""
    issued = _time(_text(si, ("ListIssueDateTime",)), "SchemeInformation/ListIssueDateTime")
    assert issued is not None
    next_update = _time(
        _text(si, ("NextUpdate", "dateTime")), "SchemeInformation/NextUpdate", required=False
    )
    period_text = _text(si, ("HistoricalInformationPeriod",))
    period = int(period_text) if period_text and period_text.isdigit() else None
    return TrustedList(
        scheme_operator_name=operator,
        scheme_name=_names(si.find(_TN["SchemeName"])) or "",
        territory=territory,
        sequence_number=seq,
        issue_date=issued,
        next_update=next_update,
        version=version,
        tsl_type=tsl_type,
        pointers=_pointers(si),
        providers=_providers(root),
        information_uris=_uris(si.find(_TN["SchemeInformationURI"])),
        distribution_points=_uris(si.find(_TN["DistributionPoints"])),
        status_determination_approach=_text(si, ("StatusDeterminationApproach",)),
        community_rules=_uris(si.find(_TN["SchemeTypeCommunityRules"])),
        historical_information_period=period,
        list_id=root.get("Id"),
    )


def _pointers(si: Any) -> tuple[OtherTSLPointer, ...]:
    holder = si.find(_TN["PointersToOtherTSL"])
    if holder is None:
        return ()
    out = []
    for i, p in enumerate(holder.findall(_TN["OtherTSLPointer"])):
        where = f"SchemeInformation/PointersToOtherTSL/OtherTSLPointer[{i + 1}]"
        location = _text(p, ("TSLLocation",))
        if location is None:
            raise _Stop(_S.MALFORMED, f"{where}/TSLLocation is missing", f"{where}/TSLLocation")
        certs: list[bytes] = []
        ids = p.find(_TN["ServiceDigitalIdentities"])
        if ids is not None:
            for sdi in ids.findall(_TN["ServiceDigitalIdentity"]):
                certs.extend(_identity(sdi, f"{where}/ServiceDigitalIdentities").certificates)
        tsl_type = territory = mime = operator = None
        info = p.find(_TN["AdditionalInformation"])
        if info is not None:
            for oi in info.findall(_TN["OtherInformation"]):
                for child in oi:
                    if not isinstance(child.tag, str):
                        continue
                    if child.tag == _TN["TSLType"]:
                        tsl_type = (child.text or "").strip() or None
                    elif child.tag == _TN["SchemeTerritory"]:
                        territory = (child.text or "").strip() or None
                    elif child.tag == _t(ADD_NS, "MimeType"):
                        mime = (child.text or "").strip() or None
                    elif child.tag == _TN["SchemeOperatorName"]:
                        operator = _names(child)
        out.append(
            OtherTSLPointer(
                location=location,
                signer_certificates=tuple(certs),
                territory=territory,
                tsl_type=tsl_type,
                mime_type=mime,
                scheme_operator_name=operator,
            )
        )
    return tuple(out)


def _identity(sdi: Any | None, where: str) -> DigitalIdentity:
    if sdi is None:
        return DigitalIdentity()
    certs: list[bytes] = []
    names: list[str] = []
    skis: list[bytes] = []
    for j, did in enumerate(sdi.findall(_TN["DigitalId"])):
        for child in did:
            if child.tag == _TN["X509Certificate"]:
                certs.append(_b64(child.text, f"{where}/DigitalId[{j + 1}]/X509Certificate"))
            elif child.tag == _TN["X509SubjectName"]:
                text = (child.text or "").strip()
                if text:
                    names.append(text)
            elif child.tag == _TN["X509SKI"]:
                skis.append(_b64(child.text, f"{where}/DigitalId[{j + 1}]/X509SKI"))
    return DigitalIdentity(certificates=tuple(certs), subject_names=tuple(names), skis=tuple(skis))


def _providers(root: Any) -> tuple[TrustServiceProvider, ...]:
    holder = root.find(_TN["TrustServiceProviderList"])
    if holder is None:
        return ()
    out = []
    for i, tsp in enumerate(holder.findall(_TN["TrustServiceProvider"])):
        where = f"TrustServiceProviderList/TrustServiceProvider[{i + 1}]"
        info = tsp.find(_TN["TSPInformation"])
        name = _names(info.find(_TN["TSPName"])) if info is not None else None
        if name is None:
            raise _Stop(_S.MALFORMED, f"{where}/TSPInformation/TSPName is missing", where)
        trade: tuple[str, ...] = ()
        uris: tuple[str, ...] = ()
        if info is not None:
            tn = info.find(_TN["TSPTradeName"])
            if tn is not None:
                trade = tuple(
                    " ".join((n.text or "").split()) for n in tn.findall(_TN["Name"]) if n.text
                )
            uris = _uris(info.find(_TN["TSPInformationURI"]))
        services = []
        svcs = tsp.find(_TN["TSPServices"])
        if svcs is not None:
            for j, svc in enumerate(svcs.findall(_TN["TSPService"])):
                services.append(_service(svc, f"{where}/TSPServices/TSPService[{j + 1}]"))
        out.append(
            TrustServiceProvider(
                name=name, services=tuple(services), trade_names=trade, information_uris=uris
            )
        )
    return tuple(out)


def _common(el: Any, where: str) -> tuple[str, str, str, _dt.datetime]:
    stype = _text(el, ("ServiceTypeIdentifier",))
    if stype is None:
        raise _Stop(_S.MALFORMED, f"{where}/ServiceTypeIdentifier is missing", where)
    status = _text(el, ("ServiceStatus",))
    if status is None:
        raise _Stop(_S.MALFORMED, f"{where}/ServiceStatus is missing", where)
    start = _time(_text(el, ("StatusStartingTime",)), f"{where}/StatusStartingTime")
    assert start is not None
    name = _names(el.find(_TN["ServiceName"])) or ""
    return stype, name, status, start


def _service(svc: Any, where: str) -> TrustService:
    si = svc.find(_TN["ServiceInformation"])
    if si is None:
        raise _Stop(_S.MALFORMED, f"{where}/ServiceInformation is missing", where)
    swhere = f"{where}/ServiceInformation"
    stype, name, status, start = _common(si, swhere)
    quals, extra = _extensions(si.find(_TN["ServiceInformationExtensions"]), swhere)
    history = []
    hist = svc.find(_TN["ServiceHistory"])
    if hist is not None:
        for k, h in enumerate(hist.findall(_TN["ServiceHistoryInstance"])):
            hwhere = f"{where}/ServiceHistory/ServiceHistoryInstance[{k + 1}]"
            htype, hname, hstatus, hstart = _common(h, hwhere)
            hquals, hextra = _extensions(h.find(_TN["ServiceInformationExtensions"]), hwhere)
            history.append(
                ServiceHistoryEntry(
                    service_type=htype,
                    name=hname,
                    status=hstatus,
                    status_starting_time=hstart,
                    identity=_identity(h.find(_TN["ServiceDigitalIdentity"]), hwhere),
                    qualifications=hquals,
                    additional_information=hextra,
                )
            )
    supply = si.find(_TN["ServiceSupplyPoints"])
    points = (
        tuple(
            (p.text or "").strip()
            for p in supply.findall(_TN["ServiceSupplyPoint"])
            if (p.text or "").strip()
        )
        if supply is not None
        else ()
    )
    return TrustService(
        service_type=stype,
        name=name,
        status=status,
        status_starting_time=start,
        identity=_identity(si.find(_TN["ServiceDigitalIdentity"]), swhere),
        history=tuple(history),
        qualifications=quals,
        additional_information=extra,
        supply_points=points,
    )


def _extensions(
    holder: Any | None, where: str
) -> tuple[tuple[Qualification, ...], tuple[str, ...]]:
    if holder is None:
        return (), ()
    quals: list[Qualification] = []
    extra: list[str] = []
    for ext in holder.findall(_TN["Extension"]):
        for child in ext:
            if child.tag == _t(ECC_NS, "Qualifications"):
                for q in child.findall(_t(ECC_NS, "QualificationElement")):
                    quals.append(_qualification(q, f"{where}/ServiceInformationExtensions"))
            elif child.tag == _TN["AdditionalServiceInformation"]:
                extra.extend(_uris(child))
    return tuple(quals), tuple(extra)


def _qualification(q: Any, where: str) -> Qualification:
    qualifiers = tuple(
        (qq.get("uri") or "").strip()
        for qq in q.findall(f"{_t(ECC_NS, 'Qualifiers')}/{_t(ECC_NS, 'Qualifier')}")
        if (qq.get("uri") or "").strip()
    )
    crit = q.find(_t(ECC_NS, "CriteriaList"))
    if crit is None:
        raise _Stop(_S.MALFORMED, f"{where}: a QualificationElement has no CriteriaList", where)
    return Qualification(qualifiers=qualifiers, criteria=_criteria(crit, where))


def _oid(text: str | None) -> str:
    value = (text or "").strip()
    return value[8:] if value.lower().startswith("urn:oid:") else value


def _criteria(el: Any, where: str, depth: int = 0) -> CriteriaList:
    if depth > 8:
        raise _Stop(_S.MALFORMED, f"{where}: CriteriaList nested more than 8 deep", where)
    key_usage: list[tuple[tuple[str, bool], ...]] = []
    policies: list[tuple[str, ...]] = []
    ekus: list[tuple[str, ...]] = []
    nested: list[CriteriaList] = []
    unsupported: list[str] = []
    description: str | None = None
    for child in el:
        if not isinstance(child.tag, str):
            continue
        tag = child.tag
        if tag == _t(ECC_NS, "KeyUsage"):
            bits = tuple(
                ((b.get("name") or "").strip(), (b.text or "").strip().lower() in ("true", "1"))
                for b in child.findall(_t(ECC_NS, "KeyUsageBit"))
            )
            key_usage.append(bits)
        elif tag == _t(ECC_NS, "PolicySet"):
            policies.append(
                tuple(
                    _oid(i.text)
                    for i in child.findall(
                        f"{_t(ECC_NS, 'PolicyIdentifier')}/{_t(XADES_NS, 'Identifier')}"
                    )
                )
            )
        elif tag == _t(ECC_NS, "CriteriaList"):
            nested.append(_criteria(child, where, depth + 1))
        elif tag == _t(ECC_NS, "Description"):
            description = " ".join((child.text or "").split()) or None
        elif tag == _t(ECC_NS, "otherCriteriaList"):
            for other in child:
                if not isinstance(other.tag, str):
                    continue
                if other.tag == _t(ADD_NS, "ExtendedKeyUsage"):
                    ekus.append(
                        tuple(
                            _oid(i.text)
                            for i in other.findall(
                                f"{_t(ADD_NS, 'KeyPurposeId')}/{_t(XADES_NS, 'Identifier')}"
                            )
                        )
                    )
                else:
                    unsupported.append(etree.QName(other).localname)
        else:
            unsupported.append(etree.QName(child).localname)
    return CriteriaList(
        assert_=el.get("assert") or "all",
        key_usage=tuple(key_usage),
        policy_sets=tuple(policies),
        extended_key_usages=tuple(ekus),
        nested=tuple(nested),
        description=description,
        unsupported_criteria=tuple(unsupported),
    )
