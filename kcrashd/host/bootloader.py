"""Persistent kernel command line: what the next boot will get (GRUB and BLS entries)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from kcrashd.host.root import Root

_CRASHKERNEL = re.compile(r"(?<![\w.])crashkernel=([^\s\"']+)")


@dataclass(frozen=True)
class BootConfig:
    entry_source: Optional[str]  # the boot entry read (grub.cfg, a BLS entry); None: not found
    entry_values: Tuple[str, ...]  # crashkernel= values on that entry
    template_sources: Tuple[str, ...]  # /etc/default/grub* files that set crashkernel=
    template_values: Tuple[str, ...]


def crashkernel_values(text: str) -> List[str]:
    return _CRASHKERNEL.findall(text)


def _grub_entry(root: Root, release: str) -> Tuple[Optional[str], List[str]]:
    """The `linux` line of the first grub.cfg entry booting `release` (else the first one)."""
    for cfg in ("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg"):
        text = root.read_optional(cfg)
        if text is None:
            continue
        lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("linux")]
        if not lines:
            continue
        mine = [ln for ln in lines if f"vmlinuz-{release} " in ln + " "] or lines
        return cfg, crashkernel_values(mine[0])
    return None, []


def _bls_entry(root: Root, release: str) -> Tuple[Optional[str], List[str]]:
    entries = root.glob("/boot/loader/entries/*.conf")
    if not entries:
        return None, []
    mine = [e for e in entries if release in e.rsplit("/", 1)[-1]] or entries[-1:]
    text = root.read_text(mine[0])
    options = " ".join(ln for ln in text.splitlines() if ln.strip().startswith("options"))
    if "$kernelopts" in options:  # RHEL 8 style: the options live in grubenv
        options += " " + (root.read_optional("/boot/grub2/grubenv") or "")
    return mine[0], crashkernel_values(options)


def read_boot_config(root: Root, release: str) -> BootConfig:
    source, values = _bls_entry(root, release)
    if source is None:
        source, values = _grub_entry(root, release)
    t_sources, t_values = [], []
    files = ["/etc/default/grub"] + root.glob("/etc/default/grub.d/*.cfg") + ["/etc/kernel/cmdline"]
    for f in files:
        found = crashkernel_values(root.read_optional(f) or "")
        if found:
            t_sources.append(f)
            t_values += found
    return BootConfig(source, tuple(values), tuple(t_sources), tuple(t_values))
