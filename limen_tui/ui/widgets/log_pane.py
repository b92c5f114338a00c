"""The common log pane: follow or pause, search with highlight, filter by text and level,
jump to newest, save the shown lines to a file; a bounded buffer so memory stays flat."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, RichLog, Static

from limen_tui.logs.buffer import LineBuffer, LogLine
from limen_tui.logs.levels import Level
from limen_tui.ui.frame import frame_of
from limen_tui.ui.key_hold import after_typed
from limen_tui.ui.widgets.in_place import ScrollInPlace, update_in_place
from limen_tui.ui.widgets.instant_input import InstantInput
from limen_tui.ui.worker_failures import WorkerFailuresToApp

LEVEL_STYLE = {Level.ERROR: "red", Level.WARNING: "yellow", Level.INFO: "", Level.DEBUG: "dim"}
LEVELS = [Level.DEBUG, Level.INFO, Level.WARNING, Level.ERROR]
DRAW_AT_MOST = 300
REDRAW_AT_MOST = 2000
"""Lines drawn per flush while following; a bigger burst keeps its older lines in the buffer."""


class PaneLines(ScrollInPlace, RichLog):
    """The pane's lines: a new line repaints the pane, not the screen."""


class LogPane(WorkerFailuresToApp, Vertical):
    """One source's lines. Lines are data: they arrive cleaned and are never read as markup."""

    # Priority bindings, as the main screen's: / and \ focus their input before the next
    # key of a burst is read; check_action hands every key to that input while it is open.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "toggle_follow", "Follow/pause", priority=True),
        Binding("slash", "ask('search')", "Search", key_display="/", priority=True),
        Binding("backslash", "ask('filter')", "Filter", key_display="\\", priority=True),
        Binding("l", "next_level", "Level", priority=True),
        Binding("G,end", "newest", "Newest", priority=True),
        Binding("ctrl+s", "ask('save')", "Save to file", priority=True),
        Binding("escape", "clear_query", "Clear", show=False, priority=True),
    ]
    DEFAULT_CSS = """
    LogPane { height: 1fr; }
    LogPane > RichLog { height: 1fr; scrollbar-size-horizontal: 0; }
    LogPane > #ask { display: none; }
    LogPane > #ask.visible { display: block; }
    LogPane > #status { height: 1; color: $text-muted; }
    """

    def __init__(self, max_lines: int, *, id: str | None = None, title: str = "") -> None:
        super().__init__(id=id)
        self.buffer = LineBuffer(max_lines)
        self.title = title
        self.following = True
        self.level = Level.DEBUG
        self.filter_text = ""
        self.search_text = ""
        self.pending = 0
        """Lines that arrived while paused; shown when following again."""
        self.source_note = ""
        self._asking = ""
        self._unwritten: list[LogLine] = []

    def compose(self) -> ComposeResult:
        yield PaneLines(
            max_lines=self.buffer.max_lines,
            wrap=False,
            markup=False,
            highlight=False,
            auto_scroll=True,
            id="lines",
        )
        yield InstantInput(id="ask", on_enter=self._answered)
        yield Static(id="status", markup=False)

    def on_mount(self) -> None:
        if self._unwritten:
            self.call_later(self._flush)  # once mounted: _flush draws only on a mounted pane
        self._draw_status()  # is_mounted is only True once on_mount has returned

    @property
    def lines_widget(self) -> RichLog:
        return self.query_one("#lines", RichLog)

    # -- feeding ---------------------------------------------------------------------------------

    def add_lines(self, raws: Iterable[bytes | str], level: Level | None = None) -> None:
        new = (
            [self.buffer.append(r, level) for r in raws]
            if level is not None
            else self.buffer.extend(raws)
        )
        if not self.following:
            self.pending += len(new)
            self._status()
            return
        self._unwritten.extend(ln for ln in new if self._wanted(ln))
        # Drawn with the app's next frame: a flood costs a few draws a second, not one per
        # line. Before the pane is mounted the lines wait; on_mount draws them.
        if self.is_mounted:
            frame_of(self.app).soon(self._flush)

    def _flush(self) -> None:
        if not self.is_mounted or not self.query("#lines"):  # not yet, or no longer, shown
            return
        lines, self._unwritten = self._unwritten, []
        skipped = len(lines) - DRAW_AT_MOST
        if skipped > 0:
            # While following, only the newest lines can be seen; the rest stay in the buffer
            # and are drawn when the pane is paused (f) or filtered.
            lines = lines[-DRAW_AT_MOST:]
            self._write_note(f"… {skipped} more lines arrived at once: pause (f) to scroll them")
        if lines:
            self._write(lines)
        self._status()

    def _write_note(self, text: str) -> None:
        self.lines_widget.write(Text(text, style="italic dim", end=""), scroll_end=True)

    def set_note(self, note: str) -> None:
        """A line about the source itself (e.g. "following /var/log/... on host")."""
        self.source_note = note
        self._status()

    def reset(self, note: str = "") -> None:
        """A new source: forget the old lines."""
        self._unwritten = []
        self.buffer.clear()
        self.lines_widget.clear()
        self.pending = 0
        self.set_note(note)

    def _wanted(self, line: LogLine) -> bool:
        if line.level < self.level:
            return False
        return not self.filter_text or self.filter_text.casefold() in line.text.casefold()

    def _line_text(self, line: LogLine) -> Text:
        text = Text(line.text, style=LEVEL_STYLE[line.level], no_wrap=True, end="")
        if self.search_text:
            text.highlight_words([self.search_text], style="black on yellow", case_sensitive=False)
        return text

    def _write(self, lines: list[LogLine]) -> None:
        log = self.lines_widget
        # One renderable per batch: a flood costs one write, not one per line.
        log.write(Text("\n", end="").join(self._line_text(ln) for ln in lines), scroll_end=False)
        if self.following:  # now, in the frame that draws the lines (RichLog waits a frame)
            log.scroll_end(animate=False, immediate=True, x_axis=False)

    def rerender(self) -> None:
        """After a filter, level or search change: draw the kept lines again (O(buffer))."""
        self._unwritten = []
        self.lines_widget.clear()
        view = self.buffer.view(self.filter_text, self.level)
        if len(view) > REDRAW_AT_MOST:
            older = len(view) - REDRAW_AT_MOST
            self._write_note(f"… {older} older lines are kept: filter (\\) or save (ctrl+s)")
            view = view[-REDRAW_AT_MOST:]
        if view:
            self._write(view)
        self._status()

    def _status(self) -> None:
        if self.is_mounted:
            self._draw_status()

    def _draw_status(self) -> None:
        parts = [self.title] if self.title else []
        parts.append("following" if self.following else f"paused, {self.pending} new")
        parts.append(f"{len(self.buffer)} lines")
        if self.level > Level.DEBUG:
            parts.append(f"level {self.level.word}+")
        if self.filter_text:
            parts.append(f"filter {self.filter_text!r}")
        if self.search_text:
            hits = len(self.buffer.search(self.search_text, self.level))
            parts.append(f"{hits} match(es) for {self.search_text!r}")
        if self.source_note:
            parts.append(self.source_note)
        update_in_place(self.query_one("#status", Static), " · ".join(parts))

    # -- keys ------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.screen.focused is self.query_one("#ask", Input):
            return action == "clear_query"  # typing in the search/filter box: only Esc
        return True

    def action_toggle_follow(self) -> None:
        self.following = not self.following
        self.lines_widget.auto_scroll = self.following
        if self.following:
            self.pending = 0
            self.rerender()
            self.lines_widget.scroll_end(animate=False)
        self._status()

    def action_newest(self) -> None:
        if not self.following:
            self.action_toggle_follow()
        self.lines_widget.scroll_end(animate=False)

    def action_next_level(self) -> None:
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
        self.rerender()

    def action_ask(self, what: str) -> None:
        box = self.query_one("#ask", Input)
        self._asking = what
        box.placeholder = {
            "search": "search (highlight), Enter",
            "filter": "show only lines holding…, Enter",
            "save": "save the shown lines to file…, Enter",
        }[what]
        box.value = {
            "search": self.search_text,
            "filter": self.filter_text,
            "save": str(Path.home() / "limen-log.txt"),
        }[what]
        box.add_class("visible")
        self.screen.set_focus(box)  # now: the keys typed after / are the box's

    def action_clear_query(self) -> None:
        box = self.query_one("#ask", Input)
        if self.screen.focused is box:
            after_typed(box, self._clear_query)  # behind the letters typed before Esc
        else:
            self._clear_query()

    def _clear_query(self) -> None:
        self.search_text = self.filter_text = ""
        self.query_one("#ask", Input).remove_class("visible")
        self.rerender()
        self.screen.set_focus(self.lines_widget)

    def _answered(self, value: str) -> None:
        self.query_one("#ask", Input).remove_class("visible")
        if self._asking == "search":
            self.search_text = value
            self.rerender()
        elif self._asking == "filter":
            self.filter_text = value
            self.rerender()
        elif self._asking == "save" and value:
            self._save(Path(value).expanduser())
        self.screen.set_focus(self.lines_widget)

    def _save(self, path: Path) -> None:
        lines = [ln.text for ln in self.buffer.view(self.filter_text, self.level)]

        def write() -> None:
            try:
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            except OSError as exc:
                self.app.call_from_thread(
                    self.app.notify, f"cannot save: {exc}", severity="error", markup=False
                )
                return
            self.app.call_from_thread(
                self.app.notify, f"saved {len(lines)} lines to {path}", markup=False
            )

        self.run_worker(write, thread=True, group="log-save", exit_on_error=False)
