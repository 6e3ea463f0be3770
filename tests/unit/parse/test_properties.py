"""Robustness: the parser never raises and stays bounded on any input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcrashd.model import KernelRecord
from kcrashd.parse import Assembler, parse_text
from kcrashd.parse.assembler import MAX_LINE
from kcrashd.parse.scan import MAX_FRAMES
from tests.unit.parse import logs

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Lines that look like report pieces, mixed at random, exercise the state machine.
PIECES = [
    line
    for text in (logs.WARNING, logs.GPF, logs.HUNG_TASK, logs.MCE)
    for line in text.splitlines()
]
PIECES += [
    "Kernel panic - not syncing: Fatal exception",
    "---[ end trace 0000000000000000 ]---",
    "=" * 66,
    "[ 1.0][ T1] BUG: KASAN: use-after-free in f+0x1/0x2",
    "[ 1.0][  C0] NMI backtrace for cpu 0",
    "Oops#1 Part1",
    "4,1,2,-;BUG: unable to handle page fault for address: 0000000000000000",
]


def _check(reports, max_lines: int = 500) -> None:
    for r in reports:
        assert r.kind and r.title and len(r.title) <= 200
        assert len(r.lines) <= max_lines
        assert all(len(line) <= MAX_LINE for line in r.lines)
        assert len(r.frames) <= MAX_FRAMES
        r.to_dict()


@FAST
@given(st.text(max_size=3000))
def test_arbitrary_text(text: str) -> None:
    _check(parse_text(text))


@FAST
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=80), max_size=120))
def test_shuffled_report_pieces(lines) -> None:
    text = "\n".join(lines)
    whole = parse_text(text)
    _check(whole)
    asm = Assembler()
    inc = []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    for line in lines:
        inc += asm.feed(KernelRecord(message=line))
        assert len(asm._open) <= 8
    inc = sorted(inc + asm.flush(), key=lambda r: r.first_line)
    assert [r.to_dict() for r in inc] == [r.to_dict() for r in whole]


@FAST
@given(st.binary(max_size=3000))
def test_invalid_utf8_and_nul_bytes(data: bytes) -> None:
    text = (b"WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2\n" + data).decode("utf-8", "replace")
    _check(parse_text(text))


def test_megabyte_lines() -> None:
    big = "x" * 1_000_000
    text = f"{big}\nBUG: KASAN: use-after-free in f+0x1/0x2 {big}\n Call Trace:\n g+0x1/0x2 {big}\n"
    reports = parse_text(text)
    _check(reports)
    assert [r.kind for r in reports] == ["kasan"]


def test_endless_report_text() -> None:
    text = "WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2\n" + " g+0x1/0x2\n" * 50_000
    reports = parse_text(text, max_report_lines=500)
    _check(reports)
    assert len(reports) == 1  # the remainder is frames with no header: no new report


# Lines built to make a backtracking regex explode (a long word after "Modules linked in:",
# endless taint letters, "at:" repeated, a mangled name of nothing but nesting): each must
# parse like any other line. No clock is read: an exponential regex would never return.
ADVERSARIAL = [
    "Modules linked in: a\n" + "x" * 4000 + "!\n",
    "BUG: unable to handle page fault\nCPU: 1 PID: 2 Comm: x Tainted: G" + " G" * 2000 + "\n",
    "WARNING: possible circular locking dependency detected\n6.1.0 #1 Tainted: G" + " G" * 2000,
    "INFO: task x:1 blocked for more than 120 seconds.\nTainted: G" + " -" * 2000 + "\n",
    "WARNING: possible circular locking dependency detected\n" + "x at: " * 600 + "\n",
    "Internal error: Oops\n" + "f from " * 500 + "\n",
    "BUG: foo\nCall Trace:\n _R" + "N" * 4000 + "+0x1/0x2\n",
    "BUG " + "k" * 4000 + ": Poison overwritten\n",
]


def test_adversarial_lines() -> None:
    for text in ADVERSARIAL:
        _check(parse_text(text))
