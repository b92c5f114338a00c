"""The console: host lines, the live VM table, details of the selected VM and the event log."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import AsyncGenerator
from dataclasses import replace
from typing import ClassVar

from asyncssh import SSHClientConnection
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.events import Resize
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static, TabbedContent, TabPane

from limen_tui import __version__
from limen_tui.config.hosts import HostsConfig
from limen_tui.config.settings import Settings
from limen_tui.fleet.fleet import Fleet, is_local_uri
from limen_tui.fleet.health_board import HealthBoard
from limen_tui.fleet.operations import audit_to
from limen_tui.fleet.updates import (
    BatchFinished,
    DomainEventArrived,
    DomainsRefreshed,
    FleetUpdate,
    HostStatusChanged,
    OperationChanged,
)
from limen_tui.hosts.monitor import (
    HealthAlertCleared,
    HealthAlertRaised,
    HealthStateChanged,
    HealthUpdate,
    HealthUpdated,
)
from limen_tui.logs.buffer import LogLine
from limen_tui.logs.lines import Batch
from limen_tui.logs.own_log import OwnLog
from limen_tui.logs.sources import (
    follow,
    local_daemon_log,
    local_qemu_log,
    remote_daemon_log,
    remote_qemu_log,
)
from limen_tui.model import DomainRow, LinkState
from limen_tui.store.audit import AuditLog
from limen_tui.store.cache import Cache
from limen_tui.store.history import MetricHistory
from limen_tui.ui import saved_layout as ui_state
from limen_tui.ui import text as fmt
from limen_tui.ui.health_view import summary
from limen_tui.ui.keys import action_bindings
from limen_tui.ui.log_feeds import LogFeeds, Opener
from limen_tui.ui.messages import (
    BatchSummarised,
    DomainEventReceived,
    DomainsUpdated,
    HealthChanged,
    HostStatusUpdated,
    OperationUpdated,
    OwnLogLine,
)
from limen_tui.ui.saved_layout import UiState
from limen_tui.ui.screens.help import HelpScreen
from limen_tui.ui.vm_actions import VmActions
from limen_tui.ui.widgets.details import DetailsPanel
from limen_tui.ui.widgets.event_log import EventLog
from limen_tui.ui.widgets.host_bar import HostBar
from limen_tui.ui.widgets.log_pane import LogPane
from limen_tui.ui.widgets.operations import OperationsPane
from limen_tui.ui.widgets.vm_table import VmTable

NARROW_BELOW = 110


class LimenApp(VmActions):
    """limen-tui's main screen."""

    TITLE = "limen-tui"
    CSS_PATH = "limen.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Leave the console"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("s", "sort_next", "Sort", tooltip="Sort by the next column"),
        Binding("S", "sort_reverse", "Reverse", key_display="S", show=False),
        Binding("d", "toggle_details", "Details", show=False),
        Binding("e", "show_log('events')", "Events", show=False),
        Binding("w", "show_log('operations')", "Operations", show=False),
        Binding("g", "next_log", "Next log", show=False),
        Binding("c", "serial_console", "Console", show=False),
        Binding("V", "viewer", "virt-viewer", show=False),
        Binding("t", "focus_table", "Table", show=False),
        Binding("i", "diagnostics", "Diagnostics", show=False),
        Binding("H", "hosts", "Hosts", show=False),
        Binding("right_square_bracket", "next_host(1)", "Next host", show=False),
        Binding("left_square_bracket", "next_host(-1)", "Previous host", show=False),
        Binding("L", "toggle_logs_place", "Logs below/beside", show=False),
        Binding("z", "toggle_maximize", "Maximise pane", show=False),
        *action_bindings(),
    ]

    def __init__(
        self,
        uris: list[str],
        settings: Settings | None = None,
        *,
        demo: bool = False,
        start_fleet: bool = True,
        keymap: dict[str, str] | None = None,
        audit: AuditLog | None = None,
        cache: Cache | None = None,
        hosts_config: HostsConfig | None = None,
        names: dict[str, str] | None = None,
        health: bool = False,
        own_log: OwnLog | None = None,
    ) -> None:
        super().__init__()
        self.hosts_config = hosts_config
        self.names = names or {}
        self.health_enabled = health
        self.health_board: HealthBoard | None = None
        self.health_latest: dict[str, HealthUpdated] = {}
        self.feeds = LogFeeds()
        self.own_log: OwnLog | None = own_log
        self.cache = cache
        self.audit = audit if audit is not None else AuditLog()
        self.keymap = dict(keymap or {})
        self.ui_state = ui_state.load()
        self.uris = uris
        self.settings = settings or Settings()
        self.readonly = self.settings.readonly
        self.demo = demo
        self.start_fleet = start_fleet
        self.fleet: Fleet | None = None
        self.ticks_applied = 0
        self._devices_timer: Timer | None = None
        self.last_apply_ms = 0.0

    # -- building ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        title = Static(self._title_text(), id="title", classes="demo" if self.demo else "")
        yield title
        yield HostBar(id="hosts")
        with Container(id="body"):
            with Vertical(id="left"):
                yield VmTable(id="vms", many_hosts=len(self.uris) > 1)
                yield Input(
                    placeholder="filter: name or state words, Enter keeps, Esc clears", id="filter"
                )
            details = DetailsPanel(id="details")
            details.border_title = "Details"
            yield details
            with TabbedContent(id="logs", initial="events-tab"):
                with TabPane("Events", id="events-tab"):
                    yield EventLog(self.settings.event_log_lines, id="events")
                with TabPane("Operations", id="operations-tab"):
                    yield OperationsPane(self.settings.event_log_lines, id="operations")
                with TabPane("QEMU log", id="qemu-tab"):
                    yield LogPane(self.settings.event_log_lines, id="qemu", title="QEMU log")
                with TabPane("Daemon log", id="daemon-tab"):
                    yield LogPane(
                        self.settings.event_log_lines, id="daemon", title="hypervisor daemon"
                    )
                with TabPane("limen-tui", id="own-tab"):
                    yield LogPane(self.settings.event_log_lines, id="own", title="limen-tui log")
        yield Footer()

    def _title_text(self) -> Text:
        title = Text(f"limen-tui {__version__}", style="bold", end="")
        if self.demo:
            title.append("  DEMO", style="bold reverse")
            title.append(" libvirt test driver, a made-up fleet")
        if self.settings.readonly:
            title.append("  read-only session", style="bold magenta")
        return title

    def on_mount(self) -> None:
        self._apply_ui_state()
        if self.own_log is not None:
            own = self.query_one("#own", LogPane)
            for line in self.own_log.buffer.copy():
                own.add_lines([line.text], line.level)
            own.set_note(str(self.own_log.path) if self.own_log.path else self.own_log.problem)
        if self.keymap:
            self.set_keymap(self.keymap)
        self._layout_for(self.size.width)
        self.query_one(VmTable).focus()
        if self.start_fleet:
            self.fleet = Fleet(
                self.uris,
                self.publish,
                self.settings,
                demo_uri=self.uris[0] if self.demo else None,
                names=self.names,
            )
            if self.health_enabled:
                local = next(
                    (
                        k
                        for k, s in self.fleet.sessions.items()
                        if is_local_uri(s.uri) and not s.uri.startswith("test")
                    ),
                    None,
                )
                self.health_board = HealthBoard(
                    self.publish_health, self.hosts_config, local_name=local
                )
                self.health_board.start()
            self.fleet.set_audit(audit_to(self.audit))
            history = (
                MetricHistory(self.cache.file, retention_s=self.settings.history_retention_s)
                if self.cache is not None
                else None
            )
            self.fleet.set_cache(self.cache, history)
            if self.cache is not None:
                for warning in self.cache.warnings:
                    self.notify(warning, severity="warning", markup=False)
                if not self.cache.enabled:
                    self.notify(
                        f"running without a cache: {self.cache.reason}",
                        severity="warning",
                        markup=False,
                    )
            self.fleet.start()

    async def on_unmount(self) -> None:
        await self.feeds.stop_all()
        if self.health_board is not None:
            await self.health_board.stop()
        if self.fleet is not None:
            await self.fleet.stop()

    def publish_health(self, update: HealthUpdate) -> None:
        self.post_message(HealthChanged(update))

    @on(HealthChanged)
    def _health(self, message: HealthChanged) -> None:
        update = message.update
        bars = self.query(HostBar)
        if not bars:
            return
        if isinstance(update, HealthUpdated):
            self.health_latest[update.host] = update
            bars.first().set_health(update.host, summary(update))
        elif isinstance(update, HealthStateChanged):
            if update.state is not LinkState.LIVE:
                text = Text(f" health {update.state.value}", style="yellow")
                if update.reason:
                    text.append(f": {update.reason}")
                bars.first().set_health(update.host, text)
                self.query_one(EventLog).note(
                    time.time(), f"{update.host}: health {update.state.value} {update.reason}"
                )
        elif isinstance(update, HealthAlertRaised):
            self.query_one(EventLog).note(
                time.time(), f"{update.host}: ALERT {update.alert.summary}"
            )
        elif isinstance(update, HealthAlertCleared):
            self.query_one(EventLog).note(time.time(), f"{update.host}: alert cleared")

    def on_resize(self, event: Resize) -> None:
        self._layout_for(event.size.width)

    def _layout_for(self, width: int) -> None:
        self.screen.set_class(width < NARROW_BELOW, "narrow")

    # -- from the fleet (always on this loop) -------------------------------------------------

    def publish(self, update: FleetUpdate) -> None:
        if isinstance(update, DomainsRefreshed):
            self.post_message(DomainsUpdated(update))
        elif isinstance(update, DomainEventArrived):
            self.post_message(DomainEventReceived(update))
        elif isinstance(update, HostStatusChanged):
            self.post_message(HostStatusUpdated(update))
        elif isinstance(update, OperationChanged):
            self.post_message(OperationUpdated(update))
        elif isinstance(update, BatchFinished):
            self.post_message(BatchSummarised(update))

    @on(OperationUpdated)
    def _operation(self, message: OperationUpdated) -> None:
        panes = self.query(OperationsPane)
        if not panes:
            return
        op = message.update.operation
        panes.first().show(op)
        if op.state.finished:
            self.operation_finished(op)

    @on(BatchSummarised)
    def _batch(self, message: BatchSummarised) -> None:
        summary = message.update.summary
        self.notify(
            str(summary), severity="warning" if summary.failed else "information", markup=False
        )
        if self.query(EventLog):
            self.query_one(EventLog).note(time.time(), f"bulk {summary}")

    @on(HostStatusUpdated)
    def _host_status(self, message: HostStatusUpdated) -> None:
        status = message.update.status
        bars = self.query(HostBar)
        if not bars:
            return  # arrived while the console was closing
        bar = bars.first()
        previous = bar.statuses.get(status.key)
        bar.set_status(status)
        self.query_one(VmTable).set_host_stale(
            status.key, status.state is not LinkState.LIVE or status.last_known_at is not None
        )
        changed = previous is None or previous.state != status.state
        worth_noting = status.state in (LinkState.DOWN, LinkState.STALE) or (
            previous is not None and status.state == LinkState.LIVE
        )
        if changed and worth_noting:
            text = f"{status.key}: {status.state.value}"
            if status.reason:
                text += f": {status.reason}"
            self.query_one(EventLog).note(time.time(), text)

    @on(DomainsUpdated)
    def _domains(self, message: DomainsUpdated) -> None:
        update = message.update
        started = time.perf_counter()
        tables = self.query(VmTable)
        if not tables:
            return
        table = tables.first()
        with self.batch_update():
            table.apply(update.changed, update.removed)
        self.last_apply_ms = (time.perf_counter() - started) * 1000
        self.ticks_applied += 1
        self._show_selected()

    @on(DomainEventReceived)
    def _event(self, message: DomainEventReceived) -> None:
        update = message.update
        if not self.query(EventLog):
            return
        self.query_one(EventLog).add_event(update.event, show_host=len(self.uris) > 1)
        table = self.query_one(VmTable)
        if update.row is not None or update.removed is not None:
            table.apply(
                [update.row] if update.row is not None else [],
                [update.removed] if update.removed is not None else [],
            )
        selected = table.selected_row
        self._show_selected(refetch=selected is not None and selected.uuid == update.event.uuid)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_selected()

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        self.query_one(VmTable).sort_by(str(event.column_key.value))

    def _show_selected(self, *, refetch: bool = False) -> None:
        """Show the selected VM; ask for its devices only when the selection moved (or
        `refetch`: an event changed its definition), never on every tick."""
        panels, tables = self.query(DetailsPanel), self.query(VmTable)
        if not panels or not tables:
            return  # a message that arrived while the console was closing
        panel = panels.first()
        row = tables.first().selected_row
        before = panel.row.key if panel.row is not None else None
        panel.show(row)
        if row is not None and (row.key != before or refetch):
            if self._devices_timer is not None:
                self._devices_timer.stop()
            # Wait for the cursor to settle before asking the host (or the cache).
            self._devices_timer = self.set_timer(0.2, lambda: self._settled(row))

    def _settled(self, row: DomainRow) -> None:
        """The cursor rested on `row`: fetch its devices, and follow its log if shown."""
        self._fetch_devices(row)
        self._feed_logs()

    @work(exclusive=True, group="details", exit_on_error=False)
    async def _fetch_devices(self, row: DomainRow) -> None:
        fleet = self.fleet
        if fleet is None or row.host not in fleet.sessions:
            return
        session = fleet.sessions[row.host]
        try:
            devices = await session.devices(row.uuid)
            cpu = await session.cpu_history(row.uuid)
        except Exception:
            return  # the details keep what the table knows; the VM may have just gone
        for panel in self.query(DetailsPanel):
            panel.uri = session.uri
            panel.show_devices(row.key, devices, cpu)

    # -- keys --------------------------------------------------------------------------------

    def action_help(self) -> None:
        keys = [
            (
                self.keymap.get(b.id, b.key_display or b.key) if b.id else b.key_display or b.key,
                b.description or b.action,
            )
            for b in self.BINDINGS
            if isinstance(b, Binding)
        ]
        keys += [
            ("↑ ↓ PgUp PgDn", "Move in the table"),
            ("Tab", "Next pane"),
            ("click a header", "Sort by that column"),
        ]
        self.push_screen(HelpScreen(keys))

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(VmTable).set_filter(event.value)
        self._show_selected()

    @on(Input.Submitted, "#filter")
    def _filter_kept(self, event: Input.Submitted) -> None:
        if not event.value:
            event.input.remove_class("visible")
        self.query_one(VmTable).focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.remove_class("visible")
        self.query_one(VmTable).set_filter("")
        self.query_one(VmTable).focus()

    def action_sort_next(self) -> None:
        self.query_one(VmTable).next_sort_column()

    def action_sort_reverse(self) -> None:
        table = self.query_one(VmTable)
        table.sort_by(table.sort_column, reverse=not table.sort_reverse)

    def action_toggle_details(self) -> None:
        self._remember(replace(self.ui_state, details=not self.ui_state.details))

    def action_toggle_logs_place(self) -> None:
        place = "beside" if self.ui_state.logs == "below" else "below"
        self._remember(replace(self.ui_state, logs=place))

    def action_toggle_maximize(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
        elif self.focused is not None:
            self.screen.maximize(self.focused)

    def _apply_ui_state(self) -> None:
        state = self.ui_state
        self.screen.set_class(not state.details, "no-details")
        self.screen.set_class(state.logs == "beside", "logs-beside")
        self.query_one("#logs", TabbedContent).active = f"{state.log_tab}-tab"

    def _remember(self, state: UiState) -> None:
        self.ui_state = state
        self._apply_ui_state()
        self.run_worker(
            lambda: ui_state.save(state), thread=True, group="ui-state", exit_on_error=False
        )

    LOG_TABS = ("events", "operations", "qemu", "daemon", "own")

    def action_next_log(self) -> None:
        tabs = self.query_one("#logs", TabbedContent)
        current = (tabs.active or "events-tab").removesuffix("-tab")
        i = self.LOG_TABS.index(current) if current in self.LOG_TABS else 0
        self.action_show_log(self.LOG_TABS[(i + 1) % len(self.LOG_TABS)])

    @on(TabbedContent.TabActivated, "#logs")
    def _log_tab(self) -> None:
        self._feed_logs()

    def _feed_logs(self) -> None:
        """Follow what the visible tab shows; hidden tabs keep no follower running."""
        tabs = self.query(TabbedContent)
        if not tabs:
            return
        active = (tabs.first().active or "").removesuffix("-tab")
        if active != "qemu":
            self.feeds.stop("qemu")
        if active != "daemon":
            self.feeds.stop("daemon")
        if active == "qemu":
            row = self.query_one(VmTable).selected_row
            if row is not None:
                self.feeds.follow(
                    self.query_one("#qemu", LogPane),
                    f"{row.name} on {row.host}",
                    self._qemu_opener(row),
                )
        elif active == "daemon":
            host = self._current_host()
            if host:
                self.feeds.follow(
                    self.query_one("#daemon", LogPane),
                    f"the daemon on {host}",
                    self._daemon_opener(host),
                )

    def _current_host(self) -> str | None:
        row = self.query_one(VmTable).selected_row
        if row is not None:
            return row.host
        return next(iter(self.query_one(HostBar).statuses), None)

    async def _ssh_for(self, host: str) -> SSHClientConnection | None:
        """None for this machine; the host's shared SSH connection for a remote one."""
        fleet = self.fleet
        if fleet is None or host not in fleet.sessions or is_local_uri(fleet.sessions[host].uri):
            return None
        board = self.health_board
        if board is None or host not in board.links:
            raise RuntimeError(f"{host} has no SSH settings: add ssh to its [[hosts]] entry")
        return await board.links[host].connection(10.0)

    def _qemu_opener(self, row: DomainRow) -> Opener:
        async def open_it() -> tuple[AsyncGenerator[Batch, None], str]:
            conn = await self._ssh_for(row.host)
            if conn is None:
                source = local_qemu_log(row.name)
            else:
                source = await remote_qemu_log(conn, row.name)
            return follow(source, conn), source.note or f"following {source.path}"

        return open_it

    def _daemon_opener(self, host: str) -> Opener:
        async def open_it() -> tuple[AsyncGenerator[Batch, None], str]:
            conn = await self._ssh_for(host)
            source = local_daemon_log() if conn is None else await remote_daemon_log(conn)
            what = source.path or " ".join(source.argv)
            return follow(source, conn), source.note or f"following {what} on {host}"

        return open_it

    def own_log_line(self, line: LogLine) -> None:
        """From the logging handler, in whatever thread logged: hand it to the UI loop."""
        self.post_message(OwnLogLine(line))

    @on(OwnLogLine)
    def _own_line(self, message: OwnLogLine) -> None:
        for pane in self.query("#own").results(LogPane):
            pane.add_lines([message.line.text], message.line.level)

    def action_show_log(self, which: str) -> None:
        if self.ui_state.log_tab != which:
            self._remember(replace(self.ui_state, log_tab=which))
        self.query_one("#logs", TabbedContent).active = f"{which}-tab"
        target = self.query_one(f"#{which}")
        if isinstance(target, LogPane):
            target.lines_widget.focus()
        else:
            target.focus()

    def action_snapshots(self) -> None:
        from limen_tui.ui.screens.snapshots import SnapshotScreen

        row = self.query_one(VmTable).selected_row
        if row is None:
            self.notify("No VM selected", severity="warning")
            return
        self.push_screen(SnapshotScreen(row))

    def action_hosts(self) -> None:
        from limen_tui.ui.screens.hosts import HostsScreen

        def chosen(host: str | None) -> None:
            if host is not None:
                self.show_host(host)

        self.push_screen(HostsScreen(), chosen)

    def show_host(self, host: str) -> None:
        """Only `host`'s VMs in the table ("" for every host): the filter box says so."""
        box = self.query_one("#filter", Input)
        words = [w for w in box.value.split() if not w.startswith("host:")]
        if host:
            words.insert(0, f"host:{host}")
        box.value = " ".join(words)
        box.set_class(bool(box.value), "visible")
        self.query_one(VmTable).set_filter(box.value)
        self._show_selected()

    def action_next_host(self, step: int) -> None:
        hosts = ["", *self.query_one(HostBar).statuses]
        current = next(
            (
                w[5:]
                for w in self.query_one("#filter", Input).value.split()
                if w.startswith("host:")
            ),
            "",
        )
        i = hosts.index(current) if current in hosts else 0
        self.show_host(hosts[(i + step) % len(hosts)])

    def action_serial_console(self) -> None:
        row = self.query_one(VmTable).selected_row
        if row is None or not row.state.is_active:
            self.notify("Select a running VM to open its serial console", severity="warning")
            return
        self._open_console(row)

    @work(exclusive=True, group="console", exit_on_error=False)
    async def _open_console(self, row: DomainRow, force: bool = False) -> None:
        from limen_tui.ui.screens.serial_console import SerialConsoleScreen
        from limen_tui.virt.serial_console import SerialConsoleBusy

        screen = SerialConsoleScreen(row, force=force)
        try:
            await screen.attach()
        except SerialConsoleBusy:
            self.offer_console_takeover(row)
            return
        except Exception as exc:
            self.notify(
                f"cannot open the console of {fmt.printable(row.name)}: {exc}",
                severity="error",
                markup=False,
            )
            return
        self.push_screen(screen)

    def action_viewer(self) -> None:
        """Open the VM's graphical console in virt-viewer, when it is installed here."""
        row = self.query_one(VmTable).selected_row
        fleet = self.fleet
        if row is None or fleet is None or row.host not in fleet.sessions:
            self.notify("No VM selected", severity="warning")
            return
        viewer = shutil.which("virt-viewer")
        if viewer is None:
            self.notify(
                "virt-viewer is not installed here; the details show an ssh tunnel "
                "to use from your workstation",
                severity="warning",
            )
            return
        argv = [viewer, "--connect", fleet.sessions[row.host].uri, "--uuid", row.uuid]

        def launch() -> None:
            subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )

        self.run_worker(launch, thread=True, group="viewer", exit_on_error=False)
        self.notify(f"virt-viewer started for {fmt.printable(row.name)}", markup=False)

    def offer_console_takeover(self, row: DomainRow) -> None:
        from limen_tui.ui.screens.confirm import ConfirmScreen

        question = Text("The console of ", end="").append_text(fmt.literal(row.name, "bold"))
        question.append(" is in use by another client (virsh console?). Take it over?")

        def answered(yes: bool | None) -> None:
            if yes:
                self._open_console(row, force=True)

        self.push_screen(ConfirmScreen(question), answered)

    def action_diagnostics(self) -> None:
        from limen_tui.ui.screens.diagnostics import DiagnosticsScreen

        self.push_screen(DiagnosticsScreen())

    def action_focus_table(self) -> None:
        self.query_one(VmTable).focus()
