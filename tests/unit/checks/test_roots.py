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

# Columns, in SCENARIOS order (tests/fixtures/roots/README.md says what host each is shaped like):
# D12 ready, D12 not loaded, R9 ready, R9 no crashkernel, EFI pstore panic, bare VM,
# D12 direct boot (issue 17's guest), D12 1 GB GRUB, R8 BLS/grubby.
SCENARIOS = (
    "debian12-kdump-ready",
    "debian12-kdump-not-loaded",
    "rhel9-kdump-ready",
    "rhel9-no-crashkernel",
    "efi-pstore-previous-panic",
    "vm-nothing-configured",
    "debian12-direct-boot",
    "debian12-1g-grub",
    "rhel8-bls-grubby",
)
TABLE = {
    # A. kernel capability and crash memory
    "kexec_support": ("OK", "OK", "OK", "OK", "OK", "CRIT", "OK", "OK", "OK"),
    "crashkernel_cmdline": ("OK", "OK", "OK", "CRIT", "CRIT", "CRIT", "OK", "OK", "OK"),
    "crashkernel_reserved": ("OK", "OK", "OK", "SKIP", "SKIP", "SKIP", "OK", "OK", "OK"),
    "crashkernel_size_adequate": ("OK", "OK", "OK", "SKIP", "SKIP", "SKIP", "OK", "OK", "OK"),
    "crashkernel_persistent": ("OK", "OK", "OK", "INFO", "INFO", "INFO", "INFO", "OK", "OK"),
    "kexec_load_policy": ("OK", "OK", "OK", "CRIT", "OK", "SKIP", "OK", "OK", "OK"),
    "crash_hotplug": ("SKIP",) * 9,
    # B. kdump service
    "kdump_loaded": ("OK", "CRIT", "OK", "CRIT", "CRIT", "CRIT", "OK", "OK", "OK"),
    "kdump_tooling": ("OK", "CRIT", "OK", "OK", "CRIT", "CRIT", "OK", "OK", "OK"),
    "kdump_service": ("OK", "CRIT", "OK", "OK", "SKIP", "SKIP", "OK", "WARN", "OK"),
    "kdump_initrd_present": ("OK", "CRIT", "OK", "WARN", "SKIP", "SKIP", "OK", "OK", "OK"),
    "kdump_initrd_fresh": ("OK", "SKIP", "OK", "SKIP", "SKIP", "SKIP", "OK", "OK", "OK"),
    "kdump_last_test": ("OK", "WARN", "OK", "WARN", "SKIP", "SKIP", "WARN", "WARN", "WARN"),
    # C. dump target and space
    "dump_target_config": ("OK", "OK", "OK", "CRIT", "SKIP", "SKIP", "OK", "OK", "OK"),
    "dump_filter_level": ("OK", "CRIT", "OK", "OK", "SKIP", "SKIP", "OK", "OK", "OK"),
    "dump_space": (DISK, DISK, DISK, DISK, "SKIP", "SKIP", DISK, DISK, DISK),
    "previous_dumps": ("INFO", "OK", "INFO", "OK", "SKIP", "SKIP", "OK", "OK", "OK"),
    # D. panic path
    "panic_timeout": ("OK", "WARN", "OK", "WARN", "WARN", "WARN", "OK", "WARN", "OK"),
    "panic_on_oops": ("OK", "WARN", "OK", "OK", "WARN", "WARN", "OK", "OK", "OK"),
    "softlockup_panic": ("INFO",) * 9,
    "hardlockup_panic": ("INFO",) * 9,
    "hung_task_panic": ("INFO",) * 9,
    "panic_on_warn": ("OK",) * 9,
    "nmi_panic": ("INFO",) * 9,
    "panic_on_rcu_stall": ("INFO",) * 9,
    "panic_on_oom": ("INFO",) * 9,
    "sysrq_dump": ("INFO",) * 9,
    "kptr_restrict": ("OK", "OK", "OK", "WARN", "OK", "OK", "OK", "OK", "OK"),
    "post_notifiers": ("INFO",) * 9,
    "panic_print": ("INFO",) * 9,
    # E. kernel health
    "kernel_tainted": ("OK", "WARN", "OK", "INFO", "OK", "OK", "OK", "OK", "OK"),
    "oops_warn_counts": ("OK", "INFO", "OK", "OK", "OK", "OK", "OK", "OK", "OK"),
    # F. persistent logs
    "pstore_backend": ("OK", "WARN", "OK", "OK", "OK", "INFO", "OK", "INFO", "OK"),
    "pstore_archival": ("OK", "SKIP", "OK", "WARN", "INFO", "SKIP", "OK", "SKIP", "OK"),
    "ramoops_config": ("SKIP", "SKIP", "SKIP", "SKIP", "SKIP", "SKIP", "OK", "SKIP", "SKIP"),
    "journald_persistent": ("OK", "WARN", "OK", "OK", "OK", "WARN", "OK", "OK", "OK"),
    "journal_previous_boot": ("OK", "SKIP", "INFO", "WARN", "WARN", "SKIP", "OK", "OK", "INFO"),
    # G. analysis readiness
    "debug_vmlinux": ("OK", "WARN", "WARN", "WARN", "WARN", "WARN", "WARN", "WARN", "WARN"),
    "crash_utility": ("OK", "INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "INFO", "INFO"),
    "vmcoreinfo": ("OK", "OK", "OK", "OK", "OK", "WARN", "OK", "OK", "OK"),
    # prevention and diagnosis aids
    "edac_present": ("OK", "INFO", "OK", "OK", "INFO", "INFO", "INFO", "INFO", "OK"),
    "kfence": ("INFO",) * 9,
    "ftrace_dump_on_oops": ("INFO",) * 9,
    "console_loglevel": ("INFO", "INFO", "INFO", "INFO", "INFO", "OK", "OK", "OK", "INFO"),
    "netconsole": ("INFO",) * 9,
    # kcrashd
    "kcrashd_service": ("OK", "INFO", "OK", "OK", "OK", "INFO", "OK", "OK", "OK"),
    "state_directory": ("OK", "INFO", "OK", "OK", "OK", "INFO", "OK", "OK", "OK"),
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
