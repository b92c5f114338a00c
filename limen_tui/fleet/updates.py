"""What the fleet tells its consumer (the UI, the CLI, a test), named as things that happened.

These values are posted to the consumer as they are: the UI has no twin message types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from limen_tui.fleet.noisy import NoisyEpisode
from limen_tui.fleet.operations import BatchSummary, Operation
from limen_tui.fleet.self_cost import RefreshPaced
from limen_tui.hosts.monitor import (
    HealthAlertCleared,
    HealthAlertRaised,
    HealthStateChanged,
    HealthUpdated,
)
from limen_tui.model import DomainEvent, DomainRow, HostStatus
from limen_tui.virt.collector import Tick


@dataclass(frozen=True, slots=True)
class HostStatusChanged:
    status: HostStatus


@dataclass(frozen=True, slots=True)
class DomainsRefreshed:
    host: str
    changed: list[DomainRow]
    removed: list[tuple[str, str]]
    tick: Tick


@dataclass(frozen=True, slots=True)
class DomainEventArrived:
    event: DomainEvent
    row: DomainRow | None = None
    removed: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class OperationChanged:
    operation: Operation


@dataclass(frozen=True, slots=True)
class BatchFinished:
    summary: BatchSummary


FleetUpdate = (
    HostStatusChanged
    | DomainsRefreshed
    | DomainEventArrived
    | OperationChanged
    | BatchFinished
    | HealthUpdated
    | HealthStateChanged
    | HealthAlertRaised
    | HealthAlertCleared
    | NoisyEpisode
    | RefreshPaced
)
Publish = Callable[[FleetUpdate], None]
"""Called on the consumer's loop only."""
