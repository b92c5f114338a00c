"""The live VM table: keyed rows, updated cell by cell, filtered and sorted in place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from limen_tui.model import DomainRow
from limen_tui.ui import text as fmt
from limen_tui.ui.columns import NAME, STATE, Column, columns_for, matches

NAME_MIN, NAME_MAX = 12, 40

Key = tuple[str, str]


def row_id(key: Key) -> str:
    host, uuid = key
    return f"{uuid}@{host}"


class NameCell(Text):
    """The name cell; it also carries the row's key, which sorting needs."""

    __slots__ = ("row_key",)

    row_key: Key

    @classmethod
    def of(cls, key: Key, text: Text) -> NameCell:
        cell = cls(text.plain, style=text.style, no_wrap=True, end="", spans=text.spans)
        cell.row_key = key
        return cell


class VmTable(DataTable[Text]):
    """Every VM of every host; the fleet's deltas are applied here and nothing is rebuilt."""

    DEFAULT_CSS = """
    VmTable { height: 1fr; border-top: solid $primary-darken-2; border-title-align: left; }
    VmTable:focus { border-top: solid $accent; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First VM", show=False),
        Binding("end", "scroll_bottom", "Last VM", show=False),
    ]

    def __init__(self, *, many_hosts: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.rows_by_key: dict[Key, DomainRow] = {}
        self.stale_hosts: set[str] = set()
        """Hosts whose rows are not live (last known, or host down): their rows are dimmed."""
        self.marked: set[Key] = set()
        """VMs marked for a bulk action (space); kept while filtered out."""
        self.busy: dict[Key, str] = {}
        """What is in flight on a VM ("shutting down"): shown in its state cell meanwhile."""
        self._cells: dict[Key, tuple[Text, ...]] = {}
        self._keys_by_id: dict[str, Key] = {}
        self._columns: list[Column] = []
        self._name_width = NAME_MIN
        self.query_text = ""
        self.sort_column = "name"
        self.sort_reverse = False
        self.many_hosts = many_hosts

    # -- layout ------------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        self.set_layout(event.size.width, self.many_hosts)

    @property
    def shown_columns(self) -> list[Column]:
        return list(self._columns)

    def set_layout(self, width: int, many_hosts: bool) -> None:
        """Choose columns for the terminal width; rebuilds only when the column set changes."""
        cols = columns_for(width, many_hosts=many_hosts)
        fixed = sum((c.width or 0) + 2 for c in cols if c.width)
        name_width = max(NAME_MIN, min(NAME_MAX, width - fixed - 5))
        if [c.key for c in cols] == [c.key for c in self._columns] and (
            name_width == self._name_width
        ):
            return
        self._columns, self._name_width, self.many_hosts = cols, name_width, many_hosts
        self._rebuild()

    def _label(self, col: Column) -> Text:
        label = col.label
        if col.key == self.sort_column:
            label += " ▼" if self.sort_reverse else " ▲"
        return Text(label, justify="right" if col.right else "left")

    def _rebuild(self) -> None:
        cursor_key = self.selected_key
        self.clear(columns=True)
        self._cells.clear()
        self._keys_by_id.clear()
        for col in self._columns:
            width = self._name_width if col is NAME else col.width
            self.add_column(self._label(col), width=width, key=col.key)
        for key, row in self.rows_by_key.items():
            if matches(row, self.query_text):
                self._add(key, row)
        self._sort(cursor_key)

    # -- cells -------------------------------------------------------------------------------

    def _render_cells(self, row: DomainRow) -> tuple[Text, ...]:
        out = []
        for col in self._columns:
            value = col.cell(row)
            if col is STATE and row.key in self.busy:
                cell = Text(self.busy[row.key], style="bold cyan")
            elif isinstance(value, Text):
                cell = value
            elif col is NAME and row.key in self.marked:
                name = fmt.literal(value, limit=self._name_width - 2)
                cell = NameCell.of(row.key, Text("✓ ", style="bold magenta").append_text(name))
            elif col is NAME:
                cell = NameCell.of(row.key, fmt.literal(value, limit=self._name_width))
            else:
                cell = fmt.literal(value)
            if col.right:
                cell.justify = "right"
            if row.host in self.stale_hosts:
                cell.stylize("dim")
            out.append(cell)
        return tuple(out)

    def set_busy(self, key: Key, word: str | None) -> None:
        """Show `word` in the VM's state cell while an operation on it runs (None: done)."""
        if self.busy.get(key) == word:
            return
        if word:
            self.busy[key] = word
        else:
            self.busy.pop(key, None)
        self._redraw(key)

    def _draw_title(self) -> None:
        shown, total = len(self._cells), len(self.rows_by_key)
        title = Text(f" VMs {shown}" + (f" of {total}" if shown != total else ""), end="")
        if self.marked:
            title.append(f" · {len(self.marked)} marked ", style="bold magenta")
        else:
            title.append(" · none marked ", style="dim")
        self.border_title = title

    def set_host_stale(self, host: str, stale: bool) -> None:
        """Dim or undim one host's rows (once per change of the host's state, not per tick)."""
        if (host in self.stale_hosts) == stale:
            return
        self.stale_hosts.symmetric_difference_update({host})
        for key in [k for k in self.rows_by_key if k[0] == host]:
            self._redraw(key)

    def _add(self, key: Key, row: DomainRow) -> None:
        cells = self._render_cells(row)
        rid = row_id(key)
        self._keys_by_id[rid] = key
        self._cells[key] = cells
        self.add_row(*cells, key=rid)

    def _remove(self, key: Key) -> None:
        if self._cells.pop(key, None) is not None:
            rid = row_id(key)
            self._keys_by_id.pop(rid, None)
            self.remove_row(rid)

    # -- applying the fleet's deltas ---------------------------------------------------------

    def apply(self, changed: Iterable[DomainRow], removed: Iterable[Key] = ()) -> int:
        """Apply rows that changed and rows that went; returns the cells written."""
        written = 0
        resort = False
        was_empty = not self._cells
        sort_index = next(
            (i for i, c in enumerate(self._columns) if c.key == self.sort_column), None
        )
        for row in changed:
            key = row.key
            self.rows_by_key[key] = row
            shown = key in self._cells
            if not matches(row, self.query_text):
                if shown:
                    self._remove(key)
                continue
            if not shown:
                self._add(key, row)
                written += len(self._columns)
                resort = True
                continue
            old = self._cells[key]
            new = self._render_cells(row)
            if new == old:
                continue
            rid = row_id(key)
            for i, (a, b) in enumerate(zip(old, new, strict=True)):
                if a != b:
                    self.update_cell(rid, self._columns[i].key, b)
                    written += 1
                    resort = resort or i == sort_index
            self._cells[key] = new
        for key in removed:
            self.rows_by_key.pop(key, None)
            self.marked.discard(key)
            self._remove(key)
        if resort:
            # On the first fill the cursor stays on top; afterwards it follows its VM.
            self._sort(None if was_empty else self.selected_key)
        self._draw_title()
        return written

    # -- marks --------------------------------------------------------------------------------

    def _redraw(self, key: Key) -> None:
        row = self.rows_by_key.get(key)
        if row is not None and key in self._cells:
            self.apply([row])

    def toggle_mark(self) -> None:
        key = self.selected_key
        if key is None:
            return
        self.marked.symmetric_difference_update({key})
        self._redraw(key)
        self._draw_title()

    def mark_shown(self) -> None:
        for key in list(self._cells):
            if key not in self.marked:
                self.marked.add(key)
                self._redraw(key)
        self._draw_title()

    def clear_marks(self) -> None:
        marked, self.marked = self.marked, set()
        for key in marked:
            self._redraw(key)
        self._draw_title()

    def targets(self) -> list[DomainRow]:
        """What an action applies to: the marked VMs, else the one under the cursor."""
        marked = [self.rows_by_key[k] for k in self.marked if k in self.rows_by_key]
        if marked:
            return sorted(marked, key=lambda r: r.name.casefold())
        row = self.selected_row
        return [] if row is None else [row]

    # -- selection, filter, sort -------------------------------------------------------------

    @property
    def selected_key(self) -> Key | None:
        if not self.row_count:
            return None
        try:
            rid: RowKey = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return self._keys_by_id.get(str(rid.value))

    @property
    def selected_row(self) -> DomainRow | None:
        key = self.selected_key
        return None if key is None else self.rows_by_key.get(key)

    def shown_rows(self) -> list[DomainRow]:
        """Rows in the order they are on screen (for tests and scripts)."""
        order = sorted(self._cells, key=lambda k: self.get_row_index(row_id(k)))
        return [self.rows_by_key[k] for k in order]

    def shown_names(self) -> list[str]:
        return [r.name for r in self.shown_rows()]

    def set_filter(self, query: str) -> None:
        if query == self.query_text:
            return
        self.query_text = query
        cursor_key = self.selected_key
        for key, row in self.rows_by_key.items():
            want = matches(row, query)
            if want and key not in self._cells:
                self._add(key, row)
            elif not want and key in self._cells:
                self._remove(key)
        self._sort(cursor_key)
        self._draw_title()

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        if column not in {c.key for c in self._columns}:
            return
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else False
        self.sort_column, self.sort_reverse = column, reverse
        for col in self._columns:
            self.columns[col.key].label = self._label(col)  # type: ignore[index]
        self._sort(self.selected_key)
        self.refresh()

    def next_sort_column(self) -> None:
        keys = [c.key for c in self._columns]
        i = keys.index(self.sort_column) if self.sort_column in keys else -1
        self.sort_by(keys[(i + 1) % len(keys)], reverse=False)

    def _sort(self, keep: Key | None) -> None:
        col = next((c for c in self._columns if c.key == self.sort_column), None)
        if col is None or not self.row_count:
            return
        rows = self.rows_by_key

        def sort_key(cells: tuple[Text, ...]) -> object:
            name_cell = cells[0]
            assert isinstance(name_cell, NameCell)
            row = rows[name_cell.row_key]
            return (col.sort(row), row.name.casefold(), row.uuid)

        # With no columns named, DataTable hands the key function every cell of a row; the
        # name cell (always first) carries the row's key, so we sort by the row itself.
        self.sort(key=sort_key, reverse=self.sort_reverse)
        if keep is not None and keep in self._cells:
            self.move_cursor(row=self.get_row_index(row_id(keep)), animate=False)
