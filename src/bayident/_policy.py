"""Validation policy: what bayident accepts, as data.

Every default has its reason next to it; ``docs/policy.md`` repeats them for
people who will never read this file.
"""

from __future__ import annotations

import datetime as _dt
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ._exceptions import PolicyError
from ._json import JSONError, loads

# A policy is a few kilobytes; the bound keeps a wrong file from being parsed whole.
_MAX_POLICY_FILE_BYTES = 4 * 1024 * 1024

__all__ = ["Policy"]

_OID_CHARS = set("0123456789.")

# Digest algorithms accepted for signatures, each with the last validation day
# on which it is accepted (None: no end date announced).
_DEFAULT_DIGESTS: dict[str, _dt.date | None] = {
    # SHA-1 is absent: collisions are practical (SHAttered, 2017) and ETSI TS
    # 119 312 stopped accepting it for new signatures long ago.
    "sha224": None,
    "sha256": None,
    "sha384": None,
    "sha512": None,
    # SHA3-224 has the strength of SHA-224 (112 bits), which is accepted too.
    "sha3-224": None,
    "sha3-256": None,
    "sha3-384": None,
    "sha3-512": None,
    # SHAKE256 (512-bit output) is the content digest RFC 8419 prescribes for Ed448.
    "shake256": None,
    # SM3 is the digest of Mainland signatures (GB/T 32905); used with SM2 only.
    "sm3": None,
}

_DEFAULT_SIGNATURES: dict[str, _dt.date | None] = {
    "rsa-pkcs1v15": None,
    "rsa-pss": None,
    "ecdsa": None,
    "ed25519": None,
    "ed448": None,
    "sm2": None,
}

# Non-standard SM2 input derivations seen in the field, which a policy may accept.
_SM2_VARIANTS = ("raw-digest", "z-plus-sm3-of-message")

_DEFAULT_CURVES = (
    "secp256r1",
    "secp384r1",
    "secp521r1",
    # Brainpool curves are used by several European trusted lists' signers.
    "brainpoolP256r1",
    "brainpoolP384r1",
    "brainpoolP512r1",
    "sm2",
)


