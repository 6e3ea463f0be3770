"""dump_target_config gives the same answer inside the daemon's sandbox as from a shell.

kcrashd.service has ProtectSystem=strict: systemd bind-mounts the file system read-only in
the service's mount namespace, so /var/crash cannot be written from inside while the
filesystem (what the capture kernel mounts) is read-write. systemd-run needs systemd as
PID 1, which this machine does not have, so the test makes the same mounts itself in a
private mount namespace (unshare -m): a read-only bind of /var over /var, exactly the
per-mount flag ProtectSystem=strict sets. The live check runs in it as root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[3]

# Runs inside the new namespace. /etc/default is covered with a tmpfs holding only a
# kdump-tools config whose KDUMP_COREDIR is $COREDIR (this machine has no kdump-tools).
SCRIPT = r"""
set -e
check() { "$PYTHON" -m kcrashd check --json --only dump_target_config || true; echo @@; }
mount -t tmpfs tmpfs /etc/default
printf 'USE_KDUMP=1\nKDUMP_COREDIR="%s"\n' "$COREDIR" > /etc/default/kdump-tools
check
mount --bind /var /var
mount -o remount,bind,ro /var
if touch "$COREDIR/probe" 2>/dev/null; then echo "the sandbox is writable" >&2; exit 9; fi
check
mount -t tmpfs -o ro tmpfs "$COREDIR"
check
"""


def _result(doc: str) -> dict:
    results = json.loads(doc)["results"]
    assert [r["id"] for r in results] == ["dump_target_config"]
    return results[0]


@pytest.mark.root
def test_the_sandbox_and_the_shell_agree():
    assert os.geteuid() == 0, "needs root to make mount namespaces"
    assert shutil.which("unshare"), "unshare (util-linux) is not installed"
    coredir = tempfile.mkdtemp(prefix="kcrashd-crash-", dir="/var/tmp")
    try:
        proc = subprocess.run(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", SCRIPT],
            capture_output=True,
            text=True,
            cwd=PROJECT,
            env=dict(os.environ, PYTHON=sys.executable, COREDIR=coredir),
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        shell, sandbox, read_only_fs = (_result(d) for d in proc.stdout.split("@@")[:3])
    finally:
        os.rmdir(coredir)

    assert shell["status"] == "OK" and shell["summary"] == f"dumps go to {coredir}"
    assert sandbox == shell  # status, summary and facts: what the daemon stores
    mount_fact = next(f for f in shell["facts"] if f["source"] == f"mount of {coredir}")
    assert mount_fact["seen"].endswith("filesystem read-write")

    # A filesystem that is itself read-only is not writable for the capture kernel either.
    assert read_only_fs["status"] == "WARN"
    assert "read-only filesystem" in read_only_fs["summary"] and "remount" in read_only_fs["fix"]
