"""A lab of real hypervisor hosts on this machine: each a libvirtd in its own namespaces.

Every host is :mod:`tests.harness.lab_node` run by ``unshare --mount --uts --net``: its own
``/run``, ``/etc/libvirt``, ``/var/lib/libvirt``, ``/var/log/libvirt``, host name and
``host_uuid`` (libvirt refuses to migrate to a host with the same UUID or name), and one end of
a veth pair on a bridge this harness creates, with a link-local address (169.254.X.0/24,
checked against the machine's own addresses), so no packet leaves this machine. The console
(this process, the bridge's .1) reaches host N at ``qemu+tcp://169.254.X.(10+N)/system``.

``/var/lib/libvirt/images`` is the same directory in every host and here: the lab's shared
storage (the real guest's kernel and disks live there), so a VM migrates without copying
disks. Guests are TCG; the hosts share the machine's memory, so free memory is the same
figure on each.

Every host also runs its own sshd on port 22 of its address (in its namespaces, so a shell
there sees that host's ``/var/log/libvirt``): one user key for the lab, one host key per host
kept for the lab's life (a revived host offers the same key), and a known_hosts naming each
host's address, so the console reaches health and logs over SSH with checked host keys.

``Lab.start(n)`` starts the hosts in parallel (a few seconds: QEMU's capabilities come from the
machine's cache); ``Lab.stop()`` ends every process in each host's network namespace (QEMU
included) and removes the bridge and the hosts' directories. A state file per lab names its
owner, so :func:`sweep_leftover_labs` can end a lab whose owner was killed.
``python -m tests.harness.lab start|stop|status`` is the same for humans (scripts/lab.sh).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import libvirt

from tests.harness.libvirtd import ensure_libvirtd, probe

STATE_ROOT = Path("/run/limen-lab")
"""One JSON file per running lab: owner pid, bridge, hosts."""
NODE = Path(__file__).with_name("lab_node.py")
START_TIMEOUT = 60.0
HOST_NAMES = ("lab-a", "lab-b", "lab-c")


def _run(argv: list[str]) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def _wait_own_netns(pid: int, limit: float = 10.0) -> None:
    """Until `unshare` (pid) is in its new network namespace: a veth moved there earlier would
    land in ours, and the host would come up without its link."""
    ours = os.readlink("/proc/self/ns/net")
    deadline = time.monotonic() + limit
    while True:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/ns/net") != ours:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"unshare (pid {pid}) made no network namespace in {limit:.0f}s")
        time.sleep(0.01)  # a bounded wait for the kernel, between two looks


def _used_networks() -> list[ipaddress.IPv4Network]:
    nets = []
    for line in _run(["ip", "-o", "-4", "addr", "show"]).splitlines():
        parts = line.split()
        nets.append(ipaddress.IPv4Interface(parts[parts.index("inet") + 1]).network)
    return nets


def _free_net() -> ipaddress.IPv4Network:
    used = _used_networks()
    for _ in range(500):
        third = random.SystemRandom().choice([x for x in range(1, 254) if x != 169])
        net = ipaddress.IPv4Network(f"169.254.{third}.0/24")
        if not any(net.overlaps(u) for u in used):
            return net
    raise RuntimeError("no free 169.254.X.0/24 network for the lab bridge")


@dataclass(frozen=True, slots=True)
class LabHost:
    name: str
    """Its host name (UTS namespace) and the name the console shows."""
    address: str
    host_uuid: str
    root: str
    """Its /etc/libvirt, /var/lib/libvirt, /var/log/libvirt live under here."""
    pid: int
    """The node process: its namespaces are the host's."""

    ssh_port: int = 22

    @property
    def uri(self) -> str:
        return f"qemu+tcp://{self.address}/system"

    @property
    def daemon_log(self) -> Path:
        return Path(self.root, "log", "libvirtd.log")

    def open(self) -> libvirt.virConnect:
        return libvirt.open(self.uri)

    def processes(self) -> list[int]:
        """Every process in the host's network namespace (node, daemons, QEMU)."""
        try:
            mine = os.readlink(f"/proc/{self.pid}/ns/net")
        except OSError:
            return []
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{entry.name}/ns/net") == mine:
                        found.append(int(entry.name))
        return found

    def kill(self) -> None:
        """The host dies at once: SIGKILL to everything in it, as a power cut."""
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        _wait(lambda: not self.processes(), 10, f"{self.name} did not die")


SSHD = "/usr/sbin/sshd"


def _keygen(path: Path, comment: str) -> str:
    """An ed25519 key pair at `path` (kept when it exists); returns the public key's type and
    blob."""
    if not path.exists():
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    kind, blob = path.with_name(path.name + ".pub").read_text().split()[:2]
    return f"{kind} {blob}"


def _sshd_config(address: str, host_key: Path, authorized: Path) -> str:
    return "\n".join(
        [
            "Port 22",
            f"ListenAddress {address}",
            f"HostKey {host_key}",
            "PidFile /run/sshd.pid",
            f"AuthorizedKeysFile {authorized}",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "UseDNS no",
            "PrintMotd no",
            "MaxStartups 50",
            "",
        ]
    )


