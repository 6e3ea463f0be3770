"""Where a report starts and ends: SLUB object debugging, machine check + panic, repeated
one-line BUGs, page allocation failures, old header forms and stackless notices."""

from __future__ import annotations

from kcrashd.model import KernelRecord
from kcrashd.parse import Assembler, parse_text
from tests.unit.parse.logs import SYNTHETIC

FORMATS = SYNTHETIC / "formats"


def test_slub_object_debug_is_one_report_with_its_info_lines() -> None:
    # mm/slub.c before 2.6.37: "BUG <cache>: <what>" (no taint part) and its details as
    # "INFO:" lines; the allocation and free tracks are not the reporting stack
    text = (FORMATS / "x86_64_2.6_slub_poison.txt").read_text()
    (r,) = parse_text(text)
    assert (r.kind, r.function, r.module) == ("bug", "foo_submit", "foo")
    assert r.title == "BUG kmalloc-NUM: Poison overwritten"
    assert any(line.startswith("INFO: Freed in") for line in r.lines)
    assert any(line.startswith("FIX kmalloc-192: Marking") for line in r.lines)
    assert (r.pid, r.comm, r.kernel) == (5120, "kworker/2:1", "2.6.32-754.35.1.el6.x86_64")


def test_slub_header_with_taint_part() -> None:
    text = (
        "BUG kmalloc-64 (Tainted: G    B      O   ): Redzone overwritten\n"
        "INFO: 0xffff8881a1b2c3d8-0xffff8881a1b2c3df @offset=984. First byte 0x0 instead of 0xcc\n"
        "CPU: 1 PID: 77 Comm: foo Tainted: G    B      O   6.1.0-13-amd64 #1\n"
        "Call Trace:\n"
        " <TASK>\n"
        " dump_stack_lvl+0x44/0x5c\n"
        " check_bytes_and_report.cold+0x5b/0x7a\n"
        " check_object+0x1c6/0x240\n"
        " free_debug_processing+0x1a7/0x2b0\n"
        " kfree+0x28a/0x3d0\n"
        " foo_destroy+0x44/0x60 [foo]\n"
        " </TASK>\n"
    )
    (r,) = parse_text(text)
    assert (r.kind, r.function) == ("bug", "foo_destroy")


def test_a_line_that_only_looks_like_a_slub_header_is_not_one() -> None:
    assert parse_text("BUG foo: something the driver printed\n") == []


def test_machine_check_and_its_panic_are_one_report() -> None:
    # 2.6.18 (arch/x86_64/kernel/mce.c): the bank line, a TSC line, then the panic
    text = (
        "CPU 0: Machine Check Exception:                4 Bank 4: b200000000070f0f\n"
        "TSC 2f8b5c0dc3e \n"
        "Kernel panic - not syncing: Machine check\n"
    )
    (r,) = parse_text(text)
    assert (r.kind, r.panicked) == ("mce", True)
    assert r.details["bank"] == 4


def test_machine_check_report_ends_after_unrelated_lines() -> None:
    text = "mce: [Hardware Error]: Machine check events logged\n" + "".join(
        f"eth0: link up {i}\n" for i in range(12)
    )
    (r,) = parse_text(text)
    assert r.kind == "mce" and len(r.lines) <= 8


def test_repeated_one_line_bug_is_one_report_with_a_repeat_count() -> None:
    # kernel/fork.c check_mm(): "BUG: Bad rss-counter state mm:%p type:%s val:%ld" per counter
    line = "BUG: Bad rss-counter state mm:{} type:MM_ANONPAGES val:1\n"
    text = line.format("000000009c7e3f2a") + line.format("00000000d1a4b7c6")
    (r,) = parse_text(text)
    assert r.details["repeats"] == 2 and len(r.lines) == 2
    other = text + "BUG: Bad rss-counter state mm:000000009c7e3f2a type:MM_FILEPAGES val:-1\n"
    assert [x.details.get("repeats") for x in parse_text(other)] == [2, None]


def test_repeat_count_through_the_assembler() -> None:
    asm = Assembler()
    out = []
    for i in range(3):
        out += asm.feed(KernelRecord(message=f"BUG: non-zero pgtables_bytes on freeing mm: {i}"))
    out += asm.flush()
    assert len(out) == 1 and out[0].details["repeats"] == 3


def test_page_allocation_failure_is_a_report() -> None:
    # mm/page_alloc.c warn_alloc(): "<comm>: page allocation failure: order:N, mode:..." + stack
    (r,) = parse_text((FORMATS / "x86_64_6x_page_allocation_failure.txt").read_text())
    assert (r.kind, r.function, r.module) == ("alloc_failure", "foo_ring_alloc", "foo")
    assert r.title == "page allocation failure: order:4 in foo_ring_alloc"
    assert (r.pid, r.comm) == (2211, "kworker/u8:3")
    assert not r.corrupted
    assert any(line.startswith("Mem-Info:") for line in r.lines)


def test_vmalloc_failure_forms() -> None:
    for head in (
        "stress: vmalloc error: size 4294967296, vm_struct allocation failed, "
        "mode:0xdc0(GFP_KERNEL|__GFP_ZERO), nodemask=(null),cpuset=/,mems_allowed=0",
        "stress: vmalloc: allocation failure: 4294967296 bytes, mode:0x6000c0(GFP_KERNEL)",
    ):
        (r,) = parse_text(head + "\nCPU: 0 PID: 9 Comm: stress Not tainted 6.1.0 #1\n")
        assert r.kind == "alloc_failure" and r.title.startswith("vmalloc failure")


def test_stackless_warning_notice_is_not_a_report() -> None:
    # kernel/workqueue.c pr_warn("WARNING: workqueue cpumask: ..."): a notice, not WARN()
    notice = "WARNING: workqueue cpumask: online intersect > possible intersect\n"
    assert parse_text(notice) == []


def test_warn_line_and_unwinder_warning_are_reports_even_without_a_stack() -> None:
    # a truncated WARN() keeps its line; the x86 unwinder's own one-line warnings are reports
    assert parse_text("WARNING: CPU: 0 PID: 1 at fs/foo.c:12 foo_bar+0x1/0x2\n")
    bp = (
        "WARNING: kernel stack regs at ffff8801d100fea8 in syz-executor1:16059 has bad 'bp' "
        "value ffff8801d100ff28\n"
    )
    assert parse_text(bp)


def test_divide_error_with_an_underscore() -> None:
    text = (
        "divide_error: 0000 [#1] PREEMPT SMP KASAN\n"
        "CPU: 1 PID: 5 Comm: x Not tainted 6.1.0 #1\n"
        "RIP: 0010:foo_rate+0x51/0x90\n"
        "Call Trace:\n"
        " foo_update+0x20/0x40\n"
    )
    (r,) = parse_text(text)
    assert (r.kind, r.function) == ("exception", "foo_rate")


def test_io_errors_of_virtual_block_devices_are_not_reports() -> None:
    # a loop device's error says nothing about a disk; the crash after it is the report
    text = (
        "blk_update_request: I/O error, dev loop0, sector 0 op 0x0:(READ) flags 0x80700\n"
        "Buffer I/O error on dev loop0, logical block 0, async page read\n"
        "BUG: KASAN: use-after-free in foo_end_io+0x2c/0x90\n"
        "Read of size 8 at addr ffff88802a1b3c40 by task kworker/0:1/12\n"
    )
    (r,) = parse_text(text)
    assert r.kind == "kasan"
    assert parse_text("I/O error, dev sda, sector 2048 op 0x0:(READ) flags 0x0\n")[0].kind == (
        "io_error"
    )
