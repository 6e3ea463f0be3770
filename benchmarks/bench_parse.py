# ruff: noqa: E501  (sample kernel log lines and result rows are long)
"""Parser throughput: crash-free boot log text and the syzkaller corpus, beside grep -c.

usage: .venv/bin/python benchmarks/bench_parse.py [--mb 40] [--corpus ../shared/corpus/syzkaller/logs]

Prints MB/s and lines/s for parse_text (whole text), Assembler.feed (one line at a time, the
daemon's path) and `grep -c` over the same bytes, measured in the same run.
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

from kcrashd.model import KernelRecord  # noqa: E402
from kcrashd.parse import Assembler, parse_text  # noqa: E402

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


def timed(fn: Callable[[], object], repeat: int = 3) -> Tuple[float, object]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def grep_count(path: str, args: List[str]) -> float:
    def run() -> None:
        subprocess.run(
            ["grep", "-c", *args, path], stdout=subprocess.DEVNULL, timeout=600, check=False
        )

    return timed(run)[0]


def row(name: str, seconds: float, nbytes: int, nlines: int) -> None:
    print(
        f"  {name:<34} {seconds:8.3f} s  {nbytes / seconds / 1e6:9.1f} MB/s  {nlines / seconds / 1e6:7.2f} M lines/s"
    )


def bench_text(label: str, text: str, path: str) -> None:
    nbytes = len(text.encode())
    nlines = text.count("\n")
    print(f"{label}: {nbytes / 1e6:.1f} MB, {nlines} lines")
    t, reports = timed(lambda: parse_text(text))
    row(f"parse_text ({len(reports)} reports)", t, nbytes, nlines)
    lines = text.split("\n")

    def feed() -> int:
        asm = Assembler()
        n = 0
        for line in lines:
            n += len(asm.feed(KernelRecord(message=line)))
        return n + len(asm.flush())

    t, n = timed(feed, repeat=1)
    row(f"Assembler.feed per line ({n} reports)", t, nbytes, nlines)
    row("grep -c 'BUG:' (baseline)", grep_count(path, ["-F", "BUG:"]), nbytes, nlines)
    row(
        "grep -c -E 'BUG|WARNING|panic' (baseline)",
        grep_count(path, ["-E", "BUG|WARNING|panic"]),
        nbytes,
        nlines,
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=40.0, help="size of the generated boot log")
    ap.add_argument(
        "--corpus",
        default=str(Path(__file__).resolve().parents[2] / "shared/corpus/syzkaller/logs"),
    )
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        text = make_boot_log(int(a.mb * 1e6))
        path = os.path.join(tmp, "boot.log")
        Path(path).write_text(text)
        bench_text("crash-free boot log", text, path)
        corpus = Path(a.corpus)
        if corpus.is_dir():
            files = sorted(p for p in corpus.iterdir() if p.is_file())
            texts = [p.read_bytes().decode("utf-8", "replace") for p in files]
            joined = "\n".join(texts)
            cpath = os.path.join(tmp, "corpus.log")
            Path(cpath).write_text(joined)
            nbytes = len(joined.encode())
            nlines = joined.count("\n")
            print(f"syzkaller corpus: {len(files)} files, {nbytes / 1e6:.1f} MB, {nlines} lines")
            t, n = timed(lambda: sum(len(parse_text(x)) for x in texts))
            row(f"parse_text per file ({n} reports)", t, nbytes, nlines)
            row("grep -c 'BUG:' (baseline)", grep_count(cpath, ["-F", "BUG:"]), nbytes, nlines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
