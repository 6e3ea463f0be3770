"""What a `kcrashd check` run imports: only what it uses (monitoring runs it every minute on
every host; benchmarks/bench_check.py measures the time). Counted in sys.modules of a fresh
interpreter, not timed: a module that comes back on the check path fails here."""

from __future__ import annotations

import argparse
import json

import pytest

from kcrashd import cli
from kcrashd.checks import engine
from kcrashd.checks.context import HostView
from kcrashd.checks.registry import BY_ID
from kcrashd.cli import COMMANDS, build_parser
from kcrashd.config import Config, from_dict
from kcrashd.host.root import Root
from kcrashd.host.runner import CommandRunner
from tests.conftest import PROJECT
from tests.helpers import run_python

SHIPPED = PROJECT / "etc" / "kcrashd" / "kcrashd.yaml"
ROOT = PROJECT / "tests" / "fixtures" / "roots" / "debian12-direct-boot"  # debug_vmlinux WARN

# Never needed by a check run, whatever the config.
NEVER = (
    "sqlite3",
    "kcrashd.model_events",
    "kcrashd.store",
    "kcrashd.alerts",
    "kcrashd.sources",
    "kcrashd.daemon",
    "kcrashd.parse.assembler",
    "kcrashd.parse.text",
    *(f"kcrashd.cli.{module}" for name, module, _ in COMMANDS if name != "check"),
)
# Needed only when the configuration is not the built-in defaults as shipped (-v: logging).
ONLY_FOR_A_CONFIG = ("yaml", "kcrashd.config.schema", "kcrashd.config.rules", "logging")

RUN_CHECK = """
import contextlib, io, sys
from kcrashd.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
modules = sorted(sys.modules)
import json
print(json.dumps({"code": code, "out": out.getvalue(), "modules": modules}))
"""


def check_run(*argv: str) -> dict:
    proc = run_python(RUN_CHECK, *argv)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def loaded(run: dict, names) -> list:
    """The names in `names` imported by the run (a package counts by any of its modules)."""
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in run["modules"])]


@pytest.mark.parametrize("extra", [(), ("--json",), ("--nagios",)])
def test_check_on_the_shipped_config_imports_no_yaml_schema_or_logging(tmp_path, extra):
    config = tmp_path / "kcrashd.yaml"
    config.write_bytes(SHIPPED.read_bytes())
    run = check_run("--config", str(config), "check", "--root", str(ROOT), *extra)
    assert run["code"] in (0, 1, 2)
    assert loaded(run, NEVER + ONLY_FOR_A_CONFIG) == []
    assert loaded(run, ("json",)) == (["json"] if "--json" in extra else [])


def test_check_with_an_empty_config_imports_no_yaml_schema_or_logging():
    run = check_run("--config", "/dev/null", "check", "--root", str(ROOT))
    assert loaded(run, NEVER + ONLY_FOR_A_CONFIG) == []


def test_an_edited_config_is_loaded_and_applied(tmp_path):
    # One option changed from the shipped file: YAML and the schema are needed, and used.
    config = tmp_path / "kcrashd.yaml"
    config.write_text(SHIPPED.read_text().replace("  skip: []", "  skip: [kfence]"))
    run = check_run("--config", str(config), "-v", "check", "--root", str(ROOT), "--json")
    assert loaded(run, ONLY_FOR_A_CONFIG) == list(ONLY_FOR_A_CONFIG)
    assert loaded(run, NEVER) == []
    results = {r["id"]: r for r in json.loads(run["out"])["results"]}
    assert results["kfence"]["status"] == "SKIP"


def test_a_drop_in_beside_the_shipped_file_is_applied(tmp_path):
    config = tmp_path / "kcrashd.yaml"
    config.write_bytes(SHIPPED.read_bytes())
    (tmp_path / "conf.d").mkdir()
    drop_in = "checks:\n  severity: {debug_vmlinux: CRIT}\n"
    (tmp_path / "conf.d" / "50-site.yaml").write_text(drop_in)
    run = check_run("--config", str(config), "check", "--root", str(ROOT), "--json")
    assert loaded(run, ("yaml", "kcrashd.config.rules")) == ["yaml", "kcrashd.config.rules"]
    results = {r["id"]: r for r in json.loads(run["out"])["results"]}
    assert results["debug_vmlinux"]["status"] == "CRIT"
    assert "(policy: WARN reported as CRIT)" in results["debug_vmlinux"]["summary"]


def test_the_defaults_read_without_the_schema_are_the_schemas(tmp_path):
    root, runner = Root(str(ROOT)), CommandRunner()
    without, built = HostView(root, runner, None), HostView(root, runner, Config())
    assert list(without.skip) == built.skip == []
    assert dict(without.severity) == built.severity == {}
    assert without.state_directory == built.state_directory == Config().state.directory
    # dump_space reads the free space of the disk the checkout is on: it moves between runs
    ids = [i for i in BY_ID if i != "dump_space"]
    assert engine.run_checks_on(without, ids) == engine.run_checks_on(built, ids)


def test_policy_from_a_config_reaches_the_results():
    config = from_dict({"checks": {"skip": ["kfence"], "severity": {"debug_vmlinux": "info"}}})
    host = HostView(Root(str(ROOT)), CommandRunner(), config)
    assert host.skip == ["kfence"]
    results = {r.check_id: r for r in engine.run_checks_on(host)}
    assert results["kfence"].status.value == "SKIP"
    assert results["debug_vmlinux"].status.value == "INFO"
    assert "(policy: WARN reported as INFO)" in results["debug_vmlinux"].summary


def test_the_lazy_command_line_is_the_whole_one():
    # main() adds a subcommand's arguments when it parses; help generators get them all.
    whole, lazy = build_parser(), build_parser(lazy=True)
    assert lazy.format_help() == whole.format_help()
    for name, _module, _help in COMMANDS:
        sub_whole, sub_lazy = (subparsers(p)[name] for p in (whole, lazy))
        sub_lazy.add_command_arguments()
        assert sub_lazy.format_help() == sub_whole.format_help()
        assert sub_lazy.usage_status == sub_whole.usage_status
    assert subparsers(whole)["check"].usage_status == 3


def subparsers(parser) -> dict:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


@pytest.mark.parametrize(
    "argv, command",
    [
        (["check", "--json"], "check"),
        (["--config", "check", "status"], "status"),  # a config file named "check"
        (["--config=/etc/k.yaml", "-v", "check", "--only", "kfence"], "check"),
        (["-v", "parse", "--", "check"], "parse"),
    ],
)
def test_a_command_parsed_by_its_parser_alone_as_by_the_whole(argv, command):
    assert cli._command_named(argv) == command
    alone = cli.parse_args(build_parser(lazy=True, only=command), argv)
    whole = cli.parse_args(build_parser(lazy=True), argv)
    assert vars(alone) == vars(whole)
    assert list(subparsers(build_parser(lazy=True, only=command))) == [command]


def test_no_command_or_an_unknown_one_makes_every_parser():
    for argv in ([], ["--version"], ["bogus"], ["--", "check"]):
        assert cli._command_named(argv) is None
