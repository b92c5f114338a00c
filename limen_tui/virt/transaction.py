"""Multi-step libvirt changes that undo themselves when a step fails. Blocking: call from a worker.

Creating or cloning a VM touches libvirt several times (a volume, a domain
definition, a start). Each step that succeeds registers how to undo it; when a
later step fails, the undos run in reverse order and the caller gets one
:class:`ProvisionError` saying which step failed, libvirt's reason in plain
words, what was rolled back and what (if anything) is left behind.

Undos stop at the first one that fails: a VM that could not be destroyed must
keep its definition and its disk, or the operator is left with a running guest
whose disk was deleted underneath it. Everything not undone is listed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import libvirt

from limen_tui.virt.connection import describe_error

STEP_CHECK = "check"
"""The pseudo-step for refusals before anything is changed (bad input, wrong state)."""

_UNDEFINE_FLAGS = (
    libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
    | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
    | libvirt.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA
    | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM
)


class InjectedFailure(RuntimeError):
    """The deliberate failure raised by the ``fail_at`` test hook."""

    def __init__(self, step: str) -> None:
        super().__init__(f"deliberate failure injected at step '{step}' (test hook)")
        self.step = step


@dataclass(eq=False)
class ProvisionError(Exception):
    """A create or clone that failed, after rolling back what it had done.

    ``step`` is the step that failed (``"check"`` when the request was refused
    before anything was changed; ``errors`` then lists every reason).
    ``rolled_back`` lists what was undone, in the order it was undone;
    ``left_behind`` lists what could not be undone (each with its reason).
    """

    operation: str
    vm_name: str
    step: str
    reason: str
    rolled_back: list[str] = field(default_factory=list)
    left_behind: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds per step attempted, and for the rollback (``"rollback"``)."""

    def __post_init__(self) -> None:
        super().__init__(self.summary)

    @property
    def clean(self) -> bool:
        """Whether the host is as it was before the attempt."""
        return not self.left_behind

    @property
    def summary(self) -> str:
        head = f"Could not {self.operation} VM '{self.vm_name}'"
        if self.step == STEP_CHECK:
            return f"{head}: {self.reason} Nothing was changed."
        text = f"{head}: step '{self.step}' failed: {self.reason}."
        if self.rolled_back:
            text += " Rolled back: " + "; ".join(self.rolled_back) + "."
        if self.left_behind:
            text += " Could not roll back: " + "; ".join(self.left_behind) + "."
        else:
            text += " Nothing was left behind."
        return text

    def __str__(self) -> str:
        return self.summary


@dataclass
class _Undo:
    done: str
    """What the step did, e.g. ``created volume 'web.qcow2' in pool 'default'``."""
    undone: str
    """What undoing it did, e.g. ``deleted volume 'web.qcow2'``."""
    undo: Callable[[], None]


class Transaction:
    """Runs named steps; on the first failure rolls back and raises :class:`ProvisionError`.

    ``steps`` are the step names this run will go through; ``fail_at`` (a test
    hook) must be one of them and makes that step raise :class:`InjectedFailure`
    before it does anything.
    """

    def __init__(
        self, operation: str, vm_name: str, steps: Sequence[str], fail_at: str | None = None
    ) -> None:
        if fail_at is not None and fail_at not in steps:
            raise ValueError(
                f"fail_at {fail_at!r} is not a step of this {operation}; "
                f"its steps are: {', '.join(steps)}"
            )
        self.operation = operation
        self.vm_name = vm_name
        self.fail_at = fail_at
        self.timings: dict[str, float] = {}
        self._undos: list[_Undo] = []

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            if name == self.fail_at:
                raise InjectedFailure(name)
            yield
        except Exception as exc:
            self.timings[name] = time.perf_counter() - started
            raise self.fail(name, exc) from exc
        self.timings[name] = time.perf_counter() - started

    def on_rollback(self, done: str, undone: str, undo: Callable[[], None]) -> None:
        """Register how to undo what the current step just did."""
        self._undos.append(_Undo(done, undone, undo))

    def fail(self, step: str, exc: BaseException) -> ProvisionError:
        """Roll back everything registered so far; the error to raise."""
        started = time.perf_counter()
        rolled_back: list[str] = []
        left_behind: list[str] = []
        pending = list(reversed(self._undos))
        self._undos.clear()
        for i, item in enumerate(pending):
            try:
                item.undo()
            except Exception as undo_exc:
                left_behind.append(f"{item.done} ({describe_error(undo_exc)})")
                left_behind.extend(
                    f"{later.done} (kept because the rollback above failed)"
                    for later in pending[i + 1 :]
                )
                break
            rolled_back.append(item.undone)
        self.timings["rollback"] = time.perf_counter() - started
        return ProvisionError(
            operation=self.operation,
            vm_name=self.vm_name,
            step=step,
            reason=describe_error(exc).rstrip("."),
            rolled_back=rolled_back,
            left_behind=left_behind,
            timings=dict(self.timings),
        )


def refuse(operation: str, vm_name: str, errors: list[str]) -> ProvisionError:
    """A refusal before anything was changed."""
    return ProvisionError(
        operation=operation,
        vm_name=vm_name,
        step=STEP_CHECK,
        reason=" ".join(errors),
        errors=list(errors),
    )


# ------------------------------------------------------------------- undo actions


def _code(exc: libvirt.libvirtError) -> int:
    return int(exc.get_error_code())


def delete_volume(vol: libvirt.virStorageVol) -> None:
    """Delete a volume this transaction created; one already gone counts as deleted."""
    try:
        vol.delete(0)
    except libvirt.libvirtError as exc:
        if _code(exc) != libvirt.VIR_ERR_NO_STORAGE_VOL:
            raise


def destroy_domain(dom: libvirt.virDomain) -> None:
    """Force a domain off; one that is already off counts as done."""
    try:
        dom.destroy()
    except libvirt.libvirtError as exc:
        if _code(exc) not in (libvirt.VIR_ERR_OPERATION_INVALID, libvirt.VIR_ERR_NO_DOMAIN):
            raise


def undefine_domain(dom: libvirt.virDomain) -> None:
    """Remove a domain this transaction defined, with its NVRAM, saves and metadata.

    A domain still running (a start that failed half-way) is destroyed first, so
    undefining cannot leave a transient guest on a disk about to be deleted.
    """
    try:
        if dom.isActive():
            destroy_domain(dom)
        try:
            dom.undefineFlags(_UNDEFINE_FLAGS)
        except libvirt.libvirtError as exc:
            # Older daemons reject flags they do not know (checkpoints, NVRAM).
            if _code(exc) not in (libvirt.VIR_ERR_INVALID_ARG, libvirt.VIR_ERR_NO_SUPPORT):
                raise
            dom.undefine()
    except libvirt.libvirtError as exc:
        if _code(exc) != libvirt.VIR_ERR_NO_DOMAIN:
            raise
