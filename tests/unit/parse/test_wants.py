"""`Assembler.wants`: the official pre-filter a reader uses to pass over lines unfed."""

from __future__ import annotations

import pytest

from kcrashd.model import REPORT_KINDS, KernelRecord
from kcrashd.parse import Assembler, parse_text
from kcrashd.parse.headers import _TABLE, classify
from tests.unit.parse import logs
from tests.unit.parse.test_assembler import ALL

# One real header line for every format of the detection table (header name -> line).
HEADERS = {
    "kasan": "BUG: KASAN: slab-use-after-free in foo_release+0x2c/0x90 [foo]",
    "kfence": "BUG: KFENCE: use-after-free read in test_use_after_free_read+0xb3/0x143",
    "kmsan": "BUG: KMSAN: uninit-value in __hid_submit_report+0x2a7/0x550",
    "kcsan": "BUG: KCSAN: data-race in generic_permission / kernfs_refresh_inode",
    "leak": "kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
    "soft_lockup": "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [busy:1234]",
    "hard_lockup": "watchdog: Watchdog detected hard LOCKUP on cpu 3",
    "page_fault": "BUG: kernel NULL pointer dereference, address: 0000000000000000",
    "lockdep_bug": "BUG: bad unlock balance detected!",
    "kernel_bug": "kernel BUG at mm/slub.c:4312!",
    "slub": "BUG kmalloc-64 (Not tainted): Poison overwritten",
    "bug": "BUG: scheduling while atomic: swapper/0/0/0x00000002",
    "lockdep_warning": "WARNING: possible circular locking dependency detected",
    "lockdep_at": "WARNING: CPU: 0 PID: 1 at kernel/locking/lockdep.c:4520 lock_acquire+0x1/0x2",
    "warning": "WARNING: CPU: 2 PID: 871 at drivers/net/foo/foo.c:1234 foo_tx+0x8c/0x120 [foo]",
    "hung_task": "INFO: task jbd2/sda1-8:245 blocked for more than 120 seconds.",
    "rcu_stall": "rcu: INFO: rcu_preempt self-detected stall on CPU",
    "info": "INFO: something unexpected happened in foo_probe",
    "gpf": "general protection fault, probably for non-canonical address 0xdffffc0000000002: "
    "0000 [#1] PREEMPT SMP KASAN",
    "stack_segment": "stack segment: 0000 [#1] PREEMPT SMP KASAN",
    "double_fault": "traps: PANIC: double fault, error_code: 0x0",
    "divide_error": "divide error: 0000 [#1] PREEMPT SMP NOPTI",
    "invalid_opcode": "invalid opcode: 0000 [#1] PREEMPT SMP NOPTI",
    "int3": "int3: 0000 [#1] PREEMPT SMP KASAN",
    "arm_internal": "Internal error: Oops: 0000000096000005 [#1] PREEMPT SMP",
    "arm_unhandled": "Alignment trap: not handling instruction e1923f9f at [<c0210fa4>]",
    "ubsan": "UBSAN: array-index-out-of-bounds in drivers/gpu/foo.c:123:45",
    "panic": "Kernel panic - not syncing: Fatal exception",
    "rust_panic": "rust_kernel: panicked at 'attempt to add with overflow', rust/kernel/a.rs:1:5",
    "trusty": "trusty: panic notifier - trusty version Built: 12:00:00 Jan  1 2024",
    "unregister": "unregister_netdevice: waiting for lo to become free. Usage count = 2",
    "vfs": "VFS: Busy inodes after unmount of sda1. Self-destruct in 5 seconds.",
    "oom": "stress invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE), order=0",
    "oom_killed": "Out of memory: Killed process 4242 (stress) total-vm:8000kB",
    "mce": "mce: [Hardware Error]: Machine check events logged",
    "io_error": "I/O error, dev sda, sector 123456 op 0x0:(READ) flags 0x0 phys_seg 1",
    "alloc_failure": "kworker/u8:3: page allocation failure: order:4, "
    "mode:0x40cc0(GFP_KERNEL|__GFP_COMP), nodemask=(null),cpuset=/,mems_allowed=0",
    "syz": "SYZFAIL: failed to recv rpc",
    "go_fatal": "fatal error: runtime: out of memory",
}
PREFIXES = ("", "[  123.456789] ", "[  123.456789][ T4242] ", "kernel: ", "<4>[   12.5] ")


def test_every_header_format_has_an_example() -> None:
    assert sorted(HEADERS) == sorted(name for name, *_ in _TABLE)


def test_every_kind_is_in_the_vocabulary() -> None:
    assert {kind for _, kind, *_ in _TABLE} <= set(REPORT_KINDS)


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_every_header_line_is_wanted(name: str) -> None:
    line = HEADERS[name]
    hit = classify(line)
    assert hit is not None and hit[0].name == name  # the example really is that header
    for prefix in PREFIXES:
        assert Assembler().wants(prefix + line), prefix + line


def test_first_line_of_every_sample_report_is_wanted() -> None:
    kinds = set()
    for text in ALL:
        for report in parse_text(text):
            kinds.add(report.kind)
            assert Assembler().wants(report.lines[0]), report.lines[0]
            first = text.splitlines()[report.first_line - 1]
            assert Assembler().wants(first), first
    assert len(kinds) >= 15


def test_everything_is_wanted_while_a_report_is_open() -> None:
    asm = Assembler()
    quiet = "[  10.000000] eth0: link up, 1000 Mbps full duplex"
    assert not asm.wants(quiet)
    asm.feed(KernelRecord(message="[  10.000001] " + HEADERS["warning"]))
    assert asm.wants(quiet)
    asm.flush()
    assert not asm.wants(quiet)


def test_skipping_unwanted_lines_gives_the_same_reports() -> None:
    for text in ALL + ["".join(ALL)]:
        fed, skipped = Assembler(), Assembler()
        a, b = [], []
        for line in text.splitlines():
            a += fed.feed(KernelRecord(message=line))
            if skipped.wants(line):
                b += skipped.feed(KernelRecord(message=line))
        a += fed.flush()
        b += skipped.flush()
        strip = ("first_line", "last_line")
        assert [{k: v for k, v in r.to_dict().items() if k not in strip} for r in b] == [
            {k: v for k, v in r.to_dict().items() if k not in strip} for r in a
        ]


def test_wants_raw_is_wants_on_the_utf8_bytes() -> None:
    asm = Assembler()
    lines = [line for text in ALL + [logs.CRASH_FREE] for line in text.splitlines()]
    lines += ["caf\udcff BUG: x", "\u00e9BUG\u00e9", "pa\u00efnic", "kernel p\u00e1nic"]
    for line in lines:
        raw = line.encode("utf-8", "surrogateescape")
        text = raw.decode("utf-8", "replace")
        assert asm.wants_raw(raw) == asm.wants(text), line
    # invalid UTF-8 around a keyword: the replacement characters do not hide it
    assert asm.wants_raw(b"\xff\xfeBUG: x") and asm.wants(
        b"\xff\xfeBUG: x".decode("utf-8", "replace")
    )


def test_crash_free_text_is_not_wanted() -> None:
    asm = Assembler()
    assert not any(asm.wants(line) for line in logs.CRASH_FREE.splitlines())
