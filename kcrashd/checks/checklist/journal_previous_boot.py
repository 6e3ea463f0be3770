"""journal_previous_boot: the persistent journal really keeps earlier boots."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.checklist.journald_persistent import FIX
from kcrashd.checks.context import HostView
from kcrashd.host.journald_conf import JOURNAL_DIR
from kcrashd.model import Fact, Result, Status

CHECK_ID = "journal_previous_boot"
TITLE = "Previous boot in the journal"
AREA = "logs"
EXPLAIN = (
    "Counts the boots in /var/log/journal (journalctl --directory --list-boots, read-only). "
    "Two or more prove persistence works. Only one boot although /var/log/journal is older "
    "than this boot (btime in /proc/stat) means persistence is configured but not effective."
)


def run(host: HostView) -> Result:
    if not host.privileged:
        return Result(
            CHECK_ID, Status.ERROR, "the system journal is readable by root only: run as root"
        )
    if not host.root.is_dir(JOURNAL_DIR):
        return judge(None, None, None, None, has_dir=False)
    boots, error = host.journal_boots
    return judge(boots, error, host.mtime(JOURNAL_DIR), host.boot_time)


def judge(
    boots: Optional[int],
    error: Optional[str],
    dir_mtime: Optional[float],
    btime: Optional[float],
    has_dir: bool = True,
) -> Result:
    if not has_dir:
        return Result(CHECK_ID, Status.SKIP, "no persistent journal (see journald_persistent)")
    if error:
        return Result(CHECK_ID, Status.SKIP, f"cannot list boots: {error}")
    facts = (Fact(f"journalctl --directory={JOURNAL_DIR} --list-boots", str(boots), ">= 2"),)
    if boots is not None and boots >= 2:
        return Result(CHECK_ID, Status.OK, f"{boots} boots kept in the journal", facts=facts)
    if dir_mtime is not None and btime is not None and dir_mtime < btime:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{JOURNAL_DIR} predates this boot but holds "
            f"{boots or 0} boot(s): persistence is not effective",
            FIX,
            facts,
        )
    return Result(
        CHECK_ID,
        Status.INFO,
        f"{boots or 0} boot(s) kept so far (first boot with a persistent journal)",
        facts=facts,
    )
