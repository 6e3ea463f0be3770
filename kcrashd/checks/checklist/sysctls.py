"""Panic-path sysctls that one value decides, declared as a table (see sysctl_check.py).

Each row: the check id, its title and area, the sysctl, what is expected (for the facts),
the rules in order (test, status, summary, value the fix sets) and the explanation. The fix
is the same sysctl.d line on both distro families (readiness-checks.md section D).
Checks that weigh several sysctls together (softlockup_panic, hung_task_panic ...) keep
their own module.
"""

from __future__ import annotations

from kcrashd.checks.sysctl_check import (
    Rule,
    SysctlCheck,
    anything,
    at_least,
    equal_to,
    negative,
    nonzero,
    one_or_bits,
    positive,
)
from kcrashd.model import Status

OK, INFO, WARN = Status.OK, Status.INFO, Status.WARN

SYSCTLS = (
    SysctlCheck(
        "panic_timeout",
        "Reboot after panic",
        "panic",
        "kernel.panic",
        "> 0",
        (
            Rule(positive, OK, "reboots {value}s after a panic"),
            Rule(negative, INFO, "reboots immediately after a panic (console output is lost)"),
            Rule(
                anything,
                WARN,
                "a panic without kdump leaves the host hung forever (kernel.panic = 0)",
                set_to=10,
            ),
        ),
        "Reads kernel.panic (seconds before rebooting after a panic; 0 waits forever, negative "
        "reboots at once). kdump runs before this timeout, so it matters when kdump is missing "
        "or fails: then 0 leaves the host hung until someone power-cycles it.",
    ),
    SysctlCheck(
        "panic_on_oops",
        "Oops panics",
        "panic",
        "kernel.panic_on_oops",
        "1",
        (
            Rule(nonzero, OK, "an oops panics and triggers kdump"),
            Rule(
                anything,
                WARN,
                "an oops is only logged: no dump, and the kernel keeps running damaged",
                set_to=1,
            ),
        ),
        "Reads kernel.panic_on_oops (cmdline oops=panic). Most kernel bugs are oopses; with 0 "
        "they are only logged, no vmcore is taken, and the kernel keeps running in a corrupted "
        "state. kdump-config load sets it to 1 on Debian. A desktop may choose 0 "
        "(checks.severity: {panic_on_oops: INFO}).",
    ),
    SysctlCheck(
        "panic_on_warn",
        "WARN panics",
        "panic",
        "kernel.panic_on_warn",
        "0",
        (
            Rule(nonzero, INFO, "any kernel warning panics the host"),
            Rule(anything, OK, "warnings are logged (default)"),
        ),
        "Reads kernel.panic_on_warn. 1 captures the state at a WARN, which is useful for "
        "targeted debugging but risky as a permanent default: any warning reboots the host.",
    ),
    SysctlCheck(
        "panic_on_rcu_stall",
        "RCU stall panics",
        "panic",
        "kernel.panic_on_rcu_stall",
        None,
        (
            Rule(nonzero, INFO, "an RCU stall panics and is dumped"),
            Rule(anything, INFO, "an RCU stall is logged, not dumped (default)"),
        ),
        "Reads kernel.panic_on_rcu_stall (and max_rcu_stall_to_panic). 1 takes a vmcore on an "
        "RCU stall, which helps find its root cause; 0 (default) only logs it.",
    ),
    SysctlCheck(
        "panic_on_oom",
        "OOM panics",
        "panic",
        "vm.panic_on_oom",
        None,
        (
            Rule(equal_to(0), INFO, "the OOM killer ends a process (default)"),
            Rule(equal_to(1), INFO, "OOM panics unless constrained"),
            Rule(equal_to(2), INFO, "OOM always panics"),
            Rule(anything, INFO, "vm.panic_on_oom = {value}"),
        ),
        "Reads vm.panic_on_oom: 0 kills a process (default), 1 panics unless the OOM is "
        "confined by a mempolicy or cpuset, 2 always panics. With kdump, 2 is a strong tool to "
        "find why memory ran out, where failover is preferred to a degraded host.",
    ),
    SysctlCheck(
        "sysrq_dump",
        "SysRq crash key",
        "panic",
        "kernel.sysrq",
        "1 or a mask with 8",
        (
            Rule(one_or_bits(8), OK, "SysRq-c can force a dump from the keyboard or serial"),
            Rule(
                anything,
                INFO,
                "SysRq-c is off for keyboard and serial (root can still use /proc/sysrq-trigger)",
            ),
        ),
        "Reads kernel.sysrq: 1 enables every SysRq function, otherwise a bitmask in which 8 "
        "(SYSRQ_ENABLE_DUMP) allows the crash key. It lets an operator dump a hung but "
        "responsive console; root can always use /proc/sysrq-trigger regardless.",
        absent="kernel without SysRq",
    ),
    SysctlCheck(
        "kptr_restrict",
        "Kernel pointers readable by root",
        "panic",
        "kernel.kptr_restrict",
        "0 or 1",
        (
            Rule(
                at_least(2),
                WARN,
                "kernel pointers are hidden even from root: loading the crash kernel may fail",
                set_to=1,
            ),
            Rule(anything, OK, "kernel.kptr_restrict = {value}"),
        ),
        "Reads kernel.kptr_restrict. With KASLR, loading the capture kernel reads "
        "/proc/kallsyms; at 2 the addresses are zeros even for root and 'capture kernel "
        "loading could fail' (the kdump howto recommends 1).",
    ),
)

BY_ID = {c.check_id: c for c in SYSCTLS}
