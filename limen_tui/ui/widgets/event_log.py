"""libvirt events as they arrive: time, host, VM, event, reason. A log pane: bounded, literal.

A storm of the same event folds into one line and a count (logs/repeats.py), so it cannot push
everything else out of the pane.
"""

from __future__ import annotations

from textual.timer import Timer

from limen_tui.logs.levels import Level
from limen_tui.logs.repeats import RepeatFold
from limen_tui.model import DomainEvent
from limen_tui.ui import text as fmt
from limen_tui.ui.widgets.log_pane import LogPane


def event_line(e: DomainEvent, *, show_host: bool, clock: bool = True) -> str:
    parts = [fmt.clock(e.time)] if clock else []
    if show_host:
        parts.append(fmt.printable(e.host))
    parts.append(fmt.printable(e.name))
    parts.append(e.event)
    line = " ".join(parts)
    if e.reason:
        line += f" ({fmt.printable(e.reason)})"
    return line


FOLD_PAUSE_S = 1.0
"""A storm that pauses this long shows how many repeats it held back."""


class EventLog(LogPane):
    """The events of every host, on the common log pane."""

    def __init__(self, max_lines: int, *, id: str | None = None) -> None:
        super().__init__(max_lines, id=id, title="libvirt events")
        self._fold = RepeatFold()
        self._fold_timer: Timer | None = None

    @property
    def lines(self) -> list[str]:
        return [ln.text for ln in self.buffer.copy()]

    def add_event(self, event: DomainEvent, *, show_host: bool) -> None:
        level = (
            Level.WARNING
            if event.event == "crashed"
            or event.reason in ("crashed", "failed", "I/O error", "watchdog")
            else Level.INFO
        )
        same = event_line(event, show_host=show_host, clock=False)
        shown = self._fold.add(same, event_line(event, show_host=show_host))
        if shown:
            self.add_lines(shown, level)
        elif self._fold_timer is None and self.is_mounted:
            self._fold_timer = self.set_timer(FOLD_PAUSE_S, self._storm_paused)

    def _storm_paused(self) -> None:
        self._fold_timer = None
        self.add_lines(self._fold.flush(), Level.INFO)

    def note(self, ts: float, message: str) -> None:
        self.add_lines(self._fold.flush(), Level.INFO)
        self.add_lines([f"{fmt.clock(ts)} {fmt.printable(message)}"], Level.WARNING)

    def alert(self, ts: float, message: str) -> None:
        """A line that must stand out (a noisy neighbour): the error level's colour."""
        self.add_lines(self._fold.flush(), Level.INFO)
        self.add_lines([f"{fmt.clock(ts)} {fmt.printable(message)}"], Level.ERROR)
