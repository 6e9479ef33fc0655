"""Running one x509-limbo case (schema v1) through bayident, and through the peers.

Shared by the conformance test and the table generator (``bench/limbo_table.py``).
"""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LIMBO = ROOT / ".." / "shared" / "conformance" / "limbo" / "limbo.json.gz"

# x509-limbo names key usages as RFC 5280 does; bayident's Policy names them as cryptography does.
_KU = {
    "digitalSignature": "digital_signature",
    "contentCommitment": "content_commitment",
    "nonRepudiation": "content_commitment",
    "keyEncipherment": "key_encipherment",
    "dataEncipherment": "data_encipherment",
    "keyAgreement": "key_agreement",
    "keyCertSign": "key_cert_sign",
    "cRLSign": "crl_sign",
}


def load_cases() -> list[dict[str, Any]]:
    """The cases, or an empty list when the data is absent."""
    if not LIMBO.is_file():
        return []
    with gzip.open(LIMBO, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    cases: list[dict[str, Any]] = data["testcases"]
    return cases


def pems(value: Any) -> list[str]:
    """A PEM list field: a list, or (in this export) its Python-literal string form."""
    if isinstance(value, str):
        value = ast.literal_eval(value) if value.lstrip().startswith("[") else [value]
    return [str(v) for v in value or ()]


def der_of(pem: str) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    if "X509 CRL" in pem:
        return x509.load_pem_x509_crl(pem.encode()).public_bytes(Encoding.DER)
    return _pem_body(pem)


def _pem_body(pem: str) -> bytes:
    import base64

    lines = [ln for ln in pem.strip().splitlines() if ln and not ln.startswith("-----")]
    return base64.b64decode("".join(lines))


def validation_time(case: dict[str, Any]) -> dt.datetime | None:
    raw = case.get("validation_time")
    return dt.datetime.fromisoformat(raw) if raw else None


def run_bayident(case: dict[str, Any], verifier_cls: Any = None) -> tuple[bool, str]:
    """(accepted, message) for one case through ``Verifier.validate_certificate``."""
    from bayident import Policy, Verifier

    verifier_cls = verifier_cls or Verifier
    changes: dict[str, Any] = {
        "signer_key_usage": tuple(_KU.get(k, k) for k in case.get("key_usage") or ()),
        # Revocation is checked with the CRLs a case gives, and never fetched.
        "revocation_mode": "hard-fail" if pems(case.get("crls")) else "off",
    }
    if case.get("max_chain_depth") is not None:
        changes["max_chain_length"] = int(case["max_chain_depth"]) + 1
    policy = Policy().replace(**changes)
    trust = [_pem_body(p) for p in pems(case["trusted_certs"])]
    verifier = verifier_cls(trust=trust, policy=policy)
    crls = [der_of(p) for p in pems(case.get("crls"))] or None
    result = verifier.validate_certificate(
        _pem_body(case["peer_certificate"]),
        intermediates=[_pem_body(p) for p in pems(case["untrusted_intermediates"])],
        at=validation_time(case),
        crls=crls,
    )
    return result.passed, result.message


def iter_ids(cases: list[dict[str, Any]]) -> Iterator[str]:
    for c in cases:
        yield str(c["id"])
