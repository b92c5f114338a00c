"""The migration view: one migration's figures as libvirt's job stats give them, the verdict on
whether it converges, and the remedies on keys (abort, more bandwidth, post-copy).

Handed the running `Migration` (the fleet's object); it reads its figures twice a second,
never asks libvirt itself. Closing the view (Esc) leaves the migration running: its row keeps
saying "migrating NN%", and `G` on that VM opens the view again.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from limen_tui.fleet.errors import explain
from limen_tui.fleet.migration import Migration
from limen_tui.fleet.migration_progress import JobProgress
from limen_tui.fleet.operations import OpState
from limen_tui.model import human_bytes
from limen_tui.ui import text as fmt
from limen_tui.ui.screens.ask import AskScreen, check_count
from limen_tui.ui.screens.confirm import ConfirmScreen
from limen_tui.ui.screens.migrate_dialog import options_words
from limen_tui.ui.worker_failures import WorkerFailuresToApp

BAR_CELLS = 40
REFRESH_S = 0.5


def _bytes(n: float) -> str:
    return f"{human_bytes(n)}iB" if n >= 1024 else f"{n:.0f} B"


def _rate(bps: float) -> str:
    return f"{_bytes(bps)}/s"


def _seconds(s: float | None) -> str:
    if s is None:
        return "n/a"
    return f"{s:.0f}s" if s < 120 else f"{s // 60:.0f}m{s % 60:02.0f}s"


def figures(p: JobProgress) -> Text:
    """The figures of one job stats sample, two columns, in libvirt's own numbers."""
    done = round(BAR_CELLS * p.percent / 100)
    text = Text("[", end="")
    text.append("█" * done, style="bold green")
    text.append("░" * (BAR_CELLS - done), style="dim")
    text.append(f"] {p.percent:.0f}%\n")
    downtime = "n/a" if p.expected_downtime_ms is None else f"{p.expected_downtime_ms} ms"
    rows = [
        ("memory", _bytes(p.total_bytes)),
        ("remaining", _bytes(p.remaining_bytes)),
        ("sent so far", _bytes(p.processed_bytes)),
        ("pass", str(p.iteration)),
        ("transfer rate", _rate(p.transfer_bps)),
        ("dirty rate", _rate(p.dirty_bps)),
        ("expected downtime", downtime),
        ("elapsed", _seconds(p.elapsed_s)),
        ("time left", "n/a (behind)" if p.eta_s is None else f"~{_seconds(p.eta_s)}"),
    ]
    if p.throttle_pct:
        rows.append(("auto-converge", f"vCPUs slowed by {p.throttle_pct}%"))
    for i in range(0, len(rows), 2):
        for label, value in rows[i : i + 2]:
            text.append(f"{label:>17} ", style="dim")
            text.append(f"{value:<18}")
        text.append("\n")
    text.rstrip()
    return text


