"""Fault scenarios against a real journald and real files, each in a private mount
namespace (tests.faults.harness.run_scenario runs one):

    python -m tests.faults.scenarios NAME PARAMS_JSON [KCRASHD_CHECKOUT]

prints one JSON object with what it measured. The integration tests run short versions
(tests/integration/test_faults.py); benchmarks/fault_campaign.py runs the full ones and
prints the table of issue 12. KCRASHD_CHECKOUT is the kcrashd tree to run (default this
one; the campaign passes another checkout for its "before" column).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List

from tests.faults.harness import (
    CRASH_ID,
    PROJECT,
    Kcrashd,
    PrivateJournal,
    UnlimitedKmsg,
    crash_entries,
    default_config,
    oops_lines,
    wait_for,
    write_kmsg,
)

STATE_DEGRADED = "bf95d98a7265442899422b4edc946414"
STATE_RECOVERED = "27bed15f68d94b9b89c469fac7835d96"
REPEATED_ID = "b95a6151ed5942e09d3324194049ac36"
NOBODY = 65534
Scenario = Callable[[Path, PrivateJournal, Dict[str, Any], Path], Dict[str, Any]]


def tag() -> str:
    return uuid.uuid4().hex[:12]


POSITION = """
import sys
from kcrashd.store.positions import Position, save_position
from kcrashd.store.state import StateDB
db = StateDB(sys.argv[1])
with db.transaction() as c:
    save_position(c, "journal", Position(sys.argv[2], sys.argv[3]))
