"""One VM's counters per vCPU, disk and NIC: `domainListGetStats` for that VM alone.

The table's tick sums every VM's disks and NICs from one bulk call for the whole host; the VM
screen asks for the one VM it shows, in the host's workers, so the per-device reading costs one
VM's worth whatever the size of the host. Capacity, allocation and physical size come from
`blockInfo` per disk (what `virsh domblkinfo` prints: the bulk block group's "allocation" is
QEMU's highest written offset, another figure).

Blocking: `read_vm_sample` makes 2 + one per disk libvirt calls; run it in a worker.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import libvirt

from limen_tui.model.vm_figures import (
    BalloonCounters,
    DiskCounters,
    NicCounters,
    VcpuCounters,
    VmSample,
)
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.collector import NOWAIT
from limen_tui.virt.stats import TABLE_GROUPS

VM_SCREEN_GROUPS = TABLE_GROUPS
"""State, CPU, balloon, vCPU, interface and block: per device this time, for one VM."""


def _int(stats: Mapping[str, Any], key: str) -> int | None:
    value = stats.get(key)
    return value if type(value) is int else None


def _count(stats: Mapping[str, Any], key: str) -> int:
    return _int(stats, key) or 0


def parse_sample(stats: Mapping[str, Any], at: float, macs: Mapping[str, str]) -> VmSample:
    """One domain's stats record as a VmSample; `macs`: host-side device -> MAC."""
    vcpus = tuple(
        VcpuCounters(
            i,
            _int(stats, f"vcpu.{i}.time"),
            _int(stats, f"vcpu.{i}.wait"),
            _int(stats, f"vcpu.{i}.delay"),
        )
        for i in range(_count(stats, "vcpu.maximum"))
        if f"vcpu.{i}.state" in stats or f"vcpu.{i}.time" in stats
    )
    disks: list[DiskCounters] = []
    seen: set[str] = set()
    for i in range(_count(stats, "block.count")):
        name = str(stats.get(f"block.{i}.name") or stats.get(f"block.{i}.path") or f"#{i}")
        if name in seen:
            continue  # a backing-chain layer listed under its disk's name
        seen.add(name)

        def b(field: str, i: int = i) -> int | None:
            return _int(stats, f"block.{i}.{field}")

        disks.append(
            DiskCounters(
                name=name,
                path=str(stats.get(f"block.{i}.path") or ""),
                rd_bytes=b("rd.bytes"),
                wr_bytes=b("wr.bytes"),
                rd_reqs=b("rd.reqs"),
                wr_reqs=b("wr.reqs"),
                rd_times_ns=b("rd.times"),
                wr_times_ns=b("wr.times"),
                errors=b("errors"),
            )
        )
    nics: list[NicCounters] = []
    for i in range(_count(stats, "net.count")):
        name = str(stats.get(f"net.{i}.name") or f"#{i}")

        def n(field: str, i: int = i) -> int | None:
            return _int(stats, f"net.{i}.{field}")

        nics.append(
            NicCounters(
                name=name,
                mac=macs.get(name, ""),
                rx_bytes=n("rx.bytes"),
                rx_pkts=n("rx.pkts"),
                rx_errs=n("rx.errs"),
                rx_drop=n("rx.drop"),
                tx_bytes=n("tx.bytes"),
                tx_pkts=n("tx.pkts"),
                tx_errs=n("tx.errs"),
                tx_drop=n("tx.drop"),
            )
        )
    balloon = BalloonCounters(
        **{
            field: _int(stats, f"balloon.{key}")
            for field, key in (
                ("current", "current"),
                ("maximum", "maximum"),
                ("rss", "rss"),
                ("usable", "usable"),
                ("available", "available"),
                ("unused", "unused"),
                ("disk_caches", "disk_caches"),
                ("swap_in", "swap_in"),
                ("swap_out", "swap_out"),
                ("major_fault", "major_fault"),
                ("minor_fault", "minor_fault"),
            )
        }
    )
    return VmSample(at, _int(stats, "cpu.time"), vcpus, tuple(disks), tuple(nics), balloon)


def _stats_of(
    conn: libvirt.virConnect, dom: libvirt.virDomain, calls: CallCounter
) -> dict[str, Any]:
    calls.record("domainListGetStats (VM screen)")
    try:
        found = conn.domainListGetStats([dom], VM_SCREEN_GROUPS, NOWAIT)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() not in (
            libvirt.VIR_ERR_INVALID_ARG,
            libvirt.VIR_ERR_NO_SUPPORT,
            libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED,
        ):
            raise
        found = conn.domainListGetStats([dom], VM_SCREEN_GROUPS, 0)
    return dict(found[0][1]) if found else {}


def read_vm_sample(
    conn: libvirt.virConnect, uuid: str, calls: CallCounter, macs: Mapping[str, str]
) -> VmSample:
    """The VM's counters now, per device, with each disk's domblkinfo sizes."""
    calls.record("lookupByUUIDString")
    dom = conn.lookupByUUIDString(uuid)
    stats = _stats_of(conn, dom, calls)
    sample = parse_sample(stats, time.monotonic(), macs)
    disks = []
    for disk in sample.disks:
        calls.record("blockInfo (VM screen)")
        try:
            capacity, allocation, physical = dom.blockInfo(disk.name, 0)
        except libvirt.libvirtError:  # an empty CD-ROM drive, a disk without a source
            disks.append(disk)
            continue
        disks.append(replace(disk, capacity=capacity, allocation=allocation, physical=physical))
    return replace(sample, disks=tuple(disks))
