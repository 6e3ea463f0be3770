"""previous_dumps: dumps kdump already wrote, and whether the last capture failed."""

from __future__ import annotations

from typing import List, Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.cmdline import format_size
from kcrashd.host.dumps import DumpDir
from kcrashd.model import Fact, Result, Status

CHECK_ID = "previous_dumps"
TITLE = "Previous dumps"
AREA = "dump"
EXPLAIN = (
    "Lists the dump directories in the dump directory (Debian <stamp>/dump.<stamp>, RHEL "
    "<ip>-<date>/vmcore), newest first. An '*incomplete*' file means a capture failed; a Debian "
    "dump file that is empty or has no makedumpfile header is the silent failure of a missing "
    "makedumpfile; old dumps using more than half of the filesystem crowd out the next one."
)
FIX = (
    "review and delete old /var/crash/2*/ directories; set KDUMP_NUM_DUMPS=<n> in "
    "/etc/default/kdump-tools",
    "review and delete old /var/crash/*-*/ directories",
)


def run(host: HostView) -> Result:
    setup = host.kdump
    if setup.family is None or setup.remote:
        return judge(None, None, host.family)
    _, fs_size = host.free_and_size(setup.coredir) if host.root.is_dir(setup.coredir) else (0, 0)
    return judge(host.dumps, fs_size, host.family, setup.coredir)


def judge(
    dumps: Optional[List[DumpDir]], fs_size: Optional[int], family: str, coredir: str = "/var/crash"
) -> Result:
    if dumps is None:
        return Result(CHECK_ID, Status.SKIP, "no local dump directory (see dump_target_config)")
    if not dumps:
        return Result(CHECK_ID, Status.OK, f"no dumps in {coredir}")
    total = sum(d.size for d in dumps)
    facts = tuple(Fact(d.path, f"{format_size(d.size)} {d.problem or 'ok'}", None) for d in dumps)
    fix = for_family(family, *FIX)
    bad = [d for d in dumps if d.problem]
    if bad:
        return Result(
            CHECK_ID, Status.WARN, f"failed capture: {bad[0].name} ({bad[0].problem})", fix, facts
        )
    if fs_size and total > fs_size / 2:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{len(dumps)} dumps use {format_size(total)}, over half of the filesystem",
            fix,
            facts,
        )
    return Result(
        CHECK_ID,
        Status.INFO,
        f"{len(dumps)} dump(s), newest {dumps[0].name} ({format_size(total)} in all)",
        facts=facts,
    )
