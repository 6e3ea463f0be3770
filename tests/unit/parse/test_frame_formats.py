"""Stack formats of every architecture the kernel prints, read frame by frame.

Each log in tests/fixtures/logs/synthetic/formats is synthetic: written by hand from the
kernel's own printing code (cited in that directory's README.md and below), with placeholder
addresses and names.
"""

from __future__ import annotations

from typing import List

from kcrashd.model import CrashReport
from kcrashd.parse import parse_text
from kcrashd.parse.frames import parse_frame, split_tag
from tests.unit.parse.logs import SYNTHETIC

FORMATS = SYNTHETIC / "formats"


def _one(name: str) -> CrashReport:
    reports = parse_text((FORMATS / name).read_text())
    assert len(reports) == 1, [r.title for r in reports]
    return reports[0]


def _names(r: CrashReport) -> List[object]:
    return [f.function for f in r.frames]


def test_x86_stack_tag_on_the_frame_line() -> None:
    # arch/x86/kernel/dumpstack_64.c (2.6.27-4.8): print_trace_stack() prints " <IRQ> " and
    # " <EOI> " without a newline, so the first frame of each stack shares the tag's line
    r = _one("x86_64_rhel6_irq_tags.txt")
    names = _names(r)
    assert names[0] == "run_timer_softirq"  # the frame on the "<IRQ>" line
    assert names[7] == "foo_poll_status"  # the frame on the "<EOI>" line
    assert len(names) == 12
    assert (r.kind, r.function, r.module) == ("soft_lockup", "foo_poll_status", "foo")


def test_x86_nmi_and_exception_stack_tags() -> None:
    # dump_trace(): an exception stack ends with " <<EOE>> ", here followed by " <IRQ> "
    r = _one("x86_64_rhel6_nmi_eoe.txt")
    names = _names(r)
    assert names[0] == "panic" and "bar_irq_handler" in names and "mwait_idle" in names
    assert len(names) == 22
    # the hard-lockup watchdog's NMI and perf overflow path is reporting, not the culprit
    assert (r.kind, r.function) == ("hard_lockup", "bar_spin_wait")


def test_split_tag_reads_every_tag() -> None:
    assert split_tag("<IRQ>  [<ffffffff810a1b2c>] ? f+0x1/0x2") == (
        "<IRQ>",
        "[<ffffffff810a1b2c>] ? f+0x1/0x2",
    )
    assert split_tag("<#DF> [<ffffffff810a1b2c>] f+0x1/0x2")[0] == "<#DF>"
    assert split_tag("f+0x1/0x2") == (None, "f+0x1/0x2")


def test_lockdep_at_lines_keep_the_frames_after_them() -> None:
    # kernel/locking/lockdep.c print_bad_irq_dependency(): "... which became HARDIRQ-irq-safe
    # at:" then print_lock_trace(); the trace's first frame is a frame, not swallowed
    r = _one("x86_64_lockdep_irq_safe.txt")
    names = _names(r)
    assert names[:3] == ["lock_acquire", "_raw_spin_lock_irqsave", "foo_timeout_fn"]
    assert names.count("kill_fasync") == 2  # the irq-unsafe trace and the stack backtrace
    assert len(names) == 34
    # the lock being taken (kill_fasync) is a wake-up helper: the irq-safe user comes next
    assert (r.kind, r.function) == ("lockdep", "foo_timeout_fn")


def test_lockdep_release_site_is_the_next_frame_and_a_frame() -> None:
    # print_unlock_imbalance_bug(): "is trying to release lock (x) at:" then print_ip_sym()
    r = _one("x86_64_lockdep_bad_unlock.txt")
    assert _names(r)[0] == "foo_set_config"
    assert len(r.frames) == 9
    assert (r.function, r.module) == ("foo_set_config", "foo")
    assert r.title == "WARNING: bad unlock balance in foo_set_config"


