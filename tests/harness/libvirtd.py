"""Bring up (and tear down) a real ``libvirtd`` + QEMU/TCG for integration tests.

The test machines (developer containers and CI) have the Debian libvirt and QEMU
packages installed but no init system, so nothing starts the daemons for us.
:func:`ensure_libvirtd` does what the packaging/systemd would normally do: it
creates the runtime directories and the ``libvirt-qemu`` system user, starts
``virtlogd`` and ``libvirtd`` as daemons and waits until ``qemu:///system``
answers.

Guests are ``type='qemu'`` (TCG) so nothing depends on KVM being usable. A
diskless 64 MiB guest that PXE-boots starts in about 0.4 s and SeaBIOS/iPXE
write to its serial console at once, which is all the console needs.

Caveat for container setups: the process that ends up as the daemons' parent
(PID 1 of the PID namespace) must reap orphans. libvirtd kills its QEMU
capability probes and waits for them to vanish; under a PID 1 that never reaps
(e.g. ``python`` run directly as a container's entrypoint) those waits time out
and libvirtd did not answer within 30 s in a trial.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import libvirt

SYSTEM_URI = "qemu:///system"
"""The URI every integration test talks to."""

TEST_PREFIX = "limen-t-"
"""Every domain the harness creates starts with this; leftovers are swept by it."""

LOG_DIR = Path("/var/log/libvirt")
RUN_DIR = Path("/run/libvirt")
STATE_DIR = Path("/var/lib/libvirt")
LIBVIRTD_PIDFILE = Path("/run/libvirtd.pid")
VIRTLOGD_PIDFILE = Path("/run/virtlogd.pid")
VIRTLOGD_SOCKET = RUN_DIR / "virtlogd-sock"
LIBVIRTD_LOG = LOG_DIR / "libvirtd.log"
VIRTLOGD_LOG = LOG_DIR / "virtlogd.log"
LIBVIRTD_STDIO_LOG = LOG_DIR / "libvirtd.stdio.log"
VIRTLOGD_STDIO_LOG = LOG_DIR / "virtlogd.stdio.log"

KVM_DEVICE = Path("/dev/kvm")

QEMU_USER = "libvirt-qemu"
QEMU_GROUP = "libvirt-qemu"
KVM_GROUP = "kvm"

_POLL_INTERVAL = 0.05
_PROBE_TIMEOUT = 5.0

# --------------------------------------------------------------------------- probes


def _probe_once(uri: str) -> str | None:
    """Open ``uri`` and call ``getVersion()``; return ``None`` on success, else the error."""
    try:
        conn = libvirt.open(uri)
    except libvirt.libvirtError as exc:
        return str(exc)
    try:
        conn.getVersion()
    except libvirt.libvirtError as exc:
        return str(exc)
    finally:
        with contextlib.suppress(libvirt.libvirtError):
            conn.close()
    return None


def probe(uri: str = SYSTEM_URI, timeout: float = _PROBE_TIMEOUT) -> str | None:
    """Whether ``uri`` answers: ``None`` if it does, otherwise a reason.

    A wedged daemon can make ``virConnectOpen`` block forever, so the probe runs
    in a daemon thread and gives up after ``timeout`` seconds.
    """
    result: list[str | None] = []

    def run() -> None:
        result.append(_probe_once(uri))

    # libvirt's default error handler prints failed probes to stderr; that is
    # left alone on purpose (the application under test may install its own).
    worker = threading.Thread(target=run, name="libvirtd-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    if not result:
        return f"no answer from {uri} within {timeout:.1f}s"
    return result[0]


def answers(uri: str = SYSTEM_URI) -> bool:
    return probe(uri) is None


# ----------------------------------------------------------------------- processes


def _is_running(pid: int) -> bool:
    """Alive and not a zombie (daemons are reparented to a PID 1 that may not reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # Field 3, after the parenthesised comm which may itself contain spaces.
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _in_our_namespaces(pid: int) -> bool:
    """Whether ``pid`` shares our PID and mount namespaces.

    From the container's root namespace ``pgrep`` also sees daemons that live in
    nested namespaces (another sandboxed test run with its own ``/run``); those
    do not serve our socket and must be neither counted nor killed.
    """
    try:
        return all(
            os.readlink(f"/proc/{pid}/ns/{ns}") == os.readlink(f"/proc/self/ns/{ns}")
            for ns in ("pid", "mnt")
        )
    except OSError:
        return False


def _pids(name: str, pidfile: Path) -> list[int]:
    """Live pids of daemon ``name``: from its pid file, else from ``pgrep -x``."""
    found: list[int] = []
    with contextlib.suppress(OSError, ValueError):
        pid = int(pidfile.read_text().strip())
        if _is_running(pid) and _comm(pid) == name and _in_our_namespaces(pid):
            found.append(pid)
    pgrep = shutil.which("pgrep")
    if pgrep is not None:
        proc = subprocess.run(
            [pgrep, "-x", name], capture_output=True, text=True, check=False, timeout=10
        )
        for line in proc.stdout.split():
            with contextlib.suppress(ValueError):
                pid = int(line)
                if pid not in found and _is_running(pid) and _in_our_namespaces(pid):
                    found.append(pid)
    return found


def libvirtd_pids() -> list[int]:
    return _pids("libvirtd", LIBVIRTD_PIDFILE)


def virtlogd_pids() -> list[int]:
    return _pids("virtlogd", VIRTLOGD_PIDFILE)


def _wait_gone(pids: Iterable[int], timeout: float) -> list[int]:
    """Wait until none of ``pids`` runs; return the ones still alive at the deadline."""
    remaining = list(pids)
    deadline = time.monotonic() + timeout
    while remaining:
        remaining = [pid for pid in remaining if _is_running(pid)]
        if not remaining or time.monotonic() >= deadline:
            break
        time.sleep(_POLL_INTERVAL)
    return remaining


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<cannot read {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:]) or "<empty>"


