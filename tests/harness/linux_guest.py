"""A real Linux guest (see :mod:`tests.harness.guest_image`) with disks, tap NICs and an agent.

Each NIC is an ``<interface type='ethernet'>`` on a tap this harness creates, addresses and
brings up itself, handed to libvirt with ``managed='no'`` (when libvirt addressed the tap,
resume and reboot failed in a trial). Addresses are link-local (169.254.X.Y/30, host .1, guest
.2), picked at random and checked against the host's own, so traffic never leaves this machine
and parallel sessions do not collide. Disks are qcow2 (optionally over a qcow2 backing file) or
raw images in a directory QEMU can read. The serial port is a pty driven by
:class:`~tests.harness.serial_shell.SerialShell`; the agent talks on ``org.qemu.guest_agent.0``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import random
import secrets
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import libvirt

from tests.harness.guest_image import AGENT_CHANNEL, READY_MARKER, GuestBoot, guest_boot
from tests.harness.libvirtd import (
    STATE_DIR,
    TEST_METADATA_NS,
    domain_skeleton,
    ensure_libvirtd,
    remove_domain,
    unique_prefix,
)
from tests.harness.serial_shell import SerialShell

DiskKind = Literal["qcow2", "qcow2-backing", "raw"]
"""``qcow2-backing`` is a qcow2 overlay whose backing file is another qcow2 image."""

GUEST_MEMORY_MIB = 128
"""The cloud kernel hangs silently at 64 MiB and needs at least 80; 128 leaves room."""

BOOT_TIMEOUT = 60.0
TAP_PREFIX = "lmt"
_ALIAS_PREFIX = "limen-test-pid:"


def _run(argv: list[str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed with exit status {proc.returncode}: "
            f"{proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc.stdout


# ----------------------------------------------------------------------------- taps


@dataclass(frozen=True, slots=True)
class Nic:
    """A tap on this host and the guest NIC behind it, each with its address."""

    tap: str
    mac: str
    host_ip: str
    guest_ip: str
    prefix: int = 30


def _used_networks() -> list[ipaddress.IPv4Network]:
    out = _run(["ip", "-o", "-4", "addr", "show"])
    nets = []
    for line in out.splitlines():
        parts = line.split()
        if "inet" in parts:
            nets.append(ipaddress.IPv4Interface(parts[parts.index("inet") + 1]).network)
    return nets


def _free_link_local_net() -> ipaddress.IPv4Network:
    used = _used_networks()
    rng = random.SystemRandom()
    for _ in range(1000):
        third = rng.choice([x for x in range(1, 254) if x != 169])
        net = ipaddress.IPv4Network(f"169.254.{third}.{rng.randrange(0, 256, 4)}/30")
        if not any(net.overlaps(u) for u in used):
            return net
    raise RuntimeError("no free 169.254.0.0/16 /30 network left")


def create_tap() -> Nic:
    """A tap with a unique name, addressed and up; the guest side gets the next address."""
    name = f"{TAP_PREFIX}{secrets.token_hex(4)}"
    net = _free_link_local_net()
    host_ip, guest_ip = (str(h) for h in net.hosts())
    _run(["ip", "tuntap", "add", "dev", name, "mode", "tap"])
    try:
        # The alias names the owner, so a leftover of a dead run can be told from a live tap.
        _run(["ip", "link", "set", "dev", name, "alias", f"{_ALIAS_PREFIX}{os.getpid()}"])
        _run(["ip", "addr", "add", f"{host_ip}/{net.prefixlen}", "dev", name])
        _run(["ip", "link", "set", name, "up"])
    except RuntimeError:
        remove_tap(name)
        raise
    mac = "52:54:00:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))
    return Nic(tap=name, mac=mac, host_ip=host_ip, guest_ip=guest_ip, prefix=net.prefixlen)


def remove_tap(name: str) -> None:
    with contextlib.suppress(RuntimeError):
        _run(["ip", "link", "delete", name])


def sweep_leftover_taps() -> list[str]:
    """Remove this harness's taps whose owning process is gone (a run that was killed)."""
    removed = []
    for dev in Path("/sys/class/net").glob(f"{TAP_PREFIX}*"):
        try:
            alias = (dev / "ifalias").read_text().strip()
        except OSError:
            continue
        if not alias.startswith(_ALIAS_PREFIX):
            continue
        pid = int(alias.removeprefix(_ALIAS_PREFIX))
        if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
            remove_tap(dev.name)
            removed.append(dev.name)
    return removed


# ---------------------------------------------------------------------------- disks


@dataclass(frozen=True, slots=True)
class Disk:
    kind: DiskKind
    target: str
    path: Path
    backing: Path | None = None

    @property
    def format(self) -> str:
        return "raw" if self.kind == "raw" else "qcow2"