class MigrationScreen(WorkerFailuresToApp, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Close (it keeps running)"),
        Binding("a", "abort", "Abort"),
        Binding("b", "bandwidth", "Bandwidth"),
        Binding("p", "postcopy", "Post-copy"),
    ]
    DEFAULT_CSS = """
    MigrationScreen { align: center middle; }
    MigrationScreen > Vertical {
        width: 100; max-width: 98%; height: auto; max-height: 100%; border: round $accent;
        background: $surface; padding: 0 1;
    }
    MigrationScreen #figures { height: auto; margin: 1 0; }
    MigrationScreen #verdict { height: auto; }
    MigrationScreen #verdict.bad { color: $warning; text-style: bold; }
    MigrationScreen #outcome { height: auto; margin-top: 1; }
    MigrationScreen #outcome.failed { color: $error; }
    MigrationScreen #outcome.succeeded { color: $success; }
    MigrationScreen #said { height: auto; color: $text-muted; }
    """

    def __init__(self, job: Migration, *, refresh_s: float = REFRESH_S) -> None:
        super().__init__()
        self.job = job
        self.refresh_s = refresh_s
        self.said = ""
        """What the last remedy key did (or why it could not)."""

    def compose(self) -> ComposeResult:
        job = self.job
        with Vertical() as box:
            title = Text("Migrating ", end="").append_text(fmt.literal(job.op.vm, "bold"))
            title.append(f": {fmt.printable(job.source.key)} → {fmt.printable(job.dest.key)}")
            box.border_title = title
            words = options_words(job.params, job.active)
            yield Static(Text(", ".join(words)), id="options")
            yield Static("", id="figures")
            yield Static("", id="verdict")
            yield Static("", id="outcome")
            yield Static("", id="said")
        yield Footer()

    def on_mount(self) -> None:
        self.redraw()
        self.set_interval(self.refresh_s, self.redraw)

    def redraw(self) -> None:
        job = self.job
        op = job.op
        progress = job.progress
        figures_box = self.query_one("#figures", Static)
        if progress is not None:
            figures_box.update(figures(progress))
        elif op.state is OpState.QUEUED:
            figures_box.update(Text(f"checking {fmt.printable(job.dest.key)} first…"))
        elif not op.state.finished:
            figures_box.update(Text("waiting for libvirt's first job stats…"))
        else:
            figures_box.update(Text("no job stats were taken"))
        verdict = job.verdict
        verdict_box = self.query_one("#verdict", Static)
        verdict_box.set_class(verdict.state == "not converging", "bad")
        if progress is not None and not op.state.finished:
            verdict_box.update(Text(f"convergence: {verdict.sentence()}"))
        else:
            verdict_box.update("")
        outcome = self.query_one("#outcome", Static)
        outcome.set_class(op.state is OpState.SUCCEEDED, "succeeded")
        outcome.set_class(op.state.finished and op.state is not OpState.SUCCEEDED, "failed")
        if op.state.finished:
            what = op.note if op.state is OpState.SUCCEEDED else op.error
            outcome.update(Text(f"{op.state.value}: {fmt.printable(what)}"))
        else:
            outcome.update(Text(f"{op.state.value}", style="bold"))
        self.query_one("#said", Static).update(Text(self.said))

    def _say(self, text: str) -> None:
        self.said = text
        self.redraw()

    # -- remedies ----------------------------------------------------------------------------

    def _still_running(self, what: str) -> bool:
        if self.job.op.state.finished:
            self._say(f"it has already ended ({self.job.op.state.value}): nothing to {what}")
            return False
        return True

    def action_abort(self) -> None:
        if self._still_running("abort"):
            self._say("aborting: the VM stays on the source…")
            self._remedy("abort", None)

    def action_bandwidth(self) -> None:
        if not self._still_running("speed up"):
            return
        now = self.job.params.bandwidth_mib_s
        question = Text("New bandwidth limit for ", end="")
        question.append_text(fmt.literal(self.job.op.vm, "bold")).append(" (MiB/s)")

        def answered(value: str | None) -> None:
            if value is not None:
                self._say(f"asking for {value} MiB/s…")
                self._remedy("bandwidth", int(value))

        start = str(now * 4 if now else 1000)
        self.app.push_screen(AskScreen(question, start, check_count(1, None, "MiB/s")), answered)

    def action_postcopy(self) -> None:
        if not self._still_running("switch"):
            return
        job = self.job
        if not job.params.postcopy:
            self._say(
                "post-copy was not allowed when it started: abort (a) and migrate again "
                "with post-copy allowed"
            )
            return
        question = Text("Switch ", end="").append_text(fmt.literal(job.op.vm, "bold"))
        question.append(
            f" to post-copy? It then runs on {fmt.printable(job.dest.key)} while its memory "
            f"follows; if {fmt.printable(job.dest.key)} or the link fails before the copy ends, "
            "the VM is lost.  y/N"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._say("switching to post-copy…")
                self._remedy("postcopy", None)

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(group="migration-remedies", exit_on_error=False)
    async def _remedy(self, what: str, mib_s: int | None) -> None:
        job = self.job
        try:
            if what == "abort":
                await job.abort()
                self._say("abort sent: waiting for libvirt to say where the VM runs")
            elif what == "bandwidth" and mib_s is not None:
                await job.set_bandwidth(mib_s)
                self._say(f"the limit is now {mib_s} MiB/s")
            elif what == "postcopy":
                await job.start_postcopy()
                self._say("post-copy: the VM runs on the destination, its memory follows")
        except Exception as exc:
            self._say(f"{what} failed: {explain(exc)}")