def _diagnostics() -> str:
    parts = []
    for path in (LIBVIRTD_LOG, LIBVIRTD_STDIO_LOG, VIRTLOGD_LOG, VIRTLOGD_STDIO_LOG):
        if path.exists():
            parts.append(f"--- tail of {path} ---\n{_tail(path)}")
    return "\n".join(parts) or "<no daemon logs found>"


# ----------------------------------------------------------------------- host setup


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed with exit status {proc.returncode}: "
            f"{proc.stderr.strip() or proc.stdout.strip()}"
        )


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _ensure_accounts() -> None:
    """The Debian QEMU driver runs guests as ``libvirt-qemu:libvirt-qemu``.

    Without that account the QEMU driver fails to initialise and
    ``qemu:///system`` never answers.
    """
    for group in (KVM_GROUP, QEMU_GROUP):
        if not _group_exists(group):
            _run(["groupadd", "--system", group])
    if not _user_exists(QEMU_USER):
        _run(
            [
                "useradd",
                "--system",
                "--gid",
                QEMU_GROUP,
                "--groups",
                KVM_GROUP,
                "--home-dir",
                str(STATE_DIR),
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "--comment",
                "Libvirt Qemu",
                QEMU_USER,
            ]
        )
    elif QEMU_USER not in grp.getgrnam(KVM_GROUP).gr_mem:
        _run(["usermod", "--append", "--groups", KVM_GROUP, QEMU_USER])


