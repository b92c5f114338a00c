"""libvirt's `+ssh` transport, made safe to open from a console. Blocking: call from a worker.

libvirt runs OpenSSH's `ssh` for a `qemu+ssh://` URI. Left to itself that `ssh` may ask
"Are you sure you want to continue connecting (yes/no)?" on the console's terminal, read the
operator's keystrokes, and add a key nobody checked; and an open to a frozen host blocks for as
long as the host stays frozen. So every `+ssh` URI is opened:

- with `no_tty=1` and `no_verify=0`, whatever the URI said;
- through `command=`, a small script of ours that runs `ssh` with `BatchMode=yes` and
  `StrictHostKeyChecking=yes` (a `StrictHostKeyChecking no` or `accept-new` in ~/.ssh/config
  cannot win: options on the command line come first), the URI's `known_hosts=` (libvirt
  honours it only for libssh; we give it the same meaning here) as `UserKnownHostsFile`, and
  `ConnectTimeout` / `ServerAlive*` from the console's settings. Those bound the open from inside
  the transport: a silent or frozen host makes `ssh` exit, so libvirt's open returns with an
  error instead of being abandoned in its thread.

A key refusal is read out of OpenSSH's words into a `KeyRefusal`: the host, the known_hosts
file, the offered fingerprint (from `ssh-keyscan` when OpenSSH's message lacks it); the fleet
turns it into the same sentence the console's own SSH link uses.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import contextlib
import hashlib
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_lock = threading.Lock()
_script_dir: Path | None = None
_scripts: dict[str, Path] = {}

FORCED = {"no_tty": "1", "no_verify": "0"}
"""URI options every `+ssh` open carries, whatever the URI said."""


@dataclass(frozen=True, slots=True)
class SshBounds:
    """How long `ssh` may wait: for TCP and the SSH handshake, then for a silent server."""

    connect_timeout: float = 15.0
    alive_interval: int = 5
    alive_count: int = 3


@dataclass(frozen=True, slots=True)
class SshDestination:
    host: str
    port: int
    user: str | None
    known_hosts: Path | None
    """The URI's known_hosts= (None: OpenSSH's own, ~/.ssh/known_hosts unless configured)."""


def is_ssh_uri(uri: str) -> bool:
    return urlsplit(uri).scheme.endswith("+ssh")


def destination(uri: str, known_hosts: Path | None = None) -> SshDestination:
    """Where `uri` goes; `known_hosts` is the file to use when the URI names none."""
    parts = urlsplit(uri)
    params = dict(parse_qsl(parts.query))
    known = params.get("known_hosts") or (str(known_hosts) if known_hosts else None)
    return SshDestination(
        parts.hostname or "localhost",
        parts.port or 22,
        parts.username,
        Path(known).expanduser() if known else None,
    )


def _script(bounds: SshBounds, known_hosts: Path | None) -> Path:
    """The `command=` script for these options, written once per process (mode 0700, in a
    folder only we can write: libvirt executes it)."""
    global _script_dir
    ssh = shutil.which("ssh") or "ssh"
    options = [
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        "UpdateHostKeys=no",
        f"ConnectTimeout={max(1, round(bounds.connect_timeout))}",
        f"ServerAliveInterval={max(1, bounds.alive_interval)}",
        f"ServerAliveCountMax={max(1, bounds.alive_count)}",
    ]
    if known_hosts is not None:
        options.append(f"UserKnownHostsFile={known_hosts}")
    argv = [ssh, *(arg for o in options for arg in ("-o", o))]
    line = " ".join(shlex.quote(a) for a in argv)
    with _lock:
        if line in _scripts:
            return _scripts[line]
        if _script_dir is None:
            _script_dir = Path(tempfile.mkdtemp(prefix="limen-ssh-"))
            atexit.register(shutil.rmtree, _script_dir, True)
        path = _script_dir / f"ssh-{len(_scripts)}"
        path.write_text(f'#!/bin/sh\nexec {line} "$@"\n')
        path.chmod(0o700)
        _scripts[line] = path
        return path


def hardened_uri(uri: str, bounds: SshBounds, known_hosts: Path | None = None) -> str:
    """`uri` as it is opened: no prompt, keys verified (against the URI's known_hosts=, else
    `known_hosts`, else OpenSSH's), the open bounded. Other URIs as they are."""
    if not is_ssh_uri(uri):
        return uri
    parts = urlsplit(uri)
    params = [(k, v) for k, v in parse_qsl(parts.query) if k not in (*FORCED, "command")]
    script = _script(bounds, destination(uri, known_hosts).known_hosts)
    params += [*FORCED.items(), ("command", str(script))]
    return urlunsplit(parts._replace(query=urlencode(params, safe="/~")))


# -- why a key was refused ------------------------------------------------------------------

_UNKNOWN = re.compile(r"No (\w+) host key is known for")
_CHANGED = "REMOTE HOST IDENTIFICATION HAS CHANGED"
_FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")
_FILE_NAMED = re.compile(r"Offending \w+ key in (\S+?):\d+")


@dataclass(frozen=True, slots=True)
class KeyRefusal:
    host: str
    port: int
    known_hosts: Path
    offered: str
    """SHA256:... of the key the host offered, "" when it could not be had."""
    changed: bool
    """The file has another key for this host (else the host is unknown)."""
    file_exists: bool


def key_refusal(uri: str, message: str, known_hosts: Path | None = None) -> KeyRefusal | None:
    """The host key refusal in libvirt's `message`, or None when it is not one."""
    if "Host key verification failed" not in message and _CHANGED not in message:
        return None
    dest = destination(uri, known_hosts)
    changed = _CHANGED in message
    found = _FINGERPRINT.search(message)
    kind = _UNKNOWN.search(message)
    offered = found.group(0) if found else _scan_fingerprint(dest, kind.group(1) if kind else "")
    named = _FILE_NAMED.search(message)
    known = Path(named.group(1)) if named else dest.known_hosts or _openssh_known_hosts(dest)
    return KeyRefusal(dest.host, dest.port, known, offered, changed, known.is_file())


def ssh_config_of(host: str, port: int) -> dict[str, str]:
    """What OpenSSH would use for `host` (`ssh -G`: ~/.ssh/config applied); {} when it cannot
    say. Blocking."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["ssh", "-G", "-p", str(port), host],
            capture_output=True,
            text=True,
            timeout=5,
            stdin=subprocess.DEVNULL,
            check=False,
        ).stdout
        return dict(line.partition(" ")[::2] for line in out.splitlines())
    return {}


def _openssh_known_hosts(dest: SshDestination) -> Path:
    """The file OpenSSH itself would add the key to."""
    files = ssh_config_of(dest.host, dest.port).get("userknownhostsfile", "").split()
    return Path(files[0] if files else "~/.ssh/known_hosts").expanduser()


def _scan_fingerprint(dest: SshDestination, kind: str) -> str:
    """The SHA256 fingerprint of the key the host offers, or "" when it cannot be had."""
    argv = ["ssh-keyscan", "-T", "3", "-p", str(dest.port)]
    if kind:
        argv += ["-t", kind.lower()]
    try:
        out = subprocess.run(
            [*argv, dest.host],
            capture_output=True,
            text=True,
            timeout=6,
            stdin=subprocess.DEVNULL,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 3 and not line.startswith("#"):
            return fingerprint(fields[2])
    return ""


def fingerprint(blob_b64: str) -> str:
    """OpenSSH's SHA256 fingerprint of a public key blob (base64, as in known_hosts)."""
    try:
        blob = base64.b64decode(blob_b64, validate=True)
    except (ValueError, binascii.Error):
        return ""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"
