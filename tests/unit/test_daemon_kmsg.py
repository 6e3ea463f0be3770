"""/dev/kmsg records: parsing, and reading a source without blocking (the real device is
followed in tests/integration/test_kmsg.py: writing to it is not a unit test's business)."""

from __future__ import annotations

import os

from kcrashd.sources.kmsg import KmsgSource, parse_record


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
