"""limen-tui's own log: a rotating file, a bounded buffer for the UI, nothing on stderr."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from limen_tui.logs.buffer import LogLine
from limen_tui.logs.levels import Level
from limen_tui.logs.own_log import MAX_BYTES, OwnLog, setup_own_logging


@pytest.fixture
def restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[OwnLog]]:
    """setup_own_logging changes process-wide logging; put everything back afterwards."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setattr(logging, "lastResort", logging.lastResort)
    monkeypatch.setattr(logging, "raiseExceptions", logging.raiseExceptions)
    made: list[OwnLog] = []
    yield made
    for own in made:
        own.close()
    logging.captureWarnings(False)


def test_records_go_to_the_file_and_the_buffer_and_not_to_stderr(
    tmp_path: Path, restore_logging: list[OwnLog], capfd: pytest.CaptureFixture[str]
) -> None:
    seen: list[LogLine] = []
    own = setup_own_logging(directory=tmp_path / "state", buffer_lines=5, on_line=seen.append)
    restore_logging.append(own)
    log = logging.getLogger("limen_tui.test")
    log.info("hello [bold]%s", "vm\x1b[31m")
    log.debug("not at INFO")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("it failed")
    warnings.warn("a warning goes to the log", stacklevel=1)
    logging.getLogger().handlers[0].flush()

    assert own.path == tmp_path / "state" / "limen-tui.log"
    text = own.path.read_text()
    assert "INFO    limen_tui.test: hello [bold]vm" in text
    assert "not at INFO" not in text
    assert "RuntimeError: boom" in text
    assert "a warning goes to the log" in text
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700

    lines = own.buffer.copy()
    assert len(lines) == 5  # bounded; the traceback alone is several lines
    assert any(ln.text.endswith("RuntimeError: boom") and ln.level is Level.ERROR for ln in seen)
    hello = next(ln for ln in seen if "hello" in ln.text)
    assert hello.text.endswith("hello [bold]vm")  # the escape removed, the markup literal
    assert hello.level is Level.INFO

    out, err = capfd.readouterr()
    assert err == "" and out == ""


def test_rotates_at_the_size_limit(tmp_path: Path, restore_logging: list[OwnLog]) -> None:
    assert MAX_BYTES == 10 * 1024 * 1024
    own = setup_own_logging(directory=tmp_path, max_bytes=2000, backups=5)
    restore_logging.append(own)
    log = logging.getLogger("limen_tui.rotate")
    for i in range(500):
        log.info("line %d %s", i, "x" * 50)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["limen-tui.log"] + [f"limen-tui.log.{i}" for i in range(1, 6)]
    assert all(p.stat().st_size <= 2000 for p in tmp_path.iterdir())


def test_an_unwritable_folder_leaves_the_buffer_and_says_why(
    tmp_path: Path, restore_logging: list[OwnLog], capfd: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    own = setup_own_logging(directory=blocker / "state")
    restore_logging.append(own)
    logging.getLogger("limen_tui.x").error("still kept")
    assert own.path is None
    assert "no log file" in own.problem
    texts = [ln.text for ln in own.buffer]
    assert "no log file" in texts[0]
    assert texts[-1].endswith("still kept")
    assert capfd.readouterr().err == ""
