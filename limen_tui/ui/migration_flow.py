"""From the migrate key (or `:migrate`, `:evacuate`) to a migration: the dialog, the question,
then the run in the main screen's "actions" workers with its view on top.

The checks, the run, the progress and the outcome are the fleet's (fleet/migration.py,
evacuation.py); this only asks, and shows. A migration runs in the screen's workers, not
the view's, so closing the view never stops it.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from limen_tui.fleet.evacuation import EvacuationPlan
from limen_tui.fleet.fleet import Fleet
from limen_tui.fleet.migration import Migration
from limen_tui.model import DomainRow, LinkState
from limen_tui.model.action_params import Migrate
from limen_tui.ui import text as fmt

if TYPE_CHECKING:
    from limen_tui.ui.screens.evacuate import EvacuationProgress
# The dialog's and the views' modules are imported when first opened, not at start.

READONLY = "read-only session: nothing can be changed"
ACTION_GROUP = "actions"


class MigrationFlow:
    def __init__(self, screen: Screen[Any], fleet: Fleet | None, *, readonly: bool) -> None:
        self.screen = screen
        self.fleet = fleet
        self.readonly = readonly
        self.evacuating: dict[str, EvacuationProgress] = {}
        """Evacuations under way, by host: `:evacuate HOST` shows it again."""

    def _warn(self, text: str) -> None:
        self.screen.notify(text, severity="warning", markup=False)

    def _fleet(self) -> Fleet | None:
        if self.readonly:
            self._warn(READONLY)
            return None
        if self.fleet is None:
            self.screen.notify("Not connected to any host", severity="error")
        return self.fleet

    def running(self, uuid: str) -> Migration | None:
        """The migration of this VM under way, if any."""
        fleet = self.fleet
        if fleet is None:
            return None
        return next((j for j in fleet.migrations.values() if j.uuid == uuid), None)

    def host_problem(self, name: str) -> str | None:
        hosts = list(self.fleet.hosts) if self.fleet is not None else []
        if name in hosts:
            return None
        close = difflib.get_close_matches(name, hosts, n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; one of {', '.join(hosts)}"
        return f"no host {fmt.printable(name)} in this console{hint}"

    # -- one VM ------------------------------------------------------------------------------

    def ask(self, row: DomainRow, dest: str | None = None) -> None:
        """The migration dialog for `row` (its view, when it is already migrating)."""
        fleet = self._fleet()
        if fleet is None:
            return
        from limen_tui.ui.screens.migrate_dialog import MigrateDialog
        from limen_tui.ui.screens.migration_view import MigrationScreen

        job = self.running(row.uuid)
        if job is not None:
            self.screen.app.push_screen(MigrationScreen(job))
            return
        if dest is not None:
            problem = self.host_problem(dest)
            if problem is None and dest == row.host:
                problem = f"{fmt.printable(row.name)} is already on {fmt.printable(dest)}"
            if problem is not None:
                self._warn(problem)
                return
        others = [k for k in fleet.hosts if k != row.host]
        if not others:
            self._warn("Migrate needs another host in this console (--connect it, or [[hosts]])")
            return
        live = [k for k in others if fleet.hosts[k].status.state is LinkState.LIVE]
        chosen = dest or (live or others)[0]

        async def checks(params: Migrate) -> list[str]:
            return await fleet.migration(row, params).checks()

        def answered(params: Migrate | None) -> None:
            if params is not None:
                self.start(row, params)

        self.screen.app.push_screen(MigrateDialog(row, others, chosen, checks), answered)

    def start(self, row: DomainRow, params: Migrate) -> Migration | None:
        """Run a confirmed migration (checked again by the fleet) with its view on top."""
        from limen_tui.ui.screens.migration_view import MigrationScreen

        fleet = self.fleet
        if fleet is None:
            return None
        job = fleet.migration(row, params)
        self.screen.run_worker(
            fleet.run_migration(job),
            group=ACTION_GROUP,
            exit_on_error=False,
            description=f"migrate {fmt.printable(row.name)} to {fmt.printable(params.dest)}",
        )
        self.screen.app.push_screen(MigrationScreen(job))
        return job

    # -- a whole host ------------------------------------------------------------------------

    def evacuate(self, host: str) -> None:
        from limen_tui.ui.screens.evacuate import EvacuationScreen

        fleet = self._fleet()
        if fleet is None:
            return
        problem = self.host_problem(host)
        if problem is not None:
            self._warn(problem)
            return

        async def make_plan() -> EvacuationPlan:
            return await fleet.evacuation_plan(host)

        def start(progress: EvacuationProgress) -> None:
            self.evacuating[host] = progress
            self.screen.run_worker(
                self._evacuate(fleet, progress),
                group=ACTION_GROUP,
                exit_on_error=False,
                description=f"evacuate {fmt.printable(host)}",
            )

        screen = EvacuationScreen(
            host,
            make_plan,
            start,
            self.running,
            concurrency=fleet.settings.evacuate_concurrency,
            progress=self.evacuating.get(host),
        )
        self.screen.app.push_screen(screen)

    async def _evacuate(self, fleet: Fleet, progress: EvacuationProgress) -> None:
        try:
            progress.run = await fleet.evacuate(
                progress.plan, progress.params, on_done=progress.done
            )
        except Exception as exc:
            progress.failure = f"the evacuation stopped: {exc}"
            raise
        finally:
            self.evacuating.pop(progress.plan.source, None)
