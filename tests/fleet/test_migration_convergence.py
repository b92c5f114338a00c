"""Progress from libvirt's job stats and the convergence verdict, without libvirtd."""

from __future__ import annotations

from typing import Any

from limen_tui.fleet.migration_progress import ConvergenceWatch, JobProgress, progress_from_stats
from limen_tui.model.action_params import Migrate

MIB = 1024 * 1024


def stats(
    iteration: int, *, dirty_pages: int, bps: int, remaining: int = 64 * MIB
) -> dict[str, Any]:
    return {
        "type": 2,
        "time_elapsed": 3500,
        "data_total": 128 * MIB,
        "data_processed": 200 * MIB,
        "data_remaining": remaining,
        "memory_bps": bps,
        "memory_dirty_rate": dirty_pages,
        "memory_page_size": 4096,
        "memory_iteration": iteration,
        "downtime": 300,
    }


def sample(iteration: int, dirty_mib: float, sent_mib: float) -> JobProgress:
    found = progress_from_stats(
        stats(iteration, dirty_pages=int(dirty_mib * MIB / 4096), bps=int(sent_mib * MIB))
    )
    assert found is not None
    return found


def test_figures_come_from_libvirts_own_keys() -> None:
    p = progress_from_stats(stats(3, dirty_pages=256, bps=100 * MIB, remaining=32 * MIB))
    assert p is not None
    assert p.elapsed_s == 3.5 and p.iteration == 3 and p.expected_downtime_ms == 300
    assert p.dirty_bps == 256 * 4096 and p.transfer_bps == 100 * MIB
    assert p.percent == 75.0
    assert p.eta_s is not None and abs(p.eta_s - 32 * MIB / (100 * MIB - 1 * MIB)) < 1e-9
    assert p.summary() == "migrating 75% 100.0 MiB/s, pass 3, ~0s left"


def test_no_job_is_no_progress() -> None:
    assert progress_from_stats({"type": 0}) is None
    assert progress_from_stats({}) is None


def test_an_answer_without_figures_is_no_sample() -> None:
    """Seen on a real abort: a cancelling job answers with its type only; that is not 0%."""
    assert progress_from_stats({"type": 2}) is None
    assert progress_from_stats({"type": 2, "time_elapsed": 900, "data_total": 0}) is None
    for ended in (3, 4, 5):  # completed, failed, cancelled
        assert progress_from_stats({**stats(2, dirty_pages=1, bps=MIB), "type": ended}) is None


def test_first_passes_are_too_early_then_converging() -> None:
    watch = ConvergenceWatch(Migrate("b"), iterations=3)
    assert watch.feed(sample(1, 0, 100)).state == "too early"
    for i in (2, 3):
        assert watch.feed(sample(i, 10, 100)).state == "too early"
    assert watch.feed(sample(4, 10, 100)).state == "converging"


def test_dirtier_than_sent_for_n_passes_is_not_converging_with_remedies() -> None:
    watch = ConvergenceWatch(Migrate("b", bandwidth_mib_s=8), iterations=3)
    for i in range(2, 5):
        verdict = watch.feed(sample(i, 20, 8))
    assert verdict.state == "not converging"
    assert verdict.remedies == ("auto_converge", "bandwidth", "restart_postcopy")
    assert verdict.sentence().startswith(
        "not converging: the guest dirties 20.0 MiB/s and 8.0 MiB/s is sent, for 3 passes; "
    )


def test_one_pass_that_caught_up_breaks_the_run() -> None:
    watch = ConvergenceWatch(Migrate("b"), iterations=3)
    for i, dirty in ((2, 20), (3, 20), (4, 1), (5, 20)):
        verdict = watch.feed(sample(i, dirty, 8))
    assert verdict.state == "converging"


def test_postcopy_allowed_is_offered_first_and_once_started_it_converges() -> None:
    watch = ConvergenceWatch(Migrate("b", postcopy=True, auto_converge=True), iterations=2)
    for i in (2, 3):
        verdict = watch.feed(sample(i, 50, 10))
    assert verdict.remedies == ("postcopy",)
    watch.postcopy_started = True
    assert watch.verdict.state == "converging"


def test_eta_is_none_when_the_copy_does_not_catch_up() -> None:
    assert sample(3, 20, 8).eta_s is None
