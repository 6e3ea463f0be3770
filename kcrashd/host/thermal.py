"""Thermal zones and cooling devices: /sys/class/thermal/{thermal_zone*,cooling_device*}.

Temperatures are millidegrees Celsius; a zone whose `temp` read fails (ENODATA, EAGAIN, EIO
for a sleeping device) is reported with temp None, never as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from kcrashd.host.root import Root
from kcrashd.host.sysfs import read_int_or_none

INVALID_MILLI = -273150  # THERMAL_TEMP_INVALID is -274000: anything at or below 0 K is unset


@dataclass(frozen=True)
class Trip:
    type: str  # critical, hot, passive, active*
    celsius: float


@dataclass(frozen=True)
class Zone:
    name: str  # thermal_zoneN
    type: str
    celsius: Optional[float]
    enabled: bool
    trips: Tuple[Trip, ...] = ()


@dataclass(frozen=True)
class CoolingDevice:
    name: str
    type: str
    cur_state: int
    max_state: int


def read_milli(root: Root, path: str) -> Optional[float]:
    """A millidegree file as Celsius; None when missing, unreadable or not a number."""
    value = read_int_or_none(root, path)
    return None if value is None else value / 1000.0


def parse_trips(pairs: List[Tuple[str, Optional[float]]]) -> Tuple[Trip, ...]:
    """(type, celsius) pairs into trips, dropping unset ones: at or below 0 K, and unused
    passive/hot trips that ACPI tables report as 0."""
    out = []
    for kind, celsius in pairs:
        if celsius is None or celsius * 1000 <= INVALID_MILLI:
            continue
        if celsius == 0 and kind in ("passive", "hot"):
            continue
        out.append(Trip(kind, celsius))
    return tuple(out)


def read_zones(root: Root) -> List[Zone]:
    zones = []
    for path in root.glob("/sys/class/thermal/thermal_zone*"):
        name = path.rsplit("/", 1)[1]
        pairs = []
        for type_path in root.glob(f"{path}/trip_point_*_type"):
            kind = (root.read_value(type_path) or "").strip()
            pairs.append((kind, read_milli(root, type_path[: -len("_type")] + "_temp")))
        try:
            kind = root.read_value(f"{path}/type") or name
            mode = root.read_value(f"{path}/mode")
        except OSError:
            kind, mode = name, None
        temp = read_milli(root, f"{path}/temp")
        zones.append(Zone(name, kind, temp, mode != "disabled", parse_trips(pairs)))
    return zones


def read_cooling_devices(root: Root) -> List[CoolingDevice]:
    out = []
    for path in root.glob("/sys/class/thermal/cooling_device*"):
        try:
            out.append(
                CoolingDevice(
                    path.rsplit("/", 1)[1],
                    root.read_value(f"{path}/type") or "?",
                    int(root.read_value(f"{path}/cur_state") or 0),
                    int(root.read_value(f"{path}/max_state") or 0),
                )
            )
        except (OSError, ValueError):
            continue
    return out
