"""The validation table: what every option may hold, in one place.

`RULES` maps an option's dotted key (`*` matches one section name) to its rule; the first
row that matches wins, so a specific key goes above a pattern. `ORDERED` lists the pairs of
thresholds that must not cross. kcrashd.config.load applies both after the types are
checked, so `kcrashd config check`, `kcrashd run` and a reload judge a file the same way.
The types themselves are checked by the loader: a number that is not finite (`.nan`,
`.inf`) or beyond 2**63 is refused there, whatever its row.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from kcrashd.config.constants import SEVERITY_OVERRIDES
from kcrashd.config.schema import REMINDER_SECONDS

MAX_PATH = 4096  # PATH_MAX


@dataclass(frozen=True)
class Range:
    """low <= value <= high; with `positive`, value > low."""

    low: float
    high: float = math.inf
    positive: bool = False

    def problem(self, value: Any) -> Optional[str]:
        if self.positive and value <= self.low:
            return f"must be greater than {_num(self.low)}, not {value!r}"
        if value < self.low:
            return f"must be at least {_num(self.low)}, not {value!r}"
        if value > self.high:
            return f"must be at most {_num(self.high)}, not {value!r}"
        return None


@dataclass(frozen=True)
class Choice:
    choices: Tuple[str, ...]

    def problem(self, value: Any) -> Optional[str]:
        if value not in self.choices:
            return f"must be one of {', '.join(self.choices)}, not {short(value)}"
        return None


@dataclass(frozen=True)
class Path:
    """An absolute path with no NUL byte (one path, or each of a list)."""

    def problem(self, value: Any) -> Optional[str]:
        for path in value if isinstance(value, list) else [value]:
            if path is None:
                continue
            if "\x00" in path:
                return f"path contains a NUL byte: {short(path)}"
            if not path.startswith("/"):
                return f"must be an absolute path, not {short(path)}"
            if len(path) > MAX_PATH:
                return f"path longer than {MAX_PATH} characters"
        return None


@dataclass(frozen=True)
class ListenAddress:
    """host:port or [v6-address]:port, the port 1-65535."""

    def problem(self, value: Any) -> Optional[str]:
        if value is None:
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            return f"must be HOST:PORT with a port from 1 to 65535, not {short(value)}"
        if host.startswith("[") != host.endswith("]") or "\x00" in host:
            return f"must be HOST:PORT with a port from 1 to 65535, not {short(value)}"
        return None


@dataclass(frozen=True)
class CheckIds:
    """Readiness check ids (a list), or a mapping of check id to a severity override."""

    def problem(self, value: Any) -> Optional[str]:
        known = _check_ids()
        ids = list(value)
        unknown = [short(i, 40) for i in ids if i not in known]
        if unknown:
            listed = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            return f"unknown check id {listed} (see 'kcrashd check --json')"
        if isinstance(value, dict):
            for cid, status in value.items():
                if status.upper() not in SEVERITY_OVERRIDES:
                    return (
                        f"{cid}: must be one of {', '.join(SEVERITY_OVERRIDES)},"
                        f" not {short(status)}"
                    )
        return None


PERCENT = Range(0, 100)
SECONDS = Range(0, 365 * 86400)
TIMEOUT = Range(0, 3600, positive=True)
COUNT = Range(1, 1_000_000)
BYTES = Range(0, 2**50)

RULES: Tuple[Tuple[str, Any], ...] = (
    ("journal.source", Choice(("auto", "journal", "kmsg"))),
    ("journal.directory", Path()),
    ("journal.report_gap_seconds", Range(0.1, 3600)),
    ("journal.end_grace_seconds", Range(0, 60)),
    ("journal.max_report_lines", Range(20, 100_000)),
    ("alerts.storm_window_seconds", SECONDS),
    ("alerts.storm_summary_every", COUNT),
    ("alerts.reminder", Choice(tuple(REMINDER_SECONDS))),
    ("hooks.directory", Path()),
    ("hooks.timeout_seconds", Range(0.1, 3600)),
    ("state.directory", Path()),
    ("state.retention_days", Range(1, 36500)),
    ("checks.interval_hours", Range(0, 8760)),
    ("checks.skip", CheckIds()),
    ("checks.severity", CheckIds()),
    ("watchers.disk.interval_seconds", Range(60, 365 * 86400)),
    ("watchers.disk.smartctl_timeout_seconds", TIMEOUT),
    ("watchers.disk.nvme_percentage_used_warn", Range(0, 255)),
    ("watchers.edac.corrected_warn_per_interval", COUNT),
    ("watchers.thermal.*_celsius", Range(0, 200)),
    ("watchers.*.interval_seconds", Range(1, 365 * 86400)),
    ("watchers.*.for_samples", Range(1, 10_000)),
    ("watchers.*_percent", PERCENT),
    ("watchers.memory.psi_*", PERCENT),
    ("snapshots.time_budget_seconds", Range(0.1, 3600)),
    ("snapshots.max_item_bytes", Range(1024, 2**30)),
    ("snapshots.keep_count", COUNT),
    ("snapshots.keep_days", Range(0, 36500)),
    ("snapshots.max_total_bytes", BYTES),
    ("snapshots.min_interval_seconds", SECONDS),
    ("postmortem.*_directory", Path()),
    ("postmortem.kdump_directories", Path()),
    ("metrics.textfile_directory", Path()),
    ("metrics.listen_address", ListenAddress()),
    ("metrics.interval_seconds", Range(1, 86400)),
)

# (section, lower, higher): section.lower must not be above section.higher.
ORDERED: Tuple[Tuple[str, str, str], ...] = (
    ("watchers.memory", "available_crit_percent", "available_warn_percent"),
    ("watchers.memory", "swap_warn_percent", "swap_crit_percent"),
    ("watchers.fd", "system_warn_percent", "system_crit_percent"),
    ("watchers.fd", "process_warn_percent", "process_crit_percent"),
    ("watchers.thermal", "crit_margin_celsius", "warn_margin_celsius"),
)


def rule_for(key: str) -> Optional[Any]:
    """The table's rule for a dotted option key (None: its type says all)."""
    for pattern, rule in RULES:
        if fnmatch.fnmatchcase(key, pattern):
            return rule
    return None


def value_problem(key: str, value: Any) -> Optional[str]:
    """What is wrong with a value already of the option's type (None: nothing)."""
    rule = rule_for(key)
    if rule is None or value is None:
        return None
    return rule.problem(value)


def order_problems(values: Dict[str, Any]) -> List[Tuple[str, str]]:
    """(key, problem) for each ORDERED pair that crosses; `values` maps dotted keys to the
    effective values (defaults included)."""
    out = []
    for section, lower, higher in ORDERED:
        low, high = values.get(f"{section}.{lower}"), values.get(f"{section}.{higher}")
        if low is not None and high is not None and low > high:
            out.append((f"{section}.{lower}", f"must not be above {section}.{higher} ({high})"))
    return out


def _check_ids() -> Sequence[str]:
    # Imported when a config names check ids: the registry imports every check module.
    from kcrashd.checks.registry import BY_ID

    return BY_ID


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def short(value: Any, limit: int = 60) -> str:
    """repr(value), cut: a message stays one short line whatever a file holds."""
    text = repr(value) if not isinstance(value, (list, dict)) or len(value) < 50 else ""
    if not text:
        return f"a {type(value).__name__} of {len(value)} items"
    return text if len(text) <= limit else text[:limit] + "..."


def short_key(key: str, limit: int = 120) -> str:
    return key if len(key) <= limit else key[:limit] + "..."
