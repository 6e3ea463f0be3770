"""The incremental Assembler: equivalence with parse_text, interleaving, ends, bounds."""

from __future__ import annotations

import time
from typing import List

import pytest

from kcrashd.model import KernelRecord
from kcrashd.parse import Assembler, parse_text
from kcrashd.parse.assembler import MAX_OPEN
from tests.unit.parse import logs

ALL = [
    logs.read_log("seed_npd.txt"),
    logs.read_log("kasan_uaf_caller.txt"),
    logs.read_log("oops_pstore.txt"),
    logs.read_log("oom_kill.txt"),
    logs.WARNING,
    logs.GPF,
    logs.HUNG_TASK,
    logs.RCU_STALL,
    logs.SOFT_LOCKUP,
    logs.HARD_LOCKUP,
    logs.LOCKDEP,
    logs.MEMORY_LEAK,
    logs.DIVIDE_ERROR,
    logs.UBSAN,
    logs.MCE,
    logs.IO_ERROR,
    logs.PANIC,
    logs.CRASH_FREE,
]


def feed_all(text: str, asm: Assembler) -> List:
    out = []
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()  # the text's last line ends with a newline; there is no line after it
    for line in lines:
        out.extend(asm.feed(KernelRecord(message=line)))
    return sorted(out + asm.flush(), key=lambda r: r.first_line)


def test_incremental_equals_whole_text() -> None:
    for text in ALL + ["".join(ALL), "\n".join(ALL)]:
        whole = [r.to_dict() for r in parse_text(text)]
        inc = [r.to_dict() for r in feed_all(text, Assembler())]
        assert inc == whole


def test_concatenated_logs_give_every_report_in_order() -> None:
    kinds = [r.kind for r in parse_text("".join(ALL))]
    assert kinds == [
        "page_fault",
        "kasan",
        "bug",
        "oom_kill",
        "warning",
        "gpf",
        "hung_task",
        "rcu_stall",
        "soft_lockup",
        "hard_lockup",
        "lockdep",
        "memory_leak",
        "exception",
        "ubsan",
        "mce",
        "io_error",
        "panic",
    ]


def _ctx(text: str, ctx: str) -> List[str]:
    return [f"{line[:14]}[{ctx:>6}] {line[15:]}" for line in text.splitlines()]


def test_two_cpus_interleaved_by_caller_context() -> None:
    a = _ctx(logs.WARNING, "T871")
    b = _ctx(logs.GPF, "T3321")
    mixed = []
    for i in range(max(len(a), len(b))):
        mixed += a[i : i + 1] + b[i : i + 1]
        mixed.append(f"[  101.000000][ T9999] eth0: link up, lines of another task {i}")
    reports = parse_text("\n".join(mixed) + "\n")
    assert sorted((r.kind, r.function) for r in reports) == [
        ("gpf", "nft_set_elem_destroy"),
        ("warning", "foo_tx_done"),
    ]
    for r in reports:
        assert not any("another task" in line for line in r.lines)
        assert len(r.frames) >= 5


def test_nmi_backtrace_lines_of_other_cpus_are_kept() -> None:
    text = (
        "[  50.000001][ T4001] INFO: rcu_preempt detected stalls on CPUs/tasks:\n"
        "[  50.000002][ T4001] Sending NMI from CPU 0 to CPUs 1:\n"
        "[  50.000003][    C1] NMI backtrace for cpu 1\n"
        "[  50.000004][    C1] CPU: 1 PID: 77 Comm: spinner Not tainted 6.6.0 #1\n"
        "[  50.000005][    C1] RIP: 0010:spinner_loop+0x10/0x20 [spinner]\n"
        "[  50.000006][    C1] Call Trace:\n"
        "[  50.000007][    C1]  spinner_write+0x40/0x90 [spinner]\n"
        "[  50.000008][    C1]  vfs_write+0xc8/0x3a0\n"
        "[  50.000009][    C1]  ksys_write+0x5f/0xe0\n"
        "[  50.000010][    C1]  do_syscall_64+0x55/0xb0\n"
    )
    (r,) = parse_text(text)
    assert r.kind == "rcu_stall"
    assert r.function == "spinner_write"
    assert r.pid == 77


def test_second_crash_before_the_first_ends() -> None:
    warning = logs.WARNING.splitlines()
    cut = warning[:14]  # the trace is cut short by the next crash
    text = "\n".join(cut) + "\n" + logs.GPF
    first, second = parse_text(text)
    assert (first.kind, first.function) == ("warning", "foo_tx_done")
    assert (second.kind, second.function) == ("gpf", "nft_set_elem_destroy")
    assert first.last_line < second.first_line


def test_truncated_report_is_flushed_and_marked() -> None:
    text = (
        "[  10.000001] BUG: unable to handle page fault for address: ffffc90000a3f000\n"
        "[  10.000002] #PF: supervisor read access in kernel mode\n"
    )
    (r,) = parse_text(text)
    assert r.kind == "page_fault"
    assert r.corrupted and r.function is None
    assert r.title == "BUG: unable to handle kernel paging request in corrupted"


