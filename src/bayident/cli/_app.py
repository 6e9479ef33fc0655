"""The ``bayident`` command: argument parsing, exit codes and error lines.

Exit codes are part of the interface, so scripts can branch without parsing:

====  ==============================================================
0     PASSED
1     FAILED (the evidence is proven wrong)
2     INDETERMINATE (not enough to decide, e.g. no trusted chain)
64    usage error, unreadable file, unusable policy or trust anchor
70    internal error (a bug: please report it)
====  ==============================================================

Every error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from cryptography import x509

from .._exceptions import BayidentError, TrustStoreError
from .._result import Indication, VerificationResult
from .._trust import describe_bytes, load_certificates
from ._render import make_renderer

__all__ = ["EXIT_INTERNAL", "EXIT_USAGE", "exit_code", "main"]

EXIT_USAGE = 64  # EX_USAGE from sysexits.h; argparse's own 2 would collide with INDETERMINATE
EXIT_INTERNAL = 70  # EX_SOFTWARE
_EXIT_INTERRUPTED = 130
_EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what shells report for a writer whose reader left

_EXIT_BY_INDICATION = {
    Indication.PASSED: 0,
    Indication.FAILED: 1,
    Indication.INDETERMINATE: 2,
}

_PROG = "bayident"


def exit_code(result: VerificationResult) -> int:
    """0 for PASSED, 1 for FAILED, 2 for INDETERMINATE."""
    return _EXIT_BY_INDICATION[result.indication]


class _UsageError(Exception):
    """A problem with what the user asked for; becomes one line on stderr and exit 64."""


class _Exit(Exception):
    """argparse finished on purpose (``--help``)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse, but errors raise instead of printing usage and exiting with 2."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see '{self.prog} --help')")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


def _parse_at(text: str) -> _dt.datetime:
    try:
        when = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 date-time: {text!r} (e.g. 2025-03-01T12:00:00+08:00)"
        ) from None
    if when.tzinfo is None:
        # A time without an offset is read as UTC, never as the machine's local zone,
        # so the same command gives the same verdict on every machine.
        when = when.replace(tzinfo=_dt.UTC)
    return when


def _build_parser() -> _Parser:
    parser = _Parser(
        prog=_PROG,
        description="Verify Hong Kong, Macau and Guangdong e-signatures and identities.",
        epilog="Exit codes: 0 PASSED, 1 FAILED, 2 INDETERMINATE, 64 usage or input error.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    verify = commands.add_parser(
        "verify",
        help="verify a signature and print the verdict",
        description=(
            "Verify EVIDENCE (a CMS/CAdES signature, PEM or DER, or a JWS) and print the verdict, "
            "then every check made."
        ),
        epilog="Exit codes: 0 PASSED, 1 FAILED, 2 INDETERMINATE, 64 usage or input error.",
    )
    verify.add_argument("evidence", metavar="EVIDENCE", type=Path, help="the signature file")
    verify.add_argument(
        "--content",
        metavar="FILE",
        type=Path,
        help="the signed content, for a detached signature",
    )
    verify.add_argument(
        "--content-digest",
        metavar="ALG:HEX",
        help=(
            "the digest of the signed content instead of the content (e.g. sha256:9f86d0...), "
            "made with the signer's digest algorithm; exclusive with --content"
        ),
    )
    verify.add_argument(
        "--trust-anchor",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="a trusted root certificate file, PEM (one or more) or DER; repeatable",
    )
    verify.add_argument(
        "--cert",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="an extra (intermediate) certificate file, PEM or DER, not trusted; repeatable",
    )
    verify.add_argument(
        "--at",
        metavar="ISO-8601",
        type=_parse_at,
        help="validation time, e.g. 2025-03-01T12:00:00+08:00 (no offset: UTC); default now",
    )
    verify.add_argument(
        "--policy", metavar="FILE", type=Path, help="a validation policy, .toml or .json"
    )
    verify.add_argument(
        "--json",
        action="store_true",
        help="print the whole result as JSON (schema: docs/result-schema.json)",
    )
    verify.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every check made and each certificate's revocation status, not only "
        "the checks that did not pass",
    )
    verify.add_argument(
        "--revocation",
        choices=("off", "soft-fail", "hard-fail", "require"),
        help=(
            "revocation checking (OCSP, CRL): hard-fail (default) fails when a named source "
            "cannot be reached, soft-fail warns, require needs data for every certificate"
        ),
    )
    from ._trustlist import add_trustlist_parser, add_verify_options

    add_verify_options(verify)

    demo = commands.add_parser(
        "demo",
        help="run a cross-border demonstration on a sandbox PKI",
        description=(
            "Build a sandbox Hong Kong and Guangdong PKI in memory, sign a form and verify it "
            "in five situations. Exits 0 when every verdict is the expected one."
        ),
    )
    demo.add_argument(
        "--keep",
        metavar="DIR",
        type=Path,
        help="also write the sandbox certificates, form and signatures to DIR",
    )

    add_trustlist_parser(commands, _parse_at)
    commands.add_parser("version", help="print the version", description="Print the version.")
    from ._completion import SHELLS

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for SHELL. For bash: "
        "'source <(bayident completion bash)', or save it in your completion folder.",
    )
    completion.add_argument("shell", metavar="SHELL", choices=SHELLS, help=", ".join(SHELLS))
    return parser


