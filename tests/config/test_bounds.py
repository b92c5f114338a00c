"""One check for every number the operator sets, in the file or on the command line."""

from __future__ import annotations

import pytest

from limen_tui.config.bounds import Bounds, check_number

SECONDS = Bounds(0.1, 3600, "seconds")
COUNT = Bounds(1, 32, whole=True)


@pytest.mark.parametrize("value", [0.1, 2, 3600, 1e3])
def test_a_sane_number_passes(value: float) -> None:
    assert check_number(value, SECONDS) is None


@pytest.mark.parametrize(
    ("value", "bounds", "reason"),
    [
        (float("nan"), SECONDS, "must be a finite number, not nan"),
        (float("-inf"), SECONDS, "must be a finite number, not -inf"),
        (0.05, SECONDS, "must be at least 0.1 seconds, not 0.05"),
        (-3, SECONDS, "must be a number more than 0 (at least 0.1 seconds), not -3"),
        (7200, SECONDS, "must be at most 3600 seconds, not 7200"),
        (True, SECONDS, "must be a number, not True"),
        ("2", SECONDS, "must be a number, not '2'"),
        (0, COUNT, "must be 1 or more, not 0"),
        (33, COUNT, "must be at most 32, not 33"),
        (2.0, COUNT, "must be int (a whole number), not 2.0"),
        (1, Bounds(1, 5, "seconds"), None),
        (0.5, Bounds(1, 5, "seconds"), "must be at least 1 second, not 0.5"),
    ],
)
def test_each_reason_is_a_sentence(value: object, bounds: Bounds, reason: str | None) -> None:
    assert check_number(value, bounds) == reason
