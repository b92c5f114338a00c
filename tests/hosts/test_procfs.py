"""The remote parser on captured /proc text: pure, no host needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from limen_tui.hosts.health import sample_from
from limen_tui.hosts.procfs import parse_block
from limen_tui.hosts.remote import BEGIN, END, NO_PROC, not_linux_reason

DATA = Path(__file__).parent / "data"


def blocks(text: str) -> list[list[str]]:
    out: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line == BEGIN:
            current = []
        elif line == END and current is not None:
            out.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return out


def test_a_captured_debian_block_reads_fully() -> None:
    first, second = blocks((DATA / "debian12_two_blocks.txt").read_text())
    a = parse_block(first, arrived=100.0, wall=1000.0)
    b = parse_block(second, arrived=101.0, wall=1001.0)
    assert a.cpu is not None and len(a.cores) == 2
    assert a.mem_total is not None and a.mem_total > 0
    assert a.mem_available is not None and 0 < a.mem_available <= a.mem_total
    assert a.load is not None and a.uptime_s is not None
    assert a.clock == a.uptime_s  # the host's own clock, not the arrival time
    assert [d.mount for d in a.disks] == ["/"]  # devtmpfs, tmpfs, cgroup... are not disks
    assert a.disks[0].device == "/dev/vda"
    assert {n for n, _r, _w in a.disk_bytes} == {"vda", "zram0"}  # loop* left out
    assert {n for n, _rx, _tx in a.net_bytes} == {"eth0", "ifb0", "ifb1"}  # lo left out
    sample = sample_from(a, b)
    assert sample.interval_s is not None and 0.9 < sample.interval_s < 1.5
    assert sample.cpu_pct is not None and 0.0 <= sample.cpu_pct <= 100.0
    assert all(r is not None for d in sample.disk_io for r in (d.read_bps, d.write_bps))
    assert sample.swap_total == 0 and sample.swap_pct is None  # no swap: n/a, not 0 %


BLOCK = """\
@@ stat
cpu  1000 0 1000 7000 1000 0 0 0 0 0
cpu0 500 0 500 3500 500 0 0 0 0 0
cpu1 500 0 500 3500 500 0 0 0 0 0
@@ meminfo
MemTotal:        1000 kB
MemFree:          100 kB
MemAvailable:     250 kB
SwapTotal:        400 kB
SwapFree:         300 kB
@@ loadavg
0.50 0.40 0.30 2/300 1234
@@ uptime
5000.00 9000.00
@@ netdev
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop
    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0
  eno1: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0
vnet0: 5000 10 0 0 0 0 0 0 6000 20 0 0 0 0 0 0
@@ diskstats
   8       0 sda 100 0 2000 0 50 0 4000 0 0 0 0
   8       1 sda1 100 0 2000 0 50 0 4000 0 0 0 0
 253       0 dm-0 10 0 200 0 5 0 400 0 0 0 0
   7       0 loop0 1 0 8 0 0 0 0 0 0 0 0
 104       0 cciss/c0d0 1 0 8 0 0 0 0 0 0 0 0
@@ block
sda
dm-0
loop0
cciss!c0d0
@@ mounts
/dev/sda1 / ext4 rw 0 0
/dev/sda1 /var/lib/docker/bind ext4 rw 0 0
tank/vms /tank/vms zfs rw 0 0
/dev/mapper/vg-data /srv/my\\040data xfs rw 0 0
tmpfs /run tmpfs rw 0 0
@@ df
Filesystem     1024-blocks    Used Available Capacity Mounted on
/dev/sda1         1000000  900000     50000      95% /
/dev/sda1         1000000  900000     50000      95% /var/lib/docker/bind
tank/vms          2000000 1000000   1000000      50% /tank/vms
/dev/mapper/vg-data 100     10        90      10% /srv/my data
tmpfs              1000       0      1000       0% /run
"""


def test_a_handmade_block_covers_the_awkward_cases() -> None:
    r = parse_block(BLOCK.splitlines(), arrived=1.0, wall=2.0)
    assert r.mem_total == 1000 * 1024 and r.mem_available == 250 * 1024
    assert r.swap_total == 400 * 1024 and r.swap_free == 300 * 1024
    assert r.load == (0.5, 0.4, 0.3) and r.uptime_s == 5000.0
    # Partitions and loop devices are not counted (their bytes are their disk's);
    # /sys/block's "!" stands for the "/" in the kernel's name.
    assert r.disk_bytes == (
        ("cciss/c0d0", 8 * 512, 0),
        ("dm-0", 200 * 512, 400 * 512),
        ("sda", 2000 * 512, 4000 * 512),
    )
    assert r.net_bytes == (("eno1", 1000, 2000), ("vnet0", 5000, 6000))
    mounts = {d.mount: d for d in r.disks}
    # The bind mount of the same device counts once; tmpfs is no disk; ZFS is.
    assert set(mounts) == {"/", "/tank/vms", "/srv/my data"}
    root = mounts["/"]
    assert root.used == 900000 * 1024 and root.total == 1000000 * 1024
    assert root.pct is not None and round(root.pct, 2) == 94.74  # used / (used + avail), as df
    sample = sample_from(None, r)
    assert sample.mem_pct == pytest.approx(75.0) and sample.swap_pct == pytest.approx(25.0)
    assert sample.cpu_pct is None and sample.per_core == (None, None)  # first: primes only


def test_missing_sections_are_none_not_zero() -> None:
    r = parse_block(["@@ loadavg", "garbage"], arrived=7.0, wall=8.0)
    assert r.cpu is None and r.mem_total is None and r.load is None and r.uptime_s is None
    assert r.clock == 7.0  # no /proc/uptime: the arrival time is the clock
    s = sample_from(None, r)
    assert s.mem_pct is None and s.load1 is None and s.disks == ()


def test_no_proc_says_so_plainly() -> None:
    reason = not_linux_reason(f"{NO_PROC} FreeBSD")
    assert reason.startswith("this host has no /proc: not Linux? remote health needs Linux")
    assert "FreeBSD" in reason
