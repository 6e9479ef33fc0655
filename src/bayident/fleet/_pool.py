"""The processes of ``verify_many``: forks of the caller, fed chunks over pipes.

A lean pool rather than :class:`concurrent.futures.ProcessPoolExecutor`: its queue feeder
and result threads ran in the calling process, which verifies chunks itself, and took
the GIL from it for every chunk; items crossed the pipe pickled even when the forked
process already held them. Here the caller forks its workers when the batch starts and
talks to each over two pipes:

* a list or tuple of items is already in each worker (it is a fork of the caller), so a
  task is just the chunk's ``(start, stop)``; items from an iterator travel pickled;
* each worker answers a task with one pickle of the chunk's outcomes, read by the
  caller's own thread when it wants that chunk (no thread of its own reads them).

A worker freezes the garbage collector's view of what it inherited (:func:`gc.freeze`),
so collecting its own garbage never walks, and so never copies, the pages it shares with
the caller.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, Pipe
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not on this platform
    fcntl = None  # type: ignore[assignment]

from pydantic import BaseModel

from .._exceptions import BayidentError

#: the outcomes of one chunk: (True, result) or (False, the exception verify raised)
Outcome = list[tuple[bool, Any]]
#: runs a chunk of items with a verifier
RunChunk = Callable[[list[Any], Any], Outcome]


#: young objects between collections in a worker; its garbage is mostly freed by
#: reference counting, and a chunk's results hold about 20 objects each
_GEN0_THRESHOLD = 20_000
#: the size asked for a worker's answer pipe (Linux allows up to 1 MiB unprivileged)
_PIPE_BYTES = 1 << 20


class WorkerLost(BayidentError):
    """A worker process ended before answering (killed, or out of memory)."""


def _ref(number: int) -> Any:  # pragma: no cover - stands for the decoder's table
    raise BayidentError("a verify_many result refers to a part that was never sent")


class Encoder:
    """Pickles a worker's chunk outcomes, sending each recurring part once per batch.

    The parts a worker's verifier keeps and puts in result after result (a signer's
    certificate and revocation summaries, the checks of its path) are sent in full until
    they recur from one chunk to the next; from then on a chunk names them by number and
    the caller reuses its copy, as one process reuses the very same objects. At most
    ``limit`` parts are kept on each side.
    """

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.numbers: dict[int, int] = {}  # id of a kept part → its number
        self.kept: list[Any] = []  # the kept parts (holding them keeps their ids unique)
        self.last: dict[int, Any] = {}  # the parts the previous chunk sent in full

    def encode(self, outcome: Outcome) -> bytes:
        buf = io.BytesIO()
        buf.write(_PARTS)
        sent: dict[int, Any] = {}
        pickler = _Pickler(buf, self.numbers, sent)
        try:
            pickler.dump(outcome)
        except Exception:  # one value cannot be pickled: name it in its place
            return _PLAIN + pickle.dumps(_safe(outcome), protocol=pickle.HIGHEST_PROTOCOL)
        room = self.limit - len(self.kept)
        fresh = [part for key, part in sent.items() if self.last.get(key) is part][:room]
        for part in fresh:
            self.numbers[id(part)] = len(self.kept)
            self.kept.append(part)
        pickler.dump(fresh)  # references to what the first pickle holds
        self.last = sent
        return buf.getvalue()


#: the first byte of an answer: outcomes and the parts to keep, or only outcomes (when a
#: value could not be pickled and was replaced)
_PARTS, _PLAIN = b"R", b"P"


class _Pickler(pickle.Pickler):
    def __init__(self, buf: io.BytesIO, numbers: dict[int, int], sent: dict[int, Any]) -> None:
        super().__init__(buf, protocol=pickle.HIGHEST_PROTOCOL)
        self.numbers = numbers
        self.sent = sent

    def reducer_override(self, obj: Any) -> Any:
        # Called once per object a pickle holds (not for str, int, tuple...): cheap.
        if isinstance(obj, BaseModel):
            number = self.numbers.get(id(obj))
            if number is not None:
                return _ref, (number,)
            self.sent[id(obj)] = obj
            cls = type(obj)
            if not cls.__private_attributes__ and cls.model_config.get("extra") != "allow":
                # The field values and which of them were given: what such a model is, read
                # and rebuilt through pydantic's public API, without its pickling's state dict.
                return _model, (cls, obj.__dict__, obj.model_fields_set)
        return NotImplemented


def _model(cls: type[BaseModel], fields: dict[str, Any], given: set[str]) -> Any:
    """A pydantic model equal to the one pickled: its fields, and which were given.

    Validated from the fields that were given (the others take their defaults, as they
    did), so the model's set of given fields is the one it had; the values are the
    model's own, so nested models pass as they are.
    """
    if len(given) != len(fields):
        fields = {name: value for name, value in fields.items() if name in given}
    return cls.model_validate(fields)


class Decoder:
    """The caller's side of :class:`Encoder`: one per worker and batch."""

    def __init__(self) -> None:
        self.kept: list[Any] = []

    def decode(self, blob: bytes) -> Outcome:
        buf = io.BytesIO(blob)
        if buf.read(1) == _PLAIN:
            outcome: Outcome = pickle.load(buf)  # noqa: S301 - from our own fork
            return outcome
        unpickler = _Unpickler(buf, self.kept)
        outcome = unpickler.load()
        self.kept.extend(unpickler.load())
        return outcome


