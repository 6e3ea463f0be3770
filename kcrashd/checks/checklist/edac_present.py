"""edac_present: memory errors are reported (ECC memory with an EDAC driver)."""

from __future__ import annotations

from typing import List

from kcrashd.checks.context import HostView
from kcrashd.model import Fact, Result, Status

CHECK_ID = "edac_present"
TITLE = "ECC memory errors reported"
AREA = "aids"
EXPLAIN = (
    "Looks for EDAC memory controllers in /sys/devices/system/edac/mc. With them, corrected "
    "memory errors show up before an uncorrectable one crashes the host (kcrashd's EDAC "
    "watcher alerts on them). VMs and non-ECC machines have none."
)


def run(host: HostView) -> Result:
    return judge(host.edac_controllers, host.virtual)


def judge(controllers: List[str], virtual: bool) -> Result:
    facts = (
        Fact(
            "/sys/devices/system/edac/mc",
            " ".join(c.rsplit("/", 1)[-1] for c in controllers) or "none",
            None,
        ),
    )
    if controllers:
        return Result(
            CHECK_ID,
            Status.OK,
            f"{len(controllers)} EDAC memory controller(s) report memory errors",
            facts=facts,
        )
    where = "virtual machine" if virtual else "no EDAC driver loaded or no ECC memory"
    return Result(CHECK_ID, Status.INFO, f"memory errors are not reported ({where})", facts=facts)
