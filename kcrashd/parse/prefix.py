"""Strip console, kmsg, syslog and journal prefixes from one kernel log line.

Returns the message text, the kernel timestamp (seconds since boot) when the line carries
one, and the printk caller context (`T123` task or `C1` CPU) when CONFIG_PRINTK_CALLER is on.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional

# /dev/kmsg record: "prio,seq,usec,flags[,caller=T1];message"
_KMSG = re.compile(r"(\d{1,4}),(\d+),(\d+),[^;,]*(?:,caller=([TC]\d+))?[^;]*;")
# syslog / journalctl -k short and short-iso / short-precise: "Nov 26 10:00:00 host kernel: "
_SYSLOG = re.compile(
    r"(?:[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d+)?"
    r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r" \S+ ([\w.@/-]+(?:\[\d+\])?): ?"
)
# dmesg -T: "[Thu Nov 26 10:00:00 2026] "
_HUMAN_TS = re.compile(r"\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d \d{4}\] ?")
# dmesg -x: "kern  :warn  : "
_FACILITY = re.compile(r"[a-z]{2,8} *:[a-z]{3,6} *: ")
_LEVEL = re.compile(r"<\d{1,3}>")
_TS = re.compile(r"\[ *(\d{1,10}\.\d{1,9})\] ?")
_CALLER = re.compile(r"\[ *([TC]\d{1,10})\] ?")
# a program writing to /dev/kmsg ("systemd[1]: ...", "myapp[1201]: ..."): not the kernel's
# own report, whatever words it uses (the kernel's "comm[pid]: segfault at" is no crash either)
_USERSPACE = re.compile(r"[\w.@-]+(?:/[\w.@-]+)*\[\d+\]: ")


class Stripped(NamedTuple):
    text: str
    timestamp: Optional[float]
    context: Optional[str]
    foreign: bool  # a syslog line from another program, not the kernel


def strip_prefix(line: str) -> Stripped:
    """Peel the known prefixes off `line`, outermost first."""
    text = line.rstrip("\r\n")
    ts: Optional[float] = None
    ctx: Optional[str] = None
    # Each prefix has its own first character ("[" _HUMAN_TS, _TS and _CALLER; "<" _LEVEL;
    # a letter or digit the others): a line is only tried against those it can start with.
    m = _SYSLOG.match(text) if text[:1] != "[" else None
    if m:
        if not m.group(1).startswith("kernel"):
            return Stripped(text[m.end() :], None, None, True)
        text = text[m.end() :]
    m = _KMSG.match(text) if text[:1] != "[" else None
    if m:
        ts = int(m.group(3)) / 1e6
        ctx = m.group(4)
        text = text[m.end() :]
    else:
        m = _HUMAN_TS.match(text) if text[:1] == "[" else _FACILITY.match(text)
        if m:
            text = text[m.end() :]
        if text[:1] == "<":
            m = _LEVEL.match(text)
            if m:
                text = text[m.end() :]
        if text[:1] == "[":
            m = _TS.match(text)
            if m:
                ts = float(m.group(1))
                text = text[m.end() :]
            m = _CALLER.match(text)
            if m:
                ctx = m.group(1)
                text = text[m.end() :]
    if text[:1].isalpha() and "]: " in text[:64] and _USERSPACE.match(text):
        return Stripped(text, ts, ctx, True)
    return Stripped(text, ts, ctx, False)
