"""A state database kcrashd's own storage cannot stop (kcrashd.store.recovery), on real
files: damaged files of every kind at start, a full filesystem (a small tmpfs) and an
immutable file while running."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
from pathlib import Path

import pytest

from kcrashd.store.positions import Position, load_position, save_position
from kcrashd.store.recovery import StateWriter, open_state
from kcrashd.store.state import StateDB, set_meta

pytestmark = pytest.mark.root


def _first_run(db: Path) -> None:
    state = StateDB(str(db))
    with state.transaction() as c:
        save_position(c, "journal", Position("s=1;i=10", "b0"))
        set_meta(c, "marker", "first run")
    state.close()


def _garbage(db: Path) -> None:
    db.write_bytes(random.Random(1).randbytes(40000))


def _truncated(db: Path) -> None:
    os.truncate(db, db.stat().st_size // 2)


def _bad_header(db: Path) -> None:
    with open(db, "r+b") as f:
        f.write(b"NOT A SQLITE FMT")


def _future(db: Path) -> None:
    conn = sqlite3.connect(str(db))
    conn.execute("PRAGMA user_version=99")
    conn.commit()
    conn.close()


def _directory(db: Path) -> None:
    db.unlink()
    db.mkdir()


@pytest.mark.parametrize(
    "damage,kind",
    [
        (_garbage, "corrupt"),
        (_truncated, "corrupt"),
        (_bad_header, "corrupt"),
        (_future, "corrupt"),
        (_directory, "unopenable"),
    ],
)
def test_an_unusable_file_is_moved_aside_and_a_fresh_one_made(tmp_path, damage, kind):
    db = tmp_path / "state.db"
    _first_run(db)
    damage(db)
    state, problem, on_disk = open_state(str(db))
    assert on_disk and problem is not None and problem.kind == kind, problem
    assert problem.moved_to and os.path.basename(problem.moved_to).startswith("state.db.corrupt-")
    assert os.path.lexists(problem.moved_to)  # kept for inspection
    assert load_position(state, "journal") is None  # a fresh database ...
    with state.transaction() as c:  # ... that takes writes
        set_meta(c, "x", "y")
    # the old file's journal went with it: none is left to be rolled into the fresh one
    journal = tmp_path / "state.db-journal"
    assert not journal.exists() or journal.stat().st_size == 0
    writer = StateWriter(state, on_disk, problem)
    (alert,) = writer.take_alerts()
    assert alert.type == "state_degraded" and alert.fields["moved_to"] == problem.moved_to
    state.close()
    # the next start finds nothing wrong
    again, problem, _ = open_state(str(db))
    assert problem is None
    again.close()


def test_an_intact_file_opens_without_a_problem(tmp_path):
    db = tmp_path / "state.db"
    _first_run(db)
    state, problem, on_disk = open_state(str(db))
    assert (problem, on_disk) == (None, True)
    assert state.get_meta("marker") == "first run"
    state.close()


@pytest.fixture
def immutable(tmp_path):
    db = tmp_path / "state.db"
    _first_run(db)
    subprocess.run(["chattr", "+i", str(db)], check=True)
    yield db
    subprocess.run(["chattr", "-i", str(db)], check=False)


def test_an_immutable_file_keeps_state_in_memory_until_it_can_be_written(immutable):
    state, problem, on_disk = open_state(str(immutable))
    assert not on_disk and problem is not None and problem.kind == "readonly"
    writer = StateWriter(state, on_disk, problem)
    assert [a.type for a in writer.take_alerts()] == ["state_degraded"]
    assert state.get_meta("marker") == "first run"  # what could be read is kept
    assert writer.commit(lambda c: set_meta(c, "during", "1")) is False
    assert state.get_meta("during") == "1"
    assert writer.retry(force=True) is False  # still immutable
    subprocess.run(["chattr", "-i", str(immutable)], check=True)
    assert writer.retry(force=True) is True
    assert [a.type for a in writer.take_alerts()] == ["state_recovered"]
    writer.close()
    disk = StateDB(str(immutable))
    assert (disk.get_meta("marker"), disk.get_meta("during")) == ("first run", "1")
    disk.close()


@pytest.fixture
def small_fs(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def _fill(directory: Path) -> Path:
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as f:
        for chunk in (65536, 512):
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError:
                pass
    return filler


def test_a_full_disk_degrades_to_memory_and_replays_when_space_returns(small_fs):
    db = small_fs / "state.db"
    writer = StateWriter.open(str(db))
    state = writer.state
    with state.transaction() as c:
        save_position(c, "journal", Position("c1", "b0"))
    filler = _fill(small_fs)
    big = "x" * 200_000  # more than the free space left

    def write(c):
        set_meta(c, "big", big)
        save_position(c, "journal", Position("c2", "b0"))

    assert writer.commit(write) is False
    assert writer.degraded and writer.status()["problem"] == "full"
    (alert,) = writer.take_alerts()
    assert alert.type == "state_degraded" and alert.fields["problem"] == "full"
    # reads see the writes made while degraded; positions alone are coalesced
    assert load_position(state, "journal").value == "c2"
    for i in range(3, 50):
        pos = Position(f"c{i}", "b0")
        writer.commit(lambda c, pos=pos: save_position(c, "journal", pos), key="position:journal")
    assert writer.status()["writes_kept"] == 2
    assert writer.retry(force=True) is False  # still full: no second alert
    assert writer.take_alerts() == []
    os.unlink(filler)
    assert writer.retry(force=True) is True
    assert [a.type for a in writer.take_alerts()] == ["state_recovered"]
    writer.close()
    disk = StateDB(str(db))
    assert load_position(disk, "journal").value == "c49"
    assert disk.get_meta("big") == big
    disk.close()


def test_a_group_the_full_disk_refuses_goes_to_memory_whole_and_back_to_disk(small_fs):
    db = small_fs / "state.db"
    writer = StateWriter.open(str(db))
    assert writer.commit(lambda c: save_position(c, "journal", Position("c1", "b0")))
    filler = _fill(small_fs)
    big = "x" * 200_000  # more than the free space left
    for i in range(3):
        pos = Position(f"c{i + 2}", "b0")
        writer.commit(lambda c, i=i: set_meta(c, f"grouped{i}", big[: i + 1]), group=True)
        key = "position:journal"
        writer.commit(lambda c, pos=pos: save_position(c, "journal", pos), key, group=True)
    writer.commit(lambda c: set_meta(c, "big", big), group=True)
    assert writer.end_group() is False  # the disk refused the group's commit
    assert writer.degraded and writer.status()["problem"] == "full"
    assert [a.type for a in writer.take_alerts()] == ["state_degraded"]
    # every write of the group is in memory, and kept for the disk
    state = writer.state
    assert [state.get_meta(f"grouped{i}") for i in range(3)] == ["x", "xx", "xxx"]
    assert state.get_meta("big") == big and load_position(state, "journal").value == "c4"
    os.unlink(filler)
    assert writer.retry(force=True) is True
    writer.close()
    disk = StateDB(str(db))
    assert disk.get_meta("grouped2") == "xxx" and disk.get_meta("big") == big
    assert load_position(disk, "journal").value == "c4"
    disk.close()


def test_a_file_damaged_while_running_is_replaced_with_the_memory_image(tmp_path):
    db = tmp_path / "state.db"
    writer = StateWriter.open(str(db))
    assert writer.commit(lambda c: set_meta(c, "before", "1"))
    writer.state.conn.close()  # another program overwrites the file meanwhile
    _garbage(db)
    writer.disk = writer.state.conn = sqlite3.connect(str(db), isolation_level=None)
    assert writer.commit(lambda c: set_meta(c, "after", "1")) is False
    assert writer.status()["problem"] == "corrupt"
    assert writer.retry(force=True) is True
    writer.close()
    names = os.listdir(tmp_path)
    assert any(n.startswith("state.db.corrupt-") for n in names)
    disk = StateDB(str(db))
    assert disk.get_meta("after") == "1"  # the memory image; what came before is lost
    disk.close()
