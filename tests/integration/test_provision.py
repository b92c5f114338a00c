"""Create and clone VMs as transactions, on the real libvirtd + QEMU.

Every test gets its own ``dir`` storage pool under /var/lib/libvirt/images (QEMU
must be able to read the images, which pytest's tmp_path does not allow) and
names everything with the harness's ``limen-t-`` prefix, so the session sweep
removes domains a failed test leaves behind; the pool fixture removes the rest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import libvirt
import pytest

from limen_tui.virt import provision, vmspec
from limen_tui.virt.clone import clone_vm
from limen_tui.virt.provision import (
    NIC_ETHERNET,
    NIC_USER,
    DiskSource,
    GuestTarget,
    ProvisionError,
    VmSpec,
    create_vm,
    guest_target,
    validate,
    volume_xml,
)
from tests.conftest import MakeVm, Virsh
from tests.harness.libvirtd import (
    STATE_DIR,
    TEST_METADATA_NS,
    make_qcow2,
    remove_domain,
    unique_prefix,
)

pytestmark = pytest.mark.libvirtd

MIB = 1024**2
DISK_GIB = 16 / 1024


class Lab:
    """A private pool and name prefix on the real daemon, plus helpers to look at them."""

    def __init__(self, conn: libvirt.virConnect) -> None:
        self.conn = conn
        self.prefix = unique_prefix()
        self.pool = f"{self.prefix}pool"
        self.pool_dir = STATE_DIR / "images" / self.pool
        self._cleanups: list[Callable[[], None]] = []

    def name(self, suffix: str) -> str:
        return f"{self.prefix}{suffix}"

    def spec(self, suffix: str = "vm", **changes: object) -> VmSpec:
        base = VmSpec(
            name=self.name(suffix),
            vcpus=1,
            memory_mib=64,
            disk_gib=DISK_GIB,
            pool=self.pool,
            network=NIC_ETHERNET,
        )
        return dataclasses.replace(base, **changes)  # type: ignore[arg-type]

    def pool_handle(self) -> libvirt.virStoragePool:
        return self.conn.storagePoolLookupByName(self.pool)

    def volumes(self) -> list[str]:
        pool = self.pool_handle()
        pool.refresh(0)
        return sorted(pool.listVolumes())

    def add_volume(self, name: str, size_mib: int = 16, fmt: str = "qcow2") -> str:
        vol = self.pool_handle().createXML(volume_xml(name, size_mib * MIB, fmt), 0)
        return str(vol.path())

    def domain_uuid(self, name: str) -> str | None:
        try:
            return str(self.conn.lookupByName(name).UUIDString())
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise

    def our_domains(self) -> list[str]:
        return sorted(
            d.name() for d in self.conn.listAllDomains(0) if d.name().startswith(self.prefix)
        )

    def inactive_pool(self) -> str:
        name = self.name("idle-pool")
        path = self.pool_dir.with_name(name)
        pool = self.conn.storagePoolDefineXML(_pool_xml(name, path))
        self._cleanups.append(pool.undefine)
        return name

    def inactive_network(self) -> str:
        # Starting one needs iptables and dnsmasq, which this machine lacks.
        name = self.name("net")
        net = self.conn.networkDefineXML(f"<network><name>{name}</name></network>")
        self._cleanups.append(net.undefine)
        return name

    def setup(self) -> None:
        self.pool_dir.mkdir(mode=0o755, parents=True)
        pool = self.conn.storagePoolDefineXML(_pool_xml(self.pool, self.pool_dir))
        pool.create(0)

    def teardown(self) -> None:
        for name in self.our_domains():
            remove_domain(self.conn, name)
        for cleanup in reversed(self._cleanups):
            with contextlib.suppress(libvirt.libvirtError):
                cleanup()
        with contextlib.suppress(libvirt.libvirtError):
            pool = self.pool_handle()
            if pool.isActive():
                for vol in pool.listAllVolumes(0):
                    vol.delete(0)
                pool.destroy()
            pool.undefine()
        shutil.rmtree(self.pool_dir, ignore_errors=True)


def _pool_xml(name: str, path: Path) -> str:
    return f"<pool type='dir'><name>{name}</name><target><path>{path}</path></target></pool>"


@pytest.fixture
def lab(libvirtd: str) -> Iterator[Lab]:
    conn = libvirt.open(libvirtd)
    lab = Lab(conn)
    try:
        lab.setup()
        yield lab
    finally:
        lab.teardown()
        conn.close()


@pytest.fixture(autouse=True)
def owned_by_this_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tag created domains with the harness's owner pid (clones copy it).

    Without it another pytest session's leftover sweep, which removes every
    ``limen-t-*`` domain that names no live owner, deletes ours mid-test.
    """
    real = provision.domain_xml

    def tagged(spec: VmSpec, target: GuestTarget, disk: DiskSource) -> str:
        root = ET.fromstring(real(spec, target, disk))
        metadata = ET.SubElement(root, "metadata")
        ET.SubElement(metadata, f"{{{TEST_METADATA_NS}}}owner", pid=str(os.getpid()))
        return ET.tostring(root, encoding="unicode")

    monkeypatch.setattr(provision, "domain_xml", tagged)


