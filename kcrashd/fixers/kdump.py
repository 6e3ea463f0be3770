"""kdump settings: the collector (makedumpfile -d 31, compressed), USE_KDUMP=1 and the
enabled unit, and a missing local dump directory. The values are the tools' own defaults as
kcrashd.host.kdump_config knows them; the checks judge against the same values."""

from __future__ import annotations

import shlex
from typing import Optional

from kcrashd.checks.context import HostView
from kcrashd.fixers import edit
from kcrashd.fixers.plan import LIVE, NOW, Command, FixContext, Proposal, manual_only
from kcrashd.host.distro import DEBIAN, RHEL
from kcrashd.host.kdump_config import (
    DEBIAN_CONF,
    DEBIAN_DEFAULT_MAKEDUMP_ARGS,
    RHEL_CONF,
    RHEL_DEFAULT_COLLECTOR,
)
from kcrashd.model import Result

RESTART_TIMEOUT = 300.0  # kdumpctl rebuilds the capture initramfs


def collector(ctx: FixContext, result: Result) -> Proposal:
    setup = ctx.host.kdump
    if setup.family == DEBIAN and not ctx.host.tool("makedumpfile"):
        return manual_only(result.check_id, "apt install makedumpfile")
    if setup.family == DEBIAN:
        text = edit.set_shell_var(
            ctx.draft.read(DEBIAN_CONF), "MAKEDUMP_ARGS", DEBIAN_DEFAULT_MAKEDUMP_ARGS
        )
        path = DEBIAN_CONF
    elif setup.family == RHEL:
        text = edit.set_directive(
            ctx.draft.read(RHEL_CONF), "core_collector", RHEL_DEFAULT_COLLECTOR
        )
        path = RHEL_CONF
    else:
        return manual_only(result.check_id, result.fix or "")
    ctx.draft.write(path, text)
    proposal = Proposal(result.check_id, files=[path], effect=NOW)
    restart = _reload(ctx.host)
    if restart is not None and ctx.live:
        proposal.commands.append(restart)
    elif restart is None:
        proposal.note = "the capture kernel gets the new collector when kdump is next loaded"
    return proposal


def _reload(host: HostView) -> Optional[Command]:
    """A restart of the kdump unit when it is running (it loads the new settings)."""
    unit = host.kdump_unit
    if host.units([unit])[unit].active != "active":
        return None
    return Command(
        ("systemctl", "restart", unit),
        f"{unit} loads the crash kernel with the new settings",
        timeout=RESTART_TIMEOUT,
        undo=(("systemctl", "restart", unit),),
    )


def service(ctx: FixContext, result: Result) -> Proposal:
    host = ctx.host
    unit_name = host.kdump_unit
    unit = host.units([unit_name])[unit_name]
    if unit.masked or unit.active == "failed":
        return manual_only(result.check_id, result.fix or "")
    proposal = Proposal(result.check_id, effect=NOW)
    if host.kdump.family == DEBIAN and host.kdump.enabled is False:
        ctx.draft.write(
            DEBIAN_CONF, edit.set_shell_var(ctx.draft.read(DEBIAN_CONF), "USE_KDUMP", "1")
        )
        proposal.files.append(DEBIAN_CONF)
    if not unit.enabled:
        # Start it only when crash memory is reserved: otherwise it fails, and kdump
        # cannot be armed before the reboot that reserves it anyway.
        armable = bool(host.kexec.crash_size)
        argv = ("systemctl", "enable", *(("--now",) if armable else ()), unit_name)
        if ctx.live:
            proposal.effect = LIVE
            proposal.commands.append(
                Command(
                    argv,
                    f"arm kdump at every boot ({unit_name})",
                    timeout=RESTART_TIMEOUT,
                    undo=(("systemctl", "disable", *argv[2:]),),
                )
            )
        else:
            root = shlex.quote(host.root.base)
            proposal.manual.append(f"systemctl --root={root} enable {unit_name}")
    elif proposal.files and ctx.live:
        restart = _reload(host)
        if restart is not None:
            proposal.commands.append(restart)
    return proposal


def dump_dir(ctx: FixContext, result: Result) -> Proposal:
    setup = ctx.host.kdump
    d = setup.coredir
    if setup.remote or setup.local_device or ctx.host.root.is_dir(d):
        return manual_only(result.check_id, result.fix or "")  # not a missing directory
    return Proposal(result.check_id, dirs=[d], effect=NOW)
