"""Kernel log text -> CrashReport (pure stdlib, no host access).

`parse_text(text)` finds every crash report in a whole text; `Assembler` does the same
incrementally, one KernelRecord at a time, for the daemon. Taint decoding is in `taint`.
"""

from __future__ import annotations

from kcrashd.parse.assembler import Assembler
from kcrashd.parse.text import parse_text

__all__ = ["Assembler", "parse_text"]
