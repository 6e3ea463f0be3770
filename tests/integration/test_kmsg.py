"""The real /dev/kmsg: the kmsg source follows it by sequence number, and a snapshot reads its
recent records (kernel lines written to the global device, so run under the kmsg lock)."""

from __future__ import annotations

import select
from pathlib import Path

import pytest

from kcrashd.snapshots import capture
from kcrashd.sources.kmsg import KmsgSource
from tests.conftest import write_kmsg

pytestmark = pytest.mark.root


def test_follow_real_kmsg_and_resume_by_sequence(unique_tag):
    src = KmsgSource("boot", 1000.0)
    src.open()
    src.read(100000)  # skip the whole ring buffer
    write_kmsg([f"kcrashd-test {unique_tag} one", f"kcrashd-test {unique_tag} two"])
    readable, _, _ = select.select([src.fileno()], [], [], 5)
    assert readable
    mine = [r for r in src.read(1000) if unique_tag in r.message]
    assert [r.message.split()[-1] for r in mine] == ["one", "two"]
    first_seq = int(mine[0].position)
    assert mine[0].realtime == 1000.0 + mine[0].monotonic_us / 1e6
    src.close()

    # Resume after "one": only "two" (and later records) come back.
    again = KmsgSource("boot", 1000.0)
    again.open(first_seq)
    rest = [r for r in again.read(100000) if unique_tag in r.message]
    assert [r.message.split()[-1] for r in rest] == ["two"]
    again.close()

    # Inclusive resume: "one" is read again (it started an unfinished report).
    incl = KmsgSource("boot", 1000.0)
    incl.open(first_seq, inclusive=True)
    rest = [r for r in incl.read(100000) if unique_tag in r.message]
    assert [r.message.split()[-1] for r in rest] == ["one", "two"]
    incl.close()


def test_kernel_log_from_kmsg_decodes_records_like_the_kmsg_source(unique_tag):
    # the kernel escapes control bytes in /dev/kmsg ("\\x07"); the snapshot shows the text
    write_kmsg([f"kcrashd-snapshot {unique_tag} bell\aend"])
    lines = capture.kernel_log_from_kmsg(100000)
    assert f"kernel: kcrashd-snapshot {unique_tag} bell\aend" in lines


DEVKMSG = Path("/proc/sys/kernel/printk_devkmsg")


def test_an_overrun_of_the_real_ring_buffer_is_seen(unique_tag):
    # The reader falls behind the kernel's ring buffer: the first record it gets after the
    # overrun says how many it lost (the parser then marks the open report corrupted).
    src = KmsgSource("boot", 1000.0)
    src.open()
    src.read(1_000_000)
    old = DEVKMSG.read_text().strip()
    DEVKMSG.write_text("on\n")
    try:
        write_kmsg([f"kcrashd-overrun {unique_tag} {i:05d} " + "x" * 900 for i in range(2000)])
    finally:
        DEVKMSG.write_text(old + "\n")
    records = src.read(1_000_000)
    src.close()
    lost = [r for r in records if r.lost_before]
    assert lost and sum(r.lost_before for r in lost) == src.missed > 0
    # the gap is inside what was just written: some of it is read after the gap
    after = records[records.index(lost[0]) :]
    assert any(unique_tag in r.message for r in after)
