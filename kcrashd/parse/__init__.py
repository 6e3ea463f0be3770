"""Kernel log text -> CrashReport (pure stdlib, no host access).

`parse_text(text)` finds every crash report in a whole text; `Assembler` does the same
incrementally, one KernelRecord at a time, for the daemon.
"""

from __future__ import annotations

from typing import List, Optional

from kcrashd.model import CrashReport, KernelRecord

__all__ = ["Assembler", "parse_text"]


class Assembler:
    """Incremental crash-report assembler (interim: the full one is being built)."""

    def __init__(self, gap_seconds: float = 5.0, max_report_lines: int = 500) -> None:
        self.gap_seconds = gap_seconds
        self.max_report_lines = max_report_lines

    def feed(self, record: KernelRecord) -> List[CrashReport]:
        return []

    def expire(self, now: float) -> List[CrashReport]:
        return []

    def flush(self) -> List[CrashReport]:
        return []

    @property
    def pending_start_position(self) -> Optional[str]:
        return None


def parse_text(text: str) -> List[CrashReport]:
    return []
