"""A pool's volumes: name, format, sizes and which VM uses each ("unused" for orphans).

Keys (from the registry): create (qcow2/raw), resize, clone, wipe and delete. Wipe and delete
ask for the volume's name to be typed and are refused while a VM uses the volume (said here,
and checked again by the host just before the call).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Static

from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.model import human_bytes
from limen_tui.model.action_params import CloneVolume, CreateVolume, OnVolume, ResizeVolume
from limen_tui.model.storage import VOLUME_FORMATS, Pool, Volume, name_problem, parse_size
from limen_tui.ui import text as fmt
from limen_tui.ui.screens.resource_base import ResourceScreen, resource_bindings
from limen_tui.ui.screens.resource_forms import Answers, Field, FieldsForm, TypeNameScreen

COLUMNS = (
    ("name", "Volume"),
    ("used_by", "Used by"),
    ("format", "Format"),
    ("capacity", "Capacity"),
    ("allocation", "Allocation"),
    ("path", "Path"),
)


def used_by_cell(v: Volume) -> Text:
    if not v.used_by:
        return Text("unused", style="yellow")
    return fmt.literal(", ".join(v.used_by), limit=24)


def size_problem(text: str) -> str | None:
    try:
        parse_size(text)
    except ValueError as exc:
        return str(exc)
    return None


class VolumesScreen(ResourceScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Back"),
        *resource_bindings("volume"),
        Binding("f5,ctrl+r", "reload", "Reload"),
    ]
    DEFAULT_CSS = """
    VolumesScreen { align: center middle; }
    VolumesScreen > Vertical { width: 98%; height: 96%; border: round $accent;
        background: $surface; }
    VolumesScreen #volumes { height: 1fr; }
    VolumesScreen #status { height: auto; padding: 0 1; }
    """

    def __init__(self, host: Host, pool: Pool) -> None:
        super().__init__()
        self.host = host
        self.pool = pool
        self.volumes: list[Volume] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            title = Text("Volumes of pool ").append_text(fmt.literal(self.pool.name))
            box.border_title = title.append(" on ").append_text(fmt.literal(self.host.key))
            yield DataTable(cursor_type="row", id="volumes")
            yield Static("reading volumes…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.table_with("volumes", COLUMNS).focus()
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(exclusive=True, group="volumes", exit_on_error=False)
    async def _load(self) -> None:
        status = self.query_one("#status", Static)
        try:
            volumes = await self.host.volumes(self.pool.name)
        except Exception as exc:
            status.update(Text(f"cannot read the volumes: {explain(exc)}", style="red"))
            return
        self.volumes = volumes
        table = self.query_one("#volumes", DataTable)
        keep = table.cursor_row
        table.clear()
        for v in volumes:
            table.add_row(
                fmt.literal(v.name, "bold", limit=30),
                used_by_cell(v),
                fmt.literal(v.format or "-"),
                human_bytes(v.capacity),
                human_bytes(v.allocation),
                fmt.literal(v.path, limit=50),
                key=v.name,
            )
        if volumes:
            table.move_cursor(row=min(keep, len(volumes) - 1))
        unused = sum(not v.used_by for v in volumes)
        status.update(
            Text(
                f"{len(volumes)} volume(s), {unused} unused. c create · z resize · y clone · "
                "W wipe · D delete · Esc back",
                style="dim",
            )
        )

    def selected(self) -> Volume | None:
        table = self.query_one("#volumes", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((v for v in self.volumes if v.name == key), None)

    def _taken(self, name: str) -> str | None:
        if any(v.name == name for v in self.volumes):
            return f"pool {self.pool.name} already has a volume named {name!r}"
        return None

    def ask_volume_create(self) -> None:
        def check(a: Answers) -> str | None:
            if a["format"] not in VOLUME_FORMATS:
                return f"format {a['format']!r}: one of {', '.join(VOLUME_FORMATS)}"
            return name_problem(a["name"]) or self._taken(a["name"]) or size_problem(a["size"])

        def answered(a: Answers | None) -> None:
            if a is not None:
                params = CreateVolume(self.pool.name, a["name"], a["format"], parse_size(a["size"]))
                self.change("volume_create", params)

        title = Text("Create a volume in pool ").append_text(fmt.literal(self.pool.name, "bold"))
        title.append(f" ({human_bytes(self.pool.available)} available)")
        fields = [
            Field("name", "Name", placeholder="disk1.qcow2"),
            Field("format", "Format (qcow2 or raw)", "qcow2"),
            Field("size", "Size (K, M, G, T: powers of 1024)", placeholder="10G"),
        ]
        self.app.push_screen(FieldsForm(title, fields, check), answered)

    def ask_volume_resize(self) -> None:
        vol = self.selected()
        if vol is None:
            return

        def check(a: Answers) -> str | None:
            problem = size_problem(a["size"])
            if problem is None and parse_size(a["size"]) < vol.capacity:
                problem = f"{vol.name} is {human_bytes(vol.capacity)}; shrinking would cut off data"
            return problem

        def answered(a: Answers | None) -> None:
            if a is not None:
                params = ResizeVolume(self.pool.name, vol.name, parse_size(a["size"]))
                self.change("volume_resize", params)

        title = Text("Resize ").append_text(fmt.literal(vol.name, "bold"))
        title.append(f" (now {human_bytes(vol.capacity)}; it can only grow)")
        fields = [Field("size", "New size", placeholder="20G")]
        self.app.push_screen(FieldsForm(title, fields, check), answered)

    def ask_volume_clone(self) -> None:
        vol = self.selected()
        if vol is None:
            return

        def check(a: Answers) -> str | None:
            return name_problem(a["name"]) or self._taken(a["name"])

        def answered(a: Answers | None) -> None:
            if a is not None:
                self.change("volume_clone", CloneVolume(self.pool.name, vol.name, a["name"]))

        title = Text("Clone ").append_text(fmt.literal(vol.name, "bold"))
        title.append(" into a new volume of the same pool")
        fields = [Field("name", "New volume's name", placeholder=f"copy-of-{vol.name}")]
        self.app.push_screen(FieldsForm(title, fields, check), answered)

    def _ask_destroy(self, action: str, what: str) -> None:
        vol = self.selected()
        if vol is None:
            return
        if vol.used_by:
            self.notify(
                f"{fmt.printable(vol.name)} is used by VM {fmt.printable(', '.join(vol.used_by))}"
                f"; it cannot be {what}d while a VM uses it",
                severity="warning",
                markup=False,
            )
            return
        question = Text(f"{what.capitalize()} volume ").append_text(fmt.literal(vol.name, "bold"))
        question.append(" in pool ").append_text(fmt.literal(self.pool.name))
        question.append(" on ").append_text(fmt.literal(self.host.key))
        question.append(
            "? Its data is lost for good. Type its name to confirm."
            if what == "delete"
            else "? Every byte of it is overwritten with zeros. Type its name to confirm."
        )
        params = OnVolume(self.pool.name, vol.name)

        def answered(yes: bool | None) -> None:
            if yes:
                self.change("volume_delete" if action == "delete" else "volume_wipe", params)

        self.app.push_screen(TypeNameScreen(question, vol.name), answered)

    def ask_volume_wipe(self) -> None:
        self._ask_destroy("wipe", "wipe")

    def ask_volume_delete(self) -> None:
        self._ask_destroy("delete", "delete")
