"""Is the host back? A cheap look at its transport while the link waits out its backoff.

A libvirt open is heavy (a process for `+ssh`, a handshake, an RPC) and is retried on a 1-2-4...
schedule, so after a long outage the console came back up to 15 s after the daemon did. A probe
is one socket connect: to the daemon's unix socket for a local URI, to the TCP port of a `+tcp`
or `+tls` host, to the sshd of a `+ssh` host, where it also waits for sshd's banner (a frozen
sshd still completes TCP handshakes from the kernel's backlog; only its banner says it is
back). The test driver and `qemu:///session` have nothing cheap to look at: no probe.

The probe only ends a pause early when it sees the host come back (it failed, then answered);
a host whose transport answers while libvirt does not (sshd up, libvirtd down) keeps its
backoff. Runs on the consumer's loop: asyncio sockets, never a blocking call there.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from limen_tui.virt.ssh_transport import ssh_config_of

RUN_DIR = Path("/run/libvirt")
DEFAULT_PORTS = {"tcp": 16509, "tls": 16514, "ssh": 22, "libssh": 22, "libssh2": 22}
PROBE_EVERY = 0.5
"""Seconds between probes during a pause: live within about this long of the host answering."""


@dataclass(frozen=True, slots=True)
class UnixProbe:
    path: Path


@dataclass(frozen=True, slots=True)
class TcpProbe:
    host: str
    port: int
    banner: bool
    """Wait for sshd's `SSH-` greeting, not only the TCP handshake."""


Probe = UnixProbe | TcpProbe


def _daemon_socket(driver: str, readonly: bool) -> Path:
    """The socket libvirt's client would use for `driver`'s system daemon: the modular
    daemon's (virtqemud-sock) when it runs, else libvirtd's."""
    suffix = "-ro" if readonly else ""
    modular = RUN_DIR / f"virt{driver}d-sock{suffix}"
    return modular if modular.exists() else RUN_DIR / f"libvirt-sock{suffix}"


def probe_for(uri: str, readonly: bool = False) -> Probe | None:
    """What to look at for `uri`, or None when there is nothing cheap to look at."""
    parts = urlsplit(uri)
    driver, _, transport = parts.scheme.partition("+")
    params = dict(parse_qsl(parts.query))
    if driver == "test" and not transport:
        return None  # in-process: never down
    if transport in ("", "unix") and not parts.hostname:
        if "socket" in params:
            return UnixProbe(Path(params["socket"]))
        if driver == "test" or parts.path.rstrip("/") == "/system":
            return UnixProbe(_daemon_socket(driver if driver != "test" else "", readonly))
        return None  # the session daemon: started on demand, nothing to wait for
    if transport in DEFAULT_PORTS and parts.hostname:
        port = parts.port or DEFAULT_PORTS[transport]
        return TcpProbe(parts.hostname, port, banner=transport in ("ssh", "libssh", "libssh2"))
    return None


def resolve_ssh(probe: Probe) -> Probe:
    """The address OpenSSH would really dial (~/.ssh/config's HostName and Port). Blocking."""
    if not isinstance(probe, TcpProbe) or not probe.banner:
        return probe
    seen = ssh_config_of(probe.host, probe.port)
    with contextlib.suppress(ValueError):
        return TcpProbe(seen.get("hostname", probe.host), int(seen.get("port", probe.port)), True)
    return probe


async def answers(probe: Probe, within: float) -> bool:
    """Whether the transport answers within `within` seconds (one connect, then closed)."""
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(within):
            if isinstance(probe, UnixProbe):
                if not probe.path.exists():
                    return False
                _, writer = await asyncio.open_unix_connection(str(probe.path))
                return True
            reader, writer = await asyncio.open_connection(probe.host, probe.port)
            return not probe.banner or await reader.readexactly(4) == b"SSH-"
    except (OSError, TimeoutError, EOFError):
        return False
    finally:
        if writer is not None:
            writer.close()
