"""Health of the machine the console runs on, read with psutil.

`LocalSampler.sample()` never sleeps: CPU % is the difference between this call's CPU times
and the previous call's, the way `psutil.cpu_percent(interval=None)` works, but kept in the
sampler instead of psutil's module-wide state, so a benchmark or a second sampler cannot steal
another's interval. The first call only primes (CPU % and rates are n/a). It still blocks
briefly (it reads /proc and calls statvfs on each mount, and a hung NFS mount can hang statvfs),
so it is meant for a worker thread.
"""

from __future__ import annotations

import os
import time

import psutil

from limen_tui.hosts.health import (
    CpuTimes,
    DiskUsage,
    HealthSample,
    RawReading,
    disk_usage,
    is_storage_mount,
    is_whole_disk,
    sample_from,
)


def _cpu(times: object) -> CpuTimes:
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    return CpuTimes.from_fields([float(getattr(times, n, 0.0)) for n in names])


def _block_devices() -> frozenset[str]:
    try:
        # /sys/block writes a "/" in a name as "!" (cciss!c0d0); psutil uses the kernel's name.
        return frozenset(name.replace("!", "/") for name in os.listdir("/sys/block"))
    except OSError:
        return frozenset()


def _mounts() -> tuple[DiskUsage, ...]:
    seen: set[str] = set()
    out: list[DiskUsage] = []
    for part in psutil.disk_partitions(all=False):
        # A device mounted twice (bind mounts) is one filesystem: count it once.
        if not is_storage_mount(part.device, part.fstype) or part.device in seen:
            continue
        seen.add(part.device)
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:
            continue  # unmounted meanwhile, or not ours to read
        out.append(disk_usage(part.mountpoint, part.device, usage.used, usage.total, usage.free))
    return tuple(out)


def read_local() -> RawReading:
    """This machine's counters now."""
    mem = psutil.virtual_memory()
    swap = psutil.swap_memory()
    try:
        load: tuple[float, float, float] | None = os.getloadavg()
    except OSError:
        load = None
    disks = _block_devices()
    io = psutil.disk_io_counters(perdisk=True, nowrap=False) or {}
    net = psutil.net_io_counters(pernic=True, nowrap=False) or {}
    return RawReading(
        clock=time.monotonic(),
        time=time.time(),
        cpu=_cpu(psutil.cpu_times()),
        cores=tuple(_cpu(t) for t in psutil.cpu_times(percpu=True)),
        mem_total=mem.total,
        mem_available=mem.available,
        swap_total=swap.total,
        swap_free=swap.free,
        load=load,
        uptime_s=time.time() - psutil.boot_time(),
        disks=_mounts(),
        disk_bytes=tuple(
            (name, c.read_bytes, c.write_bytes)
            for name, c in sorted(io.items())
            if is_whole_disk(name, disks)
        ),
        net_bytes=tuple(
            (name, c.bytes_recv, c.bytes_sent) for name, c in sorted(net.items()) if name != "lo"
        ),
    )


class LocalSampler:
    """Samples this machine; each call compares with the previous one. One thread at a time."""

    def __init__(self) -> None:
        self._last: RawReading | None = None

    def sample(self) -> HealthSample:
        """Blocking (briefly): run it in a worker thread, never on the event loop."""
        reading = read_local()
        sample = sample_from(self._last, reading)
        self._last = reading
        return sample
