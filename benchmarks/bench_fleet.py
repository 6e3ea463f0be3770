"""`kcrashd fleet` on a collector's journal: 1,000 machines, 100,000 kcrashd alerts.

Builds what systemd-journal-remote keeps for a fleet (one journal file per machine, as with
--split-mode=host), each file made by systemd-journal-remote from export format. The alerts
come from kcrashd's own builders (tests/fleet_journals.py) for the crash reports the parser
finds in the real logs of tests/fixtures/logs/real; hosts, boots, kernels and times are
synthetic: each machine boots `--boots` times over 30 days (a readiness summary per boot),
70% of machines move from 6.1.0-13-amd64 to 6.1.0-15-amd64 halfway, one signature appears
only on 6.1.0-15, some hosts lose their crash kernel after the update (kdump_loaded CRIT);
the rest of each machine's share is crash_report, crash_repeated, previous_boot_crashed and
readiness changes. The files hold only kcrashd alerts: the baseline reads every entry, and
so does kcrashd fleet (no other entries for its matches to pass over).

Measured in the same run, median of --rounds:
- baseline: `journalctl --directory DIR -o json | wc -l` (wall time, journalctl's peak RSS)
- `kcrashd fleet --journal-dir DIR --json` (wall time, peak RSS)
- memory against alerts read: the same command with --since at 3/4, 1/2 and 1/4 of the time
  span (fewer alerts, the same hosts and signatures): peak RSS should not follow the alerts.

    .venv/bin/python benchmarks/bench_fleet.py [--machines 1000] [--alerts 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from tests import fleet_journals as fj  # noqa: E402

OLD, NEW = "6.1.0-13-amd64", "6.1.0-15-amd64"
DAY = 86400.0
SPAN_DAYS = 30


def machine_entries(
    host: fj.Host, quota: int, boots: int, start: float, rng: random.Random, ctx: Dict
) -> List[Dict[str, str]]:
    """`quota` alerts of one machine, in time order."""
    updates = rng.random() < 0.7
    loses_kdump = updates and rng.random() < 0.1
    per_boot = SPAN_DAYS * DAY / boots
    boot_ids = [uuid.uuid4().hex for _ in range(boots)]
    left = quota - boots  # one readiness summary per boot
    shares = [left // boots + (1 if b < left % boots else 0) for b in range(boots)]
    out: List[Dict[str, str]] = []
    for b, boot in enumerate(boot_ids):
        t0 = start + b * per_boot + rng.uniform(0, 600)
        kernel = NEW if updates and b >= boots // 2 else OLD
        crit = ["kdump_loaded"] if loses_kdump and kernel == NEW else []
        warn = ["kfence"] if rng.random() < 0.05 else []
        summary = fj.readiness_summary(crit, warn, kernel)
        out.append(fj.entry(summary, host, boot, t0, t0 - 30))
        t = t0
        reported: List[int] = []
        for _ in range(shares[b]):
            t += rng.uniform(1, per_boot / (shares[b] + 1) / 2)
            roll = rng.random()
            if roll < 0.07:
                check = "kdump_loaded"
                alert = (
                    fj.readiness_change(check, "OK", "CRIT")
                    if rng.random() < 0.5
                    else fj.readiness_change(check, "CRIT", "OK")
                )
            elif roll < 0.15 and b > 0:
                sig = _pick(rng, ctx, kernel)
                alert = _previous(ctx, sig, boot_ids[b - 1], kernel)
            elif roll < 0.45 or not reported:
                sig = _pick(rng, ctx, kernel)
                reported.append(sig)
                alert = fj.crash_report_alert(ctx["reports"][sig], boot, kernel)
            else:
                sig = rng.choice(reported)
                alert = _repeated(ctx, sig, boot, rng.randint(2, 40))
            out.append(fj.entry(alert, host, boot, t, t0 - 30))
    return out


def _pick(rng: random.Random, ctx: Dict, kernel: str) -> int:
    """A signature, skewed (a few common crashes, a long tail); the last one only on NEW."""
    n = len(ctx["reports"])
    while True:
        sig = min(int(rng.paretovariate(1.2)) - 1, n - 1)
        if sig != n - 1 or kernel == NEW:
            return sig


def _previous(ctx: Dict, sig: int, boot: str, kernel: str):
    base = ctx["previous"].get(sig)
    if base is None:
        base = ctx["previous"][sig] = fj.previous_boot_alert(ctx["reports"][sig], boot)
    fields = dict(base.fields, boot_id=boot, kernel=kernel, incident=uuid.uuid4().hex[:12])
    return replace(base, fields=fields)


def _repeated(ctx: Dict, sig: int, boot: str, count: int):
    report = ctx["reports"][sig]
    base = fj.crash_report_alert(report, boot)
    fields = {k: base.fields[k] for k in ("kind", "title", "signature", "boot_id", "incident")}
    fields.update(repeat_count=str(count), new_repeats="1", window_seconds="60")
    fields.update(function=report.function or "-", module=report.module or "-")
    return replace(
        base,
        type="crash_repeated",
        summary=f"kernel {report.kind} repeated: {report.title} ({count} times this boot)",
        fields=fields,
    )


def build(
    directory: Path, machines: int, alerts: int, boots: int, seed: int
) -> Tuple[float, float]:
    """The journal files; returns (first, last) alert time."""
    rng = random.Random(seed)
    ctx = {"reports": fj.real_reports(), "previous": {}}
    start = time.time() - (SPAN_DAYS + 1) * DAY
    hosts = fj.hosts(machines)
    quotas = [alerts // machines + (1 if i < alerts % machines else 0) for i in range(machines)]
    jobs = [
        (directory / f"remote-{h.hostname}.journal", machine_entries(h, q, boots, start, rng, ctx))
        for h, q in zip(hosts, quotas)
    ]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(lambda job: fj.write_journal(*job), jobs))
    return start, start + SPAN_DAYS * DAY


def measure(argv: List[str], pipe_to: Optional[List[str]] = None) -> Tuple[float, int, bytes]:
    """(wall seconds, peak RSS in KiB, output) of argv, its output read by `pipe_to` (the
    output is then pipe_to's) or by us. The RSS is argv's own (wait4 on its pid)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
    reader = proc
    if pipe_to:
        reader = subprocess.Popen(pipe_to, stdin=proc.stdout, stdout=subprocess.PIPE)
        proc.stdout.close()
    out = reader.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if pipe_to:
        reader.wait(60)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv)} failed")
    return wall, usage.ru_maxrss, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--machines", type=int, default=1000)
    ap.add_argument("--alerts", type=int, default=100_000)
    ap.add_argument("--boots", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--keep", metavar="DIR", help="build (or reuse) the journal files in DIR")
    args = ap.parse_args()

    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kcrashd-bench-fleet-"))
    jdir = tmp / "remote"
    try:
        if not any(jdir.glob("*.journal")):
            jdir.mkdir(parents=True, exist_ok=True)
            t = time.monotonic()
            first, last = build(jdir, args.machines, args.alerts, args.boots, args.seed)
            (tmp / "span.json").write_text(json.dumps([first, last]))
            print(f"built {args.machines} journal files, {args.alerts} alerts: "
                  f"{time.monotonic() - t:.1f} s")  # fmt: skip
        first, last = json.loads((tmp / "span.json").read_text())
        size = sum(p.stat().st_size for p in jdir.glob("*.journal"))
        print(f"journal files: {len(list(jdir.glob('*.journal')))}, {size / 2**20:.0f} MiB")

        journalctl = ["journalctl", "--directory", str(jdir), "-o", "json"]
        fleet = [sys.executable, "-m", "kcrashd", "fleet", "--journal-dir", str(jdir), "--json"]
        base, ours = [], []
        for _ in range(args.rounds):
            base.append(measure(journalctl, pipe_to=["wc", "-l"]))
            ours.append(measure(fleet))
        lines = int(base[-1][2])
        doc = json.loads(ours[-1][2])
        b_wall = statistics.median(m[0] for m in base)
        o_wall = statistics.median(m[0] for m in ours)
        print(f"entries (journalctl -o json | wc -l): {lines}")
        print(f"kcrashd fleet: {doc['entries']['used']} alerts used, {doc['hosts']} hosts, "
              f"{len(doc['crashes'])} signatures, {doc['readiness']['not_ready']} hosts not ready")  # fmt: skip
        for c in doc["crashes"]:
            if c["new_in"]:
                print(
                    f"  new in {c['new_in']['kernel']}: {c['new_in']['hosts']} hosts: {c['title']}"
                )
        print(f"baseline journalctl -o json | wc -l: {b_wall:.2f} s, "
              f"peak RSS {max(m[1] for m in base) / 1024:.0f} MiB")  # fmt: skip
        print(f"kcrashd fleet --json:               {o_wall:.2f} s, "
              f"peak RSS {max(m[1] for m in ours) / 1024:.0f} MiB  ({o_wall / b_wall:.2f}x baseline)")  # fmt: skip
        for frac in (0.75, 0.5, 0.25):
            since = first + (last - first) * (1 - frac)
            argv = fleet + ["--since", f"@{since:.0f}"]
            wall, rss, out = measure(argv)
            used = json.loads(out)
            print(f"  last {frac:.0%} of the span: {used['entries']['used']} alerts, "
                  f"{len(used['crashes'])} signatures, {used['hosts']} hosts: {wall:.2f} s, "
                  f"peak RSS {rss / 1024:.0f} MiB")  # fmt: skip
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