@pytest.fixture
def unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """create_vm's own check passes everything: as if the host changed right after it."""
    real = vmspec.validate_with_target

    def passes(conn: libvirt.virConnect, spec: VmSpec) -> tuple[list[str], GuestTarget | None]:
        return [], real(conn, spec)[1]

    monkeypatch.setattr(provision, "validate_with_target", passes)  # what create_vm calls


def _state(virsh: Virsh, name: str) -> str:
    return virsh("domstate", name).strip()


def _xml(virsh: Virsh, name: str, *flags: str) -> ET.Element:
    return ET.fromstring(virsh("dumpxml", *flags, name))


def _vol_list(virsh: Virsh, lab: Lab) -> list[str]:
    virsh("pool-refresh", lab.pool)
    out = virsh("vol-list", "--pool", lab.pool)
    return sorted(line.split()[0] for line in out.splitlines() if line.strip())


# ------------------------------------------------------------------------- create


def test_create_and_start(lab: Lab, virsh: Virsh) -> None:
    spec = lab.spec("web", vcpus=2, memory_mib=96)
    assert validate(lab.conn, spec) == []

    result = create_vm(lab.conn, spec, start=True)

    assert result.started and result.name == spec.name
    assert _state(virsh, spec.name) == "running"
    assert _vol_list(virsh, lab) == [spec.volume_name]
    caps = guest_target(lab.conn.getCapabilities())
    assert caps is not None and result.domain_type == caps.domain_type
    root = _xml(virsh, spec.name, "--inactive")
    assert root.get("type") == result.domain_type
    assert root.findtext("uuid") == result.uuid
    assert root.findtext("vcpu") == "2"
    disk = root.find("./devices/disk[@device='disk']")
    assert disk is not None
    assert disk.find("source").get("file") == result.volume_path  # type: ignore[union-attr]
    assert disk.find("target").get("bus") == "virtio"  # type: ignore[union-attr]
    assert root.find("./devices/interface[@type='ethernet']") is not None
    assert root.find("./devices/console[@type='pty']") is not None
    assert root.find("./os/bios[@useserial='yes']") is not None
    graphics = root.find("./devices/graphics[@type='vnc']")
    assert graphics is not None and graphics.get("listen") == "127.0.0.1"
    vol = lab.pool_handle().storageVolLookupByName(spec.volume_name)
    assert vol.info()[1] == 16 * MIB


