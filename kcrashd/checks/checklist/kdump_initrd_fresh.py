"""kdump_initrd_fresh: the armed capture environment reflects the current configuration."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.distro import RHEL
from kcrashd.host.kdump_config import rhel_initrd_paths
from kcrashd.model import Fact, Result, Status

CHECK_ID = "kdump_initrd_fresh"
TITLE = "kdump configuration applied"
AREA = "kdump"
EXPLAIN = (
    "RHEL: like kdumpctl's check_files_modified, any of /etc/kdump.conf, /etc/sysconfig/kdump, "
    "the kernel image and /etc/fstab newer than the kdump initramfs means a rebuild is pending "
    "(approximate: kdumpctl also checks target filesystems and drivers). Debian: "
    "/etc/default/kdump-tools newer than <coredir>/kexec_cmd (written at each load) means a "
    "reload is pending, and /etc/kdump/sysctl.conf differing from "
    "/var/lib/kdump/latest_sysctls-<release> forces an initrd rebuild. A capture environment "
    "built for an old target or fstab fails to mount it."
)
FIX = (
    "kdump-config reload (and kdump-config symlinks $(uname -r) if /etc/kdump/sysctl.conf changed)",
    "kdumpctl restart (rebuilds when needed; kdumpctl rebuild forces it)",
)


def run(host: HostView) -> Result:
    rel = host.release or ""
    setup = host.kdump
    if setup.family == RHEL:
        initrd = next((p for p in rhel_initrd_paths(rel) if host.exists(p)), None)
        inputs = ["/etc/kdump.conf", "/etc/sysconfig/kdump", f"/boot/vmlinuz-{rel}", "/etc/fstab"]
        return judge_rhel(
            initrd,
            host.mtime(initrd) if initrd else None,
            {p: host.mtime(p) for p in inputs},
            host.family,
        )
    if setup.family is None:
        return judge_rhel(None, None, {}, host.family, configured=False)
    kexec_cmd = f"{setup.coredir.rstrip('/')}/kexec_cmd"
    sysctl_pair = (
        host.root.read_optional("/etc/kdump/sysctl.conf"),
        host.root.read_optional(f"/var/lib/kdump/latest_sysctls-{rel}"),
    )
    return judge_debian(
        host.mtime("/etc/default/kdump-tools"),
        kexec_cmd,
        host.mtime(kexec_cmd),
        sysctl_pair,
        host.kexec.crash_loaded,
        host.family,
    )


def judge_rhel(
    initrd: Optional[str],
    built: Optional[float],
    inputs: Dict[str, Optional[float]],
    family: str,
    configured: bool = True,
) -> Result:
    if not configured:
        return Result(CHECK_ID, Status.SKIP, "no kdump configuration (see kdump_tooling)")
    if initrd is None or built is None:
        return Result(CHECK_ID, Status.SKIP, "no kdump initramfs (see kdump_initrd_present)")
    newer = [p for p, t in inputs.items() if t is not None and t > built]
    facts = tuple(
        Fact(p, "newer" if p in newer else "older", f"older than {initrd}")
        for p, t in inputs.items()
        if t is not None
    )
    if newer:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{', '.join(newer)} changed after {initrd} was built (approximate check)",
            for_family(family, *FIX),
            facts,
        )
    return Result(CHECK_ID, Status.OK, f"{initrd} is newer than its inputs", facts=facts)


def judge_debian(
    config: Optional[float],
    kexec_cmd: str,
    loaded_at: Optional[float],
    sysctls: Tuple[Optional[str], Optional[str]],
    loaded: Optional[int],
    family: str,
) -> Result:
    facts: List[Fact] = [Fact(kexec_cmd, "present" if loaded_at else "absent", "present")]
    fix = for_family(family, *FIX)
    if loaded_at is None:
        if loaded == 1:
            return Result(
                CHECK_ID,
                Status.INFO,
                f"kdump is loaded but {kexec_cmd} is missing (not loaded by kdump-config?)",
                facts=tuple(facts),
            )
        return Result(
            CHECK_ID, Status.SKIP, "kdump was never loaded (see kdump_loaded)", facts=tuple(facts)
        )
    problems = []
    if config is not None and config > loaded_at:
        problems.append(f"/etc/default/kdump-tools changed after the last load ({kexec_cmd})")
    wanted, applied = sysctls
    if wanted is not None and wanted != applied:
        problems.append("/etc/kdump/sysctl.conf differs from the sysctls in the kdump initrd")
    facts.append(
        Fact(
            "/etc/default/kdump-tools", "newer" if problems else "older", f"older than {kexec_cmd}"
        )
    )
    if problems:
        return Result(CHECK_ID, Status.WARN, "; ".join(problems), fix, tuple(facts))
    return Result(
        CHECK_ID, Status.OK, "the loaded kdump matches the configuration", facts=tuple(facts)
    )
