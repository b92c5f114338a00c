"""`f` (or "Everything about it" in the action menu): one VM on the whole terminal.

What the details pane cannot fit: per-vCPU time and steal, per-disk and per-NIC figures (read
for this VM alone, through its host's workers), balloon memory, graphs of the last 5 minutes
and the last hour (from the metric history), what the guest agent says, the domain XML with
search, and the tail of its QEMU log. Every tab scrolls; Esc goes back to the table.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, TabbedContent, TabPane

from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.fleet.host_reads import nic_macs
from limen_tui.fleet.vm_recent import RecentLine
from limen_tui.model import DomainRow
from limen_tui.model.addresses import GuestAddresses
from limen_tui.model.devices import Devices, parse_devices
from limen_tui.model.guest_info import GuestInfo
from limen_tui.model.vm_figures import VmFigures, VmSample, figures_between
from limen_tui.ui import text as fmt
from limen_tui.ui import vm_views as views
from limen_tui.ui.log_feeds import LogFeeds
from limen_tui.ui.screens.vm_changes import open_devices, open_domain_xml
from limen_tui.ui.widgets.details import details_table
from limen_tui.ui.widgets.log_pane import LogPane
from limen_tui.ui.worker_failures import WorkerFailuresToApp

FOLLOW_ROW_S = 1.0
"""How often the row is read again from the host's rows (a dict lookup, no libvirt call)."""
GUEST_EVERY_S = 15.0
"""How often the guest agent and the addresses are asked again (the addresses' cache TTL)."""
GRAPHS_EVERY_S = 10.0
WINDOWS: tuple[tuple[float, str], ...] = ((300.0, "5 min"), (3600.0, "hour"))
GRAPH_MIN_WIDTH = 20
LOG_LINES = 500


