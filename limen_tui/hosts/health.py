"""One host's health at one moment, and how two raw readings become it.

Local (psutil) and remote (/proc over SSH) sampling both produce a `RawReading`: the host's
counters as the kernel keeps them. `HealthSample` is what an operator reads: percentages and
rates, computed from the difference between two consecutive readings. Whatever cannot be known
(the first reading has no predecessor, a counter went backwards, a file was missing) is None and
shows as "n/a"; nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

# Filesystems that live in a pool rather than on a /dev node, yet hold real data.
_POOL_FILESYSTEMS = frozenset({"zfs"})


@dataclass(frozen=True, slots=True)
class CpuTimes:
    """Cumulative CPU time (any unit, as long as both fields share it)."""

    busy: float
    total: float

    @classmethod
    def from_fields(cls, fields: list[float]) -> CpuTimes:
        """From /proc/stat's order: user nice system idle iowait irq softirq steal guest
        guest_nice. Guest time is already counted in user and nice, so it is not added twice;
        iowait is idle time (the CPU could have run something else)."""
        padded = (fields + [0.0] * 10)[:10]
        total = sum(padded[:8])
        idle = padded[3] + padded[4]
        return cls(busy=total - idle, total=total)


@dataclass(frozen=True, slots=True)
class DiskUsage:
    """One mounted filesystem, as df shows it."""

    mount: str
    device: str
    used: int
    """Bytes."""
    total: int
    """Bytes."""
    available: int
    """Bytes an unprivileged user can still write (reserved blocks excluded)."""
    pct: float | None
    """Used / (used + available), as df's Use%: reserved blocks do not count as free."""


def disk_usage(mount: str, device: str, used: int, total: int, available: int) -> DiskUsage:
    room = used + available
    return DiskUsage(mount, device, used, total, available, used * 100.0 / room if room else None)


@dataclass(frozen=True, slots=True)
class DiskIo:
    device: str
    read_bps: float | None
    write_bps: float | None


@dataclass(frozen=True, slots=True)
class NetIo:
    interface: str
    rx_bps: float | None
    tx_bps: float | None


@dataclass(frozen=True, slots=True)
class RawReading:
    """A host's counters at one moment; None where the host did not say."""

    clock: float
    """Monotonic seconds on the host that counted (rates divide by differences of this)."""
    time: float
    """Wall-clock seconds (time.time()) when the reading was taken or arrived."""
    cpu: CpuTimes | None = None
    cores: tuple[CpuTimes, ...] = ()
    mem_total: int | None = None
    mem_available: int | None = None
    swap_total: int | None = None
    swap_free: int | None = None
    load: tuple[float, float, float] | None = None
    uptime_s: float | None = None
    disks: tuple[DiskUsage, ...] = ()
    disk_bytes: tuple[tuple[str, int, int], ...] = ()
    """(device, bytes read, bytes written) since boot."""
    net_bytes: tuple[tuple[str, int, int], ...] = ()
    """(interface, bytes received, bytes sent) since boot."""


@dataclass(frozen=True, slots=True)
class HealthSample:
    """What the health gauges show for one host at one moment. None shows as n/a."""

    time: float
    interval_s: float | None
    """Seconds the rates and CPU % cover; None on the first sample (nothing to compare)."""
    cpu_pct: float | None
    per_core: tuple[float | None, ...]
    mem_used: int | None
    """Bytes in use: total minus what the kernel says is available (MemAvailable)."""
    mem_total: int | None
    mem_pct: float | None
    swap_used: int | None
    swap_total: int | None
    swap_pct: float | None
    """None when the host has no swap."""
    load1: float | None
    load5: float | None
    load15: float | None
    uptime_s: float | None
    disks: tuple[DiskUsage, ...]
    disk_io: tuple[DiskIo, ...]
    net: tuple[NetIo, ...]


