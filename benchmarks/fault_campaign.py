"""The fault campaign of issue 12 (delivery part): every fault against a real
systemd-journald and real files, and the table of what happens, measured now.

Each scenario (tests/faults/scenarios.py) runs `kcrashd run` against a private journald in
its own mount namespace, with oopses written to the real /dev/kmsg:

- journald SIGKILLed 0-400 ms after an oops (--trials, default 30): alerts lost, duplicated
- journald stopped while an alert is sent: `kcrashd status` says it is owed; stored once
- the state directory on a full 2 MB tmpfs: the crash alert, the daemon, the recovery
- each damaged state.db variant: the daemon up, one alert, a fresh DB, no re-sends
- entries forged by a non-root user (with the id a user can compute, and with the real id)
- `journalctl --rotate` + `--vacuum-files=1` during a burst of --oopses (default 50)
- line loss in a storm (journald stopped while the ring buffer overruns mid-report)

With --baseline REV the same scenarios also run against kcrashd at git revision REV (say
the main branch, exported to a temporary directory) and the table shows both. Writes to
/dev/kmsg: run it under the lock, as root:

    flock /tmp/kcrashd-kmsg.lock .venv/bin/python benchmarks/fault_campaign.py [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
from tests.faults.harness import run_scenario  # noqa: E402
from tests.faults.scenarios import VARIANTS  # noqa: E402

Row = Callable[[Dict[str, Any]], str]


def _kill(r: Dict[str, Any]) -> str:
    return (
        f"{r['lost']} lost, {r['duplicated']} duplicated of {r['trials']} "
        f"(oopses journald itself lost: {r['oops_lost_by_journald']}); "
        f"daemon {'up' if r['daemon_alive'] else 'DOWN'}"
    )


def _stopped(r: Dict[str, Any]) -> str:
    return (
        f"status while stopped: {r['status_line'] or 'nothing owed'}; alerts once journald "
        f"went on: {r['alerts']}; owed after: {r['owed_after']}"
    )


def _full(r: Dict[str, Any]) -> str:
    if "error" in r:
        return r["error"]
    latency = f" in {r['alert_latency_s']} s" if r.get("alert_latency_s") is not None else ""
    recovered = (
        f"recovered {r['recovery_s']} s after space returned" if r["recovered"] else ("no recovery")
    )
    return (
        f"crash alert while full: {'yes' + latency if r['alert_while_full'] else 'NO'}; "
        f"daemon {'up' if r['daemon_alive_while_full'] else 'DOWN'}; "
        f"state_degraded alerts: {r['state_degraded_alerts']}; {recovered}; "
        f"repeat counted on disk: {r['report_count_on_disk']}; duplicates: {r['duplicates']}"
    )


def _variant(name: str) -> Row:
    def row(r: Dict[str, Any]) -> str:
        v = r["variants"][name]
        if "error" in v:
            return v["error"]
        if v.get("moved_aside"):
            where = f"moved aside as {v['moved_aside'][0]}, fresh DB"
        elif v.get("in_memory"):
            where = "state kept in memory (the file cannot be moved)"
        else:
            where = "the file left as it was"
        return (
            f"daemon {'up in ' + str(v['ready_s']) + ' s' if v['ready'] else 'NOT READY'}, "
            f"{'alive' if v['alive'] else 'DEAD'}; state_degraded alerts: "
            f"{v['state_degraded_alerts']}; {where}; new crash alerted: "
            f"{'yes' if v['new_alert'] else 'NO'}; re-sent: {v['resent']}"
        )

    return row


def _forged(r: Dict[str, Any]) -> str:
    return (
        f"{r['forged_entries']} forged entries ({', '.join(r['forged_ids'])} id) as nobody; "
        f"real alerts sent: {r['real_alerts']}"
    )


def _rotvac(r: Dict[str, Any]) -> str:
    return (
        f"{r['sent']} of {r['oopses']} alerted, {r['duplicated']} duplicated; "
        f"{r['after_rotation_alerted']} of the {r['after_rotation']} after the rotation in the "
        f"journal ({r['oopses_still_in_journal']} oopses still readable in it afterwards)"
    )


def _storm(r: Dict[str, Any]) -> str:
    return (
        f"{r['first_alerts']} 'first' alert(s) for {r['copies']} copies of one oops "
        f"({r['copies_cut']} cut, {r['journald_missed_notes']} journald 'Missed' notes; "
        f"{r['first_alerts_marked_corrupted']} of the alerts marked corrupted; functions "
        f"{', '.join(r['functions'])}); occurrences counted: {r['reports_counted']}"
    )


def plan(args: argparse.Namespace) -> List[Dict[str, Any]]:
    kill = {"trials": args.trials, "max_delay": 0.4, "wait": args.wait, "timeout": 3600}
    rows: List[Dict[str, Any]] = [
        {
            "scenario": "journald_kill",
            "params": kill,
            "rows": [(f"journald SIGKILLed 0-400 ms after an oops, {args.trials} trials", _kill)],
        },
        {
            "scenario": "journald_stopped",
            "params": {"seconds": 8},
            "rows": [("journald stopped (SIGSTOP) 8 s while an alert is sent", _stopped)],
        },
        {
            "scenario": "full_disk",
            "params": {"size": "2m"},
            "rows": [("state directory on a full 2 MB tmpfs", _full)],
        },
        {
            "scenario": "corrupt_db",
            "params": {"variants": list(VARIANTS), "timeout": 1800},
            "rows": [(f"state.db {name.replace('_', ' ')}", _variant(name)) for name in VARIANTS],
        },
        {
            "scenario": "forged",
            "params": {},
            "rows": [
                ("non-root entry forging SYSLOG_IDENTIFIER=kcrashd + KCRASHD_ALERT_ID", _forged)
            ],
        },
        {
            "scenario": "rotate_vacuum",
            "params": {"oopses": args.oopses, "wait": 90},
            "rows": [
                (
                    f"journalctl --rotate, --vacuum-files=1 during a {args.oopses}-oops burst",
                    _rotvac,
                )
            ],
        },
        {
            "scenario": "storm",
            "params": {"copies": 12},
            "rows": [("line loss in a storm (ring buffer overrun under journald)", _storm)],
        },
    ]
    return [p for p in rows if not args.only or p["scenario"] in args.only]


def run(scenario: str, params: Dict[str, Any], project: Path) -> Dict[str, Any]:
    try:
        return run_scenario(scenario, params, project)
    except Exception as exc:  # a baseline may hang or crash: that is a result too
        return {"error": f"scenario failed: {str(exc).strip().splitlines()[-1][:200]}"}


def cell(render: Row, result: Dict[str, Any]) -> str:
    if "error" in result and len(result) == 1:
        return result["error"]
    try:
        return render(result)
    except (KeyError, TypeError) as exc:
        return f"(no figure: {exc})"


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--oopses", type=int, default=50)
    ap.add_argument("--wait", type=float, default=20.0, help="seconds to wait for an alert")
    ap.add_argument("--baseline", metavar="REV", help="a git revision to run as 'before'")
    ap.add_argument("--only", nargs="*", help="scenario names")
    ap.add_argument("--json", type=Path, help="also write every figure here")
    args = ap.parse_args(argv)
    baseline = export(args.baseline) if args.baseline else None
    try:
        return campaign(args, baseline)
    finally:
        if baseline is not None:
            shutil.rmtree(baseline, ignore_errors=True)


def export(rev: str) -> Path:
    """The tree of git revision `rev`, in a temporary directory."""
    out = Path(tempfile.mkdtemp(prefix="kcrashd-baseline-"))
    archive = subprocess.run(
        ["git", "-C", str(PROJECT), "archive", rev], capture_output=True, check=True, timeout=120
    )
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True, timeout=120)
    return out


def campaign(args: argparse.Namespace, baseline: Optional[Path]) -> int:
    results: Dict[str, Any] = {}
    lines = []
    for p in plan(args):
        start = time.monotonic()
        now = run(p["scenario"], p["params"], PROJECT)
        before = run(p["scenario"], p["params"], baseline) if baseline else None
        results[p["scenario"]] = {"now": now, "before": before}
        took = time.monotonic() - start
        print(f"# {p['scenario']}: {took:.0f} s", file=sys.stderr, flush=True)
        for title, render in p["rows"]:
            lines.append((title, cell(render, before) if before else None, cell(render, now)))
    head = "| fault | before (baseline) | now |" if args.baseline else "| fault | now |"
    print(head)
    print("| --- | --- | --- |" if args.baseline else "| --- | --- |")
    for title, before_text, now_text in lines:
        if args.baseline:
            print(f"| {title} | {before_text} | {now_text} |")
        else:
            print(f"| {title} | {now_text} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
