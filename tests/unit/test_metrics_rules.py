"""The example alerting rules: valid for promtool, and they fire on kcrashd's metrics."""

from __future__ import annotations

import subprocess

import yaml

from tests.conftest import PROJECT, require_tool

RULES = PROJECT / "etc" / "prometheus" / "kcrashd-rules.yml"


def _promtool(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [require_tool("promtool"), *args], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def test_promtool_check_rules():
    out = _promtool("check", "rules", str(RULES))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


def _alert(labels: dict, summary: str, description: str = "") -> dict:
    annotations = {"summary": summary}
    if description:
        annotations["description"] = description
    return {"exp_labels": labels, "exp_annotations": annotations}


def _case(at: str, name: str, *alerts: dict) -> dict:
    return {"eval_time": at, "alertname": name, "exp_alerts": list(alerts)}


def test_rules_fire_on_kcrashd_series(tmp_path):
    # promtool's rule unit tests, on series shaped like the ones kcrashd exports.
    status = 'kcrashd_readiness_check_status{instance="h1",check="crashkernel",status="CRIT"}'
    series = [
        {"series": 'kcrashd_crash_reports_total{instance="h1",kind="oops"}', "values": "0 0 0 1x5"},
        {"series": 'kcrashd_crash_reports_total{instance="h1",kind="panic"}', "values": "0x8"},
        {"series": 'kcrashd_crash_reports_total{instance="h1",kind="warning"}', "values": "0+1x8"},
        {"series": status, "values": "1x90"},
        {"series": 'kcrashd_metrics_updated_timestamp_seconds{instance="h2"}', "values": "0x20"},
        {"series": 'kcrashd_alerts_owed{instance="h1"}', "values": "0 2x20"},
        {"series": 'kcrashd_state_degraded{instance="h2"}', "values": "0 0 1x10 0x10"},
        {"series": 'kcrashd_alerts_total{instance="h3",type="test_alert"}', "values": "0 0 1x40"},
    ]
    owed = _alert(
        {"severity": "warning", "instance": "h1"},
        "h1: 2 kcrashd alert(s) journald has not stored for 10 minutes",
        "kcrashd keeps sending them; check systemd-journald on the host ('kcrashd status').",
    )
    degraded = _alert(
        {"severity": "warning", "instance": "h2"},
        "h2: kcrashd cannot write its state database",
        "Crash alerts still go out; free space in /var/lib/kcrashd or repair the file "
        "('journalctl -t kcrashd -x').",
    )
    oops = _alert(
        {"severity": "critical", "instance": "h1", "kind": "oops"},
        "h1: kernel oops report",
        "The kernel printed a oops report. "
        "Run 'journalctl -t kcrashd -x' and 'kcrashd incidents' on the host.",
    )
    not_ready = _alert(
        {"severity": "warning", "instance": "h1", "check": "crashkernel"},
        "h1: crash readiness check crashkernel is CRIT",
        "A kernel crash on this host would not be captured. Run 'kcrashd check' for the fix.",
    )
    stale = _alert(
        {"severity": "warning", "instance": "h2"},
        "h2: kcrashd metrics not updated for 10 minutes (is kcrashd.service running?)",
    )
    test_alert = _alert(
        {"severity": "info", "instance": "h3", "type": "test_alert"},
        "h3: kcrashd test alert",
        "Someone ran 'kcrashd alert --test' on the host: its alerts reach this Alertmanager. "
        "No action is needed.",
    )
    doc = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    # warnings are not crash reports for this rule; panic never increased
                    _case("5m", "KcrashdKernelCrashReport", oops),
                    _case("30m", "KcrashdNotReadyToCaptureCrash"),
                    _case("61m", "KcrashdNotReadyToCaptureCrash", not_ready),
                    _case("15m", "KcrashdMetricsStale", stale),
                    _case("5m", "KcrashdAlertsNotDelivered"),
                    _case("12m", "KcrashdAlertsNotDelivered", owed),
                    _case("8m", "KcrashdStateDegraded", degraded),
                    _case("16m", "KcrashdStateDegraded"),
                    # `kcrashd alert --test` counted in the textfile reaches Alertmanager
                    _case("1m", "KcrashdTestAlert"),
                    _case("5m", "KcrashdTestAlert", test_alert),
                    _case("30m", "KcrashdTestAlert"),
                ],
            }
        ],
    }
    tests = tmp_path / "tests.yml"
    tests.write_text(yaml.safe_dump(doc))
    out = _promtool("test", "rules", str(tests), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
