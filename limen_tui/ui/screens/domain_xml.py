"""A VM's domain XML: shown highlighted, and edited in $EDITOR as `virsh edit` does.

The edit is checked here (well-formed, same UUID and name), shown as a diff for confirmation,
then defined through the fleet, where libvirt validates it before it replaces anything. An
edit that is refused is kept: `e` opens it again. For a running VM the screen says when its
persistent config differs from what runs ("changes apply at next boot").
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import ClassVar

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Static

from limen_tui.fleet.device_reads import edit_base, live_config
from limen_tui.fleet.errors import explain
from limen_tui.fleet.host import Host
from limen_tui.fleet.operations import OpState
from limen_tui.model import DomainRow
from limen_tui.model.device_params import EditXml
from limen_tui.model.xml_edit import edit_problem, live_vs_config, sha256, unchanged, xml_diff
from limen_tui.ui import text as fmt
from limen_tui.ui.screens.devices import RunChange
from limen_tui.ui.worker_failures import WorkerFailuresToApp

READONLY = "read-only session: nothing can be changed"
SHOWN_DIFFERENCES = 4
"""Lines of the live-versus-config difference shown above the XML."""
NEXT_BOOT = "the persistent config differs from the running VM: changes apply at next boot"
DIFF_STYLES = (("+++", "bold"), ("---", "bold"), ("@@", "cyan"), ("+", "green"), ("-", "red"))


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else vi (as virsh edit chooses)."""
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


def diff_text(lines: list[str]) -> Text:
    """Diff lines coloured by their sign; the host's text stays literal."""
    out = Text(no_wrap=True, end="")
    for line in lines:
        style = next((s for sign, s in DIFF_STYLES if line.startswith(sign)), "")
        out.append(fmt.printable(line) + "\n", style=style)
    return out


