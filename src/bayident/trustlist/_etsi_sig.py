"""The enveloped XML signature of a trusted list: checks against signature wrapping, then
signxml with the certificate in ``KeyInfo`` (steps 4 and 5 of :mod:`._etsi`)."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from lxml import etree

from ._etsi_xml import (
    _C14N,
    _ENVELOPED,
    _S,
    _SIG,
    _TSSL,
    DS_NS,
    _b64,
    _Stop,
    _t,
    hardened_parser,
)
from ._xades import load_certificate

__all__ = ["check_signature"]


def _cert_from_keyinfo(sig: Any) -> x509.Certificate:
    el = sig.find(f"{_t(DS_NS, 'KeyInfo')}/{_t(DS_NS, 'X509Data')}/{_t(DS_NS, 'X509Certificate')}")
    if el is None or not (el.text or "").strip():
        raise _Stop(
            _S.UNSUPPORTED,
            "the signature carries no X509Certificate in ds:KeyInfo, so it cannot be checked "
            "against the list's own signer",
            "ds:Signature/ds:KeyInfo/ds:X509Data",
        )
    field = "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate"
    der = _b64(el.text, field)
    try:
        return load_certificate(der)
    except ValueError as exc:
        raise _Stop(_S.MALFORMED, f"the KeyInfo certificate cannot be read: {exc}", field) from None


def check_signature(raw: bytes, root: Any) -> tuple[x509.Certificate, Any, list[Any]]:
    """Structural checks against signature wrapping, then signxml; returns (signer, signed root)."""
    extra = [e for e in root.iter(_TSSL) if e is not root]
    if extra:
        raise _Stop(
            _S.INVALID,
            f"a second TrustServiceStatusList element sits inside the list (line "
            f"{extra[0].sourceline}): signature wrapping",
            "TrustServiceStatusList",
        )
    sigs = list(root.iter(_SIG))
    if not sigs:
        raise _Stop(_S.MISSING, "the list has no ds:Signature", "ds:Signature")
    if len(sigs) > 1:
        raise _Stop(
            _S.INVALID,
            f"the list has {len(sigs)} ds:Signature elements; a trusted list carries exactly one",
            "ds:Signature",
        )
    sig = sigs[0]
    if sig.getparent() is not root:
        raise _Stop(
            _S.INVALID,
            f"the ds:Signature (line {sig.sourceline}) is not a child of the "
            "TrustServiceStatusList root; an enveloped list signature sits directly under it",
            "ds:Signature",
        )
    cert = _cert_from_keyinfo(sig)
    n_refs = _check_references(root, sig)

    from signxml.exceptions import InvalidDigest, InvalidInput, InvalidSignature
    from signxml.verifier import SignatureConfiguration

    config = SignatureConfiguration(
        expect_references=n_refs,
        location="./",
        # Integrity only: the signer certificate's validity period is ignored, as most
        # signers of archived lists have expired; trust in the signer is decided elsewhere.
        verification_time=cert.not_valid_before_utc,
    )
    where = "ds:Signature"
    try:
        results = _TreeVerifier(root).verify(
            raw, x509_cert=cert, parser=hardened_parser(), expect_config=config
        )
    except InvalidDigest as exc:
        raise _Stop(
            _S.INVALID,
            f"digest mismatch: the list was changed after signing ({exc})",
            "ds:Signature/ds:SignedInfo/ds:Reference",
        ) from None
    except InvalidSignature as exc:
        raise _Stop(
            _S.INVALID,
            f"the signature value does not verify with the KeyInfo certificate ({exc})",
            "ds:Signature/ds:SignatureValue",
        ) from None
    except etree.DocumentInvalid as exc:
        raise _Stop(
            _S.MALFORMED, f"ds:Signature does not follow the XML Signature schema: {exc}", where
        ) from None
    except InvalidInput as exc:
        text = str(exc)
        unsupported = any(w in text for w in ("forbidden", "not supported", "Unsupported"))
        raise _Stop(
            _S.UNSUPPORTED if unsupported else _S.MALFORMED,
            f"the signature cannot be processed: {text}",
            where,
        ) from None
    except (UnsupportedAlgorithm, NotImplementedError, KeyError) as exc:
        raise _Stop(
            _S.UNSUPPORTED, f"unsupported signature algorithm or key: {exc}", where
        ) from None
    except ValueError as exc:
        raise _Stop(_S.UNSUPPORTED, f"the signature cannot be processed: {exc}", where) from None
    except Exception as exc:  # signxml raising something else: never a pass, never a traceback
        raise _Stop(
            _S.INVALID, f"the signature could not be verified: {type(exc).__name__}: {exc}", where
        ) from None

    verified = results if isinstance(results, list) else [results]
    covering = [
        r.signed_xml
        for r in verified
        if r.signed_xml is not None and getattr(r.signed_xml, "tag", None) == _TSSL
    ]
    if len(covering) != 1:
        raise _Stop(
            _S.INVALID,
            "no verified reference yields the TrustServiceStatusList: the signature does not "
            "cover the list",
            "ds:Signature/ds:SignedInfo/ds:Reference",
        )
    return cert, covering[0], [r.signed_xml for r in verified if r.signed_xml is not None]


def _tree_verifier_class() -> type:
    from signxml.verifier import XMLVerifier

    class TreeVerifier(XMLVerifier):
        """signxml's verifier, handed the tree already parsed (and checked) by the hardened parser.

        signxml re-parses its input; the tree is never modified by it (every
        reference is resolved on a copy), so giving it ours saves a parse
        without changing what is verified.
        """

        def __init__(self, root: Any) -> None:
            super().__init__()
            self._bayident_root = root

        def get_root(self, data: Any) -> Any:
            return self._bayident_root

    return TreeVerifier


_VERIFIER: list[type] = []


def _TreeVerifier(root: Any) -> Any:
    if not _VERIFIER:
        _VERIFIER.append(_tree_verifier_class())
    return _VERIFIER[0](root)


def _check_references(root: Any, sig: Any) -> int:
    signed_info = sig.find(_t(DS_NS, "SignedInfo"))
    if signed_info is None:
        raise _Stop(_S.MALFORMED, "ds:Signature has no ds:SignedInfo", "ds:Signature/ds:SignedInfo")
    refs = signed_info.findall(_t(DS_NS, "Reference"))
    if not refs:
        raise _Stop(
            _S.INVALID, "ds:SignedInfo has no reference", "ds:Signature/ds:SignedInfo/ds:Reference"
        )
    root_id = root.get("Id")
    covering = 0
    for i, ref in enumerate(refs):
        where = f"ds:Signature/ds:SignedInfo/ds:Reference[{i + 1}]"
        uri = ref.get("URI")
        transforms = [
            t.get("Algorithm")
            for t in ref.findall(f"{_t(DS_NS, 'Transforms')}/{_t(DS_NS, 'Transform')}")
        ]
        for alg in transforms:
            if alg != _ENVELOPED and alg not in _C14N:
                raise _Stop(
                    _S.UNSUPPORTED,
                    f"reference transform {alg!r} is not supported (enveloped-signature and "
                    "canonicalisation only)",
                    where,
                )
        if uri is None:
            raise _Stop(_S.INVALID, "a reference without URI cannot be resolved", where)
        if uri == "" or (root_id is not None and uri == f"#{root_id}"):
            if _ENVELOPED not in transforms:
                raise _Stop(
                    _S.INVALID,
                    "the reference covering the list lacks the enveloped-signature transform",
                    where,
                )
            if uri != "" and len(_by_id(root, root_id or "")) != 1:
                raise _Stop(_S.INVALID, f"the Id {root_id!r} is not unique in the document", where)
            covering += 1
            continue
        if not uri.startswith("#"):
            raise _Stop(
                _S.INVALID,
                f"reference URI {uri[:80]!r} points outside the document; a list signature "
                "covers the list itself",
                where,
            )
        value = uri[1:]
        here = _ID_XPATH_HERE(sig, v=value)
        if not isinstance(here, list) or len(here) != 1:
            anywhere = _by_id(root, value)
            if anywhere:
                raise _Stop(
                    _S.INVALID,
                    f"reference URI {uri[:80]!r} points at "
                    f"<{etree.QName(anywhere[0]).localname}>, which is neither the list root nor "
                    "part of the signature: the signature does not cover the list",
                    where,
                )
            raise _Stop(_S.INVALID, f"reference URI {uri[:80]!r} resolves to no element", where)
    if covering == 0:
        raise _Stop(
            _S.INVALID,
            'no reference covers the list root (URI "" or "#" + the root\'s Id)',
            "ds:Signature/ds:SignedInfo/ds:Reference",
        )
    if covering > 1:
        raise _Stop(
            _S.INVALID,
            f"{covering} references cover the list root; exactly one is expected",
            "ds:Signature/ds:SignedInfo/ds:Reference",
        )
    return len(refs)


_ID_XPATH = etree.XPath("//*[@Id=$v or @ID=$v or @id=$v or @xml:id=$v]")
_ID_XPATH_HERE = etree.XPath("descendant-or-self::*[@Id=$v or @ID=$v or @id=$v or @xml:id=$v]")


def _by_id(root: Any, value: str) -> list[Any]:
    found = _ID_XPATH(root, v=value)
    return list(found) if isinstance(found, list) else []
