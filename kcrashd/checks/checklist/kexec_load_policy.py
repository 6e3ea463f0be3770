"""kexec_load_policy: loading or reloading a crash kernel is still allowed."""

from __future__ import annotations

from kcrashd.checks.base import sysctl_fact
from kcrashd.checks.context import HostView
from kcrashd.host.kexec import KexecState
from kcrashd.model import Fact, Result, Status

CHECK_ID = "kexec_load_policy"
TITLE = "kexec loading allowed"
AREA = "kernel"
EXPLAIN = (
    "Reads kernel.kexec_load_disabled (a one-way latch until reboot), "
    "kernel.kexec_load_limit_panic (-1 unlimited, 0 none left) and the lockdown level. A latched "
    "kexec_load_disabled or a spent limit silently blocks every later (re)load of the crash "
    "kernel; under lockdown only signed images load through kexec_file_load."
)
FIX = (
    "remove what sets kernel.kexec_load_disabled=1 or kernel.kexec_load_limit_panic "
    "(grep -r kexec_load /etc/sysctl.conf /etc/sysctl.d /usr/lib/sysctl.d), then reboot"
)


def run(host: HostView) -> Result:
    return judge(host.kexec)


def judge(k: KexecState) -> Result:
    facts = (
        sysctl_fact("kernel.kexec_load_disabled", k.load_disabled, "0"),
        sysctl_fact("kernel.kexec_load_limit_panic", k.load_limit_panic, "-1 or > 0"),
        Fact("/sys/kernel/security/lockdown", k.lockdown, None),
    )
    if k.crash_loaded is None:
        return Result(
            CHECK_ID, Status.SKIP, "kernel has no kdump support (see kexec_support)", facts=facts
        )
    blocked = k.load_disabled == 1 or k.load_limit_panic == 0
    if blocked and k.crash_loaded != 1:
        return Result(
            CHECK_ID,
            Status.CRIT,
            "kexec loading is disabled and no crash kernel is loaded: kdump cannot be "
            "armed until reboot",
            FIX,
            facts,
        )
    if blocked:
        return Result(
            CHECK_ID,
            Status.WARN,
            "kexec loading is disabled: a reload after hotplug or a config change will fail",
            FIX,
            facts,
        )
    if k.lockdown in ("integrity", "confidentiality"):
        return Result(
            CHECK_ID,
            Status.INFO,
            f"lockdown={k.lockdown}: only signed crash kernels load (kexec -s)",
            facts=facts,
        )
    return Result(CHECK_ID, Status.OK, "kexec loading is allowed", facts=facts)
