"""Memory errors: EDAC corrected and uncorrected counts per memory controller, as deltas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from kcrashd.host import edac
from kcrashd.host.root import Root
from kcrashd.model import Level, Signal
from kcrashd.watchers.levels import NO_RAISED

NAME = "edac"
CONFIG = "edac"


@dataclass(frozen=True)
class Sample:
    controllers: Tuple[edac.Controller, ...]
    # (ce delta, ue delta) per controller; None for a controller first seen now
    deltas: Dict[str, Optional[Tuple[int, int]]] = field(default_factory=dict)
    baseline: Dict[str, int] = field(default_factory=dict)

    @property
    def values(self) -> Dict[str, float]:
        out: Dict[str, float] = {}
        for c in self.controllers:
            out[f"{c.name}_ce"] = float(c.ce)
            out[f"{c.name}_ue"] = float(c.ue)
        return out


def sample(
    root: Root, runner: Any, cfg: Any, baseline: Mapping[str, int], memory: Any = None
) -> Sample:
    controllers = tuple(edac.read_controllers(root))
    deltas: Dict[str, Optional[Tuple[int, int]]] = {}
    new: Dict[str, int] = {}
    for c in controllers:
        new[f"{c.name}.ce"], new[f"{c.name}.ue"] = c.ce, c.ue
        if f"{c.name}.ce" in baseline:
            # A counter that went down was reset (reset_counters): count from zero.
            prev_ce, prev_ue = baseline[f"{c.name}.ce"], baseline.get(f"{c.name}.ue", 0)
            deltas[c.name] = (
                c.ce - prev_ce if c.ce >= prev_ce else c.ce,
                c.ue - prev_ue if c.ue >= prev_ue else c.ue,
            )
        else:
            deltas[c.name] = None
    return Sample(controllers, deltas, new)


def evaluate(s: Sample, cfg: Any, raised: Mapping[str, Level] = NO_RAISED) -> List[Signal]:
    out = []
    for c in s.controllers:
        delta = s.deltas.get(c.name)
        dimms = ", ".join(f"{label} CE {ce} UE {ue}" for label, ce, ue in c.modules if ce or ue)
        where = f" ({dimms})" if dimms else ""
        if delta is None:
            # First sight: only uncorrected errors already counted are worth an alert.
            level = Level.CRIT if c.ue > 0 else Level.OK
            msg = f"{c.name} ({c.mc_name}): {c.ue} uncorrected, {c.ce} corrected errors{where}"
            out.append(Signal(NAME, c.name, level, float(c.ue), 1.0, msg))
            continue
        ce, ue = delta
        if ue > 0:
            level, value, thr = Level.CRIT, ue, 1
        elif ce >= cfg.corrected_warn_per_interval:
            level, value, thr = Level.WARN, ce, cfg.corrected_warn_per_interval
        else:
            level, value, thr = Level.OK, ce, cfg.corrected_warn_per_interval
        msg = (
            f"{c.name} ({c.mc_name}): +{ue} uncorrected, +{ce} corrected memory errors"
            f" since the previous sample (totals UE {c.ue}, CE {c.ce}){where}"
        )
        out.append(Signal(NAME, c.name, level, float(value), float(thr), msg))
    return out
