"""An event storm: repeats fold into one count line, and nothing else is lost."""

from __future__ import annotations

from limen_tui.logs.repeats import RepeatFold


def test_a_storm_of_one_event_shows_once_then_as_a_count_when_something_else_comes() -> None:
    fold = RepeatFold()
    shown: list[str] = []
    for i in range(212):
        shown += fold.add("web-1 rebooted", f"12:00:{i % 60:02d} web-1 rebooted")
    assert shown == ["12:00:00 web-1 rebooted"]
    shown += fold.add("hv1: down", "12:01:00 hv1: down")
    assert shown == ["12:00:00 web-1 rebooted", "web-1 rebooted x211 more", "12:01:00 hv1: down"]


def test_alternating_events_are_all_shown_and_a_pause_flushes_the_count() -> None:
    fold = RepeatFold()
    shown = [*fold.add("a", "1 a"), *fold.add("b", "2 b"), *fold.add("a", "3 a")]
    assert shown == ["1 a", "2 b", "3 a"]
    assert fold.add("a", "4 a") == [] and fold.flush() == ["a x1 more"] and fold.flush() == []
