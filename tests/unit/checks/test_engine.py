"""The engine's policy and error boundary, the renderers and the readiness job's change
alerts, run in this process (test_cli.py runs the same through `python -m kcrashd`)."""

from __future__ import annotations

import json

import pytest

from kcrashd.checks import engine, render
from kcrashd.checks.context import HostView
from kcrashd.checks.job import change_alerts
from kcrashd.config import Config, ConfigError, from_dict
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from kcrashd.model import Result, Status


def host_on(roots, scenario: str, config: Config = None) -> HostView:
    return HostView(Root(str(roots / scenario)), CommandRunner(), config or Config())


def test_policy_errors_name_every_problem():
    with pytest.raises(ConfigError) as caught:
        from_dict({"checks": {"skip": ["nope"], "severity": {"gone": "INFO"}}})
    assert "<dict>: checks.skip: unknown check id 'nope'" in caught.value.errors[0]
    assert "<dict>: checks.severity: unknown check id 'gone'" in caught.value.errors[1]
    with pytest.raises(ConfigError) as caught:
        from_dict({"checks": {"severity": {"kfence": "LOUD"}}})
    assert "checks.severity: kfence: must be one of OK, INFO" in caught.value.errors[0]
    assert engine.unknown_ids(["kfence", "nope"]) == ["nope"]


def test_skip_policy_and_only(roots):
    cfg = from_dict({"checks": {"skip": ["kfence"], "severity": {"panic_timeout": "ok"}}})
    host = host_on(roots, "vm-nothing-configured", cfg)
    results = {r.check_id: r for r in engine.run_checks_on(host)}
    assert results["kfence"].summary == "skipped by policy (checks.skip)"
    assert results["panic_timeout"].status is Status.OK
    assert "(policy: WARN reported as OK)" in results["panic_timeout"].summary
    only = engine.run_checks_on(host, ["kfence"])  # asked for by name: policy skip ignored
    assert [r.check_id for r in only] == ["kfence"] and only[0].status is Status.INFO


def test_a_check_answering_for_another_is_an_error(roots, monkeypatch):
    from kcrashd.checks.checklist import kfence

    monkeypatch.setattr(kfence, "run", lambda host: Result("netconsole", Status.OK, "x"))
    r = engine.run_one(kfence, host_on(roots, "vm-nothing-configured"))
    assert r.status is Status.ERROR and "netconsole" in r.summary


def test_host_info_survives_a_broken_reader(roots, monkeypatch):
    host = host_on(roots, "debian12-direct-boot")
    assert engine.host_info(host) == {
        "host": "crashlab",
        "distro_family": "debian",
        "kernel": "6.1.0-31-amd64",
    }
    broken = host_on(roots, "debian12-direct-boot")
    monkeypatch.setattr(type(broken.root), "read_value", lambda self, p: 1 / 0)
    info = engine.host_info(broken)
    assert info["host"] is None and info["kernel"] is None


def test_renderers(roots):
    results = engine.run_checks_on(host_on(roots, "debian12-1g-grub"))
    header = {"host": "web-small", "distro_family": "debian", "kernel": "6.1.0-28-cloud-amd64"}
    doc = json.loads(render.render_json(results, header))
    assert doc["exit_code"] == 1 and doc["host"] == "web-small"
    by_id = {r["id"]: r for r in doc["results"]}
    assert by_id["kdump_service"]["area"] == "kdump" and by_id["kdump_service"]["fix"]
    assert by_id["panic_timeout"]["title"] == "Reboot after panic"  # a row of the sysctl table
    text = render.render_text(results, header, colour=False)
    assert "  WARN  kdump_service " in text and "fix: sed -i 's/^USE_KDUMP=.*/USE_KDUMP=1/'" in text
    assert text.rstrip().endswith("of 47 checks)")
    stray = render.render_text([Result("gone", Status.INFO, "x")], {}, colour=False)
    assert "gone" not in stray  # an unknown id has no area heading
    explain = render.render_explain("panic_on_oops")
    assert explain.startswith("panic_on_oops: Oops panics\narea: Panic path\n")


def test_change_alerts_skip_errors_and_unknown_statuses():
    now = [
        Result("a", Status.CRIT, "down", fix="f"),
        Result("b", Status.ERROR, "broke"),
        Result("c", Status.OK, "fine"),
        Result("d", Status.WARN, "meh", fix="f"),
    ]
    alerts = change_alerts(now, {"a": "OK", "b": "OK", "c": "BOGUS", "d": "CRIT"})
    assert [(a.type, a.fields["checks"]) for a in alerts] == [
        ("readiness_degraded", "a"),
        ("readiness_improved", "d"),
    ]
