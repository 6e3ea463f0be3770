"""SMART health through `smartctl --json` (smartmontools 7+).

`smartctl_argv` builds the one command line kcrashd runs: `-n standby` so an idle disk is
not spun up (smartctl then exits with bit 1 and says so), always with a timeout. The output
is parsed even when the exit status is non-zero; `parse_smart` turns it into a SmartReport
(pure, tested against recorded outputs of real disks).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

# smartctl(8) EXIT STATUS bits.
EXIT_BITS: Tuple[Tuple[int, str], ...] = (
    (0, "command line did not parse"),
    (1, "device open failed or device in low-power mode"),
    (2, "a SMART or other ATA command failed, or a SMART checksum error"),
    (3, "SMART status: DISK FAILING"),
    (4, "prefail attribute at or below threshold"),
    (5, "an attribute was at or below threshold in the past"),
    (6, "the device error log contains errors"),
    (7, "the self-test log contains errors"),
)

WATCHED_ATA = (5, 187, 188, 197, 198, 199)
_LEADING_INT = re.compile(r"^\s*(\d+)")


def decode_exit_status(status: int) -> List[int]:
    return [bit for bit, _ in EXIT_BITS if status >> bit & 1]


def smartctl_argv(device: str, device_type: Optional[str] = None) -> List[str]:
    argv = ["smartctl", "--json", "-a", "-n", "standby"]
    if device_type:
        argv += ["-d", device_type]
    return argv + [device]


@dataclass(frozen=True)
class AtaAttribute:
    id: int
    name: str
    raw: int  # leading integer of raw.string: packed vendor raw values hide the count there
    value: Optional[int] = None
    thresh: Optional[int] = None
    when_failed: str = ""


@dataclass(frozen=True)
class SmartReport:
    device: str
    protocol: Optional[str]  # ATA, NVMe, SCSI
    exit_status: int
    passed: Optional[bool]  # None: health could not be read
    model: Optional[str] = None
    temperature: Optional[int] = None
    standby: bool = False
    open_failed: bool = False
    messages: Tuple[str, ...] = ()
    ata: Dict[int, AtaAttribute] = field(default_factory=dict)
    ata_error_count: Optional[int] = None
    self_test_errors: Optional[int] = None
    nvme: Dict[str, int] = field(default_factory=dict)
    scsi_grown_defects: Optional[int] = None
    scsi_uncorrected: Optional[int] = None  # read + write + verify
    scsi_drive_trip: Optional[int] = None
    # The device's own temperature limits (°C): the highest operating temperature it names
    # (ATA SCT op_limit_max, NVMe WCTEMP) and the critical one (NVMe CCTEMP, ATA SCT
    # limit_max, SCSI drive trip). None when the device does not say.
    temperature_warn_limit: Optional[int] = None
    temperature_crit_limit: Optional[int] = None

    @property
    def exit_bits(self) -> List[int]:
        return decode_exit_status(self.exit_status)

    @property
    def smart_capable(self) -> bool:
        """False for RAID volumes and devices without SMART: nothing to judge."""
        return (
            self.passed is not None
            or bool(self.ata)
            or bool(self.nvme)
            or self.scsi_grown_defects is not None
        )


def _raw(attr: Dict[str, Any]) -> int:
    raw = attr.get("raw") or {}
    m = _LEADING_INT.match(str(raw.get("string", "")))
    if m:
        return int(m.group(1))
    value = raw.get("value", 0)
    return int(value) if isinstance(value, int) else 0


def parse_smart(text: str, returncode: Optional[int] = None) -> SmartReport:
    """One `smartctl --json` output; raises ValueError when it is not smartctl JSON."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"smartctl output is not JSON: {exc}") from None
    if not isinstance(data, dict) or "smartctl" not in data:
        raise ValueError("smartctl output has no 'smartctl' object")
    meta = data.get("smartctl") or {}
    status = meta.get("exit_status", returncode if returncode is not None else 0)
    messages = tuple(str(m.get("string", "")) for m in meta.get("messages") or [])
    device = data.get("device") or {}
    name = device.get("name") or (meta.get("argv") or ["?"])[-1]
    health = data.get("smart_status") or {}
    standby = bool(status >> 1 & 1) and any(
        re.search(r"\b(STANDBY|SLEEP|IDLE)\b", m) for m in messages
    )
    ata: Dict[int, AtaAttribute] = {}
    for a in (data.get("ata_smart_attributes") or {}).get("table") or []:
        if a.get("id") in WATCHED_ATA:
            ata[a["id"]] = AtaAttribute(
                a["id"],
                a.get("name", ""),
                _raw(a),
                a.get("value"),
                a.get("thresh"),
                a.get("when_failed") or "",
            )
    nvme_log = data.get("nvme_smart_health_information_log") or {}
    nvme = {k: v for k, v in nvme_log.items() if isinstance(v, int) and not isinstance(v, bool)}
    errlog = (data.get("ata_smart_error_log") or {}).get("summary") or {}
    selftest = (data.get("ata_smart_self_test_log") or {}).get("standard") or {}
    scsi_log = data.get("scsi_error_counter_log") or {}
    uncorrected = None
    if scsi_log:
        uncorrected = sum(
            int((scsi_log.get(k) or {}).get("total_uncorrected_errors", 0) or 0)
            for k in ("read", "write", "verify")
        )
    temp = data.get("temperature") or {}
    return SmartReport(
        device=name,
        protocol=device.get("protocol"),
        exit_status=int(status),
        passed=health.get("passed"),
        model=data.get("model_name") or data.get("scsi_model_name") or data.get("product"),
        temperature=temp.get("current"),
        standby=standby,
        open_failed=bool(status >> 1 & 1) and not standby and not device,
        messages=messages,
        ata=ata,
        ata_error_count=errlog.get("count"),
        self_test_errors=(selftest.get("error_count_total") or 0)
        - (selftest.get("error_count_outdated") or 0)
        if selftest
        else None,
        nvme=nvme,
        scsi_grown_defects=data.get("scsi_grown_defect_list"),
        scsi_uncorrected=uncorrected,
        scsi_drive_trip=temp.get("drive_trip"),
        temperature_warn_limit=_limit(temp, "op_limit_max"),
        temperature_crit_limit=_limit(temp, "critical_limit_max", "limit_max", "drive_trip"),
    )