class Policy(BaseModel):
    """The rules a verification applies. Immutable; derive variants with :meth:`replace`.

    ``Policy()`` is the documented default. Load one from TOML or JSON with
    :meth:`Policy.from_file`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        # Callers catch BayidentError: a typo in a field name or a bad value is a
        # PolicyError that names the field (and the likely intended one), not pydantic's.
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise PolicyError(_explain(exc, tuple(type(self).model_fields))) from None

    digest_algorithms: dict[str, _dt.date | None] = Field(
        default_factory=lambda: dict(_DEFAULT_DIGESTS),
        description="Digest algorithms accepted, each with the last day it is accepted (null: no end).",
    )
    signature_algorithms: dict[str, _dt.date | None] = Field(
        default_factory=lambda: dict(_DEFAULT_SIGNATURES),
        description="Signature schemes accepted, each with the last day it is accepted.",
    )
    min_rsa_bits: int = Field(
        default=2048,
        ge=512,
        description=(
            "Smallest RSA modulus (and DSA prime) accepted (NIST SP 800-131A: 2048 since 2014)."
        ),
    )
    ec_curves: tuple[str, ...] = Field(
        default=_DEFAULT_CURVES, description="Elliptic curves accepted."
    )
    sm2_signer_id: str = Field(
        default="1234567812345678",
        description=(
            "SM2 signer ID (ASCII) that enters Z_A for CMS signatures (GB/T 32918.2 §5.5); "
            "the default is the one GM/T 0009 §10 fixes when none was agreed. Certificate "
            "signatures always use the default."
        ),
    )
    sm2_accepted_variants: tuple[str, ...] = Field(
        default=(),
        description=(
            "Non-standard SM2 signatures to accept, with a warning: 'raw-digest' (e = SM3(M), "
            "no Z_A) and 'z-plus-sm3-of-message' (e = SM3(Z_A ‖ SM3(M))). Empty: only "
            "GB/T 32918.2 signatures pass."
        ),
    )
    signer_key_usage: tuple[str, ...] = Field(
        default=("digital_signature", "content_commitment"),
        description=(
            "A signer certificate with a KeyUsage extension must assert at least one of these "
            "(RFC 5280 §4.2.1.3). Empty: do not check."
        ),
    )
    required_policy_oids: tuple[str, ...] = Field(
        default=(),
        description=(
            "The signer's valid certificate policies must include one equal to, or under the "
            "arc of, one of these OIDs (e.g. '2.16.344.8.2.2008.810.2'). Empty: no requirement."
        ),
    )
    initial_policy_set: tuple[str, ...] = Field(
        default=("2.5.29.32.0",),
        description="RFC 5280 §6.1.1 (c) user-initial-policy-set; anyPolicy by default.",
    )
    initial_explicit_policy: bool = False
    initial_policy_mapping_inhibit: bool = False
    initial_any_policy_inhibit: bool = False
    clock_skew: _dt.timedelta = Field(
        default=_dt.timedelta(minutes=5),
        description=(
            "Tolerance when comparing times from other clocks (validity, signing time); "
            "applied to certificate validity only when validating at the current time, "
            "never to a validation time the caller gives."
        ),
    )
    require_signed_attributes: bool = Field(
        default=False,
        description="Reject CMS signers without signed attributes (CAdES requires them).",
    )
    require_signing_certificate: bool = Field(
        default=False,
        description="Require the ESS signing-certificate(-v2) attribute (CAdES-BES binding).",
    )
    max_evidence_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="Largest evidence accepted; real signatures with chains are a few kilobytes.",
    )
    max_in_memory_content_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=0,
        description=(
            "Largest content read whole into memory, which only pure EdDSA without signed "
            "attributes needs; everything else is hashed in chunks of any size."
        ),
    )
    max_certificates: int = Field(
        default=64, ge=1, description="Certificates carried in one evidence."
    )
    max_signers: int = Field(default=32, ge=1, description="Signers in one evidence.")
    max_chain_length: int = Field(
        default=10,
        ge=1,
        description=(
            "Certificates in one path below the anchor, the signer included; self-issued "
            "CA certificates do not count (RFC 5280 §6.1.4 (l))."
        ),
    )
    max_asn1_depth: int = Field(default=32, ge=8, description="Nesting depth of ASN.1 accepted.")
    revocation_mode: Literal["hard-fail", "soft-fail", "require", "off"] = Field(
        default="hard-fail",
        description=(
            "'hard-fail': a certificate that names an OCSP responder or CRL distribution point "
            "must be checked, and failing to obtain its status leaves the signature "
            "INDETERMINATE (one naming none gets a warning); 'soft-fail': status that cannot "
            "be obtained is a warning; 'require': every certificate below the anchor needs "
            "revocation data; 'off': no revocation checking. Revocation data supplied in the "
            "evidence or by the caller turns 'hard-fail' into 'require'."
        ),
    )
    revocation_timeout: _dt.timedelta = Field(
        default=_dt.timedelta(seconds=10),
        gt=_dt.timedelta(0),
        description="Time allowed for each OCSP or CRL request (connect, and each read).",
    )
    revocation_retries: int = Field(
        default=1,
        ge=0,
        le=5,
        description="Further attempts after a request fails on the network or with a 5xx status.",
    )
    revocation_max_crl_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="Largest CRL downloaded; the download stops as soon as it is exceeded.",
    )
    revocation_max_age: _dt.timedelta | None = Field(
        default=None,
        description=(
            "When set, fetched OCSP responses and CRLs whose thisUpdate is longer ago than this "
            "are refused, and fetched answers are reused for no longer. None: nextUpdate rules."
        ),
    )
    revocation_nonce: bool = Field(
        default=False,
        description=(
            "Send a nonce in OCSP requests (RFC 8954); a response echoing another nonce is refused."
        ),
    )

    # --- hostile input: XML memory (trusted lists) ---
    xml_max_depth: int = Field(
        default=64,
        ge=8,
        le=256,
        description=(
            "Deepest nesting of XML elements read (trusted lists nest about 15 deep); checked "
            "before the document is read (libxml2 itself stops at 256)."
        ),
    )
    xml_min_bytes_per_node: int = Field(
        default=26,
        ge=1,
        description=(
            "An XML document may hold at most one node (element, attribute, text) per this "
            "many bytes of input beyond xml_free_nodes, bounded before any tree is built: a "
            "parsed node costs a few hundred bytes whatever its size in the input, so this "
            "keeps the peak memory of reading and checking a list within 20 times its size. "
            "Real lists hold one node per 32 bytes or more."
        ),
    )
    xml_free_nodes: int = Field(
        default=2048,
        ge=0,
        description="XML nodes allowed whatever the document's size (small documents).",
    )
    # --- CAdES from the field (signed attributes, lenient certificates, CMS structure) ---
    accept_signed_attributes_as_stored: bool = Field(
        default=False,
        description=(
            "Accept, with a warning, a signature that verifies only over the signed attributes "
            "as stored when they are not DER (RFC 5652 §5.4 signs their DER encoding)."
        ),
    )
    accept_lenient_certificates: bool = Field(
        default=False,
        description=(
            "Let a signer certificate that the strict X.509 parser refuses, but a lenient DER "
            "reader can read, reach PASSED (with a warning); when false it is reported and used "
            "for the signature check, but the signature stays INDETERMINATE."
        ),
    )
    strict_cms_structure: bool = Field(
        default=False,
        description=(
            "Fail signatures whose SignedData or SignerInfo version, digestAlgorithms set or "
            "eContentType breaks the rules of RFC 5652 §5.1/§5.3 (reported as warnings when "
            "false)."
        ),
    )
    # OFD packages (electronic seals): limits of the in-memory ZIP reader.
    ofd_max_member_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Largest expanded size of one member of an OFD package (ZIP).",
    )
    ofd_max_package_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=1024,
        description="Largest expanded size of all members of an OFD package together.",
    )
    ofd_max_compression_ratio: int = Field(
        default=200,
        ge=10,
        description=(
            "Largest expanded-to-compressed ratio of an OFD member expanding beyond 1 MiB."
        ),
    )
    ofd_max_entries: int = Field(default=10_000, ge=1, description="Entries in one OFD package.")
    # --- certificate paths: trust anchors and the RFC 5280 profile ---
    trust_anchor_constraints: bool = Field(
        default=True,
        description=(
            "Enforce what a trust anchor certificate itself says (validity, basicConstraints "
            "cA, key usage, name and policy constraints, critical extensions), as RFC 5937 "
            "allows and DSS does for trusted lists. False: an anchor is a bare name and key."
        ),
    )
    profile_relaxations: tuple[str, ...] = Field(
        default=(),
        description=(
            "RFC 5280 profile rules not enforced: 'missing-aki' (a certificate without "
            "authorityKeyIdentifier), 'missing-ski' (a CA without subjectKeyIdentifier), "
            "'san-syntax' (dNSName outside the preferred name syntax), 'serial-number' (zero, "
            "negative or over 20 octets), 'noncritical-policy-constraints', "
            "'noncritical-basic-constraints'. Empty: all enforced."
        ),
    )

    @field_validator("profile_relaxations")
    @classmethod
    def _check_relaxations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = (
            "missing-aki",
            "missing-ski",
            "san-syntax",
            "serial-number",
            "noncritical-policy-constraints",
            "noncritical-basic-constraints",
        )
        for rule in value:
            if rule not in known:
                raise ValueError(f"unknown profile rule {rule!r}; expected one of {known}")
        return tuple(dict.fromkeys(value))

    @field_validator("required_policy_oids", "initial_policy_set")
    @classmethod
    def _check_oids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for oid in value:
            parts = oid.split(".")
            if len(parts) < 2 or not set(oid) <= _OID_CHARS or not all(parts):
                raise ValueError(f"not a dotted OID: {oid!r}")
        return value

    @field_validator("sm2_signer_id")
    @classmethod
    def _check_sm2_id(cls, value: str) -> str:
        # ENTL is a 16-bit count of bits, so at most 8191 bytes (GB/T 32918.2 §5.5).
        if not value.isascii() or len(value) > 8191:
            raise ValueError("must be ASCII text of at most 8191 characters")
        return value

    @field_validator("sm2_accepted_variants")
    @classmethod
    def _check_sm2_variants(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for variant in value:
            if variant not in _SM2_VARIANTS:
                raise ValueError(
                    f"unknown SM2 variant {variant!r}; expected {' or '.join(_SM2_VARIANTS)}"
                )
        return tuple(dict.fromkeys(value))

    @field_validator("digest_algorithms", "signature_algorithms")
    @classmethod
    def _lower(cls, value: dict[str, _dt.date | None]) -> dict[str, _dt.date | None]:
        return {k.lower(): v for k, v in value.items()}

    def replace(self, **changes: Any) -> Policy:
        """A copy with some fields changed (validated like the constructor)."""
        data = self.model_dump()
        data.update(changes)
        return Policy(**data)

    @classmethod
    def from_file(cls, path: str | Path) -> Policy:
        """Load a policy from a ``.toml`` or ``.json`` file; unknown keys are errors."""
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise PolicyError(f"cannot read policy file {p}: {exc.strerror}") from None
        try:
            if p.suffix.lower() == ".toml":
                data = tomllib.loads(raw.decode("utf-8"))
            else:
                data = loads(raw, f"policy file {p}", _MAX_POLICY_FILE_BYTES)
        except JSONError as exc:
            raise PolicyError(str(exc)) from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise PolicyError(f"policy file {p} is not valid {p.suffix or 'JSON'}: {exc}") from None
        if not isinstance(data, dict):
            raise PolicyError(f"policy file {p} must hold a table/object at top level")
        data = data.get("policy", data)
        if not isinstance(data, dict):
            raise PolicyError(f"policy file {p}: 'policy' must be a table/object")
        if isinstance(data.get("clock_skew"), (int, float)):
            data["clock_skew"] = _dt.timedelta(seconds=data["clock_skew"])
        try:
            return cls(**data)
        except PolicyError as exc:
            raise PolicyError(f"policy file {p}: {exc}") from None

    def accepts_digest(self, name: str, at: _dt.datetime) -> bool:
        """Whether digest ``name`` is allowed at validation time ``at``."""
        return _allowed(self.digest_algorithms, name, at)

    def accepts_signature(self, name: str, at: _dt.datetime) -> bool:
        """Whether signature scheme ``name`` is allowed at validation time ``at``."""
        return _allowed(self.signature_algorithms, name, at)

    @cached_property
    def cache_key(self) -> str:
        """A stable identity of the rules, for caches that depend on them."""
        return self.model_dump_json()


def _explain(exc: ValidationError, fields: tuple[str, ...]) -> str:
    """One line per fault, naming the field; unknown fields get the closest known name."""
    import difflib

    lines = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"]) or "policy"
        if err["type"] == "extra_forbidden":
            guess = difflib.get_close_matches(str(err["loc"][0]), fields, n=1, cutoff=0.6)
            hint = f"; did you mean {guess[0]!r}?" if guess else ""
            lines.append(f"unknown policy field {where!r}{hint}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"policy field {where!r}: {msg}")
    return "; ".join(lines) or "invalid policy"


def _allowed(table: dict[str, _dt.date | None], name: str, at: _dt.datetime) -> bool:
    if name not in table:
        return False
    until = table[name]
    return until is None or at.date() <= until
