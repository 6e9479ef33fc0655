"""Recognition: whether a relying party accepts an identity for a purpose, and by which rule.

Two kinds of rule decide, in this order:

1. **Domestic**: an identity from the relying party's own jurisdiction
   (``home_jurisdiction``) is accepted when its assurance is high enough.
2. **Foreign, by certificate**: when the identity comes with a certificate path, the
   certificate recognition policy decides (by default the Guangdong–Hong Kong mutual
   recognition policy of :mod:`bayident.trustlist`).
3. **Foreign, by identity**: :class:`IdentityRule` s admit identities of a scheme and
   jurisdiction for a purpose, whatever carried them (a token, an iAM Smart profile).

The first rule that admits decides; when none does, the decision names the closest rule
and why it did not admit.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from .._exceptions import InvalidArgument
from .._identity import AssuranceLevel, Identity, Purpose, Recognition
from ._roots import impersonated_root

if TYPE_CHECKING:
    from cryptography import x509

    from .._trust import TrustAnchor

__all__ = [
    "CROSS_BORDER_2023",
    "CertificateRecognitionPolicy",
    "IdentityRule",
    "RecognitionOutcome",
    "Recognizer",
    "default_identity_rules",
    "iamsmart_without_binding_rule",
]


#: The name of the 2023 Guangdong–Hong Kong cross-boundary arrangement, as an
#: :class:`~bayident.IdentityBinding` ``arrangement``.
CROSS_BORDER_2023 = "gd-hk-cross-border-2023"

_CROSS_BORDER_2023 = (
    "HKSAR Government press release P2023110200372 (info.gov.hk, 2 November 2023) and the "
    "Guangdong Government's announcements of 粤港跨境通办: a Hong Kong resident holding a "
    "Home Return Permit chooses iAM Smart on 广东政务服务网 / 粤省事, consents, and the iAM "
    "Smart account is bound to a Guangdong unified-identity account; Guangdong government "
    "services then authenticate that Guangdong identity through a trusted link (可用不可见)"
)


class CertificateRecognitionPolicy(Protocol):
    """What :class:`Recognizer` needs of a certificate recognition policy.

    :class:`bayident.trustlist.RecognitionPolicy` is one.
    """

    def evaluate(
        self,
        signer: Any,
        anchor: TrustAnchor | None,
        purpose: Purpose,
        *,
        at: _dt.datetime | None = None,
        minimum_assurance: str | None = None,
    ) -> Any:
        """A decision with ``admitted``, ``rule`` and ``reason``."""
        ...


class IdentityRule(BaseModel):
    """Admit identities of some schemes and jurisdictions, for some purposes.

    Every non-empty constraint must hold. ``relying_jurisdictions`` limits the rule to
    relying parties of those jurisdictions (the recognizer's ``home_jurisdiction``) and
    ``relying_sectors`` to relying parties of those sectors (its ``relying_sector``, e.g.
    ``"government"``). ``require_binding_to`` requires the identity to be bound (see
    :class:`~bayident.IdentityBinding`) to an identity of one of those jurisdictions,
    under one of ``binding_arrangements`` when given, with a consent record dated no
    later than the verification time.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    purposes: tuple[Purpose, ...] = Field(min_length=1)
    relying_jurisdictions: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    minimum_assurance: AssuranceLevel = AssuranceLevel.LOW
    relying_sectors: tuple[str, ...] = ()
    require_binding_to: tuple[str, ...] = ()
    binding_arrangements: tuple[str, ...] = ()
    enabled: bool = True
    disabled_reason: str = ""
    sources: tuple[str, ...] = ()


def default_identity_rules() -> tuple[IdentityRule, ...]:
    """The identity rules with a public basis (see ``docs/recognition.md``).

    Only what the 2023 arrangement says: a Guangdong *government* service admits an iAM
    Smart sign-in whose account is bound, with the resident's consent, to a Guangdong
    unified identity. Anything wider is an opt-in rule such as
    :func:`iamsmart_without_binding_rule`.
    """
    return (
        IdentityRule(
            name="gd-hk-cross-border/iamsmart-sign-in",
            description="Guangdong government services accept a Hong Kong resident who signs "
            "in with iAM Smart, the account bound with consent to a Guangdong unified "
            "identity (跨境通办, 2 November 2023).",
            purposes=("authenticate",),
            relying_jurisdictions=("CN-GD",),
            relying_sectors=("government",),
            schemes=("iamsmart",),
            jurisdictions=("HK",),
            minimum_assurance=AssuranceLevel.SUBSTANTIAL,
            require_binding_to=("CN-GD",),
            binding_arrangements=(CROSS_BORDER_2023,),
            sources=(_CROSS_BORDER_2023,),
        ),
    )


def iamsmart_without_binding_rule(
    *, relying_jurisdictions: tuple[str, ...] = ("CN-GD",)
) -> IdentityRule:
    """An opt-in rule wider than the 2023 arrangement: any iAM Smart sign-in, unbound.

    The arrangement binds the iAM Smart account to a Guangdong identity and covers
    government services; a relying party that accepts iAM Smart sign-ins beyond that
    does so on its own authority and names this rule to say so.
    """
    return IdentityRule(
        name="opt-in/iamsmart-sign-in-without-binding",
        description="The relying party accepts an iAM Smart sign-in without a binding to a "
        "Guangdong identity (its own choice, wider than the 2023 arrangement).",
        purposes=("authenticate",),
        relying_jurisdictions=relying_jurisdictions,
        schemes=("iamsmart",),
        jurisdictions=("HK",),
        minimum_assurance=AssuranceLevel.SUBSTANTIAL,
        sources=("relying party's own decision",),
    )


def _default_certificate_policy() -> CertificateRecognitionPolicy | None:
    try:
        from ..trustlist import RecognitionPolicy
    except ImportError:  # the trust-list package needs the 'etsi' extra
        return None
    policy: CertificateRecognitionPolicy = RecognitionPolicy.greater_bay_area_default()
    return policy


def _unmet(
    rule: IdentityRule, identity: Identity, sector: str | None, at: _dt.datetime | None
) -> str | None:
    """Why the rule's sector or binding constraint is not met, or None when it is."""
    if rule.relying_sectors and sector not in rule.relying_sectors:
        return (
            f"the rule covers relying parties of the {' or '.join(rule.relying_sectors)} "
            f"sector; this one is {repr(sector) if sector else 'not declared'} "
            "(Recognizer(relying_sector=...))"
        )
    if not rule.require_binding_to:
        return None
    for binding in identity.bindings:
        if binding.identity.jurisdiction not in rule.require_binding_to:
            continue
        if rule.binding_arrangements and binding.arrangement not in rule.binding_arrangements:
            continue
        consent = binding.consent
        if consent.reference is None and consent.consented_at is None:
            return "the binding's consent record has neither a reference nor a date"
        when = consent.consented_at
        aware = when is not None and at is not None and None not in (when.tzinfo, at.tzinfo)
        if aware and when is not None and at is not None and when > at:
            return f"the binding's consent is dated {when.isoformat()}, after the verification time"
        return None
    where = " or ".join(rule.require_binding_to)
    under = f" under {' or '.join(rule.binding_arrangements)}" if rule.binding_arrangements else ""
    return f"the identity is not bound with consent to a {where} identity{under}"


@dataclass(frozen=True)
class RecognitionOutcome:
    """A recognition decision and whether a certificate rule or an identity rule made it."""

    recognition: Recognition
    by_certificate: bool


_UNSET: Any = object()


def _level(value: str | AssuranceLevel | None) -> AssuranceLevel | None:
    if value is None or isinstance(value, AssuranceLevel):
        return value
    try:
        return AssuranceLevel(value)
    except ValueError:
        raise InvalidArgument(
            f"assurance must be 'low', 'substantial' or 'high', not {value!r}"
        ) from None


class Recognizer:
    """Decides whether an identity is accepted for a purpose, naming the rule.

    ``home_jurisdiction`` is the relying party's own (``'HK'``, ``'MO'``, ``'CN-GD'``);
    without it every identity is foreign. ``certificate_policy`` decides for identities
    that come with a certificate path (default: the Greater Bay Area mutual recognition
    policy of :mod:`bayident.trustlist`, when that package is installed); ``identity_rules``
    for the rest (default: :func:`default_identity_rules`). ``admit_domestic=False`` makes
    domestic identities go through the rules too. ``relying_sector`` is the relying
    party's sector (``"government"`` for the services the 2023 arrangement covers).
    """

    def __init__(
        self,
        *,
        home_jurisdiction: str | None = None,
        certificate_policy: CertificateRecognitionPolicy | None = _UNSET,
        identity_rules: Sequence[IdentityRule] | None = None,
        admit_domestic: bool = True,
        relying_sector: str | None = None,
    ) -> None:
        if home_jurisdiction is not None and not isinstance(home_jurisdiction, str):
            raise InvalidArgument("home_jurisdiction must be a str such as 'HK' or 'CN-GD'")
        if relying_sector is not None and not isinstance(relying_sector, str):
            raise InvalidArgument("relying_sector must be a str such as 'government'")
        if (
            certificate_policy is not None
            and certificate_policy is not _UNSET
            and not callable(getattr(certificate_policy, "evaluate", None))
        ):
            raise InvalidArgument("certificate_policy must have an evaluate() method")
        rules = tuple(default_identity_rules() if identity_rules is None else identity_rules)
        for rule in rules:
            if not isinstance(rule, IdentityRule):
                raise InvalidArgument("identity_rules must be IdentityRule objects")
        self.home_jurisdiction = home_jurisdiction
        self.certificate_policy: CertificateRecognitionPolicy | None = (
            _default_certificate_policy() if certificate_policy is _UNSET else certificate_policy
        )
        self.identity_rules = rules
        self.admit_domestic = admit_domestic
        self.relying_sector = relying_sector

    @classmethod
    def default(cls) -> Recognizer:
        """No home jurisdiction, the Greater Bay Area certificate policy, the public rules."""
        return cls()

    def decide(
        self,
        *,
        identity: Identity | None,
        purpose: Purpose,
        require_assurance: str | AssuranceLevel | None = None,
        chain: Sequence[x509.Certificate] = (),
        anchor: TrustAnchor | None = None,
        at: _dt.datetime | None = None,
    ) -> RecognitionOutcome:
        """Whether ``identity`` (and/or the certificate ``chain``, signer first) is admitted."""
        if purpose not in ("sign", "authenticate"):
            raise InvalidArgument(f"purpose must be 'sign' or 'authenticate', not {purpose!r}")
        required = _level(require_assurance)
        home = self.home_jurisdiction
        have = identity.assurance.level if identity is not None else None

        def below(level: AssuranceLevel | None, need: AssuranceLevel | None) -> bool:
            return need is not None and (level is None or level.rank < need.rank)

        # 1. Domestic.
        if (
            identity is not None
            and home is not None
            and identity.jurisdiction == home
            and self.admit_domestic
        ):
            domestic = f"domestic/{home}"
            if below(have, required):
                return self._no(
                    domestic,
                    purpose,
                    f"the {home} identity has assurance '{have.value if have else 'none'}', "
                    f"below the required '{required.value if required else ''}'",
                    by_certificate=False,
                )
            return RecognitionOutcome(
                Recognition(
                    admitted=True,
                    rule=domestic,
                    purpose=purpose,
                    reason=f"a {home} identity is domestic for a {home} relying party "
                    f"(assurance '{have.value if have else 'none'}')",
                ),
                by_certificate=False,
            )

        misses: list[tuple[str, str]] = []
        first_rule: str | None = None
        # 2. Certificate rules. Their anchor names are pinned where the root catalogue holds
        # a confirmed fingerprint: an anchor merely named like a real root is not it.
        impostor = (
            impersonated_root(anchor.certificate, anchor.fingerprint)
            if chain and anchor is not None
            else None
        )
        if impostor is not None:
            misses.append(("", impostor))
        elif chain and self.certificate_policy is not None:
            decision = self.certificate_policy.evaluate(
                list(chain),
                anchor,
                purpose,
                at=at,
                minimum_assurance=required.value if required is not None else None,
            )
            if decision.admitted:
                if identity is not None and below(have, required):
                    misses.append(
                        (
                            str(decision.rule),
                            f"the rule admits the issuer but the identity's own assurance "
                            f"'{have.value if have else 'none'}' is below the required "
                            f"'{required.value if required else ''}'",
                        )
                    )
                else:
                    return RecognitionOutcome(
                        Recognition(
                            admitted=True,
                            rule=str(decision.rule),
                            purpose=purpose,
                            reason=str(decision.reason),
                        ),
                        by_certificate=True,
                    )
            else:
                reason = str(decision.reason)
                # The policy's own reason lists its rules; keep it whole, without its lead-in.
                prefix = f"not admitted for '{purpose}': "
                misses.append(("", reason[len(prefix) :] if reason.startswith(prefix) else reason))
                first_rule = str(decision.rule or "") or None

        # 3. Identity rules.
        if identity is not None:
            for rule in self.identity_rules:
                if purpose not in rule.purposes:
                    continue
                if rule.relying_jurisdictions and home not in rule.relying_jurisdictions:
                    continue
                if rule.schemes and identity.scheme not in rule.schemes:
                    continue
                if rule.jurisdictions and identity.jurisdiction not in rule.jurisdictions:
                    continue
                if not rule.enabled:
                    misses.append((rule.name, f"disabled ({rule.disabled_reason or 'not set'})"))
                    continue
                unmet = _unmet(rule, identity, self.relying_sector, at)
                if unmet is not None:
                    misses.append((rule.name, unmet))
                    continue
                need = rule.minimum_assurance
                if required is not None and required.rank > need.rank:
                    need = required
                if below(have, need):
                    misses.append(
                        (
                            rule.name,
                            f"the identity has assurance '{have.value if have else 'none'}', "
                            f"the rule needs '{need.value}'",
                        )
                    )
                    continue
                return RecognitionOutcome(
                    Recognition(
                        admitted=True,
                        rule=rule.name,
                        purpose=purpose,
                        reason=f"admitted for '{purpose}' by rule '{rule.name}'"
                        + (f": {rule.description}" if rule.description else ""),
                    ),
                    by_certificate=False,
                )

        who = (
            f"a {identity.jurisdiction} identity from scheme '{identity.scheme}'"
            if identity is not None
            else "a signer no scheme adapter recognised"
        )
        where = f" by a {home} relying party" if home else " (no home jurisdiction is set)"
        if not misses:
            return self._no(
                None,
                purpose,
                f"no recognition rule admits {who} for '{purpose}'{where}",
                by_certificate=bool(chain),
            )
        detail = "; ".join(f"rule '{n}': {w}" if n else w for n, w in misses[:4])
        return self._no(
            first_rule or next((n for n, _ in misses if n), None),
            purpose,
            f"{who} is not admitted for '{purpose}'{where}: {detail}",
            by_certificate=bool(chain),
        )

    @staticmethod
    def _no(
        rule: str | None, purpose: Purpose, reason: str, *, by_certificate: bool
    ) -> RecognitionOutcome:
        return RecognitionOutcome(
            Recognition(admitted=False, rule=rule, purpose=purpose, reason=reason),
            by_certificate=by_certificate,
        )
