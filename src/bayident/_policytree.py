"""RFC 5280 §6.1 certificate-policy processing on a path found elsewhere.

The valid_policy_tree with policy mappings, inhibitAnyPolicy, requireExplicitPolicy
and inhibitPolicyMapping, and the user-initial-policy-set of the wrap-up
(§6.1.5 (g)). The fast engine (cryptography) does no policy processing; this
runs on the path it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from ._certs import CertRecord
from ._memo import Memo
from ._policy import Policy

__all__ = ["PolicyFailure", "policy_extensions", "process_policies"]

ANY = "2.5.29.32.0"


class PolicyFailure(Exception):
    """The path fails RFC 5280 policy processing; ``cert`` is the certificate at fault."""

    def __init__(self, message: str, cert: CertRecord) -> None:
        super().__init__(message)
        self.message = message
        self.cert = cert


@dataclass(eq=False)
class _Node:
    valid: str
    expected: set[str]
    parent: _Node | None
    children: list[_Node] = field(default_factory=list)

    def add(self, valid: str, expected: set[str]) -> _Node:
        child = _Node(valid, expected, self)
        self.children.append(child)
        return child


@dataclass(frozen=True)
class _Ext:
    policies: tuple[str, ...] | None
    mappings: tuple[tuple[str, str], ...]
    require_explicit: int | None
    inhibit_mapping: int | None
    inhibit_any: int | None


def _ext(cert: x509.Certificate) -> _Ext:
    exts = cert.extensions
    policies: tuple[str, ...] | None = None
    mappings: tuple[tuple[str, str], ...] = ()
    req = inh = skip = None
    for e in exts:
        v = e.value
        if isinstance(v, x509.CertificatePolicies):
            policies = tuple(p.policy_identifier.dotted_string for p in v)
        elif isinstance(v, x509.PolicyConstraints):
            req, inh = v.require_explicit_policy, v.inhibit_policy_mapping
        elif isinstance(v, x509.InhibitAnyPolicy):
            skip = v.skip_certs
        elif e.oid.dotted_string == "2.5.29.33":  # policyMappings: no cryptography class
            mappings = _mappings(e.value)
    return _Ext(policies, mappings, req, inh, skip)


def _mappings(value: object) -> tuple[tuple[str, str], ...]:
    """Pairs of (issuerDomainPolicy, subjectDomainPolicy) from the raw extension."""
    from asn1crypto import x509 as ax509

    raw = getattr(value, "value", b"")
    out = []
    for m in ax509.PolicyMappings.load(raw):
        out.append((m["issuer_domain_policy"].dotted, m["subject_domain_policy"].dotted))
    return tuple(out)


def _level(root: _Node, depth: int) -> list[_Node]:
    level = [root]
    for _ in range(depth):
        level = [c for n in level for c in n.children]
    return level


def _prune(root: _Node, depth: int) -> _Node | None:
    """Remove nodes above ``depth`` that have no children; None when the tree is empty."""

    def walk(node: _Node, d: int) -> bool:
        if d == depth:
            return True
        node.children = [c for c in node.children if walk(c, d + 1)]
        return bool(node.children)

    return root if walk(root, 0) else None


def _anchor_limits(anchor: x509.Certificate | None) -> _Ext | None:
    if anchor is None:
        return None
    # The certificate object of a trust anchor lives as long as its anchor: key on it.
    key = id(anchor)
    hit = _ANCHOR_EXT.get(key)
    if hit is not None and hit[0] is anchor:
        return hit[1]
    try:
        found: _Ext | None = _ext(anchor)
    except (ValueError, x509.DuplicateExtension):
        found = None
    _ANCHOR_EXT.put(key, (anchor, found))
    return found


# Process-wide: a pure function of the anchor certificate (checked by identity, since
# the key is its address).
_ANCHOR_EXT: Memo[int, tuple[x509.Certificate, _Ext | None]] = Memo(4096)


def _rec_ext(rec: CertRecord) -> _Ext:
    """A certificate's policy extensions, read once per certificate."""
    found: _Ext | None = rec.__dict__.get("_policy_ext")
    if found is None:
        found = rec.__dict__["_policy_ext"] = _ext_of(rec.ext_map)
    return found


def _ext_of(exts: dict[str, x509.Extension[Any]]) -> _Ext:
    """As :func:`_ext`, from extensions by dotted OID: four look-ups, not a scan."""
    policies: tuple[str, ...] | None = None
    req = inh = skip = None
    cp = exts.get(_CP)
    if cp is not None and isinstance(cp.value, x509.CertificatePolicies):
        policies = tuple(p.policy_identifier.dotted_string for p in cp.value)
    pc = exts.get(_PC)
    if pc is not None and isinstance(pc.value, x509.PolicyConstraints):
        req, inh = pc.value.require_explicit_policy, pc.value.inhibit_policy_mapping
    ia = exts.get(_IAP)
    if ia is not None and isinstance(ia.value, x509.InhibitAnyPolicy):
        skip = ia.value.skip_certs
    pm = exts.get(_PM)
    mappings = _mappings(pm.value) if pm is not None else ()
    return _Ext(policies, mappings, req, inh, skip)


_CP = ExtensionOID.CERTIFICATE_POLICIES.dotted_string
_PC = ExtensionOID.POLICY_CONSTRAINTS.dotted_string
_IAP = ExtensionOID.INHIBIT_ANY_POLICY.dotted_string
_PM = "2.5.29.33"  # policyMappings


def policy_extensions(rec: CertRecord) -> _Ext:
    """A certificate's policy extensions as one hashable value (for memo keys)."""
    return _rec_ext(rec)


