"""judge() table rows for the branches no fixture root reaches: each row is a host state
(the values the readers return) with the status and words the check must give for it.

Checks with their own table: sysctls (test_sysctl_table.py), crashkernel_persistent
(test_boot_path.py), dump_target_config (test_dump_target.py), crashkernel_size_adequate
(test_judges.py). A WARN or CRIT always carries a fix (asserted for every row).
"""

from __future__ import annotations

import pytest

from kcrashd.checks.checklist import (
    crash_hotplug,
    crashkernel_cmdline,
    crashkernel_reserved,
    debug_vmlinux,
    dump_filter_level,
    dump_space,
    ftrace_dump_on_oops,
    hardlockup_panic,
    hung_task_panic,
    journal_previous_boot,
    kcrashd_service,
    kdump_initrd_fresh,
    kdump_initrd_present,
    kdump_last_test,
    kdump_loaded,
    kdump_service,
    kdump_tooling,
    kexec_support,
    kfence,
    netconsole,
    nmi_panic,
    post_notifiers,
    previous_dumps,
    pstore_archival,
    pstore_backend,
    ramoops_config,
    softlockup_panic,
    state_directory,
    vmcoreinfo,
)
from kcrashd.host.cmdline import parse_crashkernel
from kcrashd.host.debuginfo import ElfInfo
from kcrashd.host.dumps import DumpDir
from kcrashd.host.kdump_config import KdumpSetup, debian_setup, rhel_setup
from kcrashd.host.kexec import KexecState
from kcrashd.host.pstore_info import NEEDS_ROOT, Pstore
from kcrashd.host.services import UnitState

G, M = 1 << 30, 1 << 20
RULE = "/lib/udev/rules.d/50-kdump-tools.rules"
DEB = debian_setup("USE_KDUMP=1\n")
RH = rhel_setup("path /var/crash\n")


def kexec(**changes) -> KexecState:
    base = dict(
        crash_loaded=1,
        crash_size=256 * M,
        fadump_enabled=None,
        fadump_registered=None,
        fadump_reserved=None,
        load_disabled=0,
        load_limit_panic=-1,
        lockdown="none",
    )
    return KexecState(**{**base, **changes})


def unit(name="kdump-tools.service", installed=True, enabled=True, masked=False, active=None):
    return UnitState(name, installed, enabled, masked, active)


def pstore(backend="ramoops", mounted=True, records=(), efi=False, disabled=None) -> Pstore:
    return Pstore(backend, backend is not None, mounted, list(records), efi, disabled)


def dump(name="202409301712", size=1 << 20, problem=None, files=("dump.202409301712",)):
    return DumpDir(name, f"/var/crash/{name}", 1.0, size, files, problem)


RAMOOPS = {"mem_size": "1048576", "record_size": "131072", "max_reason": "-1"}
ELF_OK = ElfInfo("ab12", True)

