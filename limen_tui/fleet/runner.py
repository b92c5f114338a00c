"""Runs one host's actions: refuse what cannot run, call libvirt in a worker, wait for the event.

Every operation ends: succeeded only when its confirming event came (or the call's return is
the outcome), otherwise failed, refused, timed out or not confirmed (libvirt took the request,
no event showed it happened), with the reason, and always audited. Any
exception, expected or not, finishes the operation as failed with the exception's words.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial

import libvirt

from limen_tui.config.settings import Settings
from limen_tui.fleet.cache_policy import invalidated_by_action
from limen_tui.fleet.errors import explain
from limen_tui.fleet.host_store import HostStore
from limen_tui.fleet.operations import AuditSink, Operation, OpState
from limen_tui.fleet.registry import ACTIONS, ActionSpec
from limen_tui.fleet.workers import HostWorkers
from limen_tui.model import DomainEvent, DomainRow, LinkState
from limen_tui.model.device_change import DeviceChange, Expect
from limen_tui.virt.actions import RUN
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.change_actions import CHANGE
from limen_tui.virt.changes import Refused, ResourceChange, watch

log = logging.getLogger("limen_tui.fleet")

Waiter = tuple[frozenset[str], "asyncio.Future[DomainEvent]"]


class Heard:
    """Every event of one VM from before a change's call on: the call names the event that
    confirms it only when it returns, and the event may arrive first."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []
        self._new = asyncio.Event()

    def add(self, event: DomainEvent) -> None:
        self.events.append(event)
        self._new.set()

    async def first(self, wanted: tuple[Expect, ...], limit: float) -> DomainEvent | None:
        """The first event heard that one of `wanted` matches, waiting up to `limit` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        seen = 0
        while True:
            for event in self.events[seen:]:
                if any(w.matches(event) for w in wanted):
                    return event
            seen = len(self.events)
            self._new.clear()
            left = deadline - loop.time()
            if left <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), left)


class ActionRunner:
    def __init__(
        self,
        key: str,
        settings: Settings,
        workers: HostWorkers,
        calls: CallCounter,
        store: HostStore,
        report: Callable[[Operation], None],
        conn: Callable[[], libvirt.virConnect | None],
        state: Callable[[], tuple[LinkState, str]],
        rows: Callable[[], Mapping[str, DomainRow]],
        changed_flags: Callable[[], None],
    ) -> None:
        self.key, self.settings = key, settings
        self._workers, self._calls, self._store = workers, calls, store
        self._report_fn, self._conn, self._state, self._rows = report, conn, state, rows
        self._changed_flags = changed_flags
        self.audit: AuditSink | None = None
        self._waiters: dict[str, list[Waiter]] = {}
        self._heard: dict[str, list[Heard]] = {}

    # -- events ------------------------------------------------------------------------------

    def event_arrived(self, event: DomainEvent) -> None:
        for heard in self._heard.get(event.uuid, []):
            heard.add(event)
        if event.kind not in ("lifecycle", "reboot"):
            return
        word = "reboot" if event.kind == "reboot" else event.event
        for words, future in self._waiters.get(event.uuid, []):
            if word in words and not future.done():
                future.set_result(event)

    def _expect(self, uuid: str, words: frozenset[str]) -> asyncio.Future[DomainEvent]:
        future: asyncio.Future[DomainEvent] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(uuid, []).append((words, future))
        return future

    def _forget(self, uuid: str, future: asyncio.Future[DomainEvent] | None) -> None:
        if future is None:
            return
        waiting = [w for w in self._waiters.get(uuid, []) if w[1] is not future]
        if waiting:
            self._waiters[uuid] = waiting
        else:
            self._waiters.pop(uuid, None)

    # -- outcomes ----------------------------------------------------------------------------

    def _report(self, op: Operation) -> Operation:
        self._report_fn(op)
        return op

    async def _final(self, op: Operation) -> Operation:
        """Record a finished operation in the audit log (on the store thread), then show it."""
        if op.uuid and op.state is not OpState.REFUSED:
            self._store.invalidate(op.uuid, invalidated_by_action(op.action))
        if op.action in ("create", "clone", "delete"):
            self._store.invalidate("", ("pools",))
        if self.audit is not None:
            audit = self.audit
            try:
                await self._store.thread.run(partial(audit, op))
            except Exception as exc:  # an action must never go unaudited without a word
                why = explain(exc)
                note = f"NOT AUDITED: {why}"
                op = replace(op, error=f"{op.error}; {note}" if op.error else note, not_audited=why)
        return self._report(op)

    def _refusal(self, op: Operation) -> Operation | None:
        """The operation finished with why it cannot run now, or None when it may run."""
        if self.settings.readonly:
            return op.finish(OpState.REFUSED, error="read-only session: nothing can be changed")
        state, reason = self._state()
        if self._conn() is None or state is not LinkState.LIVE:
            return op.finish(
                OpState.REFUSED,
                error=f"{self.key} is {state.value}{f' ({reason})' if reason else ''}: "
                "nothing was sent; try again when it is live",
            )
        spec = ACTIONS.get(op.action)
        row = self._rows().get(op.uuid)
        if spec is None or row is None:
            return None
        if spec.needs == "running" and not row.state.is_active:
            return op.finish(OpState.REFUSED, error=f"{row.name} is {row.state.value}")
        if spec.needs == "shut off" and row.state.is_active:
            why = "shut it off first" if spec.id == "rename" else ""
            error = f"{row.name} is {'' if why else 'already '}{row.state.value}"
            return op.finish(OpState.REFUSED, error=f"{error}; {why}" if why else error)
        return None

    # -- running -----------------------------------------------------------------------------

    async def perform(self, op: Operation, gate: asyncio.Semaphore | None = None) -> Operation:
        """Run one action on one VM and wait for libvirt's event that confirms it."""
        self._report(op)
        async with gate or contextlib.nullcontext():
            refusal = self._refusal(op)
            if refusal is not None:
                return await self._final(refusal)
            op = self._report(op.running())
            try:
                return await self._final(await self._run(op, ACTIONS[op.action]))
            except Exception as exc:  # whatever went wrong, the operation ends and is audited
                log.exception("%s: %s on %s failed", self.key, op.action, op.vm)
                return await self._final(op.finish(OpState.FAILED, error=explain(exc)))

    async def _run(self, op: Operation, spec: ActionSpec) -> Operation:
        if spec.confirms_change:
            return await self._run_change(op, spec)
        conn, calls, run = self._conn(), self._calls, RUN[spec.id]
        if conn is None:
            return op.finish(OpState.FAILED, error="host is not live")
        words = frozenset(spec.confirms | spec.refuted_by)
        waiter = self._expect(op.uuid, words) if spec.confirms else None
        uuid, params = op.uuid, op.params

        def work() -> str:
            dom = conn.lookupByUUIDString(uuid)
            calls.record(f"action {spec.id}")
            return run(dom, params)

        limit = self.settings.confirm_timeout
        try:
            note = await self._workers.call(work, limit)
        except TimeoutError:
            self._forget(uuid, waiter)
            return op.finish(OpState.FAILED, error=f"libvirt did not answer within {limit:.0f}s")
        except BaseException:
            self._forget(uuid, waiter)
            raise
        if spec.rereads_flags:
            self._changed_flags()
        if waiter is None:
            return op.finish(OpState.SUCCEEDED, note=note)
        if spec.id == "shutdown":
            limit = self.settings.shutdown_timeout
        try:
            event = await asyncio.wait_for(asyncio.shield(waiter), limit)
        except TimeoutError:
            if spec.optional_confirm:
                return op.finish(
                    OpState.NOT_CONFIRMED,
                    error=f"{note}, but the guest showed no {spec.label.lower()} within "
                    f"{limit:.0f}s" + (" (it may ignore ACPI)" if spec.id == "reboot" else ""),
                )
            what = (
                f"the guest did not stop within {limit:.0f}s (it may ignore ACPI); force off?"
                if spec.id == "shutdown"
                else f"{note}, but libvirt reported no outcome within {limit:.0f}s"
            )
            return op.finish(OpState.TIMED_OUT, error=what)
        finally:
            self._forget(uuid, waiter)
        reason = f", {event.reason}" if event.reason else ""
        if event.event in spec.refuted_by:
            return op.finish(
                OpState.NOT_CONFIRMED,
                error=f"{note}, but the guest {event.event} instead (libvirt: {event.event}"
                f"{reason})",
            )
        return op.finish(OpState.SUCCEEDED, note=f"{note} (libvirt: {event.event}{reason})")

    async def _run_change(self, op: Operation, spec: ActionSpec) -> Operation:
        """A device or XML change: the call says which event confirms it; wait for that one."""
        conn, calls, run = self._conn(), self._calls, CHANGE[spec.id]
        if conn is None:
            return op.finish(OpState.FAILED, error="host is not live")
        uuid, params, limit = op.uuid, op.params, self.settings.confirm_timeout
        heard = Heard()
        self._heard.setdefault(uuid, []).append(heard)

        def work() -> DeviceChange:
            dom = conn.lookupByUUIDString(uuid)
            calls.record(f"action {spec.id}")
            return run(dom, params)

        try:
            try:
                change = await self._workers.call(work, limit)
            except TimeoutError:
                return op.finish(
                    OpState.FAILED, error=f"libvirt did not answer within {limit:.0f}s"
                )
            if change.expect is None:
                return op.finish(OpState.SUCCEEDED, note=change.note)
            wanted = (change.expect, *((change.refuted_by,) if change.refuted_by else ()))
            event = await heard.first(wanted, limit)
        finally:
            left = [h for h in self._heard.get(uuid, []) if h is not heard]
            if left:
                self._heard[uuid] = left
            else:
                self._heard.pop(uuid, None)
        if event is None:
            why = f"; {change.unconfirmed}" if change.unconfirmed else ""
            return op.finish(
                OpState.NOT_CONFIRMED,
                error=f"{change.note}, but libvirt sent no {change.expect.words} within "
                f"{limit:.0f}s{why}",
            )
        said = f"{event.event}{f' {event.reason}' if event.reason else ''}"
        if change.refuted_by is not None and change.refuted_by.matches(event):
            return op.finish(OpState.FAILED, error=f"{change.note}, but libvirt said: {said}")
        return op.finish(OpState.SUCCEEDED, note=f"{change.note} (libvirt: {said})")

    async def perform_on_host(
        self, op: Operation, work: Callable[[libvirt.virConnect], str], limit: float = 300.0
    ) -> Operation:
        """An operation that is not on an existing VM (create, clone): same pane, same audit."""
        self._report(op)
        refusal = self._refusal(op)
        conn = self._conn()
        if refusal is not None or conn is None:
            return await self._final(refusal or op.finish(OpState.FAILED, error="not live"))
        op = self._report(op.running())
        self._calls.record(f"action {op.action}")
        try:
            note = await self._workers.call(lambda: work(conn), limit)
        except TimeoutError:
            return await self._final(
                op.finish(OpState.FAILED, error=f"no answer within {limit:.0f}s")
            )
        except Exception as exc:
            return await self._final(op.finish(OpState.FAILED, error=explain(exc)))
        self._changed_flags()
        return await self._final(op.finish(OpState.SUCCEEDED, note=note))

    async def perform_change(self, op: Operation, change: ResourceChange) -> Operation:
        """A change to a pool, volume or network: succeeded only when libvirt's pool or
        network event came, or (where libvirt has no event for it) when reading libvirt back
        after the call showed the change; audited like every action."""
        self._report(op)
        refusal = self._refusal(op)
        conn = self._conn()
        if refusal is not None or conn is None:
            return await self._final(refusal or op.finish(OpState.FAILED, error="not live"))
        op = self._report(op.running())
        try:
            op = await self._change(op, conn, change)
        except Refused as exc:
            op = op.finish(OpState.REFUSED, error=f"{exc}; nothing was sent")
        except Exception as exc:  # whatever went wrong, the operation ends and is audited
            op = op.finish(OpState.FAILED, error=explain(exc))
        self._store.invalidate("", ("pools", "networks"))
        return await self._final(op)

    async def _change(
        self, op: Operation, conn: libvirt.virConnect, change: ResourceChange
    ) -> Operation:
        limit, calls = self.settings.confirm_timeout, self._calls
        confirm = change.confirm
        loop = asyncio.get_running_loop()
        seen: asyncio.Future[str] = loop.create_future()
        end_watch: Callable[[], None] | None = None

        def settle(word: str) -> None:
            if not seen.done():
                seen.set_result(word)

        def arrived(word: str) -> None:  # libvirt event thread
            if confirm is not None and word == confirm.event:
                loop.call_soon_threadsafe(settle, word)

        if confirm is not None:
            end_watch = await self._workers.call(lambda: watch(conn, confirm, arrived, calls))
        try:
            calls.record(f"action {op.action}")
            try:
                note = await self._workers.call(lambda: change.call(conn), limit)
            except TimeoutError:
                error = f"libvirt did not answer within {limit:.0f}s"
                return op.finish(OpState.FAILED, error=error)
            if confirm is None:
                read_back = change.read_back
                if read_back is None:
                    return op.finish(OpState.SUCCEEDED, note=note)
                seen_back = await self._workers.call(lambda: read_back(conn))
                return op.finish(OpState.SUCCEEDED, note=f"{note} ({seen_back})")
            try:
                word = await asyncio.wait_for(asyncio.shield(seen), limit)
            except TimeoutError:
                return op.finish(
                    OpState.TIMED_OUT,
                    error=f"{note}, but libvirt reported no {confirm.event} event within "
                    f"{limit:.0f}s",
                )
            return op.finish(OpState.SUCCEEDED, note=f"{note} (libvirt: {word})")
        finally:
            if end_watch is not None:
                self._workers.later(end_watch)
