"""pytest fixtures for the throwaway sshd; tests/conftest.py imports them so every test sees them.

Each test gets its own server (tests stop and restart it), torn down when the test ends.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness.sshd import SilentListener, SshServer


@pytest.fixture
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """A running sshd on 127.0.0.1: .host .port .user .key_path .known_hosts_path
    .wrong_known_hosts_path; .stop() / .start() / .restart() keep port and host key."""
    server = SshServer(tmp_path_factory.mktemp("sshd"))
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def silent_listener() -> Iterator[SilentListener]:
    """A TCP port that accepts and never speaks (an SSH banner that never comes)."""
    listener = SilentListener()
    try:
        yield listener
    finally:
        listener.close()
