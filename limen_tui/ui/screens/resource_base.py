"""What the pools, volumes and networks screens share: their keys from the registry, running a
change as the host's operation and saying its outcome, the capacity bar."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable

from limen_tui.fleet.host import Host
from limen_tui.fleet.host_resources import ResourceParams
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.fleet.registry import RESOURCE_ACTIONS, Resource, ResourceActionId, resource_actions
from limen_tui.ui.keys import key_label
from limen_tui.ui.worker_failures import WorkerFailuresToApp

BAR_CELLS = 10


def resource_bindings(on: Resource) -> list[Binding]:
    """The screen's keys, from the registry (so help and the palette list the same)."""
    return [
        Binding(s.key, f"resource('{s.id}')", s.label, key_display=key_label(s.key))
        for s in resource_actions(on)
    ]


def capacity_bar(used: int, capacity: int, cells: int = BAR_CELLS) -> Text:
    """`██████░░░░ 62%`, yellow from 80%, red from 90% (the disk thresholds)."""
    if capacity <= 0:
        return Text("-", style="dim")
    share = min(1.0, max(0.0, used / capacity))
    full = round(share * cells)
    style = "red" if share >= 0.9 else "yellow" if share >= 0.8 else "green"
    bar = Text("█" * full, style=style, end="")
    bar.append("░" * (cells - full), style="dim")
    bar.append(f" {share:4.0%}")
    return bar


def outcome(op: Operation) -> tuple[str, bool]:
    """(one line for the operator, whether it went wrong)."""
    label = RESOURCE_ACTIONS[op.action].label if op.action in RESOURCE_ACTIONS else op.action
    words = op.note if op.state is OpState.SUCCEEDED else op.error
    return f"{label} {op.vm}: {op.state.value}" + (f": {words}" if words else ""), (
        op.state is not OpState.SUCCEEDED
    )


class ResourceScreen(WorkerFailuresToApp, ModalScreen[None]):
    """A list of a host's pools, volumes or networks, whose keys change them."""

    host: Host

    def reload(self) -> None:
        raise NotImplementedError

    def action_reload(self) -> None:
        self.reload()

    def table_with(self, table_id: str, columns: Iterable[tuple[str, str]]) -> DataTable[Any]:
        """The screen's table `table_id`, given its (key, label) columns."""
        table: DataTable[Any] = self.query_one(f"#{table_id}", DataTable)
        for key, label in columns:
            table.add_column(label, key=key)
        return table

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "resource" and self.host.settings.readonly:
            return None  # hidden and disabled: a read-only session offers no changes
        return True

    def action_resource(self, action: str) -> None:
        ask = getattr(self, f"ask_{action}", None)
        if ask is not None:
            ask()

    def change(self, action: ResourceActionId, params: ResourceParams) -> None:
        """Run it as the host's operation (the operations pane shows it too), say the outcome
        here, then read the list again."""
        self.run_worker(
            self._change(action, params),
            group="change",
            exit_on_error=False,
            description=f"{action} on {self.host.key}",
        )

    async def _change(self, action: ResourceActionId, params: ResourceParams) -> None:
        op = await self.host.change(action, params)
        self.last_outcome, bad = outcome(op)
        if not bad:  # what went wrong the main screen says already, as for every operation
            self.notify(self.last_outcome, markup=False)
        self.reload()

    last_outcome: str = ""
    """The last change's outcome in words (for tests)."""
