"""Reading kernel entries: python-systemd's private field-by-field API against its public one.

kcrashd.sources.journal reads a backlog through LowLevelEntries (`_next`, `_get`,
`_get_cursor` ...) where the Reader has it, else PublicEntries (`get_next()`, every field
converted). This measures what the private API pays, on real journal files made with
systemd-journal-remote (N kernel entries, default 100,000, an oops every 2,000 lines):
- a backlog read as the daemon reads it (the parser's wants() filter, records built for
  the lines it wants), and every entry turned into a record (the post-mortem's boot read);
- the journald sink's "alert already sent?" lookup (a match on KCRASHD_ALERT_ID).
The public API is the baseline, in the same run; three alternating rounds, medians.
Usage: bench_journal_read.py [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
from benchmarks.bench_daemon_backlog import build  # noqa: E402
from kcrashd.parse.assembler import Assembler  # noqa: E402
from kcrashd.sources import journal  # noqa: E402

ROUNDS = 3
LOOKUPS = 2000


def backlog(directory: str, adapter, wanted) -> tuple:
    """(seconds, entries, records) for one JournalFollower read of the whole journal."""
    follower = journal.JournalFollower(directory)
    follower.open()
    follower.entries = adapter(follower.reader)
    assembler = Assembler()
    records = 0
    start = time.perf_counter()
    while True:
        before = follower.entries_read
        for record in follower.iter_read(2000, assembler.wants if wanted else None):
            assembler.feed(record)
            records += 1
        if follower.entries_read == before:
            break
    seconds = time.perf_counter() - start
    entries = follower.entries_read
    follower.close()
    return seconds, entries, records


def lookups(directory: str, public: bool) -> float:
    """Seconds per alert lookup (ids not in the journal: the common case, a full match)."""
    from systemd import journal as sdjournal

    reader = sdjournal.Reader(path=directory)
    start = time.perf_counter()
    for i in range(LOOKUPS):
        reader.flush_matches()
        reader.add_match("SYSLOG_IDENTIFIER=kcrashd")
        reader.add_match(f"KCRASHD_ALERT_ID={i:032x}")
        reader.seek_head()
        found = bool(reader.get_next()) if public else reader._next()
        assert not found
    seconds = (time.perf_counter() - start) / LOOKUPS
    reader.close()
    return seconds


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory(prefix="kcrashd-jread-") as tmp:
        build(Path(tmp), n)
        directory = str(Path(tmp) / "j")
        times = {}
        for _ in range(ROUNDS):
            for name, adapter in (
                ("private", journal.LowLevelEntries),
                ("public", journal.PublicEntries),
            ):
                for wanted in (True, False):
                    seconds, entries, records = backlog(directory, adapter, wanted)
                    times.setdefault((name, wanted), []).append(seconds)
                    assert entries == n
            for public in (False, True):
                times.setdefault(("lookup", public), []).append(lookups(directory, public))
        for wanted, what in ((True, "backlog, wants() filter"), (False, "every entry a record")):
            fast = statistics.median(times[("private", wanted)])
            slow = statistics.median(times[("public", wanted)])
            print(
                f"{what:25}: private {n / fast:9.0f} entries/s, public (baseline)"
                f" {n / slow:9.0f} entries/s: {slow / fast:.1f}x"
            )
        fast = statistics.median(times[("lookup", False)])
        slow = statistics.median(times[("lookup", True)])
        print(
            f"{'alert lookup (no match)':25}: private {fast * 1e6:9.1f} us,"
            f" public (baseline) {slow * 1e6:9.1f} us: {slow / fast:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
