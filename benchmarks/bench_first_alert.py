"""The first crash alert after start, and the daemon's memory with every job on.

Starts `kcrashd run` with the default configuration (readiness checks, watchers, metrics,
post-mortem, snapshots: all on; only the state, hooks and metrics directories are temporary)
against the system journal from its end (as a restarted daemon: the position is saved),
writes an oops to /dev/kmsg 4 s after start and then N-1 more, one at a time, each with its
own guilty function. Measures /dev/kmsg write -> alert readable in the journal for the first
and for the rest (the first live oops also gets a snapshot: the alert must not wait for it),
and the daemon's peak RSS and PSS over the run (sampled every 20 ms from
/proc/PID/smaps_rollup). ROUNDS fresh daemons; min/median/max over them.
Root only; run under `flock /tmp/kcrashd-kmsg.lock`.
Usage: bench_first_alert.py [N] [ROUNDS]
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_daemon_latency import (  # noqa: E402
    oops_latency,
    pct,
    start_at_journal_end,
    tail_reader,
)
from benchmarks.common import (  # noqa: E402
    PROJECT,
    MemoryPeak,
    journal_files,
    kcrashd_run,
    kmsg_writable,
    min_median_max,
)
from kcrashd.alerts.types import message_id  # noqa: E402

START_WAIT = 4.0


def one_round(n: int, tag: str):
    tmp = Path(tempfile.mkdtemp(prefix="kcrashd-bench-first-"))
    (tmp / "hooks.d").mkdir()
    (tmp / "metrics").mkdir()
    cfg = tmp / "kcrashd.yaml"
    cfg.write_text(
        f"hooks:\n  directory: {tmp / 'hooks.d'}\n"
        f"metrics:\n  textfile_directory: {tmp / 'metrics'}\n"
    )
    start_at_journal_end(tmp / "state")  # a restart, not a first run over the boot's backlog
    ar = tail_reader(f"MESSAGE_ID={message_id('crash_report')}", "SYSLOG_IDENTIFIER=kcrashd")
    proc = subprocess.Popen(kcrashd_run(cfg, tmp / "state"), cwd=PROJECT, stderr=subprocess.DEVNULL)
    mem = MemoryPeak(proc.pid, journal=True)
    mem.start()
    lat, snapshot_after = [], None
    try:
        time.sleep(START_WAIT)
        with open("/dev/kmsg", "w") as kmsg:
            for i in range(n):
                fn = f"kfirst_{tag}_{i}_read"
                lat.append(oops_latency(kmsg, ar, fn))
                if i == 0:
                    snap = (
                        ar._get("KCRASHD_SNAPSHOT").decode() if _has(ar, "KCRASHD_SNAPSHOT") else ""
                    )
                    path = tmp / "state" / "snapshots" / f"{snap}.json"
                    snapshot_after = (snap, path.exists())
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        mem.stop()
    return lat, snapshot_after, mem


def _has(reader, field: str) -> bool:
    try:
        reader._get(field)
        return True
    except KeyError:
        return False


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    firsts, rests, rss, pss, hwm, anon, snaps = [], [], [], [], [], [], []
    files, jrss, jfiles = [], [], []
    with kmsg_writable():
        for r in range(rounds):
            lat, snap, mem = one_round(n, f"{os.getpid()}_{r}")
            firsts.append(lat[0])
            rests.extend(lat[1:])
            rss.append(mem.rss)
            pss.append(mem.pss)
            hwm.append(mem.hwm)
            anon.append(mem.anon)
            files.append(mem.file)
            jrss.append(mem.journal_rss)
            jfiles.append(mem.journal_files)
            snaps.append(snap)

    def ms(x):
        return f"{x * 1000:7.1f} ms"

    mmm = min_median_max

    print(
        f"default config, every job on; an oops {START_WAIT:g} s after start, then {n - 1} more;"
        f" {rounds} fresh daemons (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()}"
        " cores):"
    )
    print(f"  first alert after start:  {mmm(firsts, ms)}")
    print(
        f"  the other {len(rests)} alerts:    p50 {ms(pct(rests, 50))}  p99 {ms(pct(rests, 99))}"
        f"  max {ms(max(rests))}"
    )
    print(
        "  the first alert named its snapshot, not on disk yet when the alert was read: "
        + ", ".join(f"{s[0] or '-'} ({'on disk' if s[1] else 'not yet'})" for s in snaps)
    )
    print(f"  peak RSS over the run: {mmm(rss, lambda x: f'{x:5.1f} MiB')}")
    print(f"  peak PSS over the run: {mmm(pss, lambda x: f'{x:5.1f} MiB')}")
    print(f"  VmHWM (kernel's peak RSS): {mmm(hwm, lambda x: f'{x:5.1f} MiB')}")
    print(f"  peak RssAnon (no mapped files): {mmm(anon, lambda x: f'{x:5.1f} MiB')}")
    print(f"  peak RssFile (libraries, journal): {mmm(files, lambda x: f'{x:5.1f} MiB')}")
    print(f"  peak RSS of mapped journal files: {mmm(jrss, lambda x: f'{x:5.1f} MiB')}")
    print(
        f"  most journal files mapped at once: {mmm(jfiles, lambda x: f'{x:.0f}')}"
        f" (the journal here: {journal_files()} files)"
    )
    print("  aim: the first alert as fast as the rest (p99 < 50 ms); peak RSS and PSS <= 35 MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
