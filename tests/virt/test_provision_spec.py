"""Pure parts of provisioning: name rules, guest type, domain XML, clone rewrite, rollback."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from limen_tui.model.vm_spec import MAX_NAME_CHARS
from limen_tui.virt.clone import clone_domain_xml, copy_step
from limen_tui.virt.provision import (
    NIC_ETHERNET,
    NIC_USER,
    DiskSource,
    GuestTarget,
    VmSpec,
    check_name,
    domain_xml,
    guest_target,
    volume_xml,
)
from limen_tui.virt.transaction import InjectedFailure, ProvisionError, Transaction

# ------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["web-01", "db_2.prod", "ü-vm", "a" * MAX_NAME_CHARS, "a b"])
def test_good_names_pass(name: str) -> None:
    assert check_name(name) == []


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("a" * (MAX_NAME_CHARS + 1), "at most 64 characters"),
        ("\U0001f600" * 61, "bytes in UTF-8"),
        ("a/b", "'/'"),
        ("a\nb", "control"),
        ("a\tb", "control"),
        ("a\x00b", "control"),
        ("a\u00a0b", "invisible"),
        ("a\u200bb", "invisible"),
        (" web", "start or end with a space"),
        ("web ", "start or end with a space"),
    ],
)
def test_bad_names_are_refused_in_one_sentence_naming_the_field(name: str, words: str) -> None:
    errors = check_name(name)
    assert len(errors) == 1
    assert errors[0].startswith("Name: ")
    assert words in errors[0]
    assert errors[0].endswith(".")


def test_the_label_names_the_field() -> None:
    assert check_name("a/b", "New name")[0].startswith("New name: ")


# -------------------------------------------------------------------------- spec


def test_disk_size_is_rounded_up_to_whole_mib() -> None:
    spec = VmSpec(name="v", vcpus=1, memory_mib=64, disk_gib=16 / 1024, pool="p")
    assert spec.disk_bytes == 16 * 1024**2
    assert VmSpec("v", 1, 64, 0.001, "p").disk_bytes == 2 * 1024**2
    assert VmSpec("v", 1, 64, 1.5, "p").disk_bytes == 1536 * 1024**2


def test_volume_is_named_after_the_vm_and_format() -> None:
    assert VmSpec("web", 1, 64, 1, "p").volume_name == "web.qcow2"
    assert VmSpec("web", 1, 64, 1, "p", disk_format="raw").volume_name == "web.img"


def test_volume_xml() -> None:
    vol = ET.fromstring(volume_xml("web.qcow2", 16 * 1024**2, "qcow2"))
    assert vol.findtext("name") == "web.qcow2"
    capacity = vol.find("capacity")
    assert capacity is not None and capacity.get("unit") == "bytes"
    assert capacity.text == str(16 * 1024**2)
    fmt = vol.find("./target/format")
    assert fmt is not None and fmt.get("type") == "qcow2"


# ---------------------------------------------------------------- capabilities


def _caps(domains: str, machines: str, arch: str = "x86_64", host_arch: str = "x86_64") -> str:
    return f"""<capabilities>
  <host><cpu><arch>{host_arch}</arch></cpu></host>
  <guest><os_type>hvm</os_type>
    <arch name='i686'><machine maxCpus='255'>pc</machine><domain type='qemu'/></arch>
  </guest>
  <guest><os_type>hvm</os_type>
    <arch name='{arch}'>{machines}{domains}</arch>
  </guest>
