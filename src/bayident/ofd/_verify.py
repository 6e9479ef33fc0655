"""Verify the signatures of an OFD package: the evidence handler behind ``verify()``.

The order follows EN 319 102-1 §5.3: the container and each signature's format; the
references (GB/T 33190: a digest per signed package file); the signed value's
binding to Signature.xml (``dataHash``); the signature; the seal (its maker's
signature, its certificate list, its validity); then the certificate paths. A FAILED
from cryptographic verification wins over an INDETERMINATE from a path.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field

from lxml import etree

from .._handlers import EvidenceContext
from .._result import (
    Check,
    Indication,
    SignerReport,
    SubIndication,
    VerificationResult,
    _build,
    _replace,
    worst_report,
)
from ..sm import sm3
from ..tsp._token import sha
from ._common import OUT, SigState, fmt_time
from ._seal import verify_seal_signature
from ._sign import verify_digital_signature, verify_integrity
from ._xml import (
    OFDFormatError,
    PathEscapes,
    child,
    children,
    is_element,
    parse_xml,
    resolve,
    text_of,
)
from ._zip import ZipFormatError, ZipLimits, ZipPackage

__all__ = ["Package", "Run", "SignatureFile"]

# GB/T 33190-2016 (digital signatures): CheckMethod names the digest; MD5 when it is absent.
_CHECK_METHODS = {
    "sm3": "sm3",
    "1.2.156.10197.1.401": "sm3",
    "sha256": "sha256",
    "sha-256": "sha256",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "sha1": "sha1",
    "sha-1": "sha1",
    "1.3.14.3.2.26": "sha1",
    "md5": "md5",
    "1.2.840.113549.2.5": "md5",
}
_DEFAULT_CHECK_METHOD = "md5"


def limits_of(ctx: EvidenceContext) -> ZipLimits:
    pol = ctx.policy
    return ZipLimits(
        max_member_bytes=pol.ofd_max_member_bytes,
        max_total_bytes=pol.ofd_max_package_bytes,
        max_ratio=pol.ofd_max_compression_ratio,
        max_entries=pol.ofd_max_entries,
    )


@dataclass
class Package:
    """An opened OFD package: its ZIP and the XML files read so far."""

    zip: ZipPackage
    # (path, digest name) -> digest: a file referenced many times is hashed once.
    digests: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def read(self, path: str) -> bytes:
        return self.zip.read(path)

    def digest(self, path: str, name: str) -> bytes:
        """The digest of a member (KeyError when absent), computed once per package."""
        key = (path, name)
        found = self.digests.get(key)
        if found is None:
            data = self.read(path)
            found = self.digests[key] = sm3(data) if name == "sm3" else sha(name, data)
        return found

    def xml(self, path: str) -> etree._Element:
        return parse_xml(self.read(path), f"/{path}")


@dataclass
class SignatureFile:
    """One ``Signature.xml`` (GB/T 33190) as read."""

    path: str
    raw: bytes
    signature_id: str
    kind: str
    method: str | None
    signed_value: str | None
    seal_file: str | None
    date_text: str | None
    provider: str | None
    check_method: str | None
    references: list[tuple[str, str | None, str]] = field(default_factory=list)
    stamps: int = 0


class _Stop(Exception):
    def __init__(self, name: str, sub: SubIndication, message: str, concerns: str) -> None:
        super().__init__(message)
        self.name, self.sub, self.message, self.concerns = name, sub, message, concerns


class Run:
    """One verification of one package."""

    def __init__(self, ctx: EvidenceContext) -> None:
        self.ctx = ctx
        self.sigs: list[SigState] = []

    def _result(
        self,
        ind: Indication,
        sub: SubIndication | None,
        message: str,
        signers: tuple[SignerReport, ...] = (),
    ) -> VerificationResult:
        make = self.ctx.make_result
        assert make is not None
        result = make(ind, sub, message, signers, evidence_format="ofd")
        warnings = [w for s in self.sigs for w in s.warnings]
        if warnings:
            result = _replace(result, {"warnings": (*result.warnings, *warnings)})
        return result

    def _early(self, stop: _Stop) -> VerificationResult:
        failed = stop.sub is SubIndication.FORMAT_FAILURE
        ind = Indication.FAILED if failed else Indication.INDETERMINATE
        outcome = OUT.FAILED if failed else OUT.INDETERMINATE
        self.ctx.checks.append(
            _build(
                Check,
                {
                    "name": stop.name,
                    "outcome": outcome,
                    "message": stop.message,
                    "concerns": stop.concerns,
                    "signer": None,
                },
            )
        )
        return self._result(ind, stop.sub, stop.message)

    def _package_check(self, name: str, message: str, concerns: str) -> None:
        self.ctx.checks.append(
            _build(
                Check,
                {
                    "name": name,
                    "outcome": OUT.PASSED,
                    "message": message,
                    "concerns": concerns,
                    "signer": None,
                },
            )
        )

    # --- the package --------------------------------------------------------------------
    def run(self) -> VerificationResult:
        try:
            return self._run()
        except _Stop as stop:
            return self._early(stop)

    def _open(self) -> tuple[Package, list[tuple[str, str, str]], bool]:
        ctx = self.ctx
        try:
            pkg = Package(ZipPackage(ctx.raw, limits_of(ctx)))
        except ZipFormatError as exc:
            raise _Stop(
                "ofd-container",
                SubIndication.FORMAT_FAILURE,
                f"the OFD package is refused: {exc.reason}",
                exc.where,
            ) from None
        if "OFD.xml" not in pkg.zip:
            raise _Stop(
                "ofd-container",
                SubIndication.FORMAT_FAILURE,
                "the package has no /OFD.xml, the entry file of every OFD (GB/T 33190)",
                "/OFD.xml",
            )
        try:
            root = pkg.xml("OFD.xml")
            if not is_element(root, "OFD"):
                raise OFDFormatError("the root element is not ofd:OFD", "/OFD.xml")
            lists: list[str] = []
            for body in children(root, "DocBody"):
                loc = text_of(child(body, "Signatures"))
                if loc is not None:
                    lists.append(resolve("OFD.xml", loc, "/OFD.xml DocBody/Signatures"))
            found: list[tuple[str, str, str]] = []
            for lst in lists:
                if lst not in pkg.zip:
                    raise OFDFormatError("the signature list named in /OFD.xml is missing", lst)
                sroot = pkg.xml(lst)
                for el in children(sroot, "Signature"):
                    base = el.get("BaseLoc")
                    if not base:
                        raise OFDFormatError("a Signature without BaseLoc", f"/{lst}")
                    path = resolve(lst, base, f"/{lst} Signature BaseLoc")
                    found.append((path, el.get("ID") or "", el.get("Type") or "Seal"))
        except (OFDFormatError, ZipFormatError) as exc:
            raise _Stop(
                "ofd-structure", SubIndication.FORMAT_FAILURE, str(exc), exc.where
            ) from None
        integrity = "OFDEntries.xml" in pkg.zip
        return pkg, found, integrity

    def _run(self) -> VerificationResult:
        ctx = self.ctx
        pkg, found, integrity = self._open()
        n_files = len(pkg.zip.names())
        self._package_check(
            "ofd-container",
            f"OFD package of {n_files} files read in memory within the limits "
            "(Policy.ofd_max_*): no unsafe names, duplicates or overlapping entries",
            "ZIP container",
        )
        if not found and not integrity:
            raise _Stop(
                "ofd-signatures",
                SubIndication.FORMAT_FAILURE,
                "the OFD package carries no signature: /OFD.xml names no Signatures.xml and "
                "there is no GM/T 0099 /OFDEntries.xml, so there is nothing to validate",
                "/OFD.xml",
            )
        total = len(found) + (1 if integrity else 0)
        if total > ctx.policy.max_signers:
            raise _Stop(
                "ofd-signatures",
                SubIndication.FORMAT_FAILURE,
                f"the package carries {total} signatures, over the limit of "
                f"{ctx.policy.max_signers} (Policy.max_signers)",
                "/OFD.xml",
            )
        kinds = ", ".join(f"{k} {i or '?'}" for _, i, k in found)
        self._package_check(
            "ofd-signatures",
            f"{len(found)} signature(s) listed ({kinds or 'none'})"
            + ("; GM/T 0099 integrity protection present" if integrity else ""),
            "/OFD.xml",
        )
        seen: set[str] = set()
        for path, sig_id, kind in found:
            s = SigState(len(self.sigs), kind, f"signature {sig_id or len(self.sigs)}")
            self.sigs.append(s)
            if path in seen:
                s.fail(
                    "signature-file",
                    SubIndication.FORMAT_FAILURE,
                    "two signatures share this Signature.xml",
                    f"/{path}",
                )
                continue
            seen.add(path)
            self._signature(pkg, s, path, sig_id, kind)
        if integrity:
            s = SigState(len(self.sigs), "integrity", "GM/T 0099 integrity protection")
            self.sigs.append(s)
            try:
                verify_integrity(ctx, pkg, s)
            except (OFDFormatError, ZipFormatError) as exc:
                s.fail("integrity-entries", SubIndication.FORMAT_FAILURE, str(exc), exc.where)
        return self._finish()

    # --- one signature -------------------------------------------------------------------
    def _signature(self, pkg: Package, s: SigState, path: str, sig_id: str, kind: str) -> None:
        where = f"/{path}"
        s.details.update({"signature_id": sig_id, "type": kind, "signature_xml": where})
        if path not in pkg.zip:
            s.fail(
                "signature-file",
                SubIndication.SIGNED_DATA_NOT_FOUND,
                "the Signature.xml named in Signatures.xml is not in the package",
                where,
            )
            return
        try:
            sf = self._signature_file(pkg, path, sig_id, kind)
        except (OFDFormatError, ZipFormatError) as exc:
            s.fail("signature-file", SubIndication.FORMAT_FAILURE, str(exc), exc.where)
            return
        if sf.provider:
            s.details["provider"] = sf.provider
        if sf.date_text:
            s.details["signature_date_time"] = sf.date_text
        self._references(pkg, s, sf)
        if sf.signed_value is None:
            s.fail(
                "signed-value",
                SubIndication.FORMAT_FAILURE,
                "Signature.xml names no SignedValue file",
                where,
            )
            return
        try:
            value = pkg.read(sf.signed_value)
        except KeyError:
            s.fail(
                "signed-value",
                SubIndication.FORMAT_FAILURE,
                "the SignedValue file named in Signature.xml is not in the package",
                f"/{sf.signed_value}",
            )
            return
        except ZipFormatError as exc:
            s.fail("signed-value", SubIndication.FORMAT_FAILURE, str(exc), exc.where)
            return
        if kind == "Seal":
            verify_seal_signature(self.ctx, pkg, s, sf, value)
        elif kind == "Sign":
            verify_digital_signature(self.ctx, s, sf, value)
        else:
            s.fail(
                "signature-type",
                SubIndication.FORMAT_FAILURE,
                f"signature Type {kind!r} is neither 'Seal' nor 'Sign' (GB/T 33190)",
                where,
            )

    def _signature_file(self, pkg: Package, path: str, sig_id: str, kind: str) -> SignatureFile:
        where = f"/{path}"
        raw = pkg.read(path)
        root = parse_xml(raw, where)
        if not is_element(root, "Signature"):
            raise OFDFormatError("the root element is not ofd:Signature", where)
        info = child(root, "SignedInfo")
        if info is None:
            raise OFDFormatError("no SignedInfo", where)
        refs_el = child(info, "References")
        if refs_el is None:
            raise OFDFormatError("SignedInfo has no References", where)
        provider = child(info, "Provider")
        seal_el = child(info, "Seal")
        seal_loc = text_of(child(seal_el, "BaseLoc")) if seal_el is not None else None
        value_loc = text_of(child(root, "SignedValue"))
        sf = SignatureFile(
            path=path,
            raw=raw,
            signature_id=sig_id,
            kind=kind,
            method=text_of(child(info, "SignatureMethod")),
            signed_value=resolve(path, value_loc, where) if value_loc else None,
            seal_file=resolve(path, seal_loc, where) if seal_loc else None,
            date_text=text_of(child(info, "SignatureDateTime")),
            provider=provider.get("ProviderName") if provider is not None else None,
            check_method=refs_el.get("CheckMethod"),
            stamps=sum(1 for _ in children(info, "StampAnnot")),
        )
        limit = pkg.zip.limits.max_entries
        for ref in children(refs_el, "Reference"):
            if len(sf.references) >= limit:
                # More references than the package may hold files: only repetition, which
                # would cost a check each and prove nothing more.
                raise OFDFormatError(
                    f"more than {limit} References (Policy.ofd_max_entries)", where
                )
            loc = ref.get("FileRef")
            if not loc:
                raise OFDFormatError("a Reference without FileRef", where)
            sf.references.append((loc, text_of(child(ref, "CheckValue")), where))
        if not sf.references:
            raise OFDFormatError("References is empty: the signature protects nothing", where)
        return sf

    def _references(self, pkg: Package, s: SigState, sf: SignatureFile) -> None:
        ctx = self.ctx
        where = f"/{sf.path}"
        method = (sf.check_method or "").strip()
        digest = _CHECK_METHODS.get(method.lower()) if method else _DEFAULT_CHECK_METHOD
        if digest is None:
            s.fail(
                "reference-digest",
                SubIndication.FORMAT_FAILURE,
                f"References CheckMethod {method!r} is not a digest this verifier knows "
                "(SM3, SHA-256, SHA-1, MD5 by name or OID)",
                f"{where} References/@CheckMethod",
            )
            return
        s.details["check_method"] = digest
        if not ctx.policy.accepts_digest(digest, ctx.at):
            shown = method or f"absent, so GB/T 33190's default {digest.upper()}"
            s.fail(
                "reference-digest",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"the references are digested with {digest} (CheckMethod {shown}), which the "
                f"policy does not accept at {fmt_time(ctx.at)}",
                f"{where} References/@CheckMethod",
            )
            return
        files: list[str] = []
        for loc, value, _ in sf.references:
            try:
                target = resolve(sf.path, loc, where)
            except PathEscapes as exc:
                s.fail(
                    "reference-digest",
                    SubIndication.FORMAT_FAILURE,
                    f"Reference FileRef {loc!r} climbs out of the package; refused",
                    exc.where,
                )
                continue
            except OFDFormatError as exc:
                s.fail("reference-digest", SubIndication.FORMAT_FAILURE, exc.reason, exc.where)
                continue
            concerns = f"/{target}"
            files.append(concerns)
            if value is None:
                s.fail(
                    "reference-digest",
                    SubIndication.FORMAT_FAILURE,
                    "the Reference has no CheckValue",
                    concerns,
                )
                continue
            try:
                expected = binascii.a2b_base64(value, strict_mode=True)
            except (binascii.Error, ValueError):
                s.fail(
                    "reference-digest",
                    SubIndication.FORMAT_FAILURE,
                    "the CheckValue is not Base64",
                    concerns,
                )
                continue
            try:
                actual = pkg.digest(target, digest)
            except KeyError:
                s.fail(
                    "reference-digest",
                    SubIndication.SIGNED_DATA_NOT_FOUND,
                    "the signed file is not in the package",
                    concerns,
                )
                continue
            except ZipFormatError as exc:
                s.fail("reference-digest", SubIndication.FORMAT_FAILURE, exc.reason, concerns)
                continue
            if actual != expected:
                s.fail(
                    "reference-digest",
                    SubIndication.HASH_FAILURE,
                    f"the {digest} digest of the file is not its CheckValue: the file was changed "
                    "after signing",
                    concerns,
                )
            else:
                s.add(
                    "reference-digest",
                    OUT.PASSED,
                    f"{digest} digest of {pkg.zip.size(target)} bytes matches the CheckValue",
                    concerns,
                )
        s.details["references"] = files

    # --- decision ------------------------------------------------------------------------
    def _finish(self) -> VerificationResult:
        reports = tuple(s.report() for s in self.sigs)
        checks = self.ctx.checks
        for s in self.sigs:
            checks.extend(s.checks)
        worst = worst_report(reports)
        n = len(reports)
        if worst is not None:
            label = self.sigs[worst.index].label
            assert worst.sub_indication is not None
            return self._result(
                worst.indication, worst.sub_indication, f"{label}: {worst.message}", reports
            )
        names = "; ".join(s.summary for s in self.sigs if s.summary)
        msg = f"signature valid: {names}" if n == 1 else f"all {n} signatures valid: {names}"
        return self._result(Indication.PASSED, None, msg, reports)
