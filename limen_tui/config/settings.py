"""Settings with their defaults. No I/O on import."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Settings:
    refresh_interval: float = 2.0
    """Seconds between two bulk stats calls per host."""
    call_timeout: float = 10.0
    """Seconds a blocking libvirt call may take before the host is marked stale."""
    connect_timeout: float = 15.0
    keepalive_interval: int = 5
    keepalive_count: int = 3
    reconnect_min: float = 1.0
    reconnect_max: float = 30.0
    event_log_lines: int = 1000
    """Lines the event pane keeps; older lines are dropped."""
    workers_per_host: int = 2
    """Threads per host for blocking libvirt calls (ticks are sequential; one spare)."""
    readonly: bool = False
    shutdown_timeout: float = 60.0
    """Seconds a guest gets to stop after an ACPI shutdown before the console says so."""
    confirm_timeout: float = 30.0
    """Seconds to wait for the libvirt event that confirms an action."""
    bulk_concurrency: int = 5
    """Actions of one bulk run that may be in flight at once."""
    evacuate_concurrency: int = 2
    """Migrations of one evacuation in flight at once."""
    cache_max_mb: float = 100.0
    """Size cap of the cache file's entries; least recently used go first."""
    cache_ttls: dict[str, float] = field(default_factory=dict)
    """Seconds per kind of cached data, over the defaults (domain_xml, fleet, ...)."""
    history_retention_s: float = 3600.0
    """Seconds of metric history kept for sparklines and after a restart."""
    noisy_threshold_pct: float = 50.0
    """A VM above this share of the host's CPU (cores used / host cores) ..."""
    noisy_hold_s: float = 60.0
    """... for this many seconds is a noisy neighbour: highlighted and logged once."""
    noisy_clear_samples: int = 3
    """Ticks in a row below the threshold that end a noisy episode (one is not enough)."""
    self_cost_budget_pct: float = 2.0
    """The console's own CPU, in % of one core, averaged over `self_cost_window_s`: above it,
    every host's refresh interval is stretched (up to 8 times), and shortened again after."""
    self_cost_window_s: float = 30.0
    theme: str | None = None
    """The theme the console starts in; None: the last `:theme` chosen (monochrome under
    NO_COLOR)."""
    audit_retention_days: float | None = None
    """None keeps every audit record forever; otherwise older records are trimmed on write."""
