"""The running kernel's build config: /boot/config-<release> or /proc/config.gz."""

from __future__ import annotations

import gzip
from typing import Dict, Optional, Tuple

from kcrashd.host.root import Root


def parse_kconfig(text: str) -> Dict[str, str]:
    """`CONFIG_X=y` lines; `# CONFIG_X is not set` becomes "n"."""
    out: Dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("CONFIG_") and "=" in line:
            key, _, value = line.partition("=")
            out[key] = value.strip('"')
        elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
            out[line[2:].split()[0]] = "n"
    return out


def read_kernel_config(root: Root, release: str) -> Tuple[Optional[str], Dict[str, str]]:
    """(where it was read, options); (None, {}) when the kernel's config is nowhere."""
    path = f"/boot/config-{release}"
    text = root.read_optional(path)
    if text is not None:
        return path, parse_kconfig(text)
    try:
        data = root.read_bytes("/proc/config.gz", 64 * 1024 * 1024)
    except (FileNotFoundError, NotADirectoryError):
        return None, {}
    return "/proc/config.gz", parse_kconfig(gzip.decompress(data).decode("utf-8", "replace"))
