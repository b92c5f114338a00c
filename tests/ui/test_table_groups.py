"""The grouped view: header lines with each group's figures, kept right by every delta at the
cost of the rows it carries, and folding."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from limen_tui.model import DomainRow, PowerState
from limen_tui.ui.columns import CPU, MEM, Column
from limen_tui.ui.table_groups import GroupFigures, GroupLine, group_of
from limen_tui.ui.table_model import TableModel
from limen_tui.ui.widgets.vm_table import VmTable

from .helpers import burst, demo_app, wait_for

STATES = (PowerState.RUNNING, PowerState.SHUTOFF, PowerState.PAUSED)
TAGS = ((), ("web",), ("db", "prod"), ("web", "ops"))


def vm(i: int, rnd: random.Random) -> DomainRow:
    return DomainRow(
        host=f"hv{rnd.randrange(3)}",
        uuid=f"u{i:04d}",
        name=f"vm-{i:04d}",
        state=rnd.choice(STATES),
        vcpus=rnd.randrange(1, 5),
        cpu_pct=float(rnd.randrange(100)),
        mem_current_kib=rnd.randrange(1, 9) * 1024,
        tags=rnd.choice(TAGS),
    )


def slow_lines(model: TableModel) -> list[tuple[str, GroupFigures] | str]:
    """What the grouped table must show, the slow way: groups by name, rows by the sort."""
    by = model.group_by
    assert by is not None
    rows = [r for r in model.rows.values() if not model.query or r.name.find(model.query) >= 0]
    col = model.sort_column
    out: list[tuple[str, GroupFigures] | str] = []
    for group in sorted({group_of(r, by) for r in rows}, reverse=model.sort_reverse):
        members = sorted(
            (r for r in rows if group_of(r, by) == group),
            key=lambda r: (col.sort(r), r.name.casefold(), r.uuid),
            reverse=model.sort_reverse,
        )
        figures = GroupFigures()
        for r in members:
            figures.add(r)
        out.append((group, figures))
        if group not in model.folded:
            out += [r.name for r in members]
    return out


def shown_lines(model: TableModel) -> list[tuple[str, GroupFigures] | str]:
    out: list[tuple[str, GroupFigures] | str] = []
    for i in range(model.lines):
        line = model.line(i)
        out.append(
            (line.name, line.figures) if isinstance(line, GroupLine) else model.rows[line].name
        )
    return out


def _close(a: list[Any], b: list[Any]) -> bool:
    def norm(x: Any) -> Any:
        if isinstance(x, tuple):
            f = x[1]
            return (x[0], f.total, f.running, f.vcpus, f.mem_kib, round(f.cpu_weighted, 6))
        return x

    return [norm(x) for x in a] == [norm(x) for x in b]


def test_figures_and_order_follow_every_delta_and_fold() -> None:
    rnd = random.Random(7)
    model = TableModel()
    model.apply([vm(i, rnd) for i in range(300)])
    for by, col, reverse in (("state", CPU, False), ("tag", MEM, True), ("host", CPU, True)):
        model.group(by)
        model.sort_by(col, reverse)
        for step in range(40):
            changed = [
                replace(
                    model.rows[k],
                    state=rnd.choice(STATES),
                    cpu_pct=float(rnd.randrange(100)),
                    tags=rnd.choice(TAGS),
                )
                for k in rnd.sample(sorted(model.rows), 12)
            ]
            removed = rnd.sample(sorted(model.rows), 2)
            model.apply(changed + [vm(1000 + step * 3 + j, rnd) for j in range(3)], removed)
            assert _close(shown_lines(model), slow_lines(model))
        group = model.line(0)
        assert isinstance(group, GroupLine)
        model.fold(group.name)
        assert _close(shown_lines(model), slow_lines(model))
        key = next(k for k in model.rows if model.group_of_key(k) == group.name)
        assert model.line_of(key) is None  # folded away
        for i in range(model.lines):
            line = model.line(i)
            if not isinstance(line, GroupLine):
                assert model.line_of(line) == i
    model.group(None)
    assert model.lines == len(model)


class Counting(Column):
    pass


def test_a_delta_costs_its_rows_not_the_groups() -> None:
    rnd = random.Random(3)
    calls = [0]

    def sort(r: DomainRow) -> object:
        calls[0] += 1
        return r.cpu_pct

    col = Column("cpu", "CPU%", 5, CPU.cell, sort, right=True)
    model = TableModel()
    model.apply([vm(i, rnd) for i in range(5000)])
    model.group("host")
    model.sort_by(col, False)
    calls[0] = 0
    model.apply([replace(model.rows[k], cpu_pct=1.0) for k in sorted(model.rows)[:10]])
    assert calls[0] == 10


async def test_group_command_headers_and_fold_key_on_screen() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table: VmTable = app.query_one(VmTable)
        await wait_for(lambda: table.row_count == 48)
        await burst(pilot, "colon", *"group state", "enter")
        await wait_for(lambda: table.group_by == "state")
        lines = table.lines_text()
        headers = [t for t in lines if t.startswith("▾ ")]
        assert headers and lines[0] == headers[0]
        assert any(h.startswith("▾ running  ") and "running · " in h for h in headers)
        total = sum(int(h.split("  ")[1].split("/")[1].split(" ")[0]) for h in headers)
        assert total == 48
        await burst(pilot, "home", "minus")
        await pilot.pause()
        lines = table.lines_text()
        assert lines[0].startswith("▸ ") and lines[1].startswith("▾ ")
        await burst(pilot, "minus")
        await pilot.pause()
        assert table.lines_text()[0].startswith("▾ ")
        await burst(pilot, "colon", *"group bogus", "enter")
        await wait_for(lambda: any("group by one of" in n.message for n in app._notifications))
        await burst(pilot, "colon", *"group off", "enter")
        await wait_for(lambda: table.group_by is None)
        assert not any(t.startswith("▾") for t in table.lines_text())
