"""parse_text: every crash report in a whole text, prefiltered so crash-free text is cheap."""

from __future__ import annotations

from typing import List

from kcrashd.model import CrashReport
from kcrashd.parse.assembler import Assembler
from kcrashd.parse.headers import HitScanner


def parse_text(
    text: str, gap_seconds: float = 5.0, max_report_lines: int = 500
) -> List[CrashReport]:
    """Crash reports in `text` by first line; the same as feeding its lines to an Assembler.

    Lines before the next header keyword are skipped with one scan over the text
    (the Assembler would ignore them too while no report is open).
    """
    asm = Assembler(gap_seconds=gap_seconds, max_report_lines=max_report_lines)
    scanner = HitScanner(text)
    out: List[CrashReport] = []
    n = len(text)
    pos = 0
    lineno = 1
    while pos < n:
        if not asm._open:
            hit = scanner.next_hit(pos)
            if hit < 0:
                break
            start = text.rfind("\n", pos, hit) + 1
            if start > pos:
                lineno += text.count("\n", pos, start)
                pos = start
        end = text.find("\n", pos)
        if end < 0:
            end = n
        out.extend(asm._feed(text[pos:end], lineno, None))
        pos = end + 1
        lineno += 1
    out.extend(asm.flush())
    # reports complete in any order (several contexts at once); list them as they start
    out.sort(key=lambda r: r.first_line or 0)
    return out
