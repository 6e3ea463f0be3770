"""The expected status of every check on every fixture root (tests/fixtures/roots)."""

from __future__ import annotations

import pytest

from kcrashd.checks import run_checks
from kcrashd.checks.registry import CHECKS
from kcrashd.config import Config
from kcrashd.host.files import free_and_size
from kcrashd.host.meminfo import read_meminfo
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner

# DISK: depends on the free space of the disk holding the checkout (statvfs of the fixture's
# /var/crash): OK when it can hold MemTotal, else WARN (a filtering collector is configured).
DISK = "DISK"
IDS = [c.CHECK_ID for c in CHECKS]

# Columns: debian12-kdump-ready, debian12-kdump-not-loaded, rhel9-kdump-ready,
#          rhel9-no-crashkernel, efi-pstore-previous-panic, vm-nothing-configured
SCENARIOS = (
    "debian12-kdump-ready",
    "debian12-kdump-not-loaded",
    "rhel9-kdump-ready",
    "rhel9-no-crashkernel",
    "efi-pstore-previous-panic",
    "vm-nothing-configured",
)
TABLE = {
    # A. kernel capability and crash memory
    "kexec_support": ("OK", "OK", "OK", "OK", "OK", "CRIT"),
    "crashkernel_cmdline": ("OK", "OK", "OK", "CRIT", "CRIT", "CRIT"),
    "crashkernel_reserved": ("OK", "OK", "OK", "SKIP", "SKIP", "SKIP"),
    "crashkernel_size_adequate": ("OK", "OK", "OK", "SKIP", "SKIP", "SKIP"),
    "crashkernel_persistent": ("OK", "OK", "OK", "INFO", "INFO", "SKIP"),
    "kexec_load_policy": ("OK", "OK", "OK", "CRIT", "OK", "SKIP"),
    "crash_hotplug": ("SKIP", "SKIP", "SKIP", "SKIP", "SKIP", "SKIP"),
    # B. kdump service
    "kdump_loaded": ("OK", "CRIT", "OK", "CRIT", "CRIT", "CRIT"),
    "kdump_tooling": ("OK", "CRIT", "OK", "OK", "CRIT", "CRIT"),
    "kdump_service": ("OK", "CRIT", "OK", "OK", "SKIP", "SKIP"),
    "kdump_initrd_present": ("OK", "CRIT", "OK", "WARN", "SKIP", "SKIP"),
    "kdump_initrd_fresh": ("OK", "SKIP", "OK", "SKIP", "SKIP", "SKIP"),
    "kdump_last_test": ("OK", "WARN", "OK", "WARN", "SKIP", "SKIP"),
    # C. dump target and space
    "dump_target_config": ("OK", "OK", "OK", "CRIT", "SKIP", "SKIP"),
    "dump_filter_level": ("OK", "CRIT", "OK", "OK", "SKIP", "SKIP"),
    "dump_space": (DISK, DISK, DISK, DISK, "SKIP", "SKIP"),
    "previous_dumps": ("INFO", "OK", "INFO", "OK", "SKIP", "SKIP"),
    # D. panic path
    "panic_timeout": ("OK", "WARN", "OK", "WARN", "WARN", "WARN"),
    "panic_on_oops": ("OK", "WARN", "OK", "OK", "WARN", "WARN"),
    "softlockup_panic": ("INFO",) * 6,
    "hardlockup_panic": ("INFO",) * 6,
    "hung_task_panic": ("INFO",) * 6,
    "panic_on_warn": ("OK",) * 6,
    "nmi_panic": ("INFO",) * 6,
    "panic_on_rcu_stall": ("INFO",) * 6,
    "panic_on_oom": ("INFO",) * 6,
    "sysrq_dump": ("INFO",) * 6,
    "kptr_restrict": ("OK", "OK", "OK", "WARN", "OK", "OK"),
    "post_notifiers": ("INFO",) * 6,
    "panic_print": ("INFO",) * 6,
    # E. kernel health
    "kernel_tainted": ("OK", "WARN", "OK", "INFO", "OK", "OK"),
    "oops_warn_counts": ("OK", "INFO", "OK", "OK", "OK", "OK"),
    # F. persistent logs
    "pstore_backend": ("OK", "WARN", "OK", "OK", "OK", "INFO"),
    "pstore_archival": ("OK", "SKIP", "OK", "WARN", "INFO", "SKIP"),
    "ramoops_config": ("SKIP",) * 6,
    "journald_persistent": ("OK", "WARN", "OK", "OK", "OK", "WARN"),
    "journal_previous_boot": ("OK", "SKIP", "INFO", "WARN", "WARN", "SKIP"),
    # G. analysis readiness
    "debug_vmlinux": ("OK", "WARN", "WARN", "WARN", "WARN", "WARN"),
    "crash_utility": ("OK", "INFO", "INFO", "INFO", "INFO", "INFO"),
    "vmcoreinfo": ("OK", "OK", "OK", "OK", "OK", "WARN"),
    # prevention and diagnosis aids
    "edac_present": ("OK", "INFO", "OK", "OK", "INFO", "INFO"),
    "kfence": ("INFO",) * 6,
    "ftrace_dump_on_oops": ("INFO",) * 6,
    "console_loglevel": ("INFO", "INFO", "INFO", "INFO", "INFO", "OK"),
    "netconsole": ("INFO",) * 6,
    # kcrashd
    "kcrashd_service": ("OK", "INFO", "OK", "OK", "OK", "INFO"),
    "state_directory": ("OK", "INFO", "OK", "OK", "OK", "INFO"),
}


def test_table_covers_every_check():
    assert list(TABLE) == IDS


def _disk_verdict(root: Root) -> str:
    free, _ = free_and_size(root, "/var/crash")
    return "OK" if free >= read_meminfo(root)["MemTotal"] * 1024 else "WARN"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_check_on_every_root(roots, scenario):
    root = Root(str(roots / scenario))
    results = run_checks(root, CommandRunner(), Config())
    column = SCENARIOS.index(scenario)
    got = {r.check_id: r.status.value for r in results}
    want = {cid: row[column] for cid, row in TABLE.items()}
    want = {cid: (_disk_verdict(root) if s == DISK else s) for cid, s in want.items()}
    diff = {cid: (want[cid], got.get(cid)) for cid in want if want[cid] != got.get(cid)}
    assert not diff, f"{scenario}: (expected, got) {diff}"
    for r in results:
        assert r.summary and "\n" not in r.summary
        if r.status.value in ("WARN", "CRIT"):
            assert r.fix


def test_fixes_follow_the_distro_family(roots):
    deb = {
        r.check_id: r
        for r in run_checks(Root(str(roots / SCENARIOS[1])), CommandRunner(), Config())
    }
    rh = {
        r.check_id: r
        for r in run_checks(Root(str(roots / SCENARIOS[3])), CommandRunner(), Config())
    }
    assert "kdump-config" in deb["kdump_loaded"].fix
    assert "kdumpctl" not in deb["kdump_loaded"].fix
    assert "grubby" in rh["crashkernel_cmdline"].fix
    assert "update-grub" not in rh["crashkernel_cmdline"].fix
    assert "dnf" in rh["debug_vmlinux"].fix and "apt" in deb["debug_vmlinux"].fix
