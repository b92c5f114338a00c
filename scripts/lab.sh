#!/usr/bin/env bash
# A lab of real hypervisor hosts on this machine, to try migration by hand (root needed).
#
#   scripts/lab.sh start [N]   start N hosts (default 2, at most 3): lab-a, lab-b, ...
#   scripts/lab.sh status      list the hosts and whether each answers
#   scripts/lab.sh stop        end every host (daemons and guests) and remove the bridge
#
# Each host is a libvirtd + virtlogd in its own mount, UTS and network namespaces (unshare),
# with its own /run, /etc/libvirt, /var/lib/libvirt, /var/log/libvirt, host name and
# host_uuid, listening on qemu+tcp (no auth) on a link-local address of a private bridge
# (lmbXXXXXX, 169.254.X.0/24, this machine's end is .1). No packet leaves the machine.
# /var/lib/libvirt/images is the same directory in every host: shared storage.
# Start-up takes about a second once the machine's own libvirtd has probed QEMU.
#
# Then, for example:
#   virsh -c qemu+tcp://169.254.X.11/system create my-vm.xml
#   limen-tui console qemu+tcp://169.254.X.11/system qemu+tcp://169.254.X.12/system
#   (in the console: :migrate my-vm lab-b)
# Hosts' daemon logs: the "logs:" folder printed by start (libvirtd.log, qemu/*.log).
# Needs: libvirt-daemon, libvirt-daemon-driver-qemu, qemu-system-x86, iproute2, util-linux.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${LIMEN_VENV:-.venv}/bin/python
[ -x "$PY" ] || PY=python3
[ "$(id -u)" -eq 0 ] || { echo "lab.sh: needs root (namespaces, bridge, libvirtd)" >&2; exit 1; }
case "${1:-status}" in
    start|stop|status) exec "$PY" -m tests.harness.lab "$@" ;;
    *) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
