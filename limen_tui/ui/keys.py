"""The console's keys, built from the one registry (fleet/registry.py).

Each action binding has an id, so the config file's [keys] can remap it; the footer, the action
menu, the help screen, the palette and the command line read the same registry.

Every main-screen binding is a priority binding: it runs the moment the app reads the key, before
the next key of a burst is read. A key that opens an input therefore focuses it before the keys
typed after it arrive, and the screen's `check_action` (main_keys.py) decides, from what has the
focus, whether a key is the screen's at all; when it is not, it goes to the focused widget.
"""

from __future__ import annotations

from textual.binding import Binding

from limen_tui.fleet.registry import ACTIONS, OTHER_KEYS, SCREEN_KEYS, VM_MENU

NAMED = {
    "right_square_bracket": "]",
    "left_square_bracket": "[",
    "question_mark": "?",
    "slash": "/",
    "backslash": "\\",
    "colon": ":",
    "asterisk": "*",
    "space": "Space",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "up": "↑",
    "down": "↓",
    "f5": "F5",
}


def key_label(keys: str) -> str:
    """A key as the operator reads it: "right_square_bracket" -> "]", "ctrl+p" -> "Ctrl+P"."""

    def one(key: str) -> str:
        if key in NAMED:
            return NAMED[key]
        if "+" in key:
            *mods, last = key.split("+")
            return "+".join([*(m.capitalize() for m in mods), one(last).upper()])
        return key

    return " ".join(one(k.strip()) for k in keys.split(",") if k.strip())


def screen_bindings() -> list[Binding]:
    return [
        Binding(
            k.key,
            k.action,
            k.label,
            show=k.show,
            key_display=key_label(k.key),
            tooltip=k.tooltip,
            priority=True,
        )
        for k in SCREEN_KEYS
    ]


def action_bindings() -> list[Binding]:
    bindings = [
        Binding(
            spec.key,
            f"vm_action('{spec.id}')",
            spec.label,
            show=spec.footer,
            id=spec.id,
            key_display=key_label(spec.key),
            priority=True,
        )
        for spec in ACTIONS.values()
        if spec.key is not None
    ]
    bindings += [
        Binding(
            c.key,
            c.method,
            c.label,
            show=c.id == "action_menu",
            id=c.id,
            key_display=key_label(c.key),
            priority=True,
        )
        for c in OTHER_KEYS
    ]
    return bindings


def menu_entries(keymap: dict[str, str]) -> list[tuple[str, str, str]]:
    """The action menu: (action, label, the key that runs it now) in registry order."""
    return [
        (a, ACTIONS[a].label, key_label(keymap.get(a, ACTIONS[a].key or "")))
        for a in VM_MENU
        if a in ACTIONS
    ]
