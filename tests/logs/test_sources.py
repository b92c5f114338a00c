"""Where logs are: QEMU log paths with any VM name, journald or the daemon's file."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from limen_tui.logs import sources
from limen_tui.logs.sources import (
    LogSource,
    choose_daemon_log,
    journal_argv,
    local_daemon_log,
    local_qemu_log,
    parse_probe,
    probe_argv,
    qemu_log_path,
)
from tests.logs.names import hostile_name

EVIL, _ = hostile_name()


def test_qemu_log_path_keeps_the_name_as_it_is() -> None:
    assert qemu_log_path("web 1") == "/var/log/libvirt/qemu/web 1.log"
    assert qemu_log_path(EVIL, "/x") == f"/x/{EVIL}.log"
    for bad in ("", "../../etc/passwd", "a/b", "nul\0"):
        with pytest.raises(ValueError):
            qemu_log_path(bad)


def test_local_qemu_log_says_when_there_is_none_yet(tmp_path: Path) -> None:
    missing = local_qemu_log(EVIL, log_dir=str(tmp_path))
    assert missing.path == str(tmp_path / f"{EVIL}.log")
    assert "no QEMU log yet" in missing.note
    (tmp_path / f"{EVIL}.log").write_text("x\n")
    assert local_qemu_log(EVIL, log_dir=str(tmp_path)).note == ""


def test_journald_absent_falls_back_to_the_daemon_log_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """journald is absent when `journalctl` is not on PATH, or when it is installed but
    journald does not run (/run/systemd/journal missing, as in this container). Both are
    made true here without touching the system: PATH points at an empty folder, and the
    journal folder at one that does not exist."""
    daemon_log = tmp_path / "libvirtd.log"
    daemon_log.write_text("2024-05-01 10:00:00.000+0000: 1: info : started\n")
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert not sources.journald_available()
    source = local_daemon_log(log_files=[str(tmp_path / "virtqemud.log"), str(daemon_log)])
    assert source == LogSource(f"libvirt daemon ({daemon_log})", path=str(daemon_log))

    # journalctl on PATH, journald not running: still the file
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "journalctl").write_text("#!/bin/sh\nexit 0\n")
    (fake / "journalctl").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    monkeypatch.setattr(sources, "JOURNAL_DIR", str(tmp_path / "no-journal"))
    assert not sources.journald_available()
    assert local_daemon_log(log_files=[str(daemon_log)]).path == str(daemon_log)

    # ... and with journald running, the journal
    (tmp_path / "journal").mkdir()
    monkeypatch.setattr(sources, "JOURNAL_DIR", str(tmp_path / "journal"))
    assert sources.journald_available()
    journal = local_daemon_log(log_files=[str(daemon_log)])
    assert journal.path is None
    assert journal.argv[:1] == ("journalctl",)
    assert journal.argv[-6:-4] == ("-u", "libvirtd")


def test_no_journal_and_no_file_says_what_it_waits_for() -> None:
    source = choose_daemon_log(False, [], [])
    assert source.path == "/var/log/libvirt/libvirtd.log"
    assert "waiting" in source.note
    unreadable = choose_daemon_log(False, [], ["/var/log/libvirt/libvirtd.log"])
    assert "not readable" in unreadable.note


def test_journal_command() -> None:
    argv = journal_argv(50)
    assert argv[:8] == ("journalctl", "--no-pager", "-q", "-o", "short-iso", "-n", "50", "-f")
    assert argv[8:] == ("-u", "libvirtd", "-u", "virtqemud", "-u", "virtlogd")


def test_probe_script_gets_paths_as_arguments_only(tmp_path: Path) -> None:
    """The probe's script is a constant; a hostile path is an argument, so running the probe
    here with it creates nothing and reports the right facts."""
    name, marker = hostile_name()
    qemu = qemu_log_path(name, str(tmp_path))
    Path(qemu).write_text("x\n")
    readable = tmp_path / "libvirtd.log"
    readable.write_text("")
    argv = probe_argv(qemu, [str(readable), str(tmp_path / "absent.log")])
    out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    facts = parse_probe(out)
    assert facts.qemu_log_exists is True
    assert facts.readable == (str(readable),)
    assert facts.unreadable == ()
    assert facts.journald == sources.journald_available()
    assert not marker.exists()


def test_parse_probe() -> None:
    facts = parse_probe("journald=yes\nqemu_log=no\nreadable=/a b.log\nunreadable=/c\n")
    assert facts.journald and facts.qemu_log_exists is False
    assert facts.readable == ("/a b.log",) and facts.unreadable == ("/c",)
    assert parse_probe("journald=no\n").qemu_log_exists is None
