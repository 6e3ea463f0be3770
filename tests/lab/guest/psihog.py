#!/usr/bin/python3
"""Hold memory above the unit's MemoryHigh= and keep touching fresh pages (runs in the lab guest).

Each new page is charged to a cgroup that is over its memory.high, so the kernel throttles
this process (PSI memory stalls) on every return to user space; it never goes idle. The OOM
kill comes from outside: the guest driver lowers MemoryMax= below what this holds.
Its name (comm) is "lab-psihog".
"""

import argparse
import ctypes
import mmap
import sys

MIB = 1 << 20
PR_SET_NAME = 15


def touch(m: mmap.mmap) -> None:
    for off in range(0, len(m), 4096):
        m[off] = 0x5A


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--hold-mib", type=int, default=80)
    args = p.parse_args()
    ctypes.CDLL(None).prctl(PR_SET_NAME, b"lab-psihog", 0, 0, 0)
    held = []
    for _ in range(args.hold_mib):
        m = mmap.mmap(-1, MIB)
        touch(m)
        held.append(m)
    print(f"lab-psihog: holding {args.hold_mib} MiB; churning", flush=True)
    while True:  # unmap the oldest MiB, map and touch a new one: new charges, new stalls
        held.pop(0).close()
        m = mmap.mmap(-1, MIB)
        touch(m)
        held.append(m)


if __name__ == "__main__":
    sys.exit(main())
