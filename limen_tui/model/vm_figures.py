"""One VM's counters per vCPU, disk and NIC, and the rates between two readings. Pure.

What the VM screen shows and the details pane cannot: the table sums a VM's disks and NICs,
this keeps them apart. The counters are libvirt's own (`virsh domstats` names them), read for
the VM on screen only (virt/vm_stats.py); capacity, allocation and physical size are
`virsh domblkinfo`'s.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VcpuCounters:
    index: int
    time_ns: int | None = None
    """vcpu.N.time: CPU time this vCPU ran."""
    wait_ns: int | None = None
    """vcpu.N.wait: time it waited for I/O (where the driver says)."""
    delay_ns: int | None = None
    """vcpu.N.delay: time it was runnable but the host ran something else (steal)."""


@dataclass(frozen=True, slots=True)
class DiskCounters:
    name: str
    path: str = ""
    rd_bytes: int | None = None
    wr_bytes: int | None = None
    rd_reqs: int | None = None
    wr_reqs: int | None = None
    rd_times_ns: int | None = None
    wr_times_ns: int | None = None
    errors: int | None = None
    capacity: int | None = None
    """Bytes the guest sees (domblkinfo Capacity)."""
    allocation: int | None = None
    """Bytes the host has given it (domblkinfo Allocation)."""
    physical: int | None = None
    """Bytes of the file or device on the host (domblkinfo Physical)."""


@dataclass(frozen=True, slots=True)
class NicCounters:
    name: str
    """The host-side device (vnet0, a tap)."""
    mac: str = ""
    rx_bytes: int | None = None
    rx_pkts: int | None = None
    rx_errs: int | None = None
    rx_drop: int | None = None
    tx_bytes: int | None = None
    tx_pkts: int | None = None
    tx_errs: int | None = None
    tx_drop: int | None = None


@dataclass(frozen=True, slots=True)
class BalloonCounters:
    """balloon.*, in KiB (what the guest's balloon driver reports, where it does)."""

    current: int | None = None
    maximum: int | None = None
    rss: int | None = None
    usable: int | None = None
    available: int | None = None
    unused: int | None = None
    disk_caches: int | None = None
    swap_in: int | None = None
    swap_out: int | None = None
    major_fault: int | None = None
    minor_fault: int | None = None


@dataclass(frozen=True, slots=True)
class VmSample:
    """One reading of one VM's counters; `at` is time.monotonic() when it was read."""

    at: float
    cpu_time_ns: int | None = None
    vcpus: tuple[VcpuCounters, ...] = ()
    disks: tuple[DiskCounters, ...] = ()
    nics: tuple[NicCounters, ...] = ()
    balloon: BalloonCounters = BalloonCounters()


@dataclass(frozen=True, slots=True)
class VcpuFigures:
    counters: VcpuCounters
    busy_pct: float | None = None
    """Of this one vCPU, over the interval."""
    wait_pct: float | None = None
    delay_pct: float | None = None


@dataclass(frozen=True, slots=True)
class DiskFigures:
    counters: DiskCounters
    rd_bps: float | None = None
    wr_bps: float | None = None
    rd_iops: float | None = None
    wr_iops: float | None = None
    rd_latency_ms: float | None = None
    """Average time of a read request over the interval (rd.times / rd.reqs deltas)."""
    wr_latency_ms: float | None = None


@dataclass(frozen=True, slots=True)
class NicFigures:
    counters: NicCounters
    rx_bps: float | None = None
    tx_bps: float | None = None
    rx_pps: float | None = None
    tx_pps: float | None = None


@dataclass(frozen=True, slots=True)
class VmFigures:
    """A reading and the rates since the one before (None: one reading only, or a counter
    went back because the VM restarted)."""

    sample: VmSample
    seconds: float | None
    vcpus: tuple[VcpuFigures, ...]
    disks: tuple[DiskFigures, ...]
    nics: tuple[NicFigures, ...]


def _delta(before: int | None, after: int | None) -> int | None:
    if before is None or after is None or after < before:
        return None
    return after - before


def _rate(before: int | None, after: int | None, seconds: float | None) -> float | None:
    d = _delta(before, after)
    return None if d is None or not seconds or seconds <= 0 else d / seconds


def _latency_ms(times: int | None, reqs: int | None) -> float | None:
    if times is None or not reqs:
        return None
    return times / reqs / 1e6


def _ns_pct(before: int | None, after: int | None, seconds: float | None) -> float | None:
    r = _rate(before, after, seconds)
    return None if r is None else r / 1e9 * 100.0


def figures_between(before: VmSample | None, after: VmSample) -> VmFigures:
    """Rates per vCPU, disk and NIC from two readings; devices matched by name."""
    seconds = None if before is None else after.at - before.at
    vb = {v.index: v for v in before.vcpus} if before else {}
    db = {d.name: d for d in before.disks} if before else {}
    nb = {n.name: n for n in before.nics} if before else {}
    vcpus = tuple(
        VcpuFigures(
            v,
            _ns_pct(w.time_ns, v.time_ns, seconds),
            _ns_pct(w.wait_ns, v.wait_ns, seconds),
            _ns_pct(w.delay_ns, v.delay_ns, seconds),
        )
        if (w := vb.get(v.index)) is not None
        else VcpuFigures(v)
        for v in after.vcpus
    )
    disks = []
    for d in after.disks:
        p = db.get(d.name)
        if p is None:
            disks.append(DiskFigures(d))
            continue
        disks.append(
            DiskFigures(
                d,
                _rate(p.rd_bytes, d.rd_bytes, seconds),
                _rate(p.wr_bytes, d.wr_bytes, seconds),
                _rate(p.rd_reqs, d.rd_reqs, seconds),
                _rate(p.wr_reqs, d.wr_reqs, seconds),
                _latency_ms(_delta(p.rd_times_ns, d.rd_times_ns), _delta(p.rd_reqs, d.rd_reqs)),
                _latency_ms(_delta(p.wr_times_ns, d.wr_times_ns), _delta(p.wr_reqs, d.wr_reqs)),
            )
        )
    nics = []
    for n in after.nics:
        q = nb.get(n.name)
        if q is None:
            nics.append(NicFigures(n))
            continue
        nics.append(
            NicFigures(
                n,
                _rate(q.rx_bytes, n.rx_bytes, seconds),
                _rate(q.tx_bytes, n.tx_bytes, seconds),
                _rate(q.rx_pkts, n.rx_pkts, seconds),
                _rate(q.tx_pkts, n.tx_pkts, seconds),
            )
        )
    return VmFigures(after, seconds, vcpus, tuple(disks), tuple(nics))
