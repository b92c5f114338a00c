"""Host health as text: the header's one-line summary and the gauges with sparklines."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text

from limen_tui.hosts.health import HealthSample
from limen_tui.hosts.monitor import HealthUpdated
from limen_tui.hosts.thresholds import Verdict
from limen_tui.model import human_bytes
from limen_tui.ui import text as fmt
from limen_tui.ui.widgets.details import sparkline

VERDICT_STYLE = {
    Verdict.OK: "green",
    Verdict.WARN: "bold yellow",
    Verdict.CRIT: "bold red",
    Verdict.UNKNOWN: "dim",
}
VERDICT_MARK = {Verdict.OK: "", Verdict.WARN: "!", Verdict.CRIT: "!!", Verdict.UNKNOWN: ""}
"""A figure past its threshold says so in text too, for NO_COLOR and the monochrome theme."""


def pct(value: float | None) -> str:
    return fmt.NA if value is None else f"{value:.0f}%"


def summary(update: HealthUpdated) -> Text:
    """`cpu 12% mem 40% disk 71%`, coloured by threshold, and the alert if one stands."""
    s, v = update.sample, update.verdicts
    worst_disk = max((d.pct for d in s.disks if d.pct is not None), default=None)
    line = Text(end="")
    for label, value, verdict in (
        ("cpu", s.cpu_pct, v.cpu),
        ("mem", s.mem_pct, v.memory),
        ("disk", worst_disk, v.disk),
    ):
        line.append(f" {label} ")
        line.append(pct(value) + VERDICT_MARK[verdict], style=VERDICT_STYLE[verdict])
    if update.alert is not None:
        line.append(f"  ALERT {update.alert.summary}", style="bold white on red")
    return line


def _word(verdict: Verdict) -> str:
    return f" {verdict.value}" if verdict in (Verdict.WARN, Verdict.CRIT) else ""


def bar(value: float | None, width: int = 20) -> str:
    if value is None:
        return "·" * width
    filled = max(0, min(width, round(value / 100 * width)))
    return "█" * filled + "░" * (width - filled)


def _rate(v: float | None) -> str:
    return fmt.NA if v is None else f"{human_bytes(v)}B/s"


def gauges(update: HealthUpdated, history: Iterable[HealthSample]) -> Table:
    """Every gauge of one host, with the recent history of CPU and memory as sparklines."""
    s, v = update.sample, update.verdicts
    past = list(history)
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)

    def gauge(label: str, value: float | None, verdict: Verdict, extra: str = "") -> None:
        grid.add_row(
            label,
            Text(bar(value), style=VERDICT_STYLE[verdict]),
            Text(f"{pct(value)}{_word(verdict)} {extra}".rstrip()),
        )

    gauge("CPU", s.cpu_pct, v.cpu)
    cpu_history = [h.cpu_pct for h in past if h.cpu_pct is not None]
    grid.add_row("", Text(sparkline(cpu_history[-40:]), style="cyan"), "CPU history")
    cores = " ".join(pct(c) for c in s.per_core)
    grid.add_row("cores", Text(cores, overflow="fold"), "")
    mem_extra = (
        f"{human_bytes(s.mem_used)}B of {human_bytes(s.mem_total)}B"
        if s.mem_used is not None and s.mem_total
        else ""
    )
    gauge("Memory", s.mem_pct, v.memory, mem_extra)
    mem_history = [h.mem_pct for h in past if h.mem_pct is not None]
    grid.add_row("", Text(sparkline(mem_history[-40:]), style="cyan"), "memory history")
    if s.swap_total:
        grid.add_row("Swap", Text(bar(s.swap_pct)), Text(pct(s.swap_pct)))
    else:
        grid.add_row("Swap", Text("none"), "")
    verdict_by_mount = dict(v.disks)
    for d in s.disks:
        gauge(
            f"{fmt.printable(d.mount)}",
            d.pct,
            verdict_by_mount.get(d.mount, Verdict.UNKNOWN),
            f"{human_bytes(d.used)}B of {human_bytes(d.total)}B",
        )
    for io in s.disk_io:
        grid.add_row(
            f"io {fmt.printable(io.device)}",
            Text(f"read {_rate(io.read_bps)}  write {_rate(io.write_bps)}"),
            "",
        )
    for n in s.net:
        grid.add_row(
            f"net {fmt.printable(n.interface)}",
            Text(f"rx {_rate(n.rx_bps)}  tx {_rate(n.tx_bps)}"),
            "",
        )
    load = " ".join(fmt.NA if x is None else f"{x:.2f}" for x in (s.load1, s.load5, s.load15))
    grid.add_row("Load", Text(load), "1, 5, 15 min")
    grid.add_row("Uptime", Text(fmt.NA if s.uptime_s is None else fmt.ago(0, s.uptime_s)), "")
    if update.alert is not None:
        grid.add_row("ALERT", Text(update.alert.summary, style="bold red"), "")
    return grid
