"""Where the daemon's log records go: native journal entries when stderr is the journal
stream systemd named in JOURNAL_STREAM, `<N>`-prefixed lines without python-systemd, plain
text on a terminal."""

from __future__ import annotations

import logging
import os

from kcrashd.daemon import logs


def test_journal_stream_is_recognised_by_device_and_inode():
    r, w = os.pipe()
    try:
        st = os.fstat(w)
        assert logs.journal_stream(w, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        assert not logs.journal_stream(w, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"})
        assert not logs.journal_stream(w, {})
        assert not logs.journal_stream(w, {"JOURNAL_STREAM": "garbage"})
    finally:
        os.close(r)
        os.close(w)


def test_every_line_of_a_traceback_carries_the_records_priority():
    fmt = logs.LevelPrefixFormatter("%(name)s: %(message)s")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("kcrashd.x", logging.ERROR, __file__, 1, "failed", (), None)
        import sys

        record.exc_info = sys.exc_info()
    lines = fmt.format(record).splitlines()
    assert len(lines) > 3 and all(line.startswith("<3>") for line in lines)
    assert lines[0] == "<3>kcrashd.x: failed" and "RuntimeError: boom" in lines[-1]


def test_priorities_follow_the_logging_levels():
    assert [logs.syslog_priority(level) for level in (10, 20, 30, 40, 50)] == [7, 6, 4, 3, 2]


def test_setup_uses_the_journal_only_on_a_journal_stream(monkeypatch):
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        handler = logs.setup()
        assert type(handler) is logging.StreamHandler
        st = os.fstat(2)
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        handler = logs.setup(verbose=True)
        assert type(handler).__name__ == "JournalHandler" and root.level == logging.DEBUG
        assert root.handlers == [handler]
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
