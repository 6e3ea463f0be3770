"""sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET.

READY=1 once following, STATUS= a short summary, WATCHDOG=1 from the main loop,
STOPPING=1 / RELOADING=1 around stop and reload. Outside systemd it does nothing.
"""

from __future__ import annotations

import os
import socket
from typing import Optional


def notify(state: str) -> bool:
    """Send `state` (e.g. "READY=1\\nSTATUS=following") to systemd; False when not under it."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(address)
            s.sendall(state.encode("utf-8", "replace"))
        return True
    except OSError:
        return False


def watchdog_interval() -> Optional[float]:
    """Seconds between WATCHDOG=1 pings (half of WatchdogSec), or None when it is off."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 2e6 if value > 0 else None
