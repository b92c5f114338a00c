"""Shared fixtures for tests that need the real libvirtd (QEMU/TCG).

Tests using these fixtures are marked ``libvirtd`` (done automatically below for
any test that depends on the ``libvirtd`` fixture, directly or not), so
``pytest -m "not libvirtd"`` runs everything else without touching the host.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar

import libvirt
import pytest

from tests.harness.guest_image import GuestBoot, guest_boot
from tests.harness.libvirtd import (
    STATE_DIR,
    SYSTEM_URI,
    NicKind,
    ensure_libvirtd,
    remove_domain,
    sweep_leftover_domains,
    tiny_domain_xml,
    unique_prefix,
)
from tests.harness.linux_guest import (
    GUEST_MEMORY_MIB,
    DiskKind,
    LinuxGuest,
    sweep_leftover_images,
    sweep_leftover_taps,
)
from tests.harness.sshd_fixtures import silent_listener, sshd  # noqa: F401

VIRSH_TIMEOUT = 60.0

T = TypeVar("T")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "libvirtd" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.libvirtd)


@pytest.fixture(scope="session")
def libvirtd() -> Iterator[str]:
    """Start (if needed) libvirtd + virtlogd; yield the URI to use.

    At session end, any ``limen-t-*`` domain left by this session (or by a dead
    earlier one) is destroyed and undefined.
    """
    ensure_libvirtd()
    yield SYSTEM_URI
    # A test may have stopped the daemon on purpose; bring it back to sweep.
    ensure_libvirtd()
    conn = libvirt.open(SYSTEM_URI)
    try:
        sweep_leftover_domains(conn)
    finally:
        conn.close()


class MakeVm(Protocol):
    def __call__(
        self,
        suffix: str = "vm",
        *,
        start: bool = False,
        memory_mib: int = 64,
        vcpus: int = 1,
        serial: bool = True,
        disk_path: str | None = None,
        nic: NicKind = "ethernet",
    ) -> str: ...


class _VmFactory:
    """Defines tiny test domains on a private connection and removes them all."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.prefix = unique_prefix()
        self.names: list[str] = []
        self._conn: libvirt.virConnect | None = None

    def _connection(self) -> libvirt.virConnect:
        if self._conn is None:
            self._conn = libvirt.open(self.uri)
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(libvirt.libvirtError):
                self._conn.close()
            self._conn = None

    def _call(self, fn: Callable[[libvirt.virConnect], T]) -> T:
        """Run ``fn`` on the private connection, reconnecting once if it died.

        Tests stop and restart the daemon; ``isAlive()`` does not notice that
        without an event loop, so react to the RPC error instead.
        """
        try:
            return fn(self._connection())
        except libvirt.libvirtError as exc:
            if exc.get_error_domain() != libvirt.VIR_FROM_RPC:
                raise
        self._drop_connection()
        return fn(self._connection())

    def __call__(
        self,
        suffix: str = "vm",
        *,
        start: bool = False,
        memory_mib: int = 64,
        vcpus: int = 1,
        serial: bool = True,
        disk_path: str | None = None,
        nic: NicKind = "ethernet",
    ) -> str:
        name = f"{self.prefix}{suffix}"
        if name in self.names:
            raise ValueError(f"vm_factory already made a domain with suffix {suffix!r}")
        xml = tiny_domain_xml(
            name,
            memory_mib=memory_mib,
            vcpus=vcpus,
            serial=serial,
            disk_path=disk_path,
            nic=nic,
        )
        self._call(lambda conn: conn.defineXML(xml))
        self.names.append(name)
        if start:
            self._call(lambda conn: conn.lookupByName(name).create())
        return name

    def cleanup(self) -> None:
        self._drop_connection()
        if not self.names:
            return
        # The test may have left the daemon stopped; use a fresh connection.
        ensure_libvirtd()
        conn = libvirt.open(self.uri)
        errors: list[str] = []
        try:
            for name in self.names:
                try:
                    remove_domain(conn, name)
                except libvirt.libvirtError as exc:
                    errors.append(f"{name}: {exc}")
        finally:
            with contextlib.suppress(libvirt.libvirtError):
                conn.close()
        if errors:
            raise RuntimeError("vm_factory cleanup failed:\n" + "\n".join(errors))