def test_create_without_start_user_nic_no_serial(lab: Lab, virsh: Virsh) -> None:
    spec = lab.spec("quiet", network=NIC_USER, serial_console=False)
    result = create_vm(lab.conn, spec, start=False)
    assert not result.started
    assert _state(virsh, spec.name) == "shut off"
    root = _xml(virsh, spec.name)
    assert [i.get("type") for i in root.findall("./devices/interface")] == ["user"]
    assert root.find("./devices/serial") is None
    assert root.find("./os/bios") is None


def test_create_without_nic_and_with_boot_iso(lab: Lab, virsh: Virsh) -> None:
    iso = lab.add_volume("installer.iso", size_mib=1, fmt="raw")
    spec = lab.spec("iso", network=None, boot_iso=iso)
    create_vm(lab.conn, spec, start=True)
    assert _state(virsh, spec.name) == "running"
    root = _xml(virsh, spec.name, "--inactive")
    assert root.find("./devices/interface") is None
    assert [b.get("dev") for b in root.findall("./os/boot")] == ["cdrom", "hd"]
    cdrom = root.find("./devices/disk[@device='cdrom']/source")
    assert cdrom is not None and cdrom.get("file") == iso


_ROLLED_BACK = {
    "create volume": [],
    "define domain": ["deleted volume '{vol}'"],
    "start": ["undefined VM '{name}'", "deleted volume '{vol}'"],
}


@pytest.mark.parametrize("step", list(_ROLLED_BACK))
def test_create_rolls_back_every_step_before_an_injected_failure(
    lab: Lab, virsh: Virsh, step: str
) -> None:
    spec = lab.spec("doomed")
    with pytest.raises(ProvisionError) as info:
        create_vm(lab.conn, spec, start=True, fail_at=step)
    err = info.value
    assert err.step == step
    assert "deliberate failure" in err.reason
    expected = [s.format(vol=spec.volume_name, name=spec.name) for s in _ROLLED_BACK[step]]
    assert err.rolled_back == expected
    assert err.clean and err.left_behind == []
    assert lab.our_domains() == []
    assert _vol_list(virsh, lab) == []


def test_fail_at_a_step_that_will_not_run_is_refused_before_anything(lab: Lab) -> None:
    with pytest.raises(ValueError, match="not a step"):
        create_vm(lab.conn, lab.spec(), start=False, fail_at="start")
    assert lab.our_domains() == [] and lab.volumes() == []


@pytest.mark.usefixtures("unchecked")
def test_volume_name_taken_after_the_check(lab: Lab) -> None:
    spec = lab.spec("clash")
    foreign = lab.add_volume(spec.volume_name, size_mib=4)
    with pytest.raises(ProvisionError) as info:
        create_vm(lab.conn, spec, start=True)
    err = info.value
    assert err.step == "create volume"
    assert "exists" in err.reason
    assert err.rolled_back == [] and err.clean
    # The volume that was already there is not ours to delete.
    assert lab.volumes() == [spec.volume_name]
    assert lab.pool_handle().storageVolLookupByName(spec.volume_name).path() == foreign
    assert lab.domain_uuid(spec.name) is None


@pytest.mark.usefixtures("unchecked")
def test_domain_name_taken_after_the_check(lab: Lab, vm_factory: MakeVm) -> None:
    other = vm_factory("taken")
    uuid = lab.domain_uuid(other)
    spec = dataclasses.replace(lab.spec(), name=other)
    with pytest.raises(ProvisionError) as info:
        create_vm(lab.conn, spec, start=True)
    err = info.value
    assert err.step == "define domain"
    assert "already exists" in err.reason
    assert err.rolled_back == [f"deleted volume '{spec.volume_name}'"] and err.clean
    assert lab.domain_uuid(other) == uuid
    assert lab.volumes() == []


@pytest.mark.usefixtures("unchecked")
def test_libvirt_refuses_the_definition(lab: Lab) -> None:
    spec = lab.spec("greedy", vcpus=1000)
    with pytest.raises(ProvisionError) as info:
        create_vm(lab.conn, spec, start=False)
    err = info.value
    assert err.step == "define domain"
    assert "Maximum CPUs greater than specified machine type limit" in err.reason
    assert err.rolled_back == [f"deleted volume '{spec.volume_name}'"] and err.clean
    assert lab.our_domains() == [] and lab.volumes() == []


