"""The migration dialog: where to, how, what the checks say, then a question naming both ends.

Handed the VM, the hosts it may go to and the fleet's checks (a callable, so the dialog never
reaches into the fleet). The checks run when it opens and again whenever an option that they
judge changes; while any check fails, or they have not answered, nothing can start. Ctrl+S
asks "Migrate VM from A to B ...? y/N" (No is the default); only a Yes dismisses the dialog
with the chosen options.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from limen_tui.fleet.errors import explain
from limen_tui.model import DomainRow
from limen_tui.model.action_params import Migrate
from limen_tui.ui import text as fmt
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.worker_failures import WorkerFailuresToApp

Checks = Callable[[Migrate], Awaitable[list[str]]]
"""Every reason the VM cannot move as `Migrate` says, one sentence each ([]: it can)."""

CheckState = Literal["checking", "passed", "failed"]


def options_words(params: Migrate, active: bool) -> list[str]:
    """The chosen options in words, for the question and the view."""
    words = ["live" if active else "offline: only its definition moves"]
    if params.copy_storage:
        words.append("copy storage")
    if params.auto_converge:
        words.append("auto-converge")
    if params.postcopy:
        words.append("post-copy allowed")
    if params.shared_unseen:
        words.append("disks shared outside libvirt's sight")
    if params.bandwidth_mib_s:
        words.append(f"at most {params.bandwidth_mib_s} MiB/s")
    return words


def migrate_question(row: DomainRow, params: Migrate) -> Text:
    question = Text("Migrate ", end="")
    question.append_text(fmt.literal(row.name, "bold"))
    question.append(" from ")
    question.append_text(fmt.literal(row.host, "bold"))
    question.append(" to ")
    question.append_text(fmt.literal(params.dest, "bold"))
    question.append(f" ({', '.join(options_words(params, row.state.is_active))})")
    if params.undefine_source:
        question.append_text(Text(f"; its definition leaves {fmt.printable(row.host)}"))
    question.append("?  y/N", style="bold")
    return question


def bandwidth_of(value: str) -> int | str:
    """The limit typed, in MiB/s (empty: 0, no limit), or the sentence saying what is wrong."""
    try:
        n = int(value.strip() or "0")
    except ValueError:
        return "the bandwidth limit must be a whole number of MiB/s (0: no limit)"
    return n if n >= 0 else "the bandwidth limit is 0 (no limit) or more MiB/s"


def bandwidth_problem(value: str) -> str | None:
    found = bandwidth_of(value)
    return found if isinstance(found, str) else None


class MigrateDialog(WorkerFailuresToApp, ModalScreen[Migrate | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "go", "Migrate…", priority=True),
    ]
    AUTO_FOCUS = "#cancel"
    DEFAULT_CSS = """
    MigrateDialog { align: center middle; }
    MigrateDialog > Vertical {
        width: 90; max-width: 98%; height: auto; max-height: 100%; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    MigrateDialog #title { text-style: bold; }
    MigrateDialog Horizontal { height: auto; }
    MigrateDialog .field { height: 1; width: auto; padding-right: 1; }
    MigrateDialog Select { width: 30; }
    MigrateDialog #bandwidth { width: 12; }
    MigrateDialog #checks { height: auto; max-height: 8; overflow-y: auto; margin-top: 1; }
    MigrateDialog #checks.failed { color: $error; }
    MigrateDialog #checks.passed { color: $success; }
    MigrateDialog #problem { color: $error; height: auto; }
    MigrateDialog #buttons { margin-top: 1; }
    MigrateDialog Button { margin-right: 2; }
    """

    def __init__(self, row: DomainRow, dests: list[str], dest: str, checks: Checks) -> None:
        super().__init__()
        self.row = row
        self.dests = dests
        self.dest = dest
        self.checks = checks
        self.check_state: CheckState = "checking"
        self.problems: list[str] = []
        """The sentences of the last checks (what the dialog shows)."""
        self._asked = 0

    def compose(self) -> ComposeResult:
        active = self.row.state.is_active
        with Vertical():
            title = Text("Migrate ", end="").append_text(fmt.literal(self.row.name, "bold"))
            title.append(" from ").append_text(fmt.literal(self.row.host, "bold"))
            yield Static(title, id="title")
            yield Static(
                "live: it keeps running while its memory is copied"
                if active
                else "offline: it is shut off, so only its definition moves",
                id="mode",
            )
            with Horizontal():
                yield Label("to host", classes="field")
                yield Select(
                    [(fmt.literal(d), d) for d in self.dests],
                    value=self.dest,
                    allow_blank=False,
                    id="dest",
                    compact=True,
                )
                yield Label("  bandwidth MiB/s (0: none)", classes="field")
                yield Input("0", id="bandwidth", compact=True, restrict=r"-?[0-9]*")
            with Horizontal():
                yield Checkbox(
                    "undefine it on the source once moved", True, id="undefine", compact=True
                )
                yield Checkbox("copy storage", False, id="copy", compact=True)
            with Horizontal():
                yield Checkbox(
                    "auto-converge", False, id="converge", compact=True, disabled=not active
                )
                yield Checkbox(
                    "post-copy allowed", False, id="postcopy", compact=True, disabled=not active
                )
            yield Checkbox(
                "disks shared where libvirt cannot see it (skip its safety check)",
                False,
                id="shared",
                compact=True,
            )
            yield Static("checking…", id="checks")
            yield Label("", id="problem")
            with Horizontal(id="buttons"):
                yield Button("Migrate… (Ctrl+S)", variant="warning", id="go")
                yield Button("Cancel (Esc)", variant="primary", id="cancel")

    def on_mount(self) -> None:
        self._recheck()

    # -- the options -------------------------------------------------------------------------

    def params(self) -> Migrate:
        dest = self.query_one("#dest", Select).value
        bandwidth = bandwidth_of(self.query_one("#bandwidth", Input).value)
        return Migrate(
            dest=str(dest) if isinstance(dest, str) else self.dest,
            copy_storage=self.query_one("#copy", Checkbox).value,
            auto_converge=self.query_one("#converge", Checkbox).value,
            postcopy=self.query_one("#postcopy", Checkbox).value,
            bandwidth_mib_s=bandwidth if isinstance(bandwidth, int) else 0,
            undefine_source=self.query_one("#undefine", Checkbox).value,
            shared_unseen=self.query_one("#shared", Checkbox).value,
        )

    @on(Checkbox.Changed)
    @on(Select.Changed)
    def _option_changed(self) -> None:
        self._recheck()

    @on(Input.Changed, "#bandwidth")
    def _bandwidth_changed(self, event: Input.Changed) -> None:
        problem = bandwidth_problem(event.value)
        self.query_one("#problem", Label).update(problem or "")
        if problem is None:
            self._recheck()

    # -- the checks --------------------------------------------------------------------------

    def _recheck(self) -> None:
        self._asked += 1
        self._show_checks("checking", [])
        self._run_checks(self._asked, self.params())

    @work(exclusive=True, group="migration-checks", exit_on_error=False)
    async def _run_checks(self, asked: int, params: Migrate) -> None:
        try:
            problems = await self.checks(params)
        except Exception as exc:
            problems = [f"the checks failed: {explain(exc)}"]
        if asked == self._asked:  # an answer to options since changed is not shown
            self._show_checks("failed" if problems else "passed", problems)

    def _show_checks(self, state: CheckState, problems: list[str]) -> None:
        self.check_state, self.problems = state, problems
        box = self.query_one("#checks", Static)
        box.set_class(state == "failed", "failed")
        box.set_class(state == "passed", "passed")
        dest = fmt.printable(self.params().dest)
        if state == "checking":
            box.update(Text(f"checking {dest}: reachable, CPU, memory, networks, storage…"))
        elif state == "passed":
            box.update(
                Text(f"every check passed: {dest} answers, has the CPU, memory, networks and disks")
            )
        else:
            text = Text(f"{len(problems)} check(s) failed; nothing can start:\n", style="bold")
            for sentence in problems:
                text.append(f"• {sentence}\n", style="")
            text.rstrip()
            box.update(text)

    # -- going -------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#go")
    def _go_pressed(self) -> None:
        self.action_go()

    def action_go(self) -> None:
        problem = self.query_one("#problem", Label)
        bandwidth = bandwidth_problem(self.query_one("#bandwidth", Input).value)
        if bandwidth is not None:
            problem.update(bandwidth)
            return
        if self.check_state == "checking":
            problem.update("the checks have not answered yet; nothing starts before they do")
            return
        if self.check_state == "failed":
            problem.update("a check failed (above): nothing starts until it passes")
            return
        params = self.params()

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(params)

        self.app.push_screen(ConfirmScreen(migrate_question(self.row, params)), answered)
