"""`kcrashd alert --test` as an operator runs it: one test_alert found again in a real
journald by its alert id and MESSAGE_ID, a hook that writes what it got to a file, and the
metrics textfile's counter, each reported per sink."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from kcrashd.alerts.types import message_id
from tests.conftest import journal_entries

pytestmark = [pytest.mark.journald, pytest.mark.root]

SAVE_HOOK = """#!/bin/sh
cat > {out}
"""
FAILING_HOOK = """#!/bin/sh
echo "mail server unreachable" >&2
exit 3
"""


def setup(tmp_path: Path, hooks: Dict[str, str]) -> Path:
    (tmp_path / "hooks").mkdir()
    for name, text in hooks.items():
        hook = tmp_path / "hooks" / name
        hook.write_text(text.format(out=tmp_path / "hook-out.json"))
        hook.chmod(0o755)
    (tmp_path / "prom").mkdir()
    config = tmp_path / "kcrashd.yaml"
    config.write_text(
        f"hooks: {{directory: {tmp_path / 'hooks'}}}\n"
        f"metrics: {{textfile_directory: {tmp_path / 'prom'}}}\n"
        f"state: {{directory: {tmp_path / 'state'}}}\n"
    )
    return config


def alert_test(config: Path) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "kcrashd", "--config", str(config), "alert", "--test", "--json"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def by_sink(doc) -> Dict[str, dict]:
    return {f"{s['sink']}:{s['target']}": s for s in doc["sinks"]}


def test_every_sink_gets_the_test_alert(journald, tmp_path):
    config = setup(tmp_path, {"10-save": SAVE_HOOK})
    r = alert_test(config)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    alert_id = doc["alert_id"]
    assert doc["message_id"] == message_id("test_alert") and doc["delivered"] is True
    sinks = by_sink(doc)
    assert sinks["journal:journald"]["delivered"] is True
    assert sinks[f"hook:{tmp_path / 'hooks' / '10-save'}"]["delivered"] is True
    prom = tmp_path / "prom" / "kcrashd.prom"
    assert sinks[f"metrics:{prom}"]["delivered"] is True

    # what each reader sees
    (entry,) = journal_entries(
        f"MESSAGE_ID={message_id('test_alert')}", f"KCRASHD_ALERT_ID={alert_id}"
    )
    assert entry["KCRASHD_TYPE"] == "test_alert" and entry["PRIORITY"] == "5"
    assert entry["SYSLOG_IDENTIFIER"] == "kcrashd" and entry["KCRASHD_HOST"]
    got = json.loads((tmp_path / "hook-out.json").read_text())
    assert got["alert_id"] == alert_id and got["type"] == "test_alert"
    assert 'kcrashd_alerts_total{type="test_alert"} 1' in prom.read_text().splitlines()

    # a second test: the counter counts it, and the other samples of the file are kept
    text = prom.read_text().replace("kcrashd_watcher_up", "kcrashd_watcher_up_seen")
    prom.write_text(text + 'kcrashd_watcher_value{key="available",watcher="memory"} 42\n')
    r = alert_test(config)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = prom.read_text().splitlines()
    assert 'kcrashd_alerts_total{type="test_alert"} 2' in lines
    assert 'kcrashd_watcher_value{key="available",watcher="memory"} 42' in lines


def test_a_failing_hook_is_reported_and_fails_the_test(journald, tmp_path):
    config = setup(tmp_path, {"10-save": SAVE_HOOK, "20-mail": FAILING_HOOK})
    r = alert_test(config)
    assert r.returncode == 1, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    sinks = by_sink(doc)
    failed = sinks[f"hook:{tmp_path / 'hooks' / '20-mail'}"]
    assert failed["delivered"] is False and "exit status 3" in failed["detail"]
    assert "mail server unreachable" in failed["detail"]
    assert sinks[f"hook:{tmp_path / 'hooks' / '10-save'}"]["delivered"] is True
    assert sinks["journal:journald"]["delivered"] is True and doc["delivered"] is False


def test_a_sink_not_in_use_is_said_so(journald, tmp_path):
    config = tmp_path / "kcrashd.yaml"
    config.write_text(
        f"hooks: {{directory: {tmp_path / 'none'}}}\n"
        f"metrics: {{textfile_directory: {tmp_path / 'no-node-exporter'}}}\n"
        f"state: {{directory: {tmp_path / 'state'}}}\n"
    )
    r = alert_test(config)
    assert r.returncode == 0, r.stdout + r.stderr
    sinks = json.loads(r.stdout)["sinks"]
    assert [(s["sink"], s["delivered"]) for s in sinks] == [
        ("journal", True),
        ("hook", None),
        ("metrics", None),
    ]
    text = subprocess.run(
        [sys.executable, "-m", "kcrashd", "--config", str(config), "alert", "--test"],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert "journal  delivered" in text and "not used" in text