</capabilities>"""


def test_kvm_is_used_when_libvirt_offers_it() -> None:
    machines = (
        "<machine maxCpus='255'>pc-i440fx-7.2</machine>"
        "<machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>"
        "<machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine>"
    )
    target = guest_target(_caps("<domain type='qemu'/><domain type='kvm'/>", machines))
    assert target == GuestTarget(arch="x86_64", domain_type="kvm", machine="q35", max_vcpus=288)


def test_tcg_without_kvm_and_pc_without_q35() -> None:
    target = guest_target(_caps("<domain type='qemu'/>", "<machine maxCpus='255'>pc</machine>"))
    assert target == GuestTarget(arch="x86_64", domain_type="qemu", machine="pc", max_vcpus=255)


def test_no_guest_for_the_host_arch() -> None:
    caps = _caps("<domain type='qemu'/>", "<machine>virt</machine>", arch="aarch64")
    assert guest_target(caps) is None


# --------------------------------------------------------------------- domain XML

_Q35 = GuestTarget(arch="x86_64", domain_type="kvm", machine="q35", max_vcpus=288)
_PC = GuestTarget(arch="x86_64", domain_type="qemu", machine="pc", max_vcpus=255)
_DISK = DiskSource("file", {"file": "/pool/web.qcow2"})


def _dom(spec: VmSpec, target: GuestTarget = _Q35) -> ET.Element:
    return ET.fromstring(domain_xml(spec, target, _DISK))


def _attr(root: ET.Element, path: str, attr: str) -> str | None:
    el = root.find(path)
    assert el is not None, path
    return el.get(attr)


def test_domain_xml_basics() -> None:
    spec = VmSpec("web", vcpus=2, memory_mib=512, disk_gib=1, pool="p", network=NIC_USER)
    root = _dom(spec)
    assert root.get("type") == "kvm"
    assert root.findtext("name") == "web"
    assert root.find("uuid") is None
    assert root.findtext("memory") == "512" and _attr(root, "memory", "unit") == "MiB"
    assert root.findtext("vcpu") == "2"
    assert _attr(root, "./os/type", "machine") == "q35"
    assert [b.get("dev") for b in root.findall("./os/boot")] == ["hd"]
    assert _attr(root, "./devices/disk[@device='disk']/source", "file") == "/pool/web.qcow2"
    assert _attr(root, "./devices/disk[@device='disk']/target", "bus") == "virtio"
    assert _attr(root, "./devices/disk[@device='disk']/driver", "type") == "qcow2"
    assert root.find("./devices/disk[@device='cdrom']") is None
    assert _attr(root, "./devices/graphics", "type") == "vnc"
    assert _attr(root, "./devices/graphics/listen", "address") == "127.0.0.1"
    assert _attr(root, "./devices/graphics", "listen") == "127.0.0.1"
    assert root.find("./devices/interface/mac") is None


def test_serial_console_and_bios_output_go_together() -> None:
    on = _dom(VmSpec("web", 1, 64, 1, "p", serial_console=True))
    assert _attr(on, "./os/bios", "useserial") == "yes"
    assert _attr(on, "./devices/serial", "type") == "pty"
    assert _attr(on, "./devices/console/target", "type") == "serial"
    off = _dom(VmSpec("web", 1, 64, 1, "p", serial_console=False))
    assert off.find("./os/bios") is None
    assert off.find("./devices/serial") is None
    assert off.find("./devices/console") is None


@pytest.mark.parametrize(("target", "bus"), [(_Q35, "sata"), (_PC, "ide")])
def test_boot_iso_is_a_readonly_cdrom_booted_first(target: GuestTarget, bus: str) -> None:
    root = _dom(VmSpec("web", 1, 64, 1, "p", boot_iso="/isos/debian.iso"), target)
    assert [b.get("dev") for b in root.findall("./os/boot")] == ["cdrom", "hd"]
    cdrom = root.find("./devices/disk[@device='cdrom']")
    assert cdrom is not None
    assert _attr(cdrom, "source", "file") == "/isos/debian.iso"
    assert _attr(cdrom, "target", "bus") == bus
    assert cdrom.find("readonly") is not None


@pytest.mark.parametrize(
    ("network", "kind", "source"),
    [
        (NIC_USER, "user", None),
        (NIC_ETHERNET, "ethernet", None),
        ("default", "network", "default"),
    ],
)
def test_nic_kinds(network: str, kind: str, source: str | None) -> None:
    root = _dom(VmSpec("web", 1, 64, 1, "p", network=network))
    ifaces = root.findall("./devices/interface")
    assert [i.get("type") for i in ifaces] == [kind]
    assert _attr(ifaces[0], "model", "type") == "virtio"
    src = ifaces[0].find("source")
    assert (src.get("network") if src is not None else None) == source


def test_no_network_means_no_nic() -> None:
    assert _dom(VmSpec("web", 1, 64, 1, "p", network=None)).find("./devices/interface") is None


def test_block_volume_becomes_a_block_disk() -> None:
    root = ET.fromstring(
        domain_xml(VmSpec("w", 1, 64, 1, "p"), _PC, DiskSource("block", {"dev": "/dev/vg/w"}))
    )
    disk = root.find("./devices/disk[@device='disk']")
    assert disk is not None and disk.get("type") == "block"
    assert _attr(disk, "source", "dev") == "/dev/vg/w"


# ------------------------------------------------------------------- clone rewrite

_SOURCE = """<domain type='kvm'>
  <name>web</name>
  <uuid>6f0b7c7e-1111-2222-3333-444455556666</uuid>
  <sysinfo type='smbios'><system>
    <entry name='manufacturer'>limen</entry>
    <entry name='uuid'>6f0b7c7e-1111-2222-3333-444455556666</entry>
  </system></sysinfo>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/nvram/web_VARS.fd</nvram>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/pool/web.qcow2'/>
      <backingStore type='file'><source file='/pool/base.qcow2'/></backingStore>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='volume' device='disk'>
      <source pool='p' volume='web-data.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/isos/debian.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <interface type='user'><mac address='52:54:00:00:00:01'/><model type='virtio'/></interface>
    <interface type='ethernet'><mac address='52:54:00:00:00:02'/></interface>
  </devices>
