"""Kernel counters: new taint bits, oops/warn counts, lockup, RCU stall and hung task counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping

from kcrashd.host import kernel_counters
from kcrashd.host.root import Root
from kcrashd.model import Level, Signal
from kcrashd.parse.taint import decode_taint_mask
from kcrashd.watchers.levels import NO_RAISED

NAME = "kernel_counters"
CONFIG = "kernel_counters"
# An increase of these means the kernel itself failed; of the others, that it complained.
CRIT_COUNTERS = ("oops", "softlockup", "hardlockup", "rcu_stall")
# Taint bits that mean something went wrong (M machine check, B bad page, D died, L lockup).
CRIT_TAINT_BITS = (4, 5, 7, 14)


@dataclass(frozen=True)
class Sample:
    counters: Dict[str, int]
    taint: int
    deltas: Dict[str, int] = field(default_factory=dict)
    new_taint: int = 0  # bits set since the first sample of this boot
    baseline: Dict[str, int] = field(default_factory=dict)

    @property
    def values(self) -> Dict[str, float]:
        out = {k: float(v) for k, v in self.counters.items()}
        out["taint"] = float(self.taint)
        return out


def sample(
    root: Root, runner: Any, cfg: Any, baseline: Mapping[str, int], memory: Any = None
) -> Sample:
    counters = kernel_counters.read_counters(root)
    taint = kernel_counters.read_taint(root)
    deltas = {k: max(0, v - baseline[k]) for k, v in counters.items() if k in baseline}
    # Taint is sticky until reboot: the first taint seen this boot is the reference.
    first_taint = baseline.get("taint0", taint)
    new = dict(counters, taint0=first_taint)
    return Sample(counters, taint, deltas, taint & ~first_taint, new)


def evaluate(s: Sample, cfg: Any, raised: Mapping[str, Level] = NO_RAISED) -> List[Signal]:
    out = []
    for name, delta in sorted(s.deltas.items()):
        level = Level.OK
        if delta > 0:
            level = Level.CRIT if name in CRIT_COUNTERS else Level.WARN
        out.append(
            Signal(
                NAME,
                name,
                level,
                float(delta),
                1.0,
                f"{name} count +{delta} since the previous sample (total {s.counters[name]})",
            )
        )
    letters = decode_taint_mask(s.new_taint)
    level = Level.OK
    if s.new_taint:
        bad = any(s.new_taint >> b & 1 for b in CRIT_TAINT_BITS)
        level = Level.CRIT if bad else Level.WARN
    text = ", ".join(f"{letter} ({meaning})" for letter, meaning in letters)
    out.append(
        Signal(
            NAME,
            "taint",
            level,
            float(s.taint),
            None,
            f"kernel newly tainted: {text} (mask {s.taint})" if text else "no new taint",
        )
    )
    return out
