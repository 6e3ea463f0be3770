"""sd_notify(3) for `kcrashd run` (kcrashd.service is Type=notify): one datagram to
$NOTIFY_SOCKET per message.

READY=1 once following, STATUS= a short summary, WATCHDOG=1 from the main loop,
STOPPING=1 / RELOADING=1 around stop and reload. Outside systemd it does nothing.

Not systemd.daemon.notify: libsystemd's sd_notify() sends on a blocking socket and
python-systemd holds the GIL while it does, so a service manager that stops reading its
notify socket (its queue full) would freeze every thread of the daemon, crash alerting
included (tests/unit/test_notify.py shows it). Here the datagram is sent non-blocking and
dropped when the queue is full: a lost STATUS or WATCHDOG=1 costs less than a stuck loop.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Optional

log = logging.getLogger(__name__)


def notify(state: str) -> bool:
    """Send `state` (e.g. "READY=1\\nSTATUS=following") to systemd without ever blocking;
    False when not under systemd or when the message was dropped."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace
        address = "\0" + address[1:]
    try:
        with socket.socket(
            socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK
        ) as s:
            s.sendto(state.encode("utf-8", "replace"), address)
        return True
    except BlockingIOError:
        log.debug("notify socket full, dropped: %s", state.split("\n", 1)[0])
        return False
    except OSError:
        return False


def watchdog_interval() -> Optional[float]:
    """Seconds between WATCHDOG=1 pings (half of WatchdogSec), or None when it is off.
    (sd_watchdog_enabled(3) has no python-systemd binding.)"""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 2e6 if value > 0 else None
