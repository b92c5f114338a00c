"""Start-up never waits for a host: two hosts that accept and never answer, in a real terminal.

The old start-up probed each URI in turn before painting (two silent hosts: two connect
timeouts of blank terminal). Now the first frame shows both hosts "connecting" while their
opens are still pending; only when none answered does the console end and say why.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.harness.sshd import SilentListener

SESSION = "limen-test-silent-hosts"


@pytest.fixture
def two_silent() -> Iterator[list[str]]:
    listeners = [SilentListener(), SilentListener()]
    try:
        yield [f"qemu+tcp://127.0.0.1:{s.port}/system" for s in listeners]
    finally:
        for s in listeners:
            s.close()


def _screen() -> str:
    out = subprocess.run(
        ["tmux", "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True, check=False
    )
    return out.stdout


def test_the_first_frame_shows_both_silent_hosts_connecting_long_before_the_timeout(
    two_silent: list[str],
) -> None:
    argv = [sys.executable, "-m", "limen_tui", "--timeout", "60"]
    for uri in two_silent:
        argv += ["-c", uri]
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True, check=False)
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", shlex.join(argv)],
        check=True,
    )
    try:
        deadline = time.monotonic() + 30  # half the connect timeout: the old start-up was blank
        while not all(uri in _screen() for uri in two_silent):
            assert time.monotonic() < deadline, _screen()
            time.sleep(0.05)
        lines = [ln for ln in _screen().splitlines() if any(u in ln for u in two_silent)]
        assert len(lines) == 2 and all("connecting" in ln for ln in lines), lines
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True, check=False)


def test_when_no_host_answers_the_console_ends_and_names_each_and_why(
    two_silent: list[str],
) -> None:
    argv = [sys.executable, "-m", "limen_tui", "--timeout", "2"]
    for uri in two_silent:
        argv += ["-c", uri]
    out = subprocess.run(
        argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False
    )
    assert out.returncode == 2
    for uri in two_silent:
        assert f"cannot connect to {uri}: no answer within 2s" in out.stderr
    assert "limen-tui --demo" in out.stderr and "Traceback" not in out.stderr
