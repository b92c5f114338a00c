"""Per-vCPU, per-disk and per-NIC rates from two readings, and the guest agent's answer."""

from __future__ import annotations

from limen_tui.model.guest_info import parse_guest_info
from limen_tui.model.vm_figures import (
    DiskCounters,
    NicCounters,
    VcpuCounters,
    VmSample,
    figures_between,
)
from limen_tui.virt.vm_stats import parse_sample


def test_rates_latency_and_steal_per_device() -> None:
    before = VmSample(
        10.0,
        vcpus=(VcpuCounters(0, 1_000_000_000, 0, 0),),
        disks=(DiskCounters("vda", rd_bytes=0, rd_reqs=0, rd_times_ns=0, wr_reqs=5),),
        nics=(NicCounters("vnet0", rx_bytes=100, rx_pkts=1),),
    )
    after = VmSample(
        12.0,
        vcpus=(VcpuCounters(0, 2_000_000_000, 0, 200_000_000),),
        disks=(
            DiskCounters("vda", rd_bytes=4096 * 10, rd_reqs=10, rd_times_ns=20_000_000, wr_reqs=5),
            DiskCounters("vdb", rd_bytes=7),
        ),
        nics=(NicCounters("vnet0", rx_bytes=2100, rx_pkts=21),),
    )
    f = figures_between(before, after)
    assert f.seconds == 2.0
    assert f.vcpus[0].busy_pct == 50.0 and f.vcpus[0].delay_pct == 10.0
    vda, vdb = f.disks
    assert vda.rd_bps == 20480 and vda.rd_iops == 5 and vda.rd_latency_ms == 2.0
    assert vda.wr_iops == 0 and vda.wr_latency_ms is None  # no request: no latency, not 0
    assert vdb.rd_bps is None  # new since the last reading: no rate yet
    assert f.nics[0].rx_bps == 1000 and f.nics[0].rx_pps == 10


def test_a_counter_that_went_back_gives_no_rate() -> None:
    before = VmSample(0.0, disks=(DiskCounters("vda", rd_bytes=10**9),))
    after = VmSample(2.0, disks=(DiskCounters("vda", rd_bytes=5),))  # the VM restarted
    assert figures_between(before, after).disks[0].rd_bps is None
    assert figures_between(None, after).disks[0].rd_bps is None


def test_parse_sample_keeps_disks_apart_and_skips_backing_layers() -> None:
    stats = {
        "cpu.time": 5,
        "vcpu.maximum": 2,
        "vcpu.0.state": 1,
        "vcpu.0.time": 11,
        "vcpu.0.delay": 3,
        "vcpu.1.state": 1,
        "vcpu.1.time": 12,
        "block.count": 3,
        "block.0.name": "vda",
        "block.0.path": "/a.qcow2",
        "block.0.backingIndex": 1,  # the top layer on QEMU carries it too
        "block.0.rd.bytes": 100,
        "block.1.name": "vda",  # asked with the backing chain: vda's base image
        "block.1.path": "/base.qcow2",
        "block.1.rd.bytes": 999,
        "block.2.name": "vdb",
        "block.2.wr.reqs": 4,
        "net.count": 1,
        "net.0.name": "vnet3",
        "net.0.tx.drop": 2,
        "balloon.current": 1024,
        "balloon.swap_in": 8,
    }
    s = parse_sample(stats, 1.0, {"vnet3": "52:54:00:00:00:01"})
    assert [(v.index, v.time_ns, v.delay_ns) for v in s.vcpus] == [(0, 11, 3), (1, 12, None)]
    assert [(d.name, d.path, d.rd_bytes, d.wr_reqs) for d in s.disks] == [
        ("vda", "/a.qcow2", 100, None),
        ("vdb", "", None, 4),
    ]
    assert s.nics[0].mac == "52:54:00:00:00:01" and s.nics[0].tx_drop == 2
    assert s.balloon.current == 1024 and s.balloon.swap_in == 8 and s.balloon.rss is None


def test_guest_info_with_a_full_filesystem() -> None:
    info = parse_guest_info(
        {
            "hostname": "web-02",
            "os.id": "debian",
            "timezone.name": "UTC",
            "timezone.offset": 0,
            "user.count": 1,
            "user.0.name": "root",
            "user.0.login-time": 1_700_000_000_000,
            "fs.count": 2,
            "fs.0.mountpoint": "/",
            "fs.0.total-bytes": 100,
            "fs.0.used-bytes": 50,
            "fs.1.mountpoint": "/var",
            "fs.1.total-bytes": 100,
            "fs.1.used-bytes": 95,
        }
    )
    assert info.answered and info.hostname == "web-02" and info.os_name == "debian"
    assert info.users[0].name == "root" and info.users[0].login_time == 1_700_000_000
    assert [f.mountpoint for f in info.full_filesystems] == ["/var"]
