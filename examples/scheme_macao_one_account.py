"""Macao One Account: an ID token from a configured profile.

No public API or assurance scale exists: tokens are 'low' unless the level claim is mapped.
Run: python examples/scheme_macao_one_account.py
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from bayident import AssuranceLevel
from bayident.testing import MockClock, MockMacaoOneAccount

clock = MockClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
idp = MockMacaoOneAccount(clock=clock)
token = idp.issue("mo-42", name="CHAN Man", bir="1234567(8)", claims={"acr": "high"})

# Map the platform's level claim once your registration documents it:
adapter = idp.adapter(assurance_levels={"high": AssuranceLevel.SUBSTANTIAL})
result = adapter.verify_token(token, at=clock.now())
print(result.indication.value, "-", result.message)
identity = result.identity
if not result.passed or identity is None:
    sys.exit(result.explain())
bir = identity.identifier("MO_BIR")
print(
    f"{identity.name_en} ({identity.jurisdiction}), BIR {bir.value if bir else '-'}, "
    f"assurance {identity.assurance.level.value}"
)
