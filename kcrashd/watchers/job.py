"""Daemon jobs: one per watcher, each on its own interval.

A run samples, evaluates against the levels raised so far, feeds the level tracker, and
turns its transitions into alerts: `<watcher>_raised` (taking one snapshot when a level goes
up) and `<watcher>_cleared`; notes (an unmonitorable disk ...) become one INFO alert each.
Counter baselines are kept in the state DB per boot, so a restart does not re-alert.
Latest values and success go to ctx.memory["watchers"] for metrics.
"""

from __future__ import annotations

import json
import logging
import time
from types import ModuleType
from typing import Any, Dict, List, Optional

from kcrashd.model import Alert, Level, Severity
from kcrashd.watchers.levels import LevelTracker, Transition

log = logging.getLogger(__name__)

SEVERITY = {Level.CRIT: Severity.CRIT, Level.WARN: Severity.WARNING}


def _fmt(value: Optional[float]) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def build_alert(
    watcher: str, t: Transition, snapshot_id: Optional[str], extra: Dict[str, str]
) -> Alert:
    s = t.signal
    cleared = t.kind == "cleared"
    fields = {
        "watcher": watcher,
        "key": s.key,
        "level": s.level.name,
        "previous_level": t.previous.name,
        "value": _fmt(s.value),
        "threshold": _fmt(s.threshold),
        "summary": s.message,
    }
    if snapshot_id:
        fields["snapshot"] = snapshot_id
    fields.update(extra)
    if cleared:
        summary = f"{watcher} {s.key} back to normal: {s.message}"
    else:
        summary = f"{watcher} {s.key} {s.level.name}: {s.message}"
    return Alert(
        type=f"{watcher}_{'cleared' if cleared else 'raised'}",
        severity=Severity.NOTICE if cleared else SEVERITY[s.level],
        summary=summary,
        fields=fields,
        dedup_key=f"watcher:{watcher}:{s.key}:{t.kind}:{s.level.name}:{t.since:.0f}",
    )


def note_alert(watcher: str, key: str, message: str) -> Alert:
    return Alert(
        type=f"{watcher}_raised",
        severity=Severity.INFO,
        summary=f"{watcher}: {message}",
        fields={"watcher": watcher, "key": key, "level": "INFO", "summary": message},
        dedup_key=f"watcher:{watcher}:note:{key}:{message}",
    )


def _baseline(ctx: Any, name: str, memory: Dict) -> Dict[str, int]:
    if "baseline" not in memory:
        memory["baseline"] = {}
        raw = ctx.state.get_meta(f"watcher_baseline:{name}")
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            doc = {}
        # Counters restart at boot: a baseline from another boot means nothing.
        if isinstance(doc, dict) and doc.get("boot_id") == ctx.boot_id:
            memory["baseline"] = dict(doc.get("values") or {})
    return memory["baseline"]


def _save_baseline(ctx: Any, name: str, memory: Dict, values: Dict[str, int]) -> None:
    if values == memory.get("baseline"):
        return
    memory["baseline"] = dict(values)
    doc = json.dumps({"boot_id": ctx.boot_id, "values": values}, sort_keys=True)
    ctx.state.set_meta(f"watcher_baseline:{name}", doc)


def run_watcher(module: ModuleType, ctx: Any) -> List[Alert]:
    name = module.NAME
    cfg = getattr(ctx.config.watchers, module.CONFIG)
    published = ctx.memory.setdefault("watchers", {})
    if not cfg.enabled:
        return []
    memory = ctx.memory.setdefault(f"watcher:{name}", {})
    start = time.monotonic()
    try:
        s = module.sample(ctx.root, ctx.runner, cfg, _baseline(ctx, name, memory), memory)
    except Exception:
        published[name] = {"ok": False, "values": {}, "seconds": time.monotonic() - start}
        raise  # the daemon's job boundary logs it once and sends component_failed
    if getattr(s, "baseline", None):
        _save_baseline(ctx, name, memory, s.baseline)
    tracker = LevelTracker(ctx.state, name, cfg.for_samples, memory)
    signals = module.evaluate(s, cfg, tracker.raised_levels())
    transitions = tracker.update(signals)
    ups = [t for t in transitions if t.kind == "raised"]
    snapshot_id = None
    extra: Dict[str, str] = {}
    if ups:
        worst = max(ups, key=lambda t: t.signal.level).signal
        if ctx.take_snapshot is not None:
            reason = f"{name} {worst.key} {worst.level.name}: {worst.message}"
            try:
                snapshot_id = ctx.take_snapshot(reason)
            except Exception:
                log.exception("snapshot for %s failed", name)
        if hasattr(module, "details"):
            try:
                extra = module.details(ctx.root, s, signals)
            except Exception:  # details are a bonus: never lose the alert for them
                log.warning("%s: reading alert details failed", name, exc_info=True)
    alerts = [
        build_alert(name, t, snapshot_id if t.kind == "raised" else None, extra)
        for t in transitions
        if t.kind != "lowered"
    ]
    for key, message in getattr(s, "notes", ()):
        if tracker.note(key, message):
            log.debug("%s: %s", name, message)  # the note alert says it; no second copy
            alerts.append(note_alert(name, key, message))
    published[name] = {
        "ok": True,
        "values": dict(s.values),
        "seconds": time.monotonic() - start,
    }
    return alerts


class WatcherJob:
    """The jobs.py contract for one watcher."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.name = f"watcher_{module.NAME}"

    def interval(self, config: Any) -> Optional[float]:
        cfg = getattr(config.watchers, self.module.CONFIG)
        if not cfg.enabled:
            return 0
        cap = getattr(self.module, "JOB_MAX_INTERVAL", None)
        return min(cfg.interval_seconds, cap) if cap else cfg.interval_seconds

    def run(self, ctx: Any) -> List[Alert]:
        return run_watcher(self.module, ctx)


def watcher_jobs() -> tuple:
    from kcrashd.watchers.registry import watchers

    return tuple(WatcherJob(m) for m in watchers())
