"""The one durable write (kcrashd/host/durable.py) on a real file system."""

from __future__ import annotations

import os
import stat

import pytest

from kcrashd.host.durable import replace_file


def test_replaces_the_file_with_its_bytes_and_mode_whatever_the_umask(tmp_path):
    (tmp_path / "f").write_bytes(b"old")
    old_umask = os.umask(0o077)
    try:
        path = replace_file(str(tmp_path), "f", b"new" * 10000, mode=0o644)
    finally:
        os.umask(old_umask)
    assert path == str(tmp_path / "f")
    assert (tmp_path / "f").read_bytes() == b"new" * 10000
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert sorted(os.listdir(tmp_path)) == ["f"]  # no temp file left


def test_a_failed_rename_keeps_the_old_target_and_removes_the_temp_file(tmp_path):
    (tmp_path / "f").mkdir()  # a file cannot be renamed over a directory
    with pytest.raises(IsADirectoryError):
        replace_file(str(tmp_path), "f", b"data")
    assert (tmp_path / "f").is_dir()
    assert sorted(os.listdir(tmp_path)) == ["f"]


def test_a_symlink_planted_at_the_temp_name_is_not_written_through(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    (tmp_path / ".f.tmp").symlink_to(victim)
    with pytest.raises(OSError):
        replace_file(str(tmp_path), "f", b"data")
    assert victim.read_bytes() == b"keep me"
    assert not (tmp_path / "f").exists()


def test_a_temp_file_left_by_a_crash_is_reused(tmp_path):
    (tmp_path / ".f.tmp").write_bytes(b"half written by a process that died" * 100)
    replace_file(str(tmp_path), "f", b"whole")
    assert (tmp_path / "f").read_bytes() == b"whole"
    assert sorted(os.listdir(tmp_path)) == ["f"]


def test_owner_is_set_when_given(tmp_path):
    # Root (as in CI) can give the file away; anyone else can only keep their own.
    owner = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    replace_file(str(tmp_path), "f", b"x", owner=owner)
    st = os.stat(tmp_path / "f")
    assert (st.st_uid, st.st_gid) == owner
    assert stat.S_IMODE(st.st_mode) == 0o600
