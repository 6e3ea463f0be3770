"""Every input shape of the same crash gives the same report."""

from __future__ import annotations

import re
from typing import Callable, List

import pytest

from kcrashd.parse import parse_text
from tests.unit.parse import logs

BASE = logs.WARNING  # dmesg shape: "[  101.000001] message"
_TS = re.compile(r"^\[ *(\d+)\.(\d+)\] ")


def _messages() -> List[str]:
    return [_TS.sub("", line) for line in BASE.splitlines()]


def _stamps() -> List[str]:
    return [_TS.match(line).group(0) for line in BASE.splitlines()]


def raw(msgs: List[str]) -> str:
    return "\n".join(msgs) + "\n"


def dmesg(msgs: List[str]) -> str:
    return BASE


def kmsg_levels(msgs: List[str]) -> str:
    return "".join(f"<4>{ts}{m}\n" for ts, m in zip(_stamps(), msgs))


def caller_ids(msgs: List[str]) -> str:
    return "".join(f"{ts.rstrip()}[  T871] {m}\n" for ts, m in zip(_stamps(), msgs))


def dmesg_t(msgs: List[str]) -> str:
    return "".join(f"[Thu Nov 26 10:00:{i % 60:02d} 2026] {m}\n" for i, m in enumerate(msgs))


def syslog(msgs: List[str]) -> str:
    out = []
    for ts, m in zip(_stamps(), msgs):
        out.append(f"Nov 26 10:00:00 web-7 kernel: {ts}{m}\n")
        # other programs' lines in between, one of them with a header keyword
        out.append("Nov 26 10:00:00 web-7 sshd[812]: WARNING: connection reset by peer\n")
    return "".join(out)


def journalctl_k(msgs: List[str]) -> str:
    return "".join(f"Nov 26 10:00:00 web-7 kernel: {m}\n" for m in msgs)


def journalctl_iso(msgs: List[str]) -> str:
    return "".join(f"2026-11-26T10:00:00.123456+0000 web-7 kernel: {m}\n" for m in msgs)


def dev_kmsg(msgs: List[str]) -> str:
    out = []
    for i, m in enumerate(msgs):
        out.append(f"4,{1000 + i},{101000001 + i},-,caller=T871;{m}\n")
        if i == 0:
            out.append(" SUBSYSTEM=net\n DEVICE=n3\n")
    return "".join(out)


def pstore(msgs: List[str]) -> str:
    return "Oops#1 Part1\n" + kmsg_levels(msgs)


def crlf(msgs: List[str]) -> str:
    return BASE.replace("\n", "\r\n")


def console_noise(msgs: List[str]) -> str:
    lines = BASE.splitlines()
    noisy = []
    for i, line in enumerate(lines):
        noisy.append(line)
        if i == 4:
            noisy.append("2026/11/26 10:00:00 executing program 3:")
    return "\n".join(noisy) + "\n"


SHAPES: List[Callable[[List[str]], str]] = [
    raw,
    dmesg,
    kmsg_levels,
    caller_ids,
    dmesg_t,
    syslog,
    journalctl_k,
    journalctl_iso,
    dev_kmsg,
    pstore,
    crlf,
    console_noise,
]


@pytest.mark.parametrize("shape", SHAPES, ids=[s.__name__ for s in SHAPES])
def test_same_report_in_every_shape(shape: Callable[[List[str]], str]) -> None:
    reports = parse_text(shape(_messages()))
    assert len(reports) == 1, [r.title for r in reports]
    r = reports[0]
    assert (r.kind, r.function, r.module, r.title) == (
        "warning",
        "foo_tx_done",
        "foo",
        "WARNING in foo_tx_done",
    )
    assert (r.cpu, r.pid, r.comm, r.kernel) == (1, 871, "irq/42-foo", "6.1.0-13-amd64")
    assert [f.function for f in r.frames if f.reliable] == [
        "foo_irq_thread",
        "irq_thread_fn",
        "irq_thread",
        "kthread",
        "ret_from_fork",
    ]
    assert r.rip is not None and r.rip.function == "foo_tx_done"
    assert r.signature == parse_text(BASE)[0].signature


def test_pstore_multi_part_concatenated_in_order() -> None:
    lines = logs.read_log("oops_pstore.txt").splitlines(keepends=True)
    part2, part1 = lines[1:20], lines[20:]
    text = "Oops#1 Part2\n" + "".join(part2) + "Oops#1 Part1\n" + "".join(part1)
    (r,) = parse_text(text)
    assert (r.kind, r.function, r.panicked) == ("bug", "ext4_writepages", True)


def test_vmcore_dmesg_with_boot_noise_before() -> None:
    text = logs.CRASH_FREE + logs.read_log("oops_pstore.txt").replace("Oops#1 Part1\n", "")
    (r,) = parse_text(text)
    assert r.function == "ext4_writepages"
    # the "cut here" line comes first; the report starts at "kernel BUG at"
    assert r.first_line == len(logs.CRASH_FREE.splitlines()) + 2
