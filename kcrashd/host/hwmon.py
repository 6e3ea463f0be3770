"""hwmon temperature sensors: /sys/class/hwmon/hwmon*/temp*_{input,max,crit,...}.

Attributes are read from the hwmon dir and its `device/` subdir (old drivers put them
there), with fixed-depth globs: hwmonN/device -> nvme0/hwmonN is a symlink cycle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional

from kcrashd.host.root import Root
from kcrashd.host.sysfs import read_int_or_none
from kcrashd.host.thermal import read_milli

# Limits at or past these are "no limit" sentinels (NVMe 65535 K, 0 K).
NO_LIMIT_HIGH = 65000.0
NO_LIMIT_LOW = -273.15
_ATTR = re.compile(r"^temp(\d+)_(input|max|crit|emergency|label|crit_alarm|alarm|max_alarm|fault)$")


@dataclass(frozen=True)
class Sensor:
    chip: str  # the `name` file, else the hwmon dir name
    hwmon: str  # hwmonN
    index: int
    label: str
    celsius: Optional[float]
    max: Optional[float] = None
    crit: Optional[float] = None
    emergency: Optional[float] = None
    crit_alarm: bool = False
    alarm: bool = False
    fault: bool = False

    @property
    def key(self) -> str:
        # Labels repeat (two packages, test chips): the hwmon dir and index keep keys unique.
        return f"{self.chip}/{self.hwmon}/temp{self.index}"

    @property
    def title(self) -> str:
        return f"{self.chip} {self.label or f'temp{self.index}'}"


def _limit(value: Optional[float]) -> Optional[float]:
    if value is None or value >= NO_LIMIT_HIGH or value <= NO_LIMIT_LOW:
        return None
    return value


def read_sensors(root: Root) -> List[Sensor]:
    out: List[Sensor] = []
    for hw in root.glob("/sys/class/hwmon/hwmon*"):
        hwname = hw.rsplit("/", 1)[1]
        chip = root.read_value(f"{hw}/name") or hwname
        files: Dict[int, Dict[str, str]] = {}
        for path in root.glob(f"{hw}/device/temp*_*") + root.glob(f"{hw}/temp*_*"):
            m = _ATTR.match(path.rsplit("/", 1)[1])
            if m:
                files.setdefault(int(m.group(1)), {})[m.group(2)] = path
        for idx, attrs in sorted(files.items()):
            if "input" not in attrs:
                continue

            def flag(name: str, attrs: Dict[str, str] = attrs) -> bool:
                return name in attrs and read_int_or_none(root, attrs[name]) not in (None, 0)

            label = ""
            if "label" in attrs:
                try:
                    label = root.read_text(attrs["label"], 128).strip()
                except OSError:
                    label = ""
            out.append(
                Sensor(
                    chip=chip,
                    hwmon=hwname,
                    index=idx,
                    label=label,
                    celsius=read_milli(root, attrs["input"]),
                    max=_limit(read_milli(root, attrs["max"])) if "max" in attrs else None,
                    crit=_limit(read_milli(root, attrs["crit"])) if "crit" in attrs else None,
                    emergency=_limit(read_milli(root, attrs["emergency"]))
                    if "emergency" in attrs
                    else None,
                    crit_alarm=flag("crit_alarm"),
                    alarm=flag("alarm") or flag("max_alarm"),
                    fault=flag("fault"),
                )
            )
    return out