def _ensure_kvm_access() -> None:
    """Give the ``kvm`` group read/write on ``/dev/kvm``, as udev does on a real host.

    Some containers expose ``/dev/kvm`` as ``root:root 0600``. QEMU's capability
    probe then reports KVM while ``libvirt-qemu`` cannot open the device, so
    libvirtd throws its capabilities cache away on *every* lookup: each
    ``getVersion()`` re-runs QEMU (about 4 s here) and a ``defineXML`` took
    44 s. With the group permission the cache stays valid (getVersion ~10 ms).
    No-op without ``/dev/kvm``, without the ``kvm`` group or when not root.
    """
    if os.geteuid() != 0 or not KVM_DEVICE.exists():
        return
    try:
        kvm_gid = grp.getgrnam(KVM_GROUP).gr_gid
    except KeyError:
        return
    st = KVM_DEVICE.stat()
    if st.st_gid != kvm_gid:
        os.chown(KVM_DEVICE, -1, kvm_gid)
    if st.st_mode & 0o060 != 0o060:
        KVM_DEVICE.chmod((st.st_mode & 0o7777) | 0o060)


def _ensure_dirs() -> None:
    for path in (LOG_DIR, LOG_DIR / "qemu", RUN_DIR, STATE_DIR, STATE_DIR / "images"):
        path.mkdir(mode=0o755, parents=True, exist_ok=True)


def _daemon_env(log_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Level 3 = warnings and errors; enough to see why a daemon would not start.
    env["LIBVIRT_LOG_OUTPUTS"] = f"3:file:{log_file}"
    return env


def _spawn_daemon(argv: list[str], log_file: Path, stdio_log: Path) -> None:
    """Run ``argv`` (which daemonises itself with ``-d``) and check the parent's exit."""
    with stdio_log.open("ab") as out:
        proc = subprocess.run(
            argv,
            env=_daemon_env(log_file),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            check=False,
            timeout=60,
        )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited with status {proc.returncode}\n{_diagnostics()}"
        )


def _ensure_virtlogd(deadline: float) -> None:
    if not virtlogd_pids():
        _spawn_daemon(["virtlogd", "-d"], VIRTLOGD_LOG, VIRTLOGD_STDIO_LOG)
    # libvirtd only talks to virtlogd when a guest starts, but wait for the socket
    # so that the first VM start cannot race the daemon's startup.
    while not VIRTLOGD_SOCKET.exists():
        if time.monotonic() >= deadline:
            raise RuntimeError(
                f"virtlogd did not create {VIRTLOGD_SOCKET} in time\n{_diagnostics()}"
            )
        if not virtlogd_pids():
            raise RuntimeError(f"virtlogd died while starting\n{_diagnostics()}")
        time.sleep(_POLL_INTERVAL)


def ensure_libvirtd(timeout: float = 30.0) -> None:
    """Make sure ``qemu:///system`` answers, starting the daemons if needed.

    Idempotent and cheap when the daemon already runs (one probe). Raises
    :class:`RuntimeError` with the tail of the daemon logs if it cannot come up
    within ``timeout`` seconds.
    """
    # Fix /dev/kvm first: with a wrong mode even the probe below costs seconds.
    _ensure_kvm_access()
    if answers(SYSTEM_URI):
        if os.geteuid() == 0 and not virtlogd_pids():
            # A live libvirtd without virtlogd cannot start any guest.
            _ensure_dirs()
            _ensure_virtlogd(time.monotonic() + timeout)
        return
    deadline = time.monotonic() + timeout
    _ensure_dirs()
    _ensure_accounts()
    _ensure_kvm_access()
    _ensure_virtlogd(deadline)
    if not libvirtd_pids():
        _spawn_daemon(["libvirtd", "-d"], LIBVIRTD_LOG, LIBVIRTD_STDIO_LOG)
    reason: str | None = "not probed yet"
    while True:
        remaining = deadline - time.monotonic()
        reason = probe(SYSTEM_URI, timeout=max(0.5, min(_PROBE_TIMEOUT, remaining)))
        if reason is None:
            return
        if not libvirtd_pids():
            raise RuntimeError(f"libvirtd exited while starting: {reason}\n{_diagnostics()}")
        if time.monotonic() >= deadline:
            break
        time.sleep(_POLL_INTERVAL * 2)
    raise RuntimeError(
        f"{SYSTEM_URI} did not answer within {timeout:.1f}s: {reason}\n{_diagnostics()}"
    )


