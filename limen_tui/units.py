"""Numbers in the units operators read."""

from __future__ import annotations

_UNITS = ("", "K", "M", "G", "T", "P")


def human_bytes(n: float) -> str:
    """4-5 cells: 512, 1.5K, 12M, 3.2G (powers of 1024, as `free -h` does)."""
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            if unit == "":
                return f"{value:.0f}"
            return f"{value:.1f}{unit}" if abs(value) < 10 else f"{value:.0f}{unit}"
        value /= 1024
    raise AssertionError("unreachable")
