"""The level tracker on a real SQLite state file: for-N-samples, persistence, notes."""

from __future__ import annotations

from kcrashd.model import Level, Signal
from kcrashd.store.state import StateDB
from kcrashd.watchers.levels import LevelTracker


def sig(level, key="available", value=1.0):
    return Signal("memory", key, level, value, 10.0, f"{key} {level.name}")


def kinds(transitions):
    return [(t.kind, t.signal.key, t.signal.level) for t in transitions]


def test_for_samples_and_clear(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    mem: dict = {}
    t = LevelTracker(db, "memory", 2, mem)
    assert t.update([sig(Level.WARN)]) == []  # one sample is not enough
    assert kinds(t.update([sig(Level.WARN)])) == [("raised", "available", Level.WARN)]
    assert t.update([sig(Level.WARN)]) == []  # no repeat while it holds
    assert t.update([sig(Level.OK)]) == []
    assert t.update([sig(Level.WARN)]) == []  # flapping back resets the count
    assert t.update([sig(Level.OK)]) == []
    assert kinds(t.update([sig(Level.OK)])) == [("cleared", "available", Level.OK)]


def test_raise_survives_a_restart_and_the_clear_is_sent(tmp_path):
    path = str(tmp_path / "state.db")
    db = StateDB(path)
    LevelTracker(db, "memory", 1, {}).update([sig(Level.CRIT)])
    db.close()
    db2 = StateDB(path)  # a new daemon process
    t = LevelTracker(db2, "memory", 1, {})
    assert t.raised_levels() == {"available": Level.CRIT}
    assert kinds(t.update([sig(Level.OK)])) == [("cleared", "available", Level.OK)]
    assert t.raised_levels() == {}


def test_absent_key_clears_and_lowering_is_silent(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    t = LevelTracker(db, "fd", 1, {})
    t.update([sig(Level.CRIT, "process/a[1]")])
    assert kinds(t.update([sig(Level.WARN, "process/a[1]")])) == [
        ("lowered", "process/a[1]", Level.WARN)
    ]
    assert kinds(t.update([])) == [("cleared", "process/a[1]", Level.OK)]


def test_notes_are_reported_once(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    t = LevelTracker(db, "disk", 1, {})
    assert t.note("/dev/sda", "no SMART")
    assert not t.note("/dev/sda", "no SMART")
    assert t.note("/dev/sda", "smartctl timed out")  # a different problem is news
    assert t.raised_levels() == {}  # notes are not raised levels