def stop_libvirtd(*, sig: signal.Signals = signal.SIGTERM, timeout: float = 15.0) -> None:
    """Stop libvirtd and wait until it has exited.

    Running guests survive (QEMU processes are not children of the daemon), just
    as with a real daemon restart. ``sig=signal.SIGKILL`` simulates a crash.
    Escalates to SIGKILL if the daemon ignores ``sig`` for ``timeout`` seconds.
    """
    pids = libvirtd_pids()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    left = _wait_gone(pids, timeout)
    if left:
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        left = _wait_gone(left, 5.0)
    if left:
        raise RuntimeError(f"libvirtd {left} did not exit")


def restart_libvirtd(timeout: float = 30.0) -> None:
    """Stop libvirtd (guests keep running) and start it again."""
    stop_libvirtd()
    ensure_libvirtd(timeout)


# ------------------------------------------------------------------------- domains

NicKind = Literal["ethernet", "user", "none"]
"""How :func:`tiny_domain_xml` wires the guest's NIC.

``ethernet``
    A tap device (``vnetN``) that libvirt creates itself, with no bridge behind
    it. The guest's PXE DHCP requests make real traffic, so
    ``getAllDomainStats`` reports ``net.0.name`` and ``net.0.{rx,tx}.*``.
    Needs ``/dev/net/tun`` and CAP_NET_ADMIN (root in the container is fine).
``user``
    QEMU's SLIRP. Works everywhere, but there is no host device to count, so
    the stats only say ``net.count=1``.
``none``
    No NIC at all (``net.count=0``).

A ``network`` interface is not offered: libvirt's bridge networks need
iptables (even isolated ones) and dnsmasq for DHCP, neither of which is
installed.
"""

TEST_METADATA_NS = "https://limen-tui.invalid/test-harness"
"""Namespace of the ``<metadata>`` element recording which process made a domain."""

_UNDEFINE_FLAGS = (
    libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
    | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
    | libvirt.VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA
    | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM
)


def domain_skeleton(name: str, memory_mib: int, vcpus: int) -> tuple[ET.Element, ET.Element]:
    """A TCG domain's common start, owned by this process (the leftover sweep reads the owner):
    the domain element and its <os>, for the caller to finish."""
    dom = ET.Element("domain", type="qemu")
    ET.SubElement(dom, "name").text = name
    metadata = ET.SubElement(dom, "metadata")
    ET.SubElement(metadata, f"{{{TEST_METADATA_NS}}}owner", pid=str(os.getpid()))
    ET.SubElement(dom, "memory", unit="MiB").text = str(memory_mib)
    ET.SubElement(dom, "currentMemory", unit="MiB").text = str(memory_mib)
    ET.SubElement(dom, "vcpu", placement="static").text = str(vcpus)

    os_el = ET.SubElement(dom, "os")
    ET.SubElement(os_el, "type", arch="x86_64", machine="pc").text = "hvm"
    return dom, os_el


def unique_prefix() -> str:
    """``limen-t-<8 hex>-``: unique per call, recognisable for the leftover sweep."""
    return f"{TEST_PREFIX}{secrets.token_hex(4)}-"


