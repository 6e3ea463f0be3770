"""journald_persistent: kernel and boot logs survive the reboot after a crash."""

from __future__ import annotations

from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.host.journald_conf import JOURNAL_DIR
from kcrashd.model import Fact, Result, Status

CHECK_ID = "journald_persistent"
TITLE = "Journal persistent"
AREA = "logs"
EXPLAIN = (
    "Reads the effective Storage= of journald (/etc/systemd/journald.conf and drop-ins in "
    "/usr/lib, /run and /etc journald.conf.d) and whether /var/log/journal exists. With "
    "volatile storage the warnings before a panic (MCE, hung tasks, I/O errors) are lost at "
    "the reboot that follows it. Never critical: a vmcore or pstore may still exist."
)
FIX = (
    "mkdir -p /var/log/journal && systemd-tmpfiles --create --prefix /var/log/journal && "
    "systemctl restart systemd-journald (or Storage=persistent in "
    "/etc/systemd/journald.conf.d/90-kcrashd.conf)"
)


def run(host: HostView) -> Result:
    storage, source = host.journald_storage
    return judge(storage, source, host.root.is_dir(JOURNAL_DIR))


def judge(storage: str, source: Optional[str], has_dir: bool) -> Result:
    facts = (
        Fact(source or "journald default", f"Storage={storage}", "persistent or auto"),
        Fact(JOURNAL_DIR, "present" if has_dir else "absent", "present"),
    )
    if storage == "persistent" or (storage == "auto" and has_dir):
        return Result(
            CHECK_ID, Status.OK, f"the journal is kept on disk (Storage={storage})", facts=facts
        )
    why = "without /var/log/journal" if storage == "auto" else ""
    return Result(
        CHECK_ID,
        Status.WARN,
        f"the journal is lost at reboot (Storage={storage} {why})".replace(" )", ")"),
        FIX,
        facts,
    )
