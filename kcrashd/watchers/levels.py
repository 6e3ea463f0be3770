"""Levels with hysteresis (pure) and the level tracker (for-N-samples, persisted).

`grade` is what evaluate() functions use: a value against warn/crit thresholds, where a
level already raised only clears `hysteresis` past its threshold, so a value hovering at a
threshold does not flap. `LevelTracker` turns a watcher's signals into transitions: a new
level must hold `for_samples` samples in a row; raised levels are kept in the `signals`
table so that after a restart the clear is still sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from kcrashd.model import Level, Signal


def grade(
    value: float,
    warn: Optional[float],
    crit: Optional[float],
    current: Level = Level.OK,
    hysteresis: float = 0.0,
    higher_is_worse: bool = True,
) -> Tuple[Level, Optional[float]]:
    """(level, threshold crossed) of `value`; thresholds of levels at or below `current`
    are relaxed by `hysteresis` toward healthy."""
    sign = 1.0 if higher_is_worse else -1.0
    for level, threshold in ((Level.CRIT, crit), (Level.WARN, warn)):
        if threshold is None:
            continue
        edge = threshold - sign * hysteresis if current >= level else threshold
        if sign * (value - edge) >= 0:
            return level, threshold
    return Level.OK, warn if warn is not None else crit


@dataclass(frozen=True)
class Transition:
    kind: str  # "raised", "lowered" (CRIT -> WARN), "cleared"
    signal: Signal
    previous: Level
    since: float


class LevelTracker:
    """One watcher's levels. `memory` is the job's scratch dict (pending counts)."""

    def __init__(self, state: Any, watcher: str, for_samples: int, memory: Dict) -> None:
        self.conn = state.conn
        self.state = state
        self.watcher = watcher
        self.for_samples = max(1, int(for_samples))
        self.pending: Dict[str, Tuple[Level, int]] = memory.setdefault("pending", {})

    def raised(self) -> Dict[str, Tuple[Level, float, Optional[float], str]]:
        rows = self.conn.execute(
            "SELECT key, level, since, value, message FROM signals WHERE watcher=? AND level>0",
            (self.watcher,),
        ).fetchall()
        return {r[0]: (Level(r[1]), r[2], r[3], r[4] or "") for r in rows}

    def raised_levels(self) -> Dict[str, Level]:
        return {k: v[0] for k, v in self.raised().items()}

    def update(self, signals: Sequence[Signal], now: Optional[float] = None) -> List[Transition]:
        """Feed one sample's signals; keys raised earlier and absent now count as OK."""
        now = time.time() if now is None else now
        raised = self.raised()
        observed: Dict[str, Signal] = {s.key: s for s in signals}
        for key in raised:
            if key not in observed:
                observed[key] = Signal(
                    self.watcher, key, Level.OK, None, None, f"{key}: no longer present"
                )
        out: List[Transition] = []
        for key, sig in observed.items():
            current = raised[key][0] if key in raised else Level.OK
            if sig.level == current:
                self.pending.pop(key, None)
                continue
            level, count = self.pending.get(key, (None, 0))
            count = count + 1 if level == sig.level else 1
            if count < self.for_samples:
                self.pending[key] = (sig.level, count)
                continue
            self.pending.pop(key, None)
            out.append(self._apply(sig, current, raised.get(key), now))
        return out

    def _apply(self, sig: Signal, current: Level, row: Optional[Tuple], now: float) -> Transition:
        with self.state.transaction():
            if sig.level == Level.OK:
                self.conn.execute(
                    "DELETE FROM signals WHERE watcher=? AND key=?", (self.watcher, sig.key)
                )
                return Transition("cleared", sig, current, row[1] if row else now)
            since = row[1] if row and sig.level < current else now
            self.conn.execute(
                "INSERT INTO signals(watcher, key, level, since, value, message) "
                "VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(watcher, key) DO UPDATE SET "
                "level=excluded.level, since=excluded.since, value=excluded.value, "
                "message=excluded.message",
                (self.watcher, sig.key, int(sig.level), since, sig.value, sig.message),
            )
        kind = "raised" if sig.level > current else "lowered"
        return Transition(kind, sig, current, since)

    def note(self, key: str, message: str) -> bool:
        """Remember an informational note (level 0 row); True the first time it is seen,
        so an unmonitorable disk is reported once, not every interval."""
        row = self.conn.execute(
            "SELECT message FROM signals WHERE watcher=? AND key=? AND level=0",
            (self.watcher, "note:" + key),
        ).fetchone()
        if row is not None and row[0] == message:
            return False
        with self.state.transaction():
            self.conn.execute(
                "INSERT INTO signals(watcher, key, level, since, value, message) "
                "VALUES(?, ?, 0, ?, NULL, ?) ON CONFLICT(watcher, key) DO UPDATE SET "
                "message=excluded.message, since=excluded.since",
                (self.watcher, "note:" + key, time.time(), message),
            )
        return True


NO_RAISED: Mapping[str, Level] = {}
