"""Reading a Linux host's /proc files (as text that arrived over SSH) into a `RawReading`.

Pure functions: no I/O, so they are tested with captured text. A block is the output of one
round of the remote sampling script (see `remote.py`): sections introduced by `@@ NAME` lines.
A section that is missing or unreadable leaves its fields None; it never fails the block.
"""

from __future__ import annotations

import re

from limen_tui.hosts.health import (
    CpuTimes,
    DiskUsage,
    RawReading,
    disk_usage,
    is_storage_mount,
    is_whole_disk,
)

SECTION = "@@ "
SECTOR_BYTES = 512  # /proc/diskstats counts 512-byte sectors whatever the device's own size

# df -P: device, 1024-blocks, used, available, capacity, mount point (which may hold spaces).
_DF_LINE = re.compile(
    r"^(?P<dev>.+?)\s+(?P<size>\d+)\s+(?P<used>\d+)\s+(?P<avail>\d+)\s+\S+\s+(?P<mount>/.*)$"
)
_OCTAL = re.compile(r"\\([0-7]{3})")


def split_sections(lines: list[str]) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if line.startswith(SECTION):
            current = sections.setdefault(line[len(SECTION) :].strip(), [])
        elif current is not None:
            current.append(line)
    return sections


def _cpu(lines: list[str]) -> tuple[CpuTimes | None, tuple[CpuTimes, ...]]:
    total: CpuTimes | None = None
    cores: list[CpuTimes] = []
    for line in lines:
        if not line.startswith("cpu"):
            continue
        name, *fields = line.split()
        try:
            times = CpuTimes.from_fields([float(f) for f in fields])
        except ValueError:
            continue
        if name == "cpu":
            total = times
        else:
            cores.append(times)
    return total, tuple(cores)


def _meminfo(lines: list[str]) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in lines:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            unit = 1024 if len(parts) > 1 and parts[1].lower() == "kb" else 1
            values[key.strip()] = int(parts[0]) * unit
    return values


def _first_floats(lines: list[str], count: int) -> list[float] | None:
    if not lines:
        return None
    try:
        values = [float(v) for v in lines[0].split()[:count]]
    except ValueError:
        return None
    return values if len(values) == count else None


def _netdev(lines: list[str]) -> tuple[tuple[str, int, int], ...]:
    out: list[tuple[str, int, int]] = []
    for line in lines:
        name, sep, rest = line.partition(":")
        fields = rest.split()
        name = name.strip()
        if not sep or len(fields) < 9 or name == "lo" or "|" in name:
            continue
        try:
            out.append((name, int(fields[0]), int(fields[8])))
        except ValueError:
            continue
    return tuple(sorted(out))


def _diskstats(lines: list[str], block: frozenset[str]) -> tuple[tuple[str, int, int], ...]:
    out: list[tuple[str, int, int]] = []
    for line in lines:
        fields = line.split()
        if len(fields) < 10 or not is_whole_disk(fields[2], block):
            continue
        try:
            read, written = int(fields[5]), int(fields[9])
        except ValueError:
            continue
        out.append((fields[2], read * SECTOR_BYTES, written * SECTOR_BYTES))
    return tuple(sorted(out))


def _unescape(path: str) -> str:
    """/proc/mounts writes a space in a path as \\040 (and tab, newline, backslash alike)."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), path)


def _disks(mounts: list[str], df: list[str]) -> tuple[DiskUsage, ...]:
    fstype_of: dict[str, tuple[str, str]] = {}
    for line in mounts:
        fields = line.split()
        if len(fields) >= 3:
            fstype_of.setdefault(_unescape(fields[1]), (fields[0], fields[2]))
    seen: set[str] = set()
    out: list[DiskUsage] = []
    for line in df:
        match = _DF_LINE.match(line.rstrip())
        if match is None:
            continue  # the header, or a line df could not fill in
        mount = match["mount"]
        device, fstype = fstype_of.get(mount, (match["dev"], ""))
        # A device mounted twice (bind mounts) is one filesystem: count it once.
        if not is_storage_mount(device, fstype) or device in seen:
            continue
        seen.add(device)
        out.append(
            disk_usage(
                mount,
                device,
                int(match["used"]) * 1024,
                int(match["size"]) * 1024,
                int(match["avail"]) * 1024,
            )
        )
    return tuple(out)


def parse_block(lines: list[str], *, arrived: float, wall: float) -> RawReading:
    """One round of the remote script's output (between its begin and end markers).

    `arrived` (monotonic) is the clock for rates only if the block has no /proc/uptime, whose
    first field is the host's own monotonic clock and free of the network's jitter.
    """
    sections = split_sections(lines)
    cpu, cores = _cpu(sections.get("stat", []))
    mem = _meminfo(sections.get("meminfo", []))
    load = _first_floats(sections.get("loadavg", []), 3)
    uptime = _first_floats(sections.get("uptime", []), 1)
    block = frozenset(n.strip().replace("!", "/") for n in sections.get("block", []) if n.strip())
    return RawReading(
        clock=uptime[0] if uptime else arrived,
        time=wall,
        cpu=cpu,
        cores=cores,
        mem_total=mem.get("MemTotal"),
        mem_available=mem.get("MemAvailable"),
        swap_total=mem.get("SwapTotal"),
        swap_free=mem.get("SwapFree"),
        load=(load[0], load[1], load[2]) if load else None,
        uptime_s=uptime[0] if uptime else None,
        disks=_disks(sections.get("mounts", []), sections.get("df", [])),
        disk_bytes=_diskstats(sections.get("diskstats", []), block),
        net_bytes=_netdev(sections.get("netdev", [])),
    )
