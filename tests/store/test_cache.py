"""The cache's contract on a real SQLite file: expire on read, exact invalidation, LRU, counters."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from limen_tui.store.cache import DEFAULT_TTLS, EXPIRED_TRIM_BATCH, Cache
from tests.store.conftest import FakeClock, raw_rows

TTLS = {"domain_xml": 100.0, "pools": 10.0, "fleet": 1000.0}


def count_rows(path: Path) -> int:
    ((n,),) = raw_rows(path, "SELECT count(*) FROM entries")
    assert isinstance(n, int)
    return n


def test_default_ttls_cover_every_kind_of_data() -> None:
    kinds = {"domain_xml", "domain_details", "host_facts", "capabilities", "pools"}
    kinds |= {"networks", "dhcp_leases", "fleet", "snapshots", "addresses"}
    assert set(DEFAULT_TTLS) == kinds
    assert DEFAULT_TTLS["fleet"] >= 7 * 86_400
    assert all(ttl > 0 for ttl in DEFAULT_TTLS.values())


def test_expire_on_read_deletes_the_row_from_the_file(cache_path: Path, clock: FakeClock) -> None:
    cache = Cache(cache_path, ttls=TTLS, clock=clock)
    cache.put("domain_xml", "h1", "vm-a", {"xml": "<domain/>"})
    clock.advance(99)
    entry = cache.get("domain_xml", "h1", "vm-a")
    assert entry is not None
    assert entry.value == {"xml": "<domain/>"}
    assert entry.age(clock()) == 99
    assert count_rows(cache_path) == 1

    clock.advance(1)  # exactly at the TTL: expired
    assert cache.get("domain_xml", "h1", "vm-a") is None
    assert count_rows(cache_path) == 0, "the expired row must be gone from the file, not hidden"
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.expired, stats.entries) == (1, 1, 1, 0)


def test_an_explicit_ttl_overrides_the_kind(cache_path: Path, clock: FakeClock) -> None:
    cache = Cache(cache_path, ttls=TTLS, clock=clock)
    cache.put("domain_xml", "h1", "vm-a", 1, ttl=5)
    clock.advance(5)
    assert cache.get("domain_xml", "h1", "vm-a") is None


def test_unknown_kind_and_bad_ttl_are_caller_errors(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    with pytest.raises(ValueError, match="no TTL"):
        cache.put("no_such_kind", "h1", "x", 1)
    with pytest.raises(ValueError, match="positive"):
        cache.put("pools", "h1", "x", 1, ttl=0)
    with pytest.raises(TypeError):
        cache.put("pools", "h1", "x", object())
    with pytest.raises(sqlite3.ProgrammingError):
        cache.get("pools", {"not": "a host"}, "x")  # type: ignore[arg-type]
    assert cache.enabled, "a caller's bug is raised, it does not turn the cache off"


def test_writes_trim_a_bounded_batch_of_expired_entries(cache_path: Path, clock: FakeClock) -> None:
    cache = Cache(cache_path, ttls=TTLS, clock=clock)
    cache.put_many("pools", "h1", {f"pool-{i}": i for i in range(EXPIRED_TRIM_BATCH * 2 + 5)})
    clock.advance(10)
    cache.put("domain_xml", "h1", "vm-a", 1)
    assert count_rows(cache_path) == EXPIRED_TRIM_BATCH + 5 + 1
    cache.put("domain_xml", "h1", "vm-b", 1)
    cache.put("domain_xml", "h1", "vm-c", 1)
    assert count_rows(cache_path) == 3
    assert cache.stats().expired == EXPIRED_TRIM_BATCH * 2 + 5


def test_a_new_value_replaces_the_old_one(cache_path: Path, clock: FakeClock) -> None:
    cache = Cache(cache_path, ttls=TTLS, clock=clock)
    cache.put("domain_xml", "h1", "vm-a", "old")
    clock.advance(60)
    cache.put("domain_xml", "h1", "vm-a", "new")
    clock.advance(60)  # 120 s after the first put, 60 s after the second
    entry = cache.get("domain_xml", "h1", "vm-a")
    assert entry is not None and entry.value == "new" and entry.age(clock()) == 60
    assert cache.stats().entries == 1


def _fill(cache: Cache) -> None:
    for host in ("h1", "h2"):
        for item in ("vm-a", "vm-b"):
            for kind in ("domain_xml", "pools"):
                cache.put(kind, host, item, f"{kind}/{host}/{item}")


def _keys(path: Path) -> set[tuple[object, ...]]:
    return set(raw_rows(path, "SELECT kind, host, item FROM entries"))


def test_invalidate_one_kind_of_one_item(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    _fill(cache)
    before = _keys(cache_path)
    assert cache.invalidate("h1", "vm-a", kinds=["pools"]) == 1
    assert _keys(cache_path) == before - {("pools", "h1", "vm-a")}


def test_invalidate_every_kind_of_one_item(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    _fill(cache)
    before = _keys(cache_path)
    assert cache.invalidate("h1", "vm-a") == 2
    assert _keys(cache_path) == before - {("pools", "h1", "vm-a"), ("domain_xml", "h1", "vm-a")}


def test_invalidate_a_whole_host(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    _fill(cache)
    before = _keys(cache_path)
    assert cache.invalidate("h2") == 4
    assert _keys(cache_path) == {k for k in before if k[1] != "h2"}
    assert cache.invalidate("h2") == 0
    assert cache.invalidate("h1", kinds=[]) == 0
    assert cache.stats().invalidated == 4


def test_invalidate_some_kinds_of_a_host(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    _fill(cache)
    before = _keys(cache_path)
    assert cache.invalidate("h1", kinds=("domain_xml",)) == 2
    assert _keys(cache_path) == {k for k in before if not (k[0] == "domain_xml" and k[1] == "h1")}


def test_clear_empties_the_cache(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    _fill(cache)
    assert cache.clear() == 8
    assert count_rows(cache_path) == 0
    assert (cache.stats().entries, cache.stats().bytes) == (0, 0)


def test_the_least_recently_used_entry_is_evicted_first(cache_path: Path, clock: FakeClock) -> None:
    value = "x" * 1000  # each entry is a little over 1000 bytes
    cache = Cache(cache_path, ttls=TTLS, max_bytes=3500, clock=clock)
    for item in ("vm-a", "vm-b", "vm-c"):
        cache.put("domain_xml", "h1", item, value)
        clock.advance(2)
    # vm-a is the oldest stored but the most recently used.
    assert cache.get("domain_xml", "h1", "vm-a") is not None
    clock.advance(2)
    cache.put("domain_xml", "h1", "vm-d", value)
    assert _keys(cache_path) == {("domain_xml", "h1", i) for i in ("vm-a", "vm-c", "vm-d")}
    stats = cache.stats()
    assert stats.evicted == 1 and stats.bytes <= 3500 and stats.entries == 3

    clock.advance(2)
    cache.put("domain_xml", "h1", "vm-e", value)
    assert _keys(cache_path) == {("domain_xml", "h1", i) for i in ("vm-a", "vm-d", "vm-e")}


def test_a_value_bigger_than_the_cap_is_not_kept_nor_is_its_old_version(
    cache_path: Path,
) -> None:
    cache = Cache(cache_path, ttls=TTLS, max_bytes=500)
    cache.put("domain_xml", "h1", "vm-a", "small")
    cache.put("domain_xml", "h1", "vm-b", "small")
    cache.put("domain_xml", "h1", "vm-a", "y" * 1000)
    assert cache.get("domain_xml", "h1", "vm-a") is None
    assert cache.get("domain_xml", "h1", "vm-b") is not None


def test_running_totals_match_the_rows(cache_path: Path, clock: FakeClock) -> None:
    cache = Cache(cache_path, ttls=TTLS, max_bytes=20_000, clock=clock)
    for i in range(200):
        cache.put("domain_xml", f"h{i % 3}", f"vm-{i % 40}", "v" * (i % 300))
        if i % 7 == 0:
            cache.invalidate(f"h{i % 3}", f"vm-{i % 5}")
        clock.advance(1)
    ((n, total),) = raw_rows(cache_path, "SELECT count(*), coalesce(sum(size), 0) FROM entries")
    stats = cache.stats()
    assert (stats.entries, stats.bytes) == (n, total)
    assert stats.bytes <= 20_000


def test_counters_and_hit_ratio(cache_path: Path, clock: FakeClock) -> None:
    cache = Cache(cache_path, ttls=TTLS, max_bytes=2500, clock=clock)
    assert cache.stats().hit_ratio == 0.0
    cache.put("domain_xml", "h1", "vm-a", "a" * 1000)
    cache.put("domain_xml", "h1", "vm-b", "b" * 1000)
    clock.advance(2)  # so the reads below make vm-a the more recently used
    for _ in range(3):
        assert cache.get("domain_xml", "h1", "vm-a") is not None
    assert cache.get("domain_xml", "h1", "nothing") is None
    cache.put("pools", "h1", "default", [1])
    clock.advance(10)
    assert cache.get("pools", "h1", "default") is None  # expired
    cache.put("domain_xml", "h1", "vm-c", "c" * 1000)  # evicts vm-b, the least recently used
    assert cache.invalidate("h1", "vm-a") == 1

    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.expired) == (3, 2, 1)
    assert (stats.evicted, stats.writes, stats.invalidated) == (1, 4, 1)
    assert stats.hit_ratio == pytest.approx(3 / 5)


def test_cumulative_counters_outlive_the_process(cache_path: Path, clock: FakeClock) -> None:
    first = Cache(cache_path, ttls=TTLS, clock=clock)
    first.put("domain_xml", "h1", "vm-a", 1)
    first.get("domain_xml", "h1", "vm-a")
    first.get("domain_xml", "h1", "vm-b")
    first.close()

    second = Cache(cache_path, ttls=TTLS, clock=clock)  # e.g. `limen-tui cache stats`
    second.get("domain_xml", "h1", "vm-a")
    assert (second.stats().hits, second.stats().writes) == (1, 0)
    total = second.stats(cumulative=True)
    assert (total.hits, total.misses, total.writes, total.entries) == (2, 1, 1, 1)


def test_file_is_private_and_in_wal_mode(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    cache.put("fleet", "h1", "", [])
    assert stat.S_IMODE(cache_path.stat().st_mode) == 0o600
    for companion in (Path(f"{cache_path}-wal"), Path(f"{cache_path}-shm")):
        assert stat.S_IMODE(companion.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache_path.parent.stat().st_mode) == 0o700
    assert raw_rows(cache_path, "PRAGMA journal_mode") == [("wal",)]


def test_an_existing_file_readable_by_others_is_closed_up(cache_path: Path) -> None:
    cache_path.parent.mkdir()
    cache_path.touch(mode=0o644)
    cache_path.chmod(0o644)
    Cache(cache_path, ttls=TTLS).close()
    assert stat.S_IMODE(cache_path.stat().st_mode) == 0o600


def test_many_threads_share_one_cache(cache_path: Path) -> None:
    cache = Cache(cache_path, ttls=TTLS)
    errors: list[BaseException] = []

    def work(host: str) -> None:
        try:
            for i in range(300):
                cache.put("domain_xml", host, f"vm-{i % 20}", i)
                cache.get("domain_xml", host, f"vm-{(i * 7) % 20}")
                if i % 10 == 0:
                    cache.invalidate(host, f"vm-{i % 20}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"h{n}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stats = cache.stats()
    assert stats.writes == 8 * 300 and stats.hits + stats.misses == 8 * 300
    assert cache.enabled and cache.warnings == [] and cache.file.busy_skips == 0


def test_a_set_read_in_one_query_keeps_every_item_value_and_time_exactly(
    cache_path: Path, clock: FakeClock
) -> None:
    # The set comes back as one JSON text built by SQLite: odd item names, every JSON type,
    # floats and the times to the last bit, and the expired items deleted as before.
    cache = Cache(cache_path, ttls={"fleet": 100.0}, clock=clock)
    clock.now = 1_796_160_507.797831
    values = {
        'quote"and\\slash': [0.1 + 0.2, 1e-300, -0.0, 2**53 + 1],
        "uni ✓ \x1e\x00 tab\t": {"s": "é\n", "n": None, "b": True},
        "": "marker",
        "old": 1,
    }
    cache.update_items("fleet", "h1", {"old": 1})
    clock.advance(60.123456789)
    fresh = {k: v for k, v in values.items() if k != "old"}
    cache.update_items("fleet", "h1", fresh, renew=False)
    clock.advance(50)  # "old" expired (110 s), the rest not (50 s)
    found = cache.get_items("fleet", "h1")
    assert {k: e.value for k, e in found.items()} == fresh
    assert {e.stored_at for e in found.values()} == {1_796_160_507.797831 + 60.123456789}
    assert count_rows(cache_path) == 3, "the expired item is deleted by the read"
    assert cache.get_items("fleet", "other") == {}


def test_a_stored_value_that_is_not_one_json_value_fails_the_read_not_the_pairing(
    cache_path: Path,
) -> None:
    cache = Cache(cache_path)
    cache.update_items("fleet", "h1", {"a": 1, "b": 2})
    with sqlite3.connect(cache_path) as db:
        db.execute("UPDATE entries SET value = '3,4' WHERE item = 'a'")
    # Joined, "3,4" would read as two values and shift every item after it; read row by row
    # it is an error, as any undecodable value is (the last known fleet then shows nothing).
    with pytest.raises(ValueError):
        cache.get_items("fleet", "h1")
