"""Configuration: the typed schema (schema.py), loading and validating YAML files into it
(load.py), and rendering it back as the shipped, commented YAML (render.py).

The names below are the package's public face: `from kcrashd import config; config.load()`.
Imports nothing of kcrashd outside this package; PyYAML only when a file is loaded.
"""

from kcrashd.config.load import ConfigError, build, config_files, from_dict, load
from kcrashd.config.render import render_yaml, to_dict
from kcrashd.config.schema import (
    DEFAULT_CONFIG_PATH,
    AlertsConfig,
    ChecksConfig,
    Config,
    DiskWatcherConfig,
    EdacWatcherConfig,
    FdWatcherConfig,
    HooksConfig,
    JournalConfig,
    KernelCountersWatcherConfig,
    MemoryWatcherConfig,
    MetricsConfig,
    PostmortemConfig,
    SnapshotsConfig,
    StateConfig,
    ThermalWatcherConfig,
    WatcherConfig,
    WatchersConfig,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "AlertsConfig",
    "ChecksConfig",
    "Config",
    "ConfigError",
    "DiskWatcherConfig",
    "EdacWatcherConfig",
    "FdWatcherConfig",
    "HooksConfig",
    "JournalConfig",
    "KernelCountersWatcherConfig",
    "MemoryWatcherConfig",
    "MetricsConfig",
    "PostmortemConfig",
    "SnapshotsConfig",
    "StateConfig",
    "ThermalWatcherConfig",
    "WatcherConfig",
    "WatchersConfig",
    "build",
    "config_files",
    "from_dict",
    "load",
    "render_yaml",
    "to_dict",
]
