"""limen-tui's own log: a rotating file in the state folder and a bounded buffer for the UI.

Nothing may reach stderr while the TUI owns the terminal: a stray line would scribble over
the screen. So the root logger gets exactly these two handlers, Python's last-resort
handler (which prints to stderr when nothing else would take a record) is switched off, a
handler that fails does not print its traceback, and warnings go to the log.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from limen_tui.logs.buffer import LineBuffer, LogLine
from limen_tui.logs.levels import Level
from limen_tui.paths import state_dir

MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
BUFFER_LINES = 1000
FILE_NAME = "limen-tui.log"
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class BufferHandler(logging.Handler):
    """Keeps formatted records in a LineBuffer; tracebacks become one line each.

    `on_line` is called in the thread that logged (any worker); a UI hands it to its own
    loop (`call_soon_threadsafe`, `post_message`).
    """

    def __init__(
        self, buffer: LineBuffer, on_line: Callable[[LogLine], None] | None = None
    ) -> None:
        super().__init__()
        self.buffer = buffer
        self.on_line = on_line
        self._order = threading.Lock()  # lines of one record stay together

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            level = Level.from_python(record.levelno)
            with self._order:
                added = [self.buffer.append(part, level) for part in text.splitlines() or [""]]
            if self.on_line is not None:
                for line in added:
                    self.on_line(line)
        except Exception:
            self.handleError(record)


@dataclass
class OwnLog:
    buffer: LineBuffer
    path: Path | None
    """The log file, or None when it could not be opened (see `problem`)."""
    problem: str = ""
    handlers: list[logging.Handler] = field(default_factory=list)

    def close(self) -> None:
        """Take the handlers off the root logger and close the file (tests, shutdown); warnings
        no longer go to a log that is closed."""
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            with contextlib.suppress(Exception):
                handler.close()
        self.handlers = []
        logging.captureWarnings(False)


def setup_own_logging(
    *,
    level: int = logging.INFO,
    buffer_lines: int = BUFFER_LINES,
    directory: Path | None = None,
    on_line: Callable[[LogLine], None] | None = None,
    max_bytes: int = MAX_BYTES,
    backups: int = BACKUPS,
) -> OwnLog:
    """Send every log record to the file (10 MB x 5) and the in-memory buffer, and nowhere
    else. A file that cannot be written (read-only home, full disk) leaves the buffer only,
    with the reason in `problem` and as the buffer's first line."""
    formatter = logging.Formatter(FORMAT)
    buffer = LineBuffer(buffer_lines)
    handlers: list[logging.Handler] = []
    folder = directory if directory is not None else state_dir()
    path: Path | None = folder / FILE_NAME
    problem = ""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            folder / FILE_NAME, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
        file_handler.setFormatter(formatter)
        handlers.append(file_handler)
    except OSError as exc:
        path, problem = None, f"no log file ({folder / FILE_NAME}): {exc.strerror or exc}"
    memory = BufferHandler(buffer, on_line)
    memory.setFormatter(formatter)
    handlers.append(memory)

    root = logging.getLogger()
    for old in list(root.handlers):  # e.g. a StreamHandler someone's basicConfig put there
        root.removeHandler(old)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.lastResort = None
    logging.raiseExceptions = False
    logging.captureWarnings(True)
    if problem:
        logging.getLogger("limen_tui").warning("%s", problem)
    return OwnLog(buffer, path, problem, handlers)
