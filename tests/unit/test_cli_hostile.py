"""Hostile arguments to the command line: every error is one line and a documented non-zero
exit (kcrashd(8) EXIT STATUS: 1 an error, 2 bad arguments, 3 for `check`), never a
traceback, and a command that needs root says "run as root" when run by another user.

Each row runs the real `python -m kcrashd` in a child process with a timeout, against a real
state directory (a real state.db, real snapshot files); the unprivileged rows run as nobody
through setpriv.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import List, NamedTuple, Optional

import pytest

from kcrashd.store.state import StateDB
from tests.conftest import PROJECT

TIMEOUT = 60
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


class Row(NamedTuple):
    name: str
    argv: List[str]  # {state} is the state directory
    code: int
    words: str  # the one line of stderr must contain these
    user: Optional[str] = None  # "nobody": run through setpriv


ROWS = [
    Row("huge --limit", ["incidents", "--limit", "9" * 23, "--state-dir", "{state}"], 2,
        "--limit"),
    Row("negative --limit", ["incidents", "--limit", "-1", "--state-dir", "{state}"], 2,
        "--limit"),
    Row("--limit not a number", ["incidents", "--limit", "ten", "--state-dir", "{state}"], 2,
        "--limit"),
    Row("10,000-char incident id", ["incidents", "show", "a" * 10_000, "--state-dir", "{state}"],
        2, "not an incident id"),
    Row("100,000 % as an id", ["incidents", "show", "%" * 100_000, "--state-dir", "{state}"], 2,
        "not an incident id"),
    Row("unknown incident", ["incidents", "show", "deadbeef", "--state-dir", "{state}"], 1,
        "no incident 'deadbeef'"),
    Row("10,000-char snapshot id", ["snapshot", "--state-dir", "{state}", "show", "b" * 10_000],
        2, "not a snapshot id"),
    Row("snapshot id with a path", ["snapshot", "--state-dir", "{state}", "show", "../x"], 2,
        "not a snapshot id"),
    Row("show the bad snapshot", ["snapshot", "--state-dir", "{state}", "show", "bad"], 1,
        "snapshot bad is unreadable"),
    Row("unknown option", ["incidents", "--frobnicate"], 2, "unrecognized arguments"),
    Row("unknown option to check", ["check", "--frobnicate"], 3, "unrecognized arguments"),
    Row("unknown command", ["frobnicate"], 2, "invalid choice"),
    Row("unknown option to status", ["status", "--nope"], 2, "unrecognized arguments"),
    Row("10,000-char --config", ["--config", "/" + "c" * 10_000, "config", "check"], 1,
        "cannot read"),
]  # fmt: skip

# As nobody (setpriv): the state directory is root's (0700). The packages' build-time test
# run deselects these (its source tree may not be readable by nobody).
AS_NOBODY = [
    Row("status as nobody", ["status"], 1, "run as root", "nobody"),
    Row("status --json as nobody", ["status", "--json"], 1, "run as root", "nobody"),
    Row("incidents as nobody", ["incidents"], 1, "run as root", "nobody"),
    Row("incidents show as nobody", ["incidents", "show", "abc"], 1, "run as root", "nobody"),
    Row("snapshot list as nobody", ["snapshot", "list"], 1, "run as root", "nobody"),
    Row("snapshot take as nobody", ["snapshot", "take"], 1, "run as root", "nobody"),
    Row("snapshot show as nobody", ["snapshot", "show", "x"], 1, "run as root", "nobody"),
]  # fmt: skip


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    """A real state directory only root can read: a state.db and two snapshots, one of them
    not JSON."""
    d = tmp_path_factory.mktemp("state")
    StateDB(str(d / "state.db")).close()
    snaps = d / "snapshots"
    snaps.mkdir(mode=0o700)
    (snaps / "20260101T000000000Z-aaaaaa.json").write_text('{"id": "x", "reason": "manual"}')
    (snaps / "bad.json").write_bytes(b"\x00\xffnot json{")
    os.chmod(d, 0o700)
    return d


def kcrashd(argv: List[str], user: Optional[str] = None) -> subprocess.CompletedProcess:
    full = [sys.executable, "-m", "kcrashd", *argv]
    if user == "nobody":
        full = NOBODY + full
    return subprocess.run(
        full, cwd=PROJECT, capture_output=True, text=True, timeout=TIMEOUT, errors="replace"
    )


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_hostile_arguments(row: Row, state):
    check_row(row, state)


@pytest.mark.parametrize("row", AS_NOBODY, ids=[r.name for r in AS_NOBODY])
def test_as_nobody_where_root_is_needed(row: Row, state):
    check_row(row, state)


def check_row(row: Row, state) -> None:
    argv = [a.replace("{state}", str(state)) for a in row.argv]
    if row.user == "nobody" and "--state-dir" not in argv:
        argv = [argv[0], "--state-dir", str(state), *argv[1:]]
    proc = kcrashd(argv, row.user)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == row.code, (proc.returncode, proc.stderr[-500:])
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("usage:")]
    # argparse prints its usage (possibly wrapped) before the one-line error
    if proc.stderr.startswith("usage:"):
        errors = [line for line in errors if line.startswith("kcrashd")]
    assert len(errors) == 1, proc.stderr[-1000:]
    assert row.words in errors[0] and len(errors[0]) < 400, errors[0][:400]


def test_snapshot_list_shows_the_good_ones_beside_a_bad_file(state):
    proc = kcrashd(["snapshot", "--state-dir", str(state), "list"])
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "20260101T000000000Z-aaaaaa" in proc.stdout and "manual" in proc.stdout
    assert "bad" in proc.stdout and "unreadable" in proc.stdout
    as_json = kcrashd(["snapshot", "--state-dir", str(state), "list", "--json"])
    assert as_json.returncode == 0 and "20260101T000000000Z-aaaaaa" in as_json.stdout


def test_a_sane_limit_still_works(state):
    proc = kcrashd(["incidents", "--limit", "5", "--state-dir", str(state)])
    assert proc.returncode == 0 and proc.stdout.strip() == "no incidents", proc.stderr
