"""NIST PKITS (Public Key Interoperability Test Suite) v1.0.1, section 4.

Every S/MIME message of the suite is verified with the initial settings of each
of its PKITS sub-tests (``pkits_cases.json``), and every end-entity certificate
is validated again straight from ``certs/`` with the path certificates and
CRLs of its case. The certificates and CRLs of a case are the ones its S/MIME
message carries (mapped to their files in ``certs/`` and ``crls/``), which are
the ones the PKITS document lists for the test.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bayident import Indication, Policy, SubIndication, TrustStore, Verifier
from bayident._certs import CertificateCache
from bayident._names import name_key
from bayident._path import PathValidator

CASES_FILE = Path(__file__).with_name("pkits_cases.json")
DATA: dict[str, Any] = json.loads(CASES_FILE.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = DATA["cases"]
# PKITS 2011 certificates and CRLs are valid 2010-01-01 .. 2030-12-31, the "bad date"
# ones fall outside by years; a fixed instant keeps the verdicts independent of the clock.
AT = dt.datetime.fromisoformat(DATA["validation_time"].replace("Z", "+00:00"))

# What each failure family of the data may be reported as.
FAMILIES: dict[str, set[SubIndication]] = {
    "signature": {SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE},
    "not-yet-valid": {SubIndication.NOT_YET_VALID},
    "expired": {SubIndication.OUT_OF_BOUNDS_NO_POE},
    "chain": {SubIndication.NO_CERTIFICATE_CHAIN_FOUND},
    "revoked": {SubIndication.REVOKED_NO_POE, SubIndication.REVOKED_CA_NO_POE},
    "revocation-unknown": {SubIndication.TRY_LATER},
    "constraints": {SubIndication.CHAIN_CONSTRAINTS_FAILURE},
}

# 4.1.5 leaves the DSA parameters out of two certificates, to be inherited from the
# issuer (RFC 3279 §2.3.2). pyca/cryptography refuses such a SubjectPublicKeyInfo while
# parsing the certificate, so the certificates never reach path validation.
KNOWN_GAPS = {
    "4.1.5": "certificates with inherited DSA parameters (RFC 3279 §2.3.2) cannot be parsed "
    "by pyca/cryptography, so the signer certificate is not found",
}

_SETTING_KEYS = {
    "initial_policy_set",
    "initial_explicit_policy",
    "initial_policy_mapping_inhibit",
    "initial_any_policy_inhibit",
    "allow_dsa",
}
_NAMES_CULPRIT = re.compile(r"certificate '[^']+'|\bCRL\b")


def _params() -> Iterator[Any]:
    for case in CASES:
        marks = [pytest.mark.conformance]
        if case["test"] in KNOWN_GAPS:
            marks.append(pytest.mark.xfail(reason=KNOWN_GAPS[case["test"]], strict=True))
        yield pytest.param(case, id=case["id"], marks=marks)


PARAMS = list(_params())


def policy_for(settings: dict[str, Any]) -> Policy:
    """The Policy carrying a case's RFC 5280 §6.1.1 initial settings."""
    unknown = set(settings) - _SETTING_KEYS
    assert not unknown, f"unknown settings in {CASES_FILE.name}: {unknown}"
    # PKITS (2011) breaks three RFC 5280 MUSTs that bayident enforces by default: some CAs
    # mark policyConstraints or basicConstraints non-critical (4.6.4 expects such a path
    # to validate), and 4.4.15 uses a negative serial number.
    base = Policy(
        profile_relaxations=(
            "noncritical-policy-constraints",
            "noncritical-basic-constraints",
            "serial-number",
        )
    )
    changes: dict[str, Any] = {}
    if "initial_policy_set" in settings:
        changes["initial_policy_set"] = tuple(settings["initial_policy_set"])
    for flag in (
        "initial_explicit_policy",
        "initial_policy_mapping_inhibit",
        "initial_any_policy_inhibit",
    ):
        if settings.get(flag):
            changes[flag] = True
    if settings.get("allow_dsa"):
        # PKITS 4.1.4 - 4.1.6 sign with dsaWithSHA1 and 1024-bit DSA keys, all of which
        # the default policy refuses; the test opts in, as a user of old signatures would.
        changes["signature_algorithms"] = {**base.signature_algorithms, "dsa": None}
        changes["digest_algorithms"] = {**base.digest_algorithms, "sha1": None}
        changes["min_rsa_bits"] = 1024
    return base.replace(**changes) if changes else base


