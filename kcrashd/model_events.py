"""The vocabulary of what happens: kernel log records, crash reports, watcher signals,
alerts and incidents (frozen dataclasses, no I/O). Named by kcrashd.model, which imports
this module when one of them is first used; import them from there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple

from kcrashd.model import Level, Severity


@dataclass(frozen=True)
class KernelRecord:
    """One kernel log line from any source.

    `position` is the source's opaque resume point (journal cursor, kmsg sequence number,
    line number of a file). `lost_before`: kernel records the source knows were lost right
    before this one (a kmsg sequence gap, journald's "Missed N kernel messages").
    """

    message: str
    boot_id: Optional[str] = None
    monotonic_us: Optional[int] = None
    realtime: Optional[float] = None
    priority: Optional[int] = None
    position: Optional[str] = None
    lost_before: int = 0


@dataclass(frozen=True)
class Frame:
    """One stack frame or instruction pointer: `func+0x25/0x50 [module]`."""

    function: Optional[str]
    offset: Optional[int] = None
    size: Optional[int] = None
    module: Optional[str] = None
    address: Optional[int] = None
    reliable: bool = True

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


# Every kind a CrashReport can have: DESIGN.md section 6, and "alloc_failure" (a page or
# vmalloc allocation failure with its stack dump: memory pressure, not a crash).
REPORT_KINDS = (
    "oops", "page_fault", "gpf", "bug", "warning", "panic", "kasan", "kfence", "kmsan",
    "kcsan", "ubsan", "lockdep", "soft_lockup", "hard_lockup", "hung_task", "rcu_stall",
    "memory_leak", "exception", "oom_kill", "mce", "io_error", "alloc_failure",
)  # fmt: skip


@dataclass(frozen=True)
class CrashReport:
    """One kernel crash report (DESIGN.md section 6). Fields are None where absent."""

    kind: str
    title: str
    function: Optional[str] = None
    module: Optional[str] = None
    kernel: Optional[str] = None
    taint: Tuple[Tuple[str, str], ...] = ()  # (letter, meaning)
    cpu: Optional[int] = None
    pid: Optional[int] = None
    comm: Optional[str] = None
    hardware: Optional[str] = None
    rip: Optional[Frame] = None
    registers: Mapping[str, str] = field(default_factory=dict)
    frames: Tuple[Frame, ...] = ()
    modules_linked: Tuple[str, ...] = ()
    code: Optional[str] = None
    corrupted: bool = False
    panicked: bool = False
    first_line: Optional[int] = None
    last_line: Optional[int] = None
    signature: str = ""
    lines: Tuple[str, ...] = ()  # the report text, bounded by the parser
    details: Mapping[str, Any] = field(default_factory=dict)  # kind-specific (OOM victim ...)
    boot_id: Optional[str] = None
    start_position: Optional[str] = None
    end_position: Optional[str] = None
    realtime: Optional[float] = None
    monotonic_us: Optional[int] = None  # kernel time of its first line (where in the boot)

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        d["taint"] = [{"letter": k, "meaning": v} for k, v in self.taint]
        d["registers"] = dict(self.registers)
        d["details"] = dict(self.details)
        return d


@dataclass(frozen=True)
class Signal:
    """A watcher's judgement of one key (a disk, a thermal zone, memory ...)."""

    watcher: str
    key: str
    level: Level
    value: Optional[float]
    threshold: Optional[float]
    message: str


@dataclass(frozen=True)
class Alert:
    """What sinks receive. `type` is a name from kcrashd.alerts.types.ALERT_TYPES."""

    type: str
    severity: Severity
    summary: str
    fields: Mapping[str, str] = field(default_factory=dict)
    dedup_key: str = ""

    def to_dict(self) -> Dict[str, Any]:
        return {
            "type": self.type,
            "severity": self.severity.name.lower(),
            "priority": int(self.severity),
            "summary": self.summary,
            "fields": dict(self.fields),
            "dedup_key": self.dedup_key,
        }


@dataclass(frozen=True)
class Evidence:
    """One artifact that saw a crash: a pstore record, a vmcore dir, a journal."""

    source: str  # "live", "pstore", "kdump", "journal", "snapshot", "watcher"
    path: Optional[str] = None
    detail: Optional[str] = None


@dataclass(frozen=True)
class Incident:
    """One crash of one boot with all its evidence and recurrence across boots."""

    incident_id: str
    boot_id: Optional[str]
    kind: str
    title: str
    signature: str
    report: Optional[CrashReport]
    evidence: Tuple[Evidence, ...] = ()
    vmcore: Optional[str] = None
    snapshot_id: Optional[str] = None
    first_seen: Optional[float] = None
    recurrence: int = 1

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        d["report"] = self.report.to_dict() if self.report else None
        return d
