"""The [keys] section: the operator's keys for the actions, refused when they would collide.

[keys]
start = "ctrl+o"                # binding id = key name(s), comma-separated
pause = "P,f8"

What the keys may collide with belongs to the layers above: the action registry's
binding ids with their default keys, and the main screen's built-in keys ("q" Quit,
"slash" Filter, ...). Config must not import either, so the command line hands both
in. Without the registry a binding is only checked for its shape (a name -> a key).

A key is kept under the name Textual gives its key press: the terminal sends "?" as
"question_mark", and a keymap that said "?" would never fire, nor be seen to take
Help's key.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from limen_tui.config.toml_source import Section

# Textual's friendlier names for a few characters' Unicode names.
_RENAMED = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}


def key_name(key: str) -> str:
    """The name of the key press a single character makes ("?" -> "question_mark")."""
    if len(key) != 1 or key.isalnum():
        return key
    try:
        name = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
    except ValueError:
        return key
    return _RENAMED.get(name, name)


def read_keys(
    section: Section,
    *,
    bindings: Mapping[str, str] | None = None,
    reserved: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Binding id -> key(s), for App.set_keymap.

    `bindings` is binding id -> default key(s); `reserved` is key -> what it does.
    """
    if bindings is not None:
        section.check_keys(bindings, noun="action")
    keymap: dict[str, str] = {}
    for action, value in section.values.items():
        keys = [part.strip() for part in value.split(",")] if isinstance(value, str) else []
        if not keys or not all(keys):
            raise section.error(action, f'{action} must be a key name such as "o"')
        keys = [key_name(key) for key in keys]
        for key in keys:
            if reserved and key in reserved:
                raise section.error(
                    action, f"[keys] {action} = {value!r}: {key} already means {reserved[key]}"
                )
        keymap[action] = ",".join(keys)
    _refuse_clashes(section, keymap, bindings or {})
    return keymap


def _refuse_clashes(section: Section, keymap: dict[str, str], defaults: Mapping[str, str]) -> None:
    """Two actions on one key: the operator's keys over the defaults of the others."""
    owner: dict[str, str] = {}
    for action, keys in {**defaults, **keymap}.items():
        for key in keys.split(","):
            key = key_name(key.strip())
            other = owner.setdefault(key, action)
            if other == action:
                continue
            # The default named first: the operator's own line is the one to change.
            first, second = sorted((other, action), key=lambda name: name in keymap)
            if first not in keymap:
                first = f"{first} (its default key)"
            raise section.error(
                second, f"key {key!r} is given to both {first} and {second} in [keys]"
            )