def _assert_explained(case: dict[str, Any], sub: SubIndication | None, message: str) -> None:
    assert _NAMES_CULPRIT.search(message), (
        f"{case['id']}: the message names no certificate or CRL: {message}"
    )
    allowed = FAMILIES[case["family"]]
    assert sub in allowed, (
        f"{case['id']}: expected a {case['family']} failure ({', '.join(sorted(allowed))}), "
        f"got {sub}: {message}"
    )


@pytest.fixture(scope="module")
def pkits_verifier(pkits_dir: Path) -> Verifier:
    # One verifier for the whole run, as an application would keep one: its caches
    # must not carry a decision over to a case with other settings or data.
    return Verifier(trust=[pkits_dir / "certs" / DATA["trust_anchor"]])


@pytest.fixture(scope="module")
def pkits_trust(pkits_dir: Path) -> TrustStore:
    return TrustStore.from_files(pkits_dir / "certs" / DATA["trust_anchor"])


@pytest.fixture(scope="module")
def path_validator() -> PathValidator:
    return PathValidator()


@pytest.mark.filterwarnings("ignore:Parsed a serial number which wasn't positive")
@pytest.mark.parametrize("case", PARAMS)
def test_smime_message(case: dict[str, Any], pkits_dir: Path, pkits_verifier: Verifier) -> None:
    result = pkits_verifier.verify(
        pkits_dir / "smime" / case["smime"], at=AT, policy=policy_for(case["settings"])
    )
    want = case["expected"] == "valid"
    assert result.passed is want, (
        f"{case['id']} {case['name']} {case['settings']}: expected {case['expected']}, got "
        f"{result.indication.value} {result.sub_indication}: {result.message}"
    )
    if not want:
        assert result.indication is not Indication.PASSED
        _assert_explained(case, result.sub_indication, result.message)


@pytest.mark.filterwarnings("ignore:Parsed a serial number which wasn't positive")
@pytest.mark.parametrize("case", PARAMS)
def test_certificate_path(
    case: dict[str, Any], pkits_dir: Path, pkits_trust: TrustStore, path_validator: PathValidator
) -> None:
    cache = CertificateCache()
    leaf = cache.get((pkits_dir / "certs" / case["ee_cert"]).read_bytes())
    pool = [cache.get((pkits_dir / "certs" / name).read_bytes()) for name in case["path_certs"]]
    crls = [(pkits_dir / "crls" / name).read_bytes() for name in case["crls"]]
    outcome = path_validator.validate(
        leaf, pool, pkits_trust, policy_for(case["settings"]), AT, crls=crls
    )
    want = case["expected"] == "valid"
    assert outcome.ok is want, (
        f"{case['id']} {case['name']} {case['settings']}: expected {case['expected']}, got "
        f"{outcome.sub_indication}: {outcome.message}"
    )
    if not want:
        _assert_explained(case, outcome.sub_indication, outcome.message)
        assert outcome.concerns


@pytest.mark.conformance
def test_every_message_is_a_case(pkits_dir: Path) -> None:
    messages = {p.name for p in (pkits_dir / "smime").glob("*.eml")}
    covered = {c["smime"] for c in CASES}
    assert len(messages) == 224
    assert covered == messages
    assert len({c["id"] for c in CASES}) == len(CASES)
    for case in CASES:
        assert case["expected"] in ("valid", "invalid")
        assert (case["expected"] == "invalid") == ("family" in case), case["id"]
        for name in [case["ee_cert"], *case["path_certs"]]:
            assert (pkits_dir / "certs" / name).is_file(), name
        for name in case["crls"]:
            assert (pkits_dir / "crls" / name).is_file(), name