def process_policies(
    certs: Sequence[CertRecord], policy: Policy, anchor: x509.Certificate | None = None
) -> tuple[str, ...]:
    """The path's valid policies in the user's domain (signer first in ``certs``).

    Raises :class:`PolicyFailure` when explicit policy is required and none is valid,
    or when a policy mapping maps to or from anyPolicy (§6.1.4 (a)).
    """
    path = list(reversed(certs))  # from the anchor's side: 1 … n
    n = len(path)
    explicit = 0 if policy.initial_explicit_policy else n + 1
    inhibit_any = 0 if policy.initial_any_policy_inhibit else n + 1
    mapping = 0 if policy.initial_policy_mapping_inhibit else n + 1
    # A trust anchor's own policy constraints bind the path below it (RFC 5937 §2).
    limits = _anchor_limits(anchor)
    if limits is not None:
        if limits.require_explicit is not None:
            explicit = min(explicit, limits.require_explicit)
        if limits.inhibit_mapping is not None:
            mapping = min(mapping, limits.inhibit_mapping)
        if limits.inhibit_any is not None:
            inhibit_any = min(inhibit_any, limits.inhibit_any)
    tree: _Node | None = _Node(ANY, {ANY}, None)
    leaf_ext: _Ext | None = None
    for i, rec in enumerate(path, start=1):
        ext = _rec_ext(rec)
        last = i == n
        if last:
            leaf_ext = ext
        if ext.policies is not None and tree is not None:
            parents = _level(tree, i - 1)
            for p in ext.policies:
                if p == ANY:
                    continue
                matched = [nd for nd in parents if p in nd.expected]
                if matched:
                    for nd in matched:
                        nd.add(p, {p})
                else:
                    for nd in parents:
                        if nd.valid == ANY:
                            nd.add(p, {p})
            if ANY in ext.policies and (inhibit_any > 0 or (not last and rec.self_issued)):
                for nd in parents:
                    present = {c.valid for c in nd.children}
                    for value in sorted(nd.expected):
                        if value not in present:
                            nd.add(value, {value})
            tree = _prune(tree, i)
        elif ext.policies is None:
            tree = None
        if explicit <= 0 and tree is None:
            raise PolicyFailure(
                f"{rec.describe()}: no valid certificate policy remains on the path and an "
                "explicit policy is required (RFC 5280 §6.1.3 (f))",
                rec,
            )
        if last:
            break
        for issuer_p, subject_p in ext.mappings:
            if ANY in (issuer_p, subject_p):
                raise PolicyFailure(
                    f"{rec.describe()} maps a policy to or from anyPolicy (RFC 5280 §6.1.4 (a))",
                    rec,
                )
        if ext.mappings and tree is not None:
            by_issuer: dict[str, set[str]] = {}
            for issuer_p, subject_p in ext.mappings:
                by_issuer.setdefault(issuer_p, set()).add(subject_p)
            level = _level(tree, i)
            for issuer_p, subjects in by_issuer.items():
                nodes = [nd for nd in level if nd.valid == issuer_p]
                if mapping > 0:
                    if nodes:
                        for nd in nodes:
                            nd.expected = set(subjects)
                    else:
                        for nd in level:
                            if nd.valid == ANY and nd.parent is not None:
                                nd.parent.add(issuer_p, set(subjects))
                                break
                else:
                    for nd in nodes:
                        if nd.parent is not None:
                            nd.parent.children.remove(nd)
                    tree = _prune(tree, i)
                    if tree is None:
                        break
                    level = _level(tree, i)
        if not rec.self_issued:
            explicit = max(explicit - 1, 0)
            mapping = max(mapping - 1, 0)
            inhibit_any = max(inhibit_any - 1, 0)
        if ext.require_explicit is not None:
            explicit = min(explicit, ext.require_explicit)
        if ext.inhibit_mapping is not None:
            mapping = min(mapping, ext.inhibit_mapping)
        if ext.inhibit_any is not None:
            inhibit_any = min(inhibit_any, ext.inhibit_any)
    # Wrap-up (§6.1.5).
    explicit = max(explicit - 1, 0)
    if leaf_ext is not None and leaf_ext.require_explicit == 0:
        explicit = 0
    initial = set(policy.initial_policy_set)
    if tree is not None and ANY not in initial:
        for nd in [c for c in _all(tree) if c.parent is not None and c.parent.valid == ANY]:
            if nd.valid != ANY and nd.valid not in initial and nd.parent is not None:
                nd.parent.children.remove(nd)
        leaves = _level(tree, n)
        for nd in leaves:
            if nd.valid == ANY and nd.parent is not None:
                present = {c.valid for c in _level(tree, n)}
                for p in sorted(initial - present):
                    nd.parent.add(p, {p})
                nd.parent.children.remove(nd)
        tree = _prune(tree, n)
    if explicit <= 0 and tree is None:
        raise PolicyFailure(
            f"{certs[0].describe()}: no valid certificate policy in the user-initial-policy-set "
            "and an explicit policy is required (RFC 5280 §6.1.5 (g))",
            certs[0],
        )
    if tree is None:
        return ()
    out: set[str] = set()
    for nd in _level(tree, n):
        out.add(_user_domain(nd))
    return tuple(sorted(out))


def _all(root: _Node) -> list[_Node]:
    out: list[_Node] = []
    stack = [root]
    while stack:
        nd = stack.pop()
        out.append(nd)
        stack.extend(nd.children)
    return out


def _user_domain(node: _Node) -> str:
    """The policy as the trust anchor's domain knows it: the topmost specific ancestor."""
    chain: list[str] = []
    nd: _Node | None = node
    while nd is not None and nd.parent is not None:
        chain.append(nd.valid)
        nd = nd.parent
    for valid in reversed(chain):
        if valid != ANY:
            return valid
    return ANY
