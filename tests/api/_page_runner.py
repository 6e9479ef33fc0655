"""Runs documentation pages, each in its own freshly forked process (POSIX only).

Started once by ``test_doc_examples.py``: it imports bayident's modules the way a page's
first lines would (module imports only: no verifier, policy or registry is made), then for
each line ``<directory>`` read on stdin forks a child that runs ``<directory>/page.py`` as
``__main__`` with that directory as its working directory and first ``sys.path`` entry, its
output in ``stdout.txt`` and ``stderr.txt`` there, and writes the child's exit status back.
A page thus still runs in a process of its own, with nothing from another page, without
paying for the interpreter start and the imports once per page.
"""

from __future__ import annotations

import importlib
import os
import runpy
import sys
import traceback


def _preload() -> None:
    for package in ("bayident", "bayident.testing"):
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", ()):
            getattr(module, name)  # resolves the lazy attribute: imports its module
    # The test suite's ready-made RSA keys (tests/_rsa_keys.py), installed in each child.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    importlib.import_module("_rsa_keys")
    del sys.path[0]


def _child(directory: str) -> None:
    # The page's mock CAs take keys from the rows kept for the pages: generating them
    # was most of the time of a page, and nothing on a page depends on a key being new.
    sys.modules["_rsa_keys"].install("pages")
    os.chdir(directory)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # the runner's own instructions are not the page's input
    os.close(devnull)
    for fd, name in ((1, "stdout.txt"), (2, "stderr.txt")):
        out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, fd)
        os.close(out)
    sys.argv = ["page.py"]
    sys.path[0] = directory
    code = 0
    try:
        runpy.run_path("page.py", run_name="__main__")
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    _preload()
    for line in sys.stdin:
        directory = line.strip()
        if not directory:
            continue
        pid = os.fork()
        if pid == 0:
            _child(directory)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    main()
