"""Instant start-up: the last known fleet shows before a slow host answers, then reconciles."""

from __future__ import annotations

import time

import pytest

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.model import LinkState
from limen_tui.store.cache import Cache
from limen_tui.ui.app import LimenApp
from limen_tui.ui.widgets.host_bar import HostBar
from limen_tui.ui.widgets.vm_table import VmTable
from tests.conftest import MakeVm, Virsh
from tests.harness.slow_proxy import SlowLibvirtProxy
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.libvirtd


def _names(app: LimenApp) -> set[str]:
    return {r.name for r in app.query_one(VmTable).rows_by_key.values()}


async def test_last_known_fleet_shows_at_once_then_reconciles_in_place(
    libvirtd: str, vm_factory: MakeVm, virsh: Virsh
) -> None:
    stays, goes = vm_factory("stays"), vm_factory("goes")
    proxy = SlowLibvirtProxy()
    uri = proxy.uri()
    settings = Settings(refresh_interval=0.5, connect_timeout=20)
    try:
        with Cache() as cache:  # the test's private XDG cache folder
            first = make_app([uri], settings, cache=cache)
            async with first.run_test(size=(120, 40)):
                await wait_for(lambda: {stays, goes} <= _names(first), limit=30)
            assert cache.get("fleet", uri) is not None

        virsh("undefine", goes)
        comes = vm_factory("comes")
        proxy.delay = 4.0  # the host now answers late

        with Cache() as cache:
            second = make_app([uri], settings, cache=cache)
            started = time.monotonic()
            async with second.run_test(size=(120, 40)):
                table = second.query_one(VmTable)
                await wait_for(lambda: {stays, goes} <= _names(second), limit=3)
                shown_after = time.monotonic() - started
                status = second.query_one(HostBar).statuses[uri]
                assert status.state is not LinkState.LIVE and status.last_known_at is not None
                assert uri in table.stale_hosts  # dimmed: not live yet
                keys_before = {r.name: k for k, r in table.rows_by_key.items()}

                await wait_for(
                    lambda: comes in _names(second) and goes not in _names(second), limit=30
                )
                assert uri not in table.stale_hosts
                keys_after = {r.name: k for k, r in table.rows_by_key.items()}
                assert keys_after[stays] == keys_before[stays]  # the same row, updated in place
                assert sum(r.name == stays for r in table.rows_by_key.values()) == 1
                assert table.row_count == len(table.rows_by_key)
        assert shown_after < proxy.delay
    finally:
        proxy.close()
