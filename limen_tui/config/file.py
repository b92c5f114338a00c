"""The operator's config file, read whole: one reading, every mistake named by file and line.

`load` reads the file once into a `TomlSource` and hands each section to its reader:
[console] and [cache] (settings_section), [keys] (keys_section), [[hosts]], [health]
and [ssh] (hosts). What only the layers above know (the action registry's binding ids,
the main screen's built-in keys, the cache's kinds of data) is handed in by the
command line, so config stays the bottom layer and imports none of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from limen_tui.config.hosts import HostsConfig, read_hosts
from limen_tui.config.keys_section import read_keys
from limen_tui.config.settings import Settings
from limen_tui.config.settings_section import read_settings
from limen_tui.config.toml_source import ConfigError, TomlSource
from limen_tui.paths import config_dir

__all__ = ["KNOWN_SECTIONS", "ConfigError", "FileConfig", "default_path", "load", "parse"]

KNOWN_SECTIONS = ("console", "keys", "cache", "hosts", "health", "ssh")
_HOST_SECTIONS = ("hosts", "health", "ssh")


@dataclass(frozen=True, slots=True)
class FileConfig:
    settings: Settings = field(default_factory=Settings)
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id (start, shutdown, delete, ...) -> key(s), for App.set_keymap."""
    path: Path | None = None
    hosts: HostsConfig | None = None
    """[[hosts]], [health] and [ssh]; None when the file has none of them."""


def default_path() -> Path:
    return config_dir() / "config.toml"


def load(
    path: Path | None,
    *,
    required: bool,
    bindings: Mapping[str, str] | None = None,
    reserved: Mapping[str, str] | None = None,
    cache_kinds: Collection[str] | None = None,
    themes: Collection[str] | None = None,
) -> FileConfig:
    """Read `path` (default: the XDG config file). A missing default file is no error.

    `bindings`: binding id -> default key(s), from the action registry; None checks [keys]
    only for shape. `reserved`: built-in key -> what it does, never given to an action.
    `cache_kinds`: the kinds of cached data a [cache.ttl] may name; None takes any.
    `themes`: the themes [console] theme may name; None takes any name.
    """
    file = path or default_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigError(f"{file}: no such file") from None
        return FileConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read it: {exc}") from exc
    return parse(
        text, file, bindings=bindings, reserved=reserved, cache_kinds=cache_kinds, themes=themes
    )


def parse(
    text: str,
    file: Path,
    *,
    bindings: Mapping[str, str] | None = None,
    reserved: Mapping[str, str] | None = None,
    cache_kinds: Collection[str] | None = None,
    themes: Collection[str] | None = None,
) -> FileConfig:
    """The config in `text`, as if read from `file` (named in every message)."""
    root = TomlSource.parse(text, file).root
    root.check_keys(KNOWN_SECTIONS, noun="section")
    settings = read_settings(root, cache_kinds=cache_kinds, themes=themes)
    keymap = read_keys(root.section("keys"), bindings=bindings, reserved=reserved)
    hosts = read_hosts(root) if any(s in root.values for s in _HOST_SECTIONS) else None
    return FileConfig(settings, keymap, file, hosts)
