"""Kernel log text -> CrashReport (pure stdlib, no host access).

`parse_text(text)` finds every crash report in a whole text; `Assembler` does the same
incrementally, one KernelRecord at a time, for the daemon; `Assembler.wants(message)` says
whether a line can matter to it, so a reader may skip the rest of a large backlog unfed.
Taint decoding is in `taint`.

The pieces: headers (which line starts a report), prefix (console/syslog prefixes), assembler
(report boundaries), scan and frames (the lines of one report), recipes, guilty, rules and
infrastructure (the guilty function), demangle (Rust symbols), title, signature, details
(OOM/MCE/I/O fields), report (the CrashReport).
The names are resolved lazily so that importing `kcrashd.parse.taint` (the readiness check
does) does not compile the whole parser's regular expressions.

Imports model only: no host access, no I/O, no third-party packages.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Assembler", "parse_text"]


def __getattr__(name: str) -> Any:
    if name == "Assembler":
        from kcrashd.parse.assembler import Assembler

        return Assembler
    if name == "parse_text":
        from kcrashd.parse.text import parse_text

        return parse_text
    raise AttributeError(f"module 'kcrashd.parse' has no attribute {name!r}")
