"""kdump configuration of both families, reduced to what the checks judge.

Debian (kdump-tools): /etc/default/kdump-tools, a shell file of KEY=value.
RHEL (kdump-utils / kexec-tools): /etc/kdump.conf directives plus /etc/sysconfig/kdump.
"""

from __future__ import annotations

import shlex
from types import MappingProxyType
from typing import Dict, Mapping, NamedTuple, Optional, Tuple

from kcrashd.host.root import Root

DEBIAN_CONF = "/etc/default/kdump-tools"
RHEL_CONF = "/etc/kdump.conf"
RHEL_SYSCONFIG = "/etc/sysconfig/kdump"
# kdump-config 1.8.1 uses "-F -c -d 31" when MAKEDUMP_ARGS is unset (-F is always added).
DEBIAN_DEFAULT_MAKEDUMP_ARGS = "-c -d 31"
RHEL_DEFAULT_COLLECTOR = "makedumpfile -l --message-level 7 -d 31"
_RHEL_TARGETS = ("raw", "nfs", "ssh", "ext2", "ext3", "ext4", "xfs", "btrfs", "minix", "virtiofs")


def parse_shell_vars(text: str) -> Dict[str, str]:
    """`KEY=value` assignments of a sourced shell file (quotes removed, no expansion)."""
    out: Dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[7:].strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if not key.isidentifier():
            continue
        try:
            words = shlex.split(value, comments=True)
        except ValueError:
            words = [value.strip("\"'")]
        out[key] = " ".join(words)
    return out


def parse_kdump_conf(text: str) -> Dict[str, str]:
    """`directive value...` lines of /etc/kdump.conf (the last one of a directive wins)."""
    out: Dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            key, _, value = line.partition(" ")
            out[key] = value.strip()
    return out


NOTHING: Mapping[str, str] = MappingProxyType({})  # a default no caller can change


class KdumpSetup(NamedTuple):
    """The kdump configuration found under a root, whichever family wrote it."""

    family: Optional[str]  # "debian", "rhel" or None (no kdump configuration file)
    source: Optional[str] = None  # the file read
    enabled: Optional[bool] = None  # Debian USE_KDUMP
    coredir: str = "/var/crash"  # where a local dump lands, as a host path
    remote: Optional[str] = None  # "nfs host:/dir", "ssh user@host" ...
    local_device: Optional[str] = None  # RHEL "<fstype> <dev>" target: path is under it
    collector: str = ""  # makedumpfile arguments or the core_collector line
    kernel: Optional[str] = None  # Debian KDUMP_KERNEL / KDUMP_INITRD when set
    initrd: Optional[str] = None
    num_dumps: Optional[int] = None
    raw: Mapping[str, str] = NOTHING  # every variable of the file
    sysconfig: Mapping[str, str] = NOTHING


def debian_setup(text: str) -> KdumpSetup:
    v = parse_shell_vars(text)
    use = v.get("USE_KDUMP")
    remote = None
    for key in ("NFS", "SSH", "FTP"):
        if v.get(key):
            remote = f"{key.lower()} {v[key]}"
            break
    num = v.get("KDUMP_NUM_DUMPS")
    return KdumpSetup(
        family="debian",
        source=DEBIAN_CONF,
        enabled=None if use is None else use.strip() not in ("", "0"),
        coredir=v.get("KDUMP_COREDIR") or "/var/crash",
        remote=remote,
        collector="makedumpfile " + (v.get("MAKEDUMP_ARGS") or DEBIAN_DEFAULT_MAKEDUMP_ARGS),
        kernel=v.get("KDUMP_KERNEL") or None,
        initrd=v.get("KDUMP_INITRD") or None,
        num_dumps=int(num) if num and num.isdigit() else None,
        raw=v,
    )


def rhel_setup(text: str, sysconfig: str = "") -> KdumpSetup:
    d = parse_kdump_conf(text)
    path = d.get("path") or "/var/crash"
    remote = local_device = None
    for key in _RHEL_TARGETS:
        if key in d:
            if key in ("nfs", "ssh"):
                remote = f"{key} {d[key]}"
            else:
                local_device = f"{key} {d[key]}"
    return KdumpSetup(
        family="rhel",
        source=RHEL_CONF,
        enabled=None,
        # With a "<fstype> <dev>" target, path is relative to that device's mount point.
        coredir=path,
        remote=remote,
        local_device=local_device,
        collector=d.get("core_collector") or RHEL_DEFAULT_COLLECTOR,
        raw=d,
        sysconfig=parse_shell_vars(sysconfig),
    )


def rhel_initrd_paths(release: str) -> Tuple[str, str]:
    """Where kdumpctl writes the capture initramfs: /boot, or /var/lib/kdump when /boot is
    read-only."""
    return f"/boot/initramfs-{release}kdump.img", f"/var/lib/kdump/initramfs-{release}kdump.img"


def read_kdump_setup(root: Root, prefer: Optional[str] = None) -> KdumpSetup:
    """The Debian or RHEL configuration; `prefer` picks when both files exist."""
    deb = root.read_optional(DEBIAN_CONF)
    rh = root.read_optional(RHEL_CONF)
    if deb is not None and (rh is None or prefer != "rhel"):
        return debian_setup(deb)
    if rh is not None:
        return rhel_setup(rh, root.read_optional(RHEL_SYSCONFIG) or "")
    return KdumpSetup(family=None)


def dump_level(collector: str) -> Tuple[Optional[int], bool]:
    """(-d level, compressed?) of a makedumpfile command line; the retry level of `-d a,b`."""
    words = collector.split()
    level = None
    compressed = False
    for i, w in enumerate(words):
        if w == "-d" and i + 1 < len(words):
            level = int(words[i + 1].split(",")[-1])
        elif w.startswith("--dump-level="):
            level = int(w.split("=", 1)[1].split(",")[-1])
        elif w[:1] == "-" and w[1:].isalpha() and set(w[1:]) & set("clpz"):
            compressed = True  # -c zlib, -l lzo, -p snappy, -z zstd (also combined: -Fc)
    return level, compressed
