"""Malformed and hostile configurations fail at `kcrashd config check`, not at 3 a.m.

Each config of the table is given to the real command line twice, in child processes with a
timeout: `kcrashd config check` must exit 1 and `kcrashd run` 78 (EX_CONFIG), both naming
the file and the key (or the file, for a problem of the whole document) in one line, with no
traceback, no hang, and a peak RSS (the child's VmHWM, tests.helpers.run_measured) under
100 MB.
The worst peak is printed (`pytest -s`) as the figure the issue asks for.
"""

from __future__ import annotations

import math
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields, is_dataclass
from typing import Callable, List, NamedTuple, Optional, Tuple

import pytest

from kcrashd import config
from kcrashd.config import rules
from tests.helpers import run_measured as measured

TIMEOUT = 30
RSS_LIMIT_KB = 100 * 1024

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


class Case(NamedTuple):
    name: str
    text: Optional[str]  # YAML for kcrashd.yaml; None: `make` builds the file
    key: Optional[str]  # the key the message must name (None: a problem of the whole file)
    words: str  # what the message must say
    make: Optional[Callable] = None  # (directory) -> the path given as --config


def fifo(d):
    os.mkfifo(d / "kcrashd.yaml")
    return d / "kcrashd.yaml"


def directory(d):
    (d / "kcrashd.yaml").mkdir()
    return d / "kcrashd.yaml"


def missing(d):
    return d / "kcrashd.yaml"


def device(d):
    return "/dev/zero"


def fifo_drop_in(d):
    (d / "conf.d").mkdir()
    os.mkfifo(d / "conf.d" / "10-local.yaml")
    (d / "kcrashd.yaml").write_text("alerts:\n  storm_summary_every: 5\n")
    return d / "kcrashd.yaml"


def oversized(d):
    (d / "kcrashd.yaml").write_text("# padding\n" * 200_000)
    return d / "kcrashd.yaml"


def not_utf8(d):
    (d / "kcrashd.yaml").write_bytes(b"alerts:\n  reminder: \xff\xfe\n")
    return d / "kcrashd.yaml"


def wide_key(d):
    (d / "kcrashd.yaml").write_text("? " + "k" * 500_000 + "\n: 1\n")  # an explicit key
    return d / "kcrashd.yaml"


