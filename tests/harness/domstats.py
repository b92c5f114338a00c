"""What an operator checks the console against: ``virsh domstats --raw``, and rates from it.

Rates are deltas between two samples over the wall time between them. A sample's time is the
midpoint of the virsh run, since the stats call happens somewhere inside it. A run of its own
connects first (tens of milliseconds, hundreds on a busy machine); :class:`VirshSession` keeps
one connection, so its samples are the stats call alone.
"""

from __future__ import annotations

import itertools
import os
import re
import select
import shlex
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

Value = int | str

TABLE_GROUP_OPTIONS = ("--state", "--cpu-total", "--balloon", "--vcpu", "--interface", "--block")
"""The groups the console's table asks for (``limen_tui.virt.stats.TABLE_GROUPS``)."""


@dataclass(frozen=True, slots=True)
class DomStats:
    """One ``virsh domstats --raw`` run: each domain's stats and when they were taken."""

    at: float
    """time.monotonic() at the middle of the virsh run."""
    domains: dict[str, dict[str, Value]]

    def of(self, name: str) -> dict[str, Value]:
        return self.domains[name]


def parse_raw(text: str) -> dict[str, dict[str, Value]]:
    """``Domain: 'x'`` blocks of ``key=value`` lines into {name: {key: int or str}}."""
    domains: dict[str, dict[str, Value]] = {}
    current: dict[str, Value] | None = None
    for line in text.splitlines():
        header = re.match(r"Domain: '(.*)'$", line.strip())
        if header:
            current = domains.setdefault(header.group(1), {})
            continue
        if current is None or "=" not in line:
            continue
        key, _, raw = line.strip().partition("=")
        current[key] = int(raw) if re.fullmatch(r"-?\d+", raw) else raw
    return domains


def virsh_domstats(
    uri: str, names: Sequence[str] = (), options: Sequence[str] = TABLE_GROUP_OPTIONS
) -> DomStats:
    argv = ["virsh", "-c", uri, "domstats", "--raw", *options, *names]
    before = time.monotonic()
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False
    )
    after = time.monotonic()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {proc.stderr.strip()}")
    return DomStats(at=(before + after) / 2, domains=parse_raw(proc.stdout))


class VirshSession:
    """One interactive ``virsh`` on one connection, for samples timed to the stats call alone.

    A ``virsh domstats`` run of its own connects first: on a busy machine that alone takes
    hundreds of milliseconds, and the run's middle is then well before the stats were read
    (12% off over 3 s, seen on CI). In one session each sample is the call and its output.
    """

    def __init__(self, uri: str) -> None:
        self._proc = subprocess.Popen(
            ["virsh", "-q", "-c", uri],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._marks = itertools.count()

    def _run(self, command: str, limit: float = 60.0) -> str:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        mark = f"__sample_{next(self._marks)}_done__"
        self._proc.stdin.write(f"{command}\necho {mark}\n".encode())
        self._proc.stdin.flush()
        out, fd, end = b"", self._proc.stdout.fileno(), time.monotonic() + limit
        while out.count(mark.encode()) < 2:  # the echoed command, then echo's output
            ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
            chunk = os.read(fd, 1 << 16) if ready else b""
            if not chunk:
                raise RuntimeError(f"virsh gave no answer to {command!r}: {out!r}")
            out += chunk
        text = out.decode()
        errors = [ln for ln in text.splitlines() if ln.startswith("error:")]
        if errors:
            raise RuntimeError(f"virsh {command}: {' '.join(errors)}")
        return text

    def domstats(
        self, names: Sequence[str] = (), options: Sequence[str] = TABLE_GROUP_OPTIONS
    ) -> DomStats:
        command = " ".join(["domstats", "--raw", *options, *map(shlex.quote, names)])
        before = time.monotonic()
        text = self._run(command)
        after = time.monotonic()
        return DomStats(at=(before + after) / 2, domains=parse_raw(text))

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def summed(stats: dict[str, Value], group: str, field: str) -> int:
    """``group.N.field`` summed over ``group.count`` entries (virsh without ``--backing``
    lists one entry per disk or NIC, so every entry counts)."""
    count = stats.get(f"{group}.count", 0)
    assert isinstance(count, int)
    total = 0
    for i in range(count):
        value = stats.get(f"{group}.{i}.{field}", 0)
        assert isinstance(value, int)
        total += value
    return total


def rate(before: DomStats, after: DomStats, name: str, group: str, field: str) -> float:
    """Per second over the interval between the two virsh runs."""
    delta = summed(after.of(name), group, field) - summed(before.of(name), group, field)
    return delta / (after.at - before.at)


def latency_ms(before: DomStats, after: DomStats, name: str) -> float:
    """Average time of the disk requests completed in the interval, reads and writes together:
    the delta of ``rd.times + wr.times`` (ns) over the delta of ``rd.reqs + wr.reqs``."""
    a, b = before.of(name), after.of(name)
    times = sum(summed(b, "block", f) - summed(a, "block", f) for f in ("rd.times", "wr.times"))
    reqs = sum(summed(b, "block", f) - summed(a, "block", f) for f in ("rd.reqs", "wr.reqs"))
    assert reqs > 0, "no disk request completed in the interval"
    return times / reqs / 1e6


def steal_percent(before: DomStats, after: DomStats, name: str) -> float | None:
    """Time the vCPUs waited, runnable, for a host CPU (``vcpu.N.delay``) per second of wall
    time, as a percentage of the VM's vCPUs; None when libvirt reports no delay."""
    a, b = before.of(name), after.of(name)
    vcpus, maximum = b["vcpu.current"], b["vcpu.maximum"]
    assert isinstance(vcpus, int) and isinstance(maximum, int)
    keys = [f"vcpu.{i}.delay" for i in range(maximum) if f"vcpu.{i}.delay" in b]
    if not keys:
        return None
    delta = 0
    for key in keys:
        x, y = a[key], b[key]
        assert isinstance(x, int) and isinstance(y, int)
        delta += y - x
    return delta / (after.at - before.at) / 1e9 / vcpus * 100.0


def cpu_percent(before: DomStats, after: DomStats, name: str) -> float:
    """CPU time used per second of wall time, as a percentage of the VM's vCPUs."""
    a, b = before.of(name), after.of(name)
    cpu_a, cpu_b, vcpus = a["cpu.time"], b["cpu.time"], b["vcpu.current"]
    assert isinstance(cpu_a, int) and isinstance(cpu_b, int) and isinstance(vcpus, int)
    return (cpu_b - cpu_a) / (after.at - before.at) / 1e9 / vcpus * 100.0


def memory_used_kib(sample: DomStats, name: str) -> int:
    """What the guest says it uses: available minus usable (both from the balloon driver)."""
    stats = sample.of(name)
    available, usable = stats["balloon.available"], stats["balloon.usable"]
    assert isinstance(available, int) and isinstance(usable, int)
    return available - usable


def deviation(ours: float | None, theirs: float) -> float:
    """|ours - theirs| / theirs; infinite when the console showed n/a."""
    if ours is None:
        return float("inf")
    return abs(ours - theirs) / theirs