@pytest.mark.conformance
def test_dsa_is_refused_unless_the_policy_allows_it(
    pkits_dir: Path, pkits_verifier: Verifier
) -> None:
    # Everything 4.1.4 needs except DSA itself: the refusal must be about the algorithm.
    base = Policy()
    policy = base.replace(
        digest_algorithms={**base.digest_algorithms, "sha1": None}, min_rsa_bits=1024
    )
    result = pkits_verifier.verify(
        pkits_dir / "smime" / "SignedValidDSASignaturesTest4.eml", at=AT, policy=policy
    )
    assert not result.passed
    assert result.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    assert "dsa" in result.message


@pytest.mark.conformance
def test_small_dsa_keys_follow_the_rsa_minimum(pkits_dir: Path, pkits_verifier: Verifier) -> None:
    allowed = policy_for({"allow_dsa": True})
    result = pkits_verifier.verify(
        pkits_dir / "smime" / "SignedValidDSASignaturesTest4.eml",
        at=AT,
        policy=allowed.replace(min_rsa_bits=2048),
    )
    assert not result.passed
    assert result.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    assert "DSA key of 1024 bits" in result.message


@pytest.mark.conformance
def test_missing_crl_for_one_ca_fails_when_crls_are_given(
    pkits_dir: Path, pkits_trust: TrustStore, path_validator: PathValidator
) -> None:
    # 4.4.2's path with Good CA's CRL left out: nothing given covers the sub-CA it
    # issued, so the path cannot pass (it is not "valid unless shown revoked").
    cache = CertificateCache()
    leaf = cache.get((pkits_dir / "certs" / "InvalidRevokedCATest2EE.crt").read_bytes())
    pool = [
        cache.get((pkits_dir / "certs" / n).read_bytes())
        for n in ("GoodCACert.crt", "RevokedsubCACert.crt")
    ]
    crls = [
        (pkits_dir / "crls" / n).read_bytes()
        for n in ("TrustAnchorRootCRL.crl", "RevokedsubCACRL.crl")
    ]
    outcome = path_validator.validate(leaf, pool, pkits_trust, Policy(), AT, crls=crls)
    assert not outcome.ok
    assert outcome.sub_indication is SubIndication.TRY_LATER
    assert "certificate 'CN=Revoked subCA" in outcome.message


# --- RFC 5280 §7.1 name keys (PKITS 4.3) --------------------------------------------


def _name(*rdns: tuple[str, int, str]) -> bytes:
    """DER Name from (attribute OID, string tag, value) triples, one attribute per RDN."""
    from asn1crypto import core

    def tlv(tag: int, body: bytes) -> bytes:
        encoded: bytes = core.Asn1Value(
            tag=tag & 0x1F, class_=0, method=1 if tag & 0x20 else 0, contents=body
        ).dump()
        return encoded

    out = b""
    for oid, tag, value in rdns:
        atv = tlv(0x30, core.ObjectIdentifier(oid).dump() + tlv(tag, value.encode("utf-8")))
        out += tlv(0x31, atv)
    return tlv(0x30, out)


_CN, _O = "2.5.4.3", "2.5.4.10"
_PRINTABLE, _UTF8 = 0x13, 0x0C


@pytest.mark.parametrize(
    "other",
    [
        _name((_O, _PRINTABLE, "TEST CERTIFICATES 2011"), (_CN, _PRINTABLE, "good ca")),
        _name((_O, _PRINTABLE, "  Test   Certificates 2011 "), (_CN, _PRINTABLE, "Good    CA")),
        _name((_O, _UTF8, "Test Certificates 2011"), (_CN, _UTF8, "Good CA")),
    ],
    ids=["case", "whitespace", "utf8string"],
)
def test_name_key_matches_per_rfc5280(other: bytes) -> None:
    reference = _name((_O, _PRINTABLE, "Test Certificates 2011"), (_CN, _PRINTABLE, "Good CA"))
    assert name_key(other) == name_key(reference)


