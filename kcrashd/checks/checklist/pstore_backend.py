"""pstore_backend: a persistent store keeps the panic log when kdump cannot."""

from __future__ import annotations

from kcrashd.checks.context import HostView
from kcrashd.host.pstore_info import Pstore
from kcrashd.host.sysfs import module_param_path
from kcrashd.model import Fact, Result, Status

CHECK_ID = "pstore_backend"
TITLE = "pstore backend registered"
AREA = "logs"
EXPLAIN = (
    "Reads /sys/module/pstore/parameters/backend ('(null)' when none is registered) and "
    "whether pstore is mounted (/proc/mounts). pstore (efi_pstore, erst, ramoops) keeps the "
    "tail of the panic console across the reboot when kdump is absent or fails. On UEFI bare "
    "metal efi_pstore can usually be loaded; VMs often have no backend."
)
FIX_EFI = (
    "modprobe efi_pstore && echo efi_pstore > /etc/modules-load.d/efi_pstore.conf "
    "(if /sys/module/efi_pstore/parameters/pstore_disable is Y, add efi_pstore.pstore_disable=0 "
    "to the kernel command line)"
)
FIX_MOUNT = "mount -t pstore pstore /sys/fs/pstore (systemd mounts it at boot)"


def run(host: HostView) -> Result:
    return judge(host.pstore, host.virtual)


def judge(p: Pstore, virtual: bool) -> Result:
    facts = (
        Fact(module_param_path("pstore", "backend"), p.backend or "(null)", "a backend"),
        Fact("/proc/mounts pstore", "mounted" if p.mounted else "not mounted", "mounted"),
    )
    if p.backend:
        if not p.mounted:
            return Result(
                CHECK_ID,
                Status.WARN,
                f"backend {p.backend} but /sys/fs/pstore is not mounted",
                FIX_MOUNT,
                facts,
            )
        return Result(CHECK_ID, Status.OK, f"pstore backend {p.backend}", facts=facts)
    if p.efi and not virtual:
        return Result(
            CHECK_ID,
            Status.WARN,
            "no pstore backend on UEFI hardware (efi_pstore could keep the panic log)",
            FIX_EFI,
            facts,
        )
    return Result(CHECK_ID, Status.INFO, "no pstore backend on this platform", facts=facts)
