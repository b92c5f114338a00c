"""From a key press to an operation: pick the VMs, ask what is needed, confirm, run in a worker.

The main screen hands every action key to an `ActionFlow`; the flow asks its questions on the
screen it was given and runs the fleet's `perform` in the "actions" worker group, whose
failures reach the app's one worker-failure handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rich.text import Text
from textual.screen import Screen

from limen_tui.fleet.fleet import Fleet
from limen_tui.fleet.host import Host
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.fleet.registry import ACTIONS
from limen_tui.model import DomainRow, PowerState
from limen_tui.model.action_params import (
    ActionParams,
    Autostart,
    Delete,
    NoParams,
    Rename,
    SetMemory,
    SetVcpus,
)
from limen_tui.model.tags import SetTags, parse_tags
from limen_tui.model.vm_spec import VmSpec
from limen_tui.ui import text as fmt
from limen_tui.ui.keys import menu_entries
from limen_tui.ui.migration_flow import MigrationFlow
from limen_tui.ui.questions import action_question, needs_question, next_step_question, who
from limen_tui.ui.screens.action_menu import ActionMenu
from limen_tui.ui.screens.ask import AskScreen, check_count, check_vm_name
from limen_tui.ui.screens.confirm import ConfirmScreen, DeleteAnswer, TypeNameToDeleteScreen

READONLY = "read-only session: nothing can be changed"
ACTION_GROUP = "actions"
"""The worker group of everything that changes a VM: its failures are operations that failed."""


class ActionFlow:
    """Everything between an action key and `Fleet.perform`, asked on `screen`."""

    def __init__(self, screen: Screen[Any], fleet: Fleet | None, *, readonly: bool) -> None:
        self.screen = screen
        self.fleet = fleet
        self.readonly = readonly
        self.migrations = MigrationFlow(screen, fleet, readonly=readonly)
        """The migrate key's dialog and view, and `:evacuate`."""

    def _warn(self, text: str) -> None:
        self.screen.notify(text, severity="warning", markup=False)

    def _host(self, name: str) -> Host | None:
        return self.fleet.hosts.get(name) if self.fleet is not None else None

    def menu(
        self,
        targets: list[DomainRow],
        keymap: dict[str, str],
        extra: list[tuple[str, str, str]] | None = None,
        other: Callable[[str], None] | None = None,
    ) -> None:
        """The action menu; `extra` entries (not VM actions) go to `other` when chosen."""

        def chosen(action: str | None) -> None:
            if action and action in ACTIONS:
                self.key(action, targets)
            elif action and other is not None:
                other(action)

        entries = [*(extra or []), *menu_entries(keymap)]
        self.screen.app.push_screen(ActionMenu(who(targets), entries), chosen)

    def key(self, action: str, targets: list[DomainRow]) -> None:
        """An action key on the selected (or marked) VMs: ask, confirm, then run."""
        if self.readonly:
            self._warn(READONLY)
            return
        if not targets:
            self._warn("No VM selected")
            return
        if action == "pause" and all(r.state is PowerState.PAUSED for r in targets):
            action = "resume"
        spec = ACTIONS[action]
        if len(targets) > 1 and not spec.bulk:
            self._warn(f"{spec.label} works on one VM at a time; clear the marks (U)")
        elif action == "migrate":
            self.migrations.ask(targets[0])
        elif spec.type_name_to_confirm:
            self._ask_delete(targets)
        elif spec.params is Autostart:
            enable = not all(r.autostart for r in targets)
            detail = "on" if enable else "off"
            self.confirmed(action, targets, Autostart(enable), detail=detail)
        elif spec.params in (SetVcpus, SetMemory, Rename):
            self._ask_value(action, targets)
        elif spec.params is SetTags:
            self._ask_tags(targets)
        else:
            self.confirmed(action, targets)

    def confirmed(
        self,
        action: str,
        targets: list[DomainRow],
        params: ActionParams | None = None,
        *,
        detail: str = "",
    ) -> None:
        """Run at once on one VM when not destructive; otherwise only after a Yes to a
        question naming the action, the count, the hosts and the first VMs."""
        if not needs_question(action, targets):
            self.run(action, targets, params)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run(action, targets, params)

        question = action_question(action, targets, detail)
        self.screen.app.push_screen(ConfirmScreen(question), answered)

    def _ask_delete(self, targets: list[DomainRow]) -> None:
        if len(targets) != 1:
            self._warn("Delete works on one VM at a time; clear the marks (U)")
            return

        def answered(answer: DeleteAnswer | None) -> None:
            if answer is not None:
                self.run("delete", targets, Delete(answer.remove_storage))

        self.screen.app.push_screen(TypeNameToDeleteScreen(targets[0].name), answered)

    def _ask_value(self, action: str, targets: list[DomainRow]) -> None:
        first = targets[0]
        if action == "rename" and len(targets) != 1:
            self._warn("Rename works on one VM at a time")
            return
        host = self._host(first.host)
        facts = host.status.facts if host is not None else None
        question = Text(f"{ACTIONS[action].label} for ", end="").append_text(who(targets))
        if action == "set_vcpus":
            limit = facts.cpus if facts else None
            ask = AskScreen(question, str(first.vcpus or 1), check_count(1, limit, "vCPUs"))
        elif action == "set_memory":
            limit = facts.memory_kib // 1024 if facts else None
            now = (first.mem_max_kib or first.mem_current_kib or 1024) // 1024
            question.append(" (MiB)")
            ask = AskScreen(question, str(now), check_count(1, limit, "memory (MiB)"))
        else:
            ask = AskScreen(question.append(": new name"), first.name, check_vm_name)

        def answered(value: str | None) -> None:
            if value is None:
                return
            params: ActionParams = (
                SetVcpus(int(value))
                if action == "set_vcpus"
                else SetMemory(int(value))
                if action == "set_memory"
                else Rename(value)
            )
            self.confirmed(action, targets, params, detail=value)

        self.screen.app.push_screen(ask, answered)

    def _ask_tags(self, targets: list[DomainRow]) -> None:
        """`web db` sets the tags, `+web -old` edits each VM's own, `-` clears them."""
        question = Text("Tags for ", end="").append_text(who(targets))
        question.append("\nweb db: these tags · +web -old: add, remove · -: none")
        now = " ".join(targets[0].tags) if len(targets) == 1 else "+"

        def check(value: str) -> str | None:
            return parse_tags(value)[1] or None

        def answered(value: str | None) -> None:
            edit = None if value is None else parse_tags(value)[0]
            if edit is not None:
                self.confirmed("set_tags", targets, edit, detail=edit.words)

        self.screen.app.push_screen(AskScreen(question, now, check), answered)

    def run(
        self, action: str, targets: list[DomainRow], params: ActionParams | None = None
    ) -> None:
        """Run an action that needs no more questions (the snapshot screen calls this too)."""
        fleet = self.fleet
        if fleet is None:
            self.screen.notify("Not connected to any host", severity="error")
            return
        self._in_worker(
            fleet.perform(targets, action, params or NoParams()),
            f"{action} on {len(targets)} VM(s)",
        )

    def _in_worker(self, work: Awaitable[object], description: str) -> None:
        self.screen.run_worker(
            work, group=ACTION_GROUP, exit_on_error=False, description=description
        )

    # -- create and clone: operations on a host, not on an existing VM -------------------------

    def create_vm(self, row: DomainRow | None) -> None:
        """The form for a new VM on the selected VM's host (the first host when none)."""
        if self.readonly:
            self._warn(READONLY)
            return
        fleet = self.fleet
        if fleet is None or not fleet.hosts:
            self.screen.notify("Not connected to any host", severity="error")
            return
        host = self._host(row.host) if row is not None else None
        host = host or next(iter(fleet.hosts.values()))

        def answered(answer: tuple[VmSpec, bool] | None) -> None:
            if answer is not None:
                spec, start = answer
                self._in_worker(host.create_vm(spec, start), f"create {spec.name}")

        from limen_tui.ui.screens.create_vm import CreateVmScreen  # its module when first used

        self.screen.app.push_screen(CreateVmScreen(host), answered)

    def clone_vm(self, row: DomainRow | None) -> None:
        if self.readonly:
            self._warn(READONLY)
            return
        host = self._host(row.host) if row is not None else None
        if row is None or host is None:
            self._warn("No VM selected")
            return
        if row.state.is_active:
            self._warn("Clone needs a shut off VM; shut it down first")
            return
        question = Text("Clone ", end="").append_text(fmt.literal(row.name, "bold"))
        question.append(": name of the copy")

        def answered(new_name: str | None) -> None:
            if new_name:
                self._in_worker(host.clone_vm(row, new_name), f"clone {row.name}")

        self.screen.app.push_screen(
            AskScreen(question, f"{row.name}-clone", check_vm_name), answered
        )

    def operation_finished(self, op: Operation) -> None:
        """Tell the operator what went wrong; after an outcome that was not confirmed (a
        shutdown that timed out, a reboot the guest ignored) offer the next step."""
        if op.not_audited:
            # Whatever the outcome (a success too), an action that left no audit row is said.
            self.screen.notify(
                f"{op.action.replace('_', ' ')} {fmt.printable(op.vm)} {op.state.value}, "
                f"NOT AUDITED: {op.not_audited}",
                severity="error",
                markup=False,
            )
        spec = ACTIONS.get(op.action)
        unconfirmed = op.state in (OpState.TIMED_OUT, OpState.NOT_CONFIRMED)
        if unconfirmed and spec is not None and spec.next_step and op.batch is None:
            host = self._host(op.host)
            row = host.rows.get(op.uuid) if host is not None else None
            if row is None or not row.state.is_active:
                return
            next_action = spec.next_step

            def answered(yes: bool | None) -> None:
                if yes:
                    self.run(next_action, [row])

            question = next_step_question(op.vm, op.error, next_action)
            self.screen.app.push_screen(ConfirmScreen(question), answered)
        elif op.not_audited:
            pass  # said above, with its outcome
        elif op.state in (OpState.FAILED, OpState.REFUSED, OpState.TIMED_OUT) and op.batch is None:
            self.screen.notify(
                f"{op.action.replace('_', ' ')} {fmt.printable(op.vm)}: {op.error}",
                severity="error",
                markup=False,
            )