@pytest.mark.parametrize(
    "other",
    [
        _name((_O, _PRINTABLE, "Test Certificates 2011"), (_CN, _PRINTABLE, "Good CA2")),
        _name((_CN, _PRINTABLE, "Good CA"), (_O, _PRINTABLE, "Test Certificates 2011")),
        _name((_O, _PRINTABLE, "Test Certificates 2011")),
    ],
    ids=["value", "order", "missing-rdn"],
)
def test_name_key_keeps_different_names_apart(other: bytes) -> None:
    reference = _name((_O, _PRINTABLE, "Test Certificates 2011"), (_CN, _PRINTABLE, "Good CA"))
    assert name_key(other) != name_key(reference)


def test_name_key_of_unpreparable_name_is_exact() -> None:
    # A private-use code point is prohibited by RFC 4518 §2.4: no prepared key exists,
    # so the name matches only its own bytes, never a lookalike.
    odd = _name((_CN, _UTF8, "Good CA\ue000"))
    assert name_key(odd).startswith("der:")
    assert name_key(odd) == name_key(bytes(odd))
    assert name_key(odd) != name_key(_name((_CN, _UTF8, "Good CA")))


# --- validated-path cache and revocation data ----------------------------------------


def _tiny_pki() -> tuple[bytes, bytes, bytes]:
    """A root, a signer it issued (serial 42) and a CRL, thisUpdate 2021-01-01 and
    nextUpdate 2022-01-01, revoking the signer from 2021-06-01."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    utc = dt.UTC
    root_key = ec.generate_private_key(ec.SECP256R1())
    signer_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(name("Cache Root"))
        .issuer_name(name("Cache Root"))
        .public_key(root_key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=utc))
        .not_valid_after(dt.datetime(2030, 1, 1, tzinfo=utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    signer = (
        x509.CertificateBuilder()
        .subject_name(name("Cache Signer"))
        .issuer_name(root.subject)
        .public_key(signer_key.public_key())
        .serial_number(42)
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=utc))
        .not_valid_after(dt.datetime(2030, 1, 1, tzinfo=utc))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    revoked = (
        x509.RevokedCertificateBuilder()
        .serial_number(42)
        .revocation_date(dt.datetime(2021, 6, 1, tzinfo=utc))
        .build()
    )
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(dt.datetime(2021, 1, 1, tzinfo=utc))
        .next_update(dt.datetime(2022, 1, 1, tzinfo=utc))
        .add_revoked_certificate(revoked)
        .add_extension(x509.CRLNumber(1), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    der = serialization.Encoding.DER
    return root.public_bytes(der), signer.public_bytes(der), crl.public_bytes(der)


def test_cached_path_does_not_outlive_its_crls() -> None:
    root, signer, crl = _tiny_pki()
    validator = PathValidator()
    trust = TrustStore.from_certificates([root])
    leaf = CertificateCache().get(signer)
    policy = Policy()

    def at(y: int, m: int) -> dt.datetime:
        return dt.datetime(y, m, 1, tzinfo=dt.UTC)

    assert validator.validate(leaf, [], trust, policy, at(2021, 3), crls=[crl]).ok
    # Same certificates and CRL: only the time moved past the revocation date.
    later = validator.validate(leaf, [], trust, policy, at(2021, 7), crls=[crl])
    assert not later.ok
    assert later.sub_indication is SubIndication.REVOKED_NO_POE
    # Before the CRL was issued, and after its nextUpdate, it cannot vouch for the signer.
    for when in (at(2020, 6), at(2022, 2)):
        outcome = validator.validate(leaf, [], trust, policy, when, crls=[crl])
        assert not outcome.ok
        assert outcome.sub_indication is SubIndication.TRY_LATER
    # Without CRLs nothing says it is revoked: the path itself is fine.
    assert validator.validate(leaf, [], trust, policy, at(2021, 7)).ok
