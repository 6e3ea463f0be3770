"""Breadcrumbs: one line to pstore's pmsg device (/dev/pmsg0, when the kernel has
CONFIG_PSTORE_PMSG and ramoops a pmsg_size) for every alert sent (the readiness summary at
start among them) and every snapshot taken. ramoops keeps them across a reset that loses
what was on its way to the disk; after the reboot they are /sys/fs/pstore/pmsg-ramoops-N,
and the post-mortem shows the last of them: the last thing kcrashd knew before the crash.

Never blocks and never raises: a breadcrumb is a best effort beside the journal.
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Optional

from kcrashd.host import pmsg
from kcrashd.host.root import Root
from kcrashd.model import Alert

log = logging.getLogger(__name__)

MAX_TEXT = 200  # a breadcrumb stays one short line: pmsg_size is often a few KiB


def leave(root: Root, what: str, now: Optional[float] = None) -> bool:
    """Write `kcrashd <what>` (one line, whitespace folded, cut to MAX_TEXT characters);
    True when written, False when there is no pmsg device or the write failed."""
    if not pmsg.pmsg_available(root):
        return False
    stamp = datetime.datetime.fromtimestamp(
        time.time() if now is None else now, datetime.timezone.utc
    ).isoformat(timespec="milliseconds")
    text = " ".join(what.split())[:MAX_TEXT]
    try:
        pmsg.write_pmsg(root, f"kcrashd {stamp} {text}\n")
        return True
    except OSError as exc:
        log.warning("writing the pmsg breadcrumb failed: %s", exc)
        return False


class AlertBreadcrumbs:
    """The outbox's breadcrumb sink: one line per alert journald took."""

    def __init__(self, root: Root) -> None:
        self.root = root

    def __call__(self, alert: Alert, alert_id: str) -> None:
        severity = alert.severity.name.lower()
        leave(self.root, f"alert {alert.type} {alert_id} {severity}: {alert.summary}")
