"""One entry point for any list: ETSI XML or bayident JSON, from bytes or a file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509

from .._exceptions import InputError, InvalidArgument
from .._policy import Policy
from ._document import DEFAULT_MAX_LIST_BYTES, TrustListDocument
from ._json import PublicKey, read_json_list

__all__ = ["load_trusted_list", "read_trusted_list"]


def read_trusted_list(
    data: bytes,
    *,
    source: str = "trusted list",
    keys: Iterable[PublicKey | x509.Certificate] = (),
    max_bytes: int = DEFAULT_MAX_LIST_BYTES,
    policy: Policy | None = None,
) -> TrustListDocument:
    """Read a list in either format (XML starts with ``<``); never raises for bad input.

    ``keys`` are pinned keys for JSON lists signed without ``x5c``. ``policy``
    gives the XML limits (``xml_max_depth``, ``xml_min_bytes_per_node``,
    ``xml_free_nodes``); the default policy's when omitted.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidArgument(f"data must be bytes, not {type(data).__name__}")
    head = bytes(data[:64]).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        # ETSI XML needs the etsi extra (lxml, signxml); JSON lists need nothing more.
        from .._extras import require

        require("etsi", "reading an ETSI XML trusted list")
        from ._etsi import read_etsi_xml
        from ._xmllimits import XmlLimits

        return read_etsi_xml(
            bytes(data), source=source, max_bytes=max_bytes, limits=XmlLimits.from_policy(policy)
        )
    return read_json_list(bytes(data), source=source, keys=keys, max_bytes=max_bytes)


def load_trusted_list(
    path: str | os.PathLike[str],
    *,
    keys: Iterable[PublicKey | x509.Certificate] = (),
    max_bytes: int = DEFAULT_MAX_LIST_BYTES,
    policy: Policy | None = None,
) -> TrustListDocument:
    """Read a list from a file; raises :class:`bayident.InputError` only if it cannot be read."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except IsADirectoryError:
        raise InputError(f"cannot read trusted list {p}: it is a directory") from None
    except OSError as exc:
        raise InputError(f"cannot read trusted list {p}: {exc.strerror or exc}") from None
    return read_trusted_list(data, source=p.name, keys=keys, max_bytes=max_bytes, policy=policy)
