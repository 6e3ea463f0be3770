"""Lab plans: which QEMU runs a scenario needs, and running them on a copy of the image.

A plan is named on the kernel command line (kcrashd_lab.plan=NAME); the guest driver
(guest/kcrashd-lab-guest.sh) runs its steps across boots. A plan has one or more legs: a
leg is one QEMU invocation on the same disk (a second leg boots the disk as the first left
it, with another command line: how the lab gets "the next boot without crashkernel=").
The host then extracts the disk into a tree (disk.extract) and the tests judge it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from tests.lab import disk, image, qemu

KEEP = os.environ.get("KCRASHD_LAB_KEEP") == "1"  # keep run images for a post-mortem by hand


@dataclass(frozen=True)
class Leg:
    crashkernel: bool = True
    ramoops: bool = True
    efi: bool = False
    hold_reboots: bool = False  # pause at each guest reboot and copy the disk as it was
    timeout: float = 900.0
    memory_mb: int = 2048


PLANS: Dict[str, List[Leg]] = {
    # readiness, every trigger with panic_on_oops=0, OOM, fd exhaustion: one boot
    "live": [Leg(timeout=1200.0)],
    # fatal oops -> kdump capture boot (the disk is copied when it reboots) -> next boot
    "kdump": [Leg(hold_reboots=True)],
    # sysrq c, kdump loaded, EFI pstore under OVMF
    "efi": [Leg(efi=True, ramoops=False)],
    # system_reset, systemctl reboot; then a second QEMU run without crashkernel=: drift,
    # then sysrq c with the ramoops records left in /sys/fs/pstore
    "resets": [Leg(), Leg(crashkernel=False)],
}


def command_line(plan: str, leg: Leg) -> str:
    """The guest kernel command line of one leg."""
    parts = ["root=/dev/vda rw console=ttyS0 panic=10"]
    if leg.crashkernel:
        parts.append("crashkernel=256M")
    if leg.ramoops:
        parts.append(qemu.RAMOOPS_APPEND)
    # pstore gets the panic before the jump into the kdump kernel
    parts.append("crash_kexec_post_notifiers")
    # SLUB debugging (sanity checks, red zones, poison) for the lab module's cache only
    parts.append("slub_debug=FZP,bad_uaf")
    parts.append(f"kcrashd_lab.plan={plan}")
    return " ".join(parts)


@dataclass
class PlanResult:
    plan: str
    workdir: Path
    runs: List[qemu.RunResult]
    tree: Path  # the disk after the last leg, extracted
    reboot_trees: Dict[int, Path]  # hold_reboots: the disk at guest reboot N, extracted
    seconds: float
    append: List[str]
    timings: Dict[str, float] = field(default_factory=dict)

    @property
    def journal(self) -> disk.Journal:
        return disk.Journal(self.tree / "var" / "log" / "journal")

    def state(self) -> disk.StateDB:
        return disk.StateDB(self.tree / "var" / "lib" / "kcrashd" / "state.db")

    def out(self, stage: int = 0) -> Path:
        """The guest driver's files of one stage."""
        return self.tree / "var" / "lib" / "kcrashd-lab" / "out" / self.plan / str(stage)

    def serial(self) -> str:
        return "\n".join(line for run in self.runs for _, line in run.lines)

    def klab(self) -> List[str]:
        """The guest driver's progress lines (KLAB ...) of all legs."""
        return [line for run in self.runs for _, line in run.lines if "KLAB" in line]


def _copy_sparse(src: Path, dest: Path) -> None:
    subprocess.run(["cp", "--sparse=always", str(src), str(dest)], check=True, capture_output=True)


def host_actions(line: str, qmp: qemu.Qmp) -> None:
    """What the guest driver may ask of the host (`KLAB-HOST <action>` on the console)."""
    # the line comes through journald's console forwarding: "[ time] unit[pid]: KLAB-HOST ..."
    if "KLAB-HOST system_reset" in line:
        qmp.execute("system_reset")


