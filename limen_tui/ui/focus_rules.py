"""Which main-screen keys are live, from what has the focus. Pure: no widgets here.

The rule: a key that acts on VMs acts only on what the operator is looking at, the table,
focused and shown. Typed text never reaches an action: while an input has the focus, no
screen key is live (Esc in the filter box clears it). A log pane's own keys (/ search,
Esc clear) win over the screen's while it has the focus.
"""

from __future__ import annotations

from typing import Literal

Focus = Literal["table", "filter", "input", "log", "other"]
"""What holds the focus: the VM table, the filter box, any other input (command line, a log
pane's search), a log pane, or something else (details, operations, tabs, nothing)."""

ON_THE_TABLE = frozenset(
    {
        "vm_action",
        "toggle_mark",
        "mark_shown",
        "clear_marks",
        "action_menu",
        "vm_screen",
        "snapshots",
        "create_vm",
        "clone_vm",
        "serial_console",
        "viewer",
    }
)
"""Actions on the selected or marked VMs: live only while the table has the focus and shows."""

LOG_PANE_KEYS = frozenset({"filter", "clear_filter"})
"""Screen keys a focused log pane takes for itself (its search and its Esc)."""


def key_is_live(action: str, focus: Focus, *, table_shown: bool) -> bool:
    if focus == "filter":
        return action == "clear_filter"
    if focus == "input":
        return False
    if action in ON_THE_TABLE:
        return focus == "table" and table_shown
    if focus == "log":
        return action not in LOG_PANE_KEYS
    return True
