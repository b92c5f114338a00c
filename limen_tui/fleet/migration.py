"""One VM moving from one host of the fleet to another: checked first, watched, abortable,
and succeeded only when both hosts' events said so.

1. Checks: the source says what the VM needs, the destination what it offers (each read in
   its own host's workers); any sentence from fleet/migration_checks.py refuses the operation
   and nothing starts.
2. The call: `migrateToURI3` (peer to peer: the source's daemon talks to the destination's)
   blocks for the whole transfer, so it runs in the source's migration workers, never in the
   pool that serves its ticks.
3. Progress: libvirt's job stats, one call in flight at a time, about every second, in the
   source's own workers; each sample feeds the convergence watch.
4. Outcome: the source's "stopped (migrated)" and the destination's "resumed (migrated)" (or
   "defined" for an offline move) must both arrive; an abort or a failure ends with where the
   VM runs now, asked of the source.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import libvirt

from limen_tui.fleet.cache_policy import invalidated_by_action
from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.fleet.migration_checks import DEFAULT_RESERVE, check
from limen_tui.fleet.migration_progress import ConvergenceWatch, JobProgress, Verdict
from limen_tui.fleet.migration_progress import progress_from_stats as _progress
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.model import DomainEvent, DomainRow, LinkState
from limen_tui.model.action_params import Migrate
from limen_tui.virt import migration as virt

log = logging.getLogger("limen_tui.fleet")

POLL_INTERVAL = 1.0
SAMPLES_KEPT = 600
"""Ten minutes of samples at one a second: the migration view's graph, bounded."""


