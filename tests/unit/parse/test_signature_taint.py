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


_GPF = """\
general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP
CPU: 0 PID: 3321 Comm: nft Not tainted 6.1.0-13-amd64 #1
RIP: 0010:nft_set_elem_destroy+0x2b/0x90 [nf_tables]
Call Trace:
 <TASK>
{above} nf_tables_abort+0x3f1/0x7a0 [nf_tables]
 nfnetlink_rcv_batch+0x2d8/0x8d0 [nfnetlink]
 nfnetlink_rcv+0x14f/0x170 [nfnetlink]
 netlink_unicast+0x1f2/0x2c0
{below} </TASK>
"""


def _gpf(above: str = "", below: str = "") -> str:
    return _GPF.format(above=above, below=below)


def test_signature_ignores_frames_far_below_the_guilty_one() -> None:
    # ABRT hashes the top frames of the whole trace; here only the guilty function and the
    # three meaningful frames under it count: the syscall or worker that led there does not
    (a,) = parse_text(_gpf(below=" netlink_sendmsg+0x254/0x4b0\n __sys_sendto+0x1f2/0x200\n"))
    (b,) = parse_text(_gpf(below=" netlink_rcv_skb+0x54/0x100\n process_one_work+0x1c7/0x380\n"))
    assert a.function == b.function == "nft_set_elem_destroy"
    assert a.signature == b.signature


def test_signature_ignores_infrastructure_between_the_frames() -> None:
    (a,) = parse_text(_gpf())
    (b,) = parse_text(_gpf(above=" ? kfree+0x21/0x90\n mutex_lock_nested+0x1b/0x30\n"))
    assert a.signature == b.signature


def test_signature_tells_call_paths_apart_near_the_bug() -> None:
    (a,) = parse_text(_gpf())
    (b,) = parse_text(_gpf().replace("nf_tables_abort", "nf_tables_commit"))
    assert a.signature != b.signature
    assert a.signature.split(":")[:2] == b.signature.split(":")[:2]  # the coarse key agrees


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
