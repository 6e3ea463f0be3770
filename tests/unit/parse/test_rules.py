"""The infrastructure table: documented groups, whole-name matching, and the rules that use
it (stack walkers, dispatch anchors, addresses, hung-task waits)."""

from __future__ import annotations

import re

import pytest

from kcrashd.parse import guilty as gu
from kcrashd.parse import rules as ru
from kcrashd.parse.infrastructure import GROUPS

# the one suffix convention: v6.10 memory allocation profiling renames every allocator entry
# point f to f_noprof (include/linux/alloc_tag.h), and nothing else ends in "_noprof"
SUFFIX_CONVENTIONS = {r"\w+_noprof"}
_KERNEL_PATH = re.compile(
    r"^(?:arch|kernel|mm|lib|fs|drivers|net|include|block|crypto|rust|virt|sound)/[\w.*/-]*$"
)


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.name)
def test_every_group_says_why_and_where(group: ru.Group) -> None:
    assert group.role in ru.ROLES
    assert len(group.reason) > 40 and group.reason.rstrip().endswith(".")
    assert group.source and all(_KERNEL_PATH.match(s) for s in group.source), group.source
    assert group.names or group.patterns
    for name in group.names + group.other_versions:
        assert re.fullmatch(r"[A-Za-z_<][\w:<>& ]*", name), name
    for pattern in group.patterns:
        re.compile(pattern)
        if group.role in (ru.INFRA, ru.WALK, ru.THUNK) and pattern not in SUFFIX_CONVENTIONS:
            # never a substring: a global pattern names a family, not any name containing it
            # (an optional "<owner>_" prefix is a naming convention: foo_compat_ioctl)
            assert not pattern.startswith((r"\w*", ".*", r"\w+")), pattern


def test_group_names_are_unique() -> None:
    names = [g.name for g in GROUPS]
    assert len(names) == len(set(names))


def test_whole_names_not_substrings() -> None:
    r = ru.rules()
    assert r.infrastructure("oops_begin")
    assert not r.infrastructure("will_oops_init")
    assert r.infrastructure("mutex_lock_nested") and not r.infrastructure("foo_mutex_lock_bar")
    assert r.infrastructure("__kasan_check_read") and not r.infrastructure("my_kasan_wrapper")


def test_clone_suffixes_match_the_function() -> None:
    r = ru.rules()
    assert r.infrastructure("dump_stack.cold") and r.infrastructure("__warn.isra.0.cold")
    assert ru.clean_name("foo.constprop.0.cold") == "foo"


def test_a_hex_address_is_never_the_guilty_function() -> None:
    assert gu.first_usable(["ffffffffc0a12345", "0xffffffffa0001000", "foo_probe"]) == "foo_probe"
    assert ru.is_address("ffffffffc0a12345") and not ru.is_address("dead_code")


def test_stack_walker_is_infrastructure_only_for_infrastructure() -> None:
    # /proc/PID/wchan asks for the walk: a fault in the unwinder is the unwinder's
    assert gu.first_usable(["__read_once_word_nocheck", "__unwind_start", "__get_wchan"]) == (
        "__unwind_start"
    )
    # a sanitizer saving a stack: the walker works for it
    names = ["arch_stack_walk", "stack_trace_save", "kasan_save_stack", "kasan_set_track", "f"]
    assert gu.first_usable(names) == "f"


def test_a_fault_in_a_dispatcher_names_the_dispatcher() -> None:
    # a timer callback reached through a corrupted pointer: the thunk, then the dispatcher
    names = ["__x86_indirect_thunk_rax", "run_timer_softirq", "__do_softirq", "irq_exit"]
    assert gu.first_usable(names, stop_at_anchor=True) == "run_timer_softirq"
    assert gu.first_usable(names) is None
    # an anchor deeper in the stack is passed by as before
    assert gu.first_usable(["kfree", "process_one_work", "f"], stop_at_anchor=True) == "f"


def test_stall_frame_above_the_dispatch() -> None:
    # a compat wrapper is infrastructure: the stalled code is the ioctl it wraps...
    names = ["lo_ioctl", "lo_compat_ioctl", "compat_blkdev_ioctl", "compat_sys_ioctl"]
    assert gu.stall_frame(names) == "lo_ioctl"
    # ...unless it is the only frame above the dispatch: then it is what ran
    assert gu.stall_frame(["kvm_vm_compat_ioctl", "compat_SyS_ioctl", "sysenter_dispatch"]) == (
        "kvm_vm_compat_ioctl"
    )


def test_hung_task_named_waits_and_fallback() -> None:
    assert gu.hung_task_frame(["__schedule", "schedule", "rtnl_lock", "foo_ioctl"]) == "rtnl_lock"
    names = ["schedule", "wait_for_completion", "__synchronize_srcu", "fsnotify_destroy"]
    assert gu.hung_task_frame(names) == "synchronize_rcu"
    # every frame is a wait by name: the first non-infrastructure one still names the task
    assert gu.hung_task_frame(["schedule", "foo_wait_ready", "kthread"]) == "foo_wait_ready"


def test_syscall_prefixes_stripped() -> None:
    assert gu.strip_syscall_prefix("__x64_sys_rmdir") == "sys_rmdir"
    assert gu.strip_syscall_prefix("compat_SyS_mount") == "mount"
    assert gu.strip_syscall_prefix("__do_sys_io_uring_enter.isra.0") == "sys_io_uring_enter"