def _version_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        mine = version("bayident")
    except PackageNotFoundError:  # running from a source tree that is not installed
        mine = "unknown"
    try:
        crypto = version("cryptography")
    except PackageNotFoundError:
        crypto = "unknown"
    py = ".".join(str(n) for n in sys.version_info[:3])
    return f"bayident {mine} (Python {py}, cryptography {crypto})"


def _run_verify(args: argparse.Namespace, out: TextIO) -> int:
    import bayident

    policy = bayident.Policy.from_file(args.policy) if args.policy is not None else None
    if args.revocation is not None:
        policy = (policy or bayident.Policy()).replace(revocation_mode=args.revocation)
    trust = bayident.TrustStore.from_files(*args.trust_anchor) if args.trust_anchor else None
    if getattr(args, "trust_list", None):
        from ._trustlist import trust_with_lists

        trust = trust_with_lists(args, trust)
    extra = _load_extra_certs(args.cert)
    _require_readable(args.evidence, "evidence")
    if args.content is not None:
        _require_readable(args.content, "content")
    if args.content is not None and args.content_digest is not None:
        raise _UsageError("give --content or --content-digest, not both")
    from ._progress import ContentProgress

    # A bar on stderr while a large content file is hashed: terminals only, never --json.
    with ContentProgress(args.content, None if args.json else sys.stderr) as c:
        result = bayident.verify(
            args.evidence,
            content=c.source,
            content_digest=args.content_digest,
            trust=trust,
            at=args.at,
            policy=policy,
            extra_certs=extra or None,
        )
    if args.json:
        out.write(result.model_dump_json(indent=2) + "\n")
    else:
        make_renderer(out).result(
            result, verbose=args.verbose, revocation=args.revocation is not None
        )
    return exit_code(result)


def _require_readable(path: Path, what: str) -> None:
    # Checked here so the message names the option; the library re-checks on read.
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except IsADirectoryError:
        raise _UsageError(f"cannot read {what} file '{path}': it is a directory") from None
    except OSError as exc:
        raise _UsageError(f"cannot read {what} file '{path}': {exc.strerror or exc}") from None


# An intermediate certificate is a few kilobytes; a bundle of a hundred is still far below this.
_MAX_CERT_FILE_BYTES = 1024 * 1024


def _load_extra_certs(paths: Sequence[Path]) -> list[x509.Certificate]:
    certs: list[x509.Certificate] = []
    for path in paths:
        try:
            with path.open("rb") as fh:
                raw = fh.read(_MAX_CERT_FILE_BYTES + 1)
        except OSError as exc:
            raise _UsageError(
                f"cannot read certificate file '{path}': {exc.strerror or exc}"
            ) from None
        if len(raw) > _MAX_CERT_FILE_BYTES:
            raise _UsageError(
                f"certificate file '{path}' is larger than {_MAX_CERT_FILE_BYTES} bytes"
            )
        # The library's reader, so the message says what the file holds, not a parser dump.
        try:
            found = load_certificates(raw)
        except TrustStoreError:
            raise _UsageError(
                f"certificate file '{path}' holds no readable X.509 certificate: "
                f"{describe_bytes(raw)}"
            ) from None
        certs.extend(cert for cert, _, _ in found)
    return certs


def _run_demo(args: argparse.Namespace, out: TextIO) -> int:
    from .. import _demo

    if args.keep is not None:
        # A directory that cannot be made is the user's to fix: exit 64, one line.
        try:
            args.keep.mkdir(parents=True, exist_ok=True)
            probe = args.keep / ".bayident-write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise _UsageError(
                f"cannot write the sandbox files to '{args.keep}': {exc.strerror or exc}"
            ) from None
    return _demo.run(make_renderer(out), keep=args.keep)


def _one_line(text: str) -> str:
    lines = [
        ln.strip()
        for ln in text.splitlines()
        # pydantic appends a link to its own docs on every error; it says nothing about the input.
        if ln.strip() and not ln.strip().startswith("For further information visit")
    ]
    return "; ".join(lines) or "unknown error"


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout replaced by a non-file (tests)
        pass


def main(argv: list[str] | None = None) -> int:
    """Run ``bayident`` with ``argv`` (default ``sys.argv[1:]``) and return the exit code."""
    out, err = sys.stdout, sys.stderr
    try:
        args = _build_parser().parse_args(argv)
        if args.version or args.command == "version":
            out.write(_version_text() + "\n")
            return 0
        if args.command == "verify":
            return _run_verify(args, out)
        if args.command == "demo":
            return _run_demo(args, out)
        if args.command == "completion":
            from ._completion import completion_script

            out.write(completion_script(_build_parser(), args.shell, _PROG))
            return 0
        if args.command == "trustlist":
            from ._trustlist import run_trustlist

            return run_trustlist(args, out, err)
        raise _UsageError(
            "a command is required: verify, trustlist, demo, completion or version "
            f"(see '{_PROG} --help')"
        )
    except _Exit as done:
        return done.status
    except _UsageError as exc:
        err.write(f"{_PROG}: error: {_one_line(str(exc))}\n")
        return EXIT_USAGE
    except BayidentError as exc:
        err.write(f"{_PROG}: error: {_one_line(str(exc))}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write(f"{_PROG}: interrupted\n")
        return _EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`). Point stdout at /dev/null so the interpreter's
        # final flush does not raise again, and exit as a process killed by SIGPIPE would.
        _silence_stdout()
        return _EXIT_BROKEN_PIPE
    except Exception as exc:  # a bug in bayident: say so in one line, not a traceback
        err.write(
            f"{_PROG}: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
            "(please report this)\n"
        )
        return EXIT_INTERNAL
