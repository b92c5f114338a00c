"""Bytes the console writes to the terminal: what it costs a slow SSH link or a tmux pane.

Counted where Textual hands its output over: the driver's `write`, which every frame, cursor
move and escape sequence goes through (the platform driver, subclassed so nothing else
changes). A headless run (tests) has no terminal and counts nothing.
"""

from __future__ import annotations

from textual.driver import Driver


class OutputMeter:
    """Bytes written so far, UTF-8 encoded as the terminal receives them."""

    def __init__(self) -> None:
        self.bytes_written = 0

    def __call__(self) -> int:
        return self.bytes_written


def counting_driver(base: type[Driver], meter: OutputMeter) -> type[Driver]:
    """`base` with every write counted into `meter` (on the UI loop, where Textual writes)."""

    class CountingDriver(base):  # type: ignore[valid-type,misc]
        def write(self, data: str) -> None:
            meter.bytes_written += len(data.encode("utf-8", "surrogateescape"))
            super().write(data)

    CountingDriver.__name__ = CountingDriver.__qualname__ = f"Counting{base.__name__}"
    return CountingDriver
