"""A minimal DHCP client (DISCOVER, OFFER, REQUEST, ACK) for one interface, so a test can get a
real lease from libvirt's dnsmasq without a guest. Run inside a network namespace:

    ip netns exec NS python3 tests/harness/dhcp_client.py IFACE HOSTNAME

It prints the address it was given. Nothing but the standard library (it runs as a script).
"""

from __future__ import annotations

import fcntl
import secrets
import socket
import struct
import sys
import time

MAGIC = b"\x63\x82\x53\x63"


def _mac(iface: str) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        info = fcntl.ioctl(s.fileno(), 0x8927, struct.pack("256s", iface.encode()[:15]))
    return info[18:24]


def _packet(xid: bytes, mac: bytes, kind: int, hostname: str, extra: bytes = b"") -> bytes:
    head = struct.pack(
        "!BBBB4sHH4s4s4s4s", 1, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4
    )
    body = mac + b"\0" * 10 + b"\0" * 192 + MAGIC
    name = hostname.encode()
    options = bytes([53, 1, kind]) + bytes([12, len(name)]) + name + extra + b"\xff"
    return head + body + options


def _options(reply: bytes) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    i = 240
    while i < len(reply) and reply[i] != 255:
        if reply[i] == 0:
            i += 1
            continue
        code, size = reply[i], reply[i + 1]
        out[code] = reply[i + 2 : i + 2 + size]
        i += 2 + size
    return out


def _wait(sock: socket.socket, xid: bytes, kind: int, deadline: float) -> bytes:
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            reply, _ = sock.recvfrom(4096)
        except TimeoutError:
            break
        if reply[4:8] == xid and _options(reply).get(53) == bytes([kind]):
            return reply
    raise SystemExit(f"no DHCP reply of type {kind}")


def lease(iface: str, hostname: str, limit: float = 20.0) -> str:
    mac, xid = _mac(iface), secrets.token_bytes(4)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    sock.bind(("", 68))
    deadline = time.monotonic() + limit
    offer = b""
    while not offer:  # dnsmasq may start a moment after the network: ask again until then
        sock.sendto(_packet(xid, mac, 1, hostname), ("255.255.255.255", 67))
        try:
            offer = _wait(sock, xid, 2, min(deadline, time.monotonic() + 2))
        except SystemExit:
            if time.monotonic() > deadline:
                raise
    offered = offer[16:20]
    server = _options(offer)[54]
    extra = bytes([50, 4]) + offered + bytes([54, 4]) + server
    sock.sendto(_packet(xid, mac, 3, hostname, extra), ("255.255.255.255", 67))
    _wait(sock, xid, 5, deadline)
    return socket.inet_ntoa(offered)


if __name__ == "__main__":
    print(lease(sys.argv[1], sys.argv[2]))
