"""The operations pane: every action with its state, duration and libvirt's error, newest last."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from limen_tui.fleet.operations import Operation, OpState
from limen_tui.ui import text as fmt

STATE_STYLE = {
    OpState.QUEUED: "dim",
    OpState.RUNNING: "cyan",
    OpState.SUCCEEDED: "green",
    OpState.FAILED: "bold red",
    OpState.REFUSED: "yellow",
    OpState.TIMED_OUT: "bold yellow",
    OpState.NOT_CONFIRMED: "bold magenta",
}


class OperationsPane(DataTable[Text]):
    """Keyed by operation id; a row changes in place from queued to its outcome. Bounded."""

    def __init__(self, max_rows: int, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", show_cursor=True)
        self.max_rows = max_rows
        self.operations: dict[int, Operation] = {}

    def on_mount(self) -> None:
        self.add_column("Time", key="time", width=8)
        self.add_column("VM", key="vm", width=18)
        self.add_column("Action", key="action", width=12)
        self.add_column("State", key="state", width=13)
        self.add_column("Took", key="took", width=5)
        self.add_column("Result", key="result")

    def _cells(self, op: Operation) -> tuple[Text, ...]:
        took = "" if op.duration is None else f"{op.duration:.1f}s"
        result = op.error or op.note
        return (
            Text(fmt.clock(op.queued_at)),
            fmt.literal(op.vm, limit=18),
            Text(op.action.replace("_", " ")),
            Text(op.state.value, style=STATE_STYLE[op.state]),
            Text(took),
            fmt.literal(result, "red" if op.error else ""),
        )

    def show(self, op: Operation) -> None:
        key = str(op.id)
        cells = self._cells(op)
        if op.id in self.operations:
            for column, cell in zip(
                ("time", "vm", "action", "state", "took", "result"), cells, strict=True
            ):
                self.update_cell(key, column, cell, update_width=column == "result")
        else:
            self.add_row(*cells, key=key)
            if len(self.operations) >= self.max_rows:
                oldest = min(self.operations)
                self.operations.pop(oldest)
                self.remove_row(str(oldest))
            self.move_cursor(row=self.row_count - 1, animate=False)
        self.operations[op.id] = op
