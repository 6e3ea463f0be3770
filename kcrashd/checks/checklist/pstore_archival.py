"""pstore_archival: pstore records are archived and the backend kept empty."""

from __future__ import annotations

from typing import List, Optional

from kcrashd.checks.context import HostView
from kcrashd.host.pstore_info import ARCHIVE_DIR, PSTORE_DIR, Pstore
from kcrashd.host.services import UnitState
from kcrashd.model import Fact, Result, Status

CHECK_ID = "pstore_archival"
TITLE = "pstore records archived"
AREA = "logs"
EXPLAIN = (
    "Reads /sys/fs/pstore, systemd-pstore.service's enablement, Storage= in "
    "/etc/systemd/pstore.conf (+ drop-ins) and the archive /var/lib/systemd/pstore. "
    "systemd-pstore moves records out at boot so that small EFI/ERST stores have room for "
    "the next crash; records left behind block it."
)
UNIT = "systemd-pstore.service"
FIX = (
    "systemctl enable systemd-pstore.service and set Storage=external in "
    "/etc/systemd/pstore.conf (records already there are archived at the next boot)"
)


def run(host: HostView) -> Result:
    unit = host.units([UNIT])[UNIT]
    return judge(host.pstore, unit, host.pstore_conf.get("Storage"), host.root.listdir(ARCHIVE_DIR))


def judge(p: Pstore, unit: UnitState, storage: Optional[str], archived: List[str]) -> Result:
    facts = (
        Fact(PSTORE_DIR, " ".join(p.records) or "empty", "empty after boot"),
        Fact(
            UNIT,
            "enabled" if unit.enabled else ("disabled" if unit.installed else "not installed"),
            "enabled",
        ),
        Fact(
            "/etc/systemd/pstore.conf Storage",
            storage or "external (default)",
            "external or journal",
        ),
        Fact(ARCHIVE_DIR, " ".join(archived) or "empty", None),
    )
    if not p.backend and not p.records:
        return Result(CHECK_ID, Status.SKIP, "no pstore backend (see pstore_backend)", facts=facts)
    if (storage or "").lower() == "none":
        return Result(
            CHECK_ID, Status.WARN, "systemd-pstore discards records (Storage=none)", FIX, facts
        )
    if not unit.installed or not unit.enabled:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{UNIT} is not enabled: records stay in pstore and fill it",
            FIX,
            facts,
        )
    if p.records:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{len(p.records)} record(s) left in {PSTORE_DIR}: "
            "the store may be full for the next crash",
            FIX,
            facts,
        )
    if archived:
        return Result(
            CHECK_ID,
            Status.INFO,
            f"{len(archived)} archived record set(s) of past "
            f"crashes in {ARCHIVE_DIR} (kcrashd incidents)",
            facts=facts,
        )
    return Result(CHECK_ID, Status.OK, f"{UNIT} archives pstore records", facts=facts)
