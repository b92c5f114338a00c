"""The console's action keys. Each binding has an id, so the config file's [keys] can remap it."""

from __future__ import annotations

from textual.binding import Binding

# (binding id = action key, default key, footer label, shown in footer)
ACTION_KEYS: list[tuple[str, str, str, bool]] = [
    ("start", "o", "Start", True),
    ("shutdown", "h", "Shutdown", True),
    ("reboot", "r", "Reboot", False),
    ("force_off", "F", "Force off", False),
    ("reset", "R", "Reset", False),
    ("pause", "p", "Pause/resume", True),
    ("managed_save", "m", "Save", False),
    ("autostart", "a", "Autostart", False),
    ("set_vcpus", "v", "vCPUs", False),
    ("set_memory", "M", "Memory", False),
    ("rename", "n", "Rename", False),
    ("delete", "D", "Delete", False),
]

MARK_KEYS: list[tuple[str, str, str, str]] = [
    ("mark", "space", "toggle_mark", "Mark"),
    ("mark_all", "asterisk", "mark_shown", "Mark all shown"),
    ("clear_marks", "U", "clear_marks", "Clear marks"),
]


def action_bindings() -> list[Binding]:
    bindings = [
        Binding(key, f"vm_action('{action}')", label, show=shown, id=action)
        for action, key, label, shown in ACTION_KEYS
    ]
    bindings += [
        Binding(key, method, label, show=False, id=binding_id)
        for binding_id, key, method, label in MARK_KEYS
    ]
    bindings.insert(0, Binding("enter", "action_menu", "Actions", id="action_menu"))
    return bindings