def make_disk(directory: Path, kind: DiskKind, target: str, size_mib: int = 64) -> Disk:
    path = directory / f"{target}.{'img' if kind == 'raw' else 'qcow2'}"
    backing = None
    if kind == "raw":
        _run(["qemu-img", "create", "-q", "-f", "raw", str(path), f"{size_mib}M"])
    elif kind == "qcow2":
        _run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), f"{size_mib}M"])
    else:
        backing = directory / f"{target}-base.qcow2"
        _run(["qemu-img", "create", "-q", "-f", "qcow2", str(backing), f"{size_mib}M"])
        overlay = ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(backing), "-F", "qcow2"]
        _run([*overlay, str(path)])
    return Disk(kind=kind, target=target, path=path, backing=backing)


# ---------------------------------------------------------------------------- guest


def guest_domain_xml(
    name: str,
    boot: GuestBoot,
    disks: Sequence[Disk],
    nics: Sequence[Nic],
    *,
    memory_mib: int = GUEST_MEMORY_MIB,
    vcpus: int = 1,
) -> str:
    """TCG, direct kernel boot, virtio disks and NICs, a pty serial port and an agent channel."""
    dom, os_el = domain_skeleton(name, memory_mib, vcpus)
    ET.SubElement(os_el, "kernel").text = str(boot.kernel)
    ET.SubElement(os_el, "initrd").text = str(boot.initrd)
    addresses = ",".join(f"{n.guest_ip}/{n.prefix}@{n.mac}" for n in nics)
    cmdline = f"console=ttyS0 quiet panic=-1 limen.hostname={name[-20:]}"
    if addresses:
        cmdline += f" limen.ip={addresses}"
    ET.SubElement(os_el, "cmdline").text = cmdline

    features = ET.SubElement(dom, "features")
    ET.SubElement(features, "acpi")
    ET.SubElement(features, "apic")
    ET.SubElement(dom, "clock", offset="utc")
    ET.SubElement(dom, "on_poweroff").text = "destroy"
    ET.SubElement(dom, "on_reboot").text = "restart"
    ET.SubElement(dom, "on_crash").text = "destroy"

    devices = ET.SubElement(dom, "devices")
    for disk in disks:
        el = ET.SubElement(devices, "disk", type="file", device="disk")
        ET.SubElement(el, "driver", name="qemu", type=disk.format, cache="none")
        ET.SubElement(el, "source", file=str(disk.path))
        ET.SubElement(el, "target", dev=disk.target, bus="virtio")
    for nic in nics:
        el = ET.SubElement(devices, "interface", type="ethernet")
        ET.SubElement(el, "mac", address=nic.mac)
        ET.SubElement(el, "target", dev=nic.tap, managed="no")
        ET.SubElement(el, "model", type="virtio")
    ser = ET.SubElement(devices, "serial", type="pty")
    ET.SubElement(ser, "target", port="0")
    con = ET.SubElement(devices, "console", type="pty")
    ET.SubElement(con, "target", type="serial", port="0")
    channel = ET.SubElement(devices, "channel", type="unix")
    ET.SubElement(channel, "target", type="virtio", name=AGENT_CHANNEL)
    balloon = ET.SubElement(devices, "memballoon", model="virtio")
    # Guest-reported memory (usable/available) comes only with a stats period.
    ET.SubElement(balloon, "stats", period="1")

    ET.register_namespace("limen", TEST_METADATA_NS)
    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode")


def _serial_pty(dom: libvirt.virDomain) -> str:
    root = ET.fromstring(dom.XMLDesc(0))
    source = root.find("./devices/serial[@type='pty']/source")
    if source is None or not source.get("path"):
        raise RuntimeError(f"{dom.name()} has no pty serial port")
    return str(source.get("path"))


_OWNER_FILE = ".limen-test-owner"


def image_dir() -> Path:
    """A scratch directory under libvirt's images that ``libvirt-qemu`` can traverse.

    It names its owner's pid, so :func:`sweep_leftover_images` can remove it after a kill.
    """
    path = STATE_DIR / "images" / unique_prefix().rstrip("-")
    path.mkdir(mode=0o755, parents=True)
    (path / _OWNER_FILE).write_text(str(os.getpid()))
    return path


