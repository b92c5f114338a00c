"""The self-cost budget, decided from given samples: stretch over budget, step back when the
cost is well under it, never past the cap, not judged at start-up, and said in words."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from limen_tui.fleet.self_cost import (
    MAX_STRETCH,
    CostSample,
    ProcessSampler,
    RefreshPace,
    RefreshPaced,
    SelfCostBudget,
)


class Budget(SelfCostBudget):
    """The budget under test, with the CPU counter its samples go on from."""

    cpu_s = 0.0


def feed(
    budget: Budget, start: float, cpu_pct: float | Callable[[float], float], seconds: float
) -> tuple[list[RefreshPaced], float]:
    """One sample every 2 s for `seconds`, the process using `cpu_pct` of a core (or what
    `cpu_pct(interval)` says at the interval of the moment); returns the changes, and where
    the clock ended."""
    changes: list[RefreshPaced] = []
    at = start
    while at < start + seconds:
        pct = cpu_pct(budget.pace.interval) if callable(cpu_pct) else cpu_pct
        at += 2.0
        budget.cpu_s += 2.0 * pct / 100
        change = budget.observe(CostSample(at, budget.cpu_s, 100 << 20, int(at * 500)))
        if change is not None:
            changes.append(change)
    return changes, at


def make(budget_pct: float = 2.0) -> Budget:
    return Budget(RefreshPace(2.0), budget_pct=budget_pct, window_s=30.0)


def test_within_budget_nothing_changes_and_the_figures_are_kept() -> None:
    budget = make()
    changes, _ = feed(budget, 0.0, 1.9, 300.0)
    assert changes == [] and budget.pace.interval == 2.0
    assert budget.cost is not None
    assert abs(budget.cost.cpu_pct - 1.9) < 1e-6
    assert abs(budget.cost.output_bps - 500) < 1e-6
    assert budget.cost.rss_bytes == 100 << 20
    assert 28.0 <= budget.cost.window_s <= 30.0


def test_start_up_is_not_judged() -> None:
    budget = make()
    changes, at = feed(budget, 0.0, 40.0, 30.0)  # the first paint, discovery, the cache
    changes += feed(budget, at, 1.0, 60.0)[0]
    assert changes == []


def test_over_budget_it_stretches_until_the_cost_fits() -> None:
    budget = make()
    # What the ticks cost falls with their rate: 3.1% at 2 s, 1.7% at 4 s.
    changes, _ = feed(budget, 0.0, lambda interval: 0.3 + 5.6 / interval, 600.0)
    assert [c.interval for c in changes] == [4.0]
    assert str(changes[0]) == "refresh stretched to 4 s: the console used 3.1% of a core, budget 2%"
    assert budget.pace.last_change == changes[0]


def test_it_stretches_one_step_per_window_up_to_the_cap() -> None:
    budget = make()
    changes, _ = feed(budget, 0.0, lambda interval: 0.5 + 40.0 / interval, 600.0)
    assert [c.interval for c in changes] == [4.0, 8.0, 16.0]
    assert budget.pace.interval == 2.0 * MAX_STRETCH  # 3% at 16 s, but no further
    assert all(c.cost.window_s >= 30.0 for c in changes[1:])  # a whole window at each pace


def test_when_the_cost_falls_it_steps_back_to_the_configured_interval() -> None:
    budget = make()
    # 7.2% at 2 s, 3.7% at 4 s, 1.95% at 8 s: within budget, but not well under it.
    up, at = feed(budget, 0.0, lambda interval: 0.2 + 14.0 / interval, 400.0)
    assert [c.interval for c in up] == [4.0, 8.0] and budget.pace.interval == 8.0
    down, at = feed(budget, at, 0.5, 300.0)  # the load went: 0.5% whatever the interval
    assert [c.interval for c in down] == [4.0, 2.0]
    assert str(down[-1]) == "refresh back to 2 s: the console used 0.5% of a core, budget 2%"
    assert not down[-1].stretched
    never_below, _ = feed(budget, at, 0.1, 300.0)
    assert never_below == [] and budget.pace.interval == 2.0


def test_a_stretch_that_does_not_lower_the_cost_is_undone() -> None:
    # 3% whatever the interval: the cost is not the ticks' (a busy screen, an event storm).
    budget = make()
    changes: list[RefreshPaced] = []
    at, at_configured = 0.0, 0.0
    while at < 3600.0:
        found, at = feed(budget, at, 3.0, 2.0)
        changes += found
        at_configured += 2.0 if budget.pace.interval == 2.0 else 0.0
    assert [c.interval for c in changes[:2]] == [4.0, 2.0]
    assert not changes[1].helped
    assert str(changes[1]) == (
        "refresh back to 2 s: refreshing less often did not lower the console's cost "
        "(3.0% of a core, budget 2%)"
    )
    assert all(c.interval in (2.0, 4.0) for c in changes)
    assert len(changes) <= 16  # tried again less and less often
    assert at_configured >= 0.8 * 3600  # the operator keeps the refresh they asked for


def test_a_cost_that_hovers_at_the_budget_does_not_flip_every_window() -> None:
    # 2.5% at 2 s, 1.5% at 4 s: back at 2 s it is over budget again, every time.
    budget = make()
    backs: list[float] = []
    at, changes = 0.0, 0
    while at < 3600.0:
        found, at = feed(budget, at, lambda interval: 0.5 + 4.0 / interval, 2.0)
        changes += len(found)
        backs += [at for c in found if not c.stretched]
    # Without the growing hold it would flip every window: 60 changes in an hour.
    assert changes <= 16
    gaps = [b - a for a, b in itertools.pairwise(backs)]  # tries further and further apart
    assert len(gaps) >= 3 and all(b >= a for a, b in itertools.pairwise(gaps))
    assert gaps[-1] >= 8 * gaps[0]
    assert budget.pace.interval in (2.0, 4.0)


def test_the_process_sampler_reads_this_process() -> None:
    sampler = ProcessSampler(output_bytes=lambda: 42)
    first = sampler.sample()
    sum(i * i for i in range(300_000))  # some CPU
    second = sampler.sample()
    assert second.cpu_s > first.cpu_s and second.at > first.at
    assert second.rss_bytes > 10 << 20 and second.output_bytes == 42


def test_a_budget_that_only_measures_never_moves_the_pace() -> None:
    budget = make()
    budget.stretching = False  # a console inside a test process (its CPU is not its own)
    changes, _ = feed(budget, 0.0, 50.0, 300.0)
    assert changes == [] and budget.pace.interval == 2.0
    assert budget.cost is not None and budget.cost.cpu_pct > 40  # still measured, still shown
