"""The [[hosts]], [health] and [ssh] sections; errors name file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from limen_tui.config.hosts import HostsConfig, read_hosts
from limen_tui.config.toml_source import ConfigError, TomlSource
from limen_tui.hosts.thresholds import Limits

FILE = Path("/etc/limen/config.toml")


def load(text: str) -> HostsConfig:
    return read_hosts(TomlSource.parse(text, FILE).root)


def refusal(text: str) -> str:
    """The sentence the operator reads, with the file's path shortened."""
    with pytest.raises(ConfigError) as err:
        load(text)
    return str(err.value).replace(str(FILE), "config.toml")


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


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "[health]\ninterval = 1\nintervall = 3\n",
            "config.toml, line 3: unknown key 'intervall' in [health]; did you mean 'interval'?",
        ),
        (
            "[ssh]\nkeepalive = 3\n",
            "config.toml, line 2: unknown key 'keepalive' in [ssh]; "
            "did you mean 'keepalive_interval'?",
        ),
        (
            '[[hosts]]\nuri = "qemu:///system"\n\n[[hosts]]\nnmae = "b"\nuri = "test:///default"\n',
            "config.toml, line 5: unknown key 'nmae' in [[hosts]]; did you mean 'name'?",
        ),
        (
            '[[hosts]]\nuri = "qemu+ssh://x/system"\nssh = { user = "r", keyfile = "k" }\n',
            "config.toml, line 3: unknown key 'keyfile' in a host's ssh; did you mean 'key'?",
        ),
        (
            "[health]\nmemory = { warn = 70, critical = 90 }\n",
            "config.toml, line 2: unknown key 'critical' in [health.memory]; did you mean 'crit'?",
        ),
    ],
)
def test_an_unknown_key_is_named_with_the_nearest_known_one(text: str, sentence: str) -> None:
    assert refusal(text) == sentence


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "[health]\ninterval = nan\n",
            "config.toml, line 2: interval must be a finite number, not nan",
        ),
        (
            "[health]\ninterval = 0.01\n",
            "config.toml, line 2: interval must be at least 0.2 seconds, not 0.01",
        ),
        (
            "[health]\ntimeout = inf\n",
            "config.toml, line 2: timeout must be a finite number, not inf",
        ),
        (
            "[health]\nhistory = 10000000\n",
            "config.toml, line 2: history must be at most 100000, not 10000000",
        ),
        (
            "[health]\ncpu = { warn = nan }\n",
            "config.toml, line 2: cpu.warn must be a percentage from 1 to 100, not nan",
        ),
        (
            "[ssh]\nkeepalive_interval = 0.001\n",
            "config.toml, line 2: keepalive_interval must be at least 1 second, not 0.001",
        ),
        (
            "[ssh]\nconnect_timeout = -inf\n",
            "config.toml, line 2: connect_timeout must be a finite number, not -inf",
        ),
        (
            '[health]\nalert_after = "5m"\n',
            "config.toml, line 2: alert_after must be a number, not '5m'",
        ),
        (
            '[[hosts]]\nuri = "qemu:///system"\nhealth = "no"\n',
            "config.toml, line 3: health must be true or false, not 'no'",
        ),
    ],
)
def test_a_number_or_flag_of_the_wrong_kind_is_refused(text: str, sentence: str) -> None:
    assert refusal(text) == sentence
