"""What the console costs the machine it runs on, and the budget that keeps it small.

A console left open all day in a tmux pane must not become the load it is there to watch. Its
own CPU (all its threads: the UI, the libvirt workers, the store), memory and output to the
terminal are sampled every few seconds; when the CPU averaged over the window passes the
budget (`self_cost_budget_pct` of one core), every host's refresh interval is stretched, one
doubling per window, up to `MAX_STRETCH` times the configured one, and shortened again a step
at a time once the cost is well under the budget; a stretch that did not lower the cost is
undone (what costs then is not the ticks). Every change is said in words.

The deciding is pure (`SelfCostBudget.observe` takes samples, the tests give them); only
`ProcessSampler` reads this process, through psutil.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import psutil

log = logging.getLogger("limen_tui.fleet")

SAMPLE_EVERY_S = 2.0
"""Seconds between two samples (less when the window is short)."""
MAX_STRETCH = 8.0
"""The refresh interval is never stretched past this many times the configured one."""
STEP = 2.0
"""Each stretch doubles the interval; each step back halves it."""
BACK_BELOW = 0.8
"""A step back is tried when the cost is under this share of the budget."""
HELPED = 0.9
"""A stretch helped when the cost after it is under this share of the cost before it."""
MAX_HOLD = 32
"""At most this many windows (16 minutes at 30 s) between two tries of a step back."""


@dataclass(frozen=True, slots=True)
class CostSample:
    at: float
    """Monotonic seconds."""
    cpu_s: float
    """CPU seconds this process used so far (user + system, every thread)."""
    rss_bytes: int
    output_bytes: int
    """Bytes written to the terminal so far (0 when nothing counts them: a headless run)."""


@dataclass(frozen=True, slots=True)
class SelfCost:
    """The console's cost over the last window."""

    cpu_pct: float
    """Percent of one core."""
    rss_bytes: int
    output_bps: float
    window_s: float


@dataclass(frozen=True, slots=True)
class RefreshPaced:
    """The console changed every host's refresh interval to stay within its budget."""

    interval: float
    previous: float
    configured: float
    cost: SelfCost
    budget_pct: float
    helped: bool = True
    """False: the last stretch did not lower the cost, so it was undone."""

    @property
    def stretched(self) -> bool:
        """Longer than the configured interval (whichever way this change went)."""
        return self.interval > self.configured

    def __str__(self) -> str:
        used = f"{self.cost.cpu_pct:.1f}% of a core, budget {self.budget_pct:g}%"
        if not self.helped:
            return (
                f"refresh back to {self.interval:g} s: refreshing less often did not lower "
                f"the console's cost ({used})"
            )
        verb = "stretched to" if self.interval > self.previous else "back to"
        return f"refresh {verb} {self.interval:g} s: the console used {used}"


class RefreshPace:
    """The refresh interval every host's link waits between two ticks; the budget moves it."""

    def __init__(self, configured: float) -> None:
        self.configured = configured
        self.interval = configured
        self.last_change: RefreshPaced | None = None
        """The last change, said in words on the diagnostics screen (None: never changed)."""


