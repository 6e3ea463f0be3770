"""Alert latency: an oops written to /dev/kmsg -> the kcrashd alert readable in the journal.

Runs a real `kcrashd run` against the system journal (starting a journald when none runs)
and writes N oopses, each with its own guilty function, on a quiet disk and then with a
process writing and fsyncing on the state directory's disk. Baseline in the same run and
phase: a plain kernel line written to /dev/kmsg -> readable in the journal (journald's own
path).
Root only. Usage: bench_daemon_latency.py [N]
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import PROJECT, ensure_journald, follower_config, kcrashd_run  # noqa: E402
from kcrashd import config  # noqa: E402
from kcrashd.alerts.types import message_id  # noqa: E402
from kcrashd.store.positions import Position, save_position  # noqa: E402
from kcrashd.store.state import StateDB  # noqa: E402
from tests.helpers import oops_lines  # noqa: E402


def tail_reader(*matches: str):
    from systemd import journal

    r = journal.Reader()
    for m in matches:
        r.add_match(m)
    r.seek_tail()
    r.get_previous()
    return r


def wait_for(reader, field: str, value: str, timeout: float = 30.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        while reader._next():
            if reader._get(field).decode() == value:
                return time.monotonic()
        reader.wait(0.005)
        reader.process()
    raise TimeoutError(value)


def start_at_journal_end(state_dir: Path) -> None:
    """Save the position of the journal's last kernel entry in `state_dir`: the daemon
    starts there, as one that has been running (not reading the boot's backlog)."""
    r = tail_reader("_TRANSPORT=kernel")
    r.this_boot()
    r.seek_tail()
    if r._previous():
        db = StateDB(str(state_dir / "state.db"))
        with db.transaction() as c:
            cur = r._get_cursor()
            save_position(c, "journal", Position(cur, cur.split("b=")[1].split(";")[0]))
        db.close()


def oops_latency(kmsg, reader, function: str) -> float:
    """Seconds from writing an oops in `function` to /dev/kmsg to its alert in `reader`."""
    t0 = time.monotonic()
    for line in oops_lines(function, comm="bench"):
        kmsg.write(f"<4>kernel: {line}\n")
        kmsg.flush()
    return wait_for(reader, "KCRASHD_FUNCTION", function) - t0


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def disk_writer(directory: Path) -> subprocess.Popen:
    """A process that writes 32 MiB and fsyncs it, over and over, on `directory`'s file
    system (where state.db is): a host whose disk is busy, as one about to crash often is."""
    code = (
        "import os, sys\n"
        "buf = os.urandom(4 << 20)\n"
        "path = os.path.join(sys.argv[1], 'disk-load')\n"
        "while True:\n"
        "    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)\n"
        "    for _ in range(8):\n"
        "        os.write(fd, buf)\n"
        "    os.fsync(fd)\n"
        "    os.close(fd)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code, str(directory)])


def measure(n: int, run: str) -> Tuple[List[float], List[float]]:
    """(baseline, kcrashd): n plain lines through journald, then n oopses through kcrashd."""
    base = []
    br = tail_reader("_TRANSPORT=kernel")
    with open("/dev/kmsg", "w") as kmsg:
        for _ in range(n):
            mark = f"kcrashd-bench-mark {uuid.uuid4().hex}"
            t0 = time.monotonic()
            kmsg.write(f"<6>kernel: {mark}\n")
            kmsg.flush()
            base.append(wait_for(br, "MESSAGE", mark) - t0)
    ar = tail_reader(f"MESSAGE_ID={message_id('crash_report')}", "SYSLOG_IDENTIFIER=kcrashd")
    lat = []
    with open("/dev/kmsg", "w") as kmsg:
        for i in range(n):
            lat.append(oops_latency(kmsg, ar, f"kbench_{run}_{i}_read"))
    return base, lat


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    jd = ensure_journald()
    devkmsg = Path("/proc/sys/kernel/printk_devkmsg")
    old_limit = devkmsg.read_text().strip()
    devkmsg.write_text("on\n")  # no rate limit on /dev/kmsg writes
    tmp = Path(tempfile.mkdtemp(prefix="kcrashd-bench-"))
    config_file = follower_config(tmp)
    start_at_journal_end(tmp / "state")
    proc = subprocess.Popen(
        kcrashd_run(config_file, tmp / "state"), cwd=PROJECT, stderr=subprocess.DEVNULL
    )
    phases = {}
    try:
        time.sleep(2.0)
        run = uuid.uuid4().hex[:8]
        phases["quiet disk"] = measure(n, run + "q")
        writer = disk_writer(tmp)
        try:
            time.sleep(1.0)
            phases["disk busy (32 MiB write + fsync in a loop)"] = measure(n, run + "d")
        finally:
            writer.kill()
            writer.wait()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        devkmsg.write_text(old_limit + "\n")
        if jd is not None:
            jd.terminate()
            jd.wait(10)

    def ms(x):
        return f"{x * 1000:7.1f} ms"

    journal = config.Config().journal
    print(
        f"alert latency over {n} oopses (default journal config: report_gap_seconds="
        f"{journal.report_gap_seconds:g}, end_grace_seconds={journal.end_grace_seconds:g}; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores):"
    )
    for name, (base, lat) in phases.items():
        print(f"  {name}:")
        print(
            f"    kcrashd  /dev/kmsg -> alert in journal: p50 {ms(pct(lat, 50))}"
            f"  p99 {ms(pct(lat, 99))}  max {ms(max(lat))}  mean {ms(statistics.mean(lat))}"
        )
        print(
            f"    baseline one line /dev/kmsg -> journal: p50 {ms(pct(base, 50))}"
            f"  p99 {ms(pct(base, 99))}  max {ms(max(base))}"
        )
    print("  aim: p99 < 50 ms, max < 100 ms (an oops is sent at its end marker)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
