"""/dev/kmsg records: parsing, and following the real device by sequence number."""

from __future__ import annotations

import os
import select
from pathlib import Path

from kcrashd.sources.kmsg import KmsgSource, parse_record
from tests.conftest import write_kmsg

DEVKMSG = Path("/proc/sys/kernel/printk_devkmsg")


def test_parse_record_with_dictionary_and_escapes():
    data = b"6,339,5140900,-;NET: Registered \\x22inet6\\x22 family\n SUBSYSTEM=net\n DEVICE=n1\n"
    rec = parse_record(data)
    assert (rec.priority, rec.facility, rec.seq, rec.usec) == (6, 0, 339, 5140900)
    assert rec.message == 'NET: Registered "inet6" family'
    assert not rec.continuation


def test_parse_record_user_facility_and_continuation_flag():
    rec = parse_record(b"12,7,99,c,caller=T1;kernel: hello\n")
    assert (rec.priority, rec.facility, rec.continuation) == (4, 1, True)
    assert rec.message == "kernel: hello"


def test_parse_record_keeps_utf8_and_semicolons():
    rec = parse_record("4,1,2,-;a;b é\n".encode())
    assert rec.message == "a;b é"


def test_malformed_records_are_none():
    for bad in (b"", b"garbage", b"x,y,z,-;msg", b"1,2;msg"):
        assert parse_record(bad) is None


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


def test_read_on_an_empty_nonblocking_source_returns_nothing(tmp_path):
    fifo = tmp_path / "kmsg"
    os.mkfifo(fifo)
    keep = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # a writer, so reads do not see EOF
    src = KmsgSource(None, None, path=str(fifo))
    src.open()
    assert src.read() == []
    os.write(keep, b"6,5,10,-;hello\n")
    (rec,) = src.read()
    assert (rec.message, rec.position, rec.realtime) == ("hello", "5", None)
    src.close()
    os.close(keep)


def test_a_sequence_gap_says_how_many_records_were_lost(tmp_path):
    # kmsg-format records (synthetic) through a FIFO: 6, 7, 8 never arrive
    fifo = tmp_path / "kmsg"
    os.mkfifo(fifo)
    keep = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    src = KmsgSource(None, None, path=str(fifo))
    src.open()
    os.write(keep, b"4,5,10,-;before\n")
    assert [r.lost_before for r in src.read()] == [0]
    os.write(keep, b"4,9,20,-;after\n")
    (rec,) = src.read()
    assert (rec.message, rec.lost_before, src.missed) == ("after", 3, 3)
    assert "3 kernel records overwritten" in src.note
    src.close()
    os.close(keep)


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
