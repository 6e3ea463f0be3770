"""systemd unit state, read from unit files and wants/ links (no systemctl side effects).

Whether a unit is active is known only to the running systemd: on the live host we ask
`systemctl is-active` (read-only, with a timeout); elsewhere (another root, no systemd)
the active state is None, meaning unknown.
"""

from __future__ import annotations

import os
from typing import Dict, NamedTuple, Optional, Sequence

from kcrashd.host.root import Root

UNIT_DIRS = (
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
)
SYSTEMCTL_TIMEOUT = 5.0


class UnitState(NamedTuple):
    name: str
    installed: bool
    enabled: bool
    masked: bool
    active: Optional[str]  # active, inactive, failed, activating ...; None: unknown


def unit_file(root: Root, unit: str) -> Optional[str]:
    for d in UNIT_DIRS:
        if root.exists(f"{d}/{unit}") or root.is_link(f"{d}/{unit}"):
            return f"{d}/{unit}"
    return None


def is_masked(root: Root, unit: str) -> bool:
    for d in ("/etc/systemd/system", "/run/systemd/system"):
        p = root.path(f"{d}/{unit}")
        if os.path.islink(p) and os.readlink(p) == "/dev/null":
            return True
    return False


def is_enabled(root: Root, unit: str) -> bool:
    """A link to the unit in some *.wants/ or *.requires/ directory."""
    for d in UNIT_DIRS:
        if root.glob(f"{d}/*.wants/{unit}") or root.glob(f"{d}/*.requires/{unit}"):
            return True
    return False


def systemd_running(root: Root) -> bool:
    """sd_booted(): the live host runs systemd as its init."""
    return root.is_live and os.path.isdir("/run/systemd/system")


def active_states(root: Root, runner, units: Sequence[str]) -> Dict[str, Optional[str]]:
    states: Dict[str, Optional[str]] = {u: None for u in units}
    if not units or not systemd_running(root):
        return states
    res = runner.run(["systemctl", "is-active", "--", *units], timeout=SYSTEMCTL_TIMEOUT)
    lines = res.stdout.split()
    if res.returncode is not None and len(lines) == len(units):
        states.update(zip(units, lines))
    return states


def read_units(root: Root, runner, units: Sequence[str]) -> Dict[str, UnitState]:
    active = active_states(root, runner, units)
    out = {}
    for u in units:
        installed = unit_file(root, u) is not None
        out[u] = UnitState(u, installed, is_enabled(root, u), is_masked(root, u), active[u])
    return out
