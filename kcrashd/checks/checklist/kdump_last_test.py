"""kdump_last_test: kdump has really produced a vmcore on this configuration."""

from __future__ import annotations

from typing import List, Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.distro import RHEL
from kcrashd.host.dumps import DumpDir
from kcrashd.model import Fact, Result, Status

CHECK_ID = "kdump_last_test"
TITLE = "kdump tested"
AREA = "kdump"
EXPLAIN = (
    "Configuration checks cannot prove that the capture kernel boots on this hardware; only a "
    "test crash can. RHEL: /var/lib/kdump/vmcore-creation.status written by 'kdumpctl test' "
    "(success, fail, pending, manual). Debian has no status file: a complete dump newer than "
    "/etc/default/kdump-tools in the dump directory counts as a passed test."
)
STATUS_FILE = "/var/lib/kdump/vmcore-creation.status"
FIX = (
    "in a maintenance window: echo c > /proc/sysrq-trigger (crashes the host), then look for "
    "/var/crash/<stamp>/dump.<stamp> after the reboot",
    "in a maintenance window: kdumpctl test (crashes the host), then kdumpctl status after the "
    "reboot",
)


def run(host: HostView) -> Result:
    setup = host.kdump
    if setup.family == RHEL:
        status = host.root.read_value(STATUS_FILE)
        notify = setup.sysconfig.get("VMCORE_CREATION_NOTIFICATION", "yes")
        return judge_rhel(status, notify, host.family)
    if setup.family is None:
        return Result(CHECK_ID, Status.SKIP, "no kdump configuration (see kdump_tooling)")
    return judge_debian(host.dumps, host.mtime("/etc/default/kdump-tools"), host.family)


def judge_rhel(status: Optional[str], notify: str, family: str) -> Result:
    word = (status or "").split()[0] if status else None
    facts = (Fact(STATUS_FILE, status or "absent", "success kdump_test_id=..."),)
    fix = for_family(family, *FIX)
    if notify.strip().lower() == "no":
        return Result(
            CHECK_ID,
            Status.INFO,
            "vmcore creation tests are not tracked (VMCORE_CREATION_NOTIFICATION=no)",
            facts=facts,
        )
    if word == "success":
        return Result(CHECK_ID, Status.OK, "the last kdumpctl test produced a vmcore", facts=facts)
    if word == "pending":
        return Result(CHECK_ID, Status.INFO, "a kdumpctl test is pending", facts=facts)
    if word is None:
        return Result(CHECK_ID, Status.WARN, "no vmcore creation test performed", fix, facts)
    return Result(CHECK_ID, Status.WARN, f"the last vmcore creation test is {word}", fix, facts)


def judge_debian(dumps: List[DumpDir], config_mtime: Optional[float], family: str) -> Result:
    good = [d for d in dumps if d.problem is None and any(f.startswith("dump") for f in d.files)]
    facts = (Fact("complete dumps", ", ".join(d.name for d in good) or "none", ">= 1"),)
    fix = for_family(family, *FIX)
    if not good:
        return Result(
            CHECK_ID,
            Status.WARN,
            "kdump has never produced a dump here (no test crash)",
            fix,
            facts,
        )
    if config_mtime is not None and good[0].mtime < config_mtime:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"the newest dump ({good[0].name}) predates the current kdump-tools config",
            fix,
            facts,
        )
    return Result(CHECK_ID, Status.OK, f"dump {good[0].name} shows kdump works", facts=facts)
