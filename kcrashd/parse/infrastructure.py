# ruff: noqa: E501  (kernel paths and name lists read better unbroken)
"""The infrastructure table: kernel functions that are never the guilty one, and why.

A crash report's stack starts in the code that noticed the problem (the WARN/BUG machinery, a
sanitizer, lockdep, the fault handler) and runs through helpers (allocators, locks, string and
user-copy functions, wait primitives, workqueue and timer dispatch) before it reaches the code
that made the mistake. Each group below names such functions by where they live in the kernel
source tree, says why they are not the culprit, and lists them by exact name or by a precise
pattern matched against the whole name (`kasan_\\w+` is the mm/kasan/ namespace; nothing here
matches inside another name, so `oops_begin` is listed and `will_oops_init` is not caught).

A group lists the functions a caller goes through (entry points, wrappers, the reporting
code), not every internal of a subsystem: a fault inside an internal (enqueue_timer walking a
corrupted timer list, __isolate_free_page on a corrupted free list) is damage to that
subsystem's own data, and the internal function is the best name for it.

Paths and names are those of Linux v6.1 (scripts/parse_rule_sources.py checks them against a
source tree); `other_versions` keeps names that older or newer kernels print instead.
Recipe roles (memory leak, RCU stall, hung task, stall anchors) are documented in rules.py.
"""

from __future__ import annotations

from typing import Tuple

from kcrashd.parse.rules import (
    ANCHOR,
    BUG_SKB,
    HUNG_ANSWER,
    HUNG_WAIT,
    INFRA,
    IRQ_ENTRY,
    LEAK,
    RCU_STALL,
    THUNK,
    WALK,
    Group,
)

