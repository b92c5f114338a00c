"""One line per host: URI, hypervisor, CPU, memory, link state and the libvirt calls per tick."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from limen_tui.model import HostStatus, LinkState
from limen_tui.ui import text as fmt

LINK_STYLE = {
    LinkState.LIVE: "bold green",
    LinkState.CONNECTING: "bold cyan",
    LinkState.STALE: "bold yellow",
    LinkState.DOWN: "bold red",
}


def host_line(s: HostStatus, now: float | None = None, health: Text | None = None) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append("● ", style=LINK_STYLE[s.state])
    line.append_text(fmt.literal(s.key, "bold"))
    if s.demo:
        line.append(" (test driver)", style="dim")
    if s.facts is not None:
        f = s.facts
        line.append("  ")
        line.append_text(fmt.literal(f"{f.hypervisor} {f.hypervisor_version}"))
        line.append(" · ")
        line.append_text(fmt.literal(f"{f.cpu_model}, {f.cpus} CPUs"))
        line.append(" · ")
        line.append(fmt.kib(f.memory_kib))
    line.append("  ")
    line.append(s.state.value, style=LINK_STYLE[s.state])
    if s.state != LinkState.LIVE:
        line.append(f" {fmt.ago(s.since, now)}", style="dim")
    if s.reason:
        line.append(": ")
        line.append_text(fmt.literal(s.reason, "italic"))
    if s.last_known_at is not None:
        line.append(
            f"  showing the last known fleet, {fmt.ago(s.last_known_at, now)} old", style="yellow"
        )
    if s.state == LinkState.LIVE:
        line.append(f"  {s.domains} VMs")
        if s.calls_last_tick is not None:
            unit = "call" if s.calls_last_tick == 1 else "calls"
            line.append(f" · {s.calls_last_tick} {unit}/tick", style="dim")
        if s.refresh_ms is not None:
            line.append(f" · {s.refresh_ms:.0f} ms", style="dim")
    if health is not None:
        line.append(" ·")
        line.append_text(health)
    if s.readonly:
        line.append("  read-only", style="bold magenta")
    return line


class HostBar(Static):
    """The header lines of every host."""

    DEFAULT_CSS = """
    HostBar { height: auto; max-height: 6; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.statuses: dict[str, HostStatus] = {}
        """What each line shows now (the fleet's hosts are the registry; this is the picture)."""
        self.health: dict[str, Text] = {}

    def set_status(self, status: HostStatus) -> HostStatus | None:
        """Show `status`; returns what its line showed before (None: a new line)."""
        previous = self.statuses.get(status.key)
        if previous != status:
            self.statuses[status.key] = status
            self._draw()
        return previous

    def set_health(self, host: str, summary: Text) -> None:
        if self.health.get(host) == summary:
            return
        self.health[host] = summary
        self._draw()

    def _draw(self) -> None:
        self.update(
            Text("\n", end="").join(
                host_line(s, health=self.health.get(k)) for k, s in self.statuses.items()
            )
        )
