"""An event storm in the event pane: the same event folds into one line and a count, and a host
note after it is still there to read."""

from __future__ import annotations

import time

from limen_tui.model import DomainEvent
from limen_tui.ui.widgets.event_log import EventLog

from .helpers import injected_app, wait_for


def _rebooted(i: int) -> DomainEvent:
    return DomainEvent(time.time() + i, "hv1", "u-1", "web-1", "reboot", "rebooted")


async def test_two_hundred_reboots_fold_into_a_count_and_the_host_note_survives() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(EventLog)
        for i in range(212):
            pane.add_event(_rebooted(i), show_host=False)
        pane.note(time.time(), "hv1: down: connection reset")
        await pilot.pause()
        texts = pane.lines
        assert sum("web-1 rebooted" in t for t in texts) == 2, texts
        assert any(t.endswith("web-1 rebooted x211 more") for t in texts)
        assert any("hv1: down: connection reset" in t for t in texts)


async def test_a_storm_that_pauses_says_how_many_it_held_back() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(EventLog)
        for i in range(5):
            pane.add_event(_rebooted(i), show_host=False)
        await wait_for(lambda: any(t.endswith("x4 more") for t in pane.lines), limit=5)
        await pilot.pause()
