"""The config file's hosts, [health] and [ssh] sections; mistakes named by file, line and key.

[health]
interval = 2.0                  # seconds between samples
timeout = 10.0                  # seconds without a sample before a host's health is down
history = 100                   # samples kept per host
alert_after = 300               # seconds a metric stays critical before the alert
memory = { warn = 80, crit = 90 }
cpu = { warn = 85, crit = 95 }
disk = { warn = 90, crit = 95 }

[ssh]
connect_timeout = 10
keepalive_interval = 5
keepalive_count_max = 3
config = "~/.ssh/config"        # "" reads no ssh_config

[[hosts]]
name = "hv1"
uri = "qemu:///system"          # a local URI: health from this machine (psutil)

[[hosts]]
name = "hv2"
uri = "qemu+ssh://root@hv2.example/system"
ssh = { key = "~/.ssh/id_ed25519", known_hosts = "~/.ssh/known_hosts" }
# user, host, port default to the URI's (port only for +ssh URIs), then ~/.ssh/config

[[hosts]]
name = "lab"
uri = "qemu+tls://lab.example/system"
health = false                  # no health for this one
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limen_tui.config.file import ConfigError, _line_of
from limen_tui.hosts.monitor import HealthSettings
from limen_tui.hosts.ssh import SshSettings, SshTarget
from limen_tui.hosts.thresholds import Limits, Thresholds

HOST_KEYS = ("name", "uri", "ssh", "health")
SSH_TARGET_KEYS = ("user", "host", "port", "key", "known_hosts")
SSH_KEYS = ("connect_timeout", "keepalive_interval", "keepalive_count_max", "config")
HEALTH_KEYS = ("interval", "timeout", "history", "alert_after", "memory", "cpu", "disk")
_LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class HostEntry:
    name: str
    uri: str
    ssh: SshTarget | None
    """Where health (and later logs) come from over SSH; None: this machine, or no health."""
    health: bool = True

    @property
    def is_local(self) -> bool:
        return self.ssh is None


@dataclass(frozen=True, slots=True)
class HostsConfig:
    hosts: tuple[HostEntry, ...] = ()
    health: HealthSettings = field(default_factory=HealthSettings)
    ssh: SshSettings = field(default_factory=SshSettings)


class _Where:
    """Turns a key into 'file, line N' for messages."""

    def __init__(self, text: str, file: Path) -> None:
        self.text, self.file = text, file
        self._entries = [m.start() for m in re.finditer(r"^\s*\[\[\s*hosts\s*\]\]", text, re.M)]

    def key(self, key: str, section: str | None = None) -> str:
        line = _line_of(self.text, key, section)
        return f"{self.file}, line {line}" if line else str(self.file)

    def entry(self, index: int, key: str | None = None) -> str:
        """The line of `key` in the index-th [[hosts]] entry (or of the entry itself)."""
        if index >= len(self._entries):
            return self.key("hosts")  # hosts = [ {...} ] written inline
        start = self._entries[index]
        end = self._entries[index + 1] if index + 1 < len(self._entries) else len(self.text)
        offset = start
        if key is not None:
            # At a line's start; else inside an inline table, such as ssh = { port = 0 }.
            name = rf"\"?{re.escape(key)}\"?\s*="
            for pattern in (rf"^\s*{name}", rf"[{{,]\s*{name}"):
                match = re.compile(pattern, re.M).search(self.text, start, end)
                if match:
                    offset = match.start()
                    break
        # `^\s*` may have started on blank lines before the one that matters: skip them.
        while offset < len(self.text) and self.text[offset].isspace():
            offset += 1
        line = self.text.count("\n", 0, offset) + 1
        return f"{self.file}, line {line}"


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse(data: dict[str, Any], text: str, file: Path) -> HostsConfig:
    """The hosts, [health] and [ssh] parts of a parsed config file (others are ignored)."""
    where = _Where(text, file)
    health = _health(data.get("health", {}), where)
    ssh = _ssh_settings(data.get("ssh", {}), where)
    hosts_data = data.get("hosts", [])
    if not isinstance(hosts_data, list):
        raise ConfigError(f"{where.key('hosts')}: hosts must be [[hosts]] tables")
    hosts: list[HostEntry] = []
    seen: dict[str, int] = {}
    seen_uris: dict[str, str] = {}
    for index, item in enumerate(hosts_data):
        entry = _host(item, index, where)
        if entry.name in seen:
            raise ConfigError(
                f"{where.entry(index, 'name')}: host {entry.name!r} is listed twice "
                f"(first at {where.entry(seen[entry.name], 'name').rpartition(', ')[2]})"
            )
        if entry.uri in seen_uris:
            raise ConfigError(
                f"{where.entry(index, 'uri')}: hosts {seen_uris[entry.uri]!r} and "
                f"{entry.name!r} have the same uri {entry.uri!r}: a host is listed twice"
            )
        seen[entry.name], seen_uris[entry.uri] = index, entry.name
        hosts.append(entry)
    return HostsConfig(tuple(hosts), health, ssh)


def _host(item: object, index: int, where: _Where) -> HostEntry:
    if not isinstance(item, dict):
        raise ConfigError(f"{where.entry(index)}: each host must be a [[hosts]] table")
    for key in item:
        if key not in HOST_KEYS:
            raise ConfigError(
                f"{where.entry(index, key)}: unknown key {key!r} in [[hosts]] "
                f"(known: {', '.join(HOST_KEYS)})"
            )
    uri = item.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        raise ConfigError(f"{where.entry(index, 'uri')}: each [[hosts]] needs a uri (a string)")
    uri = uri.strip()
    name = item.get("name", uri)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where.entry(index, 'name')}: name must be a non-empty string")
    enabled = item.get("health", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where.entry(index, 'health')}: health must be true or false")
    ssh = item.get("ssh", {})
    if not isinstance(ssh, dict):
        raise ConfigError(
            f"{where.entry(index, 'ssh')}: ssh must be a table such as "
            f'{{ user = "root", key = "~/.ssh/id_ed25519" }}'
        )
    return HostEntry(name.strip(), uri, _ssh_target(name.strip(), uri, ssh, index, where), enabled)


def _ssh_target(
    name: str, uri: str, ssh: dict[str, Any], index: int, where: _Where
) -> SshTarget | None:
    for key, value in ssh.items():
        if key not in SSH_TARGET_KEYS:
            raise ConfigError(
                f"{where.entry(index, key)}: unknown key {key!r} in a host's ssh "
                f"(known: {', '.join(SSH_TARGET_KEYS)})"
            )
        if key == "port":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
                raise ConfigError(f"{where.entry(index, 'port')}: port must be 1 to 65535")
        elif not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where.entry(index, key)}: {key} must be a non-empty string")
    parts = urlsplit(uri)
    transport = parts.scheme.partition("+")[2]
    try:
        uri_port = parts.port
    except ValueError:
        raise ConfigError(f"{where.entry(index, 'uri')}: {uri!r} has a bad port") from None
    uri_host = parts.hostname
    if not ssh and (not uri_host or (transport != "ssh" and uri_host in _LOCAL_NAMES)):
        return None  # a local URI: this machine's own health
    host = ssh.get("host") or uri_host
    if not host:
        raise ConfigError(
            f"{where.entry(index, 'ssh')}: {name}'s ssh needs a host (its uri names none)"
        )
    return SshTarget(
        name=name,
        host=host,
        port=ssh.get("port") or (uri_port if transport in ("ssh", "libssh") else None),
        user=ssh.get("user") or parts.username,
        key=Path(ssh["key"]) if "key" in ssh else None,
        known_hosts=Path(ssh["known_hosts"]) if "known_hosts" in ssh else None,
    )


def _section(value: object, name: str, known: tuple[str, ...], where: _Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where.key(name)}: {name!r} must be a [{name}] table")
    for key in value:
        if key not in known:
            raise ConfigError(
                f"{where.key(key, name)}: unknown key {key!r} in [{name}] "
                f"(known: {', '.join(known)})"
            )
    return value


def _health(value: object, where: _Where) -> HealthSettings:
    section = _section(value, "health", HEALTH_KEYS, where)
    defaults = HealthSettings()
    th = defaults.thresholds
    for key in ("interval", "timeout", "alert_after"):
        if key in section and (not _number(section[key]) or section[key] <= 0):
            raise ConfigError(f"{where.key(key, 'health')}: {key} must be seconds more than 0")
    history = section.get("history", th.history)
    if not isinstance(history, int) or isinstance(history, bool) or history < 2:
        raise ConfigError(f"{where.key('history', 'health')}: history must be a count of 2 or more")
    interval = float(section.get("interval", defaults.interval))
    timeout = float(section.get("timeout", defaults.timeout))
    if timeout <= interval:
        raise ConfigError(
            f"{where.key('timeout', 'health')}: timeout ({timeout:g}s) must be longer than "
            f"interval ({interval:g}s), or every host would look down between two samples"
        )
    limits = {
        metric: _limits(section.get(metric), getattr(th, metric), metric, where)
        for metric in ("memory", "cpu", "disk")
    }
    thresholds = Thresholds(
        alert_after_s=float(section.get("alert_after", th.alert_after_s)),
        history=history,
        **limits,
    )
    return dataclasses.replace(defaults, interval=interval, timeout=timeout, thresholds=thresholds)


def _limits(value: object, default: Limits, metric: str, where: _Where) -> Limits:
    if value is None:
        return default
    here = where.key(metric, "health")
    if not isinstance(value, dict) or set(value) - {"warn", "crit"}:
        raise ConfigError(f"{here}: {metric} must be a table {{ warn = N, crit = N }} (percent)")
    warn, crit = value.get("warn", default.warn), value.get("crit", default.crit)
    for key, pct in (("warn", warn), ("crit", crit)):
        if not _number(pct) or not 0 < pct <= 100:
            raise ConfigError(f"{here}: {metric}.{key} must be a percentage from 0 to 100")
    if warn > crit:
        raise ConfigError(f"{here}: {metric}.warn ({warn}) is above {metric}.crit ({crit})")
    return Limits(float(warn), float(crit))


def _ssh_settings(value: object, where: _Where) -> SshSettings:
    section = _section(value, "ssh", SSH_KEYS, where)
    changes: dict[str, Any] = {}
    for key in ("connect_timeout", "keepalive_interval"):
        if key in section:
            if not _number(section[key]) or section[key] <= 0:
                raise ConfigError(f"{where.key(key, 'ssh')}: {key} must be seconds more than 0")
            changes[key] = float(section[key])
    if "keepalive_count_max" in section:
        count = section["keepalive_count_max"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ConfigError(
                f"{where.key('keepalive_count_max', 'ssh')}: keepalive_count_max must be 1 or more"
            )
        changes["keepalive_count_max"] = count
    if "config" in section:
        path = section["config"]
        if not isinstance(path, str):
            raise ConfigError(f'{where.key("config", "ssh")}: config must be a path (or "")')
        changes["ssh_config"] = Path(path) if path.strip() else None
    return dataclasses.replace(SshSettings(), **changes)
