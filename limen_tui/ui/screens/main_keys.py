"""The main screen's keys: filter, sort, layout, log tabs, hosts, and the VM action keys.

A base of MainScreen (screens/main.py), which shows what the fleet says; this half turns keys
into requests. VM actions go through the screen's ActionFlow; other screens are opened by
other_screens.py, each handed what it needs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Input, TabbedContent

from limen_tui.fleet.fleet import Fleet
from limen_tui.fleet.host import Host
from limen_tui.model import DomainRow
from limen_tui.store.cache import Cache
from limen_tui.ui import saved_layout
from limen_tui.ui.action_flow import ActionFlow
from limen_tui.ui.focus_rules import Focus, key_is_live
from limen_tui.ui.key_hold import after_typed
from limen_tui.ui.keys import action_bindings, key_label, screen_bindings
from limen_tui.ui.log_feeds import LogFeeds
from limen_tui.ui.screens import other_screens, vm_changes
from limen_tui.ui.screens.help import HelpScreen
from limen_tui.ui.widgets.log_pane import LogPane
from limen_tui.ui.widgets.vm_table import VmTable

LOG_TABS = ("events", "operations", "qemu", "daemon", "own")
CHANGES = ("vm_action", "action_menu", "create_vm", "clone_vm")
"""Actions a read-only session neither shows nor runs."""


class MainKeys(Screen[None]):
    """What every key of the main screen does."""

    BINDINGS: ClassVar[list[BindingType]] = [*screen_bindings(), *action_bindings()]

    fleet: Fleet | None
    table: VmTable
    feeds: LogFeeds
    actions: ActionFlow
    keymap: dict[str, str]
    cache: Cache | None
    readonly: bool
    layout_state: saved_layout.UiState
    _layout_note = ""

    def _show_selected(self, *, refetch: bool = False) -> None:
        """Show the selected VM in the details (MainScreen does)."""
        raise NotImplementedError

    def host_of(self, row: DomainRow | None) -> Host | None:
        if row is None or self.fleet is None:
            return None
        return self.fleet.hosts.get(row.host)

    def focus_kind(self) -> Focus:
        focused = self.focused
        if focused is None:
            return "other"
        if focused is self.table:
            return "table"
        if isinstance(focused, Input):
            return "filter" if focused.id == "filter" else "input"
        if any(isinstance(node, LogPane) for node in focused.ancestors_with_self):
            return "log"
        return "other"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in CHANGES and self.readonly:
            return None  # hidden and disabled: a read-only session offers no actions
        shown = self.maximized is None or self.maximized is self.table
        return key_is_live(action, self.focus_kind(), table_shown=shown and self.table.display)

    # -- filter, sort, layout ----------------------------------------------------------------

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(other_screens.help_keys(self.BINDINGS, self.keymap)))

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        self.set_focus(box)  # now, not later: the keys typed after / are the filter's

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        self._show_selected()

    def keep_filter(self, value: str) -> None:
        """Enter in the filter box: the table shows what it matched, and has the keys again."""
        if not value:
            self.query_one("#filter", Input).remove_class("visible")
        self.table.set_filter(value)  # now: a key typed next (*) acts on what it shows
        self._show_selected()
        self.set_focus(self.table)

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if self.focused is box:
            after_typed(box, self._clear_filter)  # behind the letters typed before Esc
        else:
            self._clear_filter()

    def _clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.remove_class("visible")
        self.table.set_filter("")
        self.set_focus(self.table)

    def action_sort_next(self) -> None:
        self.table.next_sort_column()

    def action_sort_reverse(self) -> None:
        self.table.sort_by(self.table.sort_column, reverse=not self.table.sort_reverse)

    def action_toggle_details(self) -> None:
        self.set_layout(replace(self.layout_state, details=not self.layout_state.details))

    def action_toggle_logs_place(self) -> None:
        place = "beside" if self.layout_state.logs == "below" else "below"
        self.set_layout(replace(self.layout_state, logs=place))

    def action_toggle_maximize(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused)

    def action_focus_table(self) -> None:
        self.set_focus(self.table)

    def _apply_layout(self) -> None:
        """The saved choice, fitted to the terminal's size now (at start, on every resize,
        and when a dialog that was on top during a resize closes)."""
        state = self.layout_state
        size = self.app.size
        grid = saved_layout.fit(state, size.width, size.height)
        body = self.query_one("#body")
        body.styles.grid_size_columns = len(grid.columns)
        body.styles.grid_size_rows = len(grid.rows)
        body.styles.grid_columns = " ".join(grid.columns)
        body.styles.grid_rows = " ".join(grid.rows)
        left = self.query_one("#left")
        left.styles.column_span, left.styles.row_span = grid.table_span
        details = self.query_one("#details")
        details.display = grid.details
        details.styles.row_span = grid.details_rows
        self.query_one("#logs", TabbedContent).display = grid.logs
        self.set_class(not grid.details, "no-details")
        self.set_class(grid.logs and grid.columns == ("1fr", "60"), "logs-beside")
        self.query_one("#logs", TabbedContent).active = f"{state.log_tab}-tab"
        if grid.note and grid.note != self._layout_note:
            self.notify(grid.note, severity="warning", markup=False)
        self._layout_note = grid.note

    def set_layout(self, state: saved_layout.UiState) -> None:
        """The operator's choice, when the terminal has room for it; otherwise say why and
        keep the layout as it is (nothing is remembered that cannot be shown)."""
        size = self.app.size
        grid = saved_layout.fit(state, size.width, size.height)
        if grid.note and state != self.layout_state:
            self.notify(grid.note, severity="warning", markup=False)
            if state.logs != self.layout_state.logs:
                return  # refused: logs beside need a wider terminal
        self._remember(state)

    def _remember(self, state: saved_layout.UiState) -> None:
        self.layout_state = state
        self._apply_layout()
        self.run_worker(
            lambda: saved_layout.save(state),
            thread=True,
            group="ui-state",
            exit_on_error=False,
            description="saving the layout",
        )

    # -- log tabs ----------------------------------------------------------------------------

    def action_next_log(self) -> None:
        current = (self.query_one("#logs", TabbedContent).active or "events-tab")[:-4]
        i = LOG_TABS.index(current) if current in LOG_TABS else 0
        self.action_show_log(LOG_TABS[(i + 1) % len(LOG_TABS)])

    def action_show_log(self, which: str) -> None:
        if self.layout_state.log_tab != which:
            self._remember(replace(self.layout_state, log_tab=which))
        self.query_one("#logs", TabbedContent).active = f"{which}-tab"
        target = self.query_one(f"#{which}")
        # Focused now, not later: the keys typed after it are that pane's.
        self.set_focus(target.lines_widget if isinstance(target, LogPane) else target)

    @on(TabbedContent.TabActivated, "#logs")
    def _log_tab(self) -> None:
        self._feed_logs()

    def _feed_logs(self) -> None:
        """Follow what the visible tab shows; hidden tabs keep no follower running."""
        active = (self.query_one("#logs", TabbedContent).active or "").removesuffix("-tab")
        for pane in ("qemu", "daemon"):
            if active != pane:
                self.feeds.stop(pane)
        row = self.table.selected_row
        host = self.host_of(row) or self._first_host()
        if active == "qemu" and row is not None and host is not None:
            what = f"{row.name} on {row.host}"
            self.feeds.follow(self.query_one("#qemu", LogPane), what, host.qemu_log(row.name))
        elif active == "daemon" and host is not None:
            what = f"the daemon on {host.key}"
            self.feeds.follow(self.query_one("#daemon", LogPane), what, host.daemon_log())

    def _first_host(self) -> Host | None:
        return next(iter(self.fleet.hosts.values()), None) if self.fleet is not None else None

    # -- hosts -------------------------------------------------------------------------------

    def show_host(self, host: str) -> None:
        """Only `host`'s VMs in the table ("" for every host): the filter box says so."""
        box = self.query_one("#filter", Input)
        words = [w for w in box.value.split() if not w.startswith("host:")]
        if host:
            words.insert(0, f"host:{host}")
        box.value = " ".join(words)
        box.set_class(bool(box.value), "visible")
        self.table.set_filter(box.value)
        self._show_selected()

    def action_next_host(self, step: int) -> None:
        hosts = ["", *(self.fleet.hosts if self.fleet is not None else ())]
        words = self.query_one("#filter", Input).value.split()
        current = next((w[5:] for w in words if w.startswith("host:")), "")
        i = hosts.index(current) if current in hosts else 0
        self.show_host(hosts[(i + step) % len(hosts)])

    # -- keys that open other screens, and the VM action keys ---------------------------------

    def action_hosts(self) -> None:
        evacuate = None if self.readonly else self.actions.migrations.evacuate
        other_screens.hosts(self, self.fleet, self.show_host, evacuate)

    def action_pools(self, host: str = "", pool: str = "") -> None:
        other_screens.pools(self, self._host_for(host), pool)

    def action_networks(self, host: str = "") -> None:
        other_screens.networks(self, self._host_for(host))

    def _host_for(self, key: str) -> Host | None:
        """The host named, else the selected VM's, else the first one."""
        if key:
            return self.fleet.hosts.get(key) if self.fleet is not None else None
        return self.host_of(self.table.selected_row) or self._first_host()

    def action_diagnostics(self) -> None:
        other_screens.diagnostics(self, self.fleet, self.cache)

    def action_snapshots(self) -> None:
        row = self.table.selected_row
        if row is None:
            other_screens.snapshots(self, None, None, lambda _a, _p: None)
            return
        run = lambda action, params: self.actions.run(action, [row], params)  # noqa: E731
        other_screens.snapshots(self, row, self.host_of(row), run)

    def action_serial_console(self) -> None:
        row = self.table.selected_row
        other_screens.serial_console(self, row, self.host_of(row))

    def action_viewer(self) -> None:
        row = self.table.selected_row
        other_screens.viewer(self, row, self.host_of(row))

    def action_toggle_mark(self) -> None:
        self.table.toggle_mark()

    def action_mark_shown(self) -> None:
        self.table.mark_shown()

    def action_clear_marks(self) -> None:
        self.table.clear_marks()

    def action_action_menu(self) -> None:
        targets = self.table.targets()
        if not targets:
            self.notify("No VM selected", severity="warning")
            return
        extra = [
            ("vm_screen", "Everything about it", key_label(self.keymap.get("vm_screen", "f"))),
            ("devices", "Devices and media", ""),
            ("domain_xml", "Domain XML (view, edit)", ""),
        ]
        self.actions.menu(targets, self.keymap, extra if len(targets) == 1 else [], self._other)

    def _other(self, what: str) -> None:
        if what == "vm_screen":
            self.action_vm_screen()
        elif what in ("devices", "domain_xml"):
            row = self.table.selected_row
            opener = vm_changes.open_devices if what == "devices" else vm_changes.open_domain_xml
            opener(self, row, self.host_of(row))

    def action_vm_screen(self) -> None:
        row = self.table.selected_row
        other_screens.vm_screen(self, row, self.host_of(row))

    def action_vm_action(self, action: str) -> None:
        self.actions.key(action, self.table.targets())

    def action_create_vm(self) -> None:
        self.actions.create_vm(self.table.selected_row)

    def action_clone_vm(self) -> None:
        self.actions.clone_vm(self.table.selected_row)
