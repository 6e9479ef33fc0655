"""Deciding whether to rely on a list: signer, freshness, rollback, pointers and pivots."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from cryptography import x509

from _trustlist_kit import NOW, at, clock, lotl_operator, operator
from bayident import InvalidArgument
from bayident.testing import MockTrustListOperator
from bayident.trustlist import (
    TrustListDocument,
    TrustListValidator,
    is_pivot_url,
    list_key,
    pointers_to,
    read_trusted_list,
    resolve_pivots,
    signers_from_pointers,
)


def doc(**kw: Any) -> TrustListDocument:
    return read_trusted_list(operator("HK").etsi_xml(**kw))


def signer() -> x509.Certificate:
    return operator("HK").signer_certificate


def test_a_pinned_signer_is_trusted_and_another_is_not() -> None:
    d = doc()
    assert TrustListValidator().accept(d, signers=[signer()], at=at()).accepted
    refused = TrustListValidator().accept(d, signers=[operator("MO").signer_certificate], at=at())
    assert not refused.accepted
    assert not refused.signer_trusted
    assert (
        "'CN=Sandbox HK Trust List Signer,C=HK', which is not among the 1 trusted" in refused.reason
    )
    nobody = TrustListValidator().accept(d, at=at())
    assert not nobody.accepted
    assert "no signer is trusted" in nobody.reason


def test_signers_may_be_given_as_der_pem_or_public_key() -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    d = doc()
    c = signer()
    for spec in (
        c.public_bytes(Encoding.DER),
        c.public_bytes(Encoding.PEM),
        c.public_key(),
        c.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
    ):
        assert TrustListValidator().accept(d, signers=[spec], at=at()).accepted
    with pytest.raises(InvalidArgument):
        TrustListValidator().accept(d, signers=[42], at=at())


def test_rollback_is_refused_with_the_numbers() -> None:
    v = TrustListValidator()
    assert v.accept(doc(sequence=7), signers=[signer()], at=at()).accepted
    old = v.accept(doc(sequence=6), signers=[signer()], at=at())
    assert not old.accepted
    assert old.reason == (
        "rollback refused: TSLSequenceNumber 6 is lower than 7, the last accepted for "
        "HK|http://uri.etsi.org/TrstSvc/TrustedList/TSLType/HKlist"
    )
    assert v.accept(doc(sequence=8), signers=[signer()], at=at()).accepted
    assert v.last_sequence(list_key(doc(sequence=8).require_valid())) == 8


def test_the_same_sequence_number_with_other_content_is_refused() -> None:
    v = TrustListValidator()
    first = doc(sequence=3)
    assert v.accept(first, signers=[signer()], at=at()).accepted
    assert v.accept(first, signers=[signer()], at=at()).accepted  # the same list again
    changed = doc(sequence=3, services=[])
    acc = v.accept(changed, signers=[signer()], at=at())
    assert not acc.accepted
    assert "already accepted" in acc.reason


def test_rollback_state_survives_a_restart() -> None:
    v = TrustListValidator()
    assert v.accept(doc(sequence=5), signers=[signer()], at=at()).accepted
    again = TrustListValidator(state=v.snapshot())
    assert not again.accept(doc(sequence=4), signers=[signer()], at=at()).accepted


def test_a_refused_list_does_not_move_the_sequence_number() -> None:
    v = TrustListValidator()
    v.accept(doc(sequence=9), signers=[operator("MO").signer_certificate], at=at())
    assert v.accept(doc(sequence=2), signers=[signer()], at=at()).accepted


def test_next_update_with_grace() -> None:
    d = doc(next_update=NOW + dt.timedelta(days=1))
    v = TrustListValidator(grace=dt.timedelta(hours=12))
    fresh = v.accept(d, signers=[signer()], at=at(0.5), commit=False)
    assert fresh.accepted
    assert fresh.warnings == ()
    late = v.accept(d, signers=[signer()], at=at(1.25), commit=False)
    assert late.accepted
    assert "past its NextUpdate" in late.warnings[0]
    stale = v.accept(d, signers=[signer()], at=at(1.6), commit=False)
    assert not stale.accepted
    assert "out of date" in stale.reason
    assert "12:00:00" in stale.reason


def test_the_clock_is_used_when_no_time_is_given() -> None:
    d = doc(next_update=NOW + dt.timedelta(days=1))
    v = TrustListValidator(grace=dt.timedelta(0), clock=lambda: NOW + dt.timedelta(days=2))
    assert not v.accept(d, signers=[signer()]).accepted
    with pytest.raises(InvalidArgument):
        TrustListValidator(grace=dt.timedelta(hours=-1))


def test_a_list_from_the_future_and_a_closed_list() -> None:
    future = doc(issue_date=NOW + dt.timedelta(days=3))
    acc = TrustListValidator().accept(future, signers=[signer()], at=at())
    assert not acc.accepted
    assert "in the future" in acc.reason
    closed = doc(next_update=None)
    assert not TrustListValidator().accept(closed, signers=[signer()], at=at()).accepted
    ok = TrustListValidator(accept_closed=True).accept(closed, signers=[signer()], at=at())
    assert ok.accepted
    assert "closed" in ok.warnings[0]


def test_an_invalid_list_is_never_accepted() -> None:
    data = (
        operator("HK")
        .etsi_xml()
        .replace(b"Sandbox Hong Kong list operator", b"Forged operator list   ")
    )
    d = read_trusted_list(data)
    acc = TrustListValidator().accept(d, signers=[signer()], at=at())
    assert not acc.accepted
    assert acc.trusted_list is None
    assert "not intact" in acc.reason


def test_trust_through_a_pointer_of_a_list_of_lists() -> None:
    lotl_op = lotl_operator()
    hk, mo = operator("HK"), operator("MO")
    lotl = lotl_op.trusted_list(
        list_of_lists=True,
        services=[],
        pointers=[
            hk.pointer_to("https://hk.example/list.xml"),
            mo.pointer_to("https://mo.example/list.xml"),
        ],
    )
    lotl_doc = read_trusted_list(lotl_op.etsi_xml(lotl))
    v = TrustListValidator()
    assert v.accept(lotl_doc, signers=[lotl_op.signer_certificate], at=at()).accepted
    accepted = lotl_doc.require_valid()
    hk_signers = signers_from_pointers(pointers_to(accepted, territory="HK"))
    assert v.accept(doc(), signers=hk_signers, at=at()).accepted
    mo_signers = signers_from_pointers(
        pointers_to(accepted, location="https://mo.example/list.xml")
    )
    # The HK list is not signed by the signer the MO pointer names.
    assert not v.accept(doc(), signers=mo_signers, at=at()).accepted


def _lotl(
    op: MockTrustListOperator,
    seq: int,
    next_signer: MockTrustListOperator,
    pivots: Sequence[str] = (),
) -> TrustListDocument:
    ptr = dataclasses.replace(
        next_signer.pointer_to("https://lotl.example/lotl.xml"),
        tsl_type="http://uri.etsi.org/TrstSvc/TrustedList/TSLType/HKlistofthelists",
    )
    tl = op.trusted_list(sequence=seq, list_of_lists=True, services=[], pointers=[ptr])
    tl = dataclasses.replace(tl, information_uris=tuple(pivots))
    return read_trusted_list(op.etsi_xml(tl), source=f"lotl-{seq}")


def test_pivots_hand_trust_from_one_signer_to_the_next() -> None:
    a = MockTrustListOperator("HK", clock=clock(), signer_name="Sandbox LOTL signer A")
    b = MockTrustListOperator("HK", clock=clock(), signer_name="Sandbox LOTL signer B")
    c = MockTrustListOperator("HK", clock=clock(), signer_name="Sandbox LOTL signer C")
    pivot_1 = _lotl(a, 10, b)  # signed by A, names B
    pivot_2 = _lotl(b, 20, c)  # signed by B, names C
    current = _lotl(
        c,
        30,
        c,
        pivots=["https://lotl.example/lotl-pivot-20.xml", "https://lotl.example/lotl-pivot-10.xml"],
    )
    assert current.require_valid().pivot_urls == (
        "https://lotl.example/lotl-pivot-20.xml",
        "https://lotl.example/lotl-pivot-10.xml",
    )
    outcome = resolve_pivots([a.signer_certificate], [pivot_2, pivot_1])
    assert outcome.ok, outcome.reason
    assert outcome.signers == (c.signer_certificate,)
    assert TrustListValidator().accept(current, signers=outcome.signers, at=at()).accepted
    broken = resolve_pivots([c.signer_certificate], [pivot_1, pivot_2])
    assert not broken.ok
    assert "not by a signer trusted at that point" in broken.reason


@pytest.mark.parametrize(
    ("url", "pivot"),
    [
        ("https://ec.europa.eu/tools/lotl/eu-lotl-pivot-300.xml", True),
        ("https://ec.europa.eu/tools/lotl/eu-lotl.xml", False),
        (
            "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=uriserv:OJ.C_.2019.276.01.0001.01.ENG",
            False,
        ),
        ("https://ec.europa.eu/tools/lotl/pivot/readme.html", False),
    ],
)
def test_pivot_urls(url: str, pivot: bool) -> None:
    assert is_pivot_url(url) is pivot
