"""The [keys] section: a remapped key must not take another action's or a built-in's key."""

from __future__ import annotations

from pathlib import Path

import pytest

from limen_tui.config.file import parse
from limen_tui.config.toml_source import ConfigError

FILE = Path("config.toml")
BINDINGS = {"start": "o", "shutdown": "h", "pause": "p", "mark": "space"}
RESERVED = {"q": "Quit", "slash": "Filter", "question_mark": "Help", "ctrl+p": "Palette"}


def keymap(text: str) -> dict[str, str]:
    return parse(text, FILE, bindings=BINDINGS, reserved=RESERVED).keymap


def refusal(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        keymap(text)
    return str(caught.value)


def test_remapped_keys_are_kept_and_characters_get_their_key_names() -> None:
    assert keymap('[keys]\nstart = "ctrl+o"\npause = "!, P"\n') == {
        "start": "ctrl+o",
        "pause": "exclamation_mark,P",
    }


def test_swapping_two_defaults_is_no_clash() -> None:
    assert keymap('[keys]\nstart = "h"\nshutdown = "o"\n') == {"start": "h", "shutdown": "o"}


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("[keys]\nstart = 'q'\n", "config.toml, line 2: [keys] start = 'q': q already means Quit"),
        (
            "[keys]\npause = 'p'\n\nstart = 'o,/'\n",
            "config.toml, line 4: [keys] start = 'o,/': slash already means Filter",
        ),
        (
            "[keys]\nshutdown = 'ctrl+p'\n",
            "config.toml, line 2: [keys] shutdown = 'ctrl+p': ctrl+p already means Palette",
        ),
    ],
)
def test_a_key_of_a_built_in_binding_is_refused_naming_both(text: str, sentence: str) -> None:
    assert refusal(text) == sentence


def test_two_actions_on_one_key_are_refused() -> None:
    assert refusal("[keys]\nstart = 'x'\npause = 'x'\n") == (
        "config.toml, line 3: key 'x' is given to both start and pause in [keys]"
    )
    assert refusal("[keys]\nstart = 'space'\n") == (
        "config.toml, line 2: key 'space' is given to both mark (its default key) "
        "and start in [keys]"
    )


def test_without_the_registry_keys_are_only_checked_for_shape() -> None:
    config = parse("[keys]\nanything = 'x'\n", FILE)
    assert config.keymap == {"anything": "x"}
    with pytest.raises(ConfigError) as caught:
        parse("[keys]\nanything = ''\n", FILE)
    assert str(caught.value) == 'config.toml, line 2: anything must be a key name such as "o"'
