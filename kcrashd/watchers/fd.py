"""File descriptors: file-nr against file-max, and each process against its RLIMIT_NOFILE."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Tuple

from kcrashd.host import fds, procs
from kcrashd.host.root import Root
from kcrashd.model import Level, Signal
from kcrashd.watchers.levels import NO_RAISED, grade

NAME = "fd"
CONFIG = "fd"


@dataclass(frozen=True)
class Sample:
    file_nr: fds.FileNr
    processes: Tuple[procs.ProcInfo, ...]  # those whose fds and limit could be read

    @property
    def values(self) -> Dict[str, float]:
        worst = max((_percent(p) for p in self.processes), default=0.0)
        return {
            "system_percent": self.file_nr.percent,
            "allocated": float(self.file_nr.allocated),
            "max_process_percent": worst,
        }


def _percent(p: procs.ProcInfo) -> float:
    return 100.0 * (p.fds or 0) / p.fd_limit if p.fd_limit else 0.0


def process_key(p: procs.ProcInfo) -> str:
    return f"process/{p.name}[{p.pid}]"


def sample(
    root: Root, runner: Any, cfg: Any, baseline: Mapping[str, int], memory: Any = None
) -> Sample:
    ps = procs.read_processes(root, with_fds=True)
    return Sample(
        fds.read_file_nr(root),
        tuple(p for p in ps if p.fds is not None and p.fd_limit),
    )


def evaluate(s: Sample, cfg: Any, raised: Mapping[str, Level] = NO_RAISED) -> List[Signal]:
    hyst = cfg.hysteresis_percent
    nr = s.file_nr
    level, thr = grade(
        nr.percent,
        cfg.system_warn_percent,
        cfg.system_crit_percent,
        raised.get("system", Level.OK),
        hyst,
    )
    out = [
        Signal(
            NAME,
            "system",
            level,
            round(nr.percent, 2),
            thr,
            f"{nr.allocated} file handles allocated of file-max {nr.maximum} ({nr.percent:.1f}%)",
        )
    ]
    for p in s.processes:
        key = process_key(p)
        pct = _percent(p)
        level, thr = grade(
            pct,
            cfg.process_warn_percent,
            cfg.process_crit_percent,
            raised.get(key, Level.OK),
            hyst,
        )
        # Only processes near their limit (or still raised) get a signal: there are thousands.
        if level > Level.OK or key in raised:
            out.append(
                Signal(
                    NAME,
                    key,
                    level,
                    round(pct, 2),
                    thr,
                    f"{p.describe()} has {p.fds} open files of its limit {p.fd_limit} ({pct:.1f}%)",
                )
            )
    return out


def details(root: Root, s: Sample, signals: List[Signal]) -> Dict[str, str]:
    """The processes near their limit, and the biggest fd users."""
    near = [
        f"{sig.key.split('/', 1)[1]} {sig.value:.0f}%"
        for sig in signals
        if sig.key.startswith("process/") and sig.level > Level.OK
    ]
    tops = procs.top(list(s.processes), "fds", 5)
    out = {"top_fds": ", ".join(f"{p.describe()} {p.fds}/{p.fd_limit}" for p in tops)}
    if near:
        out["processes"] = ", ".join(near)
    return out
