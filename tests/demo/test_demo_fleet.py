"""The demo fleet: shipped file is current, and libvirt's test driver loads it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libvirt
import pytest

from limen_tui.demo import DEMO_DOMAINS, fleet_path, fleet_xml, write_fleet

RUNNING, PAUSED, SHUTOFF = 1, 3, 5


def _uri(path: Path) -> str:
    # "test://" + "/abs/path" gives the three slashes libvirt wants.
    return "test://" + str(path.resolve())


@pytest.fixture(scope="module")
def demo_conn() -> Iterator[Any]:
    libvirt.registerErrorHandler(lambda *_: None, None)
    conn = libvirt.open(_uri(fleet_path()))
    try:
        yield conn
    finally:
        conn.close()


def test_shipped_file_matches_generator() -> None:
    assert fleet_path().is_file()
    assert fleet_path().read_text(encoding="utf-8") == fleet_xml(DEMO_DOMAINS)


def test_generator_is_deterministic_and_seeded() -> None:
    assert fleet_xml(20) == fleet_xml(20, seed=7)
    assert fleet_xml(20, seed=8) != fleet_xml(20)
    assert fleet_xml(20, hostname_hint="lab") != fleet_xml(20)
    assert fleet_xml(0).count("<domain type=") == 0
    with pytest.raises(ValueError):
        fleet_xml(-1)


def test_demo_fleet_domains(demo_conn: Any) -> None:
    domains = demo_conn.listAllDomains()
    assert len(domains) == DEMO_DOMAINS >= 40
    states = Counter(dom.state()[0] for dom in domains)
    assert states[RUNNING] > states[PAUSED] + states[SHUTOFF]
    assert states[PAUSED] >= 2
    assert states[SHUTOFF] >= 2
    names = {dom.name() for dom in domains}
    assert "lab-[bold]not-markup[reverse]" in names
    assert "ürün-db-ünicode-测试" in names
    assert len({dom.UUIDString() for dom in domains}) == len(domains)
    for dom in domains:
        xml = dom.XMLDesc()
        assert "<disk " in xml
        assert "<interface " in xml
        _state, max_kib, _cur_kib, vcpus, _cpu = dom.info()
        assert 1 <= vcpus <= 16
        assert 512 * 1024 <= max_kib <= 64 * 1024 * 1024


def test_demo_fleet_host(demo_conn: Any) -> None:
    _model, memory_mib, cpus, mhz, *_topology = demo_conn.getInfo()
    assert cpus >= 16
    assert mhz > 0
    assert memory_mib >= 128 * 1024
    assert len(demo_conn.listAllNetworks()) >= 2
    pools = demo_conn.listAllStoragePools()
    assert len(pools) >= 2
    for pool in pools:
        assert pool.numOfVolumes() >= 1
        _state, capacity, allocation, available = pool.info()
        assert allocation + available == capacity


def test_bulk_stats_report_state(demo_conn: Any) -> None:
    records = demo_conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE, 0)
    assert len(records) == DEMO_DOMAINS
    assert all("state.state" in stats for _dom, stats in records)


@pytest.mark.parametrize("n_domains", [3, 10, 100])
def test_generated_fleets_load(tmp_path: Path, n_domains: int) -> None:
    libvirt.registerErrorHandler(lambda *_: None, None)
    path = write_fleet(tmp_path / "fleet.xml", n_domains, seed=3)
    conn = libvirt.open(_uri(path))
    try:
        domains = conn.listAllDomains()
        assert len(domains) == n_domains
        assert {dom.state()[0] for dom in domains} == {RUNNING, PAUSED, SHUTOFF}
        macs = [
            line.split("'")[1]
            for dom in domains
            for line in dom.XMLDesc().splitlines()
            if "<mac address=" in line
        ]
        assert len(macs) == len(set(macs)) >= n_domains
    finally:
        conn.close()
