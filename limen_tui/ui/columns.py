"""The VM table's columns: how each shows a row and how it sorts. No widgets here."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from limen_tui.model import DomainRow, PowerState
from limen_tui.ui import text as fmt

STATE_STYLE = {
    PowerState.RUNNING: "green",
    PowerState.PAUSED: "yellow",
    PowerState.SHUTOFF: "dim",
    PowerState.CRASHED: "bold red",
    PowerState.SHUTDOWN: "cyan",
    PowerState.PMSUSPENDED: "magenta",
    PowerState.BLOCKED: "yellow",
}


Field = tuple[str, Callable[[DomainRow], Any]]
"""(name, value in base units) of one exported field: bytes, bytes/s, percent as a number."""


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int | None
    """Cells; None for the name column, which takes what is left."""
    cell: Callable[[DomainRow], str | Text]
    sort: Callable[[DomainRow], Any]
    right: bool = False
    fields: tuple[Field, ...] = ()
    """What `:export` writes for this column (a pair column writes two fields)."""


def _num(v: float | int | None) -> tuple[int, float]:
    # Unknown values sort below every known one, whatever the direction of the sort.
    return (0, 0.0) if v is None else (1, float(v))


def _sum(a: float | None, b: float | None) -> float | None:
    return None if a is None and b is None else (a or 0.0) + (b or 0.0)


def _bytes(kib: int | None) -> int | None:
    return None if kib is None else kib * 1024


def _rate(key: str, label: str, get: Callable[[DomainRow], float | None], field: str) -> Column:
    return Column(
        key,
        label,
        8,
        lambda r: fmt.rate(get(r), active=r.state.is_active),
        lambda r: _num(get(r)),
        right=True,
        fields=((field, get),),
    )


NAME = Column(
    "name",
    "Name",
    None,
    lambda r: r.name,
    lambda r: r.name.casefold(),
    fields=(("name", lambda r: r.name),),
)
HOST = Column(
    "host",
    "Host",
    14,
    lambda r: fmt.host_short(r.host),
    lambda r: r.host,
    fields=(("host", lambda r: r.host),),
)
STATE = Column(
    "state",
    "State",
    13,  # "shutting down" while a shutdown is in flight
    lambda r: Text(r.state.value, style=STATE_STYLE.get(r.state, "")),
    lambda r: r.state.value,
    fields=(("state", lambda r: r.state.value),),
)
VCPUS = Column(
    "vcpus",
    "vCPU",
    4,
    lambda r: fmt.NA if r.vcpus is None else str(r.vcpus),
    lambda r: _num(r.vcpus),
    right=True,
    fields=(("vcpus", lambda r: r.vcpus),),
)
CPU = Column(
    "cpu",
    "CPU%",
    5,
    lambda r: fmt.percent(r.cpu_pct, active=r.state.is_active),
    lambda r: _num(r.cpu_pct),
    right=True,
    fields=(("cpu_pct", lambda r: r.cpu_pct),),
)
HOST_CPU = Column(
    "host_cpu",
    "Host%",
    5,
    lambda r: fmt.percent(r.cpu_host_pct, active=r.state.is_active),
    lambda r: _num(r.cpu_host_pct),
    right=True,
    fields=(("host_cpu_pct", lambda r: r.cpu_host_pct),),
)
MEM = Column(
    "mem",
    "Mem",
    5,
    lambda r: fmt.kib(r.mem_current_kib or r.mem_max_kib),
    lambda r: _num(r.mem_current_kib or r.mem_max_kib),
    right=True,
    fields=(("mem_bytes", lambda r: _bytes(r.mem_current_kib or r.mem_max_kib)),),
)
USED = Column(
    "used",
    "Used",
    5,
    lambda r: fmt.kib(r.mem_used_kib, active=r.state.is_active),
    lambda r: _num(r.mem_used_kib),
    right=True,
    fields=(("mem_used_bytes", lambda r: _bytes(r.mem_used_kib)),),
)
DISK = Column(
    "disk",
    "Disk r/w",
    9,
    lambda r: fmt.pair(r.disk_rd_bps, r.disk_wr_bps, active=r.state.is_active),
    lambda r: _num(_sum(r.disk_rd_bps, r.disk_wr_bps)),
    right=True,
    fields=(("disk_rd_bps", lambda r: r.disk_rd_bps), ("disk_wr_bps", lambda r: r.disk_wr_bps)),
)
NET = Column(
    "net",
    "Net rx/tx",
    9,
    lambda r: fmt.pair(r.net_rx_bps, r.net_tx_bps, active=r.state.is_active),
    lambda r: _num(_sum(r.net_rx_bps, r.net_tx_bps)),
    right=True,
    fields=(("net_rx_bps", lambda r: r.net_rx_bps), ("net_tx_bps", lambda r: r.net_tx_bps)),
)


def _address_cell(r: DomainRow) -> str | Text:
    if not r.state.is_active or r.address is None:
        return ""  # not running, or not asked yet (asked for the rows on screen only)
    if not r.address:
        return Text("none known", style="dim")  # the VM screen's Guest tab says why
    return r.address


def _address_sort(r: DomainRow) -> tuple[int, int, int]:
    try:
        ip = ipaddress.ip_address(r.address or "")
    except ValueError:
        return (0, 0, 0)
    return (1, ip.version, int(ip))


IP = Column("ip", "IP", 15, _address_cell, _address_sort)
"""From the host's DHCP leases and neighbour table (fleet/table_addresses.py)."""
IP_FROM = 132
"""The IP column is shown from this many cells on (a wide terminal)."""

