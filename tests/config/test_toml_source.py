"""Finding a key's line in the operator's TOML, and the one unknown-key check."""

from __future__ import annotations

from pathlib import Path

import pytest

from limen_tui.config.toml_source import ConfigError, TomlSource

FILE = Path("config.toml")

TEXT = """\
# a comment = not a key
[console]
refresh_interval = 2   # seconds

[health]
memory = { warn = 70, crit = 85 }
cpu.warn = 80

[[hosts]]
name = "a"
uri = "qemu:///system"
notes = '''
name = "not a key"
'''

[[hosts]]
name = "b"
[hosts.ssh]
user = "root"

[cache.ttl]
fleet = 60
extra = [
  { name = "x" },
  { name = "y", uri = "z" },
]
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("console",), 2),
        (("console", "refresh_interval"), 3),
        (("console", "call_timeout"), 2),  # absent: its table's line
        (("health", "memory", "crit"), 6),
        (("health", "cpu", "warn"), 7),
        (("hosts", 0), 9),
        (("hosts", 0, "name"), 10),
        (("hosts", 1, "name"), 17),
        (("hosts", 1, "ssh", "user"), 19),
        (("cache",), 21),
        (("cache", "ttl", "fleet"), 22),
        (("cache", "ttl", "extra", 1, "uri"), 25),
    ],
)
def test_a_key_is_found_on_its_line(path: tuple[str | int, ...], line: int) -> None:
    assert TomlSource.parse(TEXT, FILE).line_of(path) == line


def test_nothing_found_names_the_file_alone() -> None:
    source = TomlSource.parse("", FILE)
    assert source.where(("console", "readonly")) == "config.toml"


def test_the_unknown_key_check_suggests_the_nearest_or_lists_the_known() -> None:
    section = TomlSource.parse("[health]\nintervall = 3\nxyz = 1\n", FILE).root.section("health")
    with pytest.raises(ConfigError) as caught:
        section.check_keys(("interval", "timeout"))
    assert str(caught.value) == (
        "config.toml, line 2: unknown key 'intervall' in [health]; did you mean 'interval'?"
    )
    with pytest.raises(ConfigError) as caught:
        section.check_keys(("intervall", "timeout"))
    assert str(caught.value) == (
        "config.toml, line 3: unknown key 'xyz' in [health] (known: intervall, timeout)"
    )


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "[console]\nrefresh_interval = = 2\n",
            "config.toml, line 2: not valid TOML: Invalid value (column 20)",
        ),
        (
            "a = 1\na = 2\n",
            "config.toml, line 2: not valid TOML: Cannot overwrite a value (column 6)",
        ),
        (
            "[console\n",
            "config.toml, line 1: not valid TOML: "
            "Expected ']' at the end of a table declaration (column 9)",
        ),
    ],
)
def test_a_syntax_error_names_the_line(text: str, sentence: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TomlSource.parse(text, FILE)
    assert str(caught.value) == sentence