class SelfCostBudget:
    """Judges a window of samples against the budget and moves the pace. Pure.

    Over budget for a whole window at this pace: one step longer (up to the cap). Under
    `BACK_BELOW` of the budget: one step back. A step back that put the cost over budget
    again waits twice as long before the next try (up to `MAX_HOLD` windows), so a console
    whose cost hovers near the budget does not flip every minute; one that held resets it.
    A stretch that did not lower the cost by `HELPED` (the cost is not the ticks': a busy
    screen, a storm of events) is undone, and stretching waits the same growing hold.
    """

    def __init__(self, pace: RefreshPace, budget_pct: float, window_s: float = 30.0) -> None:
        self.pace = pace
        self.budget_pct = budget_pct
        self.window_s = window_s
        self.cost: SelfCost | None = None
        """The latest figures (over up to one window), for the diagnostics."""
        self._samples: deque[CostSample] = deque()
        self._judged_from: float | None = None
        """When the window the next decision needs began (a fresh one after each change)."""
        self._hold = 1
        """Windows under budget before a step back is tried."""
        self._stepped_back = False
        """The last change was a step back, not yet seen to hold."""
        self._before: tuple[float, float] | None = None
        """(interval, CPU %) before the last stretch, until the stretch is judged."""
        self._stretch_hold = 1
        """Windows before stretching again after a stretch that did not help."""
        self._no_stretch_until = float("-inf")
        self.stretching = True
        """False: measure only (a console inside a test process, whose CPU is not its own)."""

    def observe(self, sample: CostSample) -> RefreshPaced | None:
        """Take one sample; returns the change of pace it led to, if any."""
        samples = self._samples
        samples.append(sample)
        while len(samples) > 2 and samples[1].at <= sample.at - self.window_s:
            samples.popleft()
        if self._judged_from is None:
            # The first window is start-up (imports done, but the first paint, discovery,
            # the cache's read): a cost paid once, not the console's pace.
            self._judged_from = sample.at + self.window_s
        first = samples[0]
        span = sample.at - first.at
        if span <= 0:
            return None
        cost = self.cost = SelfCost(
            cpu_pct=100.0 * (sample.cpu_s - first.cpu_s) / span,
            rss_bytes=sample.rss_bytes,
            output_bps=(sample.output_bytes - first.output_bytes) / span,
            window_s=span,
        )
        waited = sample.at - self._judged_from
        if not self.stretching or waited < self.window_s:
            return None  # not a whole window at this pace yet
        previous = self.pace.interval
        interval, helped = self._next_interval(cost.cpu_pct, waited, sample.at)
        if interval == previous:
            return None
        self.pace.interval = interval
        change = RefreshPaced(
            interval, previous, self.pace.configured, cost, self.budget_pct, helped
        )
        self.pace.last_change = change
        # The next decision judges a whole window at the new pace.
        self._judged_from = sample.at
        samples.clear()
        samples.append(sample)
        return change

    def _next_interval(self, cpu_pct: float, waited: float, now: float) -> tuple[float, bool]:
        """The interval from now on, and whether the last stretch helped."""
        pace = self.pace
        before, self._before = self._before, None  # the first judgment after a stretch
        if cpu_pct > self.budget_pct:
            if before is not None and cpu_pct > before[1] * HELPED:
                self._no_stretch_until = now + self.window_s * self._stretch_hold
                self._stretch_hold = min(self._stretch_hold * 2, MAX_HOLD)
                return before[0], False
            if now < self._no_stretch_until:
                return pace.interval, True
            if self._stepped_back:  # that step back did not hold: try later next time
                self._hold = min(self._hold * 2, MAX_HOLD)
            self._stepped_back = False
            longer = min(pace.interval * STEP, pace.configured * MAX_STRETCH)
            if longer != pace.interval:
                self._before = (pace.interval, cpu_pct)
            return longer, True
        if before is not None:  # a stretch that brought the cost within budget
            self._stretch_hold = 1
        if self._stepped_back:  # a whole window within budget: it held
            self._stepped_back, self._hold = False, 1
        if (
            pace.interval > pace.configured
            and cpu_pct <= self.budget_pct * BACK_BELOW
            and waited >= self.window_s * self._hold
        ):
            self._stepped_back = True
            return max(pace.interval / STEP, pace.configured), True
        return pace.interval, True


class ProcessSampler:
    """This process's CPU and memory (psutil reads /proc/self: no hung mount in the way)."""

    def __init__(
        self,
        output_bytes: Callable[[], int] = lambda: 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.output_bytes = output_bytes
        """The bytes written to the terminal so far: the UI hands its counter in."""
        self._process = psutil.Process()
        self._clock = clock

    def sample(self) -> CostSample:
        with self._process.oneshot():
            cpu = self._process.cpu_times()
            rss = self._process.memory_info().rss
        return CostSample(self._clock(), cpu.user + cpu.system, rss, self.output_bytes())


class SelfCostWatch:
    """Samples this process every few seconds on the fleet's loop and moves the pace."""

    def __init__(self, pace: RefreshPace, budget_pct: float, window_s: float) -> None:
        self.pace = pace
        self.budget = SelfCostBudget(pace, budget_pct, window_s)
        self.sampler = ProcessSampler()
        self.every_s = min(SAMPLE_EVERY_S, window_s / 10)
        self._task: asyncio.Task[None] | None = None

    def start(self, publish: Callable[[RefreshPaced], None]) -> None:
        if self._task is None:
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run(publish), name="self cost")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, publish: Callable[[RefreshPaced], None]) -> None:
        while True:
            # On the loop: reading /proc/self takes microseconds and cannot hang.
            change = self.budget.observe(self.sampler.sample())
            if change is not None:
                log.warning("%s", change)
                publish(change)
            await asyncio.sleep(self.every_s)
