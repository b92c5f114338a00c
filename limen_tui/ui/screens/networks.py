"""`:net` (N): a host's networks (state, bridge, forward mode, autostart, DHCP range) and the
highlighted one's DHCP leases (MAC, IP, host name, expiry, the VM with that MAC) and pinned
addresses.

Keys (from the registry): start, stop, autostart, pin an address (a static DHCP host entry,
the live and persistent config changed together) and unpin one.
"""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Static

from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.model.action_params import NetworkAutostart, OnNetwork, PinAddress
from limen_tui.model.networks import DhcpHost, Lease, Network, ip_problem, mac_problem
from limen_tui.ui import text as fmt
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.screens.resource_base import ResourceScreen, resource_bindings
from limen_tui.ui.screens.resource_forms import Answers, Field, FieldsForm

NETWORK_COLUMNS = (
    ("name", "Network"),
    ("state", "State"),
    ("autostart", "Autostart"),
    ("forward", "Forward"),
    ("bridge", "Bridge"),
    ("dhcp", "DHCP range"),
    ("pinned", "Pinned"),
)
LEASE_COLUMNS = (
    ("mac", "MAC"),
    ("ip", "IP"),
    ("hostname", "Host name"),
    ("expiry", "Expires"),
    ("vm", "VM"),
)


def expiry_cell(expiry: int, now: float | None = None) -> Text:
    """When the lease ends, as a date and time; marked once it has passed."""
    if expiry <= 0:
        return Text("never")
    text = Text(time.strftime("%Y-%m-%d %H:%M", time.localtime(expiry)))
    if expiry < (time.time() if now is None else now):
        text.append(" (expired)", style="dim")
    return text


def pinned_line(hosts: tuple[DhcpHost, ...]) -> Text:
    if not hosts:
        return Text("No pinned addresses. p pins one.", style="dim")
    text = Text("Pinned: ", style="bold", end="")
    for i, h in enumerate(hosts):
        text.append(", " if i else "")
        text.append_text(fmt.literal(f"{h.mac} → {h.ip}" + (f" ({h.name})" if h.name else "")))
    return text


