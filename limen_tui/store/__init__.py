"""On-disk state: a cache that expires on read, metric history, and the audit log.

The cache and the history share one disposable file in the cache directory; the
audit log has its own file in the state directory. No Textual here, no timers.
"""

from limen_tui.store.audit import AuditError, AuditLog, AuditRecord, Outcome
from limen_tui.store.cache import DEFAULT_MAX_BYTES, DEFAULT_TTLS, Cache, CacheStats, Entry
from limen_tui.store.cachefile import CacheFile
from limen_tui.store.history import MetricHistory, Sample

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TTLS",
    "AuditError",
    "AuditLog",
    "AuditRecord",
    "Cache",
    "CacheFile",
    "CacheStats",
    "Entry",
    "MetricHistory",
    "Outcome",
    "Sample",
]
