"""A change to a storage pool, a volume or a network: the call, and how libvirt confirms it.

libvirt sends lifecycle events for pools (defined, started, stopped, ...) and a refresh event,
and lifecycle events for networks. Volumes, autostart flags and a network's DHCP hosts have no
event: those changes are confirmed by reading libvirt back after the call (`read_back`).
Callbacks run on the libvirt event thread and only hand the word on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import libvirt

from limen_tui.virt.calls import CallCounter

log = logging.getLogger(__name__)

POOL_EVENTS = {0: "defined", 1: "undefined", 2: "started", 3: "stopped", 4: "created", 5: "deleted"}
NETWORK_EVENTS = {0: "defined", 1: "undefined", 2: "started", 3: "stopped"}


class Refused(Exception):
    """The change cannot be made now (a VM uses the volume); nothing was sent to libvirt."""


@dataclass(frozen=True, slots=True)
class Confirm:
    """The event that confirms a change: `event` on the pool or network named `name`."""

    on: Literal["pool", "network"]
    name: str
    event: str


@dataclass(frozen=True, slots=True)
class ResourceChange:
    call: Callable[[libvirt.virConnect], str]
    """Makes the change (blocking); returns what was done, in words. Raises Refused when it
    must not be made."""
    confirm: Confirm | None = None
    read_back: Callable[[libvirt.virConnect], str] | None = None
    """With no event: reads libvirt back and says what it saw; raises when it is not so."""


def watch(
    conn: libvirt.virConnect, confirm: Confirm, arrived: Callable[[str], None], calls: CallCounter
) -> Callable[[], None]:
    """Call `arrived(word)` (on the libvirt event thread) when the confirming event for
    `confirm.name` comes; returns the call that ends the watch (blocking: run it in a worker)."""

    def on_lifecycle(_c: Any, obj: Any, event: int, _detail: int, _o: Any) -> None:
        words = POOL_EVENTS if confirm.on == "pool" else NETWORK_EVENTS
        if obj.name() == confirm.name:
            arrived(words.get(event, f"event {event}"))

    def on_refresh(_c: Any, obj: Any, _o: Any) -> None:
        if obj.name() == confirm.name:
            arrived("refreshed")

    if confirm.on == "pool":
        calls.record("storagePoolEventRegisterAny")
        if confirm.event == "refreshed":
            cid = conn.storagePoolEventRegisterAny(
                None, libvirt.VIR_STORAGE_POOL_EVENT_ID_REFRESH, on_refresh, None
            )
        else:
            cid = conn.storagePoolEventRegisterAny(
                None, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, on_lifecycle, None
            )

        def end() -> None:
            conn.storagePoolEventDeregisterAny(cid)

        return end
    calls.record("networkEventRegisterAny")
    nid = conn.networkEventRegisterAny(
        None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, on_lifecycle, None
    )

    def end_network() -> None:
        conn.networkEventDeregisterAny(nid)

    return end_network
