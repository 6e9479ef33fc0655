"""OFD XML files and package paths: hardened parsing and location resolution.

The XML is parsed with the trusted lists' hardened parser (no entities, no DTD, no
network, no huge trees); a DOCTYPE or ENTITY declaration is refused before parsing,
since GB/T 33190 documents are defined by schemas and never need one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from lxml import etree

from ..trustlist._etsi_xml import hardened_parser

__all__ = [
    "OFD_NS",
    "OFDFormatError",
    "PathEscapes",
    "child",
    "children",
    "parse_xml",
    "resolve",
    "text_of",
]

#: The namespace of GB/T 33190-2016.
OFD_NS = "http://www.ofdspec.org/2016"
_NAMESPACES = (OFD_NS, None)


_LOCAL = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers may not be shared between threads, and building one costs more than
    # parsing a Signature.xml: one per thread, with the trusted lists' settings.
    parser: etree.XMLParser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = hardened_parser()
    return parser


class OFDFormatError(ValueError):
    """A package file is not what GB/T 33190 (or GB/T 38540) says; ``where`` names it."""

    def __init__(self, message: str, where: str) -> None:
        self.where = where
        self.reason = message
        super().__init__(f"{where}: {message}")


class PathEscapes(OFDFormatError):
    """A location that climbs out of the package (``..`` above the root)."""


def parse_xml(data: bytes, where: str) -> etree._Element:
    """Parse one package XML file; raise :class:`OFDFormatError` when it is not acceptable."""
    head = data[:4096]
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise OFDFormatError(
            "has a DOCTYPE or ENTITY declaration, which OFD files never carry; refused "
            "(entity expansion and external entities)",
            where,
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise OFDFormatError("is UTF-16; OFD XML files are UTF-8", where)
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = f" (line {exc.lineno})" if exc.lineno else ""
        raise OFDFormatError(f"is not well-formed XML: {exc.msg}{line}", where) from None
    except ValueError as exc:
        raise OFDFormatError(f"is not readable as XML: {exc}", where) from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise OFDFormatError("has a DOCTYPE declaration; refused", where)
    return root


_TAGS: dict[str, tuple[str, str]] = {}


def _is(el: etree._Element, name: str) -> bool:
    # Compared as strings ("{namespace}name" or a bare name): QName objects cost more
    # than the rest of reading a Signature.xml.
    tags = _TAGS.get(name)
    if tags is None:
        tags = _TAGS[name] = (f"{{{OFD_NS}}}{name}", name)
    tag = el.tag
    return bool(tag == tags[0] or tag == tags[1])


def local_name(el: etree._Element) -> str:
    tag = el.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def children(el: etree._Element, name: str) -> Iterator[etree._Element]:
    """The child elements called ``name`` (in the OFD namespace, or in none)."""
    tags = _TAGS.get(name)
    if tags is None:
        tags = _TAGS[name] = (f"{{{OFD_NS}}}{name}", name)
    return el.iterchildren(*tags)  # type: ignore[no-any-return]


def child(el: etree._Element, name: str) -> etree._Element | None:
    """The first child element called ``name``."""
    tags = _TAGS.get(name)
    if tags is None:
        tags = _TAGS[name] = (f"{{{OFD_NS}}}{name}", name)
    found = el.find(tags[0])
    return found if found is not None else el.find(tags[1])


def text_of(el: etree._Element | None) -> str | None:
    """The element's text, stripped; None when absent or empty."""
    if el is None or el.text is None:
        return None
    value = el.text.strip()
    return value or None


def is_element(el: etree._Element, name: str) -> bool:
    """Whether ``el`` is the OFD element ``name``."""
    return _is(el, name)


def resolve(base: str, location: str, where: str) -> str:
    """The package path of ``location`` as written in the file at ``base``.

    GB/T 33190 (ST_Loc): a location starting with ``/`` is from the package root,
    any other is relative to the directory of the file that names it. Returned without
    the leading ``/`` (as ZIP names are). Raises :class:`PathEscapes` for a location
    that climbs above the root and :class:`OFDFormatError` for one that is not a path.
    """
    loc = location.strip()
    # The usual location ("/Doc_0/Pages/Page_0/Content.xml") needs no segment walk.
    if (
        loc[:1] == "/"
        and "/." not in loc
        and "//" not in loc
        and "\\" not in loc
        and "\x00" not in loc
        and ":" not in loc
        and len(loc) > 1
    ):
        return loc[1:]
    if not loc:
        raise OFDFormatError("an empty location", where)
    if "\\" in loc or "\x00" in loc or "://" in loc or (len(loc) > 1 and loc[1] == ":"):
        raise OFDFormatError(f"location {location!r} is not a package path", where)
    if loc.startswith("/"):
        parts: list[str] = []
    else:
        parts = base.split("/")[:-1]
    for seg in loc.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if not parts:
                raise PathEscapes(f"location {location!r} climbs out of the package", where)
            parts.pop()
            continue
        parts.append(seg)
    if not parts:
        raise OFDFormatError(f"location {location!r} names the package root", where)
    return "/".join(parts)
