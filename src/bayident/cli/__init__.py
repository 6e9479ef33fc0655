"""The ``bayident`` command line.

``bayident verify EVIDENCE ...`` prints a verdict and exits 0 (PASSED),
1 (FAILED), 2 (INDETERMINATE) or 64 (usage or input error); see ``docs/cli.md``.
Output is plain text, coloured with ``rich`` on a terminal when the ``cli``
extra is installed.
"""

from __future__ import annotations

from ._app import main

__all__ = ["main"]
