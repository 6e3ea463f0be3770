"""debug_vmlinux: a debug vmlinux matching the running kernel is installed."""

from __future__ import annotations

from typing import List, Optional, Tuple

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.debuginfo import ElfInfo
from kcrashd.model import Fact, Result, Status

CHECK_ID = "debug_vmlinux"
TITLE = "Debug vmlinux for this kernel"
AREA = "analysis"
EXPLAIN = (
    "Looks for a vmlinux with DWARF (.debug_info) in the places crash, perf and the distros "
    "use (/usr/lib/debug/boot/vmlinux-<release>, /usr/lib/debug/lib/modules/<release>/vmlinux, "
    "the .build-id link ...) and compares its GNU build id with the running kernel's "
    "(/sys/kernel/notes). crash and gdb need the exact build; vendors purge old debuginfo "
    "packages, so install it while the kernel is current. A dump is still captured without it."
)
FIX = (
    "apt install linux-image-$(uname -r)-dbg (Ubuntu: enable ddebs, then "
    "apt install linux-image-$(uname -r)-dbgsym)",
    "dnf --enablerepo='*debuginfo' install kernel-debuginfo-$(uname -r) crash",
)


def run(host: HostView) -> Result:
    found = host.vmlinux_candidates
    infos = []
    for path in found:
        try:
            infos.append((path, host.elf_info(path)))
        except (OSError, ValueError) as exc:
            infos.append((path, exc))
    return judge(host.release or "", host.kernel_build_id, infos, host.family)


def judge(
    release: str, build_id: Optional[str], infos: List[Tuple[str, object]], family: str
) -> Result:
    fix = for_family(family, *FIX)
    facts = [Fact("/sys/kernel/notes build id", build_id or "unknown", None)]
    for path, info in infos:
        if isinstance(info, ElfInfo):
            facts.append(
                Fact(
                    path,
                    f"build id {info.build_id or 'none'}, "
                    f"{'with' if info.has_debug_info else 'without'} .debug_info",
                    build_id,
                )
            )
        else:
            facts.append(Fact(path, f"unreadable: {info}", build_id))
    good = [(p, i) for p, i in infos if isinstance(i, ElfInfo) and i.has_debug_info]
    if not infos:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"no debug vmlinux for {release}: a dump could not be analysed here",
            fix,
            tuple(facts),
        )
    if not good:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{infos[0][0]} has no debug info (crash: 'no debugging data available')",
            fix,
            tuple(facts),
        )
    if build_id is None:
        return Result(
            CHECK_ID,
            Status.OK,
            f"{good[0][0]} (build id of the running kernel unknown, not compared)",
            facts=tuple(facts),
        )
    match = [p for p, i in good if i.build_id == build_id]
    if match:
        return Result(
            CHECK_ID, Status.OK, f"{match[0]} matches the running kernel", facts=tuple(facts)
        )
    return Result(
        CHECK_ID,
        Status.WARN,
        f"{good[0][0]} does not match the running kernel's build id (crash: 'do not match!')",
        fix,
        tuple(facts),
    )
