"""Thermal: zones against their trip points, hwmon sensors against crit/max, CPU throttling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Tuple

from kcrashd.host import hwmon, thermal
from kcrashd.host.root import Root
from kcrashd.model import Level, Signal
from kcrashd.watchers.levels import NO_RAISED, grade

NAME = "thermal"
CONFIG = "thermal"
# Cooling devices whose non-zero state means the CPU is being slowed down.
THROTTLE_TYPES = ("Processor", "intel_powerclamp", "cpufreq", "devfreq")


@dataclass(frozen=True)
class Sample:
    zones: Tuple[thermal.Zone, ...]
    sensors: Tuple[hwmon.Sensor, ...]
    cooling: Tuple[thermal.CoolingDevice, ...]

    @property
    def values(self) -> Dict[str, float]:
        temps = [z.celsius for z in self.zones if z.celsius is not None]
        temps += [s.celsius for s in self.sensors if s.celsius is not None and not s.fault]
        return {"max_celsius": max(temps, default=0.0), "sensors": float(len(temps))}


def sample(
    root: Root, runner: Any, cfg: Any, baseline: Mapping[str, int], memory: Any = None
) -> Sample:
    return Sample(
        tuple(thermal.read_zones(root)),
        tuple(hwmon.read_sensors(root)),
        tuple(thermal.read_cooling_devices(root)),
    )


def _worst(*graded: Tuple[Level, Any]) -> Tuple[Level, Any]:
    return max(graded, key=lambda g: g[0])


def evaluate(s: Sample, cfg: Any, raised: Mapping[str, Level] = NO_RAISED) -> List[Signal]:
    out: List[Signal] = []
    hyst, wm, cm = cfg.hysteresis_celsius, cfg.warn_margin_celsius, cfg.crit_margin_celsius
    for z in s.zones:
        if z.celsius is None:
            continue
        key = f"zone/{z.type}"
        cur = raised.get(key, Level.OK)
        graded = [(Level.OK, None)]
        for trip in z.trips:
            if trip.type == "critical":
                graded.append(grade(z.celsius, trip.celsius - wm, trip.celsius - cm, cur, hyst))
            elif trip.type == "hot":
                graded.append(grade(z.celsius, trip.celsius - wm, trip.celsius, cur, hyst))
            elif trip.type == "passive":
                graded.append(grade(z.celsius, trip.celsius, None, cur, hyst))
        level, thr = _worst(*graded)
        trips = ", ".join(f"{t.type} {t.celsius:g}" for t in z.trips) or "no trip points"
        out.append(Signal(NAME, key, level, z.celsius, thr, f"{z.type} {z.celsius:g}°C ({trips})"))
    for sn in s.sensors:
        if sn.celsius is None or sn.fault:  # a faulty sensor's reading means nothing
            continue
        key = f"hwmon/{sn.key}"
        cur = raised.get(key, Level.OK)
        graded = [(Level.OK, None)]
        if sn.crit is not None:
            graded.append(grade(sn.celsius, sn.crit - wm, sn.crit - cm, cur, hyst))
        if sn.max is not None:
            graded.append(grade(sn.celsius, sn.max, None, cur, hyst))
        if sn.emergency is not None:
            graded.append(grade(sn.celsius, None, sn.emergency, cur, hyst))
        if sn.crit_alarm:
            graded.append((Level.CRIT, sn.crit))
        elif sn.alarm:
            graded.append((Level.WARN, sn.max))
        level, thr = _worst(*graded)
        limits = ", ".join(
            f"{n} {v:g}" for n, v in (("max", sn.max), ("crit", sn.crit)) if v is not None
        )
        alarm = " crit_alarm set" if sn.crit_alarm else ""
        out.append(
            Signal(
                NAME,
                key,
                level,
                sn.celsius,
                thr,
                f"{sn.title} {sn.celsius:g}°C ({limits or 'no limits'}){alarm}",
            )
        )
    for cd in s.cooling:
        if not cd.type.startswith(THROTTLE_TYPES) or cd.max_state <= 0:
            continue
        key = f"cooling/{cd.type}/{cd.name}"
        level = Level.WARN if cd.cur_state > 0 else Level.OK
        out.append(
            Signal(
                NAME,
                key,
                level,
                float(cd.cur_state),
                1.0,
                f"{cd.type} {cd.name} cooling state {cd.cur_state}/{cd.max_state}",
            )
        )
    return out
