"""`kcrashd fleet` on one host's own journal (a real systemd-journald): the daemon's real
alerts count, look-alikes written by other programs and users do not.

The daemon (`python -m kcrashd run`) sends its readiness summary at start and a crash_report
for an oops written to /dev/kmsg. Then the look-alikes: the same fields (SYSLOG_IDENTIFIER
kcrashd, the crash_report MESSAGE_ID, KCRASHD_*) from `logger --journald` as nobody and as
root, from a Python script named kcrashd run as nobody, and a `systemd-cat -t kcrashd` line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from kcrashd.alerts.types import message_id
from kcrashd.sinks.journald import journal_fields
from tests import fleet_journals as fj
from tests.conftest import PROJECT, journal_entries, require_tool, write_kmsg
from tests.integration.test_daemon_journal import (  # noqa: F401 (unlimited_kmsg: a fixture)
    Daemon,
    crash_alerts,
    oops_lines,
    start_at_journal_end,
    unlimited_kmsg,
)

pytestmark = [pytest.mark.journald, pytest.mark.root]
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def forged_fields(tag: str) -> str:
    """A crash_report alert's journal fields, one per line (logger --journald's input)."""
    report = fj.distro_reports()[1]
    alert = fj.crash_report_alert(report, "f" * 32, "6.1.0-15-amd64")
    fields = journal_fields(alert, "f" * 32)
    fields["KCRASHD_SIGNATURE"] = f"forged:{tag}"
    fields["KCRASHD_TITLE"] = f"forged {tag}"
    return "".join(f"{k}={v}\n" for k, v in fields.items() if "\n" not in v)


def run(argv, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)


@pytest.fixture
def nobody_dir():
    """A directory nobody can read (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="kcrashd-fleet-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.usefixtures("unlimited_kmsg")
def test_own_journal_counts_the_daemons_alerts_and_no_look_alike(
    journald, tmp_path, unique_tag, nobody_dir
):
    require_tool("logger")
    since = time.time() - 1
    daemon = Daemon(tmp_path)
    daemon.state.mkdir()
    start_at_journal_end(daemon.state)
    daemon.start()
    try:
        write_kmsg(oops_lines(unique_tag))
        (alert,) = crash_alerts(unique_tag)
    finally:
        assert daemon.stop() == 0, daemon.logs()[-3000:]

    fields = nobody_dir / "fields"
    fields.write_text(forged_fields(unique_tag))
    script = nobody_dir / "kcrashd"  # _COMM=kcrashd, but not root
    script.write_text(
        "#!/usr/bin/python3\nimport sys\nfrom systemd import journal\n"
        "f = dict(l.rstrip('\\n').split('=', 1) for l in open(sys.argv[1]))\n"
        "journal.send(f.pop('MESSAGE'), **f)\n"
    )
    script.chmod(0o755)
    for argv in (
        NOBODY + ["logger", f"--journald={fields}"],
        ["logger", f"--journald={fields}"],
        NOBODY + [str(script), str(fields)],
        NOBODY + ["systemd-cat", "-t", "kcrashd", "echo", f"kernel oops forged {unique_tag}"],
    ):
        out = run(argv)
        assert out.returncode == 0, (argv, out.stderr)
    forged = journal_entries(f"KCRASHD_SIGNATURE=forged:{unique_tag}", want=3)
    assert len(forged) == 3, forged
    assert {e["_UID"] for e in forged} == {"0", "65534"}  # journald's word, not the sender's

    out = run(
        [sys.executable, "-m", "kcrashd", "fleet", "--since", f"@{since:.0f}", "--json"],
        cwd=PROJECT,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    signatures = {c["signature"]: c for c in doc["crashes"]}
    assert alert["KCRASHD_SIGNATURE"] in signatures
    assert f"forged:{unique_tag}" not in signatures
    ours = signatures[alert["KCRASHD_SIGNATURE"]]
    assert ours["hosts"] == 1 and ours["boots"] == 1
    assert ours["host_names"] == [alert["_HOSTNAME"]]
    assert ours["kernels"] == [{"kernel": "6.1.0-13-amd64", "hosts": 1}]
    assert doc["entries"]["ignored"] >= 3
    seen = " | ".join(doc["entries"]["ignored_examples"])
    assert "uid 65534" in seen and "comm logger" in seen, seen
    # the daemon's readiness summary at start: this host reported readiness
    assert doc["readiness"]["hosts_reporting"] >= 1
    summary = journal_entries(
        f"MESSAGE_ID={message_id('readiness_summary')}", f"_PID={daemon.proc.pid}"
    )
    assert summary and summary[0]["KCRASHD_KERNEL"] == os.uname().release
    crit = {c["check"]: c["crit"] for c in doc["readiness"]["checks"]}
    for check in filter(None, summary[0]["KCRASHD_CRIT_CHECKS"].split(",")):
        assert crit.get(check, 0) >= 1, (check, doc["readiness"])
    text = run(
        [sys.executable, "-m", "kcrashd", "fleet", "--since", f"@{since:.0f}"], cwd=PROJECT
    ).stdout
    assert alert["KCRASHD_TITLE"] in text and f"forged {unique_tag}" not in text
