"""Devices from a domain's XML, and the ssh tunnel that reaches its graphical console."""

from __future__ import annotations

from limen_tui.model.devices import parse_devices, tunnel_command

XML = """<domain type='kvm'><name>web</name><description>front end</description><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
  <source file='/var/lib/libvirt/images/web.qcow2'/><target dev='vda'/></disk>
<disk type='file' device='cdrom'><target dev='sda'/></disk>
<interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/>
  <model type='virtio'/></interface>
<graphics type='vnc' port='5901' listen='0.0.0.0'/>
<graphics type='spice' port='-1' autoport='yes'/>
</devices></domain>"""


def test_devices_are_read_from_the_xml() -> None:
    d = parse_devices(XML)
    assert d.disks == ["vda: /var/lib/libvirt/images/web.qcow2 (qcow2)", "sda: (empty) (cdrom)"]
    assert d.nics == ["52:54:00:aa:bb:cc: network default (virtio)"]
    assert d.graphics[1] == "spice 127.0.0.1 (port chosen at start)"
    assert d.displays == [("vnc", "0.0.0.0", 5901)]
    assert d.description == "front end"


def test_tunnel_for_a_remote_host_and_plain_address_for_this_one() -> None:
    assert tunnel_command("vnc", "0.0.0.0", 5901, "hv2", "root") == (
        "ssh -N -L 5901:127.0.0.1:5901 root@hv2   then vnc to localhost:5901"
    )
    assert tunnel_command("spice", "127.0.0.1", 5930, None, None) == (
        "spice://127.0.0.1:5930 (on this host)"
    )


def test_bad_xml_says_so() -> None:
    assert "could not be read" in parse_devices("<domain").description
