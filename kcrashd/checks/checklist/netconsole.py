"""netconsole: kernel messages also leave the host over the network."""

from __future__ import annotations

from typing import List

from kcrashd.checks.context import HostView
from kcrashd.model import Fact, Result, Status

CHECK_ID = "netconsole"
TITLE = "netconsole configured"
AREA = "aids"
EXPLAIN = (
    "Looks for netconsole targets (netconsole= on the command line, configfs targets in "
    "/sys/kernel/config/netconsole). netconsole sends kernel messages over UDP as they are "
    "printed, so a panic's last words reach another host even when kdump and pstore fail."
)


def run(host: HostView) -> Result:
    loaded, targets = host.netconsole
    return judge(host.params("netconsole"), loaded, targets)


def judge(cmdline: List[str], loaded: bool, targets: List[str]) -> Result:
    facts = (
        Fact("/proc/cmdline netconsole=", " ".join(cmdline) or "none", None),
        Fact(
            "/sys/kernel/config/netconsole",
            " ".join(t.rsplit("/", 1)[-1] for t in targets) or "none",
            None,
        ),
    )
    if cmdline or targets:
        return Result(
            CHECK_ID,
            Status.OK,
            f"netconsole sends kernel messages to {(cmdline or targets)[0]}",
            facts=facts,
        )
    return Result(
        CHECK_ID,
        Status.INFO,
        "no netconsole: a panic's last words stay on this host"
        + (" (module loaded without a target)" if loaded else ""),
        facts=facts,
    )
