"""Reading the guest's disk image on the host: no loop device, no mount.

`extract()` copies directories out of the raw ext4 image with `debugfs -R rdump` into a tree
shaped like the guest's root (TREE/var/log/journal, TREE/var/crash ...), which `kcrashd
postmortem --root TREE` can read too. An image the guest did not unmount (a crash, or a copy
taken while the VM was paused at a reboot) first gets its ext4 journal replayed on the copy.

`Journal` reads the guest's persistent journal with the host's `journalctl --directory`,
`StateDB` kcrashd's state.db with Python's sqlite3.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

# What the host reads from every run's disk.
GUEST_DIRS = (
    "/var/log/journal",
    "/var/crash",
    "/var/lib/systemd/pstore",
    "/var/lib/kcrashd",
    "/var/lib/kcrashd-lab",
)


def _run(argv: Sequence[str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)


def replay_journal(image: Path) -> bool:
    """Replay a pending ext4 journal in `image` (a copy we own); True when there was one."""
    r = _run(["dumpe2fs", "-h", str(image)])
    if "needs_recovery" not in r.stdout:
        return False
    r = _run(["e2fsck", "-E", "journal_only", "-y", str(image)])
    if r.returncode not in (0, 1):  # 1: file system changed (the replay)
        raise RuntimeError(f"e2fsck journal replay of {image} failed: {r.stdout}{r.stderr}")
    return True


def extract(image: Path, tree: Path, dirs: Sequence[str] = GUEST_DIRS) -> Path:
    """Copy `dirs` out of `image` into `tree` (same paths below it); returns `tree`."""
    replay_journal(image)
    commands = []
    for d in dirs:
        parent = tree / Path(d).parent.relative_to("/")
        parent.mkdir(parents=True, exist_ok=True)
        commands.append(f'rdump "{d}" "{parent}"')
    cmdfile = tree.parent / f".{tree.name}.debugfs"
    cmdfile.write_text("\n".join(commands) + "\n")
    r = _run(["debugfs", "-f", str(cmdfile), str(image)])
    cmdfile.unlink()
    if r.returncode != 0:
        raise RuntimeError(f"debugfs rdump failed: {r.stderr}")
    return tree


@dataclass
class Boot:
    index: int  # journalctl's: 0 the last, -1 the one before ...
    boot_id: str
    first: float  # realtime seconds
    last: float


class Journal:
    """The guest's persistent journal, read with the host's journalctl."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _json(self, *args: str) -> List[Dict[str, Any]]:
        # --all: without it journalctl prints fields over 4 KiB (KCRASHD_REPORT) as null
        argv = ["journalctl", "--directory", str(self.directory), "--no-pager", "--all"]
        r = _run([*argv, *args])
        if r.returncode != 0 and "No entries" not in r.stderr:
            raise RuntimeError(f"journalctl {' '.join(args)}: {r.stderr.strip()}")
        text = r.stdout.strip()
        if text.startswith("["):  # --list-boots -o json: one array
            return json.loads(text)
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def boots(self) -> List[Boot]:
        out = []
        for b in self._json("--list-boots", "-o", "json"):
            out.append(
                Boot(
                    int(b["index"]),
                    b["boot_id"],
                    b["first_entry"] / 1e6,
                    b["last_entry"] / 1e6,
                )
            )
        return out

    def entries(self, *matches: str, boot: Optional[str] = None) -> List[Dict[str, Any]]:
        args = ["-o", "json"]
        if boot:
            args += ["-b", boot]
        return self._json(*args, *matches)

    def kernel(self, boot: str) -> List[Dict[str, Any]]:
        """The kernel messages of one boot."""
        return self.entries("_TRANSPORT=kernel", boot=boot)

    def kernel_text(self, boot: str) -> str:
        return "\n".join(_message(e) for e in self.kernel(boot))

    def alerts(self, alert_type: Optional[str] = None, boot: Optional[str] = None) -> List[Dict]:
        matches = ["SYSLOG_IDENTIFIER=kcrashd"]
        if alert_type:
            matches.append(f"KCRASHD_TYPE={alert_type}")
        return [e for e in self.entries(*matches, boot=boot) if "KCRASHD_TYPE" in e]

    def boot_with(self, boots: List[Boot], text: str) -> List[str]:
        """Ids of the boots whose kernel log contains `text`."""
        return [b.boot_id for b in boots if text in self.kernel_text(b.boot_id)]


def _message(entry: Dict[str, Any]) -> str:
    m = entry.get("MESSAGE", "")
    if isinstance(m, list):  # journalctl gives non-UTF-8 messages as byte lists
        return bytes(m).decode("utf-8", "replace")
    return m or ""


def message(entry: Dict[str, Any]) -> str:
    return _message(entry)


class StateDB:
    """kcrashd's state.db (SQLite) as the guest left it, read-only in spirit."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise FileNotFoundError(path)
        # A plain connection: the -wal file next to it (if any) is applied, as kcrashd would.
        self.conn = sqlite3.connect(str(path))
        self.conn.row_factory = sqlite3.Row

    def rows(self, sql: str, *args: Any) -> List[sqlite3.Row]:
        return self.conn.execute(sql, args).fetchall()

    def incidents(self) -> List[Dict[str, Any]]:
        out = []
        for r in self.rows("SELECT * FROM incidents ORDER BY first_seen"):
            d = dict(r)
            d["evidence"] = json.loads(d.pop("evidence_json") or "[]")
            d["report"] = json.loads(d.pop("report_json") or "null")
            out.append(d)
        return out

    def alerts(self, alert_type: Optional[str] = None) -> List[Dict[str, Any]]:
        sql = "SELECT * FROM alerts"
        args: List[Any] = []
        if alert_type:
            sql += " WHERE type=?"
            args.append(alert_type)
        out = []
        for r in self.rows(sql + " ORDER BY created", *args):
            d = dict(r)
            d["fields"] = json.loads(d.pop("fields_json") or "{}")
            out.append(d)
        return out

    def close(self) -> None:
        self.conn.close()
