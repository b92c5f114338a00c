"""What a VM's guest agent says about the guest: OS, host name, time zone, users, filesystems.

Pure: `parse_guest_info` reads libvirt's `guestInfo` answer (what `virsh guestinfo` prints);
when the agent does not answer, a GuestInfo says why in words instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

FULL_PCT = 90.0
"""A filesystem this full is a health warning (the hosts' disk threshold)."""


@dataclass(frozen=True, slots=True)
class GuestUser:
    name: str
    domain: str = ""
    login_time: float | None = None
    """Seconds since the epoch."""


@dataclass(frozen=True, slots=True)
class GuestFilesystem:
    mountpoint: str
    name: str = ""
    fstype: str = ""
    total_bytes: int | None = None
    used_bytes: int | None = None

    @property
    def used_pct(self) -> float | None:
        if self.total_bytes is None or self.used_bytes is None or self.total_bytes <= 0:
            return None
        return self.used_bytes / self.total_bytes * 100.0

    @property
    def full(self) -> bool:
        pct = self.used_pct
        return pct is not None and pct >= FULL_PCT


@dataclass(frozen=True, slots=True)
class GuestInfo:
    answered: bool
    reason: str = ""
    """Why there is nothing, when the agent did not answer."""
    os_name: str = ""
    os_version: str = ""
    kernel: str = ""
    machine: str = ""
    hostname: str = ""
    timezone: str = ""
    timezone_offset_s: int | None = None
    users: tuple[GuestUser, ...] = ()
    filesystems: tuple[GuestFilesystem, ...] = ()

    @property
    def full_filesystems(self) -> tuple[GuestFilesystem, ...]:
        return tuple(fs for fs in self.filesystems if fs.full)


def _str(info: Mapping[str, Any], key: str) -> str:
    value = info.get(key)
    return "" if value is None else str(value)


def _int(info: Mapping[str, Any], key: str) -> int | None:
    value = info.get(key)
    return value if type(value) is int else None


def parse_guest_info(info: Mapping[str, Any]) -> GuestInfo:
    users = tuple(
        GuestUser(
            _str(info, f"user.{i}.name"),
            _str(info, f"user.{i}.domain"),
            None if (ms := _int(info, f"user.{i}.login-time")) is None else ms / 1000,
        )
        for i in range(_int(info, "user.count") or 0)
    )
    filesystems = tuple(
        GuestFilesystem(
            _str(info, f"fs.{i}.mountpoint"),
            _str(info, f"fs.{i}.name"),
            _str(info, f"fs.{i}.fstype"),
            _int(info, f"fs.{i}.total-bytes"),
            _int(info, f"fs.{i}.used-bytes"),
        )
        for i in range(_int(info, "fs.count") or 0)
    )
    return GuestInfo(
        answered=True,
        os_name=_str(info, "os.pretty-name") or _str(info, "os.name") or _str(info, "os.id"),
        os_version=_str(info, "os.version"),
        kernel=" ".join(
            s for s in (_str(info, "os.kernel-release"), _str(info, "os.kernel-version")) if s
        ),
        machine=_str(info, "os.machine"),
        hostname=_str(info, "hostname"),
        timezone=_str(info, "timezone.name"),
        timezone_offset_s=_int(info, "timezone.offset"),
        users=users,
        filesystems=filesystems,
    )
