"""The init of one lab hypervisor host, run by ``unshare --mount --uts --net`` (stdlib only).

``python lab_node.py SPEC.json`` runs inside fresh mount, UTS and network namespaces. It
mounts the host's own ``/run`` (tmpfs), ``/etc/libvirt``, ``/var/lib/libvirt``,
``/var/log/libvirt`` and ``/var/cache/libvirt`` over directories under the host's root,
keeps the machine's ``/var/lib/libvirt/images`` at the same path (the lab's shared storage),
sets the host name, then waits for one line on stdin: the harness has put the host's end of
the lab bridge into this network namespace and addressed it. Then it runs ``virtlogd``,
``libvirtd --listen`` and ``sshd`` (when the spec names its config) in the foreground and
reaps every orphan (QEMU included) as a child subreaper, because whatever PID 1 the machine
has cannot see into this host.

SIGTERM (or the harness dying, unless ``detach``) ends every process in this network
namespace, the daemons and QEMU alike, and then this one: the namespaces vanish with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
SHARED_IMAGES = Path("/var/lib/libvirt/images")
REAL_CAPS_CACHE = Path("/var/cache/libvirt/qemu/capabilities")

_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str, target: str, fstype: str | None = None, *, bind: bool = False) -> None:
    argv = ["mount", "--bind", source, target] if bind else ["mount", "-t", str(fstype)]
    if not bind:
        argv += [source, target]
    subprocess.run(argv, check=True, capture_output=True, timeout=30)


def _setup_mounts(root: Path) -> None:
    """Everything the daemons write goes under `root`; the images stay shared."""
    etc, lib, log, cache = (root / d for d in ("etc", "lib", "log", "cache"))
    for d in (etc / "qemu", etc / "storage", etc / "nwfilter", etc / "secrets", lib / "images"):
        d.mkdir(parents=True, exist_ok=True)
    (log / "qemu").mkdir(parents=True, exist_ok=True)
    (cache / "qemu" / "capabilities").mkdir(parents=True, exist_ok=True)
    # The probe of QEMU's capabilities costs seconds; the machine's own cache is valid here.
    if REAL_CAPS_CACHE.is_dir():
        for xml in REAL_CAPS_CACHE.glob("*.xml"):
            shutil.copy2(xml, cache / "qemu" / "capabilities" / xml.name)
    # Mount the shared images inside lib before lib covers /var/lib/libvirt.
    _mount(str(SHARED_IMAGES), str(lib / "images"), bind=True)
    _mount(str(etc), "/etc/libvirt", bind=True)
    _mount(str(lib), "/var/lib/libvirt", bind=True)
    _mount(str(lib / "images"), "/var/lib/libvirt/images", bind=True)
    _mount(str(log), "/var/log/libvirt", bind=True)
    _mount(str(cache), "/var/cache/libvirt", bind=True)
    _mount("tmpfs", "/run", "tmpfs")
    for run_dir in ("/run/libvirt", "/run/lock", "/run/sshd"):
        Path(run_dir).mkdir(parents=True, exist_ok=True)


def _write_configs(spec: dict[str, str]) -> None:
    addr = spec["address"]
    Path("/etc/libvirt/libvirtd.conf").write_text(
        "listen_tls = 0\n"
        "listen_tcp = 1\n"
        f'listen_addr = "{addr}"\n'
        'auth_tcp = "none"\n'
        f'host_uuid = "{spec["uuid"]}"\n'
        'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"\n'
        "keepalive_interval = 5\n"
    )
    Path("/etc/libvirt/qemu.conf").write_text(
        # The destination tells the source where to send the memory: this host's address,
        # not its name, which nothing resolves.
        f'migration_host = "{addr}"\n'
        f'migration_address = "{addr}"\n'
        # QEMU stays in this host's mount namespace: the shared images are where we put them.
        "namespaces = [ ]\n"
        # Two daemons share the image files; owner xattrs of one would confuse the other.
        "remember_owner = 0\n"
        # QEMU runs as root here: post-copy needs userfaultfd, which an unprivileged QEMU
        # cannot have while vm.unprivileged_userfaultfd is 0 (Debian's default). Nothing is
        # relabelled, so the files the machine's own daemon uses keep their owners.
        'user = "root"\n'
        'group = "root"\n'
        "dynamic_ownership = 0\n"
        # A destination that dies mid-migration is noticed in seconds, not half a minute.
        "keepalive_interval = 2\n"
        "keepalive_count = 3\n"
    )
    Path("/etc/libvirt/virtlogd.conf").write_text(
        'log_outputs = "3:file:/var/log/libvirt/virtlogd.log"\n'
    )


def _address_present(addr: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((addr, 0))
        except OSError:
            return False
    return True


def _others_in_netns() -> list[int]:
    mine = os.readlink("/proc/self/ns/net")
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{entry.name}/ns/net") == mine:
                found.append(int(entry.name))
    return found


def _reap() -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _end_everything() -> None:
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        pids = _others_in_netns()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while _others_in_netns() and time.monotonic() < deadline:
            _reap()
            time.sleep(0.05)
    _reap()


def main() -> None:
    spec: dict[str, str] = json.loads(Path(sys.argv[1]).read_text())
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    if not spec.get("detach"):
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    stopping = False

    def on_term(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    root = Path(spec["root"])
    _setup_mounts(root)
    socket.sethostname(spec["hostname"])
    _write_configs(spec)
    sys.stdin.readline()  # the harness has addressed our end of the bridge
    deadline = time.monotonic() + 10
    while not _address_present(spec["address"]) and time.monotonic() < deadline:
        time.sleep(0.02)
    env = {**os.environ, "LIBVIRT_LOG_OUTPUTS": "3:file:/var/log/libvirt/daemons.log"}
    log = open("/var/log/libvirt/stdio.log", "ab")  # noqa: SIM115 - lives as long as we do
    daemons = [
        subprocess.Popen(["virtlogd"], stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env),
    ]
    sock = Path("/run/libvirt/virtlogd-sock")
    while not sock.exists() and time.monotonic() < deadline + 10:
        time.sleep(0.02)
    daemons.append(
        subprocess.Popen(
            ["libvirtd", "--listen"], stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env
        )
    )
    if spec.get("sshd_config"):
        # This host's own sshd: a shell there is in this host's namespaces.
        sshd = ["/usr/sbin/sshd", "-D", "-e", "-f", spec["sshd_config"]]
        log_ssh = open("/var/log/libvirt/sshd.log", "ab")  # noqa: SIM115 - as long as we live
        daemons.append(
            subprocess.Popen(sshd, stdin=subprocess.DEVNULL, stdout=log_ssh, stderr=log_ssh)
        )
    Path(spec["root"], "node.ready").write_text(str(os.getpid()))
    while not stopping:
        _reap()
        time.sleep(0.2)
    _end_everything()


if __name__ == "__main__":
    main()
