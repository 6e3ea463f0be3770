"""The .deb and the RPM, built once per test run with the scripts users run.

`packages()` builds both on first use into a temporary directory (removed at exit) and
returns their paths; the completion, hook and RPM install tests share them.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Dict

from tests.conftest import PROJECT


@cache
def packages() -> Dict[str, Path]:
    out = Path(tempfile.mkdtemp(prefix="kcrashd-built."))
    atexit.register(shutil.rmtree, out, True)
    for script in ("build-deb.sh", "build-rpm.sh"):
        r = subprocess.run(
            ["bash", str(PROJECT / "packaging" / script), str(out)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (deb,) = out.glob("kcrashd_*_all.deb")
    (rpm,) = out.glob("kcrashd-*.noarch.rpm")
    return {"deb": deb, "rpm": rpm}


def unpack(package: Path, dest: Path) -> Path:
    """The package's files under `dest` (dpkg-deb -x, or rpm2cpio | cpio)."""
    dest.mkdir(parents=True, exist_ok=True)
    if package.suffix == ".deb":
        argv = ["dpkg-deb", "-x", str(package), str(dest)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    else:
        r = subprocess.run(
            f"rpm2cpio '{package}' | cpio -idm --quiet",
            shell=True,
            cwd=dest,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert r.returncode == 0, r.stderr
    return dest