CASES = [
    Case(
        "nan",
        "watchers:\n  memory:\n    swap_warn_percent: .nan\n",
        "watchers.memory.swap_warn_percent",
        "finite",
    ),
    Case("inf", "journal:\n  report_gap_seconds: .inf\n", "journal.report_gap_seconds", "finite"),
    Case("minus inf", "snapshots:\n  keep_days: -.inf\n", "snapshots.keep_days", "finite"),
    Case(
        "1e400",
        "alerts:\n  storm_window_seconds: 1.0e+400\n",
        "alerts.storm_window_seconds",
        "finite",
    ),
    Case("recursive alias", "a: &a [*a]\n", "a", "aliases"),
    Case("billion laughs", LAUGHS, "b", "aliases"),
    Case("merge key alias", "base: &b {x: 1}\nalerts:\n  <<: *b\n", "alerts", "aliases"),
    Case("10,000 deep", "a: " + "[" * 10_000 + "]" * 10_000 + "\n", "a.0.0", "nested deeper"),
    Case(
        "10,000 deep mapping",
        "a:" + " {a:" * 10_000 + " 1" + "}" * 10_000 + "\n",
        "a.a.a",
        "nested deeper",
    ),
    Case("FIFO as the config", None, None, "not a regular file (a FIFO)", fifo),
    Case("directory as the config", None, None, "not a regular file (a directory)", directory),
    Case("device as the config", None, None, "not a regular file (a character device)", device),
    Case("FIFO as a drop-in", None, None, "not a regular file (a FIFO)", fifo_drop_in),
    Case("missing --config", None, None, "does not exist", missing),
    Case("2 MB document", None, None, "larger than 1048576 bytes", oversized),
    Case("not UTF-8", None, None, "not UTF-8", not_utf8),
    Case("500,000-char key", None, None, "unknown key", wide_key),
    Case(
        "port 99999",
        "metrics:\n  listen_address: 127.0.0.1:99999\n",
        "metrics.listen_address",
        "port from 1 to 65535",
    ),
    Case(
        "port 0",
        "metrics:\n  listen_address: 127.0.0.1:0\n",
        "metrics.listen_address",
        "port from 1 to 65535",
    ),
    Case(
        "no port", "metrics:\n  listen_address: localhost\n", "metrics.listen_address", "HOST:PORT"
    ),
    Case(
        "v6 port 65536",
        "metrics:\n  listen_address: '[::1]:65536'\n",
        "metrics.listen_address",
        "port from 1 to 65535",
    ),
    Case(
        "unknown severity",
        "checks:\n  severity:\n    kfence: LOUD\n",
        "checks.severity",
        "must be one of OK, INFO, WARN, CRIT, SKIP",
    ),
    Case(
        "unknown check id in skip",
        "checks:\n  skip: [kdump_loadd]\n",
        "checks.skip",
        "unknown check id 'kdump_loadd'",
    ),
    Case(
        "unknown check id in severity",
        "checks:\n  severity:\n    nope: INFO\n",
        "checks.severity",
        "unknown check id 'nope'",
    ),
    Case(
        "smartctl timeout 0",
        "watchers:\n  disk:\n    smartctl_timeout_seconds: 0\n",
        "watchers.disk.smartctl_timeout_seconds",
        "greater than 0",
    ),
    Case(
        "hook timeout 0", "hooks:\n  timeout_seconds: 0\n", "hooks.timeout_seconds", "at least 0.1"
    ),
    Case(
        "negative size",
        "snapshots:\n  max_total_bytes: -1\n",
        "snapshots.max_total_bytes",
        "at least 0",
    ),
    Case(
        "negative keep_days", "snapshots:\n  keep_days: -3\n", "snapshots.keep_days", "at least 0"
    ),
    Case(
        "negative storm window",
        "alerts:\n  storm_window_seconds: -5\n",
        "alerts.storm_window_seconds",
        "at least 0",
    ),
    Case(
        "negative interval",
        "watchers:\n  memory:\n    interval_seconds: -30\n",
        "watchers.memory.interval_seconds",
        "at least 1",
    ),
    Case(
        "negative check interval",
        "checks:\n  interval_hours: -1\n",
        "checks.interval_hours",
        "at least 0",
    ),
    Case(
        "for_samples 0",
        "watchers:\n  fd:\n    for_samples: 0\n",
        "watchers.fd.for_samples",
        "at least 1",
    ),
    Case(
        "swap warn > crit",
        "watchers:\n  memory:\n    swap_warn_percent: 99\n",
        "watchers.memory.swap_warn_percent",
        "must not be above",
    ),
    Case(
        "available crit > warn",
        "watchers:\n  memory:\n    available_crit_percent: 50\n",
        "watchers.memory.available_crit_percent",
        "must not be above",
    ),
    Case(
        "fd warn > crit",
        "watchers:\n  fd:\n    process_crit_percent: 50\n",
        "watchers.fd.process_warn_percent",
        "must not be above",
    ),
    Case(
        "thermal crit margin > warn",
        "watchers:\n  thermal:\n    crit_margin_celsius: 20\n",
        "watchers.thermal.crit_margin_celsius",
        "must not be above",
    ),
    Case(
        "percent above 100",
        "watchers:\n  fd:\n    system_crit_percent: 150\n",
        "watchers.fd.system_crit_percent",
        "at most 100",
    ),
    Case(
        "unknown enum",
        "journal:\n  source: tape\n",
        "journal.source",
        "must be one of auto, journal, kmsg",
    ),
    Case(
        "unknown reminder",
        "alerts:\n  reminder: sometimes\n",
        "alerts.reminder",
        "must be one of never",
    ),
    Case("unknown top-level key", "bogus: 1\n", "bogus", "unknown key"),
    Case(
        "unknown nested key",
        "watchers:\n  memory:\n    swp: 1\n",
        "watchers.memory.swp",
        "unknown key",
    ),
    Case(
        "string for a number",
        "journal:\n  report_gap_seconds: soon\n",
        "journal.report_gap_seconds",
        "must be a number",
    ),
    Case(
        "bool for a number",
        "snapshots:\n  keep_count: true\n",
        "snapshots.keep_count",
        "must be a number",
    ),
    Case(
        "string for a bool", "snapshots:\n  enabled: 'yes'\n", "snapshots.enabled", "true or false"
    ),
    Case(
        "huge integer",
        "snapshots:\n  keep_count: 99999999999999999999999\n",
        "snapshots.keep_count",
        "at most",
    ),
    Case(
        "fraction for a count",
        "journal:\n  max_report_lines: 20.5\n",
        "journal.max_report_lines",
        "whole number",
    ),
    Case(
        "NUL in a path",
        'hooks:\n  directory: "/etc/kcrashd/\\0hooks"\n',
        "hooks.directory",
        "NUL byte",
    ),
    Case(
        "relative path",
        "state:\n  directory: var/lib/kcrashd\n",
        "state.directory",
        "absolute path",
    ),
    Case(
        "list of numbers for paths",
        "postmortem:\n  kdump_directories: [1, 2]\n",
        "postmortem.kdump_directories",
        "list of strings",
    ),
    Case(
        "list for a mapping",
        "checks:\n  severity: [kfence]\n",
        "checks.severity",
        "mapping of strings",
    ),
    Case("section not a mapping", "journal: 5\n", "journal", "must be a mapping"),
    Case("top level a list", "- 1\n- 2\n", None, "top level must be a mapping"),
    Case("invalid YAML", "alerts: [\n", None, "invalid YAML"),
    Case("python tag", "alerts: !!python/object/apply:os.system ['true']\n", None, "invalid YAML"),
]


