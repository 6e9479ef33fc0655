"""Bounding the memory an XML document may cost, before any tree is built.

A parsed XML node (element, attribute, text) costs libxml2 and the signature
check a few hundred bytes whatever its size in the input: a list made of
millions of ``<a/>`` costs a hundred times its size. So before the tree is
built, a streaming pass with no tree (an lxml parser *target*) counts the
nodes and the depth, and stops at the first node over the limits:

* nodes: at most one per ``min_bytes_per_node`` bytes of input, beyond the
  first ``free_nodes`` (real lists hold one node per 32 bytes or more: tags
  have long names and certificates are long base64 texts);
* depth: at most ``max_depth`` nested elements.

A document that would be over the node limit even if every element were
written as one empty tag is refused without the pass, from a count of ``<``;
one whose generous upper bound of nodes is within the limit (real lists) is
parsed without the pass, its depth checked on the tree (see
:func:`parse_within_limits`).
The limits come from :class:`bayident.Policy` (``xml_max_depth``,
``xml_min_bytes_per_node``, ``xml_free_nodes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from .._memo import Memo

__all__ = ["XmlLimitExceeded", "XmlLimits", "check_xml_limits", "parse_within_limits"]


@dataclass(frozen=True)
class XmlLimits:
    """How many nodes and how deep an XML document may be (see the module text)."""

    max_depth: int = 64
    min_bytes_per_node: int = 26
    free_nodes: int = 2048

    @classmethod
    def from_policy(cls, policy: Any | None) -> XmlLimits:
        """The limits of a :class:`bayident.Policy` (the defaults for ``None``)."""
        if policy is None:
            from .._policy import Policy

            policy = Policy()
        return cls(
            max_depth=policy.xml_max_depth,
            min_bytes_per_node=policy.xml_min_bytes_per_node,
            free_nodes=policy.xml_free_nodes,
        )

    def node_budget(self, size: int) -> int:
        return self.free_nodes + size // max(1, self.min_bytes_per_node)


class XmlLimitExceeded(Exception):
    """The document is over a limit; ``reason`` says which, ``field`` where."""

    def __init__(self, reason: str, field: str = "document") -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class _Count:
    """A parser target that builds nothing: it counts nodes and depth and stops at a limit."""

    def __init__(self, budget: int, max_depth: int) -> None:
        self.budget = budget
        self.max_depth = max_depth
        self.nodes = 0
        self.depth = 0
        self.in_text = False

    def _add(self, n: int) -> None:
        self.nodes += n
        if self.nodes > self.budget:
            raise XmlLimitExceeded(
                f"the document has more than {self.budget} XML nodes (elements, attributes, "
                "texts), more than its size allows; refused before parsing it whole"
            )

    def start(self, tag: Any, attrib: Any) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise XmlLimitExceeded(
                f"elements are nested more than {self.max_depth} deep; refused before parsing "
                "the document whole"
            )
        self.in_text = False
        # An attribute costs two nodes: the attribute and its value's text.
        self._add(1 + 2 * len(attrib))

    def end(self, tag: Any) -> None:
        self.depth -= 1
        self.in_text = False

    def data(self, text: Any) -> None:
        if not self.in_text:  # one text node, however many chunks the parser hands over
            self.in_text = True
            self._add(1)

    def comment(self, text: Any) -> None:
        self.in_text = False
        self._add(1)

    def pi(self, target: Any, data: Any = None) -> None:
        self.in_text = False
        self._add(1)

    def close(self) -> int:
        return self.nodes


def _upper_bound(raw: bytes) -> int:
    """More nodes than ``raw`` can hold: an element per '<', a text after each, two per '='."""
    return 2 * raw.count(b"<") + 2 * raw.count(b"=") + raw.count(b"xmlns") + 1


def check_xml_limits(raw: bytes, limits: XmlLimits) -> int:
    """Count the nodes of ``raw`` without building a tree; returns the count.

    Raises :class:`XmlLimitExceeded` over a limit and ``etree.XMLSyntaxError``
    for a document that is not well-formed (the caller reports both).
    """
    budget = limits.node_budget(len(raw))
    # Namespace declarations cost memory per element too; count each as a node upfront.
    upfront = raw.count(b"xmlns")
    # Every element needs at least one '<' and at most two: over budget whatever the rest.
    if raw.count(b"<") // 2 + upfront > budget:
        raise XmlLimitExceeded(
            f"the document has more than {budget} XML elements, more than its size allows "
            f"(at most one node per {limits.min_bytes_per_node} bytes beyond the first "
            f"{limits.free_nodes}); refused before parsing"
        )
    counter = _Count(budget, limits.max_depth)
    counter.nodes = upfront
    parser = etree.XMLParser(
        target=counter,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    count: int = etree.fromstring(raw, parser=parser)
    return count


# Process-wide: a pure function of the depth (the compiled XPath), bounded like every memo.
_DEPTH_XPATHS: Memo[int, Any] = Memo(16)


def _too_deep(root: Any, max_depth: int) -> bool:
    # Evaluated by libxml2 in C, one step per level: is there an element below max_depth?
    xpath = _DEPTH_XPATHS.get(max_depth)
    if xpath is None:
        xpath = etree.XPath("boolean(/" + "/*" * (max_depth + 1) + ")")
        _DEPTH_XPATHS.put(max_depth, xpath)
    return bool(xpath(root))


def parse_within_limits(raw: bytes, limits: XmlLimits, parser: Any) -> Any:
    """Parse ``raw`` with ``parser`` once it is known to be within ``limits``.

    When even a generous upper bound of the nodes (from counts of ``<`` and
    ``=``) is within the budget, as for real lists, the document is parsed
    directly: its memory is bounded whatever its shape, libxml2 stops at 256
    levels as it parses (``huge_tree`` off), and the depth limit is checked on
    the tree before anything else reads it. Otherwise the streaming pass counts
    nodes and depth exactly, and stops at the first one over, before any tree
    is built.
    """
    streamed = _upper_bound(raw) > limits.node_budget(len(raw))
    if streamed:
        check_xml_limits(raw, limits)
    root = etree.fromstring(raw, parser=parser)
    if not streamed and _too_deep(root, limits.max_depth):
        raise XmlLimitExceeded(
            f"elements are nested more than {limits.max_depth} deep; refused before reading "
            "the document"
        )
    return root
