"""The one reconnect schedule: doubling from the floor to the ceiling, reset on success."""

from __future__ import annotations

from limen_tui.model.backoff import Backoff


def test_delays_double_up_to_the_ceiling_and_reset_after_a_success() -> None:
    backoff = Backoff(1.0, 30.0)
    assert [backoff.next() for _ in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    backoff.reset()
    assert backoff.next() == 1.0 and backoff.current == 2.0
