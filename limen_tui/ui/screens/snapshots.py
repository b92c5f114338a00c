"""The snapshot view of one VM: the tree, and take / revert / delete from the keyboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, DataTable, Footer, Input, Label, Static

from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.model import DomainRow
from limen_tui.model.action_params import (
    ActionParams,
    SnapshotDelete,
    SnapshotRevert,
    SnapshotTake,
)
from limen_tui.model.snapshot import SnapshotInfo, name_problem
from limen_tui.ui import text as fmt
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.worker_failures import WorkerFailuresToApp

RunAction = Callable[[str, ActionParams], None]
"""Runs a snapshot action on this screen's VM (the main screen's action flow)."""


class SnapshotForm(ModalScreen[tuple[str, str, bool] | None]):
    """Name, description and whether to keep the memory; the name is checked before sending."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]
    DEFAULT_CSS = """
    SnapshotForm { align: center middle; }
    SnapshotForm > Vertical { width: 64; max-width: 95%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2; }
    SnapshotForm #problem { color: $error; height: auto; }
    """

    def __init__(self, vm: DomainRow, taken: set[str]) -> None:
        super().__init__()
        self.vm = vm
        self.taken = taken

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Take a snapshot of ").append_text(fmt.literal(self.vm.name, "bold")))
            yield Input(placeholder="name", id="name")
            yield Input(placeholder="description (optional)", id="description")
            yield Checkbox("Keep the memory (running VMs)", self.vm.state.is_active, id="memory")
            yield Label("", id="problem")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        problem = name_problem(name) or (
            f"this VM already has a snapshot named {name!r}" if name in self.taken else None
        )
        if problem:
            self.query_one("#problem", Label).update(Text(problem))
            return
        self.dismiss(
            (
                name,
                self.query_one("#description", Input).value.strip(),
                self.query_one("#memory", Checkbox).value,
            )
        )


class SnapshotScreen(WorkerFailuresToApp, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("c", "take", "Take"),
        Binding("r", "revert", "Revert"),
        Binding("d", "delete(False)", "Delete"),
        Binding("D", "delete(True)", "Delete with children"),
        Binding("f5,ctrl+r", "reload", "Reload"),
    ]
    DEFAULT_CSS = """
    SnapshotScreen { align: center middle; }
    SnapshotScreen > Vertical { width: 96%; height: 90%; border: round $accent;
        background: $surface; }
    SnapshotScreen #status { height: auto; padding: 0 1; }
    """

    def __init__(self, vm: DomainRow, host: Host, run: RunAction) -> None:
        super().__init__()
        self.vm = vm
        self.host = host
        self.run = run
        self.snapshots: list[SnapshotInfo] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text("Snapshots of ").append_text(fmt.literal(self.vm.name))
            yield DataTable(cursor_type="row", id="tree")
            yield Static("loading…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#tree", DataTable)
        for key, label in (
            ("name", "Name"),
            ("created", "Created"),
            ("state", "State"),
            ("memory", "Memory"),
            ("description", "Description"),
        ):
            table.add_column(label, key=key)
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(exclusive=True, group="snapshots", exit_on_error=False)
    async def _load(self) -> None:
        status = self.query_one("#status", Static)
        try:
            tree = await self.host.snapshot_tree(self.vm.uuid)
        except Exception as exc:
            status.update(Text(f"cannot read snapshots: {explain(exc)}"))
            return
        self.snapshots = tree
        table = self.query_one("#tree", DataTable)
        table.clear()
        for s in tree:
            name = Text("  " * s.depth + ("└ " if s.depth else ""), end="")
            name.append_text(fmt.literal(s.name, "bold" if s.is_current else ""))
            if s.is_current:
                name.append(" (current)", style="green")
            table.add_row(
                name,
                fmt.clock(s.created) if s.created else "",
                s.state,
                "yes" if s.has_memory else "no",
                fmt.literal(s.description),
                key=s.name,
            )
        status.update(
            f"{len(tree)} snapshot(s). c take · r revert · d delete · D with children"
            if tree
            else "No snapshots yet. c takes one."
        )

    def _selected(self) -> SnapshotInfo | None:
        table = self.query_one("#tree", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((s for s in self.snapshots if s.name == key), None)

    def _act(self, action: str, params: ActionParams) -> None:
        self.run(action, params)
        self.set_timer(1.0, self.action_reload)

    def action_take(self) -> None:
        def taken(answer: tuple[str, str, bool] | None) -> None:
            if answer is not None:
                name, description, memory = answer
                self._act("snapshot_create", SnapshotTake(name, description, memory))

        self.app.push_screen(SnapshotForm(self.vm, {s.name for s in self.snapshots}), taken)

    def action_revert(self) -> None:
        snap = self._selected()
        if snap is None:
            return
        question = Text("Revert ").append_text(fmt.literal(self.vm.name, "bold"))
        question.append(" to snapshot ").append_text(fmt.literal(snap.name, "bold"))
        question.append("? What changed since is lost.")
        self.app.push_screen(
            ConfirmScreen(question),
            lambda yes: self._act("snapshot_revert", SnapshotRevert(snap.name)) if yes else None,
        )

    def action_delete(self, with_children: bool) -> None:
        snap = self._selected()
        if snap is None:
            return
        question = Text("Delete snapshot ").append_text(fmt.literal(snap.name, "bold"))
        if with_children and snap.children:
            question.append(f" and its {len(snap.children)} child snapshot(s)")
        question.append("?")
        params = SnapshotDelete(snap.name, with_children)
        self.app.push_screen(
            ConfirmScreen(question),
            lambda yes: self._act("snapshot_delete", params) if yes else None,
        )
