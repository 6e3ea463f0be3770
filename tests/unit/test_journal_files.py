"""kcrashd.host.journal_headers and kcrashd.sources.journal_files: journal file headers, read
from real journal files made by systemd-journal-remote and checked against what libsystemd
(python-systemd) reads from the same files. Choosing the files of the live journal is tested
against a real journald in tests/integration/test_daemon_journal.py."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Dict, List

import pytest

from kcrashd.host import journal_headers
from kcrashd.sources import journal_files
from tests.fleet_journals import write_journal

T0 = 1_700_000_000.0


def kernel_entries(boot: str, n: int, start: float = T0) -> List[Dict[str, str]]:
    return [
        {
            "__REALTIME_TIMESTAMP": str(int((start + i) * 1e6)),
            "__MONOTONIC_TIMESTAMP": str((i + 1) * 1_000_000),
            "_BOOT_ID": boot,
            "_TRANSPORT": "kernel",
            "MESSAGE": f"line {i}",
        }
        for i in range(n)
    ]


def cursor_parts(path: Path, tail: bool) -> Dict[str, str]:
    from systemd import journal

    reader = journal.Reader(files=[str(path)])
    try:
        if tail:
            reader.seek_tail()
            assert reader._previous()
        else:
            reader.seek_head()
            assert reader._next()
        return journal_files.parse_cursor(reader._get_cursor())
    finally:
        reader.close()


def test_a_header_says_what_libsystemd_reads_from_the_file(tmp_path):
    boot = uuid.uuid4().hex
    path = write_journal(tmp_path / "a.journal", kernel_entries(boot, 5))
    header = journal_headers.read_header(str(path))
    head, tail = cursor_parts(path, tail=False), cursor_parts(path, tail=True)
    assert header is not None and header.path == str(path)
    assert header.n_entries == 5
    assert header.seqnum_id == head["s"] == tail["s"]
    assert (header.head_seqnum, header.tail_seqnum) == (int(head["i"], 16), int(tail["i"], 16))
    assert header.boot_id == tail["b"] == boot
    assert header.head_realtime == int(head["t"], 16) == int(T0 * 1e6)
    assert header.tail_realtime == int(tail["t"], 16) == int((T0 + 4) * 1e6)
    assert not header.archived  # journal-remote leaves its file offline, not archived


def test_what_is_not_a_journal_file_has_no_header(tmp_path):
    short = tmp_path / "short.journal"
    short.write_bytes(b"LPKSHHRH")
    other = tmp_path / "other.journal"
    other.write_bytes(b"X" * 4096)
    assert journal_headers.read_header(str(short)) is None
    assert journal_headers.read_header(str(other)) is None
    assert journal_headers.read_header(str(tmp_path / "missing.journal")) is None


def test_files_are_chosen_by_their_headers_and_unreadable_ones_left_out(tmp_path):
    boot = uuid.uuid4().hex
    old = write_journal(tmp_path / "old.journal", kernel_entries(boot, 2, T0))
    new = write_journal(tmp_path / "new.journal", kernel_entries(boot, 2, T0 + 100))
    bad = tmp_path / "bad.journal"
    bad.write_bytes(b"not a journal")
    paths = [str(old), str(new), str(bad)]
    since = int((T0 + 50) * 1e6)
    assert journal_files.choose(paths, lambda f: f.tail_realtime >= since) == [str(new)]
    assert journal_files.choose(paths, lambda f: True) == [str(old), str(new)]


def test_newest_first_orders_by_the_last_entry(tmp_path):
    boot = uuid.uuid4().hex
    a = write_journal(tmp_path / "a.journal", kernel_entries(boot, 1, T0 + 10))
    b = write_journal(tmp_path / "b.journal", kernel_entries(boot, 1, T0 + 30))
    c = write_journal(tmp_path / "c.journal", kernel_entries(boot, 1, T0 + 20))
    bad = tmp_path / "bad.journal"
    bad.write_bytes(b"")
    order = journal_files.newest_first([str(bad), str(a), str(b), str(c)])
    assert order == [str(b), str(c), str(a), str(bad)]


@pytest.mark.parametrize(
    "cursor, parts",
    [
        ("s=ab;i=1f;b=cd;m=10;t=20;x=30", {"s": "ab", "i": "1f", "b": "cd", "m": "10"}),
        ("garbage", {}),
    ],
)
def test_parse_cursor(cursor, parts):
    got = journal_files.parse_cursor(cursor)
    assert {k: got[k] for k in parts} == parts and set(parts) <= set(got)
