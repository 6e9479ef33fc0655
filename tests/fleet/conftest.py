"""A real redis-server for the fleet tests, on 127.0.0.1, a free port and a temporary folder.

The tests skip, saying why, only when redis-server cannot be had (not installed and the
redis client missing); ``.ci/run`` installs it through the system package manager.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

redis = pytest.importorskip(
    "redis", reason="the redis client is missing: pip install 'bayident[redis]'"
)


class RedisProcess:
    """One redis-server process; :meth:`kill` sends it SIGKILL, :meth:`start` starts it again."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary = binary
        self.folder = folder
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--bind", "127.0.0.1",
                "--port", str(self.port),
                "--dir", str(self.folder),
                "--save", "",
                "--appendonly", "no",
                "--protected-mode", "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    break
            except redis.RedisError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)
        client.close()

    def kill(self) -> None:
        """kill -9, as a crash or an OOM killer would."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary() -> str:
    found = shutil.which("redis-server") or shutil.which("valkey-server")
    if found is None:
        pytest.skip(
            "redis-server is not installed (apt-get install redis-server; .ci/run does this)"
        )
    return found


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisProcess]:
    with tempfile.TemporaryDirectory(prefix="bayident-redis-") as folder:
        server = RedisProcess(_binary(), Path(folder))
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def redis_url(redis_server: RedisProcess) -> str:
    """The shared server, emptied for this test."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def own_redis() -> Iterator[RedisProcess]:
    """A server of this test's own, which it may kill."""
    with tempfile.TemporaryDirectory(prefix="bayident-redis-") as folder:
        server = RedisProcess(_binary(), Path(folder))
        server.start()
        try:
            yield server
        finally:
            server.stop()
