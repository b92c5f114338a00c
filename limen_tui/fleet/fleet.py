"""All the hosts of one console, built from a plan per host; bulk actions across them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from limen_tui.config.settings import Settings
from limen_tui.fleet.evacuation import (
    EvacuationPlan,
    EvacuationRun,
    HostCapacity,
    Move,
    PlanLimits,
    VmLoad,
    plan_evacuation,
    run_evacuation,
)
from limen_tui.fleet.host import Host
from limen_tui.fleet.migration import Migration
from limen_tui.fleet.migration_checks import DEFAULT_RESERVE
from limen_tui.fleet.operations import AuditSink, BatchSummary, Operation, OpState, next_batch_id
from limen_tui.fleet.self_cost import RefreshPace, SelfCostWatch
from limen_tui.fleet.updates import BatchFinished, FleetUpdate, Publish
from limen_tui.fleet.workers import StoreThread
from limen_tui.hosts.monitor import HealthSettings
from limen_tui.hosts.ssh_target import SshSettings, SshTarget
from limen_tui.model import DomainRow, LinkState
from limen_tui.model.action_params import ActionParams, Migrate, NoParams
from limen_tui.store.cache import Cache
from limen_tui.store.history import MetricHistory
from limen_tui.virt.migration import node_room


def is_local_uri(uri: str) -> bool:
    """A libvirt URI served on this machine: no host part (qemu:///system, test:///...)."""
    if not uri:
        return True  # libvirt's default URI is local
    parts = urlsplit(uri)
    return not parts.hostname or parts.hostname in ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class HostPlan:
    """What the fleet needs to know of one host, from the command line and the config file."""

    uri: str
    name: str | None = None
    """The host's name on screen; the URI when None."""
    demo: bool = False
    ssh: SshTarget | None = None
    """Where health, logs and commands come from for a remote host."""
    health: bool = False
    activity: bool = False
    """A test-driver host that comes alive (demo_activity.py): the demo's, and the benchmarks'
    fleets (a test-only stats source); the command line sets it only with --demo, and a Host
    refuses it for anything but libvirt's test driver."""


DEFAULT_URI_NAME = "default"
"""The host's name when it is libvirt's default URI ("" or $LIBVIRT_DEFAULT_URI unset)."""


def _drop(_update: FleetUpdate) -> None:
    """Nothing listens yet."""


class Fleet:
    """Every host of one console, by name."""

    def __init__(
        self,
        plans: Sequence[HostPlan | str],
        publish: Publish | None = None,
        settings: Settings | None = None,
        *,
        cache: Cache | None = None,
        history: MetricHistory | None = None,
        audit: AuditSink | None = None,
        health: HealthSettings | None = None,
        ssh: SshSettings | None = None,
        stretch_refresh: bool = False,
    ) -> None:
        """`stretch_refresh`: over the self-cost budget, stretch the refresh (the console as
        `limen-tui` runs it; in a test process the CPU is not the console's alone)."""
        self.settings = settings or Settings()
        self._publish: Publish = publish or _drop
        self.cache = cache
        self.hosts: dict[str, Host] = {}
        self.store = StoreThread()
        """The one thread of this fleet's SQLite file (cache, history, audit)."""
        self.migrations: dict[int, Migration] = {}
        """Migrations under way, by operation id (the migration view reads them)."""
        self.pace = RefreshPace(self.settings.refresh_interval)
        """Every host's refresh interval: the configured one, stretched while over budget."""
        self.self_cost = SelfCostWatch(
            self.pace, self.settings.self_cost_budget_pct, self.settings.self_cost_window_s
        )
        self.self_cost.budget.stretching = stretch_refresh
        health_settings = health or HealthSettings()
        for plan in plans:
            plan = HostPlan(plan) if isinstance(plan, str) else plan
            key = plan.name or ("demo" if plan.demo else plan.uri) or DEFAULT_URI_NAME
            if key in self.hosts:
                continue
            local = is_local_uri(plan.uri) and plan.ssh is None
            link = None
            if plan.ssh is not None:
                from limen_tui.hosts.ssh import SshLink  # asyncssh: only for a host over SSH

                link = SshLink(plan.ssh, ssh or SshSettings())
            self.hosts[key] = Host(
                plan.uri,
                self._forward,
                self.settings,
                key=key,
                demo=plan.demo,
                local=local,
                cache=cache,
                history=history,
                audit=audit,
                ssh=link,
                health=health_settings if plan.health else None,
                activity=plan.activity,
                store=self.store,
                pace=self.pace,
            )

    def read_ahead(self) -> None:
        """Start reading every host's last known fleet now, before the console's first frame
        is built (the hosts take the answers when they start)."""
        for host in self.hosts.values():
            host.store.read_ahead()

    def _forward(self, update: FleetUpdate) -> None:
        self._publish(update)

    def bind(self, publish: Publish) -> None:
        """Where every host's updates go from now on (the app binds before start)."""
        self._publish = publish

    def start(self) -> None:
        """Every host connects at once, each on its own; nothing here waits for any."""
        for host in self.hosts.values():
            host.start()
        self.self_cost.start(self._forward)

    async def first_attempts(self) -> None:
        """Returns when every host's first connection attempt has answered or failed."""
        await asyncio.gather(*(h.link.first_attempt.wait() for h in self.hosts.values()))

    async def nobody_answered(self) -> list[tuple[str, str]]:
        """After every host's first attempt: (URI, why) for each host when none answered and
        none has a last known fleet to show; [] as soon as any host is of use."""
        await self.first_attempts()
        if any(h.status.state is LinkState.LIVE or h.rows for h in self.hosts.values()):
            return []
        return [(h.uri, h.link.last_failure or h.status.reason) for h in self.hosts.values()]

    def on_screen(self, keys: Iterable[tuple[str, str]]) -> None:
        """The (host, uuid) of the rows on screen: each host reads what its bulk stats lack for
        these only."""
        by_host: dict[str, list[str]] = {k: [] for k in self.hosts}
        for host, uuid in keys:
            if host in by_host:
                by_host[host].append(uuid)
        for host, uuids in by_host.items():
            self.hosts[host].on_screen(uuids)

    def read_all_labels(self) -> None:
        """Every host reads every VM's tags and OS, a few per tick (the operator filters or
        groups by them); until then only the rows on screen have theirs read."""
        for host in self.hosts.values():
            host.read_all_labels()

    @property
    def labels_unread(self) -> int:
        return sum(h.labels_unread for h in self.hosts.values())

    async def stop(self) -> None:
        await self.self_cost.stop()
        await asyncio.gather(*(h.stop() for h in self.hosts.values()))
        await self.store.settled()  # the last samples and invalidations land before the file closes
        self.store.shutdown()

    async def perform(
        self,
        targets: list[DomainRow],
        action: str,
        params: ActionParams | None = None,
    ) -> list[Operation]:
        """Run `action` on every target with bounded concurrency; one failure stops nothing."""
        batch = next_batch_id() if len(targets) > 1 else None
        gate = asyncio.Semaphore(max(1, self.settings.bulk_concurrency))
        ops = [
            Operation.new(row.host, row.uuid, row.name, action, params or NoParams(), batch=batch)
            for row in targets
            if row.host in self.hosts
        ]
        results = await asyncio.gather(*(self.hosts[op.host].perform(op, gate) for op in ops))
        if batch is not None and results:
            ok = sum(r.state is OpState.SUCCEEDED for r in results)
            self._publish(BatchFinished(BatchSummary(batch, action, ok, len(results) - ok)))
        return list(results)

    # -- migration ---------------------------------------------------------------------------

    def migration(
        self,
        row: DomainRow,
        params: Migrate,
        *,
        batch: int | None = None,
        reserve_bytes: int = DEFAULT_RESERVE,
    ) -> Migration:
        """A migration of `row` to `params.dest`, not started: `checks()`, `run()`, `abort()`."""
        if params.dest not in self.hosts:
            raise KeyError(f"no host {params.dest!r} in this console")
        source, dest = self.hosts[row.host], self.hosts[params.dest]
        return Migration(source, dest, row, params, batch=batch, reserve_bytes=reserve_bytes)

    async def migrate(
        self, row: DomainRow, params: Migrate, *, reserve_bytes: int = DEFAULT_RESERVE
    ) -> Operation:
        """Check, then move `row` to `params.dest`; the outcome is confirmed by both hosts."""
        return await self.run_migration(self.migration(row, params, reserve_bytes=reserve_bytes))

    async def run_migration(self, job: Migration) -> Operation:
        """Run a migration made by `migration()`, listed in `migrations` while it runs."""

        self.migrations[job.op.id] = job
        try:
            return await job.run()
        finally:
            self.migrations.pop(job.op.id, None)

    async def evacuation_plan(self, host: str, limits: PlanLimits | None = None) -> EvacuationPlan:
        """Where each running VM of `host` would go (to confirm before `evacuate`)."""
        source = self.hosts[host]
        vms = [
            VmLoad(r.uuid, r.name, (r.mem_current_kib or r.mem_max_kib or 0) * 1024, r.vcpus or 1)
            for r in source.rows.values()
            if r.state.is_active
        ]
        others = [
            h for h in self.hosts.values() if h is not source and h.status.state is LinkState.LIVE
        ]
        rooms = await asyncio.gather(*(h.on_host(node_room) for h in others))
        capacity = [
            HostCapacity(
                h.key,
                free,
                cpus,
                sum(r.vcpus or 1 for r in h.rows.values() if r.state.is_active),
            )
            for h, (free, cpus) in zip(others, rooms, strict=True)
        ]
        return plan_evacuation(host, vms, capacity, limits)

    async def evacuate(
        self,
        plan: EvacuationPlan,
        params: Migrate | None = None,
        concurrency: int | None = None,
        *,
        on_done: Callable[[Move, str, str], None] | None = None,
    ) -> EvacuationRun:
        """Run a confirmed plan, `concurrency` (default: the settings') at a time; each move is
        its own audited migration, one batch.
        `on_done(move, state, text)` hears each move's outcome as it ends (the view)."""
        source = self.hosts[plan.source]
        batch = next_batch_id()
        template = params or Migrate(dest="")

        async def one(m: Move) -> tuple[str, str]:
            row = source.rows.get(m.vm.uuid)
            if row is None:
                return "failed", f"{m.vm.name} is no longer on {plan.source}"
            job = self.migration(row, replace(template, dest=m.dest), batch=batch)
            op = await self.run_migration(job)
            return op.state.value, op.error or op.note

        async def move(m: Move) -> tuple[str, str]:
            state, text = await one(m)
            if on_done is not None:
                on_done(m, state, text)
            return state, text

        at_once = concurrency or self.settings.evacuate_concurrency
        result = await run_evacuation(plan, move, at_once)
        ok = sum(state == "succeeded" for _, state, _ in result.outcomes)
        self._publish(BatchFinished(BatchSummary(batch, "evacuate", ok, len(result.outcomes) - ok)))
        return result
