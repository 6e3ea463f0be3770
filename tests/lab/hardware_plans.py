"""The crash lab's hardware plan (issue 18): emulated disks that smartctl, udev and the kernel
treat as real, driven from the host through QMP while kcrashd runs.

One boot of a q35 machine (PCIe, so a root port can take a hot-plugged disk) with:
- nvme0: an NVMe controller with one namespace; its SMART/health log is QEMU's, and QMP
  `qom-set` of its `smart_critical_warning` property sets the critical-warning bits at run time;
- ide0: an ATA disk (`ide-hd` on q35's AHCI), which answers SMART commands;
- the virtio root disk (vda), which has no SMART;
- rp0: an empty PCIe root port, into which QMP `device_add` puts nvme1 (its drive is on the
  command line from the start) and `device_del` takes it out again.
The guest driver (guest/kcrashd-lab-hardware.sh) asks for each QMP action with a
`KLAB-HOST ...` console line; `HostActions` does it and notes the host time, so a test can
measure from the QMP command to kcrashd's alert.

pmsg breadcrumbs are not a scenario here: Debian 12's kernel is built without
CONFIG_PSTORE_PMSG, so its guest has no /dev/pmsg0 whatever ramoops.pmsg_size= says.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from tests.lab import disk, image, plans, qemu

PLAN = "hardware"
NVME_SERIALS = {"nvme0": "KLABNVME0", "nvme1": "KLABNVME1"}
# Critical-warning bits the hot-added nvme1 gets right after device_add (before the guest
# can read it), so that kcrashd's first SMART read of it has something to raise.
NVME1_WARNING = 0x01
TIMEOUT = 900.0


def command_line() -> str:
    return f"root=/dev/vda rw console=ttyS0 panic=10 kcrashd_lab.plan={PLAN}"


def machine(img: image.LabImage, workdir: Path, run_disk: Path) -> qemu.Machine:
    extra: List[str] = []
    extra += qemu.nvme_args(qemu.scratch_disk(workdir / "nvme0.img"), NVME_SERIALS["nvme0"])
    extra += qemu.ide_args(qemu.scratch_disk(workdir / "ide0.img"))
    extra += qemu.root_port_args("rp0")
    extra += qemu.drive_args(qemu.scratch_disk(workdir / "nvme1.img"), "nvme1-drive")
    return qemu.Machine(
        kernel=img.vmlinuz,
        initrd=img.initrd,
        disk=run_disk,
        append=command_line(),
        machine_type="q35",
        extra_args=extra,
    )


@dataclass
class Action:
    host_seconds: float  # since QEMU started, the clock of the serial lines and QMP events
    action: str
    args: List[str]
    error: Optional[str] = None


@dataclass
class HostActions:
    """What the guest asks for (`KLAB-HOST <action> <args>` on the console), done with QMP."""

    done: List[Action] = field(default_factory=list)

    def __call__(self, line: str, qmp: qemu.Qmp) -> None:
        m = re.search(r"KLAB-HOST (\S+)((?: \S+)*)\s*$", line)
        if not m or "asking the host" in line:
            return
        action, args = m.group(1), m.group(2).split()
        record = Action(time.monotonic() - qmp.started, action, args)
        self.done.append(record)
        try:
            if action == "smart_warning":
                qemu.set_smart_warning(qmp, args[0], int(args[1]))
            elif action == "device_add":
                qemu.hotplug_nvme(qmp, args[0], NVME_SERIALS[args[0]], f"{args[0]}-drive", "rp0")
                qemu.set_smart_warning(qmp, args[0], NVME1_WARNING)
            elif action == "device_del":
                qmp.execute("device_del", id=args[0])
            else:
                raise ValueError(f"unknown host action {action}")
        except Exception as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            raise

    def first(self, action: str, *args: str) -> Action:
        for a in self.done:
            if a.action == action and tuple(a.args[: len(args)]) == args:
                return a
        raise LookupError(f"the host never did {action} {' '.join(args)}")


def run_hardware(
    img: image.LabImage,
    accel: qemu.Accel,
    workdir: Path,
    log: Optional[Callable[[str], None]] = None,
) -> plans.PlanResult:
    """Boot a fresh copy of the base image with the extra devices, then extract it."""
    t0 = time.monotonic()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    run_disk = workdir / "disk.img"
    plans._copy_sparse(img.image, run_disk)
    m = machine(img, workdir, run_disk)
    actions = HostActions()
    if log:
        log(f"lab: {PLAN}: booting ({accel.name})")
    r = qemu.run(m, accel, workdir, TIMEOUT, on_line=actions, name="serial-leg0")
    if log:
        log(
            f"lab: {PLAN}: {r.seconds:.1f}s, qemu exit {r.exit_code}"
            + (" TIMED OUT" if r.timed_out else "")
        )
    t = time.monotonic()
    tree = disk.extract(run_disk, workdir / "tree")
    timings = {"leg0": r.seconds, "extract": time.monotonic() - t}
    if not plans.KEEP:
        for p in workdir.glob("*.img"):
            p.unlink()
    result = plans.PlanResult(
        plan=PLAN,
        workdir=workdir,
        runs=[r],
        tree=tree,
        reboot_trees={},
        seconds=time.monotonic() - t0,
        append=[m.append],
        timings=timings,
    )
    plans.save_result(result)
    save_actions(workdir, actions)
    return result


def save_actions(workdir: Path, actions: HostActions) -> None:
    doc = [a.__dict__ for a in actions.done]
    (workdir / "host-actions.json").write_text(json.dumps(doc, indent=1))


def load_actions(workdir: Path) -> HostActions:
    doc: List[Dict[str, Any]] = json.loads((workdir / "host-actions.json").read_text())
    return HostActions([Action(**a) for a in doc])
