"""How this host boots, and the kernel command line its next boot will get.

A crashkernel= setting persists only in the configuration the host's real boot path reads,
so the path is found from what the running boot left behind, not from which files exist:

- systemd-boot and the systemd stub of a unified kernel image (UKI) set EFI variables
  (LoaderInfo, StubInfo, LoaderEntrySelected under the vendor GUID 4a67b082-...; the
  Boot Loader Interface). A UKI carries its command line in a `.cmdline` PE section.
- GRUB (also zipl and syslinux) puts BOOT_IMAGE= first on the command line. GRUB reads
  grub.cfg: either `linux` lines (Debian, made by update-grub from /etc/default/grub*) or
  `blscfg`, which reads Boot Loader Specification entries in /boot/loader/entries (RHEL 8+
  and Fedora, edited by grubby; RHEL 8 keeps their options in grubenv as $kernelopts).
- Neither: a hypervisor (qemu -kernel -append), firmware or a cloud loader booted the kernel
  with a command line that cannot be seen from inside.

Another root without /proc/cmdline (a mounted image) has no running boot to ask: there the
files alone decide.
"""

from __future__ import annotations

import re
import struct
from typing import List, NamedTuple, Optional, Tuple

from kcrashd.host import cmdline
from kcrashd.host.root import Root

_CRASHKERNEL = re.compile(r"(?<![\w.])crashkernel=([^\s\"']+)")

# The boot paths.
GRUB = "GRUB"
GRUB_BLS = "GRUB with BLS entries"
ZIPL = "zipl with BLS entries"
SYSTEMD_BOOT = "systemd-boot"
UKI = "unified kernel image"
UNKNOWN = "unknown"

LOADER_GUID = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
EFIVARS = "/sys/firmware/efi/efivars"
GRUB_CFGS = ("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg")
GRUB_TEMPLATES = ("/etc/default/grub", "/etc/default/grub.d/*.cfg")
GRUBENV = "/boot/grub2/grubenv"
KERNEL_CMDLINE = "/etc/kernel/cmdline"  # kernel-install: new BLS entries and UKIs
ESPS = ("/boot", "/boot/efi", "/efi")  # where the ESP or XBOOTLDR is mounted
MAX_SECTION = 64 * 1024


class BootPath(NamedTuple):
    loader: str  # one of the boot paths above
    evidence: str  # what showed it ("BOOT_IMAGE= on /proc/cmdline and /boot/grub/grub.cfg")
    entry_source: Optional[str] = None  # what the loader reads for the next boot
    entry_values: Tuple[str, ...] = ()  # crashkernel= values there
    template_sources: Tuple[str, ...] = ()  # files new entries are made from, with crashkernel=
    template_values: Tuple[str, ...] = ()
    unread_sources: Tuple[str, ...] = ()  # files with crashkernel= that this path never reads


def crashkernel_values(text: str) -> List[str]:
    return _CRASHKERNEL.findall(text)


# --- what the running boot left behind ---------------------------------------------------


def read_efivar(root: Root, name: str) -> Optional[str]:
    """A Boot Loader Interface string variable: 4 bytes of attributes, then UTF-16LE."""
    try:
        raw = root.read_bytes(f"{EFIVARS}/{name}-{LOADER_GUID}", 4096)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None
    return raw[4:].decode("utf-16-le", "replace").rstrip("\0") or None


