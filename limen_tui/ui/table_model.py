"""The VM table's model: rows, filter, sort order, marks and busy words. No widgets here.

Every fleet delta is applied in O(changed rows): a changed row moves to its new place in the
sorted order by bisection, the filter is tried on the changed rows only, a host's rows are
dimmed or undimmed without touching the order (the widget asks `stale` while it paints the
rows on screen). The whole order is sorted again only when the operator changes the sort, or
when a tick moved so many rows of the sort column that one sort is cheaper than moving each.

Grouped (`:group host`), the sort key starts with the row's group, so a group's rows stay
together in the same sorted order; a header line is shown above each group, carrying the
group's figures, kept by adding and taking away the changed rows' shares. Finding a line costs
a bisection and a walk over the groups (a few), not over the rows.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from limen_tui.model import DomainRow
from limen_tui.ui.columns import NAME, Column, matches
from limen_tui.ui.table_groups import GroupFigures, GroupLine, group_of

Key = tuple[str, str]
"""(host, uuid): a row of the table."""

SortKey = tuple[str, Any, str, str, str]
"""(group, the sort column's value, name, uuid, host): unique even when two hosts hold one
uuid (a VM seen on both during a migration); the group is "" when not grouped."""
Line = Key | GroupLine
"""What one line of the table shows: a row, or (grouped) a group's header."""

RESORT_ABOVE = 256
"""Moved rows in one delta above which one sort of the whole order beats bisecting each."""


@dataclass(slots=True)
class Repaint:
    """What one delta did to what is shown: the widget repaints from this, nothing more."""

    moved: bool = False
    """Rows came, went or changed place: the rows on screen may all have shifted."""
    changed: set[Key] = field(default_factory=set)
    """Shown rows whose content changed in place."""
    groups: bool = False
    """A group's figures changed (grouped only): the header lines on screen repaint."""

    def __bool__(self) -> bool:
        return self.moved or bool(self.changed) or self.groups


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
        self.group_by: str | None = None
        self.folded: set[str] = set()
        """Groups whose rows are hidden under their header line."""
        self._groups: dict[str, GroupFigures] = {}
        """The figures of each group that has shown rows (grouped only)."""
        self._group_names: list[str] = []

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
        """The keys of the rows on the lines from `start`, at most `count` lines."""
        start = max(0, start)
        if self.group_by is None:
            end = min(len(self._order), start + count)
            return [self.at(i) for i in range(start, end)]
        lines = (self.line(i) for i in range(start, min(self.lines, start + count)))
        return [x for x in lines if not isinstance(x, GroupLine)]

    # -- lines: rows and (grouped) group headers --------------------------------------------

    @property
    def lines(self) -> int:
        """How many lines the table has: the rows, or (grouped) headers and unfolded rows."""
        if self.group_by is None:
            return len(self._order)
        folded = self.folded
        return sum(1 + (0 if g in folded else self._groups[g].total) for g in self._group_names)

    def _groups_shown(self) -> list[str]:
        return self._group_names[::-1] if self.sort_reverse else self._group_names

    def line(self, index: int) -> Line:
        """What the line at `index` shows (0: the top)."""
        if self.group_by is None:
            return self.at(index)
        pos = 0
        for name in self._groups_shown():
            figures = self._groups[name]
            folded = name in self.folded
            if index == pos:
                return GroupLine(name, figures, folded)
            pos += 1
            count = 0 if folded else figures.total
            if index < pos + count:
                start = bisect_left(self._keys, (name,))
                offset = index - pos
                i = start + figures.total - 1 - offset if self.sort_reverse else start + offset
                return self._order[i]
            pos += count
        raise IndexError(index)

    def line_of(self, key: Key) -> int | None:
        """The line a row is on (None: not shown, or folded away)."""
        if self.group_by is None:
            return self.index(key)
        sort_key = self._key_of.get(key)
        if sort_key is None or sort_key[0] in self.folded:
            return None
        group = sort_key[0]
        i = bisect_left(self._keys, sort_key)
        start = bisect_left(self._keys, (group,))
        figures = self._groups[group]
        offset = start + figures.total - 1 - i if self.sort_reverse else i - start
        pos = 0
        for name in self._groups_shown():
            if name == group:
                return pos + 1 + offset
            pos += 1 + (0 if name in self.folded else self._groups[name].total)
        return None

    def group_line(self, name: str) -> int | None:
        """The line of a group's header."""
        pos = 0
        for group in self._groups_shown():
            if group == name:
                return pos
            pos += 1 + (0 if group in self.folded else self._groups[group].total)
        return None

    def group_of_key(self, key: Key) -> str | None:
        sort_key = self._key_of.get(key)
        return None if sort_key is None or self.group_by is None else sort_key[0]

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
        grouped = self.group_by is not None
        # A row twice in one delta counts as its last.
        for key, row in {r.key: r for r in changed}.items():
            old = self.rows.get(key)
            self.rows[key] = row
            want = not self.query or matches(row, self.query)
            before = self._key_of.get(key)
            if grouped and before is not None and old is not None:
                self._count(before[0], old, -1)
                out.groups = True
            if not want:
                if before is not None:
                    self._drop(key)
                    out.moved = True
                continue
            new_key = (self._group(row), sort(row), row.name.casefold(), row.uuid, row.host)
            if grouped:
                self._count(new_key[0], row, 1)
                out.groups = True
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
            gone = self.rows.pop(key, None)
            if gone is not None:
                self.marked.discard(key)
                self.busy.pop(key, None)
                if key in self._key_of:
                    if grouped:
                        self._count(self._key_of[key][0], gone, -1)
                        out.groups = True
                    self._drop(key)
                    out.moved = True
        return out

    def _group(self, row: DomainRow) -> str:
        return "" if self.group_by is None else group_of(row, self.group_by)

    def _count(self, group: str, row: DomainRow, sign: int) -> None:
        """Add (sign 1) or take away (-1) a row's share of its group's figures."""
        figures = self._groups.get(group)
        if figures is None:
            figures = self._groups[group] = GroupFigures()
            self._group_names.insert(bisect_left(self._group_names, group), group)
        figures.add(row, sign)
        if figures.total <= 0:
            del self._groups[group]
            del self._group_names[bisect_left(self._group_names, group)]

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
        self._rekey()
        return True

    def _rekey(self) -> None:
        """Every shown row's sort key and group again, and one sort (the operator's keys)."""
        sort, query = self.sort_column.sort, self.query
        self._key_of = {
            k: (self._group(r), sort(r), r.name.casefold(), r.uuid, r.host)
            for k, r in self.rows.items()
            if not query or matches(r, query)
        }
        self._groups, self._group_names = {}, []
        if self.group_by is not None:
            for k, s in self._key_of.items():
                self._count(s[0], self.rows[k], 1)
        self._resort()

    def sort_by(self, column: Column, reverse: bool) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        sort = column.sort
        self._key_of = {
            k: (s[0], sort(self.rows[k]), s[2], s[3], s[4]) for k, s in self._key_of.items()
        }
        self._resort()

    def group(self, by: str | None) -> bool:
        """Group the shown rows (`tag`, `host`, `state`, `os`) or not (None); False: as is."""
        if by == self.group_by:
            return False
        self.group_by = by
        self.folded.clear()
        self._rekey()
        return True

    def fold(self, group: str) -> bool:
        """Hide a group's rows under its header, or show them again; True when it folded."""
        self.folded.symmetric_difference_update({group})
        return group in self.folded

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
