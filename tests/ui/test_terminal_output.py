"""What a tick sends to the terminal: only what changed on screen, in few bytes.

An operator keeps the console open all day in a tmux pane or over a slow SSH link: a tick
that changes rows off screen must send nothing, a changed cell must cost about its own text,
and a repainted row about a line of text, not a line of escape codes. Measured as Textual
hands its frames to the terminal driver (the same frames, rendered to the same byte strings;
a headless run otherwise writes nothing).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from textual._compositor import CompositorUpdate
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from limen_tui.fleet.updates import DomainEventArrived, DomainsRefreshed
from limen_tui.model import DomainEvent, DomainRow, PowerState
from limen_tui.ui.app import LimenApp
from limen_tui.ui.frame import FRAME_S, frame_of
from limen_tui.ui.widgets.details import DetailsPanel
from limen_tui.ui.widgets.event_log import EventLog
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import demo_snapshot_updates, inject, injected_app, wait_for

SETTLE_S = 1.0
"""Long enough for the first frames after start-up to be written."""


class Sent(list[str]):
    """The frames written, as the terminal gets them."""

    @property
    def bytes(self) -> int:
        return sum(len(frame.encode()) for frame in self)

    def written_at(self) -> list[tuple[int, int]]:
        """Where on screen (x, y, from 0) each run of text was written."""
        return [
            (int(x) - 1, int(y) - 1)
            for frame in self
            for y, x in re.findall(r"\x1b\[(\d+);(\d+)H(?=[^\x1b\n]|\x1b\[[\d;]*m)", frame)
        ]

    def outside(self, *widgets: Widget) -> list[tuple[int, int]]:
        """Places written that are in none of `widgets` (their borders and scrollbars too)."""
        regions: list[Region] = [w.region for w in widgets]
        return [(x, y) for x, y in self.written_at() if not any(r.contains(x, y) for r in regions)]


@contextmanager
def terminal_bytes(app: LimenApp) -> Iterator[Sent]:
    """The frames the console would write while inside."""
    sent = Sent()
    display = app._display

    def count(screen: object, renderable: object) -> None:
        if isinstance(renderable, CompositorUpdate):
            sent.append(renderable.render_segments(app.console))
        display(screen, renderable)  # type: ignore[arg-type]

    app._display = count  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        app._display = display  # type: ignore[method-assign]


def _tick(app: LimenApp, *rows: object) -> DomainsRefreshed:
    tick = next(u for u in demo_snapshot_updates() if isinstance(u, DomainsRefreshed)).tick
    return DomainsRefreshed("demo", list(rows), [], tick)  # type: ignore[arg-type]


async def _settled(app: LimenApp, pilot: Pilot[Any]) -> VmTable:
    await inject(app)
    await pilot.pause(SETTLE_S)
    return app.query_one(VmTable)


def _running_on_screen(table: VmTable) -> DomainRow:
    return next(
        table.rows_by_key[k]
        for k in table.visible_keys()[3:]
        if table.rows_by_key[k].state is PowerState.RUNNING
    )


async def test_a_tick_that_changes_only_rows_off_screen_sends_nothing() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _settled(app, pilot)
        off = table.rows_by_key[table.model.at(table.row_count - 1)]
        assert off.key not in table.visible_keys()
        with terminal_bytes(app) as sent:
            for n in range(3):
                app.publish(_tick(app, replace(off, cpu_pct=(off.cpu_pct or 0) + 7 + n)))
                await pilot.pause()
        assert sent.bytes == 0, sent


async def test_a_changed_cell_costs_about_its_own_text() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _settled(app, pilot)
        row = _running_on_screen(table)
        with terminal_bytes(app) as sent:
            app.publish(_tick(app, replace(row, vcpus=(row.vcpus or 0) + 90)))
            await pilot.pause()
        assert 0 < sent.bytes <= 120, sent
        assert sent.outside(table) == [], sent


async def test_a_repainted_row_costs_about_a_line_of_text() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _settled(app, pilot)
        row = _running_on_screen(table)
        with terminal_bytes(app) as sent:
            table.set_busy(row.key, "working")  # the whole row repaints
            await pilot.pause()
        width = table.scrollable_content_region.width
        assert 0 < sent.bytes <= 2 * width, (sent, width)


async def test_an_event_repaints_its_pane_not_the_screen() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _settled(app, pilot)
        off = table.rows_by_key[table.model.at(table.row_count - 1)]
        event = DomainEvent(
            0.0, "demo", off.uuid, off.name, "lifecycle", "suspended", "paused", PowerState.PAUSED
        )
        with terminal_bytes(app) as sent:
            app.publish(DomainEventArrived(event, off.with_state(PowerState.PAUSED)))
            await pilot.pause(SETTLE_S)
        pane = app.query_one(EventLog)
        assert "suspended" in "".join(sent)
        assert sent.outside(pane) == [], sent


async def test_a_new_figure_of_the_selected_vm_repaints_its_details_not_the_screen() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _settled(app, pilot)
        chosen = table.selected_row
        assert chosen is not None
        with terminal_bytes(app) as sent:
            app.publish(_tick(app, replace(chosen, vcpus=(chosen.vcpus or 0) + 90)))
            await pilot.pause(SETTLE_S)
        details = app.query_one(DetailsPanel)
        assert sent.bytes > 0
        assert sent.outside(table, details) == [], sent
        # The table's cell plus the details' changed line, not every line of the details.
        assert sent.bytes <= 4 * 120, sent


def _event(row: DomainRow, n: int) -> DomainEventArrived:
    """The n-th of a storm of pauses and resumes of one VM (even: paused, odd: resumed)."""
    paused = n % 2 == 0
    state = PowerState.PAUSED if paused else PowerState.RUNNING
    word, reason = ("suspended", "paused") if paused else ("resumed", "unpaused")
    event = DomainEvent(1e9 + n, row.host, row.uuid, row.name, "lifecycle", word, reason, state)
    return DomainEventArrived(event, row.with_state(state))


def _details_state(app: LimenApp) -> str:
    body = app.query_one(DetailsPanel).body.plain
    return next(line for line in body.splitlines() if line.startswith("State ")).split()[-1]


async def test_a_storm_of_events_for_the_selected_vm_costs_a_few_frames_a_second() -> None:
    # Each event changes the VM's row, adds a line to the event pane and changes the details:
    # drawn each on its own, 40 events made 40 frames or more; drawn together, about one every
    # FRAME_S, and the last event is what the screen shows.
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _settled(app, pilot)
        row = _running_on_screen(table)
        table.move_cursor(row=table.visible_keys().index(row.key) + table.scroll_offset.y)
        await pilot.pause(FRAME_S * 2)
        assert table.selected_key == row.key
        with terminal_bytes(app) as sent:
            started = time.monotonic()
            for n in range(40):
                app.publish(_event(row, n))
                await pilot.pause(0.02)
            elapsed = time.monotonic() - started
            await wait_for(lambda: frame_of(app).drawn)
            await pilot.pause()
        assert len(sent) <= elapsed / FRAME_S + 3, (len(sent), elapsed)
        assert table.rows_by_key[row.key].state is PowerState.RUNNING  # the 40th: resumed
        assert _details_state(app) == "running"
        assert app.query_one(EventLog).buffer.view()[-1].text.endswith("(unpaused)")


async def test_an_event_after_a_quiet_spell_is_drawn_with_the_next_frame() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _settled(app, pilot)
        row = _running_on_screen(table)
        pane = app.query_one(EventLog)
        drawn = len(pane.lines_widget.lines)
        app.publish(_event(row, 0))
        await pilot.pause()  # one message round and a refresh: no waiting for a timer
        await pilot.pause()
        assert table.rows_by_key[row.key].state is PowerState.PAUSED
        assert len(pane.lines_widget.lines) == drawn + 1