def sweep_leftover_images() -> list[Path]:
    """Remove guest image directories whose owning process is gone."""
    removed = []
    for owner in (STATE_DIR / "images").glob(f"*/{_OWNER_FILE}"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(owner.read_text().strip())
            if pid != os.getpid() and not Path(f"/proc/{pid}").exists():
                shutil.rmtree(owner.parent, ignore_errors=True)
                removed.append(owner.parent)
    return removed


class LinuxGuest:
    """A running guest: its domain, its shell on the serial port, its disks and NICs.

    :meth:`start` returns as soon as QEMU runs; :meth:`wait_ready` waits for the shell (so
    several guests can boot at once); :meth:`remove` destroys it and removes its taps and
    images.
    """

    def __init__(self, conn: libvirt.virConnect, name: str, directory: Path) -> None:
        self.conn = conn
        self._uri = conn.getURI()
        self.name = name
        self.directory = directory
        self.disks: list[Disk] = []
        self.nics: list[Nic] = []
        self._shell: SerialShell | None = None
        self._started = 0.0
        self.boot_seconds: float | None = None
        """From ``create()`` to the shell answering with the network and agent set up."""

    @classmethod
    def start(
        cls,
        conn: libvirt.virConnect,
        suffix: str = "linux",
        *,
        disks: Sequence[DiskKind] = ("qcow2",),
        nics: int = 1,
        memory_mib: int = GUEST_MEMORY_MIB,
        vcpus: int = 1,
        boot: GuestBoot | None = None,
    ) -> LinuxGuest:
        boot = boot or guest_boot()
        guest = cls(conn, f"{unique_prefix()}{suffix}", image_dir())
        try:
            for i, kind in enumerate(disks):
                guest.disks.append(make_disk(guest.directory, kind, f"vd{chr(ord('a') + i)}"))
            for _ in range(nics):
                guest.nics.append(create_tap())
            xml = guest_domain_xml(
                guest.name, boot, guest.disks, guest.nics, memory_mib=memory_mib, vcpus=vcpus
            )
            dom = conn.defineXML(xml)
            guest._started = time.monotonic()
            dom.create()
            guest._shell = SerialShell(_serial_pty(dom))
        except BaseException:
            guest.remove()
            raise
        return guest

    @property
    def dom(self) -> libvirt.virDomain:
        """The domain, on a connection opened again if the daemon was restarted meanwhile
        (other test runs on this machine restart it; the guest keeps running)."""
        try:
            return self.conn.lookupByName(self.name)
        except libvirt.libvirtError as exc:
            if exc.get_error_domain() != libvirt.VIR_FROM_RPC:
                raise
        ensure_libvirtd()
        self.conn = libvirt.open(self._uri)
        return self.conn.lookupByName(self.name)

    @property
    def shell(self) -> SerialShell:
        assert self._shell is not None, "the guest is not running"
        return self._shell

    def wait_ready(self, timeout: float = BOOT_TIMEOUT) -> LinuxGuest:
        self.shell.wait_for_shell(timeout)
        # The boot script prints its marker last; it may have gone by before the pty opened.
        self.shell.run(f"until [ -e /run/qemu-ga.pid ]; do sleep 0.1; done; echo {READY_MARKER}")
        self.boot_seconds = time.monotonic() - self._started
        return self

    def remove(self) -> None:
        if self._shell is not None:
            self._shell.close()
            self._shell = None
        try:
            self._remove_domain()
        finally:
            for nic in self.nics:
                remove_tap(nic.tap)
            shutil.rmtree(self.directory, ignore_errors=True)

    def _remove_domain(self) -> None:
        try:
            remove_domain(self.conn, self.name)
        except libvirt.libvirtError:
            # The daemon was restarted under us (another test's doing): a fresh connection.
            ensure_libvirtd()
            conn = libvirt.open(self._uri)
            try:
                remove_domain(conn, self.name)
            finally:
                with contextlib.suppress(libvirt.libvirtError):
                    conn.close()


@contextlib.contextmanager
def linux_guest(conn: libvirt.virConnect, suffix: str = "linux", **kw: Any) -> Iterator[LinuxGuest]:
    """Boot a guest (``LinuxGuest.start`` arguments) and wait for its shell; remove it on exit."""
    guest = LinuxGuest.start(conn, suffix, **kw)
    try:
        yield guest.wait_ready()
    finally:
        guest.remove()


@contextlib.contextmanager
def linux_guests(
    conn: libvirt.virConnect, count: int, suffix: str = "linux", **kw: Any
) -> Iterator[list[LinuxGuest]]:
    """``count`` guests booting at once; yields when every shell answers."""
    guests: list[LinuxGuest] = []
    try:
        for i in range(count):
            guests.append(LinuxGuest.start(conn, f"{suffix}{i}", **kw))
        with ThreadPoolExecutor(max_workers=count) as pool:
            list(pool.map(lambda g: g.wait_ready(), guests))
        yield guests
    finally:
        for guest in guests:
            guest.remove()
