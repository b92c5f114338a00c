"""The console's app: handed a built fleet, it shows the main screen, routes the fleet's
updates to it, and is the one place that hears of a worker that failed."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.worker import Worker, WorkerState

from limen_tui.config.settings import Settings
from limen_tui.fleet.errors import explain
from limen_tui.fleet.fleet import Fleet
from limen_tui.fleet.noisy import NoisyEpisode
from limen_tui.fleet.self_cost import RefreshPaced
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
    HealthUpdated,
)
from limen_tui.logs.buffer import LogLine
from limen_tui.logs.own_log import OwnLog
from limen_tui.store.cache import Cache
from limen_tui.ui import saved_layout, themes
from limen_tui.ui.action_flow import ACTION_GROUP
from limen_tui.ui.key_hold import HoldKeysUntilFocused
from limen_tui.ui.messages import FleetUpdated, OwnLogLine
from limen_tui.ui.output_meter import OutputMeter, counting_driver
from limen_tui.ui.palette import LimenCommands
from limen_tui.ui.screens.main import MainScreen

log = logging.getLogger("limen_tui.ui")

ROUTES: dict[type, Callable[[MainScreen, Any], None]] = {
    HostStatusChanged: MainScreen.host_status_changed,
    DomainsRefreshed: MainScreen.domains_refreshed,
    DomainEventArrived: MainScreen.domain_event_arrived,
    OperationChanged: MainScreen.operation_changed,
    BatchFinished: MainScreen.batch_finished,
    HealthUpdated: MainScreen.health_updated,
    HealthStateChanged: MainScreen.health_state_changed,
    HealthAlertRaised: MainScreen.health_alert_raised,
    HealthAlertCleared: MainScreen.health_alert_cleared,
    NoisyEpisode: MainScreen.noisy_episode,
    RefreshPaced: MainScreen.refresh_paced,
}
"""The one route from the core to the widgets: each update's type to the screen's handler."""


Failures = list[tuple[str, str]]
"""(URI, why) of each host, when none answered."""


class LimenApp(HoldKeysUntilFocused[Failures]):
    """limen-tui. `fleet=None`: no hosts, nothing polls (tests inject updates with publish)."""

    TITLE = "limen-tui"
    CSS_PATH = "limen.tcss"
    COMMANDS = {LimenCommands}  # every action and screen, from the registry (palette.py)
    BINDINGS: ClassVar[list[BindingType]] = [
        # Not a priority binding (Textual's default is): a key the operator moved onto
        # ctrl+p in [keys] is the screen's, and wins over the palette.
        Binding("ctrl+p", "command_palette", "palette", show=False, id="command_palette"),
        # Ctrl+C quits (cleanly: the fleet stops, the audit log is flushed), as operators expect;
        # not on a screen that hands every key on (the serial console gives it to the guest).
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        fleet: Fleet | None,
        settings: Settings,
        *,
        demo: bool = False,
        keymap: dict[str, str] | None = None,
        own_log: OwnLog | None = None,
        cache: Cache | None = None,
        end_if_unreachable: bool = False,
    ) -> None:
        """`end_if_unreachable`: when every host's first attempt failed and none has a last
        known fleet to show, end with the failures (the command line says which and why)."""
        super().__init__()
        self.output = OutputMeter()
        """Bytes written to the terminal so far (the diagnostics show the rate)."""
        self.driver_class = counting_driver(self.driver_class, self.output)
        if fleet is not None:
            fleet.self_cost.sampler.output_bytes = self.output
        self.end_if_unreachable = end_if_unreachable
        self.fleet = fleet
        self.settings = settings
        self.demo = demo
        self.keymap = dict(keymap or {})
        self.own_log = own_log
        self.cache = cache
        self._main: MainScreen | None = None
        self._contrast = themes.Contrast()
        for theme in themes.LIMEN_THEMES.values():
            self.register_theme(theme)
        self.theme = themes.starting_theme(
            settings.theme, saved_layout.load().theme, no_color=self.no_color
        )
        self.handle_signals = False
        """SIGTERM and SIGHUP end the console cleanly, the terminal restored (the command
        line sets it; tests running the app in their own loop do not)."""

    @property
    def main(self) -> MainScreen:
        """The main screen (built when the app starts, from the settings it has then)."""
        if self._main is None:
            own = self.own_log
            self._main = MainScreen(
                self.fleet,
                self.settings,
                demo=self.demo,
                keymap=self.keymap,
                cache=self.cache,
                own_lines=own.buffer.copy() if own is not None else [],
                own_note=(str(own.path) if own.path else own.problem) if own else "",
                on_shown=self._start_fleet,
            )
        return self._main

    def get_default_screen(self) -> MainScreen:
        return self.main

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters (NO_COLOR's grey among them), and in the monochrome theme every
        colour a widget names turned into black or white (themes.Contrast)."""
        filters = super().get_line_filters()
        return [*filters, self._contrast] if self.theme == themes.MONO else filters

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "quit" and getattr(self.screen, "TAKES_EVERY_KEY", False))

    def on_mount(self) -> None:
        if self.handle_signals:
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(signum, self._signalled, signum)
        if self.keymap:
            self.set_keymap(self.keymap)
        if self.cache is not None:
            for warning in self.cache.warnings:
                self.notify(warning, severity="warning", markup=False)
            if not self.cache.enabled:
                self.notify(
                    f"running without a cache: {self.cache.reason}",
                    severity="warning",
                    markup=False,
                )

    def _signalled(self, signum: int) -> None:
        log.warning("%s: leaving the console", signal.Signals(signum).name)
        self.exit(return_code=128 + signum)

    def _start_fleet(self) -> None:
        if self.fleet is not None:
            self.fleet.bind(self.publish)
            self.fleet.start()
            if self.end_if_unreachable:
                self.run_worker(
                    self._end_if_nobody_answers(), group="start-up", exit_on_error=False
                )

    async def _end_if_nobody_answers(self) -> None:
        if self.fleet is not None and (failures := await self.fleet.nobody_answered()):
            self.exit(failures, return_code=2)

    async def on_unmount(self) -> None:
        if self.fleet is not None:
            await self.fleet.stop()

    def publish(self, update: FleetUpdate) -> None:
        """The fleet's sink, called on this loop: the update goes to its handler, as it is."""
        self.post_message(FleetUpdated(update))

    @on(FleetUpdated)
    def _route(self, message: FleetUpdated) -> None:
        route = ROUTES.get(type(message.update))
        if route is not None and self.main.showing:
            route(self.main, message.update)

    def own_log_line(self, line: LogLine) -> None:
        """From the logging handler, in whatever thread logged: hand it to the UI loop."""
        self.post_message(OwnLogLine(line))

    @on(OwnLogLine)
    def _own_line(self, message: OwnLogLine) -> None:
        if self.main.showing:
            self.main.own_log_line(message.line)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker that failed, wherever it ran (screens hand theirs on, see
        worker_failures.py): the operator is told, the own log keeps the traceback."""
        worker = event.worker
        if event.state is not WorkerState.ERROR or worker.error is None:
            return
        what = worker.description or worker.name or worker.group
        if worker.group == ACTION_GROUP:
            what = f"{what}: the action did not finish"
        log.error("%s failed", what, exc_info=worker.error)
        self.notify(f"{what} failed: {explain(worker.error)}", severity="error", markup=False)
