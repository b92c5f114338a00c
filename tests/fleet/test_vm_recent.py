"""Each VM's recent events and operations: bounded per VM and in VMs, finished ones only."""

from __future__ import annotations

from limen_tui.fleet.operations import Operation, OpState
from limen_tui.fleet.vm_recent import VmRecent
from limen_tui.model import DomainEvent


def event(uuid: str, what: str, reason: str = "", at: float = 1.0) -> DomainEvent:
    return DomainEvent(at, "h", uuid, "web", "lifecycle", what, reason)


def test_lines_are_kept_per_vm_newest_last_and_bounded() -> None:
    recent = VmRecent(per_vm=3, vms=2)
    for i in range(5):
        recent.event(event("a", f"e{i}"))
    assert [ln.text for ln in recent.of("a")] == [
        "event lifecycle e2",
        "event lifecycle e3",
        "event lifecycle e4",
    ]
    recent.event(event("b", "started", "booted"))
    recent.event(event("c", "crashed", "panicked"))  # a third VM: the least recent goes
    assert recent.of("a") == [] and recent.of("b")[0].text == "event lifecycle started (booted)"
    assert recent.of("c")[0].trouble


def test_only_finished_operations_count_and_failures_stand_out() -> None:
    recent = VmRecent()
    op = Operation.new("h", "a", "web", "shutdown")
    recent.operation(op)
    recent.operation(op.running())
    assert recent.of("a") == []
    recent.operation(op.running().finish(OpState.TIMED_OUT, error="did not stop within 60s"))
    recent.operation(op.running().finish(OpState.SUCCEEDED))
    lines = recent.of("a")
    assert [ln.trouble for ln in lines] == [True, False]
    assert lines[0].text.startswith("shutdown timed out in ") and "did not stop" in lines[0].text
    recent.forget("a")
    assert recent.of("a") == []
