"""Kernel and initramfs of a real Linux test guest, built from Debian packages on this machine.

Nothing is installed: ``apt-get download`` fetches the packages, ``dpkg-deb -x`` unpacks them
into a scratch directory, and the initramfs (cpio ``newc`` + gzip) is written here in Python, so
the only host packages needed are apt itself and the libraries ``qemu-ga`` links against (which
``qemu-system-x86`` already pulls in).

The guest: the kernel of ``linux-image-cloud-amd64``; ``busybox-static`` as init (an inittab, a
root shell on ttyS0, ``acpid`` so the ACPI power button runs ``poweroff``); the virtio modules
the cloud kernel builds as modules, loaded in dependency order; static addresses for its NICs
from the kernel command line (``limen.ip=ADDR/PREFIX@MAC,...``), so one cached image serves every
guest; and Debian's ``qemu-guest-agent`` with the shared libraries ``ldd`` finds for it, started
by init on the virtio-serial port ``org.qemu.guest_agent.0``.

The result is cached under :data:`CACHE_ROOT`, keyed by the package versions and this module's
own recipe, so only the first run on a machine pays (about 10 s, mostly the kernel download).
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CACHE_ROOT = Path("/var/lib/libvirt/images/limen-test-guest")
"""QEMU (user ``libvirt-qemu``) opens the kernel and initrd, so they live where it can read."""

KERNEL_META = "linux-image-cloud-amd64"
BUSYBOX = "busybox-static"
GUEST_AGENT = "qemu-guest-agent"

READY_MARKER = "LIMEN-GUEST-READY"
"""Written to the serial port by the boot script once the network and agent are set up."""

AGENT_CHANNEL = "org.qemu.guest_agent.0"

# Loaded in this order after their dependencies (read from each module's .modinfo).
MODULES = (
    "virtio_pci",
    "virtio_blk",
    "virtio_net",
    "virtio_console",
    "virtio_balloon",
    "evdev",
    "button",
)

INIT = """#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run /tmp /var
mount -t devpts devpts /dev/pts
ln -s /run /var/run
exec /sbin/init
"""

INITTAB = """::sysinit:/etc/rc
ttyS0::respawn:-/bin/sh
::once:/sbin/start-agent
::shutdown:/bin/umount -a -r
"""

RC = f"""#!/bin/sh
for m in $(cat /etc/modules.order); do insmod /lib/modules/$m.ko; done
ip link set lo up
for kv in $(cat /proc/cmdline); do
  case "$kv" in
    limen.hostname=*) hostname "${{kv#limen.hostname=}}" ;;
    limen.ip=*)
      for spec in $(echo "${{kv#limen.ip=}}" | tr , ' '); do
        mac=${{spec#*@}}
        for d in /sys/class/net/*; do
          if [ "$(cat $d/address)" = "$mac" ]; then
            ip addr add "${{spec%@*}}" dev "${{d##*/}}"
            ip link set "${{d##*/}}" up
          fi
        done
      done ;;
  esac
done
mkdir -p /dev/virtio-ports
for p in /sys/class/virtio-ports/*; do
  [ -e "$p/name" ] && ln -sf "/dev/${{p##*/}}" "/dev/virtio-ports/$(cat $p/name)"
