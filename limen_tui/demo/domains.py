"""The demo's domains: believable names, sizes, disks, NICs and a mix of run states."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape

from limen_tui.demo.facts import (
    DISK_DIR,
    GIB,
    HOSTILE_MARKUP,
    HOSTILE_UNICODE,
    KIB_PER_MIB,
    MIB,
    PAUSED,
    RUNNING,
    SHUTOFF,
    TEST_NS,
    attr,
    new_uuid,
)


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
    (HOSTILE_MARKUP, "lab"),
    ("monitoring", "monitoring"),
    ("db-replica-1", "db-replica"),
    (HOSTILE_UNICODE, "db-replica"),
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
class Domain:
    name: str
    role: _Role
    uuid: str
    vcpus: int
    mem_mib: int
    current_mib: int
    disks: list[_Disk]
    nics: list[_Nic]
    state: int = RUNNING
    managed_save: bool = False


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


def _mac(rng: random.Random, taken: set[str]) -> str:
    while True:
        octets = rng.getrandbits(24).to_bytes(3, "big")
        mac = "52:54:00:" + ":".join(f"{b:02x}" for b in octets)
        if mac not in taken:
            taken.add(mac)
            return mac


def build_domains(n_domains: int, seed: int) -> list[Domain]:
    domains: list[Domain] = []
    uuids: set[str] = set()
    macs: set[str] = set()
    for index, (name, role_name) in enumerate(_names(n_domains)):
        role = _ROLES[role_name]
        rng = random.Random(f"limen-demo:{seed}:{index}")
        dom_uuid = new_uuid(rng)
        while dom_uuid in uuids:
            dom_uuid = new_uuid(rng)
        uuids.add(dom_uuid)
        mem_mib = _pick(rng, role.mem_mib)
        # A fifth of the guests have been ballooned down a little.
        ballooned = mem_mib >= 2048 and rng.getrandbits(8) < 51
        current_mib = mem_mib * 3 // 4 if ballooned else mem_mib
        bus, prefix = ("sata", "sd") if role.windows else ("virtio", "vd")
        root_gib = _pick(rng, role.root_gib)
        # Thin qcow2: a few GiB actually written (rescaled to the pool later).
        root_alloc = (2 * GIB + rng.getrandbits(12) * MIB) * root_gib // 100
        disks = [_Disk(f"{prefix}a", bus, f"{name}-root.qcow2", root_gib * GIB, root_alloc)]
        if role.data_gib:
            data_alloc = (1 + rng.getrandbits(3)) * GIB
            disks.append(
                _Disk(f"{prefix}b", bus, f"{name}-data.qcow2", role.data_gib * GIB, data_alloc)
            )
        nics = [_Nic(net, _mac(rng, macs)) for net in role.networks]
        domains.append(
            Domain(
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


def assign_states(domains: list[Domain], seed: int) -> None:
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
        domains[index].state = SHUTOFF
    for index in paused[: max(1, round(n * 0.08))]:
        domains[index].state = PAUSED
    # The first shut-off Windows guest (or any shut-off guest) was managed-saved.
    off = [dom for dom in domains if dom.state == SHUTOFF]
    if off:
        saved = next((dom for dom in off if dom.role.windows), off[0])
        saved.managed_save = True


_DEMO_TAGS: Final[dict[str, tuple[str, ...]]] = {
    "web": ("web", "prod"),
    "app": ("app", "prod"),
    "lb": ("web", "edge"),
    "db": ("db", "prod"),
    "db-replica": ("db",),
    "cache": ("app",),
    "k8s-cp": ("k8s", "prod"),
    "k8s-worker": ("k8s",),
    "ci-runner": ("ci",),
    "build": ("ci",),
}
"""Tags of the demo's VMs by name prefix (the rest: infra), as an operator might set them."""


def _metadata(dom: Domain) -> list[str]:
    """Tags in limen-tui's namespace and libosinfo's OS, as virt/tags.py reads them."""
    prefix = dom.name.rsplit("-", 1)[0]
    tags = "".join(f"<tag>{t}</tag>" for t in _DEMO_TAGS.get(prefix, ("infra",)))
    os_id = "http://microsoft.com/win/2k22" if dom.role.windows else "http://debian.org/debian/12"
    return [
        "    <metadata>",
        f"      <limen:tags xmlns:limen='https://limen-tui.example/tags'>{tags}</limen:tags>",
        "      <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>",
        f"        <libosinfo:os id='{os_id}'/>",
        "      </libosinfo:libosinfo>",
        "    </metadata>",
    ]


def domain_xml(dom: Domain) -> list[str]:
    lines = [
        f"  <domain type='kvm' xmlns:test={attr(TEST_NS)}>",
        f"    <name>{escape(dom.name)}</name>",
        f"    <uuid>{dom.uuid}</uuid>",
        *_metadata(dom),
        f"    <memory unit='KiB'>{dom.mem_mib * KIB_PER_MIB}</memory>",
        f"    <currentMemory unit='KiB'>{dom.current_mib * KIB_PER_MIB}</currentMemory>",
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
        source = attr(f"{DISK_DIR}/{disk.volume}")
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
