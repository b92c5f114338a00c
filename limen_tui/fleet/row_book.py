"""The rows of one host, kept true while ticks and events arrive in any order. Pure.

Two sources describe the same VMs: a tick (one bulk stats call, sent at a known moment) and
libvirt's events (each the moment it happened). The rules:
- an event newer than a tick's bulk call knows the state better than that tick;
- `defined` adds a VM (shut off) or, with reason `renamed`, renames it;
- `undefined` removes a VM that is not running; a running one becomes transient;
- a transient VM that stops is gone;
- a tick's removals remove, a tick's rows replace, except a VM an event removed after the tick's
  bulk call was sent (the tick in flight while it went still lists it);
- a row the tick's full listing lacks is gone (a VM an event added and that vanished before
  any tick saw it), unless an event newer than the tick's bulk call speaks for it.

No thread, loop, clock or libvirt here: the caller passes the times, so the tests are exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from limen_tui.model import DomainEvent, DomainRow, PowerState

RowKey = tuple[str, str]
"""(host, uuid): how the table keys a row."""


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """What one event did to the book."""

    row: DomainRow | None
    """The VM's row after the event (None when it is gone, or the event names no known VM)."""
    removed: RowKey | None = None
    membership_changed: bool = False
    """The set of VMs changed (defined, undefined): the next tick re-reads flags."""


class RowBook:
    """One host's rows by uuid."""

    def __init__(self, host: str) -> None:
        self.host = host
        self._rows: dict[str, DomainRow] = {}
        self._event_states: dict[str, tuple[float, PowerState]] = {}
        self._event_at: dict[str, float] = {}
        """When the last lifecycle event of each VM came (a tick sent before it is older)."""
        self._gone_at: dict[str, float] = {}
        """When an event removed each VM (a tick sent before that cannot bring it back)."""

    @property
    def rows(self) -> Mapping[str, DomainRow]:
        return self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def adopt(self, rows: Iterable[DomainRow]) -> None:
        """Start from what is known already (the last known fleet), before the host answers."""
        self._rows = {r.uuid: r for r in rows}

    def apply_tick(
        self,
        started: float,
        changed: Iterable[DomainRow],
        removed: Iterable[str],
        present: frozenset[str] | None = None,
    ) -> tuple[list[DomainRow], list[RowKey]]:
        """A tick whose bulk call was sent at `started`; returns the rows to show and remove.
        `present`: every domain the bulk call listed, when it listed them all."""
        shown: list[DomainRow] = []
        skipped = False
        for row in changed:
            if self._gone_at.get(row.uuid, started) > started:
                skipped = True
                continue
            old = self._rows.get(row.uuid)
            if (
                old is not None
                and old.address is not None
                and row.address is None
                and row.state.is_active
            ):
                # Ticks know nothing of addresses: keep what the last ask found.
                row = replace(row, address=old.address, address_source=old.address_source)
            newer = self._event_states.get(row.uuid)
            if newer is not None and newer[0] > started and row.state != newer[1]:
                row = row.with_state(newer[1])
            self._rows[row.uuid] = row
            shown.append(row)
        # Events older than this tick are now reflected in it: forget them.
        self._event_states = {u: ts for u, ts in self._event_states.items() if ts[0] > started}
        self._event_at = {u: at for u, at in self._event_at.items() if at > started}
        self._gone_at = {u: at for u, at in self._gone_at.items() if at > started}
        gone: list[RowKey] = []
        # Every domain listed is a row now (a new one came in `changed`), so with as many rows
        # as listed none is unlisted: no walk over the whole fleet on every tick.
        if present is not None and (skipped or len(self._rows) != len(present)):
            unlisted = [u for u in self._rows if u not in present and u not in self._event_at]
            removed = [*removed, *unlisted]
        for uuid in removed:
            if self._rows.pop(uuid, None) is not None:
                gone.append((self.host, uuid))
        return shown, gone

    def set_address(self, uuid: str, address: str, source: str | None) -> DomainRow | None:
        """What an ask of the VM's address found ("" none); the row when it changed."""
        row = self._rows.get(uuid)
        if row is None or not row.state.is_active:
            return None
        if row.address == address and row.address_source == source:
            return None
        row = replace(row, address=address, address_source=source)
        self._rows[uuid] = row
        return row

    def apply_event(self, event: DomainEvent, at: float) -> EventOutcome:
        """An event that happened at `at` (same clock as the ticks' `started`)."""
        if event.kind != "lifecycle":
            return EventOutcome(None)
        self._event_at[event.uuid] = at
        if event.state is not None:
            self._event_states[event.uuid] = (at, event.state)
        membership = event.event in ("defined", "undefined")
        row = self._rows.get(event.uuid)
        removed: RowKey | None = None
        if row is None:
            if event.event == "defined":
                row = DomainRow(
                    host=self.host,
                    uuid=event.uuid,
                    name=event.name,
                    state=PowerState.SHUTOFF,
                    persistent=True,
                )
        elif event.event == "undefined":
            if row.state.is_active:
                row = replace(row, persistent=False)
            else:
                row, removed = None, (self.host, event.uuid)
        elif event.event == "defined":
            row = replace(row, persistent=True)
            if event.reason == "renamed":
                row = replace(row, name=event.name)
        elif event.state is not None:
            if event.state == PowerState.SHUTOFF and row.persistent is False:
                row, removed = None, (self.host, event.uuid)  # a transient VM is gone
            else:
                row = row.with_state(event.state)
        if row is not None:
            self._rows[event.uuid] = row
            self._gone_at.pop(event.uuid, None)
        elif removed is not None:
            self._rows.pop(event.uuid, None)
            self._event_states.pop(event.uuid, None)
            self._event_at.pop(event.uuid, None)
            self._gone_at[event.uuid] = at
        return EventOutcome(row, removed, membership)
