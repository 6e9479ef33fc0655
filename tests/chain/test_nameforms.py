"""Name-constraint matching of each name form (RFC 5280 §4.2.1.10), as bayident decides it."""

from __future__ import annotations

import ipaddress

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from bayident._nameforms import _within

_HK = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "HK")])
_HK_ORG = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "HK"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example"),
    ]
)
_MO = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "MO")])


@pytest.mark.parametrize(
    ("form", "value", "base", "inside"),
    [
        ("dn", _HK_ORG, _HK, True),
        ("dn", _HK, _HK_ORG, False),
        ("dn", _MO, _HK, False),
        ("dns", "example.hk", "example.hk", True),
        ("dns", "www.Example.HK", "example.hk", True),
        ("dns", "badexample.hk", "example.hk", False),
        ("dns", "example.hk", ".example.hk", False),
        ("dns", "a.example.hk", ".example.hk", True),
        ("dns", "anything.org", "", True),
        ("dns", "*.example.hk", "example.hk", False),
        ("dns", "under_score.example.hk", "example.hk", False),
        ("email", "chan@example.hk", "example.hk", True),
        ("email", "chan@mail.example.hk", "example.hk", False),
        ("email", "chan@mail.example.hk", ".example.hk", True),
        ("email", "chan@example.hk", ".example.hk", False),
        ("email", "chan@EXAMPLE.hk", "chan@example.hk", True),
        ("email", "Chan@example.hk", "chan@example.hk", False),
        ("email", "not-an-address", "example.hk", False),
        ("uri", "https://example.hk/x", "example.hk", True),
        ("uri", "https://www.example.hk/x", "example.hk", False),
        ("uri", "https://www.example.hk:8443/x", ".example.hk", True),
        ("uri", "https://user@www.example.hk/x", ".example.hk", True),
        ("uri", "urn:example.hk:x", "example.hk", False),
        ("uri", "https://[2001:db8::1]/x", "example.hk", False),
        ("ip", ipaddress.ip_address("10.1.2.3"), ipaddress.ip_network("10.1.0.0/16"), True),
        ("ip", ipaddress.ip_address("10.2.2.3"), ipaddress.ip_network("10.1.0.0/16"), False),
        ("ip", ipaddress.ip_address("2001:db8::1"), ipaddress.ip_network("10.1.0.0/16"), False),
        ("ip", ipaddress.ip_address("2001:db8::1"), ipaddress.ip_network("2001:db8::/32"), True),
    ],
)
def test_within(form: str, value: object, base: object, inside: bool) -> None:
    assert _within(form, value, base) is inside