class VmScreen(WorkerFailuresToApp, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("q,f", "app.pop_screen", "Back", show=False),
        Binding("1", "tab('figures')", "Figures"),
        Binding("2", "tab('graphs')", "Graphs"),
        Binding("3", "tab('guest')", "Guest"),
        Binding("4", "tab('xml')", "XML"),
        Binding("5", "tab('log')", "Log"),
        Binding("6", "tab('recent')", "Events"),
        Binding("slash", "search", "Search XML", show=False),
        Binding("n", "next_match", "Next match", show=False),
        Binding("f5,ctrl+r", "reload", "Read again"),
        Binding("d", "devices", "Devices and media"),
        Binding("X", "domain_xml", "Domain XML (edit)"),
    ]
    AUTO_FOCUS = "#vm-figures"
    DEFAULT_CSS = """
    VmScreen #vm-title { height: 1; background: $primary-background; padding: 0 1; }
    VmScreen TabbedContent { height: 1fr; }
    VmScreen TabPane { padding: 0; }
    VmScreen .vm-body { height: 1fr; border: round $primary; padding: 0 1; }
    VmScreen .vm-body:focus { border: round $accent; }
    VmScreen #xml-search { height: 3; }
    VmScreen #vm-log { height: 1fr; }
    """

    def __init__(self, row: DomainRow, host: Host, *, refresh_s: float | None = None) -> None:
        super().__init__()
        self.row = row
        self.host = host
        self.refresh_s = refresh_s or host.settings.refresh_interval
        self.devices: Devices | None = None
        self.macs: dict[str, str] | None = None
        """NIC device -> MAC, from the XML once read (so a reading needs no XMLDesc)."""
        self.figures: VmFigures | None = None
        self._last: VmSample | None = None
        self.guest: GuestInfo | None = None
        self.addresses: GuestAddresses | None = None
        self.history: dict[tuple[str, float], list[tuple[float, float]]] = {}
        self.xml = ""
        self.matches: list[int] = []
        self._match = -1
        self.problem = ""
        self.feeds = LogFeeds()
        self._recent: list[RecentLine] | None = None

    def compose(self) -> ComposeResult:
        title = Text("VM ", style="bold", end="").append_text(fmt.literal(self.row.name, "bold"))
        title.append(" on ").append_text(fmt.literal(self.row.host))
        title.append("  ·  1-6 tabs, Esc back", style="dim")
        yield Static(title, id="vm-title")
        with TabbedContent(id="vm-tabs", initial="figures"):
            with (
                TabPane("Figures", id="figures"),
                VerticalScroll(id="vm-figures", classes="vm-body"),
            ):
                yield Static(id="vm-facts")
            with (
                TabPane("Graphs", id="graphs"),
                VerticalScroll(id="vm-graphs", classes="vm-body"),
            ):
                yield Static(id="vm-graph-body")
            with (
                TabPane("Guest", id="guest"),
                VerticalScroll(id="vm-guest", classes="vm-body"),
            ):
                yield Static(id="vm-guest-body")
            with TabPane("XML", id="xml"):
                yield Input(placeholder="search the XML; Enter: next match", id="xml-search")
                with VerticalScroll(id="vm-xml", classes="vm-body"):
                    yield Static(id="vm-xml-body")
            with TabPane("QEMU log", id="log"):
                yield LogPane(LOG_LINES, id="vm-log", title="QEMU log")
            with (
                TabPane("Events", id="recent"),
                VerticalScroll(id="vm-recent", classes="vm-body"),
            ):
                yield Static(id="vm-recent-body")
        yield Footer()

    def on_mount(self) -> None:
        self._draw()
        self._follow_row()
        self.action_reload()
        self.set_interval(FOLLOW_ROW_S, self._follow_row)
        self.set_interval(self.refresh_s, self._read_figures)
        self.set_interval(GUEST_EVERY_S, self._read_guest)
        self.set_interval(GRAPHS_EVERY_S, self._read_graphs)
        pane = self.query_one("#vm-log", LogPane)
        self.feeds.follow(pane, f"QEMU log of {self.row.name}", self.host.qemu_log(self.row.name))

    async def on_unmount(self) -> None:
        await self.feeds.stop_all()

    def _follow_row(self) -> None:
        row = self.host.rows.get(self.row.uuid)
        if row is not None and row != self.row:
            self.row = row
            self._draw()
        recent = self.host.recent.of(self.row.uuid)
        if recent != self._recent:
            self._recent = recent
            self.query_one("#vm-recent-body", Static).update(views.recent_view(recent))

    # -- keys --------------------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        body = {
            "figures": "#vm-figures",
            "graphs": "#vm-graphs",
            "guest": "#vm-guest",
            "recent": "#vm-recent",
        }
        if tab in body:
            self.query_one(body[tab]).focus()
        elif tab == "xml":
            self.query_one("#xml-search", Input).focus()
        else:
            self.query_one("#vm-log", LogPane).lines_widget.focus()

    def action_back(self) -> None:
        """Esc: out of the search box first (the XML stays), else back to the table."""
        if isinstance(self.focused, Input):
            self.query_one("#vm-xml", VerticalScroll).focus()
        else:
            self.app.pop_screen()

    def action_search(self) -> None:
        self.action_tab("xml")

    def action_next_match(self) -> None:
        if not self.matches:
            return
        self._match = (self._match + 1) % len(self.matches)
        self.query_one("#vm-xml", VerticalScroll).scroll_to(
            y=max(0, self.matches[self._match] - 2), animate=False
        )

    def action_reload(self) -> None:
        self._read_devices()
        self._read_figures()
        self._read_guest()
        self._read_graphs()

    def action_devices(self) -> None:
        open_devices(self, self.row, self.host, then=self.action_reload)

    def action_domain_xml(self) -> None:
        open_domain_xml(self, self.row, self.host, then=self.action_reload)

    @on(Input.Changed, "#xml-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._match = -1
        self._draw_xml(event.value)

    @on(Input.Submitted, "#xml-search")
    def _search_next(self) -> None:
        self.action_next_match()

    # -- reads, each in a worker of its own group (a slow one never holds up another) ---------

    @work(exclusive=True, group="vm-devices", exit_on_error=False)
    async def _read_devices(self) -> None:
        try:
            self.xml = await self.host.domain_xml(self.row.uuid)
            self.devices = parse_devices(self.xml)
            self.macs = nic_macs(self.xml)
            self.problem = ""
        except Exception as exc:
            self.problem = f"cannot read its definition: {explain(exc)}"
        self._draw()
        self._draw_xml(self.query_one("#xml-search", Input).value)

    @work(exclusive=True, group="vm-figures", exit_on_error=False)
    async def _read_figures(self) -> None:
        if not self.row.state.is_active:
            self.figures, self._last = None, None
            self._draw()
            return
        try:
            sample = await self.host.vm_sample(self.row.uuid, self.macs)
        except Exception as exc:
            self.problem = f"cannot read its counters: {explain(exc)}"
            self._draw()
            return
        self.figures = figures_between(self._last, sample)
        self._last = sample
        self._draw()

    @work(exclusive=True, group="vm-guest", exit_on_error=False)
    async def _read_guest(self) -> None:
        if not self.row.state.is_active:
            self.guest = GuestInfo(answered=False, reason="the VM is not running")
        else:
            try:
                self.guest = await self.host.guest_info(self.row.uuid)
            except Exception as exc:
                self.guest = GuestInfo(False, f"cannot ask the guest agent: {explain(exc)}")
        try:
            self.addresses = await self.host.addresses(self.row.uuid)
        except Exception as exc:
            self.addresses = GuestAddresses((), reason=f"cannot ask: {explain(exc)}")
        self._draw()
        self.query_one("#vm-guest-body", Static).update(
            views.guest_view(self.guest, self.addresses)
        )

    @work(exclusive=True, group="vm-graphs", exit_on_error=False)
    async def _read_graphs(self) -> None:
        # One read of the longest window per metric; the shorter windows are its tail
        # (an hour of one series is tens of ms on a big fleet's history file).
        found: dict[tuple[str, float], list[tuple[float, float]]] = {}
        longest = max(window for window, _words in WINDOWS)
        for metric, _label, _unit in views.GRAPHS:
            try:
                kept = await self.host.figure_history(self.row.uuid, metric, longest)
            except Exception:
                kept = []
            newest = time.time()
            for window, _words in WINDOWS:
                found[(metric, window)] = [p for p in kept if p[0] >= newest - window]
        self.history = found
        self.query_one("#vm-graph-body", Static).update(
            views.graph_view(found, WINDOWS, self._graph_width(), made_up=self.row.made_up)
        )

    # -- drawing -----------------------------------------------------------------------------

    def _graph_width(self) -> int:
        """One column per slice of time, as wide as the pane (inside its border)."""
        return max(GRAPH_MIN_WIDTH, self.app.size.width - 6)

    def _draw(self) -> None:
        row = self.row
        parts: list[RenderableType] = []
        if row.made_up:
            parts.append(
                Text("demo: the table's figures are made up, not a hypervisor's", "bold yellow")
            )
        parts.append(details_table(row, self.devices, None, self.host.uri))
        if self.problem:
            parts.append(Text("\n" + self.problem, style="red"))
        if row.state.is_active:
            parts += [
                views.heading("vCPUs"),
                views.vcpu_view(self.figures),
                views.heading("Disks"),
                views.disk_view(self.figures),
                views.heading("NICs"),
                views.nic_view(self.figures, self.addresses),
                views.heading("Memory (balloon)"),
                views.memory_view(self.figures),
            ]
        else:
            parts.append(Text("\nnot running: no live figures", style="dim"))
        self.query_one("#vm-facts", Static).update(Group(*parts))

    def _draw_xml(self, query: str) -> None:
        if not self.xml:
            body: RenderableType = Text(self.problem or "reading its definition…", style="dim")
            self.matches = []
        else:
            body, self.matches = views.xml_view(self.xml, query)
        self.query_one("#vm-xml-body", Static).update(body)
        search = self.query_one("#xml-search", Input)
        search.border_subtitle = f"{len(self.matches)} matches" if query else ""
