"""The table's IP column: each VM on screen's address, from what its host already knows.

Cheap and bounded, never one call per VM per tick for the fleet: a round asks only for the
rows on screen whose answer has expired (`ADDRESS_TTL_S`), at most `ROUND_LIMIT` of them, and
reads per round the host's DHCP leases (one call per network) and its neighbour table (one
read), matched against each VM's MACs from its definition (from the cache; one XMLDesc only
when the cache has none). The guest agent is asked by the VM screen only: an agent that does
not answer holds a worker for seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

ADDRESS_TTL_S = 15.0
"""How long an answer stands (the cache's `addresses` TTL)."""
ROUND_LIMIT = 50
"""VMs asked about in one round: about a tall terminal's worth of rows."""


@dataclass(slots=True)
class AddressRounds:
    """When each VM's address was last asked; which of the rows on screen are due. Pure."""

    ttl_s: float = ADDRESS_TTL_S
    limit: int = ROUND_LIMIT
    _asked: dict[str, float] = field(default_factory=dict)

    def due(self, uuids: Iterable[str], now: float | None = None) -> list[str]:
        now = time.monotonic() if now is None else now
        due = []
        for uuid in uuids:
            at = self._asked.get(uuid)
            if at is None or now - at >= self.ttl_s:
                due.append(uuid)
                if len(due) >= self.limit:
                    break
        for uuid in due:
            self._asked[uuid] = now
        if len(self._asked) > 8 * self.limit:  # forget VMs long off screen
            self._asked = {u: t for u, t in self._asked.items() if now - t < self.ttl_s}
        return due
