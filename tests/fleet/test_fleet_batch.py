"""verify_many's own workers: results equal to verify()'s, the input taken as given, lost
workers reported, what crosses the pipe, and the garbage collector left as found."""

from __future__ import annotations

import datetime as dt
import gc
import os
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, PrivateAttr

import bayident
from bayident.fleet._pool import Decoder, Encoder
from bayident.testing import MockCA, MockCRLPublisher, MockOCSPResponder, RevocationServer

CONTENT = b"Cross-boundary e-service application, batch sandbox.\n"


class Sandbox:
    def __init__(self, server: RevocationServer) -> None:
        self.root = MockCA("Batch Sandbox Root CA")
        self.crl = MockCRLPublisher(self.root)
        server.mount(self.crl)
        issuing = self.root.create_child_ca(
            "Batch Sandbox Issuing CA", key_type="ec", crl_url=self.crl.url
        )
        self.ocsp = MockOCSPResponder(issuing)
        server.mount(self.ocsp)
        self.signers = [
            issuing.issue_signer(f"Batch Signer {i}", ocsp_url=self.ocsp.url) for i in range(4)
        ]
        self.sigs = [s.sign_detached_cms(CONTENT) for s in self.signers]
        now = dt.datetime.now(dt.UTC)
        self.ocsp.revoke(self.signers[0], at=now - dt.timedelta(hours=1))
        # One fixed "now", so that two verifications of the same item give equal results.
        self.now = now + dt.timedelta(minutes=5)

    def verifier(self) -> bayident.Verifier:
        return bayident.Verifier(trust=[self.root.cert_pem], clock=lambda: self.now)

    def items(self, n: int) -> list[dict[str, Any]]:
        # A tampered content every fifth item: the batch mixes verdicts.
        return [
            {
                "evidence": self.sigs[i % len(self.sigs)],
                "content": CONTENT if i % 5 else b"tampered",
            }
            for i in range(n)
        ]


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with RevocationServer() as server:
        yield Sandbox(server)


def _reference(verifier: bayident.Verifier, items: list[dict[str, Any]]) -> list[Any]:
    out = []
    for item in items:
        kwargs = dict(item)
        out.append(verifier.verify(kwargs.pop("evidence"), **kwargs))
    return out


@pytest.mark.parametrize("chunk", [1, 3, 64])
def test_results_equal_verify_for_lists_and_iterators(box: Sandbox, chunk: int) -> None:
    verifier = box.verifier()
    items = box.items(50)
    _reference(verifier, items)  # warm: revocation data is then "cached" in every process
    reference = _reference(verifier, items)
    assert {r.indication for r in reference} == set(bayident.Indication)  # mixed verdicts
    from_list = list(verifier.verify_many(items, workers=3, chunk=chunk))
    from_iterator = list(verifier.verify_many(iter(items), workers=3, chunk=chunk))
    assert from_list == reference
    assert from_iterator == reference


def test_a_list_is_taken_as_it_was_when_the_batch_started(box: Sandbox) -> None:
    verifier = box.verifier()
    items = box.items(12)
    _reference(verifier, items)
    first = items[0]
    got = verifier.verify_many(items, workers=2, chunk=2)
    results = [next(got)]
    items.clear()  # the caller changes its list mid-batch: the batch goes on as given
    results.extend(got)
    assert len(results) == 12
    kwargs = dict(first)
    assert results[0] == verifier.verify(kwargs.pop("evidence"), **kwargs)


def test_progress_counts_every_result_in_order(box: Sandbox) -> None:
    verifier = box.verifier()
    seen: list[tuple[int, int | None]] = []
    results = list(
        verifier.verify_many(
            box.items(37), workers=2, chunk=8, progress=lambda d, t: seen.append((d, t))
        )
    )
    assert len(results) == 37
    assert [t for _, t in seen] == [37] * len(seen)
    done = [d for d, _ in seen]
    assert done == sorted(set(done))
    assert done[-1] == 37


class _DiesInWorker(os.PathLike[str]):
    """A signature path that ends the process reading it, unless that is the caller."""

    def __init__(self, path: Path, caller: int) -> None:
        self.path, self.caller = path, caller

    def __fspath__(self) -> str:
        if os.getpid() != self.caller:
            os._exit(3)
        return str(self.path)


def test_a_worker_that_dies_is_reported_not_waited_for(box: Sandbox, tmp_path: Path) -> None:
    sig = tmp_path / "s.p7s"
    sig.write_bytes(box.sigs[1])
    items = [(_DiesInWorker(sig, os.getpid()), CONTENT) for _ in range(40)]
    with pytest.raises(bayident.BayidentError, match="ended before returning"):
        list(box.verifier().verify_many(items, workers=2, chunk=2))


