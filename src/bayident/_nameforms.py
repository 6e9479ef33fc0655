"""Name constraints of every name form, checked by bayident itself (RFC 5280 §4.2.1.10).

The path engines enforce most name constraints: cryptography's verifier the dNSName,
rfc822Name and iPAddress forms, pyhanko-certvalidator those of the CA certificates it
is given. Two cases fall between them, and are decided here:

- the **trust anchor's own** name constraints on a path the general engine decides,
  where the anchor is a name and key only (RFC 5937 lets a relying party take the
  constraints from the anchor certificate; bayident does by default);
- the **uniformResourceIdentifier** form, which cryptography's verifier does not
  check at all.

The rules, for each name form with a constraint: every name of that form in a
certificate below the constraining CA must be within at least one permitted subtree
(when there are permitted subtrees of that form) and within none of the excluded
ones. A name that cannot be read as its form (a malformed host or address) is within
no subtree, so it fails a permitted constraint; it is the path's fault either way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

__all__ = ["CA_FORMS", "FORMS", "name_constraint_fault"]

# The name forms this module decides.
FORMS = frozenset({"dn", "dns", "email", "uri", "ip"})
# At a CA below the anchor: the forms cryptography's verifier leaves out (directoryName,
# which it refuses and the general engine then decides, and URI, which it ignores).
CA_FORMS = frozenset({"dn", "uri"})

_TYPES: dict[type[Any], str] = {
    x509.DNSName: "dns",
    x509.RFC822Name: "email",
    x509.UniformResourceIdentifier: "uri",
    x509.IPAddress: "ip",
    x509.DirectoryName: "dn",
}
_LABELS = {
    "dns": "dNSName",
    "email": "rfc822Name",
    "uri": "uniformResourceIdentifier",
    "ip": "iPAddress",
    "dn": "directoryName",
}


def _host_labels(host: str) -> list[str] | None:
    """The labels of a DNS host name, lower-cased; None when it is not one."""
    if not host or len(host) > 253 or host.endswith("."):
        return None
    labels = host.lower().split(".")
    for label in labels:
        if not label or len(label) > 63 or label.startswith("-") or label.endswith("-"):
            return None
        if not all(c.isascii() and (c.isalnum() or c == "-") for c in label):
            return None
    return labels


def _dns_within(name: str, base: str) -> bool:
    """RFC 5280: zero or more labels added on the left of ``base`` give ``name``."""
    if base == "":
        return True
    labels = _host_labels(name)
    base_labels = _host_labels(base.removeprefix("."))
    if labels is None or base_labels is None:
        return False
    if base.startswith("."):  # a leading period is read as "any subdomain of"
        return len(labels) > len(base_labels) and labels[-len(base_labels) :] == base_labels
    return len(labels) >= len(base_labels) and labels[-len(base_labels) :] == base_labels


def _host_within(host: str, base: str) -> bool:
    """Host constraints of rfc822Name and URI: a host exactly, or '.domain' for below it."""
    if base == "":
        return True
    if base.startswith("."):
        return _dns_within(host, base)
    labels, base_labels = _host_labels(host), _host_labels(base)
    return labels is not None and labels == base_labels


def _email_within(address: str, base: str) -> bool:
    local, at, host = address.rpartition("@")
    if not at or not local or _host_labels(host) is None:
        return False
    if "@" in base:  # a whole mailbox: the local part exactly, the host without case
        b_local, _, b_host = base.rpartition("@")
        return local == b_local and host.lower() == b_host.lower()
    return _host_within(host, base)


def _uri_host(uri: str) -> str | None:
    """The host of a URI's authority (RFC 3986 §3.2.2), or None when it has none."""
    scheme, sep, rest = uri.partition(":")
    if not sep or not scheme or not rest.startswith("//"):
        return None
    authority = rest[2:].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = authority.rpartition("@")[2]
    if host.startswith("["):  # an IP literal: no DNS name to constrain
        return None
    return host.rsplit(":", 1)[0] if ":" in host else host


def _uri_within(uri: str, base: str) -> bool:
    host = _uri_host(uri)
    return host is not None and _host_within(host, base)


def _ip_within(address: Any, base: Any) -> bool:
    if not isinstance(base, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return False
    if not isinstance(address, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return False
    return address.version == base.version and address in base


def _dn_within(name: Any, base: Any) -> bool:
    """RFC 5280 §7.1: ``name`` is in the subtree of ``base`` (its RDNs start with base's)."""
    if not isinstance(name, x509.Name) or not isinstance(base, x509.Name):
        return False
    rdns, prefix = list(name.rdns), list(base.rdns)
    return len(rdns) >= len(prefix) and rdns[: len(prefix)] == prefix


def _within(form: str, value: Any, base: Any) -> bool:
    if form == "dn":
        return _dn_within(value, base)
    if form == "dns":
        return _dns_within(value, base)
    if form == "email":
        return _email_within(value, base)
    if form == "uri":
        return _uri_within(value, base)
    return _ip_within(value, base)


def _subtrees(
    trees: Iterable[x509.GeneralName] | None, forms: frozenset[str]
) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for tree in trees or ():
        form = _TYPES.get(type(tree))
        if form in forms:
            out.setdefault(form, []).append(tree.value)
    return out


def _names(cert: x509.Certificate, forms: frozenset[str]) -> list[tuple[str, Any]]:
    """The certificate's names of the given forms (SAN, and the subject's emailAddress)."""
    out: list[tuple[str, Any]] = []
    if "dn" in forms and len(list(cert.subject)) > 0:
        out.append(("dn", cert.subject))
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        for name in san:
            form = _TYPES.get(type(name))
            if form in forms:
                out.append((form, name.value))
    if "email" in forms and not any(form == "email" for form, _ in out):
        # RFC 5280 §4.2.1.10: without an rfc822Name in the SAN, the subject's
        # emailAddress attributes are what the rfc822Name constraints bind.
        for attr in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS):
            if isinstance(attr.value, str):
                out.append(("email", attr.value))
    return out


def _text(value: Any) -> str:
    if isinstance(value, x509.Name):
        try:
            return value.rfc4514_string()
        except ValueError:
            return "<unprintable name>"
    return str(value)


def _shown(form: str, value: Any) -> str:
    return f"{_LABELS[form]} '{_text(value)}'"


def name_constraint_fault(
    nc: x509.NameConstraints,
    forms: frozenset[str],
    holder: str,
    below: Sequence[tuple[str, x509.Certificate]],
) -> tuple[str, str] | None:
    """(text, concerns) of the first name below the holder outside its constraints.

    ``below`` pairs each certificate's description with the certificate; ``forms`` are
    the name forms to decide (see :data:`FORMS`).
    """
    permitted = _subtrees(nc.permitted_subtrees, forms)
    excluded = _subtrees(nc.excluded_subtrees, forms)
    if not permitted and not excluded:
        return None
    for label, cert in below:
        for form, value in _names(cert, forms):
            allowed = permitted.get(form)
            if allowed is not None and not any(_within(form, value, b) for b in allowed):
                return (
                    f"{label}: {_shown(form, value)} is outside the permitted "
                    f"{_LABELS[form]} subtrees of {holder} (RFC 5280 §4.2.1.10)",
                    label,
                )
            for base in excluded.get(form, ()):
                if _within(form, value, base):
                    return (
                        f"{label}: {_shown(form, value)} is inside the excluded "
                        f"{_LABELS[form]} subtree '{_text(base)}' of {holder} (RFC 5280 §4.2.1.10)",
                        label,
                    )
    return None
