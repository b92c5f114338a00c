"""The live VM table: a view of the table model that paints only the rows on screen.

The model (ui/table_model.py) holds the rows, filter, order and marks; this widget holds the
cursor and the columns for the terminal's width, and draws line by line (Textual's line API).
A delta repaints only the shown rows whose text changed, and only the cells that changed, or
the rows on screen when rows moved; Textual folds the repaints of one frame into one. Nothing
here costs more with the size of the fleet than with the size of the screen, except the
operator's own sort and filter keys.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from limen_tui.model import DomainRow
from limen_tui.ui import text as fmt
from limen_tui.ui.columns import (
    ALL_COLUMNS,
    NAME,
    NAME_MIN,
    STATE,
    Column,
    chosen_columns,
    columns_for,
)
from limen_tui.ui.saved_layout import width_class
from limen_tui.ui.table_groups import GroupLine
from limen_tui.ui.table_model import Key, Line, Repaint, TableModel

log = logging.getLogger("limen_tui.ui")

NAME_MAX = 40
PAD = 1
"""Cells of space each side of a cell."""

DIM = Style(dim=True)


class VmTable(ScrollView, can_focus=True):
    """Every VM of every host, one line each, under a header line that does not scroll."""

    DEFAULT_CSS = """
    VmTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        border-top: solid $primary-darken-2;
        border-title-align: left;
        & > .vm-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .vm-table--group { text-style: bold; color: $accent; }
        & > .vm-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            border-top: solid $accent;
            background-tint: $foreground 5%;
            & > .vm-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "vm-table--header",
        "vm-table--cursor",
        "vm-table--group",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First VM", show=False),
        Binding("end", "last", "Last VM", show=False),
        Binding("minus", "fold", "Fold group", show=False),
    ]

    class Highlighted(Message):
        """The cursor is on another VM (or on none)."""

        def __init__(self, table: VmTable, key: Key | None) -> None:
            super().__init__()
            self.table, self.key = table, key

        @property
        def control(self) -> VmTable:
            return self.table

    class HeaderClicked(Message):
        """The operator clicked a column's header (to sort by it)."""

        def __init__(self, table: VmTable, column: str) -> None:
            super().__init__()
            self.table, self.column = table, column

        @property
        def control(self) -> VmTable:
            return self.table

    class Shown(Message):
        """The rows on screen are other rows now (scrolled, sorted, filtered, resized)."""

        def __init__(self, table: VmTable, keys: tuple[Key, ...]) -> None:
            super().__init__()
            self.table, self.keys = table, keys

        @property
        def control(self) -> VmTable:
            return self.table

    def __init__(self, *, many_hosts: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = TableModel()
        self.many_hosts = many_hosts
        self.cursor_row = 0
        self._cursor_key: Key | None = None
        self._cursor_group: str | None = None
        """The group whose header line the cursor is on (grouped only)."""
        self._columns: list[Column] = []
        self.chosen: dict[str, list[str]] = {}
        """The operator's columns by width class (saved_layout.width_class); a class not here
        gets the columns that fit."""
        self._widths: list[int] = []
        self._starts: list[int] = []
        """Where each column's cell starts on a line (its padding included)."""
        self._line_width = 0
        self._strips: dict[Key, tuple[tuple[object, ...], Strip]] = {}
        """Painted rows, kept while nothing they show has changed."""
        self._painted: dict[Key, tuple[Text, ...]] = {}
        """The cells of each row as last painted: a delta repaints only cells that differ."""
        self._shown_keys: tuple[Key, ...] = ()
        self._title: Text | None = None
        self._note = ""
        self.repainted_rows = 0
        """Rows painted since the start (the benchmarks read it)."""

    # -- what the rest of the console reads ------------------------------------------------

    @property
    def rows_by_key(self) -> dict[Key, DomainRow]:
        return self.model.rows

    @property
    def marked(self) -> set[Key]:
        return self.model.marked

    @property
    def busy(self) -> dict[Key, str]:
        return self.model.busy

    @property
    def stale_hosts(self) -> set[str]:
        return self.model.stale_hosts

    @property
    def query_text(self) -> str:
        return self.model.query

    @property
    def sort_column(self) -> str:
        return self.model.sort_column.key

    @property
    def sort_reverse(self) -> bool:
        return self.model.sort_reverse

    @property
    def row_count(self) -> int:
        return len(self.model)

    @property
    def shown_columns(self) -> list[Column]:
        return list(self._columns)

    @property
    def selected_key(self) -> Key | None:
        return self._cursor_key if len(self.model) else None

    @property
    def selected_row(self) -> DomainRow | None:
        key = self.selected_key
        return None if key is None else self.model.rows.get(key)

    def targets(self) -> list[DomainRow]:
        """What an action applies to: the marked VMs, else the one under the cursor."""
        return self.model.targets(self.selected_key)

    def shown_rows(self) -> list[DomainRow]:
        """Rows in the order they are on screen (for tests and scripts)."""
        return self.model.shown_rows()

    def shown_names(self) -> list[str]:
        return [r.name for r in self.shown_rows()]

    @property
    def group_by(self) -> str | None:
        return self.model.group_by

    @property
    def selected_group(self) -> str | None:
        """The group whose header the cursor is on (None: on a row, or not grouped)."""
        return self._cursor_group

    def group_text(self, line: GroupLine) -> Text:
        """A group's header line: its name and figures (what the screen shows)."""
        f = line.figures
        text = Text("▸ " if line.folded else "▾ ", end="")
        text.append_text(fmt.literal(line.name))
        text.append(f"  {f.running}/{f.total} running · {f.vcpus} vCPU · ")
        text.append(f"{fmt.kib(f.mem_kib)} · CPU {fmt.percent(f.cpu_pct, active=True)}")
        return text

    def lines_text(self) -> list[str]:
        """Every line's text as shown, headers included (for tests: O(lines))."""
        out = []
        for i in range(self.model.lines):
            line = self.model.line(i)
            if isinstance(line, GroupLine):
                out.append(self.group_text(line).plain)
            else:
                out.append(self.model.rows[line].name)
        return out

    def cells_at(self, index: int) -> tuple[Text, ...]:
        """The cells of the row shown at `index`, as painted (for tests)."""
        key = self.model.at(index)
        return self._cells(self.model.rows[key])

    # -- layout --------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self.set_layout(event.size.width, self.many_hosts)
        self._follow_cursor()
        self._report_shown()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._report_shown()

    def visible_keys(self) -> list[Key]:
        """(host, uuid) of the rows on screen now, top to bottom."""
        return self.model.window(int(self.scroll_offset.y), self._page)

    def _report_shown(self, *, always: bool = False) -> None:
        """Tell the screen which rows are on screen, when they are other rows than before (or
        `always`: the filter or grouping changed, which may want more of the fleet read)."""
        keys = tuple(self.visible_keys())
        if keys != self._shown_keys or always:
            self._shown_keys = keys
            self.post_message(self.Shown(self, keys))

    def choose_columns(self, chosen: dict[str, list[str]]) -> None:
        """The operator's columns by width class; repaints when this width's choice changed."""
        self.chosen = {k: list(v) for k, v in chosen.items()}
        self.set_layout(self.size.width, self.many_hosts)
        self._report_shown()

    def _columns_for(self, width: int, many_hosts: bool) -> list[Column]:
        keys = self.chosen.get(width_class(self.app.size.width))
        if keys:
            cols, problem = chosen_columns(",".join(keys))
            if not problem:
                return cols
        return columns_for(width, many_hosts=many_hosts)

    def set_layout(self, width: int, many_hosts: bool) -> None:
        """Choose columns for the terminal width (the operator's choice for its width class,
        else those that fit); repaints only when the columns change."""
        cols = self._columns_for(width, many_hosts)
        fixed = sum((c.width or 0) + 2 * PAD for c in cols if c.width)
        name_width = max(NAME_MIN, min(NAME_MAX, width - fixed - 5))
        widths = [name_width if c is NAME else (c.width or 0) for c in cols]
        if [c.key for c in cols] == [c.key for c in self._columns] and widths == self._widths:
            return
        self._columns, self._widths, self.many_hosts = cols, widths, many_hosts
        self._starts = []
        x = 0
        for w in widths:
            self._starts.append(x)
            x += w + 2 * PAD
        self._line_width = x
        self._forget_paint()
        self._resize_virtual()
        self.refresh()

    def _resize_virtual(self) -> None:
        self.virtual_size = Size(self._line_width, self.model.lines + 1)

    def _forget_paint(self) -> None:
        self._strips.clear()
        self._painted.clear()

    @property
    def _page(self) -> int:
        """Rows on screen (the header line is not one)."""
        return max(1, self.scrollable_content_region.height - 1)

    # -- painting ------------------------------------------------------------------------------

    def _cells(self, row: DomainRow) -> tuple[Text, ...]:
        model = self.model
        out = []
        for col, width in zip(self._columns, self._widths, strict=True):
            value = col.cell(row)
            if col is STATE and row.key in model.busy:
                cell = Text(model.busy[row.key], style="bold cyan")
            elif col is NAME and row.key in model.marked:
                name = fmt.literal(str(value), limit=width - 2)
                cell = Text("✓ ", style="bold magenta").append_text(name)
            elif col is NAME:
                cell = fmt.literal(str(value), limit=width)
            elif isinstance(value, Text):
                cell = value
            else:
                cell = fmt.literal(value)
            out.append(cell)
        return tuple(out)

    def _line(self, cells: Iterable[Text], base: Style) -> list[Segment]:
        console = self.app.console
        pad = Segment(" " * PAD, base)
        segments: list[Segment] = []
        for cell, col, width in zip(cells, self._columns, self._widths, strict=True):
            text = cell.copy()
            text.no_wrap, text.end = True, ""
            text.truncate(width, overflow="ellipsis")
            gap = width - text.cell_len
            segments.append(pad)
            if col.right and gap:
                segments.append(Segment(" " * gap, base))
            # Text.render leaves out the text's own style (its spans keep theirs): add it here.
            own = console.get_style(text.style) if text.style else None
            segments.extend(Segment.apply_style(text.render(console), base + own if own else base))
            if not col.right and gap:
                segments.append(Segment(" " * gap, base))
            segments.append(pad)
        return segments

    def _row_strip(self, key: Key, width: int) -> Strip:
        row = self.model.rows[key]
        model = self.model
        base = self.rich_style  # in the sign: a new theme repaints every row
        sign = (row, key in model.marked, model.busy.get(key), model.stale(key), width, base)
        cached = self._strips.get(key)
        if cached is not None and cached[0] == sign:
            return cached[1]
        cells = self._cells(row)
        segments = self._line(cells, base)
        if model.stale(key):
            segments = list(Segment.apply_style(segments, post_style=DIM))
        # Simplified: neighbours of one style become one segment, one escape sequence each on
        # the wire, not one per pad and cell (a third of the bytes of a repainted row).
        strip = Strip(segments).adjust_cell_length(width, base).simplify()
        self._strips[key] = (sign, strip)
        self._painted[key] = cells
        self.repainted_rows += 1
        return strip

    def _header(self, width: int) -> Strip:
        style = self.get_component_rich_style("vm-table--header")
        labels = []
        for col, cells in zip(self._columns, self._widths, strict=True):
            label = col.label
            if col.key == self.model.sort_column.key:
                arrow = "▼" if self.model.sort_reverse else "▲"
                # The arrow always shows: a narrow column gives up its label's end for it.
                label = (
                    f"{label} {arrow}" if len(label) + 2 <= cells else label[: cells - 1] + arrow
                )
            labels.append(Text(label))
        return Strip(self._line(labels, style)).adjust_cell_length(width, style)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y == 0:
            return self._header(width)
        index = self.scroll_offset.y + y - 1
        if index >= self.model.lines:
            return Strip.blank(width, self.rich_style)
        line = self.model.line(index)
        if isinstance(line, GroupLine):
            style = self.get_component_rich_style("vm-table--group")
            text = self.group_text(line)
            text.truncate(width - 2 * PAD, overflow="ellipsis")
            segments = [Segment(" " * PAD, style), *text.render(self.app.console)]
            strip = Strip(Segment.apply_style(segments, style)).adjust_cell_length(width, style)
        elif line not in self.model.rows:  # never so; a blank line, not a dead console, if so
            log.error("vm table: row %s shown but not known", line)
            return Strip.blank(width, self.rich_style)
        else:
            strip = self._row_strip(line, width)
        if index == self.cursor_row:
            cursor = self.get_component_rich_style("vm-table--cursor")
            strip = Strip(Segment.apply_style(strip, post_style=cursor), width)
        return strip

    def _refresh_row(self, index: int, x: int = 0, width: int | None = None) -> None:
        y = index - self.scroll_offset.y + 1
        if 1 <= y <= self._page:
            full = self.scrollable_content_region.width
            self.refresh(Region(x, y, full - x if width is None else width, 1))

    def _refresh_rows(self) -> None:
        """Repaint the rows on screen (not the header)."""
        size = self.scrollable_content_region
        self.refresh(Region(0, 1, size.width, max(0, size.height - 1)))

    def _refresh_key(self, key: Key) -> None:
        index = self.model.line_of(key)
        if index is not None:
            self._refresh_row(index)

    # -- the fleet's deltas ----------------------------------------------------------------------

    def apply(self, changed: Iterable[DomainRow], removed: Iterable[Key] = ()) -> Repaint:
        """Apply rows that changed and rows that went; repaints what of it is on screen."""
        first_fill = not len(self.model)
        removed = list(removed)
        change = self.model.apply(changed, removed)
        for key in removed:
            self._strips.pop(key, None)
            self._painted.pop(key, None)
        if change.moved:
            self._resize_virtual()
            self._rows_moved(keep_top=first_fill)
        elif change.groups:
            self._refresh_rows()  # the headers' figures: the lines on screen repaint
        elif change.changed:
            self._repaint_cells(change.changed)
        self._draw_title()
        return change

    def _repaint_cells(self, keys: set[Key]) -> None:
        """Rows changed in place: repaint, of those on screen, the cells whose text changed."""
        top = self.scroll_offset.y
        if len(keys) > self._page:  # most of them off screen: walk the screen, not the keys
            keys = {k for k in self.visible_keys() if k in keys}
        for key in keys:
            index = self.model.line_of(key)
            if index is None or not top <= index < top + self._page:
                continue  # off screen: painted fresh when scrolled to (its sign changed)
            old = self._painted.get(key)
            new = self._cells(self.model.rows[key])
            if old is None or len(old) != len(new):
                self._refresh_row(index)
                continue
            diff = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
            if not diff:
                continue
            x0 = self._starts[diff[0]]
            x1 = self._starts[diff[-1]] + self._widths[diff[-1]] + 2 * PAD
            self._refresh_row(index, x0, x1 - x0)

    def _rows_moved(self, *, keep_top: bool = False, report_always: bool = False) -> None:
        """Rows came, went or moved: the cursor follows its VM; the rows on screen repaint."""
        model = self.model
        index = None
        if not keep_top and self._cursor_group is not None:
            index = model.group_line(self._cursor_group)
        elif not keep_top and self._cursor_key is not None:
            index = model.line_of(self._cursor_key)
            group = model.group_of_key(self._cursor_key)
            if index is None and group is not None:
                index = model.group_line(group)  # folded away: its group's header
        if index is None:
            index = min(self.cursor_row, max(0, model.lines - 1)) if not keep_top else 0
        self._set_cursor(index, scroll=not keep_top)
        self._refresh_rows()
        self._report_shown(always=report_always)

    def set_busy(self, key: Key, word: str | None) -> None:
        """Show `word` in the VM's state cell while an operation on it runs (None: done)."""
        if self.model.set_busy(key, word):
            self._refresh_key(key)

    def set_host_stale(self, host: str, stale: bool) -> None:
        """Dim or undim one host's rows: the rows on screen repaint, nothing is sorted."""
        if self.model.set_host_stale(host, stale):
            self._refresh_rows()

    def _draw_title(self) -> None:
        shown, total = len(self.model), self.model.total
        title = Text(f" VMs {shown}" + (f" of {total}" if shown != total else ""), end="")
        marked = len(self.model.marked)
        if marked:
            title.append(f" · {marked} marked ", style="bold magenta")
        else:
            title.append(" · none marked ", style="dim")
        if self._note:
            title.append(f"· {self._note} ", style="yellow")
        # Compared with what was set, not with `border_title` (Textual keeps a converted copy
        # that never equals the Text): setting it repaints the whole table.
        if title != self._title:
            self._title = self.border_title = title

    # -- marks ---------------------------------------------------------------------------------

    def toggle_mark(self) -> None:
        key = self.selected_key
        if key is None:
            return
        self.model.toggle_mark(key)
        self._refresh_key(key)
        self._draw_title()

    def mark_shown(self) -> None:
        self.model.mark_shown()
        self._refresh_rows()
        self._draw_title()

    def clear_marks(self) -> None:
        self.model.clear_marks()
        self._refresh_rows()
        self._draw_title()

    # -- filter and sort (the operator's keys) ----------------------------------------------

    @property
    def uses_labels(self) -> bool:
        """The filter or the grouping needs every VM's tags or OS, not only those on screen."""
        return "tag:" in self.query_text.casefold() or self.group_by in ("tag", "os")

    def set_note(self, note: str) -> None:
        """A word in the table's title about what it shows (empty: none)."""
        if note != self._note:
            self._note = note
            self._draw_title()

    def set_filter(self, query: str) -> None:
        if self.model.set_filter(query):
            self._resize_virtual()
            self._rows_moved(report_always=True)
            self._draw_title()

    def group(self, by: str | None) -> None:
        """Group the rows by tag, host, state or OS under header lines (None: no groups)."""
        if self.model.group(by):
            self._resize_virtual()
            self._rows_moved(report_always=True)

    def action_fold(self) -> None:
        """Fold the group the cursor is in (on its header or a row of it), or unfold it."""
        key = self._cursor_key
        group = self._cursor_group or (None if key is None else self.model.group_of_key(key))
        if group is None:
            return
        self.model.fold(group)
        self._cursor_key, self._cursor_group = None, group
        self._resize_virtual()
        self._rows_moved()
        if key is not None:  # the cursor's VM folded away: its header is selected now
            self.post_message(self.Highlighted(self, self._cursor_key))

    def sort_by(self, column: str, reverse: bool | None = None) -> None:
        col = ALL_COLUMNS.get(column)
        if col is None or col not in self._columns:
            return
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else False
        self.model.sort_by(col, reverse)
        self._rows_moved()
        self.refresh(Region(0, 0, self.scrollable_content_region.width, 1))

    def next_sort_column(self) -> None:
        keys = [c.key for c in self._columns]
        i = keys.index(self.sort_column) if self.sort_column in keys else -1
        self.sort_by(keys[(i + 1) % len(keys)], reverse=False)

    # -- the cursor -----------------------------------------------------------------------------

    def _set_cursor(self, index: int, *, scroll: bool = True) -> None:
        count = self.model.lines
        old_index, old_key = self.cursor_row, self._cursor_key
        index = max(0, min(index, count - 1)) if count else 0
        self.cursor_row = index
        line: Line | None = self.model.line(index) if count else None
        if isinstance(line, GroupLine):
            self._cursor_key, self._cursor_group = None, line.name
        else:
            self._cursor_key, self._cursor_group = line, None
        if old_index != index:
            self._refresh_row(old_index)
            self._refresh_row(index)
        if scroll:
            self._follow_cursor()
        if self._cursor_key != old_key:
            self.post_message(self.Highlighted(self, self._cursor_key))

    def _follow_cursor(self) -> None:
        top, page = self.scroll_offset.y, self._page
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + page:
            self.scroll_to(y=self.cursor_row - page + 1, animate=False, immediate=True)

    def move_cursor(self, row: int) -> None:
        self._set_cursor(row)

    def action_cursor_up(self) -> None:
        self._set_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._set_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self._set_cursor(self.cursor_row - self._page)

    def action_page_down(self) -> None:
        self._set_cursor(self.cursor_row + self._page)

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(self.model.lines - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = offset.x
            for col, start, width in zip(self._columns, self._starts, self._widths, strict=True):
                if start <= x < start + width + 2 * PAD:
                    self.post_message(self.HeaderClicked(self, col.key))
                    return
            return
        self._set_cursor(self.scroll_offset.y + offset.y - 1)
