"""The forms of the device dialog: a disk to attach (a file, a volume, a new volume in a pool,
or a CD-ROM drive) and a NIC. Every field is checked before anything is sent to libvirt."""

from __future__ import annotations

from typing import ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Select, Static

from limen_tui.model import DomainRow
from limen_tui.model.device_list import (
    DeviceList,
    mac_problem,
    next_target,
    parse_size,
    target_problem,
)
from limen_tui.model.device_params import (
    AttachDisk,
    AttachNic,
    DiskBus,
    NewVolume,
    NicKind,
    VolumeFormat,
)
from limen_tui.ui import text as fmt

BUSES: tuple[DiskBus, ...] = ("virtio", "sata", "scsi", "usb", "ide")
FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 76; max-width: 98%; height: auto; max-height: 98%;
    border: thick $accent; background: $surface; padding: 0 1; overflow-y: auto; }}
{name} Horizontal {{ height: auto; }}
{name} Label.field {{ width: 14; }}
{name} Input, {name} Select {{ width: 1fr; }}
{name} #problem {{ color: $error; height: auto; }}
{name} .hint {{ color: $text-muted; height: auto; }}
"""


def _field(label: str, widget: Input | Select[str] | Checkbox) -> Horizontal:
    return Horizontal(Label(label, classes="field"), widget)


class AttachDiskForm(ModalScreen[AttachDisk | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+s", "attach", "Attach"),
    ]
    DEFAULT_CSS = FORM_CSS.format(name="AttachDiskForm")
    AUTO_FOCUS = "#path"

    def __init__(self, vm: DomainRow, devices: DeviceList, pools: list[str]) -> None:
        super().__init__()
        self.vm, self.devices, self.pools = vm, devices, pools

    def compose(self) -> ComposeResult:
        title = Text("Attach a disk to ", style="bold").append_text(fmt.literal(self.vm.name))
        with Vertical():
            yield Static(title)
            yield _field(
                "File",
                Input(compact=True, placeholder="/var/lib/libvirt/images/data.qcow2", id="path"),
            )
            yield Static("or a new volume:", classes="hint")
            pools = [(fmt.printable(p), p) for p in self.pools]
            yield _field("Pool", Select(pools, compact=True, prompt="(no new volume)", id="pool"))
            yield _field("Volume name", Input(compact=True, placeholder="data.qcow2", id="volume"))
            yield _field("Size", Input(compact=True, placeholder="10G, 512M", id="size"))
            formats = [("qcow2", "qcow2"), ("raw", "raw")]
            yield _field(
                "Format",
                Select(formats, compact=True, value="qcow2", allow_blank=False, id="format"),
            )
            buses = [(b, b) for b in BUSES]
            yield _field(
                "Bus", Select(buses, compact=True, value="virtio", allow_blank=False, id="bus")
            )
            yield _field(
                "Device", Input(next_target(self.devices, "virtio"), id="target", compact=True)
            )
            yield _field("", Checkbox("CD-ROM drive (file optional)", id="cdrom", compact=True))
            yield Label("", id="problem")
            yield Static("Enter or Ctrl+S attaches · Esc cancels", classes="hint")

    @on(Select.Changed, "#bus")
    def _bus_changed(self, event: Select.Changed) -> None:
        target = self.query_one("#target", Input)
        if target_problem(target.value, self.devices) is None or not target.value:
            target.value = next_target(self.devices, cast(DiskBus, event.value))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_attach()

    def _value(self, id: str) -> str:
        return self.query_one(f"#{id}", Input).value.strip()

    def _problem(self, text: str) -> None:
        self.query_one("#problem", Label).update(Text(text))

    def action_attach(self) -> None:
        answer = self.answer()
        if isinstance(answer, str):
            self._problem(answer)
        else:
            self.dismiss(answer)

    def answer(self) -> AttachDisk | str:
        """The disk to attach, or what is wrong with the form."""
        path, volume, size = self._value("path"), self._value("volume"), self._value("size")
        pool = self.query_one("#pool", Select).value
        bus = cast(DiskBus, self.query_one("#bus", Select).value)
        target = self._value("target")
        cdrom = self.query_one("#cdrom", Checkbox).value
        problem = target_problem(target, self.devices)
        if problem:
            return problem
        new_volume = None
        if volume or size or isinstance(pool, str):
            if path:
                return "give a file or a new volume, not both"
            if not isinstance(pool, str):
                return "choose the pool of the new volume"
            if not volume or "/" in volume:
                return "the new volume needs a name (no '/')"
            try:
                capacity = parse_size(size)
            except ValueError as exc:
                return str(exc)
            fmt_value = cast(VolumeFormat, self.query_one("#format", Select).value)
            new_volume = NewVolume(pool, volume, capacity, fmt_value)
        elif path and not path.startswith("/"):
            return f"{path!r} is not an absolute path on the host"
        elif not path and not cdrom:
            return "give a file on the host, or a pool, a name and a size for a new volume"
        return AttachDisk(target, path, new_volume, bus, cdrom=cdrom)


class AttachNicForm(ModalScreen[AttachNic | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+s", "attach", "Attach"),
    ]
    DEFAULT_CSS = FORM_CSS.format(name="AttachNicForm")
    AUTO_FOCUS = "#source"

    def __init__(self, vm: DomainRow, devices: DeviceList, networks: list[str]) -> None:
        super().__init__()
        self.vm, self.devices, self.networks = vm, devices, networks

    def compose(self) -> ComposeResult:
        title = Text("Attach a NIC to ", style="bold").append_text(fmt.literal(self.vm.name))
        kinds = [("network", "network"), ("bridge", "bridge"), ("user (no host side)", "user")]
        known = ", ".join(fmt.printable(n) for n in self.networks) or "none running"
        with Vertical():
            yield Static(title)
            yield _field(
                "Type", Select(kinds, compact=True, value="network", allow_blank=False, id="kind")
            )
            first = self.networks[0] if self.networks else ""
            yield _field(
                "Network", Input(first, placeholder="default, or br0", id="source", compact=True)
            )
            yield Static(Text(f"networks: {known}"), classes="hint")
            yield _field("Model", Input("virtio", id="model", compact=True))
            yield _field("MAC", Input(compact=True, placeholder="(libvirt chooses)", id="mac"))
            yield Label("", id="problem")
            yield Static("Enter or Ctrl+S attaches · Esc cancels", classes="hint")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_attach()

    def action_attach(self) -> None:
        answer = self.answer()
        if isinstance(answer, str):
            self.query_one("#problem", Label).update(Text(answer))
        else:
            self.dismiss(answer)

    def answer(self) -> AttachNic | str:
        kind = cast(NicKind, self.query_one("#kind", Select).value)
        source = self.query_one("#source", Input).value.strip()
        model = self.query_one("#model", Input).value.strip() or "virtio"
        mac = self.query_one("#mac", Input).value.strip().lower()
        if kind != "user" and not source:
            return f"a {kind} NIC needs the {kind}'s name"
        if not model.replace("-", "").replace("_", "").isalnum():
            return f"{model!r} is not a NIC model; virtio, e1000 or rtl8139"
        problem = mac_problem(mac, self.devices)
        if problem:
            return problem
        return AttachNic(kind, "" if kind == "user" else source, model, mac)
