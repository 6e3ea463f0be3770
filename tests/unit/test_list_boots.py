"""list_boots() reads a few journal files at a time and merges what each holds of a boot:
the boots, their first and last entries and capture flags are those one reader over the
whole directory finds. Real journal files, made with systemd-journal-remote from synthetic
entries; boots split over files, more files than are opened at once."""

from __future__ import annotations

import time

from kcrashd.sources import previous_boot
from tests import postmortem_roots as roots


def split_boot(directory, name, boot_id, start, kernel, parts):
    entries = roots.boot_entries(boot_id, start, kernel, [f"app line {i}" for i in range(30)])
    size = -(-len(entries) // parts)
    for i in range(parts):
        # named by part first: in name order, the batches list_boots() opens cut across boots
        roots.make_journal(directory, entries[i * size : (i + 1) * size], name=f"{i}-{name}")
    return entries


def test_boots_merged_across_files_equal_one_reader_over_all(tmp_path):
    now = time.time()
    capture = [
        line + " elfcorehdr=0x73000000" if "Command line:" in line else line
        for line in roots.NORMAL_KERNEL
    ]
    ids = [roots.new_boot_id() for _ in range(4)]
    made = [
        split_boot(tmp_path, "a", ids[0], now - 9000, roots.NORMAL_KERNEL, 5),
        split_boot(tmp_path, "b", ids[1], now - 7000, capture, 1),
        split_boot(tmp_path, "c", ids[2], now - 5000, roots.NORMAL_KERNEL, 4),
        split_boot(tmp_path, "d", ids[3], now - 3000, roots.NORMAL_KERNEL, 3),
    ]
    assert len(list(tmp_path.glob("*.journal"))) == 13 > previous_boot.FILES_AT_ONCE
    boots = previous_boot.list_boots(str(tmp_path))
    whole = previous_boot._boots_in(previous_boot.open_journal(str(tmp_path)))
    assert boots == sorted(whole, key=lambda b: (b.first, b.boot_id))
    assert [b.boot_id for b in boots] == ids
    assert [b.capture for b in boots] == [False, True, False, False]
    for boot, entries in zip(boots, made):
        # journal-remote gives the cursors its own seqnum ids: compare the entries' times
        assert round(boot.first * 1e6) == int(entries[0]["__REALTIME_TIMESTAMP"])
        assert round(boot.last * 1e6) == int(entries[-1]["__REALTIME_TIMESTAMP"])
        assert f";i=1;b={boot.boot_id};" in boot.first_cursor
        assert f";b={boot.boot_id};" in boot.last_cursor
    assert previous_boot.previous_boot(boots, ids[3]).boot_id == ids[2]
