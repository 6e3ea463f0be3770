"""dump_filter_level: the collector filters and compresses, so the dump fits."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.distro import DEBIAN
from kcrashd.host.kdump_config import KdumpSetup, dump_level
from kcrashd.model import Fact, Result, Status

CHECK_ID = "dump_filter_level"
TITLE = "Dump filtered and compressed"
AREA = "dump"
EXPLAIN = (
    "Reads the collector: core_collector in /etc/kdump.conf (RHEL) or MAKEDUMP_ARGS and "
    "KDUMP_COMPRESSION in /etc/default/kdump-tools (Debian; the default is -c -d 31). "
    "makedumpfile -d 31 keeps only kernel data, with -c/-l/-p/-z it is compressed; cp, scp, dd "
    "or -d 0 write a dump the size of RAM, which often does not fit."
)
FIX = (
    'MAKEDUMP_ARGS="-c -d 31" in /etc/default/kdump-tools (and apt install makedumpfile)',
    "core_collector makedumpfile -l --message-level 7 -d 31 in /etc/kdump.conf, then "
    "kdumpctl restart",
)


def run(host: HostView) -> Result:
    return judge(host.kdump, host.tool("makedumpfile"), host.family)


def judge(setup: KdumpSetup, makedumpfile: Optional[str], family: str) -> Result:
    if setup.family is None:
        return Result(CHECK_ID, Status.SKIP, "no kdump configuration (see kdump_tooling)")
    collector = setup.collector
    facts = (
        Fact(setup.source or "", collector, "makedumpfile -c -d 31"),
        Fact("makedumpfile", makedumpfile or "absent", "installed"),
    )
    fix = for_family(family, *FIX)
    tool = collector.split()[0] if collector.split() else ""
    if tool != "makedumpfile":
        return Result(
            CHECK_ID, Status.WARN, f"collector {tool or 'none'} copies all of RAM", fix, facts
        )
    if setup.family == DEBIAN and not makedumpfile:
        return Result(
            CHECK_ID,
            Status.CRIT,
            "makedumpfile is not installed: kdump-tools writes an empty dump and reports success",
            fix,
            facts,
        )
    level, compressed = dump_level(collector)
    compressed = compressed or bool(setup.raw.get("KDUMP_COMPRESSION"))
    if not level:
        return Result(
            CHECK_ID, Status.WARN, "dump level 0: every page of RAM is written", fix, facts
        )
    if not compressed:
        return Result(CHECK_ID, Status.WARN, f"-d {level} without compression", fix, facts)
    if level < 17:
        return Result(
            CHECK_ID,
            Status.INFO,
            f"-d {level} keeps user or free pages (a bigger dump)",
            facts=facts,
        )
    return Result(CHECK_ID, Status.OK, f"makedumpfile -d {level}, compressed", facts=facts)
