"""libvirt events as they arrive: time, host, VM, event, reason. A log pane: bounded, literal."""

from __future__ import annotations

from limen_tui.logs.levels import Level
from limen_tui.model import DomainEvent
from limen_tui.ui import text as fmt
from limen_tui.ui.widgets.log_pane import LogPane


def event_line(e: DomainEvent, *, show_host: bool) -> str:
    parts = [fmt.clock(e.time)]
    if show_host:
        parts.append(fmt.printable(e.host))
    parts.append(fmt.printable(e.name))
    parts.append(e.event)
    line = " ".join(parts)
    if e.reason:
        line += f" ({fmt.printable(e.reason)})"
    return line


class EventLog(LogPane):
    """The events of every host, on the common log pane."""

    def __init__(self, max_lines: int, *, id: str | None = None) -> None:
        super().__init__(max_lines, id=id, title="libvirt events")

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
        self.add_lines([event_line(event, show_host=show_host)], level)

    def note(self, ts: float, message: str) -> None:
        self.add_lines([f"{fmt.clock(ts)} {fmt.printable(message)}"], Level.WARNING)
