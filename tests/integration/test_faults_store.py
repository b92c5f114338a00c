"""The cache and the audit log broken under a running console: the console says so in a notice
and keeps running (host live, keys answered, actions still accounted for in the pane).

Read-only is a real read-only tmpfs (the tests run as root, where chmod stops nothing).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from limen_tui.cli.factory import make_app
from limen_tui.config.settings import Settings
from limen_tui.demo import demo_uri
from limen_tui.fleet.operations import Operation, OpState
from limen_tui.model import LinkState, PowerState
from limen_tui.store.audit import AuditLog
from limen_tui.store.cache import Cache
from limen_tui.ui.app import LimenApp
from tests.ui.helpers import wait_for

SETTINGS = Settings(refresh_interval=0.3)
GARBAGE = b"this is not an SQLite file\x00" * 200


@contextlib.contextmanager
def read_only_dir(where: Path) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], check=False)


def notices(app: LimenApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_corrupt_cache_is_set_aside_with_a_notice(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    path.write_bytes(GARBAGE)
    cache = Cache(path)
    app = make_app([demo_uri()], SETTINGS, demo=True, cache=cache)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(lambda: any("cache" in n for n in notices(app)), 10)
        await _still_answers(app, pilot)
    cache.close()


async def test_a_cache_on_a_read_only_dir_runs_without_it_with_a_notice(tmp_path: Path) -> None:
    with read_only_dir(tmp_path / "ro") as where:
        cache = Cache(where / "cache.db")
        app = make_app([demo_uri()], SETTINGS, demo=True, cache=cache)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(lambda: any("without a cache" in n for n in notices(app)), 10)
            await _still_answers(app, pilot)
        cache.close()


@pytest.mark.parametrize("fault", ["corrupt", "read-only"])
async def test_an_audit_log_that_cannot_be_written_is_said_in_a_notice(
    tmp_path: Path, fault: str
) -> None:
    with contextlib.ExitStack() as stack:
        if fault == "corrupt":
            path = tmp_path / "audit.sqlite"
            path.write_bytes(GARBAGE)
        else:
            path = stack.enter_context(read_only_dir(tmp_path / "ro")) / "audit.sqlite"
        audit = AuditLog(path)
        app = make_app([demo_uri()], SETTINGS, demo=True, audit=audit)
        async with app.run_test(size=(100, 30)) as pilot:
            assert app.fleet is not None
            host = app.fleet.hosts["demo"]
            await wait_for(lambda: host.status.state is LinkState.LIVE and bool(host.rows), 20)
            running = next(r for r in host.rows.values() if r.state is PowerState.RUNNING)
            op = await host.perform(Operation.new("demo", running.uuid, running.name, "start"))
            assert op.state is OpState.REFUSED
            assert "NOT AUDITED" in op.error and str(path) in op.error
            await wait_for(lambda: any("NOT AUDITED" in n for n in notices(app)), 10)
            await _still_answers(app, pilot)
        audit.close()


async def _still_answers(app: LimenApp, pilot: Pilot[Any]) -> None:
    """The demo host is live and keys typed reach the filter."""
    assert app.fleet is not None
    host = app.fleet.hosts["demo"]
    await wait_for(lambda: host.status.state is LinkState.LIVE and bool(host.rows), 20)
    await pilot.press("slash", *"web", "enter")
    assert app.query_one("#filter", Input).value == "web"


async def test_an_action_that_succeeded_but_was_not_audited_is_said_in_a_notice(
    tmp_path: Path,
) -> None:
    with read_only_dir(tmp_path / "ro") as where:
        audit = AuditLog(where / "audit.sqlite")
        app = make_app([demo_uri()], SETTINGS, demo=True, audit=audit)
        async with app.run_test(size=(100, 30)) as pilot:
            assert app.fleet is not None
            host = app.fleet.hosts["demo"]
            await wait_for(lambda: host.status.state is LinkState.LIVE and bool(host.rows), 20)
            running = next(r for r in host.rows.values() if r.state is PowerState.RUNNING)
            op = await host.perform(Operation.new("demo", running.uuid, running.name, "pause"))
            assert op.state is OpState.SUCCEEDED and op.not_audited
            await wait_for(lambda: any("succeeded, NOT AUDITED" in n for n in notices(app)), 10)
            await _still_answers(app, pilot)
        audit.close()
