"""Which boot this is, as the journal tells it.

Per-boot dedup, "the previous boot" and the journal's this-boot filter all need the boot id
journald stamps on entries (`_BOOT_ID`). /proc/sys/kernel/random/boot_id usually says the
same, but not always: in a container (systemd-nspawn) the daemon's sandbox mounts a private
/proc (ProtectProc=), which shows the host's boot id instead of the container's, and so does
libsystemd's sd_id128_get_boot() reading it there. So the journal is asked first: the boot
of its newest entry is the running one (journald wrote entries for this boot before the
daemon started). Only when /proc's id is itself a boot of the journal is it preferred (the
newest entry may belong to another boot after the clock was set back); without a readable
journal, /proc is all there is.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from kcrashd.host.root import Root

log = logging.getLogger(__name__)


def proc_boot_id(root: Root) -> Optional[str]:
    value = root.read_value("/proc/sys/kernel/random/boot_id")
    return value.replace("-", "").lower() if value else None


def current_boot_id(root: Root, reader: Any = None) -> Optional[str]:
    """This boot's id (32 hex digits, journal style), or None when nothing tells.
    `reader`: a systemd.journal.Reader of the journal to ask (default: the system's,
    and only for the live root)."""
    proc = proc_boot_id(root)
    if reader is None and not root.is_live:
        return proc
    try:
        newest = _newest_boot(reader)
        if newest is None or newest == proc:
            return newest or proc
        if proc is not None and _has_boot(reader, proc):
            return proc
    except (ImportError, OSError) as exc:
        log.debug("cannot read the boot id from the journal: %s", exc)
        return proc
    if proc is not None:
        log.info("boot id %s from the journal, not %s from /proc (a sandboxed /proc)", newest, proc)
    return newest


def _open(reader: Any) -> Any:
    if reader is not None:
        return reader
    from systemd import journal

    return journal.Reader()


def _newest_boot(reader: Any) -> Optional[str]:
    r = _open(reader)
    try:
        r.flush_matches()
        r.seek_tail()
        if not r._previous():
            return None
        return r._get("_BOOT_ID").decode("ascii", "replace").lower()
    except KeyError:
        return None
    finally:
        if reader is None:
            r.close()


def _has_boot(reader: Any, boot_id: str) -> bool:
    r = _open(reader)
    try:
        r.flush_matches()
        r.add_match(f"_BOOT_ID={boot_id}")
        r.seek_head()
        return bool(r._next())
    finally:
        r.flush_matches()
        if reader is None:
            r.close()
