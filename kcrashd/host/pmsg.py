"""pstore's pmsg device (/dev/pmsg0, CONFIG_PSTORE_PMSG): user space writes a line there
and ramoops keeps it across a reset that loses what was on its way to the disk; after
the reboot it is /sys/fs/pstore/pmsg-ramoops-N."""

from __future__ import annotations

import os

from kcrashd.host.root import Root

PMSG = "/dev/pmsg0"


def pmsg_available(root: Root) -> bool:
    return root.exists(PMSG)


def write_pmsg(root: Root, line: str) -> None:
    """Append one line, without blocking; raises OSError."""
    fd = os.open(root.path(PMSG), os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        os.write(fd, line.encode("utf-8", "replace"))
    finally:
        os.close(fd)
