"""state_directory: kcrashd can record alerts, incidents and positions."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.model import Fact, Result, Status

CHECK_ID = "state_directory"
TITLE = "kcrashd state directory writable"
AREA = "kcrashd"
EXPLAIN = (
    "Checks that the state directory (state.directory in the config, /var/lib/kcrashd by "
    "default) is a writable directory. kcrashd keeps its journal position, alerts, incidents "
    "and snapshots there; without it the daemon cannot remember what it already reported."
)


def run(host: HostView) -> Result:
    d = host.state_directory
    if not host.privileged:
        return Result(CHECK_ID, Status.ERROR, f"{d} is checked as root only: run as root")
    exists = host.root.is_dir(d)
    return judge(d, exists, host.writable(d) if exists else None)


def judge(directory: str, exists: bool, writable: Optional[bool]) -> Result:
    facts = (
        Fact(
            directory,
            "absent" if not exists else ("writable" if writable else "not writable"),
            "writable",
        ),
    )
    if not exists:
        return Result(
            CHECK_ID,
            Status.INFO,
            f"{directory} does not exist yet (the daemon creates it at start)",
            facts=facts,
        )
    if not writable:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{directory} is not writable: kcrashd cannot record alerts or incidents",
            f"check the filesystem: findmnt -T {directory}; "
            f"chown root:root {directory} && chmod 0700 {directory}",
            facts,
        )
    return Result(CHECK_ID, Status.OK, f"{directory} is writable", facts=facts)
