"""kdump_initrd_present: a capture initramfs exists for the running kernel."""

from __future__ import annotations

from typing import Dict, List, Optional

from kcrashd.checks.context import HostView
from kcrashd.checks.fixes import for_family
from kcrashd.host.distro import RHEL
from kcrashd.host.kdump_config import rhel_initrd_paths
from kcrashd.model import Fact, Result, Status

CHECK_ID = "kdump_initrd_present"
TITLE = "kdump initramfs present"
AREA = "kdump"
EXPLAIN = (
    "Debian: /var/lib/kdump/initrd.img-<release> (or KDUMP_INITRD) and the links "
    "/var/lib/kdump/initrd.img and /var/lib/kdump/vmlinuz, which must point at the running "
    "release. RHEL: /boot/initramfs-<release>kdump.img or /var/lib/kdump/"
    "initramfs-<release>kdump.img. The capture kernel cannot mount the dump target without it."
)
DEB_LINKS = ("/var/lib/kdump/initrd.img", "/var/lib/kdump/vmlinuz")
FIX = (
    "kdump-config unload; kdump-config symlinks $(uname -r); kdump-config load",
    "kdumpctl rebuild && kdumpctl reload (or systemctl restart kdump)",
)


def run(host: HostView) -> Result:
    rel = host.release or ""
    setup = host.kdump
    if setup.family == RHEL:
        paths = list(rhel_initrd_paths(rel))
        links: Dict[str, Optional[str]] = {}
    elif setup.initrd and setup.initrd not in DEB_LINKS:
        paths, links = [setup.initrd], {}  # a custom KDUMP_INITRD
    else:
        # The default config points KDUMP_INITRD at the link kdump-config keeps current.
        paths = [f"/var/lib/kdump/initrd.img-{rel}"]
        links = {p: host.link(p) for p in DEB_LINKS}
    found = [p for p in paths if host.exists(p)]
    return judge(setup.family, rel, paths, found, links, host.kexec.crash_loaded, host.family)


def judge(
    kind: Optional[str],
    release: str,
    paths: List[str],
    found: List[str],
    links: Dict[str, Optional[str]],
    loaded: Optional[int],
    family: str,
) -> Result:
    facts = [Fact(" or ".join(paths), found[0] if found else "absent", "present")]
    facts += [Fact(p, t or "absent", f"*-{release}") for p, t in links.items()]
    if kind is None:
        return Result(
            CHECK_ID, Status.SKIP, "no kdump configuration (see kdump_tooling)", facts=tuple(facts)
        )
    fix = for_family(family, *FIX)
    if not found:
        if kind == RHEL or loaded == 1:
            return Result(
                CHECK_ID,
                Status.WARN,
                f"no kdump initramfs for {release} (the next kdump start builds it)"
                if kind == RHEL
                else f"no kdump initrd for {release}: the next reload fails",
                fix,
                tuple(facts),
            )
        return Result(
            CHECK_ID,
            Status.CRIT,
            f"no kdump initrd for {release} and kdump not loaded",
            fix,
            tuple(facts),
        )
    stale = [p for p, t in links.items() if not (t or "").endswith(f"-{release}")]
    if stale:
        return Result(
            CHECK_ID,
            Status.WARN,
            f"{', '.join(stale)} do not point at {release} files",
            fix,
            tuple(facts),
        )
    return Result(CHECK_ID, Status.OK, f"kdump initramfs {found[0]}", facts=tuple(facts))
