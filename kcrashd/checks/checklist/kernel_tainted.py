"""kernel_tainted: the running kernel's taint, explained in words."""

from __future__ import annotations

from typing import List, Optional, Tuple

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.model import Fact, Result, Status
from kcrashd.parse.taint import decode_taint_mask

CHECK_ID = "kernel_tainted"
TITLE = "Kernel taint"
AREA = "health"
EXPLAIN = (
    "Decodes kernel.tainted bit by bit (Documentation/admin-guide/tainted-kernels.rst) and "
    "names the modules that tainted it (/sys/module/*/taint). D (oops), M (machine check), "
    "B (bad page), L (soft lockup) and W (warning) mean this boot already went wrong: look "
    "for a vmcore, pstore record or 'journalctl -k -b' now. Other letters are policy or "
    "support signals (proprietary, out-of-tree or unsigned modules, live patches ...)."
)
DAMAGE = {"D", "M", "B", "L", "W"}
FIX = (
    "investigate now (journalctl -k -b; kcrashd incidents), then reboot to clear the taint "
    "(it is sticky); unload or replace the modules named"
)


def run(host: HostView) -> Result:
    return judge(host.sysctl("kernel.tainted"), host.module_taints)


def judge(mask: Optional[int], modules: List[Tuple[str, str]]) -> Result:
    facts = [sysctl_fact("kernel.tainted", mask, "0")]
    facts += [Fact(f"/sys/module/{m}/taint", t, None) for m, t in modules]
    if mask is None:
        return Result(CHECK_ID, Status.SKIP, "kernel.tainted not present", facts=tuple(facts))
    if mask == 0:
        return Result(CHECK_ID, Status.OK, "not tainted", facts=tuple(facts))
    flags = decode_taint_mask(mask)
    words = "; ".join(f"{letter}: {meaning}" for letter, meaning in flags)
    if modules:
        words += " (modules: " + ", ".join(f"{m}({t})" for m, t in modules) + ")"
    if DAMAGE & {letter for letter, _ in flags}:
        return Result(CHECK_ID, Status.WARN, f"tainted {mask}: {words}", FIX, tuple(facts))
    return Result(CHECK_ID, Status.INFO, f"tainted {mask}: {words}", facts=tuple(facts))
