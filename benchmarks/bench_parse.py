# ruff: noqa: E501  (sample kernel log lines and result rows are long)
"""Parser throughput on real kernel logs, beside grep -c on the same file.

usage: .venv/bin/python benchmarks/bench_parse.py [--mb 40] [--rounds 5] [--corpus ../shared/corpus/syzkaller/logs]

Real text: the syzkaller corpus (public console logs) and the crash lab's serial logs
(tests/fixtures/logs/lab: Debian's kernel under QEMU). Crash-free text: their lines outside
every crash report, header lines taken out, repeated to --mb MB (these are excerpts around
crashes: what is left is mostly report remnants, object dumps and fuzzer output, harder
text than a quiet host's log; no long real crash-free log is at hand). For each text: parse_text
(whole text), Assembler.feed (one record at a time, the daemon's path; the records are built
before the clock starts, as the journal source builds them), `kcrashd parse FILE` and
`grep -a -c` as processes over the same file from page cache, each writing to a pipe read
here. The template log of earlier runs (30 line templates) is measured too, for comparison.
Throughput is bytes per CPU second (the machine is shared: wall time would count waiting for
a core); min/median/max over --rounds rounds.

grep reads the whole file only so: GNU grep whose standard output is /dev/null stops at the
first match (it then acts as -q; a baseline run so "read" 39.8 MB in 0.002 s), and `-a`
keeps it from taking the corpus text, which holds NUL bytes, for a binary file. Its count of
matching lines is printed beside its row as the proof that it read everything.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import timed_run  # noqa: E402
from kcrashd.model import KernelRecord  # noqa: E402
from kcrashd.parse import Assembler, parse_text  # noqa: E402
from kcrashd.parse.headers import classify  # noqa: E402
from kcrashd.parse.prefix import strip_prefix  # noqa: E402

PROJECT = Path(__file__).resolve().parents[1]
LAB_LOGS = PROJECT / "tests/fixtures/logs/lab"
FEED_AIM = 60.0  # MB/s, Assembler.feed on crash-free text

# Typical lines of a server's kernel log (boot, drivers, networking, audit, storage, USB).
TEMPLATES = [
    "Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1",
    "Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-13-amd64 root=UUID=0a1b2c3d ro quiet crashkernel=512M",
    "BIOS-e820: [mem 0x{a:016x}-0x{b:016x}] usable",
    "ACPI: SRAT: Node 0 PXM 0 [mem 0x{a:08x}-0x{b:08x}]",
    "pci 0000:{n:02x}:00.0: [8086:1572] type 00 class 0x020000",
    "pci 0000:{n:02x}:00.0: reg 0x10: [mem 0x{a:08x}-0x{b:08x} 64bit pref]",
    "smpboot: CPU {n} is up",
    "EXT4-fs (sda{m}): mounted filesystem with ordered data mode. Quota mode: none.",
    "systemd[1]: Started session-{n}.scope - Session {n} of User deploy.",
    "e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
    "IPv6: ADDRCONF(NETDEV_CHANGE): veth{a:07x}: link becomes ready",
    "docker0: port {m}(veth{a:07x}) entered forwarding state",
    "br-{a:012x}: port {m}(veth{b:07x}) entered disabled state",
    'audit: type=1400 audit({t}.{m:03d}:{n}): apparmor="DENIED" operation="open" profile="snap.lxd" name="/proc/{n}/mounts" pid={n} comm="lxd"',
    'audit: type=1325 audit({t}.{m:03d}:{n}): table=filter family=2 entries=12 op=xt_replace pid={n} comm="iptables"',
    "nvme nvme0: {m}/0/0 default/read/poll queues",
    "usb 1-{m}: new high-speed USB device number {n} using xhci_hcd",
    "usb 1-{m}: New USB device found, idVendor=0781, idProduct=5581, bcdDevice= 1.00",
    "sd {m}:0:0:0: [sdb] {n} 512-byte logical blocks: (32.0 GB/29.8 GiB)",
    "TCP: request_sock_TCP: Possible SYN flooding on port {n}. Sending cookies.  Check SNMP counters.",
    "nf_conntrack: default automatic helper assignment has been turned off for security reasons",
    "perf: interrupt took too long ({n} > {m}), lowering kernel.perf_event_max_sample_rate to {n}",
    "kauditd_printk_skb: {m} callbacks suppressed",
    "loop{m}: detected capacity change from 0 to {n}",
    "squashfs: version 4.0 (2009/01/31) Phillip Lougher",
    "xfs filesystem being mounted at /var/lib/containers supports timestamps until 2038 (0x7fffffff)",
    "device-mapper: uevent: version 1.0.3",
    "raid6: avx2x4   gen() {n} MB/s",
    "igb 0000:0{m}:00.0: eth{m}: (PCIe:5.0Gb/s:Width x4) {a:012x}",
    "ata{m}: SATA link up 6.0 Gbps (SStatus 133 SControl 300)",
]


def make_boot_log(target_bytes: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    out: List[str] = []
    size = 0
    ts = 0.0
    while size < target_bytes:
        ts += rng.random() * 0.01
        a = rng.getrandbits(40)
        line = f"[{ts:12.6f}] " + rng.choice(TEMPLATES).format(
            a=a,
            b=a + rng.getrandbits(20),
            n=rng.randrange(1, 99999),
            m=rng.randrange(0, 16),
            t=1764151200 + int(ts),
        )
        out.append(line)
        size += len(line) + 1
    return "\n".join(out) + "\n"


def real_texts(corpus: Path) -> List[str]:
    files = sorted(p for p in corpus.iterdir() if p.is_file()) if corpus.is_dir() else []
    files += sorted(LAB_LOGS.glob("*.serial.txt"))
    return [p.read_bytes().decode("utf-8", "replace") for p in files]


def crash_free(texts: List[str], target_bytes: int) -> str:
    """The lines of `texts` outside every report, without header lines, repeated."""
    lines: List[str] = []
    for text in texts:
        inside = set()
        for r in parse_text(text):
            inside.update(range(r.first_line or 0, (r.last_line or 0) + 1))
        for i, line in enumerate(text.split("\n"), 1):
            if i not in inside and classify(strip_prefix(line).text) is None:
                lines.append(line)
    block = "\n".join(lines) + "\n"
    return block * max(1, target_bytes // len(block.encode()))


def stats(values: List[float]) -> Tuple[float, float, float]:
    values = sorted(values)
    return values[0], values[len(values) // 2], values[-1]


def timed(fn: Callable[[], object], rounds: int) -> Tuple[List[float], object]:
    """CPU seconds of each round (this process's: on a shared machine, wall time also
    counts the time spent waiting for a core)."""
    times, result = [], None
    for _ in range(rounds):
        t0 = time.process_time()
        result = fn()
        times.append(time.process_time() - t0)
    return times, result


def process(argv: List[str], rounds: int) -> Tuple[List[float], bytes]:
    """CPU seconds of each run of `argv` (user + system of the process), and its output
    (a pipe: a program may skip work when its output is /dev/null, as GNU grep does)."""
    times, out = [], b""
    for _ in range(rounds):
        _, cpu, result = timed_run(argv, stdout=subprocess.PIPE, timeout=600, check=False)
        times.append(cpu)
        out = result.stdout
    return times, out


def row(name: str, times: List[float], nbytes: int, nlines: int, note: str = "") -> float:
    """One line: MB/s at the best, median and worst round; returns the median MB/s."""
    lo, med, hi = stats(times)
    print(
        f"  {name:<40} {med:7.3f} s  MB/s min {nbytes / hi / 1e6:6.1f}  median"
        f" {nbytes / med / 1e6:6.1f}  max {nbytes / lo / 1e6:6.1f}  ({nlines / med / 1e6:.2f} M lines/s)"
        + (f"  {note}" if note else "")
    )
    return nbytes / med / 1e6


def grep_row(name: str, args: List[str], path: str, rounds: int, nbytes: int, nlines: int) -> None:
    """A grep baseline over the whole file (-a: as text), with its count of matching lines."""
    times, out = process(["grep", "-a", "-c", *args, path], rounds)
    row(name, times, nbytes, nlines, f"[{out.decode().strip()} matching lines]")


def bench_text(label: str, text: str, path: str, rounds: int) -> float:
    """Every row for one text; returns Assembler.feed's median MB/s."""
    Path(path).write_text(text)
    Path(path).read_bytes()  # in page cache
    nbytes = len(text.encode())
    nlines = text.count("\n")
    print(f"{label}: {nbytes / 1e6:.1f} MB, {nlines} lines")
    times, reports = timed(lambda: parse_text(text), rounds)
    row(f"parse_text ({len(reports)} reports)", times, nbytes, nlines)
    records = [KernelRecord(message=line) for line in text.split("\n")]

    def feed() -> int:
        asm = Assembler()
        f = asm.feed
        n = 0
        for record in records:
            n += len(f(record))
        return n + len(asm.flush())

    times, n = timed(feed, rounds)
    mbs = row(f"Assembler.feed per record ({n} reports)", times, nbytes, nlines)
    records.clear()
    kcrashd = [sys.executable, "-m", "kcrashd", "parse", path]
    row("kcrashd parse FILE (process)", process(kcrashd, rounds)[0], nbytes, nlines)
    grep_row("grep -a -c -F 'BUG:' FILE (baseline)", ["-F", "BUG:"], path, rounds, nbytes, nlines)
    grep_row(
        "grep -a -c -E 'BUG|WARNING|panic'",
        ["-E", "BUG|WARNING|panic"],
        path,
        rounds,
        nbytes,
        nlines,
    )
    return mbs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=40.0, help="size of the crash-free texts")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument(
        "--corpus",
        default=str(Path(__file__).resolve().parents[2] / "shared/corpus/syzkaller/logs"),
    )
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {a.rounds} rounds")
    texts = real_texts(Path(a.corpus))
    with tempfile.TemporaryDirectory() as tmp:
        real = "\n".join(texts)
        free = crash_free(texts, int(a.mb * 1e6))
        mbs = bench_text(
            "crash-free text of the corpus and lab logs (what is left outside their reports)",
            free,
            os.path.join(tmp, "free.log"),
            a.rounds,
        )
        del free
        bench_text(
            "real logs (corpus and lab, crashes in them)",
            real,
            os.path.join(tmp, "real.log"),
            a.rounds,
        )
        template = make_boot_log(int(a.mb * 1e6))
        tmpl_mbs = bench_text(
            "template boot log (30 line templates)",
            template,
            os.path.join(tmp, "boot.log"),
            a.rounds,
        )
    print(
        f"aim: Assembler.feed on crash-free text >= {FEED_AIM:g} MB/s (medians now: the"
        f" corpus's and lab's crash-free lines {mbs:.1f}, the template log {tmpl_mbs:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
