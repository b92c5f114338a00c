"""A real OpenSSH server on 127.0.0.1 for tests: throwaway keys, its own config, no system files.

`SshServer` generates an ed25519 host key and an ed25519 user key with ssh-keygen into a
private folder, writes an authorized_keys for the current user (root on the test machines),
a known_hosts with the right host key and a second one with a WRONG key for the same
address, and runs `/usr/sbin/sshd -D -e -f <cfg>` on a free port. `stop()` kills the
listener and every connection it forked (so clients see the host die); `start()` again, or
`restart()`, brings it back on the same port with the same host key, for reconnect tests.
`freeze()` / `thaw()` SIGSTOP / SIGCONT it and its connections: a host that hangs silently.

Nothing here touches the system sshd, /etc/ssh or ~/.ssh. The only system path used is
/run/sshd, sshd's privilege-separation folder, created if it is missing.

`SilentListener` accepts TCP connections and never says a word (an SSH banner timeout);
`free_port()` gives a port nothing listens on (connection refused).
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

import psutil

from tests.harness.tcp import accept_loop

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = "ssh-keygen"
PRIVSEP_DIR = Path("/run/sshd")
START_TIMEOUT = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (as of now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _keygen(path: Path, comment: str) -> str:
    """Make an ed25519 key pair at `path` / `path`.pub; return the public key line."""
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    return path.with_name(path.name + ".pub").read_text().strip()


def _wait_for_banner(host: str, port: int, timeout: float) -> str | None:
    """None once the server greets with an SSH banner, else the last reason it did not."""
    deadline = time.monotonic() + timeout
    reason = "not tried"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1.0) as sock:
                if sock.recv(64).startswith(b"SSH-"):
                    return None
                reason = "no SSH banner"
        except OSError as exc:
            reason = str(exc)
        time.sleep(0.02)
    return reason


def _wait_dead(procs: list[psutil.Process], timeout: float) -> None:
    """Wait until killed processes are gone; a zombie counts as gone (whoever inherited it
    reaps it in its own time, and it holds no socket)."""
    deadline = time.monotonic() + timeout
    for proc in procs:
        while time.monotonic() < deadline:
            try:
                if proc.status() == psutil.STATUS_ZOMBIE:
                    break
            except psutil.Error:
                break
            time.sleep(0.01)


class SshServer:
    """One throwaway sshd. Attributes are what an SSH client needs to reach it."""

    def __init__(self, base: Path | None = None, *, user: str | None = None) -> None:
        self.dir = Path(base) if base is not None else Path(tempfile.mkdtemp(prefix="limen-sshd-"))
        self._own_dir = base is None
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host = "127.0.0.1"
        self.port = free_port()
        self.user = user or getpass.getuser()
        self.host_key_path = self.dir / "ssh_host_ed25519_key"
        self.key_path = self.dir / "id_ed25519"
        self.known_hosts_path = self.dir / "known_hosts"
        self.wrong_known_hosts_path = self.dir / "known_hosts.wrong"
        self.authorized_keys_path = self.dir / "authorized_keys"
        self.config_path = self.dir / "sshd_config"
        self.log_path = self.dir / "sshd.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

        host_pub = _keygen(self.host_key_path, "limen-test-host")
        user_pub = _keygen(self.key_path, "limen-test-user")
        wrong_pub = _keygen(self.dir / "wrong_host_key", "limen-wrong-host")
        self.key_path.chmod(0o600)
        self.authorized_keys_path.write_text(user_pub + "\n")
        self.known_hosts_path.write_text(f"{self.host_pattern} {self._key_part(host_pub)}\n")
        self.wrong_known_hosts_path.write_text(f"{self.host_pattern} {self._key_part(wrong_pub)}\n")
        self.config_path.write_text(self._config())

    @property
    def host_pattern(self) -> str:
        """How known_hosts names this server (a non-standard port goes in brackets)."""
        return f"[{self.host}]:{self.port}"

    @staticmethod
    def _key_part(pub_line: str) -> str:
        kind, blob = pub_line.split()[:2]
        return f"{kind} {blob}"

    def _config(self) -> str:
        return "\n".join(
            [
                f"Port {self.port}",
                f"ListenAddress {self.host}",
                f"HostKey {self.host_key_path}",
                f"PidFile {self.dir / 'sshd.pid'}",
                f"AuthorizedKeysFile {self.authorized_keys_path}",
                "PermitRootLogin prohibit-password",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "UseDNS no",
                "PrintMotd no",
                "LogLevel VERBOSE",
                "MaxStartups 100",
                "MaxSessions 50",
                "Subsystem sftp internal-sftp",
                "",
            ]
        )

    # -- running -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start sshd (same port, same host key as before) and wait for its banner."""
        if self.running:
            return
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        log = self.log_path.open("ab")
        self._log = log
        self._proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        reason = _wait_for_banner(self.host, self.port, START_TIMEOUT)
        if reason is not None:
            self.stop()
            raise RuntimeError(
                f"sshd on {self.host}:{self.port} did not answer within {START_TIMEOUT}s "
                f"({reason}); its log:\n{self.log_text()}"
            )

    def stop(self) -> None:
        """Kill the listener and every connection it forked: clients see the host die."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # Each connection is a child that calls setsid(), so a process group kill would miss
        # them; walk the children of the process we started instead.
        children: list[psutil.Process] = []
        with contextlib.suppress(psutil.Error):
            children = psutil.Process(proc.pid).children(recursive=True)
            for child in children:
                with contextlib.suppress(psutil.Error):
                    child.kill()
        proc.kill()
        proc.wait(timeout=10)
        _wait_dead(children, timeout=5.0)
        log = self._log
        self._log = None
        if log is not None:
            log.close()

    def freeze(self) -> None:
        """SIGSTOP the listener and every connection: the host hangs without closing
        anything (no FIN, no RST), as a frozen or unplugged machine would. thaw() resumes."""
        self._signal_all(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal_all(signal.SIGCONT)

    def _signal_all(self, sig: signal.Signals) -> None:
        proc = self._proc
        if proc is None:
            return
        with contextlib.suppress(psutil.Error):
            parent = psutil.Process(proc.pid)
            for each in [parent, *parent.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    each.send_signal(sig)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def write_key_copy(self, path: Path, mode: int) -> Path:
        """A copy of the user key at `path` with `mode` (e.g. 0o644 for the permissions test)."""
        shutil.copyfile(self.key_path, path)
        os.chmod(path, mode)
        return path

    def __enter__(self) -> SshServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SilentListener:
    """A TCP listener on 127.0.0.1 that accepts and never speaks: an SSH banner that never
    comes. Threads, not asyncio, so it never shares a loop with the code under test."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host = "127.0.0.1"
        self.port: int = self._listener.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="silent-listener", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        accept_loop(self._listener, self._stop, self._held.append)  # hold it open, say nothing

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in self._held:
            with contextlib.suppress(OSError):
                sock.close()
        self._thread.join(timeout=2)

    def __enter__(self) -> SilentListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