def test_report_completes_on_the_line_after_its_end_marker() -> None:
    asm = Assembler()
    lines = logs.DIVIDE_ERROR.splitlines()
    for i, line in enumerate(lines):
        assert asm.feed(KernelRecord(message=line, position=f"c{i}")) == []
    assert asm.pending_start_position == "c0"
    done = asm.feed(KernelRecord(message="[   61.100000] eth0: link up", position="cX"))
    assert [r.function for r in done] == ["pool_io_hints"]
    assert asm.pending_start_position is None


def test_records_carry_journal_metadata() -> None:
    asm = Assembler()
    out = []
    for i, line in enumerate(logs.read_log("seed_npd.txt").splitlines()):
        rec = KernelRecord(
            message=line,
            boot_id="b00t",
            monotonic_us=5_000_000 + i,
            realtime=1764151200.0 + i,
            priority=4,
            position=f"s=1;i={i}",
        )
        out += asm.feed(rec)
    assert out == [] and asm.pending_start_position == "s=1;i=0"
    (r,) = asm.flush()
    assert (r.boot_id, r.start_position, r.end_position) == ("b00t", "s=1;i=0", "s=1;i=8")
    assert r.realtime == 1764151200.0


def test_expire_closes_quiet_reports_only() -> None:
    asm = Assembler(gap_seconds=5.0)
    for line in logs.HUNG_TASK.splitlines():
        asm.feed(KernelRecord(message=line))
    assert asm.expire(time.monotonic()) == []
    (r,) = asm.expire(time.monotonic() + 6)
    assert r.kind == "hung_task"
    assert asm.flush() == []


def test_kernel_time_gap_ends_a_report() -> None:
    text = logs.HUNG_TASK + "[ 7500.000000] Call Trace:\n[ 7500.000001]  unrelated_fn+0x1/0x2\n"
    (r,) = parse_text(text)
    assert "unrelated_fn" not in [f.function for f in r.frames]


def test_endless_report_is_bounded() -> None:
    asm = Assembler(max_report_lines=100)
    out = asm.feed(KernelRecord(message="WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2"))
    for i in range(10_000):
        out += asm.feed(KernelRecord(message=f" g{i}+0x1/0x2"))
    out += asm.flush()
    assert len(out) == 1 and len(out[0].lines) == 100


def test_open_reports_are_bounded() -> None:
    asm = Assembler()
    out = []
    for i in range(50):
        out += asm.feed(
            KernelRecord(message=f"[ 1.0][ T{i}] WARNING: CPU: 0 PID: {i} at a.c:1 f{i}+0x1/0x2")
        )
        assert len(asm._open) <= MAX_OPEN
    out += asm.flush()
    assert len(out) == 50


def _feed_lines(asm: Assembler, text: str) -> List:
    out = []
    for line in text.splitlines():
        out += asm.feed(KernelRecord(message=line))
    return out


def _feed_each(asm: Assembler, text: str) -> List[List]:
    """What each line of `text` completed, line by line."""
    return [asm.feed(KernelRecord(message=line)) for line in text.splitlines()]


PANIC_TAIL = (
    "[   61.000012] Kernel panic - not syncing: Fatal exception\n"
    "[   61.000013] Kernel Offset: disabled\n"
    "[   61.000014] ---[ end Kernel panic - not syncing: Fatal exception ]---\n"
)


def test_live_report_is_complete_on_its_end_marker_line() -> None:
    asm = Assembler(gap_seconds=5.0, live=True, quiet_seconds=0.2)
    done = _feed_each(asm, logs.DIVIDE_ERROR)
    end = next(i for i, line in enumerate(logs.DIVIDE_ERROR.splitlines()) if "end trace" in line)
    assert [i for i, out in enumerate(done) if out] == [end], "sent on the end marker, not later"
    (r,) = done[end]
    assert r.function == "pool_io_hints" and not r.panicked
    assert r.lines[-1].startswith("---[ end trace")
    assert asm.pending_start_position is None, "a sent report is not resumed from"


def test_live_panic_tail_after_the_end_marker_is_no_second_report() -> None:
    asm = Assembler(gap_seconds=5.0, live=True, quiet_seconds=0.2)
    assert len(_feed_lines(asm, logs.DIVIDE_ERROR)) == 1
    assert _feed_lines(asm, PANIC_TAIL) == []
    assert asm.expire(time.monotonic() + 60) == [] and asm.flush() == []
    # and the next report after the tail is a report of its own
    assert [r.kind for r in _feed_lines(asm, logs.GPF)] == ["gpf"]


def test_a_whole_log_keeps_the_panic_tail_in_the_report() -> None:
    # kcrashd parse and the post-mortem read a finished log: the tail is part of it
    (r,) = parse_text(logs.DIVIDE_ERROR + PANIC_TAIL)
    assert r.function == "pool_io_hints" and r.panicked
    assert r.lines[-1].startswith("---[ end Kernel panic")


