"""The explicit registry of fixers: check id -> the function that proposes its fix,
`fixer(ctx: FixContext, result: Result) -> Proposal`.

Every check that can report WARN or CRIT is either here or in MANUAL_ONLY with the reason
kcrashd fix leaves it to the operator (a test asserts it).
"""

from __future__ import annotations

from kcrashd.fixers import bootloader, journald, kdump, pstore, sysctl

FIXERS = (
    # sysctl drop-in, then sysctl --system
    ("panic_timeout", sysctl.propose),
    ("panic_on_oops", sysctl.propose),
    ("kptr_restrict", sysctl.propose),
    ("softlockup_panic", sysctl.propose),
    ("oops_warn_counts", sysctl.propose),
    # journald persistence
    ("journald_persistent", journald.propose),
    ("journal_previous_boot", journald.propose),
    # kdump-tools / kdump.conf
    ("dump_filter_level", kdump.collector),
    ("kdump_service", kdump.service),
    ("dump_target_config", kdump.dump_dir),
    # pstore and ramoops
    ("pstore_backend", pstore.backend),
    ("pstore_archival", pstore.archival),
    ("ramoops_config", pstore.ramoops),
    # crashkernel=: printed, or with --bootloader edited on a boot path kcrashd knows
    ("crashkernel_cmdline", bootloader.propose),
    ("crashkernel_persistent", bootloader.propose),
    ("crashkernel_size_adequate", bootloader.propose),
)

_PACKAGES = "installing packages is the package manager's job (and the admin's choice)"
_INITRD = (
    "the capture initramfs is rebuilt by the kdump tooling itself (kdump-config load, "
    "kdumpctl restart), which the kdump settings fixes run when kdump is loaded"
)

MANUAL_ONLY = {
    "kexec_support": "needs a kernel built with kexec and crash dump support",
    "crashkernel_reserved": (
        "a reservation that failed needs a size or placement chosen for this machine "
        "(see the boot log), not a default"
    ),
    "kexec_load_policy": (
        "kexec_load_disabled latches until reboot and is set by a hardening policy; kcrashd "
        "does not loosen security settings"
    ),
    "crash_hotplug": _PACKAGES,
    "kdump_loaded": (
        "the kdump service loads the crash kernel: fix what stops it (crashkernel_*, "
        "kdump_service, kdump_tooling) and it is loaded at boot"
    ),
    "kdump_tooling": _PACKAGES,
    "kdump_initrd_present": _INITRD,
    "kdump_initrd_fresh": _INITRD,
    "kdump_last_test": "a test crashes the host: only an operator decides when",
    "dump_space": "which dumps to delete or where to move them is a decision",
    "previous_dumps": "a failed or large dump needs to be looked at before it is removed",
    "kernel_tainted": "a taint is cleared only by a reboot, after the cause is understood",
    "vmcoreinfo": "needs a kernel with VMCOREINFO",
    "debug_vmlinux": _PACKAGES,
    "kcrashd_service": (
        "the package enables kcrashd; a unit an admin disabled stays as the admin left it"
    ),
    "state_directory": (
        "a state directory that is not writable has a cause (a read-only or full "
        "filesystem, a wrong owner) that needs a look"
    ),
}

BY_CHECK = dict(FIXERS)
