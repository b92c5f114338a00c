"""The VM table's model: rows, filter, sort order, marks and busy words. No widgets here.

Every fleet delta is applied in O(changed rows): a changed row moves to its new place in the
sorted order by bisection, the filter is tried on the changed rows only, a host's rows are
dimmed or undimmed without touching the order (the widget asks `stale` while it paints the
rows on screen). The whole order is sorted again only when the operator changes the sort, or
when a tick moved so many rows of the sort column that one sort is cheaper than moving each.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from limen_tui.model import DomainRow
from limen_tui.ui.columns import NAME, Column, matches

Key = tuple[str, str]
"""(host, uuid): a row of the table."""

SortKey = tuple[Any, str, str]

RESORT_ABOVE = 256
"""Moved rows in one delta above which one sort of the whole order beats bisecting each."""


@dataclass(slots=True)
class Repaint:
    """What one delta did to what is shown: the widget repaints from this, nothing more."""

    moved: bool = False
    """Rows came, went or changed place: the rows on screen may all have shifted."""
    changed: set[Key] = field(default_factory=set)
    """Shown rows whose content changed in place."""

    def __bool__(self) -> bool:
        return self.moved or bool(self.changed)


class TableModel:
    """The rows the table knows, and which of them it shows in which order."""

    def __init__(self) -> None:
        self.rows: dict[Key, DomainRow] = {}
        self.marked: set[Key] = set()
        """VMs marked for a bulk action; kept while filtered out, dropped when they go."""
        self.busy: dict[Key, str] = {}
        """What is in flight on a VM ("shutting down"): its state cell shows it meanwhile."""
        self.stale_hosts: set[str] = set()
        """Hosts whose rows are not live (last known, or host down): shown dimmed."""
        self.query = ""
        self.sort_column: Column = NAME
        self.sort_reverse = False
        self._order: list[Key] = []
        """The shown rows, ascending by `_keys` (reversed on the way out when sort_reverse)."""
        self._keys: list[SortKey] = []
        self._key_of: dict[Key, SortKey] = {}

    # -- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        """How many rows are shown (the filter's matches)."""
        return len(self._order)

    @property
    def total(self) -> int:
        return len(self.rows)

    def at(self, index: int) -> Key:
        """The key of the row shown at `index` (0: the top)."""
        if self.sort_reverse:
            index = len(self._order) - 1 - index
        return self._order[index]

    def window(self, start: int, count: int) -> list[Key]:
        """The keys of the rows shown from `start`, at most `count` of them."""
        start = max(0, start)
        end = min(len(self._order), start + count)
        return [self.at(i) for i in range(start, end)]

    def index(self, key: Key) -> int | None:
        """Where the row `key` is shown (None: not shown), by bisection."""
        sort_key = self._key_of.get(key)
        if sort_key is None:
            return None
        i = bisect_left(self._keys, sort_key)
        if i >= len(self._keys) or self._order[i] != key:
            return None
        return len(self._order) - 1 - i if self.sort_reverse else i

    def shown(self, key: Key) -> bool:
        return key in self._key_of

    def shown_rows(self) -> list[DomainRow]:
        """Every shown row in the order shown (export, scripts, tests: O(shown))."""
        keys = reversed(self._order) if self.sort_reverse else iter(self._order)
        return [self.rows[k] for k in keys]

    def stale(self, key: Key) -> bool:
        return key[0] in self.stale_hosts

    def targets(self, cursor: Key | None) -> list[DomainRow]:
        """What an action applies to: the marked VMs, else the one under the cursor."""
        marked = [self.rows[k] for k in self.marked if k in self.rows]
        if marked:
            return sorted(marked, key=lambda r: r.name.casefold())
        row = None if cursor is None else self.rows.get(cursor)
        return [] if row is None else [row]

    # -- the fleet's deltas -----------------------------------------------------------------

    def apply(self, changed: Iterable[DomainRow], removed: Iterable[Key] = ()) -> Repaint:
        """Rows that changed and rows that went; O(len(changed) + len(removed))."""
        out = Repaint()
        sort = self.sort_column.sort
        relocate: dict[Key, SortKey] = {}
        # A row twice in one delta counts as its last.
        for key, row in {r.key: r for r in changed}.items():
            old = self.rows.get(key)
            self.rows[key] = row
            want = not self.query or matches(row, self.query)
            before = self._key_of.get(key)
            if not want:
                if before is not None:
                    self._drop(key)
                    out.moved = True
                continue
            new_key = (sort(row), row.name.casefold(), row.uuid)
            if before is None or new_key != before:
                relocate[key] = new_key
            elif old is not row and old != row:
                out.changed.add(key)
        if relocate:
            out.moved = True
            if len(relocate) > RESORT_ABOVE:
                self._key_of.update(relocate)
                self._resort()
            else:
                for key, new_key in relocate.items():
                    if key in self._key_of:
                        self._drop(key)
                    self._insert(key, new_key)
        for key in removed:
            # After the changed rows: a row both changed and gone in one delta is gone.
            if self.rows.pop(key, None) is not None:
                self.marked.discard(key)
                self.busy.pop(key, None)
                if key in self._key_of:
                    self._drop(key)
                    out.moved = True
        return out

    def _drop(self, key: Key) -> None:
        sort_key = self._key_of.pop(key)
        i = bisect_left(self._keys, sort_key)
        del self._keys[i], self._order[i]

    def _insert(self, key: Key, sort_key: SortKey) -> None:
        i = bisect_left(self._keys, sort_key)
        self._keys.insert(i, sort_key)
        self._order.insert(i, key)
        self._key_of[key] = sort_key

    def _resort(self) -> None:
        pairs = sorted(self._key_of.items(), key=lambda kv: kv[1])
        self._order = [k for k, _ in pairs]
        self._keys = [s for _, s in pairs]

    # -- the operator's choices (each may cost O(rows): they come from a key, not a tick) --

    def set_filter(self, query: str) -> bool:
        """Show the rows that match `query`; False when it is the query already."""
        if query == self.query:
            return False
        self.query = query
        sort = self.sort_column.sort
        self._key_of = {
            k: (sort(r), r.name.casefold(), r.uuid)
            for k, r in self.rows.items()
            if not query or matches(r, query)
        }
        self._resort()
        return True

    def sort_by(self, column: Column, reverse: bool) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        sort = column.sort
        self._key_of = {k: (sort(self.rows[k]), s[1], s[2]) for k, s in self._key_of.items()}
        self._resort()

    def set_host_stale(self, host: str, stale: bool) -> bool:
        """Dim or undim a host's rows: O(1); True when it changed."""
        if (host in self.stale_hosts) == stale:
            return False
        self.stale_hosts.symmetric_difference_update({host})
        return True

    def set_busy(self, key: Key, word: str | None) -> bool:
        if self.busy.get(key) == word:
            return False
        if word:
            self.busy[key] = word
        else:
            self.busy.pop(key, None)
        return True

    def toggle_mark(self, key: Key) -> None:
        self.marked.symmetric_difference_update({key})

    def mark_shown(self) -> None:
        self.marked.update(self._order)

    def clear_marks(self) -> None:
        self.marked.clear()
