"""Run the crash lab by hand: `python -m tests.lab build|run PLAN|fixtures`.

scripts/lab.sh wraps this. A run keeps its extracted tree (journal, /var/crash, pstore
archive, kcrashd state) and serial log under KCRASHD_LAB_SCRATCH/manual-PLAN for
inspection; the disk image itself is deleted unless KCRASHD_LAB_KEEP=1. `fixtures` cuts
the real crash reports out of the serial logs of the last manual runs of the live, kdump,
resets and efi plans into tests/fixtures/logs/lab/.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import List

from tests.lab import hardware_plans, image, plans, qemu, reports

_HOST_STAMP = re.compile(r"^\[\s*\d+\.\d+\] ")


def _serial_lines(path: Path) -> List[str]:
    """A serial log as the guest wrote it (without the host's time stamps)."""
    return [_HOST_STAMP.sub("", line) for line in path.read_text(errors="replace").splitlines()]


def fixtures() -> int:
    wanted = {"live": ("live", 0)}
    wanted.update({a.name: (plan, leg) for plan, leg, a in reports.FATAL})
    logs = {}
    for name, (plan, leg) in wanted.items():
        log = image.SCRATCH / f"manual-{plan}" / f"serial-leg{leg}.log"
        if not log.exists():
            print(f"{log} is missing: run `scripts/lab.sh run {plan}` first", file=sys.stderr)
            return 1
        logs[name] = _serial_lines(log)
    kernel = next(
        m.group(1) for line in logs["live"] for m in [re.search(r"Linux version (\S+)", line)] if m
    )
    how = (
        "cut by `bash scripts/lab.sh fixtures` from the serial consoles of `scripts/lab.sh run "
        "live|kdump|resets|efi` (Debian 12 kernel under QEMU, tests/lab/module/bad_driver.c)"
    )
    fatal = {a.name: logs[a.name] for _, _, a in reports.FATAL}
    for path in reports.save_fixtures(logs["live"], fatal, kernel, how):
        print(path)
    return 0


def main(argv: list) -> int:
    p = argparse.ArgumentParser(prog="scripts/lab.sh")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build (or take from the cache) the guest image")
    sub.add_parser("fixtures", help="save the last manual runs' reports as parser fixtures")
    run = sub.add_parser("run", help="run one plan and keep its extracted tree")
    run.add_argument("plan", choices=sorted([*plans.PLANS, hardware_plans.PLAN]))
    args = p.parse_args(argv)
    if args.command == "fixtures":
        return fixtures()

    t0 = time.monotonic()
    img = image.lab_image(print)
    print(f"image {img.image} (kernel {img.kernel}); module {img.module_ko}")
    print("build timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in img.timings.items()))
    if args.command == "build":
        return 0
    accel = qemu.probe_accel(img.vmlinuz, img.initrd, image.CACHE)
    print(f"accelerator: {accel.why}")
    workdir = image.SCRATCH / f"manual-{args.plan}"
    if args.plan == hardware_plans.PLAN:  # its own runner: extra devices, QMP actions
        result = hardware_plans.run_hardware(img, accel, workdir, print)
    else:
        result = plans.run_plan(img, args.plan, accel, workdir, print)
    for line in result.klab():
        print(line)
    print("run timings: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items()))
    print(f"serial logs: {', '.join(str(r.serial_path) for r in result.runs)}")
    print(f"disk tree:   {result.tree}")
    print(f"total {time.monotonic() - t0:.1f}s")
    return 1 if any(r.timed_out for r in result.runs) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
