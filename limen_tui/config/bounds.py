"""The sane range of every number the operator sets, and the one check they all go through.

A number from the config file or the command line is refused when it is not finite
(TOML accepts `nan` and `inf`, and so does Python's `float("nan")`) or lies outside its
range: a 1 ms refresh would turn the console into a libvirt load generator, a zero
timeout would mark every host down, and `nan` compares false with everything, so it
would slip through every later `<=` and stall a timer for ever. The ranges:

[console]   refresh_interval       0.1 .. 3600 seconds
            call_timeout           0.5 .. 600 seconds
            connect_timeout        0.5 .. 600 seconds (also `--timeout`)
            confirm_timeout        1 .. 3600 seconds
            shutdown_timeout       1 .. 3600 seconds
            bulk_concurrency       1 .. 64 actions at once
            event_log_lines        10 .. 1,000,000 lines
            audit_retention_days   0.1 .. 36,500 days
            self_cost_budget_pct   0.0001 .. 400 % of one core (the console's own CPU)
            self_cost_window_s     1 .. 3600 seconds (the window it is averaged over)
[cache]     max_mb                 1 .. 100,000 MB
            history_retention_s    60 .. 31,536,000 seconds (a year)
            noisy_threshold_pct    1 .. 100 % of the host's CPU
            noisy_hold_s           0 .. 86,400 seconds
            noisy_clear_samples    1 .. 1,000
            ttl.<kind>             1 .. 31,536,000 seconds
[health]    interval               0.2 .. 3600 seconds
            timeout                0.5 .. 7200 seconds (and longer than interval)
            alert_after            1 .. 86,400 seconds
            history                2 .. 100,000 samples
            memory/cpu/disk        warn and crit: 1 .. 100 percent
[ssh]       connect_timeout        0.5 .. 600 seconds
            keepalive_interval     1 .. 600 seconds
            keepalive_count_max    1 .. 100 keepalives
[[hosts]]   ssh.port               1 .. 65535
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bounds:
    """The closed range a setting may take."""

    low: float
    high: float
    unit: str = ""
    """Plural, as read after a number: "seconds", "MB"; "" for counts."""
    whole: bool = False
    """A count: 2.0 is refused as well as 2.5, since TOML tells the two apart."""


CONSOLE_BOUNDS: dict[str, Bounds] = {
    "refresh_interval": Bounds(0.1, 3600, "seconds"),
    "call_timeout": Bounds(0.5, 600, "seconds"),
    "connect_timeout": Bounds(0.5, 600, "seconds"),
    "confirm_timeout": Bounds(1, 3600, "seconds"),
    "shutdown_timeout": Bounds(1, 3600, "seconds"),
    "bulk_concurrency": Bounds(1, 64, whole=True),
    "event_log_lines": Bounds(10, 1_000_000, whole=True),
    "audit_retention_days": Bounds(0.1, 36_500, "days"),
    "noisy_threshold_pct": Bounds(1, 100, "%"),
    "noisy_hold_s": Bounds(0, 86_400, "seconds"),
    "noisy_clear_samples": Bounds(1, 1000, whole=True),
    "self_cost_budget_pct": Bounds(0.0001, 400, "%"),
    "self_cost_window_s": Bounds(1, 3600, "seconds"),
}
CACHE_BOUNDS: dict[str, Bounds] = {
    "max_mb": Bounds(1, 100_000, "MB"),
    "history_retention_s": Bounds(60, 31_536_000, "seconds"),
}
CACHE_TTL = Bounds(1, 31_536_000, "seconds")
HEALTH_BOUNDS: dict[str, Bounds] = {
    "interval": Bounds(0.2, 3600, "seconds"),
    "timeout": Bounds(0.5, 7200, "seconds"),
    "alert_after": Bounds(1, 86_400, "seconds"),
    "history": Bounds(2, 100_000, whole=True),
}
PERCENTAGE = Bounds(1, 100, "%")
SSH_BOUNDS: dict[str, Bounds] = {
    "connect_timeout": Bounds(0.5, 600, "seconds"),
    "keepalive_interval": Bounds(1, 600, "seconds"),
    "keepalive_count_max": Bounds(1, 100, whole=True),
}
PORT = Bounds(1, 65535, whole=True)


def check_number(value: object, bounds: Bounds) -> str | None:
    """None when `value` is a finite number within `bounds`, else why not, as the end of
    a sentence that starts with the setting's name: "must be at least 0.1 seconds, not 0"."""
    if bounds.whole:
        if not isinstance(value, int) or isinstance(value, bool):
            return f"must be int (a whole number), not {value!r}"
    elif not isinstance(value, int | float) or isinstance(value, bool):
        return f"must be a number, not {value!r}"
    if not math.isfinite(value):
        return f"must be a finite number, not {value!r}"
    shown = str(value) if isinstance(value, int) else f"{value:g}"
    if value < bounds.low:
        if bounds.whole:
            return f"must be {bounds.low:g} or more, not {shown}"
        least = f"at least {_amount(bounds.low, bounds.unit)}"
        if value <= 0:
            return f"must be a number more than 0 ({least}), not {shown}"
        return f"must be {least}, not {shown}"
    if value > bounds.high:
        return f"must be at most {_amount(bounds.high, bounds.unit)}, not {shown}"
    return None


def _amount(number: float, unit: str) -> str:
    if not unit:
        return f"{number:g}"
    if unit == "%":
        return f"{number:g}%"
    return f"{number:g} {unit[:-1] if number == 1 and unit.endswith('s') else unit}"
