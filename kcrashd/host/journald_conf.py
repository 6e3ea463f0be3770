"""journald persistence: the effective Storage= and the boots kept in /var/log/journal."""

from __future__ import annotations

import re
from typing import Optional, Tuple

from kcrashd.host.pstore_info import dropin_files, read_ini_key
from kcrashd.host.root import Root

JOURNAL_DIR = "/var/log/journal"
LIST_BOOTS_TIMEOUT = 10.0
_BOOT_LINE = re.compile(r"^\s*-?\d+\s+[0-9a-f]{32}\s", re.M)


def read_storage(root: Root) -> Tuple[str, Optional[str]]:
    """(Storage= value, the file that set it); ("auto", None) is the built-in default."""
    files = dropin_files(root, "/etc/systemd/journald.conf")
    source = None
    value = None
    for f in files:
        v = read_ini_key(root, [f], "Journal", "Storage")
        if v is not None:
            value, source = v, f
    return (value or "auto").lower(), source


def count_boots(list_boots_output: str) -> int:
    """Boots in `journalctl --list-boots` output (one line per boot, with or without header)."""
    return len(_BOOT_LINE.findall(list_boots_output))


def list_boots(root: Root, runner) -> Tuple[Optional[int], Optional[str]]:
    """(boots in the persistent journal, error). Reads the files, so it works on any root."""
    directory = root.path(JOURNAL_DIR)
    res = runner.run(
        ["journalctl", f"--directory={directory}", "--list-boots", "--no-pager", "-q"],
        timeout=LIST_BOOTS_TIMEOUT,
    )
    if res.error:
        return None, res.error
    if res.returncode != 0:
        # journalctl exits 1 with "No journal files were found" / permission denied
        text = (res.stderr or res.stdout).strip().splitlines()
        return (0, None) if not text or "No journal" in text[0] else (None, text[0])
    return count_boots(res.stdout), None


def boot_time(root: Root) -> Optional[float]:
    """`btime` of /proc/stat: when this boot started (epoch seconds)."""
    for line in (root.read_optional("/proc/stat") or "").splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return None
