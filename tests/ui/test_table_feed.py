"""A tick that changes every row of a big fleet reaches the table in slices: the rows on
screen at once, the rest a frame's worth at a time, so no key waits behind 10,000 rows."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from limen_tui.fleet.updates import DomainsRefreshed
from limen_tui.model import DomainRow
from limen_tui.ui.table_feed import ROWS_PER_FRAME, TableFeed
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import demo_snapshot_updates, inject, injected_app, wait_for

VMS = 3 * ROWS_PER_FRAME + 500


def _rows(n: int, cpu: float) -> list[DomainRow]:
    tick = next(u for u in demo_snapshot_updates() if isinstance(u, DomainsRefreshed)).tick
    model = next(r for r in tick.changed if r.state.is_active)
    return [
        replace(model, uuid=f"00000000-0000-0000-0000-{i:012}", name=f"vm-{i:05}", cpu_pct=cpu)
        for i in range(n)
    ]


def test_a_small_tick_goes_in_whole() -> None:
    feed = TableFeed()
    rows = _rows(10, 1.0)
    assert feed.now(rows, [], on_screen=lambda k: False, known=lambda k: True) == rows
    assert feed.waiting == 0


def test_a_big_tick_gives_the_screen_and_new_rows_now_and_the_rest_in_slices() -> None:
    feed = TableFeed()
    rows = _rows(VMS, 1.0)
    screen = {r.key for r in rows[:30]}
    new = rows[-1].key
    now = feed.now(rows, [], on_screen=screen.__contains__, known=lambda k: k != new)
    assert {r.key for r in now} == screen | {new}
    assert feed.waiting == VMS - 31
    feed.newer(rows[40].key)  # an event's copy is newer
    gone = rows[41].key
    later = _rows(VMS, 2.0)[42]  # the next tick changed it again before it was drawn
    feed.now([later, *rows[30:31]], [gone], on_screen=screen.__contains__, known=lambda k: True)
    taken: list[DomainRow] = []
    while feed.waiting:
        part = feed.take()
        assert len(part) <= ROWS_PER_FRAME
        taken.extend(part)
    keys = [r.key for r in taken]
    assert len(keys) == len(set(keys)) == VMS - 31 - 2
    assert rows[40].key not in keys and gone not in keys
    assert next(r for r in taken if r.key == later.key).cpu_pct == 2.0


async def test_every_row_changing_reaches_the_table_a_slice_at_a_time() -> None:
    app = injected_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await inject(app)
        table = app.query_one(VmTable)
        tick = next(u for u in demo_snapshot_updates() if isinstance(u, DomainsRefreshed)).tick
        app.publish(DomainsRefreshed("demo", _rows(VMS, 1.0), [], tick))
        await wait_for(lambda: table.row_count >= VMS, limit=30)
        await pilot.pause()
        sizes: list[int] = []
        apply = table.apply

        def counted(changed: Any, removed: Any = ()) -> Any:
            changed = list(changed)
            sizes.append(len(changed))
            return apply(changed, removed)

        table.apply = counted  # type: ignore[method-assign]
        app.publish(DomainsRefreshed("demo", _rows(VMS, 55.0), [], tick))
        await pilot.pause()
        on_screen = [table.rows_by_key[k] for k in table.visible_keys()]
        assert all(r.cpu_pct == 55.0 for r in on_screen if r.name.startswith("vm-"))
        await wait_for(
            lambda: all(
                r.cpu_pct == 55.0 for r in table.rows_by_key.values() if r.name.startswith("vm-")
            ),
            limit=30,
        )
        assert sum(sizes) >= VMS and max(sizes) <= ROWS_PER_FRAME, sizes
