"""Journal persistence: Storage=persistent in a journald drop-in of kcrashd's own, then a
journald restart on the live host (journald creates /var/log/journal itself and moves the
journal there)."""

from __future__ import annotations

from typing import Optional, Tuple

from kcrashd.fixers import edit
from kcrashd.fixers.plan import NOW, REBOOT, Command, FixContext, Proposal, manual_only
from kcrashd.host.journald_conf import JOURNAL_DIR
from kcrashd.host.pstore_info import dropin_files, read_ini_key
from kcrashd.model import Result

DROPIN = "/etc/systemd/journald.conf.d/90-kcrashd.conf"
RESTART = ("systemctl", "restart", "systemd-journald.service")
FLUSH = ("journalctl", "--flush")


def propose(ctx: FixContext, result: Result) -> Proposal:
    storage, _ = ctx.host.journald_storage
    # journal_previous_boot: one boot kept so far proves itself only at the next boot
    effect = NOW if result.check_id == "journald_persistent" else REBOOT
    proposal = Proposal(result.check_id, effect=effect)
    later = _overriding(ctx)
    if later is not None:
        where, theirs = later
        return manual_only(
            result.check_id,
            f"Storage={theirs} in {where} is read after {DROPIN} and wins: change it there, or "
            f"override it with a file of the same name in /etc/systemd/journald.conf.d/ "
            "(kcrashd fix edits only its own files)",
        )
    effective = storage == "persistent" or (storage == "auto" and ctx.host.root.is_dir(JOURNAL_DIR))
    if effective and not ctx.live:
        # kept on disk already: what is missing is a journald that noticed (a live matter)
        return manual_only(result.check_id, result.fix or "")
    if not effective:
        why = "kcrashd: keep the kernel log of the boot that crashed (journald_persistent)"
        ctx.draft.write(DROPIN, edit.ini_dropin("Journal", "Storage", "persistent", why))
        proposal.files.append(DROPIN)
        if ctx.live:
            proposal.commands.append(
                Command(RESTART, "journald reads Storage= at start", undo=(RESTART,))
            )
    elif ctx.live:
        # Persistence is configured but this boot's journal is still in /run: move it.
        proposal.commands.append(Command(FLUSH, "move the journal to /var/log/journal now"))
    return proposal


def _overriding(ctx: FixContext) -> Optional[Tuple[str, str]]:
    """(drop-in, value) of the last drop-in read after ours that sets another Storage=."""
    name = DROPIN.rsplit("/", 1)[-1]
    files = dropin_files(ctx.host.root, "/etc/systemd/journald.conf")[1:]
    found = None
    for f in files:
        value = read_ini_key(ctx.host.root, [f], "Journal", "Storage")
        if value is not None and f.rsplit("/", 1)[-1] > name:
            found = (f, value)
    if found is not None and found[1].lower() != "persistent":
        return found
    return None
