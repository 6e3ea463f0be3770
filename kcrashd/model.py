"""The shared vocabulary: immutable records with no I/O.

Every part of kcrashd speaks these types: readers produce them, checks, watchers and the
parser judge with them, sinks and the store consume them.

Defined here: the statuses and levels and a readiness check's Result. The vocabulary of
what happens (KernelRecord, Frame, REPORT_KINDS, CrashReport, Signal, Alert, Evidence,
Incident) is defined in kcrashd.model_events and named here too, imported when first used
(PEP 562): `kcrashd check` builds none of those dataclasses (benchmarks/bench_check.py).
The records `kcrashd check` needs (Fact, Result, and the host readers' records) are
NamedTuples: a frozen dataclass costs ~0.9 ms of CPU to define (its methods are generated
with exec), a NamedTuple 0.13 ms, and dataclasses imports inspect.
"""

from __future__ import annotations

import enum
from typing import Any, Dict, NamedTuple, Optional, Tuple


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


class Fact(NamedTuple):
    """What a check read: where, what it saw, what it expected."""

    source: str
    seen: Optional[str] = None
    expected: Optional[str] = None


class _ResultFields(NamedTuple):
    check_id: str
    status: Status
    summary: str
    fix: Optional[str] = None
    facts: Tuple[Fact, ...] = ()


class Result(_ResultFields):
    """One readiness check outcome. `fix` is required for WARN and CRIT."""

    __slots__ = ()

    def __new__(
        cls,
        check_id: str,
        status: Status,
        summary: str,
        fix: Optional[str] = None,
        facts: Tuple[Fact, ...] = (),
    ) -> Result:
        if status in (Status.WARN, Status.CRIT) and not fix:
            raise ValueError(f"{check_id}: {status.value} result needs a fix")
        return super().__new__(cls, check_id, status, summary, fix, facts)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "id": self.check_id,
            "status": self.status.value,
            "summary": self.summary,
            "fix": self.fix,
            "facts": [f._asdict() for f in self.facts],
        }


_EVENTS = (
    "KernelRecord",
    "Frame",
    "REPORT_KINDS",
    "CrashReport",
    "Signal",
    "Alert",
    "Evidence",
    "Incident",
)


def __getattr__(name: str) -> Any:
    if name in _EVENTS:
        from kcrashd import model_events

        return getattr(model_events, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
