"""The running kernel's build config: /boot/config-<release> or /proc/config.gz."""

from __future__ import annotations

import gzip
from typing import Dict, Iterable, Optional, Tuple

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


def kconfig_options(text: str, names: Iterable[str]) -> Dict[str, str]:
    """parse_kconfig(text) for `names` only: found by string search (0.2 ms for five in a
    4,000-line config, which parse_kconfig takes 3 ms to read whole: `kcrashd check`)."""
    text = "\n" + text
    out: Dict[str, str] = {}
    for name in names:
        at = text.find(f"\n{name}=")
        if at >= 0:
            end = text.find("\n", at + 1)
            out[name] = text[at + len(name) + 2 : end if end >= 0 else None].strip().strip('"')
        elif f"\n# {name} is not set" in text:
            out[name] = "n"
    return out


def read_kernel_config(
    root: Root, release: str, names: Optional[Iterable[str]] = None
) -> Tuple[Optional[str], Dict[str, str]]:
    """(where it was read, its options: all, or `names` only); (None, {}) when the kernel's
    config is nowhere."""
    path = f"/boot/config-{release}"
    text = root.read_optional(path)
    if text is None:
        try:
            data = root.read_bytes("/proc/config.gz", 64 * 1024 * 1024)
        except (FileNotFoundError, NotADirectoryError):
            return None, {}
        path, text = "/proc/config.gz", gzip.decompress(data).decode("utf-8", "replace")
    return path, parse_kconfig(text) if names is None else kconfig_options(text, names)
