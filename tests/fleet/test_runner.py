"""Every action ends, whatever breaks inside it: on the demo hypervisor (libvirt's test driver).

The fault is injected into the action's libvirt step on purpose (monkeypatched); everything
around it is real: the libvirt connection and its events, the runner, the SQLite audit log.
"""

from __future__ import annotations

from pathlib import Path

import libvirt
import pytest

from limen_tui.config.settings import Settings
from limen_tui.demo import demo_uri
from limen_tui.fleet.host import Host
from limen_tui.fleet.operations import Operation, OpState, audit_to
from limen_tui.fleet.updates import FleetUpdate, OperationChanged
from limen_tui.model import LinkState, PowerState
from limen_tui.model.action_params import ActionParams, SetVcpus
from limen_tui.store.audit import AuditLog
from limen_tui.virt import actions
from tests.ui.helpers import wait_for


@pytest.fixture
async def demo_host(tmp_path: Path) -> tuple[Host, list[FleetUpdate], AuditLog]:
    updates: list[FleetUpdate] = []
    audit = AuditLog(tmp_path / "audit.sqlite")
    host = Host(demo_uri(), updates.append, Settings(refresh_interval=600), key="demo", demo=True)
    host.audit = audit_to(audit)
    host.start()
    await wait_for(lambda: host.status.state is LinkState.LIVE and bool(host.rows), limit=20)
    return host, updates, audit


@pytest.mark.parametrize("fault", [RuntimeError("injected fault"), KeyError("injected fault")])
async def test_an_exception_inside_an_action_ends_it_failed_shown_and_audited(
    demo_host: tuple[Host, list[FleetUpdate], AuditLog],
    monkeypatch: pytest.MonkeyPatch,
    fault: Exception,
) -> None:
    host, updates, audit = demo_host
    try:
        vm = next(r for r in host.rows.values() if r.state is PowerState.SHUTOFF)

        def broken(_dom: libvirt.virDomain, _params: ActionParams) -> str:
            raise fault

        monkeypatch.setitem(actions.RUN, "start", broken)
        op = await host.perform(Operation.new(host.key, vm.uuid, vm.name, "start"))
        assert op.state is OpState.FAILED and "injected fault" in op.error
        shown = [u.operation for u in updates if isinstance(u, OperationChanged)]
        assert shown[-1].id == op.id and shown[-1].state is OpState.FAILED
        (record,) = [r for r in audit.query() if r.params.get("operation") == op.id]
        assert record.outcome == "failed" and "injected fault" in (record.error or "")
        assert record.vm == vm.name and record.action == "start"
    finally:
        await host.stop()
        audit.close()


async def test_typed_parameters_reach_libvirt_and_the_audit_log(
    demo_host: tuple[Host, list[FleetUpdate], AuditLog],
) -> None:
    host, _updates, audit = demo_host
    try:
        vm = next(r for r in host.rows.values() if r.state is PowerState.SHUTOFF)
        op = await host.perform(
            Operation.new(host.key, vm.uuid, vm.name, "set_vcpus", SetVcpus(vcpus=1))
        )
        assert op.state is OpState.SUCCEEDED, op.error
        (record,) = [r for r in audit.query() if r.params.get("operation") == op.id]
        assert record.params["vcpus"] == 1 and record.outcome == "succeeded"
    finally:
        await host.stop()
        audit.close()
