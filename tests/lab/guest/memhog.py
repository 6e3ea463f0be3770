#!/usr/bin/python3
"""Eat memory until the OOM killer ends this process (runs inside the lab guest).

First down to --hold-percent of MemTotal available, where it stays --hold-seconds (the
warning sign kcrashd's memory watcher should see and snapshot), then on until the kernel's
OOM killer acts. Its name (comm) is "lab-memhog", so alerts and OOM reports name it.
"""

import argparse
import ctypes
import sys
import time

CHUNK = 8 << 20
PR_SET_NAME = 15


def available_percent() -> float:
    info = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":", 1)
            info[key] = int(value.split()[0])
    return 100.0 * info["MemAvailable"] / info["MemTotal"]


def grab(chunks: list) -> None:
    # Filled, not zeroed: every page is touched and really allocated.
    chunks.append(b"\x5a" * CHUNK)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--hold-percent", type=float, default=7.0)
    p.add_argument("--hold-seconds", type=float, default=8.0)
    args = p.parse_args()
    ctypes.CDLL(None).prctl(PR_SET_NAME, b"lab-memhog", 0, 0, 0)
    chunks: list = []
    while available_percent() > args.hold_percent:
        grab(chunks)
    print(
        f"lab-memhog: holding {len(chunks) * CHUNK >> 20} MiB, "
        f"{available_percent():.1f}% available",
        flush=True,
    )
    time.sleep(args.hold_seconds)
    print("lab-memhog: going on until the OOM killer acts", flush=True)
    while True:
        grab(chunks)
        time.sleep(0.01)


if __name__ == "__main__":
    sys.exit(main())
