"""syzbot-style titles and their normalisation (addresses, numbers, PIDs out)."""

from __future__ import annotations

import re

_EXECUTOR = re.compile(r"syz-executor\.?\d+")
_SYZ_PROC = re.compile(r"\bsyz\.\d+\.\d+\b")
_HEX_ADDR = re.compile(r"\b(?:0x)?[0-9a-fA-F]{6,}\b")
_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b")
_FILE_LINE = re.compile(r"(\.\w{1,3}):\d+(?::\d+)?\b")
_FUNC_OFF = re.compile(r"\b([\w.$]+)\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+")
_CPU = re.compile(r"CPU#\d+")
_NUM = re.compile(r"(?<![\w.])\d+(?![\w])")
_NONPRINT = re.compile(r"[^\x20-\x7e]")
_SPACES = re.compile(r"\s+")
MAX_TITLE = 120


def normalize(title: str) -> str:
    """Make a title stable: no PIDs, addresses, line numbers or timestamps in it."""
    t = _NONPRINT.sub("", title)
    t = _EXECUTOR.sub("syz-executor", t)
    t = _SYZ_PROC.sub("syz", t)
    t = _FUNC_OFF.sub(r"\1", t)
    t = _FILE_LINE.sub(r"\1:LINE", t)
    t = _IP.sub("IP", t)
    t = _HEX_ADDR.sub("ADDR", t)
    t = _CPU.sub("CPU", t)
    t = _NUM.sub("NUM", t)
    t = _SPACES.sub(" ", t).strip()
    return t[:MAX_TITLE]


def in_function(prefix: str, function: str) -> str:
    return f"{prefix} in {function or 'corrupted'}"
