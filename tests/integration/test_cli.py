"""`limen-tui` as a script user meets it: run as a process, output read back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from limen_tui import __version__
from tests.conftest import MakeVm


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "limen_tui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_version_and_help() -> None:
    assert run("--version").stdout.strip() == f"limen-tui {__version__}"
    out = run("--help")
    assert out.returncode == 0 and "--demo" in out.stdout and "--connect" in out.stdout


def test_list_demo_json_has_every_domain_and_says_which_figures_are_made_up() -> None:
    out = run("list", "--demo", "--json", "--interval", "0.2")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert len(rows) >= 40
    assert {"running", "paused", "shut off"} <= {r["state"] for r in rows}
    figures = (
        "cpu_pct",
        "mem_used_kib",
        "disk_rd_bps",
        "disk_wr_iops",
        "net_rx_bps",
        "steal_pct",
        "disk_latency_ms",
        "net_pps",
        "net_drops_ps",
    )
    for r in rows:
        # The test driver reports no counters: every figure present is the demo's, and says so.
        shown = [f for f in figures if r[f] is not None]
        if shown:
            assert r["made_up"] is True and set(shown) <= set(r["made_up_fields"]), r
        else:
            assert r["made_up"] is False and "made_up_fields" not in r, r
    running = next(r for r in rows if r["state"] == "running")
    assert running["vcpus"] >= 1 and running["made_up"] is True
    assert running["mem_current_kib"] is None  # not made up: the driver does not say
    off = next(r for r in rows if r["state"] == "shut off")
    assert off["cpu_pct"] is None and off["made_up"] is False
    assert "made up by the demo" in out.stderr and "not measured" in out.stderr


def test_list_demo_table_prints_names_literally() -> None:
    out = run("list", "--demo", "--interval", "0")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].split()[:3] == ["NAME", "STATE", "VCPU"]
    assert "lab-[bold]not-markup[reverse]" in out.stdout


@pytest.mark.parametrize(
    "uri, words",
    [
        ("bogus:///nowhere", "no connection driver"),
        ("qemu+tcp://127.0.0.1:1/system", "127.0.0.1"),
    ],
)
def test_unreachable_uri_says_which_and_why_and_suggests_demo(uri: str, words: str) -> None:
    for args in (["--connect", uri, "--timeout", "10"], ["list", "--connect", uri]):
        out = run(*args)
        assert out.returncode == 2
        assert uri in out.stderr and words in out.stderr
        assert "limen-tui --demo" in out.stderr
        assert "Traceback" not in out.stderr


def test_list_on_real_qemu_measures_a_running_vm(libvirtd: str, vm_factory: MakeVm) -> None:
    name = vm_factory("listed", start=True)
    out = run("list", "--connect", libvirtd, "--json", "--interval", "1")
    assert out.returncode == 0, out.stderr
    row = next(r for r in json.loads(out.stdout) if r["name"] == name)
    assert row["state"] == "running"
    assert row["cpu_pct"] is not None and row["mem_used_kib"] > 0
    assert row["made_up"] is False and "made_up_fields" not in row  # measured, never invented
    assert "made up" not in out.stderr


def test_bad_config_file_is_refused_with_file_and_line(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    path = tmp_path / "config.toml"
    path.write_text("[console]\nrefresh_intervall = 3\n")
    out = run("--demo", "--config", str(path))
    assert out.returncode == 2
    assert f"{path}, line 2" in out.stderr and "refresh_intervall" in out.stderr
    assert "Traceback" not in out.stderr


def test_audit_command_prints_what_the_console_did(libvirtd: str, vm_factory: MakeVm) -> None:
    import asyncio

    from limen_tui.config.settings import Settings
    from limen_tui.fleet.fleet import Fleet
    from limen_tui.fleet.operations import audit_to
    from limen_tui.model import LinkState
    from limen_tui.store.audit import AuditLog
    from tests.ui.helpers import wait_for

    name = vm_factory("audited")

    async def act() -> None:
        fleet = Fleet(
            [libvirtd], lambda _u: None, Settings(refresh_interval=0.3), audit=audit_to(AuditLog())
        )
        fleet.start()
        session = fleet.hosts[libvirtd]
        try:
            await wait_for(lambda: any(r.name == name for r in session.rows.values()), 30)
            assert session.status.state is LinkState.LIVE
            row = next(r for r in session.rows.values() if r.name == name)
            await fleet.perform([row], "start")
            await fleet.perform([row], "force_off")
        finally:
            await fleet.stop()

    asyncio.run(act())
    out = run("audit", "--json", "--since", "10m")
    assert out.returncode == 0, out.stderr
    mine = [r for r in json.loads(out.stdout) if r["vm"] == name]
    assert [(r["action"], r["outcome"]) for r in mine] == [
        ("start", "succeeded"),
        ("force_off", "succeeded"),
    ]
    assert all(r["user"] and r["host"] == libvirtd and r["duration_s"] >= 0 for r in mine)
    table = run("audit")
    assert name in table.stdout and "force_off" in table.stdout
    bad = run("audit", "--since", "yesterday-ish")
    assert bad.returncode == 2 and "not a time" in bad.stderr


def test_cache_stats_and_clear_commands() -> None:
    from limen_tui.store.cache import Cache

    with Cache() as cache:  # the test's private XDG cache folder, as the command will use
        cache.put("host_facts", "qemu:///system", "", {"cpus": 2})
        assert cache.get("host_facts", "qemu:///system") is not None
    stats = run("cache", "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["entries"] == 1 and data["hits"] >= 1 and data["enabled"]
    cleared = run("cache", "clear")
    assert cleared.returncode == 0 and "removed 1 entries" in cleared.stdout
    assert json.loads(run("cache", "stats", "--json").stdout)["entries"] == 0


def test_health_command_reports_every_host_and_which_is_down(sshd: object, tmp_path: Path) -> None:
    from tests.harness.sshd import SshServer, free_port

    assert isinstance(sshd, SshServer)
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[ssh]
config = ""
connect_timeout = 3

[[hosts]]
name = "here"
uri = "qemu:///system"

[[hosts]]
name = "over-ssh"
uri = "qemu+ssh://{sshd.user}@127.0.0.2/system"
[hosts.ssh]
host = "{sshd.host}"
port = {sshd.port}
user = "{sshd.user}"
key = "{sshd.key_path}"
known_hosts = "{sshd.known_hosts_path}"

[[hosts]]
name = "nobody-home"
uri = "qemu+ssh://root@127.0.0.3/system"
[hosts.ssh]
host = "127.0.0.1"
port = {free_port()}
key = "{sshd.key_path}"
known_hosts = "{sshd.known_hosts_path}"
"""
    )
    out = run("health", "--json", "--config", str(config), "--interval", "0.5")
    assert out.returncode == 1, out.stderr  # one host is down
    hosts = {h["host"]: h for h in json.loads(out.stdout)["hosts"]}
    assert hosts["here"]["state"] == "live" and hosts["here"]["sample"]["mem_pct"] > 0
    assert hosts["over-ssh"]["state"] == "live"
    assert hosts["over-ssh"]["sample"]["cpu_pct"] is not None
    assert hosts["nobody-home"]["state"] == "down" and hosts["nobody-home"]["reason"]
    table = run("health", "--config", str(config), "--interval", "0.5")
    assert "nobody-home: down:" in table.stdout and "here: " in table.stdout
