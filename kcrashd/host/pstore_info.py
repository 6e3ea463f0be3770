"""pstore: the registered backend, its mount, records left in it, ramoops sizing, and
systemd-pstore's archive settings (Documentation/ABI/testing/pstore, pstore.conf(5))."""

from __future__ import annotations

import configparser
from typing import Dict, List, NamedTuple, Optional

from kcrashd.host.root import Root
from kcrashd.host.sysfs import read_module_param

PSTORE_DIR = "/sys/fs/pstore"
ARCHIVE_DIR = "/var/lib/systemd/pstore"
RAMOOPS_PARAMS = (
    "mem_address",
    "mem_size",
    "record_size",
    "console_size",
    "ftrace_size",
    "pmsg_size",
    "max_reason",
    "ecc",
    "mem_type",
    "mem_name",
)
NEEDS_ROOT = "<needs root>"


class Pstore(NamedTuple):
    backend: Optional[str]  # None: "(null)" or no pstore module
    module_present: bool
    mounted: bool
    records: List[str]
    efi: bool  # booted with UEFI (efi_pstore could be a backend)
    efi_pstore_disabled: Optional[bool]


def parse_mounts_has(text: str, fstype: str) -> bool:
    return any(len(f) >= 3 and f[2] == fstype for f in (ln.split() for ln in text.splitlines()))


def read_pstore(root: Root) -> Pstore:
    backend = read_module_param(root, "pstore", "backend")
    disabled = read_module_param(root, "efi_pstore", "pstore_disable")
    return Pstore(
        backend=None if backend in (None, "", "(null)") else backend,
        module_present=root.is_dir("/sys/module/pstore"),
        mounted=parse_mounts_has(root.read_optional("/proc/mounts") or "", "pstore"),
        records=[r for r in root.listdir(PSTORE_DIR) if not r.startswith(".")],
        efi=root.is_dir("/sys/firmware/efi"),
        efi_pstore_disabled=None if disabled is None else disabled.upper() in ("Y", "1"),
    )


def read_ramoops(root: Root) -> Dict[str, str]:
    """ramoops parameters (mode 0400: NEEDS_ROOT as the value when unreadable)."""
    out: Dict[str, str] = {}
    for p in RAMOOPS_PARAMS:
        try:
            value = read_module_param(root, "ramoops", p)
        except PermissionError:
            value = NEEDS_ROOT
        if value is not None:
            out[p] = value
    return out


def read_ini_key(root: Root, files: List[str], section: str, key: str) -> Optional[str]:
    """The last value of `key` in `[section]` over `files` in order (systemd drop-in style)."""
    value = None
    for f in files:
        text = root.read_optional(f)
        if text is None:
            continue
        cp = configparser.ConfigParser(
            strict=False, interpolation=None, comment_prefixes=("#", ";")
        )
        cp.optionxform = str  # type: ignore[assignment]
        try:
            cp.read_string(text, source=f)
        except configparser.Error:
            continue
        if cp.has_option(section, key):
            value = cp.get(section, key).strip()
    return value


def dropin_files(root: Root, main: str) -> List[str]:
    """`main` then its .conf.d/*.conf drop-ins by file name; /etc beats /run beats /usr/lib."""
    name = main.rsplit("/", 1)[-1]
    chosen: Dict[str, str] = {}
    for d in ("/usr/lib/systemd", "/lib/systemd", "/run/systemd", "/etc/systemd"):
        for f in root.listdir(f"{d}/{name}.d"):
            if f.endswith(".conf"):
                chosen[f] = f"{d}/{name}.d/{f}"
    return [main] + [chosen[k] for k in sorted(chosen)]


def read_pstore_conf(root: Root) -> Dict[str, Optional[str]]:
    files = dropin_files(root, "/etc/systemd/pstore.conf")
    return {k: read_ini_key(root, files, "PStore", k) for k in ("Storage", "Unlink")}
