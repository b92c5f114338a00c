"""Benchmark: VM create (+start), rollback and clone on the real libvirtd + QEMU.

In one run, against a private ``dir`` pool under /var/lib/libvirt/images:
  - ``validate`` alone (the form's check);
  - ``create_vm(start=True)`` end to end, and its steps;
  - the rollback after a failure injected at ``start`` (undefine + delete volume);
  - ``clone_vm`` of a shut-off VM with one 16 MiB qcow2, empty and fully written,
    against the physical reference: ``qemu-img convert`` of the same image.

Prints a table and one JSON line. Run: .venv/bin/python -m benchmarks.provision
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable

import libvirt

from limen_tui.virt.clone import clone_vm
from limen_tui.virt.provision import NIC_ETHERNET, ProvisionError, VmSpec, create_vm, validate
from tests.harness.libvirtd import STATE_DIR, ensure_libvirtd, remove_domain, unique_prefix


def _ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(repeats: int) -> dict[str, float]:
    ensure_libvirtd()
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    conn = libvirt.open("qemu:///system")
    prefix = unique_prefix()
    pool_name = f"{prefix}pool"
    pool_dir = STATE_DIR / "images" / pool_name
    pool_dir.mkdir(mode=0o755, parents=True)
    pool = conn.storagePoolDefineXML(
        f"<pool type='dir'><name>{pool_name}</name><target><path>{pool_dir}</path></target></pool>"
    )
    pool.create(0)
    samples: dict[str, list[float]] = {}

    def add(key: str, seconds: float) -> None:
        samples.setdefault(key, []).append(seconds)

    def spec(name: str) -> VmSpec:
        return VmSpec(name, 1, 64, 16 / 1024, pool_name, network=NIC_ETHERNET)

    try:
        for i in range(repeats):
            s = spec(f"{prefix}c{i}")
            add("validate", _timed(functools.partial(validate, conn, s)))
            started = time.perf_counter()
            result = create_vm(conn, s, start=True)
            add("create+start", time.perf_counter() - started)
            for step, seconds in result.timings.items():
                add(f"  step {step}", seconds)
            remove_domain(conn, s.name)

            s = spec(f"{prefix}r{i}")
            started = time.perf_counter()
            try:
                create_vm(conn, s, start=True, fail_at="start")
            except ProvisionError as exc:
                assert exc.clean, exc
                add("create, fail at start, roll back", time.perf_counter() - started)
                add("  rollback (undefine + delete volume)", exc.timings["rollback"])
            else:
                raise AssertionError("the injected failure did not fire")

            for kind in ("empty", "full"):
                src = spec(f"{prefix}s{kind}{i}")
                made = create_vm(conn, src, start=False)
                if kind == "full":
                    subprocess.run(
                        ["qemu-io", "-f", "qcow2", "-c", "write -P 0xab 0 16M", made.volume_path],
                        check=True,
                        capture_output=True,
                    )
                ref = pool_dir / f"ref-{kind}{i}.qcow2"
                convert = ["qemu-img", "convert", "-f", "qcow2", "-O", "qcow2"]
                add(
                    f"qemu-img convert 16 MiB {kind} (reference)",
                    _timed(
                        functools.partial(
                            subprocess.run,
                            [*convert, made.volume_path, str(ref)],
                            check=True,
                        )
                    ),
                )
                ref.unlink()
                new = f"{prefix}k{kind}{i}"
                add(
                    f"clone 16 MiB {kind}",
                    _timed(functools.partial(clone_vm, conn, src.name, new)),
                )
                remove_domain(conn, new)
                remove_domain(conn, src.name)
    finally:
        for dom in conn.listAllDomains(0):
            if dom.name().startswith(prefix):
                remove_domain(conn, dom.name())
        with contextlib.suppress(libvirt.libvirtError):
            for vol in pool.listAllVolumes(0):
                vol.delete(0)
            pool.destroy()
            pool.undefine()
        shutil.rmtree(pool_dir, ignore_errors=True)
        conn.close()
    return {key: _ms(values) for key, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = run(args.repeats)
    width = max(len(k) for k in results)
    print(f"{'operation':<{width}}  median ms  (n={args.repeats})")
    for key, value in results.items():
        print(f"{key:<{width}}  {value:>9.1f}")
    print(json.dumps({"benchmark": "provision", "repeats": args.repeats, "median_ms": results}))


if __name__ == "__main__":
    main()
