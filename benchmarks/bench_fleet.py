"""`kcrashd fleet` on a collector's journal: 1,000 machines, 100,000 kcrashd alerts.

Builds what systemd-journal-remote keeps for a fleet (one journal file per machine, as with
--split-mode=host), each file made by systemd-journal-remote from export format. The alerts
come from kcrashd's own builders (tests/fleet_journals.py) for the crash reports the parser
finds in the synthetic distro logs (tests/fixtures/logs/synthetic/distro); hosts, boots,
kernels and times are
synthetic: each machine boots `--boots` times over 30 days (a readiness summary per boot),
70% of machines move from 6.1.0-13-amd64 to 6.1.0-15-amd64 halfway, one signature appears
only on 6.1.0-15, some hosts lose their crash kernel after the update (kdump_loaded CRIT);
the rest of each machine's share is crash_report, crash_repeated, previous_boot_crashed and
readiness changes. The files hold only kcrashd alerts: the baseline reads every entry, and
so does kcrashd fleet (no other entries for its matches to pass over). journal-remote grows
its files in 8 MiB steps: the 1,000 files take 8 GB of disk while the benchmark runs.

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
    kernels = [NEW if updates and b >= boots // 2 else OLD for b in range(boots)]
    left = quota - boots  # one readiness summary per boot
    shares = [left // boots + (1 if b < left % boots else 0) for b in range(boots)]
    dump_space = "OK"  # the dump target fills up and is cleaned: readiness changes
    out: List[Dict[str, str]] = []
    for b, boot in enumerate(boot_ids):
        t0 = start + b * per_boot + rng.uniform(0, 600)
        kernel = kernels[b]
        crit = ["kdump_loaded"] if loses_kdump and kernel == NEW else []
        warn = ["dump_space"] if dump_space == "WARN" else []
        summary = fj.readiness_summary(crit, warn, kernel)
        out.append(fj.entry(summary, host, boot, t0, t0 - 30))
        t = t0
        reported: List[int] = []
        for _ in range(shares[b]):
            t += rng.uniform(1, per_boot / (shares[b] + 1) / 2)
            roll = rng.random()
            if roll < 0.07:
                before, dump_space = dump_space, "WARN" if dump_space == "OK" else "OK"
                alert = fj.readiness_change("dump_space", before, dump_space)
            elif roll < 0.15 and b > 0:  # found at this start: the previous boot's crash
                sig = _pick(rng, ctx, kernels[b - 1])
                alert = _previous(ctx, sig, boot_ids[b - 1], kernels[b - 1])
            elif roll < 0.45 or not reported:
                sig = _pick(rng, ctx, kernel)
                reported.append(sig)
                alert = fj.crash_report_alert(ctx["reports"][sig], boot, kernel)
            else:
                sig = rng.choice(reported)
                alert = fj.repeated_report_alert(ctx["reports"][sig], boot, rng.randint(2, 40))
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
    """previous_boot_crashed: the post-mortem's alert (built once per signature: it needs a
    state database), with this boot, kernel and incident."""
    base = ctx["previous"].get(sig)
    if base is None:
        base = ctx["previous"][sig] = fj.previous_boot_alert(ctx["reports"][sig], boot)
    fields = dict(base.fields, boot_id=boot, kernel=kernel, incident=uuid.uuid4().hex[:12])
    return replace(base, fields=fields)


def build(
    directory: Path, machines: int, alerts: int, boots: int, seed: int
) -> Tuple[float, float]:
    """The journal files; returns (first, last) alert time."""
    rng = random.Random(seed)
    ctx = {"reports": fj.distro_reports(), "previous": {}}
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
    output is then pipe_to's) or by us.

    The peak RSS is GNU time's (%M): a child this process starts is made with vfork and
    inherits this process's own peak (the journals it built) at exec; one that GNU time
    forks does not."""
    start = time.monotonic()
    with tempfile.NamedTemporaryFile("r") as rss:
        timed = ["/usr/bin/time", "-f", "%M", "-o", rss.name, *argv]
        proc = subprocess.Popen(timed, stdout=subprocess.PIPE)
        reader = proc
        if pipe_to:
            reader = subprocess.Popen(pipe_to, stdin=proc.stdout, stdout=subprocess.PIPE)
            proc.stdout.close()
        out = reader.stdout.read()
        code = proc.wait(900)
        if pipe_to:
            reader.wait(60)
        wall = time.monotonic() - start
        if code != 0:
            raise RuntimeError(f"{' '.join(argv)} failed")
        return wall, int(rss.read().split()[-1]), out


def report(lines: int, doc: Dict, base: List, ours: List) -> None:
    b_wall = statistics.median(m[0] for m in base)
    o_wall = statistics.median(m[0] for m in ours)
    b_rss = max(m[1] for m in base) / 1024
    o_rss = max(m[1] for m in ours) / 1024
    print(f"entries (journalctl -o json | wc -l): {lines}")
    print(
        f"kcrashd fleet: {doc['entries']['used']} alerts used, {doc['hosts']} hosts, "
        f"{len(doc['crashes'])} signatures, {doc['readiness']['not_ready']} hosts not ready"
    )
    for c in doc["crashes"]:
        if c["new_in"]:
            n = c["new_in"]
            print(f"  new in {n['kernel']}: {n['hosts']} hosts: {c['title']}")
    print(f"median of {len(ours)} runs:")
    print(f"  baseline journalctl -o json | wc -l: {b_wall:6.2f} s, peak RSS {b_rss:4.0f} MiB")
    print(
        f"  kcrashd fleet --json:                {o_wall:6.2f} s, peak RSS {o_rss:4.0f} MiB"
        f"  ({o_wall / b_wall:.2f}x the baseline's time)"
    )


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
        report(int(base[-1][2]), json.loads(ours[-1][2]), base, ours)
        print("memory against alerts read (--since: the same hosts and signatures):")
        for frac in (1.0, 0.75, 0.5, 0.25):
            since = first + (last - first) * (1 - frac)
            wall, rss, out = measure(fleet + ["--since", f"@{since:.0f}"])
            doc = json.loads(out)
            print(
                f"  last {frac:4.0%} of the span: {doc['entries']['used']:6} alerts, "
                f"{len(doc['crashes'])} signatures, {doc['hosts']} hosts: {wall:5.2f} s, "
                f"peak RSS {rss / 1024:.0f} MiB"
            )
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
