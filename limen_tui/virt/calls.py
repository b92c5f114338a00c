"""Count the libvirt calls the console makes, by kind, so the cost per tick is visible."""

from __future__ import annotations

import threading
from collections import Counter


class CallCounter:
    """Thread-safe tally of libvirt calls; workers record, the UI reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total: Counter[str] = Counter()

    def record(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self._total[kind] += n

    def tally(self) -> dict[str, int]:
        with self._lock:
            return dict(self._total)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._total.values())

    @staticmethod
    def since(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
        """The calls made between two snapshots, by kind (kinds with zero left out)."""
        diff = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        return {k: v for k, v in diff.items() if v}