db.close()
"""


def start_at_end(journal: PrivateJournal, state: Path, project: Path) -> None:
    """Commit the journal's last kernel entry as the daemon's position (with the kcrashd
    under test, so the file has its schema), so it does not alert what the kernel ring
    buffer held before the scenario (other tests' oopses)."""
    time.sleep(0.3)
    out = journal.journalctl("-k", "-n", "1", "-o", "json")
    cursor = next((json.loads(x)["__CURSOR"] for x in out.splitlines() if x.startswith("{")), None)
    if cursor is None:
        return
    state.mkdir(parents=True, exist_ok=True)
    boot = cursor.split("b=")[1].split(";")[0]
    subprocess.run(
        [sys.executable, "-c", POSITION, str(state / "state.db"), cursor, boot],
        cwd=project,
        env=dict(os.environ, PYTHONPATH=str(project)),
        check=True,
        timeout=60,
    )


def alerted(journal: PrivateJournal, tags: List[str]) -> Dict[str, int]:
    """crash_report entries kcrashd sent (as root) per oops tag, in one journal query."""
    functions = [
        e.get("KCRASHD_FUNCTION") for e in journal.entries(f"MESSAGE_ID={CRASH_ID}", "_UID=0")
    ]
    return {t: functions.count(f"kct_{t}_read") for t in tags}


def kernel_text(journal: PrivateJournal) -> str:
    """Every kernel message in the journal (searched here: journalctl -g needs PCRE2)."""
    return journal.journalctl("-k", "-o", "cat")


# --- journald SIGKILLed shortly after an oops --------------------------------------------------


def journald_kill(tmp: Path, journal: PrivateJournal, p: Dict[str, Any], project: Path) -> Dict:
    trials, max_delay = int(p.get("trials", 30)), float(p.get("max_delay", 0.4))
    down, wait = float(p.get("down", 0.5)), float(p.get("wait", 30))
    rng = random.Random(p.get("seed", 12))
    daemon = Kcrashd(tmp, tmp / "state", project)
    start_at_end(journal, daemon.state, project)
    rows = []
    assert daemon.start(), daemon.logs()
    for _ in range(trials):
        t, delay = tag(), rng.uniform(0.0, max_delay)
        write_kmsg(oops_lines(t))
        time.sleep(delay)
        journal.kill(signal.SIGKILL)
        time.sleep(down)
        journal.start()
        got = wait_for(lambda t=t: crash_entries(journal, t), wait)
        rows.append({"tag": t, "delay": round(delay, 3), "alerts": len(got)})
    time.sleep(float(p.get("linger", 5)))  # late duplicates would show by now
    journal.settle()
    counts = alerted(journal, [r["tag"] for r in rows])
    kernel = kernel_text(journal)
    for r in rows:
        r["alerts"] = counts[r["tag"]]
        r["oops_in_journal"] = f"kct_{r['tag']}_read" in kernel
    alive = daemon.alive()
    code = daemon.stop()
    return {
        "trials": trials,
        "lost": sum(1 for r in rows if r["alerts"] == 0),
        "duplicated": sum(1 for r in rows if r["alerts"] > 1),
        "oops_lost_by_journald": sum(1 for r in rows if not r["oops_in_journal"]),
        "daemon_alive": alive,
        "exit_code": code,
        "rows": rows,
    }


# --- journald stopped (SIGSTOP) while an alert is sent ------------------------------------------


def journald_stopped(tmp: Path, journal: PrivateJournal, p: Dict[str, Any], project: Path) -> Dict:
    """The alert is queued to a journald that stores nothing for a while: `kcrashd status`
    says it is owed; once journald goes on it is stored once (no second copy)."""
    stopped_for = float(p.get("seconds", 8))
    daemon = Kcrashd(tmp, tmp / "state", project)
    start_at_end(journal, daemon.state, project)
    assert daemon.start(), daemon.logs()
    t = tag()
    lines = oops_lines(t)
    write_kmsg(lines[:-1])
    seen = wait_for(lambda: f"kct_{t}_read+0x15" in kernel_text(journal), 10)
    journal.kill(signal.SIGSTOP)  # the report now closes by its gap, its alert is queued
    write_kmsg(lines[-1:])
    time.sleep(stopped_for)
    during = daemon.status()
    text = subprocess.run(
        [sys.executable, "-m", "kcrashd", "status", "--state-dir", str(daemon.state)],
        cwd=project,
        env=dict(os.environ, PYTHONPATH=str(project)),
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    journal.kill(signal.SIGCONT)
    got = wait_for(lambda: crash_entries(journal, t), 30)
    time.sleep(float(p.get("linger", 12)))  # past the probe delays: a resend would show
    journal.settle()
    after = daemon.status()
    owed_line = next((x for x in text.splitlines() if x.startswith("alerts owed")), None)
    entries = crash_entries(journal, t) if got else []
    result = {
        "oops_seen_before_stop": bool(seen),
        "owed_while_stopped": (during.get("alerts_owed") or {}).get("count"),
        "status_line": owed_line,
        "alerts": len(entries),
        "alert_ids": [(e["KCRASHD_ALERT_ID"], e.get("KCRASHD_SIGNATURE")) for e in entries],
        "owed_after": (after.get("alerts_owed") or {}).get("count"),
        "daemon_alive": daemon.alive(),
        "log": daemon.logs()[-3000:],
    }
    daemon.stop()
    return result


# --- the state directory on a full filesystem ----------------------------------------------------


def _fill(directory: Path) -> Path:
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def full_disk(tmp: Path, journal: PrivateJournal, p: Dict[str, Any], project: Path) -> Dict:
    small = tmp / "small"
    small.mkdir()
    size = p.get("size", "2m")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(small)], check=True)
    state = small / "state"
    daemon = Kcrashd(tmp, state, project)
    start_at_end(journal, state, project)
    out: Dict[str, Any] = {"size": size}
    assert daemon.start(), daemon.logs()
    before = tag()
    write_kmsg(oops_lines(before))
    out["alert_before_full"] = bool(wait_for(lambda: crash_entries(journal, before), 20))
    filler = _fill(small)
    during = tag()
    t0 = time.monotonic()
    write_kmsg(oops_lines(during))
    got = wait_for(lambda: crash_entries(journal, during), 30)
    out["alert_while_full"] = bool(got)
    out["alert_latency_s"] = round(time.monotonic() - t0, 2) if got else None
    write_kmsg(oops_lines(during, "0000000000000008"))  # a repeat while full: counted
    time.sleep(3)
    out["daemon_alive_while_full"] = daemon.alive()
    out["state_degraded_alerts"] = len(journal.entries(f"MESSAGE_ID={STATE_DEGRADED}"))
    out["status_while_full"] = {
        k: v for k, v in daemon.status().items() if k in ("running", "state", "alerts_owed")
    }
    os.unlink(filler)
    t1 = time.monotonic()
    rec = wait_for(lambda: journal.entries(f"MESSAGE_ID={STATE_RECOVERED}"), 90, poll=0.5)
    out["recovered"] = bool(rec)
    out["recovery_s"] = round(time.monotonic() - t1, 1) if rec else None
    after = tag()
    write_kmsg(oops_lines(after))
    out["alert_after_recovery"] = bool(wait_for(lambda: crash_entries(journal, after), 20))
    time.sleep(2.5)
    code = daemon.stop()
    out["exit_code"] = code
    db = state / "state.db"
    like = (f"%kct_{during}_read%",)
    out["report_count_on_disk"] = _query(
        db, "SELECT count FROM reports WHERE signature LIKE ?", like
    )
    out["alert_rows_on_disk"] = _query(
        db, "SELECT COUNT(*) FROM alerts WHERE type='crash_report'", ()
    )
    out["owed_on_disk"] = _query(db, "SELECT COUNT(*) FROM outbox", ())
    out["duplicates"] = sum(1 for n in alerted(journal, [before, during, after]).values() if n > 1)
    subprocess.run(["umount", "-l", str(small)], check=False)
    return out


