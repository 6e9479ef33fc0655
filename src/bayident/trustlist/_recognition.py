"""Recognition policy: which issuers are accepted, for what, and at what assurance.

A policy is an ordered list of rules. Each rule names the issuers it covers —
by trusted list (territory, jurisdiction, scheme), service type, trust anchor,
issuing CA and certificate-policy OIDs — the purposes it admits them for
(``sign``, ``authenticate``) and the assurance it gives (``low``,
``substantial``, ``high``). The first rule that admits a signer decides;
``docs/recognition.md`` explains the default for the Greater Bay Area.
"""

from __future__ import annotations

import datetime as _dt
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .._exceptions import InvalidArgument, PolicyError
from .._identity import AssuranceLevel, Purpose
from .._json import JSONError, loads
from .._result import SignerReport
from .._trust import TrustAnchor
from ._model import IN_FORCE_STATUSES

__all__ = [
    "GBA_MUTUAL_RECOGNITION_POLICY_ARC",
    "ChainInfo",
    "RecognitionDecision",
    "RecognitionPolicy",
    "RecognitionRule",
]


#: Certificate policy arc of the Guangdong–Hong Kong mutual recognition of e-signature
#: certificates: ``2.16.344.8.2.2008.810.2.<year>.<version>.<release>``.
GBA_MUTUAL_RECOGNITION_POLICY_ARC = "2.16.344.8.2.2008.810.2"

_SVCTYPE = "http://uri.etsi.org/TrstSvc/Svctype/"
_MAX_POLICY_BYTES = 4 * 1024 * 1024


_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})


def _norm(name: str) -> str:
    # The Digital Policy Office page writes "e-Cert CA 2 – 15" with an en dash; certificates
    # use a hyphen. Dashes, case and spacing are not what tells two CAs apart.
    return " ".join(name.translate(_DASHES).split()).casefold()


def _check_oid(oid: str) -> str:
    parts = oid.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a dotted OID: {oid!r}")
    return oid


