"""Picking the guilty function: skip lists, syscall prefixes and stack recipes.

The guilty function is the first frame that is not reporting, sanitizer, allocator,
locking, string, user-copy or other infrastructure code (DESIGN.md section 6). Skip
patterns match anywhere in the name, as syzkaller's do.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Pattern, Sequence

from kcrashd.model import Frame

_SKIP = (
    # reporting, sanitizers, traps
    r"__sanitizer|__asan|kasan|hwasan|__msan|kmsan|kcsan|__tsan|__ubsan|ubsan_"
    r"|print_address_description|print_report|dump_stack|show_stack|dump_backtrace|show_regs"
    r"|show_trace|__warn|warn_slowpath|warn_alloc|warn_bogus|report_bug|fixup_bug|do_bug"
    r"|panic|invalid_op|do_error|_trap$|do_int3|do_debug|exc_int3|exc_invalid_op|handle_bug"
    r"|asm_exc_|die$|__die|oops_|bad_area|no_context|page_fault_oops|kernelmode_fixup"
    r"|check_memory_region|check_heap_object|check_object|memory_is_|check_region|instrument_"
    r"|read_word_at_a_time|(?:read|write)_once|__read_once|__write_once|stack_trace|save_stack"
    r"|should_fail|fail_dump|debug_object|timer_is_static_object|work_is_static_object"
    r"|^bug_|^__bug|__might_|___might_sleep|might_fault|print_unlock|imbalance_bug|print_circular"
    r"|check_noncircular|print_bad|check_prev_add|validate_chain|mark_lock"
    # allocators
    r"|alloc_page|alloc_pages|^k?v?[mzc]alloc|krealloc|kmem_cache|allocate_slab|slab_|kmalloc"
    r"|kzalloc|kcalloc|__alloc_pages|__alloc_frozen_pages|_noprof$|folio_alloc|filemap_alloc_folio|__filemap_get_folio"
    r"|pagecache_get_page|find_or_create_page|grab_cache_page|vmalloc|vzalloc|kvmalloc|kmemdup"
    r"|kstrdup|memdup|__kmem|new_slab|___slab|__slab|slub_|^kfree|^kvfree|^vfree|kfree_sensitive"
    r"|kfree_skb|consume_skb|__kfree_skb|skb_release|debug_check_no_obj_freed|free_debug_processing"
    r"|__free_pages|free_pages|free_unref|free_pcp|put_page|__put_page|^__folio_put"
    # locking, rcu, refcounts, atomics, bitops
    r"|lockdep|lock_acquire|lock_release|lock_is_held|lock_sock|release_sock|spin_lock"
    r"|spin_trylock|spin_unlock|spin_dump|spin_bug|rwlock_bug|register_lock_class|__lock_acquire"
    r"|look_up_lock_class|lock_class|check_preemption_disabled|debug_smp_processor_id"
    r"|__this_cpu_preempt_check|debug_print_object|__debug_object|_raw_|do_raw_|read_lock|read_unlock|write_lock|write_unlock"
    r"|mutex_|down_read|down_write|up_read|up_write|^down$|^up$|down_trylock|down_interruptible"
    r"|down_killable|osq_lock|rt_mutex|rwsem|percpu_down|percpu_up|queued_spin|queued_read"
    r"|queued_write|native_queued|pv_queued|__pv_queued|_mutex_lock|_mutex_unlock|bit_spin"
    r"|rcu_lock_|rcu_read_lock|rcu_read_unlock|__rcu_read|refcount_|kref_|ref_tracker"
    r"|atomic_|atomic64_|arch_atomic|test_and_set_bit|test_and_clear_bit|test_bit|set_bit"
    r"|clear_bit|change_bit|bitmap_|__bitmap|seqcount|seqlock|read_seqbegin|local_bh_|__local_bh"
    r"|preempt_count|preempt_schedule|_find_first|_find_next|find_first_bit|find_next_bit"
    # strings and memory
    r"|memcpy|memcmp|memset|memchr|memmove|memscan|^str[a-z]*$|^__str|string|pointer|vsnprintf"
    r"|snprintf|sprintf|scnprintf|format_decode|fortify"
    # user copy
    r"|copy_to_user|copy_from_user|copy_in_user|_copy_to_iter|_copy_from_iter|copy_to_iter"
    r"|copy_from_iter|copy_page_to_iter|copy_page_from_iter|copyout|copyin|iterate_|^get_user"
    r"|^put_user|^__get_user|^__put_user|strncpy_from_user|clear_user|copy_user|raw_copy"
    r"|user_access|__copy_"
    # lists, trees
    r"|^list_|^__list_|^hlist_|^__hlist_|^rb_|^__rb_|rb_erase|rb_insert|^llist_|^xa_|^__xa_"
    # printk, device messages
    r"|printk|^dev_printk|^dev_(?:err|warn|info|notice|emerg|crit|alert)|^_dev_|^netdev_(?:err"
    r"|warn|info|printk)|__dynamic_|^pr_"
    # workqueue, timers, device model teardown, usb urb, mmio
    r"|^queue_work|^__queue_work|queue_delayed_work|^mod_timer|^add_timer|^del_timer"
    r"|^device_del$|^device_unregister|^kobject_put|^kobject_del|usb_submit_urb|usb_start_wait_urb"
    r"|usb_bulk_msg|usb_control_msg|usb_interrupt_msg|^readb|^readw|^readl|^readq|^writeb"
    r"|^writew|^writel|^writeq|^ioread|^iowrite|^__raw_read|^__raw_write|io_serial"
    r"|^dput$|^iput$|^fput$|^__fput$|^__dentry_kill|^dentry_kill"
    # arm64/x86 fault and exception entry
    r"|el1_abort|el1h_64_sync|el1_sync|el1_da|el1_ia|do_mem_abort|do_translation_fault"
    r"|do_page_fault|__do_page_fault|do_bad_area|__do_kernel_fault|do_kernel_fault"
    r"|die_kernel_fault|do_user_addr_fault|exc_page_fault|^page_fault$|do_alignment"
    r"|arm64_notify_die|do_undefinstr|do_el0|^trace_|perf_trace_|__traceiter"
    r"|^sysvec_|^asm_sysvec|^__sysvec|apic_timer_interrupt|^irq_exit|^__irq_exit"
    r"|^retint_|^ret_from_intr$|^common_interrupt$|^asm_common_interrupt$"
    # paravirtual spinlock waits and hypercalls (Xen, KVM guests): locking plumbing
    r"|^xen_qlock_|^xen_poll_irq|^xen_hypercall_|^hypercall_page$|^kvm_wait$|^pv_wait"
    # thunks, work/timer/device plumbing, kobjects, sysfs
    r"|__x86_indirect_thunk|__indirect_thunk|^__pfx_|^__flush_work|^flush_work|__cancel_work"
    r"|cancel_work_sync|cancel_delayed_work|init_timer_key|usb_kill_urb|usb_unlink_urb"
    r"|^kthread_stop|wait_for_completion|^__call_rcu|^call_rcu|^__vunmap|^vunmap"
    r"|rollback_registered|va_format|check_zeroed_user|seqprop_assert|debug_check_no_locks"
    r"|do_tag_check_fault|walk_stackframe|reacquire_held_locks|^__wake_up|task_rq_lock"
    r"|^kobject_|^sysfs_remove|^sysfs_create|^proc_register|^kill_fasync|^__fput|^____fput"
    r"|^fput_many|^task_work_run|^context_switch|^finish_task_switch|^__schedule|^schedule$"
    # library code: checksums, crypto primitives, radix/xarray, hash tables, device model
    r"|^crc|crc32|crc16|crc_itu|^aes_|^sha\d|^xas_|rhashtable|lock_timer_base|hex_dump"
    r"|^device_(?:add|del|remove|create|for_each|unregister|register|release)"
    r"|^get_device|^put_device|^dpm_|^ida_|^idr_|fast_dput|^klist_|assertfail|page_owner"
    r"|notifier_call_chain|^netlink_ack|^unregister_netdevice|^kset_|^bus_(?:add|remove|for)"
    r"|^driver_(?:register|unregister|attach|detach)|^__device_|^__mod_timer|^mod_timer"
    r"|try_to_del_timer|^del_timer|^timer_delete|^__timer_delete|post_alloc_hook|prep_new_page"
    r"|get_page_from_freelist|^aes|find_lock_entries|find_get_entries|truncate_inode_pages"
    r"|^unregister_netdev|^i2c_del_adapter|__unregister_client|page_pool_alloc|alloc_netmem"
    r"|^crypto_|sk_stop_timer|sk_reset_timer|^__irq_svc|^__irq_usr|gic_handle_irq|^el1_irq"
    r"|print_tainted|get_taint|rust_helper_|do_read_cache_folio|do_read_cache_page"
)
SKIP: Pattern[str] = re.compile(_SKIP)

# Extra skips per recipe.
EXTRA_SKIP = {
    "kasan_invalid_free": re.compile(r"^kfree|^vfree|^kmem_cache_free"),
    "leak": re.compile(r"kmemleak|alloc|slab|strdup|kmemdup|memdup|create_object|mempool"),
    "rcu_stall": re.compile(r"rcu|apic_timer_interrupt|^sched_clock|hrtimer|tick_|update_process"),
    "schedule": re.compile(r"schedule"),
    "ubsan": re.compile(r"ubsan|overflow"),
    "kernel_bug": re.compile(r"^skb_"),
    "hung_task": re.compile(
        r"sched|_lock|down|rwsem|completion|wait|synchronize|kthread|__switch_to|switch_to"
        r"|io_schedule|freezer|mutex|rcu_|flush_|_sem"
    ),
}

# Anchors for stalls: the guilty frame is the one just above the first anchor.
STALL_ANCHORS: Pattern[str] = re.compile(
    r"^(?:ret_from_fork|entry_SYSCALL|do_syscall_|__do_fast_syscall|do_fast_syscall"
    r"|sysenter_dispatch|tracesys|ret_fast_syscall|vector_swi|__sys_trace|el0_svc|el0t_|invoke_syscall|do_el0_svc|system_call"
    r"|process_one_work|worker_thread|vfs_read|vfs_write|vfs_readv|vfs_writev|do_iter_read"
    r"|do_iter_write|vfs_iter_read|vfs_iter_write|__vfs_read|__vfs_write|vfs_ioctl|do_vfs_ioctl"
    r"|sock_sendmsg|sock_recvmsg|netlink_dump$|(?:nf|g|rt)netlink_rcv_msg$|genl_rcv_msg$"
    r"|new_sync_read|new_sync_write|call_read_iter|call_write_iter"
    r"|netif_receive_skb|__netif_receive_skb|process_backlog|net_rx_action|call_timer_fn"
    r"|expire_timers|__run_timers|run_timer_softirq|run_ksoftirqd|smpboot_thread_fn"
    r"|__do_softirq|handle_softirqs|tasklet_action|rcu_do_batch|rcu_core"
    r"|kthread$|task_work_run|mmap_region|do_mmap|__do_fault|do_dentry_open|vfs_open"
    r"|sock_common_setsockopt|(?:__)?sys_setsockopt$"
    r"|(?:__x64_|__ia32_|__arm64_|__se_|__do_|compat_)*(?:sys|SyS|ksys)_ioctl$"
    r"|(?:compat_)?blkdev_ioctl$|block_ioctl$)"
)

_SYSCALL_ARCH = re.compile(r"^__(?:x64|ia32|arm64|riscv|s390x|s390|x32|powerpc)_(?=\w)")
_SYSCALL_SE = re.compile(r"^__(?:se|do)_(?=(?:compat_)?sys_)")
_SYSCALL_SYS = re.compile(r"^(?:compat_)?(?:SyS_|ksys_)(?=\w)")


# compiler clones of a function: "f.cold", "f.isra.0", "f.constprop.0.cold", "f.llvm.1234"
_CLONE_SUFFIX = re.compile(r"(?:\.(?:isra|constprop|part|cold|llvm|lto_priv)(?:\.\d+)*|\.\d+)+$")


def strip_syscall_prefix(name: str) -> str:
    """`__x64_sys_rmdir` -> `sys_rmdir`; `ksys_mount`, `compat_SyS_mount` -> `mount`; compiler
    clone suffixes (`.cold`, `.isra.0`, `.constprop.0`) dropped: the function is the same."""
    name = _CLONE_SUFFIX.sub("", name) or name
    name = _SYSCALL_ARCH.sub("", name)
    name = _SYSCALL_SE.sub("", name)
    return _SYSCALL_SYS.sub("", name)


def skipped(name: str, extra: Optional[Pattern[str]] = None) -> bool:
    return bool(SKIP.search(name) or (extra and extra.search(name)))


def first_usable(
    names: Iterable[Optional[str]], extra: Optional[Pattern[str]] = None
) -> Optional[str]:
    """The first name that survives the skip lists, syscall prefixes stripped."""
    for name in names:
        if name and not skipped(name, extra):
            return strip_syscall_prefix(name)
    return None


def reliable_names(frames: Sequence[Frame]) -> List[str]:
    """Frame names, dropping `? f` frames unless the trace has nothing else."""
    good = [f.function for f in frames if f.reliable and f.function]
    if good:
        return good
    return [f.function for f in frames if f.function]


def stall_frame(names: Sequence[str], extra: Optional[Pattern[str]] = None) -> Optional[str]:
    """The frame just above the first anchor (the work a syscall/worker/timer got stuck in)."""
    for name in names:
        if name.startswith("smp_call_function"):
            return "smp_call_function"
    for i, name in enumerate(names):
        if STALL_ANCHORS.match(name):
            above = [n for n in names[:i] if not skipped(n, extra)]
            if above:
                return strip_syscall_prefix(above[-1])
            break
    return first_usable(names, extra)


_HUNG_SPECIAL = re.compile(r"^(rtnl_lock|synchronize_\w+)$")


def hung_task_frame(names: Sequence[str]) -> Optional[str]:
    """rtnl_lock or synchronize_* anywhere wins; else the first non-waiting frame."""
    for name in names:
        m = _HUNG_SPECIAL.match(name)
        if m:
            return "synchronize_rcu" if name.startswith("synchronize_") else name
    return first_usable(names, EXTRA_SKIP["hung_task"])
