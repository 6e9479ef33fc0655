"""Trusted lists: ETSI TS 119 612 XML and bayident JSON lists as trust stores.

Read a list, decide whether to rely on it, and build a trust store::

    from bayident.trustlist import (
        TrustListValidator, load_trusted_list, trust_store_from_lists,
    )

    doc = load_trusted_list("hk-list.xml")       # integrity: doc.status
    acc = TrustListValidator().accept(doc, signers=[operator_cert])
    if acc.accepted:
        store = trust_store_from_lists([acc.trusted_list], jurisdiction="HK")
        result = bayident.verify(sig, content=data, trust=store)

:class:`TrustListManager` does the same for lists on the network, with a
cache, pivots, pointers and background refresh. :class:`RecognitionPolicy`
states which issuers are accepted for which purpose (see
``docs/recognition.md``). Needs the ``etsi`` extra (lxml, signxml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from ._diff import ListDiff, ServiceChange, diff_lists
    from ._document import DEFAULT_MAX_LIST_BYTES, TrustListDocument, TrustListError
    from ._etsi import SUPPORTED_VERSIONS, read_etsi_xml
    from ._etsi_write import to_etsi_xml
    from ._fetch import (
        ACCEPTED_CONTENT_TYPES,
        FetchProgress,
        FetchResult,
        ListCache,
        TrustListFetcher,
    )
    from ._json import (
        FORMAT_NAME,
        JWS_TYPE,
        JsonTrustList,
        from_etsi,
        json_schema,
        read_json_list,
        sign_json_list,
        to_json,
        to_trusted_list,
    )
    from ._manager import ListOutcome, ListSource, RefreshReport, TrustListManager
    from ._model import (
        IN_FORCE_STATUSES,
        CriteriaList,
        DigitalIdentity,
        OtherTSLPointer,
        Qualification,
        ServiceHistoryEntry,
        ServiceStatus,
        ServiceType,
        SignatureStatus,
        TrustedList,
        TrustService,
        TrustServiceProvider,
        is_pivot_url,
    )
    from ._pivot import PivotOutcome, resolve_pivots
    from ._read import load_trusted_list, read_trusted_list
    from ._recognition import (
        GBA_MUTUAL_RECOGNITION_POLICY_ARC,
        ChainInfo,
        RecognitionDecision,
        RecognitionPolicy,
        RecognitionRule,
    )
    from ._store import ServiceRef, TrustListStore, anchor_status_at, trust_store_from_lists
    from ._validate import (
        DEFAULT_GRACE,
        ListAcceptance,
        TrustListValidator,
        list_key,
        pointers_to,
        signers_from_pointers,
    )
    from ._xmllimits import XmlLimits

_NAMES = {
    "ListDiff": "._diff",
    "ServiceChange": "._diff",
    "diff_lists": "._diff",
    "DEFAULT_MAX_LIST_BYTES": "._document",
    "TrustListDocument": "._document",
    "TrustListError": "._document",
    "SUPPORTED_VERSIONS": "._etsi",
    "read_etsi_xml": "._etsi",
    "to_etsi_xml": "._etsi_write",
    "ACCEPTED_CONTENT_TYPES": "._fetch",
    "FetchProgress": "._fetch",
    "FetchResult": "._fetch",
    "ListCache": "._fetch",
    "TrustListFetcher": "._fetch",
    "FORMAT_NAME": "._json",
    "JWS_TYPE": "._json",
    "JsonTrustList": "._json",
    "from_etsi": "._json",
    "json_schema": "._json",
    "read_json_list": "._json",
    "sign_json_list": "._json",
    "to_json": "._json",
    "to_trusted_list": "._json",
    "ListOutcome": "._manager",
    "ListSource": "._manager",
    "RefreshReport": "._manager",
    "TrustListManager": "._manager",
    "IN_FORCE_STATUSES": "._model",
    "CriteriaList": "._model",
    "DigitalIdentity": "._model",
    "OtherTSLPointer": "._model",
    "Qualification": "._model",
    "ServiceHistoryEntry": "._model",
    "ServiceStatus": "._model",
    "ServiceType": "._model",
    "SignatureStatus": "._model",
    "TrustedList": "._model",
    "TrustService": "._model",
    "TrustServiceProvider": "._model",
    "PivotOutcome": "._pivot",
    "is_pivot_url": "._model",
    "resolve_pivots": "._pivot",
    "load_trusted_list": "._read",
    "read_trusted_list": "._read",
    "GBA_MUTUAL_RECOGNITION_POLICY_ARC": "._recognition",
    "ChainInfo": "._recognition",
    "RecognitionDecision": "._recognition",
    "RecognitionPolicy": "._recognition",
    "RecognitionRule": "._recognition",
    "ServiceRef": "._store",
    "TrustListStore": "._store",
    "anchor_status_at": "._store",
    "trust_store_from_lists": "._store",
    "DEFAULT_GRACE": "._validate",
    "ListAcceptance": "._validate",
    "TrustListValidator": "._validate",
    "list_key": "._validate",
    "pointers_to": "._validate",
    "signers_from_pointers": "._validate",
    "XmlLimits": "._xmllimits",
}
__getattr__, __dir__ = lazy_attributes(__name__, _NAMES, globals())

__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "DEFAULT_GRACE",
    "DEFAULT_MAX_LIST_BYTES",
    "FORMAT_NAME",
    "GBA_MUTUAL_RECOGNITION_POLICY_ARC",
    "IN_FORCE_STATUSES",
    "JWS_TYPE",
    "SUPPORTED_VERSIONS",
    "ChainInfo",
    "CriteriaList",
    "DigitalIdentity",
    "FetchProgress",
    "FetchResult",
    "JsonTrustList",
    "ListAcceptance",
    "ListCache",
    "ListDiff",
    "ListOutcome",
    "ListSource",
    "OtherTSLPointer",
    "PivotOutcome",
    "Qualification",
    "RecognitionDecision",
    "RecognitionPolicy",
    "RecognitionRule",
    "RefreshReport",
    "ServiceChange",
    "ServiceHistoryEntry",
    "ServiceRef",
    "ServiceStatus",
    "ServiceType",
    "SignatureStatus",
    "TrustListDocument",
    "TrustListError",
    "TrustListFetcher",
    "TrustListManager",
    "TrustListStore",
    "TrustListValidator",
    "TrustService",
    "TrustServiceProvider",
    "TrustedList",
    "XmlLimits",
    "anchor_status_at",
    "diff_lists",
    "from_etsi",
    "is_pivot_url",
    "json_schema",
    "list_key",
    "load_trusted_list",
    "pointers_to",
    "read_etsi_xml",
    "read_json_list",
    "read_trusted_list",
    "resolve_pivots",
    "sign_json_list",
    "signers_from_pointers",
    "to_etsi_xml",
    "to_json",
    "to_trusted_list",
    "trust_store_from_lists",
]
