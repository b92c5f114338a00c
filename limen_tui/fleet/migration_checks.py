"""Whether a VM can move to a host, one sentence per reason it cannot (pure).

Fed with what the source said the VM needs and what the destination said it offers
(virt/migration.py reads both); nothing starts while this returns any sentence.
"""

from __future__ import annotations

from limen_tui.model.action_params import Migrate
from limen_tui.virt.migration import DestOffer, VmNeeds

MIB = 1024 * 1024
DEFAULT_RESERVE = 256 * MIB
"""Memory kept free on the destination for its own processes by default."""


def _mib(n: int) -> str:
    return f"{n / MIB:.0f} MiB"


def check(
    needs: VmNeeds,
    offer: DestOffer,
    params: Migrate,
    *,
    source: str,
    dest: str,
    reserve_bytes: int = DEFAULT_RESERVE,
) -> list[str]:
    """Every reason `needs` cannot move from `source` to `dest` as `params` asks; [] if none."""
    vm = needs.name
    found: list[str] = []
    if offer.host_uuid and offer.host_uuid == needs.source_uuid:
        found.append(
            f"{dest} is the same host as {source} (host UUID {offer.host_uuid}): "
            "libvirt cannot migrate a VM to the host it runs on."
        )
    elif offer.hostname == needs.source_hostname:
        found.append(
            f"{dest} has the same host name as {source} ({offer.hostname}): libvirt refuses "
            "to migrate between hosts of the same name; give each host its own."
        )
    if offer.same_name is not None:
        found.append(f"{dest} already has a VM {offer.same_name}: remove or rename it first.")
    if params.bandwidth_mib_s < 0:
        found.append(f"the bandwidth limit is {params.bandwidth_mib_s} MiB/s: 0 (none) or more.")
    if not needs.active and params.copy_storage:
        found.append(
            f"{vm} is shut off, and an offline migration moves only its definition, not its "
            "disks: copy the disks yourself, or start it and migrate it live with copy storage."
        )
    if needs.active:
        need = needs.memory_kib * 1024
        free = offer.free_bytes - reserve_bytes
        if need > free:
            found.append(
                f"{dest} has {_mib(max(0, free))} free (keeping {_mib(reserve_bytes)} for "
                f"itself) but {vm} needs {_mib(need)}: free memory there or pick another host."
            )
        found.extend(_cpu(needs, offer, dest))
    found.extend(_networks(needs, offer, dest))
    found.extend(_disks(needs, offer, params, dest))
    return found


def _cpu(needs: VmNeeds, offer: DestOffer, dest: str) -> list[str]:
    if needs.cpu_passthrough and needs.source_cpu_model != offer.cpu_model:
        return [
            f"{needs.name} passes the host CPU through ({needs.source_cpu_model or 'unknown'}) "
            f"and {dest}'s CPU is {offer.cpu_model or 'unknown'}: the guest would see its CPU "
            "change; migrate between identical hosts or give the VM a named CPU model."
        ]
    if offer.cpu_problem is not None:
        return [f"{needs.name}'s CPU cannot run on {dest}: {offer.cpu_problem}."]
    return []


def _networks(needs: VmNeeds, offer: DestOffer, dest: str) -> list[str]:
    found = []
    for net in dict.fromkeys(needs.networks):
        if net not in offer.networks:
            found.append(
                f"{needs.name} uses network {net}, which {dest} does not have: define it there."
            )
        elif needs.active and not offer.networks[net]:
            found.append(f"network {net} is not running on {dest}: start it there first.")
    return found


def _disks(needs: VmNeeds, offer: DestOffer, params: Migrate, dest: str) -> list[str]:
    found = []
    for disk in needs.disks:
        present = offer.disks_present.get(disk.path, False)
        if present:
            continue
        where = f"disk {disk.target} ({disk.path})"
        if disk.pool is not None and disk.pool not in offer.pools:
            fix = "define it there" + ("" if params.copy_storage else ", or choose copy storage")
            found.append(f"{where} is in storage pool {disk.pool}, which {dest} lacks: {fix}.")
        elif not params.copy_storage and needs.active:
            found.append(
                f"{where} is not on {dest}'s storage: choose copy storage, or share the "
                f"storage and define a pool over it on {dest}."
            )
        elif not needs.active:
            found.append(
                f"{where} is not on {dest}'s storage, and an offline migration does not "
                "copy disks: share the storage (a pool over it there) or copy the disk first."
            )
    return found
