"""Each VM's recent events and finished operations, for the VM screen. Pure and bounded.

The event log shows every VM's events as they pass; the VM screen, opened later, wants this
VM's own. Kept per VM, a few lines each, for a bounded number of VMs (the least recently
touched go first), so a week-long console keeps what it kept after an hour.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

from limen_tui.fleet.operations import Operation, OpState
from limen_tui.model import DomainEvent

PER_VM = 20
VMS = 500


@dataclass(frozen=True, slots=True)
class RecentLine:
    at: float
    """Seconds since the epoch."""
    text: str
    trouble: bool = False
    """A crash, a failed or refused operation: shown as a warning."""


class VmRecent:
    def __init__(self, per_vm: int = PER_VM, vms: int = VMS) -> None:
        self._per_vm, self._vms = per_vm, vms
        self._lines: OrderedDict[str, deque[RecentLine]] = OrderedDict()

    def _add(self, uuid: str, line: RecentLine) -> None:
        lines = self._lines.get(uuid)
        if lines is None:
            lines = self._lines[uuid] = deque(maxlen=self._per_vm)
            if len(self._lines) > self._vms:
                self._lines.popitem(last=False)
        else:
            self._lines.move_to_end(uuid)
        lines.append(line)

    @property
    def lines(self) -> int:
        """Lines kept now, every VM's together (costs the number of VMs kept)."""
        return sum(len(lines) for lines in self._lines.values())

    @property
    def bound(self) -> int:
        """The most lines ever kept."""
        return self._per_vm * self._vms

    def event(self, e: DomainEvent) -> None:
        text = f"event {e.kind} {e.event}" + (f" ({e.reason})" if e.reason else "")
        trouble = e.event == "crashed" or e.reason in ("crashed", "failed", "I/O error")
        self._add(e.uuid, RecentLine(e.time, text, trouble))

    def operation(self, op: Operation) -> None:
        """Only finished operations: one line each, with how it ended."""
        if not op.uuid or not op.state.finished:
            return
        text = f"{op.action} {op.state.value}"
        if op.duration is not None:
            text += f" in {op.duration:.1f}s"
        if op.error or op.note:
            text += f": {op.error or op.note}"
        trouble = op.state is not OpState.SUCCEEDED
        self._add(op.uuid, RecentLine(op.finished_at or op.queued_at, text, trouble))

    def of(self, uuid: str) -> list[RecentLine]:
        return list(self._lines.get(uuid, ()))

    def forget(self, uuid: str) -> None:
        self._lines.pop(uuid, None)