class Migration:
    """One migration; `run()` it once, `abort()` it at any moment, read `progress`/`verdict`."""

    def __init__(
        self,
        source: Host,
        dest: Host,
        row: DomainRow,
        params: Migrate,
        *,
        batch: int | None = None,
        reserve_bytes: int = DEFAULT_RESERVE,
        poll_interval: float = POLL_INTERVAL,
        converge_iterations: int = 3,
        on_change: Callable[[Migration], None] | None = None,
    ) -> None:
        self.source, self.dest, self.params = source, dest, params
        self.op = Operation.new(source.key, row.uuid, row.name, "migrate", params, batch=batch)
        self.reserve_bytes, self.poll_interval = reserve_bytes, poll_interval
        self.watch = ConvergenceWatch(params, converge_iterations)
        self.progress: JobProgress | None = None
        self.samples: collections.deque[tuple[float, JobProgress]] = collections.deque(
            maxlen=SAMPLES_KEPT
        )
        self.problems: list[str] = []
        """The failed checks, one sentence each (the operation was refused)."""
        self.events: list[DomainEvent] = []
        """This VM's events on both hosts since the migration started."""
        self.call_seconds: float | None = None
        """How long libvirt's migrate call took (the console's own time is the rest)."""
        self._on_change = on_change
        self._aborting = False
        self._call: asyncio.Future[None] | None = None
        self._active = row.state.is_active

    @property
    def verdict(self) -> Verdict:
        return self.watch.verdict

    @property
    def uuid(self) -> str:
        return self.op.uuid

    @property
    def active(self) -> bool:
        """Live (the VM runs) or offline (shut off: only its definition moves)."""
        return self._active

    def running_job(self) -> bool:
        """libvirt's migrate call is in flight (abort, bandwidth and post-copy apply)."""
        return self._call is not None and not self._call.done()

    def _show(self, op: Operation) -> Operation:
        self.op = op
        self.source.report(op)
        if self._on_change is not None:
            self._on_change(self)
        return op

    async def _final(self, op: Operation) -> Operation:
        """Audit (on the store thread) and show the outcome, as the action runner does."""
        if op.state is not OpState.REFUSED:
            self.source.store.invalidate(op.uuid, invalidated_by_action("migrate"))
        audit = self.source.audit
        if audit is not None:
            try:
                await self.source.store.thread.run(partial(audit, op))
            except Exception as exc:  # never unaudited without a word
                note = f"NOT AUDITED: {explain(exc)}"
                op = replace(op, error=f"{op.error}; {note}" if op.error else note)
        return self._show(op)

    def _refusal(self) -> str | None:
        if self.source.settings.readonly:
            return "read-only session: nothing can be changed"
        for host in (self.source, self.dest):
            if host.link.conn is None or host.status.state is not LinkState.LIVE:
                why = f" ({host.status.reason})" if host.status.reason else ""
                return f"{host.key} is {host.status.state.value}{why}: nothing was sent"
        if self.source is self.dest:
            return f"{self.op.vm} is already on {self.dest.key}"
        return None

    # -- running -----------------------------------------------------------------------------

    async def checks(self) -> list[str]:
        """Every reason the migration cannot start, one sentence each ([]: it can)."""
        refusal = self._refusal()
        if refusal is not None:
            return [refusal]
        sconn, dconn = self.source.link.conn, self.dest.link.conn
        assert sconn is not None and dconn is not None
        uuid = self.uuid
        needs = await self.source.call(lambda: virt.read_needs(sconn, uuid))
        try:
            offer = await self.dest.call(lambda: virt.read_offer(dconn, needs))
        except TimeoutError:
            return [f"{self.dest.key} did not answer within {self.dest.workers.timeout:.0f}s."]
        except libvirt.libvirtError as exc:
            return [f"{self.dest.key} could not be asked: {explain(exc)}."]
        self._active = needs.active
        return check(
            needs,
            offer,
            self.params,
            source=self.source.key,
            dest=self.dest.key,
            reserve_bytes=self.reserve_bytes,
        )

    async def run(self) -> Operation:
        self._show(self.op)
        try:
            self.problems = await self.checks()
        except Exception as exc:
            self.problems = [f"the checks failed: {explain(exc)}"]
        if self._aborting:
            self.problems = self.problems or ["aborted before it started"]
        if self.problems:
            return await self._final(self.op.finish(OpState.REFUSED, error=" ".join(self.problems)))
        self._show(self.op.running())
        try:
            return await self._final(await self._migrate())
        except Exception as exc:  # whatever went wrong, the operation ends and is audited
            log.exception("%s: migrating %s failed", self.source.key, self.op.vm)
            return await self._final(self.op.finish(OpState.FAILED, error=explain(exc)))

    async def _migrate(self) -> Operation:
        sconn = self.source.link.conn
        assert sconn is not None
        uuid, params, active = self.uuid, self.params, self._active
        dest_uri = params.dest_uri or self.dest.uri
        source_done = asyncio.get_running_loop().create_future()
        dest_done = asyncio.get_running_loop().create_future()
        unwatch = [
            self.source.watch(lambda e: self._event(e, source_done, self._source_confirms)),
            self.dest.watch(lambda e: self._event(e, dest_done, self._dest_confirms)),
        ]
        try:
            dom = await self.source.call(lambda: sconn.lookupByUUIDString(uuid))
            started = time.monotonic()
            self.source.calls.record("migrateToURI3")
            self._call = self.source.migration_workers.submit(
                lambda: virt.migrate(dom, dest_uri, params, active)
            )
            if active:
                await self._follow(dom)
            try:
                await self._call
            except libvirt.libvirtError as exc:
                return await self._failed(sconn, exc)
            finally:
                self.call_seconds = time.monotonic() - started
            if not active:
                await self._offline_source(sconn, source_done)
            outcome = await self._confirmed(source_done, dest_done)
            if active and outcome.state is OpState.SUCCEEDED and params.undefine_source:
                await self._offline_source(sconn, None)
            return outcome
        finally:
            for stop in unwatch:
                stop()

    def _source_confirms(self, e: DomainEvent) -> bool:
        if not self._active:
            return e.event == "undefined"
        return e.event == "stopped" and e.reason == "migrated"

    def _dest_confirms(self, e: DomainEvent) -> bool:
        if not self._active:
            return e.event == "defined"
        return e.event == "resumed" or (e.event == "started" and self._paused_source)

    @property
    def _paused_source(self) -> bool:
        return any(e.event == "suspended" and e.reason != "migrated" for e in self.events)

    def _event(
        self, e: DomainEvent, done: asyncio.Future[DomainEvent], confirms: Callable[..., bool]
    ) -> None:
        if e.uuid != self.uuid or e.kind != "lifecycle":
            return
        self.events.append(e)
        if not done.done() and confirms(e):
            done.set_result(e)

    async def _follow(self, dom: libvirt.virDomain) -> None:
        """Job stats about every second until the call returns; one stats call at a time."""
        assert self._call is not None
        calls = self.source.calls
        while not self._call.done():
            try:
                calls.record("jobStats")
                stats = await self.source.workers.submit(lambda: virt.job_stats(dom))
            except libvirt.libvirtError:
                stats = {}  # the job ended between the check and the call
            sample = _progress(stats)
            if sample is not None:
                self.progress = sample
                self.samples.append((time.monotonic(), sample))
                self.watch.feed(sample)
                note = sample.summary()
                if self.verdict.state == "not converging":
                    note += f"; {self.verdict.sentence()}"
                self._show(replace(self.op, note=note))
            await asyncio.wait([self._call], timeout=self.poll_interval)

    async def _failed(self, sconn: libvirt.virConnect, exc: libvirt.libvirtError) -> Operation:
        uuid = self.uuid
        try:
            running = await self.source.call(lambda: virt.still_running(sconn, uuid))
        except Exception:
            running = None
        where = {
            True: f"{self.op.vm} is still running on {self.source.key}",
            False: f"{self.op.vm} is still on {self.source.key}, not running",
            None: f"{self.op.vm} is no longer on {self.source.key}: look on {self.dest.key}",
        }[running]
        if self._aborting:
            return self.op.finish(OpState.FAILED, error=f"aborted by the operator; {where}")
        return self.op.finish(OpState.FAILED, error=f"{explain(exc)}; {where}")

    async def _offline_source(
        self, sconn: libvirt.virConnect, done: asyncio.Future[DomainEvent] | None
    ) -> None:
        """libvirt 9.0 sends no "undefined" for the source of a move that undefines it (live
        or offline): ask the source, and take its answer as the event (`done`: confirm it)."""
        if done is not None and done.done():
            return
        uuid = self.uuid
        here = await self.source.call(lambda: virt.still_running(sconn, uuid))
        if here is not None and self.params.undefine_source:
            return  # still there: the confirmation times out and says so
        word = "not asked to undefine it" if here is not None else "no longer has it"
        if done is not None:
            done.set_result(
                DomainEvent(time.time(), self.source.key, uuid, self.op.vm, "lifecycle", word)
            )
        if here is None:
            # What libvirt's event would have said, from libvirt's answer: the row leaves the
            # source's table now, even if no tick ever saw the VM there.
            gone = DomainEvent(
                time.time(),
                self.source.key,
                uuid,
                self.op.vm,
                "lifecycle",
                "undefined",
                "migrated (the source no longer has it)",
            )
            self.source.event_arrived(gone)

    async def _confirmed(
        self, source_done: asyncio.Future[DomainEvent], dest_done: asyncio.Future[DomainEvent]
    ) -> Operation:
        limit = self.source.settings.confirm_timeout
        both = asyncio.gather(asyncio.shield(source_done), asyncio.shield(dest_done))
        try:
            await asyncio.wait_for(both, limit)
        except TimeoutError:
            pairs = ((self.source, source_done), (self.dest, dest_done))
            missing = [h.key for h, f in pairs if not f.done()]
            return self.op.finish(
                OpState.TIMED_OUT,
                error=f"libvirt finished the migration but {' and '.join(missing)} reported "
                f"no event within {limit:.0f}s",
            )
        s, d = source_done.result(), dest_done.result()
        downtime = ""
        if self.progress is not None and self.progress.expected_downtime_ms is not None:
            downtime = f", expected downtime {self.progress.expected_downtime_ms} ms"
        said = [f"{e.event} {e.reason}".strip() for e in (s, d)]
        note = (
            f"now on {self.dest.key} (libvirt: {said[0]} on {self.source.key}, {said[1]} on "
            f"{self.dest.key}) in {self.call_seconds or 0:.1f}s{downtime}"
        )
        return self.op.finish(OpState.SUCCEEDED, note=note)

    # -- while it runs -----------------------------------------------------------------------

    async def _on_source(self, fn: Callable[[libvirt.virDomain], None], what: str) -> None:
        sconn = self.source.link.conn
        if sconn is None:
            raise RuntimeError(f"{self.source.key} is not live")
        uuid = self.uuid
        self.source.calls.record(what)
        await self.source.call(lambda: fn(sconn.lookupByUUIDString(uuid)))

    async def abort(self) -> None:
        """Stop the migration; the VM keeps running on the source (the outcome says so)."""
        self._aborting = True
        if self._call is not None and not self._call.done():
            await self._on_source(virt.abort, "abortJob")

    async def start_postcopy(self) -> None:
        """Switch a migration allowed to use post-copy over to it (a remedy)."""
        await self._on_source(virt.start_postcopy, "migrateStartPostCopy")
        self.watch.postcopy_started = True

    async def set_bandwidth(self, mib_s: int) -> None:
        """Change the transfer limit while it runs (a remedy)."""
        await self._on_source(lambda dom: virt.set_bandwidth(dom, mib_s), "migrateSetMaxSpeed")
