"""Create a VM from a short form; every field is checked on the host before anything is made."""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.model.vm_spec import NIC_ETHERNET, NIC_USER, VmSpec
from limen_tui.ui import text as fmt
from limen_tui.ui.worker_failures import WorkerFailuresToApp

NO_NIC = "(no network)"
FIELDS = (
    ("name", "Name", ""),
    ("vcpus", "vCPUs", "1"),
    ("memory", "Memory (MiB)", "1024"),
    ("disk", "Disk (GiB)", "10"),
    ("iso", "Boot ISO: a volume path (optional)", ""),
)


def _number(value: str, what: str, *, whole: bool) -> tuple[float | None, str | None]:
    try:
        n = float(value) if not whole else int(value)
    except ValueError:
        return None, f"{what}: must be a {'whole ' if whole else ''}number"
    if isinstance(n, float) and not math.isfinite(n):
        return None, f"{what}: must be a number"
    return n, None


class CreateVmScreen(WorkerFailuresToApp, ModalScreen[tuple[VmSpec, bool] | None]):
    """Returns the checked spec and whether to start it; the caller runs the transaction."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+s", "create", "Create", priority=True),
    ]
    AUTO_FOCUS = "#name"
    DEFAULT_CSS = """
    CreateVmScreen { align: center middle; }
    CreateVmScreen > VerticalScroll { width: 70; max-width: 98%; height: auto; max-height: 98%;
        border: thick $accent; background: $surface; padding: 0 1; }
    CreateVmScreen Label { margin-top: 1; color: $text-muted; }
    CreateVmScreen Input, CreateVmScreen Select { background: $boost; }
    CreateVmScreen #problems { color: $error; height: auto; }
    CreateVmScreen Horizontal { height: auto; margin-top: 1; }
    CreateVmScreen #hint { color: $text-muted; height: auto; }
    """

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host

    def compose(self) -> ComposeResult:
        # One labelled field a line: every field stays visible and named once it is filled.
        with VerticalScroll() as box:
            box.border_title = Text("New VM on ").append_text(fmt.literal(self.host.key))
            box.border_subtitle = "Tab/Enter: next field · Ctrl+S: create · Esc: cancel"
            for wid, label, value in FIELDS[:4]:
                yield Label(label)
                yield Input(value, id=wid, compact=True)
            yield Label("Storage pool")
            yield Select[str]([], prompt="storage pool", id="pool", compact=True)
            yield Label("Network")
            yield Select[str]([], prompt="network", id="network", compact=True)
            wid, label, value = FIELDS[4]
            yield Label(label)
            yield Input(value, id=wid, compact=True)
            with Horizontal():
                yield Checkbox("Serial console", True, id="serial")
                yield Checkbox("Start it", False, id="start")
            yield Static("", id="problems")
            with Horizontal():
                yield Button("Create (Ctrl+S)", variant="primary", id="create")
                yield Button("Cancel (Esc)", id="cancel")

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter in a field goes to the next one: it never creates anything."""
        event.stop()
        self.focus_next()

    def on_mount(self) -> None:
        self._load_choices()

    @work(exclusive=True, group="create-choices", exit_on_error=False)
    async def _load_choices(self) -> None:
        try:
            choices = await self.host.new_vm_choices()
        except Exception as exc:
            self._problems([f"cannot list pools and networks: {explain(exc)}"])
            return
        self.query_one("#pool", Select).set_options((p, p) for p in choices.pools)
        nets = [*choices.networks, NIC_USER, NIC_ETHERNET, NO_NIC]
        self.query_one("#network", Select).set_options((n, n) for n in nets)

    def _problems(self, problems: list[str]) -> None:
        self.query_one("#problems", Static).update(Text("\n".join(problems)))

    def _spec(self) -> tuple[VmSpec | None, list[str]]:
        def value(wid: str) -> str:
            return self.query_one(f"#{wid}", Input).value.strip()

        problems: list[str] = []
        vcpus, p1 = _number(value("vcpus"), "vCPUs", whole=True)
        memory, p2 = _number(value("memory"), "Memory", whole=True)
        disk, p3 = _number(value("disk"), "Disk size", whole=False)
        problems += [p for p in (p1, p2, p3) if p]
        pool = self.query_one("#pool", Select).value
        network = self.query_one("#network", Select).value
        if not isinstance(pool, str):
            problems.append("Storage pool: choose one")
        if problems or vcpus is None or memory is None or disk is None or not isinstance(pool, str):
            return None, problems
        net = network if isinstance(network, str) and network != NO_NIC else None
        spec = VmSpec(
            name=value("name"),
            vcpus=int(vcpus),
            memory_mib=int(memory),
            disk_gib=float(disk),
            pool=pool,
            network=net,
            boot_iso=value("iso") or None,
            serial_console=self.query_one("#serial", Checkbox).value,
        )
        return spec, []

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    def action_create(self) -> None:
        self._create()

    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        spec, problems = self._spec()
        if spec is None:
            self._problems(problems)
            return
        self._check(spec)

    @work(exclusive=True, group="create-check", exit_on_error=False)
    async def _check(self, spec: VmSpec) -> None:
        label = self.query_one("#problems", Static)
        label.update("checking on the host…")
        try:
            problems = await self.host.check_new_vm(spec)
        except Exception as exc:
            problems = [f"cannot check on the host: {explain(exc)}"]
        if problems:
            self._problems(problems)
            return
        self.dismiss((spec, self.query_one("#start", Checkbox).value))