def _banner(address: str, port: int) -> str | None:
    """None once an SSH server greets there, else why not."""
    import socket

    try:
        with socket.create_connection((address, port), timeout=2.0) as sock:
            return None if sock.recv(64).startswith(b"SSH-") else "no SSH banner"
    except OSError as exc:
        return str(exc)


def _wait(done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(what)
        time.sleep(0.05)


class Lab:
    """A bridge and the hosts on it; `start` them, use `hosts`, always `stop`."""

    def __init__(self, *, detach: bool = False) -> None:
        self.id = secrets.token_hex(3)
        self.bridge = f"lmb{self.id}"
        self.net = _free_net()
        self.detach = detach
        self.hosts: dict[str, LabHost] = {}
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self.owner = os.getpid()
        self.ssh_dir = Path(tempfile.mkdtemp(prefix=f"limen-lab-ssh-{self.id}-"))
        """The lab's SSH keys: `ssh_key` (the console's) and one host key per host."""
        self.ssh_dir.chmod(0o700)
        self.ssh_key = self.ssh_dir / "id_ed25519"
        self.known_hosts = self.ssh_dir / "known_hosts"
        _keygen(self.ssh_key, "limen-lab-console")
        self._authorized = self.ssh_dir / "authorized_keys"
        self._authorized.write_text(_keygen(self.ssh_key, "") + "\n")

    @property
    def console_address(self) -> str:
        return str(self.net.network_address + 1)

    @property
    def state_file(self) -> Path:
        return STATE_ROOT / f"{self.id}.json"

    def _save(self) -> None:
        STATE_ROOT.mkdir(parents=True, exist_ok=True)
        state = {
            "owner": self.owner,
            "bridge": self.bridge,
            "ssh_dir": str(self.ssh_dir),
            "hosts": [asdict(h) for h in self.hosts.values()],
        }
        self.state_file.write_text(json.dumps(state, indent=1))

    def start(self, count: int = 2) -> Lab:
        """Start `count` hosts; raises with the daemon logs when one does not answer."""
        ensure_libvirtd()  # the machine's QEMU capabilities cache comes from its own daemon
        _run(["ip", "link", "add", self.bridge, "type", "bridge"])
        self._save()
        try:
            _run(["ip", "link", "set", self.bridge, "alias", f"limen-lab-pid:{self.owner}"])
            _run(["ip", "addr", "add", f"{self.console_address}/24", "dev", self.bridge])
            _run(["ip", "link", "set", self.bridge, "up"])
            for i in range(count):
                self._spawn(HOST_NAMES[i], str(self.net.network_address + 11 + i))
            self._save()
            for host in self.hosts.values():
                self._wait_answers(host)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, address: str, host_uuid: str | None = None) -> LabHost:
        root = Path(tempfile.mkdtemp(prefix=f"limen-lab-{name}-"))
        root.chmod(0o755)
        host_uuid = host_uuid or str(uuid.uuid4())
        host_key = self.ssh_dir / f"{name}_host_ed25519_key"
        offered = _keygen(host_key, f"limen-lab-{name}")
        lines = self.known_hosts.read_text().splitlines() if self.known_hosts.exists() else []
        known = [line for line in lines if not line.startswith(f"{address} ")]
        self.known_hosts.write_text("\n".join([*known, f"{address} {offered}"]) + "\n")
        (root / "sshd_config").write_text(_sshd_config(address, host_key, self._authorized))
        spec = {
            "root": str(root),
            "hostname": name,
            "address": address,
            "uuid": host_uuid,
            "detach": self.detach,
            "sshd_config": str(root / "sshd_config"),
        }
        (root / "spec.json").write_text(json.dumps(spec))
        argv = ["unshare", "--mount", "--uts", "--net", "--propagation", "private"]
        log = (root / "node.log").open("ab")
        proc = subprocess.Popen(
            [*argv, sys.executable, str(NODE), str(root / "spec.json")],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=log,
            start_new_session=self.detach,
        )
        host = LabHost(name, address, host_uuid, str(root), proc.pid)
        self.hosts[name], self._procs[name] = host, proc
        _wait_own_netns(proc.pid)
        veth, peer = f"lmv{self.id}{name[-1]}", f"lmp{self.id}{name[-1]}"
        _run(["ip", "link", "add", veth, "type", "veth", "peer", "name", peer])
        _run(["ip", "link", "set", veth, "master", self.bridge, "up"])
        _run(["ip", "link", "set", peer, "netns", str(proc.pid)])
        inside = ["nsenter", "-t", str(proc.pid), "-n", "ip"]
        _run([*inside, "link", "set", peer, "name", "eth0"])
        # One MAC per address: a revived host is not hidden behind its old self's ARP entry.
        mac = "02:00:" + ":".join(f"{int(b):02x}" for b in address.split("."))
        _run([*inside, "link", "set", "eth0", "address", mac])
        _run([*inside, "addr", "add", f"{address}/24", "dev", "eth0"])
        _run([*inside, "link", "set", "eth0", "up"])
        _run([*inside, "link", "set", "lo", "up"])
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        return host

    def _wait_answers(self, host: LabHost) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        reason: str | None = "not probed"
        while time.monotonic() < deadline:
            reason = probe(host.uri, timeout=5) or _banner(host.address, host.ssh_port)
            if reason is None:
                return
            if self._procs[host.name].poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"{host.name} ({host.uri}) did not answer: {reason}\n{_tails(host)}")

    def revive(self, name: str) -> LabHost:
        """Start a killed host again: same name, address and host UUID, empty state."""
        old = self.hosts[name]
        old.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._procs[name].wait(5)
        shutil.rmtree(old.root, ignore_errors=True)
        with contextlib.suppress(RuntimeError):
            _run(["ip", "link", "delete", f"lmv{self.id}{name[-1]}"])
        host = self._spawn(name, old.address, old.host_uuid)
        self._save()
        self._wait_answers(host)
        return host

    def stop(self) -> None:
        """End every host (daemons and guests) and remove the bridge and the directories."""
        for name, host in self.hosts.items():
            proc = self._procs.get(name)
            if proc is not None and proc.poll() is None:
                proc.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(15)
            host.kill()
            shutil.rmtree(host.root, ignore_errors=True)
        _end_lab(self.bridge)
        shutil.rmtree(self.ssh_dir, ignore_errors=True)
        self.state_file.unlink(missing_ok=True)


