"""sysctl configuration files: which file sets a key at boot, and with what value.

systemd-sysctl (at boot) and `sysctl --system` read the *.conf files of the sysctl.d
directories sorted by file name, a name in /etc hiding the same name in /run and /usr/lib;
a later file overrides an earlier one for the same key. `sysctl --system` reads
/etc/sysctl.conf last (Debian and Fedora link it as 99-sysctl.conf for systemd-sysctl).
"""

from __future__ import annotations

from typing import List, Tuple

from kcrashd.host.files import resolve
from kcrashd.host.root import Root

SYSCTL_DIRS = (
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
)
LEGACY_FILE = "/etc/sysctl.conf"


def normalize_key(key: str) -> str:
    """`kernel/panic` and ` kernel.panic ` -> `kernel.panic`."""
    return key.strip().lstrip("-").replace("/", ".")


def parse_sysctl_conf(text: str) -> List[Tuple[str, str]]:
    """(key, value) of each `key = value` line; comments (# ;) and junk are skipped."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        out.append((normalize_key(key), value.strip()))
    return out


def config_files(root: Root) -> List[str]:
    """Every sysctl configuration file in the order it is applied (host paths)."""
    chosen = {}
    for d in SYSCTL_DIRS:
        for name in root.listdir(d):
            if name.endswith(".conf") and name not in chosen:
                chosen[name] = f"{d}/{name}"
    files = [chosen[n] for n in sorted(chosen)]
    if root.exists(LEGACY_FILE):
        seen = {resolve(root, f) for f in files}
        if resolve(root, LEGACY_FILE) not in seen:
            files.append(LEGACY_FILE)
    return files


def setters(root: Root, key: str) -> List[Tuple[str, str]]:
    """(file, value) of every line that sets `key`, in the order they are applied."""
    key = normalize_key(key)
    out = []
    for f in config_files(root):
        for k, v in parse_sysctl_conf(root.read_optional(f) or ""):
            if k == key:
                out.append((f, v))
    return out
