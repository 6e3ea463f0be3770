"""The explicit registry of readiness checks, in display order.

Every module in kcrashd/checks/checklist/ is listed here exactly once, and so is every row of
the declarative sysctl table (checklist/sysctls.py); a test asserts both. Every check id of
the reference index (readiness-checks.md section 8) is either here or in NOT_IMPLEMENTED
with the reason.
"""

from __future__ import annotations

from kcrashd.checks.checklist import (
    console_loglevel,
    crash_hotplug,
    crash_utility,
    crashkernel_cmdline,
    crashkernel_persistent,
    crashkernel_reserved,
    crashkernel_size_adequate,
    debug_vmlinux,
    dump_filter_level,
    dump_space,
    dump_target_config,
    edac_present,
    ftrace_dump_on_oops,
    hardlockup_panic,
    hung_task_panic,
    journal_previous_boot,
    journald_persistent,
    kcrashd_service,
    kdump_initrd_fresh,
    kdump_initrd_present,
    kdump_last_test,
    kdump_loaded,
    kdump_service,
    kdump_tooling,
    kernel_tainted,
    kexec_load_policy,
    kexec_support,
    kfence,
    netconsole,
    nmi_panic,
    oops_warn_counts,
    panic_print,
    post_notifiers,
    previous_dumps,
    pstore_archival,
    pstore_backend,
    ramoops_config,
    softlockup_panic,
    state_directory,
    vmcoreinfo,
)
from kcrashd.checks.checklist.sysctls import BY_ID as SYSCTL

# (area key, heading), in display order.
AREAS = (
    ("kernel", "Kernel capability and crash memory"),
    ("kdump", "kdump service"),
    ("dump", "Dump target and space"),
    ("panic", "Panic path"),
    ("health", "Kernel health"),
    ("logs", "Persistent logs"),
    ("analysis", "Analysis readiness"),
    ("aids", "Prevention and diagnosis aids"),
    ("kcrashd", "kcrashd"),
)

CHECKS = (
    # A. kernel capability and memory reservation
    kexec_support,
    crashkernel_cmdline,
    crashkernel_reserved,
    crashkernel_size_adequate,
    crashkernel_persistent,
    kexec_load_policy,
    crash_hotplug,
    # B. kdump service
    kdump_loaded,
    kdump_tooling,
    kdump_service,
    kdump_initrd_present,
    kdump_initrd_fresh,
    kdump_last_test,
    # C. dump target and space
    dump_target_config,
    dump_filter_level,
    dump_space,
    previous_dumps,
    # D. panic path
    SYSCTL["panic_timeout"],
    SYSCTL["panic_on_oops"],
    softlockup_panic,
    hardlockup_panic,
    hung_task_panic,
    SYSCTL["panic_on_warn"],
    nmi_panic,
    SYSCTL["panic_on_rcu_stall"],
    SYSCTL["panic_on_oom"],
    SYSCTL["sysrq_dump"],
    SYSCTL["kptr_restrict"],
    post_notifiers,
    panic_print,
    # E. kernel health
    kernel_tainted,
    oops_warn_counts,
    # F. persistent logs
    pstore_backend,
    pstore_archival,
    ramoops_config,
    journald_persistent,
    journal_previous_boot,
    # G. analysis readiness
    debug_vmlinux,
    crash_utility,
    vmcoreinfo,
    # prevention and diagnosis aids
    edac_present,
    kfence,
    ftrace_dump_on_oops,
    console_loglevel,
    netconsole,
    # kcrashd itself
    kcrashd_service,
    state_directory,
)

NOT_IMPLEMENTED = {
    "kdump_tool_status": (
        "running kdump-config or kdumpctl has side effects (kdump-config mkdir -p's "
        "KDUMP_COREDIR; kdumpctl status may mount the dump target and rewrite its status "
        "file); kdump_loaded reads the same sysfs ground truth both tools test"
    ),
}

BY_ID = {c.CHECK_ID: c for c in CHECKS}
