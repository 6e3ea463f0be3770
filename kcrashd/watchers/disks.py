"""Disk health: SMART through smartctl for every physical disk, following hotplug.

The job runs often (at most every minute) to pick up hotplug events, but each disk is asked
only every `interval_seconds`, with `-n standby` and a timeout. Problems that make a disk
unmonitorable (no smartctl, no SMART, a RAID volume, open failure, a hung smartctl) are
notes: reported once as INFO, never an error loop.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from kcrashd.host import disks, smart
from kcrashd.host.root import Root
from kcrashd.model import Level, Signal
from kcrashd.watchers.levels import NO_RAISED

log = logging.getLogger(__name__)

NAME = "disk"
CONFIG = "disk"
JOB_MAX_INTERVAL = 10.0  # how often hotplug events are picked up: a new disk is read within it

NVME_WARNING_BITS = (
    (0x01, "available spare below threshold"),
    (0x02, "temperature out of range"),
    (0x04, "reliability degraded"),
    (0x08, "media placed in read-only mode"),
    (0x10, "volatile memory backup failed"),
    (0x20, "persistent memory region unreliable"),
)


@dataclass(frozen=True)
class Sample:
    reports: Dict[str, smart.SmartReport]  # latest usable report per present disk
    previous: Dict[str, smart.SmartReport] = field(default_factory=dict)  # for growth
    notes: Tuple[Tuple[str, str], ...] = ()

    @property
    def values(self) -> Dict[str, float]:
        return {
            "disks": float(len(self.reports)),
            "failing": float(sum(1 for r in self.reports.values() if r.passed is False)),
        }


def _disks(root: Root, memory: Dict, notes: List[Tuple[str, str]]) -> Dict[str, disks.Disk]:
    known: Optional[Dict[str, disks.Disk]] = memory.get("disks")
    if known is None:
        if root.is_live and "monitor" not in memory:
            try:  # before enumerating, so a disk appearing in between is seen
                memory["monitor"] = disks.DiskMonitor()
            except Exception as exc:  # no pyudev/libudev, no netlink in a container
                memory["monitor"] = None
                notes.append(("hotplug", f"disk hotplug is not followed: {exc}"))
        known = {d.name: d for d in disks.discover(root)}
        memory["disks"] = known
    monitor = memory.get("monitor")
    if monitor is not None:
        for action, disk in monitor.events():
            if action == "add":
                known[disk.name] = disk
                memory.setdefault("last", {}).pop(disk.devnode, None)  # ask it now
                log.info("disk %s appeared", disk.devnode)
            else:
                gone = known.pop(disk.name, None)
                if gone:
                    for table in ("reports", "previous", "last"):  # nothing kept for it
                        memory.setdefault(table, {}).pop(gone.devnode, None)
                    log.info("disk %s was removed", gone.devnode)
    return known


def sample(
    root: Root, runner: Any, cfg: Any, baseline: Mapping[str, int], memory: Any = None
) -> Sample:
    memory = {} if memory is None else memory
    notes: List[Tuple[str, str]] = []
    present = _disks(root, memory, notes)
    reports: Dict[str, smart.SmartReport] = memory.setdefault("reports", {})
    last: Dict[str, float] = memory.setdefault("last", {})
    previous: Dict[str, smart.SmartReport] = memory.setdefault("previous", {})
    if runner.which("smartctl") is None:
        notes.append(("smartctl", "smartctl is not installed: disk health is not watched"))
        return Sample({}, {}, tuple(notes))
    now = time.monotonic()
    for disk in present.values():
        dev = disk.devnode
        if dev in last and now - last[dev] < cfg.interval_seconds:
            continue
        last[dev] = now
        read = smart.read_smart(runner, dev, cfg.smartctl_timeout_seconds)
        rep = read.report
        if read.problem:
            notes.append((dev, f"{dev}: {read.problem}; not monitored"))
        elif rep is not None and rep.standby:
            log.debug("%s is in standby: not woken, previous result kept", dev)
        elif rep is not None and not rep.smart_capable:
            notes.append(
                (dev, f"{dev} does not report SMART health (RAID volume or no SMART support)")
            )
        elif rep is not None:
            if dev in reports:
                previous[dev] = reports[dev]
            reports[dev] = rep
    current = {d.devnode: reports[d.devnode] for d in present.values() if d.devnode in reports}
    return Sample(current, dict(previous), tuple(notes))


Reason = Tuple[Level, str, float, Optional[float]]


def _grew(now: Optional[int], before: Optional[int]) -> bool:
    return now is not None and before is not None and now > before


def judge(r: smart.SmartReport, prev: Optional[smart.SmartReport], cfg: Any) -> List[Reason]:
    """Every problem of one disk as (level, text, value, threshold); empty when healthy."""
    out: List[Reason] = []
    bits = r.exit_bits
    if r.passed is False or 3 in bits:
        out.append((Level.CRIT, "SMART overall health: FAILING", float(r.exit_status), None))
    if 4 in bits:
        out.append((Level.CRIT, "a prefail attribute is at or below its threshold", 16.0, None))
    if 5 in bits:
        out.append((Level.WARN, "an attribute was at or below its threshold in the past", 32, None))
    if 7 in bits:
        out.append((Level.WARN, "the self-test log contains errors", 128.0, None))
    for aid, a in sorted(r.ata.items()):
        before = prev.ata.get(aid) if prev else None
        if aid == 5 and a.when_failed == "now":
            out.append((Level.CRIT, f"5 {a.name} failing now (raw {a.raw})", a.raw, a.thresh))
        elif aid in (5, 187) and a.raw > 0:
            out.append((Level.WARN, f"{aid} {a.name} raw {a.raw}", float(a.raw), 0.0))
        elif aid in (197, 198) and a.raw > 0:
            out.append((Level.CRIT, f"{aid} {a.name} raw {a.raw}", float(a.raw), 0.0))
        elif aid in (188, 199) and before is not None and a.raw > before.raw:
            # Often packed or old history: only growth is a sign.
            out.append((Level.WARN, f"{aid} {a.name} grew to {a.raw}", float(a.raw), before.raw))
    if 6 in bits and prev is not None and _grew(r.ata_error_count, prev.ata_error_count):
        out.append(
            (Level.WARN, f"device error log grew to {r.ata_error_count}", r.ata_error_count, None)
        )
    n = r.nvme
    if n:
        cw = n.get("critical_warning", 0)
        if cw:
            what = ", ".join(
                f"{text} ({r.temperature}°C)"
                if mask == 0x02 and r.temperature is not None
                else text
                for mask, text in NVME_WARNING_BITS
                if cw & mask
            )
            out.append(
                (Level.CRIT, f"NVMe critical warning 0x{cw:02x}: {what or 'unknown'}", cw, 0)
            )
        spare, spare_thr = n.get("available_spare"), n.get("available_spare_threshold")
        # Below, not at: the spec's warning is "fallen below the threshold", and QEMU's
        # healthy controller reports spare 0% with threshold 0%.
        if spare is not None and spare_thr is not None and spare < spare_thr:
            out.append((Level.CRIT, f"available spare {spare}% below threshold", spare, spare_thr))
        used = n.get("percentage_used")
        if used is not None and used >= 100:
            out.append((Level.CRIT, f"rated endurance used up ({used}%)", used, 100.0))
        elif used is not None and used >= cfg.nvme_percentage_used_warn:
            thr = cfg.nvme_percentage_used_warn
            out.append((Level.WARN, f"{used}% of rated endurance used", used, thr))
        if n.get("media_errors", 0) > 0:
            me = n["media_errors"]
            out.append((Level.WARN, f"{me} NVMe media errors", float(me), 0.0))
    if r.scsi_grown_defects:
        g = r.scsi_grown_defects
        out.append((Level.WARN, f"{g} grown defects", float(g), 0.0))
    if r.scsi_uncorrected:
        grew = prev is not None and _grew(r.scsi_uncorrected, prev.scsi_uncorrected)
        level = Level.CRIT if grew else Level.WARN
        u = r.scsi_uncorrected
        out.append((level, f"{u} uncorrected read/write/verify errors", float(u), 0.0))
    out += _temperature(r)
    return out


def _temperature(r: smart.SmartReport) -> List[Reason]:
    """The temperature against the limits the device itself reports (none of our own)."""
    t = r.temperature
    if t is None:
        return []
    crit, warn = r.temperature_crit_limit, r.temperature_warn_limit
    if crit is not None and t >= crit:
        return [(Level.CRIT, f"temperature {t}°C at the device's critical limit {crit}°C", t, crit)]
    if warn is not None and t >= warn:
        return [
            (Level.WARN, f"temperature {t}°C at the device's operating limit {warn}°C", t, warn)
        ]
    return []


def evaluate(s: Sample, cfg: Any, raised: Mapping[str, Level] = NO_RAISED) -> List[Signal]:
    out = []
    for dev, rep in sorted(s.reports.items()):
        reasons = judge(rep, s.previous.get(dev), cfg)
        name = f"{dev} ({rep.model})" if rep.model else dev
        if not reasons:
            out.append(Signal(NAME, dev, Level.OK, 0.0, None, f"{name}: SMART healthy"))
            continue
        level, _, value, thr = max(reasons, key=lambda x: x[0])
        text = "; ".join(x[1] for x in sorted(reasons, key=lambda x: -x[0]))
        out.append(Signal(NAME, dev, level, float(value), thr, f"{name}: {text}"))
    return out


def details(root: Root, s: Sample, signals: List[Signal]) -> Dict[str, str]:
    return {"smart": "; ".join(f"{d}: exit {r.exit_status}" for d, r in s.reports.items())}