@pytest.mark.usefixtures("unchecked")
def test_start_fails_on_an_inactive_network(lab: Lab) -> None:
    spec = lab.spec("netless", network=lab.inactive_network())
    with pytest.raises(ProvisionError) as info:
        create_vm(lab.conn, spec, start=True)
    err = info.value
    assert err.step == "start"
    assert "is not active" in err.reason
    assert err.rolled_back == [
        f"undefined VM '{spec.name}'",
        f"deleted volume '{spec.volume_name}'",
    ]
    assert lab.our_domains() == [] and lab.volumes() == []
    assert str(err).endswith("Nothing was left behind.")


# ------------------------------------------------------------------------ validate

Case = Callable[[Lab, MakeVm], tuple[VmSpec, str]]


def _host(lab: Lab) -> tuple[int, int]:
    info = lab.conn.getInfo()
    return int(info[1]), int(info[2])


def _volume_already_there(lab: Lab) -> tuple[VmSpec, str]:
    spec = lab.spec("held")
    lab.add_volume(spec.volume_name)
    return spec, "Disk"


BAD_SPECS: dict[str, Case] = {
    "empty name": lambda lab, _: (lab.spec(name=""), "Name"),
    "blank name": lambda lab, _: (lab.spec(name="   "), "Name"),
    "slash": lambda lab, _: (lab.spec("a/b"), "Name"),
    "newline": lambda lab, _: (lab.spec("a\nb"), "Name"),
    "tab": lambda lab, _: (lab.spec("a\tb"), "Name"),
    "too long": lambda lab, _: (lab.spec("x" * 64), "Name"),
    "trailing space": lambda lab, _: (lab.spec("web "), "Name"),
    "duplicate": lambda lab, make: (lab.spec(name=make("dup")), "Name"),
    "zero vcpus": lambda lab, _: (lab.spec(vcpus=0), "vCPUs"),
    "negative vcpus": lambda lab, _: (lab.spec(vcpus=-2), "vCPUs"),
    "vcpus beyond host": lambda lab, _: (lab.spec(vcpus=_host(lab)[1] + 1), "vCPUs"),
    "zero memory": lambda lab, _: (lab.spec(memory_mib=0), "Memory"),
    "negative memory": lambda lab, _: (lab.spec(memory_mib=-64), "Memory"),
    "memory beyond host": lambda lab, _: (lab.spec(memory_mib=_host(lab)[0] + 1), "Memory"),
    "zero disk": lambda lab, _: (lab.spec(disk_gib=0.0), "Disk size"),
    "negative disk": lambda lab, _: (lab.spec(disk_gib=-1.0), "Disk size"),
    "nan disk": lambda lab, _: (lab.spec(disk_gib=float("nan")), "Disk size"),
    "disk beyond pool": lambda lab, _: (
        lab.spec(disk_gib=lab.pool_handle().info()[3] / 1024**3 + 1),
        "Disk size",
    ),
    "disk format": lambda lab, _: (lab.spec(disk_format="vmdk"), "Disk format"),
    "volume exists": lambda lab, _: _volume_already_there(lab),
    "no pool": lambda lab, _: (lab.spec(pool=lab.name("nowhere")), "Storage pool"),
    "inactive pool": lambda lab, _: (lab.spec(pool=lab.inactive_pool()), "Storage pool"),
    "no network": lambda lab, _: (lab.spec(network=lab.name("nonet")), "Network"),
    "inactive network": lambda lab, _: (lab.spec(network=lab.inactive_network()), "Network"),
    "no iso": lambda lab, _: (lab.spec(boot_iso=str(lab.pool_dir / "missing.iso")), "Boot ISO"),
}