</domain>"""


def test_clone_rewrite() -> None:
    new = ET.fromstring(
        clone_domain_xml(
            _SOURCE,
            "web-2",
            {
                "vda": DiskSource("file", {"file": "/pool/web-2.qcow2"}),
                "vdb": DiskSource("volume", {"pool": "p", "volume": "web-2-data.qcow2"}),
            },
        )
    )
    assert new.findtext("name") == "web-2"
    assert new.find("uuid") is None
    assert new.find("./sysinfo/system/entry[@name='uuid']") is None
    assert new.find("./sysinfo/system/entry[@name='manufacturer']") is not None
    assert new.findall("./devices/interface/mac") == []
    assert len(new.findall("./devices/interface")) == 2
    nvram = new.find("./os/nvram")
    assert nvram is not None and not nvram.text
    assert nvram.get("template") == "/usr/share/OVMF/OVMF_VARS_4M.fd"
    disks = new.findall("./devices/disk")
    assert _attr(disks[0], "source", "file") == "/pool/web-2.qcow2"
    assert disks[0].find("backingStore") is None
    assert _attr(disks[1], "source", "volume") == "web-2-data.qcow2"
    assert _attr(disks[2], "source", "file") == "/isos/debian.iso"


def test_clone_rewrite_drops_a_bare_nvram_path() -> None:
    xml = "<domain><name>a</name><os><nvram>/var/lib/libvirt/qemu/nvram/a.fd</nvram></os></domain>"
    assert ET.fromstring(clone_domain_xml(xml, "b", {})).find("./os/nvram") is None


def test_copy_step_names() -> None:
    assert copy_step("vdb") == "copy disk vdb"


# -------------------------------------------------------------------- transaction


def _txn(steps: list[str], fail_at: str | None = None) -> Transaction:
    return Transaction("create", "web", steps, fail_at)


def test_unknown_fail_at_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a step"):
        _txn(["a", "b"], fail_at="c")


def test_rollback_runs_in_reverse_and_reports_each_undo() -> None:
    undone: list[str] = []
    txn = _txn(["a", "b", "c"])
    with txn.step("a"):
        txn.on_rollback("thing A", "removed A", lambda: undone.append("A"))
    with txn.step("b"):
        txn.on_rollback("thing B", "removed B", lambda: undone.append("B"))
    with pytest.raises(ProvisionError) as info, txn.step("c"):
        raise RuntimeError("disk full")
    err = info.value
    assert undone == ["B", "A"]
    assert (err.step, err.reason) == ("c", "disk full")
    assert err.rolled_back == ["removed B", "removed A"]
    assert err.left_behind == [] and err.clean
    assert str(err) == (
        "Could not create VM 'web': step 'c' failed: disk full. "
        "Rolled back: removed B; removed A. Nothing was left behind."
    )
    assert isinstance(err.__cause__, RuntimeError)
    assert set(txn.timings) == {"a", "b", "c", "rollback"}


def test_a_failing_undo_stops_the_rollback_and_lists_what_is_left() -> None:
    undone: list[str] = []

    def cannot() -> None:
        raise OSError("device busy")

    txn = _txn(["a", "b", "c", "d"])
    with txn.step("a"):
        txn.on_rollback("volume A", "deleted A", lambda: undone.append("A"))
    with txn.step("b"):
        txn.on_rollback("VM B (defined)", "undefined B", cannot)
    with txn.step("c"):
        txn.on_rollback("VM B (running)", "forced off B", lambda: undone.append("C"))
    with pytest.raises(ProvisionError) as info, txn.step("d"):
        raise RuntimeError("boom")
    err = info.value
    assert undone == ["C"]
    assert err.rolled_back == ["forced off B"]
    assert err.left_behind == [
        "VM B (defined) (device busy)",
        "volume A (kept because the rollback above failed)",
    ]
    assert not err.clean
    assert "Could not roll back: VM B (defined) (device busy); volume A" in str(err)


def test_injected_failure_fires_before_the_step_body() -> None:
    ran: list[str] = []
    txn = _txn(["a", "b"], fail_at="b")
    with txn.step("a"):
        txn.on_rollback("A", "removed A", lambda: ran.append("undo A"))
    with pytest.raises(ProvisionError) as info, txn.step("b"):
        ran.append("body b")
    assert ran == ["undo A"]
    assert info.value.step == "b"
    assert isinstance(info.value.__cause__, InjectedFailure)
    assert "deliberate failure injected at step 'b'" in info.value.reason


def test_provisioning_modules_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import limen_tui.virt.provision, limen_tui.virt.clone\n"
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
