"""The checks of one CMS signer: signed attributes and the signature value.

Split from the verifier so each rule of RFC 5652 / EN 319 122-1 about a SignerInfo
lives next to the others; the verifier calls these with itself as ``host`` (for its
caches) and the job being verified.
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature

from . import _der as d
from ._algorithm_protection import OID_ALGORITHM_PROTECTION, algorithm_protection_problem
from ._algorithms import DIGEST_SIZES, AlgorithmError, NonStandardSignature, digest_name
from ._attrs import (
    OID_CONTENT_TYPE,
    OID_MESSAGE_DIGEST,
    OID_SIGNING_CERT_V1,
    OID_SIGNING_CERT_V2,
    OID_SIGNING_TIME,
    SINGLE_INSTANCE,
    attribute_label,
    decode_time,
)
from ._canonical import signed_attributes_der
from ._lenient import LenientCertRecord
from ._names import name_key
from ._result import CheckOutcome as _OUT
from ._result import SubIndication
from ._signer_state import SignerState, iso, make_check, oid_der
from .tsp._token import OID_CONTENT_TIMESTAMP

__all__ = ["check_attributes", "check_signature"]

# Unsigned attributes that carry proofs bayident does not verify: said so, not ignored.
_NOT_VERIFIED = {
    "1.2.840.113549.1.9.16.2.49": "an RFC 4998 evidence record (id-aa-er-internal)",
    "1.2.840.113549.1.9.16.2.50": "an RFC 4998 evidence record reference (id-aa-er-external)",
    "1.2.840.113549.1.9.16.2.48": "an archive time-stamp v2 (ETSI TS 101 733)",
    "1.2.840.113549.1.9.16.2.27": "an archive time-stamp v1 (ETSI TS 101 733)",
}

# Attributes whose values RFC 5652 §11.1-11.3 says are single, and whose meaning the
# signature carries: content-type, message-digest, signing-time.
_SIGNATURE_INPUT_ATTRS = frozenset({OID_CONTENT_TYPE, OID_MESSAGE_DIGEST, OID_SIGNING_TIME})


def check_attributes(host: Any, job: Any, st: SignerState, digests: dict[str, bytes]) -> None:
    si = st.info
    pol = job.policy
    assert job.sd is not None and st.digest is not None
    for a in si.unsigned_attrs:
        skipped = _NOT_VERIFIED.get(a.oid)
        if skipped is not None:
            st.add(
                "unsigned-attribute",
                _OUT.SKIPPED,
                f"{skipped} ({a.oid}) is not verified by bayident and proves nothing here",
                f"SignerInfo[{si.index}].unsignedAttrs",
            )
    where = f"SignerInfo[{si.index}].signedAttrs"
    if si.signed_attrs is None:
        if pol.require_signed_attributes:
            st.fail(
                "signed-attributes",
                SubIndication.SIG_CONSTRAINTS_FAILURE,
                "the signer has no signed attributes, which the policy requires",
                where,
            )
        else:
            st.add(
                "signed-attributes",
                _OUT.SKIPPED,
                "no signed attributes: the signature covers the content directly",
                where,
            )
        if pol.require_signing_certificate:
            st.fail(
                "signing-certificate-attribute",
                SubIndication.SIG_CONSTRAINTS_FAILURE,
                "no ESS signing-certificate attribute binds the signer certificate, as the "
                "policy requires",
                where,
            )
        return
    # The first attribute of each type; the usual case has each type once, with one value.
    attrs = si.signed_attrs
    by_oid: dict[str, Any] = {}
    usual = True
    for a in attrs:
        if a.oid in by_oid:
            usual = False
        else:
            by_oid[a.oid] = a
        if len(a.values) != 1 and a.oid in SINGLE_INSTANCE:
            usual = False
    if OID_CONTENT_TIMESTAMP in by_oid:
        st.content_timestamp = [a for a in attrs if a.oid == OID_CONTENT_TIMESTAMP]
    if OID_ALGORITHM_PROTECTION in by_oid:
        _check_algorithm_protection(
            st, [a for a in attrs if a.oid == OID_ALGORITHM_PROTECTION], pol.max_asn1_depth
        )
    if not usual and _single_instance_breaches(st, attrs):
        return
    _content_type(job, st, by_oid.get(OID_CONTENT_TYPE), where)
    # message-digest
    md = by_oid.get(OID_MESSAGE_DIGEST)
    label = attribute_label(OID_MESSAGE_DIGEST)
    if md is None:
        st.fail(
            "message-digest",
            SubIndication.FORMAT_FAILURE,
            "signed attributes lack message-digest (required by RFC 5652 §5.3)",
            where,
        )
    else:
        v = md.values[0]
        actual = digests.get(st.digest)
        if (
            actual is not None
            and len(actual) < 0x80
            and v == b"\x04" + bytes((len(actual),)) + actual
        ):
            # One well-formed OCTET STRING holding exactly the digest: the usual case.
            st.add(
                "message-digest",
                _OUT.PASSED,
                f"{st.digest} digest of the {job.content_label} matches",
                label,
            )
        else:
            _message_digest_mismatch(job, st, v, actual, label)
    # signing-time (a claim, reported)
    stime = by_oid.get(OID_SIGNING_TIME)
    if stime is not None:
        try:
            st.signing_time = decode_time(stime.values[0], "signing-time")
        except d.DERError as exc:
            st.fail(
                "signing-time",
                SubIndication.FORMAT_FAILURE,
                f"signing-time is malformed: {exc}",
                attribute_label(OID_SIGNING_TIME),
            )
        else:
            skew = pol.clock_skew
            if st.signing_time > job.at + skew:
                st.add(
                    "signing-time",
                    _OUT.WARNING,
                    f"claimed signing time {iso(st.signing_time)} is after the "
                    f"validation time {iso(job.at)}",
                    attribute_label(OID_SIGNING_TIME),
                )
                job.warnings.append("the claimed signing time is in the future")
            elif st.cert is not None and not (
                st.cert.not_before - skew <= st.signing_time <= st.cert.not_after + skew
            ):
                st.add(
                    "signing-time",
                    _OUT.WARNING,
                    f"claimed signing time {iso(st.signing_time)} is outside the "
                    f"validity of {st.cert.describe()}",
                    attribute_label(OID_SIGNING_TIME),
                )
                job.warnings.append(
                    "the claimed signing time is outside the signer certificate's validity"
                )
            else:
                st.add(
                    "signing-time",
                    _OUT.PASSED,
                    f"claimed signing time {iso(st.signing_time)} (not proven: "
                    "a claim by the signer)",
                    attribute_label(OID_SIGNING_TIME),
                )
    # ESS signing-certificate(-v2): binds the signer certificate (CAdES-BES).
    ess = by_oid.get(OID_SIGNING_CERT_V2) or by_oid.get(OID_SIGNING_CERT_V1)
    if ess is None:
        if pol.require_signing_certificate:
            st.fail(
                "signing-certificate-attribute",
                SubIndication.SIG_CONSTRAINTS_FAILURE,
                "no ESS signing-certificate attribute binds the signer certificate, as the "
                "policy requires",
                where,
            )
        return
    v2 = ess.oid == OID_SIGNING_CERT_V2
    label = attribute_label(ess.oid)
    try:
        ids = host._ess_ids(ess.values[0], v2, label)
    except d.DERError as exc:
        st.fail("signing-certificate-attribute", SubIndication.FORMAT_FAILURE, f"{exc}", label)
        return
    first = ids[0]
    try:
        hname = digest_name(first.hash_oid)
    except AlgorithmError as exc:
        st.fail(
            "signing-certificate-attribute",
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            exc.reason,
            label,
        )
        return
    if st.cert is None:
        return  # no signer certificate to compare it with (reported by signing-certificate)
    actual_hash = st.cert.digest(hname)
    if actual_hash != first.cert_hash:
        st.fail(
            "signing-certificate-attribute",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            f"the {hname} hash in the signing-certificate attribute does not match "
            f"{st.cert.describe()}: the signature names another certificate",
            label,
        )
    elif first.serial is not None and first.serial != st.cert.serial:
        st.fail(
            "signing-certificate-attribute",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            f"issuerSerial in the signing-certificate attribute names serial 0x{first.serial:x}, "
            f"not 0x{st.cert.serial:x}",
            label,
        )
    elif (
        first.issuer_name_der is not None
        and first.issuer_name_der != st.cert.issuer_der
        and name_key(first.issuer_name_der) != name_key(st.cert.issuer_der)
    ):
        # Names match by RFC 5280 §7.1 (string preparation, any string type): producers
        # re-encode the issuer name (UTF8String for PrintableString) when they copy it.
        st.fail(
            "signing-certificate-attribute",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "issuerSerial in the signing-certificate attribute names another issuer than "
            f"{st.cert.issuer} (compared by RFC 5280 §7.1 name matching)",
            label,
        )
    else:
        st.add(
            "signing-certificate-attribute",
            _OUT.PASSED,
            f"{'v2' if v2 else 'v1'} attribute binds {st.cert.describe()} ({hname})",
            label,
        )


def _single_instance_breaches(st: SignerState, attrs: tuple[Any, ...]) -> bool:
    """Report attributes RFC 5652 §11 allows once with one value; True: stop checking."""
    by_oid: dict[str, list[Any]] = {}
    for a in attrs:
        by_oid.setdefault(a.oid, []).append(a)
    for oid, items in by_oid.items():
        if oid in SINGLE_INSTANCE and (len(items) > 1 or len(items[0].values) != 1):
            st.fail(
                "signed-attributes",
                SubIndication.FORMAT_FAILURE,
                f"{attribute_label(oid)} appears {len(items)} times with "
                f"{sum(len(i.values) for i in items)} value(s); exactly one is allowed "
                "(RFC 5652 §11)",
                attribute_label(oid),
            )
            if not items[0].values:
                return True
            if oid in _SIGNATURE_INPUT_ATTRS:
                # RFC 5652 §11.1-11.3: these are part of what the signature means; with
                # several values the signature cannot be taken as valid (checked, reported).
                st.malformed_attrs = attribute_label(oid)
            # The others are still checked with their first value, so the report says
            # whether the signature is otherwise sound.
    return False


def _content_type(job: Any, st: SignerState, ct: Any, where: str) -> None:
    """content-type: present and equal to the eContentType, absent in a counter-signature."""
    if st.counter_of is not None:
        if ct is not None:
            st.fail(
                "content-type",
                SubIndication.FORMAT_FAILURE,
                "a counter-signature's signed attributes must not contain content-type "
                "(RFC 5652 §11.4)",
                attribute_label(OID_CONTENT_TYPE),
            )
    elif ct is None:
        st.fail(
            "content-type",
            SubIndication.FORMAT_FAILURE,
            "signed attributes lack content-type (required by RFC 5652 §5.3)",
            where,
        )
    else:
        v = ct.values[0]
        try:
            # Fast path: the value is the DER of the encapsulated content type itself.
            if v == oid_der(job.sd.econtent_type):
                ctype = job.sd.econtent_type
            else:
                ctype = d.decode_oid(v, d.read_tlv(v, 0, len(v), "content-type"), "content-type")
        except d.DERError as exc:
            st.fail(
                "content-type",
                SubIndication.FORMAT_FAILURE,
                f"content-type is malformed: {exc}",
                attribute_label(OID_CONTENT_TYPE),
            )
        else:
            if ctype != job.sd.econtent_type:
                st.fail(
                    "content-type",
                    SubIndication.FORMAT_FAILURE,
                    f"content-type attribute is {ctype} but the encapsulated content type is "
                    f"{job.sd.econtent_type}",
                    attribute_label(OID_CONTENT_TYPE),
                )


def _message_digest_mismatch(
    job: Any, st: SignerState, v: bytes, actual: bytes | None, label: str
) -> None:
    """The message-digest attribute is malformed, of the wrong size, or differs."""
    assert st.digest is not None
    try:
        tlv = d.read_tlv(v, 0, len(v), "message-digest")
        if tlv.tag != d.OCTET_STRING or tlv.next != len(v):
            raise d.DERError("must be one OCTET STRING", "message-digest")
        claimed = v[tlv.start : tlv.end]
    except d.DERError as exc:
        st.fail(
            "message-digest",
            SubIndication.FORMAT_FAILURE,
            f"message-digest is malformed: {exc}",
            label,
        )
    else:
        size = DIGEST_SIZES.get(st.digest)
        if size is not None and len(claimed) != size:
            st.fail(
                "message-digest",
                SubIndication.FORMAT_FAILURE,
                f"message-digest holds {len(claimed)} bytes but a {st.digest} digest has {size}",
                label,
            )
        elif actual is None:
            if job.content is None and job.given_digest is not None:
                text = (
                    f"the content digest given is {job.given_digest[0]} but the signer "
                    f"digests the content with {st.digest}: give a {st.digest} digest"
                )
            elif job.content is None:
                text = (
                    "the signature is detached and its content was not given, so the "
                    "message-digest cannot be checked (pass content=... or content_digest=...)"
                )
            else:
                text = f"the {job.content_label} could not be hashed with {st.digest}"
            st.fail("message-digest", SubIndication.SIGNED_DATA_NOT_FOUND, text, label)
        elif actual != claimed:
            st.fail(
                "message-digest",
                SubIndication.HASH_FAILURE,
                f"the {st.digest} digest of the {job.content_label} does not match the "
                "message-digest attribute: the content was changed after signing, or is "
                "not the signed document",
                label,
            )
        else:
            st.add(
                "message-digest",
                _OUT.PASSED,
                f"{st.digest} digest of the {job.content_label} matches",
                label,
            )


def _check_algorithm_protection(st: SignerState, attrs: list[Any], max_depth: int) -> None:
    problem = algorithm_protection_problem(st.info, attrs, max_depth)
    if problem is None:
        st.add(
            "cms-algorithm-protection",
            _OUT.PASSED,
            "the digest and signature algorithms the signer protected (RFC 6211) are those "
            "the SignerInfo names",
            attribute_label(OID_ALGORITHM_PROTECTION),
        )
        return
    st.algorithm_protection = problem
    st.fail(
        "cms-algorithm-protection",
        problem.sub,
        problem.reason,
        attribute_label(OID_ALGORITHM_PROTECTION),
    )


def check_signature(
    host: Any, job: Any, st: SignerState, digests: dict[str, bytes], whole: bytes | None
) -> None:
    si = st.info
    assert st.mech is not None and st.digest is not None and st.cert is not None
    where = f"SignerInfo[{si.index}].signature"
    sd = job.sd
    # GM/T 0010 / GB/T 35275 content types (1.2.156.10197.6.1.4.2.*) form a family of
    # their own: a GM/T signedData holds GM/T data, a PKCS#7 signedData PKCS#7 data.
    # A mix is neither format, so it is refused rather than guessed at.
    gm_outer = sd is not None and sd.content_type == "1.2.156.10197.6.1.4.2.2"
    gm_inner = sd is not None and sd.econtent_type == "1.2.156.10197.6.1.4.2.1"
    pkcs7_inner = sd is not None and sd.econtent_type == "1.2.840.113549.1.7.1"
    if sd is not None and gm_outer != gm_inner and (gm_inner or pkcs7_inner):
        outer, inner = ("GM/T", "PKCS#7") if gm_outer else ("PKCS#7", "GM/T")
        st.fail(
            "content-types",
            SubIndication.FORMAT_FAILURE,
            f"the ContentInfo type is {outer} signedData ({sd.content_type}) but the "
            f"encapsulated content type is {inner} data ({sd.econtent_type}); GB/T 35275 "
            "and RFC 5652 each use their own pair, never a mix",
            "SignedData.encapContentInfo.eContentType",
        )
        return
    if st.algorithm_protection is not None:
        # RFC 6211 §3: the verification fails, so the value is not even tried.
        st.fail(
            "signature",
            st.algorithm_protection.sub,
            "the signature is not valid: the signer's cms-algorithm-protection attribute "
            "does not protect the algorithms this SignerInfo names (see "
            "cms-algorithm-protection)",
            where,
        )
        return
    stored: bytes | None = None  # the signed attributes as stored, when they are not DER
    if si.signed_attrs_is_der and si.signed_attrs_der is not None:
        # The parser saw them in DER as they came: the signature input is the stored bytes.
        data, prehashed = si.signed_attrs_der, False
    elif si.signed_attrs_der is not None:
        try:
            data = signed_attributes_der(si.signed_attrs_der, job.policy.max_asn1_depth)
        except d.DERError as exc:
            st.fail(
                "signed-attributes-encoding",
                SubIndication.FORMAT_FAILURE,
                f"the signed attributes cannot be re-encoded as DER: {exc}",
                f"SignerInfo[{si.index}].signedAttrs",
            )
            return
        prehashed = False
        if data is not si.signed_attrs_der and data != si.signed_attrs_der:
            stored = si.signed_attrs_der
    elif st.mech.supports_prehash and st.digest in digests:
        data, prehashed = digests[st.digest], True
    elif whole is not None:
        data, prehashed = whole, False
    elif job.content is None:
        st.fail(
            "signature",
            SubIndication.SIGNED_DATA_NOT_FOUND,
            f"without signed attributes the {st.mech.name} signature covers the content "
            f"itself (or its {st.digest} digest), which was not given",
            where,
        )
        return
    else:
        st.fail(
            "signature",
            SubIndication.SIGNED_DATA_NOT_FOUND,
            f"{st.mech.name} without signed attributes signs the whole content, which is over "
            f"the in-memory limit of {job.policy.max_in_memory_content_bytes} bytes "
            "(Policy.max_in_memory_content_bytes)",
            where,
        )
        return
    try:
        mech = st.mech
        if mech.verify_with_policy is not None:
            mech.verify_with_policy(
                st.cert.public_key,
                si.signature,
                data,
                st.digest,
                si.signature_algorithm.parameters,
                prehashed,
                job.policy,
            )
        else:
            mech.verify(
                st.cert.public_key,
                si.signature,
                data,
                st.digest,
                si.signature_algorithm.parameters,
                prehashed,
            )
        if stored is not None:
            st.add(
                "signed-attributes-encoding",
                _OUT.WARNING,
                "the signed attributes are not stored in DER (out of order, or with BER "
                "lengths); the signature covers their DER encoding, as RFC 5652 §5.4 requires",
                f"SignerInfo[{si.index}].signedAttrs",
            )
            job.warnings.append(f"signer {si.index}: the signed attributes are not stored in DER")
    except InvalidSignature as first:
        if stored is None or isinstance(first, NonStandardSignature):
            _signature_failed(job, st, first, where)
            return
        try:
            verify_value(st, job.policy, stored, False)
        except Exception:
            _signature_failed(job, st, first, where)
            return
        _stored_order_only(job, st, where)
        return
    except AlgorithmError as exc:
        sub = (
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE
            if exc.unsupported
            else SubIndication.FORMAT_FAILURE
        )
        st.fail("signature", sub, exc.reason, where)
        return
    except (ValueError, TypeError) as exc:
        st.fail(
            "signature",
            SubIndication.SIG_CRYPTO_FAILURE,
            f"the signature cannot be checked with {st.cert.describe()}: {exc}",
            where,
        )
        return
    covered = "signed attributes" if si.signed_attrs_der is not None else job.content_label
    if st.malformed_attrs is not None:
        st.fail(
            "signature",
            SubIndication.FORMAT_FAILURE,
            f"the {st.mech.name} signature value verifies over the signed attributes, but "
            f"{st.malformed_attrs} has more than one value (RFC 5652 §11): not a valid CMS "
            "signature",
            where,
        )
        return
    st.add(
        "signature",
        _OUT.PASSED,
        f"{st.mech.name} signature over the {covered} verifies with the key of "
        f"{st.cert.describe()}",
        where,
    )


def verify_value(st: SignerState, policy: Any, data: bytes, prehashed: bool) -> None:
    """Check the signer's signature value over ``data``; raises like the mechanism."""
    assert st.mech is not None and st.digest is not None and st.cert is not None
    si = st.info
    key = st.cert.public_key
    params = si.signature_algorithm.parameters
    if st.mech.verify_with_policy is not None:
        st.mech.verify_with_policy(key, si.signature, data, st.digest, params, prehashed, policy)
    else:
        st.mech.verify(key, si.signature, data, st.digest, params, prehashed)


