"""The [[hosts]], [health] and [ssh] sections; errors name file, line and key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from limen_tui.config.file import ConfigError
from limen_tui.config.hosts import HostsConfig, parse
from limen_tui.hosts.thresholds import Limits

FILE = Path("/etc/limen/config.toml")


def load(text: str) -> HostsConfig:
    return parse(tomllib.loads(text), text, FILE)


FULL = """\
[console]
refresh_interval = 2.0

[health]
interval = 1.5
timeout = 6
history = 50
alert_after = 120
memory = { warn = 70, crit = 85 }

[ssh]
connect_timeout = 4
keepalive_interval = 2
keepalive_count_max = 5
config = ""

[[hosts]]
name = "here"
uri = "qemu:///system"

[[hosts]]
name = "hv2"
uri = "qemu+ssh://admin@hv2.example:2200/system"
ssh = { key = "~/.ssh/limen", known_hosts = "/etc/limen/known_hosts" }

[[hosts]]
name = "hv3"
uri = "qemu+tls://hv3.example:16514/system"

[[hosts]]
name = "lab"
uri = "test:///default"
health = false
"""


def test_the_full_shape() -> None:
    cfg = load(FULL)
    assert cfg.health.interval == 1.5 and cfg.health.timeout == 6.0
    assert cfg.health.thresholds.history == 50 and cfg.health.thresholds.alert_after_s == 120
    assert cfg.health.thresholds.memory == Limits(70, 85)
    assert cfg.health.thresholds.cpu == Limits(85, 95)  # untouched: the default
    assert cfg.ssh.connect_timeout == 4 and cfg.ssh.keepalive_count_max == 5
    assert cfg.ssh.ssh_config is None
    here, hv2, hv3, lab = cfg.hosts
    assert here.is_local and here.health
    assert hv2.ssh is not None
    assert (hv2.ssh.host, hv2.ssh.port, hv2.ssh.user) == ("hv2.example", 2200, "admin")
    assert hv2.ssh.key == Path("~/.ssh/limen")
    assert hv2.ssh.known_hosts == Path("/etc/limen/known_hosts")
    # A TLS URI's port is libvirt's, not sshd's: left to ~/.ssh/config or 22.
    assert hv3.ssh is not None and (hv3.ssh.host, hv3.ssh.port) == ("hv3.example", None)
    assert not lab.health


def test_nothing_configured_gives_defaults() -> None:
    cfg = load("")
    assert cfg.hosts == () and cfg.health.interval == 2.0 and cfg.health.timeout == 10.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[hosts]]\nname = "a"\nuri = "qemu:///system"\n\n'
            '[[hosts]]\nname = "a"\nuri = "qemu+ssh://b/system"\n',
            "line 6: host 'a' is listed twice (first at line 2)",
        ),
        (
            '[[hosts]]\nname = "a"\nuri = "qemu+ssh://x/system"\n'
            '[[hosts]]\nname = "b"\nuri = "qemu+ssh://x/system"\n',
            "line 6: hosts 'a' and 'b' have the same uri",
        ),
        ('[[hosts]]\nname = "a"\n', "line 1: each [[hosts]] needs a uri"),
        (
            '[[hosts]]\nuri = "qemu:///system"\nport = 22\n',
            "line 3: unknown key 'port' in [[hosts]]",
        ),
        (
            '[[hosts]]\nuri = "qemu+ssh://x/system"\nssh = { port = 0 }\n',
            "line 3: port must be 1 to 65535",
        ),
        (
            '[[hosts]]\nuri = "qemu+ssh://x/system"\n[hosts.ssh]\nuser = "r"\nkeyfile = "k"\n',
            "line 5: unknown key 'keyfile' in a host's ssh",
        ),
        ("[health]\ninterval = 5\ntimeout = 5\n", "line 3: timeout (5s) must be longer than"),
        ("[health]\ncpu = { warn = 96, crit = 95 }\n", "line 2: cpu.warn (96) is above cpu.crit"),
        ("[health]\ndisk = { crit = 120 }\n", "line 2: disk.crit must be a percentage"),
        ("[health]\nhistroy = 5\n", "line 2: unknown key 'histroy' in [health]"),
        ("[ssh]\nkeepalive_count_max = 0\n", "line 2: keepalive_count_max must be 1 or more"),
        ('hosts = "hv1"\n', "line 1: hosts must be [[hosts]] tables"),
    ],
)
def test_mistakes_are_named_by_file_and_line(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(text)
    assert str(err.value).startswith(f"{FILE}, ")
    assert expected in str(err.value)
