"""HostView: what the checks read, read once per run through kcrashd/host/ and cached.

Checks call these accessors and pass the values to their pure judge(); nothing here
judges. A reader that raises (bad format, permission) fails only the checks that use it.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Tuple

from kcrashd.config.constants import DEFAULT_STATE_DIRECTORY
from kcrashd.host import (
    bootloader,
    cmdline,
    debuginfo,
    distro,
    dumps,
    files,
    iomem,
    journald_conf,
    kdump_config,
    kernel_counters,
    kernel_features,
    kexec,
    meminfo,
    mounts,
    pstore_info,
    services,
    sysfs,
    tools,
)
from kcrashd.host.root import Root

cached = functools.cached_property


if TYPE_CHECKING:
    from kcrashd.config.schema import Config


class HostView:
    """`config` None: the built-in defaults (kcrashd.config.load_unless_default), read
    without building the schema: `skip` and `severity` are empty, state_directory is the
    default."""

    def __init__(self, root: Root, runner, config: Optional[Config]) -> None:
        self.root = root
        self.runner = runner
        self.config = config
        # Another root's files are readable as they are; on the live host root sees more.
        self.privileged = not root.is_live or os.geteuid() == 0
        self._units: Dict[str, services.UnitState] = {}

    @property
    def skip(self) -> Sequence[str]:
        """checks.skip: the ids not to run."""
        return self.config.checks.skip if self.config is not None else ()

    @property
    def severity(self) -> Mapping[str, str]:
        """checks.severity: the status to report instead of a check's WARN or CRIT."""
        return self.config.checks.severity if self.config is not None else {}

    @property
    def state_directory(self) -> str:
        return self.config.state.directory if self.config is not None else DEFAULT_STATE_DIRECTORY

    @cached
    def os_release(self) -> Dict[str, str]:
        return distro.read_os_release(self.root)

    @cached
    def family(self) -> str:
        fam = distro.family_of(self.os_release)
        if fam == distro.UNKNOWN:
            # A distro we do not know: go by whichever kdump tooling is configured.
            setup = kdump_config.read_kdump_setup(self.root)
            fam = setup.family or distro.UNKNOWN
        return fam

    @cached
    def release(self) -> Optional[str]:
        return self.root.read_value("/proc/sys/kernel/osrelease")

    @cached
    def hostname(self) -> Optional[str]:
        if self.root.is_live:
            return self.root.read_value("/proc/sys/kernel/hostname")
        return self.root.read_value("/etc/hostname") or self.root.read_value(
            "/proc/sys/kernel/hostname"
        )

    @cached
    def arch(self) -> str:
        if self.root.is_live:
            return os.uname().machine
        # Another root: guess from the release string (Debian -amd64/-arm64, RHEL .x86_64).
        rel = self.release or ""
        for hint, arch in (
            ("arm64", "aarch64"),
            ("aarch64", "aarch64"),
            ("ppc64le", "ppc64le"),
            ("s390x", "s390x"),
        ):
            if rel.endswith(hint):
                return arch
        return "x86_64"

    @cached
    def cmdline(self) -> List[str]:
        return cmdline.tokens(cmdline.read_cmdline(self.root) or "")

    def params(self, name: str) -> List[str]:
        return cmdline.values(self.cmdline, name)

    @cached
    def crashkernels(self) -> Tuple[List[cmdline.Crashkernel], List[str]]:
        """Parsed crashkernel= values and the parse errors."""
        ok, errors = [], []
        for raw in self.params("crashkernel"):
            try:
                ok.append(cmdline.parse_crashkernel(raw))
            except ValueError as exc:
                errors.append(f"crashkernel={raw}: {exc}")
        return ok, errors

    @cached
    def kexec(self) -> kexec.KexecState:
        return kexec.read_kexec(self.root)

    @cached
    def iomem(self) -> Optional[iomem.Iomem]:
        return iomem.read_iomem(self.root)

    @cached
    def memtotal(self) -> Optional[int]:
        """MemTotal in bytes."""
        text = self.root.read_optional("/proc/meminfo")
        if text is None:
            return None
        kb = meminfo.parse_meminfo(text).get("MemTotal")
        return None if kb is None else kb * 1024

    @cached
    def ram(self) -> Optional[int]:
        """Installed RAM the way kdumpctl sizes it: System RAM in /proc/iomem, else MemTotal
        (which is smaller by the crash reservation and the kernel's own memory)."""
        io = self.iomem
        if io is not None and not io.zeroed and io.system_ram:
            return io.system_ram
        return self.memtotal

    @cached
    def kdump(self) -> kdump_config.KdumpSetup:
        return kdump_config.read_kdump_setup(self.root, prefer=self.family)

    def sysctl(self, name: str) -> Optional[int]:
        return sysfs.read_sysctl_int(self.root, name)

    def module_param(self, module: str, param: str) -> Optional[str]:
        return sysfs.read_module_param(self.root, module, param)

    def tool(self, name: str) -> Optional[str]:
        return tools.find_tool(self.root, name)

    def units(self, names: Sequence[str]) -> Dict[str, services.UnitState]:
        missing = [n for n in names if n not in self._units]
        if missing:
            self._units.update(services.read_units(self.root, self.runner, missing))
        return {n: self._units[n] for n in names}

    @cached
    def kdump_unit(self) -> str:
        return "kdump.service" if self.family == distro.RHEL else "kdump-tools.service"

    @cached
    def boot_path(self) -> bootloader.BootPath:
        return bootloader.read_boot_path(self.root, self.release or "")

    # --- plain files -----------------------------------------------------------------------

    def int_file(self, path: str) -> Optional[int]:
        return sysfs.read_int(self.root, path)

    def exists(self, path: str) -> bool:
        """Whether a path exists, following symlinks inside the root."""
        return self.root.exists(files.resolve(self.root, path))

    def link(self, path: str) -> Optional[str]:
        return files.read_link(self.root, path)

    def mtime(self, path: str) -> Optional[float]:
        return files.mtime(self.root, path)

    def writable(self, path: str) -> bool:
        return files.writable(self.root, path)

    def free_and_size(self, path: str) -> Tuple[int, int]:
        return files.free_and_size(self.root, path)

    def mount_of(self, path: str) -> Optional[mounts.Mount]:
        return mounts.mount_of(self.root, files.resolve(self.root, path))

    # --- dumps, logs, analysis ---------------------------------------------------------------

    @cached
    def dumps(self) -> List[dumps.DumpDir]:
        return dumps.list_dumps(self.root, self.kdump.coredir)

    @cached
    def module_taints(self) -> List[Tuple[str, str]]:
        return kernel_counters.read_module_taints(self.root)

    @cached
    def pstore(self) -> pstore_info.Pstore:
        return pstore_info.read_pstore(self.root)

    @cached
    def pstore_conf(self) -> Dict[str, Optional[str]]:
        return pstore_info.read_pstore_conf(self.root)

    @cached
    def ramoops(self) -> Dict[str, str]:
        return pstore_info.read_ramoops(self.root)

    @cached
    def virtual(self) -> bool:
        return kernel_features.is_virtual(self.root)

    @cached
    def journald_storage(self) -> Tuple[str, Optional[str]]:
        return journald_conf.read_storage(self.root)

    @cached
    def journal_boots(self) -> Tuple[Optional[int], Optional[str]]:
        return journald_conf.list_boots(self.root, self.runner)

    @cached
    def boot_time(self) -> Optional[float]:
        return journald_conf.boot_time(self.root)

    @cached
    def kernel_build_id(self) -> Optional[str]:
        return debuginfo.read_kernel_build_id(self.root)

    @cached
    def vmlinux_candidates(self) -> List[str]:
        return debuginfo.find_vmlinux(self.root, self.release or "", self.kernel_build_id)

    def elf_info(self, path: str) -> debuginfo.ElfInfo:
        return debuginfo.elf_info(self.root.path(files.resolve(self.root, path)))

    @cached
    def vmcoreinfo(self) -> Optional[Tuple[int, int]]:
        return kexec.read_vmcoreinfo(self.root)

    # --- diagnosis aids --------------------------------------------------------------------

    @cached
    def edac_controllers(self) -> List[str]:
        return kernel_features.edac_controllers(self.root)

    @cached
    def kfence_interval(self) -> Optional[int]:
        return kernel_features.kfence_sample_interval(self.root)

    @cached
    def console_levels(self) -> Optional[Tuple[int, ...]]:
        return kernel_features.console_loglevels(self.root)

    @cached
    def netconsole(self) -> Tuple[bool, List[str]]:
        return kernel_features.netconsole_targets(self.root)
