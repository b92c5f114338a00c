"""An event storm folded: the same line again and again shows once, then as a count. Pure.

"web-1 rebooted" 212 times in a row shows the first, then "web-1 rebooted x211 more" when
something else arrives or the storm pauses, so a flood cannot push everything else out of a
bounded pane.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class RepeatFold:
    """Feed it (what repeats, the line to show); it says what to show now."""

    _last: str | None = None
    _held: int = 0
    _held_line: str = field(default="")

    def add(self, same: str, line: str) -> list[str]:
        """`same`: the line without what changes each time (its clock)."""
        if same == self._last:
            self._held += 1
            self._held_line = same
            return []
        shown = self.flush()
        self._last = same
        shown.append(line)
        return shown

    def flush(self) -> list[str]:
        """The count of repeats held back, if any (call it when the storm pauses)."""
        if not self._held:
            return []
        line = f"{self._held_line} x{self._held} more"
        self._held = 0
        return [line]
