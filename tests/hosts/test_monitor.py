"""HealthMonitor end to end: local psutil, a real sshd, and hosts that are dead or mute."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace

import pytest

from limen_tui.hosts.monitor import (
    HealthMonitor,
    HealthSettings,
    HealthStateChanged,
    HealthUpdate,
    HealthUpdated,
)
from limen_tui.hosts.ssh import SshLink, SshSettings, SshTarget
from limen_tui.model import LinkState
from tests.harness.sshd import SilentListener, SshServer, free_port

FAST = HealthSettings(interval=0.3, timeout=2.0, retry_min=0.2, retry_max=1.0)
SSH_FAST = SshSettings(connect_timeout=1.5, keepalive_interval=1, ssh_config=None)


@dataclass
class Seen:
    """Everything the monitors published, with the loop time it arrived."""

    events: list[tuple[float, HealthUpdate]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, update: HealthUpdate) -> None:
        self.events.append((time.monotonic(), update))
        self.changed.set()

    def samples(self, host: str) -> list[HealthUpdated]:
        return [u for _t, u in self.events if isinstance(u, HealthUpdated) and u.host == host]

    def states(self, host: str) -> list[HealthStateChanged]:
        return [u for _t, u in self.events if isinstance(u, HealthStateChanged) and u.host == host]

    async def until(self, check: Callable[[], bool], within: float) -> None:
        deadline = time.monotonic() + within
        while not check():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"not seen within {within}s; saw {self.events[-5:]}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)


def link_to(sshd: SshServer, name: str = "hv-test", port: int | None = None) -> SshLink:
    return SshLink(
        SshTarget(
            name, sshd.host, port or sshd.port, sshd.user, sshd.key_path, sshd.known_hosts_path
        ),
        SSH_FAST,
    )


@pytest.fixture
async def running() -> AsyncIterator[list[HealthMonitor | SshLink]]:
    """Monitors and links a test started; all stopped at the end."""
    things: list[HealthMonitor | SshLink] = []
    yield things
    for thing in reversed(things):
        await thing.stop()


async def test_local_health_samples_at_the_interval(running: list[HealthMonitor | SshLink]) -> None:
    seen = Seen()
    monitor = HealthMonitor.local("here", seen, FAST)
    running.append(monitor)
    monitor.start()
    await seen.until(lambda: len(seen.samples("here")) >= 3, 5)
    first, second, _ = seen.samples("here")[:3]
    assert first.sample.cpu_pct is None  # primes
    assert second.sample.cpu_pct is not None and second.verdicts.cpu.value in ("ok", "warn", "crit")
    assert [s.state for s in seen.states("here")] == [LinkState.LIVE]
    assert len(monitor.tracker.history) >= 3


async def test_remote_health_streams_samples_with_rates(
    sshd: SshServer, running: list[HealthMonitor | SshLink]
) -> None:
    seen = Seen()
    link = link_to(sshd)
    monitor = HealthMonitor.remote(link, seen, FAST)
    running += [link, monitor]
    monitor.start()
    await seen.until(lambda: len(seen.samples("hv-test")) >= 3, 10)
    samples = [u.sample for u in seen.samples("hv-test")]
    assert samples[0].cpu_pct is None
    later = samples[1]
    assert later.interval_s is not None and 0.25 < later.interval_s < 1.0
    assert later.cpu_pct is not None and later.mem_pct is not None and later.load1 is not None
    assert later.disks and all(d.pct is not None for d in later.disks)
    # Devices seen in both samples have rates (a VM's vnet may appear between two: n/a).
    old_nics = {n.interface for n in samples[0].net}
    assert later.net and all(n.rx_bps is not None for n in later.net if n.interface in old_nics)
    old_disks = {d.device for d in samples[0].disk_io}
    assert all(io.read_bps is not None for io in later.disk_io if io.device in old_disks)
    # One session for the whole stream, not one per sample.
    assert sshd.log_text().count("Starting session:") == 1


async def test_remote_health_comes_back_after_sshd_restarts(
    sshd: SshServer, running: list[HealthMonitor | SshLink]
) -> None:
    seen = Seen()
    link = link_to(sshd)
    monitor = HealthMonitor.remote(link, seen, FAST)
    running += [link, monitor]
    monitor.start()
    await seen.until(lambda: len(seen.samples("hv-test")) >= 1, 10)
    await asyncio.to_thread(sshd.stop)
    await seen.until(lambda: monitor.state is LinkState.DOWN, FAST.timeout + 1)
    before = len(seen.samples("hv-test"))
    await asyncio.to_thread(sshd.start)
    started = time.monotonic()
    await seen.until(lambda: len(seen.samples("hv-test")) >= before + 2, 10)
    assert time.monotonic() - started < 4.0
    assert monitor.state is LinkState.LIVE


async def test_a_host_without_proc_is_named_not_linux(
    sshd: SshServer, running: list[HealthMonitor | SshLink]
) -> None:
    seen = Seen()
    link = link_to(sshd)
    monitor = HealthMonitor("bsd", seen, FAST, link=link, proc="/nonexistent-proc")
    running += [link, monitor]
    monitor.start()
    await seen.until(lambda: monitor.state is LinkState.DOWN, 5)
    assert monitor.reason.startswith("this host has no /proc: not Linux? remote health needs Linux")


async def test_dead_and_mute_hosts_go_down_in_time_while_others_keep_sampling(
    sshd: SshServer,
    silent_listener: SilentListener,
    running: list[HealthMonitor | SshLink],
) -> None:
    seen = Seen()
    settings = replace(FAST, timeout=1.0)
    good = HealthMonitor.remote(link_to(sshd, "good"), seen, settings)
    here = HealthMonitor.local("here", seen, settings)
    # connect_timeout 1.5 s > the monitor's 1 s: the monitor's own timeout must answer.
    refused_link = link_to(sshd, "refused", free_port())
    mute_link = link_to(sshd, "mute", silent_listener.port)
    refused = HealthMonitor.remote(refused_link, seen, settings)
    mute = HealthMonitor.remote(mute_link, seen, settings)
    running += [good, here, refused, mute, refused_link, mute_link]
    started = time.monotonic()
    for monitor in (good, here, refused, mute):
        monitor.start()
    await seen.until(lambda: refused.state is LinkState.DOWN and mute.state is LinkState.DOWN, 3)
    down_at = {
        host: next(
            t
            for t, u in seen.events
            if isinstance(u, HealthStateChanged) and u.host == host and u.state is LinkState.DOWN
        )
        - started
        for host in ("refused", "mute")
    }
    assert down_at["refused"] < 1.0, down_at
    assert down_at["mute"] < settings.timeout + 0.5, down_at
    assert "refused the connection" in refused.reason
    assert "no SSH answer from mute within 1s" in mute.reason
    await asyncio.sleep(1.5)
    for host in ("good", "here"):
        times = [t for t, u in seen.events if isinstance(u, HealthUpdated) and u.host == host]
        assert len(times) >= 4, host
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert max(gaps) < settings.interval * 3, (host, gaps)


async def test_a_host_that_hangs_mid_stream_goes_down_within_the_timeout(
    sshd: SshServer, running: list[HealthMonitor | SshLink]
) -> None:
    seen = Seen()
    settings = replace(FAST, timeout=1.0)
    link = link_to(sshd)
    monitor = HealthMonitor.remote(link, seen, settings)
    running += [link, monitor]
    monitor.start()
    await seen.until(lambda: len(seen.samples("hv-test")) >= 2, 10)
    await asyncio.to_thread(sshd.freeze)
    try:
        frozen_at = time.monotonic()
        await seen.until(lambda: monitor.state is LinkState.DOWN, 3)
        took = time.monotonic() - frozen_at
        assert took < settings.timeout + settings.interval + 0.3
        assert "no health sample from hv-test within 1s" in monitor.reason
    finally:
        await asyncio.to_thread(sshd.thaw)
    count = len(seen.samples("hv-test"))
    await seen.until(lambda: len(seen.samples("hv-test")) > count, 10)
