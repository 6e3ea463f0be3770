"""A sealed `--root`: every path under another root resolves inside it, like a chroot.

The fixture roots here hold absolute symlinks whose targets also exist on the machine
running the tests (`/etc/os-release -> /usr/lib/os-release`, `/etc/hostname`), `..` links
that climb past the root, links to directories and a loop: what is read must be the root's
own file or nothing, never the live host's.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest

from kcrashd.host.root import Root
from tests.conftest import PROJECT
from tests.unit.checks.conftest import copy_root


@pytest.fixture
def image(tmp_path):
    """A small synthetic root whose links all point out of it."""
    r = tmp_path / "image"
    (r / "usr/lib").mkdir(parents=True)
    (r / "etc").mkdir()
    (r / "usr/lib/os-release").write_text('ID="inside"\n')
    os.symlink("/usr/lib/os-release", r / "etc/os-release")  # absolute
    os.symlink("../../../../../../../../etc/hostname", r / "etc/climb")  # `..` past the root
    (r / "etc/hostname").write_text("inside-host\n")
    os.symlink("/etc/passwd", r / "etc/passwd-link")  # exists on the host, not inside
    os.symlink("/usr/lib", r / "lib-dir")  # a directory, absolute
    os.symlink("/etc", r / "etc/self")  # a directory link back into the tree
    os.symlink("loop-b", r / "etc/loop-a")
    os.symlink("loop-a", r / "etc/loop-b")
    (r / "sys/class/hwmon").mkdir(parents=True)
    host_dir = tmp_path / "host-hwmon"  # exists outside the root, with a file in it
    (host_dir / "hwmon9").mkdir(parents=True)
    (host_dir / "hwmon9" / "name").write_text("outside\n")
    os.symlink(host_dir, r / "sys/class/hwmon-abs")
    return r


def test_absolute_symlinks_resolve_inside_the_root(image):
    root = Root(str(image))
    assert root.read_text("/etc/os-release") == 'ID="inside"\n'
    assert root.path("/etc/os-release") == str(image / "usr/lib/os-release")
    assert root.read_text("/lib-dir/os-release") == 'ID="inside"\n'
    assert root.read_text("/etc/self/self/self/hostname") == "inside-host\n"
    with pytest.raises(FileNotFoundError):  # the host's /etc/passwd is not read
        root.read_text("/etc/passwd-link")
    assert root.read_optional("/etc/passwd-link") is None
    assert not root.exists("/etc/passwd-link")


def test_dot_dot_never_climbs_out(image):
    root = Root(str(image))
    assert root.read_text("/etc/climb") == "inside-host\n"
    assert root.read_text("/../../../etc/hostname") == "inside-host\n"
    assert root.path("/../../../etc/hostname") == str(image / "etc/hostname")
    assert root.resolve("/etc/self/../../..") == "/"


def test_links_themselves_and_loops(image):
    root = Root(str(image))
    assert root.read_link("/etc/os-release") == "/usr/lib/os-release"
    assert root.is_link("/etc/os-release") and not root.is_link("/etc/hostname")
    assert root.path_nofollow("/etc/os-release") == str(image / "etc/os-release")
    with pytest.raises(OSError) as caught:
        root.read_text("/etc/loop-a")
    assert caught.value.errno == errno.ELOOP


def test_glob_and_listdir_stay_inside(image):
    root = Root(str(image))
    assert root.listdir("/sys/class/hwmon-abs") == []  # the host's directory is not listed
    assert root.glob("/sys/class/hwmon-abs/hwmon*") == []
    assert root.glob("/etc/os-rel*") == ["/etc/os-release"]
    assert root.glob("/lib-dir/*") == ["/lib-dir/os-release"]
    assert "/etc/self/hostname" in root.glob("/etc/*/hostname")


def test_the_live_root_is_the_kernels_own_resolution():
    root = Root("/")
    assert root.path("/etc/hostname") == "/etc/hostname"
    assert root.resolve("/proc/self/..") == "/proc"


def _check_json(root_dir) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "kcrashd", "check", "--json", "--root", str(root_dir)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


def test_check_root_with_links_out_reads_only_the_root(tmp_path):
    # The same RHEL root twice: as it is, and with its files moved behind absolute and `..`
    # links whose targets also exist on this (Debian) machine. Sealed, both give one answer.
    plain = copy_root("rhel9-kdump-ready", tmp_path / "plain")
    linked = copy_root("rhel9-kdump-ready", tmp_path / "linked")
    (linked / "usr/lib").mkdir(parents=True, exist_ok=True)
    os.replace(linked / "etc/os-release", linked / "usr/lib/os-release")
    os.symlink("/usr/lib/os-release", linked / "etc/os-release")
    os.replace(linked / "etc/hostname", linked / "etc/hostname.real")
    os.symlink("../../../../../../../../../etc/hostname.real", linked / "etc/hostname")
    osrelease = linked / "proc/sys/kernel/osrelease"
    os.replace(osrelease, linked / "osrelease.real")
    os.symlink("/osrelease.real", osrelease)
    assert os.path.exists("/usr/lib/os-release")  # the live target the old Root followed
    want, got = _check_json(plain), _check_json(linked)
    assert got["distro_family"] == "rhel" and got["host"] == want["host"]
    assert got["kernel"] == want["kernel"]
    assert [(r["id"], r["status"]) for r in got["results"]] == [
        (r["id"], r["status"]) for r in want["results"]
    ]