def _query(db: Path, sql: str, args: tuple) -> Any:
    """One value from the file (its first row; a list when it has several columns), or
    what went wrong (a baseline may have no such table)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            row = conn.execute(sql, args).fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"error: {exc}"
    if row is None:
        return None
    return row[0] if len(row) == 1 else list(row)


# --- a damaged or unusable state.db --------------------------------------------------------------


def _corrupt(db: Path, variant: str) -> None:
    for sidecar in ("-journal", "-wal", "-shm"):
        if os.path.exists(str(db) + sidecar):
            os.unlink(str(db) + sidecar)
    if variant == "garbage":
        db.write_bytes(random.Random(7).randbytes(65536))
    elif variant == "truncated":
        os.truncate(db, db.stat().st_size // 2)
    elif variant == "bad_header":
        with open(db, "r+b") as f:
            f.write(b"NOT A SQLITE FMT")
    elif variant == "future_schema":
        conn = sqlite3.connect(str(db))
        conn.execute("PRAGMA user_version=99")
        conn.commit()
        conn.close()
    elif variant == "directory":
        db.unlink()
        db.mkdir()
        (db / "x").write_text("x")
    elif variant == "unreadable":
        db.chmod(0)
    elif variant == "immutable":
        subprocess.run(["chattr", "+i", str(db)], check=True)
    else:
        raise ValueError(variant)


VARIANTS = (
    "garbage",
    "truncated",
    "bad_header",
    "future_schema",
    "directory",
    "unreadable",
    "immutable",
)


def corrupt_db(tmp: Path, journal: PrivateJournal, p: Dict[str, Any], project: Path) -> Dict:
    results = {}
    for variant in p.get("variants", VARIANTS):
        results[variant] = _one_corrupt(tmp / variant, journal, variant, project)
    return {"variants": results}


def _one_corrupt(tmp: Path, journal: PrivateJournal, variant: str, project: Path) -> Dict:
    tmp.mkdir()
    state = tmp / "state"
    db = state / "state.db"
    first = Kcrashd(tmp, state, project)
    start_at_end(journal, state, project)
    assert first.start(), first.logs()
    x = tag()
    write_kmsg(oops_lines(x))
    assert wait_for(lambda: crash_entries(journal, x), 20), first.logs()
    first.stop()
    _corrupt(db, variant)
    t0 = time.monotonic()
    daemon = Kcrashd(tmp, state, project)
    out: Dict[str, Any] = {}
    try:
        out["ready"] = daemon.start(timeout=30)
        out["ready_s"] = round(time.monotonic() - t0, 1)
        y = tag()
        write_kmsg(oops_lines(y))
        if out["ready"] or daemon.alive():
            out["new_alert"] = bool(wait_for(lambda: crash_entries(journal, y), 30))
        else:
            out["new_alert"] = False  # it is not running (a baseline's crash)
        time.sleep(2)
        out["alive"] = daemon.alive()
        journal.settle()
        out["resent"] = len(crash_entries(journal, x)) - 1
        degraded = journal.entries(f"MESSAGE_ID={STATE_DEGRADED}", f"KCRASHD_PATH={db}")
        out["state_degraded_alerts"] = len(degraded)
        out["problem"] = [e.get("KCRASHD_PROBLEM") for e in degraded]
        out["in_memory"] = any("in memory" in e.get("KCRASHD_ACTION", "") for e in degraded)
        out["moved_aside"] = sorted(n.name for n in state.iterdir() if ".corrupt-" in n.name)
        out["fresh_db"] = _valid_db(db)
        out["exit_code"] = daemon.stop()
        out["crash_loop"] = "Traceback" in daemon.logs() and not out["alive"]
    finally:
        if daemon.alive():
            daemon.stop()
        if variant == "immutable":
            subprocess.run(["chattr", "-i", str(db)], check=False)
    return out


def _valid_db(db: Path) -> bool:
    if not db.is_file():
        return False
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            return ok and conn.execute("SELECT COUNT(*) FROM positions").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False


# --- forged entries by a non-root user ---------------------------------------------------------

FORGE = """
import socket, sys
fields = dict(a.split("=", 1) for a in sys.argv[1:])
data = "".join(f"{k}={v}\\n" for k, v in fields.items()).encode()
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(data, "/run/systemd/journal/socket")
"""


def forged(tmp: Path, journal: PrivateJournal, p: Dict[str, Any], project: Path) -> Dict:
    import hashlib

    sys.path.insert(0, str(project))
    from kcrashd.parse import parse_text
    from kcrashd.store.incidents import report_signature

    state = tmp / "state"
    daemon = Kcrashd(tmp, state, project)
    start_at_end(journal, state, project)
    assert daemon.start(), daemon.logs()
    daemon.stop()  # down while the crash happens
    x = tag()
    write_kmsg(oops_lines(x))
    time.sleep(0.5)
    report = parse_text("\n".join(oops_lines(x)))[0]
    boot = journal.entries("-k", "-n", "1")[0]["_BOOT_ID"]
    parts = (boot, report_signature(report), "crash_report", 1)
    # what anyone can compute (the ids of kcrashd before they were keyed) ...
    ids = {"unkeyed": hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]}
    key = state / "alert-id.key"
    if key.exists():  # ... and the real id, as if the key had leaked: _UID must still hold
        from kcrashd.alerts.ids import alert_id_for

        ids["keyed"] = alert_id_for(key.read_bytes(), *parts)
    for name, alert_id in ids.items():
        fields = {
            "MESSAGE": f"kernel page_fault: forged ({name})",
            "SYSLOG_IDENTIFIER": "kcrashd",
            "MESSAGE_ID": CRASH_ID,
            "KCRASHD_ALERT_ID": alert_id,
            "KCRASHD_FUNCTION": f"kct_{x}_read",
            "PRIORITY": "2",
        }
        subprocess.run(
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
            + ["/usr/bin/python3", "-c", FORGE, *(f"{k}={v}" for k, v in fields.items())],
            check=True,
            timeout=30,
        )
    journal.settle()
    forged_entries = journal.entries(f"KCRASHD_FUNCTION=kct_{x}_read", f"_UID={NOBODY}")
    assert daemon.start(), daemon.logs()
    real = wait_for(lambda: crash_entries(journal, x), 30)
    time.sleep(2)
    journal.settle()
    real = crash_entries(journal, x)
    daemon.stop()
    return {
        "forged_entries": len(forged_entries),
        "forged_ids": sorted(ids),
        "real_alerts": len(real),
        # the forged entry carried the very id of the real alert, and did not suppress it
        "forged_the_real_id": bool(real) and real[0]["KCRASHD_ALERT_ID"] == ids.get("keyed"),
    }


# --- rotate + vacuum during a burst -----------------------------------------------------------


def rotate_vacuum(tmp: Path, journal: PrivateJournal, p: Dict[str, Any], project: Path) -> Dict:
    """A burst of oopses with a rotation and a vacuum of every archived file half way.
    The alerts of the oopses before the rotation may be vacuumed too (when kcrashd sent
    them before it): every oops is counted from the alerts the daemon recorded as sent (once), and
    those after the rotation (and their alerts) are in the journal."""
    n = int(p.get("oopses", 50))
    daemon = Kcrashd(tmp, tmp / "state", project)
    start_at_end(journal, daemon.state, project)
    assert daemon.start(), daemon.logs()
    tags = [tag() for _ in range(n)]
    after = tags[n // 2 + 1 :]
    for i, t in enumerate(tags):
        write_kmsg(oops_lines(t))
        if i == n // 2:
            journal.journalctl("--rotate")
            journal.journalctl("--vacuum-files=1")
    wait_for(lambda: all(alerted(journal, after).values()), float(p.get("wait", 60)), poll=1.0)
    wait_for(lambda: len(sent_once(daemon.state, tags)) == n, 5, poll=0.5)
    journal.settle()
    counts = alerted(journal, tags)
    still = kernel_text(journal)
    alive = daemon.alive()
    daemon.stop()
    return {
        "oopses": n,
        "sent": len(sent_once(daemon.state, tags)),
        "after_rotation": len(after),
        "after_rotation_alerted": sum(1 for t in after if counts[t] >= 1),
        "duplicated": sum(1 for c in counts.values() if c > 1),
        "oopses_still_in_journal": sum(1 for t in tags if f"kct_{t}_read" in still),
        "daemon_alive": alive,
    }


def sent_once(state: Path, tags: List[str]) -> List[str]:
    """The tags whose crash report the daemon recorded as sent (its `alerts` table) once."""
    try:
        conn = sqlite3.connect(f"file:{state / 'state.db'}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute(
                "SELECT fields_json FROM alerts WHERE type = 'crash_report'"
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []
    functions = [json.loads(r[0]).get("function") for r in rows]
    return [t for t in tags if functions.count(f"kct_{t}_read") == 1]


def vacuum_position(tmp: Path, journal: PrivateJournal, p: Dict[str, Any], project: Path) -> Dict:
    """A follower whose entry's file is rotated and vacuumed while it waits: journald
    truncates the files it deletes, the reader drops its file and can no longer say
    where it is. It must still read what comes next (it read nothing, ever, before)."""
    from kcrashd.host.root import Root
    from kcrashd.sources.boot import current_boot_id
    from kcrashd.sources.journal import JournalFollower

    t = tag()
    write_kmsg([f"kcrashd-fault {t} position"])
    wait_for(lambda: f"{t} position" in kernel_text(journal), 10)
    follower = JournalFollower(None, current_boot_id(Root("/")))
    try:
        follower.open(None)
        read = [r.message for r in follower.read(100_000)]
        journal.journalctl("--rotate")
        journal.journalctl("--vacuum-files=1")
        write_kmsg([f"kcrashd-fault {t} after the vacuum"])
        wait_for(lambda: f"{t} after the vacuum" in kernel_text(journal), 10)
        deadline = time.monotonic() + float(p.get("wait", 10))
        while time.monotonic() < deadline:
            follower.process()
            read += [r.message for r in follower.read(100_000)]
            if any("after the vacuum" in m and t in m for m in read):
                break
            time.sleep(0.2)
        return {
            "read_position": any(f"{t} position" in m for m in read),
            "read_after_vacuum": any(f"{t} after the vacuum" in m for m in read),
            "files_opened": follower.files_opened,
            "note": follower.note,
        }
    finally:
        follower.close()


# --- line loss in a storm (kernel ring buffer overrun under journald) -----------------------


def storm(tmp: Path, journal: PrivateJournal, p: Dict[str, Any], project: Path) -> Dict:
    copies = int(p.get("copies", 12))
    noise = int(p.get("noise_lines", 600))
    # a cut copy waits until its first lines are stored before the overrun: not a gap
    config = default_config(tmp).replace("report_gap_seconds: 1.0", "report_gap_seconds: 5.0")
    (tmp / "kcrashd.yaml").write_text(config)
    daemon = Kcrashd(tmp, tmp / "state", project)
    start_at_end(journal, daemon.state, project)
    assert daemon.start(), daemon.logs()
    t = tag()
    lines = oops_lines(t)
    cut = []
    for c in range(copies):
        if c % 2 == 0:
            write_kmsg(lines)
            continue
        head = 6 if c % 4 == 1 else 8  # with and without the RIP line
        write_kmsg(lines[:head])
        seen = wait_for(
            lambda: f"kct{t[:8]}" in journal.journalctl("-k", "-o", "cat", "-n", "30"), 3
        )
        journal.kill(signal.SIGSTOP)
        write_kmsg(lines[head:16])
        write_kmsg([f"storm-noise {t} {i:05d} " + "n" * 900 for i in range(noise)])
        write_kmsg(lines[16:])
        journal.kill(signal.SIGCONT)
        cut.append(bool(seen))
        time.sleep(1.5)  # the report gap: each copy is its own report
    time.sleep(4)
    journal.settle()
    firsts = journal.entries(f"MESSAGE_ID={CRASH_ID}", "_UID=0")
    missed = journal.entries("MESSAGE_ID=e9bf28e6e834481bb6f48f548ad13606")
    alive = daemon.alive()
    daemon.stop()
    conn = sqlite3.connect(str(daemon.state / "state.db"))
    try:
        counted = conn.execute("SELECT COALESCE(SUM(count), 0) FROM reports").fetchone()[0]
    finally:
        conn.close()
    return {
        "copies": copies,
        "copies_cut": sum(cut),
        "journald_missed_notes": len(missed),
        "first_alerts": len(firsts),
        "first_alerts_marked_corrupted": sum(1 for e in firsts if "KCRASHD_CORRUPTED" in e),
        "functions": sorted({e.get("KCRASHD_FUNCTION", "-") for e in firsts}),
        "reports_counted": counted,
        "daemon_alive": alive,
    }


SCENARIOS: Dict[str, Scenario] = {
    "journald_kill": journald_kill,
    "journald_stopped": journald_stopped,
    "full_disk": full_disk,
    "corrupt_db": corrupt_db,
    "forged": forged,
    "rotate_vacuum": rotate_vacuum,
    "vacuum_position": vacuum_position,
    "storm": storm,
}


def main(argv: List[str]) -> int:
    name, params = argv[0], json.loads(argv[1] if len(argv) > 1 else "{}")
    project = Path(argv[2]) if len(argv) > 2 else PROJECT
    journal = PrivateJournal().mount()
    tmp = Path(tempfile.mkdtemp(prefix=f"kcrashd-fault-{name}-"))
    result: Dict[str, Any] = {}
    try:
        with UnlimitedKmsg():
            journal.start()
            t0 = time.monotonic()
            result = SCENARIOS[name](tmp, journal, params, project)
            result["seconds"] = round(time.monotonic() - t0, 1)
    finally:
        journal.stop()
        if not params.get("keep"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            result["tmp"] = str(tmp)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
