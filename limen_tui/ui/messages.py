"""Textual messages carrying the fleet's updates to the widgets, named as things that happened."""

from __future__ import annotations

from textual.message import Message

from limen_tui.fleet.updates import (
    BatchFinished,
    DomainEventArrived,
    DomainsRefreshed,
    HostStatusChanged,
    OperationChanged,
)
from limen_tui.hosts.monitor import HealthUpdate
from limen_tui.logs.buffer import LogLine


class HostStatusUpdated(Message):
    def __init__(self, update: HostStatusChanged) -> None:
        super().__init__()
        self.update = update


class DomainsUpdated(Message):
    def __init__(self, update: DomainsRefreshed) -> None:
        super().__init__()
        self.update = update


class DomainEventReceived(Message):
    def __init__(self, update: DomainEventArrived) -> None:
        super().__init__()
        self.update = update


class OperationUpdated(Message):
    def __init__(self, update: OperationChanged) -> None:
        super().__init__()
        self.update = update


class BatchSummarised(Message):
    def __init__(self, update: BatchFinished) -> None:
        super().__init__()
        self.update = update


class HealthChanged(Message):
    def __init__(self, update: HealthUpdate) -> None:
        super().__init__()
        self.update = update


class OwnLogLine(Message):
    def __init__(self, line: LogLine) -> None:
        super().__init__()
        self.line = line
