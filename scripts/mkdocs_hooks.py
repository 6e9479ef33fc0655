"""MkDocs hooks for the bayident site (configured in mkdocs.yml).

Docstrings use Sphinx roles (:class:`~bayident.Policy`), which the API reference
renderer shows literally; this turns them into plain code spans.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(
    r":(?:py:)?(?:class|func|meth|mod|data|attr|exc|obj|const|term):<code>(~?)([^<]+)</code>"
)


def _code(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2)
    # Sphinx's "~" shows only the last component of a dotted name.
    return f"<code>{target.rsplit('.', 1)[-1] if short else target}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    """Replace ``:role:`target``` left in rendered docstrings by ``target``."""
    return _ROLE.sub(_code, html)
