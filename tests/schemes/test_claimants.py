"""Which certificate adapters are asked about a signer: a plug-in adapter beside the built-in
profile adapters is always asked, whatever the built-in ones decided before."""

from __future__ import annotations

import datetime as dt

from bayident import Assurance, AssuranceLevel, Identity, Verifier
from bayident.schemes import CertificateView, ProfileMatch, default_registry
from bayident.testing import MockCA

AT = dt.datetime.now(dt.UTC)


class _BySubject:
    """A plug-in adapter that claims certificates by subject common name alone."""

    name = "plugin-by-subject"
    scheme = "plugin"
    jurisdiction = "HK"

    def __init__(self) -> None:
        self.asked = 0

    def match_certificate(self, view: CertificateView) -> ProfileMatch | None:
        self.asked += 1
        if not view.subject_cn.startswith("Plug-in"):
            return None
        return ProfileMatch(
            adapter=self.name, scheme=self.scheme, certificate_type="test", markers=("cn",)
        )

    def certificate_identity(self, view: CertificateView, match: ProfileMatch) -> Identity:
        return Identity(
            scheme=self.scheme,
            adapter=self.name,
            jurisdiction=self.jurisdiction,
            name_en=view.subject_cn,
            assurance=Assurance(level=AssuranceLevel.LOW, basis="test"),
            evidence="the subject common name",
        )


def test_a_plugin_adapter_is_asked_for_every_signer_of_a_ca() -> None:
    root = MockCA("Claimants Root CA", key_type="ec")
    ca = root.create_child_ca("Claimants Issuing CA", key_type="ec")
    plugin = _BySubject()
    registry = default_registry().copy()
    registry.register(plugin)
    verifier = Verifier(trust=[root.cert_pem], schemes=registry)
    # Two signers of one CA, alike for the built-in adapters (same CA names, no policies):
    # only the second is the plug-in's.
    first = ca.issue_signer("Ordinary Signer")
    second = ca.issue_signer("Plug-in Signer")
    r1 = verifier.validate_certificate(first.cert_der, intermediates=[ca.cert_der], at=AT)
    r2 = verifier.validate_certificate(second.cert_der, intermediates=[ca.cert_der], at=AT)
    assert r1.passed, r1.explain()
    assert r1.identity is None
    assert r2.passed, r2.explain()
    assert r2.identity is not None
    assert r2.identity.adapter == "plugin-by-subject"
    assert plugin.asked == 2
