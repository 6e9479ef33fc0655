"""A process that writes cache entries until it is killed, for the crash-safety test.

Started once by the test; for each ``go`` line on stdin it forks a worker (the
process that will be killed with SIGKILL) and prints ``pid <n>``. The worker
stores two versions of one list in turn, printing ``put <version>`` after each
completed write. Forking after the imports keeps each worker cheap to start.
"""

from __future__ import annotations

import os
import sys

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


def main() -> None:
    directory = sys.argv[1]
    for line in sys.stdin:
        if line.strip() != "go":
            break
        pid = os.fork()
        if pid == 0:
            try:
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
