"""The console in a real terminal (tmux), typed at in bursts as a terminal delivers them.

A whole string goes in one `send-keys`: the keys reach the console in one read, the way a
fast typist or a paste does. The audit log (in this test's private XDG state folder) must hold
no action the burst could have started. And a console killed with SIGTERM or SIGHUP gives the
terminal back (the alternate screen is left).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from limen_tui.store.audit import AuditLog

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

ROOT = Path(__file__).resolve().parents[2]


def _tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], capture_output=True, text=True, check=True, timeout=10
    ).stdout


class Pane:
    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, keys: str, *, literal: bool = True) -> None:
        _tmux("send-keys", "-t", self.name, *(["-l"] if literal else []), keys)

    def text(self) -> str:
        return _tmux("capture-pane", "-p", "-t", self.name)

    def until(self, check: Callable[[str], bool], limit: float = 20.0) -> str:
        deadline = time.monotonic() + limit
        while True:
            text = self.text()
            if check(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"screen never matched:\n{text}")
            time.sleep(0.1)

    def pid(self) -> int:
        return int(_tmux("display", "-p", "-t", self.name, "#{pane_pid}").strip())

    def alternate_on(self) -> bool:
        return _tmux("display", "-p", "-t", self.name, "#{alternate_on}").strip() == "1"


@pytest.fixture
def console_in_tmux(request: pytest.FixtureRequest) -> Iterator[Callable[[int, int], Pane]]:
    names: list[str] = []

    def start(width: int, height: int) -> Pane:
        name = f"limen-t-{uuid.uuid4().hex[:8]}"
        env = [
            f"{var}={os.environ[var]}"
            for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")
        ]
        # The shell stays after the console ends, so the pane can be read afterwards.
        # COLUMNS/LINES are dropped: a tmux server inherits the environment of whoever started
        # it (pytest may export them), and the terminal's size must come from the window.
        console = (
            f"env -u COLUMNS -u LINES {' '.join(env)} TERM=xterm-256color "
            f"{sys.executable} -m limen_tui --demo"
        )
        command = f"cd {ROOT} && {console}; echo CONSOLE-ENDED $?; sleep 60"
        # The window gets its size before the console starts in it (a tmux server that is
        # already running may give a new session its own default size first).
        _tmux("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), "sh")
        _tmux("resize-window", "-t", name, "-x", str(width), "-y", str(height))
        _tmux("send-keys", "-t", name, "-l", f"exec sh -c '{command}'")
        _tmux("send-keys", "-t", name, "Enter")
        names.append(name)
        pane = Pane(name)
        pane.until(lambda t: "VMs 48" in t)
        return pane

    yield start
    for name in names:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=10)


def _actions_audited() -> list[tuple[str, str | None, str]]:
    log = AuditLog()
    try:
        return [(r.action, r.vm, r.outcome) for r in log.query()]
    finally:
        log.close()


def test_a_burst_at_80x24_is_filter_text_and_a_bulk_key_asks(
    console_in_tmux: Callable[[int, int], Pane],
) -> None:
    pane = console_in_tmux(80, 24)
    pane.send("/hop")
    # (no VM has "ho" in its name: the count is 0 before the "p", so wait for all three)
    pane.until(lambda t: "VMs 0 of 48" in t and "hop" in t)
    pane.send("Escape", literal=False)
    pane.until(lambda t: "VMs 48 ·" in t)
    pane.send("*h")
    text = pane.until(lambda t: "Shut down 48 VMs on 1 host" in t)
    assert "y/N" in text
    pane.send("Enter", literal=False)  # Enter is No
    pane.until(lambda t: "Shut down 48" not in t)
    pane.send("q")
    pane.until(lambda t: "CONSOLE-ENDED 0" in t)
    assert _actions_audited() == []


def test_a_burst_at_120x40_into_the_command_line_and_a_log_pane(
    console_in_tmux: Callable[[int, int], Pane],
) -> None:
    pane = console_in_tmux(120, 40)
    pane.send(":shutdwn")
    pane.send("Enter", literal=False)
    pane.until(lambda t: "did you mean shutdown" in t)
    pane.send("e/nhop")  # the events pane, then its search: n is not rename there
    pane.until(lambda t: "nhop" in t)
    pane.send("Enter", literal=False)
    pane.send("Escape", literal=False)
    pane.send("t")
    pane.send("q")
    pane.until(lambda t: "CONSOLE-ENDED 0" in t)
    assert _actions_audited() == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_ends_the_console_and_gives_the_terminal_back(
    console_in_tmux: Callable[[int, int], Pane], signum: signal.Signals
) -> None:
    pane = console_in_tmux(80, 24)
    assert pane.alternate_on()
    shell = pane.pid()
    children = subprocess.run(
        ["pgrep", "-P", str(shell)], capture_output=True, text=True, timeout=10
    ).stdout.split()
    console = next(
        int(p) for p in children if "limen_tui" in Path(f"/proc/{p}/cmdline").read_text()
    )
    os.kill(console, signum)
    pane.until(lambda t: f"CONSOLE-ENDED {128 + signum}" in t)
    assert not pane.alternate_on()


def test_an_action_key_after_moves_in_one_burst_acts_on_the_row_moved_to(
    console_in_tmux: Callable[[int, int], Pane],
) -> None:
    # The action keys are the screen's priority bindings, the moves the table's: Textual runs
    # a priority binding the moment it reads the key, while the moves before it still wait in
    # the table's queue, so `p` paused the first row with the cursor on its way to the third.
    pane = console_in_tmux(120, 40)
    pane.send("Down", literal=False)
    pane.until(lambda t: "Name       app-02" in t)  # the table has the focus and moves
    pane.send("Up", literal=False)
    pane.until(lambda t: "Name       app-01" in t)
    _tmux("send-keys", "-t", pane.name, "Down", "Down", "p")
    pane.until(lambda t: "Name       backup" in t)
    deadline = time.monotonic() + 20
    while not (audited := _actions_audited()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [(vm, outcome) for _action, vm, outcome in audited] == [("backup", "succeeded")]
    pane.send("q")
    pane.until(lambda t: "CONSOLE-ENDED 0" in t)