def _children() -> set[int]:
    pids: set[int] = set()
    for name in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        pids.update(int(p) for p in name.read_text().split())
    return pids


@pytest.mark.skipif(
    not any(Path("/proc/self/task").glob("*/children")), reason="needs /proc/PID/task/TID/children"
)
def test_closing_the_batch_early_ends_its_workers(box: Sandbox) -> None:
    verifier = box.verifier()
    before = _children()
    got = verifier.verify_many(box.items(400), workers=3, chunk=4)
    next(got)
    assert len(_children() - before) == 2
    got.close()
    assert _children() == before  # ended and reaped


def test_the_garbage_collector_is_left_as_found(box: Sandbox) -> None:
    verifier = box.verifier()
    assert gc.get_freeze_count() == 0
    assert len(list(verifier.verify_many(box.items(20), workers=2, chunk=4))) == 20
    assert gc.get_freeze_count() == 0
    gc.freeze()  # the caller's own freeze is not undone (nor added to)
    try:
        frozen = gc.get_freeze_count()
        assert len(list(verifier.verify_many(box.items(20), workers=2, chunk=4))) == 20
        # Frozen objects freed meanwhile leave the count; none is added, none unfrozen.
        assert 0 < gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_recurring_parts_cross_once_and_come_back_shared(box: Sandbox) -> None:
    verifier = box.verifier()
    items = box.items(20)
    chunks = [[(True, r) for r in _reference(verifier, items[i : i + 5])] for i in range(0, 20, 5)]
    encoder, decoder = Encoder(), Decoder()
    sizes, decoded = [], []
    for chunk in chunks:
        blob = encoder.encode(chunk)
        sizes.append(len(blob))
        decoded.append(decoder.decode(blob))
    assert decoded == chunks
    # From the third chunk on, the signers' certificate summaries are named, not sent.
    assert sizes[2] < 0.8 * len(pickle.dumps(chunks[2]))
    assert encoder.kept
    assert len(decoder.kept) == len(encoder.kept)
    a = decoded[2][0][1]
    b = next(r for _, r in decoded[3] if r.signers[0].certificate == a.signers[0].certificate)
    assert a.signers[0].certificate is b.signers[0].certificate  # as in the worker


def test_a_result_that_cannot_be_pickled_is_replaced_by_an_error_naming_it() -> None:
    class Local(Exception):  # a class pickle cannot find by name
        pass

    encoder, decoder = Encoder(), Decoder()
    outcome = decoder.decode(encoder.encode([(True, 1), (False, Local("no"))]))
    assert outcome[0] == (True, 1)
    ok, error = outcome[1]
    assert not ok
    assert isinstance(error, bayident.BayidentError)
    assert "could not be sent back" in str(error)


def test_the_kept_parts_are_bounded(box: Sandbox) -> None:
    verifier = box.verifier()
    items = box.items(12)
    encoder, decoder = Encoder(limit=2), Decoder()
    for i in range(0, 12, 3):
        chunk = [(True, r) for r in _reference(verifier, items[i : i + 3])]
        assert decoder.decode(encoder.encode(chunk)) == chunk
    assert len(encoder.kept) == len(decoder.kept) == 2


class _WithPrivate(BaseModel):
    name: str
    _note: str = PrivateAttr(default="")


class _Plain(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str


def test_models_come_back_equal_with_their_private_and_extra_attributes() -> None:
    with_private = _WithPrivate(name="a")
    with_private._note = "kept"
    plain = _Plain(name="b", more=1)  # type: ignore[call-arg]
    encoder, decoder = Encoder(), Decoder()
    for _ in range(3):  # sent in full, then registered, then named by number
        outcome = decoder.decode(encoder.encode([(True, with_private), (True, plain)]))
        assert outcome == [(True, with_private), (True, plain)]
        assert outcome[0][1]._note == "kept"
        assert outcome[1][1].model_extra == {"more": 1}
        assert outcome[1][1].model_fields_set == {"name", "more"}


def test_closing_early_with_both_pipes_full_does_not_hang(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where a pipe cannot be widened (64 KiB): the worker's two chunks of answers fill its
    # pipe while a task of large pickled items fills the other one.
    from bayident.fleet import _pool

    monkeypatch.setattr(_pool, "_widen", lambda conn: None)
    verifier = box.verifier()
    big = CONTENT * (64 * 1024 // len(CONTENT))
    signed = [(s.sign_detached_cms(big), s) for s in box.signers[1:]]

    def items() -> Iterator[Any]:
        while True:
            for sig, _ in signed:
                yield {"evidence": sig, "content": big}

    got = verifier.verify_many(items(), workers=2, chunk=64, window=2)
    assert next(got).passed
    closer = threading.Thread(target=got.close, daemon=True)
    closer.start()
    closer.join(60)
    assert not closer.is_alive()
