"""Reading the operator's TOML config file; every mistake is named by file, line and key."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from limen_tui.config.settings import Settings
from limen_tui.paths import config_dir

if TYPE_CHECKING:
    from limen_tui.config.hosts import HostsConfig

# [console] keys and the Settings field each sets.
CONSOLE_KEYS: dict[str, type] = {
    "refresh_interval": float,
    "call_timeout": float,
    "connect_timeout": float,
    "shutdown_timeout": float,
    "confirm_timeout": float,
    "bulk_concurrency": int,
    "event_log_lines": int,
    "readonly": bool,
    "audit_retention_days": float,
}
KNOWN_SECTIONS = ("console", "keys", "cache", "hosts", "health", "ssh")
CACHE_KEYS = {"max_mb", "history_retention_s", "ttl"}


class ConfigError(Exception):
    """A config file the console cannot use; the message says where and what."""


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


def _line_of(text: str, key: str, section: str | None = None) -> int | None:
    pattern = re.compile(rf"^\s*(\[\s*{re.escape(key)}\s*\]|\"?{re.escape(key)}\"?\s*=)", re.M)
    start = 0
    if section is not None:
        header = re.search(rf"^\s*\[\s*{re.escape(section)}\s*\]", text, re.M)
        start = header.end() if header else 0
    match = pattern.search(text, start)
    return None if match is None else text.count("\n", 0, match.start()) + 1


def load(path: Path | None, *, required: bool) -> FileConfig:
    """Read `path` (default: the XDG config file). A missing default file is no error."""
    file = path or default_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        if required:
            raise ConfigError(f"{file}: no such file") from None
        return FileConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read it: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: {exc}") from exc  # tomllib names the line and column
    return parse(data, text, file)


def parse(data: dict[str, Any], text: str, file: Path) -> FileConfig:
    def where(key: str, section: str | None = None) -> str:
        line = _line_of(text, key, section)
        return f"{file}, line {line}" if line else str(file)

    for section in data:
        if section not in KNOWN_SECTIONS:
            known = ", ".join(f"[{s}]" for s in KNOWN_SECTIONS)
            raise ConfigError(
                f"{where(section)}: unknown section or key {section!r} (known: {known})"
            )
    console = data.get("console", {})
    keys = data.get("keys", {})
    cache = data.get("cache", {})
    for name, value in (("console", console), ("keys", keys), ("cache", cache)):
        if not isinstance(value, dict):
            raise ConfigError(f"{where(name)}: {name!r} must be a [{name}] table")
    changes: dict[str, Any] = {}
    for key, value in console.items():
        kind = CONSOLE_KEYS.get(key)
        if kind is None:
            raise ConfigError(
                f"{where(key, 'console')}: unknown key {key!r} in [console] "
                f"(known: {', '.join(CONSOLE_KEYS)})"
            )
        ok = (
            isinstance(value, bool)
            if kind is bool
            else (
                isinstance(value, int | float) and not isinstance(value, bool)
                if kind is float
                else isinstance(value, int) and not isinstance(value, bool)
            )
        )
        if not ok:
            raise ConfigError(
                f"{where(key, 'console')}: {key} must be {kind.__name__}, not {value!r}"
            )
        if kind is not bool and value <= 0:
            raise ConfigError(f"{where(key, 'console')}: {key} must be more than 0")
        changes[key] = kind(value)
    changes.update(_cache_section(cache, where))
    from limen_tui.fleet.action_keys import BINDING_IDS  # plain data, no Textual

    keymap: dict[str, str] = {}
    for key, value in keys.items():
        if key not in BINDING_IDS:
            raise ConfigError(
                f"{where(key, 'keys')}: unknown action {key!r} in [keys] "
                f"(known: {', '.join(sorted(BINDING_IDS))})"
            )
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f'{where(key, "keys")}: {key} must be a key name such as "o"')
        keymap[key] = value.strip()
    clash = _clashes(keymap)
    if clash:
        raise ConfigError(f"{file}: {clash}")
    from limen_tui.config.hosts import parse as parse_hosts  # it imports this module

    hosts = parse_hosts(data, text, file) if {"hosts", "health", "ssh"} & set(data) else None
    return FileConfig(dataclasses.replace(Settings(), **changes), keymap, file, hosts)


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _cache_section(cache: dict[str, Any], where: Callable[..., str]) -> dict[str, Any]:
    from limen_tui.store.cache import DEFAULT_TTLS

    changes: dict[str, Any] = {}
    for key, value in cache.items():
        if key not in CACHE_KEYS:
            raise ConfigError(
                f"{where(key, 'cache')}: unknown key {key!r} in [cache] "
                f"(known: {', '.join(sorted(CACHE_KEYS))})"
            )
        if key == "ttl":
            if not isinstance(value, dict):
                raise ConfigError(f"{where(key, 'cache')}: ttl must be a table of seconds")
            for kind, seconds in value.items():
                if kind not in DEFAULT_TTLS:
                    raise ConfigError(
                        f"{where(kind, 'cache.ttl')}: unknown kind {kind!r} "
                        f"(known: {', '.join(sorted(DEFAULT_TTLS))})"
                    )
                if not _positive(seconds):
                    raise ConfigError(f"{where(kind, 'cache.ttl')}: {kind} must be seconds > 0")
            changes["cache_ttls"] = {k: float(v) for k, v in value.items()}
        elif not _positive(value):
            raise ConfigError(f"{where(key, 'cache')}: {key} must be a number more than 0")
        else:
            changes["cache_max_mb" if key == "max_mb" else key] = float(value)
    return changes


def _clashes(keymap: dict[str, str]) -> str | None:
    from limen_tui.fleet.action_keys import DEFAULT_KEYS

    final = {**DEFAULT_KEYS, **keymap}
    seen: dict[str, str] = {}
    for action, keys in final.items():
        for key in keys.split(","):
            other = seen.get(key.strip())
            if other is not None and other != action:
                return f"key {key.strip()!r} is given to both {other} and {action} in [keys]"
            seen[key.strip()] = action
    return None