def _limit(temp: Dict[str, Any], *keys: str) -> Optional[int]:
    """The first positive limit among `keys` (0 means the device does not say: a RAID
    volume reports drive_trip 0)."""
    for key in keys:
        value = temp.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


@dataclass(frozen=True)
class SmartRead:
    """The outcome of one smartctl call: a report, or why there is none."""

    device: str
    report: Optional[SmartReport] = None
    problem: Optional[str] = None  # missing tool, timeout, open failure, unparseable output
    missing_tool: bool = False


def read_smart(
    runner: Any, device: str, timeout: float, device_type: Optional[str] = None
) -> SmartRead:
    result = runner.run(smartctl_argv(device, device_type), timeout=timeout)
    if result.missing:
        return SmartRead(device, problem="smartctl is not installed", missing_tool=True)
    if result.timed_out:
        # A stable text (no measured duration) so the note is sent once, not every interval.
        return SmartRead(device, problem=f"smartctl timed out after {timeout:g}s and was killed")
    try:
        report = parse_smart(result.stdout, result.returncode)
    except ValueError as exc:
        first = (result.stderr or result.stdout).strip().splitlines()[:1]
        return SmartRead(device, problem=f"{exc}{': ' + first[0] if first else ''}")
    if report.open_failed:
        why = report.messages[0] if report.messages else "device open failed"
        return SmartRead(device, report, problem=why)
    return SmartRead(device, report)


def summary(report: SmartReport) -> Dict[str, Any]:
    """A small JSON-able summary for snapshots and metrics."""
    return {
        "device": report.device,
        "protocol": report.protocol,
        "model": report.model,
        "exit_status": report.exit_status,
        "passed": report.passed,
        "temperature": report.temperature,
        "ata": {str(a.id): a.raw for a in report.ata.values()},
        "nvme": {
            k: report.nvme[k]
            for k in ("critical_warning", "percentage_used", "media_errors", "available_spare")
            if k in report.nvme
        },
        "scsi_grown_defects": report.scsi_grown_defects,
    }
