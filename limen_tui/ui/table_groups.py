"""The grouped view's words: which group a row is in, and each group's running figures.

No widgets here. A group's figures are kept by adding a row's share when it comes and taking
it away when it goes or changes, so a delta costs what its rows cost, never the group's size.
"""

from __future__ import annotations

from dataclasses import dataclass

from limen_tui.model import DomainRow

GROUP_BY = ("tag", "host", "state", "os")
"""What `:group` groups by (`:group off` ends it)."""

UNTAGGED = "(untagged)"
UNKNOWN_OS = "(OS unknown)"


def group_of(row: DomainRow, by: str) -> str:
    """The group a row is shown in: a VM with several tags is shown under its first by name."""
    if by == "host":
        return row.host
    if by == "state":
        return row.state.value
    if by == "os":
        return row.os or UNKNOWN_OS
    return min(row.tags, key=str.casefold) if row.tags else UNTAGGED


@dataclass(slots=True)
class GroupFigures:
    """VMs running/total, vCPUs, memory and CPU use of the rows shown in one group."""

    total: int = 0
    running: int = 0
    vcpus: int = 0
    mem_kib: int = 0
    cpu_weighted: float = 0.0
    """Sum over running VMs of CPU% x vCPUs (the group's CPU% is this over their vCPUs)."""
    cpu_vcpus: int = 0

    def add(self, row: DomainRow, sign: int = 1) -> None:
        self.total += sign
        if row.state.is_active:
            self.running += sign
        self.vcpus += sign * (row.vcpus or 0)
        self.mem_kib += sign * (row.mem_current_kib or row.mem_max_kib or 0)
        if row.state.is_active and row.cpu_pct is not None and row.vcpus:
            self.cpu_weighted += sign * row.cpu_pct * row.vcpus
            self.cpu_vcpus += sign * row.vcpus

    @property
    def cpu_pct(self) -> float | None:
        """CPU use as a percentage of the running VMs' vCPUs (None: none is running)."""
        return max(0.0, self.cpu_weighted / self.cpu_vcpus) if self.cpu_vcpus > 0 else None


@dataclass(frozen=True, slots=True)
class GroupLine:
    """A group's header line in the table (the rows under it follow unless it is folded)."""

    name: str
    figures: GroupFigures
    folded: bool
