"""The private APIs of sources/journal.py and parse/digest.py, each beside its fallback,
and the fallback run.

- python-systemd's Reader `_next`/`_get`/...: kcrashd.sources.journal.LowLevelEntries,
  7x the public get_next() on a backlog (benchmarks/bench_journal_read.py); PublicEntries
  is the fallback. Both read the same real journal files (systemd-journal-remote) here and
  must give the same records and resume positions.
- CPython's `_sha1`/`_sha2` (kcrashd.parse.digest): no OpenSSL mapped into the daemon
  (benchmarks/bench_digest.py); hashlib is the fallback, run here with them blocked.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
import subprocess
import sys
import time
import uuid

import pytest

from kcrashd.parse.assembler import Assembler
from kcrashd.sources import journal, previous_boot
from tests.conftest import PROJECT

REMOTE = "/lib/systemd/systemd-journal-remote"


def _field(name: str, value) -> bytes:
    if isinstance(value, bytes):  # the export format's binary form: not UTF-8, or newlines
        return name.encode() + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"
    return f"{name}={value}\n".encode()


def _journal_files(tmp, export: bytes) -> str:
    """tmp/j holding the entries of `export` (journal export format) in journal files made
    by systemd-journal-remote."""
    (tmp / "j").mkdir()
    subprocess.run(
        [REMOTE, "-o", str(tmp / "j" / "r.journal"), "-"],
        input=export,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return str(tmp / "j")


@pytest.fixture(scope="module")
def journal_dir(tmp_path_factory):
    """Kernel entries with what the two readers must agree on: an oops among noise, a
    message that is not UTF-8, one without _SOURCE_MONOTONIC_TIMESTAMP, no PRIORITY, and
    a syslog entry that is not kernel."""
    tmp = tmp_path_factory.mktemp("journal")
    boot = uuid.uuid4().hex
    real = int(time.time() * 1e6) - 3_600_000_000
    lines = ["usb 1-1: new high-speed USB device number 2 using xhci_hcd"] * 3
    lines += [
        "BUG: kernel NULL pointer dereference, address: 0000000000000008",
        "#PF: supervisor read access in kernel mode",
        "Oops: 0000 [#1] PREEMPT SMP NOPTI",
        "CPU: 1 PID: 4242 Comm: cat Tainted: G           O       6.1.0-18-amd64 #1",
        "RIP: 0010:bar_read+0x10/0x80 [bar]",
        "Call Trace:",
        " <TASK>",
        " vfs_read+0xa1/0x2c0",
        " </TASK>",
        "---[ end trace 0000000000000000 ]---",
    ]
    out = b""
    for i, line in enumerate(lines + [b"caf\xe9 not utf-8", "no source time", "no prio"]):
        fields = {
            "__REALTIME_TIMESTAMP": real + i * 1000,
            "__MONOTONIC_TIMESTAMP": 1_000_000 + i * 1000,
            "_BOOT_ID": boot,
            "_TRANSPORT": "kernel",
            "PRIORITY": 4,
            "_SOURCE_MONOTONIC_TIMESTAMP": 1_000_000 + i * 1000,
            "MESSAGE": line,
        }
        if line == "no source time":
            del fields["_SOURCE_MONOTONIC_TIMESTAMP"]
        if line == "no prio":
            del fields["PRIORITY"]
        out += b"".join(_field(k, v) for k, v in fields.items()) + b"\n"
    out += _field("_TRANSPORT", "syslog") + _field("_BOOT_ID", boot) + b"MESSAGE=BUG: forged\n\n"
    return _journal_files(tmp, out), boot


def _read(directory, adapter, wanted, batch=4, wanted_raw=None):
    follower = journal.JournalFollower(directory)
    follower.open()
    follower.entries = adapter(follower.reader)
    records, positions = [], []
    while True:
        before = follower.entries_read
        records += list(follower.iter_read(batch, wanted, wanted_raw))
        positions.append(follower.position())
        if follower.entries_read == before:
            break
    follower.close()
    return records, positions


def _comparable(records):
    # realtime goes through a datetime on the public path: microseconds, as a float
    return [(dataclasses.replace(r, realtime=None), round(r.realtime, 5)) for r in records]


@pytest.mark.parametrize("wanted", [None, Assembler().wants], ids=["every entry", "wants()"])
def test_public_fallback_reads_what_the_private_api_reads(journal_dir, wanted):
    directory, boot = journal_dir
    fast, fast_positions = _read(directory, journal.LowLevelEntries, wanted)
    slow, slow_positions = _read(directory, journal.PublicEntries, wanted)
    assert _comparable(slow) == _comparable(fast)
    assert slow_positions == fast_positions and fast_positions[-1]
    messages = [r.message for r in fast]
    assert "BUG: forged" not in messages  # not _TRANSPORT=kernel
    # the header passes either way (a never-fed Assembler's wants() lets through only what
    # can start a report: the lines after it pass when it is fed, not here)
    assert "BUG: kernel NULL pointer dereference, address: 0000000000000008" in messages
    if wanted is None:
        assert len(fast) == 16 and fast[0].boot_id == boot
        assert "caf\ufffd not utf-8" in messages
        by_message = {r.message: r for r in fast}
        assert by_message["no source time"].monotonic_us == 1_000_000 + 14 * 1000
        assert by_message["no prio"].priority is None
    else:
        assert len(fast) < 16  # the noise was passed over unread


@pytest.mark.parametrize("batch", [1, 4, 1000])
def test_the_bytes_filter_passes_over_what_the_text_filter_does(journal_dir, batch):
    directory, _ = journal_dir
    asm = Assembler()
    by_text = _read(directory, journal.LowLevelEntries, asm.wants, batch)
    by_bytes = _read(directory, journal.LowLevelEntries, asm.wants, batch, asm.wants_raw)
    assert by_bytes == by_text
    assert len(by_text[0]) < 16  # something was passed over


def test_the_journal_reader_of_this_python_systemd_gets_the_fast_adapter(journal_dir):
    # Should this fail, python-systemd dropped the private API: reading still works
    # (PublicEntries, tested above), 7x slower on a backlog.
    follower = journal.JournalFollower(journal_dir[0])
    follower.open()
    try:
        assert isinstance(follower.entries, journal.LowLevelEntries)
        assert isinstance(journal.entries_for(object()), journal.PublicEntries)
    finally:
        follower.close()


def test_previous_boot_records_match_the_follower(journal_dir):
    directory, boot = journal_dir
    records = previous_boot.kernel_records(directory, boot)
    assert _comparable(records) == _comparable(_read(directory, journal.PublicEntries, None)[0])


def _reports_of_boot(directory, boot, pass_over):
    """(reports, records read) of a boot through previous_boot.kernel_records, the lines
    the parser does not want passed over or not."""
    asm = Assembler()
    reports, records = [], 0
    wanted_raw = asm.wants_raw if pass_over else None
    for record in previous_boot.kernel_records(directory, boot, wanted_raw):
        records += 1
        reports += asm.feed(record)
    return [r.to_dict() for r in reports + asm.flush()], records


def test_previous_boot_lines_passed_over_keep_the_reports_and_their_line_numbers(journal_dir):
    directory, boot = journal_dir
    read_all = _reports_of_boot(directory, boot, pass_over=False)
    passed_over = _reports_of_boot(directory, boot, pass_over=True)
    assert passed_over == read_all
    reports, records = read_all
    assert records == 16 and len(reports) == 1
    assert (reports[0]["first_line"], reports[0]["kind"]) == (4, "page_fault")
    passed = previous_boot.kernel_records(directory, boot, Assembler().wants_raw)
    assert sum(r is previous_boot.PASSED_OVER for r in passed) >= 3  # the noise, unread


@pytest.fixture(scope="module")
def missed_dir(tmp_path_factory):
    """Kernel lines that begin like journald's note of missed messages, and the note."""
    tmp = tmp_path_factory.mktemp("missed")
    boot = uuid.uuid4().hex
    real = int(time.time() * 1e6) - 3_600_000_000
    out = b""
    messages = [
        ("kernel", "Missed the deadline: eth0 reset"),
        ("driver", "Missed 7 kernel messages"),
    ]
    messages += [("kernel", "Oops: 0000 [#1] SMP"), ("kernel", "noise"), ("kernel", "Missed x")]
    for i, (transport, message) in enumerate(messages):
        fields = {
            "__REALTIME_TIMESTAMP": real + i * 1000,
            "__MONOTONIC_TIMESTAMP": 1_000_000 + i * 1000,
            "_BOOT_ID": boot,
            "_TRANSPORT": transport,
            "MESSAGE": message,
        }
        if transport == "driver":
            fields["MESSAGE_ID"] = journal.MISSED_MESSAGE_ID
        out += b"".join(_field(k, v) for k, v in fields.items()) + b"\n"
    return _journal_files(tmp, out)


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_the_bytes_filter_counts_missed_messages_and_passes_over_look_alikes(missed_dir, batch):
    asm = Assembler()
    by_text = _read(missed_dir, journal.LowLevelEntries, asm.wants, batch)
    by_bytes = _read(missed_dir, journal.LowLevelEntries, asm.wants, batch, asm.wants_raw)
    assert by_bytes == by_text
    records = by_bytes[0]
    assert records[0].message.startswith("Oops") and records[0].lost_before == 7
    follower = journal.JournalFollower(missed_dir)
    follower.open()
    try:
        while list(follower.iter_read(batch, asm.wants, asm.wants_raw)) or not follower.following:
            pass
        assert follower.missed == 7 and follower.entries_read == 5
    finally:
        follower.close()


DIGESTS = """
import json, sys
for name in ("_sha1", "_sha2", "_sha256"):
    sys.modules[name] = None  # `import _sha1` now raises ImportError: the fallback runs
from kcrashd.parse import digest
data = [b"", b"oops:f|g", "page_fault:\\u00e9".encode()]
print(json.dumps({
    "sha1": [digest.sha1_hex(d) for d in data],
    "sha256": [digest.sha256_hex(d) for d in data],
    "fallback": sorted({f.__module__ for f in digest._CACHE.values()}),
}))
"""


def test_digest_fallback_to_hashlib_gives_the_same_digests():
    out = subprocess.run(
        [sys.executable, "-c", DIGESTS], cwd=PROJECT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    data = [b"", b"oops:f|g", "page_fault:\u00e9".encode()]
    assert got["sha1"] == [hashlib.sha1(d).hexdigest() for d in data]
    assert got["sha256"] == [hashlib.sha256(d).hexdigest() for d in data]
    assert got["fallback"] == ["_hashlib"]  # OpenSSL's, through hashlib
