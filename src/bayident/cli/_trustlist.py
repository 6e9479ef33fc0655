"""``bayident trustlist inspect|fetch|diff`` and ``bayident verify --trust-list``.

Exit codes of the ``trustlist`` commands: 0 the list is intact (and, when
signers are pinned, signed by one of them) — for ``diff``, the lists are the
same; 1 otherwise (for ``diff``: they differ); 64 usage errors and unreadable
files or URLs.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
    load_pem_public_key,
)

from .._exceptions import BayidentError

__all__ = ["add_trustlist_parser", "add_verify_options", "run_trustlist", "trust_with_lists"]

_MAX_SIGNER_FILE = 1024 * 1024


class TrustListUsageError(BayidentError):
    """Becomes one line on stderr and exit 64 (the command turns every BayidentError so)."""


def add_verify_options(verify: argparse.ArgumentParser) -> None:
    """The ``--trust-list`` options of ``bayident verify``."""
    verify.add_argument(
        "--trust-list",
        metavar="FILE|URL",
        action="append",
        default=[],
        help="a trusted list (ETSI TS 119 612 XML or bayident JSON) whose CAs are trusted; "
        "repeatable",
    )
    verify.add_argument(
        "--trust-list-signer",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="a certificate or public key allowed to sign the trusted lists; repeatable "
        "(without it, a list given on the command line is trusted as given)",
    )


def add_trustlist_parser(
    commands: Any, parse_at: Callable[[str], _dt.datetime]
) -> argparse.ArgumentParser:
    """The ``trustlist`` command and its subcommands."""
    tl: argparse.ArgumentParser = commands.add_parser(
        "trustlist",
        help="inspect, fetch and compare trusted lists",
        description="Inspect, fetch and compare trusted lists (ETSI TS 119 612 XML or "
        "bayident JSON).",
        epilog="Exit codes: 0 intact (and trusted, with --signer), 1 not, 64 usage or input error.",
    )
    sub = tl.add_subparsers(dest="trustlist_command", metavar="SUBCOMMAND")

    inspect = sub.add_parser(
        "inspect",
        help="show a list and its signature status",
        description="Show a list's scheme, dates and counts, and its signature status checked "
        "against the list's own signer certificate.",
    )
    inspect.add_argument("source", metavar="FILE|URL")
    _signer_option(inspect)
    inspect.add_argument("--json", action="store_true", help="print the summary as JSON")
    inspect.add_argument(
        "--at",
        metavar="ISO-8601",
        type=parse_at,
        help="time for the NextUpdate check when signers are pinned (default now)",
    )
    inspect.add_argument("--timeout", type=float, default=30.0, help="seconds, for a URL")

    fetch = sub.add_parser(
        "fetch",
        help="download a list into a cache (conditional GET)",
        description="Download a list with a conditional GET against the cache, check it, and "
        "keep it in the cache when it is intact (and trusted, with --signer).",
    )
    fetch.add_argument("url", metavar="URL")
    fetch.add_argument("--cache", metavar="DIR", type=Path, required=True)
    _signer_option(fetch)
    fetch.add_argument("--json", action="store_true", help="print the outcome as JSON")
    fetch.add_argument("--timeout", type=float, default=30.0, help="seconds")

    diff = sub.add_parser(
        "diff",
        help="compare two versions of a list",
        description="Providers and services added or removed, and status changes, from OLD "
        "to NEW. Exit 0 when they are the same, 1 when they differ.",
    )
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--json", action="store_true", help="print the differences as JSON")
    diff.add_argument("--timeout", type=float, default=30.0, help="seconds, for a URL")
    return tl


def _signer_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--signer",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="a certificate or public key (PEM or DER) allowed to sign the list; repeatable",
    )


# --- helpers ----------------------------------------------------------------------------


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _progress(err: TextIO) -> Callable[[Any], None] | None:
    """A progress display for long downloads: rich on a terminal, nothing otherwise."""
    if not (hasattr(err, "isatty") and err.isatty()) or os.environ.get("NO_COLOR"):
        return None
    try:
        from rich.progress import DownloadColumn, Progress, TransferSpeedColumn
    except ImportError:
        return None
    progress = Progress(
        "{task.description}", DownloadColumn(), TransferSpeedColumn(), transient=True
    )
    tasks: dict[str, Any] = {}

    def report(event: Any) -> None:
        if event.url not in tasks:
            progress.start()
            tasks[event.url] = progress.add_task(event.url[-40:], total=event.total)
        progress.update(tasks[event.url], completed=event.received)
        if event.done:
            progress.stop()

    return report


def _read_source(source: str, timeout: float, err: TextIO) -> tuple[bytes, str]:
    from ..trustlist import DEFAULT_MAX_LIST_BYTES, TrustListFetcher

    if _is_url(source):
        result = TrustListFetcher(timeout=timeout, progress=_progress(err)).fetch(source)
        if not result.ok or result.data is None:
            raise TrustListUsageError(f"cannot fetch {source}: {result.error}")
        return result.data, source
    path = Path(source)
    try:
        with path.open("rb") as fh:
            data = fh.read(DEFAULT_MAX_LIST_BYTES + 1)
    except IsADirectoryError:
        raise TrustListUsageError(f"cannot read list file '{path}': it is a directory") from None
    except OSError as exc:
        raise TrustListUsageError(
            f"cannot read list file '{path}': {exc.strerror or exc}"
        ) from None
    return data, path.name


def load_signers(paths: Sequence[Path]) -> list[Any]:
    """Certificates (PEM bundle or DER) or public keys (PEM or DER) from files."""
    out: list[Any] = []
    for path in paths:
        try:
            with path.open("rb") as fh:
                raw = fh.read(_MAX_SIGNER_FILE + 1)
        except OSError as exc:
            raise TrustListUsageError(
                f"cannot read signer file '{path}': {exc.strerror or exc}"
            ) from None
        if len(raw) > _MAX_SIGNER_FILE:
            raise TrustListUsageError(
                f"signer file '{path}' is larger than {_MAX_SIGNER_FILE} bytes"
            )
        try:
            if b"-----BEGIN CERTIFICATE" in raw:
                out.extend(x509.load_pem_x509_certificates(raw))
            elif b"-----BEGIN" in raw:
                out.append(load_pem_public_key(raw))
            else:
                try:
                    out.append(x509.load_der_x509_certificate(raw))
                except ValueError:
                    out.append(load_der_public_key(raw))
        except (ValueError, TypeError) as exc:
            raise TrustListUsageError(
                f"signer file '{path}' holds no readable certificate or public key: {exc}"
            ) from None
    return out


def _spki(obj: Any) -> bytes:
    key = obj.public_key() if isinstance(obj, x509.Certificate) else obj
    out: bytes = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return out


def _time(when: _dt.datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _signer_label(doc: Any) -> str | None:
    # Only a certificate a signed field names is shown by name; otherwise the key alone.
    if doc.signer_certificate is not None:
        return str(doc.signer_certificate.subject.rfc4514_string())
    if doc.signer_spki is not None:
        return (
            f"key only (no signed certificate reference; key sha256 {doc.signer_key_fingerprint})"
        )
    return None


def _summary(doc: Any, signers: list[Any] | None) -> dict[str, Any]:
    tl = doc.content
    out: dict[str, Any] = {
        "source": doc.source,
        "format": doc.format,
        "signature_status": doc.status.value,
        "reason": doc.reason,
        "field": doc.field,
        "signer": _signer_label(doc),
        "signer_binding": doc.signer_binding,
        "signer_sha256": doc.signer_fingerprint,
        "signer_key_sha256": doc.signer_key_fingerprint,
    }
    if signers is not None:
        out["signer_trusted"] = bool(
            doc.valid
            and doc.signer_spki is not None
            and doc.signer_spki in {_spki(s) for s in signers}
        )
    out.update(
        {
            "scheme_operator": tl.scheme_operator_name if tl else None,
            "scheme_name": tl.scheme_name if tl else None,
            "territory": tl.territory if tl else None,
            "type": tl.kind if tl else None,
            "version": tl.version if tl else None,
            "sequence_number": tl.sequence_number if tl else None,
            "issue_date": _time(tl.issue_date) if tl else None,
            "next_update": _time(tl.next_update) if tl else None,
            "providers": len(tl.providers) if tl else None,
            "services": tl.service_count if tl else None,
            "pointers": len(tl.pointers) if tl else None,
            "sha256": doc.sha256,
        }
    )
    return out


def _write_summary(out: TextIO, summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        out.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        return
    import textwrap

    from ._render import terminal_width

    width = terminal_width(out)
    for key, value in summary.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        line = f"{key + ':':<18} {' '.join(str(value).split())}"
        # Wrapped to the terminal like verify's output; continuation under the value.
        parts = textwrap.wrap(line, width=width, subsequent_indent=" " * 19) or [line]
        out.write("\n".join(parts) + "\n")


# --- commands ---------------------------------------------------------------------------


def run_trustlist(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    """Run a ``trustlist`` subcommand; raises :class:`TrustListUsageError` for exit 64."""
    err = err or sys.stderr
    cmd = getattr(args, "trustlist_command", None)
    if cmd == "inspect":
        return _inspect(args, out, err)
    if cmd == "fetch":
        return _fetch(args, out, err)
    if cmd == "diff":
        return _diff(args, out, err)
    raise TrustListUsageError(
        "a subcommand is required: inspect, fetch or diff (see 'bayident trustlist --help')"
    )


def _inspect(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..trustlist import TrustListValidator, read_trusted_list

    signers = load_signers(args.signer)
    data, label = _read_source(args.source, args.timeout, err)
    doc = read_trusted_list(data, source=label, keys=signers)
    summary = _summary(doc, signers if args.signer else None)
    code = 0 if doc.valid else 1
    if args.signer:
        acc = TrustListValidator().accept(
            doc, signers=signers, at=args.at, commit=False, check_freshness=args.at is not None
        )
        if not acc.accepted:
            summary["trust_reason"] = acc.reason
            code = 1
    _write_summary(out, summary, args.json)
    return code


def _fetch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..trustlist import ListCache, TrustListFetcher, read_trusted_list
    from ..trustlist._fetch import FetchResult

    if not _is_url(args.url):
        raise TrustListUsageError(f"fetch needs an http:// or https:// URL, not {args.url!r}")
    signers = load_signers(args.signer)
    try:
        cache = ListCache(args.cache)
    except Exception as exc:
        raise TrustListUsageError(str(exc)) from None
    result: FetchResult = TrustListFetcher(
        cache=cache, timeout=args.timeout, progress=_progress(err)
    ).fetch(args.url)
    if not result.ok or result.data is None:
        summary: dict[str, Any] = {"url": args.url, "fetch": "failed", "error": result.error}
        _write_summary(out, summary, args.json)
        return 1
    doc = read_trusted_list(result.data, source=args.url, keys=signers)
    summary = {"url": args.url, "fetch": result.status}
    summary.update(_summary(doc, signers if args.signer else None))
    ok = doc.valid and (not args.signer or bool(summary.get("signer_trusted")))
    if ok and result.status == "fetched":
        cache.put(args.url, result.data, etag=result.etag, last_modified=result.last_modified)
        summary["cached"] = True
    elif not ok:
        summary["cached"] = False
    _write_summary(out, summary, args.json)
    return 0 if ok else 1


def _diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..trustlist import diff_lists, read_trusted_list

    docs = []
    for source in (args.old, args.new):
        data, label = _read_source(source, args.timeout, err)
        doc = read_trusted_list(data, source=label)
        if doc.content is None:
            raise TrustListUsageError(f"cannot compare: {doc.describe()}")
        docs.append(doc)
    old, new = docs
    assert old.content is not None and new.content is not None
    d = diff_lists(old.content, new.content)
    if args.json:
        payload = d.to_dict()
        payload["old_signature_status"] = old.status.value
        payload["new_signature_status"] = new.status.value
        out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return 0 if d.empty else 1
    out.write(
        f"old: {old.source} #{d.old_sequence} (signature {old.status.value})\n"
        f"new: {new.source} #{d.new_sequence} (signature {new.status.value})\n"
    )
    for name in d.providers_added:
        out.write(f"+ provider {name}\n")
    for name in d.providers_removed:
        out.write(f"- provider {name}\n")
    for c in d.services_added:
        out.write(f"+ service {c.provider} / {c.service} [{c.service_type}] {c.new_status}\n")
    for c in d.services_removed:
        out.write(f"- service {c.provider} / {c.service} [{c.service_type}] {c.old_status}\n")
    for c in d.status_changes:
        out.write(
            f"~ status {c.provider} / {c.service} [{c.service_type}]: {c.old_status} -> "
            f"{c.new_status} (from {c.status_starting_time})\n"
        )
    if d.empty:
        out.write("no differences in providers, services or statuses\n")
    return 0 if d.empty else 1


def trust_with_lists(args: argparse.Namespace, trust: Any, err: TextIO | None = None) -> Any:
    """The trust store for ``verify``: anchors of ``--trust-list`` lists plus ``--trust-anchor``."""
    from ..trustlist import TrustListValidator, read_trusted_list, trust_store_from_lists

    err = err or sys.stderr
    signers = load_signers(args.trust_list_signer)
    at = args.at or _dt.datetime.now(_dt.UTC)
    validator = TrustListValidator()
    lists = []
    for source in args.trust_list:
        data, label = _read_source(source, 30.0, err)
        doc = read_trusted_list(data, source=label, keys=signers)
        if not doc.valid:
            raise TrustListUsageError(f"trust list {doc.describe()}")
        pinned = signers
        if not pinned:
            # Given on the command line like a trust anchor: its own signer is taken as trusted.
            pinned = [doc.signer_spki] if doc.signer_spki is not None else []
            err.write(
                f"bayident: warning: trust list {label}: signer not pinned "
                "(--trust-list-signer); trusting the list as given\n"
            )
        acc = validator.accept(doc, signers=pinned, at=at, commit=False)
        if not acc.accepted:
            raise TrustListUsageError(f"trust list {label} refused: {acc.reason}")
        for w in acc.warnings:
            err.write(f"bayident: warning: trust list {label}: {w}\n")
        assert acc.trusted_list is not None
        lists.append(acc.trusted_list)
    store = trust_store_from_lists(lists, at=at)
    if trust is not None:
        for anchor in trust:
            store.add(anchor)
    return store
