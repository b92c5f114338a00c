"""Proves the libvirtd harness: daemon up, tiny TCG guests, stats, test driver."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libvirt
import pytest

from tests.conftest import MakeVm, Virsh
from tests.harness.libvirtd import (
    TEST_PREFIX,
    answers,
    ensure_libvirtd,
    libvirtd_pids,
    make_qcow2,
    remove_domain,
    restart_libvirtd,
    stop_libvirtd,
    sweep_leftover_domains,
    tiny_domain_xml,
    unique_prefix,
)

pytestmark = pytest.mark.libvirtd


@pytest.fixture
def conn(libvirtd: str) -> Iterator[libvirt.virConnect]:
    """A connection of the test's own, separate from the factory's."""
    c = libvirt.open(libvirtd)
    try:
        yield c
    finally:
        # The daemon may have been restarted underneath us.
        with contextlib.suppress(libvirt.libvirtError):
            c.close()


def _stats(c: libvirt.virConnect, name: str) -> dict[str, Any]:
    dom = c.lookupByName(name)
    ((_, stats),) = c.domainListGetStats([dom], 0, 0)
    assert isinstance(stats, dict)
    return stats


def test_unique_prefix() -> None:
    a, b = unique_prefix(), unique_prefix()
    assert a != b
    assert a.startswith(TEST_PREFIX) and a.endswith("-")
    assert len(a) == len(TEST_PREFIX) + 8 + 1


def test_ensure_is_idempotent(libvirtd: str) -> None:
    before = libvirtd_pids()
    ensure_libvirtd()
    assert libvirtd_pids() == before
    assert answers(libvirtd)


def test_started_vm_is_running_with_stats(
    vm_factory: MakeVm, conn: libvirt.virConnect, virsh: Virsh
) -> None:
    name = vm_factory("stats", start=True)
    dom = conn.lookupByName(name)
    state, _reason = dom.state()
    assert state == libvirt.VIR_DOMAIN_RUNNING
    assert virsh("domstate", name).strip() == "running"

    stats = _stats(conn, name)
    assert stats["cpu.time"] > 0
    assert stats["balloon.current"] == 64 * 1024
    assert stats["vcpu.current"] == 1
    # The default NIC is a libvirt-created tap: real per-interface counters.
    assert stats["net.count"] == 1
    assert stats["net.0.name"].startswith("vnet")
    assert "net.0.rx.bytes" in stats and "net.0.tx.bytes" in stats

    # The same numbers through the bulk call a console would use.
    bulk = {
        d.name(): s
        for d, s in conn.getAllDomainStats(0, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE)
    }
    assert "cpu.time" in bulk[name] and "balloon.current" in bulk[name]


def test_user_nic_has_no_net_counters(vm_factory: MakeVm, conn: libvirt.virConnect) -> None:
    name = vm_factory("slirp", start=True, nic="user", serial=False)
    stats = _stats(conn, name)
    assert stats["net.count"] == 1
    assert "net.0.rx.bytes" not in stats


def test_vm_with_qcow2_disk(
    vm_factory: MakeVm, vm_disk_dir: Path, conn: libvirt.virConnect
) -> None:
    disk = make_qcow2(vm_disk_dir / "root.qcow2", size_mib=8)
    name = vm_factory("disk", start=True, disk_path=disk, memory_mib=96, vcpus=2)
    stats = _stats(conn, name)
    assert stats["block.count"] == 1
    assert stats["block.0.name"] == "vda"
    assert stats["vcpu.current"] == 2
    assert stats["balloon.current"] == 96 * 1024


def test_defined_vm_is_shut_off(vm_factory: MakeVm, virsh: Virsh) -> None:
    name = vm_factory("off")
    assert virsh("domstate", name).strip() == "shut off"


def test_test_driver_fleet_through_daemon(libvirtd: str, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.xml"
    fleet.write_text(
        """<node>
  <domain type='test'>
    <name>fleet-alpha</name>
    <memory unit='MiB'>128</memory>
    <currentMemory unit='MiB'>128</currentMemory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
  </domain>
</node>
"""
    )
    c = libvirt.open(f"test+unix://{fleet.resolve()}")
    try:
        assert c.getType() == "TEST"
        assert [d.name() for d in c.listAllDomains(0)] == ["fleet-alpha"]
    finally:
        c.close()


def test_sweep_spares_live_foreign_owner(conn: libvirt.virConnect) -> None:
    prefix = unique_prefix()
    mine, foreign = f"{prefix}mine", f"{prefix}foreign"
    conn.defineXML(tiny_domain_xml(mine))
    # PID 1 is always alive: as if another pytest session owned the domain.
    conn.defineXML(tiny_domain_xml(foreign).replace(f'pid="{os.getpid()}"', 'pid="1"'))
    try:
        removed = sweep_leftover_domains(conn)
        assert mine in removed
        assert foreign not in removed
        assert foreign in [d.name() for d in conn.listAllDomains(0)]
    finally:
        remove_domain(conn, mine)
        remove_domain(conn, foreign)


def test_guest_survives_daemon_crash_and_restart(vm_factory: MakeVm, libvirtd: str) -> None:
    name = vm_factory("survivor", start=True)

    stop_libvirtd(sig=signal.SIGKILL)  # a crash
    assert libvirtd_pids() == []
    assert not answers(libvirtd)
    ensure_libvirtd()
    c = libvirt.open(libvirtd)
    try:
        assert c.lookupByName(name).isActive()
    finally:
        c.close()

    restart_libvirtd()  # an orderly restart
    c = libvirt.open(libvirtd)
    try:
        assert c.lookupByName(name).isActive()
    finally:
        c.close()
