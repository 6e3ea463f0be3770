"""The shared vocabulary: frozen dataclasses with no I/O.

Every part of kcrashd speaks these types: readers produce them, checks, watchers and the
parser judge with them, sinks and the store consume them.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple


class Status(enum.Enum):
    """Outcome of a readiness check; `rank` orders them by how bad they are."""

    OK = "OK"
    INFO = "INFO"
    SKIP = "SKIP"
    WARN = "WARN"
    ERROR = "ERROR"
    CRIT = "CRIT"

    @property
    def rank(self) -> int:
        return _STATUS_RANK[self]


_STATUS_RANK = {
    Status.OK: 0,
    Status.INFO: 0,
    Status.SKIP: 0,
    Status.WARN: 1,
    Status.ERROR: 2,
    Status.CRIT: 3,
}


class Level(enum.IntEnum):
    """Level of a watcher signal; ordered so that max() gives the worst."""

    OK = 0
    WARN = 1
    CRIT = 2


class Severity(enum.IntEnum):
    """Alert severity, as syslog priorities (lower is worse) so sinks map it 1:1."""

    CRIT = 2
    ERR = 3
    WARNING = 4
    NOTICE = 5
    INFO = 6


@dataclass(frozen=True)
class Fact:
    """What a check read: where, what it saw, what it expected."""

    source: str
    seen: Optional[str] = None
    expected: Optional[str] = None


@dataclass(frozen=True)
class Result:
    """One readiness check outcome. `fix` is required for WARN and CRIT."""

    check_id: str
    status: Status
    summary: str
    fix: Optional[str] = None
    facts: Tuple[Fact, ...] = ()

    def __post_init__(self) -> None:
        if self.status in (Status.WARN, Status.CRIT) and not self.fix:
            raise ValueError(f"{self.check_id}: {self.status.value} result needs a fix")

    def to_dict(self) -> Dict[str, Any]:
        return {
            "id": self.check_id,
            "status": self.status.value,
            "summary": self.summary,
            "fix": self.fix,
            "facts": [asdict(f) for f in self.facts],
        }


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
