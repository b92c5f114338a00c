"""What a domain's XML says about its devices, for the details panel. Pure parsing."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Devices:
    disks: list[str] = field(default_factory=list)
    """`vda: /var/lib/libvirt/images/web.qcow2 (qcow2)`; CD-ROMs marked."""
    nics: list[str] = field(default_factory=list)
    """`52:54:00:..: network default (virtio)`."""
    graphics: list[str] = field(default_factory=list)
    """`vnc 127.0.0.1:5900`; the port is -1/autoport until the VM runs."""
    description: str = ""
    displays: list[tuple[str, str, int]] = field(default_factory=list)
    """(vnc|spice, listen address, port) of each graphical console that has a port now."""


def tunnel_command(
    kind: str, listen: str, port: int, uri_host: str | None, uri_user: str | None
) -> str:
    """What to run on the operator's workstation to reach a VM's VNC/SPICE port."""
    far = "127.0.0.1" if listen in ("", "0.0.0.0", "::") else listen
    if not uri_host:
        return f"{kind}://{far}:{port} (on this host)"
    target = f"{uri_user}@{uri_host}" if uri_user else uri_host
    return f"ssh -N -L {port}:{far}:{port} {target}   then {kind} to localhost:{port}"


def parse_devices(xml: str) -> Devices:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return Devices(description="(the domain XML could not be read)")
    disks = []
    for disk in root.findall("./devices/disk"):
        target = disk.find("target")
        source = disk.find("source")
        driver = disk.find("driver")
        dev = target.get("dev", "?") if target is not None else "?"
        where = ""
        if source is not None:
            where = source.get("file") or source.get("dev") or source.get("volume") or ""
        kind = disk.get("device", "disk")
        fmt = driver.get("type", "") if driver is not None else ""
        text = f"{dev}: {where or '(empty)'}"
        extras = [x for x in (fmt, kind if kind != "disk" else "") if x]
        disks.append(text + (f" ({', '.join(extras)})" if extras else ""))
    nics = []
    for nic in root.findall("./devices/interface"):
        mac = nic.find("mac")
        source = nic.find("source")
        model = nic.find("model")
        kind = nic.get("type", "?")
        via = ""
        if source is not None:
            via = source.get("network") or source.get("bridge") or source.get("dev") or ""
        text = f"{mac.get('address', '?') if mac is not None else '?'}: {kind} {via}".rstrip()
        if model is not None and model.get("type"):
            text += f" ({model.get('type')})"
        nics.append(text)
    graphics = []
    displays: list[tuple[str, str, int]] = []
    for g in root.findall("./devices/graphics"):
        port = g.get("port", "")
        if port.isdigit() and int(port) > 0:
            displays.append((g.get("type", "?"), g.get("listen") or "127.0.0.1", int(port)))
        listen = g.get("listen") or "127.0.0.1"
        graphics.append(
            f"{g.get('type', '?')} {listen}:{port}"
            if port not in ("", "-1")
            else f"{g.get('type', '?')} {listen} (port chosen at start)"
        )
    description = (root.findtext("description") or "").strip()
    return Devices(disks, nics, graphics, description, displays)
