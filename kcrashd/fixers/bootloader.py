"""crashkernel= for the next boot. Without --bootloader this prints the exact line to run;
with it, on a boot path kcrashd knows, it edits /etc/default/grub.d/kdump-tools.cfg and runs
update-grub (Debian, GRUB) or runs grubby (RHEL, BLS entries), showing the diff first.

The value comes from the checks: this boot's own crashkernel= when only persistence is
missing, else the distribution default crashkernel_size_adequate compares with.
"""

from __future__ import annotations

import shlex
from typing import List, Optional, Tuple

from kcrashd.checks.checklist.crashkernel_size_adequate import recommendation
from kcrashd.fixers import edit
from kcrashd.fixers.plan import REBOOT, Command, FixContext, Proposal, manual_only
from kcrashd.host.bootloader import GRUB, GRUB_BLS, GRUB_CFGS, GRUBENV, UNKNOWN, ZIPL, BootPath
from kcrashd.host.distro import DEBIAN, RHEL
from kcrashd.model import Result

TEMPLATE = "/etc/default/grub.d/kdump-tools.cfg"  # what kdump-tools ships
UPDATE_GRUB = ("update-grub",)
GRUBBY_TOUCHES = (
    "/boot/loader/entries/*.conf",
    GRUBENV,
    "/etc/default/grub",
    "/etc/kernel/cmdline",
)
BOOTLOADER_TIMEOUT = 300.0


def propose(ctx: FixContext, result: Result) -> Proposal:
    host = ctx.host
    boot = host.boot_path
    current = host.params("crashkernel")
    persisted = list(boot.entry_values)
    if result.check_id == "crashkernel_persistent":
        if persisted and not current:
            return Proposal(result.check_id, effect=REBOOT, note="reboot to apply it")
        if not persisted and boot.template_values and boot.loader == GRUB:
            return _regenerate(ctx, result, boot)
        value = current[0] if current else (persisted[0] if persisted else None)
    else:
        value = _recommended(ctx)
    if value is None:
        return manual_only(result.check_id, result.fix or "")
    if host.family == DEBIAN and boot.loader == GRUB:
        return _debian_grub(ctx, result, value)
    if host.family == RHEL and boot.loader in (GRUB_BLS, ZIPL):
        return _grubby(ctx, result, boot, value)
    how = "its boot path is not known" if boot.loader == UNKNOWN else f"it boots with {boot.loader}"
    return manual_only(
        result.check_id,
        f"crashkernel={value}: {result.fix} (kcrashd fix edits GRUB on Debian and BLS entries "
        f"with grubby on RHEL; this host is neither: {how})",
    )


def _recommended(ctx: FixContext) -> Optional[str]:
    """The range list the distribution would use for this host (None: RAM unknown or so
    small that no table covers it)."""
    ram = ctx.host.ram
    if ram is None:
        return None
    wanted, table, _ = recommendation(ram, ctx.host.arch, ctx.family)
    return table if wanted else None


def _debian_grub(ctx: FixContext, result: Result, value: str) -> Proposal:
    old = ctx.draft.read(TEMPLATE)
    new = edit.set_grub_crashkernel(old, value)
    if not ctx.bootloader:
        if old is not None and "crashkernel=" in old:
            line = f"sed -i 's/crashkernel=[^ \"]*/crashkernel={value}/' {TEMPLATE} && update-grub"
        else:
            grub = shlex.quote(edit.grub_line(value))
            line = f"printf '%s\\n' {grub} >> {TEMPLATE} && update-grub"
        return manual_only(result.check_id, line + "  (or: kcrashd fix --bootloader)")
    ctx.draft.write(TEMPLATE, new)
    proposal = Proposal(result.check_id, files=[TEMPLATE], effect=REBOOT)
    _update_grub(ctx, proposal)
    return proposal


def _update_grub(ctx: FixContext, proposal: Proposal) -> None:
    if ctx.live:
        proposal.commands.append(
            Command(
                UPDATE_GRUB,
                "regenerate grub.cfg from /etc/default/grub*",
                BOOTLOADER_TIMEOUT,
                touches=(GRUB_CFGS[0],),
            )
        )
    else:
        root = shlex.quote(ctx.host.root.base)
        proposal.manual.append(f"chroot {root} update-grub (kcrashd runs no command in an image)")


def _regenerate(ctx: FixContext, result: Result, boot: BootPath) -> Proposal:
    if ctx.family != DEBIAN:
        return manual_only(result.check_id, result.fix or "")
    if not ctx.bootloader:
        return manual_only(result.check_id, "update-grub  (or: kcrashd fix --bootloader)")
    proposal = Proposal(result.check_id, effect=REBOOT)
    _update_grub(ctx, proposal)
    return proposal


def grubby_argv(value: str) -> Tuple[str, ...]:
    return ("grubby", "--update-kernel=ALL", f"--args=crashkernel={value}")


def _grubby(ctx: FixContext, result: Result, boot: BootPath, value: str) -> Proposal:
    argv = grubby_argv(value)
    line = " ".join(shlex.quote(a) for a in argv)
    if boot.loader == ZIPL:
        line += " && zipl"
    if not ctx.bootloader:
        return manual_only(result.check_id, line + "  (or: kcrashd fix --bootloader)")
    if not ctx.live:
        root = shlex.quote(ctx.host.root.base)
        return manual_only(
            result.check_id, f"chroot {root} {line} (grubby cannot edit an image from outside)"
        )
    proposal = Proposal(result.check_id, effect=REBOOT)
    proposal.preview = _preview(ctx, value)
    touches = GRUBBY_TOUCHES
    proposal.commands.append(
        Command(argv, "set crashkernel= in every boot entry", BOOTLOADER_TIMEOUT, touches=touches)
    )
    if boot.loader == ZIPL:
        proposal.commands.append(Command(("zipl",), "write the boot record", BOOTLOADER_TIMEOUT))
    return proposal


def _preview(ctx: FixContext, value: str) -> List[Tuple[str, str]]:
    """(entry, text) as grubby will leave each BLS entry whose options it can see (RHEL 8
    keeps them in grubenv's $kernelopts, which grubby edits instead)."""
    out = []
    root = ctx.host.root
    for path in root.glob("/boot/loader/entries/*.conf"):
        text = ctx.draft.read(path) or ""
        lines = text.splitlines(keepends=True)
        changed = False
        for i, ln in enumerate(lines):
            s = ln.strip()
            if s.startswith("options") and "$kernelopts" not in s:
                lines[i] = edit.set_crashkernel(ln.rstrip("\n"), value) + "\n"
                changed = True
        if changed:
            out.append((path, "".join(lines)))
    return out