def _tails(host: LabHost) -> str:
    parts = []
    for path in (Path(host.root, "node.log"), host.daemon_log, Path(host.root, "log/stdio.log")):
        with contextlib.suppress(OSError):
            parts.append(f"--- {path} ---\n" + "\n".join(path.read_text().splitlines()[-20:]))
    return "\n".join(parts)


def _end_lab(bridge: str) -> None:
    with contextlib.suppress(RuntimeError):
        _run(["ip", "link", "delete", bridge])


def _gone(host: LabHost) -> bool:
    return not host.processes()


def _stop_from_state(state_file: Path) -> None:
    state = json.loads(state_file.read_text())
    for raw in state["hosts"]:
        host = LabHost(**raw)
        with contextlib.suppress(ProcessLookupError):
            os.kill(host.pid, 15)
        with contextlib.suppress(RuntimeError):
            _wait(partial(_gone, host), 15, "")
        host.kill()
        shutil.rmtree(host.root, ignore_errors=True)
    _end_lab(state["bridge"])
    if state.get("ssh_dir"):
        shutil.rmtree(state["ssh_dir"], ignore_errors=True)
    state_file.unlink(missing_ok=True)


def sweep_leftover_labs() -> list[str]:
    """End labs whose owner process is gone (a test run that was killed)."""
    ended = []
    for state_file in STATE_ROOT.glob("*.json") if STATE_ROOT.is_dir() else []:
        with contextlib.suppress(OSError, ValueError, KeyError):
            owner = json.loads(state_file.read_text())["owner"]
            if owner and owner != os.getpid() and not Path(f"/proc/{owner}").exists():
                _stop_from_state(state_file)
                ended.append(state_file.stem)
    return ended


@contextlib.contextmanager
def running_lab(count: int = 2) -> Iterator[Lab]:
    sweep_leftover_labs()
    lab = Lab().start(count)
    try:
        yield lab
    finally:
        lab.stop()


def main(argv: list[str]) -> int:
    """`start [N]`, `stop`, `status`: the lab for humans (scripts/lab.sh)."""
    command = argv[0] if argv else "status"
    labs = sorted(STATE_ROOT.glob("*.json")) if STATE_ROOT.is_dir() else []
    if command == "start":
        started = time.monotonic()
        lab = Lab(detach=True)
        lab.owner = 0  # nobody's: `stop` ends it
        lab.start(int(argv[1]) if len(argv) > 1 else 2)
        print(f"lab {lab.id} up in {time.monotonic() - started:.1f}s; console side {lab.bridge}")
        for host in lab.hosts.values():
            print(f"  {host.name:6} {host.uri}   logs: {host.root}/log")
            print(f"         ssh root@{host.address}")
        print(f"  ssh key {lab.ssh_key}, known_hosts {lab.known_hosts}")
        print("  health and logs over SSH: [[hosts]] ssh = { user, key, known_hosts }")
        return 0
    if command == "stop":
        for state_file in labs:
            _stop_from_state(state_file)
            print(f"lab {state_file.stem} stopped")
        return 0
    for state_file in labs:
        state = json.loads(state_file.read_text())
        for host in state["hosts"]:
            alive = "answers" if probe(LabHost(**host).uri, 3) is None else "DOWN"
            print(f"{state_file.stem} {host['name']:6} qemu+tcp://{host['address']}/system {alive}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