@pytest.fixture
def vm_factory(libvirtd: str) -> Iterator[MakeVm]:
    """``make(suffix="vm", *, start=False, **tiny_domain_xml kwargs) -> name``.

    Every domain made is destroyed and undefined (with managed save, snapshot
    and checkpoint metadata and NVRAM) when the test ends.
    """
    factory = _VmFactory(libvirtd)
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture
def vm_disk_dir(libvirtd: str) -> Iterator[Path]:
    """A scratch directory QEMU (user ``libvirt-qemu``) can read disk images from.

    Use with :func:`tests.harness.libvirtd.make_qcow2`; removed after the test.
    (pytest's ``tmp_path`` is root-only, so QEMU could not open images there.)
    Deleting an image under a still-running guest is harmless on Linux, so the
    teardown order relative to ``vm_factory`` does not matter.
    """
    path = STATE_DIR / "images" / unique_prefix().rstrip("-")
    path.mkdir(mode=0o755, parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class VirshError(RuntimeError):
    def __init__(self, argv: list[str], returncode: int, stdout: str, stderr: str) -> None:
        super().__init__(
            f"{' '.join(argv)} failed with exit status {returncode}: "
            f"{stderr.strip() or stdout.strip()}"
        )
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


class Virsh(Protocol):
    def __call__(self, *args: str) -> str: ...


@pytest.fixture
def virsh(libvirtd: str) -> Virsh:
    """``virsh("domstate", name) -> stdout``; raises :class:`VirshError` on failure."""

    def run(*args: str) -> str:
        argv = ["virsh", "--quiet", "-c", libvirtd, *args]
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=VIRSH_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if proc.returncode != 0:
            raise VirshError(argv, proc.returncode, proc.stdout, proc.stderr)
        return proc.stdout

    return run


@pytest.fixture(autouse=True)
def _private_xdg_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test gets its own config, cache and state folders (audit log, cache file), also
    for the `limen-tui` processes it starts; nothing touches the operator's real ones."""
    base = tmp_path_factory.mktemp("xdg")
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        (base / sub).mkdir()
        monkeypatch.setenv(var, str(base / sub))
    return base


@pytest.fixture(scope="session")
def guest_boot_image(libvirtd: str) -> Iterator[GuestBoot]:
    """Kernel and initramfs of the real Linux guest, built once per machine (cached).

    Taps and image directories left by a killed earlier run are removed before and after
    the session (their domains go with the ``libvirtd`` fixture's sweep).
    """
    sweep_leftover_taps()
    sweep_leftover_images()
    yield guest_boot()
    sweep_leftover_taps()
    sweep_leftover_images()


class MakeLinuxGuest(Protocol):
    def __call__(
        self,
        suffix: str = "linux",
        *,
        disks: tuple[DiskKind, ...] = ("qcow2",),
        nics: int = 1,
        memory_mib: int = GUEST_MEMORY_MIB,
        vcpus: int = 1,
    ) -> LinuxGuest: ...


@pytest.fixture(scope="module")
def linux_guests(libvirtd: str, guest_boot_image: GuestBoot) -> Iterator[MakeLinuxGuest]:
    """``make(suffix, *, disks=("qcow2",), nics=1, ...) -> LinuxGuest``, booted to its shell.

    Module-scoped: a real guest takes about 5 s to boot under TCG, so the tests of a module
    share theirs. Every guest made is destroyed, with its taps and images, after the module.
    """
    conn = libvirt.open(libvirtd)
    made: list[LinuxGuest] = []

    def make(
        suffix: str = "linux",
        *,
        disks: tuple[DiskKind, ...] = ("qcow2",),
        nics: int = 1,
        memory_mib: int = GUEST_MEMORY_MIB,
        vcpus: int = 1,
    ) -> LinuxGuest:
        guest = LinuxGuest.start(
            conn,
            suffix,
            disks=disks,
            nics=nics,
            memory_mib=memory_mib,
            vcpus=vcpus,
            boot=guest_boot_image,
        )
        made.append(guest)
        return guest.wait_ready()

    try:
        yield make
    finally:
        for guest in made:
            guest.remove()
        with contextlib.suppress(libvirt.libvirtError):
            conn.close()
