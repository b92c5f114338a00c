"""The reconnect schedule every link shares: 1, 2, 4, ... seconds up to a ceiling. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    low: float
    high: float
    current: float = field(init=False)

    def __post_init__(self) -> None:
        self.current = self.low

    def next(self) -> float:
        """The delay to wait now; the one after it is twice as long (up to `high`)."""
        delay = self.current
        self.current = min(delay * 2, self.high)
        return delay

    def reset(self) -> None:
        """It worked: the next failure starts from `low` again."""
        self.current = self.low
