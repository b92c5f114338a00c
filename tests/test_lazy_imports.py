"""A session loads only what it uses: asyncssh (and its cryptography) only for a host over SSH,
a screen's module (and pyte, the serial console's terminal) only once the screen is opened.

Each check runs in a fresh interpreter, so what an earlier test imported cannot hide a module
that the console pulled in at start.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

_CONSOLE = """
import asyncio, sys, time
from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.model import LinkState

async def main():
    app = make_app({uris!r}, Settings(refresh_interval=0.2), demo={demo!r}, health=True,
                   hosts_config={hosts_config})
    async with app.run_test(size=(80, 24)):
        deadline = time.monotonic() + 60
        while not all(h.status.state is LinkState.LIVE for h in app.fleet.hosts.values()):
            assert time.monotonic() < deadline, "no host went live"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # a few ticks, health samples
        {extra}
    print("asyncssh" in sys.modules)

asyncio.run(main())
"""


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


def _console(uris: list[str], *, demo: bool, hosts_config: str = "None", extra: str = "") -> str:
    return _run(
        _CONSOLE.format(uris=uris, demo=demo, hosts_config=hosts_config, extra=extra or "pass")
    )


def test_importing_the_console_does_not_load_asyncssh() -> None:
    code = "import sys\nimport limen_tui.cli.factory\nprint('asyncssh' in sys.modules)"
    assert _run(code) == "False"


def test_the_demo_console_runs_without_asyncssh() -> None:
    from limen_tui.demo import demo_uri

    assert _console([demo_uri()], demo=True) == "False"


@pytest.mark.libvirtd
def test_a_local_qemu_console_with_health_runs_without_asyncssh(libvirtd: str) -> None:
    # No [[hosts]]: health is sampled here with psutil, logs read here; nothing needs SSH.
    assert _console([libvirtd], demo=False) == "False"


def test_list_demo_json_runs_without_asyncssh() -> None:
    code = (
        "import io, sys, contextlib, json\n"
        "from limen_tui.cli.main import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = main(['list', '--demo', '--json'])\n"
        "assert code == 0, code\n"
        "rows = json.loads(out.getvalue())\n"
        "print(len(rows), 'asyncssh' in sys.modules)\n"
    )
    count, loaded = _run(code).split()
    assert int(count) > 0 and loaded == "False"


def test_a_host_over_ssh_loads_asyncssh_and_its_link_works() -> None:
    """The SSH link still runs once asked for: here against a port nobody listens on, so the
    host's SSH state says the connection was refused (the real sshd tests in tests/hosts and
    tests/logs cover the rest)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nobody listens there
    hosts_config = (
        "__import__('limen_tui.config.hosts', fromlist=['x']).HostsConfig(("
        "__import__('limen_tui.config.hosts', fromlist=['x']).HostEntry("
        f"'far', {_demo()!r}, __import__('limen_tui.hosts.ssh_target', fromlist=['x'])"
        f".SshTarget('far', '127.0.0.1', port={port}, user='nobody'), True),))"
    )
    extra = (
        "ssh = app.fleet.hosts['far'].ssh\n"
        "        deadline = time.monotonic() + 30\n"
        "        while ssh.status.state is not LinkState.DOWN:\n"
        "            assert time.monotonic() < deadline\n"
        "            await asyncio.sleep(0.05)\n"
        "        print(json.dumps(ssh.status.reason))"
    )
    code = _CONSOLE.format(
        uris=[_demo()], demo=False, hosts_config=hosts_config, extra=extra
    ).replace("import asyncio, sys, time", "import asyncio, json, sys, time")
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-3000:]
    reason, loaded = out.stdout.strip().splitlines()[-2:]
    assert "refused the connection" in json.loads(reason)
    assert loaded == "True"


def _demo() -> str:
    from limen_tui.demo import demo_uri

    return demo_uri()


NOT_AT_START = (
    "limen_tui.ui.screens.vm_screen",
    "limen_tui.ui.screens.devices",
    "limen_tui.ui.screens.domain_xml",
    "limen_tui.ui.screens.snapshots",
    "limen_tui.ui.screens.serial_console",
    "limen_tui.ui.screens.pools",
    "limen_tui.ui.screens.volumes",
    "limen_tui.ui.screens.networks",
    "limen_tui.ui.screens.hosts",
    "limen_tui.ui.screens.diagnostics",
    "limen_tui.ui.screens.migrate_dialog",
    "limen_tui.ui.screens.migration_view",
    "limen_tui.ui.screens.evacuate",
    "limen_tui.ui.screens.create_vm",
    "pyte",
)


def test_the_console_starts_without_the_screens_it_has_not_opened() -> None:
    # Each of these modules cost the first frame its import (about 60 ms of 190 of ours);
    # a screen still opens once asked for: here the VM screen, with its tabs.
    extra = (
        "import json\n"
        f"        names = {NOT_AT_START!r}\n"
        "        print(json.dumps([m for m in names if m in sys.modules]))\n"
        "        await pilot.press('f')\n"
        "        deadline = time.monotonic() + 20\n"
        "        while type(app.screen).__name__ != 'VmScreen':\n"
        "            assert time.monotonic() < deadline, type(app.screen).__name__\n"
        "            await asyncio.sleep(0.05)\n"
        "        print(json.dumps([m for m in names if m in sys.modules]))"
    )
    code = _CONSOLE.format(uris=[_demo()], demo=True, hosts_config="None", extra=extra).replace(
        "run_test(size=(80, 24)):", "run_test(size=(80, 24)) as pilot:"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-3000:]
    at_start, after = (json.loads(line) for line in out.stdout.strip().splitlines()[-3:-1])
    assert at_start == []
    assert "limen_tui.ui.screens.vm_screen" in after