def test_arm32_verbose_lines_are_one_frame_each() -> None:
    # arch/arm/kernel/traps.c dump_backtrace_entry(), CONFIG_BACKTRACE_VERBOSE / before 5.x:
    # "[<where>] (f) from [<from>] (g+0x..)": g is the next line's f; a bare-address caller
    # "(0xbf0010a8)" is a frame of its own line, not a second copy
    r = _one("arm32_4x_verbose_backtrace.txt")
    assert _names(r) == ["foo_write", "vfs_write", None, "ksys_write"]
    assert r.frames[0].module == "foo" and r.frames[2].address == 0xBF0010A8
    assert (r.kind, r.function, r.module) == ("page_fault", "foo_write", "foo")
    assert (r.pid, r.comm, r.kernel) == (612, "sh", "4.19.94-v7+")


def test_arm32_short_lines_and_unwind_backtrace_skipped() -> None:
    # v6.1 default: " %ps from %pS"; the unwinder itself is the first line
    r = _one("arm32_6x_warning_backtrace.txt")
    names = _names(r)
    assert names[0] == "unwind_backtrace" and names[-1] == "kthread" and len(names) == 18
    assert r.frames[5].module == "foo"
    assert (r.kind, r.function) == ("warning", "foo_probe")


def test_arm32_without_kallsyms() -> None:
    f = parse_frame("Function entered at [<c0108e2c>] from [<c010b97c>]")
    assert f is not None and f.function is None and f.address == 0xC0108E2C


def test_i386_eip_footer_is_not_a_frame_and_eflags_gives_the_release() -> None:
    # arch/i386/kernel/traps.c (2.6.18) die(): "EIP: [<addr>] f SS:ESP ..." after the trace;
    # show_registers(): "EFLAGS: %08lx   (%s %.*s)" with the release, "Process %s (pid: %d,"
    r = _one("i386_rhel5_oops.txt")
    assert _names(r) == ["foo_proc_read", "vfs_read", "sys_read", "syscall_call"]
    assert (r.function, r.module, r.rip.function) == ("foo_read", "foo", "foo_read")
    assert (r.kernel, r.pid, r.comm, r.cpu) == ("2.6.18-194.el5PAE", 4321, "cat", 1)
    assert [k for k, _ in r.taint] == ["P"]
    assert r.panicked


def test_s390_parenthesised_and_address_only_frames_kept_last_break_not_a_frame() -> None:
    # arch/s390/kernel/dumpstack.c show_stack(): " [<ip>] f" or, unreliable, "([<ip>] f)";
    # %pSR of an unknown address prints it bare; show_last_breaking_event() is a register
    r = _one("s390x_6x_oops.txt")
    names = _names(r)
    assert len(names) == 14 and names[-1] == "system_call"
    assert r.frames[1].function == "dasd_foo_probe" and not r.frames[1].reliable
    assert r.frames[3].function is None and r.frames[3].address == 0x3FF80129F20
    assert (r.function, r.module, r.kernel) == ("dasd_foo_probe", "dasd_foo", "6.1.0-13-s390x")


def test_ppc64_leading_dots_and_interrupt_frame() -> None:
    # arch/powerpc/kernel/process.c show_stack(): ELFv1 ".func" names, "(unreliable)" first
    # frame, "--- interrupt: 700 at f" for the interrupted instruction
    r = _one("ppc64_elfv1_warning.txt")
    names = _names(r)
    assert all(n and not n.startswith(".") for n in names)
    assert names[4] == "foo_submit" and len(names) == 10
    assert not r.frames[0].reliable
    assert (r.kind, r.function, r.title) == ("warning", "foo_submit", "WARNING in foo_submit")


def test_rust_symbols_demangled_and_panic_path_skipped() -> None:
    # Rust v0 (_R...) and legacy (_ZN...E) symbols; rust_begin_unwind and core::panicking are
    # the panic handler, rust_helper_BUG the C helper (rust/helpers)
    r = _one("rust_6x_panic.txt")
    names = _names(r)
    assert "__rustc::rust_begin_unwind" in names
    assert "core::panicking::panic_const::panic_const_sub_overflow" in names
    assert "rust_foo::device::Device::poll" in names
    assert r.function == "<rust_foo::device::Device>::reset"
    assert r.title == "attempt to subtract with overflow in <rust_foo::device::Device>::reset"
    assert r.kind == "panic"