def pe_section(path: str, name: str) -> Optional[bytes]:
    """The contents of one section of a PE image (a UKI's `.cmdline`); None when absent or
    when the file is not a PE image."""

    def at(offset: int, size: int) -> bytes:
        f.seek(offset)
        return f.read(size)

    with open(path, "rb") as f:
        dos = at(0, 0x40)
        if len(dos) < 0x40 or dos[:2] != b"MZ":
            return None
        pe = struct.unpack_from("<I", dos, 0x3C)[0]
        coff = at(pe, 24)
        if len(coff) < 24 or coff[:4] != b"PE\0\0":
            return None
        count, opt_size = (
            struct.unpack_from("<H", coff, 6)[0],
            struct.unpack_from("<H", coff, 20)[0],
        )
        table = at(pe + 24 + opt_size, 40 * count)
        for i in range(len(table) // 40):
            entry = table[40 * i : 40 * i + 40]
            if entry[:8].rstrip(b"\0").decode("ascii", "replace") != name:
                continue
            virtual_size, _, raw_size, raw_at = struct.unpack_from("<IIII", entry, 8)
            return at(raw_at, min(virtual_size or raw_size, raw_size, MAX_SECTION))
    return None


# --- the configuration each path reads ---------------------------------------------------


def _pick(paths: List[str], release: str, selected: Optional[str]) -> str:
    """The entry this boot used (LoaderEntrySelected), else the running release's, else the
    newest by name."""
    for p in paths:
        if selected and p.rsplit("/", 1)[-1] in (selected, selected + ".conf"):
            return p
    return next((p for p in paths if release and release in p.rsplit("/", 1)[-1]), paths[-1])


def _bls_entry(root: Root, release: str, selected: Optional[str]) -> Tuple[Optional[str], str]:
    entries = [p for esp in ESPS for p in root.glob(f"{esp}/loader/entries/*.conf")]
    if not entries:
        return None, ""
    chosen = _pick(entries, release, selected)
    text = root.read_text(chosen)
    options = " ".join(ln for ln in text.splitlines() if ln.strip().startswith("options"))
    if "$kernelopts" in options:  # RHEL 8: the options live in grubenv
        env = root.read_optional(GRUBENV) or ""
        kernelopts = [ln for ln in env.splitlines() if ln.startswith("kernelopts=")]
        return f"{chosen} ($kernelopts in {GRUBENV})", options + " " + " ".join(kernelopts)
    return chosen, options


def _grub_entry(text: str, release: str) -> str:
    """The `linux` line of the first grub.cfg entry booting `release` (else the first one)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("linux")]
    mine = [ln for ln in lines if f"vmlinuz-{release} " in ln + " "] or lines
    return mine[0] if mine else ""


def _uki(root: Root, release: str, selected: Optional[str]) -> Tuple[Optional[str], str]:
    images = [p for esp in ESPS for p in root.glob(f"{esp}/EFI/Linux/*.efi")]
    if not images:
        return None, ""
    chosen = _pick(images, release, selected)
    section = pe_section(root.path(chosen), ".cmdline") or b""
    return chosen, section.decode("utf-8", "replace").strip("\0 \n")


def _with_crashkernel(root: Root, patterns: Tuple[str, ...]) -> Tuple[List[str], List[str]]:
    sources, values = [], []
    for pattern in patterns:
        for f in root.glob(pattern) if "*" in pattern else [pattern]:
            found = crashkernel_values(root.read_optional(f) or "")
            if found:
                sources.append(f)
                values += found
    return sources, values


# --- which path ----------------------------------------------------------------------------


def find_loader(root: Root, release: str) -> Tuple[str, str, Optional[str], str]:
    """(boot path, evidence, entry read, its options text)."""
    selected = read_efivar(root, "LoaderEntrySelected")
    stub = read_efivar(root, "StubInfo")
    if stub:
        source, text = _uki(root, release, selected)
        return UKI, f"StubInfo EFI variable ({stub})", source, text
    loader = read_efivar(root, "LoaderInfo")
    if loader and loader.startswith("systemd-boot"):
        source, text = _bls_entry(root, release, selected)
        return SYSTEMD_BOOT, f"LoaderInfo EFI variable ({loader})", source, text
    running = cmdline.read_cmdline(root)
    booted_by_grub = running is None or running.startswith("BOOT_IMAGE=")
    why = (
        "BOOT_IMAGE= on /proc/cmdline"
        if running is not None
        else "no /proc/cmdline: going by the files"
    )
    for cfg in GRUB_CFGS:
        text = root.read_optional(cfg)
        if text is None or not booted_by_grub:
            continue
        if any(ln.strip().startswith("blscfg") for ln in text.splitlines()):
            source, options = _bls_entry(root, release, None)
            return GRUB_BLS, f"{why} and blscfg in {cfg}", source, options
        return GRUB, f"{why} and {cfg}", cfg, _grub_entry(text, release)
    if booted_by_grub and root.exists("/etc/zipl.conf"):
        source, options = _bls_entry(root, release, None)
        return ZIPL, f"{why} and /etc/zipl.conf", source, options
    return UNKNOWN, _unknown_evidence(root, running), None, ""


def _unknown_evidence(root: Root, running: Optional[str]) -> str:
    if running is None:
        return "no /proc/cmdline (not a running host), and no grub.cfg or zipl.conf"
    grub_cfg = next((c for c in GRUB_CFGS if root.exists(c)), None)
    if not running.startswith("BOOT_IMAGE=") and grub_cfg:
        return (
            f"{grub_cfg} exists but GRUB did not boot this kernel (no BOOT_IMAGE= on "
            "/proc/cmdline): booted directly by a hypervisor or firmware"
        )
    if running.startswith("BOOT_IMAGE="):
        return "BOOT_IMAGE= on /proc/cmdline, but no grub.cfg or zipl.conf"
    return (
        "no BOOT_IMAGE= on /proc/cmdline, no systemd-boot or UKI EFI variables, no grub.cfg: "
        "booted directly by a hypervisor or firmware"
    )


def read_boot_path(root: Root, release: str) -> BootPath:
    loader, evidence, source, text = find_loader(root, release)
    if loader == GRUB:
        templates = GRUB_TEMPLATES
    elif loader == GRUB_BLS:
        templates = ("/etc/default/grub", KERNEL_CMDLINE)
    elif loader == UNKNOWN:
        templates = ()
    else:
        templates = (KERNEL_CMDLINE,)
    t_sources, t_values = _with_crashkernel(root, templates)
    everywhere, _ = _with_crashkernel(root, GRUB_TEMPLATES + (KERNEL_CMDLINE,))
    unread = tuple(f for f in everywhere if f not in t_sources)
    return BootPath(
        loader,
        evidence,
        source,
        tuple(crashkernel_values(text)),
        tuple(t_sources),
        tuple(t_values),
        unread,
    )
