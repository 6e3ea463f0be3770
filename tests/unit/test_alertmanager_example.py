"""The Alertmanager routing example: amtool accepts it, and every alert of kcrashd's rules
(etc/prometheus/kcrashd-rules.yml) goes where the example says: critical ones (a crash now
or at the last boot) page, the rest become tickets, other alerts are left alone."""

from __future__ import annotations

import subprocess
from typing import Dict, List

import yaml

from tests.conftest import PROJECT, require_tool

CONFIG = PROJECT / "examples" / "alertmanager" / "kcrashd-alertmanager.yml"
RULES = PROJECT / "etc" / "prometheus" / "kcrashd-rules.yml"


def amtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [require_tool("amtool"), *args], capture_output=True, text=True, timeout=60
    )


def receivers(labels: Dict[str, str]) -> List[str]:
    pairs = [f"{k}={v}" for k, v in labels.items()]
    out = amtool("config", "routes", "test", f"--config.file={CONFIG}", *pairs)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.split()


def kcrashd_rules() -> List[dict]:
    doc = yaml.safe_load(RULES.read_text())
    return [r for g in doc["groups"] for r in g["rules"] if "alert" in r]


def test_amtool_check_config():
    out = amtool("check-config", str(CONFIG))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


def test_every_kcrashd_alert_is_routed_by_severity():
    rules = kcrashd_rules()
    assert len(rules) >= 8
    for rule in rules:
        labels = {"alertname": rule["alert"], "instance": "web1", **rule.get("labels", {})}
        labels.update(kind="oops", check="kdump_loaded", watcher="memory")
        expected = "kernel-oncall" if rule["labels"]["severity"] == "critical" else "kernel-tickets"
        assert receivers(labels) == [expected], rule["alert"]


def test_other_alerts_keep_the_default_route():
    assert receivers({"alertname": "NodeFilesystemAlmostFull", "severity": "critical"}) == [
        "default"
    ]
