"""What the VM screen draws, as Rich renderables: per-vCPU, per-disk and per-NIC figures,
memory, graphs over a window, the guest agent's answer, the domain XML with search hits.

No widgets and no I/O here: the screen hands in what the host said and places the results.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from limen_tui.fleet.host_store import Metric
from limen_tui.fleet.vm_recent import RecentLine
from limen_tui.model import human_bytes
from limen_tui.model.addresses import GuestAddresses
from limen_tui.model.guest_info import FULL_PCT, GuestInfo
from limen_tui.model.vm_figures import VmFigures
from limen_tui.ui import text as fmt
from limen_tui.ui.widgets.details import SPARKS

NA = fmt.NA


def _b(v: float | None) -> str:
    return NA if v is None else human_bytes(v)


def _n(v: float | None, digits: int = 0) -> str:
    return NA if v is None else f"{v:.{digits}f}"


def _grid(*headers: str, right_from: int = 1) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    for i, h in enumerate(headers):
        table.add_column(h, justify="right" if i >= right_from else "left", no_wrap=True)
    return table


def heading(text: str) -> Text:
    return Text("\n" + text, style="bold underline")


def vcpu_view(figures: VmFigures | None) -> RenderableType:
    if figures is None:
        return Text("reading…", style="dim")
    if not figures.vcpus:
        return Text("the hypervisor reports no per-vCPU counters", style="dim")
    table = _grid("vCPU", "busy %", "steal %", "wait %", "CPU time")
    for v in figures.vcpus:
        c = v.counters
        table.add_row(
            str(c.index),
            _n(v.busy_pct, 1),
            _n(v.delay_pct, 1),
            _n(v.wait_pct, 1),
            NA if c.time_ns is None else f"{c.time_ns / 1e9:.1f}s",
        )
    return table


def disk_view(figures: VmFigures | None) -> RenderableType:
    if figures is None:
        return Text("reading…", style="dim")
    if not figures.disks:
        return Text("no disk counters (none attached, or the hypervisor does not say)", style="dim")
    table = _grid("Disk", "read/s", "write/s", "r IOPS", "w IOPS", "r ms", "w ms", "size", "alloc")
    paths: list[Text] = []
    for d in figures.disks:
        c = d.counters
        table.add_row(
            fmt.literal(c.name),
            _b(d.rd_bps),
            _b(d.wr_bps),
            _n(d.rd_iops, 1),
            _n(d.wr_iops, 1),
            _n(d.rd_latency_ms, 2),
            _n(d.wr_latency_ms, 2),
            _b(c.capacity),
            _b(c.allocation),
        )
        line = Text().append_text(fmt.literal(c.name, "bold")).append(" ")
        line.append_text(Text(fmt.printable(c.path or "(no source)"), overflow="fold"))
        line.append(f"  physical {_b(c.physical)}", style="dim")
        if c.errors:
            line.append(f"  {c.errors} I/O errors", style="bold red")
        paths.append(line)
    return Group(table, *paths)


def nic_view(figures: VmFigures | None, addresses: GuestAddresses | None) -> RenderableType:
    if figures is None:
        return Text("reading…", style="dim")
    if not figures.nics:
        return Text("no NIC counters (none attached, or the hypervisor does not say)", style="dim")
    table = _grid("NIC", "rx/s", "tx/s", "rx pkt/s", "tx pkt/s", "errors", "drops")
    macs: list[Text] = []
    for n in figures.nics:
        c = n.counters
        errors = (
            None if c.rx_errs is None and c.tx_errs is None else (c.rx_errs or 0) + (c.tx_errs or 0)
        )
        drops = (
            None if c.rx_drop is None and c.tx_drop is None else (c.rx_drop or 0) + (c.tx_drop or 0)
        )
        table.add_row(
            fmt.literal(c.name),
            _b(n.rx_bps),
            _b(n.tx_bps),
            _n(n.rx_pps, 1),
            _n(n.tx_pps, 1),
            Text(_n(errors), style="bold red" if errors else ""),
            Text(_n(drops), style="yellow" if drops else ""),
        )
        line = Text().append_text(fmt.literal(c.name, "bold"))
        line.append(" " + fmt.printable(c.mac or "no MAC"))
        if addresses is not None:
            shown = [a for a in addresses.addresses if a.mac.lower() == c.mac.lower()]
            for a in shown:
                line.append(f"  {a.address}" + (f"/{a.prefix}" if a.prefix is not None else ""))
                line.append(f" ({a.source})", style="dim")
        macs.append(line)
    return Group(table, *macs)


def memory_view(figures: VmFigures | None) -> RenderableType:
    if figures is None:
        return Text("reading…", style="dim")
    m = figures.sample.balloon

    def kib(v: int | None) -> str:
        return NA if v is None else human_bytes(v * 1024)

    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("balloon", kib(m.current), "maximum", kib(m.maximum))
    grid.add_row("host RSS", kib(m.rss), "usable", kib(m.usable))
    grid.add_row("available", kib(m.available), "unused", kib(m.unused))
    grid.add_row("disk caches", kib(m.disk_caches), "major faults", _n(m.major_fault))
    grid.add_row("swap in", kib(m.swap_in), "swap out", kib(m.swap_out))
    return grid


def graph(
    samples: Sequence[tuple[float, float]],
    window_s: float,
    width: int,
    *,
    now: float | None = None,
    top: float | None = None,
) -> Text:
    """Samples of the last `window_s` seconds as `width` block characters (the mean of each
    slice of time, blank where nothing was kept), scaled to `top` or the highest mean.

    The graph ends at the newest sample when it is less than a slice old (so the slices do
    not shift with the moment of drawing), else at `now`, leaving the silence blank."""
    now = time.time() if now is None else now
    step = window_s / width
    if samples and 0 <= now - samples[-1][0] < step:
        now = samples[-1][0] + step / 2  # the newest sample in the middle of the last slice
    start = now - window_s
    sums, counts = [0.0] * width, [0] * width
    for ts, value in samples:
        i = math.floor((ts - start) / step)
        if 0 <= i < width:
            sums[i] += value
            counts[i] += 1
    means = [s / c if c else None for s, c in zip(sums, counts, strict=True)]
    known = [m for m in means if m is not None]
    scale = top if top is not None else max(known, default=0.0)
    levels = len(SPARKS) - 1
    chars = [" " if m is None else SPARKS[_level(m, scale, levels)] for m in means]
    return Text("".join(chars), style="cyan", no_wrap=True)


def _level(value: float, scale: float, levels: int) -> int:
    return 0 if scale <= 0 else max(0, min(levels, round(value / scale * levels)))


GRAPHS: tuple[tuple[Metric, str, str], ...] = (
    ("cpu", "CPU", "% of its vCPUs"),
    ("mem", "Memory used", "bytes"),
    ("disk", "Disk r+w", "bytes/s"),
    ("net", "Net rx+tx", "bytes/s"),
)
"""(metric, label, unit) of each graph, in the metric history's names."""


