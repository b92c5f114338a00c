"""The main screen: host lines, the live VM table, the selected VM's details and the log tabs.

It shows what the fleet says (the app hands it each update, on this loop) and turns keys into
requests: VM actions go through its ActionFlow; every other screen is handed what it needs.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.events import Resize
from textual.timer import Timer
from textual.widgets import Footer, Static, TabbedContent, TabPane
from textual.worker import Worker

from limen_tui import __version__
from limen_tui.config.settings import Settings
from limen_tui.fleet.fleet import Fleet
from limen_tui.fleet.noisy import NoisyEpisode, said
from limen_tui.fleet.registry import BUSY_WORDS
from limen_tui.fleet.self_cost import RefreshPaced
from limen_tui.fleet.updates import (
    BatchFinished,
    DomainEventArrived,
    DomainsRefreshed,
    HostStatusChanged,
    OperationChanged,
)
from limen_tui.hosts.monitor import (
    HealthAlertCleared,
    HealthAlertRaised,
    HealthStateChanged,
    HealthUpdated,
)
from limen_tui.logs.buffer import LogLine
from limen_tui.model import DomainRow, LinkState
from limen_tui.store.cache import Cache
from limen_tui.ui import saved_layout, table_addresses
from limen_tui.ui.action_flow import ActionFlow
from limen_tui.ui.frame import frame_of
from limen_tui.ui.health_view import summary
from limen_tui.ui.log_feeds import LogFeeds
from limen_tui.ui.screens.main_commands import MainCommands
from limen_tui.ui.table_feed import TableFeed
from limen_tui.ui.widgets.command_bar import CommandBar
from limen_tui.ui.widgets.details import DetailsPanel
from limen_tui.ui.widgets.event_log import EventLog
from limen_tui.ui.widgets.host_bar import HostBar
from limen_tui.ui.widgets.instant_input import InstantInput
from limen_tui.ui.widgets.log_pane import LogPane
from limen_tui.ui.widgets.operations import OperationsPane
from limen_tui.ui.widgets.vm_table import VmTable
from limen_tui.ui.worker_failures import WorkerFailuresToApp

NARROW_BELOW = saved_layout.NARROW_BELOW


class MainScreen(WorkerFailuresToApp, MainCommands):
    """limen-tui's main screen."""

    def __init__(
        self,
        fleet: Fleet | None,
        settings: Settings,
        *,
        demo: bool = False,
        keymap: dict[str, str] | None = None,
        cache: Cache | None = None,
        own_lines: list[LogLine] | None = None,
        own_note: str = "",
        on_shown: Callable[[], None] | None = None,
    ) -> None:
        """`on_shown` is called once the widgets are up (the app starts the fleet then, so
        no update arrives before there is a widget to show it)."""
        super().__init__()
        self.fleet = fleet
        self.settings = settings
        self.readonly = settings.readonly
        self.demo = demo
        self.keymap = dict(keymap or {})
        self.cache = cache
        self.actions = ActionFlow(self, fleet, readonly=self.readonly)
        self.feeds = LogFeeds()
        self.layout_state = saved_layout.load()
        self.ticks_applied = 0
        self.last_apply_ms = 0.0
        self.apply_ms: deque[float] = deque(maxlen=1000)
        """The UI time of the last ticks applied (the diagnostics and the benchmarks read it)."""
        self._own_lines, self._own_note = own_lines or [], own_note
        self._on_shown = on_shown
        self._devices_timer: Timer | None = None
        self._details_refetch = False
        self._event_rows: dict[tuple[str, str], DomainRow] = {}
        self._event_gone: dict[tuple[str, str], None] = {}
        """What events changed in the table since the last frame drew it."""
        self.feed = TableFeed()
        self._addresses: Worker[None] | None = None
        many = fleet is not None and len(fleet.hosts) > 1
        lines = settings.event_log_lines
        self.host_bar = HostBar(id="hosts")
        self.table = VmTable(id="vms", many_hosts=many)
        self.table.chosen = dict(self.layout_state.columns)
        self.details = DetailsPanel(id="details")
        self.events = EventLog(lines, id="events")
        self.operations = OperationsPane(lines, id="operations")
        self.own = LogPane(lines, id="own", title="limen-tui log")
        self.command_bar = CommandBar(self.complete_command, id="command-bar")
        self.command_bar.on_close = self._command_closed
        self.command_bar.on_command = self.command_entered
        self.show_host_names = many

    # -- building ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._title_text(), id="title", classes="demo" if self.demo else "")
        yield self.host_bar
        lines = self.settings.event_log_lines
        with Container(id="body"):
            with Vertical(id="left"):
                yield self.table
                yield InstantInput(
                    placeholder="filter: name or state words, Enter keeps, Esc clears",
                    id="filter",
                    on_enter=self.keep_filter,
                )
            self.details.border_title = "Details"
            yield self.details
            with TabbedContent(id="logs", initial="events-tab"):
                with TabPane("Events", id="events-tab"):
                    yield self.events
                with TabPane("Operations", id="operations-tab"):
                    yield self.operations
                with TabPane("QEMU log", id="qemu-tab"):
                    yield LogPane(lines, id="qemu", title="QEMU log")
                with TabPane("Daemon log", id="daemon-tab"):
                    yield LogPane(lines, id="daemon", title="hypervisor daemon")
                with TabPane("limen-tui", id="own-tab"):
                    yield self.own
        yield self.command_bar
        yield Footer()

    def _title_text(self) -> Text:
        title = Text(f"limen-tui {__version__}", style="bold", end="")
        if self.demo:
            title.append("  DEMO", style="bold reverse")
            title.append(" libvirt test driver, a made-up fleet")
        if self.readonly:
            title.append("  read-only session", style="bold magenta")
        return title

    def on_mount(self) -> None:
        self._apply_layout()
        for line in self._own_lines:
            self.own.add_lines([line.text], line.level)
        self.own.set_note(self._own_note)
        self.set_class(self.app.size.width < NARROW_BELOW, "narrow")
        self.table.focus()
        self.set_interval(table_addresses.ASK_EVERY_S, self._ask_addresses)
        if self._on_shown is not None:
            self._on_shown()

    async def on_unmount(self) -> None:
        await self.feeds.stop_all()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width < NARROW_BELOW, "narrow")
        self._apply_layout()

    def on_screen_resume(self) -> None:
        # A resize while a dialog was on top reached only the dialog: fit the layout again.
        self.set_class(self.app.size.width < NARROW_BELOW, "narrow")
        self._apply_layout()

    @property
    def showing(self) -> bool:
        """False once the console is closing: updates that still arrive are dropped."""
        return self.table.is_attached

    # -- from the fleet, through the app's sink (always on this loop) ------------------------

    def host_status_changed(self, update: HostStatusChanged) -> None:
        status = update.status
        previous = self.host_bar.set_status(status)
        self.table.set_host_stale(
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
            self.events.note(time.time(), text)

    def domains_refreshed(self, update: DomainsRefreshed) -> None:
        started = time.perf_counter()
        with self.app.batch_update():
            self._draw_event_rows()  # older than the tick's: first, or they would undo it
            shown, known = set(self.table.visible_keys()), self.table.model.rows
            now = self.feed.now(
                update.changed,
                update.removed,
                on_screen=shown.__contains__,
                known=known.__contains__,
            )
            self.table.apply(now, update.removed)
        if self.feed.waiting:
            frame_of(self.app).soon(self._draw_waiting_rows)
        self._timed(started)
        self.ticks_applied += 1
        self._show_selected_soon()
        self._note_labels()

    def _timed(self, started: float) -> None:
        """The UI time of one slice of a tick's rows (the diagnostics and benchmarks read it)."""
        self.last_apply_ms = (time.perf_counter() - started) * 1000
        self.apply_ms.append(self.last_apply_ms)

    def _draw_waiting_rows(self) -> None:
        """The next slice of the rows a big tick changed off screen."""
        started = time.perf_counter()
        self.table.apply(self.feed.take())
        self._timed(started)
        if self.feed.waiting:
            frame_of(self.app).soon(self._draw_waiting_rows)

    def domain_event_arrived(self, update: DomainEventArrived) -> None:
        """The event's line, its row and (if it is the selected VM) the details, drawn with the
        next frame: a burst of events for one VM draws its row once."""
        self.events.add_event(update.event, show_host=self.show_host_names)
        event = update.event
        if update.removed is not None:
            self._event_rows.pop(update.removed, None)
            self._event_gone[update.removed] = None
        if update.row is not None:  # a VM defined again after it went: here again
            self._event_gone.pop(update.row.key, None)
            self._event_rows[update.row.key] = update.row
            self.feed.newer(update.row.key)
        if update.row is not None or update.removed is not None:
            frame_of(self.app).soon(self._draw_event_rows)
        selected = self.table.selected_row
        # Its devices are read again when they may have changed: a device or metadata event,
        # a start or stop (display ports); a pause or resume changes none of them.
        changes_devices = event.kind in ("device", "metadata", "tray") or (
            event.kind == "lifecycle" and event.event not in ("suspended", "resumed")
        )
        self._show_selected_soon(
            refetch=selected is not None and selected.uuid == event.uuid and changes_devices
        )

    def _draw_event_rows(self) -> None:
        rows, gone = list(self._event_rows.values()), list(self._event_gone)
        self._event_rows, self._event_gone = {}, {}
        if rows or gone:
            self.table.apply(rows, gone)

    def _show_selected_soon(self, *, refetch: bool = False) -> None:
        """Ticks and events show the selected VM with the next frame, however many arrive: a
        burst of events for one VM redraws its details once. (The operator's own moves show
        the VM at once.)"""
        self._details_refetch = self._details_refetch or refetch
        frame_of(self.app).soon(self._show_selected_now)

    def _show_selected_now(self) -> None:
        refetch, self._details_refetch = self._details_refetch, False
        self._show_selected(refetch=refetch)

    def operation_changed(self, update: OperationChanged) -> None:
        op = update.operation
        self.operations.show(op)
        busy = BUSY_WORDS.get(op.action)
        if op.action == "migrate" and op.note.startswith("migrating "):
            # "migrating 63%" (what the state column holds), from libvirt's job stats
            busy = " ".join(op.note.split()[:2])
        if busy and op.uuid:
            # A display overlay while it runs, never a power state: libvirt's events say that.
            self.table.set_busy((op.host, op.uuid), None if op.state.finished else busy)
        if op.state.finished:
            self.actions.operation_finished(op)

    def batch_finished(self, update: BatchFinished) -> None:
        s = update.summary
        self.notify(str(s), severity="warning" if s.failed else "information", markup=False)
        self.events.note(time.time(), f"bulk {s}")

    def health_updated(self, update: HealthUpdated) -> None:
        self.host_bar.set_health(update.host, summary(update))

    def health_state_changed(self, update: HealthStateChanged) -> None:
        if update.state is not LinkState.LIVE:
            text = Text(f" health {update.state.value}", style="yellow")
            if update.reason:
                text.append(f": {update.reason}")
            self.host_bar.set_health(update.host, text)
            self.events.note(
                time.time(), f"{update.host}: health {update.state.value} {update.reason}"
            )

    def health_alert_raised(self, update: HealthAlertRaised) -> None:
        self.events.note(time.time(), f"{update.host}: ALERT {update.alert.summary}")

    def health_alert_cleared(self, update: HealthAlertCleared) -> None:
        self.events.note(time.time(), f"{update.host}: alert cleared")

    def noisy_episode(self, update: NoisyEpisode) -> None:
        """A VM began (or ended) an episode of taking too much of its host: said once."""
        figure = said(update.metric, update.value)
        where = f" on {update.host}" if self.show_host_names else ""
        if update.began:
            text = f"NOISY NEIGHBOUR {update.name}{where}: {figure} (:top ranks them)"
            self.events.alert(time.time(), text)
            self.notify(text, severity="warning", markup=False)
        else:
            self.events.note(time.time(), f"{update.name}{where} is quiet again ({figure})")

    def refresh_paced(self, update: RefreshPaced) -> None:
        self.events.note(time.time(), str(update))

    def own_log_line(self, line: LogLine) -> None:
        self.own.add_lines([line.text], line.level)

    def _ask_addresses(self) -> None:
        """The IP column's addresses, for the rows on screen only, while it is shown."""
        if self.fleet is None or all(c.key != "ip" for c in self.table.shown_columns):
            return
        if self._addresses is not None and not self._addresses.is_finished:
            return  # the last round is still asking: never pile rounds up behind a slow host
        keys = table_addresses.rows_on_screen(self.table)
        if keys:
            self._addresses = self.run_worker(
                table_addresses.ask_addresses(self.fleet, keys),
                group="addresses",
                exit_on_error=False,
            )

    # -- the selected VM ---------------------------------------------------------------------

    @on(VmTable.Highlighted, "#vms")
    def _highlighted(self) -> None:
        self._show_selected()

    @on(VmTable.Shown, "#vms")
    def _rows_on_screen(self, event: VmTable.Shown) -> None:
        if self.feed.waiting and (rows := self.feed.on_screen_now(event.keys)):
            self.table.apply(rows)  # scrolled onto the screen: their newest figures, now
        if self.fleet is not None:
            self.fleet.on_screen(event.keys)
            if self.table.uses_labels:
                self.fleet.read_all_labels()
        self._note_labels()

    def _note_labels(self) -> None:
        """A tag filter or grouping on a fleet whose tags are still being read says so."""
        unread = self.fleet.labels_unread if self.fleet and self.table.uses_labels else 0
        self.table.set_note(f"tags of {unread:,} VMs still being read" if unread else "")

    @on(VmTable.HeaderClicked, "#vms")
    def _header(self, event: VmTable.HeaderClicked) -> None:
        self.table.sort_by(event.column)

    def _show_selected(self, *, refetch: bool = False) -> None:
        """Show the selected VM; ask for its devices only when the selection moved (or
        `refetch`: an event changed its definition), never on every tick."""
        row = self.table.selected_row
        before = self.details.row.key if self.details.row is not None else None
        self.details.show(row)
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
        host = self.host_of(row)
        if host is None:
            return
        try:
            devices = await host.devices(row.uuid)
            cpu = await host.cpu_history(row.uuid)
        except Exception:
            return  # the details keep what the table knows; the VM may have just gone
        self.details.uri = host.uri
        self.details.show_devices(row.key, devices, cpu)
