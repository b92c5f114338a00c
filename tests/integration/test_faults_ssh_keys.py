"""libvirt's `+ssh` transport never asks the terminal about a host key: an unknown or changed
key is refused in one sentence, and every key the operator types reaches the console.

Real parts: the harness's sshd on 127.0.0.1, libvirt's ssh transport (OpenSSH `ssh`, and
`virt-ssh-helper` on the far side), this machine's libvirtd behind it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Input

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.demo import demo_uri
from limen_tui.fleet.host import Host
from limen_tui.model import LinkState
from limen_tui.ui.widgets.host_bar import HostBar
from tests.harness.ssh_libvirt import open_on_a_terminal, ssh_children, ssh_uri
from tests.harness.sshd import SshServer
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd

FAST = Settings(refresh_interval=0.5, connect_timeout=3, reconnect_min=0.2, reconnect_max=0.5)


async def _status_of(uri: str, within: float = 15.0) -> tuple[LinkState, str]:
    host = Host(uri, settings=FAST, key="hv-ssh")
    host.start()
    try:
        await wait_for(lambda: host.status.state is not LinkState.CONNECTING, within)
        return host.status.state, host.status.reason
    finally:
        await host.stop()


async def test_a_trusted_key_connects(libvirtd: str, sshd: SshServer) -> None:
    state, reason = await _status_of(ssh_uri(sshd))
    assert (state, reason) == (LinkState.LIVE, "")


async def test_an_unknown_key_is_refused_in_one_sentence(
    libvirtd: str, sshd: SshServer, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    state, reason = await _status_of(ssh_uri(sshd, known))
    assert state is LinkState.DOWN
    sentence = reason.split("; retrying")[0]
    assert f"host key of hv-ssh ({sshd.host}:{sshd.port}) is unknown" in sentence
    assert str(known) in sentence
    assert f"ssh-keyscan -p {sshd.port} {sshd.host} >> {known}" in sentence
    assert "it offered SHA256:" in sentence
    assert "\n" not in reason and "@@@" not in reason
    assert known.read_text() == "", "a key was added without anyone checking it"


async def test_a_changed_key_is_refused_naming_file_fingerprint_and_fix(
    libvirtd: str, sshd: SshServer
) -> None:
    wrong = sshd.wrong_known_hosts_path
    before = wrong.read_text()
    state, reason = await _status_of(ssh_uri(sshd, wrong))
    assert state is LinkState.DOWN
    assert f"host key of hv-ssh ({sshd.host}:{sshd.port}) does not match the one in {wrong}" in (
        reason
    )
    assert "it offered SHA256:" in reason
    assert f"ssh-keygen -R [{sshd.host}]:{sshd.port} -f {wrong}" in reason
    assert "REMOTE HOST IDENTIFICATION" not in reason and "\n" not in reason
    assert wrong.read_text() == before


async def test_keys_typed_while_an_unknown_host_connects_all_reach_the_filter(
    libvirtd: str, sshd: SshServer, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    uri = ssh_uri(sshd, known)
    app = make_app([demo_uri(), uri], FAST, demo=True)
    typed = "abcdefghijklmnopqrstuvwxyz0123456789"
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.query_one(HostBar)
        await pilot.press("slash")
        for i, char in enumerate(typed):
            await pilot.press(char)
            if i % 6 == 0:
                await asyncio.sleep(0.1)  # across several refused attempts (0.2-0.5 s apart)
        status = bar.statuses.get(uri)
        await wait_for(lambda: (s := bar.statuses.get(uri)) is not None and "unknown" in s.reason)
        assert app.query_one("#filter", Input).value == typed
        status = bar.statuses[uri]
        assert status.state is LinkState.DOWN and "ssh-keyscan" in status.reason
    assert not known.exists() or known.read_text() == ""
    await wait_for(lambda: not ssh_children(), 10)


def test_ssh_never_prompts_on_the_terminal_nor_reads_it(
    libvirtd: str, sshd: SshServer, tmp_path: Path
) -> None:
    """The open runs in a child whose controlling terminal is a pty we type `yes` into: the
    hardened open shows nothing there and adds no key. The plain open, for contrast, prompts
    (that is the finding this guards against; answering `no` keeps it harmless)."""
    known = tmp_path / "known_hosts"
    shown = open_on_a_terminal(ssh_uri(sshd, known), hardened=True, typed=b"yes\n", within=20)
    assert "RESULT refused" in shown
    assert "Are you sure" not in shown and "yes/no" not in shown
    assert not known.exists() or known.read_text() == ""

    plain = f"qemu+ssh://{sshd.user}@{sshd.host}:{sshd.port}/system?keyfile={sshd.key_path}"
    shown = open_on_a_terminal(plain, hardened=False, typed=b"no\n", within=20)
    assert "yes/no" in shown, f"the control case did not prompt: {shown!r}"
