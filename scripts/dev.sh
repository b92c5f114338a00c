#!/usr/bin/env bash
# limen-tui's two set-up commands (see README):
#   scripts/dev.sh demo   install what is needed, open the console on the demo hypervisor
#   scripts/dev.sh test   install what is needed, run lint, types and the whole test suite
# Safe to run again: every step checks first and does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${LIMEN_VENV:-.venv}
APT_RUNTIME=(libvirt-dev pkg-config gcc python3-dev libvirt-clients)
APT_TEST=(libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils openssh-server iproute2
          dnsmasq-base)  # dnsmasq: libvirt's DHCP for the networks tests
# The real Linux test guest is built from linux-image-cloud-amd64, busybox-static and
# qemu-guest-agent, which the harness fetches with `apt-get download` (never installed).

need_apt() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    if ((${#missing[@]})); then
        echo "limen-tui: installing system packages: ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
    fi
}

python_env() {
    local extra=$1
    local py=${PYTHON:-python3}
    if [ ! -x "$VENV/bin/python" ]; then
        # Debian's own python3 ships venv separately; a pyenv or python.org build has it.
        "$py" -m venv "$VENV" 2>/dev/null || { need_apt python3-venv; rm -rf "$VENV"; "$py" -m venv "$VENV"; }
    fi
    # Reinstall only when pyproject.toml changed since the last install.
    local stamp="$VENV/.limen-installed-$extra"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        "$VENV/bin/pip" install -q --disable-pip-version-check -e ".[$extra]"
        touch "$stamp"
    fi
    # An editable install leaves our modules uncompiled; where PYTHONDONTWRITEBYTECODE is set
    # (CI images, this project's own machines) every start compiled all of them again: about
    # 0.3 s of each start. Compiled once here, as pip does for a wheel (quick when up to date).
    "$VENV/bin/python" -m compileall -q limen_tui >/dev/null
}

case "${1:-}" in
    demo)
        shift
        need_apt "${APT_RUNTIME[@]}"
        python_env test
        exec "$VENV/bin/limen-tui" --demo "$@"
        ;;
    test)
        shift
        need_apt "${APT_RUNTIME[@]}" "${APT_TEST[@]}"
        python_env test
        "$VENV/bin/ruff" check .
        "$VENV/bin/ruff" format --check .
        "$VENV/bin/mypy"
        exec "$VENV/bin/pytest" -q "$@"
        ;;
    *)
        echo "usage: scripts/dev.sh demo|test [args...]" >&2
        exit 2
        ;;
esac
