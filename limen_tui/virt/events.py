"""libvirt domain events turned into DomainEvent facts, in words.

Callbacks run on the libvirt event thread; they only build a DomainEvent and hand it to a
thread-safe sink.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import libvirt

from limen_tui.model import DomainEvent, EventKind, PowerState
from limen_tui.virt.calls import CallCounter

log = logging.getLogger(__name__)

EventSink = Callable[[DomainEvent], None]

# virDomainEventType -> (word, state it leaves the VM in, reasons by detail code)
LIFECYCLE: dict[int, tuple[str, PowerState | None, tuple[str, ...]]] = {
    0: ("defined", None, ("added", "updated", "renamed", "from snapshot")),
    1: ("undefined", None, ("removed", "renamed")),
    2: (
        "started",
        PowerState.RUNNING,
        ("booted", "migrated", "restored", "from snapshot", "wakeup"),
    ),
    3: (
        "suspended",
        PowerState.PAUSED,
        (
            "paused",
            "migrated",
            "I/O error",
            "watchdog",
            "restored",
            "from snapshot",
            "API error",
            "postcopy",
            "postcopy failed",
        ),
    ),
    4: (
        "resumed",
        PowerState.RUNNING,
        ("unpaused", "migrated", "from snapshot", "postcopy", "postcopy failed"),
    ),
    5: (
        "stopped",
        PowerState.SHUTOFF,
        ("shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from snapshot"),
    ),
    6: ("shutdown", None, ("finished", "by guest", "by host")),
    7: ("pmsuspended", PowerState.PMSUSPENDED, ("memory", "disk")),
    8: ("crashed", PowerState.CRASHED, ("panicked", "crashloaded")),
}

AGENT_STATES = {1: "connected", 2: "disconnected"}
AGENT_REASONS = {0: "", 1: "domain started", 2: "channel event"}
METADATA_TYPES = {0: "description", 1: "title", 2: "element"}
TRAY_MOVES = {0: "opened", 1: "closed"}


def lifecycle_event(host: str, uuid: str, name: str, event: int, detail: int) -> DomainEvent:
    word, state, reasons = LIFECYCLE.get(event, (f"event {event}", None, ()))
    reason = reasons[detail] if 0 <= detail < len(reasons) else f"detail {detail}"
    return DomainEvent(
        time=time.time(),
        host=host,
        uuid=uuid,
        name=name,
        kind="lifecycle",
        event=word,
        reason=reason,
        state=state,
    )


def _simple(host: str, dom: Any, kind: EventKind, event: str, reason: str = "") -> DomainEvent:
    return DomainEvent(
        time=time.time(),
        host=host,
        uuid=dom.UUIDString(),
        name=dom.name(),
        kind=kind,
        event=event,
        reason=reason,
    )


def subscribe(
    conn: libvirt.virConnect, host: str, sink: EventSink, calls: CallCounter
) -> tuple[list[int], list[str]]:
    """Register every domain event the driver supports; returns (callback ids, unsupported)."""

    def on_lifecycle(_c: Any, dom: Any, event: int, detail: int, _o: Any) -> None:
        sink(lifecycle_event(host, dom.UUIDString(), dom.name(), event, detail))

    def on_reboot(_c: Any, dom: Any, _o: Any) -> None:
        sink(_simple(host, dom, "reboot", "rebooted"))

    def on_agent(_c: Any, dom: Any, state: int, reason: int, _o: Any) -> None:
        word = AGENT_STATES.get(state, str(state))
        sink(_simple(host, dom, "agent", f"agent {word}", AGENT_REASONS.get(reason, "")))

    def on_job(_c: Any, dom: Any, params: dict[str, Any], _o: Any) -> None:
        op = params.get("operation")
        sink(_simple(host, dom, "job", "job completed", f"operation {op}" if op else ""))

    def on_metadata(_c: Any, dom: Any, mtype: int, nsuri: str | None, _o: Any) -> None:
        what = METADATA_TYPES.get(mtype, str(mtype))
        sink(_simple(host, dom, "metadata", "metadata changed", nsuri or what))

    def on_device_added(_c: Any, dom: Any, alias: str, _o: Any) -> None:
        sink(_simple(host, dom, "device", "device added", alias))

    def on_device_removed(_c: Any, dom: Any, alias: str, _o: Any) -> None:
        sink(_simple(host, dom, "device", "device removed", alias))

    def on_removal_failed(_c: Any, dom: Any, alias: str, _o: Any) -> None:
        sink(_simple(host, dom, "device", "device removal failed", alias))

    def on_tray(_c: Any, dom: Any, alias: str, reason: int, _o: Any) -> None:
        sink(_simple(host, dom, "tray", f"tray {TRAY_MOVES.get(reason, str(reason))}", alias))

    wanted: list[tuple[str, int, Callable[..., None]]] = [
        ("lifecycle", libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_lifecycle),
        ("reboot", libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, on_reboot),
        ("agent lifecycle", libvirt.VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE, on_agent),
        ("job completed", libvirt.VIR_DOMAIN_EVENT_ID_JOB_COMPLETED, on_job),
        ("metadata change", libvirt.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE, on_metadata),
        ("device added", libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, on_device_added),
        ("device removed", libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, on_device_removed),
        (
            "device removal failed",
            libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED,
            on_removal_failed,
        ),
        ("tray change", libvirt.VIR_DOMAIN_EVENT_ID_TRAY_CHANGE, on_tray),
    ]
    ids: list[int] = []
    unsupported: list[str] = []
    for label, event_id, callback in wanted:
        calls.record("domainEventRegisterAny")
        try:
            ids.append(conn.domainEventRegisterAny(None, event_id, callback, None))
        except libvirt.libvirtError as exc:
            log.debug("%s: no %s events: %s", host, label, exc)
            unsupported.append(label)
    return ids, unsupported
