"""`:pool` (P): a host's storage pools with capacity bars; Enter opens a pool's volumes.

Keys (from the registry): start, stop, refresh, autostart, define a directory pool. Every
change is an operation of the host, confirmed by libvirt's pool event or by reading it back.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Static

from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.model import human_bytes
from limen_tui.model.action_params import DefinePool, OnPool, PoolAutostart
from limen_tui.model.storage import Pool, name_problem, path_problem
from limen_tui.ui import text as fmt
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.screens.resource_base import ResourceScreen, capacity_bar, resource_bindings
from limen_tui.ui.screens.resource_forms import Answers, Field, FieldsForm
from limen_tui.ui.screens.volumes import VolumesScreen

DEFAULT_POOL_DIR = "/var/lib/libvirt/images"

COLUMNS = (
    ("name", "Pool"),
    ("state", "State"),
    ("autostart", "Autostart"),
    ("used", "Used"),
    ("allocation", "Allocation"),
    ("available", "Available"),
    ("capacity", "Capacity"),
    ("kind", "Type"),
    ("path", "Path"),
)


NARROW = 100
"""Below this many columns the capacity bar is shorter, so 80 columns show every figure."""


def pool_cells(p: Pool, bar_cells: int) -> list[Text | str]:
    state = Text(p.state, style="green" if p.active else "dim")
    used = capacity_bar(p.allocation, p.capacity, bar_cells)
    return [
        fmt.literal(p.name, "bold", limit=20),
        state,
        "yes" if p.autostart else "no",
        used if p.active else Text("-", style="dim"),
        human_bytes(p.allocation),
        human_bytes(p.available),
        human_bytes(p.capacity),
        fmt.literal(p.kind),
        fmt.literal(p.path, limit=40),
    ]


class PoolsScreen(ResourceScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("enter", "volumes", "Volumes", show=True),
        *resource_bindings("pool"),
        Binding("f5,ctrl+r", "reload", "Reload"),
    ]
    DEFAULT_CSS = """
    PoolsScreen { align: center middle; }
    PoolsScreen > Vertical { width: 98%; height: 96%; border: round $accent;
        background: $surface; }
    PoolsScreen #pools { height: 1fr; }
    PoolsScreen #status { height: auto; padding: 0 1; }
    """

    def __init__(self, host: Host, *, open_pool: str = "") -> None:
        """`open_pool`: go on to this pool's volumes once the pools are read (:vol POOL)."""
        super().__init__()
        self.host = host
        self.pools: list[Pool] = []
        self.open_pool = open_pool

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text("Storage pools on ").append_text(fmt.literal(self.host.key))
            yield DataTable(cursor_type="row", id="pools")
            yield Static("reading pools…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.table_with("pools", COLUMNS).focus()
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(exclusive=True, group="pools", exit_on_error=False)
    async def _load(self) -> None:
        status = self.query_one("#status", Static)
        try:
            pools = await self.host.pools()
        except Exception as exc:
            status.update(Text(f"cannot read the pools: {explain(exc)}", style="red"))
            return
        self.pools = pools
        table = self.query_one("#pools", DataTable)
        keep = table.cursor_row
        table.clear()
        cells = 6 if self.app.size.width < NARROW else 10
        for p in pools:
            table.add_row(*pool_cells(p, cells), key=p.name)
        if pools:
            table.move_cursor(row=min(keep, len(pools) - 1))
        if self.open_pool:
            self._open_named(self.open_pool)
            self.open_pool = ""
        status.update(
            Text(
                f"{len(pools)} pool(s). Enter volumes · o start · h stop · r refresh · "
                "a autostart · n new directory pool",
                style="dim",
            )
            if pools
            else Text("No storage pools. n defines a directory pool.", style="dim")
        )

    def selected(self) -> Pool | None:
        table = self.query_one("#pools", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((p for p in self.pools if p.name == key), None)

    def _open_named(self, name: str) -> None:
        names = [p.name for p in self.pools]
        if name not in names:
            self.notify(
                f"no pool {fmt.printable(name)} on {fmt.printable(self.host.key)}; "
                f"pools: {fmt.printable(', '.join(names)) or 'none'}",
                severity="warning",
                markup=False,
            )
            return
        self.query_one("#pools", DataTable).move_cursor(row=names.index(name))
        self.action_volumes()

    @on(DataTable.RowSelected, "#pools")
    def _chosen(self) -> None:
        self.action_volumes()

    def action_volumes(self) -> None:
        pool = self.selected()
        if pool is None:
            return
        if not pool.active:
            self.notify(
                f"{fmt.printable(pool.name)} is {pool.state}: start it (o) to see its volumes",
                severity="warning",
                markup=False,
            )
            return
        self.app.push_screen(VolumesScreen(self.host, pool), lambda _=None: self.reload())

    def ask_pool_start(self) -> None:
        pool = self.selected()
        if pool is not None:
            self.change("pool_start", OnPool(pool.name))

    def ask_pool_stop(self) -> None:
        pool = self.selected()
        if pool is None:
            return
        question = Text("Stop pool ").append_text(fmt.literal(pool.name, "bold"))
        question.append(" on ").append_text(fmt.literal(self.host.key))
        question.append("? Its volumes cannot be used until it starts again.  y/N")
        self.app.push_screen(
            ConfirmScreen(question),
            lambda yes: self.change("pool_stop", OnPool(pool.name)) if yes else None,
        )

    def ask_pool_refresh(self) -> None:
        pool = self.selected()
        if pool is not None:
            self.change("pool_refresh", OnPool(pool.name))

    def ask_pool_autostart(self) -> None:
        pool = self.selected()
        if pool is not None:
            self.change("pool_autostart", PoolAutostart(pool.name, not pool.autostart))

    def ask_pool_define(self) -> None:
        taken = {p.name for p in self.pools}

        def check(a: Answers) -> str | None:
            problem = name_problem(a["name"], "pool")
            if problem is None and a["name"] in taken:
                problem = f"{a['name']!r} is already a pool on {self.host.key}"
            return problem or path_problem(a["path"])

        def answered(a: Answers | None) -> None:
            if a is not None:
                self.change("pool_define", DefinePool(a["name"], a["path"]))

        title = Text("Define a directory pool on ").append_text(fmt.literal(self.host.key))
        title.append(" (the directory is made if it is missing)")
        form = FieldsForm(
            title,
            [
                Field("name", "Name", placeholder="images2"),
                Field("path", "Directory", placeholder=f"{DEFAULT_POOL_DIR}/images2"),
            ],
            check,
        )
        self.app.push_screen(form, answered)
