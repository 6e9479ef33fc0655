"""A process that writes cache entries until it is killed, for the crash-safety test.

Started once by the test; for each ``go`` line on stdin it forks a worker (the
process that will be killed with SIGKILL) and prints ``pid <n>``. The worker
stores two versions of one list in turn, printing ``put <version>`` after each
completed write. Forking after the imports keeps each worker cheap to start.

With ``--manager LISTS_DIR`` the worker instead runs a ``TrustListManager``
whose (mock) server publishes the lists of that folder in turn (``NN.xml``,
sequence numbers rising), printing ``put <sequence>`` after each refresh that
stored a new list; ``signer.der`` there is the trusted signer.
"""

from __future__ import annotations

import os
import sys
import time

from bayident.trustlist import ListCache

URL = "https://lists.example/crash.xml"


def payload(version: str) -> bytes:
    # Large enough that a write takes a while, so that kills land inside writes too.
    return (version * 64).encode() * (1 << 15)


def work(directory: str) -> None:
    cache = ListCache(directory)
    n = 0
    while True:
        version = "AB"[n % 2]
        cache.put(URL, payload(version), etag=f'"{version}"')
        os.write(1, f"put {version}\n".encode())
        n += 1


def manage(directory: str, lists_dir: str) -> None:
    import datetime as dt
    from pathlib import Path

    import httpx
    from cryptography import x509

    from bayident.testing import ListRoute, mock_transport
    from bayident.trustlist import ListSource, TrustListManager

    folder = Path(lists_dir)
    lists = [p.read_bytes() for p in sorted(folder.glob("*.xml"))]
    signer = x509.load_der_x509_certificate((folder / "signer.der").read_bytes())
    now = dt.datetime.fromisoformat((folder / "now.txt").read_text().strip())
    routes: dict[str, ListRoute] = {}
    manager = TrustListManager(
        [ListSource("https://lists.example/hk.xml", signers=(signer,))],
        cache_dir=directory,
        client=httpx.Client(transport=mock_transport(routes)),
        clock=lambda: now,
    )
    # List i has sequence number i + 1: go on after the last one an earlier worker stored.
    n = max((seq for seq, _ in manager.validator.snapshot().values()), default=0)
    while n < len(lists):
        routes["/hk.xml"] = ListRoute(lists[n])
        report = manager.refresh()
        if report.lists[0].origin == "network":
            os.write(1, f"put {report.lists[0].sequence_number}\n".encode())
        n += 1
    os.write(1, b"exhausted\n")
    while True:
        time.sleep(1)


def main() -> None:
    directory = sys.argv[1]
    lists_dir = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--manager" else None
    if lists_dir is not None:
        # What manage() imports, imported once here rather than in every forked worker.
        import httpx  # noqa: F401
        from cryptography import x509  # noqa: F401

        import bayident.testing
        import bayident.trustlist

        for package in (bayident.testing, bayident.trustlist):
            for name in getattr(package, "__all__", ()):
                getattr(package, name)  # resolves a lazy attribute: imports its module
    for line in sys.stdin:
        if line.strip() != "go":
            break
        pid = os.fork()
        if pid == 0:
            try:
                if lists_dir is not None:
                    manage(directory, lists_dir)
                else:
                    work(directory)
            finally:
                os._exit(0)
        sys.stdout.write(f"pid {pid}\n")
        sys.stdout.flush()
        os.waitpid(pid, 0)
        sys.stdout.write("dead\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
