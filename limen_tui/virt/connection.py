"""Opening a libvirt connection and reading the host's facts. Blocking: call from a worker."""

from __future__ import annotations

import contextlib
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import libvirt

from limen_tui.model import HostFacts
from limen_tui.virt.calls import CallCounter
from limen_tui.virt.ssh_transport import KeyRefusal, SshBounds, hardened_uri, key_refusal

log = logging.getLogger(__name__)

CLOSE_REASONS = {
    0: "connection error",
    1: "end of file from the daemon",
    2: "keepalive timeout",
    3: "closed by client",
}


class ConnectError(Exception):
    """A URI that could not be opened, with libvirt's reason in plain words."""

    def __init__(self, uri: str, reason: str) -> None:
        super().__init__(f"cannot connect to {uri}: {reason}")
        self.uri = uri
        self.reason = reason


class HostKeyRefused(ConnectError):
    """libvirt's `ssh` refused the host's key (unknown or changed); `refusal` says which."""

    def __init__(self, uri: str, refusal: KeyRefusal) -> None:
        what = "changed" if refusal.changed else "unknown"
        super().__init__(uri, f"host key of {refusal.host}:{refusal.port} is {what}")
        self.refusal = refusal


def describe_error(exc: BaseException) -> str:
    """libvirt's message without its internal prefixes, fit for one line on screen."""
    if isinstance(exc, libvirt.libvirtError):
        msg = exc.get_error_message() or str(exc)
    else:
        msg = str(exc) or type(exc).__name__
    return " ".join(msg.split())


def open_connection(
    uri: str,
    *,
    readonly: bool,
    calls: CallCounter,
    on_close: Callable[[str], None],
    keepalive: tuple[int, int] = (5, 3),
    connect_timeout: float = 15.0,
    known_hosts: Path | None = None,
) -> libvirt.virConnect:
    """Open `uri`, turn on keepalive and the close callback. Raises ConnectError (and
    HostKeyRefused). A `+ssh` URI is opened without a prompt and bounded (ssh_transport.py)."""
    opened = hardened_uri(uri, SshBounds(connect_timeout, *keepalive), known_hosts)
    calls.record("open")
    try:
        conn = libvirt.openReadOnly(opened) if readonly else libvirt.open(opened)
    except libvirt.libvirtError as exc:
        message = describe_error(exc)
        refusal = (
            key_refusal(uri, exc.get_error_message() or "", known_hosts) if opened != uri else None
        )
        if refusal is not None:
            raise HostKeyRefused(uri, refusal) from exc
        raise ConnectError(uri, message) from exc
    if conn is None:  # older bindings returned None instead of raising
        raise ConnectError(uri, "libvirt returned no connection")
    calls.record("setKeepAlive")
    try:
        conn.setKeepAlive(*keepalive)
    except libvirt.libvirtError as exc:
        # Local drivers (test:///, qemu:///system without a remote hop) have no keepalive.
        log.debug("%s: keepalive not available: %s", uri, describe_error(exc))

    def closed(_conn: libvirt.virConnect, reason: int, _opaque: object) -> None:
        on_close(CLOSE_REASONS.get(reason, f"closed (reason {reason})"))

    calls.record("registerCloseCallback")
    try:
        conn.registerCloseCallback(closed, None)
    except libvirt.libvirtError as exc:
        log.debug("%s: no close callback: %s", uri, describe_error(exc))
    return conn


def _version(v: int) -> str:
    return f"{v // 1_000_000}.{v // 1000 % 1000}.{v % 1000}"


def _cpu_model(capabilities_xml: str) -> str | None:
    try:
        root = ET.fromstring(capabilities_xml)
    except ET.ParseError:
        return None
    return root.findtext("./host/cpu/model")


def read_facts(conn: libvirt.virConnect, calls: CallCounter) -> HostFacts:
    """Hardware facts, read once per connection; they do not change while it lives."""
    calls.record("getInfo")
    arch, memory_mib, cpus, mhz, nodes, sockets, cores, threads = conn.getInfo()
    calls.record("getHostname")
    hostname = conn.getHostname()
    calls.record("getType")
    hv_type = conn.getType()
    calls.record("getVersion")
    try:
        hv_version = _version(conn.getVersion())
    except libvirt.libvirtError:
        hv_version = "n/a"
    calls.record("getLibVersion")
    lib_version = _version(conn.getLibVersion())
    calls.record("getCapabilities")
    try:
        model = _cpu_model(conn.getCapabilities()) or arch
    except libvirt.libvirtError:
        model = arch
    return HostFacts(
        hostname=hostname,
        hypervisor=hv_type,
        hypervisor_version=hv_version,
        libvirt_version=lib_version,
        cpu_model=model,
        cpus=cpus,
        mhz=mhz,
        memory_kib=memory_mib * 1024,
        numa_nodes=nodes,
        sockets=sockets,
        cores=cores,
        threads=threads,
    )


def close_quietly(conn: libvirt.virConnect) -> None:
    for step in (conn.unregisterCloseCallback, conn.close):
        with contextlib.suppress(libvirt.libvirtError):
            step()