def _stored_order_only(job: Any, st: SignerState, where: str) -> None:
    """The signature covers the stored, non-DER signed attributes and not their DER."""
    assert st.cert is not None and st.mech is not None
    si = st.info
    message = (
        "the signature verifies only over the signed attributes as stored, which are not DER "
        "(out of order, or with BER lengths); RFC 5652 §5.4 requires it over their DER encoding"
    )
    if job.policy.accept_signed_attributes_as_stored:
        st.add(
            "signature",
            _OUT.WARNING,
            f"{message}; accepted by Policy.accept_signed_attributes_as_stored",
            where,
        )
        job.warnings.append(
            f"signer {si.index}: the signature covers the signed attributes as stored, not their "
            "DER encoding"
        )
    else:
        st.fail(
            "signature",
            SubIndication.SIG_CRYPTO_FAILURE,
            f"{message} (Policy.accept_signed_attributes_as_stored allows it)",
            where,
        )


def _signature_failed(job: Any, st: SignerState, exc: InvalidSignature, where: str) -> None:
    assert st.cert is not None and st.mech is not None
    si = st.info
    if isinstance(exc, NonStandardSignature) and exc.accepted:
        st.add(
            "signature",
            _OUT.WARNING,
            f"{st.mech.name} signature with the key of {st.cert.describe()} {exc.reason}",
            where,
        )
        job.warnings.append(
            f"signer {si.index}: the {st.mech.name} signature is the non-standard "
            f"variant {exc.variant}, accepted by the policy"
        )
    elif isinstance(exc, NonStandardSignature):
        st.fail(
            "signature",
            SubIndication.SIG_CONSTRAINTS_FAILURE,
            f"the {st.mech.name} signature with the key of {st.cert.describe()} {exc.reason}",
            where,
        )
    else:
        detail = f": {exc.args[0]}" if exc.args and isinstance(exc.args[0], str) else ""
        st.fail(
            "signature",
            SubIndication.SIG_CRYPTO_FAILURE,
            "the signature value does not verify with the public key of "
            f"{st.cert.describe()}{detail}",
            where,
        )


