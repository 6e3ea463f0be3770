"""The Grafana dashboard (examples/grafana/kcrashd-fleet.json): every PromQL expression in it
is valid for promtool (wrapped as recording rules), uses only metrics kcrashd exports, and
the fleet panels count what they say on series shaped like kcrashd's from three hosts."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Dict, Iterator, List

import yaml

from kcrashd.sinks.metrics_job import collect
from kcrashd.store.state import StateDB
from tests.conftest import PROJECT, require_tool

DASHBOARD = PROJECT / "examples" / "grafana" / "kcrashd-fleet.json"
# Grafana fills these in before the query reaches Prometheus; promtool gets values.
GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "7d",
    "$instance": ".*",  # the Hosts variable's "All"
}


def _panels(panels: List[dict]) -> Iterator[dict]:
    for p in panels:
        yield p
        yield from _panels(p.get("panels", []))


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def expressions() -> Dict[str, str]:
    """Panel title -> its PromQL with Grafana's variables filled in."""
    out = {}
    for p in _panels(dashboard()["panels"]):
        for t in p.get("targets", []):
            expr = t["expr"]
            for name in sorted(GRAFANA_VARIABLES, key=len, reverse=True):
                expr = expr.replace(name, GRAFANA_VARIABLES[name])
            assert "$" not in expr, f"{p['title']}: a Grafana variable left: {expr}"
            out[f"{p['title']} ({t['refId']})"] = expr
    return out


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [require_tool("promtool"), *args], capture_output=True, text=True, timeout=60, cwd=cwd
    )


def _rules(tmp_path: Path) -> Path:
    rules = [
        {"record": f"kcrashd_dashboard:panel_{i}", "expr": expr}
        for i, expr in enumerate(expressions().values())
    ]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    return path


def test_every_expression_passes_promtool(tmp_path):
    assert len(expressions()) >= 15
    out = _promtool("check", "rules", str(_rules(tmp_path)), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"SUCCESS: {len(expressions())} rules found" in out.stdout


def test_only_metrics_kcrashd_exports(tmp_path):
    db = StateDB(str(tmp_path / "state.db"))
    exported = {f.name for f in collect(db)}
    db.close()
    text = json.dumps(dashboard())
    used = set(re.findall(r"\bkcrashd_[a-z_]+\b", text)) - {"kcrashd_fleet"}
    assert used, "no kcrashd metric in the dashboard"
    assert used <= exported, used - exported


def test_the_panels_the_fleet_needs():
    titles = [p["title"] for p in _panels(dashboard()["panels"])]
    for wanted in (
        "Crash reports by kind",
        "Crash reports by host",
        "Readiness status per check across hosts",
        "Hosts not ready to capture a crash",
        "Watcher signals raised",
        "Following lag",
    ):
        assert wanted in titles, wanted
    ids = [p["id"] for p in _panels(dashboard()["panels"])]
    assert len(ids) == len(set(ids))
    names = [v["name"] for v in dashboard()["templating"]["list"]]
    assert names == ["datasource", "instance"]


def _expr(title: str) -> str:
    (expr,) = [e for t, e in expressions().items() if t.startswith(title + " (")]
    return expr


def _status(instance: str, check: str, current: str) -> List[dict]:
    return [
        {
            "series": f'kcrashd_readiness_check_status{{instance="{instance}",check="{check}",'
            f'status="{s}"}}',
            "values": f"{1 if s == current else 0}x30",
        }
        for s in ("OK", "WARN", "CRIT")
    ]


def test_fleet_panels_count_hosts(tmp_path):
    at = "10m"
    series = []
    for host, kdump, kfence in (("h1", "CRIT", "OK"), ("h2", "OK", "WARN"), ("h3", "CRIT", "OK")):
        series += _status(host, "kdump_loaded", kdump) + _status(host, "kfence", kfence)
        series.append({"series": f'kcrashd_build_info{{instance="{host}",version="0.1.0"}}',
                       "values": "1x30"})  # fmt: skip
        series.append({"series": f'kcrashd_following_lag_seconds{{instance="{host}"}}',
                       "values": "0.5x30" if host != "h2" else "400x30"})  # fmt: skip
    series.append(
        {"series": 'kcrashd_crash_reports_total{instance="h3",kind="oops"}', "values": "0 0 1x28"}
    )

    def case(title: str, samples: List[dict]) -> dict:
        return {"expr": _expr(title), "eval_time": at, "exp_samples": samples}

    tests = [
        case("Hosts reporting", [{"labels": "{}", "value": 3}]),
        case("Hosts not ready to capture a crash", [{"labels": "{}", "value": 2}]),
        case("Hosts CRIT per readiness check", [{"labels": '{check="kdump_loaded"}', "value": 2}]),
        case(
            "Readiness status per check across hosts",
            [
                {"labels": '{check="kdump_loaded",status="CRIT"}', "value": 2},
                {"labels": '{check="kdump_loaded",status="OK"}', "value": 1},
                {"labels": '{check="kfence",status="OK"}', "value": 2},
                {"labels": '{check="kfence",status="WARN"}', "value": 1},
            ],
        ),
        case(
            "Hosts not ready, and why",
            [
                {"labels": '{instance="h1",check="kdump_loaded"}', "value": 1},
                {"labels": '{instance="h3",check="kdump_loaded"}', "value": 1},
            ],
        ),
        case("Hosts with a crash (range)", [{"labels": "{}", "value": 1}]),
        case(
            "Following lag",
            [
                {"labels": f'kcrashd_following_lag_seconds{{instance="{h}"}}', "value": v}
                for h, v in (("h1", 0.5), ("h2", 400), ("h3", 0.5))
            ],
        ),
    ]
    doc = {
        "rule_files": [str(_rules(tmp_path))],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": series, "promql_expr_test": tests}],
    }
    path = tmp_path / "tests.yml"
    path.write_text(yaml.safe_dump(doc))
    out = _promtool("test", "rules", str(path), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
