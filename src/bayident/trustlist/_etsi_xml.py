"""What reading and checking a trusted list share: namespaces, the hardened parser, and
the exception that stops reading with a status, a reason and the field at fault."""

from __future__ import annotations

import base64
import binascii

from lxml import etree

from ._model import SignatureStatus

__all__ = ["ADD_NS", "DS_NS", "ECC_NS", "TSL_NS", "XADES_NS", "hardened_parser"]

TSL_NS = "http://uri.etsi.org/02231/v2#"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
ADD_NS = "http://uri.etsi.org/02231/v2/additionaltypes#"
ECC_NS = "http://uri.etsi.org/TrstSvc/SvcInfoExt/eSigDir-1999-93-EC-TrustedList/#"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"

_S = SignatureStatus


def _t(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


_TSSL = _t(TSL_NS, "TrustServiceStatusList")
_SIG = _t(DS_NS, "Signature")
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_C14N = frozenset(
    {
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
        "http://www.w3.org/2006/12/xml-c14n11",
        "http://www.w3.org/2006/12/xml-c14n11#WithComments",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    }
)


def hardened_parser() -> etree.XMLParser:
    """A parser that resolves no entity, loads no DTD and touches no network.

    A new one per document: lxml parsers are not safe to share between threads.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
    )


class _Stop(Exception):
    def __init__(self, status: SignatureStatus, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.field = field


def _b64(text: str | None, field: str) -> bytes:
    compact = "".join((text or "").split())
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise _Stop(_S.MALFORMED, "not valid base64", field) from None