class _Unpickler(pickle.Unpickler):
    def __init__(self, buf: io.BytesIO, kept: list[Any]) -> None:
        super().__init__(buf)
        self.kept = kept

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name == "_ref":
            return self.kept.__getitem__
        return super().find_class(module, name)


def _safe(outcome: Outcome) -> Outcome:
    safe: Outcome = []
    for ok, value in outcome:
        try:
            pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            safe.append((ok, value))
        except Exception as exc:
            safe.append(
                (False, BayidentError(f"a verify_many result could not be sent back: {exc}"))
            )
    return safe


def _serve(
    verifier: Any,
    items: Sequence[Any] | None,
    tasks: Connection,
    results: Connection,
    run: RunChunk,
) -> None:
    """A worker's loop: a task in, that chunk's outcomes out, until the caller hangs up."""
    # Pickles cross only between the caller and its own forks, over private pipes.
    encoder = Encoder()
    held: Sequence[Any] = items if items is not None else ()
    while True:
        try:
            start, stop, blob = pickle.loads(tasks.recv_bytes())  # noqa: S301
        except EOFError:
            return
        part = pickle.loads(blob) if blob is not None else list(held[start:stop])  # noqa: S301
        results.send_bytes(encoder.encode(run(part, verifier)))


class _Sender(threading.Thread):
    """Writes a worker's tasks, so the caller never blocks writing while the worker is
    blocked writing its answer (pickled items from an iterator can fill a pipe)."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(name="bayident-verify-many-sender", daemon=True)
        self.conn = conn
        self.queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def run(self) -> None:
        while (message := self.queue.get()) is not None:
            try:
                self.conn.send_bytes(message)
            except OSError:  # the worker is gone; the caller finds out reading its answer
                return


class Worker:
    """One forked worker: its pid, its pipes, and the chunk numbers it holds, in order."""

    def __init__(self, pid: int, tasks: Connection, results: Connection) -> None:
        self.pid = pid
        self.tasks = tasks
        self.results = results
        self.held: deque[int] = deque()
        self.sender: _Sender | None = None
        self.decoder = Decoder()

    def send(self, number: int, start: int, stop: int, part: list[Any] | None) -> None:
        blob = None if part is None else pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)
        message = pickle.dumps((start, stop, blob), protocol=pickle.HIGHEST_PROTOCOL)
        self.held.append(number)
        if blob is None:
            # A few dozen bytes: the pipe's buffer holds any window of them.
            self.tasks.send_bytes(message)
            return
        if self.sender is None:
            self.sender = _Sender(self.tasks)
            self.sender.start()
        self.sender.queue.put(message)

    def ready(self) -> bool:
        return bool(self.held) and self.results.poll()

    def receive(self) -> tuple[int, Outcome]:
        """The outcome of the oldest chunk this worker holds (waits for it)."""
        try:
            blob = self.results.recv_bytes()
        except (EOFError, OSError):
            raise WorkerLost(
                f"verify_many worker process {self.pid} ended before returning the results "
                f"of chunk {self.held[0]}"
            ) from None
        return self.held.popleft(), self.decoder.decode(blob)

    def close(self) -> None:
        """Hang up (the worker exits after the chunk it is on) and reap it."""
        # Answers first: a worker blocked writing one gets a broken pipe and exits at once,
        # and a sender still writing it a task is freed by that.
        self.results.close()
        if self.sender is not None:
            self.sender.queue.put(None)
            self.sender.join()
        self.tasks.close()
        with contextlib.suppress(ChildProcessError):  # reaped by someone else
            os.waitpid(self.pid, 0)


def _widen(conn: Connection) -> None:
    """Let a worker's answers for the chunks it holds fit in its pipe (64 KiB by default,
    less than two chunks), so it starts the next chunk instead of waiting for the caller
    to read. Where the system does not allow it, the worker waits a little more often."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setsize is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(conn.fileno(), setsize, _PIPE_BYTES)


def start_workers(
    count: int,
    verifier: Any,
    items: Sequence[Any] | None,
    init: Callable[[Any], None],
    run: RunChunk,
) -> list[Worker]:
    """Fork ``count`` workers holding ``verifier`` (and ``items``, when a sequence)."""
    workers: list[Worker] = []
    try:
        for _ in range(count):
            task_r, task_w = Pipe(duplex=False)
            result_r, result_w = Pipe(duplex=False)
            _widen(result_w)
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the worker (coverage sees the parent)
                code = 0
                try:
                    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller decides
                    gc.freeze()
                    # A chunk's results live until they are sent: with the default
                    # threshold each chunk brought on collections that only promoted them.
                    gc.set_threshold(_GEN0_THRESHOLD, *gc.get_threshold()[1:])
                    for other in workers:  # so each worker sees its own hang-up
                        other.tasks.close()
                        other.results.close()
                    task_w.close()
                    result_r.close()
                    init(verifier)
                    _serve(verifier, items, task_r, result_w, run)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            task_r.close()
            result_w.close()
            workers.append(Worker(pid, task_w, result_r))
    except BaseException:
        for w in workers:
            w.close()
        raise
    return workers