def report_lenient(job: Any, rec: Any, index: int) -> None:
    """Say that certificate ``index`` of the SignedData was only read leniently, and why."""
    job.checks.append(
        make_check(
            "certificate-lenient-parse",
            _OUT.WARNING,
            f"certificate {index} ({rec.describe()}) is refused by the strict X.509 parser "
            f"({rec.problem}); it was read leniently so its signer can still be checked",
            f"SignedData.certificates[{index}]",
        )
    )
    job.warnings.append(f"certificate {index} in the signature is not well-formed DER X.509")


def lenient_signer(job: Any, st: SignerState) -> bool:
    """Whether the signer certificate was read leniently; if so, decide what that costs.

    With ``Policy.accept_lenient_certificates`` off (the default) the signature cannot
    pass: a certificate that breaks X.509's encoding rules is not one a relying party
    should be asked to trust. With it on, the path is validated with the certificate's
    DER re-encoding, when the strict parser reads that (``st.cert`` becomes it).
    """
    rec = st.cert
    if not isinstance(rec, LenientCertRecord):
        return False
    concerns = rec.describe()
    if job.policy.accept_lenient_certificates and rec.repaired is not None:
        st.add(
            "certificate-lenient-parse",
            _OUT.WARNING,
            f"the signer certificate is refused by the strict X.509 parser ({rec.problem}); "
            "accepted by Policy.accept_lenient_certificates, its path is validated with its "
            "DER re-encoding",
            concerns,
        )
        st.cert = rec.repaired
        return False
    st.fail(
        "certificate-lenient-parse",
        SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
        f"the signer certificate is refused by the strict X.509 parser ({rec.problem}); its "
        "signature and attributes were checked with a lenient reading, but its path is not "
        "validated (Policy.accept_lenient_certificates)",
        concerns,
    )
    return True


def pss_hash_problem(params: bytes | None, policy: Any, at: Any) -> str | None:
    """Why the policy refuses the hashes RSASSA-PSS parameters name, or None.

    The hash inside RSASSA-PSS need not be the SignerInfo's digestAlgorithm (RFC 4056
    §2), so the policy's dated allow-list is applied to it (and MGF1's) separately.
    Malformed or unsupported parameters are reported by the signature check.
    """
    from ._algorithms import parse_pss_params

    try:
        hash_name, mgf_hash, _ = parse_pss_params(params)
    except AlgorithmError:
        return None
    for what, name in (("hashAlgorithm", hash_name), ("MGF1 hash", mgf_hash)):
        if not policy.accepts_digest(name, at):
            return (
                f"the RSASSA-PSS parameters' {what} {name} is not accepted by the policy at "
                f"{at:%Y-%m-%d}"
            )
    return None
