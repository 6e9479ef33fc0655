"""RFC 5652 structure rules that a parse alone does not enforce.

Each finding names its rule and the field at fault:

- ``cms-version``: SignedData.version as §5.1 computes it (1, or 3 when a SignerInfo
  is version 3 or the eContentType is not id-data; 4 and 5 for other certificate
  and CRL formats), and SignerInfo.version as §5.3 ties it to the sid choice (1 for
  issuerAndSerialNumber, 3 for subjectKeyIdentifier).
- ``cms-digest-algorithms``: digestAlgorithms lists the message digest algorithms
  the signers use (§5.1), so each signer's digestAlgorithm must be in it.
- ``cms-content-type``: without signed attributes the eContentType must be id-data
  (§5.3: for any other content type the signed attributes MUST be present).

What a breach costs is the verifier's decision (``Policy.strict_cms_structure``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._cms import OID_DATA, SignedData
from ._result import CheckOutcome, SubIndication
from ._signer_state import make_check

__all__ = ["StructureFinding", "apply_structure_rules", "structure_findings"]

# GM/T 0010 / GB/T 35275 signed data follows its own version conventions.
_GM_SIGNED_DATA = "1.2.156.10197.6.1.4.2.2"
_GM_PREFIX = "1.2.156.10197.6.1.4.2."


@dataclass(frozen=True, slots=True)
class StructureFinding:
    name: str
    message: str
    concerns: str
    signer: int | None = None
    # A breach real producers commit in otherwise sound signatures (see apply_structure_rules).
    tolerated: bool = False


def structure_findings(sd: SignedData) -> list[StructureFinding]:
    """The RFC 5652 structure rules ``sd`` breaks, in order."""
    if sd.content_type == _GM_SIGNED_DATA or sd.econtent_type.startswith(_GM_PREFIX):
        return []
    if (
        sd.version == 1
        and sd.econtent_type == OID_DATA
        and not sd.crls
        and sd.other_certificate_formats == 0
        and len(sd.digest_algorithms) == 1
    ):
        # The usual shape (checked on every verification): version 1, id-data, one digest
        # algorithm; it is right when every signer is version 1 by issuer and serial with it.
        oid = sd.digest_algorithms[0].oid
        if all(
            si.version == 1 and si.issuer is not None and si.digest_algorithm.oid == oid
            for si in sd.signers
        ):
            return []
    out: list[StructureFinding] = []
    for si in sd.signers:
        where = f"SignerInfo[{si.index}]"
        expected = 1 if si.issuer is not None else 3
        if si.version != expected:
            sid = "issuerAndSerialNumber" if si.issuer is not None else "subjectKeyIdentifier"
            out.append(
                StructureFinding(
                    "cms-version",
                    f"SignerInfo version is {si.version} but a sid of {sid} requires version "
                    f"{expected} (RFC 5652 §5.3)",
                    f"{where}.version",
                    si.index,
                )
            )
        listed = {a.oid for a in sd.digest_algorithms}
        if si.digest_algorithm.oid not in listed:
            out.append(
                StructureFinding(
                    "cms-digest-algorithms",
                    f"the signer's digest algorithm {si.digest_algorithm.oid} is not listed in "
                    "SignedData.digestAlgorithms (RFC 5652 §5.1)",
                    "SignedData.digestAlgorithms",
                    si.index,
                )
            )
        if si.signed_attrs is None and sd.econtent_type != OID_DATA:
            out.append(
                StructureFinding(
                    "cms-content-type",
                    f"the eContentType is {sd.econtent_type}, not id-data, and the signer has no "
                    "signed attributes, which RFC 5652 §5.3 then requires",
                    f"{where}.signedAttrs",
                    si.index,
                )
            )
    if sd.version not in (1, 3, 4, 5):
        out.append(
            StructureFinding(
                "cms-version",
                f"SignedData version is {sd.version}, which RFC 5652 §5.1 does not define",
                "SignedData.version",
            )
        )
    elif sd.other_certificate_formats == 0:
        # Other revocation info formats (OCSP responses in crls, tag [1]) need version 5.
        if any(c[:1] == b"\xa1" for c in sd.crls):
            expected_sd = 5
        elif sd.econtent_type != OID_DATA or any(si.version == 3 for si in sd.signers):
            expected_sd = 3
        else:
            expected_sd = 1
        if sd.version != expected_sd:
            high = sd.version > expected_sd
            out.append(
                StructureFinding(
                    "cms-version",
                    f"SignedData version is {sd.version} but RFC 5652 §5.1 gives "
                    f"{expected_sd} for this content type, these signers and this revocation data",
                    "SignedData.version",
                    None,
                    tolerated=high,
                )
            )
    return out


def apply_structure_rules(job: Any) -> None:
    """Report each finding; a breach fails every signer it concerns (FORMAT_FAILURE).

    The one breach real producers commit in signatures that are otherwise sound, a
    SignedData version higher than §5.1 computes (a CAdES-XL producer in the EU DSS
    corpus writes 3 for 1), is a warning unless ``Policy.strict_cms_structure``.
    """
    sd = job.sd
    assert sd is not None
    if (
        sd.version == 1
        and len(sd.digest_algorithms) == 1
        and len(sd.signers) == 1
        and sd.signers[0].version == 1
        and sd.signers[0].issuer is not None
        and sd.signers[0].digest_algorithm.oid == sd.digest_algorithms[0].oid
        and sd.econtent_type == OID_DATA
        and not sd.crls
        and sd.other_certificate_formats == 0
    ):
        return  # the usual shape, checked on every verification: nothing to report
    strict = job.policy.strict_cms_structure
    for f in structure_findings(sd):
        if f.tolerated and not strict:
            job.checks.append(
                make_check(
                    f.name,
                    CheckOutcome.WARNING,
                    f"{f.message}; tolerated (Policy.strict_cms_structure)",
                    f.concerns,
                )
            )
            job.warnings.append(f.message)
            continue
        for st in job.signers:
            if f.signer is None or st.info.index == f.signer:
                st.fail(f.name, SubIndication.FORMAT_FAILURE, f.message, f.concerns)
