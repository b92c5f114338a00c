"""The console's action keys, built from the one action registry (fleet/registry.py).

Each binding has an id, so the config file's [keys] can remap it; the footer, the action menu
and the help screen read the same registry.
"""

from __future__ import annotations

from textual.binding import Binding

from limen_tui.fleet.registry import ACTIONS, OTHER_KEYS, VM_MENU


def action_bindings() -> list[Binding]:
    bindings = [
        Binding(spec.key, f"vm_action('{spec.id}')", spec.label, show=spec.footer, id=spec.id)
        for spec in ACTIONS.values()
        if spec.key is not None
    ]
    bindings += [
        Binding(c.key, c.method, c.label, show=c.id == "action_menu", id=c.id) for c in OTHER_KEYS
    ]
    return bindings


def menu_entries(keymap: dict[str, str]) -> list[tuple[str, str, str]]:
    """The action menu: (action, label, the key that runs it now) in registry order."""
    return [
        (a, ACTIONS[a].label, keymap.get(a, ACTIONS[a].key or "")) for a in VM_MENU if a in ACTIONS
    ]
