"""crash_utility: crash is installed to open a dump on this host."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.model import Fact, Result, Status

CHECK_ID = "crash_utility"
TITLE = "crash installed"
AREA = "analysis"
EXPLAIN = (
    "Looks for the crash utility, which opens a vmcore with the matching debug vmlinux "
    "(crash >= 5.1.2 reads Debian's flattened dumps directly). Without it the dump can still "
    "be analysed on another machine."
)


def run(host: HostView) -> Result:
    return judge(host.tool("crash"), host.family)


def judge(path: Optional[str], family: str) -> Result:
    facts = (Fact("crash", path or "absent", "installed"),)
    if path:
        return Result(CHECK_ID, Status.OK, f"crash is installed ({path})", facts=facts)
    tool = "apt install crash" if family == "debian" else "dnf install crash"
    return Result(
        CHECK_ID, Status.INFO, f"crash is not installed ({tool} to analyse dumps here)", facts=facts
    )