def graph_view(
    history: dict[tuple[str, float], list[tuple[float, float]]],
    windows: Sequence[tuple[float, str]],
    width: int,
    *,
    made_up: bool = False,
    now: float | None = None,
) -> RenderableType:
    """One graph per metric and window: label, the graph, the newest and highest values."""
    parts: list[RenderableType] = []
    if made_up:
        parts.append(Text("demo: made-up figures, not a hypervisor's", style="bold yellow"))
    for metric, label, unit in GRAPHS:
        for window, words in windows:
            samples = history.get((metric, window), [])
            values = [v for _ts, v in samples]
            head = Text(f"{label}, last {words}", style="bold")
            if not values:
                head.append("  nothing kept yet", style="dim")
                parts.append(head)
                continue
            shown = _unit(max(values), unit)
            head.append(f"  now {_unit(values[-1], unit)}, highest {shown}", style="")
            parts.append(head)
            top = 100.0 if metric == "cpu" else None
            parts.append(graph(samples, window, width, now=now, top=top))
    return Group(*parts)


def _unit(value: float, unit: str) -> str:
    if unit.startswith("%"):
        return f"{value:.1f}%"
    if unit == "bytes":
        return human_bytes(value * 1024)  # memory is kept in KiB
    return human_bytes(value) + "/s"


