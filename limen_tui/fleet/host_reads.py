"""What the screens read from one host on demand: overview, devices, snapshots, the create
form's choices and checks, guest addresses, the serial console, log sources.

A base of `Host` (host.py): the same object, its reads kept apart from its supervision. Each
read runs in the host's workers (libvirt) or on the store thread (what the cache has).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeVar

import libvirt

from limen_tui.fleet.errors import HostUnavailable
from limen_tui.fleet.host_store import HostStore, Metric
from limen_tui.fleet.link import LibvirtLink
from limen_tui.fleet.logs import HostLogs, LogOpener
from limen_tui.fleet.reads import (
    HostOverview,
    NewVmChoices,
    cached_lists,
    keep_lists,
    read_choices,
    read_overview,
)
from limen_tui.fleet.serial import SerialConsoleHandle, open_serial_console
from limen_tui.fleet.workers import HostWorkers
from limen_tui.model import HostStatus, LinkState
from limen_tui.model.addresses import GuestAddresses, addresses_from_json, addresses_to_json
from limen_tui.model.devices import Devices, parse_devices
from limen_tui.model.guest_info import GuestInfo
from limen_tui.model.snapshot import SnapshotInfo
from limen_tui.model.vm_figures import VmSample
from limen_tui.model.vm_spec import VmSpec
from limen_tui.virt.addresses import (
    Neighbours,
    guest_addresses,
    interface_macs,
    parse_proc_net_arp,
)
from limen_tui.virt.addresses import read_local_neighbours as local_neighbours
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.guest_info import read_guest_info
from limen_tui.virt.snapshots import snapshot_tree
from limen_tui.virt.vm_stats import read_vm_sample
from limen_tui.virt.vmspec import validate

if TYPE_CHECKING:  # asyncssh loads only for a host over SSH (fleet.py builds the link)
    from limen_tui.hosts.ssh import SshLink

T = TypeVar("T")

SSH_COMMAND_S = 10.0


def nic_macs(domain_xml: str) -> dict[str, str]:
    """Each NIC's host-side device -> its MAC, from the VM's definition."""
    return {dev: mac for mac, dev in interface_macs(domain_xml).items() if dev}


class HostReads:
    key: str
    calls: CallCounter
    status: HostStatus
    store: HostStore
    link: LibvirtLink
    logs: HostLogs
    workers: HostWorkers
    ssh: SshLink | None

    async def call(self, fn: Callable[[], T], limit: float | None = None) -> T:
        """Run a blocking call on this host's workers, bounded by the call timeout."""
        return await self.workers.call(fn, limit)

    def _live_conn(self) -> libvirt.virConnect:
        conn = self.link.conn
        if conn is None:
            state = self.status.state
            why = "not connected" if state is LinkState.LIVE else state.value
            raise HostUnavailable(f"{self.key} is {why}")
        return conn

    async def on_host(self, fn: Callable[[libvirt.virConnect], T]) -> T:
        """Run a read on this host's connection in its workers (core and tests only)."""
        conn = self._live_conn()
        return await self.call(lambda: fn(conn))

    async def on_domain(self, uuid: str, fn: Callable[[libvirt.virDomain], T]) -> T:
        """Run a read on one VM in this host's workers (core and tests only)."""
        conn = self._live_conn()
        self.calls.record("lookupByUUIDString")
        return await self.call(lambda: fn(conn.lookupByUUIDString(uuid)))

    async def overview(self) -> HostOverview:
        """Node stats (live), storage pools and networks (from the cache while fresh)."""
        pools, nets = await cached_lists(self.store)
        calls = self.calls
        found = await self.on_host(lambda conn: read_overview(conn, calls, pools, nets))
        keep_lists(self.store, found, pools is not None, nets is not None)
        return found

    async def domain_xml(self, uuid: str) -> str:
        """The VM's definition as libvirt has it now: from the cache when fresh, else one
        XMLDesc call (kept until an event changes it or its time is up)."""
        cached = await self.store.get("domain_xml", uuid)
        if isinstance(cached, str):
            return cached
        calls = self.calls

        def fetch(dom: libvirt.virDomain) -> str:
            calls.record("XMLDesc")
            return str(dom.XMLDesc(0))

        xml = await self.on_domain(uuid, fetch)
        self.store.put("domain_xml", xml, uuid)
        return xml

    async def devices(self, uuid: str) -> Devices:
        """The VM's devices from its XML (see `domain_xml`)."""
        return parse_devices(await self.domain_xml(uuid))

    async def cpu_history(self, uuid: str, points: int = 40) -> list[float]:
        return await self.store.cpu_history(uuid, points)

    async def figure_history(
        self, uuid: str, metric: Metric, seconds: float
    ) -> list[tuple[float, float]]:
        """(wall time, value) of one of the VM's kept figures over the last `seconds`."""
        return await self.store.history_since(uuid, metric, seconds)

    async def vm_sample(self, uuid: str, macs: Mapping[str, str] | None = None) -> VmSample:
        """The VM's counters per vCPU, disk and NIC now: one `domainListGetStats` for this VM
        alone (and `blockInfo` per disk), in the host's workers. For the VM on screen only.
        `macs`: host-side NIC device -> MAC, when the caller has them; else from the XML."""
        if macs is None:
            try:
                macs = nic_macs(await self.domain_xml(uuid))
            except Exception:  # counters without MACs are still counters
                macs = {}
        calls = self.calls
        return await self.on_host(lambda conn: read_vm_sample(conn, uuid, calls, macs))

    async def guest_info(self, uuid: str) -> GuestInfo:
        """What the guest agent says (OS, host name, time zone, users, filesystems), or why
        it said nothing. One call, bounded by libvirt's agent timeout."""
        calls = self.calls
        return await self.on_domain(uuid, lambda dom: read_guest_info(dom, calls))

    async def snapshot_tree(self, uuid: str) -> list[SnapshotInfo]:
        calls = self.calls
        return await self.on_domain(uuid, lambda dom: snapshot_tree(dom, calls=calls))

    async def new_vm_choices(self) -> NewVmChoices:
        return await self.on_host(read_choices)

    async def check_new_vm(self, spec: VmSpec) -> list[str]:
        """Every problem with `spec` on this host, one sentence each; [] when it can be made."""
        return await self.on_host(lambda conn: validate(conn, spec))

    async def open_serial_console(
        self,
        uuid: str,
        *,
        on_output: Callable[[bytes], None],
        on_closed: Callable[[str], None],
        force: bool = False,
    ) -> SerialConsoleHandle:
        return await open_serial_console(self, uuid, on_output, on_closed, force)

    def qemu_log(self, vm_name: str) -> LogOpener:
        return self.logs.qemu_log(vm_name)

    def daemon_log(self) -> LogOpener:
        return self.logs.daemon_log()

    async def addresses(self, uuid: str) -> GuestAddresses:
        """The VM's IP addresses, each marked with its source (agent, DHCP lease, the host's
        neighbour table), or in words why none is known. Cached briefly; ask for the VMs on
        screen only."""
        cached = await self.store.get("addresses", uuid)
        if isinstance(cached, dict):
            return addresses_from_json(cached)
        table = await self._remote_neighbours()
        calls = self.calls
        neighbours: Callable[[], Neighbours] = (
            local_neighbours if table is None else (lambda: table)
        )
        found = await self.on_domain(uuid, lambda dom: guest_addresses(dom, calls, neighbours))
        self.store.put("addresses", addresses_to_json(found), uuid)
        return found

    async def _remote_neighbours(self) -> Neighbours | None:
        """The neighbour table of a remote host, read over its SSH link; None: this machine."""
        if self.logs.local:
            return None
        if self.ssh is None:
            return {}
        try:
            conn = await self.ssh.connection(SSH_COMMAND_S)
            done = await conn.run("cat /proc/net/arp", check=False, timeout=SSH_COMMAND_S)
        except Exception:  # no table: the chain says "no ARP entry"
            return {}
        out = done.stdout
        return parse_proc_net_arp(out if isinstance(out, str) else "")
