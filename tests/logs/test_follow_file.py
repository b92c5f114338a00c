"""Following a real file like `tail -F`: appended, rotated, truncated, missing, flooded."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from limen_tui.logs.follow_file import follow_file, last_lines
from tests.logs.helpers import Collected, collect_until

FAST = 0.02  # poll interval for tests: quick, still a real poll


def write(path: Path, text: str, mode: str = "a") -> None:
    with path.open(mode) as f:
        f.write(text)


def test_last_lines_reads_backwards_only_as_far_as_needed(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(100_000)))
    with path.open("rb") as f:
        size = path.stat().st_size
        assert last_lines(f, 3, size) == b"line 99997\nline 99998\nline 99999\n"
        assert last_lines(f, 0, size) == b""
    path.write_bytes(b"a\nb\nunfinished")
    with path.open("rb") as f:
        assert last_lines(f, 2, path.stat().st_size) == b"b\nunfinished"
        assert last_lines(f, 10, path.stat().st_size) == b"a\nb\nunfinished"


async def test_follows_appends_rotation_and_truncation(tmp_path: Path) -> None:
    path = tmp_path / "qemu.log"
    write(path, "".join(f"old {i}\n" for i in range(10)), "w")
    follower = follow_file(path, lines=3, poll_interval=FAST)
    got = Collected()
    async with contextlib.aclosing(follower):
        await collect_until(follower, got, lambda g: len(g.lines) >= 3)
        assert got.lines == ["old 7", "old 8", "old 9"]

        write(path, "new 1\nnew ")  # a line written in two pieces is shown once, whole
        write(path, "2\n")
        await collect_until(follower, got, lambda g: "new 2" in g.lines)
        assert got.lines[3:] == ["new 1", "new 2"]

        # logrotate's default: rename, then a new file. The last words of the old file,
        # written after the rename, are still read before the switch.
        os.rename(path, tmp_path / "qemu.log.1")
        write(tmp_path / "qemu.log.1", "late in old\n")
        write(path, "first in new\n", "w")
        await collect_until(follower, got, lambda g: "first in new" in g.lines)
        assert got.lines[5:] == ["late in old", "first in new"]
        assert any("rotated" in n for n in got.notices)

        # copytruncate: the same file, cut to nothing, written again
        write(path, "x" * 100 + "\n")
        await collect_until(follower, got, lambda g: len(g.lines) >= 8)
        with path.open("r+") as f:
            f.truncate(0)
        await collect_until(follower, got, lambda g: any("truncated" in n for n in g.notices))
        write(path, "after truncate\n")
        await collect_until(follower, got, lambda g: "after truncate" in g.lines)
        assert got.lines[-1] == "after truncate"


async def test_deleted_and_recreated_file_is_followed_again(tmp_path: Path) -> None:
    path = tmp_path / "vm.log"
    write(path, "one\n", "w")
    follower = follow_file(path, lines=10, poll_interval=FAST)
    got = Collected()
    async with contextlib.aclosing(follower):
        await collect_until(follower, got, lambda g: g.lines == ["one"])
        path.unlink()
        write(path, "two\n", "w")  # may even reuse the inode number
        await collect_until(follower, got, lambda g: "two" in g.lines)


async def test_waits_for_a_file_that_does_not_exist_yet(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    follower = follow_file(path, poll_interval=FAST)
    got = Collected()
    async with contextlib.aclosing(follower):
        await collect_until(follower, got, lambda g: bool(g.notices))
        assert "does not exist" in got.notices[0]
        write(path, "hello\n", "w")
        await collect_until(follower, got, lambda g: "hello" in g.lines)


async def test_a_flood_arrives_in_bounded_batches(tmp_path: Path) -> None:
    path = tmp_path / "flood.log"
    write(path, "ready\n", "w")
    follower = follow_file(path, lines=1, poll_interval=FAST, batch_lines=500)
    got = Collected()
    async with contextlib.aclosing(follower):
        await collect_until(follower, got, lambda g: g.lines == ["ready"])
        write(path, "".join(f"flood {i} \x1b[31m[bold]\n" for i in range(20_000)))
        await collect_until(follower, got, lambda g: len(g.lines) >= 20_001)
    sizes = [len(b.lines) for b in got.batches[1:] if b.lines]
    assert max(sizes) <= 500
    assert len(sizes) < 20_000 / 100  # batches, not lines one by one
    assert got.lines[1] == "flood 0 [bold]"
    assert got.lines[-1] == "flood 19999 [bold]"


async def test_a_path_that_cannot_be_read_says_why_once(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.log"
    folder.mkdir()
    follower = follow_file(folder, poll_interval=FAST)
    got = Collected()
    async with contextlib.aclosing(follower):
        await collect_until(follower, got, lambda g: bool(g.notices))
        assert got.notices == [f"cannot open {folder}: Is a directory; trying again"]
        folder.rmdir()
        write(folder, "now a file\n", "w")
        await collect_until(follower, got, lambda g: "now a file" in g.lines)
    assert len(got.notices) == 2  # the complaint once, then "appeared"
