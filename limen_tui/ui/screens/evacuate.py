"""The evacuation view of one host: the plan (where each running VM goes, and what stays and
why), a question naming the count and the hosts, then each VM's progress and the summary.

Handed the host's name and three callables (make the plan, start it, find a VM's running
migration), never the fleet. The run belongs to the main screen's workers: closing this
view (Esc) leaves it running, with its rows saying "migrating NN%" and the operations pane
telling each outcome.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Footer, Static

from limen_tui.fleet.errors import explain
from limen_tui.fleet.evacuation import EvacuationPlan, EvacuationRun, Move
from limen_tui.fleet.migration import Migration
from limen_tui.model.action_params import Migrate
from limen_tui.ui import text as fmt
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.worker_failures import WorkerFailuresToApp

REFRESH_S = 0.5
FIRST_NAMES = 3


@dataclass(slots=True)
class EvacuationProgress:
    """What the view shows while a confirmed plan runs (filled by the fleet's `on_done`)."""

    plan: EvacuationPlan
    params: Migrate = field(default_factory=lambda: Migrate(""))
    """The options of every move (each move's own destination filled in)."""
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)
    """VM UUID -> (state word, note or error), as each move ends."""
    run: EvacuationRun | None = None
    """The whole run, once every move ended."""
    failure: str = ""
    """Why the run itself could not go on (never one VM's failure)."""

    def done(self, move: Move, state: str, text: str) -> None:
        self.outcomes[move.vm.uuid] = (state, text)


MakePlan = Callable[[], Awaitable[EvacuationPlan]]
Start = Callable[[EvacuationProgress], None]
Running = Callable[[str], Migration | None]


def evacuate_question(
    plan: EvacuationPlan, concurrency: int, params: Migrate | None = None
) -> Text:
    moves = plan.moves
    dests = sorted({m.dest for m in moves})
    vms = "VM" if len(moves) == 1 else "VMs"
    question = Text(f"Evacuate {fmt.printable(plan.source)}: move ", end="")
    question.append(f"{len(moves)} {vms}", style="bold")
    question.append(f" to {', '.join(fmt.printable(d) for d in dests)} (")
    names = [m.vm.name for m in moves[:FIRST_NAMES]]
    question.append_text(fmt.literal(", ".join(names), "bold"))
    question.append(", ...)" if len(moves) > FIRST_NAMES else ")")
    question.append(f", {concurrency} at a time")
    options = []
    if params is not None and params.copy_storage:
        options.append("copy storage")
    if params is not None and params.shared_unseen:
        options.append("disks shared outside libvirt's sight")
    if options:
        question.append(f", {', '.join(options)}")
    question.append("?")
    if plan.unplaced:
        question.append(f" {len(plan.unplaced)} stay on {fmt.printable(plan.source)} (no room).")
    question.append("  y/N", style="bold")
    return question


def plan_summary(plan: EvacuationPlan) -> Text:
    """ "plan: 3 VMs move (hv2 2, hv3 1); 2 stay (no room)" """
    per_host: dict[str, int] = {}
    for m in plan.moves:
        per_host[m.dest] = per_host.get(m.dest, 0) + 1
    where = ", ".join(f"{fmt.printable(h)} {n}" for h, n in sorted(per_host.items()))
    text = Text(f"plan: {len(plan.moves)} VM(s) move", style="bold", end="")
    if where:
        text.append(f" ({where})", style="bold")
    if plan.unplaced:
        text.append(f"; {len(plan.unplaced)} stay (no room)", style="yellow")
    return text


