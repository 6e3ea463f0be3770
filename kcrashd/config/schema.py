"""The configuration schema: one frozen dataclass per section.

The defaults are the built-in defaults, and `metadata["doc"]` documents each option
(kcrashd.config.render writes the shipped, commented config from them). What each option
may hold (ranges, choices, paths) is the table in kcrashd.config.rules. The default config
path is kcrashd.config.DEFAULT_CONFIG_PATH (the command line needs it without the schema).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from kcrashd.config.constants import DEFAULT_STATE_DIRECTORY

# alerts.reminder: the interval each choice names (None: never remind)
REMINDER_SECONDS: Dict[str, Optional[float]] = {
    "never": None,
    "hourly": 3600.0,
    "daily": 86400.0,
    "weekly": 7 * 86400.0,
}


def opt(default: Any, doc: str, **kw: Any) -> Any:
    """A config option: its default and the comment that documents it."""
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"doc": doc, **kw})
    return field(default=default, metadata={"doc": doc, **kw})


# --- sections ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalConfig:
    source: str = opt(
        "auto",
        "Where kernel messages come from: auto (the journal, else /dev/kmsg), journal, kmsg.",
    )
    directory: Optional[str] = opt(
        None, "Read journal files from this directory instead of the system journal."
    )
    report_gap_seconds: float = opt(
        5.0, "A crash report still open after this many quiet seconds is complete."
    )
    end_grace_seconds: float = opt(
        0.2,
        "A crash report with no end marker (I/O error, machine check, hung task, RCU stall)"
        " is complete after this many seconds with no kernel line; one with an end marker"
        " is sent at it.",
    )
    max_report_lines: int = opt(
        500, "A crash report is cut after this many lines (the rest is counted)."
    )


@dataclass(frozen=True)
class AlertsConfig:
    storm_window_seconds: float = opt(
        300.0,
        "Repeats of one crash signature within this window are counted, not alerted.",
    )
    storm_summary_every: int = opt(
        100,
        "While a signature repeats, send one repeat summary every this many repeats.",
    )
    reminder: str = opt(
        "daily",
        "Remind of a CRIT readiness finding or raised warning sign nobody fixed, at most"
        " this often (like smartd -M): never, hourly, daily, weekly.",
    )


@dataclass(frozen=True)
class HooksConfig:
    directory: str = opt(
        "/etc/kcrashd/hooks.d",
        "Executables run on each alert, without a shell, the alert as JSON on stdin.",
    )
    timeout_seconds: float = opt(10.0, "A hook still running after this is killed.")


@dataclass(frozen=True)
class StateConfig:
    directory: str = opt(
        DEFAULT_STATE_DIRECTORY, "State directory: state.db (SQLite) and snapshots/."
    )
    retention_days: float = opt(
        180.0,
        "Alerts, crash report counts and handled post-mortem artifacts older than this are"
        " deleted from state.db (the current boot's and owed alerts are kept; incidents are"
        " kept).",
    )


@dataclass(frozen=True)
class ChecksConfig:
    interval_hours: float = opt(
        6.0,
        "The daemon runs the readiness checks at start and again this often"
        " (0: at start only, never again).",
    )
    skip: List[str] = opt([], "Check IDs not to run (see 'kcrashd check --json' for IDs).")
    severity: Dict[str, str] = opt(
        {},
        "Per check ID, the status to report instead of WARN or CRIT "
        "(for example panic_on_oops: INFO on a desktop).",
    )


@dataclass(frozen=True)
class WatcherConfig:
    """Settings every watcher shares."""

    enabled: bool = opt(True, "Run this watcher.")
    interval_seconds: float = opt(30.0, "Seconds between samples.")
    for_samples: int = opt(2, "A level must hold for this many samples in a row before it alerts.")


@dataclass(frozen=True)
class MemoryWatcherConfig(WatcherConfig):
    available_warn_percent: float = opt(10.0, "WARN when MemAvailable is below this % of MemTotal.")
    available_crit_percent: float = opt(5.0, "CRIT when MemAvailable is below this % of MemTotal.")
    swap_warn_percent: float = opt(80.0, "WARN when swap use is above this %.")
    swap_crit_percent: float = opt(95.0, "CRIT when swap use is above this %.")
    psi_some_avg10_warn: float = opt(
        20.0, "WARN when PSI memory some avg10 (or avg60) is at or above this."
    )
    psi_full_avg10_crit: float = opt(
        10.0, "CRIT when PSI memory full avg10 (or avg60) is at or above this."
    )
    hysteresis_percent: float = opt(
        2.0, "A raised level clears only this many points past its threshold."
    )


@dataclass(frozen=True)
class FdWatcherConfig(WatcherConfig):
    system_warn_percent: float = opt(
        80.0, "WARN when allocated file handles pass this % of file-max."
    )
    system_crit_percent: float = opt(
        95.0, "CRIT when allocated file handles pass this % of file-max."
    )
    process_warn_percent: float = opt(80.0, "WARN when a process uses this % of its RLIMIT_NOFILE.")
    process_crit_percent: float = opt(95.0, "CRIT when a process uses this % of its RLIMIT_NOFILE.")
    hysteresis_percent: float = opt(
        2.0, "A raised level clears only this many points past its threshold."
    )


@dataclass(frozen=True)
class ThermalWatcherConfig(WatcherConfig):
    warn_margin_celsius: float = opt(
        10.0, "WARN within this many degrees of a critical trip point."
    )
    crit_margin_celsius: float = opt(3.0, "CRIT within this many degrees of a critical trip point.")
    hysteresis_celsius: float = opt(2.0, "A raised level clears only this many degrees lower.")


@dataclass(frozen=True)
class DiskWatcherConfig(WatcherConfig):
    interval_seconds: float = opt(3600.0, "Seconds between SMART samples.")
    for_samples: int = opt(1, "SMART problems alert on the first sample.")
    smartctl_timeout_seconds: float = opt(30.0, "A smartctl call running longer is killed.")
    nvme_percentage_used_warn: float = opt(90.0, "WARN when an NVMe drive's wear passes this %.")


@dataclass(frozen=True)
class EdacWatcherConfig(WatcherConfig):
    interval_seconds: float = opt(60.0, "Seconds between samples.")
    for_samples: int = opt(1, "Memory errors alert on the first sample.")
    corrected_warn_per_interval: int = opt(
        10, "WARN when corrected errors grow by this many in one interval."
    )


@dataclass(frozen=True)
class KernelCountersWatcherConfig(WatcherConfig):
    for_samples: int = opt(1, "Counter changes alert on the first sample.")


@dataclass(frozen=True)
class WatchersConfig:
    memory: MemoryWatcherConfig = field(default_factory=MemoryWatcherConfig)
    fd: FdWatcherConfig = field(default_factory=FdWatcherConfig)
    thermal: ThermalWatcherConfig = field(default_factory=ThermalWatcherConfig)
    disk: DiskWatcherConfig = field(default_factory=DiskWatcherConfig)
    edac: EdacWatcherConfig = field(default_factory=EdacWatcherConfig)
    kernel_counters: KernelCountersWatcherConfig = field(
        default_factory=KernelCountersWatcherConfig
    )


@dataclass(frozen=True)
class SnapshotsConfig:
    enabled: bool = opt(True, "Take pre-crash snapshots on warning signs and kernel reports.")
    time_budget_seconds: float = opt(2.0, "A snapshot stops collecting after this long.")
    max_item_bytes: int = opt(262144, "Each snapshot item is cut at this size.")
    keep_count: int = opt(50, "Keep at most this many snapshots.")
    keep_days: float = opt(30.0, "Delete snapshots older than this.")
    max_total_bytes: int = opt(52428800, "Delete the oldest snapshots beyond this total size.")
    min_interval_seconds: float = opt(
        60.0, "Automatic snapshots are taken at most this often (manual ones always)."
    )
    pmsg_breadcrumb: bool = opt(
        True,
        "Write a one-line breadcrumb for every alert and snapshot to /dev/pmsg0 (pstore: kept"
        " across a reset) when it exists.",
    )


@dataclass(frozen=True)
class PostmortemConfig:
    enabled: bool = opt(True, "At start, look for what the previous boot left behind.")
    pstore_directory: str = opt("/sys/fs/pstore", "Where pstore is mounted.")
    systemd_pstore_directory: str = opt(
        "/var/lib/systemd/pstore", "Where systemd-pstore archives pstore records."
    )
    kdump_directories: List[str] = opt(["/var/crash"], "Where kdump-tools / kdumpctl write dumps.")
    delete_pstore_after_store: bool = opt(
        False, "Delete pstore records once kcrashd has stored them (frees NVRAM)."
    )
    previous_boot_journal: bool = opt(True, "Read the previous boot's kernel messages.")


@dataclass(frozen=True)
class MetricsConfig:
    textfile_directory: Optional[str] = opt(
        "/var/lib/prometheus/node-exporter",
        "Write kcrashd.prom here for node_exporter's textfile collector (null: off).",
    )
    listen_address: Optional[str] = opt(
        None,
        "Serve /metrics on this host:port, e.g. 127.0.0.1:9866 (the unit needs a drop-in, "
        "see kcrashd(8)); null: off.",
    )
    interval_seconds: float = opt(30.0, "Seconds between metrics refreshes.")


@dataclass(frozen=True)
class Config:
    journal: JournalConfig = field(default_factory=JournalConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    hooks: HooksConfig = field(default_factory=HooksConfig)
    state: StateConfig = field(default_factory=StateConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    watchers: WatchersConfig = field(default_factory=WatchersConfig)
    snapshots: SnapshotsConfig = field(default_factory=SnapshotsConfig)
    postmortem: PostmortemConfig = field(default_factory=PostmortemConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
