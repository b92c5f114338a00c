"""The device dialog of one VM: its disks and NICs, and attach, detach, insert or eject an ISO,
and the boot order, from the keyboard. Each change is an operation of the fleet (audited,
confirmed by libvirt's event); its outcome shows here and in the operations pane."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from limen_tui.fleet.device_reads import VmDevices, vm_devices
from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.model import DomainRow
from limen_tui.model.action_params import ActionParams
from limen_tui.model.device_params import (
    ChangeMedia,
    DetachDisk,
    DetachNic,
    SetBootOrder,
)
from limen_tui.ui import text as fmt
from limen_tui.ui.screens.ask import AskScreen
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.screens.device_forms import AttachDiskForm, AttachNicForm
from limen_tui.ui.worker_failures import WorkerFailuresToApp

RunChange = Callable[[str, ActionParams], Awaitable[Operation]]
"""Runs a device action on this screen's VM through the fleet and returns its outcome."""


def change_runner(vm: DomainRow, host: Host) -> RunChange:
    """Device actions on `vm` as operations of its host (audited, in the operations pane)."""

    async def run(action: str, params: ActionParams) -> Operation:
        return await host.perform(Operation.new(host.key, vm.uuid, vm.name, action, params))

    return run


CHANGES = ("attach_disk", "attach_nic", "detach", "insert", "eject", "boot_order")
"""The dialog's keys that change the VM: a read-only session offers none of them."""

OUTCOME_STYLE = {OpState.SUCCEEDED: "green", OpState.NOT_CONFIRMED: "yellow"}


def _check_order(names: set[str]) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        order = value.replace(",", " ").split()
        if not order:
            return "name at least one disk or NIC"
        unknown = [n for n in order if n.lower() not in names]
        if unknown:
            return f"this VM has no disk or NIC {', '.join(unknown)}"
        if len({n.lower() for n in order}) != len(order):
            return "a device is named twice"
        return None

    return check


def _check_iso(value: str) -> str | None:
    if not value.startswith("/"):
        return "give the ISO's absolute path on the host"
    return None


