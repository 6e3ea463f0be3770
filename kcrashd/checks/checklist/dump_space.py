"""dump_space: enough free space in the dump directory for one dump."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.cmdline import format_size
from kcrashd.host.kdump_config import KdumpSetup, dump_level
from kcrashd.model import Fact, Result, Status

CHECK_ID = "dump_space"
TITLE = "Free space for a dump"
AREA = "dump"
EXPLAIN = (
    "Compares the free space of the dump directory's filesystem (statvfs) with MemTotal, the "
    "upper bound of a dump and the threshold mkdumprd itself warns at. With a filtering "
    "collector the real dump is smaller (makedumpfile --mem-usage gives it, but it walks "
    "/proc/kcore and is not run here), so less space is a warning; an unfiltered collector "
    "needs all of it. makedumpfile aborts on ENOSPC and the crash is lost."
)
FIX = (
    "free space in {dir}, move KDUMP_COREDIR to a larger filesystem, set KDUMP_NUM_DUMPS=<n> "
    "and KDUMP_COMPRESSION=xz in /etc/default/kdump-tools",
    "free space in {dir}, or point path / an 'xfs UUID=...' target in /etc/kdump.conf to a larger "
    "filesystem, use -d 31 with compression; then kdumpctl restart",
)


def run(host: HostView) -> Result:
    setup = host.kdump
    if setup.family is None or setup.remote or setup.local_device:
        return judge(setup, None, host.memtotal, host.family)
    free, _ = host.free_and_size(setup.coredir)
    return judge(setup, free, host.memtotal, host.family)


def judge(setup: KdumpSetup, free: Optional[int], memtotal: Optional[int], family: str) -> Result:
    if setup.family is None:
        return Result(CHECK_ID, Status.SKIP, "no kdump configuration (see kdump_tooling)")
    if setup.remote or setup.local_device:
        return Result(
            CHECK_ID,
            Status.SKIP,
            f"dump target {setup.remote or setup.local_device}: space not measured here",
        )
    if free is None or memtotal is None:
        return Result(CHECK_ID, Status.SKIP, "free space or MemTotal unknown")
    level, _ = dump_level(setup.collector)
    filtered = setup.collector.startswith("makedumpfile") and bool(level)
    facts = (
        Fact(f"free in {setup.coredir}", str(free), f">= {memtotal}"),
        Fact("/proc/meminfo MemTotal (estimate_source=meminfo_upper_bound)", str(memtotal), None),
    )
    fix = for_family(family, *FIX).replace("{dir}", setup.coredir)
    if free >= memtotal:
        return Result(
            CHECK_ID,
            Status.OK,
            f"{format_size(free)} free for at most {format_size(memtotal)} of dump",
            facts=facts,
        )
    if filtered:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{format_size(free)} free, less than "
            f"{format_size(memtotal)} of RAM: a filtered dump probably fits, a full one "
            "does not",
            fix,
            facts,
        )
    return Result(
        CHECK_ID,
        Status.CRIT,
        f"{format_size(free)} free for an unfiltered dump of up to {format_size(memtotal)}",
        fix,
        facts,
    )
