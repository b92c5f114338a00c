"""Demo fleets for libvirt's *test* driver.

The test driver loads a whole fake host from one "node" XML file::

    test:///abs/path/fleet.xml          (in-process driver)
    test+unix:///abs/path/fleet.xml     (the same, hosted by a running libvirtd)

i.e. the URI is ``"test://" + absolute_path``.  This module generates such files:
a believable host (2 NUMA nodes, 64 threads, 512 GiB), networks, storage pools
with volumes, host NICs and ``n`` domains with realistic names, sizes, disks,
NICs and a mix of run states.  Output is a pure function of ``(n, seed, hint)``.

Facts about the node format (libvirt 9.0, ``src/test/test_driver.c``) that the
generator relies on:

* ``/node/cpu/{nodes,sockets,cores,threads,active,mhz,model}`` and
  ``/node/memory`` (KiB) feed ``virNodeGetInfo``; ``model`` must be < 32 bytes.
* The per-domain run state lives in the namespace
  ``http://libvirt.org/schemas/domain/test/1.0`` (the ``/1.0`` matters: any
  other URI is silently ignored) as ``<test:runstate>N</test:runstate>`` where
  N is a numeric ``virDomainState`` (1 running, 3 paused, 5 shut off, ...);
  the default is running.  ``<test:hasmanagedsave/>`` is only allowed together
  with runstate 5.
* Autostart cannot be expressed in the node file (domains, networks and pools
  all load with autostart off), so the generator does not try.
* Networks and pools are always loaded active.  A pool's capacity is fixed by
  the driver at 100 GiB whatever the XML says, and the ``<volume>`` allocations
  are subtracted from it unsigned, so each pool's volumes stay below that.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape

__all__ = ["DEMO_DOMAINS", "fleet_path", "fleet_xml", "write_fleet"]

DEMO_DOMAINS: Final = 48

_TEST_NS: Final = "http://libvirt.org/schemas/domain/test/1.0"
_RUNNING: Final = 1
_PAUSED: Final = 3
_SHUTOFF: Final = 5

_KIB_PER_MIB: Final = 1024
_GIB: Final = 1024**3
_MIB: Final = 1024**2
# The test driver pins every pool's capacity at 100 GiB; stay well inside it.
_POOL_CAPACITY: Final = 100 * _GIB
_POOL_BUDGET: Final = 72 * _GIB

_DISK_DIR: Final = "/srv/vm-disks"
_HOSTILE_MARKUP: Final = "lab-[bold]not-markup[reverse]"
_HOSTILE_UNICODE: Final = "ürün-db-ünicode-测试"


@dataclass(frozen=True)
class _Role:
    """How one kind of guest is sized and wired."""

    vcpus: tuple[int, ...]
    mem_mib: tuple[int, ...]
    root_gib: tuple[int, ...]
    networks: tuple[str, ...] = ("default",)
    data_gib: int = 0
    critical: bool = False  # always running
    disposable: bool = False  # likely to be shut off
    windows: bool = False


_ROLES: Final[dict[str, _Role]] = {
    "web": _Role((2, 4), (2048, 4096, 6144), (20, 30)),
    "app": _Role((2, 4), (4096, 8192), (30, 40)),
    "lb": _Role((2,), (2048, 4096), (10,), ("lan-br0", "default"), critical=True),
    "db-primary": _Role((16,), (65536,), (40,), ("default", "storage"), 500, critical=True),
    "db-replica": _Role((8, 12), (16384, 24576, 32768), (40,), ("default", "storage"), 500),
    "cache": _Role((2, 4), (4096, 8192), (20,)),
    "mq": _Role((4,), (8192,), (30,)),
    "k8s-cp": _Role((4,), (8192,), (50,), critical=True),
    "k8s-worker": _Role((8, 12, 16), (8192, 12288, 16384), (80, 100), ("default", "storage")),
    "ci-runner": _Role((4, 8), (4096, 8192), (60, 80), disposable=True),
    "build": _Role((8, 16), (8192, 16384), (120,), disposable=True),
    "mail": _Role((2,), (4096,), (40,), ("lan-br0",)),
    "dns": _Role((1,), (512, 1024), (10,), ("lan-br0",), critical=True),
    "ldap": _Role((2,), (2048,), (20,)),
    "vpn-gw": _Role((1,), (1024,), (10,), ("lan-br0", "default")),
    "monitoring": _Role((4,), (12288,), (100,), ("default", "storage"), critical=True),
    "logging": _Role((4,), (8192,), (60,), ("default", "storage"), 200),
    "backup": _Role((2,), (4096,), (20,), ("storage",), 1000),
    "gitea": _Role((2, 4), (4096,), (50,)),
    "registry": _Role((2,), (4096,), (30,), ("default", "storage"), 300),
    "windows": _Role((4,), (8192,), (80,), windows=True, disposable=True),
    "lab": _Role((1, 2), (1024, 2048), (20,), ("lab-isolated",), disposable=True),
    "batch": _Role((4, 8), (4096, 8192), (40,), disposable=True),
}

# The shipped 48, in an order that keeps small fleets varied (the first 10 hold
# both hostile names and a Windows guest).  (name, role)
_CURATED: Final[tuple[tuple[str, str], ...]] = (
    ("web-01", "web"),
    ("db-primary", "db-primary"),
    ("k8s-worker-01", "k8s-worker"),
    ("ci-runner-01", "ci-runner"),
    ("dns-1", "dns"),
    (_HOSTILE_MARKUP, "lab"),
    ("monitoring", "monitoring"),
    ("db-replica-1", "db-replica"),
    (_HOSTILE_UNICODE, "db-replica"),
    ("win2022-rdp", "windows"),
    ("web-02", "web"),
    ("k8s-cp-01", "k8s-cp"),
    ("k8s-worker-02", "k8s-worker"),
    ("build-amd64", "build"),
    ("mail", "mail"),
    ("lb-01", "lb"),
    ("cache-01", "cache"),
    ("ci-runner-02", "ci-runner"),
    ("backup", "backup"),
    ("k8s-worker-03", "k8s-worker"),
    ("web-03", "web"),
    ("dns-2", "dns"),
    ("k8s-cp-02", "k8s-cp"),
    ("db-replica-2", "db-replica"),
    ("ldap", "ldap"),
    ("k8s-worker-04", "k8s-worker"),
    ("build-arm64", "build"),
    ("mq-01", "mq"),
    ("ci-runner-03", "ci-runner"),
    ("lb-02", "lb"),
    ("web-04", "web"),
    ("k8s-cp-03", "k8s-cp"),
    ("logging", "logging"),
    ("k8s-worker-05", "k8s-worker"),
    ("gitea", "gitea"),
    ("cache-02", "cache"),
    ("vpn-gw", "vpn-gw"),
    ("ci-runner-04", "ci-runner"),
    ("k8s-worker-06", "k8s-worker"),
    ("registry", "registry"),
    ("win2019-dc", "windows"),
    ("app-01", "app"),
    ("k8s-worker-07", "k8s-worker"),
    ("ci-runner-05", "ci-runner"),
    ("app-02", "app"),
    ("build-cache", "build"),
    ("k8s-worker-08", "k8s-worker"),
    ("batch-01", "batch"),
)

# Families that grow past the curated set: (prefix, role, first number).
_GROWTH: Final[tuple[tuple[str, str, int], ...]] = (
    ("k8s-worker", "k8s-worker", 9),
    ("web", "web", 5),
    ("ci-runner", "ci-runner", 6),
    ("app", "app", 3),
    ("k8s-worker", "k8s-worker", 0),  # workers come twice per round
    ("cache", "cache", 3),
    ("batch", "batch", 2),
    ("build", "build", 1),
)

# Shared images in the default pool: (name, format, capacity GiB, allocation MiB).
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


@dataclass(frozen=True)
class _Disk:
    dev: str
    bus: str
    volume: str
    capacity: int  # bytes
    allocation: int  # bytes


@dataclass(frozen=True)
class _Nic:
    network: str
    mac: str


@dataclass
class _Domain:
    name: str
    role: _Role
    uuid: str
    vcpus: int
    mem_mib: int
    current_mib: int
    disks: list[_Disk]
    nics: list[_Nic]
    state: int = _RUNNING
    managed_save: bool = False


def fleet_path() -> Path:
    """The demo fleet shipped inside the package (``fleet_xml(DEMO_DOMAINS)``)."""
    return Path(__file__).resolve().parent / "fleet.xml"


def demo_uri() -> str:
    """The libvirt URI of the demo hypervisor: the test driver on the shipped fleet."""
    return "test://" + str(fleet_path())


def fleet_xml(n_domains: int, *, seed: int = 7, hostname_hint: str = "demo") -> str:
    """A test-driver node XML document with ``n_domains`` domains.

    Deterministic for a given ``(n_domains, seed, hostname_hint)``; a domain's
    name, UUID, size and NICs depend only on ``seed`` and its position, so a
    smaller fleet is a prefix of a larger one (run states and volume
    allocations are balanced over the whole fleet).  The hint names the fake
    host in a comment and the DNS domain of the default network (the test
    driver reports the real hostname).  The document is ASCII: non-ASCII names
    are written as character references.
    """
    if n_domains < 0:
        raise ValueError(f"n_domains must be >= 0, not {n_domains}")
    domains = _build_domains(n_domains, seed)
    _assign_states(domains, seed)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!-- limen-tui demo fleet: host {_comment(hostname_hint)}, {n_domains} domains,"
        f" seed {seed}. Generated by limen_tui.demo; do not edit. -->",
        "<node>",
        *_node_info(),
        *_host_interfaces(seed),
        *_networks(seed, hostname_hint),
        *_pools(seed, domains),
        *(line for dom in domains for line in _domain_xml(dom)),
        "</node>",
        "",
    ]
    return "\n".join(parts).encode("ascii", "xmlcharrefreplace").decode("ascii")


def write_fleet(path: Path, n_domains: int, *, seed: int = 7) -> Path:
    """Write ``fleet_xml(n_domains, seed=seed)`` to ``path`` and return ``path``."""
    path.write_text(fleet_xml(n_domains, seed=seed), encoding="ascii")
    return path


# -- domains ---------------------------------------------------------------------------------


def _names(n_domains: int) -> Iterator[tuple[str, str]]:
    yield from _CURATED[:n_domains]
    counters = {prefix: first for prefix, _role, first in _GROWTH if first}
    made = len(_CURATED)
    while made < n_domains:
        for prefix, role, _first in _GROWTH:
            if made >= n_domains:
                return
            yield f"{prefix}-{counters[prefix]:02d}", role
            counters[prefix] += 1
            made += 1


def _pick(rng: random.Random, options: tuple[int, ...]) -> int:
    # getrandbits is stable across Python versions; choice()/randrange() need not be.
    return options[rng.getrandbits(32) % len(options)]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _mac(rng: random.Random, taken: set[str]) -> str:
    while True:
        octets = rng.getrandbits(24).to_bytes(3, "big")
        mac = "52:54:00:" + ":".join(f"{b:02x}" for b in octets)
        if mac not in taken:
            taken.add(mac)
            return mac


def _build_domains(n_domains: int, seed: int) -> list[_Domain]:
    domains: list[_Domain] = []
    uuids: set[str] = set()
    macs: set[str] = set()
    for index, (name, role_name) in enumerate(_names(n_domains)):
        role = _ROLES[role_name]
        rng = random.Random(f"limen-demo:{seed}:{index}")
        dom_uuid = _uuid(rng)
        while dom_uuid in uuids:
            dom_uuid = _uuid(rng)
        uuids.add(dom_uuid)
        mem_mib = _pick(rng, role.mem_mib)
        # A fifth of the guests have been ballooned down a little.
        ballooned = mem_mib >= 2048 and rng.getrandbits(8) < 51
        current_mib = mem_mib * 3 // 4 if ballooned else mem_mib
        bus, prefix = ("sata", "sd") if role.windows else ("virtio", "vd")
        root_gib = _pick(rng, role.root_gib)
        # Thin qcow2: a few GiB actually written (rescaled to the pool later).
        root_alloc = (2 * _GIB + rng.getrandbits(12) * _MIB) * root_gib // 100
        disks = [_Disk(f"{prefix}a", bus, f"{name}-root.qcow2", root_gib * _GIB, root_alloc)]
        if role.data_gib:
            data_alloc = (1 + rng.getrandbits(3)) * _GIB
            disks.append(
                _Disk(f"{prefix}b", bus, f"{name}-data.qcow2", role.data_gib * _GIB, data_alloc)
            )
        nics = [_Nic(net, _mac(rng, macs)) for net in role.networks]
        domains.append(
            _Domain(
                name=name,
                role=role,
                uuid=dom_uuid,
                vcpus=_pick(rng, role.vcpus),
                mem_mib=mem_mib,
                current_mib=current_mib,
                disks=disks,
                nics=nics,
            )
        )
    return domains


def _assign_states(domains: list[_Domain], seed: int) -> None:
    """Mostly running; ~15% shut off (disposable guests first) and ~8% paused."""
    n = len(domains)
    if n < 3:
        return
    rng = random.Random(f"limen-demo-states:{seed}:{n}")
    off_keys: list[tuple[float, int]] = []
    pause_keys: list[tuple[float, int]] = []
    for index, dom in enumerate(domains):
        off_draw = rng.getrandbits(32) / 2**32
        pause_draw = rng.getrandbits(32) / 2**32
        if not dom.role.critical:
            off_keys.append((off_draw - (0.6 if dom.role.disposable else 0.0), index))
            pause_keys.append((pause_draw, index))
    off_keys.sort()
    shutoff = {index for _key, index in off_keys[: max(1, round(n * 0.15))]}
    paused = [index for _key, index in sorted(pause_keys) if index not in shutoff]
    for index in shutoff:
        domains[index].state = _SHUTOFF
    for index in paused[: max(1, round(n * 0.08))]:
        domains[index].state = _PAUSED
    # The first shut-off Windows guest (or any shut-off guest) was managed-saved.
    off = [dom for dom in domains if dom.state == _SHUTOFF]
    if off:
        saved = next((dom for dom in off if dom.role.windows), off[0])
        saved.managed_save = True


def _domain_xml(dom: _Domain) -> list[str]:
    lines = [
        f"  <domain type='kvm' xmlns:test={_attr(_TEST_NS)}>",
        f"    <name>{escape(dom.name)}</name>",
        f"    <uuid>{dom.uuid}</uuid>",
        f"    <memory unit='KiB'>{dom.mem_mib * _KIB_PER_MIB}</memory>",
        f"    <currentMemory unit='KiB'>{dom.current_mib * _KIB_PER_MIB}</currentMemory>",
        f"    <vcpu placement='static'>{dom.vcpus}</vcpu>",
        "    <os>",
        "      <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>",
        "      <boot dev='hd'/>",
        "    </os>",
        "    <features>",
        "      <acpi/>",
        "      <apic/>",
        "    </features>",
        f"    <clock offset='{'localtime' if dom.role.windows else 'utc'}'/>",
        "    <on_poweroff>destroy</on_poweroff>",
        "    <on_reboot>restart</on_reboot>",
        "    <on_crash>destroy</on_crash>",
        "    <devices>",
    ]
    for disk in dom.disks:
        source = _attr(f"{_DISK_DIR}/{disk.volume}")
        lines += [
            "      <disk type='file' device='disk'>",
            "        <driver name='qemu' type='qcow2' discard='unmap'/>",
            f"        <source file={source}/>",
            f"        <target dev='{disk.dev}' bus='{disk.bus}'/>",
            "      </disk>",
        ]
    if dom.role.windows:
        lines += [
            "      <disk type='file' device='cdrom'>",
            "        <driver name='qemu' type='raw'/>",
            "        <source file='/var/lib/libvirt/images/virtio-win-0.1.262.iso'/>",
            "        <target dev='sdc' bus='sata'/>",
            "        <readonly/>",
            "      </disk>",
        ]
    model = "e1000e" if dom.role.windows else "virtio"
    for nic in dom.nics:
        lines += [
            "      <interface type='network'>",
            f"        <mac address='{nic.mac}'/>",
            f"        <source network='{nic.network}'/>",
            f"        <model type='{model}'/>",
            "      </interface>",
        ]
    lines += [
        "      <serial type='pty'>",
        "        <target port='0'/>",
        "      </serial>",
        "      <console type='pty'>",
        "        <target type='serial' port='0'/>",
        "      </console>",
    ]
    if dom.role.windows:
        lines.append("      <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>")
    lines += [
        "      <memballoon model='virtio'/>",
        "    </devices>",
        f"    <test:runstate>{dom.state}</test:runstate>",
    ]
    if dom.managed_save:
        lines.append("    <test:hasmanagedsave/>")
    lines.append("  </domain>")
    return lines


# -- host ------------------------------------------------------------------------------------


def _attr(text: str) -> str:
    """A single-quoted XML attribute value."""
    return "'" + escape(text, {"'": "&apos;"}) + "'"


def _comment(text: str) -> str:
    return text.replace("--", "- -").rstrip("-")


def _node_info() -> list[str]:
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


def _host_interfaces(seed: int) -> list[str]:
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


def _networks(seed: int, hostname_hint: str) -> list[str]:
    rng = random.Random(f"limen-demo-net:{seed}")
    dns_domain = _attr(f"{hostname_hint}.internal")
    nets = [
        [
            "  <network>",
            "    <name>default</name>",
            f"    <uuid>{_uuid(rng)}</uuid>",
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
            f"    <uuid>{_uuid(rng)}</uuid>",
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
            f"    <uuid>{_uuid(rng)}</uuid>",
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
            f"    <uuid>{_uuid(rng)}</uuid>",
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
        f"    <capacity unit='bytes'>{_POOL_CAPACITY}</capacity>",
        "    <target>",
        f"      <path>{path}</path>",
        "    </target>",
        *(line for vol in volumes for line in vol),
        "  </pool>",
    ]


def _pools(seed: int, domains: list[_Domain]) -> list[str]:
    rng = random.Random(f"limen-demo-pool:{seed}")
    images_dir = "/var/lib/libvirt/images"
    images = [
        _volume(name, f"{images_dir}/{name}", fmt, cap * _GIB, alloc * _MIB)
        for name, fmt, cap, alloc in _IMAGES
    ]
    # Every guest disk is a volume in vm-disks; scale the written bytes so the
    # pool fits the driver's fixed 100 GiB (a 1000-guest fleet gets tiny disks).
    disks = [disk for dom in domains for disk in dom.disks]
    total = sum(disk.allocation for disk in disks)
    vm_disks = [
        _volume(
            disk.volume,
            f"{_DISK_DIR}/{disk.volume}",
            "qcow2",
            disk.capacity,
            disk.allocation if total <= _POOL_BUDGET else disk.allocation * _POOL_BUDGET // total,
        )
        for disk in disks
    ]
    backups_dir = "/srv/backup"
    backups = [
        _volume(name, f"{backups_dir}/{name}", "raw", alloc * _GIB, alloc * _GIB)
        for name, alloc in _BACKUPS
    ]
    return [
        *_pool("default", _uuid(rng), images_dir, images),
        *_pool("vm-disks", _uuid(rng), _DISK_DIR, vm_disks),
        *_pool("backup", _uuid(rng), backups_dir, backups),
    ]
