"""pyhanko-certvalidator: the tested version range, and the structure bayident reads.

bayident picks EN 319 102-1 sub-indications from pyhanko-certvalidator's exception
types and from where in its RFC 5280 §6.1 processing an error was raised (module,
function, the raising frame's ``proc_state``), never from its English messages. Those
raise sites are private structure: pyproject.toml caps the version, and these tests
fail, naming what to re-check, when the installed release is outside the tested range
or the structure moved.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from importlib.metadata import version
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from bayident import Policy, SubIndication, Verifier, _pathtext

DER = Encoding.DER

# The releases whose private structure was checked against bayident (pyproject.toml
# carries the same bounds).
TESTED = ((0, 33), (0, 34))  # lower bound included, upper excluded

RECHECK = (
    "re-check against the new release: the raise sites in bayident/_pathtext.py "
    "(_CONSTRAINT_STEPS, _PATH_LOOP, the frame local 'proc_state' with index / is_ee_cert "
    "/ is_side_validation) and the general engine in bayident/_pathgeneral.py; then widen "
    "TESTED here and the bound of the pkix extra in pyproject.toml"
)


def _release() -> tuple[int, int]:
    major, minor = version("pyhanko-certvalidator").split(".")[:2]
    return int(major), int(minor)


def test_installed_release_is_in_the_tested_range() -> None:
    low, high = TESTED
    found = _release()
    assert low <= found < high, (
        f"pyhanko-certvalidator {version('pyhanko-certvalidator')} is outside the tested "
        f"range {low[0]}.{low[1]} to below {high[0]}.{high[1]}: {RECHECK}"
    )


def test_pyproject_caps_the_release_like_the_tests() -> None:
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    # The general engine is the pkix extra.
    extras = tomllib.loads(pyproject.read_text("utf-8"))["project"]["optional-dependencies"]
    spec = next(d for d in extras["pkix"] if d.startswith("pyhanko-certvalidator"))
    (low_major, low_minor), (high_major, high_minor) = TESTED
    wrong = f"pyproject.toml requires {spec!r}, but the tested range is {TESTED}"
    assert f">={low_major}.{low_minor}" in spec, wrong
    assert f"<{high_major}.{high_minor}" in spec, wrong


@pytest.mark.parametrize(("module", "function"), sorted(_pathtext._CONSTRAINT_STEPS))
def test_constraint_raise_sites_exist_and_raise_path_errors(module: str, function: str) -> None:
    mod = importlib.import_module(module)
    owner = mod._PathValidationState if hasattr(mod, "_PathValidationState") else None
    func = getattr(mod, function, None) or (getattr(owner, function, None) if owner else None)
    assert func is not None, f"{module}.{function} is gone: {RECHECK}"
    source = inspect.getsource(func)
    moved = f"{module}.{function} no longer raises PathValidationError with a proc_state: {RECHECK}"
    assert "PathValidationError" in source, moved
    assert "proc_state" in source, moved


def test_path_loop_raise_site_has_the_locals_read() -> None:
    from pyhanko_certvalidator import validate

    module, function = _pathtext._PATH_LOOP
    assert module == validate.__name__
    code = validate.intl_validate_path.__code__
    assert function == code.co_name
    for local in ("unsupported_critical_extensions", "proc_state", "cert"):
        assert local in code.co_varnames, f"intl_validate_path has no local {local!r}: {RECHECK}"
    assert "PolicyGraphSizeExceeded" in inspect.getsource(validate.intl_validate_path), RECHECK


def test_proc_state_positions_are_read_as_documented() -> None:
    from pyhanko_certvalidator._state import ValProcState

    source = inspect.getsource(ValProcState)
    # index counts from the anchor (1 … n, the end-entity being n), as _fault_position reads it.
    assert "self.index = init_index" in source, RECHECK
    assert "return self.index == self.path_len" in source, RECHECK
    assert "self.is_side_validation" in source, RECHECK


def test_raise_site_names_the_raising_function() -> None:
    from pyhanko_certvalidator import validate

    def raise_inside() -> None:
        raise ValueError("raised by the test")

    # A frame outside pyhanko-certvalidator is not a raise site of it.
    with pytest.raises(ValueError, match="raised by the test") as info:
        raise_inside()
    assert _pathtext.raise_site(info.value) is None
    assert validate.__name__.startswith("pyhanko_certvalidator")


# --- sub-indications of the general engine follow the failed step, not the wording ---

_AT = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.UTC)


def _cert(subject: str, key: Any, issuer: str, issuer_key: Any, *, ca: bool) -> x509.Certificate:
    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    b = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_AT - dt.timedelta(days=30))
        .not_valid_after(_AT + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer != subject:
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    return b.sign(issuer_key, hashes.SHA256())


def _general(root: x509.Certificate, leaf: bytes, inter: list[bytes]) -> Any:
    # Bare anchors send every path to the general engine (pyhanko-certvalidator).
    verifier = Verifier(trust=[root.public_bytes(DER)])
    policy = Policy(trust_anchor_constraints=False)
    return verifier.validate_certificate(leaf, intermediates=inter, at=_AT, policy=policy)


def _chain(inter_is_ca: bool) -> tuple[x509.Certificate, x509.Certificate, x509.Certificate]:
    rk, ik, lk = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("Root", rk, "Root", rk, ca=True)
    inter = _cert("Issuing CA", ik, "Root", rk, ca=inter_is_ca)
    leaf = _cert("Signer", lk, "Issuing CA", ik, ca=False)
    return root, inter, leaf


def test_an_issuer_that_is_not_a_ca_is_a_constraint_failure() -> None:
    root, inter, leaf = _chain(inter_is_ca=False)
    result = _general(root, leaf.public_bytes(DER), [inter.public_bytes(DER)])
    assert not result.passed
    assert result.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE, result.explain()
    assert "Issuing CA" in result.explain()


def test_a_bad_signature_stays_a_general_failure_whatever_the_message_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pyhanko_certvalidator._state import ValProcState

    root, inter, leaf = _chain(inter_is_ca=True)
    der = bytearray(leaf.public_bytes(DER))
    der[-1] ^= 0x01  # the last octet of the signature value
    # Messages that speak of policies and name constraints do not make it a constraint failure.
    monkeypatch.setattr(
        ValProcState,
        "describe_cert",
        lambda self, *a, **k: "the certificate under policy and name constraints",
    )
    result = _general(root, bytes(der), [inter.public_bytes(DER)])
    assert not result.passed
    assert result.sub_indication is SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE, (
        result.explain()
    )
