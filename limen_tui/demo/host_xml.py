"""The demo host's node XML around the domains: node info, host NICs, networks, pools."""

from __future__ import annotations

import random
from typing import Final
from xml.sax.saxutils import escape

from limen_tui.demo.domains import Domain
from limen_tui.demo.facts import DISK_DIR, GIB, MIB, POOL_BUDGET, POOL_CAPACITY, attr, new_uuid

# -- host ------------------------------------------------------------------------------------

_IMAGES: Final[tuple[tuple[str, str, int, int], ...]] = (
    ("debian-12-genericcloud-amd64.qcow2", "qcow2", 2, 412),
    ("ubuntu-24.04-server-cloudimg-amd64.img", "qcow2", 3, 584),
    ("rocky-9.4-genericcloud-x86_64.qcow2", "qcow2", 10, 1094),
    ("alpine-virt-3.20.3-x86_64.iso", "raw", 1, 63),
    ("SERVER_EVAL_x64FRE_en-us.iso", "raw", 5, 4952),
    ("virtio-win-0.1.262.iso", "raw", 1, 708),
)

# Backup archives: (name, allocation GiB).
_BACKUPS: Final[tuple[tuple[str, int], ...]] = (
    ("db-primary-full-weekly.tar.zst", 38),
    ("db-primary-incr-daily.tar.zst", 6),
    ("gitea-dump.zip", 4),
    ("ldap-export.ldif.gz", 1),
    ("k8s-etcd-snapshot.db", 1),
)


def comment(text: str) -> str:
    return text.replace("--", "- -").rstrip("-")


def node_info() -> list[str]:
    # 2 NUMA nodes x 1 socket x 16 cores x 2 threads = 64 CPUs (a 2-socket
    # Xeon Gold 6226R box, 512 GiB); virNodeGetInfo's model is the arch, as on a
    # real host.
    return [
        "  <cpu>",
        "    <mhz>2900</mhz>",
        "    <model>x86_64</model>",
        "    <nodes>2</nodes>",
        "    <sockets>1</sockets>",
        "    <cores>16</cores>",
        "    <threads>2</threads>",
        "    <active>64</active>",
        "  </cpu>",
        f"  <memory>{512 * 1024 * 1024}</memory>",
    ]


def host_interfaces(seed: int) -> list[str]:
    rng = random.Random(f"limen-demo-host:{seed}")
    lines: list[str] = []
    for name, addr in (("eno1", "10.10.0.21"), ("eno2", "10.20.0.21")):
        octets = rng.getrandbits(24).to_bytes(3, "big")
        mac = "3c:ec:ef:" + ":".join(f"{b:02x}" for b in octets)
        lines += [
            f"  <interface type='ethernet' name='{name}'>",
            "    <start mode='onboot'/>",
            f"    <mac address='{mac}'/>",
            "    <mtu size='9000'/>" if name == "eno2" else "    <mtu size='1500'/>",
            "    <protocol family='ipv4'>",
            f"      <ip address='{addr}' prefix='24'/>",
        ]
        if name == "eno1":
            lines.append("      <route gateway='10.10.0.1'/>")
        lines += ["    </protocol>", "  </interface>"]
    return lines


