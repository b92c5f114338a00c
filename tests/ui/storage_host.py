"""A real Host that answers the pools, volumes and networks screens with what the demo's test
driver said once (pollers off, so their pictures do not move), and records every change
instead of sending it. The test driver has no DHCP server: the one lease is injected."""

from __future__ import annotations

from limen_tui.demo import demo_uri
from limen_tui.fleet.host import Host
from limen_tui.fleet.host_resources import ResourceParams, target
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.fleet.registry import ResourceActionId
from limen_tui.model.networks import Lease, Network
from limen_tui.model.storage import Pool, Volume
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.connection import close_quietly, open_connection
from limen_tui.virt.eventloop import ensure_event_loop
from limen_tui.virt.networks import read_networks
from limen_tui.virt.storage import read_pools, read_volumes

LEASE_ENDS = 2_000_000_000
"""A fixed end of the injected lease, far ahead (2033), so the picture never changes."""


class StillStorageHost(Host):
    """The demo host's pools, volumes and networks as its test driver said them once; every
    change is recorded, not sent."""

    def __init__(self) -> None:
        super().__init__(demo_uri(), key="demo", demo=True)
        ensure_event_loop()
        calls = CallCounter()
        conn = open_connection(demo_uri(), readonly=True, calls=calls, on_close=lambda _: None)
        try:
            self.fixed_pools = read_pools(conn, calls)
            self.fixed_volumes = {
                p.name: read_volumes(conn, p.name, calls) for p in self.fixed_pools
            }
            self.fixed_networks = read_networks(conn, calls)
        finally:
            close_quietly(conn)
        self.changes: list[tuple[str, ResourceParams]] = []
        vm = next(v.used_by[0] for v in self.fixed_volumes["vm-disks"] if v.used_by)
        # Injected: the test driver has no DHCP server.
        self.fixed_leases = [
            Lease("52:54:00:6b:3c:58", "192.168.122.45", 24, "web-01", LEASE_ENDS, vm)
        ]

    async def pools(self) -> list[Pool]:
        return self.fixed_pools

    async def volumes(self, pool: str) -> list[Volume]:
        return self.fixed_volumes[pool]

    async def networks(self) -> list[Network]:
        return self.fixed_networks

    async def leases(self, network: str) -> list[Lease]:
        return self.fixed_leases if network == "default" else []

    async def change(self, action: ResourceActionId, params: ResourceParams) -> Operation:
        self.changes.append((action, params))
        op = Operation.new(self.key, "", target(params), action, params)
        return op.running().finish(OpState.SUCCEEDED, note="recorded")
