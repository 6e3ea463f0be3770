"""The installed command's exit (kcrashd.cli.console): a FAST_EXIT command (`check`) ends
without the interpreter's teardown once its output is flushed, with main()'s exit code and
every byte of its output; other commands end the ordinary way."""

from __future__ import annotations

import json
import subprocess
import sys

from kcrashd.cli import main
from tests.conftest import PROJECT

ROOT = PROJECT / "tests" / "fixtures" / "roots" / "debian12-kdump-not-loaded"

# An atexit handler runs in an ordinary exit and not after os._exit: it tells them apart.
CONSOLE = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("teardown ran\\n"))
from kcrashd.cli import console
sys.argv = ["kcrashd", *sys.argv[1:]]
console()
"""


def console(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CONSOLE, *args],
        cwd=PROJECT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def findings(doc: dict) -> list:
    return [(r["id"], r["status"]) for r in doc["results"]]


def test_check_exits_fast_with_its_code_and_whole_output(capsys):
    expected_code = main(["check", "--root", str(ROOT), "--json"])
    expected = capsys.readouterr().out
    run = console("check", "--root", str(ROOT), "--json")
    assert run.returncode == expected_code and expected_code != 0  # not-loaded: findings
    # the whole document (free space on the dump target may differ between the two runs)
    assert run.stdout.endswith("}\n") and len(expected) > 1000
    assert findings(json.loads(run.stdout)) == findings(json.loads(expected))
    assert "teardown ran" not in run.stderr


def test_other_commands_exit_the_ordinary_way(tmp_path):
    log = tmp_path / "k.log"
    log.write_text("usb 1-1: new high-speed USB device\n")
    run = console("parse", str(log))
    assert run.returncode == 0 and "no crash report found" in run.stdout
    assert "teardown ran" in run.stderr
