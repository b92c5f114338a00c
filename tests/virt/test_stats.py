"""Bulk stats records into counters: what libvirt says is read, what it does not say stays None."""

from __future__ import annotations

from limen_tui.model import PowerState
from limen_tui.virt.stats import parse_record

# Shape of a real record from QEMU 7.2 / libvirt 9.0 on this machine (values shortened).
QEMU_RECORD = {
    "state.state": 1,
    "state.reason": 1,
    "cpu.time": 307_967_000,
    "cpu.user": 136_516_000,
    "balloon.current": 65536,
    "balloon.maximum": 65536,
    "balloon.rss": 42124,
    "vcpu.current": 1,
    "vcpu.maximum": 2,
    "net.count": 2,
    "net.0.name": "vnet0",
    "net.0.rx.bytes": 1000,
    "net.0.tx.bytes": 50,
    "net.1.name": "vnet1",
    "net.1.rx.bytes": 24,
    "net.1.tx.bytes": 6,
    "block.count": 3,
    "block.0.name": "vda",
    "block.0.rd.bytes": 4096,
    "block.0.wr.bytes": 512,
    "block.1.name": "vda",
    "block.1.backingIndex": 1,
    "block.1.rd.bytes": 999_999,
    "block.2.name": "sda",
    "block.2.rd.bytes": 100,
}


def test_qemu_record_is_read_field_by_field() -> None:
    c = parse_record("u-1", "web-01", QEMU_RECORD)
    assert c.state is PowerState.RUNNING
    assert c.cpu_time_ns == 307_967_000
    assert (c.vcpus, c.max_vcpus) == (1, 2)
    assert (c.mem_current_kib, c.mem_max_kib, c.mem_rss_kib) == (65536, 65536, 42124)
    assert (c.net_rx_bytes, c.net_tx_bytes) == (1024, 56)


def test_backing_chain_layers_are_not_counted_twice() -> None:
    c = parse_record("u-1", "web-01", QEMU_RECORD)
    assert c.block_rd_bytes == 4096 + 100
    assert c.block_wr_bytes == 512


def test_test_driver_record_has_state_only_and_the_rest_stays_unknown() -> None:
    c = parse_record("u-2", "db", {"state.state": 3, "state.reason": 0})
    assert c.state is PowerState.PAUSED
    assert c.cpu_time_ns is None
    assert c.vcpus is None
    assert c.mem_current_kib is None
    assert c.block_rd_bytes is None
    assert c.net_rx_bytes is None


def test_devices_with_no_counters_are_unknown_not_zero() -> None:
    c = parse_record("u-3", "x", {"state.state": 1, "net.count": 1, "net.0.name": "user"})
    assert c.net_rx_bytes is None


def test_unknown_state_code_reads_as_no_state() -> None:
    assert parse_record("u", "n", {"state.state": 42}).state is PowerState.NOSTATE
