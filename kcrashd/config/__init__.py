"""Configuration: the typed schema (schema.py), loading and validating YAML files into it
(load.py), and rendering it back as the shipped, commented YAML (render.py).

The names below are the package's public face: `from kcrashd import config; config.load()`.
The schema's and the renderer's are imported from their modules when first used (PEP 562),
so that what needs only DEFAULT_CONFIG_PATH (the command line) or load_unless_default
(`kcrashd check` on the built-in defaults) does not pay for them. Imports nothing of kcrashd
outside this package; PyYAML only when a file is loaded.
"""

from typing import Any

from kcrashd.config.constants import DEFAULT_CONFIG_PATH
from kcrashd.config.load import (
    ConfigError,
    build,
    config_files,
    from_dict,
    load,
    load_unless_default,
)

# public name -> the module of this package that defines it, imported when first used
_LAZY = {
    "render_yaml": "render",
    "to_dict": "render",
    **dict.fromkeys(
        (
            "AlertsConfig",
            "ChecksConfig",
            "Config",
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
        ),
        "schema",
    ),
}

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "ConfigError",
    "build",
    "config_files",
    "from_dict",
    "load",
    "load_unless_default",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(__import__(f"{__name__}.{module}", fromlist=[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