# (check, arguments of judge, status, a phrase of the summary)
ROWS = (
    # A. kernel capability and crash memory
    (kexec_support, (False, None, {}, "debian"), "CRIT", ""),
    (kexec_support, (True, None, {}, "rhel"), "OK", ""),
    (
        kexec_support,
        (True, "/boot/config-x", {"CONFIG_KEXEC": "y", "CONFIG_PROC_VMCORE": "y"}, "rhel"),
        "WARN",
        "CONFIG_CRASH_DUMP",
    ),
    (
        kexec_support,
        (True, "/boot/config-x", {"CONFIG_CRASH_DUMP": "y", "CONFIG_PROC_VMCORE": "y"}, "rhel"),
        "WARN",
        "CONFIG_KEXEC or CONFIG_KEXEC_FILE",
    ),
    (
        kexec_support,
        (
            True,
            "/boot/config-x",
            {"CONFIG_KEXEC": "y", "CONFIG_CRASH_DUMP": "y", "CONFIG_PROC_VMCORE": "y"},
            "debian",
        ),
        "WARN",
        "CONFIG_RELOCATABLE",
    ),
    (crashkernel_cmdline, ([], [], "on", "", "rhel"), "OK", "fadump=on"),
    (crashkernel_cmdline, (["lots"], ["crashkernel=lots: bad size"], None, "", "rhel"), "WARN", ""),
    (crashkernel_cmdline, (["auto"], [], None, "5.14.0-427.el9.x86_64", "rhel"), "WARN", "auto"),
    (crashkernel_cmdline, (["auto"], [], None, "4.18.0-553.el8_10.x86_64", "rhel"), "OK", "auto"),
    (
        crashkernel_reserved,
        ([parse_crashkernel("256M")], None, 8 * G, None, "rhel"),
        "SKIP",
        "no kdump support",
    ),
    (crash_hotplug, (1, 1, None, 1, "rhel"), "OK", "updates kdump on hotplug itself"),
    (crash_hotplug, (0, None, RULE, 1, "debian"), "OK", "reloaded on hotplug"),
    (crash_hotplug, (0, 0, None, 0, "debian"), "INFO", "matters once kdump is loaded"),
    (crash_hotplug, (1, 0, None, 1, "rhel"), "WARN", "stale"),
    (crash_hotplug, (None, None, None, 1, "rhel"), "SKIP", "older kernel"),
    # B. kdump service
    (kdump_loaded, (kexec(fadump_enabled=1, fadump_registered=1), True, "rhel"), "OK", "fadump"),
    (kdump_loaded, (kexec(fadump_enabled=1, fadump_registered=0), True, "rhel"), "CRIT", ""),
    (kdump_loaded, (kexec(crash_loaded=None), False, "rhel"), "CRIT", "no kdump support"),
    (kdump_loaded, (kexec(crash_loaded=0, crash_size=0), True, "rhel"), "CRIT", ""),
    (kdump_loaded, (kexec(crash_loaded=0), False, "debian"), "CRIT", ""),
    (
        kdump_tooling,
        ({"kexec": "/sbin/kexec", "kdumpctl": "/usr/bin/kdumpctl"}, "rhel"),
        "WARN",
        "",
    ),
    (kdump_tooling, ({"kexec": None, "kdump-config": None}, "debian"), "CRIT", "kexec"),
    (kdump_service, (unit(installed=False), None, None, "rhel"), "SKIP", "not installed"),
    (kdump_service, (unit(), False, 1, "debian"), "WARN", "USE_KDUMP=0"),
    (kdump_service, (unit(masked=True), True, 0, "debian"), "CRIT", "masked"),
    (kdump_service, (unit(masked=True), True, 1, "debian"), "WARN", "masked"),
    (kdump_service, (unit("kdump.service", active="failed"), None, 0, "rhel"), "CRIT", "failed"),
    (kdump_service, (unit("kdump.service", active="failed"), None, 1, "rhel"), "WARN", "failed"),
    (kdump_service, (unit(enabled=False), True, 1, "debian"), "WARN", "not enabled"),
    (kdump_service, (unit("kdump.service", active="inactive"), None, 0, "rhel"), "WARN", ""),
    (kdump_service, (unit("kdump.service", active="inactive"), None, 1, "rhel"), "OK", ""),
    (kdump_service, (unit("kdump.service", active="active"), None, 1, "rhel"), "OK", "(active)"),
    (
        kdump_initrd_present,
        (None, "6.1.0-13-amd64", ["/var/lib/kdump/initrd.img"], [], {}, 0, "debian"),
        "SKIP",
        "",
    ),
    (
        kdump_initrd_present,
        (
            "debian",
            "6.1.0-13-amd64",
            ["/var/lib/kdump/initrd.img-6.1.0-13-amd64"],
            [],
            {},
            1,
            "debian",
        ),
        "WARN",
        "the next reload fails",
    ),
    (
        kdump_initrd_present,
        (
            "debian",
            "6.1.0-13-amd64",
            ["/var/lib/kdump/initrd.img-6.1.0-13-amd64"],
            ["/var/lib/kdump/initrd.img-6.1.0-13-amd64"],
            {"/var/lib/kdump/initrd.img": "/var/lib/kdump/initrd.img-6.1.0-12-amd64"},
            1,
            "debian",
        ),
        "WARN",
        "",
    ),
    (
        kdump_initrd_fresh.judge_rhel,
        ("/boot/k.img", 100.0, {"/etc/kdump.conf": 200.0, "/etc/fstab": 50.0}, "rhel"),
        "WARN",
        "/etc/kdump.conf",
    ),
    (kdump_initrd_fresh.judge_rhel, (None, None, {}, "rhel"), "SKIP", ""),
    (kdump_initrd_fresh.judge_rhel, ("/boot/k.img", 1.0, {}, "rhel", False), "SKIP", ""),
    (
        kdump_initrd_fresh.judge_debian,
        (None, "/var/crash/kexec_cmd", None, (None, None), 1, "debian"),
        "INFO",
        "",
    ),
    (
        kdump_initrd_fresh.judge_debian,
        (None, "/var/crash/kexec_cmd", None, (None, None), 0, "debian"),
        "SKIP",
        "never loaded",
    ),
    (
        kdump_initrd_fresh.judge_debian,
        (200.0, "/var/crash/kexec_cmd", 100.0, ("a", "b"), 1, "debian"),
        "WARN",
        "sysctl.conf differs",
    ),
    (kdump_last_test.judge_rhel, ("success kdump_test_id=1", "yes", "rhel"), "OK", ""),
    (kdump_last_test.judge_rhel, ("pending kdump_test_id=1", "yes", "rhel"), "INFO", "pending"),
    (kdump_last_test.judge_rhel, (None, "no", "rhel"), "INFO", "not tracked"),
    (kdump_last_test.judge_rhel, (None, "yes", "rhel"), "WARN", "no vmcore creation test"),
    (kdump_last_test.judge_debian, ([dump()], 10.0, "debian"), "WARN", "predates"),
    # C. dump target and space
    (dump_filter_level, (KdumpSetup(family=None), None, "debian"), "SKIP", ""),
    (
        dump_filter_level,
        (rhel_setup("core_collector makedumpfile -c -d 0\n"), None, "rhel"),
        "WARN",
        "level 0",
    ),
    (
        dump_filter_level,
        (rhel_setup("core_collector makedumpfile -d 31\n"), None, "rhel"),
        "WARN",
        "compression",
    ),
    (
        dump_filter_level,
        (rhel_setup("core_collector makedumpfile -l -d 1\n"), None, "rhel"),
        "INFO",
        "",
    ),
    (dump_space, (KdumpSetup(family=None), None, None, "rhel"), "SKIP", ""),
    (dump_space, (rhel_setup("nfs h:/x\n"), None, 8 * G, "rhel"), "SKIP", "not measured"),
    (dump_space, (RH, None, 8 * G, "rhel"), "SKIP", "unknown"),
    (dump_space, (DEB, 1 * G, 8 * G, "debian"), "WARN", "a filtered dump probably fits"),
    (previous_dumps, (None, None, "debian"), "SKIP", ""),
    (previous_dumps, ([dump(problem="incomplete")], 10 * G, "debian"), "WARN", "failed capture"),
    (previous_dumps, ([dump(size=6 * G)], 10 * G, "debian"), "WARN", ""),
    # D. panic path (multi-sysctl checks)
    (softlockup_panic, (None, 1, 1, 10), "SKIP", ""),
    (softlockup_panic, (0, 0, 1, 10), "WARN", "detector is off"),
    (softlockup_panic, (1, 1, 1, 10), "OK", ""),
    (hardlockup_panic, (None, None), "SKIP", ""),
    (hardlockup_panic, (1, 1), "OK", ""),
    (hardlockup_panic, (0, 1), "INFO", "NMI watchdog is off"),
    (hung_task_panic, (None, None), "SKIP", ""),
    (hung_task_panic, (0, 120), "INFO", "logged, not dumped"),
    (nmi_panic, (None, None, None), "SKIP", "not x86"),
    (nmi_panic, (1, 0, 0), "OK", ""),
    (post_notifiers, (None, None), "SKIP", ""),
    (post_notifiers, ("Y", "N"), "INFO", "before kdump"),
    # F. persistent logs
    (pstore_backend, (pstore(mounted=False), False), "WARN", ""),
    (pstore_backend, (pstore(None, efi=True, disabled=True), False), "WARN", ""),
    (
        pstore_archival,
        (pstore(), unit("systemd-pstore.service"), "none", []),
        "WARN",
        "Storage=none",
    ),
    (
        pstore_archival,
        (pstore(), unit("systemd-pstore.service", enabled=False), None, []),
        "WARN",
        "",
    ),
    (
        pstore_archival,
        (pstore(records=["dmesg-ramoops-0"]), unit("systemd-pstore.service"), None, []),
        "WARN",
        "",
    ),
    (ramoops_config, ("ramoops", {"mem_size": NEEDS_ROOT}, "debian"), "ERROR", "root only"),
    (ramoops_config, ("ramoops", {**RAMOOPS, "mem_size": "0"}, "debian"), "WARN", "mem_size is 0"),
    (ramoops_config, ("ramoops", {**RAMOOPS, "record_size": "0"}, "rhel"), "WARN", "record_size"),
    (ramoops_config, ("ramoops", {**RAMOOPS, "max_reason": "0"}, "debian"), "WARN", "max_reason"),
    (ramoops_config, ("ramoops", RAMOOPS, "debian"), "OK", "131072-byte"),
    (ramoops_config, (None, {}, "debian"), "SKIP", "none, not ramoops"),
    (journal_previous_boot, (None, None, None, None, False), "SKIP", "no persistent journal"),
    (journal_previous_boot, (None, "Permission denied", None, None), "SKIP", "cannot list"),
    (journal_previous_boot, (1, None, 100.0, 200.0), "WARN", ""),
    # G. analysis readiness
    (
        debug_vmlinux,
        ("6.1", "ab12", [("/usr/lib/debug/vmlinux", ElfInfo("ab12", False))], "debian"),
        "WARN",
        "no debug info",
    ),
    (
        debug_vmlinux,
        ("6.1", None, [("/usr/lib/debug/vmlinux", ELF_OK)], "debian"),
        "OK",
        "not compared",
    ),
    (
        debug_vmlinux,
        ("6.1", "cd34", [("/usr/lib/debug/vmlinux", ELF_OK)], "rhel"),
        "WARN",
        "do not match",
    ),
    (
        debug_vmlinux,
        ("6.1", "ab12", [("/x", "EACCES"), ("/usr/lib/debug/vmlinux", ELF_OK)], "rhel"),
        "OK",
        "matches",
    ),
    (vmcoreinfo.judge, ((0x100C66000, 0),), "WARN", "empty"),
    # prevention and diagnosis aids
    (kfence, (None,), "INFO", "without KFENCE"),
    (kfence, (100,), "OK", "every 100 ms"),
    (ftrace_dump_on_oops, (None,), "SKIP", ""),
    (ftrace_dump_on_oops, ("orig_cpu",), "OK", "orig_cpu"),
    (netconsole, (["6665@10.0.0.5/eth0,6666@10.0.0.1/"], True, []), "OK", "6665@10.0.0.5"),
    (netconsole, ([], True, []), "INFO", "module loaded without a target"),
    # kcrashd
    (kcrashd_service, (unit("kcrashd.service", enabled=False),), "WARN", "not enabled"),
    (kcrashd_service, (unit("kcrashd.service", active="failed"),), "WARN", "failed"),
    (state_directory, ("/var/lib/kcrashd", True, False), "WARN", "not writable"),
)


def _judge(target):
    return target if callable(target) and not hasattr(target, "judge") else target.judge


@pytest.mark.parametrize(
    "target,args,status,phrase",
    ROWS,
    ids=[f"{getattr(r[0], '__name__', r[0])}-{i}" for i, r in enumerate(ROWS)],
)
def test_row(target, args, status, phrase):
    r = _judge(target)(*args)
    assert r.status.value == status, r.summary
    assert phrase in r.summary
    assert r.summary and "\n" not in r.summary
    if status in ("WARN", "CRIT"):
        assert r.fix
