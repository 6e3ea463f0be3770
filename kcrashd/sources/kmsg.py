"""Kernel messages straight from /dev/kmsg, for hosts without a journal.

Each read() returns one record: `prio,seq,usec,flags[,...];message\n` followed by optional
` KEY=value` dictionary lines. Non-printable bytes arrive escaped as `\\xNN`. A reader that
falls behind the ring buffer gets EPIPE once: the overwritten records are lost, and reading
goes on with the oldest record still there; the gap in sequence numbers says how many were
lost, and the next record carries that (`lost_before`) so the parser marks the reports it
cut as corrupted. Records resume by sequence number. The device
itself is read through kcrashd.host.kernel_log.KmsgDevice.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import List, Optional

from kcrashd.host.kernel_log import KMSG, KmsgDevice
from kcrashd.model import KernelRecord

log = logging.getLogger(__name__)

_ESCAPE = re.compile(rb"\\x([0-9a-fA-F]{2})")


@dataclass(frozen=True)
class KmsgRecord:
    priority: int  # syslog level, 0..7
    facility: int
    seq: int
    usec: int
    continuation: bool
    message: str


def parse_record(data: bytes) -> Optional[KmsgRecord]:
    """One /dev/kmsg record; None for a malformed one."""
    head, sep, rest = data.partition(b";")
    if not sep:
        return None
    parts = head.split(b",")
    if len(parts) < 4:
        return None
    try:
        prio, seq, usec = int(parts[0]), int(parts[1]), int(parts[2])
    except ValueError:
        return None
    text = rest.split(b"\n", 1)[0]  # dictionary lines (" KEY=value") follow the first newline
    text = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), text)
    return KmsgRecord(
        priority=prio & 7,
        facility=prio >> 3,
        seq=seq,
        usec=usec,
        continuation=parts[3].startswith(b"c"),
        message=text.decode("utf-8", "replace"),
    )


class KmsgSource:
    """Follows /dev/kmsg; positions are sequence numbers."""

    name = "kmsg"

    def __init__(self, boot_id: Optional[str], boot_time: Optional[float], path: str = KMSG):
        self.path = path
        self.boot_id = boot_id
        self.boot_time = boot_time  # realtime of usec 0, from /proc/stat btime
        self.device: Optional[KmsgDevice] = None
        self.last_seq: Optional[int] = None
        self.entries_read = 0
        self.lost = 0  # times records were overwritten before we read them
        self.missed = 0  # records overwritten before we read them (sequence gaps)
        self.note = ""

    def open(self, saved_seq: Optional[int] = None, inclusive: bool = False) -> str:
        self.device = KmsgDevice(self.path)
        if saved_seq is None:
            return "start of the kernel ring buffer"
        # /dev/kmsg cannot seek to a sequence number: skip what was handled while reading.
        self.last_seq = saved_seq - 1 if inclusive else saved_seq
        return f"after sequence number {self.last_seq}"

    def fileno(self) -> int:
        assert self.device is not None, "KmsgSource is not open"
        return self.device.fileno()

    def process(self) -> None:
        """Nothing to do: the fd is readable when records are there."""

    def position(self) -> Optional[str]:
        return None if self.last_seq is None else str(self.last_seq)

    def read(self, limit: int = 1000, wanted: Optional[object] = None) -> List[KernelRecord]:
        assert self.device is not None, "KmsgSource is not open"
        records: List[KernelRecord] = []
        while len(records) < limit:
            data = self.device.read_record()
            if self.device.overwritten != self.lost:
                self.lost = self.device.overwritten
                self.note = f"kernel ring buffer overwritten {self.lost} times before reading"
                log.warning("/dev/kmsg: records were overwritten before kcrashd read them")
            if not data:
                break
            rec = parse_record(data)
            if rec is None:
                continue
            if self.last_seq is not None and rec.seq <= self.last_seq:
                continue  # handled before a restart
            # a sequence gap: records were overwritten before we read them
            lost = 0 if self.last_seq is None else rec.seq - self.last_seq - 1
            if lost > 0:
                self.missed += lost
                self.note = f"{self.missed} kernel records overwritten before kcrashd read them"
            self.last_seq = rec.seq
            self.entries_read += 1
            records.append(self.to_record(rec, lost))
        return records

    def to_record(self, rec: KmsgRecord, lost_before: int = 0) -> KernelRecord:
        real = None if self.boot_time is None else self.boot_time + rec.usec / 1e6
        return KernelRecord(
            message=rec.message,
            boot_id=self.boot_id,
            monotonic_us=rec.usec,
            realtime=real,
            priority=rec.priority,
            position=str(rec.seq),
            lost_before=max(0, lost_before),
        )

    def close(self) -> None:
        if self.device is not None:
            self.device.close()
            self.device = None
