"""The device dialog's checks and the XML edit's diff and checks: pure, no daemon."""

from __future__ import annotations

import pytest

from limen_tui.model.device_list import (
    DeviceList,
    mac_problem,
    next_target,
    parse_device_list,
    parse_size,
    target_problem,
)
from limen_tui.model.xml_edit import edit_problem, live_vs_config, unchanged, xml_diff

XML = """<domain type='qemu' id='3'><name>web</name><uuid>u-1</uuid>
<os><boot dev='network'/></os>
<devices>
<disk type='file' device='disk'><source file='/i/a.qcow2'/><target dev='vda' bus='virtio'/>
<alias name='virtio-disk0'/></disk>
<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
<interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/>
<boot order='1'/></interface>
</devices></domain>"""


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("10G", 10 * 1024**3),
        ("512M", 512 * 1024**2),
        ("1.5T", int(1.5 * 1024**4)),
        ("20", 20 * 1024**3),
        ("64 MiB", 64 * 1024**2),
    ],
)
def test_sizes_in_operator_words(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("10X", "'10X' is not a size; write 10G or 512M"),
        ("", "'an empty size' is not a size"),
        ("1K", "at least 1M"),
        ("100T", "more than 64T"),
    ],
)
def test_bad_sizes_say_why(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_size(text)


def test_devices_are_read_from_the_xml() -> None:
    found = parse_device_list(XML)
    assert [(d.target, d.device, d.source, d.alias) for d in found.disks] == [
        ("vda", "disk", "/i/a.qcow2", "virtio-disk0"),
        ("hdc", "cdrom", "", ""),
    ]
    assert found.disk("hdc") is not None and found.disk("hdc").removable  # type: ignore[union-attr]
    assert found.nics[0].source == "default" and found.boot_order == ["52:54:00:00:00:01"]
    assert found.os_boot == ("network",)
    assert next_target(found, "virtio") == "vdb" and next_target(found, "ide") == "hda"
    assert next_target(DeviceList(), "sata") == "sda"
    assert not found.disk("hdc").tray_open  # type: ignore[union-attr]
    opened = parse_device_list(XML.replace("bus='ide'/>", "bus='ide' tray='open'/>"))
    assert opened.disk("hdc").tray_open  # type: ignore[union-attr]


def test_names_and_macs_are_checked() -> None:
    found = parse_device_list(XML)
    assert target_problem("vda", found) == "vda is already used by this VM"
    assert target_problem("disk1", found) == "'disk1' is not a device name; write vdb, sdb or hdc"
    assert target_problem("vdb", found) is None
    assert mac_problem("", found) is None
    assert (
        mac_problem("52:54:00:00:00:01", found)
        == "this VM already has a NIC with MAC 52:54:00:00:00:01"
    )
    assert "multicast" in (mac_problem("01:00:5e:00:00:01", found) or "")
    assert "not a MAC address" in (mac_problem("52:54:00", found) or "")


def test_an_edit_is_diffed_and_checked_before_libvirt_sees_it() -> None:
    edited = XML.replace("<name>web</name>", "<name>web</name><description>x</description>")
    diff = xml_diff(XML, edited)
    assert diff[:2] == ["--- now", "+++ edited"]
    assert any(ln.startswith("+") and "<description>x</description>" in ln for ln in diff)
    assert xml_diff(XML, XML) == [] and unchanged(XML, XML + "\n  ")
    assert edit_problem(XML, edited) is None
    assert "not well-formed" in (edit_problem(XML, "<domain>") or "")
    assert "UUID" in (edit_problem(XML, XML.replace("u-1", "u-2")) or "")
    assert "rename" in (edit_problem(XML, XML.replace(">web<", ">db<")) or "")
    assert "empty" in (edit_problem(XML, "  ") or "")


def test_live_and_config_agree_when_only_runtime_state_differs() -> None:
    live = XML.replace("<devices>", "<resource><partition>/machine</partition></resource><devices>")
    config = XML.replace("<alias name='virtio-disk0'/>", "")
    assert live_vs_config(live, config) == []
    assert live_vs_config(live, config.replace("'/i/a.qcow2'", "'/i/b.qcow2'")) != []


def test_the_audit_keeps_an_xml_edits_digest_not_its_secrets() -> None:
    from limen_tui.model.action_params import as_record
    from limen_tui.model.device_params import EditXml
    from limen_tui.model.xml_edit import sha256

    xml = "<domain><graphics type='vnc' passwd='s3cret'/></domain>"
    record = as_record(EditXml(xml, "b" * 64))
    assert record == {"xml_sha256": sha256(xml), "xml_chars": len(xml), "base_sha256": "b" * 64}
    assert "s3cret" not in repr(record)
