"""pstore fixes: a backend loaded at every boot (efi_pstore, ramoops module options), the
pstore mount, and systemd-pstore archiving the records (pstore.conf drop-in, the unit)."""

from __future__ import annotations

import shlex

from kcrashd.checks.checklist import ramoops_config
from kcrashd.fixers import edit
from kcrashd.fixers.plan import LIVE, NOW, REBOOT, Command, FixContext, Proposal, manual_only
from kcrashd.host.pstore_info import PSTORE_DIR
from kcrashd.model import Result

MODULES_LOAD = "/etc/modules-load.d/kcrashd-pstore.conf"
MODPROBE = "/etc/modprobe.d/kcrashd-ramoops.conf"
PSTORE_DROPIN = "/etc/systemd/pstore.conf.d/90-kcrashd.conf"
PSTORE_UNIT = "systemd-pstore.service"


def _load_at_boot(ctx: FixContext, module: str) -> None:
    lines = [ln for ln in (ctx.draft.read(MODULES_LOAD) or "").splitlines() if ln.strip()]
    names = [ln.strip() for ln in lines if not ln.startswith("#")]
    if module not in names:
        names.append(module)
        why = "kcrashd: a pstore backend keeps the panic log when kdump cannot"
        ctx.draft.write(MODULES_LOAD, edit.list_file(names, why))


def backend(ctx: FixContext, result: Result) -> Proposal:
    p = ctx.host.pstore
    if p.backend:  # registered but not mounted: systemd mounts it at boot
        proposal = Proposal(result.check_id, effect=LIVE)
        if ctx.live:
            argv = ("mount", "-t", "pstore", "pstore", PSTORE_DIR)
            proposal.commands.append(
                Command(argv, "mount pstore now", undo=(("umount", PSTORE_DIR),))
            )
        return proposal
    if p.efi_pstore_disabled:
        return manual_only(
            result.check_id,
            "efi_pstore is loaded with pstore_disable=Y: add efi_pstore.pstore_disable=0 to "
            "the kernel command line",
        )
    _load_at_boot(ctx, "efi_pstore")
    proposal = Proposal(result.check_id, files=[MODULES_LOAD], effect=LIVE)
    if ctx.live:
        proposal.commands.append(Command(("modprobe", "efi_pstore"), "register the backend now"))
    return proposal


def archival(ctx: FixContext, result: Result) -> Proposal:
    host = ctx.host
    unit = host.units([PSTORE_UNIT])[PSTORE_UNIT]
    proposal = Proposal(result.check_id, effect=NOW)
    if (host.pstore_conf.get("Storage") or "").lower() == "none":
        why = "kcrashd: archive pstore records so the store has room for the next crash"
        ctx.draft.write(PSTORE_DROPIN, edit.ini_dropin("PStore", "Storage", "external", why))
        proposal.files.append(PSTORE_DROPIN)
    if not unit.installed:
        proposal.manual.append(f"{PSTORE_UNIT} is not installed (systemd older than 243?)")
    elif not unit.enabled:
        if ctx.live:
            argv = ("systemctl", "enable", PSTORE_UNIT)
            proposal.commands.append(
                Command(
                    argv,
                    "archive pstore records at every boot",
                    undo=(("systemctl", "disable", PSTORE_UNIT),),
                )
            )
        else:
            proposal.manual.append(
                f"systemctl --root={shlex.quote(host.root.base)} enable {PSTORE_UNIT}"
            )
    if host.pstore.records:
        # systemd-pstore moves them out at boot; on the live host it can run now
        proposal.effect = LIVE
        if ctx.live and unit.installed:
            argv = ("systemctl", "restart", PSTORE_UNIT)
            proposal.commands.append(Command(argv, "archive the records left in pstore now"))
    return proposal


def ramoops(ctx: FixContext, result: Result) -> Proposal:
    host = ctx.host
    if any(t.startswith("ramoops.") for t in host.cmdline):
        return manual_only(
            result.check_id, "ramoops.* on the kernel command line wins: " + (result.fix or "")
        )
    if not host.exists("/sys/module/ramoops/initstate"):
        return manual_only(
            result.check_id, "ramoops is built into the kernel: " + (result.fix or "")
        )
    address = host.ramoops.get("mem_address", "")
    if not address or int(address, 0) == 0:
        return manual_only(
            result.check_id,
            "ramoops needs a reserved memory region: choose one for this machine (memmap= "
            "on the kernel command line) and set ramoops.mem_address=",
        )
    # The check's own sizing, as module options, with the region it already uses.
    options = [f"mem_address={address}"]
    options += [arg.split(".", 1)[1] for arg in ramoops_config.ARGS.split()]
    why = "kcrashd: ramoops sized to keep a panic log (ramoops_config)"
    ctx.draft.write(MODPROBE, f"{edit.HEADER}# {why}\noptions ramoops {' '.join(options)}\n")
    _load_at_boot(ctx, "ramoops")
    return Proposal(result.check_id, files=[MODPROBE, MODULES_LOAD], effect=REBOOT)
