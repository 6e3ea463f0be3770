"""Every published format (doc/schemas/) against real outputs of the real commands.

The outputs come from running kcrashd as a user does: `check --json` on every fixture root,
`parse --json` on the real kernel logs, and a real daemon run (`kcrashd run --once`) over a
real journal (made with systemd-journal-remote) of a boot that crashed, a root with that
crash's pstore records and kdump dump and a host short of memory, a real state database and
the real journald; then `status`, `incidents`, `snapshot` and `postmortem` read that state,
and the hook input is what the shipped example hook 70-log-file recorded from the daemon.
Each document is validated with every object closed (tests/json_schemas.py): a field the
schema does not describe fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict, List

import pytest
from jsonschema import Draft7Validator

from kcrashd.alerts.types import ALERT_TYPES
from kcrashd.checks.render import JSON_SCHEMA as CHECK_SCHEMA
from kcrashd.cli import build_parser
from kcrashd.cli.parse_cmd import SCHEMA as PARSE_SCHEMA
from kcrashd.model import REPORT_KINDS
from tests import postmortem_roots as roots
from tests.conftest import PROJECT
from tests.json_schemas import BASE, SCHEMAS, load_all, validate

pytestmark = pytest.mark.journald

FIXTURE_ROOTS = PROJECT / "tests" / "fixtures" / "roots"
LOGS = PROJECT / "tests" / "fixtures" / "logs"
LOW_MEMORY = PROJECT / "tests" / "fixtures" / "watchers" / "low-memory"
# Which schema describes each command's --json output.
OUTPUTS = {
    ("check",): ["check"],
    ("parse",): ["parse"],
    ("status",): ["status"],
    ("incidents",): ["incidents-list", "incidents-show"],
    ("snapshot",): ["snapshot-take", "snapshot-list", "snapshot-show"],
    ("snapshot", "take"): ["snapshot-take"],
    ("snapshot", "list"): ["snapshot-list"],
    ("snapshot", "show"): ["snapshot-show"],
    ("postmortem",): ["postmortem"],
    ("fleet",): ["fleet"],
    ("fix",): ["fix"],
    ("alert",): ["alert-test"],
}


def kcrashd(*args: str, env: Dict[str, str] = None, stdin: str = None):
    return subprocess.run(
        [sys.executable, "-m", "kcrashd", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        env=dict(os.environ, **(env or {})),
        input=stdin,
        timeout=120,
    )


def json_of(proc: subprocess.CompletedProcess):
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def host(tmp_path_factory, journald) -> Dict[str, Path]:
    """A daemon run over a crashed boot; its state, config and the hook's log."""
    tmp = tmp_path_factory.mktemp("schemas")
    info = roots.two_boots(tmp / "journal", "panic")
    root = tmp / "root"
    shutil.copytree(LOW_MEMORY, root, symlinks=True)
    roots.ramoops(root, info["crash_time"], parts=2)
    roots.debian_dump(root, info["crash_time"])
    roots._write(root / "proc/sys/kernel/random/boot_id", str(uuid.UUID(hex=info["current"])))
    hooks = tmp / "hooks.d"
    hooks.mkdir()
    shutil.copy(PROJECT / "examples" / "hooks.d" / "70-log-file", hooks)
    (tmp / "logs").mkdir()
    config = tmp / "kcrashd.yaml"
    config.write_text(
        f"hooks: {{directory: {hooks}}}\n"
        f"journal: {{directory: {tmp / 'journal'}}}\n"
        f"metrics: {{textfile_directory: {tmp}}}\n"
        "watchers: {memory: {for_samples: 1}}\n"
    )
    run = kcrashd(
        "--config", str(config), "run", "--once", "--journal-dir", str(tmp / "journal"),
        "--state-dir", str(tmp / "state"), "--root", str(root),
        env={"LOGS_DIRECTORY": str(tmp / "logs")},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return {"tmp": tmp, "root": root, "config": config, "state": tmp / "state"}


def test_schema_files_are_valid_draft7_with_their_own_ids():
    for name, schema in load_all().items():
        Draft7Validator.check_schema(schema)
        assert schema["$id"] == f"{BASE}{name}.schema.json"


def test_every_json_output_has_a_schema_and_every_schema_is_used():
    def with_json(parser, path=()):
        for action in parser._actions:
            if "--json" in action.option_strings:
                yield path
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from with_json(sub, (*path, name))

    commands = set(with_json(build_parser()))
    assert commands == set(OUTPUTS), "a --json output without a schema, or a stale entry"
    used = {s for names in OUTPUTS.values() for s in names}
    used |= {"crash-report", "alert", "hook-alert"}  # parse and incidents; postmortem; hooks
    assert used == set(load_all())


def test_version_numbers_are_the_codes():
    schemas = load_all()
    assert schemas["check"]["properties"]["schema"]["const"] == CHECK_SCHEMA
    assert schemas["parse"]["properties"]["schema"]["const"] == PARSE_SCHEMA


def test_report_kinds_are_the_models():
    kinds = load_all()["crash-report"]["properties"]["kind"]["enum"]
    assert kinds == list(REPORT_KINDS)


def test_alert_types_are_the_registry():
    alert = load_all()["alert"]
    assert alert["properties"]["type"]["enum"] == [t.name for t in ALERT_TYPES]


def test_every_object_with_properties_is_typed():
    # tests/json_schemas.py closes `"type": "object"` descriptions; an untyped one would
    # escape the check that every field written is described.
    def walk(node, where):
        if isinstance(node, dict):
            if "properties" in node and where[-1:] not in (("if",), ("then",), ("else",)):
                assert node.get("type") == "object", "/".join(where)
            for key, value in node.items():
                walk(value, (*where, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, (*where, str(i)))

    for name, schema in load_all().items():
        walk(schema, (name,))


@pytest.mark.parametrize("scenario", sorted(p.name for p in FIXTURE_ROOTS.iterdir() if p.is_dir()))
def test_check(scenario):
    proc = kcrashd("check", "--json", "--root", str(FIXTURE_ROOTS / scenario))
    doc = json_of(proc)
    validate("check", doc)
    assert doc["exit_code"] == proc.returncode


def test_check_with_a_broken_check(tmp_path):
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/panic").write_text("garbage\n")
    doc = json_of(kcrashd("check", "--json", "--root", str(tmp_path)))
    assert "ERROR" in {r["status"] for r in doc["results"]}
    validate("check", doc)


def test_parse_every_log_and_a_file_that_is_not_there(tmp_path):
    logs = sorted(str(p) for p in LOGS.rglob("*.txt"))
    proc = kcrashd("parse", "--json", *logs, str(tmp_path / "missing.log"))
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == len(logs) + 1
    kinds = {r["kind"] for doc in lines for r in doc["reports"]}
    assert len(kinds) >= 10, kinds  # real reports of many kinds
    assert "error" in lines[-1] and not lines[-1]["reports"]
    for doc in lines:
        validate("parse", doc)
    stdin = kcrashd("parse", "--json", "-", stdin=(LOGS / "synthetic" / "oom_kill.txt").read_text())
    validate("parse", json_of(stdin))


def test_status(host, tmp_path):
    doc = json_of(kcrashd("status", "--json", "--state-dir", str(host["state"])))
    assert doc["records_read"] > 0 and doc["jobs"] and doc["last_alert"]
    validate("status", doc)
    never = json_of(kcrashd("status", "--json", "--state-dir", str(tmp_path)))
    assert never["running"] is False and never["error"]
    validate("status", never)


def test_incidents(host, tmp_path):
    state = ["--state-dir", str(host["state"])]
    listed = json_of(kcrashd("incidents", "list", "--json", *state))
    validate("incidents-list", listed)
    (incident,) = listed["incidents"]
    assert {"pstore", "kdump", "journal"} <= set(incident["sources"])
    shown = json_of(kcrashd("incidents", "show", incident["incident_id"], "--json", *state))
    assert shown["incident"]["report"]["frames"] and shown["facts"]["alerts"]
    validate("incidents-show", shown)
    empty = json_of(kcrashd("incidents", "--json", "--state-dir", str(tmp_path)))
    validate("incidents-list", empty)


def test_fleet_over_the_journal_the_daemon_wrote(host):
    # The daemon's run sent its previous_boot_crashed alert into the real journald: the
    # fleet view of this host's own journal groups it.
    doc = json_of(kcrashd("fleet", "--json"))
    validate("fleet", doc)
    assert doc["entries"]["used"] >= 1 and doc["crashes"], doc["entries"]
    assert all(c["hosts"] >= 1 and c["signature"] for c in doc["crashes"])


def test_snapshots(host):
    base = ["--config", str(host["config"]), "snapshot", "--state-dir", str(host["state"])]
    taken = json_of(kcrashd(*base, "--root", str(LOW_MEMORY), "take", "--json"))
    assert taken["ok"] and taken["missing"]
    validate("snapshot-take", taken)
    listed = json_of(kcrashd(*base, "list", "--json"))
    # the daemon's snapshot (memory_raised) and this one
    assert len(listed["snapshots"]) >= 2
    validate("snapshot-list", listed)
    for snap in listed["snapshots"]:
        shown = json_of(kcrashd(*base, "show", snap["id"], "--json"))
        assert shown["items"]
        validate("snapshot-show", shown)


def test_postmortem_with_alerts_sent(host, tmp_path):
    info = roots.two_boots(tmp_path / "journal", "panic")
    roots.rhel_dump(tmp_path / "root", info["crash_time"])
    doc = json_of(
        kcrashd(
            "--config", str(host["config"]), "postmortem", "--json",
            "--root", str(tmp_path / "root"), "--journal-dir", str(tmp_path / "journal"),
            "--state-dir", str(tmp_path / "state"), "--current-boot", info["current"], "--send",
        )
    )  # fmt: skip
    assert doc["incidents"] and doc["artifacts"] and doc["sent"]
    validate("postmortem", doc)


def test_hook_input_from_the_daemon(host):
    """What the daemon handed its hooks, as the shipped example hook logged it."""
    log = (host["tmp"] / "logs" / "alerts.log").read_text().splitlines()
    docs: List[dict] = [json.loads(line.split("\t", 1)[1]) for line in log]
    types = {d["type"] for d in docs}
    assert {"crash_report", "previous_boot_crashed", "readiness_summary"} <= types, types
    assert "memory_raised" in types, types
    for doc in docs:
        validate("hook-alert", doc)
    assert len({d["alert_id"] for d in docs}) == len(docs)


def test_the_schema_readme_example_runs_with_the_distributions_jsonschema(host, tmp_path):
    """doc/schemas/README.md shows validation with python3-jsonschema (Debian 12's 4.10,
    RefResolver): run it with the system python3 on a real check document."""
    readme = (SCHEMAS / "README.md").read_text()
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "kcrashd"
    ready = FIXTURE_ROOTS / "debian12-kdump-ready"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m kcrashd "$@" --root {ready}\n')
    wrapper.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:/usr/bin:/bin", PYTHONPATH=str(PROJECT))
    r = subprocess.run(
        ["/usr/bin/python3", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
