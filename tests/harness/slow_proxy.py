"""A TCP front for the local libvirtd that waits before it answers: a real host that is slow.

`qemu+tcp://127.0.0.1:PORT/system` through it reaches the real daemon (which sees a local root
client on its unix socket), after `delay` seconds per new connection. Threads, not asyncio, so
it never shares a loop with the code under test.

A slow network, in user space (`latency`, `loss`): this kernel has no `sch_netem`, so `tc netem`
cannot delay a veth here. Each chunk of bytes, each way, is held `latency` seconds; a share
`loss` of chunks is held as TCP holds a lost segment, one retransmission timeout more (Linux's
minimum, 200 ms, or twice the latency), and every chunk behind it waits too (in order, as TCP
delivers). What the console sees is what a lossy, distant link does to a byte stream.
"""

from __future__ import annotations

import contextlib
import queue
import random
import socket
import threading
import time

from tests.harness.tcp import accept_loop

LIBVIRT_SOCK = "/var/run/libvirt/libvirt-sock"


class SlowLibvirtProxy:
    def __init__(
        self,
        delay: float = 0.0,
        target: str = LIBVIRT_SOCK,
        bind: str = "127.0.0.1",
        *,
        latency: float = 0.0,
        loss: float = 0.0,
        seed: int = 7,
    ) -> None:
        self.delay = delay
        self.latency, self.loss = latency, loss
        self._rng = random.Random(seed)
        self.held = 0
        """Chunks held as lost (one retransmission timeout more)."""
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
        if self.latency or self.loss:
            self._pump_slowly(src, dst)
            return
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def _pump_slowly(self, src: socket.socket, dst: socket.socket) -> None:
        """Read at once, deliver each chunk when its time comes, in order."""
        held: queue.Queue[tuple[float, bytes]] = queue.Queue()

        def deliver() -> None:
            with contextlib.suppress(OSError):
                while True:
                    due, data = held.get()
                    if not data:
                        break
                    wait = due - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    dst.sendall(data)
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=deliver, daemon=True)
        sender.start()
        last_due = 0.0
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                due = time.monotonic() + self.latency
                if self._rng.random() < self.loss:
                    self.held += 1
                    due += max(0.2, 2 * self.latency)
                last_due = max(last_due, due)  # TCP delivers in order: nothing overtakes
                held.put((last_due, data))
        held.put((0.0, b""))
        sender.join(timeout=10)

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._accept.join(timeout=2)
