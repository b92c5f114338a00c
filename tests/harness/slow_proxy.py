"""A TCP front for the local libvirtd that waits before it answers: a real host that is slow.

`qemu+tcp://127.0.0.1:PORT/system` through it reaches the real daemon (which sees a local root
client on its unix socket), after `delay` seconds per new connection. Threads, not asyncio, so
it never shares a loop with the code under test.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from tests.harness.tcp import accept_loop

LIBVIRT_SOCK = "/var/run/libvirt/libvirt-sock"


class SlowLibvirtProxy:
    def __init__(
        self, delay: float = 0.0, target: str = LIBVIRT_SOCK, bind: str = "127.0.0.1"
    ) -> None:
        self.delay = delay
        self.target = target
        self.bind = bind
        self._listener = socket.create_server((bind, 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._accept = threading.Thread(target=self._serve, name="slow-proxy", daemon=True)
        self._accept.start()

    def uri(self, driver: str = "qemu", path: str = "/system") -> str:
        return f"{driver}+tcp://{self.bind}:{self.port}{path}"

    def _serve(self) -> None:
        accept_loop(self._listener, self._stop, self._start_relay)

    def _start_relay(self, client: socket.socket) -> None:
        thread = threading.Thread(target=self._relay, args=(client,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def _relay(self, client: socket.socket) -> None:
        deadline = time.monotonic() + self.delay
        while time.monotonic() < deadline and not self._stop.is_set():
            time.sleep(0.05)
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(self.target)
        except OSError:
            client.close()
            return
        self._sockets += [client, upstream]
        pump = threading.Thread(target=self._pump, args=(upstream, client), daemon=True)
        pump.start()
        self._pump(client, upstream)
        pump.join(timeout=5)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._accept.join(timeout=2)