class RecognitionRule(BaseModel):
    """One rule: the issuers it covers, the purposes it admits and the assurance it gives.

    Every non-empty constraint must hold; an empty one does not constrain.
    Names are compared on the common name, case and spacing ignored.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, description="Stable name, reported in decisions.")
    description: str = ""
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    assurance: AssuranceLevel
    enabled: bool = Field(
        default=True,
        description="A rule waiting for a setting that is not public stays disabled.",
    )
    disabled_reason: str = ""
    territories: tuple[str, ...] = Field(
        default=(), description="SchemeTerritory of the list the anchor came from (HK, MO, CN…)."
    )
    jurisdictions: tuple[str, ...] = Field(
        default=(), description="Jurisdiction of the anchor (HK, MO, CN-GD…)."
    )
    schemes: tuple[str, ...] = Field(default=(), description="Scheme names of the lists.")
    service_types: tuple[str, ...] = Field(
        default=(), description="Service type URIs, or short forms such as CA/QC."
    )
    anchor_names: tuple[str, ...] = Field(default=(), description="Common names of the anchor.")
    anchor_fingerprints: tuple[str, ...] = Field(
        default=(), description="SHA-256 fingerprints (hex) of the anchor certificate."
    )
    issuer_names: tuple[str, ...] = Field(
        default=(),
        description="Common names, one of which the CA that issued the signer must have.",
    )
    policy_oids: tuple[str, ...] = Field(
        default=(),
        description="The signer certificate must assert a policy equal to, or under, one of these.",
    )
    require_status_in_force: bool = Field(
        default=True,
        description="The anchor's trusted-list status at the validation time must be in force.",
    )
    sources: tuple[str, ...] = Field(default=(), description="Where the rule's facts come from.")

    @field_validator("policy_oids")
    @classmethod
    def _oids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_oid(o) for o in value)

    @field_validator("service_types")
    @classmethod
    def _types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v if "://" in v else _SVCTYPE + v for v in value)

    @field_validator("anchor_fingerprints")
    @classmethod
    def _fps(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for v in value:
            h = v.replace(":", "").lower()
            if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
                raise ValueError(f"not a SHA-256 fingerprint: {v!r}")
            out.append(h)
        return tuple(out)


class RecognitionDecision(BaseModel):
    """Whether a signer is admitted for a purpose, by which rule, and why."""

    model_config = ConfigDict(frozen=True)

    admitted: bool
    rule: str = Field(
        description="The rule that admitted, or the closest one that did not ('' if none applied)."
    )
    reason: str
    purpose: Purpose
    assurance: AssuranceLevel | None = None


@dataclass(frozen=True)
class ChainInfo:
    """What a rule needs to know of a signer: its policies and its issuers' names.

    ``issuer_names`` are the common names of the certificates above the
    signer, nearest first (the trust anchor may be last).
    """

    signer_policies: tuple[str, ...]
    issuer_names: tuple[str, ...] = ()
    signer_subject: str = ""

    @classmethod
    def from_certificates(cls, chain: Sequence[x509.Certificate]) -> ChainInfo:
        """From certificates, the signer first."""
        if not chain:
            raise InvalidArgument("a chain needs at least the signer certificate")
        signer = chain[0]
        try:
            pols = signer.extensions.get_extension_for_class(x509.CertificatePolicies).value
            policies = tuple(p.policy_identifier.dotted_string for p in pols)
        except (x509.ExtensionNotFound, ValueError):
            policies = ()
        return cls(
            signer_policies=policies,
            issuer_names=tuple(_cn_of_cert(c) for c in chain[1:]),
            signer_subject=signer.subject.rfc4514_string(),
        )

    @classmethod
    def from_report(cls, report: SignerReport) -> ChainInfo:
        """From a :class:`~bayident.SignerReport` (its certificate and validated chain)."""
        cert = report.certificate
        chain = report.chain
        above = (
            chain[1:]
            if chain and cert is not None and chain[0].fingerprint_sha256 == cert.fingerprint_sha256
            else chain
        )
        return cls(
            signer_policies=cert.policies if cert is not None else (),
            issuer_names=tuple(_cn_of_rfc4514(c.subject) for c in above),
            signer_subject=cert.subject if cert is not None else "",
        )


def _cn_of_cert(cert: x509.Certificate) -> str:
    try:
        attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return ""
    return str(attrs[0].value) if attrs else ""


def _cn_of_rfc4514(subject: str) -> str:
    """The CN of an RFC 4514 string, escapes undone."""
    parts: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(subject):
        ch = subject[i]
        if ch == "\\" and i + 1 < len(subject):
            cur.append(subject[i + 1])
            i += 2
            continue
        if ch in ",+":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    for p in parts:
        key, _, value = p.partition("=")
        if key.strip().upper() in ("CN", "2.5.4.3"):
            return value.strip()
    return ""


class RecognitionPolicy(BaseModel):
    """Ordered recognition rules; :meth:`evaluate` gives the decision for one signer.

    Load one with :meth:`from_file` (TOML, JSON or YAML) or start from
    :meth:`greater_bay_area_default`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "recognition policy"
    rules: tuple[RecognitionRule, ...] = ()

    @field_validator("rules")
    @classmethod
    def _unique(cls, value: tuple[RecognitionRule, ...]) -> tuple[RecognitionRule, ...]:
        names = [r.name for r in value]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(sorted(dup))}")
        return value

    # --- evaluating ---------------------------------------------------------------------
    def evaluate(
        self,
        signer: SignerReport | ChainInfo | Sequence[x509.Certificate],
        anchor: TrustAnchor | None,
        purpose: Purpose,
        *,
        at: _dt.datetime | None = None,
        minimum_assurance: AssuranceLevel | str | None = None,
    ) -> RecognitionDecision:
        """Which rule, if any, admits ``signer`` (anchored at ``anchor``) for ``purpose``.

        ``at`` is the validation time for the anchor's trusted-list status
        (default now). ``minimum_assurance`` skips rules that give less.
        """
        if purpose not in ("sign", "authenticate"):
            raise InvalidArgument(f"purpose must be 'sign' or 'authenticate', not {purpose!r}")
        minimum = None
        if minimum_assurance is not None:
            try:
                minimum = AssuranceLevel(minimum_assurance)
            except ValueError:
                raise InvalidArgument(f"unknown assurance level {minimum_assurance!r}") from None
        if isinstance(signer, ChainInfo):
            info = signer
        elif isinstance(signer, SignerReport):
            info = ChainInfo.from_report(signer)
        elif isinstance(signer, Sequence) and all(isinstance(c, x509.Certificate) for c in signer):
            info = ChainInfo.from_certificates(list(signer))
        else:
            raise InvalidArgument(
                "signer must be a SignerReport, a ChainInfo or a list of certificates (signer first)"
            )
        when = at or _dt.datetime.now(_dt.UTC)
        if when.tzinfo is None:
            raise InvalidArgument("at must be timezone-aware")
        misses: list[tuple[str, str]] = []
        for rule in self.rules:
            if purpose not in rule.purposes:
                continue
            why = self._miss(rule, info, anchor, when, minimum)
            if why is None:
                return RecognitionDecision(
                    admitted=True,
                    rule=rule.name,
                    reason=f"admitted for '{purpose}' at assurance '{rule.assurance.value}' by rule "
                    f"'{rule.name}'",
                    purpose=purpose,
                    assurance=rule.assurance,
                )
            misses.append((rule.name, why))
        if not misses:
            return RecognitionDecision(
                admitted=False,
                rule="",
                reason=f"no rule of '{self.name}' covers the purpose '{purpose}'",
                purpose=purpose,
            )
        detail = "; ".join(f"rule '{n}': {w}" for n, w in misses[:5])
        return RecognitionDecision(
            admitted=False,
            rule=misses[0][0],
            reason=f"not admitted for '{purpose}': {detail}",
            purpose=purpose,
        )

    @staticmethod
    def _miss(
        rule: RecognitionRule,
        info: ChainInfo,
        anchor: TrustAnchor | None,
        when: _dt.datetime,
        minimum: AssuranceLevel | None,
    ) -> str | None:
        if not rule.enabled:
            return f"disabled ({rule.disabled_reason or 'not configured'})"
        if minimum is not None and rule.assurance.rank < minimum.rank:
            return f"gives assurance '{rule.assurance.value}', '{minimum.value}' is required"
        needs_anchor = any(
            (
                rule.territories,
                rule.jurisdictions,
                rule.schemes,
                rule.service_types,
                rule.anchor_names,
                rule.anchor_fingerprints,
            )
        )
        if anchor is None and (needs_anchor or rule.require_status_in_force):
            return "no trust anchor was given"
        if anchor is not None:
            if rule.territories and (anchor.list_territory or "") not in rule.territories:
                return (
                    f"the anchor's list territory is {anchor.list_territory or 'none'}, not "
                    f"{' or '.join(rule.territories)}"
                )
            if rule.jurisdictions and (anchor.jurisdiction or "") not in rule.jurisdictions:
                return (
                    f"the anchor's jurisdiction is {anchor.jurisdiction or 'unknown (not from a list)'}"
                    f", not {' or '.join(rule.jurisdictions)}"
                )
            if rule.schemes and (anchor.scheme or "") not in rule.schemes:
                return f"the anchor's scheme is {anchor.scheme or 'unknown'!r}"
            if rule.service_types and (anchor.service_type or "") not in rule.service_types:
                return f"the anchor's service type is {anchor.service_type or 'unknown'}"
            if rule.anchor_fingerprints and anchor.fingerprint not in rule.anchor_fingerprints:
                return f"the anchor '{anchor.subject}' is not one of the pinned fingerprints"
            if rule.anchor_names and _norm(_cn_of_cert(anchor.certificate)) not in {
                _norm(n) for n in rule.anchor_names
            }:
                return f"the anchor '{anchor.subject}' is not {' or '.join(rule.anchor_names)}"
            if rule.require_status_in_force:
                status = anchor.status_at(when)
                if status is None:
                    return (
                        f"the anchor '{anchor.subject}' has no trusted-list status at "
                        f"{when.isoformat()}"
                    )
                if status not in IN_FORCE_STATUSES:
                    return (
                        f"the anchor's service status at {when.isoformat()} is "
                        f"{status.rsplit('/', 1)[-1]}"
                    )
        if rule.issuer_names:
            wanted = {_norm(n) for n in rule.issuer_names}
            nearest = info.issuer_names[0] if info.issuer_names else ""
            if _norm(nearest) not in wanted:
                return (
                    f"the signer was issued by {nearest or 'an unknown CA'!r}, not by "
                    f"{' or '.join(repr(n) for n in rule.issuer_names)}"
                )
        if rule.policy_oids:
            ok = any(
                p == arc or p.startswith(arc + ".")
                for p in info.signer_policies
                for arc in rule.policy_oids
            )
            if not ok:
                have = ", ".join(info.signer_policies) or "none"
                return (
                    f"the signer certificate asserts no policy under {' or '.join(rule.policy_oids)}"
                    f" (it asserts: {have})"
                )
        return None

    # --- loading ------------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path) -> RecognitionPolicy:
        """Load a policy from ``.toml``, ``.json``, ``.yaml`` or ``.yml``; unknown keys are errors.

        The rules may sit at the top level or under a ``recognition`` table.
        YAML needs PyYAML (the ``etsi`` extra).
        """
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise PolicyError(
                f"cannot read recognition policy {p}: {exc.strerror or exc}"
            ) from None
        if len(raw) > _MAX_POLICY_BYTES:
            raise PolicyError(f"recognition policy {p} is larger than 4 MiB")
        suffix = p.suffix.lower()
        try:
            if suffix == ".toml":
                data = tomllib.loads(raw.decode("utf-8"))
            elif suffix in (".yaml", ".yml"):
                data = _yaml_load(raw)
            else:
                data = loads(raw, f"recognition policy {p}", _MAX_POLICY_BYTES)
        except JSONError as exc:
            raise PolicyError(str(exc)) from None
        except PolicyError as exc:
            raise PolicyError(f"recognition policy {p}: {exc}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise PolicyError(
                f"recognition policy {p} is not valid {suffix or 'JSON'}: {exc}"
            ) from None
        if isinstance(data, dict) and "recognition" in data:
            data = data["recognition"]
        if not isinstance(data, dict):
            raise PolicyError(f"recognition policy {p} must hold a table/object at top level")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            raise PolicyError(f"recognition policy {p}: {loc}: {err['msg']}") from None

    # --- the Greater Bay Area default --------------------------------------------------
    @classmethod
    def greater_bay_area_default(
        cls,
        *,
        hongkong_assurance: AssuranceLevel | str = AssuranceLevel.SUBSTANTIAL,
        guangdong_anchor_names: Sequence[str] = (),
        guangdong_anchor_fingerprints: Sequence[str] = (),
        guangdong_assurance: AssuranceLevel | str = AssuranceLevel.SUBSTANTIAL,
        hongkong_post_anchor_fingerprints: Sequence[str] = (),
    ) -> RecognitionPolicy:
        """The Guangdong–Hong Kong mutual recognition of e-signature certificates.

        Facts (each cited in ``docs/recognition.md``): mutual-recognition
        certificates assert a policy under ``2.16.344.8.2.2008.810.2``;
        Hongkong Post issues them from "Hongkong Post e-Cert CA 2 - 15"
        under "Hongkong Post Root CA 2" (e-Cert (Personal), from 11 July
        2015; earlier "e-Cert CA 1 - 10" under "Root CA 1"); recognition
        goes through the trust lists each side publishes, so anchors must come
        from a list for the jurisdiction (HK or CN-GD); the purpose is
        electronic signatures.

        Settings for what is not public: ``guangdong_anchor_names`` /
        ``guangdong_anchor_fingerprints`` (the Guangdong-side CA list; the
        Guangdong rule stays disabled until one is given), the assurance each
        side is given (a relying-party choice, ``substantial`` by default),
        and optional pins of the Hongkong Post root.
        """
        arc = GBA_MUTUAL_RECOGNITION_POLICY_ARC
        dpo = (
            "Digital Policy Office, 'Mutual Recognition of Electronic Signature Certificates' "
            "(trust-list page)"
        )
        gd_decree = (
            "粤府〔2012〕82号 (cross-recognition through the trust lists each side publishes)"
        )
        gd_configured = bool(guangdong_anchor_names or guangdong_anchor_fingerprints)
        return cls(
            name="Guangdong–Hong Kong mutual recognition (bayident default)",
            rules=(
                RecognitionRule(
                    name="gd-hk-mr/hongkong-post-e-cert-ca-2-15",
                    description="Hongkong Post e-Cert (Personal) mutual-recognition certificates "
                    "issued from 11 July 2015.",
                    purposes=("sign",),
                    assurance=hongkong_assurance,
                    jurisdictions=("HK",),
                    anchor_names=("Hongkong Post Root CA 2",),
                    anchor_fingerprints=tuple(hongkong_post_anchor_fingerprints),
                    issuer_names=("Hongkong Post e-Cert CA 2 - 15",),
                    policy_oids=(arc,),
                    sources=(dpo, gd_decree),
                ),
                RecognitionRule(
                    name="gd-hk-mr/hongkong-post-e-cert-ca-1-10",
                    description="Earlier Hongkong Post mutual-recognition certificates (Root CA 1 "
                    "expired in 2023; kept for validating older signatures).",
                    purposes=("sign",),
                    assurance=hongkong_assurance,
                    jurisdictions=("HK",),
                    anchor_names=("Hongkong Post Root CA 1",),
                    issuer_names=("Hongkong Post e-Cert CA 1 - 10",),
                    policy_oids=(arc,),
                    sources=(dpo, gd_decree),
                ),
                RecognitionRule(
                    name="gd-hk-mr/guangdong-cas",
                    description="Guangdong-side CAs of the arrangement, as configured by the "
                    "relying party.",
                    purposes=("sign",),
                    assurance=guangdong_assurance,
                    enabled=gd_configured,
                    disabled_reason=(
                        ""
                        if gd_configured
                        else "the Guangdong-side CA list is not public: set "
                        "guangdong_anchor_names or guangdong_anchor_fingerprints"
                    ),
                    jurisdictions=("CN-GD",),
                    anchor_names=tuple(guangdong_anchor_names),
                    anchor_fingerprints=tuple(guangdong_anchor_fingerprints),
                    policy_oids=(arc,),
                    sources=(gd_decree,),
                ),
            ),
        )


def _yaml_load(raw: bytes) -> Any:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        raise PolicyError(
            "YAML policies need PyYAML (pip install 'bayident[etsi]'); use TOML or JSON"
        ) from None

    class _Loader(yaml.SafeLoader):  # type: ignore[misc]
        pass

    def _mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in out:
                raise PolicyError(f"duplicate key {key!r} (line {key_node.start_mark.line + 1})")
            out[key] = loader.construct_object(value_node, deep=deep)
        return out

    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    try:
        return yaml.load(raw.decode("utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None
