"""From a key press to an operation: pick the VMs, ask what is needed, confirm, run in a worker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import App

from limen_tui.fleet.action_keys import ACTION_KEYS
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.fleet.registry import ACTIONS, VM_MENU
from limen_tui.model import DomainRow
from limen_tui.model.vm_spec import VmSpec
from limen_tui.ui import text as fmt
from limen_tui.ui.screens.action_menu import ActionMenu
from limen_tui.ui.screens.ask import AskScreen, check_count, check_vm_name
from limen_tui.ui.screens.confirm import ConfirmScreen, DeleteAnswer, TypeNameToDeleteScreen
from limen_tui.ui.screens.create_vm import CreateVmScreen
from limen_tui.ui.widgets.vm_table import VmTable

if TYPE_CHECKING:
    from limen_tui.fleet.fleet import Fleet
    from limen_tui.fleet.host import HostSession

READONLY = "read-only session: nothing can be changed"


def _who(targets: list[DomainRow]) -> Text:
    if len(targets) == 1:
        return fmt.literal(targets[0].name, "bold")
    return Text(f"{len(targets)} marked VMs", style="bold")


class VmActions(App[None]):
    """Mixed into the console: everything between an action key and Fleet.perform."""

    fleet: Fleet | None
    readonly: bool

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("vm_action", "action_menu", "create_vm", "clone_vm") and self.readonly:
            return None  # hidden and disabled: a read-only session offers no actions
        return True

    def _targets(self) -> list[DomainRow]:
        return self.query_one(VmTable).targets()

    def action_toggle_mark(self) -> None:
        self.query_one(VmTable).toggle_mark()

    def action_mark_shown(self) -> None:
        self.query_one(VmTable).mark_shown()

    def action_clear_marks(self) -> None:
        self.query_one(VmTable).clear_marks()

    def action_action_menu(self) -> None:
        targets = self._targets()
        if not targets:
            self.notify("No VM selected", severity="warning")
            return
        keys = {a: k for a, k, _l, _s in ACTION_KEYS}
        entries = [(k, ACTIONS[k].label, keys.get(k, "")) for k in VM_MENU]

        def chosen(action: str | None) -> None:
            if action:
                self.action_vm_action(action)

        self.push_screen(ActionMenu(_who(targets), entries), chosen)

    def action_vm_action(self, action: str) -> None:
        if self.readonly:
            self.notify(READONLY, severity="warning")
            return
        targets = self._targets()
        if not targets:
            self.notify("No VM selected", severity="warning")
            return
        if action == "pause" and all(r.state.value == "paused" for r in targets):
            action = "resume"
        spec = ACTIONS[action]
        if spec.type_name_to_confirm:
            self._ask_delete(targets)
        elif action in ("set_vcpus", "set_memory", "rename", "autostart"):
            self._ask_value(action, targets)
        elif spec.destructive:
            self._confirm(action, targets, {})
        else:
            self._run(action, targets, {})

    def _confirm(self, action: str, targets: list[DomainRow], params: dict[str, Any]) -> None:
        question = Text(f"{ACTIONS[action].label} ", end="")
        question.append_text(_who(targets))
        question.append("? The guest gets no chance to save its work.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(action, targets, params)

        self.push_screen(ConfirmScreen(question), answered)

    def _ask_delete(self, targets: list[DomainRow]) -> None:
        if len(targets) != 1:
            self.notify("Delete works on one VM at a time; clear the marks (U)", severity="warning")
            return

        def answered(answer: DeleteAnswer | None) -> None:
            if answer is not None:
                self._run("delete", targets, {"remove_storage": answer.remove_storage})

        self.push_screen(TypeNameToDeleteScreen(targets[0].name), answered)

    def _ask_value(self, action: str, targets: list[DomainRow]) -> None:
        first = targets[0]
        if action == "autostart":
            enable = not all(r.autostart for r in targets)
            self._run(action, targets, {"enabled": enable})
            return
        if action == "rename" and len(targets) != 1:
            self.notify("Rename works on one VM at a time", severity="warning")
            return
        host_facts = None
        if self.fleet is not None and first.host in self.fleet.sessions:
            host_facts = self.fleet.sessions[first.host].status.facts
        question = Text(f"{ACTIONS[action].label} for ", end="").append_text(_who(targets))
        if action == "set_vcpus":
            limit = host_facts.cpus if host_facts else None
            ask = AskScreen(question, str(first.vcpus or 1), check_count(1, limit, "vCPUs"))
            param = "vcpus"
        elif action == "set_memory":
            limit = host_facts.memory_kib // 1024 if host_facts else None
            now = (first.mem_max_kib or first.mem_current_kib or 1024) // 1024
            question.append(" (MiB)")
            ask = AskScreen(question, str(now), check_count(1, limit, "memory (MiB)"))
            param = "memory_mib"
        else:
            ask = AskScreen(question.append(": new name"), first.name, check_vm_name)
            param = "new_name"

        def answered(value: str | None) -> None:
            if value is None:
                return
            self._run(action, targets, {param: value if param == "new_name" else int(value)})

        self.push_screen(ask, answered)

    def start_action(self, action: str, targets: list[DomainRow], params: dict[str, Any]) -> None:
        """For other screens (snapshots): run an action that needs no more questions."""
        self._run(action, targets, params)

    def _run(self, action: str, targets: list[DomainRow], params: dict[str, Any]) -> None:
        fleet = self.fleet
        if fleet is None:
            self.notify("Not connected to any host", severity="error")
            return
        self.run_worker(
            fleet.perform(targets, action, params),
            group="actions",
            exit_on_error=False,
            description=f"{action} on {len(targets)} VM(s)",
        )

    # -- create and clone: operations on a host, not on an existing VM -------------------------

    def _session_for_new_vm(self) -> HostSession | None:
        fleet = self.fleet
        if fleet is None or not fleet.sessions:
            self.notify("Not connected to any host", severity="error")
            return None
        row = self.query_one(VmTable).selected_row
        if row is not None and row.host in fleet.sessions:
            return fleet.sessions[row.host]
        return next(iter(fleet.sessions.values()))

    def action_create_vm(self) -> None:
        if self.readonly:
            self.notify(READONLY, severity="warning")
            return
        session = self._session_for_new_vm()
        if session is None:
            return

        def answered(answer: tuple[VmSpec, bool] | None) -> None:
            if answer is None:
                return
            spec, start = answer
            self.run_worker(session.create_vm(spec, start), group="actions", exit_on_error=False)

        self.push_screen(CreateVmScreen(session), answered)

    def action_clone_vm(self) -> None:
        if self.readonly:
            self.notify(READONLY, severity="warning")
            return
        row = self.query_one(VmTable).selected_row
        fleet = self.fleet
        if row is None or fleet is None or row.host not in fleet.sessions:
            self.notify("No VM selected", severity="warning")
            return
        if row.state.is_active:
            self.notify("Clone needs a shut off VM; shut it down first", severity="warning")
            return
        session = fleet.sessions[row.host]
        question = Text("Clone ", end="").append_text(fmt.literal(row.name, "bold"))
        question.append(": name of the copy")

        def answered(new_name: str | None) -> None:
            if not new_name:
                return
            self.run_worker(session.clone_vm(row, new_name), group="actions", exit_on_error=False)

        self.push_screen(AskScreen(question, f"{row.name}-clone", check_vm_name), answered)

    def operation_finished(self, op: Operation) -> None:
        """Tell the operator what went wrong; offer force off after a shutdown that timed out."""
        if op.state is OpState.TIMED_OUT and op.action == "shutdown":
            row = next(
                (r for r in self.query_one(VmTable).rows_by_key.values() if r.uuid == op.uuid),
                None,
            )
            if row is None or not row.state.is_active:
                return
            question = fmt.literal(op.vm, "bold")
            question.append(f" did not stop: {op.error}")

            def answered(yes: bool | None) -> None:
                if yes and row is not None:
                    self._run("force_off", [row], {})

            self.push_screen(ConfirmScreen(question), answered)
        elif op.state in (OpState.FAILED, OpState.REFUSED, OpState.TIMED_OUT) and op.batch is None:
            self.notify(
                f"{op.action.replace('_', ' ')} {fmt.printable(op.vm)}: {op.error}",
                severity="error",
                markup=False,
            )
