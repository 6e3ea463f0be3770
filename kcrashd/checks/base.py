"""Small helpers the check modules share (pure)."""

from __future__ import annotations

from typing import Optional

from kcrashd.host.sysfs import sysctl_path
from kcrashd.model import Fact

ABSENT = "absent"


def seen(value: object) -> str:
    return ABSENT if value is None else str(value)


def sysctl_fact(name: str, value: object, expected: Optional[str] = None) -> Fact:
    return Fact(sysctl_path(name), seen(value), expected)
