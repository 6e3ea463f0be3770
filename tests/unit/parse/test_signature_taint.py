"""Signatures are stable across addresses, PIDs and timestamps; taint decoding is complete."""

from __future__ import annotations

import re

from kcrashd.parse import parse_text
from kcrashd.parse.taint import TAINT_FLAGS, decode_taint_letters, decode_taint_mask
from tests.unit.parse import logs


def _shift(text: str, seconds: int, pid: int, addr_delta: int) -> str:
    text = re.sub(
        r"\[ *(\d+)\.(\d+)\]", lambda m: f"[{int(m.group(1)) + seconds:5d}.{m.group(2)}]", text
    )
    text = text.replace("PID: 871", f"PID: {pid}").replace(":87]", f":{pid}]")
    return re.sub(r"ffff[0-9a-f]{12}", lambda m: f"{int(m.group(0), 16) + addr_delta:016x}", text)


def test_same_crash_elsewhere_same_signature() -> None:
    for text in (logs.WARNING, logs.GPF, logs.SOFT_LOCKUP, logs.read_log("oops_pstore.txt")):
        (a,) = parse_text(text)
        (b,) = parse_text(_shift(text, 5000, 4242, 0x1000))
        assert a.signature == b.signature
        assert a.title == b.title


def test_different_guilty_function_different_signature() -> None:
    (a,) = parse_text(logs.WARNING)
    (b,) = parse_text(logs.WARNING.replace("foo_tx_done", "foo_rx_done"))
    assert a.function != b.function and a.signature != b.signature


def test_oom_signature_follows_the_victim() -> None:
    text = logs.read_log("oom_kill.txt")
    (a,) = parse_text(text)
    (b,) = parse_text(text.replace("40123", "50999"))
    (c,) = parse_text(text.replace("(stress-ng)", "(postgres)"))
    assert a.signature == b.signature != c.signature


def test_taint_table_complete() -> None:
    assert [bit for bit, _, _ in TAINT_FLAGS] == list(range(20))
    assert "".join(letter for _, letter, _ in TAINT_FLAGS) == "PFSRMBUDAWCIOELKXTNJ"


def test_decode_mask() -> None:
    assert decode_taint_mask(0) == []
    assert [k for k, _ in decode_taint_mask(1 | 512 | 4096 | 8192)] == ["P", "W", "O", "E"]
    unknown = decode_taint_mask(1 << 20)
    assert unknown == [("?", "unknown taint (bit 20)")]


def test_decode_letters() -> None:
    got = decode_taint_letters("G        W  OE")
    assert [k for k, _ in got] == ["G", "W", "O", "E"]
    assert dict(got)["O"].startswith("externally-built")
    assert decode_taint_letters("PZ")[1] == ("Z", "unknown taint letter 'Z'")