def guest_view(info: GuestInfo | None, addresses: GuestAddresses | None) -> RenderableType:
    parts: list[RenderableType] = [Text("Addresses", style="bold underline")]
    if addresses is None:
        parts.append(Text("reading…", style="dim"))
    elif not addresses.addresses:
        parts.append(Text(fmt.printable(addresses.reason), style="yellow"))
    else:
        for a in addresses.addresses:
            line = Text(a.address + (f"/{a.prefix}" if a.prefix is not None else ""))
            line.append(f"  {fmt.printable(a.interface)} {a.mac}  from {a.source}", style="dim")
            parts.append(line)
    parts.append(heading("Guest agent"))
    if info is None:
        parts.append(Text("asking the guest agent…", style="dim"))
        return Group(*parts)
    if not info.answered:
        parts.append(Text(fmt.printable(info.reason), style="yellow"))
        return Group(*parts)
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in (
        ("OS", info.os_name),
        ("Version", info.os_version),
        ("Kernel", info.kernel),
        ("Machine", info.machine),
        ("Host name", info.hostname),
        ("Time zone", _zone(info)),
    ):
        grid.add_row(label, fmt.printable(value) if value else Text("not said", style="dim"))
    parts.append(grid)
    parts.append(heading(f"Users ({len(info.users)})"))
    if not info.users:
        parts.append(Text("nobody logged in", style="dim"))
    for u in info.users:
        line = Text(fmt.printable(u.name + (f"@{u.domain}" if u.domain else "")))
        if u.login_time is not None:
            line.append(f"  since {time.strftime('%Y-%m-%d %H:%M', time.localtime(u.login_time))}")
        parts.append(line)
    parts.append(heading(f"Filesystems ({len(info.filesystems)})"))
    if info.full_filesystems:
        names = ", ".join(fmt.printable(f.mountpoint) for f in info.full_filesystems)
        parts.append(Text(f"health warning: {names} at or above {FULL_PCT:.0f}% full", "bold red"))
    table = _grid("mount", "type", "size", "used", "use%", right_from=2)
    for fs in info.filesystems:
        pct = fs.used_pct
        table.add_row(
            fmt.literal(fs.mountpoint),
            fmt.literal(fs.fstype),
            _b(fs.total_bytes),
            _b(fs.used_bytes),
            Text(_n(pct, 0), style="bold red" if fs.full else ""),
        )
    if info.filesystems:
        parts.append(table)
    return Group(*parts)


def _zone(info: GuestInfo) -> str:
    if info.timezone_offset_s is None:
        return info.timezone
    sign = "+" if info.timezone_offset_s >= 0 else "-"
    hours, rest = divmod(abs(info.timezone_offset_s), 3600)
    return f"{info.timezone} (UTC{sign}{hours:02d}:{rest // 60:02d})".strip()


def xml_view(xml: str, query: str) -> tuple[Text, list[int]]:
    """The XML shown literally, every match of `query` (any case) highlighted; and the line
    of each match, for jumping to them."""
    text = Text(xml, no_wrap=False, overflow="fold")
    lines: list[int] = []
    if query:
        for m in re.finditer(re.escape(query), xml, flags=re.IGNORECASE):
            text.stylize("black on yellow", m.start(), m.end())
            lines.append(xml.count("\n", 0, m.start()))
    return text, lines


def recent_view(lines: Sequence[RecentLine]) -> RenderableType:
    """The VM's recent events and finished operations since the console started, newest last."""
    if not lines:
        return Text("no event or operation of this VM since the console started", style="dim")
    out = Text()
    for line in lines:
        out.append(time.strftime("%H:%M:%S ", time.localtime(line.at)), style="dim")
        out.append(fmt.printable(line.text) + "\n", style="yellow" if line.trouble else "")
    return out
