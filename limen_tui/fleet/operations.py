"""Operations: one action on one VM, from queued to its outcome, as the operations pane shows it."""

from __future__ import annotations

import enum
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from limen_tui.model.action_params import ActionParams, NoParams, as_record
from limen_tui.store.audit import AuditLog, AuditRecord


class OpState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUSED = "refused"
    """Never sent to libvirt: a read-only session, or the VM is in the wrong state."""
    TIMED_OUT = "timed out"
    """libvirt accepted the request but the confirming event did not come in time."""
    NOT_CONFIRMED = "not confirmed"
    """libvirt accepted the request; the guest may have ignored it (a reboot of a guest that
    ignores ACPI) and no event said it happened. Never counted as succeeded."""

    @property
    def finished(self) -> bool:
        return self not in (OpState.QUEUED, OpState.RUNNING)


_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Operation:
    id: int
    host: str
    uuid: str
    vm: str
    action: str
    params: ActionParams = field(default_factory=NoParams)
    state: OpState = OpState.QUEUED
    queued_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    note: str = ""
    error: str = ""
    batch: int | None = None
    """Operations started together by one bulk action share a batch id."""
    not_audited: str = ""
    """Why the audit log could not record this operation ("" when it did)."""

    @classmethod
    def new(
        cls,
        host: str,
        uuid: str,
        vm: str,
        action: str,
        params: ActionParams | None = None,
        *,
        batch: int | None = None,
    ) -> Operation:
        return cls(
            next(_ids),
            host,
            uuid,
            vm,
            action,
            params if params is not None else NoParams(),
            queued_at=time.time(),
            batch=batch,
        )

    def running(self) -> Operation:
        return replace(self, state=OpState.RUNNING, started_at=time.time())

    def finish(self, state: OpState, *, note: str = "", error: str = "") -> Operation:
        return replace(self, state=state, finished_at=time.time(), note=note, error=error)

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


@dataclass(frozen=True, slots=True)
class BatchSummary:
    batch: int
    action: str
    ok: int
    failed: int

    def __str__(self) -> str:
        text = f"{self.action}: {self.ok} ok"
        if self.failed:
            text += f", {self.failed} failed"
        return text


AuditSink = Callable[[Operation], None]
"""Receives every finished operation; raising means the audit log could not be written."""


def next_batch_id() -> int:
    return next(_ids)


_OUTCOME = {OpState.SUCCEEDED: "succeeded", OpState.REFUSED: "refused"}


def audit_to(log: AuditLog) -> AuditSink:
    """An AuditSink writing each finished operation to `log` (raises AuditError if it cannot)."""

    def write(op: Operation) -> None:
        # Timed out and not confirmed count as failed, with their reason.
        outcome = _OUTCOME.get(op.state, "failed")
        params = {**as_record(op.params), "operation": op.id}
        if op.batch is not None:
            params["batch"] = op.batch
        log.record(
            AuditRecord(
                time=op.started_at or op.queued_at,
                host=op.host,
                vm=op.vm or None,
                action=op.action,
                params=params,
                outcome=outcome,  # type: ignore[arg-type]
                error=op.error or None,
                duration_s=op.duration,
            )
        )

    return write
