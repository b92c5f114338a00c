"""The words of every confirmation: what will change, on which VMs, on which hosts.

One rule: nothing that changes more than one VM, and nothing destructive, runs without a
question that names what will change. The default answer is always No.
"""

from __future__ import annotations

from rich.text import Text

from limen_tui.fleet.registry import ACTIONS
from limen_tui.model import DomainRow
from limen_tui.ui import text as fmt

FIRST_NAMES = 3
"""How many VM names a bulk question lists before "..."."""


def who(targets: list[DomainRow]) -> Text:
    if len(targets) == 1:
        return fmt.literal(targets[0].name, "bold")
    return Text(f"{len(targets)} marked VMs", style="bold")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def names_and_hosts(targets: list[DomainRow]) -> Text:
    """ "48 VMs on 2 hosts: app-01, app-02, app-03, ..." (names shown literally)."""
    hosts = sorted({r.host for r in targets})
    text = Text(f"{_plural(len(targets), 'VM')} on {_plural(len(hosts), 'host')}", style="bold")
    if len(hosts) <= FIRST_NAMES:
        text.append(" (")
        text.append_text(fmt.literal(", ".join(hosts)))
        text.append(")")
    text.append(": ")
    names = [r.name for r in targets[:FIRST_NAMES]]
    text.append_text(fmt.literal(", ".join(names), "bold"))
    if len(targets) > FIRST_NAMES:
        text.append(", ...")
    return text


def action_question(action: str, targets: list[DomainRow], detail: str = "") -> Text:
    """The question before `action` runs on `targets` (one destructive, or several VMs)."""
    spec = ACTIONS[action]
    question = Text(f"{spec.label} ", end="")
    question.append_text(
        names_and_hosts(targets) if len(targets) > 1 else fmt.literal(targets[0].name, "bold")
    )
    if detail:
        question.append(f" ({detail})")
    question.append("?")
    if spec.destructive:
        question.append(" The guest gets no chance to save its work.")
    question.append("  y/N", style="bold")
    return question


def needs_question(action: str, targets: list[DomainRow]) -> bool:
    """More than one VM, or anything destructive, is asked about first."""
    return len(targets) > 1 or ACTIONS[action].destructive


def next_step_question(vm: str, error: str, next_action: str) -> Text:
    """After an outcome that was not confirmed: offer the next step, by name."""
    question = fmt.literal(vm, "bold")
    question.append(f": {error}. ")
    question.append(f"{ACTIONS[next_action].label} it now?")
    if ACTIONS[next_action].destructive:
        question.append(" The guest gets no chance to save its work.")
    question.append("  y/N", style="bold")
    return question