def run_plan(
    img: image.LabImage,
    plan: str,
    accel: qemu.Accel,
    workdir: Path,
    log: Optional[Callable[[str], None]] = None,
) -> PlanResult:
    """Boot a fresh copy of the base image through every leg of `plan`, then extract it."""
    t0 = time.monotonic()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    run_disk = workdir / "disk.img"
    _copy_sparse(img.image, run_disk)
    timings = {"copy": time.monotonic() - t0}
    runs = []
    appends = []
    reboot_images: Dict[int, Path] = {}
    for i, leg in enumerate(PLANS[plan]):

        def on_reboot(n: int, _qmp: qemu.Qmp, i: int = i) -> None:
            # The VM is paused: the disk is as the rebooting kernel left it.
            copy = workdir / f"disk-leg{i}-reboot{n}.img"
            _copy_sparse(run_disk, copy)
            reboot_images[n] = copy

        machine = qemu.Machine(
            kernel=img.vmlinuz,
            initrd=img.initrd,
            disk=run_disk,
            append=command_line(plan, leg),
            memory_mb=leg.memory_mb,
            efi_vars=qemu.efi_vars_copy(workdir) if leg.efi else None,
            hold_reboots=leg.hold_reboots,
        )
        appends.append(machine.append)
        if log:
            log(f"lab: {plan} leg {i}: booting ({accel.name})")
        r = qemu.run(
            machine,
            accel,
            workdir,
            leg.timeout,
            on_line=host_actions,
            on_reboot=on_reboot,
            name=f"serial-leg{i}",
        )
        runs.append(r)
        timings[f"leg{i}"] = r.seconds
        if log:
            log(
                f"lab: {plan} leg {i}: {r.seconds:.1f}s, qemu exit {r.exit_code}"
                + (" TIMED OUT" if r.timed_out else "")
            )
        if not r.powered_off:
            break  # the next leg would boot a disk in the wrong stage
    t = time.monotonic()
    tree = disk.extract(run_disk, workdir / "tree")
    reboot_trees = {
        n: disk.extract(p, workdir / f"tree-reboot{n}") for n, p in reboot_images.items()
    }
    timings["extract"] = time.monotonic() - t
    if not KEEP:
        run_disk.unlink()
        for p in reboot_images.values():
            p.unlink()
    result = PlanResult(
        plan=plan,
        workdir=workdir,
        runs=runs,
        tree=tree,
        reboot_trees=reboot_trees,
        seconds=time.monotonic() - t0,
        append=appends,
        timings=timings,
    )
    save_result(result)
    return result


def save_result(result: PlanResult) -> None:
    """What a run leaves besides its tree and serial logs, for load_result()."""
    doc = {
        "plan": result.plan,
        "seconds": result.seconds,
        "append": result.append,
        "timings": result.timings,
        "reboot_trees": {str(n): str(p) for n, p in result.reboot_trees.items()},
        "runs": [
            {
                "serial": str(r.serial_path),
                "seconds": r.seconds,
                "exit_code": r.exit_code,
                "timed_out": r.timed_out,
                "events": r.events,
                "accel": r.accel,
                "stderr": r.stderr,
                "errors": r.errors,
            }
            for r in result.runs
        ],
    }
    (result.workdir / "result.json").write_text(json.dumps(doc, indent=1))


_STAMPED = re.compile(r"^\[\s*(\d+\.\d+)\] (.*)$")


def load_result(workdir: Path) -> PlanResult:
    """A finished run read back from its directory (KCRASHD_LAB_REUSE: judge the last
    manual run again without booting; for working on the tests, never in CI)."""
    doc = json.loads((workdir / "result.json").read_text())
    runs = []
    for r in doc["runs"]:
        lines = []
        for raw in Path(r["serial"]).read_text(errors="replace").splitlines():
            m = _STAMPED.match(raw)
            if m:
                lines.append((float(m.group(1)), m.group(2)))
        runs.append(
            qemu.RunResult(
                serial_path=Path(r["serial"]),
                lines=lines,
                seconds=r["seconds"],
                exit_code=r["exit_code"],
                timed_out=r["timed_out"],
                events=r["events"],
                accel=r["accel"],
                stderr=r["stderr"],
                errors=r["errors"],
            )
        )
    return PlanResult(
        plan=doc["plan"],
        workdir=workdir,
        runs=runs,
        tree=workdir / "tree",
        reboot_trees={int(n): Path(p) for n, p in doc["reboot_trees"].items()},
        seconds=doc["seconds"],
        append=doc["append"],
        timings=doc["timings"],
    )
