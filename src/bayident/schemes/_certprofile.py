"""Certificate-profile adapters configured by data: issuer names, policy arcs, attributes.

A :class:`CertificateProfile` says how to recognise a scheme's certificates (CA names in
the validated path, certificate-policy arcs) and how to read an identity from them
(which subject attributes hold which identifiers, how the certificate type is told, which
assurance each type gets). :class:`ProfileAdapter` applies one. Every default of the
built-in profiles is documented with its source in ``docs/schemes/``; what the public
record leaves open is a setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .._exceptions import InvalidArgument
from .._identity import Assurance, AssuranceLevel, Identity, IdentityIdentifier
from ..identifiers import IdentifierKind
from ..identifiers import validate as _validate_identifier
from ._base import CertificateView, ProfileError, ProfileMatch
from ._roots import impersonated_root

__all__ = ["CertificateProfile", "ProfileAdapter"]

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_OID = re.compile(r"[0-2](\.[0-9]+)+", re.ASCII)


def with_changes(base: CertificateProfile, changes: Mapping[str, object]) -> CertificateProfile:
    """``base`` with ``changes``, validated like a new profile (a malformed OID or an
    unknown field is refused here, not accepted silently and missed later)."""
    if not changes:
        return base
    try:
        return CertificateProfile.model_validate({**base.model_dump(), **changes})
    except ValidationError as exc:
        faults = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'profile'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidArgument(f"certificate profile: {faults}") from None


def _under(oid: str, arc: str) -> bool:
    return oid == arc or oid.startswith(arc + ".")


def _found(needle: str, haystack: str) -> bool:
    return needle.casefold() in haystack.casefold()


class CertificateProfile(BaseModel):
    """How a scheme's certificates are recognised and read.

    Matching: a certificate is claimed when ``require`` is met by its markers: an
    ``issuer_patterns`` entry found (case-insensitively) in the common name of a CA of
    the validated path, including the anchor; a policy at or under one of
    ``policy_arcs``.

    Reading: ``type_by_policy`` / ``type_by_issuer`` / ``type_by_subject_org`` tell the
    certificate type (first hit wins, in that order), else ``default_type``;
    ``identifier_attributes`` read subject attributes as identifiers of a kind (validated
    when the kind is one :mod:`bayident.identifiers` knows); ``scan_attributes`` are
    subject attributes whose values are kept when they validate as one of ``scan_kinds``
    (with an ``NTRCN-``-style prefix of ETSI EN 319 412-1 removed first);
    ``assurance_by_type`` maps types to the common scale, else ``default_assurance``.
    The holder's organisation is the first subject organisationName that is not a product
    label matched by ``type_by_subject_org``. The subject is an
    organisation for ``organisation_types`` and when only organisation identifiers
    (``organisation_scan_kinds``) were found.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    adapter: str = Field(min_length=1, max_length=64)
    scheme: str = Field(min_length=1, max_length=64)
    jurisdiction: str = Field(min_length=1, max_length=16)
    display_name: str
    issuer_patterns: tuple[str, ...] = ()
    policy_arcs: tuple[str, ...] = ()
    require: Literal["issuer", "policy", "either", "both"] = "either"
    type_by_policy: tuple[tuple[str, str], ...] = ()
    type_by_issuer: tuple[tuple[str, str], ...] = ()
    type_by_subject_org: tuple[tuple[str, str], ...] = ()
    default_type: str | None = None
    organisation_types: tuple[str, ...] = ()
    identifier_attributes: tuple[tuple[str, str], ...] = ()
    scan_attributes: tuple[str, ...] = ()
    scan_kinds: tuple[str, ...] = ()
    organisation_scan_kinds: tuple[str, ...] = ("CN_USCC",)
    assurance_by_type: Mapping[str, AssuranceLevel] = Field(default_factory=dict)
    default_assurance: AssuranceLevel = AssuranceLevel.LOW
    assurance_basis: str = ""
    require_subject_name: bool = True
    sources: tuple[str, ...] = ()

    @field_validator("policy_arcs")
    @classmethod
    def _arcs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for arc in value:
            if not _OID.fullmatch(arc):
                raise ValueError(f"not a dotted OID: {arc!r}")
        return value

    @field_validator("type_by_policy")
    @classmethod
    def _type_arcs(cls, value: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        for arc, _ in value:
            if not _OID.fullmatch(arc):
                raise ValueError(f"not a dotted OID: {arc!r}")
        return value

    @field_validator("identifier_attributes")
    @classmethod
    def _attr_oids(cls, value: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        for oid, _ in value:
            if not _OID.fullmatch(oid):
                raise ValueError(f"not a dotted OID: {oid!r}")
        return value


_KNOWN_KINDS = {k.value for k in IdentifierKind}
# ETSI EN 319 412-1 §5.1.4 semantics identifier prefixes ("NTR" + country code + "-").
_SEMANTICS_PREFIX = re.compile(r"^(?:NTR|VAT|PSD|IDC|PAS|PNO|TIN)[A-Z]{2}[-:]", re.ASCII)


class ProfileAdapter:
    """A certificate adapter driven by a :class:`CertificateProfile`.

    Subclasses override :meth:`extra_identifiers` for scheme-specific fields and
    :meth:`validate_profile` for scheme-specific requirements.
    """

    def __init__(self, profile: CertificateProfile) -> None:
        if not isinstance(profile, CertificateProfile):
            raise TypeError("profile must be a CertificateProfile")
        self.profile = profile
        self.name = profile.adapter
        self.scheme = profile.scheme
        self.jurisdiction = profile.jurisdiction

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    # --- matching -------------------------------------------------------------------
    def match_certificate(self, view: CertificateView) -> ProfileMatch | None:
        """Claim the certificate when the profile's markers are there."""
        markers = self._markers(view.ca_names, view.policies)
        if markers is None:
            return None
        return ProfileMatch(
            adapter=self.name,
            scheme=self.scheme,
            certificate_type=self.certificate_type(view),
            markers=markers,
        )

    def _markers(
        self, ca_names: tuple[str, ...], policies: tuple[str, ...]
    ) -> tuple[str, ...] | None:
        """The markers found, or None when the profile does not claim the certificate.

        They depend only on the path's CA names and the asserted policies, which recur
        for every signer of a CA: each combination is decided once per adapter (the
        profile is frozen).
        """
        memo: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, ...] | None]
        memo = self.__dict__.setdefault("_marker_memo", {})
        key = (ca_names, policies)
        if key in memo:
            return memo[key]
        found = self._find_markers(ca_names, policies)
        if len(memo) >= 1024:
            memo.clear()
        memo[key] = found
        return found

    def _find_markers(
        self, ca_names: tuple[str, ...], policies: tuple[str, ...]
    ) -> tuple[str, ...] | None:
        p = self.profile
        markers: list[str] = []
        issuer_hit = False
        for pattern in p.issuer_patterns:
            for name in ca_names:
                if _found(pattern, name):
                    markers.append(f"CA '{name}' matches '{pattern}'")
                    issuer_hit = True
                    break
            if issuer_hit:
                break
        policy_hit = False
        for arc in p.policy_arcs:
            for oid in policies:
                if _under(oid, arc):
                    markers.append(f"policy {oid} is under {arc}")
                    policy_hit = True
                    break
            if policy_hit:
                break
        claimed = {
            "issuer": issuer_hit,
            "policy": policy_hit,
            "either": issuer_hit or policy_hit,
            "both": issuer_hit and policy_hit,
        }[p.require]
        return tuple(markers) if claimed else None

    def certificate_type(self, view: CertificateView) -> str | None:
        """The certificate type by policy, issuer name, subject organisation, or the default."""
        p = self.profile
        for arc, kind in p.type_by_policy:
            if any(_under(oid, arc) for oid in view.policies):
                return kind
        for pattern, kind in p.type_by_issuer:
            if any(_found(pattern, n) for n in view.ca_names):
                return kind
        for pattern, kind in p.type_by_subject_org:
            if any(_found(pattern, o) for o in view.subject_values("2.5.4.10")):
                return kind
        return p.default_type

    # --- identity -------------------------------------------------------------------
    def certificate_identity(self, view: CertificateView, match: ProfileMatch) -> Identity:
        """The identity the certificate states.

        :raises ProfileError: a field the profile requires is missing or invalid.
        """
        p = self.profile
        if view.anchor is not None:
            # A CA name recognises the scheme only if the anchor really is that CA.
            impostor = impersonated_root(view.anchor.certificate, view.anchor.fingerprint)
            if impostor is not None:
                raise ProfileError(impostor, "anchor")
        name = view.subject_cn.strip()
        if p.require_subject_name and not name:
            raise ProfileError(
                f"the {p.display_name} certificate has no subject commonName, which the "
                "profile requires",
                "subject.commonName",
            )
        identifiers = list(self._identifiers(view))
        identifiers.extend(self.extra_identifiers(view, match))
        for email in view.emails[:4]:
            identifiers.append(
                IdentityIdentifier(kind="EMAIL", value=email, verified_by="certificate")
            )
        ctype = match.certificate_type
        labels = [pattern for pattern, _ in p.type_by_subject_org]
        organisation = next(
            (o for o in view.subject_values("2.5.4.10") if not any(_found(x, o) for x in labels)),
            None,
        )
        org_ids = any(i.kind in p.organisation_scan_kinds for i in identifiers)
        person_ids = any(i.kind in ("HKID", "CN_RIC", "MO_BIR") for i in identifiers)
        is_org = ctype in p.organisation_types or (org_ids and not person_ids)
        level = p.assurance_by_type.get(ctype or "", p.default_assurance)
        type_label = ctype or "unclassified"
        basis = f"{p.display_name} certificate of type '{type_label}' maps to '{level.value}'" + (
            f" ({p.assurance_basis})" if p.assurance_basis else ""
        )
        self.validate_profile(view, match, identifiers)
        return Identity(
            scheme=p.scheme,
            adapter=self.name,
            jurisdiction=p.jurisdiction,
            subject_type="organisation" if is_org else "person",
            identifiers=tuple(identifiers),
            name_zh=name if name and _CJK.search(name) else None,
            name_en=name if name and not _CJK.search(name) else None,
            organisation=organisation,
            assurance=Assurance(scheme_level=type_label, level=level, basis=basis),
            evidence=(
                f"{p.display_name} certificate '{view.subject or name}' issued by "
                f"'{view.issuer_cn}', path validated to '{view.anchor_cn or 'an anchor'}'"
            ),
        )

    def _identifiers(self, view: CertificateView) -> list[IdentityIdentifier]:
        p = self.profile
        out: list[IdentityIdentifier] = []
        for oid, kind in p.identifier_attributes:
            for raw in view.subject_values(oid):
                value = raw.strip()
                if not value:
                    continue
                if kind in _KNOWN_KINDS:
                    check = _validate_identifier(kind, value[:64])
                    if not check.valid or check.normalized is None:
                        raise ProfileError(
                            f"subject attribute {oid} holds {value[:40]!r}, which is not a valid "
                            f"{kind}: {check.reason}",
                            f"subject.{oid}",
                        )
                    value = check.normalized
                out.append(
                    IdentityIdentifier(
                        kind=kind, value=value, verified_by=f"certificate subject attribute {oid}"
                    )
                )
        has_org = bool(view.subject_values("2.5.4.10"))
        for oid in p.scan_attributes:
            for raw in view.subject_values(oid):
                value = _SEMANTICS_PREFIX.sub("", raw.strip())
                valid: list[tuple[str, str]] = []
                for kind in p.scan_kinds:
                    check = _validate_identifier(kind, value[:64])
                    if check.valid and check.normalized is not None:
                        valid.append((kind, check.normalized))
                if not valid:
                    continue
                # A value can pass two check-character algorithms by chance (an all-digit
                # unified social credit code can look like a resident identity number):
                # the subject's organisationName says which is meant.
                orgs = [v for v in valid if v[0] in p.organisation_scan_kinds]
                others = [v for v in valid if v[0] not in p.organisation_scan_kinds]
                kind, norm = (orgs or others)[0] if has_org else (others or orgs)[0]
                if not any(i.kind == kind and i.value == norm for i in out):
                    out.append(
                        IdentityIdentifier(
                            kind=kind,
                            value=norm,
                            verified_by=f"certificate subject attribute {oid}",
                        )
                    )
        return out

    # --- hooks ----------------------------------------------------------------------
    def extra_identifiers(
        self, view: CertificateView, match: ProfileMatch
    ) -> list[IdentityIdentifier]:
        """Scheme-specific identifiers (none by default)."""
        return []

    def validate_profile(
        self, view: CertificateView, match: ProfileMatch, identifiers: list[IdentityIdentifier]
    ) -> None:
        """Raise :class:`ProfileError` when the certificate lacks what the scheme requires."""