done
acpid -l /run/acpid.log
echo {READY_MARKER} > /dev/ttyS0
"""

START_AGENT = f"""#!/bin/sh
# The agent runs in the background so a test can stop it (kill) and start it again.
qemu-ga -m virtio-serial -p /dev/virtio-ports/{AGENT_CHANNEL} -t /run -f /run/qemu-ga.pid -d
"""

POWER_BUTTON = """#!/bin/sh
poweroff
"""

SHUTDOWN = """#!/bin/sh
# What qemu-ga runs for guest-shutdown (``shutdown -P +0 ...``); busybox has no shutdown.
case "$1" in -r) reboot ;; -H) halt ;; *) poweroff ;; esac
"""

PROFILE = """PS1='# '
stty columns 10000
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
"""

RECIPE = hashlib.sha256(
    "\0".join((INIT, INITTAB, RC, START_AGENT, POWER_BUTTON, SHUTDOWN, PROFILE, *MODULES)).encode()
).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class GuestBoot:
    """What direct kernel boot needs: a kernel, an initrd and what they were built from."""

    kernel: Path
    initrd: Path
    key: str
    versions: dict[str, str]


# ------------------------------------------------------------------------------ apt


def _run(argv: list[str], cwd: Path | None = None) -> str:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed with exit status {proc.returncode}: "
            f"{proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc.stdout


def _candidates(packages: list[str]) -> dict[str, str]:
    """Each package's candidate version, from one ``apt-cache policy`` run."""
    out = _run(["apt-cache", "policy", *packages])
    found = dict(re.findall(r"(?m)^(\S+):\n(?:.*\n)*?\s+Candidate:\s*(\S+)", out))
    missing = [p for p in packages if found.get(p, "(none)") == "(none)"]
    if missing:
        raise LookupError(", ".join(missing))
    return {p: found[p] for p in packages}


def _kernel_package() -> str:
    """The versioned kernel image the cloud meta-package depends on."""
    try:
        out = _run(["apt-cache", "depends", "--important", KERNEL_META])
    except RuntimeError as exc:  # "No packages found" before the first apt-get update
        raise LookupError(KERNEL_META) from exc
    match = re.search(r"Depends:\s*(linux-image-\S+-cloud-amd64)", out)
    if match is None:
        raise LookupError(f"{KERNEL_META} names no kernel image:\n{out}")
    return match.group(1)


def _resolve_versions() -> dict[str, str]:
    """Package -> candidate version; runs ``apt-get update`` once if the lists lack them."""
    for attempt in range(2):
        try:
            kernel = _kernel_package()
            return _candidates([kernel, BUSYBOX, GUEST_AGENT])
        except LookupError:
            if attempt:
                raise
            _run(["apt-get", "update", "-qq"])
    raise AssertionError("unreachable")


def _download(packages: dict[str, str], into: Path) -> list[Path]:
    # As root, apt drops to user _apt to download, which cannot write a root-only temp dir.
    into.chmod(0o755)
    _run(["apt-get", "download", "-q", *(f"{p}={v}" for p, v in packages.items())], cwd=into)
    return sorted(into.glob("*.deb"))


# ------------------------------------------------------------------------- initramfs


class Cpio:
    """A cpio archive in the ``newc`` format the kernel unpacks as its initramfs."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._ino = 1
        self._dirs: set[str] = set()

    def _entry(self, name: str, mode: int, data: bytes = b"") -> None:
        encoded = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0)
        self._ino += 1
        header = b"070701" + b"".join(b"%08x" % f for f in fields)
        self._out.write(header + encoded)
        self._out.write(b"\0" * (-(len(header) + len(encoded)) % 4))
        self._out.write(data)
        self._out.write(b"\0" * (-len(data) % 4))

    def directory(self, path: str) -> None:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            if sub and sub not in self._dirs:
                self._dirs.add(sub)
                self._entry(sub, 0o040755)

    def file(self, path: str, data: bytes, mode: int = 0o644) -> None:
        path = path.strip("/")
        self.directory(os.path.dirname(path))
        self._entry(path, 0o100000 | mode, data)

    def symlink(self, path: str, target: str) -> None:
        path = path.strip("/")
        self.directory(os.path.dirname(path))
        self._entry(path, 0o120777, target.encode())

    def gzipped(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return gzip.compress(self._out.getvalue(), compresslevel=6)


def _module_files(modules_dir: Path) -> dict[str, Path]:
    return {p.name.removesuffix(".ko").replace("-", "_"): p for p in modules_dir.rglob("*.ko")}


def _module_order(files: dict[str, Path], wanted: tuple[str, ...]) -> list[str]:
    """``wanted`` and everything they depend on, each after its dependencies."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        modinfo = files[name].read_bytes()
        match = re.search(rb"\0depends=([^\0]*)\0", modinfo)
        for dep in match.group(1).decode().split(",") if match else []:
            if dep:
                visit(dep.replace("-", "_"))
        order.append(name)

    for name in wanted:
        visit(name)
    return order


