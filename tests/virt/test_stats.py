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


# Real QEMU 7.2 / libvirt 9.0 records (trimmed): every top layer carries backingIndex, the index
# of its <source> in the domain XML, whether or not the disk has a backing file.
TOP_LAYERS = {
    "state.state": 1,
    "block.count": 3,
    "block.0.name": "vda",
    "block.0.path": "/images/vda.qcow2",
    "block.0.backingIndex": 3,
    "block.0.rd.reqs": 2,
    "block.0.rd.bytes": 4608,
    "block.0.wr.reqs": 10,
    "block.0.wr.bytes": 655360,
    "block.1.name": "vdb",
    "block.1.path": "/images/vdb.qcow2",
    "block.1.backingIndex": 2,
    "block.1.rd.reqs": 1,
    "block.1.rd.bytes": 4096,
    "block.1.wr.reqs": 0,
    "block.1.wr.bytes": 0,
    "block.2.name": "vdc",
    "block.2.path": "/images/vdc.img",
    "block.2.backingIndex": 1,
    "block.2.rd.reqs": 1,
    "block.2.rd.bytes": 4096,
    "block.2.wr.reqs": 3,
    "block.2.wr.bytes": 1536,
}

# The same kind of guest asked with VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING: vda is a qcow2
# overlay, its base image follows it under the same name with a higher backingIndex.
WITH_CHAIN = {
    "state.state": 1,
    "block.count": 3,
    "block.0.name": "vda",
    "block.0.path": "/images/vda.qcow2",
    "block.0.backingIndex": 2,
    "block.0.rd.reqs": 200,
    "block.0.rd.bytes": 13_111_808,
    "block.0.wr.reqs": 200,
    "block.0.wr.bytes": 13_107_200,
    "block.1.name": "vda",
    "block.1.path": "/images/vda-base.qcow2",
    "block.1.backingIndex": 3,
    "block.1.rd.reqs": 7,
    "block.1.rd.bytes": 999_999,
    "block.2.name": "vdb",
    "block.2.path": "/images/vdb.img",
    "block.2.backingIndex": 1,
    "block.2.rd.reqs": 1,
    "block.2.rd.bytes": 4096,
    "block.2.wr.reqs": 0,
    "block.2.wr.bytes": 0,
}


def test_top_layers_count_although_they_carry_a_backing_index() -> None:
    c = parse_record("u-1", "web-01", TOP_LAYERS)
    assert c.block_rd_bytes == 4608 + 4096 + 4096
    assert c.block_wr_bytes == 655360 + 1536
    assert (c.block_rd_reqs, c.block_wr_reqs) == (4, 13)


def test_with_the_backing_chain_only_the_top_of_each_disk_counts() -> None:
    c = parse_record("u-1", "web-01", WITH_CHAIN)
    assert c.block_rd_bytes == 13_111_808 + 4096
    assert c.block_wr_bytes == 13_107_200
    assert c.block_rd_reqs == 201


def test_a_disk_known_only_by_path_is_still_one_disk() -> None:
    record = {
        "block.count": 2,
        "block.0.path": "/images/a.qcow2",
        "block.0.wr.bytes": 10,
        "block.1.path": "/images/b.img",
        "block.1.wr.bytes": 5,
    }
    assert parse_record("u", "n", record).block_wr_bytes == 15


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


# What the noisy-neighbour view ranks by, beside the bytes: shape of a real QEMU 7.2 /
# libvirt 9.0 record (2 of 3 vCPUs online, a qcow2 disk listed with its backing layer, 2 NICs).
NOISY_RECORD = {
    "state.state": 1,
    "vcpu.current": 2,
    "vcpu.maximum": 3,
    "vcpu.0.state": 1,
    "vcpu.0.time": 5_000_000_000,
    "vcpu.0.wait": 0,
    "vcpu.0.delay": 120_000_000,
    "vcpu.1.state": 1,
    "vcpu.1.time": 4_000_000_000,
    "vcpu.1.wait": 0,
    "vcpu.1.delay": 30_000_000,
    "block.count": 3,
    "block.0.name": "vda",
    "block.0.rd.reqs": 100,
    "block.0.rd.times": 400_000_000,
    "block.0.wr.reqs": 50,
    "block.0.wr.times": 900_000_000,
    "block.1.name": "vda",
    "block.1.backingIndex": 3,
    "block.1.rd.reqs": 7,
    "block.1.rd.times": 99_000_000_000,
    "block.2.name": "vdb",
    "block.2.rd.reqs": 1,
    "block.2.rd.times": 2_000_000,
    "block.2.wr.reqs": 0,
    "block.2.wr.times": 0,
    "net.count": 2,
    "net.0.name": "vnet0",
    "net.0.rx.pkts": 1000,
    "net.0.rx.drop": 3,
    "net.0.tx.pkts": 700,
    "net.0.tx.drop": 0,
    "net.1.name": "vnet1",
    "net.1.rx.pkts": 20,
    "net.1.rx.drop": 1,
    "net.1.tx.pkts": 10,
    "net.1.tx.drop": 2,
}


def test_steal_is_the_vcpus_delay_summed() -> None:
    assert parse_record("u", "n", NOISY_RECORD).vcpu_delay_ns == 150_000_000


def test_request_times_count_top_layers_only() -> None:
    c = parse_record("u", "n", NOISY_RECORD)
    assert c.block_rd_times_ns == 400_000_000 + 2_000_000
    assert c.block_wr_times_ns == 900_000_000
    assert (c.block_rd_reqs, c.block_wr_reqs) == (101, 50)


def test_packets_and_drops_are_summed_over_the_nics() -> None:
    c = parse_record("u", "n", NOISY_RECORD)
    assert (c.net_rx_pkts, c.net_tx_pkts) == (1020, 710)
    assert (c.net_rx_drop, c.net_tx_drop) == (4, 2)


def test_a_driver_without_delay_times_or_packets_leaves_them_unknown() -> None:
    c = parse_record("u", "n", QEMU_RECORD)  # no vcpu.N.*, no *.times, no *.pkts
    assert c.vcpu_delay_ns is None
    assert c.block_rd_times_ns is None and c.block_wr_times_ns is None
    assert c.net_rx_pkts is None and c.net_tx_drop is None
    bare = parse_record("u", "n", {"state.state": 1})
    assert bare.vcpu_delay_ns is None and bare.net_rx_pkts is None
