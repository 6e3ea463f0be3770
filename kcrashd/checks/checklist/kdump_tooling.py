"""kdump_tooling: the user-space pieces that load the crash kernel and save the dump."""

from __future__ import annotations

from typing import Dict, Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.distro import DEBIAN, RHEL
from kcrashd.model import Fact, Result, Status

CHECK_ID = "kdump_tooling"
TITLE = "kdump tools installed"
AREA = "kdump"
EXPLAIN = (
    "Looks for kexec, makedumpfile and the distro's kdump manager (kdump-config from "
    "kdump-tools on Debian, kdumpctl from kdump-utils/kexec-tools on RHEL). Nothing loads the "
    "capture kernel or writes the dump without them. On Debian a missing makedumpfile is "
    "critical: kdump-config's savecore pipes makedumpfile into a compressor without pipefail, "
    "so the failure goes unnoticed and an empty dump is kept as if it had worked."
)
TOOLS = ("kexec", "makedumpfile", "kdump-config", "kdumpctl")
FIX = (
    "apt install kdump-tools kexec-tools makedumpfile",
    "dnf install kdump-utils makedumpfile (RHEL 8/9: dnf install kexec-tools)",
)


def run(host: HostView) -> Result:
    return judge({t: host.tool(t) for t in TOOLS}, host.family)


def judge(found: Dict[str, Optional[str]], family: str) -> Result:
    facts = tuple(Fact(t, p or "absent", None) for t, p in found.items())
    manager = {DEBIAN: ("kdump-config",), RHEL: ("kdumpctl",)}.get(
        family, ("kdump-config", "kdumpctl")
    )
    fix = for_family(family, *FIX)
    crit = []
    if not found.get("kexec"):
        crit.append("kexec")
    if not any(found.get(m) for m in manager):
        crit.append(" or ".join(manager))
    if family == DEBIAN and not found.get("makedumpfile"):
        crit.append("makedumpfile")
    if crit:
        return Result(CHECK_ID, Status.CRIT, f"missing: {', '.join(crit)}", fix, facts)
    if not found.get("makedumpfile"):
        return Result(
            CHECK_ID, Status.WARN, "makedumpfile is missing: dumps are not filtered", fix, facts
        )
    return Result(
        CHECK_ID,
        Status.OK,
        f"kexec, makedumpfile and {' / '.join(m for m in manager if found.get(m))} are installed",
        facts=facts,
    )