def _shared_libraries(binary: Path) -> list[Path]:
    """What ``ldd`` says ``binary`` loads (host libraries: the agent's deps are QEMU's)."""
    out = _run(["ldd", str(binary)])
    libs: list[Path] = []
    for line in out.splitlines():
        if "not found" in line:
            raise RuntimeError(f"{binary} needs a library this host lacks: {line.strip()}")
        match = re.search(r"(/\S+)", line.split("=>")[-1])
        if match:
            libs.append(Path(match.group(1)))
    return libs


def _build_initramfs(root: Path) -> bytes:
    cpio = Cpio()
    for d in ("proc", "sys", "dev", "run", "tmp", "etc/acpi/PWRF", "root"):
        cpio.directory(d)
    busybox = root / "bin" / "busybox"
    cpio.file("bin/busybox", busybox.read_bytes(), 0o755)
    for applet in _run([str(busybox), "--list-full"]).split():
        if applet != "bin/busybox":
            cpio.symlink(applet, "/bin/busybox")
    cpio.file("init", INIT.encode(), 0o755)
    cpio.file("etc/inittab", INITTAB.encode())
    cpio.file("etc/rc", RC.encode(), 0o755)
    cpio.file("etc/profile", PROFILE.encode())
    cpio.file("sbin/start-agent", START_AGENT.encode(), 0o755)
    cpio.file("etc/acpi/PWRF/00000080", POWER_BUTTON.encode(), 0o755)
    cpio.file("sbin/shutdown", SHUTDOWN.encode(), 0o755)
    cpio.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    cpio.file("etc/group", b"root:x:0:\n")

    modules_dir = next((root / "lib" / "modules").iterdir())
    files = _module_files(modules_dir)
    order = _module_order(files, MODULES)
    for name in order:
        cpio.file(f"lib/modules/{name}.ko", files[name].read_bytes())
    cpio.file("etc/modules.order", "\n".join(order).encode() + b"\n")

    agent = root / "usr" / "sbin" / "qemu-ga"
    cpio.file("usr/sbin/qemu-ga", agent.read_bytes(), 0o755)
    for lib in _shared_libraries(agent):
        cpio.file(str(lib), lib.resolve().read_bytes(), 0o755)
    return cpio.gzipped()


# ---------------------------------------------------------------------------- cache


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One builder at a time across processes (parallel test sessions share the cache)."""
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def guest_boot(cache_root: Path = CACHE_ROOT) -> GuestBoot:
    """The cached kernel and initramfs, built first if the packages or the recipe changed."""
    versions = _resolve_versions()
    key = hashlib.sha256((RECIPE + repr(sorted(versions.items()))).encode()).hexdigest()[:16]
    target = cache_root / key
    kernel, initrd = target / "vmlinuz", target / "initrd.gz"
    with _locked(cache_root / ".lock"):
        if not (kernel.exists() and initrd.exists()):
            _build(versions, target)
            # Images of older package versions: a running guest keeps its open files.
            for old in cache_root.iterdir():
                if old.is_dir() and old != target:
                    shutil.rmtree(old, ignore_errors=True)
    return GuestBoot(kernel=kernel, initrd=initrd, key=key, versions=versions)


def _build(versions: dict[str, str], target: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="limen-guest-") as scratch_name:
        scratch = Path(scratch_name)
        debs = scratch / "debs"
        debs.mkdir()
        root = scratch / "root"
        for deb in _download(versions, debs):
            _run(["dpkg-deb", "-x", str(deb), str(root)])
        staging = Path(f"{target}.tmp-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o755, parents=True)
        shutil.copyfile(next((root / "boot").glob("vmlinuz-*")), staging / "vmlinuz")
        (staging / "initrd.gz").write_bytes(_build_initramfs(root))
        for f in staging.iterdir():
            f.chmod(0o644)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
