"""The explicit registry of watchers. Each module has NAME, CONFIG (its section under
`watchers:`), sample(root, runner, cfg, baseline, memory) -> Sample (reads),
evaluate(sample, cfg, raised) -> List[Signal] (pure), and optionally details(root, sample,
signals) -> Dict[str, str] (extra alert fields, read only when a level is raised)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Tuple

WATCHER_MODULES: Tuple[str, ...] = (
    "kcrashd.watchers.memory",
    "kcrashd.watchers.fd",
    "kcrashd.watchers.thermal",
    "kcrashd.watchers.disks",
    "kcrashd.watchers.edac",
    "kcrashd.watchers.kernel_counters",
)


def watchers() -> Tuple[ModuleType, ...]:
    return tuple(importlib.import_module(m) for m in WATCHER_MODULES)