class Outcome(NamedTuple):
    code: Optional[int]
    stderr: str
    maxrss_kb: int
    timed_out: bool


def run_measured(argv: List[str]) -> Outcome:
    m = measured([sys.executable, "-m", "kcrashd", *argv], TIMEOUT)
    return Outcome(
        m.returncode, m.stderr.decode(errors="replace"), m.peak_rss_kb, m.returncode is None
    )


def config_path(case: Case, directory) -> str:
    if case.make is not None:
        return str(case.make(directory))
    path = directory / "kcrashd.yaml"
    path.write_text(case.text)
    return str(path)


def expected_line(case: Case, path: str, lines: List[str]) -> Optional[str]:
    """The line naming the file (and the key), or None."""
    for line in lines:
        if case.make is fifo_drop_in:
            named = f"{os.path.dirname(path)}/conf.d/10-local.yaml: " in line
        else:
            named = f"{path}: " in line
        if named and (case.key is None or f": {case.key}" in line) and case.words in line:
            return line
    return None


def check_one(case: Case, directory) -> List[Tuple[str, str, Outcome]]:
    path = config_path(case, directory)
    state = directory / "state"
    return [
        ("config check", path, run_measured(["--config", path, "config", "check"])),
        ("run", path, run_measured(["--config", path, "run", "--state-dir", str(state)])),
    ]


def test_the_table_is_big_enough():
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


def test_every_malformed_config_fails_cleanly_in_both_commands(tmp_path):
    dirs = []
    for i in range(len(CASES)):
        d = tmp_path / f"c{i}"
        d.mkdir()
        dirs.append(d)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(check_one, CASES, dirs))
    failures = []
    worst = (0, "")
    for case, runs in zip(CASES, results):
        for command, path, outcome in runs:
            want = 1 if command == "config check" else 78
            lines = outcome.stderr.splitlines()
            problems = []
            if outcome.timed_out:
                problems.append("hung")
            if outcome.code != want:
                problems.append(f"exit {outcome.code}, not {want}")
            if "Traceback" in outcome.stderr:
                problems.append("traceback")
            if expected_line(case, path, lines) is None:
                problems.append(f"no line naming the file and {case.key!r}: {lines[:3]}")
            if any(len(line) > 400 for line in lines):
                problems.append("a line longer than 400 characters")
            if outcome.maxrss_kb > RSS_LIMIT_KB:
                problems.append(f"peak RSS {outcome.maxrss_kb} kB")
            worst = max(worst, (outcome.maxrss_kb, f"{case.name} ({command})"))
            if problems:
                failures.append(f"{case.name} / {command}: {'; '.join(problems)}")
    print(f"\n{len(CASES)} malformed configs; worst peak RSS {worst[0] / 1024:.1f} MB: {worst[1]}")
    assert not failures, "\n".join(failures)


def test_only_the_default_config_path_may_be_absent(tmp_path):
    absent = str(tmp_path / "kcrashd.yaml")
    assert config.config_files(absent) == [absent]  # --config FILE: must exist
    assert config.config_files(absent, required=False) == []  # the default: may be absent
    with pytest.raises(config.ConfigError, match="does not exist"):
        config.load(absent)


def test_dev_null_as_the_config_means_the_defaults():
    # `--config /dev/null` is the usual "no config file": a device, but empty and never blocking
    assert config.to_dict(config.load("/dev/null")) == config.to_dict(config.Config())


def _leaf_options(cls, prefix=""):
    for f in fields(cls):
        default = getattr(cls(), f.name)
        if is_dataclass(default):
            yield from _leaf_options(type(default), f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", default


def test_every_number_path_and_enum_has_a_row_in_the_table():
    uncovered = []
    for key, default in _leaf_options(config.Config):
        is_number = isinstance(default, (int, float)) and not isinstance(default, bool)
        is_text = isinstance(default, str) or key.endswith(("directory", "directories"))
        if (is_number or is_text) and rules.rule_for(key) is None:
            uncovered.append(key)
    assert not uncovered


def test_the_defaults_pass_the_table():
    cfg = config.from_dict(config.to_dict(config.Config()))
    assert cfg == config.Config()
    for key, default in _leaf_options(config.Config):
        if isinstance(default, float):
            assert math.isfinite(default)
        assert rules.value_problem(key, default) is None, key


@pytest.mark.parametrize(
    "value, problem",
    [
        ("127.0.0.1:9866", None),
        ("[::1]:9866", None),
        ("localhost:1", None),
        ("127.0.0.1:65535", None),
        ("::1:9866", None),  # rpartition: host "::1" (an unbracketed v6 address)
        ("[::1:9866", "HOST:PORT"),
        ("127.0.0.1:", "HOST:PORT"),
        (":9866", "HOST:PORT"),
        ("127.0.0.1:-1", "HOST:PORT"),
    ],
)
def test_listen_address_rule(value, problem):
    found = rules.ListenAddress().problem(value)
    assert (found is None) if problem is None else (problem in found)