class NetworksScreen(ResourceScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close"),
        *resource_bindings("network"),
        Binding("f5,ctrl+r", "reload", "Reload"),
    ]
    DEFAULT_CSS = """
    NetworksScreen { align: center middle; }
    NetworksScreen > Vertical { width: 98%; height: 96%; border: round $accent;
        background: $surface; }
    NetworksScreen #networks { height: auto; max-height: 45%; }
    NetworksScreen #leases { height: 1fr; }
    NetworksScreen .part { height: auto; padding: 0 1; }
    """

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.nets: list[Network] = []
        self.leases: list[Lease] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text("Networks on ").append_text(fmt.literal(self.host.key))
            yield DataTable(cursor_type="row", id="networks")
            yield Static("", id="pinned", classes="part")
            yield Static(Text("DHCP leases", style="bold"), id="leases-title", classes="part")
            yield DataTable(cursor_type="row", id="leases")
            yield Static("reading networks…", id="status", classes="part")
        yield Footer()

    def on_mount(self) -> None:
        nets = self.table_with("networks", NETWORK_COLUMNS)
        self.table_with("leases", LEASE_COLUMNS)
        nets.focus()
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(exclusive=True, group="networks", exit_on_error=False)
    async def _load(self) -> None:
        status = self.query_one("#status", Static)
        try:
            nets = await self.host.networks()
        except Exception as exc:
            status.update(Text(f"cannot read the networks: {explain(exc)}", style="red"))
            return
        self.nets = nets
        table = self.query_one("#networks", DataTable)
        keep = table.cursor_row
        table.clear()
        for n in nets:
            table.add_row(
                fmt.literal(n.name, "bold"),
                Text("active", style="green") if n.active else Text("inactive", style="dim"),
                "yes" if n.autostart else "no",
                fmt.literal(n.forward),
                fmt.literal(n.bridge or "-"),
                fmt.literal(", ".join(n.dhcp_ranges) or "-"),
                str(len(n.hosts)),
                key=n.name,
            )
        if nets:
            table.move_cursor(row=min(keep, len(nets) - 1))
        status.update(
            Text(
                f"{len(nets)} network(s). o start · h stop · a autostart · p pin an address · "
                "u unpin · Tab leases",
                style="dim",
            )
            if nets
            else Text("No networks on this host.", style="dim")
        )
        self._show_leases()

    @on(DataTable.RowHighlighted, "#networks")
    def _highlighted(self) -> None:
        self._show_leases()

    @work(exclusive=True, group="leases", exit_on_error=False)
    async def _show_leases(self) -> None:
        net = self.selected()
        title = self.query_one("#leases-title", Static)
        table = self.query_one("#leases", DataTable)
        self.query_one("#pinned", Static).update(pinned_line(net.hosts) if net else "")
        if net is None:
            return
        try:
            leases = await self.host.leases(net.name)
        except Exception as exc:
            title.update(Text(f"cannot read the leases: {explain(exc)}", style="red"))
            return
        self.leases = leases
        table.clear()
        for lease in leases:
            table.add_row(
                fmt.literal(lease.mac),
                fmt.literal(f"{lease.ip}/{lease.prefix}"),
                fmt.literal(lease.hostname or "-"),
                expiry_cell(lease.expiry),
                fmt.literal(lease.vm) if lease.vm else Text("no VM here", style="dim"),
                key=f"{lease.mac} {lease.ip}",
            )
        heading = Text("DHCP leases of ", style="bold").append_text(fmt.literal(net.name))
        if not leases:
            heading.append(
                ": none" if net.active else ": none (the network is inactive)", style="dim"
            )
        title.update(heading)

    def selected(self) -> Network | None:
        table = self.query_one("#networks", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((n for n in self.nets if n.name == key), None)

    def _lease(self) -> Lease | None:
        table = self.query_one("#leases", DataTable)
        if not table.row_count or not self.leases:
            return None
        return self.leases[min(table.cursor_row, len(self.leases) - 1)]

    def ask_network_start(self) -> None:
        net = self.selected()
        if net is not None:
            self.change("network_start", OnNetwork(net.name))

    def ask_network_stop(self) -> None:
        net = self.selected()
        if net is None:
            return
        question = Text("Stop network ").append_text(fmt.literal(net.name, "bold"))
        question.append(" on ").append_text(fmt.literal(self.host.key))
        question.append("? The VMs on it lose their network until it starts again.  y/N")
        self.app.push_screen(
            ConfirmScreen(question),
            lambda yes: self.change("network_stop", OnNetwork(net.name)) if yes else None,
        )

    def ask_network_autostart(self) -> None:
        net = self.selected()
        if net is not None:
            self.change("network_autostart", NetworkAutostart(net.name, not net.autostart))

    def ask_dhcp_pin(self) -> None:
        net = self.selected()
        if net is None:
            return
        lease = self._lease()

        def check(a: Answers) -> str | None:
            return mac_problem(a["mac"]) or ip_problem(a["ip"])

        def answered(a: Answers | None) -> None:
            if a is not None:
                params = PinAddress(net.name, a["mac"].lower(), a["ip"], a["hostname"])
                self.change("dhcp_pin", params)

        title = Text("Pin an address on network ").append_text(fmt.literal(net.name, "bold"))
        title.append(": this MAC always gets this IP (live and persistent config)")
        fields = [
            Field("mac", "MAC", lease.mac if lease else "", "52:54:00:12:34:56"),
            Field("ip", "IP", lease.ip if lease else "", "192.168.122.20"),
            Field("hostname", "Host name (optional)", lease.vm or lease.hostname if lease else ""),
        ]
        self.app.push_screen(FieldsForm(title, fields, check), answered)

    def ask_dhcp_unpin(self) -> None:
        net = self.selected()
        if net is None:
            return
        if not net.hosts:
            self.notify(f"{fmt.printable(net.name)} pins no address", markup=False)
            return

        def entry(a: Answers) -> DhcpHost | None:
            word = a["which"].lower()
            return next((h for h in net.hosts if word in (h.mac.lower(), h.ip)), None)

        def check(a: Answers) -> str | None:
            if entry(a) is None:
                return f"{a['which']!r} is neither the MAC nor the IP of a pinned address"
            return None

        def answered(a: Answers | None) -> None:
            found = entry(a) if a is not None else None
            if found is None:
                return
            params = PinAddress(net.name, found.mac, found.ip, found.name)
            question = Text("Unpin ").append_text(fmt.literal(f"{found.mac} → {found.ip}", "bold"))
            question.append(" on network ").append_text(fmt.literal(net.name, "bold"))
            question.append("? That MAC may get another address at its next lease.  y/N")
            self.app.push_screen(
                ConfirmScreen(question),
                lambda yes: self.change("dhcp_unpin", params) if yes else None,
            )

        title = Text("Unpin an address on ").append_text(fmt.literal(net.name, "bold"))
        title.append_text(Text("\n")).append_text(pinned_line(net.hosts))
        fields = [Field("which", "MAC or IP of the entry", net.hosts[0].mac)]
        self.app.push_screen(FieldsForm(title, fields, check), answered)
