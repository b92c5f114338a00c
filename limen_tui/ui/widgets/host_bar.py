"""One line per host: URI, hypervisor, CPU, memory, link state and the libvirt calls per tick."""

from __future__ import annotations

import time

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from limen_tui.model import HostStatus, LinkState
from limen_tui.ui import text as fmt

LINK_STYLE = {
    LinkState.LIVE: "bold green",
    LinkState.CONNECTING: "bold cyan",
    LinkState.STALE: "bold yellow",
    LinkState.DOWN: "bold red",
}
LINK_MARK = {
    LinkState.LIVE: "●",
    LinkState.CONNECTING: "◌",
    LinkState.STALE: "◐",
    LinkState.DOWN: "✖",
}
"""Each link state's own symbol: where only the mark is shown (many hosts), it says the state
without colour (NO_COLOR, the monochrome theme)."""


def host_line(s: HostStatus, now: float | None = None, health: Text | None = None) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(f"{LINK_MARK[s.state]} ", style=LINK_STYLE[s.state])
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


COMPACT_ABOVE = 3
"""More hosts than this: one summary line and one line of every host's state, not a line each."""

REDRAW_EVERY_S = 1.0
"""Figures that change every tick (calls, ms) reach the screen at most this often."""


def summary_lines(statuses: list[HostStatus]) -> Text:
    """Two lines for many hosts: counts by state, then each host's name in its state's colour."""
    counts: dict[LinkState, int] = {}
    for s in statuses:
        counts[s.state] = counts.get(s.state, 0) + 1
    vms = sum(s.domains for s in statuses if s.state == LinkState.LIVE)
    first = Text(no_wrap=True, overflow="ellipsis", end="")
    first.append(f"{len(statuses)} hosts: ", style="bold")
    parts = [
        (f"{LINK_MARK[state]} {n} {state.value}", LINK_STYLE[state]) for state, n in counts.items()
    ]
    for i, (words, style) in enumerate(parts):
        if i:
            first.append(", ")
        first.append(words, style=style)
    first.append(f" · {vms} VMs live · H: every host's line")
    second = Text(no_wrap=True, overflow="ellipsis", end="")
    for i, s in enumerate(statuses):
        if i:
            second.append("  ")
        second.append(f"{LINK_MARK[s.state]} ", style=LINK_STYLE[s.state])
        second.append_text(fmt.literal(s.key))
    return Text("\n", end="").join([first, second])


class HostBar(Static):
    """The header: a line per host, or a summary of many; a fixed height, redrawn at most once
    a second for figures that change every tick, at once when a host changes state, and only
    when the text changes (never a layout pass of the screen for a new figure)."""

    DEFAULT_CSS = """
    HostBar { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.statuses: dict[str, HostStatus] = {}
        """What each host reported last (the fleet's hosts are the registry; this the picture)."""
        self.health: dict[str, Text] = {}
        self._shown: Text | None = None
        self._drawn_at = 0.0
        self._pending: Timer | None = None
        self.draws = 0
        """Times the text on screen changed (tests and the benchmark read it)."""

    def set_status(self, status: HostStatus) -> HostStatus | None:
        """Show `status`; returns what the host reported before (None: a new host)."""
        previous = self.statuses.get(status.key)
        if previous != status:
            self.statuses[status.key] = status
            now = previous is None or previous.state != status.state
            self._draw_soon(now=now)
        return previous

    def set_health(self, host: str, summary: Text) -> None:
        before = self.health.get(host)
        if before == summary:
            return
        self.health[host] = summary
        self._draw_soon(now=before is None)  # the first health of a host shows at once

    def _draw_soon(self, *, now: bool = False) -> None:
        wait = self._drawn_at + REDRAW_EVERY_S - time.monotonic()
        if now or wait <= 0:
            self._draw()
        elif self._pending is None:
            self._pending = self.set_timer(wait, self._draw)

    def _draw(self) -> None:
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        self._drawn_at = time.monotonic()
        statuses = list(self.statuses.values())
        if len(statuses) > COMPACT_ABOVE:
            text, height = summary_lines(statuses), 2
        else:
            text = Text("\n", end="").join(
                host_line(s, health=self.health.get(s.key)) for s in statuses
            )
            height = max(1, len(statuses))
        if text == self._shown:
            return
        self._shown = text
        self.draws += 1
        resized = self.styles.height is None or self.styles.height.value != height
        if resized:
            self.styles.height = height  # only when the number of hosts crosses a line
        self.update(text, layout=resized)
