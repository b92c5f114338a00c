"""A HealthMonitor per host: samples at an interval, judges, publishes, and survives the host.

It runs as an asyncio task on the consumer's loop. Local samples come from a worker thread of
the monitor's own (psutil can block on a hung mount); remote samples from the host's SSH link,
as one stream. Every wait has a timeout: a dead or slow host is marked down within
`timeout` seconds and retried, and since each monitor only awaits its own host, one host never
stalls another's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from limen_tui.hosts.health import HealthSample
from limen_tui.hosts.local import LocalSampler
from limen_tui.hosts.ssh_target import SshUnavailable
from limen_tui.hosts.thresholds import Alert, HealthTracker, Thresholds, Verdicts
from limen_tui.model import LinkState
from limen_tui.model.backoff import Backoff

if TYPE_CHECKING:  # asyncssh loads only for a host watched over SSH (see _stream)
    import asyncssh

    from limen_tui.hosts.ssh import SshLink

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HealthSettings:
    interval: float = 2.0
    """Seconds between two samples."""
    timeout: float = 10.0
    """Seconds without a sample (or an SSH answer) before the host's health is down."""
    retry_min: float = 1.0
    retry_max: float = 30.0
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True, slots=True)
class HealthUpdated:
    host: str
    sample: HealthSample
    verdicts: Verdicts
    alert: Alert | None
    """The alert standing after this sample (raised earlier, not yet cleared)."""


@dataclass(frozen=True, slots=True)
class HealthStateChanged:
    host: str
    state: LinkState
    reason: str
    since: float


@dataclass(frozen=True, slots=True)
class HealthAlertRaised:
    host: str
    alert: Alert


@dataclass(frozen=True, slots=True)
class HealthAlertCleared:
    host: str
    alert: Alert


HealthUpdate = HealthUpdated | HealthStateChanged | HealthAlertRaised | HealthAlertCleared
PublishHealth = Callable[[HealthUpdate], None]


class HealthMonitor:
    """Health of one host. `local()` for this machine, `remote()` over the host's SSH link."""

    def __init__(
        self,
        host: str,
        publish: PublishHealth,
        settings: HealthSettings | None = None,
        *,
        link: SshLink | None = None,
        clock: Callable[[], float] = time.monotonic,
        proc: str = "/proc",
    ) -> None:
        self.host = host
        self.settings = settings or HealthSettings()
        self.tracker = HealthTracker(self.settings.thresholds, clock)
        self._publish = publish
        self._link = link
        self._proc = proc
        self._task: asyncio.Task[None] | None = None
        self.state = LinkState.CONNECTING
        self.reason = ""
        self.last_sample: HealthSample | None = None
        self.latest: HealthUpdated | None = None
        """The last sample as judged and published (None before the first)."""

    @classmethod
    def local(
        cls, host: str, publish: PublishHealth, settings: HealthSettings | None = None
    ) -> HealthMonitor:
        return cls(host, publish, settings)

    @classmethod
    def remote(
        cls, link: SshLink, publish: PublishHealth, settings: HealthSettings | None = None
    ) -> HealthMonitor:
        return cls(link.target.name, publish, settings, link=link)

    def start(self) -> asyncio.Task[None]:
        if self._task is None:
            if self._link is not None:
                self._link.start()  # shared with log streams; starting twice is a no-op
            run = self._run_local() if self._link is None else self._run_remote(self._link)
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(run, name=f"health {self.host}")
        return self._task

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- publishing ----------------------------------------------------------------------------

    def _set_state(self, state: LinkState, reason: str = "") -> None:
        if (state, reason) == (self.state, self.reason):
            return
        self.state, self.reason = state, reason
        self._publish(HealthStateChanged(self.host, state, reason, time.time()))

    def _take(self, sample: HealthSample) -> None:
        self._set_state(LinkState.LIVE)
        self.last_sample = sample
        seen = self.tracker.observe(sample)
        if seen.cleared is not None:
            self._publish(HealthAlertCleared(self.host, seen.cleared))
        self.latest = HealthUpdated(self.host, sample, seen.verdicts, seen.alert)
        self._publish(self.latest)
        if seen.raised and seen.alert is not None:
            self._publish(HealthAlertRaised(self.host, seen.alert))

    # -- this machine --------------------------------------------------------------------------

    async def _run_local(self) -> None:
        s = self.settings
        loop = asyncio.get_running_loop()
        sampler = LocalSampler()
        # Its own thread: a statvfs stuck on a dead NFS mount stalls only this monitor.
        pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"health-{self.host}")
        pending: asyncio.Future[HealthSample] | None = None
        try:
            while True:
                started = loop.time()
                if pending is None:
                    pending = loop.run_in_executor(pool, sampler.sample)
                try:
                    sample = await asyncio.wait_for(asyncio.shield(pending), s.timeout)
                except TimeoutError:
                    # Keep waiting for the same call: a second one would queue behind it.
                    self._set_state(
                        LinkState.DOWN, f"local sampling did not answer within {s.timeout:g}s"
                    )
                    continue
                except Exception as exc:
                    pending = None
                    self._set_state(LinkState.DOWN, f"local sampling failed: {exc}")
                else:
                    pending = None
                    self._take(sample)
                await asyncio.sleep(max(0.0, started + s.interval - loop.time()))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    # -- a host over SSH -----------------------------------------------------------------------

    async def _run_remote(self, link: SshLink) -> None:
        s = self.settings
        backoff = Backoff(s.retry_min, s.retry_max)
        while True:
            try:
                conn = await link.connection(s.timeout)
            except SshUnavailable as exc:
                self._set_state(LinkState.DOWN, exc.reason)
                await link.wait_change(backoff.current)
                continue
            if self.state is not LinkState.LIVE:
                self._set_state(LinkState.CONNECTING, "starting the health stream")
            try:
                reason, healthy = await self._stream(link, conn)
            except Exception as exc:  # a bug must not end this host's health for good
                log.exception("%s: health stream failed", self.host)
                reason, healthy = f"health stream failed: {exc}", False
            self._set_state(LinkState.DOWN, reason)
            if healthy:
                backoff.reset()
            # A new connection (or the retry delay) is the next chance.
            await link.wait_change(backoff.next())

    async def _stream(self, link: SshLink, conn: asyncssh.SSHClientConnection) -> tuple[str, bool]:
        """Read samples until the stream fails; returns why, and whether it ever worked."""
        import asyncssh

        from limen_tui.hosts.remote import NotLinux, RemoteHealthStream, StreamEnded

        s = self.settings
        stream = RemoteHealthStream(conn, s.interval, proc=self._proc)
        got_one = False
        try:
            try:
                await asyncio.wait_for(stream.start(), s.timeout)
            except TimeoutError:
                # The connection says it is up but cannot open a session: it is not.
                reason = f"{self.host} did not open a session within {s.timeout:g}s"
                link.drop(reason)
                return reason, False
            while True:
                try:
                    sample = await asyncio.wait_for(stream.next_sample(), s.timeout)
                except TimeoutError:
                    reason = f"no health sample from {self.host} within {s.timeout:g}s"
                    if not got_one:
                        link.drop(reason)
                    return reason, got_one
                got_one = True
                self._take(sample)
        except NotLinux as exc:
            return str(exc), False
        except StreamEnded as exc:
            return str(exc), got_one
        except (asyncssh.Error, OSError) as exc:
            return f"health stream failed: {exc}", got_one
        finally:
            stream.close()
