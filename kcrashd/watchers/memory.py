"""Memory: MemAvailable and swap against MemTotal, PSI memory stall, OOM kills."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from kcrashd.host import meminfo, procs, psi, vmstat
from kcrashd.host.root import Root
from kcrashd.model import Level, Signal
from kcrashd.watchers.levels import NO_RAISED, grade

NAME = "memory"
CONFIG = "memory"


@dataclass(frozen=True)
class Sample:
    memory: meminfo.Memory
    pressure: Optional[psi.Pressure]  # None: PSI unavailable
    oom_kills: int = 0  # since the previous sample
    baseline: Dict[str, int] = field(default_factory=dict)

    @property
    def values(self) -> Dict[str, float]:
        out = {"available_percent": self.memory.available_percent, "oom_kills": self.oom_kills}
        if self.memory.swap_used_percent is not None:
            out["swap_used_percent"] = self.memory.swap_used_percent
        for line in ("some", "full"):
            for window in ("avg10", "avg60"):
                v = (self.pressure or {}).get(line, {}).get(window)
                if v is not None:
                    out[f"psi_{line}_{window}"] = v
        return out


def sample(
    root: Root, runner: Any, cfg: Any, baseline: Mapping[str, int], memory: Any = None
) -> Sample:
    oom = vmstat.read_vmstat(root).get("oom_kill")
    delta = 0
    if oom is not None and "oom_kill" in baseline:
        delta = max(0, oom - baseline["oom_kill"])
    return Sample(
        meminfo.read_memory(root),
        psi.read_psi(root, "memory"),
        delta,
        {"oom_kill": oom} if oom is not None else {},
    )


def evaluate(s: Sample, cfg: Any, raised: Mapping[str, Level] = NO_RAISED) -> List[Signal]:
    hyst = cfg.hysteresis_percent
    m = s.memory
    avail = m.available_percent
    level, thr = grade(
        avail,
        cfg.available_warn_percent,
        cfg.available_crit_percent,
        raised.get("available", Level.OK),
        hyst,
        higher_is_worse=False,
    )
    note = " (estimated: no MemAvailable)" if m.available_estimated else ""
    out = [
        Signal(
            NAME,
            "available",
            level,
            round(avail, 2),
            thr,
            f"MemAvailable {m.available_kb // 1024} MiB is {avail:.1f}% of MemTotal"
            f" {m.total_kb // 1024} MiB{note}",
        )
    ]
    swap = m.swap_used_percent
    if swap is not None:
        level, thr = grade(
            swap,
            cfg.swap_warn_percent,
            cfg.swap_crit_percent,
            raised.get("swap", Level.OK),
            hyst,
        )
        out.append(Signal(NAME, "swap", level, round(swap, 2), thr, f"swap {swap:.1f}% used"))
    if s.pressure is not None:
        for line, warn, crit in (
            ("some", cfg.psi_some_avg10_warn, None),
            ("full", None, cfg.psi_full_avg10_crit),
        ):
            avgs = s.pressure.get(line, {})
            value = max(avgs.get("avg10", 0.0), avgs.get("avg60", 0.0))
            key = f"psi_{line}"
            level, thr = grade(value, warn, crit, raised.get(key, Level.OK), hyst)
            out.append(
                Signal(
                    NAME,
                    key,
                    level,
                    value,
                    thr,
                    f"memory pressure {line} avg10={avgs.get('avg10', 0.0):.2f}%"
                    f" avg60={avgs.get('avg60', 0.0):.2f}%",
                )
            )
    out.append(
        Signal(
            NAME,
            "oom_kill",
            Level.WARN if s.oom_kills > 0 else Level.OK,
            float(s.oom_kills),
            1.0,
            f"{s.oom_kills} OOM kill(s) since the previous sample",
        )
    )
    return out


def details(root: Root, s: Sample, signals: List[Signal]) -> Dict[str, str]:
    """The top memory users, named in the alert."""
    tops = procs.top(procs.read_processes(root), "rss_kb", 5)
    return {"top_memory": ", ".join(f"{p.describe()} {p.rss_kb // 1024} MiB" for p in tops)}
