"""The seed corpus and the targets of the fuzzing harness, built from ``bayident.testing``.

Each :class:`Target` holds valid seeds made fresh by the test kit (CMS, SM2 CMS,
JWS, ETSI and JSON trusted lists, iAM Smart replies and profiles, identifiers)
and a function that hands one input to a public entry point and says what it
decided. A run of a mutated input ends in one of:

* ``passed``: the entry point accepted it; its ``meaning`` (who signed, what,
  with which algorithm; or the list content and its signer) is compared with
  the seed's: a different meaning is a **false PASSED**, the same meaning an
  equivalent encoding (e.g. a changed unsigned attribute);
* ``refused``: a result that did not pass, or a documented
  :class:`bayident.BayidentError` (what the rules allow);
* ``escaped``: any other exception, the failure the harness hunts.
"""

from __future__ import annotations

import datetime as dt
import json
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import bayident
from bayident import BayidentError, Indication
from bayident.testing import (
    MockCA,
    MockClock,
    MockIAmSmart,
    MockJWTIssuer,
    MockSM2CA,
    MockTrustListOperator,
)

CLOCK_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
AT = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
CONTENT = b"Hostile-input harness: the content every seed signature covers.\n"

Verdict = Literal["passed", "refused", "escaped"]


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    meaning: Any = None
    error: str | None = None


@dataclass
class Target:
    """A public entry point and the valid seeds to mutate for it."""

    name: str
    seeds: list[bytes]
    call: Callable[[bytes], Any]  # returns a meaning (passed) or None (refused)
    #: Whether "passed" means something to forge (signatures, lists) or is just a parse.
    has_pass: bool = True
    expected: list[Any] = field(default_factory=list)

    def run(self, data: bytes) -> Outcome:
        try:
            meaning = self.call(data)
        except BayidentError:
            return Outcome("refused")
        except Exception as exc:  # the harness's finding: an exception escaped
            tb = traceback.extract_tb(exc.__traceback__)
            where = f"{tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else "?"
            return Outcome("escaped", error=f"{type(exc).__name__} at {where}: {exc}"[:300])
        return Outcome("passed", meaning) if meaning is not None else Outcome("refused")


# --- meanings --------------------------------------------------------------------------------


def _result_meaning(result: bayident.VerificationResult) -> Any:
    if result.indication is not Indication.PASSED:
        return None
    return tuple(
        (
            s.certificate.fingerprint_sha256 if s.certificate else None,
            s.signature_algorithm,
            s.digest_algorithm,
            s.claimed_signing_time,
            s.signed_attributes,
        )
        for s in result.signers
    )


def _list_meaning(doc: Any) -> Any:
    if not doc.valid:
        return None
    return (doc.signer_spki, doc.signer_binding, doc.trusted_list)


# --- the seeds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kit:
    clock: MockClock
    root: MockCA
    sm2_root: MockSM2CA
    trust: list[bytes]
    sm2_trust: list[bytes]
    cms: list[bytes]
    sm2_cms: list[bytes]
    jws: list[bytes]
    etsi: list[bytes]
    json_lists: list[bytes]
    list_signers: list[Any]
    replies: list[bytes]
    profiles: list[bytes]


@cache
def kit() -> Kit:
    clock = MockClock(CLOCK_START)
    root = MockCA("Fuzz Root CA", clock=clock)
    issuing = root.create_child_ca("Fuzz Issuing CA", key_type="ec", path_length=0)
    signer = issuing.issue_signer("CHAN Tai Man (fuzz)")
    rsa_signer = root.issue_signer("WONG Siu Ming (fuzz)", key_type="rsa")
    cms = [
        signer.sign_detached_cms(CONTENT),
        signer.sign_detached_cms(CONTENT, attributes=False),
        rsa_signer.sign_detached_cms(CONTENT, pss=True),
        rsa_signer.sign_detached_cms(CONTENT, signing_certificate="v1", output="pem"),
    ]
    sm2_root = MockSM2CA("Fuzz SM2 Root", clock=clock)
    sm2_signer = sm2_root.create_child_ca("Fuzz SM2 Issuing", path_length=0).issue_signer(
        "LI Lei (fuzz)"
    )
    sm2_cms = [sm2_signer.sign_detached_cms(CONTENT)]
    issuer = MockJWTIssuer.from_signer(signer)
    jws = [
        issuer.sign_detached(CONTENT, x5c=True).encode(),
        issuer.sign_detached(CONTENT, x5c=True, serialization="json").encode(),
        issuer.sign_detached(CONTENT, x5c=True, b64=False, serialization="json").encode(),
    ]
    lists_clock = MockClock(AT - dt.timedelta(days=30))
    operator = MockTrustListOperator("HK", clock=lists_clock)
    rsa_operator = MockTrustListOperator("MO", clock=lists_clock, key_type="rsa")
    etsi = [operator.etsi_xml(), rsa_operator.etsi_xml()]
    json_lists = [operator.json_jws().encode()]
    iam = MockIAmSmart(clock=clock)
    user = iam.enrol("A123456(3)", "CHAN, Tai Man", zh_name="陳大文")
    profile = json.dumps(user.profile(), ensure_ascii=False).encode("utf-8")
    replies = [iam.reply(user.profile()).encode("utf-8"), iam.reply(None, code="D40001").encode()]
    return Kit(
        clock=clock,
        root=root,
        sm2_root=sm2_root,
        trust=[root.cert_pem],
        sm2_trust=[sm2_root.cert_pem],
        cms=cms,
        sm2_cms=sm2_cms,
        jws=jws,
        etsi=etsi,
        json_lists=json_lists,
        list_signers=[operator.signer_certificate, rsa_operator.signer_certificate],
        replies=replies,
        profiles=[profile],
    )


