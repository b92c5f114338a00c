"""Level guesses for the lines libvirt, QEMU and the journal write."""

from __future__ import annotations

import pytest

from limen_tui.logs.levels import Level, detect_level


@pytest.mark.parametrize(
    ("line", "level"),
    [
        # libvirt's own log files name the level
        ("2024-05-01 10:00:00.123+0000: 1234: error : qemuProcessReportLogError:2 : boom", "error"),
        ("2024-05-01 10:00:00.123+0000: 1234: warning : virFoo:1 : hmm", "warning"),
        ("2024-05-01 10:00:00.123+0000: 1234: info : libvirt version: 9.0.0", "info"),
        ("2024-05-01 10:00:00.123+0000: 1234: debug : virThreadJobSet:1 : x", "debug"),
        # QEMU logs
        ("qemu-system-x86_64: -drive file=/x.qcow2: Could not open '/x.qcow2'", "error"),
        ("qemu-system-x86_64: warning: host doesn't support requested feature", "warning"),
        ("2024-05-01T10:00:00.1Z qemu-system-x86_64: terminating on signal 15 from pid 9", "info"),
        ("char device redirected to /dev/pts/3 (label charserial0)", "info"),
        ("2024-05-01 10:00:00.000+0000: shutting down, reason=destroyed", "info"),
        # journal
        ("2024-05-01T10:00:00+0000 hv1 libvirtd[1]: internal error: Failed to start", "error"),
        ("2024-05-01T10:00:00+0000 hv1 virtqemud[1]: Operation not permitted: denied", "error"),
        ("2024-05-01T10:00:00+0000 hv1 libvirtd[1]: Deprecated option used", "warning"),
        ("2024-05-01T10:00:00+0000 hv1 systemd[1]: Started libvirtd.service.", "info"),
    ],
)
def test_detect_level(line: str, level: str) -> None:
    assert detect_level(line).word == level


def test_levels_are_ordered_and_map_python_levels() -> None:
    assert Level.DEBUG < Level.INFO < Level.WARNING < Level.ERROR
    assert Level.from_python(50) is Level.ERROR
    assert Level.from_python(30) is Level.WARNING
    assert Level.from_python(5) is Level.DEBUG