def tiny_domain_xml(
    name: str,
    *,
    memory_mib: int = 64,
    vcpus: int = 1,
    serial: bool = True,
    disk_path: str | None = None,
    nic: NicKind = "ethernet",
) -> str:
    """A diskless (or one-qcow2) TCG guest that starts in well under a second.

    With no bootable disk SeaBIOS falls through to iPXE, which keeps retrying
    DHCP, so with ``serial`` true there is steady output on the serial console
    (``<bios useserial='yes'/>`` + a pty serial/console pair). ``disk_path``
    attaches a qcow2 image as ``vda``; it must be readable by ``libvirt-qemu``
    (see :func:`make_qcow2`). ``nic`` is described at :data:`NicKind`.

    The domain carries ``<metadata>`` naming the creating process, which the
    leftover sweep uses to leave other live test sessions' domains alone.
    """
    dom, os_el = domain_skeleton(name, memory_mib, vcpus)
    ET.SubElement(os_el, "boot", dev="network")
    if serial:
        ET.SubElement(os_el, "bios", useserial="yes")

    features = ET.SubElement(dom, "features")
    ET.SubElement(features, "acpi")
    ET.SubElement(features, "apic")
    ET.SubElement(dom, "clock", offset="utc")
    ET.SubElement(dom, "on_poweroff").text = "destroy"
    ET.SubElement(dom, "on_reboot").text = "restart"
    ET.SubElement(dom, "on_crash").text = "destroy"

    devices = ET.SubElement(dom, "devices")
    if disk_path is not None:
        disk = ET.SubElement(devices, "disk", type="file", device="disk")
        ET.SubElement(disk, "driver", name="qemu", type="qcow2")
        ET.SubElement(disk, "source", file=disk_path)
        ET.SubElement(disk, "target", dev="vda", bus="virtio")
    if nic != "none":
        iface = ET.SubElement(devices, "interface", type=nic)
        ET.SubElement(iface, "model", type="virtio")
    if serial:
        ser = ET.SubElement(devices, "serial", type="pty")
        ET.SubElement(ser, "target", port="0")
        con = ET.SubElement(devices, "console", type="pty")
        ET.SubElement(con, "target", type="serial", port="0")
    ET.SubElement(devices, "memballoon", model="virtio")

    ET.register_namespace("limen", TEST_METADATA_NS)
    ET.indent(dom)
    return ET.tostring(dom, encoding="unicode")


def make_qcow2(path: str | os.PathLike[str], size_mib: int = 16) -> str:
    """Create an empty qcow2 image at ``path`` and return the path as a string.

    QEMU runs as ``libvirt-qemu``, so the image's directory must be traversable
    by that user. pytest's ``tmp_path`` (mode 0700, owned by root) is not; use
    the ``vm_disk_dir`` fixture, which lives under ``/var/lib/libvirt/images``.
    """
    target = str(path)
    _run(["qemu-img", "create", "-q", "-f", "qcow2", target, f"{size_mib}M"])
    return target


def domain_owner_pid(dom: libvirt.virDomain) -> int | None:
    """The pid recorded by :func:`tiny_domain_xml`, or ``None`` if there is none."""
    try:
        xml = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, TEST_METADATA_NS, 0)
    except libvirt.libvirtError:
        return None
    try:
        return int(ET.fromstring(xml).attrib["pid"])
    except (ET.ParseError, KeyError, ValueError):
        return None


def remove_domain(conn: libvirt.virConnect, name: str) -> bool:
    """Destroy (if running) and undefine (if persistent) domain ``name``.

    Also drops managed save, snapshot/checkpoint metadata and NVRAM. Returns
    ``False`` if the domain did not exist; other libvirt errors propagate.
    """
    try:
        dom = conn.lookupByName(name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return False
        raise
    try:
        if dom.isActive():
            try:
                dom.destroy()
            except libvirt.libvirtError as exc:
                # It may have shut down between isActive() and destroy().
                if exc.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:
                    raise
        if dom.isPersistent():
            dom.undefineFlags(_UNDEFINE_FLAGS)
    except libvirt.libvirtError as exc:
        # A transient domain vanishes on destroy: that is success too.
        if exc.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
            raise
    return True


def sweep_leftover_domains(conn: libvirt.virConnect) -> list[str]:
    """Remove ``limen-t-*`` domains left behind by this or by dead processes.

    Domains whose recorded owner process is still alive (another pytest
    session using the same daemon) are left alone. Returns the names removed.
    """
    removed: list[str] = []
    me = os.getpid()
    for dom in conn.listAllDomains(0):
        name = dom.name()
        if not name.startswith(TEST_PREFIX):
            continue
        owner = domain_owner_pid(dom)
        if owner is not None and owner != me and _is_running(owner):
            continue
        if remove_domain(conn, name):
            removed.append(name)
    return removed
