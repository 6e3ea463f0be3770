"""Check results as a Nagios/Icinga plugin output (`kcrashd check --nagios`).

The plugin format (Nagios plugin guidelines, "Plugin Output"): one status line with
performance data after a `|`, then the long output, one line per check that needs a look
(CRIT, WARN, ERROR) with its fix. The exit code is verdict.exit_code: 0 OK, 1 WARNING,
2 CRITICAL, 3 UNKNOWN.

    KCRASHD CRITICAL - 4 critical, 3 warnings: kexec_support, ... | critical=4 warning=3 \
    ok=7 unknown=0
    CRIT kexec_support: ... - fix: ...

(the status line is one line; cut here to fit).

Performance data counts the checks per plugin state: INFO and SKIP are OK states (nothing
to do), ERROR (the check itself broke) is UNKNOWN, so the four numbers add up to the
number of checks run.
"""

from __future__ import annotations

from typing import List, Sequence

from kcrashd.checks.verdict import NAMES, exit_code
from kcrashd.model import Result, Status

PREFIX = "KCRASHD"
# A `|` starts the performance data wherever it appears in plugin output, and fixes contain
# shell pipelines ("journalctl -k -b | grep ..."), so text gets the broken bar instead.
_PIPE_STAND_IN = "\u00a6"
# Most urgent first, in the status line and in the long output.
_NEEDS_A_LOOK = (Status.CRIT, Status.WARN, Status.ERROR)


def _clean(text: str) -> str:
    return " ".join(text.replace("|", _PIPE_STAND_IN).split())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def perfdata(results: Sequence[Result]) -> str:
    def count(*statuses: Status) -> int:
        return sum(1 for r in results if r.status in statuses)

    return (
        f"critical={count(Status.CRIT)} warning={count(Status.WARN)} "
        f"ok={count(Status.OK, Status.INFO, Status.SKIP)} unknown={count(Status.ERROR)}"
    )


def status_line(results: Sequence[Result]) -> str:
    """`KCRASHD CRITICAL - 4 critical, 3 warnings: kexec_support, ... | critical=4 ...`."""
    bad = [r for s in _NEEDS_A_LOOK for r in results if r.status is s]
    n = {s: sum(1 for r in bad if r.status is s) for s in _NEEDS_A_LOOK}
    text = f"{n[Status.CRIT]} critical, {_plural(n[Status.WARN], 'warning')}"
    if n[Status.ERROR]:
        text += f", {n[Status.ERROR]} unknown"
    text += ": " + (", ".join(r.check_id for r in bad) if bad else "ready")
    return f"{PREFIX} {NAMES[exit_code(results)]} - {text} | {perfdata(results)}"


def long_output(results: Sequence[Result]) -> List[str]:
    lines = []
    for status in _NEEDS_A_LOOK:
        for r in results:
            if r.status is not status:
                continue
            line = f"{r.status.value} {r.check_id}: {r.summary}"
            if r.fix:
                line += f" - fix: {r.fix}"
            lines.append(_clean(line))
    return lines


def render_nagios(results: Sequence[Result]) -> str:
    return "\n".join([status_line(results), *long_output(results)]) + "\n"


def render_unknown(message: str) -> str:
    """The output when the checks could not run at all (exit 3)."""
    first, *rest = message.strip().splitlines() or [""]
    return "\n".join([f"{PREFIX} UNKNOWN - {_clean(first)}", *map(_clean, rest)]) + "\n"
