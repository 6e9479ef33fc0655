"""One rule over every public entry point: foreign input never raises anything but a BayidentError.

Each entry point (the verification functions and ``Verifier``, JOSE, certificate
validation, trusted-list readers and the manager, identifiers, scheme parsers,
the command line, and the test kit's functions that parse what they are given)
receives the hostile inputs of a fixed corpus: empty, truncated, flipped,
random, oversized-number, deeply nested and encoding-confused variants of the
kit's valid seeds, plus the hand-made cases of the hostile-input report
(unparseable certificates where a certificate is expected, an RSA-PSS MGF1
hash that is not a SHA-2, a JSON number of thousands of digits). A
:class:`bayident.BayidentError` is allowed (it is documented for programmer
errors and unusable configuration); any other exception is a defect. The CLI
must never exit with 70 (internal error) nor print a traceback.

Entry points whose defects belong to other parts of the code are marked
``xfail(strict=True)`` naming the defect, so the mark goes as soon as it is fixed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from _corpus import AT, CONTENT, kit
from cryptography.hazmat.primitives.serialization import Encoding

import bayident
from bayident import BayidentError

pytestmark = pytest.mark.fuzz

SM3 = "1.2.156.10197.1.401"
SHAKE256 = "2.16.840.1.101.3.4.2.12"


def _bad_version(der: bytes) -> bytes:
    return der.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x07", 1)


def _variants(seed: bytes) -> list[bytes]:
    rng = random.Random(len(seed))
    flipped = bytearray(seed)
    for _ in range(3):
        flipped[rng.randrange(len(flipped))] ^= 0x40
    return [
        seed[: len(seed) // 2],
        seed[:1],
        bytes(flipped),
        seed + b"\x00" * 7,
        seed.replace(b"0", b"1", 3),
    ]


def hostile_bytes() -> list[bytes]:
    """The shared part of the corpus: generic hostile bytes and variants of every seed."""
    k = kit()
    generic = [
        b"",
        b"\x00",
        b"\x30\x80",
        b"\x30\x84\xff\xff\xff\xff",
        b"\x30" * 5000,
        b"\x30\x80" * 3000,
        bytes(random.Random(17).randbytes(4096)),
        b"-----BEGIN CMS-----\n!!!!\n-----END CMS-----\n",
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
        b"[" * 100_000,
        b'{"idNo": 1' + b"0" * 4400 + b"}",
        b"\xff\xfe<\x00?\x00x\x00",
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
        b"eyJhbGciOiJub25lIn0.e30.",
        b"a.b.c.d.e",
    ]
    seeds = [*k.cms, *k.sm2_cms, *k.jws, *k.etsi, *k.json_lists, *k.replies, *k.profiles]
    out = list(generic)
    for s in seeds:
        out.extend(_variants(s))
    return out


def pss_with_mgf1(hash_oid: str) -> bytes:
    """An RSA-PSS CMS signature whose (unsigned) MGF1 hash names another algorithm."""
    from asn1crypto import algos, cms

    info = cms.ContentInfo.load(kit().cms[2])
    params = info["content"]["signer_infos"][0]["signature_algorithm"]["parameters"]
    params["mask_gen_algorithm"]["parameters"] = algos.DigestAlgorithm({"algorithm": hash_oid})
    out: bytes = info.dump(force=True)
    return out


def bad_certificate() -> bytes:
    return _bad_version(kit().root.certificate.public_bytes(Encoding.DER))


CORPUS: list[bytes] = []


def corpus() -> list[bytes]:
    if not CORPUS:
        CORPUS.extend(hostile_bytes())
    return CORPUS


def _drive(call: Callable[[bytes], Any], inputs: list[bytes]) -> list[str]:
    escaped = []
    for i, data in enumerate(inputs):
        try:
            call(data)
        except BayidentError:
            pass
        except Exception as exc:
            escaped.append(f"input {i} ({data[:24]!r}): {type(exc).__name__}: {str(exc)[:120]}")
    return escaped


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# --- the entry points ---------------------------------------------------------------------


def _entry_points() -> dict[str, Callable[[bytes], Any]]:
    from bayident.identifiers import IdentifierKind, hkid_hash, validate
    from bayident.jose import verify_jws, verify_jwt
    from bayident.schemes import parse_scheme_evidence
    from bayident.schemes.iamsmart import decrypt_content, parse_profile, parse_reply
    from bayident.testing import add_unsigned_attribute, hostile_etsi_xml, merge_signatures
    from bayident.trustlist import read_etsi_xml, read_json_list, read_trusted_list

    k = kit()
    verifier = bayident.Verifier(trust=k.trust)

    def identifiers(data: bytes) -> None:
        for kind in IdentifierKind:
            validate(kind, _text(data))
        hkid_hash(_text(data))

    return {
        "verify": lambda d: bayident.verify(d, content=CONTENT, trust=k.trust, at=AT),
        "averify": lambda d: asyncio.run(
            bayident.averify(d, content=CONTENT, trust=k.trust, at=AT)
        ),
        "Verifier.verify": lambda d: verifier.verify(d, content=CONTENT, at=AT),
        "verify crls=": lambda d: verifier.verify(k.cms[0], content=CONTENT, at=AT, crls=[d]),
        "verify ocsp_responses=": lambda d: verifier.verify(
            k.cms[0], content=CONTENT, at=AT, ocsp_responses=[d]
        ),
        "Verifier.validate_certificate": lambda d: verifier.validate_certificate(d, at=AT),
        "jose.verify_jws": lambda d: verify_jws(d, content=CONTENT, trust=k.trust, at=AT),
        "jose.verify_jwt": lambda d: verify_jwt(d, trust=k.trust, at=AT),
        "trustlist.read_trusted_list": read_trusted_list,
        "trustlist.read_etsi_xml": read_etsi_xml,
        "trustlist.read_json_list": read_json_list,
        "identifiers": identifiers,
        "schemes.parse_scheme_evidence": parse_scheme_evidence,
        "iamsmart.parse_reply": parse_reply,
        "iamsmart.parse_profile": lambda d: parse_profile(d, today=AT.date()),
        "iamsmart.decrypt_content": lambda d: decrypt_content(b"k" * 32, d),
        "testing.hostile_etsi_xml": lambda d: hostile_etsi_xml(d, "second-list"),
        "testing.add_unsigned_attribute": lambda d: add_unsigned_attribute(
            d, "1.2.840.113549.1.9.16.2.14", [b"\x05\x00"]
        ),
        "testing.merge_signatures": lambda d: merge_signatures(_text(d), _text(d)),
    }


#: Entry points that let a non-BayidentError escape today, with the defect.
KNOWN: dict[str, str] = {}


@pytest.mark.parametrize("name", sorted(_entry_points()))
def test_no_exception_but_bayident_errors_escape(name: str, request: pytest.FixtureRequest) -> None:
    if name in KNOWN:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN[name]))
    escaped = _drive(_entry_points()[name], corpus())
    assert escaped == [], "\n".join(escaped)


# --- hand-made cases from the hostile-input report ------------------------------------------


def _verify_pss(oid: str) -> Any:
    return bayident.verify(pss_with_mgf1(oid), content=CONTENT, trust=kit().trust, at=AT)


HAND_MADE: dict[str, Callable[[], Any]] = {
    "rsa-pss mgf1 sm3": lambda: _verify_pss(SM3),
    "rsa-pss mgf1 shake256": lambda: _verify_pss(SHAKE256),
    "trust= malformed certificate": lambda: bayident.verify(
        kit().cms[0], content=CONTENT, trust=[bad_certificate()], at=AT
    ),
    "TrustStore.from_certificates malformed": lambda: bayident.TrustStore.from_certificates(
        [bad_certificate()]
    ),
    "extra_certs= malformed certificate": lambda: bayident.verify(
        kit().cms[0], content=CONTENT, trust=kit().trust, at=AT, extra_certs=[bad_certificate()]
    ),
    "iamsmart parse_profile 4400-digit number": lambda: _iam_profile_number(),
    "iamsmart parse_reply 4400-digit number": lambda: _iam_reply_number(),
    "trustlist keyinfo bad version": lambda: _list_with_bad_keyinfo(),
    "json list x5c bad version": lambda: _json_list_bad_x5c(),
}

#: Hand-made cases that raise something else today, with the defect (other owners).
KNOWN_HAND_MADE: dict[str, str] = {}


def _iam_profile_number() -> Any:
    from bayident.schemes.iamsmart import parse_profile

    return parse_profile(b'{"idNo": 1' + b"0" * 4400 + b', "enName": "X"}', today=AT.date())


def _iam_reply_number() -> Any:
    from bayident.schemes.iamsmart import parse_reply

    return parse_reply(b'{"txID": "1", "code": "D00000", "message": 1' + b"0" * 4400 + b"}")


def _list_with_bad_keyinfo() -> Any:
    from bayident.trustlist import read_trusted_list

    xml = kit().etsi[0]
    start = xml.index(b"X509Certificate>", xml.index(b"KeyInfo")) + len(b"X509Certificate>")
    end = xml.index(b"</", start)
    der = base64.b64decode(xml[start:end])
    return read_trusted_list(xml[:start] + base64.b64encode(_bad_version(der)) + xml[end:])


def _json_list_bad_x5c() -> Any:
    from bayident.trustlist import read_json_list

    head, payload, sig = kit().json_lists[0].split(b".")
    header = json.loads(base64.urlsafe_b64decode(head + b"=" * (-len(head) % 4)))
    der = base64.b64decode(header["x5c"][0])
    header["x5c"][0] = base64.b64encode(_bad_version(der)).decode()
    new = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=")
    return read_json_list(b".".join([new, payload, sig]))


@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_hand_made_hostile_cases(name: str, request: pytest.FixtureRequest) -> None:
    if name in KNOWN_HAND_MADE:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_HAND_MADE[name]))
    with contextlib.suppress(BayidentError):
        HAND_MADE[name]()


# --- the manager and the command line -------------------------------------------------------


def test_the_manager_never_raises_for_what_a_server_sends(tmp_path: Path) -> None:
    from bayident.testing import ListRoute, mock_transport
    from bayident.trustlist import ListSource, TrustListManager

    k = kit()
    routes: dict[str, ListRoute] = {}
    manager = TrustListManager(
        [ListSource("https://lists.example/hk.xml", signers=(k.list_signers[0],))],
        cache_dir=tmp_path,
        client=httpx.Client(transport=mock_transport(routes)),
        clock=lambda: AT,
    )
    routes["/hk.xml"] = ListRoute(k.etsi[0])
    assert manager.refresh().ok
    for data in [*corpus(), _list_with_bad_keyinfo_bytes()]:
        routes["/hk.xml"] = ListRoute(data)
        report = manager.refresh()  # must not raise
        assert report.lists[0].accepted  # the cached copy stands in
        assert len(report.store) == 1


def _list_with_bad_keyinfo_bytes() -> bytes:
    xml = kit().etsi[0]
    start = xml.index(b"X509Certificate>", xml.index(b"KeyInfo")) + len(b"X509Certificate>")
    end = xml.index(b"</", start)
    der = base64.b64decode(xml[start:end])
    return xml[:start] + base64.b64encode(_bad_version(der)) + xml[end:]


CLI_COMMANDS: dict[str, Callable[[Path, Path, Path], list[str]]] = {
    "verify": lambda ev, content, trust: ["verify", str(ev), str(content), "--trust", str(trust)],
    "verify --json": lambda ev, content, trust: [
        "verify",
        str(ev),
        str(content),
        "--trust",
        str(trust),
        "--json",
    ],
    "trustlist inspect": lambda ev, content, trust: ["trustlist", "inspect", str(ev)],
    "trustlist diff": lambda ev, content, trust: ["trustlist", "diff", str(ev), str(ev)],
}


@pytest.mark.parametrize("name", sorted(CLI_COMMANDS))
def test_the_command_line_never_fails_internally(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bayident.cli import main

    content = tmp_path / "content.bin"
    content.write_bytes(CONTENT)
    trust = tmp_path / "root.pem"
    trust.write_bytes(kit().trust[0])
    evidence = tmp_path / "evidence"
    bad = []
    for i, data in enumerate([*corpus()[:40], _list_with_bad_keyinfo_bytes()]):
        evidence.write_bytes(data)
        code = main(CLI_COMMANDS[name](evidence, content, trust))
        _, err = capsys.readouterr()
        if code == 70 or "Traceback" in err:
            bad.append(f"input {i} ({data[:24]!r}): exit {code}: {err[-200:]}")
    assert bad == [], "\n".join(bad)
