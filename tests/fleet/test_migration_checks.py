"""The migration checks on what the two hosts said, without libvirtd: one sentence per reason."""

from __future__ import annotations

from dataclasses import replace

from limen_tui.fleet.migration_checks import check
from limen_tui.model.action_params import Migrate
from limen_tui.virt.migration import DestOffer, DiskNeed, VmNeeds

MIB = 1024 * 1024
NEEDS = VmNeeds(
    name="web",
    uuid="u-1",
    active=True,
    persistent=True,
    memory_kib=128 * 1024,
    vcpus=1,
    cpu_xml=None,
    cpu_passthrough=False,
    arch="x86_64",
    machine="pc",
    virt_type="qemu",
    networks=("lan",),
    disks=(DiskNeed("vda", "/images/web.qcow2", "images"),),
    source_uuid="host-a",
    source_hostname="lab-a",
    source_cpu_model="EPYC",
)
OFFER = DestOffer(
    hostname="lab-b",
    host_uuid="host-b",
    free_bytes=4096 * MIB,
    cpu_problem=None,
    cpu_model="EPYC",
    networks={"lan": True},
    pools={"images": True},
    disks_present={"/images/web.qcow2": True},
)


def run(needs: VmNeeds = NEEDS, offer: DestOffer = OFFER, **params: object) -> list[str]:
    return check(needs, offer, Migrate("lab-b", **params), source="lab-a", dest="lab-b")  # type: ignore[arg-type]


def test_a_fitting_destination_has_nothing_to_say() -> None:
    assert run() == []


def test_same_host_uuid_and_same_name_are_refused() -> None:
    assert run(offer=replace(OFFER, host_uuid="host-a")) == [
        "lab-b is the same host as lab-a (host UUID host-a): libvirt cannot migrate a VM to "
        "the host it runs on."
    ]
    assert "same host name" in run(offer=replace(OFFER, hostname="lab-a"))[0]


def test_not_enough_memory_says_both_figures_and_the_reserve() -> None:
    assert run(offer=replace(OFFER, free_bytes=300 * MIB)) == [
        "lab-b has 44 MiB free (keeping 256 MiB for itself) but web needs 128 MiB: free "
        "memory there or pick another host."
    ]


def test_memory_does_not_matter_offline() -> None:
    assert run(replace(NEEDS, active=False), replace(OFFER, free_bytes=0)) == []


def test_a_missing_network_and_a_stopped_one() -> None:
    assert run(offer=replace(OFFER, networks={})) == [
        "web uses network lan, which lab-b does not have: define it there."
    ]
    assert run(offer=replace(OFFER, networks={"lan": False})) == [
        "network lan is not running on lab-b: start it there first."
    ]


def test_disks_need_shared_storage_or_copy_storage() -> None:
    absent = replace(OFFER, disks_present={})
    assert run(offer=replace(absent, pools={})) == [
        "disk vda (/images/web.qcow2) is in storage pool images, which lab-b lacks: define it "
        "there, or choose copy storage."
    ]
    assert (
        "choose copy storage, or share the storage"
        in run(replace(NEEDS, disks=(DiskNeed("vda", "/x.img"),)), absent)[0]
    )
    assert run(replace(NEEDS, disks=(DiskNeed("vda", "/x.img"),)), absent, copy_storage=True) == []


def test_offline_does_not_copy_disks() -> None:
    offline = replace(NEEDS, active=False)
    assert "offline migration moves only its definition" in run(offline, copy_storage=True)[0]


def test_cpu_problems_are_said() -> None:
    assert run(offer=replace(OFFER, cpu_problem="its CPU model is not available there")) == [
        "web's CPU cannot run on lab-b: its CPU model is not available there."
    ]
    passthrough = replace(NEEDS, cpu_passthrough=True)
    assert (
        "passes the host CPU through (EPYC)"
        in run(passthrough, replace(OFFER, cpu_model="Xeon"))[0]
    )


def test_a_vm_of_the_same_name_there_and_a_bad_bandwidth() -> None:
    found = run(offer=replace(OFFER, same_name="web (running)"), bandwidth_mib_s=-1)
    assert found == [
        "lab-b already has a VM web (running): remove or rename it first.",
        "the bandwidth limit is -1 MiB/s: 0 (none) or more.",
    ]