class DeviceScreen(WorkerFailuresToApp, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("a", "attach_disk", "Attach disk"),
        Binding("n", "attach_nic", "Attach NIC"),
        Binding("d", "detach", "Detach"),
        Binding("i", "insert", "Insert ISO"),
        Binding("e", "eject", "Eject"),
        Binding("b", "boot_order", "Boot order"),
        Binding("f5,ctrl+r", "reload", "Reload"),
    ]
    DEFAULT_CSS = """
    DeviceScreen { align: center middle; }
    DeviceScreen > Vertical { width: 98%; height: 94%; border: round $accent;
        background: $surface; }
    DeviceScreen #devices { height: 1fr; }
    DeviceScreen #status { height: auto; max-height: 5; padding: 0 1; }
    """

    def __init__(self, vm: DomainRow, host: Host, run: RunChange) -> None:
        super().__init__()
        self.vm, self.host, self.run = vm, host, run
        self.devices: VmDevices | None = None
        self.outcome = Text("")

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            title = Text("Devices of ").append_text(fmt.literal(self.vm.name))
            box.border_title = title
            yield DataTable(cursor_type="row", id="devices")
            yield Static("reading its devices…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#devices", DataTable)
        for key, label in (
            ("name", "Device"),
            ("kind", "Kind"),
            ("where", "Where"),
            ("boot", "Boot"),
            ("bus", "Bus/model"),
            ("source", "Source"),
        ):
            table.add_column(label, key=key)
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(exclusive=True, group="devices", exit_on_error=False)
    async def _load(self) -> None:
        try:
            found = await vm_devices(self.host, self.vm.uuid)
        except Exception as exc:
            self._status(Text(f"cannot read its devices: {explain(exc)}", style="red"))
            return
        self.show(found)

    def show(self, found: VmDevices) -> None:
        self.devices = found
        table = self.query_one("#devices", DataTable)
        table.clear()
        now, config = found.now, found.config
        names = {d.target for d in now.disks} | {d.target for d in config.disks}
        for target in sorted(names):
            disk = now.disk(target) or config.disk(target)
            assert disk is not None
            where = _where(found.running, now.disk(target) is not None, config.disk(target))
            boot = config.disk(target)
            table.add_row(
                fmt.literal(disk.target, "bold"),
                disk.device,
                where,
                str(boot.boot) if boot is not None and boot.boot else "",
                disk.bus,
                fmt.literal(disk.source or "(empty)", "" if disk.source else "dim"),
                key=f"disk:{disk.target}",
            )
        macs = {n.mac for n in now.nics} | {n.mac for n in config.nics}
        for mac in sorted(macs):
            nic = now.nic(mac) or config.nic(mac)
            assert nic is not None
            in_config = config.nic(mac)
            table.add_row(
                fmt.literal(nic.mac, "bold"),
                f"NIC {nic.kind}",
                _where(found.running, now.nic(mac) is not None, in_config),
                str(in_config.boot) if in_config is not None and in_config.boot else "",
                nic.model,
                fmt.literal(nic.source),
                key=f"nic:{nic.mac}",
            )
        hint = Text(
            "a attach disk · n attach NIC · d detach · i insert ISO · e eject · b boot order"
        )
        if config.os_boot and not config.boot_order:
            hint.append(f"\nboots from: {', '.join(config.os_boot)} (<os><boot>)", style="dim")
        if self.outcome.plain:
            hint.append("\n").append_text(self.outcome)
        self._status(hint)

    def _status(self, text: Text) -> None:
        self.query_one("#status", Static).update(text)

    def _selected(self) -> tuple[str, str] | None:
        table = self.query_one("#devices", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        kind, _, name = key.partition(":")
        return kind, name

    # -- changes -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in CHANGES and self.host.settings.readonly:
            return None  # hidden and disabled, as on the main screen
        return True

    def change(self, action: str, params: ActionParams) -> None:
        self._status(Text(f"{action.replace('_', ' ')}: running…"))
        self._apply(action, params)

    @work(group="actions", exit_on_error=False)
    async def _apply(self, action: str, params: ActionParams) -> None:
        op = await self.run(action, params)
        words = op.note if op.state is OpState.SUCCEEDED else op.error
        self.outcome = Text(
            f"{action.replace('_', ' ')} {op.state.value}: {words}",
            style=OUTCOME_STYLE.get(op.state, "red"),
        )
        self._load()

    def action_attach_disk(self) -> None:
        if self.devices is None:
            return
        config = self.devices.config
        self._with_choices(
            lambda pools, _nets: self.app.push_screen(
                AttachDiskForm(self.vm, config, pools),
                lambda answer: self.change("attach_disk", answer) if answer else None,
            )
        )

    def action_attach_nic(self) -> None:
        if self.devices is None:
            return
        config = self.devices.config
        self._with_choices(
            lambda _pools, nets: self.app.push_screen(
                AttachNicForm(self.vm, config, nets),
                lambda answer: self.change("attach_nic", answer) if answer else None,
            )
        )

    @work(group="devices-choices", exit_on_error=False)
    async def _with_choices(self, then: Callable[[list[str], list[str]], object]) -> None:
        try:
            choices = await self.host.new_vm_choices()
            then(choices.pools, choices.networks)
        except Exception as exc:
            self.notify(f"cannot read the host's pools and networks: {explain(exc)}", markup=False)
            then([], [])

    def action_detach(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        kind, name = selected
        question = Text("Detach ").append_text(fmt.literal(name, "bold"))
        question.append(" from ").append_text(fmt.literal(self.vm.name, "bold"))
        question.append(
            "? The guest loses it now"
            if self.vm.state.is_active
            else "? It goes from the VM's persistent config"
        )
        if kind == "disk":
            question.append(" (the image file itself is kept).")
        params: ActionParams = DetachDisk(name) if kind == "disk" else DetachNic(name)
        action = "detach_disk" if kind == "disk" else "detach_nic"
        self.app.push_screen(
            ConfirmScreen(question), lambda yes: self.change(action, params) if yes else None
        )

    def _cdrom(self) -> str | None:
        selected = self._selected()
        found = self.devices
        if selected is None or found is None or selected[0] != "disk":
            self.notify("select a CD-ROM drive first", severity="warning")
            return None
        disk = found.now.disk(selected[1]) or found.config.disk(selected[1])
        if disk is None or not disk.removable:
            self.notify(f"{fmt.printable(selected[1])} is not a CD-ROM drive", markup=False)
            return None
        return disk.target

    def action_insert(self) -> None:
        target = self._cdrom()
        if target is None:
            return
        question = Text(f"ISO to insert into {target} of ").append_text(
            fmt.literal(self.vm.name, "bold")
        )
        self.app.push_screen(
            AskScreen(question.append(" (a path on the host)"), "", _check_iso),
            lambda path: self.change("change_media", ChangeMedia(target, path)) if path else None,
        )

    def action_eject(self) -> None:
        target = self._cdrom()
        if target is None:
            return
        question = Text(f"Eject the medium of {target} in ").append_text(
            fmt.literal(self.vm.name, "bold")
        )
        question.append("? The guest loses it now." if self.vm.state.is_active else "?")
        self.app.push_screen(
            ConfirmScreen(question),
            lambda yes: self.change("change_media", ChangeMedia(target)) if yes else None,
        )

    def action_boot_order(self) -> None:
        found = self.devices
        if found is None:
            return
        config = found.config
        names = {d.target.lower() for d in config.disks} | {n.mac.lower() for n in config.nics}
        now = " ".join(config.boot_order) or " ".join(
            [d.target for d in config.disks if not d.removable][:1]
        )
        question = Text("Boot order of ").append_text(fmt.literal(self.vm.name, "bold"))
        question.append(": disks and NIC MACs, first boots first")
        if found.running:
            question.append(" (applies at next boot)")

        def answered(value: str | None) -> None:
            if value:
                order = tuple(value.replace(",", " ").split())
                self.change("set_boot_order", SetBootOrder(order))

        self.app.push_screen(AskScreen(question, now, _check_order(names)), answered)


def _where(running: bool, live: bool, in_config: object | None) -> str:
    if not running:
        return "config"
    if live and in_config is not None:
        return "live+config"
    return "live only" if live else "next boot"
