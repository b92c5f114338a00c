"""What ticks hand the table, in slices the UI loop can afford.

At 10,000 VMs with every counter moving, each tick changes 10,000 rows; applied in one go they
held the UI loop 57 ms (154 ms at the 95th percentile) every tick, and a key pressed then
waited. Here a big tick's rows on screen, its new rows and its removals go to the table at
once; the other rows it changed (off screen: nobody sees them change) wait, the newest copy of
each, and the table takes them `ROWS_PER_FRAME` a frame. A tick of a small fleet goes in whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from limen_tui.model import DomainRow

Key = tuple[str, str]

ROWS_PER_FRAME = 2000
"""The most rows one slice applies (about 5 ms of the UI loop here)."""


class TableFeed:
    def __init__(self) -> None:
        self._waiting: dict[Key, DomainRow] = {}

    @property
    def waiting(self) -> int:
        """Rows changed off screen not yet in the table."""
        return len(self._waiting)

    def now(
        self,
        changed: list[DomainRow],
        removed: Iterable[Key],
        *,
        on_screen: Callable[[Key], bool],
        known: Callable[[Key], bool],
    ) -> list[DomainRow]:
        """Of a tick's changed rows, those to apply now: all of them when few; else those on
        screen and those the table does not have yet. The rest wait for `take`."""
        for key in removed:
            self._waiting.pop(key, None)
        if len(changed) + len(self._waiting) <= ROWS_PER_FRAME:
            rows = [*self._waiting.values(), *changed]
            self._waiting.clear()
            return rows
        rows = []
        for row in changed:
            key = row.key
            self._waiting.pop(key, None)  # an older copy; a newer one waits at the end
            if on_screen(key) or not known(key):
                rows.append(row)
            else:
                self._waiting[key] = row
        return rows

    def take(self, limit: int = ROWS_PER_FRAME) -> list[DomainRow]:
        """The next waiting rows, oldest first."""
        if len(self._waiting) <= limit:
            rows = list(self._waiting.values())
            self._waiting.clear()
            return rows
        keys = [k for k, _ in zip(self._waiting, range(limit), strict=False)]
        return [self._waiting.pop(k) for k in keys]

    def newer(self, key: Key) -> None:
        """An event brought a newer copy of this row: the waiting one is stale."""
        self._waiting.pop(key, None)

    def on_screen_now(self, keys: Iterable[Key]) -> list[DomainRow]:
        """The waiting rows of these keys (rows scrolled onto the screen), taken now."""
        return [row for k in keys if (row := self._waiting.pop(k, None)) is not None]
