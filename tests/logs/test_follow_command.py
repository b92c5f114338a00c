"""Following a local command: stdout lines, stderr as notices, an exit in words, a clean stop."""

from __future__ import annotations

import contextlib
import secrets

from limen_tui.logs.follow_command import follow_command
from limen_tui.logs.output import describe_exit
from tests.logs.helpers import Collected, collect_until, processes_with


async def test_output_stderr_and_exit_status() -> None:
    script = "echo 'first [bold]'; printf 'ansi \\033[31mred\\033[0m\\n'; echo oops >&2; exit 3"
    got = Collected()
    follower = follow_command(["sh", "-c", script])
    async with contextlib.aclosing(follower):
        await collect_until(follower, got, lambda g: g.ended)
    assert got.lines == ["first [bold]", "ansi red"]
    assert got.notices == ["oops", "ended with exit status 3: oops"]


async def test_a_command_that_cannot_start_says_so() -> None:
    got = Collected()
    follower = follow_command(["/nonexistent/journalctl", "-f"])
    await collect_until(follower, got, lambda g: g.ended)
    assert "could not run /nonexistent/journalctl -f" in got.notices[0]


async def test_closing_the_follower_ends_the_command() -> None:
    token = f"limen-follow-{secrets.token_hex(4)}"
    got = Collected()
    follower = follow_command(["sh", "-c", f"echo started; exec sleep 300 # {token}"])
    await collect_until(follower, got, lambda g: "started" in g.lines)
    await follower.aclose()
    assert await processes_with(token) == []


def test_describe_exit() -> None:
    assert describe_exit(0, None) == "ended"
    assert (
        describe_exit(1, None, "tail: cannot open 'x'")
        == "ended with exit status 1: tail: cannot open 'x'"
    )
    assert describe_exit(None, "TERM") == "ended: killed by signal TERM"
    assert "connection" in describe_exit(None, None)