def networks(seed: int, hostname_hint: str) -> list[str]:
    rng = random.Random(f"limen-demo-net:{seed}")
    dns_domain = attr(f"{hostname_hint}.internal")
    nets = [
        [
            "  <network>",
            "    <name>default</name>",
            f"    <uuid>{new_uuid(rng)}</uuid>",
            "    <forward mode='nat'>",
            "      <nat>",
            "        <port start='1024' end='65535'/>",
            "      </nat>",
            "    </forward>",
            "    <bridge name='virbr0' stp='on' delay='0'/>",
            f"    <domain name={dns_domain} localOnly='yes'/>",
            "    <ip address='192.168.122.1' netmask='255.255.255.0'>",
            "      <dhcp>",
            "        <range start='192.168.122.2' end='192.168.122.254'/>",
            "      </dhcp>",
            "    </ip>",
            "  </network>",
        ],
        [
            "  <network>",
            "    <name>storage</name>",
            f"    <uuid>{new_uuid(rng)}</uuid>",
            "    <forward mode='route' dev='eno2'/>",
            "    <bridge name='virbr1' stp='on' delay='0'/>",
            "    <mtu size='9000'/>",
            "    <ip address='10.20.10.1' prefix='24'>",
            "      <dhcp>",
            "        <range start='10.20.10.100' end='10.20.10.250'/>",
            "      </dhcp>",
            "    </ip>",
            "  </network>",
        ],
        [
            "  <network>",
            "    <name>lab-isolated</name>",
            f"    <uuid>{new_uuid(rng)}</uuid>",
            "    <bridge name='virbr2' stp='on' delay='0'/>",
            "    <ip address='10.99.0.1' prefix='24'>",
            "      <dhcp>",
            "        <range start='10.99.0.10' end='10.99.0.200'/>",
            "      </dhcp>",
            "    </ip>",
            "  </network>",
        ],
        [
            "  <network>",
            "    <name>lan-br0</name>",
            f"    <uuid>{new_uuid(rng)}</uuid>",
            "    <forward mode='bridge'/>",
            "    <bridge name='br0'/>",
            "  </network>",
        ],
    ]
    return [line for net in nets for line in net]


def _volume(name: str, path: str, fmt: str, capacity: int, allocation: int) -> list[str]:
    return [
        "    <volume type='file'>",
        f"      <name>{escape(name)}</name>",
        f"      <capacity unit='bytes'>{capacity}</capacity>",
        f"      <allocation unit='bytes'>{allocation}</allocation>",
        "      <target>",
        f"        <path>{escape(path)}</path>",
        f"        <format type='{fmt}'/>",
        "      </target>",
        "    </volume>",
    ]


def _pool(name: str, pool_uuid: str, path: str, volumes: list[list[str]]) -> list[str]:
    return [
        "  <pool type='dir'>",
        f"    <name>{name}</name>",
        f"    <uuid>{pool_uuid}</uuid>",
        f"    <capacity unit='bytes'>{POOL_CAPACITY}</capacity>",
        "    <target>",
        f"      <path>{path}</path>",
        "    </target>",
        *(line for vol in volumes for line in vol),
        "  </pool>",
    ]


def pools(seed: int, domains: list[Domain]) -> list[str]:
    rng = random.Random(f"limen-demo-pool:{seed}")
    images_dir = "/var/lib/libvirt/images"
    images = [
        _volume(name, f"{images_dir}/{name}", fmt, cap * GIB, alloc * MIB)
        for name, fmt, cap, alloc in _IMAGES
    ]
    # Every guest disk is a volume in vm-disks; scale the written bytes so the
    # pool fits the driver's fixed 100 GiB (a 1000-guest fleet gets tiny disks).
    disks = [disk for dom in domains for disk in dom.disks]
    total = sum(disk.allocation for disk in disks)
    vm_disks = [
        _volume(
            disk.volume,
            f"{DISK_DIR}/{disk.volume}",
            "qcow2",
            disk.capacity,
            disk.allocation if total <= POOL_BUDGET else disk.allocation * POOL_BUDGET // total,
        )
        for disk in disks
    ]
    backups_dir = "/srv/backup"
    backups = [
        _volume(name, f"{backups_dir}/{name}", "raw", alloc * GIB, alloc * GIB)
        for name, alloc in _BACKUPS
    ]
    return [
        *_pool("default", new_uuid(rng), images_dir, images),
        *_pool("vm-disks", new_uuid(rng), DISK_DIR, vm_disks),
        *_pool("backup", new_uuid(rng), backups_dir, backups),
    ]
