"""libvirt over a real sshd: `qemu+ssh://` URIs to the harness's sshd, whose far side is this
machine's libvirtd (libvirt runs `virt-ssh-helper` there, installed with libvirt-clients).

Also counts the `ssh` processes libvirt left running under us, and a pty helper that runs a
libvirt open with a real controlling terminal, to see what `ssh` would print on it or read.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import sys
import time
from pathlib import Path

import psutil

from tests.harness.sshd import SshServer


def ssh_uri(sshd: SshServer, known_hosts: Path | None = None, *, port: int | None = None) -> str:
    """`qemu+ssh://USER@127.0.0.1:PORT/system` with the harness's client key; `known_hosts`
    (else the server's right one) is checked by our `ssh` (see virt/ssh_transport.py)."""
    known = known_hosts if known_hosts is not None else sshd.known_hosts_path
    return (
        f"qemu+ssh://{sshd.user}@{sshd.host}:{port or sshd.port}/system"
        f"?keyfile={sshd.key_path}&known_hosts={known}"
    )


def ssh_children() -> list[psutil.Process]:
    """`ssh` processes descended from this process (libvirt's transport children)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.name() == "ssh" and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.Error:
            continue
    return found


OPEN_IN_CHILD = """
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.connection import ConnectError, open_connection
uri, hardened = sys.argv[1], sys.argv[2] == "1"
try:
    if hardened:
        conn = open_connection(uri, readonly=False, calls=CallCounter(), on_close=print)
    else:
        conn = libvirt.open(uri)
    print("RESULT opened", flush=True)
except (ConnectError, libvirt.libvirtError) as exc:
    print("RESULT refused", flush=True)
"""


def open_on_a_terminal(uri: str, *, hardened: bool, typed: bytes, within: float) -> str:
    """Open `uri` in a child process whose controlling terminal is a fresh pty, typing
    `typed` into that terminal every 0.2 s; returns everything the terminal showed."""
    pid, master = pty.fork()
    if pid == 0:  # the child: its stdin/stdout/stderr and /dev/tty are the pty
        os.execv(sys.executable, [sys.executable, "-c", OPEN_IN_CHILD, uri, str(int(hardened))])
    shown = b""
    deadline = time.monotonic() + within
    next_typing = time.monotonic()
    try:
        while time.monotonic() < deadline and b"RESULT" not in shown:
            if time.monotonic() >= next_typing:
                os.write(master, typed)
                next_typing = time.monotonic() + 0.2
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    shown += os.read(master, 4096)
                except OSError:
                    break
    finally:
        _reap(pid)
        os.close(master)
    return shown.decode(errors="replace")


def _reap(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)
    os.waitpid(pid, 0)
