"""What a device change asked of libvirt, and which event will show that it happened.

A device change's outcome depends on the VM (live or only in the persistent config, which
alias the device has), so the call says which event confirms it; the runner waits for that.
"""

from __future__ import annotations

from dataclasses import dataclass

from limen_tui.model import DomainEvent, EventKind


class DeviceRefused(Exception):
    """The change cannot be made as asked; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class Expect:
    """An event that confirms (or refutes) a change: its kind, word and device alias."""

    kind: EventKind
    event: str = ""
    """The event's word ("device added"); "" for any event of that kind."""
    alias: str = ""
    """The device's alias (the event's reason); "" for any."""

    def matches(self, event: DomainEvent) -> bool:
        return (
            event.kind == self.kind
            and (not self.event or event.event == self.event)
            and (not self.alias or event.reason == self.alias)
        )

    @property
    def words(self) -> str:
        what = self.event or f"{self.kind} event"
        return f"{what} for {self.alias}" if self.alias else what


@dataclass(frozen=True, slots=True)
class DeviceChange:
    note: str
    """What libvirt accepted, for the operations pane."""
    expect: Expect | None
    """The event that confirms it; None: nothing was changed, nothing to wait for."""
    refuted_by: Expect | None = None
    """An event that says it failed after all (the guest refused to release a device)."""
    unconfirmed: str = ""
    """What it means when the event does not come."""