@cache
def _verifier(trust: tuple[bytes, ...]) -> bayident.Verifier:
    return bayident.Verifier(trust=list(trust))


def targets() -> list[Target]:
    """Every target with its seeds and the meaning each seed has (checked to pass)."""
    from bayident.identifiers import IdentifierKind, validate
    from bayident.jose import verify_jws
    from bayident.schemes.iamsmart import parse_profile, parse_reply
    from bayident.trustlist import read_etsi_xml, read_json_list

    k = kit()
    cms_verifier = _verifier(tuple(k.trust))
    sm2_verifier = _verifier(tuple(k.sm2_trust))

    def cms(data: bytes) -> Any:
        return _result_meaning(cms_verifier.verify(data, content=CONTENT, at=AT))

    def sm2(data: bytes) -> Any:
        return _result_meaning(sm2_verifier.verify(data, content=CONTENT, at=AT))

    def jws(data: bytes) -> Any:
        return _result_meaning(verify_jws(data, content=CONTENT, trust=k.trust, at=AT))

    def etsi(data: bytes) -> Any:
        return _list_meaning(read_etsi_xml(data))

    def json_list(data: bytes) -> Any:
        return _list_meaning(read_json_list(data))

    def reply(data: bytes) -> Any:
        parse_reply(data)
        return None

    def profile(data: bytes) -> Any:
        parse_profile(data, today=AT.date())
        return None

    def identifier(data: bytes) -> Any:
        text = data.decode("utf-8", "replace")
        for kind in IdentifierKind:
            validate(kind, text)
        return None

    out = [
        Target("cms", k.cms, cms),
        Target("sm2-cms", k.sm2_cms, sm2),
        Target("jws", k.jws, jws),
        Target("etsi-list", k.etsi, etsi),
        Target("json-list", k.json_lists, json_list),
        Target("iamsmart-reply", k.replies, reply, has_pass=False),
        Target("iamsmart-profile", k.profiles, profile, has_pass=False),
        Target(
            "identifiers",
            [b"A123456(3)", b"11010519491231002X", b"91350100M000100Y43", b"1234567(8)"],
            identifier,
            has_pass=False,
        ),
    ]
    for t in out:
        t.expected = [t.run(s) for s in t.seeds]
        for seed, outcome in zip(t.seeds, t.expected, strict=True):
            if t.has_pass and outcome.verdict != "passed":
                raise AssertionError(f"{t.name}: a seed does not pass: {outcome} {seed[:60]!r}")
    return out


# --- mutations -------------------------------------------------------------------------------

INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0x30, 0x3C, 0x22, 0x2E, 0x7B)


def mutate(seed: bytes, ops: Sequence[tuple[str, int, int, int]]) -> bytes:
    """Apply mutation operations ``(name, position, length, value)`` to ``seed``."""
    data = bytearray(seed)
    for name, pos, length, value in ops:
        if not data:
            data = bytearray([value & 0xFF])
            continue
        p = pos % len(data)
        n = max(1, length)
        if name == "flip":
            data[p] ^= 1 << (value % 8)
        elif name == "set":
            data[p] = INTERESTING[value % len(INTERESTING)]
        elif name == "insert":
            data[p:p] = bytes([value & 0xFF]) * n
        elif name == "delete":
            del data[p : p + n]
        elif name == "duplicate":
            data[p:p] = data[p : p + n]
        elif name == "truncate":
            del data[p:]
        elif name == "increment":
            data[p] = (data[p] + 1 + value % 3) & 0xFF
    return bytes(data)


OPERATIONS = ("flip", "set", "insert", "delete", "duplicate", "truncate", "increment")


@dataclass
class Tally:
    """Figures of a run: inputs tried, exceptions escaped, false PASSED, equivalent encodings."""

    tried: int = 0
    escaped: list[str] = field(default_factory=list)
    false_passed: list[str] = field(default_factory=list)
    equivalent: int = 0

    def record(self, target: Target, seed_index: int, data: bytes) -> Outcome:
        outcome = target.run(data)
        self.tried += 1
        if outcome.verdict == "escaped":
            self.escaped.append(f"{target.name}: {outcome.error}")
        elif outcome.verdict == "passed" and target.has_pass:
            if outcome.meaning == target.expected[seed_index].meaning:
                self.equivalent += 1
            else:
                self.false_passed.append(f"{target.name}: seed {seed_index}: {data[:80]!r}")
        return outcome
