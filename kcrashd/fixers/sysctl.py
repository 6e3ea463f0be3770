"""Sysctl fixes: the `key = value` the check's own fix names, in /etc/sysctl.d/90-kcrashd.conf,
then `sysctl --system` on the live host.

A file applied after 90-kcrashd.conf that sets the same key to another value would undo the
fix at every boot (a hardening profile in 99-*.conf, /etc/sysctl.conf): kcrashd fix does
not edit other files, so it says where the value comes from instead of writing a line that
cannot win.
"""

from __future__ import annotations

from kcrashd.checks.fixes import SYSCTL_FILE, sysctl_setting
from kcrashd.checks.registry import BY_ID
from kcrashd.fixers import edit
from kcrashd.fixers.plan import LIVE, Command, FixContext, Proposal, manual_only
from kcrashd.host import sysctl_conf, sysfs
from kcrashd.model import Result

APPLY = ("sysctl", "--system")


def propose(ctx: FixContext, result: Result) -> Proposal:
    setting = sysctl_setting(result.fix)
    if setting is None:
        return manual_only(result.check_id, result.fix or "")
    key, value = setting
    later = _overriding(ctx, key, value)
    if later:
        where, theirs = later
        return manual_only(
            result.check_id,
            f"{key} = {theirs} in {where} is applied after {SYSCTL_FILE} and wins at every "
            f"boot: change or remove it there, then sysctl --system "
            "(kcrashd fix edits only its own files)",
        )
    text = ctx.draft.read(SYSCTL_FILE)
    title = BY_ID[result.check_id].TITLE
    ctx.draft.write(SYSCTL_FILE, edit.set_sysctl(text, key, value, f"{result.check_id}: {title}"))
    proposal = Proposal(result.check_id, files=[SYSCTL_FILE], effect=LIVE)
    if ctx.live:
        now = sysfs.read_sysctl(ctx.host.root, key)
        undo = (("sysctl", "-w", f"{key}={now}"),) if now is not None else ()
        proposal.commands.append(
            Command(APPLY, "apply the sysctl.d files to the running kernel", undo=undo)
        )
    return proposal


def _overriding(ctx: FixContext, key: str, value: str):
    """(file, value) of the last file applied after ours that sets `key` differently."""
    found = sysctl_conf.setters(ctx.host.root, key)
    files = sysctl_conf.config_files(ctx.host.root)
    if SYSCTL_FILE in files:
        after = files[files.index(SYSCTL_FILE) + 1 :]
    else:
        name = SYSCTL_FILE.rsplit("/", 1)[-1]
        after = [f for f in files if f.rsplit("/", 1)[-1] > name or f == sysctl_conf.LEGACY_FILE]
    late = [(f, v) for f, v in found if f in after]
    if late and late[-1][1].split() != value.split():
        return late[-1]
    return None