AUTO = Column(
    "auto",
    "Auto",
    4,
    lambda r: fmt.NA if r.autostart is None else ("yes" if r.autostart else "no"),
    lambda r: _num(None if r.autostart is None else int(r.autostart)),
    fields=(("autostart", lambda r: r.autostart),),
)
DISK_RD = _rate("disk_rd", "Disk rd", lambda r: r.disk_rd_bps, "disk_rd_bps")
DISK_WR = _rate("disk_wr", "Disk wr", lambda r: r.disk_wr_bps, "disk_wr_bps")
NET_RX = _rate("net_rx", "Net rx", lambda r: r.net_rx_bps, "net_rx_bps")
NET_TX = _rate("net_tx", "Net tx", lambda r: r.net_tx_bps, "net_tx_bps")
TAGS = Column(
    "tags",
    "Tags",
    16,
    lambda r: " ".join(r.tags),
    lambda r: (not r.tags, [t.casefold() for t in r.tags]),
    fields=(("tags", lambda r: list(r.tags)),),
)
OS = Column(
    "os",
    "OS",
    12,
    lambda r: fmt.NA if r.os is None else r.os,
    lambda r: (r.os is None, (r.os or "").casefold()),
    fields=(("os", lambda r: r.os),),
)


ALL_COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        NAME,
        HOST,
        STATE,
        VCPUS,
        CPU,
        HOST_CPU,
        MEM,
        USED,
        DISK,
        NET,
        IP,
        AUTO,
        DISK_RD,
        DISK_WR,
        NET_RX,
        NET_TX,
        TAGS,
        OS,
    )
}
"""Every column by key: the width's own choice first, then those the operator may add."""


NAME_MIN = 12
"""The name column's narrowest."""

GIVEN_UP_FIRST = ("ip", "auto", "used", "host_cpu", "vcpus", "net", "disk")
"""When the columns do not fit, which go first (the details pane and VM screen show them)."""


def columns_for(width: int, *, many_hosts: bool) -> list[Column]:
    """The columns that fit a table `width` cells wide; the name column fills the rest.
    With more than one host the Host column always shows: ten `app-01` must not look alike."""
    cols = [NAME]
    if many_hosts:
        cols.append(HOST)
    cols += [STATE, VCPUS, CPU]
    if width >= 104:
        cols.append(HOST_CPU)
    cols.append(MEM)
    if width >= 88:
        cols.append(USED)
    cols += [DISK, NET]
    if width >= IP_FROM:
        cols.append(IP)
    if width >= 88:
        cols.append(AUTO)  # narrower: the details pane says it
    for key in GIVEN_UP_FIRST:
        if fits(cols, width):
            break
        cols = [c for c in cols if c.key != key]
    return cols


def fits(cols: list[Column], width: int) -> bool:
    """Every column, each padded one cell a side, the name at its narrowest, the scroll bar's
    two cells and one to spare."""
    return sum((c.width or NAME_MIN) + 2 for c in cols) + 3 <= width


def chosen_columns(text: str) -> tuple[list[Column], str]:
    """`name,host,state,cpu` as columns, the name first whether typed or not; or why not."""
    keys = [k for k in text.replace(" ", ",").lower().split(",") if k]
    unknown = [k for k in keys if k not in ALL_COLUMNS]
    if unknown:
        return [], f"no column {', '.join(unknown)}; the columns: {', '.join(ALL_COLUMNS)}"
    cols = [NAME] + [ALL_COLUMNS[k] for k in dict.fromkeys(keys) if k != "name"]
    return cols, ""


def matches(row: DomainRow, query: str) -> bool:
    """Filter: every word must match the name (substring) or the state (by its name).

    `state:X` matches the state only; `host:X` the host only; `tag:X` a tag (whole, or its
    start when X ends with `*`). Case does not matter.
    """
    name = row.name.casefold()
    state = row.state.value
    for word in query.casefold().split():
        if word.startswith("state:"):
            want = word[6:]
            if not _state_is(state, want):
                return False
        elif word.startswith("host:"):
            if word[5:] not in row.host.casefold():
                return False
        elif word.startswith("tag:"):
            if not _has_tag(row.tags, word[4:]):
                return False
        elif word not in name and not _state_is(state, word):
            return False
    return True


def _has_tag(tags: tuple[str, ...], want: str) -> bool:
    if want.endswith("*"):
        return any(t.casefold().startswith(want[:-1]) for t in tags)
    return any(t.casefold() == want for t in tags)


def _state_is(state: str, word: str) -> bool:
    if word in ("shutoff", "off"):
        return state == "shut off"
    if word == "on":
        return state not in ("shut off", "crashed")
    return state == word or (state.startswith(word) and len(word) >= 3)
