"""The VM table's model without a widget: deltas, filter, sort, marks, and what each costs.

The cost tests count sort-key computations (one `Column.sort` call per row looked at): a
delta must look at the rows it carries, never at the whole fleet.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from limen_tui.model import DomainRow, PowerState
from limen_tui.ui import columns
from limen_tui.ui.columns import CPU, NAME, Column
from limen_tui.ui.table_model import RESORT_ABOVE, TableModel


def vm(i: int, host: str = "hv1", **kw: object) -> DomainRow:
    fields: dict[str, object] = {"state": PowerState.RUNNING, "cpu_pct": float(i % 97)}
    fields.update(kw)
    return DomainRow(host=host, uuid=f"u{i:05d}", name=f"vm-{i:05d}", **fields)  # type: ignore[arg-type]


def names(model: TableModel) -> list[str]:
    return [model.rows[model.at(i)].name for i in range(len(model))]


def expected(model: TableModel) -> list[str]:
    """The order the model must show, computed the slow way from its rows."""
    col = model.sort_column
    rows = [r for r in model.rows.values() if columns.matches(r, model.query) or not model.query]
    rows.sort(key=lambda r: (col.sort(r), r.name.casefold(), r.uuid), reverse=model.sort_reverse)
    return [r.name for r in rows]


class CountingColumn:
    """A column whose sort key counts its calls."""

    def __init__(self, col: Column) -> None:
        self.calls = 0
        inner = col.sort

        def sort(row: DomainRow) -> object:
            self.calls += 1
            return inner(row)

        self.column = replace(col, sort=sort)


def test_rows_show_sorted_by_name_and_the_order_follows_each_delta() -> None:
    model = TableModel()
    model.apply([vm(3), vm(1), vm(2)])
    assert names(model) == ["vm-00001", "vm-00002", "vm-00003"]
    renamed = replace(vm(3), name="a-first")
    change = model.apply([renamed], [("hv1", "u00001")])
    assert change.moved and names(model) == ["a-first", "vm-00002"]
    assert model.total == 2 and len(model) == 2


def test_a_row_whose_sort_figure_changed_moves_to_its_place() -> None:
    model = TableModel()
    model.apply([vm(i, cpu_pct=float(i)) for i in range(10)])
    model.sort_by(CPU, reverse=True)
    assert names(model)[0] == "vm-00009"
    change = model.apply([vm(2, cpu_pct=99.0)])
    assert change.moved and names(model)[0] == "vm-00002"
    assert model.index(("hv1", "u00002")) == 0 and model.index(("hv1", "u00009")) == 1


def test_a_change_that_keeps_the_order_is_reported_as_changed_in_place() -> None:
    model = TableModel()
    model.apply([vm(i) for i in range(5)])
    change = model.apply([vm(2, cpu_pct=50.5)])
    assert not change.moved and change.changed == {("hv1", "u00002")}
    assert not model.apply([vm(2, cpu_pct=50.5)])  # the same row again: nothing to paint


def test_the_filter_is_tried_on_the_changed_rows_and_marks_survive_it() -> None:
    model = TableModel()
    model.apply([vm(i) for i in range(6)])
    model.toggle_mark(("hv1", "u00001"))
    model.set_filter("state:running")
    assert len(model) == 6
    model.apply([vm(1, state=PowerState.SHUTOFF)])
    assert len(model) == 5 and not model.shown(("hv1", "u00001"))
    assert ("hv1", "u00001") in model.marked  # filtered out, still marked
    model.apply([vm(1)])
    assert model.shown(("hv1", "u00001")) and names(model) == expected(model)


def test_gone_rows_lose_their_marks_and_busy_words() -> None:
    model = TableModel()
    model.apply([vm(1), vm(2)])
    model.toggle_mark(("hv1", "u00001"))
    model.set_busy(("hv1", "u00001"), "shutting down")
    model.apply([], [("hv1", "u00001")])
    assert model.marked == set() and model.busy == {} and names(model) == ["vm-00002"]


def test_targets_are_the_marked_rows_else_the_cursor_row() -> None:
    model = TableModel()
    model.apply([vm(1), vm(2), vm(3)])
    assert [r.name for r in model.targets(("hv1", "u00002"))] == ["vm-00002"]
    model.mark_shown()
    assert [r.name for r in model.targets(("hv1", "u00002"))] == names(model)
    model.clear_marks()
    assert model.targets(None) == []


def test_dimming_a_host_touches_no_row_and_no_order() -> None:
    counting = CountingColumn(NAME)
    model = TableModel()
    model.sort_by(counting.column, reverse=False)
    model.apply([vm(i, host=f"hv{i % 2}") for i in range(1000)])
    counting.calls = 0
    assert model.set_host_stale("hv1", True) and not model.set_host_stale("hv1", True)
    assert counting.calls == 0
    assert model.stale(("hv1", "u00001")) and not model.stale(("hv0", "u00000"))


@pytest.mark.parametrize("fleet", [1_000, 10_000])
def test_a_delta_looks_at_the_rows_it_carries_not_at_the_fleet(fleet: int) -> None:
    counting = CountingColumn(CPU)
    model = TableModel()
    model.sort_by(counting.column, reverse=True)
    model.apply([vm(i) for i in range(fleet)])
    counting.calls = 0
    model.apply([vm(i, cpu_pct=float(i % 13)) for i in range(0, 200, 2)])
    assert counting.calls == 100  # one sort key per changed row, whatever the fleet


def test_random_deltas_keep_the_order_a_full_sort_would_give() -> None:
    rng = random.Random(7)
    model = TableModel()
    model.sort_by(CPU, reverse=True)
    model.set_filter("vm")
    present: dict[int, DomainRow] = {}
    for step in range(300):
        changed = []
        for _ in range(rng.choice([1, 5, RESORT_ABOVE + 50])):
            i = rng.randrange(2000)
            row = vm(i, cpu_pct=rng.choice([None, rng.random() * 100]))
            if rng.random() < 0.1:
                row = replace(row, name=f"other-{i}")  # filtered out by "vm"
            present[i] = row
            changed.append(row)
        gone = [k for k in rng.sample(sorted(present), k=min(3, len(present)))]
        for k in gone:
            present.pop(k)
        model.apply(changed, [("hv1", f"u{k:05d}") for k in gone])
        if step % 50 == 0:
            model.sort_by(model.sort_column, reverse=not model.sort_reverse)
    assert names(model) == expected(model)
    for i in range(len(model)):
        assert model.index(model.at(i)) == i


def test_a_vm_on_two_hosts_at_once_is_two_rows_and_either_can_go() -> None:
    # A live migration: the same uuid and name on the source and the destination for a while.
    model = TableModel()
    model.apply([vm(1, host="hv-a"), vm(2, host="hv-a"), vm(1, host="hv-b")])
    assert len(model) == 3
    model.apply([], [("hv-a", "u00001")])  # the source's row goes
    assert [model.at(i) for i in range(len(model))] == [("hv-b", "u00001"), ("hv-a", "u00002")]
    assert all(model.at(i) in model.rows for i in range(len(model)))
    assert model.index(("hv-b", "u00001")) == 0