@pytest.mark.parametrize("case", list(BAD_SPECS))
def test_bad_input_is_refused_in_a_sentence_and_nothing_is_created(
    lab: Lab, vm_factory: MakeVm, case: str
) -> None:
    spec, field = BAD_SPECS[case](lab, vm_factory)
    volumes = lab.volumes()
    uuid = lab.domain_uuid(spec.name) if spec.name else None

    errors = validate(lab.conn, spec)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{field}: ") and errors[0].endswith(".")

    with pytest.raises(ProvisionError) as info:
        create_vm(lab.conn, spec, start=True)
    assert info.value.step == "check"
    assert info.value.errors == errors
    assert info.value.rolled_back == [] and info.value.clean
    assert lab.volumes() == volumes
    if spec.name and "/" not in spec.name and "\n" not in spec.name:
        assert lab.domain_uuid(spec.name) == uuid


# -------------------------------------------------------------------------- clone


def _two_disk_source(lab: Lab) -> str:
    """A shut-off VM with vda (created), vdb (attached) and an installer ISO."""
    iso = lab.add_volume("installer.iso", size_mib=1, fmt="raw")
    spec = lab.spec("src", boot_iso=iso)
    create_vm(lab.conn, spec, start=False)
    data = lab.add_volume(f"{spec.name}-data.qcow2", size_mib=8)
    disk = (
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
        f"<source file='{data}'/><target dev='vdb' bus='virtio'/></disk>"
    )
    lab.conn.lookupByName(spec.name).attachDeviceFlags(disk, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    return spec.name


def _macs(root: ET.Element) -> set[str | None]:
    return {m.get("address") for m in root.findall("./devices/interface/mac")}


def _disks(root: ET.Element) -> dict[str, str]:
    found = {}
    for disk in root.findall("./devices/disk"):
        target, source = disk.find("target"), disk.find("source")
        if target is not None and source is not None:
            found[target.get("dev", "")] = source.get("file", "")
    return found


def test_clone_of_a_shut_off_vm(lab: Lab, virsh: Virsh) -> None:
    source = _two_disk_source(lab)
    before = _xml(virsh, source, "--inactive")
    src_disks = _disks(before)
    subprocess.run(
        ["qemu-io", "-f", "qcow2", "-c", "write -P 0xab 0 1M", src_disks["vda"]],
        check=True,
        capture_output=True,
        timeout=60,
    )
    new_name = lab.name("copy")

    result = clone_vm(lab.conn, source, new_name)

    clone = _xml(virsh, new_name, "--inactive")
    assert clone.findtext("uuid") == result.uuid != before.findtext("uuid")
    assert _macs(clone) and not (_macs(clone) & _macs(before))
    new_disks = _disks(clone)
    assert set(new_disks) == {"vda", "vdb", "sda"}
    assert new_disks["sda"] == src_disks["sda"]  # the ISO is shared, not copied
    assert {d: new_disks[d] for d in ("vda", "vdb")} == result.volume_paths
    for dev in ("vda", "vdb"):
        assert new_disks[dev] != src_disks[dev]
        old = lab.conn.storageVolLookupByPath(src_disks[dev])
        new = lab.conn.storageVolLookupByPath(new_disks[dev])
        assert new.info()[1] == old.info()[1]
    assert Path(new_disks["vda"]).name == f"{new_name}.qcow2"
    assert Path(new_disks["vdb"]).name == f"{new_name}-data.qcow2"
    same = subprocess.run(
        ["qemu-img", "compare", "-f", "qcow2", "-F", "qcow2", src_disks["vda"], new_disks["vda"]],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert same.returncode == 0, same.stdout
    assert ET.tostring(_xml(virsh, source, "--inactive")) == ET.tostring(before)
    virsh("start", new_name)
    assert _state(virsh, new_name) == "running"
    assert _state(virsh, source) == "shut off"


def test_clone_of_a_running_vm_is_refused(lab: Lab) -> None:
    spec = lab.spec("busy")
    create_vm(lab.conn, spec, start=True)
    volumes = lab.volumes()
    with pytest.raises(ProvisionError) as info:
        clone_vm(lab.conn, spec.name, lab.name("copy"))
    err = info.value
    assert err.step == "check"
    assert err.errors == [f"Source: '{spec.name}' is running; shut it down before cloning it."]
    assert lab.our_domains() == [spec.name] and lab.volumes() == volumes


@pytest.mark.parametrize(
    ("new_suffix", "words"),
    [("a/b", "New name: may not contain '/'"), ("src", "New name: a VM named")],
)
def test_clone_refuses_a_bad_or_taken_name(lab: Lab, new_suffix: str, words: str) -> None:
    spec = lab.spec("src")
    create_vm(lab.conn, spec, start=False)
    with pytest.raises(ProvisionError) as info:
        clone_vm(lab.conn, spec.name, lab.name(new_suffix))
    assert info.value.step == "check" and words in str(info.value)
    assert lab.volumes() == [spec.volume_name]


def test_clone_of_a_missing_vm_is_refused(lab: Lab) -> None:
    with pytest.raises(ProvisionError, match="there is no VM named"):
        clone_vm(lab.conn, lab.name("ghost"), lab.name("copy"))


@pytest.mark.parametrize("step", ["copy disk vda", "copy disk vdb", "define domain"])
def test_clone_rolls_back_on_an_injected_failure(lab: Lab, virsh: Virsh, step: str) -> None:
    source = _two_disk_source(lab)
    before = ET.tostring(_xml(virsh, source, "--inactive"))
    volumes = lab.volumes()
    new_name = lab.name("copy")
    with pytest.raises(ProvisionError) as info:
        clone_vm(lab.conn, source, new_name, fail_at=step)
    err = info.value
    assert err.step == step and err.clean
    copied = {"copy disk vda": 0, "copy disk vdb": 1, "define domain": 2}[step]
    assert len(err.rolled_back) == copied
    assert lab.domain_uuid(new_name) is None
    assert _vol_list(virsh, lab) == volumes
    assert ET.tostring(_xml(virsh, source, "--inactive")) == before


def test_clone_rolls_back_when_the_name_is_taken_after_the_check(
    lab: Lab, monkeypatch: pytest.MonkeyPatch, vm_factory: MakeVm
) -> None:
    spec = lab.spec("src")
    create_vm(lab.conn, spec, start=False)
    other = vm_factory("taken")
    monkeypatch.setattr("limen_tui.virt.clone.check_name_free", lambda *_: [])
    with pytest.raises(ProvisionError) as info:
        clone_vm(lab.conn, spec.name, other)
    err = info.value
    assert err.step == "define domain" and "already exists" in err.reason
    assert err.rolled_back == [f"deleted volume '{other}.qcow2'"] and err.clean
    assert lab.volumes() == [spec.volume_name]


def test_clone_refuses_a_disk_outside_any_pool(
    lab: Lab, vm_factory: MakeVm, vm_disk_dir: Path
) -> None:
    source = vm_factory("loose", disk_path=make_qcow2(vm_disk_dir / "loose.qcow2"))
    with pytest.raises(ProvisionError) as info:
        clone_vm(lab.conn, source, lab.name("copy"))
    assert info.value.errors == [
        "Disk vda: its image is in no storage pool, so it cannot be copied."
    ]
    assert lab.domain_uuid(lab.name("copy")) is None


def test_clone_of_a_diskless_vm_only_defines(lab: Lab, vm_factory: MakeVm, virsh: Virsh) -> None:
    source = vm_factory("diskless")
    result = clone_vm(lab.conn, source, lab.name("copy"))
    assert result.volume_paths == {} and list(result.timings) == ["define domain"]
    assert _macs(_xml(virsh, result.name)) != _macs(_xml(virsh, source))
    assert lab.volumes() == []
