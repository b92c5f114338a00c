"""The console's action keys. Each binding has an id, so the config file's [keys] can remap it."""

from __future__ import annotations

from textual.binding import Binding

from limen_tui.fleet.action_keys import ACTION_KEYS, OTHER_KEYS


def action_bindings() -> list[Binding]:
    bindings = [
        Binding(key, f"vm_action('{action}')", label, show=shown, id=action)
        for action, key, label, shown in ACTION_KEYS
    ]
    bindings += [
        Binding(key, method, label, show=binding_id == "action_menu", id=binding_id)
        for binding_id, key, method, label in OTHER_KEYS
    ]
    return bindings