def is_storage_mount(device: str, fstype: str) -> bool:
    """A filesystem worth a gauge: backed by a device node (or a ZFS pool), not a pseudo
    filesystem like proc, tmpfs or cgroup, which only clutter the view."""
    return device.startswith("/") or fstype in _POOL_FILESYSTEMS


def is_whole_disk(name: str, block_devices: frozenset[str]) -> bool:
    """A device listed in /sys/block (whole disks, dm-*, md*: not partitions, whose bytes
    are already in their disk's), minus loop and ram devices, which are not storage."""
    return name in block_devices and not name.startswith(("loop", "ram"))


def _pct(part: float, whole: float) -> float | None:
    return part * 100.0 / whole if whole > 0 else None


def _cpu_pct(before: CpuTimes, after: CpuTimes) -> float | None:
    total = after.total - before.total
    if total <= 0:
        # No tick counted (an idle CPU on a tickless kernel can report none for a moment),
        # or the counters were reset (a CPU came back online): nothing to say.
        return None
    # Float sums can leave busy a hair below zero, and Linux's idle counters are known to
    # step back slightly; like psutil, clamp rather than report nonsense.
    busy = after.busy - before.busy
    return min(100.0, max(0.0, busy * 100.0 / total))


def _rate(before: int, after: int, seconds: float) -> float | None:
    return (after - before) / seconds if after >= before else None  # reset or wrapped


def _rates(
    before: tuple[tuple[str, int, int], ...],
    after: tuple[tuple[str, int, int], ...],
    seconds: float | None,
) -> list[tuple[str, float | None, float | None]]:
    old = {name: (a, b) for name, a, b in before}
    out: list[tuple[str, float | None, float | None]] = []
    for name, a, b in after:
        prev = old.get(name)
        if prev is None or seconds is None:
            out.append((name, None, None))
        else:
            out.append((name, _rate(prev[0], a, seconds), _rate(prev[1], b, seconds)))
    return out


def sample_from(before: RawReading | None, after: RawReading) -> HealthSample:
    """Turn two consecutive readings of one host into a sample; `before` None primes."""
    seconds: float | None = None
    if before is not None and after.clock > before.clock:
        seconds = after.clock - before.clock
    cpu_pct: float | None = None
    per_core: tuple[float | None, ...] = tuple(None for _ in after.cores)
    if seconds is not None and before is not None:
        if before.cpu is not None and after.cpu is not None:
            cpu_pct = _cpu_pct(before.cpu, after.cpu)
        if len(before.cores) == len(after.cores):
            per_core = tuple(_cpu_pct(b, a) for b, a in zip(before.cores, after.cores, strict=True))
    mem_used = (
        after.mem_total - after.mem_available
        if after.mem_total is not None and after.mem_available is not None
        else None
    )
    swap_used = (
        after.swap_total - after.swap_free
        if after.swap_total is not None and after.swap_free is not None
        else None
    )
    load = after.load
    prev_disk = before.disk_bytes if before is not None else ()
    prev_net = before.net_bytes if before is not None else ()
    return HealthSample(
        time=after.time,
        interval_s=seconds,
        cpu_pct=cpu_pct,
        per_core=per_core,
        mem_used=mem_used,
        mem_total=after.mem_total,
        mem_pct=_pct(mem_used, after.mem_total)
        if mem_used is not None and after.mem_total
        else None,
        swap_used=swap_used,
        swap_total=after.swap_total,
        swap_pct=(
            _pct(swap_used, after.swap_total)
            if swap_used is not None and after.swap_total
            else None
        ),
        load1=load[0] if load else None,
        load5=load[1] if load else None,
        load15=load[2] if load else None,
        uptime_s=after.uptime_s,
        disks=after.disks,
        disk_io=tuple(DiskIo(*r) for r in _rates(prev_disk, after.disk_bytes, seconds)),
        net=tuple(NetIo(*r) for r in _rates(prev_net, after.net_bytes, seconds)),
    )