def test_live_panic_report_is_complete_on_its_end_line() -> None:
    asm = Assembler(gap_seconds=5.0, live=True, quiet_seconds=0.2)
    (r,) = _feed_lines(asm, logs.PANIC)
    assert r.kind == "panic"


ONE_IO_ERROR = "[ 4020.000003] I/O error, dev sdb, sector 123456789 op 0x0:(READ) flags 0x80700\n"


@pytest.mark.parametrize("text", [logs.HUNG_TASK, logs.MCE, logs.RCU_STALL, ONE_IO_ERROR])
def test_live_report_without_an_end_marker_completes_after_the_quiet_not_the_gap(text) -> None:
    asm = Assembler(gap_seconds=5.0, live=True, quiet_seconds=0.2)
    fed = time.monotonic()
    assert _feed_lines(asm, text) == []
    due = asm.next_expiry
    assert due is not None and due <= time.monotonic() + 0.2
    assert due >= fed + 0.2 - 0.05, "the quiet is measured from its last line"
    (r,) = asm.expire(due)
    assert r.lines == parse_text(text)[0].lines
    assert asm.next_expiry is None


def test_whole_log_report_without_an_end_marker_waits_for_the_gap() -> None:
    asm = Assembler(gap_seconds=5.0)
    _feed_lines(asm, logs.HUNG_TASK)
    due = asm.next_expiry
    assert due is not None and due > time.monotonic() + 4.0
    assert asm.expire(time.monotonic() + 1.0) == []
    (r,) = asm.expire(due)
    assert r.kind == "hung_task"


def test_live_report_without_an_end_marker_ends_on_a_quiet_gap_in_kernel_time() -> None:
    asm = Assembler(gap_seconds=5.0, live=True, quiet_seconds=0.2)
    assert _feed_lines(asm, logs.HUNG_TASK) == []
    # the next kernel line, 0.3 s of kernel time later: the report was over
    (r,) = asm.feed(KernelRecord(message="[ 7380.500000] e1000e: eth0 NIC Link is Up"))
    assert r.kind == "hung_task" and r.lines == parse_text(logs.HUNG_TASK)[0].lines
    # whereas a whole log waits the long gap: that line belongs to the report
    asm = Assembler(gap_seconds=5.0)
    _feed_lines(asm, logs.HUNG_TASK)
    assert asm.feed(KernelRecord(message="[ 7380.500000] e1000e: eth0 NIC Link is Up")) == []


def test_live_report_without_an_end_marker_ends_on_a_line_of_another_context() -> None:
    lines = [f"[ 7380.10000{i}][   T40] {x}" for i, x in enumerate(logs.HUNG_TASK.splitlines())]
    lines = [line.split("] ", 1)[0] + "] " + line.split("] ", 2)[2] for line in lines]
    asm = Assembler(gap_seconds=5.0, live=True, quiet_seconds=0.2)
    assert _feed_lines(asm, "\n".join(lines)) == []
    (r,) = asm.feed(
        KernelRecord(message="[ 7380.100100][    T1] e1000e 0000:00:19.0 eth0: NIC Link is Up")
    )
    assert r.kind == "hung_task" and len(r.lines) == len(lines)


def test_live_report_with_an_end_marker_is_not_cut_by_another_context() -> None:
    lines = [
        f"[   61.00000{i}][  T853] " + x.split("] ", 1)[1]
        for i, x in enumerate(logs.GPF.splitlines()[:6])
    ]
    asm = Assembler(gap_seconds=5.0, live=True, quiet_seconds=0.2)
    assert _feed_lines(asm, "\n".join(lines)) == []
    assert asm.feed(KernelRecord(message="[   61.000010][    C0] e1000e: eth0 Link is Up")) == []
    assert len(asm._open) == 1


def test_report_cut_at_max_report_lines_is_marked_truncated() -> None:
    head = logs.GPF.splitlines()[:8]  # header, CPU line, RIP ... "Call Trace:"
    frames = [f"[ 2211.9{i:05d}]  deep_fn_{i}+0x1/0x2 [deepmod]" for i in range(200)]
    text = "\n".join(head + frames) + "\n"
    (r,) = parse_text(text, max_report_lines=50)
    assert len(r.lines) == 50
    assert r.corrupted, "a report cut at the line limit has lost its tail"
    assert (r.kind, r.function) == ("gpf", "nft_set_elem_destroy")
    # incrementally the same: the cut report comes out on the line that fills it
    asm = Assembler(max_report_lines=50)
    out = []
    for i, line in enumerate(text.splitlines()):
        done = asm.feed(KernelRecord(message=line))
        if done:
            assert i == 49
        out += done
    out += asm.flush()
    assert [(x.corrupted, len(x.lines)) for x in out] == [(True, 50)]


def test_report_that_ends_within_the_limit_is_not_truncated() -> None:
    (r,) = parse_text(logs.GPF, max_report_lines=len(logs.GPF.splitlines()) + 1)
    assert not r.corrupted
    (r,) = parse_text(logs.WARNING, max_report_lines=len(logs.WARNING.splitlines()))
    assert not r.corrupted  # its end marker is the last line it may hold