# A table: the formatter would put every name on a line of its own.
# fmt: off
# A table: the formatter would put every name on a line of its own.
# fmt: off
# A table: the formatter would put every name on a line of its own.
# fmt: off
# A table: the formatter would put every name on a line of its own.
# fmt: off
# A table: the formatter would put every name on a line of its own.
# fmt: off
# A table: the formatter would put every name on a line of its own.
# fmt: off
# A table: the formatter would put every name on a line of its own.
# fmt: off
# A table: the formatter would put every name on a line of its own.
# fmt: off
GROUPS: Tuple[Group, ...] = (
    Group(
        "report printing",
        INFRA,
        "Prints the report (stack dump, WARN/BUG/panic machinery, oops begin/end, NMI backtraces, "
        "the hung-task and lockup watchdogs, and the perf overflow path the hard-lockup watchdog "
        "runs in): it runs because something else failed.",
        source=(
            "lib/dump_stack.c", "kernel/panic.c", "lib/bug.c", "arch/x86/kernel/dumpstack.c",
            "arch/arm64/kernel/traps.c", "arch/arm64/kernel/stacktrace.c",
            "arch/arm/kernel/traps.c", "arch/powerpc/kernel/traps.c",
            "arch/s390/kernel/dumpstack.c", "lib/nmi_backtrace.c", "arch/x86/kernel/apic/hw_nmi.c",
            "kernel/hung_task.c", "kernel/watchdog.c", "kernel/watchdog_hld.c",
            "kernel/sched/core.c", "arch/arm64/kernel/entry-common.c", "arch/*/kernel/process*.c",
            "arch/*/kernel/entry*.S", "arch/*/kernel/traps.c", "kernel/events/core.c",
            "arch/x86/events/core.c", "arch/x86/events/intel/core.c", "arch/x86/events/amd/core.c",
            "include/linux/nmi.h"
        ),
        names=(
            "dump_stack", "dump_stack_lvl", "__dump_stack", "dump_stack_print_info",
            "show_regs_print_info", "panic", "nmi_panic", "__warn", "__warn_printk",
            "warn_slowpath_fmt", "check_panic_on_warn", "print_tainted", "get_taint", "add_taint",
            "oops_enter", "oops_exit", "do_oops_enter_exit", "print_oops_end_marker",
            "__stack_chk_fail", "report_bug", "__report_bug", "find_bug", "module_find_bug",
            "show_stack", "show_trace_log_lvl", "__show_trace_log_lvl", "show_regs", "__show_regs",
            "show_regs_if_on_stack", "show_iret_regs", "show_opcodes", "show_ip", "die", "__die",
            "__die_body", "__die_header", "die_addr", "oops_begin", "oops_end", "dump_backtrace",
            "dump_backtrace_entry", "nmi_cpu_backtrace", "nmi_trigger_cpumask_backtrace",
            "arch_trigger_cpumask_backtrace", "nmi_raise_cpu_backtrace", "sched_show_task",
            "show_state_filter", "dump_cpu_task", "check_hung_task",
            "check_hung_uninterruptible_tasks", "watchdog_timer_fn", "watchdog_overflow_callback",
            "panic_bad_stack", "handle_bad_stack", "__bad_stack", "dump_backtrace_stm",
            "show_trace", "__perf_event_overflow", "perf_event_overflow", "perf_event_nmi_handler",
            "x86_pmu_handle_irq", "intel_pmu_handle_irq", "amd_pmu_handle_irq",
            "x86_perf_event_set_period", "reset_hung_task_detector"
        ),
        other_versions=(
            "warn_slowpath_null", "warn_slowpath_common", "show_stack_log_lvl",
            "print_context_stack", "dump_trace", "print_trace_address"
        ),
    ),
    Group(
        "stack walking",
        WALK,
        "Unwinders and stack savers: called by the report printer, the sanitizers, lockdep and the "
        "allocators' debug tracking to record a stack; a fault inside them is theirs only when an "
        "ordinary caller asked for the walk (/proc/PID/wchan, /proc/PID/stack).",
        source=(
            "kernel/stacktrace.c", "arch/x86/kernel/stacktrace.c", "arch/x86/kernel/unwind_orc.c",
            "arch/x86/kernel/unwind_frame.c", "arch/x86/kernel/dumpstack.c",
            "arch/arm64/kernel/stacktrace.c", "arch/arm/kernel/unwind.c",
            "arch/arm/kernel/stacktrace.c", "arch/riscv/kernel/stacktrace.c",
            "arch/powerpc/kernel/stacktrace.c", "arch/s390/kernel/unwind_bc.c", "kernel/extable.c",
            "lib/stackdepot.c", "arch/*/kernel/dumpstack*.c", "arch/*/include/asm/stacktrace.h",
            "arch/*/kernel/process.c", "include/linux/filter.h", "kernel/bpf/core.c",
            "include/linux/module.h", "kernel/module/main.c", "include/linux/ftrace.h",
            "kernel/trace/ftrace.c"
        ),
        names=(
            "stack_trace_save", "stack_trace_save_tsk", "stack_trace_save_regs",
            "stack_trace_save_tsk_reliable", "stack_trace_save_user", "stack_trace_print",
            "stack_trace_snprint", "stack_trace_consume_entry",
            "stack_trace_consume_entry_nosched", "filter_irq_stacks", "arch_stack_walk",
            "arch_stack_walk_reliable", "arch_stack_walk_user", "unwind_next_frame",
            "__unwind_start", "unwind_get_return_address", "unwind_get_return_address_ptr",
            "orc_find", "__orc_find", "get_stack_info", "get_stack_info_noinstr", "in_task_stack",
            "in_entry_stack", "update_stack_state", "deref_stack_reg", "unwind_backtrace",
            "unwind_frame", "unwind_find_idx", "unwind_exec_insn", "walk_stackframe",
            "save_stack_trace", "save_stack_trace_tsk", "save_stack_trace_regs",
            "__save_stack_trace", "unwind_next", "unwind_init_from_task", "kernel_text_address",
            "__kernel_text_address", "core_kernel_text", "is_bpf_text_address",
            "is_module_text_address", "is_ftrace_trampoline", "stack_depot_save",
            "__stack_depot_save", "stack_depot_fetch", "stack_depot_print", "depot_alloc_stack",
            "find_stack", "unwind_dump", "dump_trace"
        ),
        other_versions=(
            "print_context_stack", "save_stack_address", "__save_stack_trace_reliable",
            "unwind_next_frame_fp"
        ),
    ),
    Group(
        "traps and fault entry",
        INFRA,
        "Exception and fault entry: the trap that caught the bad instruction or access, not the "
        "code that executed it.",
        source=(
            "arch/x86/kernel/traps.c", "arch/x86/mm/fault.c", "arch/x86/entry/entry_64.S",
            "arch/x86/include/asm/idtentry.h", "arch/arm64/kernel/entry-common.c",
            "arch/arm64/mm/fault.c", "arch/arm64/kernel/traps.c",
            "arch/arm64/kernel/debug-monitors.c", "arch/arm/mm/fault.c", "arch/arm/kernel/traps.c",
            "arch/powerpc/mm/fault.c", "arch/powerpc/kernel/traps.c", "arch/s390/mm/fault.c",
            "arch/s390/kernel/traps.c", "arch/*/mm/fault.c", "arch/arm/mm/alignment.c",
            "arch/*/kernel/entry*.S", "arch/x86/kernel/cpu/mce/core.c", "arch/x86/kernel/nmi.c",
            "arch/x86/entry/entry_32.S", "arch/powerpc/kernel/exceptions-64s.S"
        ),
        names=(
            "do_error_trap", "do_trap", "handle_bug", "handle_invalid_op", "do_int3", "math_error",
            "page_fault_oops", "__bad_area_nosemaphore", "bad_area_nosemaphore", "__bad_area",
            "bad_area", "bad_area_access_error", "do_user_addr_fault", "do_kern_addr_fault",
            "handle_page_fault", "kernelmode_fixup_or_oops", "spurious_kernel_fault",
            "show_fault_oops", "dump_pagetable", "error_entry", "el1_abort", "el1_pc", "el1_undef",
            "el1_dbg", "el1_bti", "el1_fpac", "el1h_64_sync", "el1h_64_sync_handler",
            "do_mem_abort", "do_translation_fault", "do_page_fault", "__do_page_fault",
            "__do_kernel_fault", "die_kernel_fault", "do_bad_area", "do_tag_check_fault", "do_sea",
            "do_alignment_fault", "do_bad", "do_undefinstr", "bug_handler", "call_break_hook",
            "brk_handler", "do_debug_exception", "arm64_notify_die", "arm_notify_die",
            "do_DataAbort", "do_PrefetchAbort", "do_sect_fault", "do_alignment", "__dabt_svc",
            "__pabt_svc", "__und_svc", "program_check_exception", "___do_page_fault",
            "bad_page_fault", "__bad_page_fault", "do_dat_exception", "do_exception",
            "do_no_context", "do_fault_error", "do_report_trap", "illegal_op", "pgm_check_handler",
            "__do_pgm_check", "do_int3_user", "no_context", "program_check_common"
        ),
        patterns=(
            r"exc_\w+", r"asm_exc_\w+"
        ),
        other_versions=(
            "do_invalid_op", "invalid_op", "do_general_protection", "general_protection",
            "do_divide_error", "divide_error", "do_double_fault", "double_fault",
            "do_stack_segment", "stack_segment", "fixup_bug", "page_fault", "async_page_fault",
            "do_async_page_fault", "trace_do_page_fault", "el1_sync", "el1_sync_handler", "el1_da",
            "el1_ia", "do_kernel_fault", "do_pgm_check"
        ),
    ),
    Group(
        "interrupt entry and dispatch",
        INFRA,
        "Interrupt entry, exit and the generic IRQ layer that calls a driver's handler: the handler "
        "above them is what ran.",
        source=(
            "arch/x86/kernel/apic/apic.c", "arch/x86/kernel/irq.c", "arch/x86/entry/entry_64.S",
            "arch/x86/include/asm/idtentry.h", "arch/x86/include/asm/irq_stack.h",
            "kernel/entry/common.c", "kernel/softirq.c", "kernel/irq/handle.c",
            "kernel/irq/chip.c", "kernel/irq/irqdesc.c", "arch/arm64/kernel/entry-common.c",
            "arch/arm64/kernel/entry.S", "arch/arm64/kernel/irq.c", "drivers/irqchip/irq-gic.c",
            "drivers/irqchip/irq-gic-v3.c", "arch/arm/kernel/entry-armv.S",
            "drivers/clocksource/arm_arch_timer.c", "arch/powerpc/kernel/time.c",
            "include/linux/irqdesc.h", "arch/*/kernel/time.c", "kernel/time/hrtimer.c",
            "kernel/time/tick-common.c", "arch/x86/kernel/", "arch/x86/hyperv/",
            "arch/x86/kernel/nmi.c", "kernel/notifier.c"
        ),
        names=(
            "common_interrupt", "asm_common_interrupt", "irq_exit", "irq_exit_rcu",
            "__irq_exit_rcu", "irqentry_enter", "irqentry_exit", "irqentry_exit_cond_resched",
            "irqentry_nmi_enter", "irqentry_nmi_exit", "handle_irq_event",
            "handle_irq_event_percpu", "__handle_irq_event_percpu", "handle_edge_irq",
            "handle_level_irq", "handle_fasteoi_irq", "handle_percpu_devid_irq",
            "handle_percpu_irq", "handle_simple_irq", "handle_untracked_irq", "generic_handle_irq",
            "generic_handle_irq_desc", "generic_handle_domain_irq", "el1_interrupt", "__el1_irq",
            "el1h_64_irq", "el1h_64_irq_handler", "el0_interrupt", "el0t_64_irq",
            "el0t_64_irq_handler", "do_interrupt_handler", "call_on_irq_stack", "gic_handle_irq",
            "__irq_svc", "__irq_usr", "arch_timer_handler_virt", "arch_timer_handler_phys",
            "timer_interrupt", "hrtimer_interrupt", "tick_handle_periodic", "tick_periodic",
            "local_apic_timer_interrupt", "handle_irq", "__handle_irq", "nmi_handle",
            "default_do_nmi", "notify_die", "common_interrupt_return",
            "restore_regs_and_return_to_kernel", "generic_handle_arch_irq",
            "__el0_irq_handler_common"
        ),
        patterns=(
            r"sysvec_\w+", r"asm_sysvec_\w+", r"__sysvec_\w+",
            r"(?:smp_|local_)?(?:trace_)?apic_timer_interrupt\w*"
        ),
        other_versions=(
            "do_IRQ", "ret_from_intr", "retint_kernel", "retint_user", "apic_timer_interrupt",
            "smp_apic_timer_interrupt", "smp_trace_apic_timer_interrupt", "asm_call_irq_on_stack",
            "asm_call_sysvec_on_stack", "asm_call_on_stack", "__handle_domain_irq", "el1_irq",
            "asm_do_IRQ", "handle_IRQ", "call_function_single_interrupt",
            "smp_call_function_single_interrupt", "reschedule_interrupt",
            "smp_reschedule_interrupt", "irq_work_interrupt", "smp_irq_work_interrupt",
            "smp_apic_timer_interrupt_entry_after_kaiser_bti", "exiting_irq", "entering_irq",
            "entering_ack_irq", "handle_domain_irq", "do_nmi", "nmi", "end_repeat_nmi"
        ),
    ),
    Group(
        "interrupt flags",
        INFRA,
        "Saving, restoring, enabling and disabling local interrupts: the state their caller asked "
        "for.",
        source=(
            "include/linux/irqflags.h", "arch/x86/include/asm/irqflags.h",
            "arch/arm64/include/asm/irqflags.h", "arch/arm/include/asm/irqflags.h",
            "include/linux/entry-common.h"
        ),
        patterns=(
            r"(?:arch_|raw_|native_)?local_irq_\w+",
            r"native_(?:save_fl|restore_fl|irq_enable|irq_disable|safe_halt)"
        ),
    ),
    Group(
        "softirq and timer dispatch",
        INFRA,
        "Softirq, tasklet, timer and hrtimer machinery: runs a callback, or arms and cancels one "
        "for its caller.",
        source=(
            "kernel/softirq.c", "kernel/time/timer.c", "kernel/time/hrtimer.c",
            "kernel/time/tick-sched.c", "kernel/time/tick-common.c", "arch/*/kernel/irq.c",
            "include/linux/bottom_half.h", "include/linux/timer.h", "net/core/sock.c"
        ),
        names=(
            "__do_softirq", "do_softirq", "do_softirq_own_stack", "invoke_softirq",
            "__local_bh_enable_ip", "_local_bh_enable", "__local_bh_disable_ip", "local_bh_enable",
            "local_bh_disable", "tasklet_action", "tasklet_action_common", "tasklet_hi_action",
            "run_ksoftirqd", "call_timer_fn", "expire_timers", "__run_timers", "run_timer_softirq",
            "run_local_timers", "update_process_times", "__run_hrtimer", "__hrtimer_run_queues",
            "hrtimer_run_softirq", "hrtimer_run_queues", "tick_sched_timer", "tick_sched_handle",
            "tick_sched_do_timer", "tick_nohz_handler", "mod_timer", "__mod_timer", "add_timer",
            "add_timer_on", "timer_reduce", "del_timer", "del_timer_sync", "try_to_del_timer_sync",
            "lock_timer_base", "init_timer_key", "hrtimer_start_range_ns", "hrtimer_cancel",
            "hrtimer_try_to_cancel", "hrtimer_init", "__hrtimer_init", "timer_fixup_activate",
            "timer_fixup_init", "timer_fixup_free", "timer_fixup_assert_init",
            "timer_is_static_object", "hrtimer_fixup_activate", "hrtimer_fixup_init",
            "hrtimer_fixup_free", "handle_softirqs", "timer_delete", "timer_delete_sync",
            "__timer_delete", "__timer_delete_sync", "__try_to_del_timer_sync", "sk_stop_timer",
            "sk_stop_timer_sync", "sk_reset_timer"
        ),
    ),
    Group(
        "scheduler sleep and wake-up",
        INFRA,
        "Sleeping, waiting and waking primitives: a task blocked here waits for its caller's "
        "condition; a wake-up runs for its caller.",
        source=(
            "kernel/sched/core.c", "kernel/sched/wait.c", "kernel/sched/wait_bit.c",
            "kernel/sched/completion.c", "kernel/sched/swait.c", "kernel/time/timer.c",
            "kernel/time/hrtimer.c", "kernel/time/sleep_timeout.c", "arch/x86/kernel/process_64.c",
            "arch/x86/entry/entry_64.S", "kernel/freezer.c", "kernel/rcu/tree.c",
            "kernel/rcu/srcutree.c", "net/core/dev.c", "fs/fcntl.c", "kernel/rcu/tree_exp.h",
            "include/linux/rcutiny.h", "include/linux/sched.h", "kernel/exit.c",
            "kernel/printk/printk.c", "include/linux/rcupdate_wait.h", "kernel/rcu/update.c"
        ),
        names=(
            "schedule", "__schedule", "schedule_idle", "schedule_preempt_disabled",
            "preempt_schedule", "preempt_schedule_common", "preempt_schedule_irq",
            "preempt_schedule_notrace", "preempt_schedule_thunk", "__cond_resched",
            "__cond_resched_lock", "io_schedule", "io_schedule_timeout", "yield", "context_switch",
            "finish_task_switch", "__switch_to", "__switch_to_asm", "try_to_wake_up",
            "wake_up_process", "wake_up_q", "wake_up_state", "default_wake_function",
            "schedule_timeout", "schedule_timeout_uninterruptible",
            "schedule_timeout_interruptible", "schedule_timeout_killable", "schedule_timeout_idle",
            "process_timeout", "schedule_hrtimeout", "schedule_hrtimeout_range",
            "schedule_hrtimeout_range_clock", "do_nanosleep", "hrtimer_nanosleep", "msleep",
            "msleep_interruptible", "usleep_range_state", "prepare_to_wait",
            "prepare_to_wait_event", "prepare_to_wait_exclusive", "finish_wait", "init_wait_entry",
            "add_wait_queue", "add_wait_queue_exclusive", "remove_wait_queue",
            "autoremove_wake_function", "wait_woken", "woken_wake_function", "do_wait_intr",
            "do_wait_intr_irq", "__wait_on_bit", "__wait_on_bit_lock", "out_of_line_wait_on_bit",
            "out_of_line_wait_on_bit_lock", "out_of_line_wait_on_bit_timeout", "bit_wait",
            "bit_wait_io", "bit_wait_timeout", "bit_wait_io_timeout", "wake_up_bit",
            "__wake_up_bit", "wake_up_var", "var_wake_function", "wake_bit_function",
            "wait_for_completion", "wait_for_completion_timeout",
            "wait_for_completion_interruptible", "wait_for_completion_interruptible_timeout",
            "wait_for_completion_killable", "wait_for_completion_killable_timeout",
            "wait_for_completion_io", "wait_for_completion_io_timeout",
            "wait_for_completion_state", "__wait_for_common", "wait_for_common",
            "wait_for_common_io", "do_wait_for_common", "complete", "complete_all",
            "try_wait_for_completion", "swake_up_one", "swake_up_all", "swake_up_locked",
            "prepare_to_swait_event", "prepare_to_swait_exclusive", "finish_swait",
            "__refrigerator", "synchronize_rcu", "synchronize_rcu_expedited", "synchronize_srcu",
            "__synchronize_srcu", "synchronize_srcu_expedited", "synchronize_net", "rcu_barrier",
            "kill_fasync", "io_schedule_prepare", "__init_waitqueue_head", "bit_waitqueue",
            "__wait_rcu_gp"
        ),
        patterns=(
            r"__wake_up\w*", r"_?cond_resched\w*"
        ),
        other_versions=(
            "usleep_range", "___preempt_schedule", "wait_for_completion_timeout_state",
            "synchronize_sched", "synchronize_rcu_bh", "synchronize_sched_expedited"
        ),
    ),
    Group(
        "locking",
        INFRA,
        "Lock primitives, their debug checks and lockdep: taking a lock is never the bug; the "
        "caller that takes it in the wrong order, context or state is.",
        source=(
            "kernel/locking/", "include/linux/spinlock.h", "include/linux/rwlock.h",
            "include/linux/seqlock.h", "include/linux/bit_spinlock.h", "include/linux/rcupdate.h",
            "kernel/rcu/update.c", "kernel/rcu/srcutree.c", "lib/dec_and_lock.c", "lib/refcount.c",
            "kernel/sched/core.c", "kernel/sched/sched.h", "net/core/sock.c",
            "kernel/trace/trace_preemptirq.c", "arch/x86/kernel/kvm.c", "arch/x86/xen/spinlock.c",
            "include/linux/fs.h", "lib/debug_locks.c", "include/linux/debug_locks.h",
            "include/net/sock.h", "include/linux/srcu.h", "include/linux/*lock*.h",
            "include/linux/rwsem.h", "include/linux/percpu-rwsem.h", "include/linux/rtmutex.h",
            "include/linux/ww_mutex.h", "include/linux/lockdep.h",
            "include/asm-generic/qspinlock.h", "include/asm-generic/qrwlock.h",
            "arch/*/include/asm/qspinlock*.h", "arch/*/include/asm/paravirt.h",
            "lib/locking-selftest.c", "mm/page_alloc.c", "include/linux/sched/mm.h"
        ),
        names=(
            "lock_acquire", "lock_release", "lock_acquired", "lock_contended", "lock_is_held_type",
            "lock_downgrade", "lock_sync", "lock_set_class", "lock_pin_lock", "lock_unpin_lock",
            "lock_repin_lock", "mark_lock", "mark_usage", "mark_held_locks", "mark_lock_irq",
            "validate_chain", "check_prev_add", "check_prevs_add", "check_noncircular",
            "check_irq_usage", "check_deadlock", "check_path", "check_wait_context", "check_flags",
            "print_circular_bug", "print_circular_bug_header", "print_usage_bug",
            "print_deadlock_bug", "print_bad_irq_dependency", "print_irq_inversion_bug",
            "print_unlock_imbalance_bug", "print_lock_invalid_wait_context",
            "print_held_locks_bug", "print_freed_lock_bug", "print_lock_nested_lock_not_held",
            "print_shortest_lock_dependencies", "print_lock_trace", "register_lock_class",
            "look_up_lock_class", "hlock_class", "find_held_lock", "save_trace", "add_chain_cache",
            "lookup_chain_cache_add", "reacquire_held_locks", "debug_check_no_locks_freed",
            "debug_check_no_locks_held", "valid_state", "graph_lock", "debug_locks_off",
            "__debug_locks_off", "verify_lock_unused", "is_dynamic_key", "spin_dump", "spin_bug",
            "rwlock_bug", "debug_spin_lock_before", "debug_spin_lock_after", "debug_spin_unlock",
            "osq_lock", "osq_unlock", "task_blocks_on_rt_mutex", "try_to_take_rt_mutex",
            "remove_waiter", "atomic_dec_and_mutex_lock", "refcount_dec_and_lock",
            "refcount_dec_and_lock_irqsave", "refcount_dec_and_mutex_lock", "lock_sock",
            "lock_sock_nested", "lock_sock_fast", "release_sock", "__release_sock",
            "bit_spin_lock", "bit_spin_unlock", "__bit_spin_unlock", "bit_spin_trylock",
            "rcu_read_lock", "rcu_read_unlock", "__rcu_read_lock", "__rcu_read_unlock",
            "rcu_read_lock_bh", "rcu_read_unlock_bh", "rcu_read_lock_sched",
            "rcu_read_unlock_sched", "rcu_lock_acquire", "rcu_lock_release", "rcu_read_lock_held",
            "rcu_read_lock_bh_held", "rcu_read_lock_sched_held", "rcu_read_lock_any_held",
            "rcu_read_lock_held_common", "debug_lockdep_rcu_enabled",
            "rcu_lockdep_current_cpu_online", "srcu_read_lock", "srcu_read_unlock",
            "__srcu_read_lock", "__srcu_read_unlock", "srcu_read_lock_held", "task_rq_lock",
            "__task_rq_lock", "double_rq_lock", "double_lock_balance", "kvm_wait",
            "xen_qlock_wait", "xen_qlock_kick", "inode_lock", "inode_unlock", "inode_lock_shared",
            "inode_unlock_shared", "inode_lock_nested", "rcu_read_lock_sched_notrace",
            "mutex_lock_nested", "print_lock_contention_bug", "check_usage_forwards",
            "check_usage_backwards", "debug_show_all_locks", "debug_show_held_locks",
            "print_irqtrace_events", "lock_chain_count", "zap_class", "print_lock",
            "print_lock_name", "print_lockdep_cache", "fs_reclaim_acquire", "fs_reclaim_release",
            "debug_mutex_init", "__rwlock_init", "__raw_spin_lock_init"
        ),
        patterns=(
            r"_*(?:raw_)?(?:spin|read|write)_(?:try)?(?:un)?lock\w*",
            r"do_raw_(?:spin|read|write)_\w+", r"_*mutex_(?:lock|unlock|trylock)\w*",
            r"_*ww_mutex_\w+", r"_*(?:down|up)_(?:read|write)\w*", r"_*down", r"_*up",
            r"_*down_(?:interruptible|killable|timeout|trylock|common)\w*", r"_*rwsem_\w+",
            r"_*percpu_(?:down|up)_(?:read|write)\w*", r"percpu_rwsem_\w+", r"_*rt_mutex_\w+",
            r"rtlock_\w+", r"rt_spin_(?:un)?lock\w*",
            r"(?:native_|__pv_|pv_)?queued_(?:spin|read|write)_\w+",
            r"__raw_callee_save___pv_queued_spin_\w+", r"__lock_\w+", r"lockdep_\w+",
            r"__lockdep_\w+", r"_atomic_dec_and_lock\w*", r"raw_spin_rq_(?:un)?lock\w*",
            r"_*(?:raw_)?(?:read|write)_seq\w*", r"(?:do_)?(?:raw_)?write_seqcount_\w+",
            r"_*(?:raw_)?read_seqcount_\w+", r"seqcount_\w+", r"__seqprop_\w+", r"seqprop_\w+",
            r"pv_wait\w*", r"trace_hardirqs_\w+",
            r"(?:debug_|__)?mutex_(?:add|remove|wake)_waiter"
        ),
        other_versions=(
            "__rwsem_down_write_failed_common", "rwsem_down_write_failed",
            "rwsem_down_read_failed", "call_rwsem_down_write_failed",
            "call_rwsem_down_read_failed", "check_prev_add_irq", "check_usage", "mark_irqflags"
        ),
    ),
    Group(
        "reference counts, atomics and bit operations",
        INFRA,
        "Counters and bit helpers that WARN on their caller's misuse (a refcount underflow is the "
        "caller's extra put).",
        source=(
            "lib/refcount.c", "include/linux/refcount.h", "include/linux/kref.h",
            "lib/percpu-refcount.c", "lib/ref_tracker.c",
            "include/linux/atomic/atomic-instrumented.h",
            "include/asm-generic/bitops/instrumented-atomic.h", "lib/find_bit.c", "lib/bitmap.c",
            "include/linux/percpu-refcount.h", "include/linux/ref_tracker.h",
            "include/linux/atomic/", "arch/*/include/asm/atomic*.h", "include/asm-generic/bitops/",
            "arch/*/include/asm/bitops.h", "arch/*/lib/findbit.S", "include/linux/find.h",
            "include/linux/bitmap.h"
        ),
        names=(
            "kref_init", "kref_get", "kref_put", "kref_put_mutex", "kref_put_lock",
            "kref_get_unless_zero", "kref_read"
        ),
        patterns=(
            r"_*refcount_\w+", r"_*percpu_ref_\w+", r"ref_tracker_\w+",
            r"(?:raw_|arch_)?atomic(?:64|_long)?_\w+",
            r"(?:__|_|arch_|arch___|generic___|generic_)?(?:test_and_)?(?:set|clear|change)_bit(?:_(?:le|inv|lock|unlock))?",
            r"(?:_|arch_|const_|generic_)?test_bit(?:_le|_acquire)?",
            r"_*find_(?:first|next|last)_(?:zero_|and_|andnot_|or_)?bit(?:_\w+)?",
            r"__bitmap_(?:and|andnot|clear|complement|equal|intersects|or|or_equal|replace|set|shift_left|shift_right|subset|weight|weight_and|xor)",
            r"bitmap_(?:and|andnot|clear|complement|copy|equal|fill|find_\w+|free|full|empty|intersects|or|parse\w*|remap|replace|set|shift_left|shift_right|subset|weight|xor|zero|alloc|zalloc|from_\w+|to_\w+)"
        ),
    ),
    Group(
        "string and memory functions",
        INFRA,
        "Library string, memory and formatting functions: they fault on the buffers their caller "
        "passed.",
        source=(
            "lib/string.c", "lib/string_helpers.c", "arch/x86/lib/memcpy_64.S",
            "arch/x86/lib/memmove_64.S", "arch/x86/lib/memset_64.S", "arch/arm64/lib/memcpy.S",
            "include/linux/fortify-string.h", "lib/vsprintf.c", "lib/kstrtox.c", "lib/hexdump.c",
            "arch/*/lib/memcpy*.S", "arch/*/include/asm/io.h", "arch/*/kernel/io.c",
            "lib/kasprintf.c", "include/linux/kstrtox.h"
        ),
        names=(
            "memcpy", "memmove", "memset", "memcmp", "memchr", "memchr_inv", "memscan", "bcmp",
            "__memcpy", "__memmove", "__memset", "memcpy_erms", "memcpy_orig", "memset_erms",
            "memset_orig", "memcpy_toio", "memcpy_fromio", "memset_io", "memcpy_and_pad", "strcpy",
            "strncpy", "strlcpy", "strscpy", "strscpy_pad", "strcat", "strncat", "strlcat",
            "strcmp", "strncmp", "strcasecmp", "strncasecmp", "strchr", "strchrnul", "strrchr",
            "strnchr", "strlen", "strnlen", "strspn", "strcspn", "strpbrk", "strsep", "strstr",
            "strnstr", "strim", "strreplace", "skip_spaces", "sysfs_streq", "match_string",
            "__sysfs_match_string", "vsnprintf", "vscnprintf", "snprintf", "scnprintf", "sprintf",
            "vsprintf", "format_decode", "string", "string_nocheck", "pointer", "number",
            "widen_string", "special_hex_number", "dentry_name", "bstr_printf", "vbin_printf",
            "kvasprintf", "kasprintf", "kvasprintf_const", "va_format", "symbol_string",
            "resource_string", "check_pointer", "string_escape_mem", "string_unescape",
            "string_get_size", "hex_dump_to_buffer", "print_hex_dump", "simple_strtoul",
            "simple_strtol", "simple_strtoull", "simple_strtoll", "hex_string", "bdev_name",
            "bitmap_list_string", "bitmap_string", "device_node_string", "err_ptr", "error_string",
            "escaped_string", "file_dentry_name", "flags_string", "format_flags",
            "format_page_flags", "fourcc_string", "fwnode_full_name_string", "fwnode_string",
            "ip4_addr_string", "ip4_addr_string_sa", "ip4_string", "ip6_addr_string",
            "ip6_addr_string_sa", "ip6_compressed_string", "ip6_string", "ip_addr_string",
            "mac_address_string", "netdev_bits", "num_to_str", "pointer_string", "ptr_to_id",
            "restricted_pointer", "set_field_width", "set_precision", "time_and_date",
            "uuid_string", "vsscanf", "sscanf", "address_val", "date_str", "time_str", "rtc_str",
            "time64_str", "move_right", "put_dec", "put_dec_trunc8", "put_dec_full8", "skip_atoi",
            "default_pointer", "fortify_panic"
        ),
        patterns=(
            r"_*fortify_\w+", r"_?kstrto\w+"
        ),
        other_versions=(
            "__strscpy", "memcpy_mcsafe", "__memcpy_mcsafe"
        ),
    ),
    Group(
        "user copy",
        INFRA,
        "Copies between user and kernel memory and the hardened-usercopy checks: they report a bad "
        "length or object that their caller passed.",
        source=(
            "mm/usercopy.c", "lib/usercopy.c", "include/linux/uaccess.h",
            "include/linux/thread_info.h", "arch/x86/lib/copy_user_64.S", "arch/x86/lib/getuser.S",
            "arch/x86/lib/putuser.S", "arch/x86/lib/usercopy_64.c",
            "arch/arm64/lib/copy_from_user.S", "arch/arm64/lib/copy_to_user.S", "lib/iov_iter.c",
            "lib/strncpy_from_user.c", "lib/strnlen_user.c", "mm/maccess.c", "net/core/datagram.c",
            "include/linux/uio.h", "arch/*/include/asm/uaccess*.h", "arch/*/lib/"
        ),
        names=(
            "__check_object_size", "check_object_size", "check_heap_object", "check_stack_object",
            "check_kernel_text_object", "check_bogus_address", "usercopy_abort", "_copy_from_user",
            "_copy_to_user", "check_zeroed_user", "copy_from_user", "copy_to_user",
            "__copy_from_user", "__copy_to_user", "__copy_from_user_inatomic",
            "__copy_to_user_inatomic", "copy_from_user_nofault", "copy_to_user_nofault",
            "copy_from_kernel_nofault", "check_copy_size", "strncpy_from_user", "strnlen_user",
            "do_strncpy_from_user", "do_strnlen_user", "clear_user", "__clear_user",
            "raw_copy_from_user", "raw_copy_to_user", "copy_user_generic",
            "copy_user_generic_unrolled", "copy_user_generic_string",
            "copy_user_enhanced_fast_string", "__copy_user_nocache", "__arch_copy_from_user",
            "__arch_copy_to_user", "__arch_clear_user", "_copy_to_iter", "_copy_from_iter",
            "copy_to_iter", "copy_from_iter", "copy_page_to_iter", "copy_page_from_iter",
            "copy_page_from_iter_atomic", "copyout", "copyin", "_copy_from_iter_nocache",
            "copy_mc_to_kernel", "copy_mc_to_user", "simple_copy_to_iter", "import_iovec",
            "__import_iovec"
        ),
        patterns=(
            r"__get_user_(?:\d|nocheck|bad|fn)\w*", r"__put_user_(?:\d|nocheck|bad|fn)\w*",
            r"iov_iter_\w+"
        ),
        other_versions=(
            "usercopy_warn", "check_page_span", "report_usercopy", "__check_heap_object",
            "rep_movs_alternative", "copy_user_handle_tail"
        ),
    ),
    Group(
        "debug checks",
        INFRA,
        "Debug assertions that report their caller: object debugging (ODEBUG), list and tree "
        "corruption checks, sleeping-in-atomic and preemption checks, address translation checks, "
        "fault injection and rate limiting.",
        source=(
            "lib/debugobjects.c", "lib/list_debug.c", "lib/rbtree.c", "kernel/sched/core.c",
            "mm/memory.c", "lib/smp_processor_id.c", "arch/x86/mm/physaddr.c",
            "arch/arm64/mm/physaddr.c", "arch/arm/mm/physaddr.c", "lib/fault-inject.c",
            "mm/failslab.c", "mm/page_alloc.c", "lib/ratelimit.c", "mm/page_owner.c",
            "kernel/workqueue.c", "kernel/time/timer.c", "fs/xfs/xfs_message.c",
            "fs/btrfs/messages.c", "fs/btrfs/ctree.h", "include/linux/list*.h",
            "include/linux/llist.h", "lib/llist.c", "include/linux/rculist*.h",
            "include/linux/rbtree*.h", "include/linux/kernel.h",
            "include/linux/fault-inject-usercopy.h", "lib/fault-inject-usercopy.c",
            "mm/slab_common.c"
        ),
        names=(
            "debug_print_object", "debug_check_no_obj_freed", "__debug_check_no_obj_freed",
            "__might_sleep", "__might_resched", "__might_fault", "might_fault", "__cant_sleep",
            "__cant_migrate", "__schedule_bug", "schedule_debug", "preempt_count_add",
            "preempt_count_sub", "check_preemption_disabled", "debug_smp_processor_id",
            "__this_cpu_preempt_check", "__phys_addr", "__phys_addr_symbol", "__virt_addr_valid",
            "__virt_to_phys", "should_fail", "should_fail_ex", "fail_dump", "should_failslab",
            "__should_failslab", "should_fail_alloc_page", "should_fail_usercopy", "___ratelimit",
            "__set_page_owner", "__reset_page_owner", "save_stack", "work_is_static_object",
            "work_fixup_init", "work_fixup_free", "assfail", "assertfail", "__list_del_entry",
            "__list_add", "list_del", "rb_add", "rb_add_cached", "rb_erase", "rb_erase_augmented",
            "rb_erase_augmented_cached", "rb_erase_cached", "rb_find", "rb_find_add",
            "rb_find_first", "rb_first", "rb_first_postorder", "rb_insert_augmented",
            "rb_insert_augmented_cached", "rb_insert_color", "rb_insert_color_cached", "rb_last",
            "rb_link_node", "rb_link_node_rcu", "rb_next", "rb_next_match", "rb_next_postorder",
            "rb_prev", "rb_replace_node", "rb_replace_node_cached", "rb_replace_node_rcu",
            "rb_set_parent", "rb_set_parent_color", "__rb_change_child", "__rb_change_child_rcu",
            "__rb_erase_augmented", "__rb_erase_color", "__rb_insert", "__rb_insert_augmented",
            "__rb_rotate_set_parents", "____rb_erase_color"
        ),
        patterns=(
            r"_*debug_object\w*", r"debug_objects_\w+", r"__list_(?:add|del_entry|del)_valid\w*",
            r"_*h?list_(?:bl_|nulls_)?(?:add|del|move|replace|splice|cut|rotate|bulk_move|swap)(?:_(?:tail|head|init|rcu|before|behind|fake|careful|clearprev|position|list|entry|many|batch|all|first|to_front|left))*",
            r"_*llist_(?:add|del|reverse)\w*"
        ),
        other_versions=(
            "___might_sleep", "work_fixup_activate", "btrfs_assertfail"
        ),
    ),
    Group(
        "sanitizers and coverage",
        INFRA,
        "KASAN, KFENCE, KMSAN, KCSAN, UBSAN and KCOV instrumentation and reporting: they detect or "
        "print the bad access, they did not make it.",
        source=(
            "mm/kasan/", "mm/kfence/", "mm/kmsan/", "kernel/kcsan/", "lib/ubsan.c",
            "kernel/kcov.c", "include/linux/instrumented.h", "include/linux/kasan-checks.h",
            "include/linux/compiler.h", "include/asm-generic/rwonce.h", "arch/*/mm/kasan_init.c",
            "include/linux/kasan*.h", "include/linux/kfence.h", "include/linux/kcsan-checks.h",
            "arch/*/include/asm/kfence.h", "arch/*/include/asm/kmsan.h",
            "arch/arm64/lib/kasan_sw_tags.S",
            "include/asm-generic/bitops/instrumented-non-atomic.h"
        ),
        names=(
            "print_address_description", "print_report", "end_report", "start_report",
            "describe_object", "describe_object_addr", "describe_object_stacks",
            "print_memory_metadata", "print_track", "complete_report_info", "qlist_free_all",
            "qlink_free", "write_comp_data", "check_kcov_mode", "read_word_at_a_time",
            "__read_once_word_nocheck", "print_stack_trace"
        ),
        patterns=(
            r"_*kasan\w*", r"__asan_\w+", r"__hwasan_\w+", r"check_memory_region(?:_inline)?",
            r"memory_is_poisoned\w*", r"memory_is_nonzero", r"bytes_is_nonzero", r"_*kfence_\w+",
            r"_*kmsan_\w+", r"__msan_\w+", r"_*kcsan_\w+", r"__tsan_\w+", r"__ubsan_handle_\w+",
            r"ubsan_\w+", r"__sanitizer_\w+", r"_*instrument_\w+"
        ),
        other_versions=(
            "quarantine_put", "quarantine_reduce", "set_track", "__read_once_size",
            "__write_once_size"
        ),
    ),
    Group(
        "allocators",
        INFRA,
        "Slab, page, vmalloc, per-cpu and mempool allocators and socket-buffer allocation and "
        "freeing: a fault inside them is damage done by a caller (a double free, a corrupted "
        "object), found late.",
        source=(
            "mm/slub.c", "mm/slab.c", "mm/slab_common.c", "include/linux/slab.h",
            "mm/page_alloc.c", "mm/mempolicy.c", "mm/vmalloc.c", "mm/percpu.c", "mm/mempool.c",
            "mm/util.c", "mm/kmemleak.c", "mm/swap.c", "net/core/skbuff.c",
            "include/linux/alloc_tag.h", "mm/page_frag_cache.c", "mm/slab.h",
            "include/linux/gfp.h", "mm/percpu*.c", "include/linux/mempool.h",
            "include/linux/kmemleak.h", "include/linux/mm.h", "include/linux/skbuff.h",
            "kernel/rcu/tree.c", "mm/swap_state.c", "include/linux/swap.h", "mm/nommu.c",
            "include/linux/vmalloc.h"
        ),
        names=(
            "new_slab", "allocate_slab", "alloc_slab_page", "setup_object", "shuffle_freelist",
            "get_partial_node", "get_partial", "get_any_partial", "get_freelist",
            "check_object", "check_bytes_and_report", "free_debug_processing",
            "alloc_debug_processing", "on_freelist", "object_err", "slab_err", "print_trailer",
            "print_section", "__free_slab", "discard_slab", "deactivate_slab", "flush_cpu_slab",
            "cache_alloc_refill", "____cache_alloc", "__do_cache_alloc", "__cache_free",
            "___cache_free", "cache_free_debugcheck", "kfree", "kfree_sensitive", "kvfree",
            "kvfree_sensitive", "kvfree_call_rcu", "ksize", "__ksize", "kfree_const", "krealloc",
            "kmemdup", "kmemdup_nul", "kstrdup", "kstrndup", "kstrdup_const", "memdup_user",
            "memdup_user_nul", "vmemdup_user", "strndup_user", "__get_free_pages",
            "get_zeroed_page", "get_page_from_freelist", "prep_new_page", "post_alloc_hook",
            "free_pages", "free_pages_exact", "__free_pages_ok", "free_one_page",
            "__free_one_page", "free_pcppages_bulk", "free_pages_prepare", "put_page", "folio_put",
            "__folio_put", "__folio_put_small", "release_pages", "free_compound_page", "bad_page",
            "free_page_is_bad", "vfree", "__vfree", "vfree_atomic", "__vfree_deferred", "vunmap",
            "__vunmap", "vmap", "alloc_vmap_area", "__get_vm_area_node", "get_vm_area",
            "get_vm_area_caller", "__get_vm_area_caller", "remove_vm_area", "vm_area_alloc_pages",
            "create_object", "__create_object", "free_large_kmalloc", "page_frag_free",
            "kfree_skb", "kfree_skb_reason", "__kfree_skb", "consume_skb",
            "__consume_stateless_skb", "kfree_skbmem", "skb_release_data", "skb_release_all",
            "skb_release_head_state", "skb_free_head", "__kfree_skb_defer", "napi_consume_skb",
            "alloc_page_vma", "alloc_page_interleave", "__free_pages", "__free_pages_core",
            "free_pages_and_swap_cache", "vmalloc", "__vmalloc", "vmalloc_node", "__vmalloc_node",
            "__vmalloc_node_range", "vmalloc_user", "vmalloc_32", "vmalloc_32_user",
            "vmalloc_huge", "__vmalloc_area_node", "vmalloc_array", "__vmalloc_array",
            "warn_alloc", "warn_alloc_show_mem"
        ),
        patterns=(
            r"_*kmem_cache_\w+",
            r"_*k[mzc]alloc(?:_(?:node|array|trace|large|order|slab|track_caller|fix_flags|reserve|size_roundup|cache|buckets))*",
            r"__do_kmalloc\w*", r"_*kv[mzc]alloc\w*", r"kvrealloc\w*", r"_*slab_\w+",
            r"_*alloc_pages\w*", r"free_unref_page\w*", r"_*rmqueue\w*",
            r"_*alloc_frozen_pages\w*", r"_*folio_alloc\w*", r"vma_alloc_folio\w*", r"\w+_noprof",
            r"vzalloc\w*",
            r"pcpu_(?:alloc|free|chunk|balance|populate|depopulate|create|destroy|block|find|map|unmap|mem|get_pages|next|reclaim|schedule_balance)\w*",
            r"_*alloc_percpu(?:_gfp)?", r"_*alloc_reserved_percpu", r"free_percpu", r"mempool_\w+",
            r"kmemleak_\w+", r"_*page_frag_alloc\w*", r"kfree_skb_list\w*"
        ),
        other_versions=(
            "kzfree", "alloc_pages_current", "__alloc_pages_nodemask", "kmalloc_order",
            "kmalloc_order_trace", "kmem_cache_alloc_trace", "kmem_cache_alloc_node_trace",
            "__kmalloc_track_caller", "__krealloc", "__put_page", "__put_single_page",
            "sk_skb_reason_drop", "vmalloc_no_huge"
        ),
    ),
    Group(
        "workqueue and kthread plumbing",
        INFRA,
        "Queues, flushes, runs and stops work items and kernel threads on behalf of their owner; "
        "the work function or the thread function is what ran.",
        source=(
            "kernel/workqueue.c", "kernel/kthread.c", "kernel/smpboot.c", "kernel/umh.c",
            "kernel/task_work.c", "arch/x86/entry/entry_64.S", "arch/arm64/kernel/entry.S",
            "arch/x86/kernel/process.c", "include/linux/workqueue.h"
        ),
        names=(
            "queue_work_on", "__queue_work", "queue_work", "queue_delayed_work_on",
            "__queue_delayed_work", "queue_delayed_work", "mod_delayed_work_on", "queue_rcu_work",
            "schedule_work", "schedule_delayed_work", "flush_work", "__flush_work",
            "flush_delayed_work", "flush_rcu_work", "flush_workqueue", "__flush_workqueue",
            "drain_workqueue", "destroy_workqueue", "cancel_work", "cancel_work_sync",
            "__cancel_work", "__cancel_work_timer", "cancel_delayed_work",
            "cancel_delayed_work_sync", "try_to_grab_pending", "insert_work", "start_flush_work",
            "check_flush_dependency", "process_one_work", "process_scheduled_works",
            "worker_thread", "rescuer_thread", "delayed_work_timer_fn", "wq_worker_sleeping",
            "wq_worker_running", "alloc_workqueue", "kthread", "kthread_stop", "kthread_park",
            "kthread_unpark", "kthread_create_on_node", "__kthread_create_on_node",
            "kthread_create_worker", "kthread_worker_fn", "kthread_queue_work",
            "kthread_flush_work", "kthread_flush_worker", "kthread_destroy_worker",
            "kthread_cancel_work_sync", "__kthread_cancel_work_sync",
            "kthread_cancel_delayed_work_sync", "kthread_mod_delayed_work",
            "kthread_queue_delayed_work", "__kthread_parkme", "kthread_parkme", "kthreadd",
            "smpboot_thread_fn", "call_usermodehelper_exec_async", "call_usermodehelper_exec_work",
            "call_usermodehelper_exec", "task_work_run", "ret_from_fork", "__kthread_bind_mask",
            "kthread_complete_and_exit", "kthread_exit"
        ),
        other_versions=(
            "ret_from_fork_asm", "kthread_stop_put", "flush_scheduled_work",
            "ret_from_kernel_thread"
        ),
    ),
    Group(
        "syscall entry and compat wrappers",
        INFRA,
        "System-call entry and return to user space, and compat ioctl wrappers that translate "
        "arguments for the native handler they call.",
        source=(
            "arch/x86/entry/common.c", "arch/x86/entry/entry_64.S",
            "arch/x86/entry/entry_64_compat.S", "kernel/entry/common.c",
            "arch/arm64/kernel/syscall.c", "arch/arm64/kernel/entry-common.c",
            "arch/arm/kernel/entry-common.S", "arch/powerpc/kernel/syscall.c",
            "arch/s390/kernel/syscall.c", "fs/ioctl.c", "block/ioctl.c", "drivers/block/loop.c",
            "net/socket.c", "arch/*/kernel/entry*.S", "arch/*/kernel/signal.c", "drivers/", "net/",
            "fs/", "sound/", "virt/", "arch/*/kernel/", "arch/x86/entry/syscall_64.c"
        ),
        names=(
            "entry_SYSCALL_64", "entry_SYSCALL_64_after_hwframe", "do_syscall_64",
            "do_syscall_x64", "do_fast_syscall_32", "__do_fast_syscall_32", "do_int80_syscall_32",
            "do_SYSENTER_32", "entry_SYSENTER_compat", "entry_SYSENTER_compat_after_hwframe",
            "entry_SYSCALL_compat", "entry_SYSCALL_compat_after_hwframe", "entry_INT80_compat",
            "syscall_enter_from_user_mode", "syscall_exit_to_user_mode",
            "syscall_exit_to_user_mode_work", "irqentry_exit_to_user_mode", "syscall_trace_enter",
            "el0_svc", "el0_svc_common", "do_el0_svc", "invoke_syscall", "el0t_64_sync",
            "el0t_64_sync_handler", "el0_svc_compat", "do_el0_svc_compat", "el0t_32_sync",
            "el0t_32_sync_handler", "ret_to_user", "ret_fast_syscall", "vector_swi",
            "system_call_exception", "system_call_common", "__do_syscall", "system_call",
            "do_notify_resume", "arch_do_signal_or_restart", "compat_ptr_ioctl",
            "compat_blkdev_ioctl", "do_syscall_32_irqs_on", "clear_bhb_loop", "x64_sys_call"
        ),
        patterns=(
            r"(?:\w+_)?compat_(?:\w+_)?ioctl\w*",
        ),
        other_versions=(
            "entry_SYSCALL_64_fastpath", "syscall_return_slowpath", "tracesys",
            "system_call_fastpath", "sysenter_dispatch", "ia32_sysenter_target", "el0_sync",
            "el0_sync_handler", "el0_svc_handler", "el0_svc_compat_handler", "syscall_handler",
            "ia32_sys_call"
        ),
    ),
    Group(
        "device core and driver model",
        INFRA,
        "Device and driver registration, probing and teardown, kobjects, sysfs, kernfs, procfs and "
        "debugfs registration, IDs, device resources and notifier chains: they WARN on a driver's "
        "duplicate name or double removal, or call the driver's own callback.",
        source=(
            "drivers/base/core.c", "drivers/base/dd.c", "drivers/base/bus.c",
            "drivers/base/driver.c", "drivers/base/devres.c", "drivers/base/power/sysfs.c",
            "drivers/base/power/main.c", "drivers/base/power/runtime.c", "drivers/base/platform.c",
            "lib/kobject.c", "lib/kobject_uevent.c", "lib/klist.c", "lib/idr.c", "fs/sysfs/",
            "fs/kernfs/", "fs/proc/generic.c", "fs/proc/proc_net.c", "fs/proc/proc_sysctl.c",
            "fs/debugfs/inode.c", "kernel/notifier.c", "net/core/dev.c",
            "drivers/i2c/i2c-core-base.c", "drivers/usb/core/driver.c", "include/linux/kobject.h",
            "include/linux/idr.h", "include/linux/sysfs.h", "include/linux/pm_runtime.h",
            "fs/debugfs/", "include/linux/device.h", "drivers/base/class.c", "lib/radix-tree.c",
            "include/linux/radix-tree.h"
        ),
        names=(
            "device_add", "device_del", "device_register", "device_unregister", "device_destroy",
            "device_release", "put_device", "get_device", "device_create",
            "device_create_with_groups", "device_create_groups_vargs", "device_add_attrs",
            "device_remove_attrs", "device_create_file", "device_remove_file", "device_add_groups",
            "device_remove_groups", "device_for_each_child", "kill_device", "get_device_parent",
            "cleanup_glue_dir", "device_rename", "device_move", "really_probe",
            "__driver_probe_device", "driver_probe_device", "__device_attach",
            "__device_attach_driver", "device_attach", "device_initial_probe",
            "device_driver_attach", "__driver_attach", "driver_attach", "device_release_driver",
            "device_release_driver_internal", "__device_release_driver", "call_driver_probe",
            "driver_detach", "bus_add_device", "bus_remove_device", "bus_for_each_dev",
            "bus_for_each_drv", "bus_add_driver", "bus_remove_driver", "bus_probe_device",
            "driver_register", "driver_unregister", "driver_find_device", "driver_for_each_device",
            "release_nodes", "remove_nodes", "dpm_sysfs_remove", "dpm_sysfs_add",
            "device_pm_remove", "platform_device_add", "platform_device_del",
            "platform_device_unregister", "internal_create_group", "create_files", "remove_files",
            "proc_register", "proc_create_data", "proc_create", "proc_create_seq_private",
            "proc_create_single_data", "proc_symlink", "remove_proc_entry", "remove_proc_subtree",
            "proc_remove", "__proc_create", "__register_sysctl_table", "register_sysctl",
            "register_sysctl_table", "unregister_sysctl_table", "start_creating", "end_creating",
            "debugfs_remove", "notifier_call_chain", "raw_notifier_call_chain",
            "blocking_notifier_call_chain", "atomic_notifier_call_chain",
            "srcu_notifier_call_chain", "call_netdevice_notifiers",
            "call_netdevice_notifiers_info", "call_netdevice_notifiers_extack",
            "call_netdevice_notifiers_mtu", "kernfs_remove_by_name_ns", "kernfs_put",
            "unregister_netdevice_queue", "unregister_netdevice_many", "unregister_netdev",
            "netdev_run_todo", "i2c_del_adapter", "i2c_unregister_device", "__unregister_client",
            "__unregister_dummy", "i2c_del_driver", "usb_probe_interface", "usb_unbind_interface",
            "usb_probe_device", "usb_unbind_device", "devm_kmalloc", "devm_kfree", "devm_kzalloc",
            "devm_kcalloc", "devm_kmalloc_array", "devm_krealloc", "devm_kstrdup",
            "devm_kstrdup_const", "devm_kmemdup", "devm_kasprintf", "devm_kvasprintf",
            "devm_add_action", "devm_add_action_or_reset", "devm_remove_action",
            "devm_release_action", "devm_action_release", "devm_kmalloc_release",
            "devm_free_pages", "devm_get_free_pages", "devm_free_percpu", "sysfs_add_file_mode_ns",
            "sysfs_add_bin_file_mode_ns", "sysfs_add_file_to_group", "sysfs_add_link_to_group",
            "sysfs_create_bin_file", "sysfs_create_dir_ns", "sysfs_create_file",
            "sysfs_create_file_ns", "sysfs_create_files", "sysfs_create_group",
            "sysfs_create_groups", "sysfs_create_link", "sysfs_create_link_nowarn",
            "sysfs_create_link_sd", "sysfs_create_mount_point", "sysfs_delete_link",
            "sysfs_do_create_link", "sysfs_do_create_link_sd", "sysfs_merge_group",
            "sysfs_move_dir_ns", "sysfs_notify", "sysfs_notify_dirent", "sysfs_put", "sysfs_get",
            "sysfs_get_dirent", "sysfs_remove_bin_file", "sysfs_remove_dir", "sysfs_remove_file",
            "sysfs_remove_file_from_group", "sysfs_remove_file_ns", "sysfs_remove_file_self",
            "sysfs_remove_files", "sysfs_remove_group", "sysfs_remove_groups", "sysfs_remove_link",
            "sysfs_remove_link_from_group", "sysfs_remove_mount_point", "sysfs_rename_dir_ns",
            "sysfs_rename_link_ns", "sysfs_unmerge_group", "sysfs_update_group",
            "sysfs_update_groups", "sysfs_warn_dup", "sysfs_chmod_file", "__register_sysctl_paths",
            "register_sysctl_paths", "pde_subdir_insert", "device_links_purge",
            "devres_release_all", "unregister_netdevice_many_notify"
        ),
        patterns=(
            r"devres_\w+", r"kobject_\w+", r"kset_\w+", r"klist_\w+",
            r"ida_(?:alloc\w*|free|destroy|simple_get|simple_remove)",
            r"idr_(?:alloc\w*|remove|find|for_each|get_next\w*|replace|destroy|preload\w*|get_free)",
            r"internal_create_groups?", r"proc_mkdir\w*", r"proc_create_net\w*",
            r"debugfs_create_\w+", r"_*pm_runtime_\w+",
            # fs/debugfs/file.c: the proxy file_operations that call a driver's own handler
            r"full_proxy_(?:read|write|open|release|poll|unlocked_ioctl|llseek)",
            r"_*rpm_(?:callback|resume|suspend|idle|check_suspend_allowed|get_suppliers|put_suppliers|suspend_suppliers|drop_usage_count|get_callback)",
            r"_*blocking_notifier_call_chain\w*"
        ),
        other_versions=(
            "__raw_notifier_call_chain", "__blocking_notifier_call_chain",
            "__atomic_notifier_call_chain", "rollback_registered_many", "rollback_registered"
        ),
    ),
    Group(
        "USB core request helpers",
        INFRA,
        "Submitting, waiting for and cancelling URBs and control/bulk messages: usb_submit_urb "
        "WARNs about the driver's bad pipe or buffer, and a use-after-free in usb_kill_urb is the "
        "driver's freed URB.",
        source=(
            "drivers/usb/core/urb.c", "drivers/usb/core/message.c", "drivers/usb/core/hcd.c"
        ),
        names=(
            "usb_submit_urb", "usb_kill_urb", "usb_unlink_urb", "usb_poison_urb",
            "usb_kill_anchored_urbs", "usb_poison_anchored_urbs", "usb_unlink_anchored_urbs",
            "usb_anchor_urb", "usb_unanchor_urb", "usb_free_urb", "usb_start_wait_urb",
            "usb_bulk_msg", "usb_bulk_msg_killable", "usb_control_msg", "usb_control_msg_send",
            "usb_control_msg_recv", "usb_interrupt_msg", "usb_internal_control_msg",
            "usb_get_descriptor", "usb_string", "usb_hcd_submit_urb", "usb_hcd_unlink_urb",
            "usb_hcd_flush_endpoint", "usb_hcd_link_urb_to_ep"
        ),
    ),
    Group(
        "network device receive and transmit dispatch",
        INFRA,
        "The core receive and transmit paths that hand a packet to the protocol handler or to the "
        "driver's transmit function: the handler or the driver did the work.",
        source=(
            "net/core/dev.c", "net/core/gro.c", "include/net/gro.h", "include/linux/netdevice.h",
            "net/sched/sch_generic.c", "include/net/pkt_sched.h"
        ),
        names=(
            "__netif_receive_skb_core", "__netif_receive_skb_one_core",
            "__netif_receive_skb_list_core", "__netif_receive_skb", "netif_receive_skb",
            "netif_receive_skb_internal", "netif_receive_skb_list",
            "netif_receive_skb_list_internal", "process_backlog", "__napi_poll", "napi_poll",
            "net_rx_action", "netif_rx", "netif_rx_internal", "__netif_rx", "enqueue_to_backlog",
            "gro_normal_list", "napi_gro_receive", "dev_gro_receive", "napi_complete_done",
            "dev_queue_xmit", "__dev_queue_xmit", "dev_hard_start_xmit", "xmit_one",
            "sch_direct_xmit", "__qdisc_run", "qdisc_restart", "netdev_start_xmit",
            "__netdev_start_xmit", "__dev_direct_xmit", "__netif_receive_skb_list"
        ),
        other_versions=(
            "netif_receive_skb_sk", "netif_rx_ni"
        ),
    ),
    Group(
        "data structure libraries",
        INFRA,
        "Generic trees, arrays, hash tables, lists and sorting: they walk the structure their "
        "caller built or freed.",
        source=(
            "lib/xarray.c", "lib/rhashtable.c", "include/linux/rhashtable.h", "mm/list_lru.c",
            "lib/sort.c", "lib/list_sort.c", "lib/plist.c", "include/linux/xarray.h",
            "include/linux/rhashtable*.h", "include/linux/list_lru.h"
        ),
        names=(
            "sort", "sort_r", "list_sort", "plist_add", "plist_del"
        ),
        patterns=(
            r"_*xas?_\w+", r"_*rhashtable_\w+", r"_*rhltable_\w+", r"_*rht_bucket\w*",
            r"rht_deferred_worker", r"_*list_lru_\w+", r"memcg_\w*list_lru\w*"
        ),
    ),
    Group(
        "checksums and crypto",
        INFRA,
        "Checksum, CRC and cryptographic library functions and the crypto API that runs an "
        "algorithm over its user's buffers: the user passed them.",
        source=(
            "lib/crc32.c", "lib/crc-itu-t.c", "lib/crc16.c", "lib/crc-ccitt.c", "lib/crc7.c",
            "lib/crc8.c", "lib/crc-t10dif.c", "lib/crc64.c", "arch/x86/lib/csum-partial_64.c",
            "lib/checksum.c", "crypto/", "lib/crypto/", "lib/libcrc32c.c", "lib/crc64*.c",
            "include/crypto/", "arch/*/crypto/", "arch/*/lib/", "arch/*/include/asm/checksum*.h",
            "include/linux/crc*.h"
        ),
        names=(
            "csum_partial", "csum_partial_copy_generic", "csum_partial_copy_nocheck",
            "ip_compute_csum", "do_csum", "crc_itu_t", "crc16", "crc_ccitt", "crc_ccitt_false",
            "crc7_be", "crc8", "crc_t10dif", "crc_t10dif_generic", "crc_t10dif_update"
        ),
        patterns=(
            r"_*crc32c?_\w+", r"crc32c?", r"crc64_\w+", r"crypto_\w+",
            r"aes_(?:encrypt|decrypt|expandkey)", r"aesti_\w+", r"aesni_\w+", r"xts_\w+",
            r"_*sha(?:1|224|256|384|512)_\w+", r"_*chacha\w*", r"poly1305_\w+", r"_*blake2s\w*",
            r"gf128mul_\w+"
        ),
    ),
    Group(
        "page cache and folio helpers",
        INFRA,
        "Page-cache lookup, insertion, locking, writeback state and truncation helpers that a "
        "filesystem calls: they BUG or WARN on the state their caller left.",
        source=(
            "mm/filemap.c", "mm/folio-compat.c", "mm/swap.c", "mm/page-writeback.c",
            "mm/truncate.c", "include/linux/pagemap.h"
        ),
        names=(
            "__filemap_get_folio", "filemap_get_folio", "filemap_lock_folio", "find_get_page",
            "find_get_page_flags", "find_lock_page", "find_or_create_page",
            "grab_cache_page_write_begin", "grab_cache_page", "pagecache_get_page",
            "__page_cache_alloc", "page_cache_alloc", "filemap_alloc_folio",
            "add_to_page_cache_lru", "__filemap_add_folio", "filemap_add_folio",
            "do_read_cache_page", "do_read_cache_folio", "lock_page", "folio_lock", "__folio_lock",
            "__folio_lock_killable", "folio_lock_killable", "trylock_page", "folio_trylock",
            "folio_wait_bit_common", "folio_wait_bit", "folio_wait_bit_killable",
            "wait_on_page_locked", "wait_on_page_writeback", "folio_wait_writeback",
            "folio_wait_stable", "wait_for_stable_page", "unlock_page", "folio_unlock",
            "folio_wake_bit", "wake_page_function", "end_page_writeback", "folio_end_writeback",
            "page_endio", "mark_page_accessed", "folio_mark_accessed", "lru_cache_add",
            "folio_add_lru", "__pagevec_release", "set_page_dirty", "folio_mark_dirty",
            "__set_page_dirty_nobuffers", "filemap_dirty_folio", "clear_page_dirty_for_io",
            "folio_clear_dirty_for_io", "set_page_writeback", "__folio_start_writeback",
            "balance_dirty_pages_ratelimited", "balance_dirty_pages_ratelimited_flags",
            "balance_dirty_pages", "truncate_inode_pages", "truncate_inode_pages_range",
            "truncate_inode_pages_final", "truncate_pagecache", "invalidate_inode_pages2",
            "invalidate_inode_pages2_range", "invalidate_mapping_pages", "truncate_cleanup_folio",
            "find_lock_entries", "find_get_entries", "delete_from_page_cache_batch",
            "__filemap_remove_folio", "filemap_remove_folio", "page_cache_delete",
            "page_cache_delete_batch", "__set_page_dirty", "find_get_entry"
        ),
        other_versions=(
            "__add_to_page_cache_locked", "__lock_page", "__lock_page_killable",
            "wait_on_page_bit_killable", "test_clear_page_writeback", "find_lock_entry",
            "filemap_grab_folio", "add_to_page_cache_locked", "wait_on_page_bit",
            "wait_on_page_bit_common", "wake_up_page_bit", "__delete_from_page_cache"
        ),
    ),
    Group(
        "fs bookkeeping helpers",
        INFRA,
        "Inode link counts, inode and dentry reference drops, file release and buffer-head helpers: "
        "they WARN on the filesystem's inconsistent state (drop_nlink on a zero count) or run its "
        "release callbacks.",
        source=(
            "fs/inode.c", "fs/buffer.c", "fs/dcache.c", "fs/file_table.c",
            "include/linux/buffer_head.h"
        ),
        names=(
            "drop_nlink", "clear_nlink", "set_nlink", "inc_nlink", "iput", "iput_final", "ihold",
            "__destroy_inode", "destroy_inode", "mark_buffer_dirty", "mark_buffer_dirty_inode",
            "__brelse", "brelse", "__bforget", "bforget", "__getblk_gfp", "__bread_gfp",
            "__find_get_block", "unlock_buffer", "__wait_on_buffer", "wait_on_buffer",
            "sync_dirty_buffer", "__sync_dirty_buffer", "submit_bh", "submit_bh_wbc",
            "end_buffer_read_sync", "end_buffer_write_sync", "end_buffer_async_read",
            "end_buffer_async_read_io", "end_buffer_async_write", "end_bio_bh_io_sync", "dput",
            "__dentry_kill", "dentry_kill", "fast_dput", "fput", "__fput", "____fput",
            "delayed_fput", "__fput_sync", "flush_delayed_fput", "__getblk", "__bread"
        ),
        other_versions=(
            "fput_many", "ll_rw_block"
        ),
    ),
    Group(
        "tracing and accounting hooks",
        INFRA,
        "Tracepoint stubs, perf and BPF trace glue, and PSI pressure accounting: called from the "
        "scheduler and subsystems to record what happens, not to do it.",
        source=(
            "include/linux/tracepoint.h", "include/trace/perf.h", "include/trace/trace_events.h",
            "include/trace/bpf_probe.h", "kernel/trace/bpf_trace.c", "kernel/sched/psi.c",
            "include/linux/trace_events.h", "kernel/trace/trace_event_perf.c",
            "kernel/trace/trace_events_synth.c", "kernel/sched/stats.h"
        ),
        names=(
            "__bpf_trace_run", "record_times"
        ),
        patterns=(
            r"__traceiter_\w+", r"perf_trace_\w+", r"trace_event_raw_event_\w+",
            r"__bpf_trace_\w+", r"bpf_trace_run\d+", r"psi_\w+"
        ),
    ),
    Group(
        "printk and device messages",
        INFRA,
        "printk, consoles, dev_/netdev_ message helpers and dynamic debug: printing a message is "
        "never the fault; the code that asked for it is.",
        source=(
            "kernel/printk/printk.c", "kernel/printk/printk_safe.c", "drivers/base/core.c",
            "net/core/dev.c", "lib/dynamic_debug.c"
        ),
        names=(
            "console_unlock", "console_lock", "console_trylock", "console_emit_next_record",
            "console_flush_all", "__up_console_sem", "__down_trylock_console_sem",
            "console_trylock_spinning", "wake_up_klogd", "defer_console_output", "dev_printk",
            "_dev_printk", "__dev_printk", "dev_printk_emit", "dev_vprintk_emit",
            "__netdev_printk", "netdev_printk", "__dynamic_pr_debug", "__dynamic_dev_dbg",
            "__dynamic_netdev_dbg", "__dynamic_ibdev_dbg"
        ),
        patterns=(
            r"_*v?printk\w*", r"_dev_(?:emerg|alert|crit|err|warn|notice|info)",
            r"dev_(?:emerg|alert|crit|err|warn|notice|info)",
            r"netdev_(?:emerg|alert|crit|err|warn|notice|info)"
        ),
        other_versions=(
            "call_console_drivers", "log_store"
        ),
    ),
    Group(
        "RCU callbacks",
        INFRA,
        "Queuing and running RCU callbacks: the callback or the code that queued it is what "
        "matters.",
        source=(
            "kernel/rcu/tree.c", "kernel/rcu/update.c"
        ),
        names=(
            "call_rcu", "rcu_do_batch", "rcu_core", "rcu_core_si"
        ),
        other_versions=(
            "call_rcu_sched", "call_rcu_bh", "rcu_process_callbacks", "__rcu_process_callbacks",
            "__rcu_reclaim", "__call_rcu", "__call_rcu_common", "kfree_call_rcu"
        ),
    ),
    Group(
        "indirect-call thunks",
        THUNK,
        "Retpoline and call-depth thunks that an indirect call goes through: the target (or the "
        "caller that loaded a bad pointer) is what matters.",
        source=(
            "arch/x86/lib/retpoline.S", "arch/x86/include/asm/nospec-branch.h"
        ),
        names=(
            "__x86_return_thunk",
        ),
        patterns=(
            r"__x86_indirect_thunk_\w+", r"__x86_indirect_call_thunk_\w+",
            r"__x86_indirect_jump_thunk_\w+"
        ),
    ),
    Group(
        "stubs and paravirt calls",
        INFRA,
        "Compiler and linker glue: function padding and CFI stubs, hypercall pages.",
        source=(
            "arch/x86/xen/xen-head.S", "include/linux/cfi.h", "arch/x86/kernel/alternative.c",
            "drivers/xen/events/events_base.c", "arch/x86/xen/"
        ),
        names=(
            "hypercall_page", "xen_hypercall_xen_version", "xen_poll_irq", "xen_poll_irq_timeout"
        ),
        patterns=(
            r"__pfx_\w+", r"__cfi_\w+", r"xen_hypercall_\w+"
        ),
    ),
    Group(
        "Rust panic and helpers",
        INFRA,
        "Rust's panic path (the panic handler and core::panicking) and the C helpers Rust code "
        "calls (rust_helper_BUG): the Rust function that panicked is above them.",
        source=(
            "rust/kernel/lib.rs", "rust/helpers.c", "rust/helpers/bug.c"
        ),
        names=(
            "core::result::unwrap_failed", "core::option::unwrap_failed",
            "core::option::expect_failed"
        ),
        patterns=(
            r"rust_helper_\w+", r"core::panicking::[\w:]+", r"(?:\w+::)*rust_begin_unwind"
        ),
    ),
    Group(
        "memory leak: allocation path",
        LEAK,
        "A kmemleak backtrace is the allocation call chain of the leaked object: every frame that "
        "allocates (its name says alloc, dup or new object) belongs to the allocation path; the "
        "leak is owned by the first caller outside it.",
        source=(
            "mm/kmemleak.c", "mm/util.c", "mm/mempool.c"
        ),
        patterns=(
            r"\w*alloc\w*", r"\w*strdup\w*", r"\w*memdup\w*", r"create_object"
        ),
    ),
    Group(
        "RCU stall: detection and reporting",
        RCU_STALL,
        "An RCU stall is detected and printed from the scheduler tick by RCU itself: RCU functions "
        "and the clock and tick code above the stalled frame are the messenger.",
        source=(
            "kernel/rcu/", "kernel/time/tick-sched.c", "kernel/time/timekeeping.c",
            "kernel/sched/clock.c"
        ),
        names=(
            "check_cpu_stall", "print_cpu_stall", "print_other_cpu_stall", "print_cpu_stall_info"
        ),
        patterns=(
            r"\w*rcu\w*", r"_*sched_clock\w*", r"tick_\w+", r"_*hrtimer_\w+", r"ktime_get\w*",
            r"update_process_times"
        ),
    ),
    Group(
        "hung task: blocking waits",
        HUNG_WAIT,
        "A hung task's stack ends in what it waits in: functions named for waiting, locking, "
        "flushing, completing or synchronizing (kernel naming: wait_on_*, *_lock, down_*, flush_*, "
        "*_completion, synchronize_*), the freezer and the kthread helpers. The culprit is the "
        "first caller outside them.",
        source=(
            "kernel/sched/", "kernel/locking/", "kernel/workqueue.c", "kernel/freezer.c",
            "kernel/kthread.c", "include/linux/wait.h"
        ),
        patterns=(
            r"\w*wait\w*", r"(?:\w+_)?(?:un)?lock(?:_\w+)?", r"(?:\w+_)?down(?:_\w+)?",
            r"(?:\w+_)?flush(?:_\w+)?", r"\w*completion\w*", r"\w*_sem(?:_\w+)?", r"\w*sched\w*",
            r"\w*freez\w*", r"__?refrigerator", r"kthread\w*", r"(?:\w+_)?rcu_\w+"
        ),
    ),
    Group(
        "hung task: named waits",
        HUNG_ANSWER,
        "Waits that everything queues behind (the RTNL mutex, RCU grace periods): a hung task "
        "blocked in one is reported by that wait, which identifies the problem better than the "
        "caller.",
        source=(
            "net/core/rtnetlink.c", "kernel/rcu/tree.c", "kernel/rcu/srcutree.c"
        ),
        names=(
            "rtnl_lock",
        ),
        patterns=(
            r"_*synchronize_\w+",
        ),
    ),
    Group(
        "kernel BUG: socket-buffer length checks",
        BUG_SKB,
        "skb_put/skb_push and their skb_over_panic/skb_under_panic BUG() when the caller writes "
        "past the buffer it allocated: in a kernel BUG the caller is guilty.",
        source=(
            "net/core/skbuff.c", "include/linux/skbuff.h"
        ),
        names=(
            "skb_panic", "skb_over_panic", "skb_under_panic", "skb_put", "skb_push", "__skb_put",
            "__skb_push", "skb_pull", "__skb_pull", "skb_put_data", "skb_put_zero", "skb_put_u8"
        ),
    ),
    Group(
        "stall anchors: dispatch into an implementation",
        ANCHOR,
        "Where generic code calls an implementation through a function pointer or runs a queued "
        "callback: syscall entry, workqueue and kthread loops, softirq, timer and hrtimer "
        "callbacks, RCU callbacks, the VFS, socket, netlink and block ioctl dispatch, page-fault "
        "and mmap dispatch. In a stall the frame just above the first such frame is the code that "
        "ran too long.",
        source=(
            "arch/x86/entry/common.c", "arch/arm64/kernel/syscall.c", "kernel/workqueue.c",
            "kernel/kthread.c", "kernel/smpboot.c", "kernel/softirq.c", "kernel/time/timer.c",
            "kernel/time/hrtimer.c", "kernel/rcu/tree.c", "kernel/task_work.c", "fs/read_write.c",
            "fs/ioctl.c", "fs/open.c", "mm/mmap.c", "mm/memory.c", "net/socket.c",
            "net/netlink/af_netlink.c", "net/netlink/genetlink.c", "net/core/rtnetlink.c",
            "net/netfilter/nfnetlink.c", "net/core/dev.c", "net/core/sock.c", "block/ioctl.c",
            "kernel/irq/manage.c", "arch/*/kernel/entry*.S", "arch/*/kernel/entry-common.c",
            "arch/powerpc/kernel/syscall.c", "arch/s390/kernel/syscall.c",
            "include/linux/syscalls.h", "arch/x86/entry/syscall_64.c"
        ),
        names=(
            "ret_from_fork", "kthread", "do_syscall_64", "do_syscall_x64", "__do_fast_syscall_32",
            "do_fast_syscall_32", "do_int80_syscall_32", "el0_svc", "el0_svc_common",
            "invoke_syscall", "do_el0_svc", "do_el0_svc_compat", "ret_fast_syscall", "vector_swi",
            "system_call", "system_call_exception", "__do_syscall", "process_one_work",
            "worker_thread", "kthread_worker_fn", "smpboot_thread_fn", "run_ksoftirqd",
            "__do_softirq", "tasklet_action", "tasklet_action_common", "tasklet_hi_action",
            "call_timer_fn", "expire_timers", "__run_timers", "run_timer_softirq", "__run_hrtimer",
            "rcu_do_batch", "rcu_core", "task_work_run", "vfs_read", "vfs_write", "vfs_readv",
            "vfs_writev", "do_iter_read", "do_iter_write", "vfs_iter_read", "vfs_iter_write",
            "new_sync_read", "new_sync_write", "vfs_ioctl", "do_vfs_ioctl", "do_dentry_open",
            "vfs_open", "mmap_region", "do_mmap", "__do_fault", "sock_sendmsg", "sock_recvmsg",
            "__sock_sendmsg", "sock_common_setsockopt", "__sys_setsockopt", "sys_setsockopt",
            "netlink_dump", "genl_rcv_msg", "rtnetlink_rcv_msg", "nfnetlink_rcv_msg",
            "netif_receive_skb", "__netif_receive_skb", "__netif_receive_skb_core",
            "__netif_receive_skb_one_core", "process_backlog", "net_rx_action", "blkdev_ioctl",
            "compat_blkdev_ioctl", "irq_thread_fn", "irq_forced_thread_fn", "handle_softirqs",
            "x64_sys_call"
        ),
        patterns=(
            r"entry_SYSCALL\w*", r"el0t_\w+",
            r"(?:__x64_|__ia32_|__arm64_|__se_|__do_|compat_)*(?:sys|SyS|ksys)_ioctl"
        ),
        other_versions=(
            "sysenter_dispatch", "tracesys", "system_call_fastpath", "__sys_trace", "__vfs_read",
            "__vfs_write", "call_read_iter", "call_write_iter", "block_ioctl",
            "rcu_process_callbacks", "ia32_sys_call"
        ),
    ),
    Group(
        "stall: interrupt entry",
        IRQ_ENTRY,
        "The interrupt that ran the watchdog or RCU check: in a stall report the frames below it "
        "(after the interrupt-stack switch) are the stalled code.",
        source=(
            "arch/x86/kernel/apic/apic.c", "arch/x86/include/asm/idtentry.h",
            "arch/x86/entry/entry_64.S", "arch/arm64/kernel/entry-common.c",
            "arch/arm/kernel/entry-armv.S", "drivers/irqchip/irq-gic.c",
            "arch/powerpc/kernel/time.c", "arch/x86/kernel/irq.c", "arch/*/kernel/time.c"
        ),
        names=(
            "sysvec_apic_timer_interrupt", "asm_sysvec_apic_timer_interrupt", "common_interrupt",
            "asm_common_interrupt", "el1h_64_irq", "el1h_64_irq_handler", "el1_interrupt",
            "gic_handle_irq", "__irq_svc", "timer_interrupt"
        ),
        patterns=(
            r"(?:smp_)?(?:trace_)?apic_timer_interrupt\w*",
        ),
        other_versions=(
            "el1_irq", "do_IRQ", "ret_from_intr"
        ),
    ),
)
# fmt: on
