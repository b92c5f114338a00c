"""A bounded soak on every CI run: a 1,000-VM host and two real Linux guests, events at 10/s.

After a warm-up that fills the event pane, two minutes at 10 events a second: memory must
stop growing (under 5 MiB over the run, RSS sampled every 30 s), every event must reach the
console, nothing may go wrong in its own log, and every bounded buffer stays within its bound.
The same run for an hour, by hand: `python -m benchmarks.soak --minutes 60`.
"""

from __future__ import annotations

import pytest

from benchmarks.soak import soak


@pytest.mark.usefixtures("libvirtd", "guest_boot_image")
async def test_two_minutes_of_events_at_ten_a_second_leave_memory_flat_and_nothing_lost() -> None:
    r = await soak(2.0, vms=1000, rate=10.0, sample_s=30.0, guests=2)
    assert r["event_errors"] == 0, r
    assert r["events_seen"] >= r["events_sent"] > 1000, r
    assert r["errors_in_own_log"] == [], r["errors_in_own_log"]
    for name, b in r["buffers"].items():
        assert b["lines"] <= b["bound"], (name, b)
    assert r["buffers"]["pane events"]["lines"] == r["buffers"]["pane events"]["bound"], r
    assert len(r["rss_mib"]) >= 5, r["rss_mib"]
    assert r["rss_growth_mib"] < 5.0, r["rss_mib"]
