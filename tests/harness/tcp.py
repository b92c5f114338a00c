"""A small threaded TCP accept loop shared by the harness's fake hosts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


def accept_loop(
    listener: socket.socket, stop: threading.Event, on_client: Callable[[socket.socket], None]
) -> None:
    """Hand every accepted connection to `on_client` until `stop` is set or the socket closes."""
    listener.settimeout(0.2)  # so `stop` is seen within a fraction of a second
    while not stop.is_set():
        try:
            client, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        on_client(client)
