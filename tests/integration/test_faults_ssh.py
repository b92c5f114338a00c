"""SSH hosts that fail in the ways real ones do, while the console watches another host: frozen
then thawed (the scenario that once crashed the process with SIGSEGV), an sshd that restarts, a
port that accepts and never speaks. Each time: at most one open in flight, no `ssh` left behind,
the other host keeps updating, every key typed reaches the filter.

Two rounds each here; benchmarks/faults.py runs ten and reports the figures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from limen_tui.cli.factory import make_app
from limen_tui.demo import demo_uri
from limen_tui.model import LinkState
from tests.harness.fault_scenarios import (
    FAULT_SETTINGS,
    FaultConsole,
    OpenWatch,
    freeze_and_thaw,
    silent_host,
    sshd_restart,
)
from tests.harness.ssh_libvirt import ssh_children, ssh_uri
from tests.harness.sshd import SilentListener, SshServer
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd


@pytest.fixture
async def opens() -> AsyncIterator[OpenWatch]:
    with OpenWatch().installed() as watch:
        yield watch
    await wait_for(lambda: not ssh_children(), 15)  # nothing of any attempt outlives it


async def test_a_frozen_host_thawed_twice_no_crash_one_open_no_leftover_ssh(
    libvirtd: str, sshd: SshServer, opens: OpenWatch
) -> None:
    uri = ssh_uri(sshd)
    app = make_app([demo_uri(), uri], FAULT_SETTINGS, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        console = FaultConsole(app, pilot, uri, "demo")
        for _ in range(2):
            # frozen 5 s: longer than the connect timeout (2 s), several retry periods
            result = await freeze_and_thaw(console, sshd, frozen_s=5)
            assert result.back_s is not None and result.back_s < 10
            assert result.keys_lost == 0 and result.key_ms
            assert result.other_ticks >= 4, "the other host stopped updating"
            assert result.most_ssh <= 1
            assert console.state("demo") is LinkState.LIVE
    assert opens.most == 1
    assert opens.opened[uri] >= 4, "the frozen host was not retried"


async def test_an_sshd_that_restarts_is_followed(
    libvirtd: str, sshd: SshServer, opens: OpenWatch
) -> None:
    uri = ssh_uri(sshd)
    app = make_app([demo_uri(), uri], FAULT_SETTINGS, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        console = FaultConsole(app, pilot, uri, "demo")
        for _ in range(2):
            result = await sshd_restart(console, sshd, down_s=1.5)
            assert result.back_s is not None and result.back_s < 5
            assert result.keys_lost == 0 and result.other_ticks >= 2
            assert result.most_ssh <= 1
    assert opens.most == 1


async def test_a_port_that_accepts_and_never_speaks(
    libvirtd: str, silent_listener: SilentListener, sshd: SshServer, opens: OpenWatch
) -> None:
    uri = ssh_uri(sshd, port=silent_listener.port)
    app = make_app([demo_uri(), uri], FAULT_SETTINGS, demo=True)
    async with app.run_test(size=(100, 30)) as pilot:
        console = FaultConsole(app, pilot, uri, "demo")
        result = await silent_host(console, lasting_s=5)
        # The attempt ends in ssh's own words (first it may be shown slow, on a loaded machine).
        await console.until(lambda: "banner exchange" in console.reason(), 20, "ssh's reason")
        assert result.keys_lost == 0 and result.other_ticks >= 6
        assert result.most_ssh <= 1
    assert opens.most == 1 and opens.opened[uri] >= 2
