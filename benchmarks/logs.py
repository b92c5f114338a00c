"""Benchmark: what log lines cost to take in, and the console stream's read size.

In one run:
  - lines: 100,000 realistic lines (libvirt daemon, QEMU and journal lines, one in ten with
    colour codes, one in fifty with other control characters) taken in four ways, against
    the physical reference of only decoding the bytes into a bounded deque:
      clean_line alone; LineBuffer.extend (clean + level + keep) in batches of 1,000;
      the whole path from bytes (LineSplitter on 64 KiB chunks, then the buffer);
      and follow_file reading a file that gets the 100,000 lines appended at once.
  - console stream: `StreamPump` (the console's reader: non-blocking stream, callback on the
    libvirt event thread, bytes handed to the consumer's asyncio loop) at read sizes from
    1 KiB to 256 KiB. A serial console cannot be made to flood on demand (iPXE prints a few
    KiB, and keys reach it 15 at a time), so the source is a storage volume download over
    the same qemu:///system connection: the same remote stream code in the client library,
    the same event thread and callback, the same recv calls, only a faster producer. The
    reference is a blocking `recv` loop of 256 KiB (what libvirt-python's own `recvAll`
    uses) in a plain thread. Sizes run interleaved, round after round.
  - a real console: what one `recv` that finds nothing costs per read size (libvirt-python
    allocates and zeroes the whole size on every call, and every wake-up ends with such a
    call), and what a booting guest's console delivers in its first seconds.
The chosen read size is the smallest within 10% of the fastest flood: past that, a bigger
buffer buys no throughput and costs every one of a real console's many tiny reads.

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.logs
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shutil
import statistics
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import libvirt

from limen_tui.logs.buffer import LineBuffer
from limen_tui.logs.clean import clean_line
from limen_tui.logs.follow_file import follow_file
from limen_tui.logs.lines import LineSplitter
from limen_tui.virt.eventloop import ensure_event_loop
from limen_tui.virt.stream_pump import READ_SIZE, StreamPump
from tests.harness.libvirtd import (
    STATE_DIR,
    ensure_libvirtd,
    remove_domain,
    tiny_domain_xml,
    unique_prefix,
)

URI = "qemu:///system"
KIB = 1024
READ_SIZES = [1 * KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB]
WITHIN = 0.10
"""A read size within this fraction of the fastest counts as fast."""


# -- lines -----------------------------------------------------------------------------------


def sample_lines(n: int, seed: int = 7) -> list[bytes]:
    rnd = random.Random(seed)
    shapes = [
        "2024-05-01 10:00:{s:02d}.{ms:03d}+0000: {pid}: info : virObjectUnref:{n} : OBJECT_UNREF"
        " obj=0x7f{h}",
        "2024-05-01 10:00:{s:02d}.{ms:03d}+0000: {pid}: error : qemuMonitorIO:{n} : internal "
        "error: End of file from qemu monitor (vm {h})",
        "2024-05-01T10:00:{s:02d}.{ms:03d}Z qemu-system-x86_64: terminating on signal 15 from "
        "pid {pid} (/usr/sbin/libvirtd)",
        "char device redirected to /dev/pts/{n} (label charserial0)",
        "2024-05-01T10:00:{s:02d}+0000 hv1 virtqemud[{pid}]: Domain id={n} name='web-{h}' "
        "uuid=5a9e{h} is tainted: custom-argv",
    ]
    out = []
    for i in range(n):
        text = rnd.choice(shapes).format(
            s=i % 60, ms=i % 1000, pid=1000 + i % 50, n=i % 997, h=f"{rnd.getrandbits(32):08x}"
        )
        if i % 10 == 0:
            text = f"\x1b[1;31m{text}\x1b[0m"
        if i % 50 == 0:
            text += " \x07bell [bold]"
        out.append(text.encode())
    return out


def _per_second(n: int, seconds: float) -> dict[str, float]:
    return {"lines_per_s": n / seconds, "us_per_1000": seconds / n * 1000 * 1e6}


def _best(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def measure_lines(n: int, repeats: int) -> dict[str, dict[str, float]]:
    lines = sample_lines(n)
    blob = b"\n".join(lines) + b"\n"
    chunks = [blob[i : i + 64 * KIB] for i in range(0, len(blob), 64 * KIB)]

    def reference() -> None:
        kept: deque[str] = deque(maxlen=10_000)
        kept.extend(raw.decode("utf-8", errors="replace") for raw in lines)

    def clean_only() -> None:
        for raw in lines:
            clean_line(raw)

    def buffer_extend() -> None:
        buf = LineBuffer(10_000)
        for start in range(0, n, 1000):
            buf.extend(lines[start : start + 1000])

    def from_bytes() -> None:
        buf, split = LineBuffer(10_000), LineSplitter()
        for chunk in chunks:
            buf.extend(split.feed(chunk))

    return {
        "decode + deque (reference)": _per_second(n, _best(reference, repeats)),
        "clean_line": _per_second(n, _best(clean_only, repeats)),
        "LineBuffer.extend": _per_second(n, _best(buffer_extend, repeats)),
        "bytes -> LineSplitter -> buffer": _per_second(n, _best(from_bytes, repeats)),
        "follow_file (append flood)": _per_second(n, measure_follow_file(blob, n)),
    }


def measure_follow_file(blob: bytes, n: int) -> float:
    async def run(path: Path) -> float:
        follower = follow_file(path, lines=1, poll_interval=0.01)
        got = 0
        async with contextlib.aclosing(follower):
            await anext(follower)
            started = time.perf_counter()
            with path.open("ab") as f:
                f.write(blob)
            async for batch in follower:
                got += len(batch.lines)
                if got >= n:
                    return time.perf_counter() - started
        raise RuntimeError("the follower ended early")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "flood.log"
        path.write_bytes(b"ready\n")
        return asyncio.run(run(path))


# -- console stream --------------------------------------------------------------------------


class Volume:
    """A raw volume of text bytes in a private dir pool, downloaded as a stream source."""

    def __init__(self, conn: libvirt.virConnect, mib: int) -> None:
        self.conn = conn
        prefix = unique_prefix()
        self.dir = STATE_DIR / "images" / f"{prefix}pool"
        self.dir.mkdir(mode=0o755, parents=True)
        self.pool = conn.storagePoolCreateXML(
            f"<pool type='dir'><name>{prefix}pool</name>"
            f"<target><path>{self.dir}</path></target></pool>",
            0,
        )
        self.size = mib * 2**20
        self.vol = self.pool.createXML(
            f"<volume><name>src.raw</name><capacity>{self.size}</capacity>"
            "<target><format type='raw'/></target></volume>",
            0,
        )
        line = b"iPXE 1.0.0 -- Open Source Network Boot Firmware -- console flood line\r\n"
        with open(self.vol.path(), "r+b") as f:
            f.write((line * (self.size // len(line) + 1))[: self.size])

    def close(self) -> None:
        with contextlib.suppress(libvirt.libvirtError):
            self.vol.delete(0)
        with contextlib.suppress(libvirt.libvirtError):
            self.pool.destroy()
        shutil.rmtree(self.dir, ignore_errors=True)


def pump_once(conn: libvirt.virConnect, vol: Volume, read_size: int) -> dict[str, float]:
    async def run() -> dict[str, float]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str] = loop.create_future()
        received = 0

        def on_data(data: bytes) -> None:
            nonlocal received
            received += len(data)

        def on_closed(reason: str) -> None:
            if not done.done():
                done.set_result(reason)

        stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
        started = time.perf_counter()
        await asyncio.to_thread(vol.vol.download, stream, 0, vol.size, 0)
        pump = StreamPump(
            stream, loop=loop, on_data=on_data, on_closed=on_closed, read_size=read_size
        )
        await asyncio.to_thread(pump.start)
        reason = await asyncio.wait_for(done, 120)
        seconds = time.perf_counter() - started
        await asyncio.to_thread(pump.stop)
        if reason != "end of stream" or received != vol.size:
            raise RuntimeError(f"stream ended early: {reason}, {received} of {vol.size} bytes")
        return {
            "mib_per_s": vol.size / 2**20 / seconds,
            "wakeups": pump.wakeups,
            "handoffs": pump.handoffs,
        }

    return asyncio.run(run())


def blocking_reference(conn: libvirt.virConnect, vol: Volume) -> float:
    stream = conn.newStream(0)
    started = time.perf_counter()
    vol.vol.download(stream, 0, vol.size, 0)
    got = 0
    while True:
        data = stream.recv(256 * KIB)
        if not data:
            break
        got += len(data)
    stream.finish()
    assert got == vol.size
    return vol.size / 2**20 / (time.perf_counter() - started)


def measure_flood(mib: int, repeats: int) -> tuple[float, dict[int, dict[str, float]]]:
    """Every read size once per round, rounds repeated: drift in the machine's load hits
    all sizes alike instead of whichever ran last."""
    conn = libvirt.open(URI)
    vol = Volume(conn, mib)
    runs: dict[int, list[dict[str, float]]] = {size: [] for size in READ_SIZES}
    reference: list[float] = []
    try:
        blocking_reference(conn, vol)  # warm the page cache
        for _ in range(repeats):
            reference.append(blocking_reference(conn, vol))
            for size in READ_SIZES:
                runs[size].append(pump_once(conn, vol, size))
    finally:
        vol.close()
        conn.close()
    sizes = {
        size: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
        for size, rs in runs.items()
    }
    return statistics.median(reference), sizes


def measure_console(seconds: float = 3.0, calls: int = 3000) -> dict[str, object]:
    """A real guest's console: the cost of a `recv` that finds nothing (every wake-up ends
    with one) per read size, on a paused guest; then what a booting guest sends."""
    conn = libvirt.open(URI)
    name = f"{unique_prefix()}bench"
    dom = conn.defineXML(tiny_domain_xml(name))
    try:
        dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
        stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
        dom.openConsole(None, stream, 0)
        idle_us: dict[int, float] = {}
        for size in READ_SIZES:
            samples = []
            for _ in range(5):
                started = time.perf_counter()
                for _ in range(calls):
                    stream.recv(size)
                samples.append((time.perf_counter() - started) / calls * 1e6)
            idle_us[size] = statistics.median(samples)
        stream.abort()

        async def boot() -> dict[str, float]:
            loop = asyncio.get_running_loop()
            stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
            await asyncio.to_thread(dom.openConsole, None, stream, 0)
            pump = StreamPump(stream, loop=loop, on_data=lambda _d: None, on_closed=lambda _r: None)
            await asyncio.to_thread(pump.start)
            await asyncio.to_thread(dom.resume)
            await asyncio.sleep(seconds)
            await asyncio.to_thread(pump.stop)
            return {
                "seconds": seconds,
                "bytes": pump.bytes_in,
                "wakeups": pump.wakeups,
                "handoffs": pump.handoffs,
            }

        return {"idle_recv_us": idle_us, "boot": asyncio.run(boot())}
    finally:
        remove_domain(conn, name)
        conn.close()


def measure_stream(mib: int, repeats: int) -> dict[str, object]:
    ensure_libvirtd()
    ensure_event_loop()
    reference, sizes = measure_flood(mib, repeats)
    console = measure_console()
    fastest = max(s["mib_per_s"] for s in sizes.values())
    chosen = min(size for size, s in sizes.items() if s["mib_per_s"] >= fastest * (1 - WITHIN))
    return {
        "volume_mib": mib,
        "reference_blocking_256k_mib_per_s": reference,
        "sizes": sizes,
        "chosen": chosen,
        "in_use": READ_SIZE,
        "console": console,
    }


# -- report ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--volume-mib", type=int, default=64)
    args = parser.parse_args()
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)

    lines = measure_lines(args.lines, args.repeats)
    ref = lines["decode + deque (reference)"]["lines_per_s"]
    print(f"taking in {args.lines:,} log lines (best of {args.repeats}):")
    print(f"{'path':<34} {'lines/s':>12} {'per 1,000 lines':>16} {'vs reference':>13}")
    for name, r in lines.items():
        print(
            f"{name:<34} {r['lines_per_s']:>12,.0f} {r['us_per_1000'] / 1000:>13.2f} ms "
            f"{ref / r['lines_per_s']:>12.1f}x"
        )

    stream = measure_stream(args.volume_mib, args.repeats)
    sizes = stream["sizes"]
    console = stream["console"]
    assert isinstance(sizes, dict) and isinstance(console, dict)
    idle = console["idle_recv_us"]
    print()
    print(
        f"console stream reader (StreamPump) at each read size: a {args.volume_mib} MiB flood "
        f"over {URI} (median of {args.repeats} interleaved rounds), and one recv that finds "
        "nothing on a real guest's console:"
    )
    print(f"{'read size':>10} {'MiB/s':>9} {'wake-ups':>9} {'hand-offs':>10} {'idle recv':>10}")
    print(
        f"{'256 KiB':>10} {stream['reference_blocking_256k_mib_per_s']:>9.1f} {'':>9} {'':>10} "
        f"{'':>10}  blocking recv loop in a thread (reference)"
    )
    for size, s in sizes.items():
        mark = "  <- chosen" if size == stream["chosen"] else ""
        if size == stream["in_use"]:
            mark += " (READ_SIZE in use)"
        print(
            f"{size // KIB:>6} KiB {s['mib_per_s']:>9.1f} {s['wakeups']:>9.0f} "
            f"{s['handoffs']:>10.0f} {idle[size]:>7.2f} us{mark}"
        )
    print(
        f"chosen: the smallest size within {WITHIN:.0%} of the fastest (each recv allocates and "
        "zeroes the whole size, even when nothing waits)"
    )
    boot = console["boot"]
    print(
        f"a booting guest's console: {boot['bytes']:.0f} bytes in {boot['seconds']:.0f} s, "
        f"{boot['wakeups']:.0f} wake-ups, {boot['handoffs']:.0f} hand-offs to the loop"
    )
    print(json.dumps({"benchmark": "logs", "lines": lines, "stream": stream}))


if __name__ == "__main__":
    main()