class EvacuationScreen(WorkerFailuresToApp, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close"),
        Binding("ctrl+s", "go", "Evacuate…"),
        Binding("f5,ctrl+r", "replan", "Plan again"),
    ]
    DEFAULT_CSS = """
    EvacuationScreen { align: center middle; }
    EvacuationScreen > Vertical {
        width: 110; max-width: 98%; height: auto; max-height: 100%; border: round $accent;
        background: $surface; padding: 0 1;
    }
    EvacuationScreen #moves { height: auto; max-height: 60vh; }
    EvacuationScreen Horizontal { height: auto; margin-top: 1; }
    EvacuationScreen Checkbox { margin-right: 2; }
    EvacuationScreen #status { height: auto; margin-top: 1; }
    """

    def __init__(
        self,
        host: str,
        make_plan: MakePlan,
        start: Start,
        running: Running,
        *,
        concurrency: int = 2,
        progress: EvacuationProgress | None = None,
        refresh_s: float = REFRESH_S,
    ) -> None:
        """`progress`: an evacuation of `host` already under way (shown, not planned again)."""
        super().__init__()
        self.host = host
        self.make_plan = make_plan
        self.start = start
        self.running = running
        self.concurrency = concurrency
        self.refresh_s = refresh_s
        self.plan: EvacuationPlan | None = progress.plan if progress is not None else None
        self.progress = progress
        self.status = (
            "planning: asking the other hosts for their free memory and CPUs…"
            if progress is None
            else f"evacuating {fmt.printable(host)}, {concurrency} at a time…"
        )

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(f"Evacuate {fmt.printable(self.host)}")
            with VerticalScroll(id="moves"):
                yield Static("", id="plan")
            running = self.progress is not None
            params = self.progress.params if self.progress is not None else Migrate("")
            with Horizontal():
                yield Checkbox(
                    "copy storage", params.copy_storage, id="copy", compact=True, disabled=running
                )
                yield Checkbox(
                    "disks shared where libvirt cannot see it",
                    params.shared_unseen,
                    id="shared",
                    compact=True,
                    disabled=running,
                )
            yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(self.refresh_s, self.redraw)
        if self.progress is None:
            self.action_replan()

    def action_replan(self) -> None:
        if self.progress is not None:
            self._say("it is running: the plan stays as it was confirmed")
            return
        self._plan()

    @work(exclusive=True, group="evacuation-plan", exit_on_error=False)
    async def _plan(self) -> None:
        try:
            self.plan = await self.make_plan()
        except Exception as exc:
            self._say(f"cannot plan: {explain(exc)}")
            return
        if not self.plan.moves and not self.plan.unplaced:
            self._say(f"no VM runs on {self.host}: nothing to move")
        elif not self.plan.moves:
            self._say("no VM fits anywhere (above): nothing can move")
        else:
            self._say("Ctrl+S evacuates (after a question); Esc closes, nothing moved")

    def _say(self, text: str) -> None:
        self.status = text
        self.redraw()

    def _move_state(self, move: Move) -> Text:
        progress = self.progress
        if progress is None:
            return Text("")
        outcome = progress.outcomes.get(move.vm.uuid)
        if outcome is not None:
            state, said = outcome
            style = "green" if state == "succeeded" else "red"
            return Text(f"{state}: {fmt.printable(said)}", style=style)
        job = self.running(move.vm.uuid)
        if job is None:
            return Text("waiting", style="dim")
        note = job.op.note or job.op.state.value
        return Text(fmt.printable(note), style="cyan")

    def redraw(self) -> None:
        plan = self.plan
        text = Text()
        if plan is not None:
            text.append_text(plan_summary(plan))
            text.append("\n")
            for move in plan.moves:
                vm = move.vm
                text.append_text(fmt.literal(vm.name, "bold"))
                text.append(f" ({vm.memory_bytes // 2**20} MiB, {vm.vcpus} vCPU) → ")
                text.append_text(fmt.literal(move.dest, "bold"))
                state = self._move_state(move)
                if state.plain:
                    text.append("  ")
                    text.append_text(state)
                text.append("\n")
            for vm, why in plan.unplaced:
                text.append_text(fmt.literal(vm.name, "bold"))
                text.append(" stays: ", style="yellow")
                text.append_text(fmt.literal(why))
                text.append("\n")
            text.rstrip()
        self.query_one("#plan", Static).update(text)
        status = self.status
        progress = self.progress
        if progress is not None and progress.run is not None:
            status = progress.run.summary()
        elif progress is not None and progress.failure:
            status = progress.failure
        self.query_one("#status", Static).update(Text(status))

    def action_go(self) -> None:
        plan = self.plan
        if self.progress is not None:
            self._say("it is already running")
            return
        if plan is None or not plan.moves:
            self._say("nothing to move" if plan is not None else "the plan is not ready yet")
            return

        params = Migrate(
            "",
            copy_storage=self.query_one("#copy", Checkbox).value,
            shared_unseen=self.query_one("#shared", Checkbox).value,
        )

        def answered(yes: bool | None) -> None:
            if yes and self.progress is None:
                self.progress = EvacuationProgress(plan, params)
                for box in self.query(Checkbox):
                    box.disabled = True
                self._say(f"evacuating {fmt.printable(self.host)}, {self.concurrency} at a time…")
                self.start(self.progress)
            elif not yes:
                self._say("not evacuated: nothing moved")

        question = evacuate_question(plan, self.concurrency, params)
        self.app.push_screen(ConfirmScreen(question), answered)
