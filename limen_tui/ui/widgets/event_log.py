"""libvirt events as they arrive: time, host, VM, event, reason. Bounded; shown literally."""

from __future__ import annotations

from textual.widgets import Log

from limen_tui.model import DomainEvent
from limen_tui.ui import text as fmt


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


class EventLog(Log):
    """A plain-text log: no markup is ever interpreted, and old lines fall off the top."""

    def __init__(self, max_lines: int, *, id: str | None = None) -> None:
        super().__init__(max_lines=max_lines, id=id, auto_scroll=True)
        self.border_title = "Events"

    def add_event(self, event: DomainEvent, *, show_host: bool) -> None:
        self.write_line(event_line(event, show_host=show_host))

    def note(self, ts: float, message: str) -> None:
        self.write_line(f"{fmt.clock(ts)} {fmt.printable(message)}")
