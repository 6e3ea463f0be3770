"""Fixture roots for the readiness checks: a temporary copy with stable mtimes, since git
does not keep them (the checkout's own files are never touched)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Dict

import pytest

ROOTS = Path(__file__).resolve().parents[2] / "fixtures" / "roots"
BASE = 1727000000  # when the fixture hosts were installed
BOOT = 1727100000  # btime in each root's proc/stat

# path -> mtime; everything else gets BASE
MTIMES: Dict[str, Dict[str, int]] = {
    "debian12-kdump-ready": {
        "var/crash/kexec_cmd": BOOT + 100,  # kdump-config load at boot, after the config
        "var/crash/202409301712": BASE + 50000,  # a test crash after the config was written
    },
    "debian12-direct-boot": {"var/crash/kexec_cmd": BOOT + 100},
    "debian12-1g-grub": {"var/crash/kexec_cmd": BOOT + 100},
    "rhel8-bls-grubby": {
        "boot/initramfs-4.18.0-553.el8_10.x86_64kdump.img": BASE + 500,
        "var/log/journal": BOOT + 500,
    },
    "rhel9-kdump-ready": {
        "boot/initramfs-5.14.0-427.13.1.el9_4.x86_64kdump.img": BASE + 500,
        "var/log/journal": BOOT + 500,  # persistence was enabled during this boot
    },
}


def set_mtimes(root: Path, overrides: Dict[str, int]) -> None:
    dirs = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            path = os.path.join(dirpath, name)
            if os.path.isdir(path) and not os.path.islink(path):
                dirs.append(path)
            else:
                os.utime(path, (BASE, BASE), follow_symlinks=False)
    for path in sorted(dirs, key=len, reverse=True) + [str(root)]:
        os.utime(path, (BASE, BASE))
    for rel, when in overrides.items():
        os.utime(root / rel, (when, when), follow_symlinks=False)


@pytest.fixture(scope="session")
def roots(tmp_path_factory) -> Path:
    copies = tmp_path_factory.mktemp("roots")
    for scenario in sorted(p.name for p in ROOTS.iterdir() if p.is_dir()):
        shutil.copytree(ROOTS / scenario, copies / scenario, symlinks=True)
        set_mtimes(copies / scenario, MTIMES.get(scenario, {}))
    return copies
