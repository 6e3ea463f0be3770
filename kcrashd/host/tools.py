"""Which user-space tools are installed under a root (fixed system paths, not $PATH)."""

from __future__ import annotations

import os
from typing import Optional

from kcrashd.host.root import Root

SYSTEM_BIN_DIRS = ("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin")


def find_tool(root: Root, name: str) -> Optional[str]:
    for d in SYSTEM_BIN_DIRS:
        path = f"{d}/{name}"
        real = root.path(path)
        if os.path.isfile(real) and os.access(real, os.X_OK):
            return path
    return None
