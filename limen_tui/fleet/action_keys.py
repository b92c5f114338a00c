"""The remappable action keys as plain data (the UI builds its bindings from this)."""

from __future__ import annotations

# (binding id, default key, footer label, shown in footer)
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

# (binding id, default key, action method, label)
OTHER_KEYS: list[tuple[str, str, str, str]] = [
    ("mark", "space", "toggle_mark", "Mark"),
    ("mark_all", "asterisk", "mark_shown", "Mark all shown"),
    ("clear_marks", "U", "clear_marks", "Clear marks"),
    ("action_menu", "enter", "action_menu", "Actions"),
    ("snapshots", "x", "snapshots", "Snapshots"),
    ("create_vm", "C", "create_vm", "Create VM"),
    ("clone_vm", "y", "clone_vm", "Clone"),
]

DEFAULT_KEYS: dict[str, str] = {
    **{a: k for a, k, _l, _s in ACTION_KEYS},
    **{b: k for b, k, _m, _l in OTHER_KEYS},
}
BINDING_IDS = frozenset(DEFAULT_KEYS)
