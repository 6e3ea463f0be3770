"""A Debian 12 root with the operator's tools, booted with systemd-nspawn to run a script.

The root is test_install's cached debootstrap root with more packages: Debian's python3-*
libraries kcrashd runs with (so the .deb installs without the network and the RPM, whose
dependencies rpm cannot see here, finds them), rpm (the RPM install test), postfix and curl
(the example hooks), bash-completion. `boot_and_run` copies nothing: callers copy the
cached root, put their files in, and boot it; a unit inside runs SCRIPT after
multi-user.target and powers the container off. The container gets its own network
namespace (--private-network): postfix and the test's receivers listen on its loopback,
never on the host's.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.integration.test_install import INCLUDE, nspawn, pristine_root

OPERATOR_INCLUDE = (
    *INCLUDE,
    "python3-systemd",
    "python3-pyudev",
    "python3-psutil",
    "python3-yaml",
    "procps",
    "rpm",
    "postfix",
    "curl",
    "bash-completion",
)

_UNIT = """[Unit]
Description=kcrashd test script
After=multi-user.target

[Service]
Type=oneshot
ExecStart={script}
StandardOutput=journal+console
"""


def operator_root(dest: Path) -> Path:
    """A fresh copy of the cached operator root at `dest`."""
    cached = pristine_root(OPERATOR_INCLUDE)
    r = subprocess.run(
        ["cp", "-a", "--reflink=auto", str(cached), str(dest)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    return dest


def boot_and_run(root: Path, script: str, timeout: float = 300) -> str:
    """Boot `root`, run `script` (a shell script) as root after multi-user.target, power off.

    Returns the console output. The script writes its results into files in the root.
    """
    path = root / "root" / "kctest-script"
    path.write_text(script)
    path.chmod(0o755)
    units = root / "etc" / "systemd" / "system"
    (units / "kctest.service").write_text(_UNIT.format(script="/root/kctest-script"))
    wants = units / "multi-user.target.wants"
    wants.mkdir(exist_ok=True)
    link = wants / "kctest.service"
    if link.is_symlink():
        link.unlink()
    link.symlink_to("/etc/systemd/system/kctest.service")
    r = nspawn(root, "--private-network", "-b", "--console=pipe", timeout=timeout)
    return r.stdout + r.stderr


def remove_root(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
