"""The config file's [[hosts]], [health] and [ssh] sections: which hypervisors to watch, and how.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from limen_tui.config.bounds import HEALTH_BOUNDS, PERCENTAGE, PORT, SSH_BOUNDS, check_number
from limen_tui.config.toml_source import Section
from limen_tui.hosts.monitor import HealthSettings
from limen_tui.hosts.ssh_target import SshSettings, SshTarget
from limen_tui.hosts.thresholds import Limits, Thresholds

HOST_KEYS = ("name", "uri", "ssh", "health")
SSH_TARGET_KEYS = ("user", "host", "port", "key", "known_hosts")
SSH_KEYS = (*SSH_BOUNDS, "config")
HEALTH_METRICS = ("memory", "cpu", "disk")
HEALTH_KEYS = (*HEALTH_BOUNDS, *HEALTH_METRICS)
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


def read_hosts(root: Section) -> HostsConfig:
    """The [[hosts]], [health] and [ssh] parts of a config file (others are ignored)."""
    health = _health(root.section("health"))
    ssh = _ssh_settings(root.section("ssh"))
    hosts: list[HostEntry] = []
    seen: dict[str, Section] = {}
    seen_uris: dict[str, str] = {}
    for section in _host_sections(root):
        entry = _host(section)
        if entry.name in seen:
            first = seen[entry.name].line_of("name")
            raise section.error(
                "name", f"host {entry.name!r} is listed twice (first at line {first})"
            )
        if entry.uri in seen_uris:
            raise section.error(
                "uri",
                f"hosts {seen_uris[entry.uri]!r} and {entry.name!r} have the same uri "
                f"{entry.uri!r}: a host is listed twice",
            )
        seen[entry.name], seen_uris[entry.uri] = section, entry.name
        hosts.append(entry)
    return HostsConfig(tuple(hosts), health, ssh)


def _host_sections(root: Section) -> list[Section]:
    items = root.values.get("hosts", [])
    if not isinstance(items, list):
        raise root.error("hosts", "hosts must be [[hosts]] tables")
    sections: list[Section] = []
    for index, item in enumerate(items):
        values = item if isinstance(item, dict) else {}
        section = Section(root.source, ("hosts", index), "[[hosts]]", values)
        if not isinstance(item, dict):
            raise section.error(None, "each host must be a [[hosts]] table")
        sections.append(section)
    return sections


def _host(entry: Section) -> HostEntry:
    entry.check_keys(HOST_KEYS)
    uri = entry.values.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        raise entry.error("uri", "each [[hosts]] needs a uri (a string)")
    uri = uri.strip()
    name = entry.values.get("name", uri)
    if not isinstance(name, str) or not name.strip():
        raise entry.error("name", "name must be a non-empty string")
    enabled = entry.flag("health")
    ssh = entry.section(
        "ssh",
        label="a host's ssh",
        shape='a table such as { user = "root", key = "~/.ssh/id_ed25519" }',
    )
    target = _ssh_target(entry, name.strip(), uri, ssh)
    return HostEntry(name.strip(), uri, target, True if enabled is None else enabled)


def _ssh_target(entry: Section, name: str, uri: str, ssh: Section) -> SshTarget | None:
    ssh.check_keys(SSH_TARGET_KEYS)
    for key, value in ssh.values.items():
        if key == "port":
            if check_number(value, PORT) is not None:
                raise ssh.error("port", "port must be 1 to 65535")
        elif not isinstance(value, str) or not value.strip():
            raise ssh.error(key, f"{key} must be a non-empty string")
    parts = urlsplit(uri)
    transport = parts.scheme.partition("+")[2]
    try:
        uri_port = parts.port
    except ValueError:
        raise entry.error("uri", f"{uri!r} has a bad port") from None
    uri_host = parts.hostname
    values = ssh.values
    if not values and (not uri_host or (transport != "ssh" and uri_host in _LOCAL_NAMES)):
        return None  # a local URI: this machine's own health
    host = values.get("host") or uri_host
    if not host:
        raise entry.error("ssh", f"{name}'s ssh needs a host (its uri names none)")
    return SshTarget(
        name=name,
        host=host,
        port=values.get("port") or (uri_port if transport in ("ssh", "libssh") else None),
        user=values.get("user") or parts.username,
        key=Path(values["key"]) if "key" in values else None,
        known_hosts=Path(values["known_hosts"]) if "known_hosts" in values else None,
    )


def _health(section: Section) -> HealthSettings:
    section.check_keys(HEALTH_KEYS)
    defaults = HealthSettings()
    th = defaults.thresholds
    interval = section.number("interval", HEALTH_BOUNDS["interval"])
    interval = defaults.interval if interval is None else interval
    timeout = section.number("timeout", HEALTH_BOUNDS["timeout"])
    timeout = defaults.timeout if timeout is None else timeout
    alert_after = section.number("alert_after", HEALTH_BOUNDS["alert_after"])
    history = section.count("history", HEALTH_BOUNDS["history"])
    if timeout <= interval:
        raise section.error(
            "timeout",
            f"timeout ({timeout:g}s) must be longer than interval ({interval:g}s), "
            "or every host would look down between two samples",
        )
    limits = {metric: _limits(section, metric, getattr(th, metric)) for metric in HEALTH_METRICS}
    thresholds = Thresholds(
        alert_after_s=th.alert_after_s if alert_after is None else alert_after,
        history=th.history if history is None else history,
        **limits,
    )
    return dataclasses.replace(defaults, interval=interval, timeout=timeout, thresholds=thresholds)


def _limits(health: Section, metric: str, default: Limits) -> Limits:
    if metric not in health.values:
        return default
    section = health.section(metric, shape="a table { warn = N, crit = N } (percent)")
    section.check_keys(("warn", "crit"))
    warn, crit = section.values.get("warn", default.warn), section.values.get("crit", default.crit)
    for key, pct in (("warn", warn), ("crit", crit)):
        if check_number(pct, PERCENTAGE) is not None:
            raise section.error(
                key,
                f"{metric}.{key} must be a percentage from {PERCENTAGE.low:g} "
                f"to {PERCENTAGE.high:g}, not {pct!r}",
            )
    if warn > crit:
        raise section.error(None, f"{metric}.warn ({warn}) is above {metric}.crit ({crit})")
    return Limits(float(warn), float(crit))


def _ssh_settings(section: Section) -> SshSettings:
    section.check_keys(SSH_KEYS)
    changes: dict[str, Any] = {}
    for key, bounds in SSH_BOUNDS.items():
        value = section.count(key, bounds) if bounds.whole else section.number(key, bounds)
        if value is not None:
            changes[key] = value
    if "config" in section.values:
        path = section.values["config"]
        if not isinstance(path, str):
            raise section.error("config", 'config must be a path (or "")')
        changes["ssh_config"] = Path(path) if path.strip() else None
    return dataclasses.replace(SshSettings(), **changes)