class XmlDiffScreen(ModalScreen[bool]):
    """Define this change? The diff, then y/n; Enter says No."""

    AUTO_FOCUS = "#no"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "No"),
        Binding("y", "answer(True)", "Define it"),
    ]
    DEFAULT_CSS = """
    XmlDiffScreen { align: center middle; }
    XmlDiffScreen > Vertical { width: 98%; height: 94%; border: thick $warning;
        background: $surface; padding: 0 1; }
    XmlDiffScreen #diff { height: 1fr; }
    XmlDiffScreen #buttons { height: 3; layout: horizontal; }
    XmlDiffScreen Button { margin-right: 2; }
    """

    def __init__(self, vm: DomainRow, lines: list[str]) -> None:
        super().__init__()
        self.vm, self.lines = vm, lines

    def compose(self) -> ComposeResult:
        question = Text("Define this change to ", style="bold").append_text(
            fmt.literal(self.vm.name, "bold")
        )
        question.append("?")
        if self.vm.state.is_active:
            question.append(" It applies at next boot.", style="yellow")
        changed = sum(1 for ln in self.lines if ln[:1] in "+-" and ln[:3] not in ("+++", "---"))
        question.append(f"  ({changed} line(s) changed)", style="dim")
        with Vertical():
            yield Static(question)
            with VerticalScroll(id="diff"):
                yield Static(diff_text(self.lines), id="diff-text")
            with Vertical(id="buttons"):
                yield Button("Define (y)", variant="warning", id="yes")
                yield Button("No (n, Enter)", variant="primary", id="no")
        yield Footer()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class XmlScreen(WorkerFailuresToApp, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close"),
        Binding("e", "edit", "Edit in $EDITOR"),
        Binding("slash", "search", "Search"),
        Binding("f5,ctrl+r", "reload", "Reload"),
    ]
    AUTO_FOCUS = "#xml-body"
    DEFAULT_CSS = """
    XmlScreen { align: center middle; }
    XmlScreen > Vertical { width: 98%; height: 94%; border: round $accent;
        background: $surface; }
    XmlScreen #xml-status { height: auto; max-height: 6; padding: 0 1; }
    XmlScreen #xml-body { height: 1fr; }
    XmlScreen #xml { width: auto; }
    XmlScreen #xml-search { display: none; }
    XmlScreen #xml-search.visible { display: block; }
    """

    def __init__(self, vm: DomainRow, host: Host, run: RunChange) -> None:
        super().__init__()
        self.vm, self.host, self.run = vm, host, run
        self.base: str | None = None
        self.draft: str | None = None
        """An edit libvirt (or the check here) refused, kept for the next `e`."""
        self.differs: list[str] = []
        self.note = Text("")
        self.term = ""
        self.match = 0
        """Which match of the search term the view is at."""

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text("Domain XML of ").append_text(fmt.literal(self.vm.name))
            yield Static("reading its XML…", id="xml-status")
            with ScrollableContainer(id="xml-body"):
                yield Static(id="xml")
            yield Input(placeholder="search (Enter: next match, Esc: close)", id="xml-search")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit" and self.host.settings.readonly:
            return None  # a read-only session shows the XML and edits nothing
        return True

    def action_reload(self) -> None:
        self._load()

    @work(exclusive=True, group="domain-xml", exit_on_error=False)
    async def _load(self) -> None:
        try:
            self.base = await edit_base(self.host, self.vm.uuid)
            live, config = await live_config(self.host, self.vm.uuid)
        except Exception as exc:
            self._status(Text(f"cannot read its XML: {explain(exc)}", style="red"))
            return
        self.differs = live_vs_config(live, config) if live is not None else []
        self.show()

    def show(self) -> None:
        base = self.base or ""
        text = Syntax(base, "xml", theme="ansi_dark").highlight(base)
        text.no_wrap = True
        found = self._matches(base)
        for start in found:
            text.stylize("black on yellow", start, start + len(self.term))
        self.query_one("#xml", Static).update(text)
        status = Text("the persistent definition (what virsh edit edits) · e edits it · / search")
        if self.term:
            status.append(
                f"\n{len(found)} match(es) for {fmt.printable(self.term)!r}"
                + (f", at {self.match % len(found) + 1}" if found else ""),
                style="bold",
            )
        if self.differs:
            status.append("\n" + NEXT_BOOT, style="yellow")
            shown = [ln for ln in self.differs if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
            lines = diff_text(shown[:SHOWN_DIFFERENCES])
            lines.rstrip()
            status.append("\n").append_text(lines)
            if len(shown) > SHOWN_DIFFERENCES:
                status.append(f"\n… {len(shown) - SHOWN_DIFFERENCES} more", style="dim")
        if self.note.plain:
            status.append("\n").append_text(self.note)
        self._status(status)

    def _status(self, text: Text) -> None:
        self.query_one("#xml-status", Static).update(text)

    # -- search ------------------------------------------------------------------------------

    def _matches(self, base: str) -> list[int]:
        if not self.term:
            return []
        return [m.start() for m in re.finditer(re.escape(self.term), base, re.IGNORECASE)]

    def action_search(self) -> None:
        box = self.query_one("#xml-search", Input)
        box.add_class("visible")
        self.set_focus(box)

    def action_close(self) -> None:
        box = self.query_one("#xml-search", Input)
        if box.has_class("visible"):
            box.remove_class("visible")
            box.value = ""
            self.set_focus(self.query_one("#xml-body"))
        else:
            self.dismiss(None)

    @on(Input.Changed, "#xml-search")
    def _searched(self, event: Input.Changed) -> None:
        self.term, self.match = event.value, 0
        self.show()
        self._scroll_to_match()

    @on(Input.Submitted, "#xml-search")
    def _next_match(self) -> None:
        self.match += 1
        self.show()
        self._scroll_to_match()

    def _scroll_to_match(self) -> None:
        base = self.base or ""
        found = self._matches(base)
        if found:
            line = base.count("\n", 0, found[self.match % len(found)])
            body = self.query_one("#xml-body", ScrollableContainer)
            body.scroll_to(y=max(0, line - 3), animate=False)

    def _say(self, text: str, style: str = "red") -> None:
        self.note = Text(text, style=style)
        self.show()

    # -- editing -----------------------------------------------------------------------------

    def action_edit(self) -> None:
        base = self.base
        if base is None:
            return
        if self.host.settings.readonly:
            self._say(READONLY)
            return
        try:
            edited = self.run_editor(self.draft or base)
        except OSError as exc:
            self._say(f"the editor did not run: {exc}; nothing was changed")
            return
        if edited is None:
            return
        if unchanged(base, edited):
            self.draft = None
            self._say("no change", "")
            return
        problem = edit_problem(base, edited)
        if problem:
            self.draft = edited
            self._say(f"{problem}. Your edit is kept: e opens it again, Esc drops it.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._define(base, edited)
            else:
                self.draft = edited
                self._say("not defined; your edit is kept: e opens it again", "yellow")

        self.app.push_screen(XmlDiffScreen(self.vm, xml_diff(base, edited)), answered)

    def run_editor(self, text: str) -> str | None:
        """The text after the operator's editor ran on it (the console suspended meanwhile,
        as `virsh edit` does); None when the editor failed."""
        fd, name = tempfile.mkstemp(prefix="limen-tui-", suffix=".xml")  # 0600: secrets inside
        path = Path(name)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(text)
            argv = [*editor_command(), str(path)]
            try:
                with self.app.suspend():
                    done = subprocess.run(argv, check=False)
            except SuspendNotSupported:  # no terminal to hand over (tests, textual-web)
                done = subprocess.run(argv, check=False, stdin=subprocess.DEVNULL)
            self.refresh(layout=True)
            if done.returncode != 0:
                self._say(f"the editor exited with status {done.returncode}; nothing was changed")
                return None
            return path.read_text()
        finally:
            with contextlib.suppress(OSError):
                path.unlink()

    def _define(self, base: str, edited: str) -> None:
        self._say("defining…", "")
        self._apply(base, edited)

    @work(group="actions", exit_on_error=False)
    async def _apply(self, base: str, edited: str) -> None:
        op = await self.run("edit_xml", EditXml(edited, sha256(base)))
        if op.state is OpState.SUCCEEDED:
            self.draft = None
            self.note = Text(op.note, style="green")
        else:
            self.draft = edited
            self.note = Text(
                f"{op.state.value}: {op.error}. Your edit is kept: e opens it again.",
                style="red" if op.state is not OpState.NOT_CONFIRMED else "yellow",
            )
        self._load()
