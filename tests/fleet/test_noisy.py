"""The noisy-neighbour ranking and its episodes, with the times given by the test."""

from __future__ import annotations

from dataclasses import replace
from typing import get_args

from limen_tui.fleet.noisy import Metric, NoisyRule, NoisyWatch, rank, said
from limen_tui.model import DomainRow, PowerState


def vm(name: str, host: str = "hv1", **figures: float | None) -> DomainRow:
    return DomainRow(host, f"uuid-{host}-{name}", name, PowerState.RUNNING, **figures)  # type: ignore[arg-type]


def test_vms_rank_by_their_share_of_the_host_highest_first_and_unknown_left_out() -> None:
    rows = [
        vm("a", cpu_host_pct=5.0),
        vm("b", cpu_host_pct=40.0),
        vm("c"),
        vm("d", cpu_host_pct=12.5),
    ]
    assert [(r.name, v) for r, v in rank(rows, "cpu")] == [("b", 40.0), ("d", 12.5), ("a", 5.0)]


def test_ranking_by_disk_or_network_adds_both_directions_and_can_keep_to_one_host() -> None:
    rows = [
        vm("a", disk_rd_iops=100.0, disk_wr_iops=50.0),
        vm("b", disk_rd_iops=120.0),
        vm("c", "hv2", disk_rd_iops=900.0, net_rx_bps=1.0, net_tx_bps=2.0),
    ]
    assert [r.name for r, _ in rank(rows, "disk_iops")] == ["c", "a", "b"]
    assert [r.name for r, _ in rank(rows, "disk_iops", host="hv1")] == ["a", "b"]
    assert rank(rows, "net_bytes") == [(rows[2], 3.0)]
    assert len(rank(rows, "disk_iops", limit=1)) == 1


def test_an_episode_begins_once_after_the_hold_time_and_not_before() -> None:
    watch = NoisyWatch(NoisyRule("cpu", threshold=50.0, hold_s=10.0, clear_samples=3))
    loud = vm("burner", cpu_host_pct=90.0)
    assert watch.observe([loud], at=0.0) == []
    assert watch.observe([loud], at=5.0) == []
    (began,) = watch.observe([loud], at=10.0)
    assert began.began and began.name == "burner" and began.value == 90.0
    assert watch.observe([loud], at=12.0) == []  # said once per episode
    assert watch.noisy == {loud.key}


def test_a_quiet_sample_inside_the_hold_time_restarts_it() -> None:
    watch = NoisyWatch(NoisyRule("cpu", threshold=50.0, hold_s=10.0))
    loud, quiet = vm("x", cpu_host_pct=90.0), vm("x", cpu_host_pct=1.0)
    watch.observe([loud], at=0.0)
    watch.observe([quiet], at=6.0)
    assert watch.observe([loud], at=11.0) == []  # the hold began again at 11
    assert watch.observe([loud], at=21.0) != []


def test_one_quiet_sample_does_not_end_an_episode_three_in_a_row_do() -> None:
    watch = NoisyWatch(NoisyRule("cpu", threshold=50.0, hold_s=0.0, clear_samples=3))
    loud = vm("x", cpu_host_pct=90.0)
    quiet = replace(loud, cpu_host_pct=2.0)
    assert watch.observe([loud], at=0.0)[0].began
    assert watch.observe([quiet], at=1.0) == []
    assert watch.observe([loud], at=2.0) == []  # still the same episode
    assert watch.observe([quiet], at=3.0) == [] and watch.observe([quiet], at=4.0) == []
    (ended,) = watch.observe([quiet], at=5.0)
    assert not ended.began and watch.noisy == set()


def test_ranking_by_steal_latency_packets_or_drops() -> None:
    rows = [
        vm("a", steal_pct=2.0, disk_latency_ms=9.5, net_pps=100.0, net_drops_ps=0.0),
        vm("b", steal_pct=30.0, disk_latency_ms=0.4, net_pps=20_000.0),
        vm("c", "hv2", steal_pct=7.5, net_pps=5.0, net_drops_ps=12.0),
        vm("idle"),  # no request completed, nothing known: left out of every one
    ]
    assert [(r.name, v) for r, v in rank(rows, "steal")] == [("b", 30.0), ("c", 7.5), ("a", 2.0)]
    assert [r.name for r, _ in rank(rows, "disk_latency")] == ["a", "b"]
    assert [r.name for r, _ in rank(rows, "net_packets")] == ["b", "a", "c"]
    assert [r.name for r, _ in rank(rows, "net_drops")] == ["c", "a"]
    assert [r.name for r, _ in rank(rows, "steal", host="hv2")] == ["c"]


def test_an_episode_can_be_watched_on_steal() -> None:
    watch = NoisyWatch(NoisyRule("steal", threshold=20.0, hold_s=0.0))
    (began,) = watch.observe([vm("starved", steal_pct=35.0)], at=0.0)
    assert began.began and began.metric == "steal" and began.value == 35.0


def test_every_figure_is_said_in_words_with_its_unit() -> None:
    assert said("cpu", 63.4) == "63% of the host's CPU"
    assert said("steal", 35.2) == "35% steal (vCPUs waiting for a host CPU)"
    assert said("disk_latency", 12.345) == "12.3 ms per disk request"
    assert said("net_packets", 5432.1) == "5432 packets/s"
    assert said("net_drops", 3.0) == "3 drops/s"
    assert said("disk_bytes", 3 * 1024 * 1024) == "3.0MB/s of disk"
    for metric in get_args(Metric):
        assert said(metric, 1.0)  # none is missing
